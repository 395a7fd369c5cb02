//! `mashboard bench-lists` (hidden): fills a new database with 1,000,000 incidents, 1,000,000
//! referrals (`mashboard_store::impact::bench_data`), 1,000,000 people and 1,000,000 audit
//! events (`mashboard_store::list_bench`), by bulk SQL, then times what the people, incidents,
//! referrals and audit trail pages read from the store on each load (the page of 50, the capped
//! count of matches, the register's capped size, the filters' choices): the first page, a page
//! 90% of the way in, the page before it, and with common filters (for the audit trail each of
//! its filters: a person, a record, dates, a rare and a common action). Each figure is the median of
//! `--repeat` loads, beside the 50 ms target; the old way (a full COUNT(*) and an OFFSET page at
//! the same depth) is printed for comparison.
//!
//! `--db` chooses the database (a new, empty one: SQLite or PostgreSQL); without it, a new
//! SQLite file in a temporary directory. `--reuse` times an existing benchmark database again.

use crate::bench::median;
use crate::Global;
use anyhow::{bail, Context, Result};
use clap::Args;
use mashboard_domain::access::PeopleScope;
use mashboard_store::audit_trail::{self, AuditFilter};
use mashboard_store::impact::bench_data::{self, BenchSpec};
use mashboard_store::keyset::PageStart;
use mashboard_store::list_bench::{self, LongList};
use mashboard_store::people::{self, PeopleQuery};
use mashboard_store::register::{self, IncidentQuery, ReferralQuery};
use mashboard_store::Store;
use std::future::Future;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct BenchListsArgs {
    /// Rows in each list (incidents, referrals, people).
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Loads timed per figure (the median is printed).
    #[arg(long, default_value_t = 7)]
    pub repeat: usize,
    /// Time a database already filled by an earlier run instead of filling a new one.
    #[arg(long)]
    pub reuse: bool,
}

const TARGET_MS: f64 = 50.0;
const PER_PAGE: i64 = 50;

/// Times `load` `repeat` times (after one untimed warm-up) and prints the median.
async fn time<F, Fut>(label: &str, repeat: usize, load: F) -> Result<f64>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<usize>>,
{
    let shown = load().await?;
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        std::hint::black_box(load().await?);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let t = median(times);
    println!(
        "  {label:<46} {t:>8.1} ms  ({shown} rows)  {}",
        if t < TARGET_MS {
            "under target"
        } else {
            "OVER TARGET"
        }
    );
    Ok(t)
}

/// Everything the people page reads from the store.
async fn people_load(store: &Store, q: &PeopleQuery, start: &PageStart) -> Result<usize> {
    let page = people::page(store, q, PeopleScope::All, start, PER_PAGE).await?;
    people::count_matching(store, q, PeopleScope::All).await?;
    people::facets(store).await?;
    Ok(page.rows.len())
}

/// Everything the incidents page reads from the store.
async fn incidents_load(store: &Store, q: &IncidentQuery, start: &PageStart) -> Result<usize> {
    let page = register::incidents_page(store, q, start, PER_PAGE).await?;
    register::incidents_count(store, q).await?;
    if *q != IncidentQuery::default() {
        register::incidents_count(store, &IncidentQuery::default()).await?;
    }
    register::areas(store).await?;
    Ok(page.rows.len())
}

/// Everything the referrals page reads from the store.
async fn referrals_load(store: &Store, q: &ReferralQuery, start: &PageStart) -> Result<usize> {
    let page = register::referrals_page(store, q, start, PER_PAGE).await?;
    register::referrals_count(store, q).await?;
    if *q != ReferralQuery::default() {
        register::referrals_count(store, &ReferralQuery::default()).await?;
    }
    register::partners(store).await?;
    Ok(page.rows.len())
}

/// What the audit trail page reads from the store (one page; it counts nothing).
async fn trail_load(store: &Store, f: &AuditFilter, start: &PageStart) -> Result<usize> {
    Ok(audit_trail::page(store, f, PER_PAGE, start)
        .await?
        .rows
        .len())
}

/// The old way at depth `offset`: a full COUNT(*) and an OFFSET page.
async fn old_load(store: &Store, list: LongList, offset: i64) -> Result<usize> {
    list_bench::size(store, list).await?;
    Ok(list_bench::offset_page(store, list, offset).await?)
}

async fn deep(store: &Store, list: LongList, size: i64) -> Result<(i64, String)> {
    let at = size * 9 / 10;
    let r = list_bench::reference_at(store, list, at)
        .await?
        .context("the list is empty")?;
    Ok((at, r))
}

pub async fn run(g: &Global, args: &BenchListsArgs) -> Result<ExitCode> {
    let (_temp, _url, store) = crate::bench::bench_store(g, "bench-lists").await?;
    if !args.reuse {
        let started = Instant::now();
        let spec = BenchSpec {
            incidents: args.rows,
            referrals: args.rows,
            officers: 5_000,
            queue: 1_000,
        };
        bench_data::generate(&store, &spec, &|what| {
            println!("  {:>7.1} s  {what}", started.elapsed().as_secs_f64())
        })
        .await?;
        list_bench::add_people(&store, args.rows).await?;
        list_bench::add_audit_events(&store, args.rows).await?;
        println!(
            "Filled: {} incidents, {} referrals, {} people (and 5,000 officers), {} audit events in {:.1} s",
            args.rows,
            args.rows,
            args.rows,
            args.rows,
            started.elapsed().as_secs_f64()
        );
    }
    let r = args.repeat;
    let mut worst: f64 = 0.0;

    let n = list_bench::size(&store, LongList::People).await?;
    if n == 0 {
        bail!("the database holds no people: run without --reuse to fill it");
    }
    let (at, sn) = deep(&store, LongList::People, n).await?;
    println!("People ({n} in the directory; the deep page starts after row {at}, {sn}):");
    let all = PeopleQuery::default();
    let dept = PeopleQuery {
        department: "Department 7".into(),
        ..Default::default()
    };
    for (label, q, start) in [
        ("first page", &all, PageStart::First),
        ("deep page (next)", &all, PageStart::After(sn.clone())),
        ("deep page (previous)", &all, PageStart::Before(sn.clone())),
        ("one department, first page", &dept, PageStart::First),
        (
            "one department, deep page",
            &dept,
            PageStart::After(sn.clone()),
        ),
    ] {
        let t = time(label, r, || people_load(&store, q, &start)).await?;
        worst = worst.max(t);
    }
    time("the filters' choices alone", r, || async {
        let f = people::facets(&store).await?;
        Ok(f.departments.len() + f.teams.len() + f.ranks.len() + f.cohorts.len())
    })
    .await?;
    time("old way: COUNT(*) and OFFSET at the same depth", r, || {
        old_load(&store, LongList::People, at)
    })
    .await?;

    let n = list_bench::size(&store, LongList::Incidents).await?;
    let (at, inc) = deep(&store, LongList::Incidents, n).await?;
    println!("Incidents ({n} in the register; the deep page starts after row {at}, {inc}):");
    let all = IncidentQuery::default();
    let officer = IncidentQuery {
        officer: "O100007".into(),
        ..Default::default()
    };
    let month = IncidentQuery {
        from: "2021-06-01".into(),
        to: "2021-06-30".into(),
        flag: "children".into(),
        ..Default::default()
    };
    for (label, q, start) in [
        ("first page", &all, PageStart::First),
        ("deep page (next)", &all, PageStart::After(inc.clone())),
        ("deep page (previous)", &all, PageStart::Before(inc.clone())),
        ("one officer, first page", &officer, PageStart::First),
        (
            "a month, children involved, first page",
            &month,
            PageStart::First,
        ),
    ] {
        let t = time(label, r, || incidents_load(&store, q, &start)).await?;
        worst = worst.max(t);
    }
    time("old way: COUNT(*) and OFFSET at the same depth", r, || {
        old_load(&store, LongList::Incidents, at)
    })
    .await?;

    let n = list_bench::size(&store, LongList::Referrals).await?;
    let (at, ppn) = deep(&store, LongList::Referrals, n).await?;
    println!("Referrals ({n} in the register; the deep page starts after row {at}, {ppn}):");
    let all = ReferralQuery::default();
    let partner = ReferralQuery {
        partner: "Adult social care".into(),
        ..Default::default()
    };
    let officer = ReferralQuery {
        officer: "O100007".into(),
        ..Default::default()
    };
    for (label, q, start) in [
        ("first page", &all, PageStart::First),
        ("deep page (next)", &all, PageStart::After(ppn.clone())),
        ("deep page (previous)", &all, PageStart::Before(ppn.clone())),
        ("one partner, first page", &partner, PageStart::First),
        (
            "one partner, deep page",
            &partner,
            PageStart::After(ppn.clone()),
        ),
        ("one officer, first page", &officer, PageStart::First),
    ] {
        let t = time(label, r, || referrals_load(&store, q, &start)).await?;
        worst = worst.max(t);
    }
    time("old way: COUNT(*) and OFFSET at the same depth", r, || {
        old_load(&store, LongList::Referrals, at)
    })
    .await?;
    let n = audit_trail::page(&store, &AuditFilter::default(), 1, &PageStart::First)
        .await?
        .rows
        .first()
        .map_or(0, |e| e.id);
    if n > 0 {
        // A deep start: the event nine tenths of the way back (ids count up from 1).
        let deep_id = (n / 10).max(1).to_string();
        println!("Audit trail ({n} events; the deep page starts after event {deep_id}):");
        let filter = |actor: &str, action: &str, key: &str, from: &str, to: &str| AuditFilter {
            actor: actor.into(),
            action: action.into(),
            entity_key: key.into(),
            from: from.into(),
            to: to.into(),
        };
        for (label, f, start) in [
            ("first page", filter("", "", "", "", ""), PageStart::First),
            (
                "deep page (next)",
                filter("", "", "", "", ""),
                PageStart::After(deep_id.clone()),
            ),
            (
                "deep page (previous)",
                filter("", "", "", "", ""),
                PageStart::Before(deep_id.clone()),
            ),
            (
                "one person (actor)",
                filter("User7", "", "", "", ""),
                PageStart::First,
            ),
            (
                "one record",
                filter("", "", "p1000123", "", ""),
                PageStart::First,
            ),
            (
                "one day, two years back",
                filter("", "", "", "2022-03-03", "2022-03-03"),
                PageStart::First,
            ),
            (
                "up to a date four years back",
                filter("", "", "", "", "2021-01-01"),
                PageStart::First,
            ),
            (
                "one person, one year back",
                filter("user7", "", "", "2023-01-01", "2023-12-31"),
                PageStart::First,
            ),
            (
                "a rare action (1 in 10,000)",
                filter("", "account.disable", "", "", ""),
                PageStart::First,
            ),
            (
                "a rare action, deep page",
                filter("", "account.disable", "", "", ""),
                PageStart::After(deep_id.clone()),
            ),
            (
                "a common action prefix",
                filter("", "Person.", "", "", ""),
                PageStart::First,
            ),
            (
                "a rare action in one year",
                filter("", "account.", "", "2022-01-01", "2022-12-31"),
                PageStart::First,
            ),
            (
                "an action one person never did (all theirs read)",
                filter("user7", "person.update", "", "", ""),
                PageStart::First,
            ),
        ] {
            let t = time(label, r, || trail_load(&store, &f, &start)).await?;
            worst = worst.max(t);
        }
    }
    println!(
        "Slowest page load: {worst:.1} ms ({})",
        if worst < TARGET_MS {
            "every one under the 50 ms target"
        } else {
            "OVER the 50 ms target"
        }
    );
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
