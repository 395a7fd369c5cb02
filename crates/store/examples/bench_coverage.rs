//! Times the coverage computation for a large force.
//!
//! ```text
//! cargo run --release -p mashboard-store --example bench_coverage
//! # the same on PostgreSQL (a fresh database on the server MASHBOARD_TEST_PG_URL names):
//! cargo run --release -p mashboard-store --example bench_coverage -- --pg
//! ```
//!
//! Builds, in a temporary SQLite file, 20,000 people, 1,000 sessions (of three modules, one of
//! which counts) with 60,000 attendance records and their completions, plus enrolments, then
//! times `delivery::coverage::compute` (load and compute) over several runs and prints the
//! minimum and median. The target is under 50 ms cold.

use mashboard_domain::coverage::{Clause, CountsAs, Filter, Rule, Transferees};
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::coverage::{self, RequirementInput};
use mashboard_store::{now_text, DbUrl, Store};
use std::time::Instant;

const PEOPLE: usize = 20_000;
const SESSIONS: usize = 1_000;
const ATTENDANCE: usize = 60_000;
const RUNS: usize = 15;

const DEPARTMENTS: [&str; 8] = [
    "Response",
    "Neighbourhood Policing",
    "Criminal Investigation Department",
    "Major Crime",
    "Firearms",
    "Roads Policing",
    "Public Protection",
    "Contact Centre",
];
const RANKS: [&str; 6] = ["PC", "PC", "PC", "PCSO", "Sgt", "Police Staff (Band D)"];

/// Inserts rows in multi-row statements of `per` rows, all in one transaction. Values are
/// bound as text; the columns numbered in `ints` are cast to BIGINT (PostgreSQL does not
/// convert text by itself).
async fn bulk(
    store: &Store,
    head: &str,
    cols: usize,
    ints: &[usize],
    rows: &[Vec<String>],
    per: usize,
) -> anyhow_lite::Result {
    let mut tx = store.begin().await?;
    for chunk in rows.chunks(per) {
        let mut sql = String::from(head);
        sql.push_str(" VALUES ");
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..cols {
                if c > 0 {
                    sql.push(',');
                }
                let n = i * cols + c + 1;
                if ints.contains(&c) {
                    sql.push_str(&format!("CAST(${n} AS BIGINT)"));
                } else {
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = q.bind(if v == "NULL" { None } else { Some(v.as_str()) });
            }
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// This process's processor time so far (user and system), in milliseconds (Linux only).
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are the line's fields 14 and 15, the 12th and 13th after the name;
    // ticks of 1/100 s on Linux.
    (ticks(11) + ticks(12)) * 10.0
}

mod anyhow_lite {
    pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;
}

#[tokio::main]
async fn main() -> anyhow_lite::Result {
    let dir = tempfile::tempdir()?;
    let url = if std::env::args().any(|a| a == "--pg") {
        mashboard_store::testing::fresh_postgres_url().await?
    } else {
        DbUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("bench.sqlite").display()
        ))?
    };
    println!("on {:?}", url.backend());
    let store = Store::open(&url).await?;
    let now = now_text();
    let t = Instant::now();

    // Modules: the counting session module and two others.
    let mut modules = Vec::new();
    for code in ["FL-PPN", "EL-VULN", "EL-DARA"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at)
             VALUES ($1, $1, 'face_to_face', 'live', '1.0', $2, $2) RETURNING id",
        )
        .bind(code)
        .bind(&now)
        .fetch_one(store.pool())
        .await?;
        modules.push(id);
    }

    // People: ids will be 1..=PEOPLE on a fresh database.
    let people: Vec<Vec<String>> = (0..PEOPLE)
        .map(|i| {
            let year = 2010 + (i % 16);
            let rank = RANKS[i % RANKS.len()];
            let kind = if rank == "PCSO" { "PCSO" } else { "PC" };
            let cohort = if i % 37 == 0 {
                format!("{year} transferees")
            } else {
                format!("{year} {kind} intake {}", 1 + i % 2)
            };
            let start = format!("{year}-{:02}-{:02}", 1 + i % 12, 1 + i % 28);
            let left = if i % 29 == 0 {
                "2025-06-30".to_string()
            } else {
                "NULL".to_string()
            };
            let dept = DEPARTMENTS[(i / 7) % DEPARTMENTS.len()];
            vec![
                format!("B{i:06}"),
                format!("Person {i}"),
                rank.to_string(),
                dept.to_string(),
                format!("{dept} team {}", i % 12),
                start,
                cohort,
                if left == "NULL" { "1" } else { "0" }.to_string(),
                left,
                now.clone(),
                now.clone(),
            ]
        })
        .collect();
    bulk(
        &store,
        "INSERT INTO people (staff_number, name, rank, department, team, start_date, cohort, active, left_on, created_at, updated_at)",
        11,
        &[7],
        &people,
        80,
    )
    .await?;

    // Sessions from 2022 to 2027, spread over the three modules.
    let sessions: Vec<Vec<String>> = (0..SESSIONS)
        .map(|s| {
            let day = time::macros::date!(2022 - 01 - 10) + time::Duration::days((s * 2) as i64);
            let status = if s % 50 == 0 {
                "cancelled"
            } else if day < time::macros::date!(2026 - 11 - 26) {
                "delivered"
            } else {
                "open"
            };
            vec![
                modules[s % 3].to_string(),
                "1.0".into(),
                format!("{day}T09:00:00.000000Z"),
                format!("{day}T12:00:00.000000Z"),
                "teams".into(),
                "60".into(),
                status.into(),
                format!("bench-{s}"),
                "bench".into(),
                now.clone(),
                now.clone(),
            ]
        })
        .collect();
    bulk(
        &store,
        "INSERT INTO training_sessions (module_id, module_version, starts_at, ends_at, mode, capacity, status, ics_uid, created_by, created_at, updated_at)",
        11,
        &[0, 5],
        &sessions,
        80,
    )
    .await?;

    // 60,000 attendances: person p attends sessions 3 apart (one of each module), with an
    // enrolment, a completion carrying the session and the attendance pointing at it.
    let mut enrolments = Vec::with_capacity(ATTENDANCE);
    let mut completions = Vec::with_capacity(ATTENDANCE);
    let mut attendance = Vec::with_capacity(ATTENDANCE);
    for k in 0..ATTENDANCE {
        let person = 1 + (k % PEOPLE);
        let round = k / PEOPLE;
        let session = 1 + ((person * 7 + round) % SESSIONS);
        let module = modules[(session - 1) % 3];
        let day = &sessions[session - 1][2][..10];
        enrolments.push(vec![
            session.to_string(),
            person.to_string(),
            "enrolled".into(),
            "bench".into(),
            now.clone(),
            now.clone(),
        ]);
        completions.push(vec![
            person.to_string(),
            module.to_string(),
            "1.0".into(),
            day.to_string(),
            "teams".into(),
            "signed_off".into(),
            "recorded".into(),
            "bench".into(),
            now.clone(),
            now.clone(),
            session.to_string(),
        ]);
        attendance.push(vec![
            session.to_string(),
            person.to_string(),
            "attended".into(),
            "180".into(),
            "register".into(),
            (k + 1).to_string(),
            "bench".into(),
            now.clone(),
        ]);
    }
    bulk(
        &store,
        "INSERT INTO session_enrolments (session_id, person_id, status, booked_by, created_at, updated_at)",
        6,
        &[0, 1],
        &enrolments,
        150,
    )
    .await?;
    bulk(
        &store,
        "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at, session_id)",
        11,
        &[0, 1, 10],
        &completions,
        80,
    )
    .await?;
    bulk(
        &store,
        "INSERT INTO session_attendance (session_id, person_id, status, minutes, source, completion_id, recorded_by, recorded_at)",
        8,
        &[0, 1, 3, 5],
        &attendance,
        100,
    )
    .await?;
    sqlx::query("ANALYZE").execute(store.pool()).await?;
    println!(
        "built {PEOPLE} people, {SESSIONS} sessions, {ATTENDANCE} attendance records with completions in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let id = coverage::create_requirement(
        &store,
        &Actor::system(),
        &RequirementInput {
            code: "BENCH".into(),
            name: "Frontline input".into(),
            description: String::new(),
            rule: Rule {
                clauses: vec![
                    Clause {
                        ranks: vec!["PC".into(), "PCSO".into()],
                        started_from: Some(time::macros::date!(2022 - 01 - 01)),
                        transferees: Transferees::Exclude,
                        ..Default::default()
                    },
                    Clause {
                        departments: DEPARTMENTS[..6].iter().map(|d| d.to_string()).collect(),
                        in_post_on: Some(time::macros::date!(2022 - 12 - 31)),
                        ..Default::default()
                    },
                ],
            },
            modules: vec![(modules[0], CountsAs::Session)],
        },
    )
    .await?;
    let req = coverage::requirement(&store, id).await?.expect("created");
    let as_of = time::macros::date!(2026 - 11 - 26);
    // BENCH_PROFILE=n: only n cold reads and computations, one after another (to profile them
    // with `perf record`, the building marked by a line on standard output).
    if let Some(n) = std::env::var("BENCH_PROFILE")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    {
        println!("profiling {n} cold reads");
        let generic = std::env::var_os("BENCH_GENERIC").is_some();
        let (t, cpu) = (Instant::now(), cpu_ms());
        for _ in 0..n {
            let loaded = if generic {
                coverage::load_facts_generic(&store, &req, as_of).await?
            } else {
                coverage::load_facts(&store, &req, as_of).await?
            };
            loaded.compute(&req, as_of, &Filter::default());
        }
        println!(
            "{:.1} ms each, {:.1} ms of processor time each (this process; the database server's not counted)",
            t.elapsed().as_secs_f64() * 1000.0 / n.max(1) as f64,
            (cpu_ms() - cpu) / n.max(1) as f64
        );
        store.close().await;
        if std::env::var_os("BENCH_KEEP").is_some() {
            println!("kept the database in {}", dir.keep().display());
        }
        return Ok(());
    }
    // Warm: the page asked again with nothing changed (the cache answers after the first).
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let report = coverage::compute(&store, &req, as_of, &Filter::default()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        last = Some(report.coverage.total);
    }
    times.sort_by(f64::total_cmp);
    // After a change: one more person trained each time, so every call must read again.
    let untrained: Vec<i64> = {
        let report = coverage::compute(&store, &req, as_of, &Filter::default()).await?;
        report
            .untrained()
            .iter()
            .filter(|(_, o)| !o.standing.is_booked())
            .map(|(p, _)| p.id)
            .take(RUNS)
            .collect()
    };
    let session: i64 =
        sqlx::query_scalar("SELECT id FROM training_sessions WHERE module_id = $1 LIMIT 1")
            .bind(modules[0])
            .fetch_one(store.pool())
            .await?;
    let mut changed = Vec::new();
    let mut trained = last.expect("ran").trained;
    for person_id in &untrained {
        sqlx::query(
            "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at, session_id)
             VALUES ($1, $2, '1.0', '2026-11-20', 'teams', 'signed_off', 'recorded', 'bench', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', $3)",
        )
        .bind(person_id)
        .bind(modules[0])
        .bind(session)
        .execute(store.pool())
        .await?;
        let t = Instant::now();
        let report = coverage::compute(&store, &req, as_of, &Filter::default()).await?;
        changed.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            report.coverage.total.trained,
            trained + 1,
            "a new completion shows at once"
        );
        trained += 1;
    }
    changed.sort_by(f64::total_cmp);
    // Cold, in two halves: reading, and the domain's computation.
    let (mut reads, mut computes) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        let loaded = coverage::load_facts(&store, &req, as_of).await?;
        reads.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let report = loaded.compute(&req, as_of, &Filter::default());
        computes.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(report.coverage.total.trained, trained);
    }
    reads.sort_by(f64::total_cmp);
    computes.sort_by(f64::total_cmp);
    // The same reads through the generic pool (the path before the native reads), for the
    // before-and-after in one run; both must give the same coverage.
    let mut generic = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let loaded = coverage::load_facts_generic(&store, &req, as_of).await?;
        let report = loaded.compute(&req, as_of, &Filter::default());
        generic.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(report.coverage.total.trained, trained);
    }
    generic.sort_by(f64::total_cmp);
    println!(
        "  generic pool (before the native reads), read + compute: min {:.1} ms, median {:.1} ms",
        generic[0],
        generic[RUNS / 2]
    );
    println!(
        "  reads: min {:.1} ms, median {:.1} ms; domain computation: min {:.1} ms, median {:.1} ms",
        reads[0],
        reads[RUNS / 2],
        computes[0],
        computes[RUNS / 2]
    );
    // Where the time goes: each of the four reads alone, one after another (on PostgreSQL they
    // run at once in `load_facts`), and the unpacking of what they sent; natively, then
    // through the generic pool.
    for generic in [false, false, true] {
        let timings = if generic {
            coverage::load_timings_generic(&store, &req, as_of).await?
        } else {
            coverage::load_timings(&store, &req, as_of).await?
        };
        let words: Vec<String> = timings
            .iter()
            .map(|(what, n, ms)| {
                if *n > 0 {
                    format!("{what} {n} in {ms:.1} ms")
                } else {
                    format!("{what} {ms:.1} ms")
                }
            })
            .collect();
        let sum: f64 = timings.iter().map(|t| t.2).sum();
        let how = if generic { "generic" } else { "native" };
        println!("  alone ({how}): {}; {sum:.1} ms in all", words.join("; "));
    }
    let total = last.expect("ran");
    println!(
        "coverage as of {as_of}: required {}, trained {}, booked {}",
        total.required, total.trained, total.booked
    );
    let cold: Vec<f64> = {
        let mut v: Vec<f64> = reads.iter().zip(&computes).map(|(r, c)| r + c).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let n = changed.len().max(1);
    println!(
        "coverage, cold (read + compute, {RUNS} runs): min {:.1} ms, median {:.1} ms",
        cold[0],
        cold[RUNS / 2]
    );
    println!(
        "coverage, after a change (read again, {n} runs): min {:.1} ms, median {:.1} ms",
        changed.first().copied().unwrap_or(0.0),
        changed.get(n / 2).copied().unwrap_or(0.0)
    );
    let asked_again = if url.backend() == mashboard_store::Backend::Sqlite {
        "nothing changed (cached facts"
    } else {
        "asked again (PostgreSQL keeps no cache, so read again"
    };
    println!(
        "coverage, {asked_again}, {RUNS} runs): min {:.1} ms, median {:.1} ms, max {:.1} ms (target < 50 ms cold)",
        times[0],
        times[RUNS / 2],
        times[RUNS - 1]
    );
    store.close().await;
    if std::env::var_os("BENCH_KEEP").is_some() {
        let kept = dir.keep();
        println!("kept the database in {}", kept.display());
    }
    Ok(())
}
