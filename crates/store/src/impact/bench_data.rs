//! A large, made-up register for `mashboard bench-impact`: officers in four departments (three
//! trained in the `FL-PPN` module six months apart from 2022, one never), incidents spread evenly
//! over the 72 months of 2019–2024, referrals from every few incidents by the incident's officer,
//! a partner decision on 95% of them (fewer rejected or returned after the officer's training),
//! and a missing-referral queue. Written by bulk SQL in large transactions (a row source of
//! `generate_series` on PostgreSQL, a recursive CTE on SQLite), not by the import, so that ten
//! million incidents take minutes; then the roll-ups are counted once.
//!
//! The load runs on a connection of its own, taken out of the pool and closed at the end, so its
//! settings reach no other connection: on SQLite `synchronous = OFF`, foreign keys off (every
//! row is valid by construction) and a large page cache; on PostgreSQL `synchronous_commit = off`
//! and a large `maintenance_work_mem`. Before the load the secondary indexes of the register's
//! three tables are dropped (those behind constraints, which the references need, stay), and on
//! SQLite the two row triggers that count incidents and referrals per day; after it the indexes
//! are built again from the catalogue's own definitions (one sort each, instead of millions of
//! scattered inserts into a cache too small for them), the triggers created again from theirs,
//! and their day counts counted once from the tables, so the database ends exactly as the
//! row-by-row triggers would have left it. PostgreSQL's day-count triggers are per statement
//! and stay.
//!
//! Only for an empty database made for the benchmark: if the load fails part way, the database
//! may be left without those indexes.

use crate::{begin_statement, Backend, Result, Store, StoreError};
use sqlx::{AnyConnection, Connection, Executor};

/// Sizes of the made-up register.
#[derive(Debug, Clone, Copy)]
pub struct BenchSpec {
    pub incidents: u64,
    pub referrals: u64,
    pub officers: u64,
    /// Items on the missing-referral queue.
    pub queue: u64,
}

/// Months the incidents cover: January 2019 to December 2024.
pub const MONTHS: u64 = 72;
/// Rows written per transaction.
const CHUNK: u64 = 1_000_000;
const NOW: &str = "2025-01-01T00:00:00Z";
const DEPARTMENTS: [&str; 4] = ["Response", "Neighbourhood", "CID", "Public Protection"];

/// The generator connection's SQLite page cache (and so its sorting memory for the index builds).
const LOAD_CACHE_KIB: i64 = 512 * 1024;
/// The register's tables, whose secondary indexes are dropped for the load and built again.
const LOADED_TABLES: [&str; 3] = ["incidents", "referrals", "referral_outcomes"];
/// SQLite row triggers dropped for the load, with the statements that count what they keep
/// from the whole of the loaded tables, once after it.
const SQLITE_COUNTING_TRIGGERS: [(&str, &[&str]); 2] = [
    (
        "incident_day_counts_insert",
        &[
            "DELETE FROM incident_day_counts",
            "INSERT INTO incident_day_counts (day, n)
             SELECT substr(reported_at, 1, 10), COUNT(*) FROM incidents GROUP BY substr(reported_at, 1, 10)",
        ],
    ),
    (
        "referral_day_counts_insert",
        &[
            "DELETE FROM referral_day_subject_counts",
            "INSERT INTO referral_day_subject_counts (day, subject_type, n)
             SELECT substr(submitted_at, 1, 10), subject_type, COUNT(*) FROM referrals
             GROUP BY substr(submitted_at, 1, 10), subject_type",
            "DELETE FROM referral_day_partner_counts",
            "INSERT INTO referral_day_partner_counts (day, partner, n)
             SELECT substr(submitted_at, 1, 10), partner, COUNT(*) FROM referrals
             GROUP BY substr(submitted_at, 1, 10), partner",
        ],
    ),
];

/// What the load took away, to put back after it: index and trigger definitions as the
/// catalogue holds them, and the statements that count what the triggers keep.
struct Dropped {
    indexes: Vec<String>,
    triggers: Vec<String>,
    recounts: Vec<&'static str>,
}

/// Settings for the generator's own connection only (it is closed at the end, never returned to
/// the pool): nothing waits for the disk, and index builds sort in memory.
async fn loading_settings(conn: &mut AnyConnection, backend: Backend) -> Result<()> {
    let settings: Vec<String> = match backend {
        Backend::Sqlite => vec![
            "PRAGMA synchronous = OFF".into(),
            "PRAGMA foreign_keys = OFF".into(),
            format!("PRAGMA cache_size = -{LOAD_CACHE_KIB}"),
        ],
        Backend::Postgres => vec![
            "SET synchronous_commit = off".into(),
            "SET maintenance_work_mem = '512MB'".into(),
            "SET work_mem = '256MB'".into(),
        ],
    };
    for s in settings {
        conn.execute(s.as_str()).await?;
    }
    Ok(())
}

/// Drops the loaded tables' secondary indexes (not those behind a primary key or UNIQUE
/// constraint) and, on SQLite, the counting row triggers; returns what builds them again.
async fn drop_for_load(conn: &mut AnyConnection, backend: Backend) -> Result<Dropped> {
    let mut dropped = Dropped {
        indexes: Vec::new(),
        triggers: Vec::new(),
        recounts: Vec::new(),
    };
    for table in LOADED_TABLES {
        let found: Vec<(String, String)> = match backend {
            // Indexes SQLite made for constraints have no SQL.
            Backend::Sqlite => {
                sqlx::query_as(crate::bulk_load::SQLITE_SECONDARY_INDEXES)
                    .bind(table)
                    .fetch_all(&mut *conn)
                    .await?
            }
            Backend::Postgres => {
                sqlx::query_as(crate::bulk_load::POSTGRES_SECONDARY_INDEXES)
                    .bind(table)
                    .fetch_all(&mut *conn)
                    .await?
            }
        };
        for (name, sql) in found {
            conn.execute(format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")).as_str())
                .await?;
            dropped.indexes.push(sql);
        }
    }
    if backend == Backend::Sqlite {
        for (name, recounts) in SQLITE_COUNTING_TRIGGERS {
            let sql: Option<String> = sqlx::query_scalar(crate::bulk_load::SQLITE_TRIGGER)
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
            // A trigger a later migration renamed or removed is simply left alone.
            if let Some(sql) = sql {
                conn.execute(format!("DROP TRIGGER \"{name}\"").as_str())
                    .await?;
                dropped.triggers.push(sql);
                dropped.recounts.extend_from_slice(recounts);
            }
        }
    }
    Ok(dropped)
}

/// Builds the dropped indexes again, creates the triggers again and counts what they keep, in
/// one transaction.
async fn restore_after_load(
    conn: &mut AnyConnection,
    backend: Backend,
    dropped: Dropped,
    progress: &dyn Fn(&str),
) -> Result<()> {
    let mut tx = conn.begin_with(begin_statement(backend)).await?;
    for sql in &dropped.indexes {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    progress(&format!(
        "{} secondary indexes built again",
        dropped.indexes.len()
    ));
    for sql in dropped
        .recounts
        .iter()
        .copied()
        .chain(dropped.triggers.iter().map(String::as_str))
    {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    if !dropped.triggers.is_empty() {
        progress("the per-day counts counted and their triggers created again");
    }
    Ok(())
}

/// `x` as two digits (`x` < 100), portable SQL.
fn pad2(x: &str) -> String {
    format!("(CASE WHEN ({x}) < 10 THEN '0' ELSE '' END || CAST(({x}) AS TEXT))")
}

/// `YYYY-MM-DD` of month index `m` (0 = January 2019) and day `d`, portable SQL.
fn day_sql(m: &str, d: &str) -> String {
    format!(
        "CAST(2019 + ({m}) / 12 AS TEXT) || '-' || {} || '-' || {}",
        pad2(&format!("1 + ({m}) % 12")),
        pad2(d)
    )
}

fn department_sql(x: &str) -> String {
    format!(
        "(CASE ({x}) % 4 WHEN 0 THEN '{}' WHEN 1 THEN '{}' WHEN 2 THEN '{}' ELSE '{}' END)",
        DEPARTMENTS[0], DEPARTMENTS[1], DEPARTMENTS[2], DEPARTMENTS[3]
    )
}

/// `INSERT INTO … SELECT {select} FROM` a row source of `i` from `lo` to `hi - 1`.
fn insert_series(backend: Backend, insert: &str, select: &str, lo: u64, hi: u64) -> String {
    match backend {
        Backend::Postgres => format!(
            "{insert} SELECT {select} FROM (SELECT CAST(g AS BIGINT) AS i FROM generate_series({lo}, {}) AS g) n",
            hi - 1
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM n WHERE i < {})
             {insert} SELECT {select} FROM n",
            hi - 1
        ),
    }
}

/// The month in which officers of department `d` (0–2) completed the module; department 3 never.
pub fn training_month(d: u64) -> Option<u64> {
    (d < 3).then_some(36 + d * 6)
}

/// Fills an empty database (see the module docs) on a connection of its own. `progress` is told what was written.
pub async fn generate(store: &Store, spec: &BenchSpec, progress: &dyn Fn(&str)) -> Result<()> {
    let backend = store.backend();
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents")
        .fetch_one(store.pool())
        .await?;
    if existing > 0 {
        return Err(StoreError::Invalid(
            "the benchmark needs a new, empty database".into(),
        ));
    }
    // The pool's connection becomes the generator's own: detached, it is closed at the end and
    // its settings go with it.
    let mut conn = store.pool().acquire().await?.detach();
    loading_settings(&mut conn, backend).await?;
    let dropped = drop_for_load(&mut conn, backend).await?;
    let officers = spec.officers.max(4) / 4 * 4;
    let step = (spec.incidents / spec.referrals.max(1)).max(1);
    // Officers: staff numbers O00000…, department by number, a line manager per 10.
    let mut tx = conn.begin_with(begin_statement(backend)).await?;
    let people = format!(
        "'O' || CAST(100000 + i AS TEXT), 'Officer ' || CAST(i AS TEXT), {}, 'Team ' || CAST(i / 10 AS TEXT), '2015-01-01', '{NOW}', '{NOW}'",
        department_sql("i")
    );
    sqlx::query(&insert_series(
        backend,
        "INSERT INTO people (staff_number, name, department, team, start_date, created_at, updated_at)",
        &people,
        0,
        officers,
    ))
    .execute(&mut *tx)
    .await?;
    let (first, last): (i64, i64) = sqlx::query_as("SELECT MIN(id), MAX(id) FROM people")
        .fetch_one(&mut *tx)
        .await?;
    if (last - first + 1) as u64 != officers {
        return Err(StoreError::Invalid(
            "the officers' ids are not consecutive; use a new, empty database".into(),
        ));
    }
    sqlx::query(
        "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at)
         VALUES ('FL-PPN', 'Frontline PPN', 'classroom', 'published', '1', $1, $1)",
    )
    .bind(NOW)
    .execute(&mut *tx)
    .await?;
    // A line manager for every ten officers (a team).
    sqlx::query(&format!(
        "UPDATE people SET line_manager_id = {first} + ((id - {first}) / 10) * 10 WHERE (id - {first}) % 10 <> 0"
    ))
    .execute(&mut *tx)
    .await?;
    let module: i64 = sqlx::query_scalar("SELECT id FROM modules WHERE code = 'FL-PPN'")
        .fetch_one(&mut *tx)
        .await?;
    // Departments 0–2 trained in months 36, 42 and 48 (2022 January, July; 2023 January).
    let completion = format!(
        "{first} + i, {module}, '1', {}, 'in_person', 'signed_off', 'imported', 'bench', '{NOW}', '{NOW}'",
        day_sql("36 + (i % 4) * 6", "1 + i % 28")
    );
    sqlx::query(&format!(
        "{} WHERE i % 4 < 3",
        insert_series(
            backend,
            "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at)",
            &completion,
            0,
            officers,
        )
    ))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    progress(&format!("{officers} officers, three departments trained"));

    // Incidents, in time order: month = i * 72 / N.
    let m = format!("(i * {MONTHS} / {})", spec.incidents);
    let incident = format!(
        "'INC-' || CAST(i AS TEXT), {} || 'T' || {} || ':00:00', 'Concern', 'North',
         CASE WHEN i % 10 < 3 THEN 1 ELSE 0 END, CASE WHEN i % 10 = 3 THEN 1 ELSE 0 END,
         CASE WHEN i % 7 = 0 THEN 1 ELSE 0 END, 'O' || CAST(100000 + i % {officers} AS TEXT),
         {first} + i % {officers}, {}, '{NOW}', '{NOW}'",
        day_sql(&m, "1 + i % 28"),
        pad2("i % 24"),
        department_sql("i")
    );
    let mut lo = 0;
    while lo < spec.incidents {
        let hi = (lo + CHUNK).min(spec.incidents);
        let mut tx = conn.begin_with(begin_statement(backend)).await?;
        sqlx::query(&insert_series(
            backend,
            "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, adult_at_risk,
                domestic_abuse, officer_staff_number, officer_person_id, department, imported_at, updated_at)",
            &incident,
            lo,
            hi,
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        progress(&format!("{hi} incidents"));
        lo = hi;
    }

    // Referrals from every `step`th incident (k = i * step), the same day, by its officer.
    let k = format!("(i * {step})");
    let mk = format!("({k} * {MONTHS} / {})", spec.incidents);
    let referral = format!(
        "'PPN-' || CAST(i AS TEXT), 'INC-' || CAST({k} AS TEXT), {} || 'T23:00:00', 'child', 'Concern',
         'standard', 'O' || CAST(100000 + {k} % {officers} AS TEXT), {first} + {k} % {officers},
         CASE WHEN i % 10 < 7 THEN 'Children''s social care' ELSE 'Adult social care' END, '', '{NOW}', '{NOW}'",
        day_sql(&mk, &format!("1 + {k} % 28"))
    );
    // Decisions on 95%: rejected or returned a quarter of the time before training, 15% after.
    let treated = format!("({k} % 4 < 3 AND {mk} > 36 + ({k} % 4) * 6)");
    let h = "((i * 2654435761) % 1000)";
    let outcome = format!(
        "'PPN-' || CAST(i AS TEXT),
         CASE WHEN i % 10 < 7 THEN 'Children''s social care' ELSE 'Adult social care' END,
         CASE WHEN {h} < (CASE WHEN {treated} THEN 100 ELSE 180 END) THEN 'no_further_action'
              WHEN {h} < (CASE WHEN {treated} THEN 150 ELSE 250 END) THEN 'returned_more_information'
              WHEN {h} < 600 THEN 'accepted_assessment' ELSE 'early_help' END,
         '', '2025-01-01', 'import', 'bench', '{NOW}'"
    );
    let mut lo = 0;
    while lo < spec.referrals {
        let hi = (lo + CHUNK).min(spec.referrals);
        let mut tx = conn.begin_with(begin_statement(backend)).await?;
        sqlx::query(&insert_series(
            backend,
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, officer_grade,
                officer_staff_number, officer_person_id, partner, narrative, imported_at, updated_at)",
            &referral,
            lo,
            hi,
        ))
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "{} WHERE i % 20 <> 0",
            insert_series(
                backend,
                "INSERT INTO referral_outcomes (referral_ref, partner, outcome, reason, decided_at, source, recorded_by, updated_at)",
                &outcome,
                lo,
                hi,
            )
        ))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        progress(&format!("{hi} referrals with their decisions"));
        lo = hi;
    }

    restore_after_load(&mut conn, backend, dropped, progress).await?;

    // The queue: incidents with children spread over the years; nine in ten closed in the month.
    // Written after the load, with every trigger in place: its day counts per department
    // (`queue_day_counts`) and per officer (`queue_officer_day_counts`) are counted by them.
    // Every `every`th id (a multiple of ten), from the second: ids ending in 2 are incidents
    // with children, and their officer is the first of a team under its line manager (officer
    // numbers ending in 1), so a team's dashboard has a queue to count. Ids ending in 1 went to
    // the line managers themselves, whose teams then held no items.
    let every = (spec.incidents / spec.queue.max(1)).max(1) / 10 * 10;
    let mut tx = conn.begin_with(begin_statement(backend)).await?;
    sqlx::query(&format!(
        "INSERT INTO missing_referrals (incident_id, rule, queued_at, outcome, reason, closed_by, closed_at)
         SELECT id, 'children_involved', reported_at,
            CASE WHEN id % 100 < 90 THEN 'referral_made' ELSE NULL END, '',
            CASE WHEN id % 100 < 90 THEN 'bench' ELSE NULL END,
            CASE WHEN id % 100 < 90 THEN substr(reported_at, 1, 8) || '28T12:00:00' ELSE NULL END
         FROM incidents WHERE id % {} = 2 AND children_involved = 1",
        every.max(10)
    ))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    progress("the missing-referral queue");
    conn.execute("ANALYZE").await?;
    conn.close().await?;
    Ok(())
}

/// How many referrals and incidents the database holds.
pub async fn sizes(store: &Store) -> Result<(i64, i64)> {
    let referrals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM referrals")
        .fetch_one(store.pool())
        .await?;
    let incidents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incidents")
        .fetch_one(store.pool())
        .await?;
    Ok((referrals, incidents))
}

/// Someone who manages others (for timing a team's dashboard).
pub async fn a_line_manager(store: &Store) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT line_manager_id FROM people WHERE line_manager_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?)
}
