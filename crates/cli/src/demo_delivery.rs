//! Seeds the demo force's frontline delivery history (see `domain::demo_delivery` for the plan):
//! the 2022 frontline programme and the recruit intakes, through the same store calls a trainer's
//! clicks make: create the series and the session, enrol the people, then upload the Teams
//! report (online sessions) or mark the register (in the room).

use anyhow::{Context, Result};
use mashboard_domain::attendance::Status;
use mashboard_domain::demo_delivery::{delivery_plan, teams_report, DemoMode, DemoPerson, Seat};
use mashboard_domain::sessions::{parse_time, SessionMode, SessionStatus};
use mashboard_domain::training_seed::{SEED_REFERENCE_DATE, TRAINER_STAFF_NUMBER};
use mashboard_store::audit::Actor;
use mashboard_store::delivery::{attendance, enrolment, sessions, teams};
use mashboard_store::training::catalogue;
use mashboard_store::{people, Store};
use std::collections::HashMap;

/// Seeds once: does nothing when sessions already exist.
pub async fn seed(store: &Store) -> Result<()> {
    if mashboard_store::delivery::any_sessions(store).await? {
        return Ok(());
    }
    let Some(module) = catalogue::module_by_code(store, "FL-PPN").await? else {
        return Ok(());
    };
    let actor = Actor::system();
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
    let plan = delivery_plan(
        &demo,
        TRAINER_STAFF_NUMBER,
        &co_trainers,
        SEED_REFERENCE_DATE,
    );

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
    }
    // The demo never sends e-mail: the invitations the bookings queued were never real.
    mashboard_store::delivery::discard_unsent_mail(store).await?;
    Ok(())
}
