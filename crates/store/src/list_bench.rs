//! For `mashboard bench-lists`: a large made-up directory (written by bulk SQL, like
//! `impact::bench_data` writes the register), the reference of a row deep in each long list,
//! and the old offset page for comparison.
//!
//! Only for an empty database made for the benchmark.

use crate::{Backend, Result, Store};

/// The long lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongList {
    People,
    Incidents,
    Referrals,
}

impl LongList {
    /// The list's table, its order and its reference column, as the pages read them.
    fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            LongList::People => ("people", "name, staff_number", "staff_number"),
            LongList::Incidents => ("incidents", "reported_at DESC, id DESC", "incident_ref"),
            LongList::Referrals => ("referrals", "submitted_at DESC, id DESC", "referral_ref"),
        }
    }
}

const NOW: &str = "2025-01-01T00:00:00Z";
const CHUNK: u64 = 250_000;

/// Adds `n` people: surnames in ten spellings, twelve departments, 400 teams, five ranks, 15
/// cohorts; one in ten has left. Staff numbers `P1000000…`.
pub async fn add_people(store: &Store, n: u64) -> Result<()> {
    let select = "'P' || CAST(1000000 + i AS TEXT),
        (CASE (i * 7) % 10 WHEN 0 THEN 'Adams' WHEN 1 THEN 'Baker' WHEN 2 THEN 'Clarke'
            WHEN 3 THEN 'Davies' WHEN 4 THEN 'Evans' WHEN 5 THEN 'Patel' WHEN 6 THEN 'Hughes'
            WHEN 7 THEN 'Jones' WHEN 8 THEN 'Khan' ELSE 'Smith' END) || ' ' || CAST(i AS TEXT),
        CASE i % 5 WHEN 0 THEN 'PC' WHEN 1 THEN 'DC' WHEN 2 THEN 'PS' WHEN 3 THEN 'DS' ELSE 'Staff' END,
        'Department ' || CAST(i % 12 AS TEXT), 'Team ' || CAST(i % 400 AS TEXT),
        '2015-01-01', CAST(2010 + i % 15 AS TEXT), CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END";
    let insert = "INSERT INTO people (staff_number, name, rank, department, team, start_date, cohort, active, created_at, updated_at)";
    let mut lo = 0;
    while lo < n {
        let hi = (lo + CHUNK).min(n);
        let sql = match store.backend() {
            Backend::Postgres => format!(
                "{insert} SELECT {select}, '{NOW}', '{NOW}' FROM (SELECT CAST(g AS BIGINT) AS i FROM generate_series({lo}, {}) AS g) s",
                hi - 1
            ),
            Backend::Sqlite => format!(
                "WITH RECURSIVE s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {})
                 {insert} SELECT {select}, '{NOW}', '{NOW}' FROM s",
                hi - 1
            ),
        };
        let mut tx = store.begin().await?;
        sqlx::query(&sql).execute(&mut *tx).await?;
        tx.commit().await?;
        lo = hi;
    }
    sqlx::query("ANALYZE").execute(store.pool()).await?;
    Ok(())
}

/// Adds `n` audit events, one every 150 seconds from 1 January 2020 (about 4.75 years for a
/// million), oldest first as the trail is written: 200 actors (`user0`…`user199`), six kinds of
/// action (60% `person.view`, 20% `register.incident.view`, 10% `auth.sign_in`, 5%
/// `person.update`, 5% `training.completion.record`) and one event in 10,000 `account.disable`;
/// each about a person `P1000000`…`P1019999` (about 50 events each).
pub async fn add_audit_events(store: &Store, n: u64) -> Result<()> {
    let select = |at: &str| {
        format!(
            "{at}, 1 + i % 200, 'user' || CAST(i % 200 AS TEXT),
        CASE WHEN i % 10000 = 7 THEN 'account.disable' WHEN i % 100 < 60 THEN 'person.view'
            WHEN i % 100 < 80 THEN 'register.incident.view' WHEN i % 100 < 90 THEN 'auth.sign_in'
            WHEN i % 100 < 95 THEN 'person.update' ELSE 'training.completion.record' END,
        'person', 'P' || CAST(1000000 + (i * 7919) % 20000 AS TEXT), 'Viewed a record'"
        )
    };
    let insert =
        "INSERT INTO audit_events (at, actor_user_id, actor, action, entity, entity_key, summary)";
    let mut lo = 0;
    while lo < n {
        let hi = (lo + CHUNK).min(n);
        let sql = match store.backend() {
            Backend::Postgres => format!(
                "{insert} SELECT {} FROM (SELECT CAST(g AS BIGINT) AS i FROM generate_series({lo}, {}) AS g) s ORDER BY i",
                select(
                    "to_char(to_timestamp(1577836800 + i * 150) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                ),
                hi - 1
            ),
            Backend::Sqlite => format!(
                "WITH RECURSIVE s(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM s WHERE i < {})
                 {insert} SELECT {} FROM s",
                hi - 1,
                select("strftime('%Y-%m-%dT%H:%M:%S.000000Z', 1577836800 + i * 150, 'unixepoch')")
            ),
        };
        let mut tx = store.begin().await?;
        sqlx::query(&sql).execute(&mut *tx).await?;
        tx.commit().await?;
        lo = hi;
    }
    sqlx::query("ANALYZE").execute(store.pool()).await?;
    Ok(())
}

/// How many rows a list holds.
pub async fn size(store: &Store, list: LongList) -> Result<i64> {
    let (table, _, _) = list.parts();
    Ok(
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(store.pool())
            .await?,
    )
}

/// The reference of the row `offset` rows into the list (found by an offset, once, untimed).
pub async fn reference_at(store: &Store, list: LongList, offset: i64) -> Result<Option<String>> {
    let (table, order, key) = list.parts();
    Ok(sqlx::query_scalar::<_, String>(&format!(
        "SELECT {key} FROM {table} ORDER BY {order} LIMIT 1 OFFSET $1"
    ))
    .bind(offset)
    .fetch_optional(store.pool())
    .await?)
}

/// The old way to a deep page: 50 rows `offset` rows in (every row before them read again).
pub async fn offset_page(store: &Store, list: LongList, offset: i64) -> Result<usize> {
    let (table, order, key) = list.parts();
    Ok(sqlx::query_scalar::<_, String>(&format!(
        "SELECT {key} FROM {table} ORDER BY {order} LIMIT 50 OFFSET $1"
    ))
    .bind(offset)
    .fetch_all(store.pool())
    .await?
    .len())
}
