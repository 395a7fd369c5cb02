//! On PostgreSQL the missing-referral queue's statement triggers (the check that each item names
//! an incident, and the day counts) look up only the incidents of the items a statement wrote,
//! whatever statement ran before them on the same connection (migration 30). A plan kept from the
//! first call (the full refresh runs with nested loops off and queues hundreds of thousands) read
//! every incident on each later refresh. SQLite's row triggers look each item's incident up by
//! id and keep no such plan.

use mashboard_store::Backend;
use sqlx::Executor;

/// Incidents read, by table scans and index scans, so far in the connection's transaction.
async fn incidents_read(conn: &mut sqlx::AnyConnection) -> i64 {
    let table: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(seq_tup_read), 0) + COALESCE(SUM(idx_tup_fetch), 0) AS BIGINT)
         FROM pg_stat_xact_user_tables WHERE relname = 'incidents'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let index: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(pg_stat_get_xact_tuples_returned(indexrelid)), 0) AS BIGINT)
         FROM pg_index WHERE indrelid = 'incidents'::regclass",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    table + index
}

#[tokio::test]
async fn a_small_queue_change_after_a_large_one_reads_only_its_own_incidents() {
    on_both!(|store| {
        if store.backend() == Backend::Postgres {
            const N: i64 = 20_000;
            sqlx::query(
                "INSERT INTO incidents (incident_ref, reported_at, children_involved, department, imported_at, updated_at)
                 SELECT 'P' || k, '2024-01-01T00:00:00', 1, CASE WHEN k % 2 = 0 THEN 'CID' ELSE 'Response' END, 'x', 'x'
                 FROM generate_series(1, $1) AS k",
            )
            .bind(N)
            .execute(store.pool())
            .await
            .unwrap();
            sqlx::query("ANALYZE incidents")
                .execute(store.pool())
                .await
                .unwrap();
            let mut conn = store.pool().acquire().await.unwrap();
            // As the full refresh does: nested loops off while it queues and closes items.
            for sql in [
                "BEGIN",
                "SET LOCAL enable_nestloop = off",
                "INSERT INTO missing_referrals (incident_id, rule, queued_at)
                 SELECT id, 'children_involved', '2026-01-01T00:00:00Z' FROM incidents WHERE incident_ref IN ('P1', 'P2')",
                "UPDATE missing_referrals SET outcome = 'escalated', closed_by = 'test', closed_at = '2026-01-02T00:00:00Z'
                 WHERE incident_id = (SELECT id FROM incidents WHERE incident_ref = 'P1')",
                "DELETE FROM missing_referrals WHERE incident_id = (SELECT id FROM incidents WHERE incident_ref = 'P2')",
                "COMMIT",
            ] {
                conn.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            // Later, on the same connection: a refresh queues 10 items and closes 5 of them,
            // and someone deletes one (the items named by id, so that only the triggers read
            // incidents).
            let ids: Vec<(String, i64)> = sqlx::query_as(
                "SELECT incident_ref, id FROM incidents WHERE incident_ref IN (SELECT 'P' || k FROM generate_series(101, 110) AS k)",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            let list = |keep: &dyn Fn(i64) -> bool| {
                ids.iter()
                    .filter(|(r, _)| keep(r[1..].parse().unwrap()))
                    .map(|(_, id)| id.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (all, even, tenth) = (
                list(&|_| true),
                list(&|k| k % 2 == 0),
                list(&|k| k % 10 == 1),
            );
            conn.execute("BEGIN").await.unwrap();
            let before = incidents_read(&mut conn).await;
            for sql in [
                format!(
                    "INSERT INTO missing_referrals (incident_id, rule, queued_at)
                     SELECT k, 'children_involved', '2026-02-01T00:00:00Z' FROM (VALUES ({})) AS v (k)",
                    all.replace(", ", "), (")
                ),
                format!(
                    "UPDATE missing_referrals SET outcome = 'escalated', closed_by = 'test', closed_at = '2026-02-02T00:00:00Z'
                     WHERE incident_id IN ({even})"
                ),
                format!("DELETE FROM missing_referrals WHERE incident_id IN ({tenth})"),
            ] {
                conn.execute(sql.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            let read = incidents_read(&mut conn).await - before;
            // The items' own incidents, looked up a few times each; not the register.
            assert!(
                read < 500,
                "the queue's triggers read {read} incidents of {N} for 10 items"
            );
            let kept: Vec<(String, String, String, i64)> = sqlx::query_as(
                "SELECT department, queued_day, closed_day, n FROM queue_day_counts
                 WHERE n <> 0 AND queued_day = '2026-02-01' ORDER BY 1, 2, 3",
            )
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            assert_eq!(
                kept,
                vec![
                    (
                        "CID".to_string(),
                        "2026-02-01".to_string(),
                        "2026-02-02".to_string(),
                        5
                    ),
                    (
                        "Response".to_string(),
                        "2026-02-01".to_string(),
                        String::new(),
                        4
                    ),
                ]
            );
            conn.execute("ROLLBACK").await.unwrap();
        }
    });
}
