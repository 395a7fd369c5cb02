//! The demo force's frontline delivery history, as a plan: which sessions ran, who was booked
//! and who came, and the Teams attendance reports behind the online sessions.
//!
//! Pure and deterministic: built from the demo people and arithmetic, so every machine seeds the
//! same history. The CLI turns the plan into records through the store, the same way a trainer
//! would: create the session, enrol the people, upload the Teams report or mark the register.
//!
//! The shape follows the practice: in 2022 every officer and staff member of the frontline
//! departments had the three-hour input (a programme of sessions per department, in person and
//! on Teams, with a mop-up session at the end of the year); from 2022 each new constable intake,
//! and from 2023 each PCSO and police staff investigator intake, had it a few weeks after
//! starting. Some people missed their session and the mop-up too, which leaves the visible tail
//! the coverage page should show; the next session (after the reference date) has some of them
//! booked.

use crate::teams_report::{write_legacy, write_sectioned, WriteParticipant};
use time::{Date, Duration, Month, PrimitiveDateTime, Time, Weekday};

/// Departments whose every member had the input in 2022 (the coverage requirement's list).
pub use crate::coverage::DEMO_FRONTLINE_DEPARTMENTS as FRONTLINE_DEPARTMENTS;

/// The series the 2022 programme runs under.
pub const PROGRAMME_2022: &str = "2022 frontline programme";
/// The series recruit sessions run under.
pub const RECRUIT_SERIES: &str = "Recruit intakes";

/// What the plan needs to know of a person.
#[derive(Debug, Clone)]
pub struct DemoPerson {
    pub staff_number: String,
    pub name: String,
    pub email: Option<String>,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub start_date: Option<Date>,
    pub cohort: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoMode {
    InPerson,
    Teams,
}

/// How a booked person's session went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    /// In the room, or in the Teams meeting for this many minutes.
    Attended(i64),
    /// Left early or joined late: this many minutes.
    Partly(i64),
    Absent,
    /// Told the trainer beforehand (duty, leave, sickness).
    Excused,
    /// Booked on a session that has not happened yet.
    Booked,
}

#[derive(Debug, Clone)]
pub struct PlannedSession {
    /// Stable key, used in the join link and import keys.
    pub key: String,
    pub series: &'static str,
    pub title: String,
    /// Europe/London wall-clock start.
    pub starts_local: PrimitiveDateTime,
    pub minutes: i64,
    pub mode: DemoMode,
    pub venue: &'static str,
    pub room: &'static str,
    pub capacity: i64,
    /// Staff numbers: the lead trainer, then co-trainers.
    pub trainers: Vec<String>,
    /// Staff number and outcome, in booking order.
    pub seats: Vec<(String, Seat)>,
    /// Delivered (in the past); false for the next, upcoming session.
    pub delivered: bool,
}

impl PlannedSession {
    /// The naive local start, `YYYY-MM-DDTHH:MM:SS` (no offset: Europe/London).
    pub fn starts_text(&self) -> String {
        local_text(self.starts_local)
    }

    pub fn ends_text(&self) -> String {
        local_text(self.starts_local + Duration::minutes(self.minutes))
    }

    pub fn join_url(&self) -> String {
        match self.mode {
            DemoMode::Teams => format!(
                "https://teams.microsoft.com/l/meetup-join/demo-constabulary/{}",
                self.key
            ),
            DemoMode::InPerson => String::new(),
        }
    }
}

fn local_text(t: PrimitiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A deterministic roll from 0 to 999 for a person and a salt.
fn roll(staff_number: &str, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for b in staff_number.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h % 1000
}

fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Date {
    let first = Date::from_calendar_date(year, month, 1).expect("first of the month");
    let mut d = if first.weekday() == weekday {
        first
    } else {
        first.next_occurrence(weekday)
    };
    for _ in 1..n {
        d += Duration::days(7);
    }
    d
}

fn at(d: Date, h: u8, m: u8) -> PrimitiveDateTime {
    PrimitiveDateTime::new(d, Time::from_hms(h, m, 0).expect("a valid time"))
}

/// How a frontline officer's 2022 session went: most came, some left early, a few missed it.
fn outcome(staff_number: &str, salt: u64, minutes: i64, teams: bool) -> Seat {
    let r = roll(staff_number, salt);
    match r {
        0..=799 => {
            // On Teams people join a little late or leave a little early; still "attended".
            let lost = if teams { (r % 25) as i64 } else { 0 };
            Seat::Attended(minutes - lost)
        }
        800..=859 => Seat::Partly(minutes / 2 + (r % 40) as i64),
        860..=929 => Seat::Absent,
        _ => Seat::Excused,
    }
}

/// The whole plan, ordered by start time. `trainer` is the MASH trainer's staff number and
/// `co_trainers` the volunteer MASH staff who help deliver (at least one).
pub fn delivery_plan(
    people: &[DemoPerson],
    trainer: &str,
    co_trainers: &[String],
    reference: Date,
) -> Vec<PlannedSession> {
    let mut sessions = Vec::new();
    let co = |i: usize| -> Vec<String> {
        let mut t = vec![trainer.to_string()];
        if !co_trainers.is_empty() {
            t.push(co_trainers[i % co_trainers.len()].clone());
        }
        t
    };
    const MINUTES: i64 = 180;
    const CAPACITY: usize = 16;

    // 2022: each frontline department, people who had started by the end of 2021.
    let programme_start = Date::from_calendar_date(2022, Month::January, 1).expect("date");
    let mut missed: Vec<String> = Vec::new();
    let mut slot = 0usize;
    for (d, department) in FRONTLINE_DEPARTMENTS.iter().enumerate() {
        let members: Vec<&DemoPerson> = people
            .iter()
            .filter(|p| p.active && p.department.as_deref() == Some(department))
            .filter(|p| p.start_date.is_some_and(|s| s < programme_start))
            .collect();
        for (c, chunk) in members.chunks(CAPACITY).enumerate() {
            // Spread across February to October, Tuesdays and Thursdays.
            let month = Month::try_from(2 + ((slot * 2) % 9) as u8).expect("month");
            let weekday = if slot.is_multiple_of(2) {
                Weekday::Tuesday
            } else {
                Weekday::Thursday
            };
            let day = nth_weekday(2022, month, weekday, 1 + (slot % 3) as u8);
            let teams = slot % 3 == 1;
            let mode = if teams {
                DemoMode::Teams
            } else {
                DemoMode::InPerson
            };
            let seats: Vec<(String, Seat)> = chunk
                .iter()
                .map(|p| {
                    let s = outcome(&p.staff_number, 2022 + d as u64, MINUTES, teams);
                    if matches!(s, Seat::Absent | Seat::Excused | Seat::Partly(_)) {
                        missed.push(p.staff_number.clone());
                    }
                    (p.staff_number.clone(), s)
                })
                .collect();
            sessions.push(PlannedSession {
                key: format!("fl2022-{}-{}", d + 1, c + 1),
                series: PROGRAMME_2022,
                title: format!("Frontline referral input: {department} ({})", c + 1),
                starts_local: at(day, if slot.is_multiple_of(2) { 9 } else { 13 }, 30),
                minutes: MINUTES,
                mode,
                venue: if teams { "" } else { "Headquarters" },
                room: if teams { "" } else { "Training suite 2" },
                capacity: CAPACITY as i64 + 4,
                trainers: co(slot),
                seats,
                delivered: true,
            });
            slot += 1;
        }
    }
    // The mop-up sessions in November and December 2022: about two in three of those who
    // missed their session come.
    for (c, chunk) in missed.chunks(CAPACITY).enumerate() {
        let day = nth_weekday(2022, Month::November, Weekday::Wednesday, 1 + (c % 4) as u8)
            + Duration::days(7 * (c / 4) as i64);
        let teams = c.is_multiple_of(2);
        let seats = chunk
            .iter()
            .map(|sn| {
                let r = roll(sn, 77);
                let s = if r < 620 {
                    Seat::Attended(MINUTES - if teams { (r % 20) as i64 } else { 0 })
                } else if r < 900 {
                    Seat::Absent
                } else {
                    Seat::Excused
                };
                (sn.clone(), s)
            })
            .collect();
        sessions.push(PlannedSession {
            key: format!("fl2022-mopup-{}", c + 1),
            series: PROGRAMME_2022,
            title: format!("Frontline referral input: mop-up session {}", c + 1),
            starts_local: at(day, 10, 0),
            minutes: MINUTES,
            mode: if teams {
                DemoMode::Teams
            } else {
                DemoMode::InPerson
            },
            venue: if teams { "" } else { "Headquarters" },
            room: if teams { "" } else { "Training suite 1" },
            capacity: CAPACITY as i64 + 4,
            trainers: co(slot + c),
            seats,
            delivered: true,
        });
    }

    // Those the mop-up still missed: some are booked on the next session, after the reference
    // date, so coverage shows people booked as well as the untrained tail.
    let still_missing: Vec<String> = sessions
        .iter()
        .filter(|s| s.key.starts_with("fl2022-mopup"))
        .flat_map(|s| s.seats.iter())
        .filter(|(_, seat)| !matches!(seat, Seat::Attended(_)))
        .map(|(sn, _)| sn.clone())
        .collect();
    let next_day = (reference + Duration::days(28)).next_occurrence(Weekday::Tuesday);
    let next_seats: Vec<(String, Seat)> = still_missing
        .iter()
        .step_by(2)
        .map(|sn| (sn.clone(), Seat::Booked))
        .collect();
    if !next_seats.is_empty() {
        sessions.push(PlannedSession {
            key: "fl-catch-up-next".into(),
            series: PROGRAMME_2022,
            title: "Frontline referral input: catch-up session".into(),
            starts_local: at(next_day, 9, 30),
            minutes: MINUTES,
            mode: DemoMode::Teams,
            venue: "",
            room: "",
            capacity: CAPACITY as i64,
            trainers: co(0),
            seats: next_seats,
            delivered: false,
        });
    }

    // Recruit intakes: constables from 2022, PCSOs and police staff investigators from 2023,
    // five weeks after the intake starts.
    let mut intakes: Vec<(String, Date)> = Vec::new();
    for p in people {
        let (Some(cohort), Some(start)) = (&p.cohort, p.start_date) else {
            continue;
        };
        let wanted = (cohort.contains(" PC intake") && start.year() >= 2022)
            || ((cohort.contains("PCSO intake") || cohort.contains("PSI intake"))
                && start.year() >= 2023);
        if wanted && !intakes.iter().any(|(c, _)| c == cohort) {
            intakes.push((cohort.clone(), start));
        }
    }
    intakes.sort_by_key(|(c, s)| (*s, c.clone()));
    for (i, (cohort, start)) in intakes.iter().enumerate() {
        let day = (*start + Duration::days(35)).next_occurrence(Weekday::Wednesday);
        let delivered = day < reference;
        let teams = i % 4 == 3;
        let seats = people
            .iter()
            .filter(|p| p.cohort.as_deref() == Some(cohort.as_str()))
            .map(|p| {
                let r = roll(&p.staff_number, 900 + i as u64);
                let s = if !delivered {
                    Seat::Booked
                } else if r < 930 {
                    Seat::Attended(MINUTES - if teams { (r % 15) as i64 } else { 0 })
                } else if r < 960 {
                    Seat::Partly(100 + (r % 30) as i64)
                } else {
                    Seat::Absent
                };
                (p.staff_number.clone(), s)
            })
            .collect::<Vec<_>>();
        if seats.is_empty() {
            continue;
        }
        sessions.push(PlannedSession {
            key: format!("intake-{}", i + 1),
            series: RECRUIT_SERIES,
            title: format!("Frontline referral input: {cohort}"),
            starts_local: at(day, 9, 30),
            minutes: MINUTES,
            mode: if teams {
                DemoMode::Teams
            } else {
                DemoMode::InPerson
            },
            venue: if teams { "" } else { "Training centre" },
            room: if teams { "" } else { "Classroom 3" },
            capacity: (seats.len() as i64 + 6).max(20),
            trainers: co(i + 3),
            seats,
            delivered,
        });
    }
    sessions.sort_by_key(|s| s.starts_local);
    sessions
}

/// The Teams attendance report the organiser of an online session would have downloaded
/// (written by [`crate::teams_report`]): before July 2022 the old layout with one row per join,
/// since then the sectioned one. People who were absent or excused are not in it; one guest from
/// a partner agency joined too; every fifth attendee dropped out once and rejoined.
pub fn teams_report(session: &PlannedSession, people: &[DemoPerson]) -> Vec<u8> {
    let start = session.starts_local;
    let end = start + Duration::minutes(session.minutes);
    let mut participants: Vec<WriteParticipant> = Vec::new();
    for (i, (sn, seat)) in session.seats.iter().enumerate() {
        let minutes = match seat {
            Seat::Attended(m) | Seat::Partly(m) => *m,
            _ => continue,
        };
        let Some(p) = people.iter().find(|p| &p.staff_number == sn) else {
            continue;
        };
        let late = Duration::minutes((session.minutes - minutes).max(0));
        let joined = start + late;
        let joins = if i.is_multiple_of(5) && minutes > 20 {
            vec![
                (joined, joined + Duration::minutes(20)),
                (
                    joined + Duration::minutes(21),
                    joined + Duration::minutes(minutes + 1),
                ),
            ]
        } else {
            vec![(joined, joined + Duration::minutes(minutes))]
        };
        participants.push(WriteParticipant {
            name: p.name.clone(),
            email: p.email.clone(),
            joins,
        });
    }
    participants.push(WriteParticipant {
        name: "Guest from Children's Services (External)".into(),
        email: Some("guest@childrens-services.example".into()),
        joins: vec![(start + Duration::minutes(10), start + Duration::minutes(70))],
    });
    let new_layout = Date::from_calendar_date(2022, Month::July, 1).expect("date");
    if start.date() < new_layout {
        write_legacy(&session.title, start, end, &participants)
    } else {
        write_sectioned(&session.title, start, end, &participants)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::demo_people;
    use time::macros::date;

    fn people() -> Vec<DemoPerson> {
        demo_people()
            .into_iter()
            .map(|p| DemoPerson {
                staff_number: p.staff_number.as_str().to_string(),
                name: p.name,
                email: p.email,
                rank: p.rank,
                department: p.department,
                start_date: p.start_date,
                cohort: p.cohort,
                active: true,
            })
            .collect()
    }

    fn plan() -> Vec<PlannedSession> {
        let people = people();
        delivery_plan(
            &people,
            "1001",
            &["2001".to_string(), "2002".to_string()],
            date!(2026 - 11 - 26),
        )
    }

    #[test]
    fn every_frontline_member_of_2022_is_booked_once_in_the_programme() {
        let people = people();
        let plan = plan();
        let start = date!(2022 - 01 - 01);
        for p in people.iter().filter(|p| {
            FRONTLINE_DEPARTMENTS.contains(&p.department.as_deref().unwrap_or(""))
                && p.start_date.is_some_and(|s| s < start)
        }) {
            let main = plan
                .iter()
                .filter(|s| {
                    s.series == PROGRAMME_2022
                        && s.key.starts_with("fl2022-")
                        && !s.key.contains("mopup")
                })
                .filter(|s| s.seats.iter().any(|(sn, _)| sn == &p.staff_number))
                .count();
            assert_eq!(main, 1, "{}", p.staff_number);
        }
    }

    #[test]
    fn the_2022_programme_reaches_most_but_leaves_a_tail() {
        let plan = plan();
        let mut booked = std::collections::HashSet::new();
        let mut trained = std::collections::HashSet::new();
        for s in plan
            .iter()
            .filter(|s| s.series == PROGRAMME_2022 && s.delivered)
        {
            assert_eq!(s.starts_local.year(), 2022);
            for (sn, seat) in &s.seats {
                booked.insert(sn.clone());
                if matches!(seat, Seat::Attended(_)) {
                    trained.insert(sn.clone());
                }
            }
        }
        let share = trained.len() as f64 / booked.len() as f64;
        assert!(booked.len() > 50, "{}", booked.len());
        assert!((0.85..0.98).contains(&share), "{share}");
        assert!(plan
            .iter()
            .any(|s| s.mode == DemoMode::Teams && s.series == PROGRAMME_2022));
    }

    #[test]
    fn some_of_those_still_untrained_are_booked_on_the_next_session() {
        let plan = plan();
        let next: Vec<_> = plan.iter().filter(|s| !s.delivered).collect();
        assert!(!next.is_empty());
        for s in next {
            assert!(s.starts_local.date() > date!(2026 - 11 - 26));
            assert!(s.seats.iter().all(|(_, seat)| *seat == Seat::Booked));
        }
    }

    #[test]
    fn the_plan_follows_the_day_it_is_seeded() {
        let people = people();
        for today in [date!(2026 - 12 - 06), date!(2027 - 05 - 15)] {
            let plan = delivery_plan(&people, "1001", &["2001".to_string()], today);
            let next: Vec<_> = plan.iter().filter(|s| !s.delivered).collect();
            assert!(!next.is_empty(), "{today}");
            for s in &plan {
                assert_eq!(s.starts_local.date() < today, s.delivered, "{}", s.key);
            }
            // The catch-up session is a few weeks ahead of the day.
            let catch_up = plan.iter().find(|s| s.key == "fl-catch-up-next").unwrap();
            let ahead = (catch_up.starts_local.date() - today).whole_days();
            assert!((28..36).contains(&ahead), "{ahead}");
        }
    }

    #[test]
    fn intakes_follow_the_rules_and_the_future_is_only_booked() {
        for s in plan().iter().filter(|s| s.series == RECRUIT_SERIES) {
            assert!(s.starts_local.year() >= 2022);
            if s.title.contains("PCSO") || s.title.contains("PSI") {
                assert!(s.starts_local.year() >= 2023, "{}", s.title);
            }
            let future = s.starts_local.date() >= date!(2026 - 11 - 26);
            assert_eq!(!future, s.delivered);
            if future {
                assert!(s.seats.iter().all(|(_, seat)| *seat == Seat::Booked));
            }
            assert!(s.seats.len() as i64 <= s.capacity);
        }
    }

    #[test]
    fn the_teams_reports_read_back_with_every_attendee_and_the_guest() {
        let people = people();
        let plan = plan();
        let online: Vec<_> = plan
            .iter()
            .filter(|s| s.mode == DemoMode::Teams && s.delivered)
            .collect();
        assert!(online
            .iter()
            .any(|s| s.starts_local.year() == 2022 && u8::from(s.starts_local.month()) < 7));
        assert!(online.iter().any(|s| s.starts_local.year() > 2022));
        for s in online {
            let report = crate::teams_report::parse(&teams_report(s, &people)).unwrap();
            let came = s
                .seats
                .iter()
                .filter(|(_, seat)| matches!(seat, Seat::Attended(_) | Seat::Partly(_)))
                .count();
            assert_eq!(report.participants.len(), came + 1, "{}", s.key);
        }
    }
}
