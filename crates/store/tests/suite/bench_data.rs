//! The benchmark register (`impact::bench_data`, behind `mashboard bench-impact`,
//! `bench-queries` and `bench-lists`), on SQLite and on PostgreSQL: the load drops the register's
//! secondary indexes and (SQLite) its per-day counting triggers for speed, so the database it
//! leaves must have every index and trigger back, per-day counts that match the tables (and the
//! queue's per-officer day counts that match its items), triggers that count the next write, and
//! pool connections with their usual settings.

use crate::common::{count, scalar};
use mashboard_store::impact::bench_data::{self, BenchSpec};
use mashboard_store::{Backend, Store};

/// Every index and trigger of the register's tables, by name and definition, sorted.
async fn schema(store: &Store) -> Vec<(String, String)> {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT name, COALESCE(sql, '') FROM sqlite_master
             WHERE type IN ('index', 'trigger')
               AND tbl_name IN ('incidents', 'referrals', 'referral_outcomes')"
        }
        Backend::Postgres => {
            "SELECT indexname::TEXT, indexdef FROM pg_indexes
             WHERE tablename IN ('incidents', 'referrals', 'referral_outcomes')
             UNION ALL
             SELECT t.tgname::TEXT, pg_get_triggerdef(t.oid) FROM pg_trigger t
             WHERE NOT t.tgisinternal
               AND t.tgrelid IN ('incidents'::regclass, 'referrals'::regclass, 'referral_outcomes'::regclass)"
        }
    };
    let mut rows: Vec<(String, String)> =
        sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap();
    rows.sort();
    rows
}

/// Rows of a (day, stratum, n) query, sorted.
async fn rows(store: &Store, sql: &str) -> Vec<(String, String, i64)> {
    let mut rows: Vec<(String, String, i64)> =
        sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap();
    rows.retain(|r| r.2 != 0);
    rows.sort();
    rows
}

async fn assert_day_counts_true(store: &Store) {
    for (kept, counted) in [
        (
            "SELECT day, '', CAST(n AS BIGINT) FROM incident_day_counts",
            "SELECT substr(reported_at, 1, 10), '', CAST(COUNT(*) AS BIGINT) FROM incidents GROUP BY 1",
        ),
        (
            "SELECT day, subject_type, CAST(n AS BIGINT) FROM referral_day_subject_counts",
            "SELECT substr(submitted_at, 1, 10), subject_type, CAST(COUNT(*) AS BIGINT) FROM referrals GROUP BY 1, 2",
        ),
        (
            "SELECT day, partner, CAST(n AS BIGINT) FROM referral_day_partner_counts",
            "SELECT substr(submitted_at, 1, 10), partner, CAST(COUNT(*) AS BIGINT) FROM referrals GROUP BY 1, 2",
        ),
    ] {
        let kept_rows = rows(store, kept).await;
        assert!(!kept_rows.is_empty(), "{kept}: counted something");
        assert_eq!(kept_rows, rows(store, counted).await, "{kept}");
    }
}

#[tokio::test]
async fn the_benchmark_register_ends_with_its_indexes_triggers_and_true_day_counts() {
    on_both!(|store| {
        let before = schema(&store).await;
        assert!(
            before.len() > 10,
            "the register has its indexes: {before:?}"
        );
        let spec = BenchSpec {
            incidents: 3_600,
            referrals: 720,
            officers: 40,
            queue: 30,
        };
        bench_data::generate(&store, &spec, &|_| {}).await.unwrap();

        assert_eq!(count(&store, "incidents").await, 3_600);
        assert_eq!(count(&store, "referrals").await, 720);
        // A decision on every referral but one in twenty.
        assert_eq!(count(&store, "referral_outcomes").await, 720 - 36);
        assert!(count(&store, "missing_referrals").await > 0);
        assert_eq!(
            schema(&store).await,
            before,
            "every index and trigger is back"
        );
        assert_day_counts_true(&store).await;
        // The queue (written after the load, with its triggers in place) is counted per officer
        // for a team's dashboard.
        let officer_counts = rows(
            &store,
            "SELECT CAST(officer_id AS TEXT), queued_day || ' ' || closed_day, n FROM queue_officer_day_counts",
        )
        .await;
        assert!(
            !officer_counts.is_empty(),
            "the queue is counted per officer"
        );
        assert_eq!(
            officer_counts,
            rows(
                &store,
                "SELECT CAST(i.officer_person_id AS TEXT),
                    substr(m.queued_at, 1, 10) || ' ' || COALESCE(substr(m.closed_at, 1, 10), ''),
                    CAST(COUNT(*) AS BIGINT)
                 FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
                 WHERE i.officer_person_id IS NOT NULL GROUP BY 1, 2",
            )
            .await,
            "the queue's per-officer day counts"
        );

        // The team a benchmark times (the first line manager's) has items on the queue.
        let team_items = scalar(
            &store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM missing_referrals m
             JOIN incidents i ON i.id = m.incident_id
             JOIN people p ON p.id = i.officer_person_id
             WHERE p.line_manager_id = (SELECT line_manager_id FROM people
                 WHERE line_manager_id IS NOT NULL ORDER BY id LIMIT 1)",
        )
        .await;
        assert!(team_items > 0, "the timed team has queue items");

        // The triggers count the next incident and referral again.
        let day = "2024-12-14";
        let kept = format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM incident_day_counts WHERE day = '{day}'");
        let was = scalar(&store, &kept).await;
        sqlx::query(
            "INSERT INTO incidents (incident_ref, reported_at, imported_at, updated_at)
             VALUES ('INC-NEXT', $1, $1, $1)",
        )
        .bind(format!("{day}T10:00:00"))
        .execute(store.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO referrals (referral_ref, submitted_at, subject_type, partner, imported_at, updated_at)
             VALUES ('PPN-NEXT', $1, 'adult', 'Health', $1, $1)",
        )
        .bind(format!("{day}T11:00:00"))
        .execute(store.pool())
        .await
        .unwrap();
        assert_eq!(scalar(&store, &kept).await, was + 1);
        assert_day_counts_true(&store).await;

        if store.backend() == Backend::Sqlite {
            // The generator's own settings went with its connection.
            for _ in 0..3 {
                let mut conn = store.pool().acquire().await.unwrap();
                let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
                let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
                assert_eq!((sync, keys), (1, 1), "NORMAL and foreign keys on");
            }
        }
    });
}
