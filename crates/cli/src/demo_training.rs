//! Demo training records: the practice's catalogue and programmes, plans for the MASH and the
//! frontline, and a realistic, deterministic mix of completions, sign-offs and CPD.

use anyhow::{Context, Result};
use mashboard_domain::training::{CpdKind, ModuleStatus};
use mashboard_domain::training_seed::{
    seed_guidance_tags, seed_modules_as_of, seed_profiles, TRAINER_STAFF_NUMBER,
};
use mashboard_store::audit_trail::Actor;
use mashboard_store::people::{self, Person};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::training::cpd::{self, NewCpd};
use mashboard_store::training::programmes;
use mashboard_store::Store;
use std::collections::HashMap;
use time::{Date, Duration};

/// Which role profiles a demo person holds, from their team, rank and cohort.
fn profiles_for(p: &Person) -> Vec<&'static str> {
    let team = p.team.as_deref().unwrap_or("");
    let rank = p.rank.as_deref().unwrap_or("");
    let cohort = p.cohort.as_deref().unwrap_or("");
    let cohort_year: i32 = cohort.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let mut out = Vec::new();
    match team {
        "MASH - Research" => out.push("MASH-RES"),
        "MASH - Decision Makers" => out.push("MASH-DM"),
        "MASH - Domestic Abuse Triage" if rank != "PC" => out.push("DA-TRIAGE"),
        t if t.starts_with("MASH") && (rank == "Sgt" || rank == "DI") => out.push("MASH-SGT"),
        _ => {}
    }
    if cohort.contains("transferee") {
        out.push("TRANSFEREE");
    } else if rank == "PC" && cohort_year >= 2022 {
        out.push("FL-PC");
    } else if rank == "PCSO" && cohort_year >= 2023 {
        out.push("FL-PCSO");
    } else if cohort.contains("PSI") && cohort_year >= 2023 {
        out.push("FL-PSI");
    }
    out
}

/// A stable pseudo-random number from two small integers (no RNG state, same on every run).
fn mix(a: i64, b: i64) -> i64 {
    let x = (a.wrapping_mul(2_654_435_761) ^ b.wrapping_mul(40_503)).wrapping_add(a * 7 + b * 13);
    (x ^ (x >> 13)).rem_euclid(1000)
}

/// The day the role programmes began (the MASH trainer post, January 2022).
const PROGRAMMES_FROM: &str = "2022-01-04";

/// Modules whose demo completions come from delivery records, not from this seeding.
pub const DELIVERED_ELSEWHERE: [&str; 3] = ["FL-PPN", "FL-PPN-VID", "FL-ATTACH"];

/// Seeds the catalogue, programmes, plans, completions and CPD once, as they stand on `today`.
pub async fn seed(store: &Store, today: Date) -> Result<()> {
    let existing = catalogue::modules(store, true).await?;
    if !existing.is_empty() {
        return Ok(());
    }
    let actor = Actor::system();
    let everyone = people::all(store).await?;
    let by_sn: HashMap<&str, &Person> = everyone
        .iter()
        .map(|p| (p.staff_number.as_str(), p))
        .collect();

    for (name, description) in seed_guidance_tags() {
        catalogue::ensure_tag(store, name, description).await?;
    }
    let mut module_ids: HashMap<&str, (i64, String)> = HashMap::new();
    for m in seed_modules_as_of(today) {
        let input = ModuleInput {
            code: m.code.into(),
            title: m.title.into(),
            summary: m.summary.into(),
            kind: m.kind.as_str().into(),
            external_link: m.external_link.map(str::to_string),
            duration_minutes: i64::from(m.duration_minutes),
            owner_person_id: m
                .owner_staff_number
                .and_then(|sn| by_sn.get(sn))
                .map(|p| p.id),
            status: ModuleStatus::Live.as_str().into(),
            last_reviewed_on: Some(m.last_reviewed_on.to_string()),
            review_by: Some(m.review_by.to_string()),
            tags: m.tags.iter().map(|t| t.to_string()).collect(),
            cpd_topic: m.cpd_topic,
        };
        // Modules past their first version show a history: 1.0, then the current one.
        let created = catalogue::create_module(store, &actor, &input, "1.0")
            .await
            .with_context(|| format!("seeding module {}", m.code))?;
        if m.version != "1.0" {
            catalogue::publish_version(
                store,
                &actor,
                created.id,
                m.version,
                "Updated after the annual review",
                &m.last_reviewed_on.to_string(),
                Some(&m.review_by.to_string()),
            )
            .await?;
        }
        module_ids.insert(m.code, (created.id, m.version.to_string()));
    }
    let mut profile_ids: HashMap<&str, i64> = HashMap::new();
    for p in seed_profiles() {
        let id = programmes::create_profile(store, &actor, p.code, p.name, p.description).await?;
        for (code, due, renewal) in &p.items {
            let (module_id, _) = module_ids[code];
            programmes::set_item(
                store,
                &actor,
                id,
                module_id,
                &due.encode(),
                &renewal.encode(),
            )
            .await?;
        }
        profile_ids.insert(p.code, id);
    }

    // Plans, then completions against them.
    for (i, p) in everyone.iter().enumerate() {
        let wanted = profiles_for(p);
        if wanted.is_empty() || !p.active {
            continue;
        }
        // The programmes began with the trainer post in January 2022: people who were already
        // in post started theirs then, not on the day they joined the force.
        let started = p
            .start_date
            .clone()
            .unwrap_or_else(|| (today - Duration::days(400)).to_string())
            .max(PROGRAMMES_FROM.to_string());
        for code in &wanted {
            programmes::assign(store, &actor, p.id, profile_ids[code], &started).await?;
        }
        let plan = mashboard_store::training::plans::plan_of(store, p.id, today).await?;
        let is_demo_mash = p.staff_number == demo_sn("demo-mash");
        // The MASH trainer keeps their own training current: everything done in the last months
        // and signed off.
        let is_trainer = p.staff_number == TRAINER_STAFF_NUMBER;
        for (j, item) in plan.iter().enumerate() {
            // The frontline input, its recording and the attachment day are done through
            // sessions, the video and attachment days (demo_delivery, demo_learning,
            // demo_partners), as the practice did them.
            if DELIVERED_ELSEWHERE.contains(&item.module_code.as_str()) {
                continue;
            }
            let roll = mix(i as i64, j as i64);
            // demo-mash: the first item signed off, the second awaiting sign-off, the rest to do.
            let (done, sign) = if is_demo_mash {
                (j < 2, j == 0)
            } else if is_trainer {
                (true, true)
            } else {
                (roll < 720, roll < 560)
            };
            if !done {
                continue;
            }
            let start =
                mashboard_domain::people::parse_date(&item.role_started_on).unwrap_or(today);
            // Somewhere between starting the role and today; older ones may have expired.
            let span = (today - start).whole_days().max(1);
            let offset = if sign {
                (roll * 37) % span
            } else {
                span - (roll % 60).min(span - 1)
            };
            let mut completed_on = (start + Duration::days(offset.clamp(0, span))).min(today);
            // A few signed-off items a year old, so some renewals fall due within the month.
            if sign && roll % 9 == 0 && today - Duration::days(350) > start {
                completed_on = today - Duration::days(345 + roll % 10);
            }
            if is_trainer {
                completed_on = (today - Duration::days(12 + 17 * j as i64)).max(start);
            }
            let version = if (today - completed_on).whole_days() > 365 {
                "1.0".to_string()
            } else {
                module_ids
                    .values()
                    .find(|(id, _)| *id == item.module_id)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| "1.0".into())
            };
            if sign && (p.mentor_id.is_none() || p.line_manager_id.is_none()) {
                // Signed on paper before mashboard: kept as an imported, historic sign-off.
                let mut tx = store.begin().await?;
                completions::upsert_imported(
                    &mut tx,
                    &actor,
                    &completions::ImportedCompletion {
                        person_id: p.id,
                        module_id: item.module_id,
                        module_version: version,
                        completed_on: completed_on.to_string(),
                        mode: "face_to_face".into(),
                        trainer: String::new(),
                        notes: if is_trainer {
                            "Refresher, from the training team's log".into()
                        } else {
                            "From the MASH initial-training spreadsheet".into()
                        },
                        mentor_signed_by: Some(if is_trainer {
                            "Peer reviewer, MASH training team (paper record)".into()
                        } else {
                            "Tutor constable (paper record)".into()
                        }),
                        manager_signed_by: p
                            .line_manager_name
                            .clone()
                            .or_else(|| Some("Line manager (paper record)".into())),
                        import_key: format!("demo:{}:{}", p.staff_number, item.module_code),
                    },
                )
                .await?;
                tx.commit().await?;
                continue;
            }
            let c = completions::record(
                store,
                &actor,
                &NewCompletion {
                    person_id: p.id,
                    module_id: item.module_id,
                    module_version: Some(version),
                    completed_on: completed_on.to_string(),
                    mode: if roll % 3 == 0 {
                        "e_learning"
                    } else if roll % 3 == 1 {
                        "face_to_face"
                    } else {
                        "virtual"
                    }
                    .into(),
                    trainer: if roll % 2 == 0 {
                        "PS Dana Whitlock (MASH trainer)".into()
                    } else {
                        String::new()
                    },
                    notes: String::new(),
                    evidence_url: String::new(),
                },
            )
            .await?;
            if sign {
                for signer in [p.mentor_id, p.line_manager_id].into_iter().flatten() {
                    let _ = completions::sign(
                        store,
                        &actor,
                        Some(signer),
                        c.id,
                        "Seen it applied on shift; signed off.",
                    )
                    .await;
                }
            }
        }
        // CPD for MASH staff.
        if p.team.as_deref().unwrap_or("").starts_with("MASH") {
            let topics = [
                "Referrals to the fire service",
                "Suicidal ideation",
                "Domestic abuse",
                "Risk assessment",
                "Stalking",
                "Mental health",
            ];
            for k in 0..3i64 {
                let roll = mix(i as i64 + 100, k);
                let e = cpd::log(
                    store,
                    &actor,
                    &NewCpd {
                        person_id: p.id,
                        topic: topics[((roll + k) % 6) as usize].into(),
                        done_on: (today - Duration::days(20 + roll % 600)).to_string(),
                        minutes: 60 + (roll % 5) * 30,
                        kind: [CpdKind::Course, CpdKind::ELearning, CpdKind::Reading][(k % 3) as usize].as_str().into(),
                        learning: "How the partner agency decides what it can act on, and what our referrals must say for it to act.".into(),
                        evidence_url: String::new(),
                    },
                )
                .await?;
                if roll % 3 != 0 {
                    let verify = roll % 7 != 0;
                    let comment = if verify {
                        "Good reflection; verified."
                    } else {
                        "Please add what you will do differently in your next referral."
                    };
                    let _ =
                        cpd::review(store, &actor, p.line_manager_id, e.id, verify, comment).await;
                }
            }
        }
    }
    println!("Seeded the training catalogue, role programmes, plans, completions and CPD.");
    Ok(())
}

fn demo_sn(username: &str) -> String {
    mashboard_domain::demo::demo_accounts()
        .into_iter()
        .find(|a| a.username == username)
        .map(|a| a.staff_number.to_string())
        .unwrap_or_default()
}
