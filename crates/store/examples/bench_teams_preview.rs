//! Times a Teams report preview through the store (parse, candidates from the database, match,
//! hand marks, duplicate check) for a 300-participant report on a session with 300 enrolled, in
//! a directory of 20,000 people, on SQLite (or the database in MASHBOARD_BENCH_DB).
//!
//! Run: `cargo run --release -p mashboard-store --example bench_teams_preview`
//! Target: under 50 ms.

use mashboard_domain::teams_report::{write_sectioned, WriteParticipant};
use mashboard_store::delivery::teams;
use mashboard_store::{DbUrl, Store};
use std::time::Instant;
use time::macros::datetime;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = std::env::var("MASHBOARD_BENCH_DB")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.sqlite").display()));
    let store = Store::open(&DbUrl::parse(&url).expect("url"))
        .await
        .expect("open");
    let now = "2025-07-01T00:00:00.000000Z";
    let mut tx = store.begin().await.expect("tx");
    for i in 0..20_000 {
        sqlx::query("INSERT INTO people (staff_number, name, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(format!("B{i:05}"))
            .bind(format!("Person Number{i}"))
            .bind(format!("person{i}@force.police.uk"))
            .bind(now)
            .execute(&mut *tx)
            .await
            .expect("person");
    }
    let module: i64 = sqlx::query_scalar(
        "INSERT INTO modules (code, title, summary, kind, duration_minutes, status, version, cpd_topic, created_at, updated_at)
         VALUES ('FL-B', 'Frontline input', '', 'face_to_face', 180, 'live', '1.0', 0, $1, $1) RETURNING id",
    )
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .expect("module");
    let session: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (module_id, module_version, starts_at, ends_at, mode, capacity, status, ics_uid, created_by, created_at, updated_at)
         VALUES ($1, '1.0', '2025-07-15T08:00:00.000000Z', '2025-07-15T11:00:00.000000Z', 'teams', 400, 'open', 'bench@x', 'bench', $2, $2) RETURNING id",
    )
    .bind(module)
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .expect("session");
    sqlx::query(
        "INSERT INTO session_enrolments (session_id, person_id, status, position, booked_by, created_at, updated_at)
         SELECT $1, id, 'enrolled', 0, 'bench', $2, $2 FROM people WHERE id <= 300",
    )
    .bind(session)
    .bind(now)
    .execute(&mut *tx)
    .await
    .expect("enrol");
    tx.commit().await.expect("commit");
    let people: Vec<WriteParticipant> = (0..300)
        .map(|i| WriteParticipant {
            name: format!("Person Number{i}"),
            // Half match by e-mail, half by name.
            email: (i % 2 == 0).then(|| format!("person{i}@force.police.uk")),
            joins: vec![(
                datetime!(2025-07-15 9:00),
                datetime!(2025-07-15 9:00) + time::Duration::minutes(100 + i % 80),
            )],
        })
        .collect();
    let bytes = write_sectioned(
        "Bench",
        datetime!(2025-07-15 9:00),
        datetime!(2025-07-15 12:00),
        &people,
    );
    let runs = 30;
    let mut times = Vec::new();
    let mut matched = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let p = teams::preview(&store, session, &bytes)
            .await
            .expect("preview");
        times.push(t.elapsed());
        matched = p.matching.matched.len();
    }
    times.sort();
    println!(
        "{}: preview of a 300-participant report ({matched} matched) among 20,000 people: median {:.2} ms, worst {:.2} ms over {runs} runs",
        store.backend().name(),
        times[runs / 2].as_secs_f64() * 1000.0,
        times[runs - 1].as_secs_f64() * 1000.0
    );
    store.close().await;
}
