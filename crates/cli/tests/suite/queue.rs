//! `mashboard queue refresh` as an operator runs it, on SQLite and on PostgreSQL.

use crate::common::{databases, run_without_db, text};

use mashboard_store::{DbUrl, Store};

#[tokio::test]
async fn queue_refresh_prints_how_many_were_added_and_is_idempotent() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        let store = Store::open(&DbUrl::parse(&db).unwrap()).await.unwrap();
        for (r, at, children) in [
            ("INC-1", "2024-03-01T10:00:00", 1),
            ("INC-2", "2024-03-01T10:00:00", 0),
        ] {
            sqlx::query(
                "INSERT INTO incidents (incident_ref, reported_at, children_involved, imported_at, updated_at)
                 VALUES ($1, $2, $3, 'x', 'x')",
            )
            .bind(r)
            .bind(at)
            .bind(children)
            .execute(store.pool())
            .await
            .unwrap();
        }
        store.close().await;
        let o = run_without_db(&["queue", "refresh", "--db", &db]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("Added 1 incident(s) to the missing-referral queue. Open items: 1."),
            "{}",
            text(&o)
        );
        let o = run_without_db(&["queue", "refresh", "--db", &db]);
        assert!(
            text(&o).contains("Added 0 incident(s) to the missing-referral queue. Open items: 1."),
            "{}",
            text(&o)
        );
        let o = run_without_db(&["queue", "refresh", "--db", "mysql://nowhere"]);
        assert!(!o.status.success());
        assert!(
            text(&o).contains("must start with sqlite:// or postgres://"),
            "{}",
            text(&o)
        );
    }
}
