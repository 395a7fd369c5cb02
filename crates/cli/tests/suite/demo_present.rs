//! `mashboard demo` lives in the present: seeded today, on either database, the audits page's
//! default period is the open audit's and has incidents, the missing-referral queue has items
//! from the last days, this year's partner exchange is not empty, the MASH trainer's own training
//! is current, demo-partner belongs to an agency, and the reviews and audits carry their own
//! dates rather than the seeding day's.

use crate::common::databases;
use mashboard_domain::audits::Period;
use mashboard_domain::demo::DEMO_PARTNER_AGENCY;
use mashboard_domain::demo_quality::{
    date, demo_quality, iso, PUBLISHED_COMPLIANCE, PUBLISHED_REVIEWS,
};
use mashboard_domain::training::ItemStatus;
use mashboard_domain::training_seed::TRAINER_STAFF_NUMBER;
use mashboard_store::{accounts, audits, partners, people, reviews, DbUrl, Store};
use std::process::{Command, Stdio};
use time::Duration;

#[tokio::test]
async fn the_demo_is_seeded_relative_to_today() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_mashboard"))
            .args(["demo", "--db", &db, "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut ready = false;
        for _ in 0..900 {
            if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/readyz")).await {
                if r.status().is_success() {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        let out = child.wait_with_output().unwrap();
        assert!(ready, "demo did not become ready on {db}");
        assert!(out.status.success());
        check(&db).await;
    }
}

async fn check(db: &str) {
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    let today = mashboard_store::training::today();
    let today_text = iso(today);

    // One published evaluation report, with the published reviews and yearly compliance in it.
    let reports = mashboard_store::evaluation::list(&store).await.unwrap();
    assert_eq!(reports.len(), 1, "{db}");
    assert!(reports[0].is_published());
    assert!(
        reports[0].report.reviews.len() >= 6,
        "{:?}",
        reports[0].report.reviews
    );
    assert!(reports[0].report.years.iter().any(|y| y.year == 2022));

    // The audits page offers the last two months; the open audit is that period, drawn from
    // incidents that are there.
    let default = Period::last_two_months(today);
    let viewer = audits::Viewer {
        user_id: 0,
        sees_all: true,
    };
    let list = audits::list(&store, &viewer).await.unwrap();
    let open: Vec<_> = list.iter().filter(|a| a.status == "open").collect();
    assert_eq!(open.len(), 1, "{db}");
    assert_eq!(open[0].period_start, iso(default.start), "{db}");
    assert_eq!(open[0].period_end, iso(default.end), "{db}");
    assert!(open[0].sample_size >= 30, "{db}");
    assert!(list.iter().all(|a| !a.created_at.starts_with(&today_text)));
    let summary = audits::summary(
        &store,
        &Period::new(default.start - Duration::days(400), today).unwrap(),
    )
    .await
    .unwrap();
    assert!(
        summary.overall.examined >= 200,
        "{db}: the last year was audited"
    );

    // The queue has open items for incidents of the last days.
    let (total, items) = mashboard_store::queue::open_items(&store, 1000, 0)
        .await
        .unwrap();
    assert!(total > 0, "{db}");
    let recent = iso(today - Duration::days(5));
    assert!(
        items
            .iter()
            .any(|i| i.reported_at.as_str() >= recent.as_str()),
        "{db}: nothing on the queue since {recent}"
    );

    // This year's partner exchange has sessions both ways.
    let (_, exchange) = partners::exchange(&store, today.year()).await.unwrap();
    assert!(exchange.to_partners.sessions > 0 || today.month() < time::Month::May);
    assert!(exchange.from_partners.sessions > 0, "{db}");

    // The MASH trainer's own training: nothing overdue or expired.
    let trainer = people::all(&store)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.staff_number == TRAINER_STAFF_NUMBER)
        .unwrap();
    let plan = mashboard_store::training::plans::plan_of(&store, trainer.id, today)
        .await
        .unwrap();
    assert!(!plan.is_empty());
    for item in &plan {
        assert!(
            !matches!(item.state.status, ItemStatus::Overdue | ItemStatus::Expired),
            "{db}: the trainer's {} is {:?}",
            item.module_code,
            item.state.status
        );
    }

    // demo-partner belongs to a partner agency.
    let partner = accounts::by_username(&store, "demo-partner")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        accounts::partner_agency(&store, partner.id).await.unwrap(),
        Some(DEMO_PARTNER_AGENCY.to_string())
    );

    // Reviews carry their own dates; the latest closed one is the quarter before the open one.
    let all = reviews::list_all(&store).await.unwrap();
    assert!(all.iter().all(|r| !r.created_at.starts_with(&today_text)));
    let open: Vec<_> = all.iter().filter(|r| r.status == "grading").collect();
    assert_eq!(open.len(), 1, "{db}");
    let mut closed: Vec<_> = all.iter().filter(|r| r.status == "closed").collect();
    closed.sort_by(|a, b| a.period_start.cmp(&b.period_start));
    assert!(closed.len() > 6, "{db}");
    let last_end =
        mashboard_domain::people::parse_date(&closed.last().unwrap().period_end).unwrap();
    assert_eq!(iso(last_end.next_day().unwrap()), open[0].period_start);

    published_figures_on_their_dates(&store, db, today).await;
}

/// The force's published record, read back through the store, is where it always was: the first
/// six closed reviews are the published ones with their agreed-grade distributions, the audits
/// give the published yearly compliance, and the rest is the plan for `today`.
async fn published_figures_on_their_dates(store: &Store, db: &str, today: time::Date) {
    let plan = demo_quality(today);
    let all = reviews::list_all(store).await.unwrap();
    let mut closed: Vec<_> = all.iter().filter(|r| r.status == "closed").collect();
    closed.sort_by(|a, b| a.period_start.cmp(&b.period_start));
    assert_eq!(closed.len(), plan.reviews.len(), "{db}");
    for (r, published) in closed.iter().zip(PUBLISHED_REVIEWS) {
        assert!(r.title.starts_with(published.held), "{}", r.title);
        assert!(r.created_at.starts_with(&format!(
            "{}-{:02}",
            published.year,
            u8::from(published.month)
        )));
        let mut counts = [0usize; 4];
        for a in reviews::agreed(store, r.id).await.unwrap() {
            counts[a.grade as usize - 1] += 1;
        }
        assert_eq!(counts, published.counts, "{} on {db}", r.title);
        assert_eq!(
            reviews::grades(store, r.id).await.unwrap().len(),
            2 * counts.iter().sum::<usize>(),
            "two graders each"
        );
    }
    let open: Vec<_> = all.iter().filter(|r| r.status == "grading").collect();
    assert_eq!(open[0].period_start, iso(plan.open_review.period_start));
    assert_eq!(open[0].period_end, iso(plan.open_review.period_end));
    assert_eq!(reviews::panel(store, open[0].id).await.unwrap().len(), 2);
    // The senior leader has graded the open review; the partner reviewer has not.
    assert_eq!(
        reviews::grades(store, open[0].id).await.unwrap().len(),
        plan.open_review.sample.len()
    );

    for p in PUBLISHED_COMPLIANCE {
        let (fy, fm, fd) = p.from;
        let (ty, tm, td) = p.to;
        let period = Period::new(date(fy, fm, fd), date(ty, tm, td)).unwrap();
        let s = audits::summary(store, &period).await.unwrap().overall;
        let share = (s.compliance.unwrap() * 1000.0).round() / 10.0;
        assert_eq!(share, p.percent, "{} on {db}", p.label);
        assert_eq!(s.examined as usize, p.examined, "{}", p.label);
    }
    let viewer = audits::Viewer {
        user_id: 0,
        sees_all: true,
    };
    let list = audits::list(store, &viewer).await.unwrap();
    assert_eq!(
        list.iter().filter(|a| a.status == "closed").count(),
        plan.audits.len()
    );
}
