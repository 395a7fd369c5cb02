//! Seeds the demo force's frontline delivery history (see `domain::demo_delivery` for the plan):
//! the 2022 frontline programme and the recruit intakes, through the same store calls a trainer's
//! clicks make: create the series and the session, enrol the people, then upload the Teams
//! report (online sessions) or mark the register (in the room).

use anyhow::{Context, Result};
use mashboard_domain::attendance::Status;
use mashboard_domain::checks::Phase;
use mashboard_domain::demo_delivery::{
    delivery_plan, teams_report, DemoMode, DemoPerson, Seat,
    FRONTLINE_DEPARTMENTS as DEMO_FRONTLINE_DEPARTMENTS, RECRUIT_SERIES,
};
use mashboard_domain::feedback::Ratings;
use mashboard_domain::partners::{ExternalInput, ExternalStatus};
use mashboard_domain::sessions::{parse_time, SessionMode, SessionStatus};
use mashboard_domain::training_seed::TRAINER_STAFF_NUMBER;
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::{attendance, coverage, enrolment, sessions, teams};
use mashboard_store::learning::{checks, feedback};
use mashboard_store::partners;
use mashboard_store::training::catalogue;
use mashboard_store::{people, Store};
use std::collections::HashMap;

const WENT_WELL: [&str; 5] = [
    "The worked examples of good and poor referrals.",
    "Hearing from the MASH staff what partners do with what we send.",
    "Clear on when a referral is needed and what to put in it.",
    "",
    "The scenario about the child's voice made it real.",
];
const IMPROVE: [&str; 4] = [
    "",
    "More time on adults at risk and consent.",
    "A copy of the slides afterwards.",
    "Shorter breaks, finish earlier.",
];

/// Seeds once, as it stands on `today`: does nothing when sessions already exist.
pub async fn seed(store: &Store, today: time::Date) -> Result<()> {
    if mashboard_store::delivery::any_sessions(store).await? {
        return Ok(());
    }
    let Some(module) = catalogue::module_by_code(store, "FL-PPN").await? else {
        return Ok(());
    };
    let actor = Actor::system();
    coverage::ensure_default_requirements(store, &DEMO_FRONTLINE_DEPARTMENTS).await?;
    // The knowledge check set before and after the input (from demo_learning), if seeded.
    let input_check = match checks::list(store)
        .await?
        .into_iter()
        .find(|c| c.module_id == Some(module.id))
    {
        Some(c) => checks::get(store, c.id).await?,
        None => None,
    };
    let everyone = people::all(store).await?;
    let ids: HashMap<&str, i64> = everyone
        .iter()
        .map(|p| (p.staff_number.as_str(), p.id))
        .collect();
    let demo: Vec<DemoPerson> = everyone
        .iter()
        .map(|p| DemoPerson {
            staff_number: p.staff_number.clone(),
            name: p.name.clone(),
            email: p.email.clone(),
            rank: p.rank.clone(),
            department: p.department.clone(),
            start_date: p
                .start_date
                .as_deref()
                .and_then(|d| mashboard_domain::people::parse_date(d).ok()),
            cohort: p.cohort.clone(),
            active: p.active,
        })
        .collect();
    // Volunteer co-trainers: MASH staff.
    let co_trainers: Vec<String> = everyone
        .iter()
        .filter(|p| p.active && p.roles.contains(";mash_staff;"))
        .take(4)
        .map(|p| p.staff_number.clone())
        .collect();
    let plan = delivery_plan(&demo, TRAINER_STAFF_NUMBER, &co_trainers, today);

    let mut series: HashMap<&str, i64> = HashMap::new();
    for s in &plan {
        let series_id = match series.get(s.series) {
            Some(id) => *id,
            None => {
                let id = sessions::create_series(
                    store,
                    &actor,
                    s.series,
                    "Three-hour frontline referral input, delivered by the MASH trainer with volunteer MASH staff.",
                    Some(module.id),
                )
                .await
                .map_err(|e| anyhow::anyhow!("demo series {}: {e}", s.series))?;
                series.insert(s.series, id);
                id
            }
        };
        let created = sessions::create(
            store,
            &actor,
            &sessions::NewSession {
                series_id: Some(series_id),
                module_id: module.id,
                title: s.title.clone(),
                starts_at: parse_time(&s.starts_text()).map_err(anyhow::Error::msg)?,
                ends_at: parse_time(&s.ends_text()).map_err(anyhow::Error::msg)?,
                mode: match s.mode {
                    DemoMode::Teams => SessionMode::Teams,
                    DemoMode::InPerson => SessionMode::InPerson,
                },
                venue: s.venue.into(),
                room: s.room.into(),
                join_url: s.join_url(),
                capacity: s.capacity,
                trainers: s.trainers.clone(),
                audience: Vec::new(),
                status: SessionStatus::Open,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo session {}: {e}", s.key))?;
        let booked: Vec<i64> = s
            .seats
            .iter()
            .filter_map(|(sn, _)| ids.get(sn.as_str()).copied())
            .collect();
        enrolment::enrol(store, &actor, created.id, &booked)
            .await
            .map_err(|e| anyhow::anyhow!("demo enrolment {}: {e}", s.key))?;
        if !s.delivered {
            continue;
        }
        // Online sessions: the organiser's Teams report marks who came; the register then
        // records the absences and apologies the report cannot know.
        if s.mode == DemoMode::Teams {
            let report = teams_report(s, &demo);
            teams::commit(
                store,
                &actor,
                created.id,
                &format!("{} attendance report.csv", s.title),
                &report,
            )
            .await
            .with_context(|| format!("demo Teams report {}", s.key))?;
        }
        let marks: Vec<(i64, Status, Option<i64>)> = s
            .seats
            .iter()
            .filter_map(|(sn, seat)| {
                let id = *ids.get(sn.as_str())?;
                let mark = match (s.mode, seat) {
                    (DemoMode::Teams, Seat::Attended(_) | Seat::Partly(_)) => return None,
                    (_, Seat::Attended(m)) => (id, Status::Attended, Some(*m)),
                    (_, Seat::Partly(m)) => (id, Status::PartlyAttended, Some(*m)),
                    (_, Seat::Absent) => (id, Status::Absent, None),
                    (_, Seat::Excused) => (id, Status::Excused, None),
                    (_, Seat::Booked) => return None,
                };
                Some(mark)
            })
            .collect();
        if !marks.is_empty() {
            attendance::mark_many(store, &actor, created.id, &marks)
                .await
                .with_context(|| format!("demo register {}", s.key))?;
        }
        // Recruit sessions since 2023: the knowledge check before and after, and the
        // feedback form.
        if s.series == RECRUIT_SERIES && s.starts_local.year() >= 2023 {
            let start = created.starts_at.clone();
            let end = created.ends_at.clone();
            for (k, (sn, seat)) in s.seats.iter().enumerate() {
                let (Seat::Attended(_) | Seat::Partly(_)) = seat else {
                    continue;
                };
                let Some(&pid) = ids.get(sn.as_str()) else {
                    continue;
                };
                let r = (k * 7 + s.key.len() * 3) % 10;
                if let Some(check) = &input_check {
                    crate::demo_learning::demo_attempt(
                        store,
                        check,
                        pid,
                        Some(created.id),
                        Phase::Pre,
                        3 + r % 4,
                        &start,
                        &start,
                    )
                    .await?;
                    crate::demo_learning::demo_attempt(
                        store,
                        check,
                        pid,
                        Some(created.id),
                        Phase::Post,
                        r % 3,
                        &end,
                        &end,
                    )
                    .await?;
                }
                let rating = |offset: usize| 3 + ((r + offset) % 3) as i64;
                feedback::submit(
                    store,
                    &actor,
                    &feedback::NewFeedback {
                        session_id: created.id,
                        person_id: pid,
                        ratings: Ratings {
                            overall: rating(1),
                            relevance: rating(2),
                            delivery: rating(0),
                            confidence: rating(1).min(4),
                        },
                        went_well: WENT_WELL[r % WENT_WELL.len()].into(),
                        improve: IMPROVE[r % IMPROVE.len()].into(),
                        submitted_at: Some(end.clone()),
                    },
                )
                .await
                .with_context(|| format!("demo feedback {}", s.key))?;
            }
        }
    }
    partner_exchange(store, &actor, &everyone, today).await?;
    // The demo never sends e-mail: the invitations the bookings queued were never real.
    mashboard_store::delivery::discard_unsent_mail(store).await?;
    Ok(())
}

/// Training exchanged with partners both ways, every year from 2023 to `today`'s: the MASH
/// trainer's referral-quality input delivered to partner staff (external attendees, no
/// accounts), and partner-provided modules that officers attended (completions count in their
/// plans). This year's sessions still to come are booked, not yet attended.
async fn partner_exchange(
    store: &Store,
    actor: &Actor,
    everyone: &[mashboard_store::people::Person],
    today: time::Date,
) -> Result<()> {
    let orgs = partners::orgs(store).await?;
    if orgs.is_empty() {
        return Ok(());
    }
    let Some(ours) = catalogue::module_by_code(store, "MASH-PPN-Q").await? else {
        return Ok(());
    };
    const FIRST: [&str; 8] = [
        "Amira", "Ben", "Chloe", "Dev", "Ellie", "Femi", "Grace", "Hamza",
    ];
    const LAST: [&str; 6] = ["Okafor", "Price", "Lindqvist", "Shah", "Mercer", "Doyle"];
    let frontline: Vec<&mashboard_store::people::Person> = everyone
        .iter()
        .filter(|p| p.active && p.department.as_deref() == Some("Response"))
        .collect();
    let today_text = mashboard_domain::demo_quality::iso(today);
    let past = |starts: &str| &starts[..10] < today_text.as_str();
    for (i, year) in (2023..=today.year()).enumerate() {
        // Police to partners: one session a year in the spring, for two partner agencies.
        let guests: Vec<&partners::PartnerOrg> =
            orgs.iter().skip(i % 3).step_by(3).take(2).collect();
        let created = sessions::create(
            store,
            actor,
            &sessions::NewSession {
                series_id: None,
                module_id: ours.id,
                title: format!("What a quality referral needs: for partner staff ({year})"),
                starts_at: parse_time(&format!("{year}-04-1{}T10:00:00", i % 9 + 1))
                    .map_err(anyhow::Error::msg)?,
                ends_at: parse_time(&format!("{year}-04-1{}T12:00:00", i % 9 + 1))
                    .map_err(anyhow::Error::msg)?,
                mode: SessionMode::InPerson,
                venue: "Headquarters".into(),
                room: "MASH briefing room".into(),
                join_url: String::new(),
                capacity: 20,
                trainers: vec![TRAINER_STAFF_NUMBER.into()],
                audience: Vec::new(),
                status: SessionStatus::Open,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo partner session {year}: {e}"))?;
        partners::set_direction(
            store,
            actor,
            created.id,
            "to_partners",
            guests.first().map(|o| o.id),
        )
        .await?;
        let spring_past = past(&format!("{year}-04-1{}", i % 9 + 1));
        for k in 0..(6 + (i % 4) * 2) {
            let org = guests[k % guests.len()];
            let name = format!(
                "{} {}",
                FIRST[(k + i) % FIRST.len()],
                LAST[(k * 5 + i) % LAST.len()]
            );
            let added = partners::add_external(
                store,
                actor,
                created.id,
                &ExternalInput {
                    name: name.clone(),
                    organisation: String::new(),
                    partner_org_id: Some(org.id),
                    email: Some(format!(
                        "{}@{}.example",
                        name.to_lowercase().replace(' ', "."),
                        org.name.to_lowercase().replace([' ', '\'', ','], "-")
                    )),
                },
            )
            .await?;
            let status = if k % 7 == 6 {
                ExternalStatus::Absent
            } else {
                ExternalStatus::Attended
            };
            if spring_past {
                partners::mark_external(store, actor, created.id, added.id, Some(status), None)
                    .await?;
            }
        }
        // Partners to police: each partner module once a year, with a few officers.
        for (j, m) in partners::partner_modules(store, None, false)
            .await?
            .into_iter()
            .filter(|m| m.kind != "e_learning")
            .enumerate()
        {
            let month = 5 + (j as u8 % 6);
            let starts = format!("{year}-{month:02}-0{}T14:00:00", 2 + j % 7);
            let start = parse_time(&starts).map_err(anyhow::Error::msg)?;
            let minutes = m.duration_minutes.clamp(60, 240);
            let end = parse_time(&format!(
                "{}T{:02}:{:02}:00",
                &starts[..10],
                14 + minutes / 60,
                minutes % 60
            ))
            .map_err(anyhow::Error::msg)?;
            let teams = m.kind == "virtual_session";
            let created = sessions::create(
                store,
                actor,
                &sessions::NewSession {
                    series_id: None,
                    module_id: m.id,
                    title: format!("{} ({})", m.title, m.provider_name),
                    starts_at: start,
                    ends_at: end,
                    mode: if teams {
                        SessionMode::Teams
                    } else {
                        SessionMode::InPerson
                    },
                    venue: if teams {
                        String::new()
                    } else {
                        format!("{} offices", m.provider_name)
                    },
                    room: String::new(),
                    join_url: if teams {
                        format!(
                            "https://teams.microsoft.com/l/meetup-join/partner-{}-{year}",
                            m.code.to_lowercase()
                        )
                    } else {
                        String::new()
                    },
                    capacity: 12,
                    trainers: vec![TRAINER_STAFF_NUMBER.into()],
                    audience: Vec::new(),
                    status: SessionStatus::Open,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("demo partner module session {}: {e}", m.code))?;
            partners::set_direction(
                store,
                actor,
                created.id,
                "from_partner",
                Some(m.provider_org_id),
            )
            .await?;
            let who: Vec<i64> = frontline
                .iter()
                .skip((i * 7 + j * 3) % frontline.len().max(1))
                .take(4)
                .map(|p| p.id)
                .collect();
            enrolment::enrol(store, actor, created.id, &who)
                .await
                .map_err(|e| anyhow::anyhow!("demo partner enrolment {}: {e}", m.code))?;
            if !past(&starts) {
                continue;
            }
            let marks: Vec<(i64, Status, Option<i64>)> = who
                .iter()
                .enumerate()
                .map(|(k, id)| {
                    if k == 3 && j.is_multiple_of(2) {
                        (*id, Status::Excused, None)
                    } else {
                        (*id, Status::Attended, Some(minutes))
                    }
                })
                .collect();
            attendance::mark_many(store, actor, created.id, &marks).await?;
        }
    }
    Ok(())
}
