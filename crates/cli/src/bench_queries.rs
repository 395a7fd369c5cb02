//! `mashboard bench-queries` (hidden): the queries that must stay fast as the register grows,
//! each timed and printed beside its target.
//!
//! ```text
//! mashboard bench-queries                      # a new SQLite file in a temporary directory
//! mashboard bench-queries --db postgres://…    # a new, empty PostgreSQL database
//! mashboard bench-queries --incidents 100000   # a smaller register
//! mashboard bench-queries --db postgres://… --settle   # VACUUM after the load, as autovacuum would
//! ```
//!
//! It fills a new database with a made-up register (`--incidents`, 1,000,000 by default, and as
//! many referrals; `mashboard_store::impact::bench_data`, bulk SQL, not the import; the filling
//! is not timed), then times, each the median of `--repeat` runs:
//!
//! - a 200-incident compliance audit drawn over every incident (`audits::create`, what
//!   `POST /api/v1/compliance-audits` calls; a new audit each time), and over two months;
//! - a 200-referral quality review stratified by subject type, over every referral
//!   (`reviews::create`, what the review API calls; a new review each time);
//! - the missing-referral queue refresh after 10,000 new incidents arrive in the register (the
//!   refresh an import runs once it has committed; the incidents are written by SQL stamped
//!   as an import stamps them, and the first, full refresh before them is not timed).
//!
//! Targets: a draw under 100 ms, the queue refresh under 200 ms. The cold coverage read for
//! 20,000 people has its own benchmark: `cargo run --release -p mashboard-store --example
//! bench_coverage` (add `-- --pg` for PostgreSQL).

use crate::bench::{median, ms, verdict};
use crate::Global;
use anyhow::Result;
use clap::Args;
use mashboard_domain::audits::Period;
use mashboard_store::audit_trail::Actor;
use mashboard_store::audits::{self, NewAudit};
use mashboard_store::impact::bench_data::{self, BenchSpec};
use mashboard_store::reviews::{self, NewReview, Strata};
use mashboard_store::{accounts, now_text, queue, Store};
use std::process::ExitCode;
use std::time::Instant;
use time::macros::date;

#[derive(Args, Debug)]
pub struct BenchQueriesArgs {
    /// How many incidents to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub incidents: u64,
    /// How many referrals to generate (the stratified review's frame).
    #[arg(long, default_value_t = 1_000_000)]
    pub referrals: u64,
    /// Times each figure is measured (the median is printed).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// On PostgreSQL, VACUUM the register after filling it, before timing: the state
    /// autovacuum leaves within a minute or so of a bulk load. Without it the draws run
    /// straight after the load, when PostgreSQL must still visit the table for each index
    /// entry a draw reads (the pages are not yet marked all-visible).
    #[arg(long)]
    pub settle: bool,
}

const DRAW_TARGET_MS: f64 = 100.0;
const REFRESH_TARGET_MS: f64 = 200.0;
const NEW_INCIDENTS: usize = 10_000;

/// The median time of `repeat` new audits of 200 over `period`, and the frame's size.
async fn time_audits(
    store: &Store,
    actor: &Actor,
    owner: i64,
    period: Period,
    repeat: usize,
) -> Result<(f64, u64)> {
    let mut times = Vec::new();
    let mut frame = 0;
    for i in 0..repeat.max(1) {
        let started = Instant::now();
        let drawn = audits::create(
            store,
            actor,
            &NewAudit {
                title: String::new(),
                period,
                sample_size: 200,
                seed: Some(20260401 + i as u64),
                owner_user_id: owner,
            },
        )
        .await?;
        times.push(ms(started.elapsed()));
        anyhow::ensure!(
            drawn.sample.len() == 200,
            "the audit drew {}",
            drawn.sample.len()
        );
        frame = drawn.frame_size;
    }
    Ok((median(times), frame))
}

pub async fn run(g: &Global, args: &BenchQueriesArgs) -> Result<ExitCode> {
    let (_temp, _url, store) = crate::bench::bench_store(g, "bench-queries").await?;
    let started = Instant::now();
    bench_data::generate(
        &store,
        &BenchSpec {
            incidents: args.incidents,
            referrals: args.referrals,
            officers: 5_000,
            queue: 0,
        },
        &|what| println!("  {:>7.1} s  {what}", started.elapsed().as_secs_f64()),
    )
    .await?;
    println!(
        "Filled (not timed): {} incidents, {} referrals in {:.1} s",
        args.incidents,
        args.referrals,
        started.elapsed().as_secs_f64()
    );
    if args.settle && store.backend() == mashboard_store::Backend::Postgres {
        let started = Instant::now();
        // Outside any transaction, by the simple protocol (VACUUM cannot be prepared into one).
        sqlx::Executor::execute(store.pool(), "VACUUM (ANALYZE) incidents, referrals").await?;
        println!(
            "Settled (not timed): VACUUM (ANALYZE) of incidents and referrals in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let account = accounts::create(
        &store,
        &Actor::system(),
        accounts::NewAccount {
            username: "bench-trainer",
            roles: &[mashboard_domain::Role::MashTrainer],
            staff_number: None::<&mashboard_domain::people::StaffNumber>,
            password: None,
        },
    )
    .await?;
    let actor = Actor::user(account.id, &account.username);

    // Audit draws: simple random samples of incidents.
    let all = Period::new(date!(2019 - 01 - 01), date!(2024 - 12 - 31))
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let (t, frame) = time_audits(&store, &actor, account.id, all, args.repeat).await?;
    println!(
        "audit draw, 200 of every incident ({frame}): median {t:.1} ms: {} ({DRAW_TARGET_MS} ms)",
        verdict(t, DRAW_TARGET_MS)
    );
    let two_months = Period::new(date!(2024 - 05 - 01), date!(2024 - 06 - 30))
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let (t, frame) = time_audits(&store, &actor, account.id, two_months, args.repeat).await?;
    println!(
        "audit draw, 200 of May and June 2024 ({frame}): median {t:.1} ms: {} ({DRAW_TARGET_MS} ms)",
        verdict(t, DRAW_TARGET_MS)
    );

    // Review draws: stratified by subject type, over every referral.
    let mut times = Vec::new();
    let mut frame = 0;
    for i in 0..args.repeat.max(1) {
        let started = Instant::now();
        let drawn = reviews::create(
            &store,
            &actor,
            account.id,
            &NewReview {
                title: String::new(),
                period_start: "2019-01-01".into(),
                period_end: "2024-12-31".into(),
                sample_size: 200,
                strata: Strata::SubjectType,
                seed: Some(7 + i as u64),
            },
        )
        .await?;
        times.push(ms(started.elapsed()));
        anyhow::ensure!(
            drawn.sample.len() == 200,
            "the review drew {}",
            drawn.sample.len()
        );
        frame = drawn.frame_size;
    }
    let t = median(times);
    println!(
        "review draw, 200 of every referral ({frame}) stratified by subject type: median {t:.1} ms: {} ({DRAW_TARGET_MS} ms)",
        verdict(t, DRAW_TARGET_MS)
    );

    // The queue: one full refresh (not timed), then 10,000 new incidents, then the refresh an
    // import runs after it commits.
    let started = Instant::now();
    let first = queue::refresh(&store, time::OffsetDateTime::now_utc()).await?;
    println!(
        "queue, first (full) refresh, not a target: {:.1} ms ({} added)",
        ms(started.elapsed()),
        first.added
    );
    new_incidents(&store, NEW_INCIDENTS).await?;
    let started = Instant::now();
    let after = queue::refresh(&store, time::OffsetDateTime::now_utc()).await?;
    let t = ms(started.elapsed());
    println!(
        "queue refresh after {NEW_INCIDENTS} new incidents ({} added): {t:.1} ms: {} ({REFRESH_TARGET_MS} ms)",
        after.added,
        verdict(t, REFRESH_TARGET_MS)
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `n` incidents reported in December 2024 with children involved and no referral, stamped as
/// an import stamps them (imported and updated now), written in one transaction.
async fn new_incidents(store: &Store, n: usize) -> Result<()> {
    let now = now_text();
    let mut tx = store.begin().await?;
    const PER: usize = 500;
    for chunk in (0..n).collect::<Vec<_>>().chunks(PER) {
        let mut sql = String::from(
            "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, adult_at_risk,
                domestic_abuse, officer_staff_number, department, imported_at, updated_at) VALUES ",
        );
        for (j, _) in chunk.iter().enumerate() {
            if j > 0 {
                sql.push(',');
            }
            let b = j * 3;
            sql.push_str(&format!(
                "(${}, ${}, 'Domestic incident', 'North', 1, 0, 1, '', 'Response', ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 3
            ));
        }
        let mut q = sqlx::query(&sql);
        for &i in chunk {
            q = q
                .bind(format!("NEW-{i:06}"))
                .bind(format!(
                    "2024-12-{:02}T{:02}:{:02}:00",
                    1 + i % 10,
                    i % 24,
                    i % 60
                ))
                .bind(now.clone());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
