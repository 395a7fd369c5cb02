//! `mashboard bench-impact` (hidden): fills a new database with a large made-up register
//! (10,000,000 incidents, 2,000,000 referrals with their partner decisions, 5,000 officers and a
//! missing-referral queue by default; `mashboard_store::impact::bench_data`, bulk SQL on a
//! connection of its own with the register's secondary indexes dropped and built again after
//! the load, not the import; it prints the rate), counts the dashboard's roll-ups once, then
//! times the impact dashboard (the first request on a new connection, which estimates the
//! training effect, and the median of later ones) force-wide, for a department and for a line
//! manager's team, recording one partner decision (which moves its referral's roll-up rows in
//! its transaction), and the training effect alone over 200,000 referrals and 5,000 officers.
//! Prints each figure beside its target.
//!
//! `--db` chooses the database (a new, empty one: SQLite or PostgreSQL); without it, a new
//! SQLite file in a temporary directory. `--reuse` times an existing benchmark database again
//! without filling it.

use crate::bench::{median, ms, verdict};
use crate::Global;
use anyhow::{bail, Result};
use clap::Args;
use mashboard_domain::impact::dashboard::{self, EffectRow, TrainerKind};
use mashboard_domain::impact::ChartKind;
use mashboard_domain::outcomes::{Outcome, Source};
use mashboard_store::audit_trail::Actor;
use mashboard_store::impact::bench_data::{self, BenchSpec};
use mashboard_store::impact::{self, Filter, Scope};
use mashboard_store::outcomes::{self, NewOutcome};
use mashboard_store::{DbUrl, Store};
use std::process::ExitCode;
use std::time::Instant;
use time::macros::date;
use time::Date;

#[derive(Args, Debug)]
pub struct BenchImpactArgs {
    /// How many incidents to generate.
    #[arg(long, default_value_t = 10_000_000)]
    pub incidents: u64,
    /// How many referrals to generate (each with a partner decision, but one in twenty).
    #[arg(long, default_value_t = 2_000_000)]
    pub referrals: u64,
    /// How many officers.
    #[arg(long, default_value_t = 5_000)]
    pub officers: u64,
    /// Items on the missing-referral queue.
    #[arg(long, default_value_t = 20_000)]
    pub queue: u64,
    /// Referrals in the training-effect timing (the estimate alone).
    #[arg(long, default_value_t = 200_000)]
    pub effect_referrals: usize,
    /// Times each warm figure is measured (the median is printed).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Time a database already filled by an earlier run instead of filling a new one.
    #[arg(long)]
    pub reuse: bool,
}

/// The benchmark's "today": mid-month, so the dashboard's default period ends inside a month.
const TODAY: Date = date!(2024 - 12 - 15);
const DASHBOARD_TARGET_MS: f64 = 200.0;
const EFFECT_TARGET_MS: f64 = 2000.0;

/// One dashboard request's time.
async fn dashboard_once(store: &Store, f: &Filter) -> Result<f64> {
    let started = Instant::now();
    let d = impact::dashboard(store, f, "FL-PPN", ChartKind::P, TODAY).await?;
    std::hint::black_box(&d);
    Ok(ms(started.elapsed()))
}

/// The first request on a new connection (the training effect not yet kept), then the median
/// of `repeat` more.
async fn time_dashboard(url: &DbUrl, name: &str, f: &Filter, repeat: usize) -> Result<()> {
    let store = Store::open(url).await?;
    let cold = dashboard_once(&store, f).await?;
    let mut warm = Vec::new();
    for _ in 0..repeat.max(1) {
        warm.push(dashboard_once(&store, f).await?);
    }
    let warm = median(warm);
    println!(
        "dashboard, {name:<34} first {cold:>9.1} ms (estimates the training effect); then median {warm:>7.1} ms: {} ({DASHBOARD_TARGET_MS} ms)",
        verdict(warm, DASHBOARD_TARGET_MS)
    );
    time_sections(&store, f, repeat).await?;
    store.close().await;
    Ok(())
}

/// The median time of each part of a later dashboard request (the store's series one by one,
/// the quarters and coverage as counted and as the dashboard reads them, kept per data version,
/// the queue over time as the dashboard reads it and as counted from the items, the kept
/// training effect, and the charts and rules worked out from the series), so that the
/// slow part is measured, not guessed.
async fn time_sections(store: &Store, f: &Filter, repeat: usize) -> Result<()> {
    let mut times: Vec<(&str, Vec<f64>)> = [
        "audits",
        "reviews",
        "quarters (roll-ups)",
        "coverage",
        "quarters and coverage (kept per data version)",
        "queue (day counts)",
        "queue (counted from the items)",
        "training effect (kept)",
        "charts and rules",
    ]
    .into_iter()
    .map(|n| (n, Vec::new()))
    .collect();
    for _ in 0..repeat.max(1) {
        let mut i = 0;
        let mut lap = |started: Instant, times: &mut Vec<(&str, Vec<f64>)>| {
            times[i].1.push(ms(started.elapsed()));
            i += 1;
        };
        let t = Instant::now();
        let audits = impact::audit_periods(store, f).await?;
        lap(t, &mut times);
        let t = Instant::now();
        let reviews = impact::review_periods(store, f).await?;
        lap(t, &mut times);
        let t = Instant::now();
        let quarters = impact::quarters(store, f).await?;
        lap(t, &mut times);
        let t = Instant::now();
        let coverage = impact::coverage(store, f, "FL-PPN").await?;
        lap(t, &mut times);
        let t = Instant::now();
        std::hint::black_box(impact::kept_counts(store, f, "FL-PPN").await?);
        lap(t, &mut times);
        let t = Instant::now();
        let queue = impact::queue(store, f, TODAY).await?;
        lap(t, &mut times);
        let t = Instant::now();
        std::hint::black_box(impact::queue_live(store, f, TODAY).await?);
        lap(t, &mut times);
        let t = Instant::now();
        let effect = impact::effect(store, f, "FL-PPN").await?;
        lap(t, &mut times);
        let t = Instant::now();
        let series = dashboard::Series {
            audits,
            reviews,
            quarters,
            coverage,
            queue,
        };
        let d = dashboard::figures(
            f.from,
            f.to,
            f.department(),
            "FL-PPN",
            &series,
            &[],
            ChartKind::P,
        );
        std::hint::black_box((&d, &effect));
        lap(t, &mut times);
    }
    let parts: Vec<String> = times
        .into_iter()
        .map(|(n, t)| format!("{n} {:.1}", median(t)))
        .collect();
    println!("    sections (median ms): {}", parts.join(", "));
    Ok(())
}

/// Effect rows like the benchmark register's: `n` referrals by `officers` officers over 2019–2024,
/// three departments of four trained six months apart.
fn effect_rows(n: usize, officers: usize) -> Vec<EffectRow> {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let start = date!(2019 - 01 - 01);
    (0..n)
        .map(|i| {
            let officer = (i % officers) as i64;
            let day = (next() % (6 * 365)) as i64;
            let submitted_on = start + time::Duration::days(day);
            let trained_on = (officer % 4 < 3).then(|| {
                start + time::Duration::days(3 * 365 + (officer % 4) * 182 + officer % 28)
            });
            let treated = trained_on.is_some_and(|t| submitted_on >= t);
            let threshold = if treated { 150 } else { 250 };
            EffectRow {
                officer_id: officer,
                submitted_on,
                outcome: next() % 1000 < threshold,
                trained_on,
                trainer_kind: trained_on.map(|_| {
                    if officer % 2 == 0 {
                        TrainerKind::MashTeam
                    } else {
                        TrainerKind::OtherTrainer
                    }
                }),
            }
        })
        .collect()
}

pub async fn run(g: &Global, args: &BenchImpactArgs) -> Result<ExitCode> {
    let (_temp, url, store) = crate::bench::bench_store(g, "bench-impact").await?;
    if !args.reuse {
        let spec = BenchSpec {
            incidents: args.incidents,
            referrals: args.referrals,
            officers: args.officers,
            queue: args.queue,
        };
        let started = Instant::now();
        bench_data::generate(&store, &spec, &|what| {
            println!("  {:>7.1} s  {what}", started.elapsed().as_secs_f64())
        })
        .await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "Filled: {} incidents, {} referrals, {} officers, {} queue items in {secs:.1} s ({:.0} incidents and referrals a second)",
            args.incidents,
            args.referrals,
            args.officers,
            args.queue,
            (args.incidents + args.referrals) as f64 / secs.max(1e-9)
        );
        let started = Instant::now();
        impact::rebuild_rollups(&store).await?;
        println!(
            "Roll-ups counted from scratch in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let (referrals, incidents): (i64, i64) = impact::bench_data::sizes(&store).await?;
    if referrals == 0 {
        bail!("the database holds no referrals: run without --reuse to fill it");
    }
    println!("Timing over {incidents} incidents and {referrals} referrals:");
    store.close().await;

    let default_period = Filter {
        from: date!(2020 - 01 - 01),
        to: TODAY,
        scope: Scope::Force,
    };
    time_dashboard(
        &url,
        "force, 2020 to mid-December 2024",
        &default_period,
        args.repeat,
    )
    .await?;
    let whole = Filter {
        from: date!(2019 - 01 - 01),
        to: date!(2024 - 12 - 31),
        scope: Scope::Force,
    };
    time_dashboard(&url, "force, all six years", &whole, args.repeat).await?;
    let dept = Filter {
        scope: Scope::Department("Response".into()),
        ..default_period.clone()
    };
    time_dashboard(&url, "department, 2020 to mid-December", &dept, args.repeat).await?;
    let store = Store::open(&url).await?;
    let manager = impact::bench_data::a_line_manager(&store).await?;
    store.close().await;
    if let Some(manager) = manager {
        let team = Filter {
            scope: Scope::Team(manager),
            ..default_period.clone()
        };
        time_dashboard(
            &url,
            "a team of ten, 2020 to mid-December",
            &team,
            args.repeat,
        )
        .await?;
    }

    // A partner decision recorded on the page: its referral's roll-up rows move (old decision
    // out, new in) in its transaction; the next dashboard estimates the training effect again.
    let store = Store::open(&url).await?;
    let mut times = Vec::new();
    for (i, outcome) in [Outcome::NoFurtherAction, Outcome::AcceptedAssessment]
        .into_iter()
        .cycle()
        .take(args.repeat.max(1))
        .enumerate()
    {
        let started = Instant::now();
        outcomes::record(
            &store,
            &Actor::cli(),
            &NewOutcome {
                referral_ref: format!("PPN-{}", 20 * (i + 1)),
                partner: "Health".into(),
                outcome,
                reason: String::new(),
                decided_at: "2025-01-02".into(),
                source: Source::Mash,
            },
        )
        .await?;
        times.push(ms(started.elapsed()));
    }
    println!(
        "recording one partner decision (with its roll-up rows): median {:.1} ms",
        median(times)
    );
    store.close().await;

    // The training effect alone: the estimate, the event study and the split by trainer.
    let rows = effect_rows(args.effect_referrals, args.officers as usize);
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let e = dashboard::effect("FL-PPN", &rows);
        std::hint::black_box(&e);
        times.push(ms(started.elapsed()));
        if e.effect.estimate.is_none() {
            bail!("the benchmark panel gave no estimate: {:?}", e.none_because);
        }
    }
    let t = median(times);
    println!(
        "training effect over {} referrals and {} officers (with event study and by trainer): median {t:.0} ms: {} ({EFFECT_TARGET_MS} ms)",
        args.effect_referrals,
        args.officers,
        verdict(t, EFFECT_TARGET_MS)
    );
    Ok(ExitCode::SUCCESS)
}
