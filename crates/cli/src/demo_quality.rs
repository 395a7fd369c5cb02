//! Demo referral quality history: writes `mashboard_domain::demo_quality` into the database
//! through the register import, the review workflow and the compliance audits, as the force's
//! staff would have: the trainer opens each review, the panel (demo-leader, demo-partner) grades
//! and submits, the trainer records the agreed grades and closes it; demo-auditor records every
//! finding of each bi-monthly audit and closes it.

use anyhow::{anyhow, bail, Context, Result};
use mashboard_domain::audits::Period;
use mashboard_domain::demo_quality::{
    demo_quality, iso, PlannedAudit, PlannedGrade, PlannedReview,
};
use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_store::accounts;
use mashboard_store::audit_trail::Actor;
use mashboard_store::audits::{self, FindingInput, NewAudit, Viewer};
use mashboard_store::reviews::{self, NewGrade, NewReview, Strata};
use mashboard_store::Store;
use mashboard_store::{queue, register};
use std::collections::HashMap;
use time::{Date, Duration, PrimitiveDateTime, Time};

const TRAINER: &str = "demo-trainer";
const LEADER: &str = "demo-leader";
const PARTNER: &str = "demo-partner";
const AUDITOR: &str = "demo-auditor";
const MASH: &str = "demo-mash";
/// Queue items for incidents in the last this many days stay open: the MASH has worked through
/// the older ones.
const QUEUE_OPEN_DAYS: i64 = 21;

/// Storage text for a day at a time of day (UTC).
fn instant(day: Date, hour: u8) -> String {
    mashboard_store::instant_text(
        PrimitiveDateTime::new(day, Time::from_hms(hour, 0, 0).expect("an hour")).assume_utc(),
    )
}

/// Between two days: when a panel graded or an auditor recorded findings.
fn midway(a: Date, b: Date) -> Date {
    a + Duration::days((b - a).whole_days() / 2)
}

async fn user(store: &Store, username: &str) -> Result<Actor> {
    let a = accounts::by_username(store, username)
        .await?
        .ok_or_else(|| anyhow!("the demo account {username} is missing"))?;
    Ok(Actor::user(a.id, &a.username))
}

/// Seeds the history once, as it stands on `today`: a database that already has a review or an
/// audit is left alone.
pub async fn seed(store: &Store, today: Date) -> Result<()> {
    if !reviews::list_all(store).await?.is_empty() {
        return Ok(());
    }
    let all = Viewer {
        user_id: 0,
        sees_all: true,
    };
    if !audits::list(store, &all).await?.is_empty() {
        return Ok(());
    }
    let history = demo_quality(today);
    let system = Actor::system();
    // Referrals before incidents (exports arrive in any order): the missing-referral check that
    // follows each import then sees each incident with its referral already on the register.
    for kind in [
        RegisterKind::Referrals,
        RegisterKind::Incidents,
        RegisterKind::ReferralPeople,
        RegisterKind::Outcomes,
    ] {
        let bytes = history.csv(kind);
        let reader = RegisterReader::new(kind, std::io::Cursor::new(bytes))
            .map_err(|e| anyhow!("reading the demo {kind} file: {e:?}"))?;
        let file = format!("demo-{}.csv", kind.cli_name());
        let report = register::import(store, &system, reader, &file, false).await?;
        if report.rejected() {
            bail!(
                "the demo {kind} file was refused: {:?}",
                report.errors.first()
            );
        }
    }

    work_the_queue(store, today).await?;

    let trainer = user(store, TRAINER).await?;
    let leader = user(store, LEADER).await?;
    let partner = user(store, PARTNER).await?;
    let auditor = user(store, AUDITOR).await?;
    reviews::ensure_rubric(store).await?;
    let criteria: HashMap<String, i64> = reviews::rubric(store)
        .await?
        .into_iter()
        .map(|c| (c.code, c.id))
        .collect();
    let to_new = |referral_ref: &str, g: &PlannedGrade| -> NewGrade {
        NewGrade {
            referral_ref: referral_ref.to_string(),
            grade: i64::from(g.grade),
            comment: g.comment.clone(),
            scores: g
                .scores
                .iter()
                .filter_map(|(code, s)| {
                    criteria
                        .get(*code)
                        .map(|id| (*id, mashboard_domain::reviews::CriterionScore::Score(*s)))
                })
                .collect(),
        }
    };

    for planned in &history.reviews {
        let id = open_review(store, &trainer, planned).await?;
        for item in &planned.items {
            for (grader, g) in [&leader, &partner].into_iter().zip(&item.graders) {
                let gid = grader.user_id.expect("a user");
                reviews::grade(store, grader, id, gid, &to_new(&item.referral_ref, g))
                    .await
                    .with_context(|| {
                        format!("grading {} in {}", item.referral_ref, planned.title)
                    })?;
            }
        }
        for grader in [&leader, &partner] {
            reviews::submit(store, grader, id, grader.user_id.expect("a user")).await?;
        }
        reviews::set_status(store, &trainer, id, "moderation").await?;
        for item in &planned.items {
            reviews::set_agreed(
                store,
                &trainer,
                id,
                &to_new(&item.referral_ref, &item.agreed),
            )
            .await?;
        }
        reviews::set_status(store, &trainer, id, "closed").await?;
        let closed = planned.closed_on.unwrap_or(planned.opened_on);
        reviews::set_history_dates(
            store,
            &trainer,
            id,
            &instant(planned.opened_on, 9),
            &instant(midway(planned.opened_on, closed), 14),
            Some(&instant(closed, 16)),
        )
        .await?;
    }
    // The last completed quarter's review: drawn, the panel set, the senior leader's grades
    // submitted, the partner reviewer's still to come.
    let open = &history.open_review;
    let id = open_review(store, &trainer, open).await?;
    let leader_id = leader.user_id.expect("a user");
    for item in &open.items {
        reviews::grade(
            store,
            &leader,
            id,
            leader_id,
            &to_new(&item.referral_ref, &item.graders[0]),
        )
        .await
        .with_context(|| format!("grading {} in {}", item.referral_ref, open.title))?;
    }
    reviews::submit(store, &leader, id, leader_id).await?;
    let yesterday = today.previous_day().unwrap_or(today);
    reviews::set_history_dates(
        store,
        &trainer,
        id,
        &instant(open.opened_on, 9),
        &instant(midway(open.opened_on, yesterday), 14),
        None,
    )
    .await?;

    let auditor_viewer = Viewer {
        user_id: auditor.user_id.expect("a user"),
        sees_all: false,
    };
    for planned in &history.audits {
        let id = open_audit(store, &auditor, planned).await?;
        for f in &planned.findings {
            audits::record_finding(
                store,
                &auditor,
                &auditor_viewer,
                id,
                &FindingInput {
                    incident_ref: f.incident_ref.clone(),
                    finding: f.finding,
                    note: f.note.to_string(),
                },
            )
            .await
            .map_err(|e| anyhow!("recording {} in {}: {e}", f.incident_ref, planned.title))?;
        }
        audits::close(store, &auditor, &auditor_viewer, id)
            .await
            .map_err(|e| anyhow!("closing {}: {e}", planned.title))?;
        let closed = planned.closed_on.unwrap_or(planned.opened_on);
        audits::set_history_dates(
            store,
            &auditor,
            id,
            &instant(planned.opened_on, 9),
            &instant(midway(planned.opened_on, closed), 14),
            Some(&instant(closed, 16)),
        )
        .await
        .map_err(|e| anyhow!("dating {}: {e}", planned.title))?;
    }
    // The last two months' audit: drawn, its first findings recorded.
    let open = &history.open_audit;
    let id = open_audit(store, &auditor, open).await?;
    for f in &open.findings {
        audits::record_finding(
            store,
            &auditor,
            &auditor_viewer,
            id,
            &FindingInput {
                incident_ref: f.incident_ref.clone(),
                finding: f.finding,
                note: f.note.to_string(),
            },
        )
        .await
        .map_err(|e| anyhow!("recording {} in {}: {e}", f.incident_ref, open.title))?;
    }
    audits::set_history_dates(
        store,
        &auditor,
        id,
        &instant(open.opened_on, 9),
        &instant(midway(open.opened_on, yesterday), 14),
        None,
    )
    .await
    .map_err(|e| anyhow!("dating {}: {e}", open.title))?;

    println!(
        "Seeded the referral register ({} incidents, {} referrals, {} outcomes), {} closed quality reviews and {} closed compliance audits, with one of each open.",
        history.incidents.len(),
        history.referrals.len(),
        history.outcomes.len(),
        history.reviews.len(),
        history.audits.len()
    );
    Ok(())
}

/// Opens a review with its planned seed and panel, and checks the store drew the planned sample.
async fn open_review(store: &Store, trainer: &Actor, planned: &PlannedReview) -> Result<i64> {
    let drawn = reviews::create(
        store,
        trainer,
        trainer.user_id.expect("a user"),
        &NewReview {
            title: planned.title.clone(),
            period_start: iso(planned.period_start),
            period_end: iso(planned.period_end),
            sample_size: planned.sample_size,
            strata: Strata::None,
            seed: Some(planned.seed),
        },
    )
    .await
    .with_context(|| format!("opening {}", planned.title))?;
    if drawn.sample != planned.sample {
        bail!(
            "{} drew a different sample from the demo's plan ({:?}, planned {:?})",
            planned.title,
            drawn.sample,
            planned.sample
        );
    }
    reviews::set_panel(
        store,
        trainer,
        drawn.review_id,
        &[LEADER.to_string(), PARTNER.to_string()],
    )
    .await?;
    Ok(drawn.review_id)
}

/// Opens an audit owned by the auditor with its planned seed, and checks its sample.
async fn open_audit(store: &Store, auditor: &Actor, planned: &PlannedAudit) -> Result<i64> {
    let drawn = audits::create(
        store,
        auditor,
        &NewAudit {
            title: planned.title.clone(),
            period: Period::new(planned.period_start, planned.period_end)
                .map_err(|e| anyhow!("{e}"))?,
            sample_size: planned.sample.len() as u64,
            seed: Some(planned.seed),
            owner_user_id: auditor.user_id.expect("a user"),
        },
    )
    .await
    .map_err(|e| anyhow!("opening {}: {e}", planned.title))?;
    if drawn.sample != planned.sample {
        bail!(
            "{} drew a different sample from the demo's plan",
            planned.title
        );
    }
    Ok(drawn.audit_id)
}

/// The import fills the missing-referral queue with years of incidents; the MASH would have
/// worked through all but the last three weeks'. Closes the older items as MASH staff would:
/// "referral now made" where a late referral is on the register, otherwise escalated to the
/// officer's supervisor.
async fn work_the_queue(store: &Store, today: Date) -> Result<()> {
    let mash = user(store, MASH).await?;
    let open_from = mashboard_domain::demo_quality::iso(today - Duration::days(QUEUE_OPEN_DAYS));
    let (_, items) = queue::open_items(store, 100_000, 0).await?;
    for item in items
        .iter()
        .filter(|i| i.reported_at.as_str() < open_from.as_str())
    {
        let (outcome, reason) = if item.referral_ref.is_some() {
            ("referral_made", "")
        } else {
            (
                "escalated",
                "Sent to the officer's supervisor to make the referral or record why none was needed",
            )
        };
        queue::close(store, &mash, item.id, outcome, reason).await?;
    }
    // Each item reached the queue at the first hourly check after its 24 hours, and was closed
    // a few days later: not all at the moment of seeding.
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    // No date after the start of `today` (the demo's one reading of the clock).
    let now = today.midnight().assume_utc();
    let dates: Vec<(i64, String, Option<String>)> = items
        .iter()
        .filter_map(|item| {
            let reported = PrimitiveDateTime::parse(&item.reported_at, format).ok()?;
            let queued = (reported.assume_utc() + Duration::hours(25)).min(now);
            let closed =
                (queued + Duration::days(1 + item.id % 5) + Duration::hours(item.id % 7)).min(now);
            Some((
                item.id,
                mashboard_store::instant_text(queued),
                Some(mashboard_store::instant_text(closed)),
            ))
        })
        .collect();
    queue::set_history_dates(store, &mash, &dates).await?;
    Ok(())
}
