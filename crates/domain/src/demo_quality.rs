//! The Demo Constabulary's referral quality history, from January 2022 to the day before the demo
//! is seeded: an incident and referral register (with the people named in referrals and the
//! partners' outcomes), six closed quarterly referral quality reviews that reproduce the force's
//! published grade distributions exactly on their real dates, and bi-monthly compliance audits
//! whose findings reproduce its published yearly compliance (2022 to the first half of 2025).
//! After the published record the story goes on, relative to `today`: a review of every calendar
//! quarter from October 2025 (the last completed quarter's still being graded), audits up to last
//! month (the last two months' open), and incidents and referrals until yesterday.
//!
//! Everything is generated from one fixed seed, so every run on every machine on the same day
//! gives the same register. Nobody here is real: names are drawn from the demo force's name lists (never
//! pairing into a member of the force), addresses are on made-up streets in made-up areas.
//!
//! The samples are drawn here exactly as the store will draw them (the same frame, the same
//! [`sampling::draw`], the same seeds), so the register can be made to agree with what the
//! reviews and audits find: a referral graded 1 at moderation reads like one, and an incident an
//! audit records as "form completed on time" has a referral submitted within 24 hours. The
//! writer (the `mashboard demo` command) checks each drawn sample against the plan.

use crate::audits::{Finding, RequiredReason};
use crate::demo::{demo_accounts, demo_people, FIRST_NAMES, LAST_NAMES};
use crate::register::RegisterKind;
use crate::reviews::DEFAULT_RUBRIC;
use crate::sampling::{self, FrameItem};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::collections::{HashMap, HashSet};
use time::{Date, Duration, Month, PrimitiveDateTime, Time};

/// How many incidents the register holds over its first four years (2022 to 2025); later years
/// go on at the same rate.
pub const DEMO_INCIDENTS: usize = 6_000;
/// The earliest `today` the plan accepts: the day after the published record's last quarter.
/// An earlier day is treated as this one.
pub const EARLIEST_TODAY: Date = time::macros::date!(2026 - 01 - 02);
/// Incidents drawn by each bi-monthly audit.
pub const AUDIT_SAMPLE: usize = 35;
const SEED: u64 = 20_220_101;

/// A review as the force published it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublishedReview {
    /// "April 2022": when the review was held.
    pub held: &'static str,
    pub year: i32,
    pub month: Month,
    /// How many referrals were agreed at grade 1, 2, 3 and 4.
    pub counts: [usize; 4],
    /// The average as published (see October 2024).
    pub published_average: f64,
}

/// The six published reviews (`shared/PRODUCT.md`, "The force's published figures").
pub const PUBLISHED_REVIEWS: [PublishedReview; 6] = [
    PublishedReview {
        held: "April 2022",
        year: 2022,
        month: Month::April,
        counts: [1, 5, 3, 1],
        published_average: 2.4,
    },
    PublishedReview {
        held: "September 2023",
        year: 2023,
        month: Month::September,
        counts: [0, 3, 4, 2],
        published_average: 2.9,
    },
    PublishedReview {
        held: "April 2024",
        year: 2024,
        month: Month::April,
        counts: [0, 2, 2, 4],
        published_average: 3.25,
    },
    // The force published 2.87 as this review's average, but its own distribution (1, 3, 4, 1)
    // has a mean of 23 / 9 = 2.56. We reproduce the distribution, which is the primary record;
    // the result page computes 2.56 from it, and the published 2.87 cannot be reproduced.
    PublishedReview {
        held: "October 2024",
        year: 2024,
        month: Month::October,
        counts: [1, 3, 4, 1],
        published_average: 2.87,
    },
    PublishedReview {
        held: "March 2025",
        year: 2025,
        month: Month::March,
        counts: [0, 4, 2, 3],
        published_average: 2.9,
    },
    PublishedReview {
        held: "September 2025",
        year: 2025,
        month: Month::September,
        counts: [0, 0, 7, 1],
        published_average: 3.125,
    },
];

/// A year's published compliance, and the counts the demo's audits find to reproduce it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublishedCompliance {
    pub label: &'static str,
    pub from: (i32, Month, u8),
    pub to: (i32, Month, u8),
    /// As published, to one decimal place.
    pub percent: f64,
    pub examined: usize,
    /// Incidents that needed a form, and of those, how many had one:
    /// `completed / required` rounds to `percent`.
    pub required: usize,
    pub completed: usize,
    /// Forms completed when none was needed.
    pub over_referred: usize,
    /// Of the completed forms, the share on time (within 24 hours).
    pub on_time_share: f64,
}

pub const PUBLISHED_COMPLIANCE: [PublishedCompliance; 4] = [
    // 84 / 130 = 64.615…%
    PublishedCompliance {
        label: "2022",
        from: (2022, Month::January, 1),
        to: (2022, Month::December, 31),
        percent: 64.6,
        examined: 210,
        required: 130,
        completed: 84,
        over_referred: 9,
        on_time_share: 0.70,
    },
    // 99 / 143 = 69.23…%
    PublishedCompliance {
        label: "2023",
        from: (2023, Month::January, 1),
        to: (2023, Month::December, 31),
        percent: 69.2,
        examined: 210,
        required: 143,
        completed: 99,
        over_referred: 7,
        on_time_share: 0.78,
    },
    // 108 / 135 = 80%
    PublishedCompliance {
        label: "2024",
        from: (2024, Month::January, 1),
        to: (2024, Month::December, 31),
        percent: 80.0,
        examined: 210,
        required: 135,
        completed: 108,
        over_referred: 6,
        on_time_share: 0.85,
    },
    // 66 / 75 = 88%
    PublishedCompliance {
        label: "first half of 2025",
        from: (2025, Month::January, 1),
        to: (2025, Month::June, 30),
        percent: 88.0,
        examined: 105,
        required: 75,
        completed: 66,
        over_referred: 3,
        on_time_share: 0.90,
    },
];

pub fn date(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).expect("a real calendar date")
}

/// `YYYY-MM-DD`.
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `YYYY-MM-DDTHH:MM:SS`, as the register keeps local times.
fn stamp(t: PrimitiveDateTime) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}",
        iso(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoIncident {
    pub incident_ref: String,
    pub reported_at: PrimitiveDateTime,
    pub category: &'static str,
    pub area: &'static str,
    pub children_involved: bool,
    pub adult_at_risk: bool,
    pub domestic_abuse: bool,
    pub officer_staff_number: String,
    pub department: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReferral {
    pub referral_ref: String,
    pub incident_ref: String,
    pub submitted_at: PrimitiveDateTime,
    /// `child` or `adult`.
    pub subject_type: &'static str,
    pub category: &'static str,
    pub officer_grade: &'static str,
    pub officer_staff_number: String,
    pub partner: &'static str,
    pub narrative: String,
    /// How good the narrative is, 1 (very poor) to 4 (excellent): what a panel would agree.
    pub quality: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub referral_ref: String,
    /// `child` or `adult`.
    pub role: &'static str,
    pub name: String,
    pub date_of_birth: Date,
    pub address: String,
    pub area: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOutcome {
    pub referral_ref: String,
    pub partner: &'static str,
    pub outcome: &'static str,
    pub reason: &'static str,
    pub decided_at: Date,
}

/// One grader's (or the panel's agreed) grade for a referral: overall, per criterion (in
/// [`DEFAULT_RUBRIC`] order), and a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedGrade {
    pub grade: u8,
    pub scores: Vec<(&'static str, u8)>,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedItem {
    pub referral_ref: String,
    /// The senior leader's grade, then the partner reviewer's.
    pub graders: [PlannedGrade; 2],
    pub agreed: PlannedGrade,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedReview {
    pub title: String,
    /// When the trainer opened it (drew the sample and set the panel).
    pub opened_on: Date,
    /// When the panel submitted and the trainer closed it (`None` while it is still open).
    pub closed_on: Option<Date>,
    pub period_start: Date,
    pub period_end: Date,
    pub seed: u64,
    pub sample_size: usize,
    /// The referrals the seed draws, in draw order (empty for a review still to grade).
    pub sample: Vec<String>,
    /// Grades for each sampled referral, in draw order. For the review still open, what its
    /// panel will give: the demo records the senior leader's (graded and submitted) and leaves
    /// the partner reviewer's and the agreed grades to do.
    pub items: Vec<PlannedItem>,
    pub published: Option<PublishedReview>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFinding {
    pub incident_ref: String,
    pub finding: Finding,
    pub note: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAudit {
    pub title: String,
    /// When the auditor opened it (drew the sample).
    pub opened_on: Date,
    /// When the auditor recorded the findings and closed it (`None` while it is still open).
    pub closed_on: Option<Date>,
    pub period_start: Date,
    pub period_end: Date,
    pub seed: u64,
    /// The incidents the seed draws, in draw order.
    pub sample: Vec<String>,
    /// One per sampled incident; for the audit still open, those recorded so far (in draw
    /// order, never all).
    pub findings: Vec<PlannedFinding>,
}

/// The whole history.
#[derive(Debug, Clone)]
pub struct DemoQuality {
    pub incidents: Vec<DemoIncident>,
    pub referrals: Vec<DemoReferral>,
    pub people: Vec<DemoPerson>,
    pub outcomes: Vec<DemoOutcome>,
    /// The closed reviews, oldest first: the six published ones, then one per calendar quarter
    /// from October to December 2025 up to the one before the last completed quarter.
    pub reviews: Vec<PlannedReview>,
    /// The review of the last completed calendar quarter, drawn and waiting for its panel.
    pub open_review: PlannedReview,
    /// Closed bi-monthly audits, oldest first (the published ones, then on to the open one).
    pub audits: Vec<PlannedAudit>,
    /// The audit of the last two complete months (the audits page's default period), drawn and
    /// under way: the findings of its first incidents recorded.
    pub open_audit: PlannedAudit,
}

const AREAS: [&str; 7] = [
    "Northgate",
    "Riverside",
    "Eastfield",
    "Westbrook",
    "Southmoor",
    "Castleton",
    "Hillcrest",
];

const STREETS: [&str; 16] = [
    "Acacia Road",
    "Mill Lane",
    "Foundry Street",
    "Orchard Close",
    "Canal Walk",
    "Beacon Rise",
    "Station Terrace",
    "Larch Avenue",
    "Quarry Hill",
    "Weavers Row",
    "Kingfisher Way",
    "Chapel Street",
    "Heron Court",
    "Tannery Lane",
    "Market Yard",
    "Willow Crescent",
];

/// What kind of incident, and what a form (if one is needed) is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    DomesticChildren,
    DomesticAdult,
    Neglect,
    MissingChild,
    ChildWelfare,
    ChildAssault,
    AdultMentalHealth,
    AdultWelfare,
    // Incidents that needed no form.
    AdultAssault,
    AdultMissingFound,
    WelfareFoundWell,
    MentalHealthSupported,
}

impl Kind {
    fn category(self) -> &'static str {
        match self {
            Kind::DomesticChildren | Kind::DomesticAdult => "Domestic abuse",
            Kind::Neglect => "Neglect",
            Kind::MissingChild | Kind::AdultMissingFound => "Missing person",
            Kind::ChildWelfare | Kind::AdultWelfare | Kind::WelfareFoundWell => {
                "Concern for welfare"
            }
            Kind::ChildAssault | Kind::AdultAssault => "Assault",
            Kind::AdultMentalHealth | Kind::MentalHealthSupported => "Mental health",
        }
    }

    /// (children involved, adult at risk, domestic abuse)
    fn flags(self) -> (bool, bool, bool) {
        match self {
            Kind::DomesticChildren => (true, false, true),
            Kind::DomesticAdult => (false, false, true),
            Kind::Neglect | Kind::MissingChild | Kind::ChildWelfare | Kind::ChildAssault => {
                (true, false, false)
            }
            Kind::AdultMentalHealth | Kind::AdultWelfare => (false, true, false),
            _ => (false, false, false),
        }
    }

    fn needs_form(self) -> bool {
        !matches!(
            self,
            Kind::AdultAssault
                | Kind::AdultMissingFound
                | Kind::WelfareFoundWell
                | Kind::MentalHealthSupported
        )
    }

    fn child_subject(self) -> bool {
        matches!(
            self,
            Kind::DomesticChildren
                | Kind::Neglect
                | Kind::MissingChild
                | Kind::ChildWelfare
                | Kind::ChildAssault
        )
    }

    fn required_reason(self) -> RequiredReason {
        let (children, adult, _) = self.flags();
        if children {
            RequiredReason::Child
        } else if adult {
            RequiredReason::AdultAtRisk
        } else {
            RequiredReason::Other
        }
    }
}

fn pick_kind(rng: &mut ChaCha20Rng, needs_form: bool) -> Kind {
    let table: &[(Kind, u32)] = if needs_form {
        &[
            (Kind::DomesticChildren, 30),
            (Kind::DomesticAdult, 12),
            (Kind::Neglect, 10),
            (Kind::MissingChild, 12),
            (Kind::ChildWelfare, 10),
            (Kind::ChildAssault, 8),
            (Kind::AdultMentalHealth, 10),
            (Kind::AdultWelfare, 8),
        ]
    } else {
        &[
            (Kind::AdultAssault, 35),
            (Kind::AdultMissingFound, 20),
            (Kind::WelfareFoundWell, 25),
            (Kind::MentalHealthSupported, 20),
        ]
    };
    weighted(rng, table)
}

fn weighted<T: Copy>(rng: &mut ChaCha20Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (item, w) in table {
        if roll < *w {
            return *item;
        }
        roll -= w;
    }
    table[table.len() - 1].0
}

/// Someone who attends incidents and writes referrals, and from when.
struct Officer {
    staff_number: String,
    department: String,
    from: Date,
}

fn officers() -> (Vec<Officer>, Option<Officer>) {
    let demo_officer = demo_accounts()
        .into_iter()
        .find(|a| a.username == "demo-officer")
        .map(|a| a.staff_number.to_string());
    let mut pool = Vec::new();
    let mut special = None;
    for p in demo_people() {
        let dept = p.department.clone().unwrap_or_default();
        let rank = p.rank.clone().unwrap_or_default();
        let o = Officer {
            staff_number: p.staff_number.to_string(),
            department: dept.clone(),
            from: p.start_date.unwrap_or(date(2000, Month::January, 1)),
        };
        if Some(&o.staff_number) == demo_officer.as_ref() {
            special = Some(o);
            continue;
        }
        let frontline = matches!(
            dept.as_str(),
            "Response" | "Neighbourhood Policing" | "Criminal Investigation Department"
        ) && matches!(rank.as_str(), "PC" | "PCSO" | "DC" | "Sgt");
        if frontline {
            pool.push(o);
        }
    }
    (pool, special)
}

fn pick_officer<'a>(
    rng: &mut ChaCha20Rng,
    pool: &'a [Officer],
    special: Option<&'a Officer>,
    on: Date,
) -> &'a Officer {
    if let Some(s) = special {
        if s.from <= on && rng.gen_range(0..100) < 4 {
            return s;
        }
    }
    let eligible: Vec<&Officer> = pool.iter().filter(|o| o.from <= on).collect();
    if eligible.is_empty() {
        return &pool[0];
    }
    eligible[rng.gen_range(0..eligible.len())]
}

/// The three months before a review's month: the April 2022 review covers January to March.
fn quarter_before(year: i32, month: Month) -> (Date, Date) {
    let first = date(year, month, 1);
    let end = first.previous_day().expect("not the first day of time");
    let mut start = first;
    for _ in 0..3 {
        start = date(
            start.previous_day().unwrap().year(),
            start.previous_day().unwrap().month(),
            1,
        );
    }
    (start, end)
}

/// Draws as the store does: the frame is every record whose time falls within the period (both
/// days inclusive), in key order.
fn draw_in(
    keys_times: &[(String, String)],
    from: Date,
    to: Date,
    size: usize,
    seed: u64,
) -> Vec<usize> {
    let lo = iso(from);
    let hi = iso(to.next_day().expect("a day after"));
    let frame: Vec<usize> = (0..keys_times.len())
        .filter(|&i| {
            keys_times[i].1.as_str() >= lo.as_str() && keys_times[i].1.as_str() < hi.as_str()
        })
        .collect();
    let items: Vec<FrameItem<'_>> = frame
        .iter()
        .map(|&i| FrameItem {
            key: &keys_times[i].0,
            stratum: "",
        })
        .collect();
    sampling::draw(&items, size, seed)
        .expect("the demo's frames are larger than its samples")
        .into_iter()
        .map(|d| frame[d.index])
        .collect()
}

fn month_name(m: Month) -> &'static str {
    match m {
        Month::January => "January",
        Month::February => "February",
        Month::March => "March",
        Month::April => "April",
        Month::May => "May",
        Month::June => "June",
        Month::July => "July",
        Month::August => "August",
        Month::September => "September",
        Month::October => "October",
        Month::November => "November",
        Month::December => "December",
    }
}

/// The first day of the month after `d`'s.
fn next_month_start(d: Date) -> Date {
    if d.month() == Month::December {
        date(d.year() + 1, Month::January, 1)
    } else {
        date(d.year(), d.month().next(), 1)
    }
}

/// The audits' periods: two months each from January 2022 (the published record ends with June
/// 2025), on without a gap to the open one, which covers the last two complete months before
/// `today`'s (what the audits page offers by default). A month left over before the open one is
/// audited alone.
fn audit_periods(today: Date) -> (Vec<(Date, Date)>, (Date, Date)) {
    let open = crate::audits::Period::last_two_months(today);
    let mut out = Vec::new();
    for year in 2022..=2025 {
        let pairs = if year == 2025 { 3 } else { 6 };
        for k in 0..pairs {
            let m1 = Month::try_from(1 + 2 * k as u8).unwrap();
            let m2 = m1.next();
            let start = date(year, m1, 1);
            let next = if m2 == Month::December {
                date(year + 1, Month::January, 1)
            } else {
                date(year, m2.next(), 1)
            };
            out.push((start, next.previous_day().unwrap()));
        }
    }
    let mut start = date(2025, Month::July, 1);
    while start < open.start {
        let after_two = next_month_start(next_month_start(start));
        let end = if after_two <= open.start {
            after_two
        } else {
            open.start
        };
        out.push((start, end.previous_day().unwrap()));
        start = end;
    }
    (out, (open.start, open.end))
}

/// The first moment the register does not reach: the start of `today` (nothing has been
/// submitted yet today).
fn register_end(today: Date) -> PrimitiveDateTime {
    PrimitiveDateTime::new(today, Time::MIDNIGHT)
}

/// The calendar quarter reviewed after the published record, from October 2025 to the last one
/// completed before `today`, as (first day, last day), oldest first.
fn quarters_after_published(today: Date) -> Vec<(Date, Date)> {
    let this_quarter = date(
        today.year(),
        Month::try_from(1 + (u8::from(today.month()) - 1) / 3 * 3).expect("a month"),
        1,
    );
    let mut out = Vec::new();
    let mut start = date(2025, Month::October, 1);
    while start < this_quarter {
        let next = next_month_start(next_month_start(next_month_start(start)));
        out.push((start, next.previous_day().expect("a day before")));
        start = next;
    }
    out
}

/// `d`, but never later than `latest`.
fn not_after(d: Date, latest: Date) -> Date {
    d.min(latest)
}

/// What happens to each incident: whether it needed a form and, if one was made, how many hours
/// after the incident.
#[derive(Debug, Clone, Copy)]
struct Fate {
    kind: Kind,
    referral_after_hours: Option<i64>,
}

fn on_time_hours(rng: &mut ChaCha20Rng) -> i64 {
    rng.gen_range(1..=22)
}

fn late_hours(rng: &mut ChaCha20Rng) -> i64 {
    rng.gen_range(27..=120)
}

/// The share of incidents needing a form that got one, by year, for incidents no audit sampled.
fn compliance_rate(year: i32) -> f64 {
    match year {
        2022 => 0.64,
        2023 => 0.69,
        2024 => 0.80,
        2025 => 0.87,
        _ => 0.90,
    }
}

/// How the quality of referrals no review sampled is spread (grades 1 to 4), by year.
fn quality_weights(year: i32) -> [(u8, u32); 4] {
    match year {
        2022 => [(1, 12), (2, 45), (3, 33), (4, 10)],
        2023 => [(1, 5), (2, 35), (3, 42), (4, 18)],
        2024 => [(1, 4), (2, 28), (3, 40), (4, 28)],
        2025 => [(1, 2), (2, 20), (3, 55), (4, 23)],
        _ => [(1, 1), (2, 17), (3, 54), (4, 28)],
    }
}

/// How many incidents the register holds when the demo is seeded on `today`: the four-year rate
/// of [`DEMO_INCIDENTS`], from 1 January 2022 to yesterday.
pub fn incident_count(today: Date) -> usize {
    let today = today.max(EARLIEST_TODAY);
    let days = (today - date(2022, Month::January, 1)).whole_days() as usize;
    let four_years = (date(2026, Month::January, 1) - date(2022, Month::January, 1)).whole_days();
    days * DEMO_INCIDENTS / four_years as usize
}

/// The history as the demo seeded on `today` shows it (see the module's documentation). The
/// same `today` gives the same history; a day before [`EARLIEST_TODAY`] is treated as that day.
pub fn demo_quality(today: Date) -> DemoQuality {
    let today = today.max(EARLIEST_TODAY);
    let yesterday = today.previous_day().expect("a day before");
    let mut rng = ChaCha20Rng::seed_from_u64(SEED);
    let (pool, special) = officers();
    let n_incidents = incident_count(today);

    // 1. When each incident was reported, evenly from January 2022 to yesterday, in time order.
    let first_day = date(2022, Month::January, 1);
    let days = (today - first_day).whole_days();
    let mut times: Vec<PrimitiveDateTime> = (0..n_incidents as i64)
        .map(|i| {
            let day = first_day + Duration::days(i * days / n_incidents as i64);
            // More in the evening than in the small hours.
            let hour = weighted(
                &mut rng,
                &[
                    (2u8, 4),
                    (7, 3),
                    (10, 5),
                    (13, 6),
                    (16, 7),
                    (19, 8),
                    (22, 5),
                ],
            ) + rng.gen_range(0..3);
            let t =
                Time::from_hms(hour.min(23), rng.gen_range(0..60), rng.gen_range(0..60)).unwrap();
            PrimitiveDateTime::new(day, t)
        })
        .collect();
    times.sort();
    let mut per_year: HashMap<i32, usize> = HashMap::new();
    let inc_keys: Vec<(String, String)> = times
        .iter()
        .map(|t| {
            let n = per_year.entry(t.year()).or_insert(0);
            *n += 1;
            (format!("INC-{}-{:05}", t.year(), n), stamp(*t))
        })
        .collect();

    // 2. The audits' samples, drawn as the store will draw them.
    let (periods, open_period) = audit_periods(today);
    let audit_seeds: Vec<u64> = (0..periods.len() as u64)
        .map(|k| 410_000 + k * 7_919)
        .collect();
    let audit_samples: Vec<Vec<usize>> = periods
        .iter()
        .zip(&audit_seeds)
        .map(|((from, to), seed)| draw_in(&inc_keys, *from, *to, AUDIT_SAMPLE, *seed))
        .collect();

    // 3. The fate of each incident: forced for the sampled ones so that the audits find the
    //    published counts exactly, random (at the year's rate) for the rest.
    let mut fates: Vec<Option<Fate>> = vec![None; n_incidents];
    let mut notes: HashMap<usize, &'static str> = HashMap::new();
    for published in PUBLISHED_COMPLIANCE {
        let (fy, fm, fd) = published.from;
        let (ty, tm, td) = published.to;
        let (from, to) = (date(fy, fm, fd), date(ty, tm, td));
        let mut sampled: Vec<usize> = periods
            .iter()
            .zip(&audit_samples)
            .filter(|((s, e), _)| *s >= from && *e <= to)
            .flat_map(|(_, sample)| sample.iter().copied())
            .collect();
        assert_eq!(sampled.len(), published.examined, "{}", published.label);
        sampled.shuffle(&mut rng);
        let on_time = (published.completed as f64 * published.on_time_share).round() as usize;
        for (k, &i) in sampled.iter().enumerate() {
            let required = k < published.required;
            let kind = pick_kind(&mut rng, required);
            let hours = if required {
                if k < on_time {
                    Some(on_time_hours(&mut rng))
                } else if k < published.completed {
                    Some(late_hours(&mut rng))
                } else {
                    notes.insert(
                        i,
                        [
                            "No referral found for this incident",
                            "Officer recorded the children present but made no referral",
                            "Risk noted in the log; no form submitted",
                        ][k % 3],
                    );
                    None
                }
            } else if k < published.required + published.over_referred {
                notes.insert(i, "A referral was made although no form was needed");
                Some(on_time_hours(&mut rng))
            } else {
                None
            };
            fates[i] = Some(Fate {
                kind,
                referral_after_hours: hours,
            });
        }
    }
    for (i, fate) in fates.iter_mut().enumerate() {
        if fate.is_some() {
            continue;
        }
        let year = times[i].year();
        let needs = rng.gen_bool(0.55);
        let kind = pick_kind(&mut rng, needs);
        let made = if needs {
            rng.gen_bool(compliance_rate(year))
        } else {
            rng.gen_bool(0.04)
        };
        let hours = made.then(|| {
            if rng.gen_bool(0.8) {
                on_time_hours(&mut rng)
            } else {
                late_hours(&mut rng)
            }
        });
        *fate = Some(Fate {
            kind,
            referral_after_hours: hours,
        });
    }
    let fates: Vec<Fate> = fates
        .into_iter()
        .map(|f| f.expect("every fate set"))
        .collect();

    // 4. The incidents themselves.
    let mut incidents = Vec::with_capacity(n_incidents);
    for (i, fate) in fates.iter().enumerate() {
        let officer = pick_officer(&mut rng, &pool, special.as_ref(), times[i].date());
        let (children, adult, da) = fate.kind.flags();
        incidents.push(DemoIncident {
            incident_ref: inc_keys[i].0.clone(),
            reported_at: times[i],
            category: fate.kind.category(),
            area: AREAS[rng.gen_range(0..AREAS.len())],
            children_involved: children,
            adult_at_risk: adult,
            domestic_abuse: da,
            officer_staff_number: officer.staff_number.clone(),
            department: officer.department.clone(),
        });
    }

    // 5. Referral skeletons: one for each incident that got one, numbered in submission order.
    //    A referral that would be submitted today or later is not on the register yet, so the
    //    last days' incidents wait for theirs (and some reach the missing-referral queue).
    let end = register_end(today);
    let mut made: Vec<(PrimitiveDateTime, usize)> = fates
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let h = f.referral_after_hours?;
            let at = (times[i] + Duration::hours(h) + Duration::minutes(rng.gen_range(0..50)))
                .max(times[i]);
            (at < end).then_some((at, i))
        })
        .collect();
    made.sort();
    let mut per_year: HashMap<i32, usize> = HashMap::new();
    let ref_keys: Vec<(String, String)> = made
        .iter()
        .map(|(at, _)| {
            let n = per_year.entry(at.year()).or_insert(0);
            *n += 1;
            (format!("PPN-{}-{:05}", at.year(), n), stamp(*at))
        })
        .collect();

    // Who had the frontline input, and when: the delivery plan's attended seats. A referral
    // made after its officer's input is less often rejected or returned (the training effect
    // the dashboard estimates).
    let trained_on = trained_on(today);

    // 6. The reviews' samples, and the agreed grade of each sampled referral.
    let mut agreed_of: HashMap<usize, u8> = HashMap::new();
    let mut review_plans = Vec::new();
    for (r, published) in PUBLISHED_REVIEWS.iter().enumerate() {
        let (from, to) = quarter_before(published.year, published.month);
        let size: usize = published.counts.iter().sum();
        let seed = 520_000 + r as u64 * 104_729;
        let sample = draw_in(&ref_keys, from, to, size, seed);
        let mut grades: Vec<u8> = published
            .counts
            .iter()
            .enumerate()
            .flat_map(|(g, &n)| std::iter::repeat_n(g as u8 + 1, n))
            .collect();
        grades.shuffle(&mut rng);
        for (&j, &g) in sample.iter().zip(&grades) {
            agreed_of.insert(j, g);
        }
        review_plans.push((Some(*published), from, to, seed, sample, grades));
    }
    // After the published record: a review of each calendar quarter, the last one still open.
    let mut quarters = quarters_after_published(today);
    let (open_from, open_to) = quarters.pop().expect("October to December 2025 at least");
    for (from, to) in quarters {
        let r = review_plans.len();
        let seed = 520_000 + r as u64 * 104_729;
        let sample = draw_in(&ref_keys, from, to, 10, seed);
        let grades: Vec<u8> = sample
            .iter()
            .map(|_| weighted(&mut rng, &quality_weights(from.year())))
            .collect();
        for (&j, &g) in sample.iter().zip(&grades) {
            agreed_of.insert(j, g);
        }
        review_plans.push((None, from, to, seed, sample, grades));
    }
    let open_seed = 731_205_001;
    let open_sample = draw_in(&ref_keys, open_from, open_to, 10, open_seed);

    // 7. Referrals, the people named in them, and outcomes.
    let staff_names: HashSet<String> = demo_people().into_iter().map(|p| p.name).collect();
    let mut referrals = Vec::with_capacity(made.len());
    let mut people = Vec::new();
    let mut outcomes = Vec::new();
    for (j, (at, i)) in made.iter().enumerate() {
        let incident = &incidents[*i];
        let kind = fates[*i].kind;
        let quality = agreed_of
            .get(&j)
            .copied()
            .unwrap_or_else(|| weighted(&mut rng, &quality_weights(at.year())));
        let referral_ref = ref_keys[j].0.clone();
        let household = household(&mut rng, &staff_names, kind, incident.reported_at.date());
        let child_subject = kind.child_subject();
        let partner = if child_subject {
            weighted(
                &mut rng,
                &[
                    ("Children's social care", 70),
                    ("Early help", 12),
                    ("Education", 10),
                    ("Health", 8),
                ],
            )
        } else {
            weighted(&mut rng, &[("Adult social care", 75), ("Health", 25)])
        };
        let officer_grade = weighted(&mut rng, &[("Standard", 45), ("Medium", 38), ("High", 17)]);
        let address = format!(
            "{} {}, {}",
            rng.gen_range(1..140),
            STREETS[rng.gen_range(0..STREETS.len())],
            incident.area
        );
        let narrative = narrative(
            &mut rng,
            kind,
            quality,
            &household,
            &address,
            incident.area,
            officer_grade,
            partner,
        );
        for m in &household.members {
            people.push(DemoPerson {
                referral_ref: referral_ref.clone(),
                role: if m.child { "child" } else { "adult" },
                name: m.name.clone(),
                date_of_birth: m.born,
                address: address.clone(),
                area: incident.area,
            });
        }
        // Most referrals have the partner's answer; the last fortnight's may still be waiting.
        // Nothing is decided today or later.
        let recent = *at > end - Duration::days(14);
        if !recent || rng.gen_bool(0.4) {
            let trained = trained_on
                .get(&incident.officer_staff_number)
                .is_some_and(|d| at.date() >= *d);
            let (outcome, reason) = outcome(&mut rng, quality, child_subject, trained);
            let decided_at = at.date() + Duration::days(rng.gen_range(1..7));
            if decided_at < today {
                outcomes.push(DemoOutcome {
                    referral_ref: referral_ref.clone(),
                    partner,
                    outcome,
                    reason,
                    decided_at,
                });
            }
        }
        referrals.push(DemoReferral {
            referral_ref,
            incident_ref: incident.incident_ref.clone(),
            submitted_at: *at,
            subject_type: if child_subject { "child" } else { "adult" },
            category: incident.category,
            officer_grade,
            officer_staff_number: incident.officer_staff_number.clone(),
            partner,
            narrative,
            quality,
        });
    }

    // 8. The reviews' grades.
    let mut reviews = Vec::new();
    for (r, (published, from, to, seed, sample, grades)) in review_plans.into_iter().enumerate() {
        // Published reviews were held in their month; later ones in the month after the quarter.
        let held = match published {
            Some(p) => date(p.year, p.month, 1),
            None => next_month_start(to),
        };
        let year = published.map_or(from.year(), |p| p.year);
        let items = sample
            .iter()
            .zip(&grades)
            .enumerate()
            .map(|(pos, (&j, &agreed))| {
                // Four of the six reviews have one referral on which the graders were two grades
                // apart, so the moderation flags have something to show.
                let wide = pos == 0 && r % 3 != 2;
                plan_item(&mut rng, ref_keys[j].0.clone(), agreed, year, wide)
            })
            .collect();
        reviews.push(PlannedReview {
            title: format!(
                "{} {} referral quality review ({})",
                month_name(held.month()),
                held.year(),
                span(from, to)
            ),
            opened_on: held + Duration::days(4),
            closed_on: Some(held + Duration::days(23)),
            period_start: from,
            period_end: to,
            seed,
            sample_size: sample.len(),
            sample: sample.iter().map(|&j| ref_keys[j].0.clone()).collect(),
            items,
            published,
        });
    }
    let open_held = next_month_start(open_to);
    let open_review = PlannedReview {
        title: format!(
            "{} {} referral quality review ({})",
            month_name(open_held.month()),
            open_held.year(),
            span(open_from, open_to)
        ),
        opened_on: not_after(open_held + Duration::days(4), yesterday),
        closed_on: None,
        period_start: open_from,
        period_end: open_to,
        seed: open_seed,
        sample_size: open_sample.len(),
        sample: open_sample.iter().map(|&j| ref_keys[j].0.clone()).collect(),
        items: open_sample
            .iter()
            .enumerate()
            .map(|(pos, &j)| {
                let r = &referrals[j];
                plan_item(
                    &mut rng,
                    r.referral_ref.clone(),
                    r.quality,
                    open_from.year(),
                    pos == 0,
                )
            })
            .collect(),
        published: None,
    };

    // 9. The audits' findings.
    let referral_of: HashMap<usize, usize> =
        made.iter().enumerate().map(|(j, (_, i))| (*i, j)).collect();
    let finding_of = |i: usize| {
        let fate = fates[i];
        let required = fate.kind.needs_form();
        let completed = referral_of.contains_key(&i);
        let on_time = fate.referral_after_hours.map(|h| h <= 24);
        PlannedFinding {
            incident_ref: inc_keys[i].0.clone(),
            finding: Finding {
                form_required: required,
                required_reason: required.then(|| fate.kind.required_reason()),
                form_completed: completed,
                on_time: if completed { on_time } else { None },
            },
            note: notes.get(&i).copied().unwrap_or(if required && !completed {
                "No referral found for this incident"
            } else {
                ""
            }),
        }
    };
    let mut audits = Vec::new();
    for (((from, to), seed), sample) in periods.iter().zip(&audit_seeds).zip(&audit_samples) {
        let findings = sample.iter().map(|&i| finding_of(i)).collect();
        let opened = not_after(*to + Duration::days(5), yesterday);
        audits.push(PlannedAudit {
            title: audit_title(*from, *to),
            opened_on: opened,
            closed_on: Some(not_after(opened + Duration::days(16), yesterday)),
            period_start: *from,
            period_end: *to,
            seed: *seed,
            sample: sample.iter().map(|&i| inc_keys[i].0.clone()).collect(),
            findings,
        });
    }
    let open_audit_seed = 880_125_007;
    let open_opened = not_after(open_period.1 + Duration::days(3), yesterday);
    let open_sample = draw_in(
        &inc_keys,
        open_period.0,
        open_period.1,
        AUDIT_SAMPLE,
        open_audit_seed,
    );
    // The auditor gets through about six a day once the audit is open, and has not finished.
    let recorded = ((today - open_opened).whole_days() * 6).clamp(0, AUDIT_SAMPLE as i64 - 5);
    let open_audit = PlannedAudit {
        title: audit_title(open_period.0, open_period.1),
        opened_on: open_opened,
        closed_on: None,
        period_start: open_period.0,
        period_end: open_period.1,
        seed: open_audit_seed,
        sample: open_sample.iter().map(|&i| inc_keys[i].0.clone()).collect(),
        findings: open_sample
            .iter()
            .take(recorded as usize)
            .map(|&i| finding_of(i))
            .collect(),
    };

    DemoQuality {
        incidents,
        referrals,
        people,
        outcomes,
        reviews,
        open_review,
        audits,
        open_audit,
    }
}

/// "January to March 2022", or "December 2024 to February 2025".
fn span(from: Date, to: Date) -> String {
    if from.year() == to.year() {
        format!(
            "{} to {} {}",
            month_name(from.month()),
            month_name(to.month()),
            to.year()
        )
    } else {
        format!(
            "{} {} to {} {}",
            month_name(from.month()),
            from.year(),
            month_name(to.month()),
            to.year()
        )
    }
}

fn audit_title(from: Date, to: Date) -> String {
    if (from.year(), from.month()) == (to.year(), to.month()) {
        format!("Compliance audit, {} {}", month_name(to.month()), to.year())
    } else if from.year() == to.year() {
        format!(
            "Compliance audit, {} and {} {}",
            month_name(from.month()),
            month_name(to.month()),
            to.year()
        )
    } else {
        format!(
            "Compliance audit, {} {} and {} {}",
            month_name(from.month()),
            from.year(),
            month_name(to.month()),
            to.year()
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Households

struct Member {
    name: String,
    first: String,
    child: bool,
    born: Date,
    age: i32,
}

struct Household {
    members: Vec<Member>,
}

impl Household {
    fn children(&self) -> Vec<&Member> {
        self.members.iter().filter(|m| m.child).collect()
    }
    fn adults(&self) -> Vec<&Member> {
        self.members.iter().filter(|m| !m.child).collect()
    }
}

fn household(
    rng: &mut ChaCha20Rng,
    staff_names: &HashSet<String>,
    kind: Kind,
    on: Date,
) -> Household {
    let surname = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
    let mut used: HashSet<String> = HashSet::new();
    let mut person = |rng: &mut ChaCha20Rng, child: bool, own_surname: bool| -> Member {
        loop {
            let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
            let last = if own_surname {
                LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())]
            } else {
                surname
            };
            let name = format!("{first} {last}");
            if staff_names.contains(&name) || used.contains(&name) {
                continue;
            }
            used.insert(name.clone());
            let age = if child {
                rng.gen_range(0..17)
            } else {
                rng.gen_range(19..68)
            };
            let born = on - Duration::days(365 * i64::from(age) + rng.gen_range(20..340));
            return Member {
                name,
                first: first.to_string(),
                child,
                born,
                age,
            };
        }
    };
    let mut members = Vec::new();
    if kind.child_subject() {
        let n = weighted(rng, &[(1usize, 5), (2, 4), (3, 2)]);
        for _ in 0..n {
            members.push(person(rng, true, false));
        }
        members.push(person(rng, false, false));
        if rng.gen_bool(0.6) {
            members.push(person(rng, false, true));
        }
    } else {
        members.push(person(rng, false, false));
        if kind == Kind::DomesticAdult || rng.gen_bool(0.3) {
            members.push(person(rng, false, true));
        }
    }
    Household { members }
}

// ---------------------------------------------------------------------------------------------
// Narratives: what the officer wrote, as good as its quality

fn what_happened(rng: &mut ChaCha20Rng, kind: Kind, h: &Household, area: &str) -> String {
    let a = h.adults();
    let a1 = a[0].first.as_str();
    let a2 = a.get(1).map_or("her ex-partner", |m| m.first.as_str());
    let c1 = h.children().first().map_or("", |m| m.first.as_str());
    let options: Vec<String> = match kind {
        Kind::DomesticChildren | Kind::DomesticAdult => vec![
            format!("A neighbour called police after hearing shouting and a crash. {a1} said {a2} had pushed her into the kitchen door during an argument about money; she had a red mark on her upper arm."),
            format!("{a1} called 999 saying {a2} had come to the house drunk, refused to leave and threatened to smash the windows. {a2} had left before officers arrived."),
        ],
        Kind::Neglect => vec![
            format!("Officers attended after a report that {c1} had been left alone overnight. The home was cold, there was little food in the kitchen and the bedding was soiled. {a1} returned at 09:40."),
            format!("School raised a concern that {c1} had arrived hungry and in the same clothes all week; officers visiting the home found it in a poor state, with dog mess on the floors."),
        ],
        Kind::MissingChild => vec![
            format!("{c1} was reported missing by {a1} at 22:00 and was found by officers at 01:30 near the bus station in {area}, with an older male not known to the family."),
            format!("{c1} did not return from school; {a1} reported them missing at 19:15. They were found the next morning at a friend's address and said they did not want to go home."),
        ],
        Kind::ChildWelfare => vec![
            format!("A member of the public reported a young child crying on a balcony for over an hour. Officers found {c1} alone; {a1} returned 40 minutes later and said she had gone to the shop."),
            format!("A taxi driver reported {a1} appearing heavily intoxicated while caring for {c1} in {area} town centre late at night."),
        ],
        Kind::ChildAssault => vec![
            format!("{c1} reported being punched and kicked by an older pupil on the way home from school; the same group had taken their phone the week before."),
            format!("{c1} disclosed to a teacher that {a1}'s partner had hit them with a belt; there was bruising to the back of the legs."),
        ],
        Kind::AdultMentalHealth => vec![
            format!("{a1} called police saying she wanted to end her life. Officers found her at home, intoxicated, with cuts to her forearm; she was taken to the emergency department."),
            format!("{a1} was found on a railway bridge in {area} saying he could not cope any more; he agreed to come away with officers and was seen by the street triage nurse."),
        ],
        Kind::AdultWelfare => vec![
            format!("Neighbours reported that {a1}, who lives alone, had not been seen for several days. Officers found him confused, with no food in the house and the heating off."),
            format!("{a1}, who has a learning disability, reported that people he calls friends have been staying at his flat, using his bank card and not letting him into his own bedroom."),
        ],
        _ => vec![format!("Officers attended an incident involving {a1} in {area}.")],
    };
    options[rng.gen_range(0..options.len())].clone()
}

fn voice(kind: Kind, h: &Household, full: bool) -> String {
    if let Some(c) = h.children().first() {
        let seen = format!(
            "{} was found in the living room, quiet and watchful, and did not want to leave {}'s side.",
            c.first,
            h.adults()[0].first
        );
        if full {
            let words = match kind {
                Kind::MissingChild => {
                    "\"I don't like it at home when he's there, he shouts all the time.\""
                }
                Kind::Neglect => "\"Mum sleeps a lot. I make my own tea, it's mostly cereal.\"",
                Kind::ChildAssault => {
                    "\"I don't want to go to school tomorrow, they'll be waiting.\""
                }
                _ => "\"I put my headphones on when they start shouting.\"",
            };
            format!("{seen} Spoken to alone, {} said: {words}", c.first)
        } else {
            seen
        }
    } else {
        let a = &h.adults()[0];
        if full {
            format!(
                "{} said in their own words that they feel \"frightened and on my own\" and want help to stay safe at home.",
                a.first
            )
        } else {
            format!("{} was upset but calm by the time officers left.", a.first)
        }
    }
}

fn who_line(h: &Household, with_dates: bool) -> String {
    let describe = |m: &Member| {
        if with_dates {
            format!("{} (born {}, aged {})", m.name, uk(m.born), m.age)
        } else {
            m.name.clone()
        }
    };
    let children: Vec<String> = h.children().into_iter().map(describe).collect();
    let adults: Vec<String> = h.adults().into_iter().map(describe).collect();
    let mut s = String::new();
    if !adults.is_empty() {
        s.push_str(&format!("Adults: {}.", adults.join("; ")));
    }
    if !children.is_empty() {
        s.push_str(&format!(" Children: {}.", children.join("; ")));
    }
    s.trim().to_string()
}

fn uk(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

#[allow(clippy::too_many_arguments)]
fn narrative(
    rng: &mut ChaCha20Rng,
    kind: Kind,
    quality: u8,
    h: &Household,
    address: &str,
    area: &str,
    officer_grade: &str,
    partner: &str,
) -> String {
    let what = what_happened(rng, kind, h, area);
    let category = kind.category().to_lowercase();
    let a1 = &h.adults()[0];
    let kids = h.children().len();
    match quality {
        1 => format!(
            "Attended {category} at address in {area}. {} and partner present{}. No offences disclosed. NFA by police. FYI.",
            a1.first,
            if kids > 0 {
                format!(", {kids} kids in the house")
            } else {
                String::new()
            }
        ),
        2 => format!(
            "Police attended {address} re {category}. {what} {} Officer risk assessed as {}. Sharing for info.",
            who_line(h, false),
            officer_grade.to_lowercase()
        ),
        3 => format!(
            "Who: {}\nAddress: {address}.\nWhat happened: {what}\nThe {}: {}\nRisk: assessed as {} because of the history of incidents at the address; DASH completed.\nConsent: {}\nRequest: please consider whether {partner} needs to take any action.",
            who_line(h, true),
            if kids > 0 { "child" } else { "person" },
            voice(kind, h, false),
            officer_grade.to_lowercase(),
            if rng.gen_bool(0.5) {
                format!("{} agreed to this referral being made.", a1.first)
            } else {
                "not sought, as officers believed asking could increase the risk.".to_string()
            },
        ),
        _ => format!(
            "Why I am referring: {}\nWho: {}\nAddress: {address}. School or GP recorded where known.\nWhat happened: {what} What I saw is kept apart from what I was told.\nThe {}'s experience: {}\nRisk: {} risk. Domestic abuse risk assessment (DASH) score 14: previous incidents in 2023, {} drinks heavily, and there is a new pregnancy.\nConsent and views: {} was told about this referral and agreed to it; she wants support to keep the children at home and safe.\nWhat I am asking {partner} to do: consider an assessment of the children's needs, and tell the school's safeguarding lead by the end of tomorrow. I have already told the health visitor.",
            if kids > 0 {
                "the children are living with repeated incidents at home and their needs may not be met."
            } else {
                "this adult appears to have care and support needs and cannot protect themselves."
            },
            who_line(h, true),
            if kids > 0 { "child" } else { "adult" },
            voice(kind, h, true),
            officer_grade,
            h.adults().get(1).map_or(a1.first.as_str(), |m| m.first.as_str()),
            a1.first,
        ),
    }
}

/// The day each person first attended the frontline input, by staff number, from the delivery
/// plan the demo's sessions are made from.
fn trained_on(today: Date) -> HashMap<String, Date> {
    use crate::demo_delivery::{delivery_plan, DemoPerson, Seat};
    let people: Vec<DemoPerson> = demo_people()
        .into_iter()
        .map(|p| DemoPerson {
            staff_number: p.staff_number.to_string(),
            name: p.name,
            email: p.email,
            rank: p.rank,
            department: p.department,
            start_date: p.start_date,
            cohort: p.cohort,
            active: true,
        })
        .collect();
    let mut out = HashMap::new();
    for s in delivery_plan(
        &people,
        crate::training_seed::TRAINER_STAFF_NUMBER,
        &[],
        today,
    ) {
        if !s.delivered {
            continue;
        }
        for (sn, seat) in &s.seats {
            if matches!(seat, Seat::Attended(_)) {
                out.entry(sn.clone()).or_insert(s.starts_local.date());
            }
        }
    }
    out
}

fn outcome(
    rng: &mut ChaCha20Rng,
    quality: u8,
    child: bool,
    trained: bool,
) -> (&'static str, &'static str) {
    let q = usize::from(quality.clamp(1, 4)) - 1;
    // Weights by quality 1..4; after the officer's input, fewer are returned for more
    // information or closed with no further action.
    let returned = [35, 18, 6, 2][q] * if trained { 4 } else { 10 } / 10;
    let nfa = [25, 22, 15, 10][q] * if trained { 6 } else { 10 } / 10;
    let advice = [15, 18, 15, 10][q];
    let early = [10, 15, 20, 20][q];
    let assessment = [10, 17, 30, 35][q];
    let statutory = [5, 10, 14, 23][q];
    let o = weighted(
        rng,
        &[
            ("returned_more_information", returned),
            ("no_further_action", nfa),
            ("advice_signpost", advice),
            (
                if child {
                    "early_help"
                } else {
                    "advice_signpost"
                },
                early,
            ),
            ("accepted_assessment", assessment),
            (
                if child {
                    "accepted_s47"
                } else {
                    "accepted_s42"
                },
                statutory,
            ),
        ],
    );
    let reason = match o {
        "returned_more_information" => {
            "Not enough to decide: please say who lives there and what you want us to do"
        }
        "no_further_action" => "Threshold not met; the family already has support in place",
        "advice_signpost" => "Advice given to the family and signposted to local services",
        "early_help" => "Passed to the early help team for a family support offer",
        "accepted_assessment" => "Accepted for a needs assessment",
        "accepted_s47" => "Strategy discussion held; section 47 enquiries started",
        _ => "Section 42 safeguarding enquiry opened",
    };
    (o, reason)
}

// ---------------------------------------------------------------------------------------------
// Grades

/// Which criteria a year's referrals tend to be weak on (themes from the published reviews):
/// the child's voice and consent early on, then what the partner is asked to do.
fn weakness(year: i32, code: &str) -> i32 {
    match (year, code) {
        (2022 | 2023, "voice" | "consent") => -1,
        (2024, "consent" | "ask") => -1,
        (2025, "ask") => -1,
        (_, "clarity" | "what") => 1,
        _ => 0,
    }
}

fn scores_for(rng: &mut ChaCha20Rng, grade: u8, year: i32) -> Vec<(&'static str, u8)> {
    let g = i32::from(grade);
    let mut s: Vec<i32> = DEFAULT_RUBRIC
        .iter()
        .map(|c| {
            let noise = weighted(rng, &[(-1, 1), (0, 4), (1, 1)]);
            (g + weakness(year, c.code) + noise).clamp(1, 4)
        })
        .collect();
    // Keep the criteria's mean within half a grade of the overall grade.
    for _ in 0..20 {
        let mean = s.iter().sum::<i32>() as f64 / s.len() as f64;
        if mean - f64::from(g) > 0.5 {
            let k = (0..s.len()).max_by_key(|&k| (s[k], k)).unwrap();
            s[k] -= 1;
        } else if f64::from(g) - mean > 0.5 {
            let k = (0..s.len()).min_by_key(|&k| (s[k], k)).unwrap();
            s[k] += 1;
        } else {
            break;
        }
    }
    DEFAULT_RUBRIC
        .iter()
        .zip(s)
        .map(|(c, v)| (c.code, v.clamp(1, 4) as u8))
        .collect()
}

fn weak_phrase(code: &str) -> &'static str {
    match code {
        "who" => "Household not fully identified: no dates of birth for the children",
        "what" => "The account mixes what was seen with what was said and is hard to follow",
        "voice" => {
            "The voice of the child is missing: nothing on how they presented or what they said"
        }
        "risk" => "Risk grade given without the reason for it",
        "consent" => "No mention of consent, or of why it was shared without it",
        "ask" => "The ask is unclear: what do we want the partner to do?",
        _ => "Unexplained police jargon (NFA, DASH, OIC) gets in the way of clarity",
    }
}

fn comment_for(grade: u8, scores: &[(&'static str, u8)]) -> String {
    let mut weakest: Vec<&(&str, u8)> = scores.iter().collect();
    weakest.sort_by_key(|(code, s)| (*s, *code));
    match grade {
        4 => {
            let mut c = "Clear and well ordered; the child's lived experience comes through and the ask is specific.".to_string();
            if let Some((code, s)) = weakest.first() {
                if *s < 4 {
                    c.push_str(&format!(" Minor: {}.", weak_phrase(code).to_lowercase()));
                }
            }
            c
        }
        _ => {
            let picked: Vec<&str> = weakest
                .iter()
                .filter(|(_, s)| *s <= grade)
                .take(if grade == 1 { 3 } else { 2 })
                .map(|(code, _)| weak_phrase(code))
                .collect();
            let lead = match grade {
                1 => "Not something a partner can act on.",
                2 => "Some useful facts, but gaps.",
                _ => "A sound referral.",
            };
            if picked.is_empty() {
                lead.to_string()
            } else {
                format!("{lead} {}.", picked.join(". "))
            }
        }
    }
}

fn plan_item(
    rng: &mut ChaCha20Rng,
    referral_ref: String,
    agreed: u8,
    year: i32,
    wide: bool,
) -> PlannedItem {
    let other = if wide {
        // Two grades apart: upwards where there is room, else downwards.
        if agreed <= 2 {
            agreed + 2
        } else {
            agreed - 2
        }
    } else {
        let roll = rng.gen_range(0..100);
        if roll < 62 {
            agreed
        } else {
            let up = rng.gen_bool(0.5);
            match (up, agreed) {
                (true, 4) | (false, 1) => {
                    if agreed == 4 {
                        3
                    } else {
                        2
                    }
                }
                (true, g) => g + 1,
                (false, g) => g - 1,
            }
        }
    };
    // Which grader saw it differently: the partner reviewer, more often than not.
    let partner_differs = rng.gen_bool(0.6);
    let (leader_grade, partner_grade) = if partner_differs {
        (agreed, other)
    } else {
        (other, agreed)
    };
    let grade = |rng: &mut ChaCha20Rng, g: u8| {
        let scores = scores_for(rng, g, year);
        PlannedGrade {
            grade: g,
            comment: comment_for(g, &scores),
            scores,
        }
    };
    let leader = grade(rng, leader_grade);
    let partner = grade(rng, partner_grade);
    let mut agreed_grade = grade(rng, agreed);
    agreed_grade.comment = if leader_grade.abs_diff(partner_grade) >= 2 {
        format!(
            "Graders were two grades apart ({leader_grade} and {partner_grade}); agreed {agreed} after discussion. {}",
            agreed_grade.comment
        )
    } else {
        format!("Agreed at moderation. {}", agreed_grade.comment)
    };
    PlannedItem {
        referral_ref,
        graders: [leader, partner],
        agreed: agreed_grade,
    }
}

// ---------------------------------------------------------------------------------------------
// The register as canonical CSV files

fn yn(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

impl DemoQuality {
    /// One register file in its canonical layout, ready for the register import.
    pub fn csv(&self, kind: RegisterKind) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header: Vec<&str> = kind.fields().iter().map(|f| f.key).collect();
        let mut put = |row: Vec<String>| w.write_record(&row).expect("writing to memory");
        put(header.iter().map(|s| s.to_string()).collect());
        match kind {
            RegisterKind::Incidents => {
                for i in &self.incidents {
                    put(vec![
                        i.incident_ref.clone(),
                        stamp(i.reported_at),
                        i.category.into(),
                        i.area.into(),
                        yn(i.children_involved).into(),
                        yn(i.adult_at_risk).into(),
                        yn(i.domestic_abuse).into(),
                        i.officer_staff_number.clone(),
                        i.department.clone(),
                    ]);
                }
            }
            RegisterKind::Referrals => {
                for r in &self.referrals {
                    put(vec![
                        r.referral_ref.clone(),
                        r.incident_ref.clone(),
                        stamp(r.submitted_at),
                        r.subject_type.into(),
                        r.category.into(),
                        r.officer_grade.into(),
                        r.officer_staff_number.clone(),
                        r.partner.into(),
                        r.narrative.clone(),
                    ]);
                }
            }
            RegisterKind::Outcomes => {
                for o in &self.outcomes {
                    put(vec![
                        o.referral_ref.clone(),
                        o.partner.into(),
                        o.outcome.into(),
                        o.reason.into(),
                        iso(o.decided_at),
                    ]);
                }
            }
            RegisterKind::ReferralPeople => {
                for p in &self.people {
                    put(vec![
                        p.referral_ref.clone(),
                        p.role.into(),
                        p.name.clone(),
                        iso(p.date_of_birth),
                        p.address.clone(),
                        p.area.into(),
                    ]);
                }
            }
        }
        w.into_inner().expect("writing to memory")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audits::Subject;

    /// The day this was written, and a later one in another quarter.
    const TODAY: Date = time::macros::date!(2026 - 12 - 06);
    const LATER: Date = time::macros::date!(2027 - 05 - 15);

    #[test]
    fn the_history_has_the_published_shape() {
        let d = demo_quality(TODAY);
        assert_eq!(d.incidents.len(), incident_count(TODAY));
        assert!(d.incidents.len() > DEMO_INCIDENTS);
        let per_incident = d.referrals.len() as f64 / d.incidents.len() as f64;
        assert!(
            (0.38..=0.47).contains(&per_incident),
            "{} referrals",
            d.referrals.len()
        );
        assert!(d.outcomes.len() * 10 >= d.referrals.len() * 9);
        // Six published reviews, then October 2025 to June 2026; July to September 2026 is open.
        assert_eq!(d.reviews.len(), 9);
        for (r, p) in d.reviews.iter().zip(PUBLISHED_REVIEWS) {
            let mut counts = [0usize; 4];
            for item in &r.items {
                counts[usize::from(item.agreed.grade) - 1] += 1;
                for g in &item.graders {
                    assert!(g.grade.abs_diff(item.agreed.grade) <= 2);
                    assert_eq!(g.scores.len(), DEFAULT_RUBRIC.len());
                }
            }
            assert_eq!(counts, p.counts, "{}", r.title);
            assert_eq!(r.sample.len(), r.items.len());
            assert!(r.title.starts_with(p.held), "{}", r.title);
            assert_eq!(r.published, Some(p));
        }
        for r in &d.reviews[6..] {
            assert_eq!(r.published, None);
            assert_eq!(r.items.len(), 10, "{}", r.title);
        }
        // The sampled referrals read like their agreed grade.
        let by_ref: HashMap<&str, &DemoReferral> = d
            .referrals
            .iter()
            .map(|r| (r.referral_ref.as_str(), r))
            .collect();
        for item in d.reviews.iter().flat_map(|r| &r.items) {
            assert_eq!(
                by_ref[item.referral_ref.as_str()].quality,
                item.agreed.grade
            );
        }
    }

    #[test]
    fn audits_reproduce_the_published_compliance() {
        let d = demo_quality(TODAY);
        // 21 published, then July 2025 to August 2026 in pairs, September 2026 alone.
        assert_eq!(d.audits.len(), 21 + 7 + 1);
        for p in PUBLISHED_COMPLIANCE {
            let (fy, fm, fd) = p.from;
            let (ty, tm, td) = p.to;
            let (from, to) = (date(fy, fm, fd), date(ty, tm, td));
            let findings: Vec<&Finding> = d
                .audits
                .iter()
                .filter(|a| a.period_start >= from && a.period_end <= to)
                .flat_map(|a| a.findings.iter().map(|f| &f.finding))
                .collect();
            assert_eq!(findings.len(), p.examined);
            let required = findings.iter().filter(|f| f.form_required).count();
            let completed = findings
                .iter()
                .filter(|f| f.form_required && f.form_completed)
                .count();
            let share = (completed as f64 / required as f64 * 1000.0).round() / 10.0;
            assert_eq!(share, p.percent, "{}", p.label);
            for f in &findings {
                f.validate().unwrap();
            }
            assert!(findings.iter().any(|f| f.subject() == Subject::AdultAtRisk));
            assert!(findings
                .iter()
                .any(|f| !f.form_required && f.form_completed));
        }
    }

    #[test]
    fn the_register_reads_back_through_the_import_reader() {
        let d = demo_quality(TODAY);
        for kind in RegisterKind::ALL {
            let bytes = d.csv(kind);
            let reader = crate::register::RegisterReader::new(kind, &bytes[..]).unwrap();
            let mut rows = 0;
            for row in reader {
                assert!(row.result.is_ok(), "{kind}: {:?}", row.result);
                rows += 1;
            }
            let expected = match kind {
                RegisterKind::Incidents => d.incidents.len(),
                RegisterKind::Referrals => d.referrals.len(),
                RegisterKind::Outcomes => d.outcomes.len(),
                RegisterKind::ReferralPeople => d.people.len(),
            };
            assert_eq!(rows, expected, "{kind}");
        }
    }

    #[test]
    fn nobody_named_in_a_referral_shares_a_name_with_the_force() {
        let d = demo_quality(TODAY);
        let staff: HashSet<String> = demo_people().into_iter().map(|p| p.name).collect();
        assert!(d.people.iter().all(|p| !staff.contains(&p.name)));
        assert!(d.people.iter().any(|p| p.role == "child"));
    }

    #[test]
    fn the_same_every_time() {
        let (a, b) = (demo_quality(TODAY), demo_quality(TODAY));
        assert_eq!(a.referrals, b.referrals);
        assert_eq!(a.audits, b.audits);
        assert_eq!(a.reviews, b.reviews);
    }

    /// The last completed calendar quarter before `today`.
    fn last_quarter(today: Date) -> (Date, Date) {
        let q = (u8::from(today.month()) - 1) / 3;
        let (y, q) = if q == 0 {
            (today.year() - 1, 3)
        } else {
            (today.year(), q - 1)
        };
        let start = date(y, Month::try_from(1 + q * 3).unwrap(), 1);
        let end = next_month_start(next_month_start(next_month_start(start)))
            .previous_day()
            .unwrap();
        (start, end)
    }

    #[test]
    fn the_demo_lives_in_the_present() {
        for today in [TODAY, LATER, EARLIEST_TODAY] {
            let d = demo_quality(today);
            let yesterday = today.previous_day().unwrap();
            // Incidents arrive until yesterday; nothing is dated today or later.
            let last = d.incidents.iter().map(|i| i.reported_at).max().unwrap();
            assert_eq!(last.date(), yesterday, "{today}");
            let start_of_today = PrimitiveDateTime::new(today, Time::MIDNIGHT);
            assert!(d.referrals.iter().all(|r| r.submitted_at < start_of_today));
            assert!(d.outcomes.iter().all(|o| o.decided_at < today));
            // Referrals keep arriving in the last week.
            assert!(
                d.referrals
                    .iter()
                    .any(|r| r.submitted_at.date() >= today - Duration::days(7)),
                "{today}"
            );
            // Some of the last days' incidents that needed a form have none yet.
            let referred: HashSet<&str> = d
                .referrals
                .iter()
                .map(|r| r.incident_ref.as_str())
                .collect();
            assert!(d.incidents.iter().any(|i| {
                i.reported_at.date() >= today - Duration::days(7)
                    && (i.children_involved || i.domestic_abuse || i.adult_at_risk)
                    && !referred.contains(i.incident_ref.as_str())
            }));

            // The latest review is the last completed quarter's, open and drawn; the one before
            // it is the quarter before, closed; the published six keep their real dates.
            let (q_start, q_end) = last_quarter(today);
            assert_eq!(
                (d.open_review.period_start, d.open_review.period_end),
                (q_start, q_end),
                "{today}"
            );
            assert_eq!(d.open_review.sample.len(), 10);
            assert_eq!(d.open_review.items.len(), 10);
            assert!(d.open_review.opened_on < today);
            assert!(d.reviews.iter().all(|r| r.period_end < q_start));
            for (r, p) in d.reviews.iter().zip(PUBLISHED_REVIEWS) {
                assert_eq!(r.published, Some(p));
                assert_eq!(r.opened_on.year(), p.year);
                assert_eq!(r.opened_on.month(), p.month);
                assert_eq!(r.closed_on.unwrap().month(), p.month);
            }
            for w in d.reviews.windows(2).skip(6) {
                assert_eq!(w[0].period_end.next_day(), Some(w[1].period_start));
            }
            if today > EARLIEST_TODAY {
                let latest = d.reviews.last().unwrap();
                assert_eq!(latest.period_end.next_day(), Some(q_start));
                assert!(latest.closed_on.unwrap() < today);
            }

            // Audits run to last month: the open one is the audits page's default period, and
            // the closed ones cover every day from January 2022 up to it.
            let open = crate::audits::Period::last_two_months(today);
            assert_eq!(
                (d.open_audit.period_start, d.open_audit.period_end),
                (open.start, open.end)
            );
            assert_eq!(d.open_audit.sample.len(), AUDIT_SAMPLE);
            assert!(d.open_audit.findings.len() < AUDIT_SAMPLE);
            for (f, r) in d.open_audit.findings.iter().zip(&d.open_audit.sample) {
                assert_eq!(&f.incident_ref, r);
            }
            assert!(d.open_audit.opened_on < today);
            assert_eq!(d.audits[0].period_start, date(2022, Month::January, 1));
            for w in d.audits.windows(2) {
                assert_eq!(w[0].period_end.next_day(), Some(w[1].period_start));
            }
            assert_eq!(
                d.audits.last().unwrap().period_end.next_day(),
                Some(open.start)
            );
            for a in &d.audits {
                let closed = a.closed_on.unwrap();
                assert!(a.period_end < a.opened_on && a.opened_on <= closed);
                assert!(closed < today, "{}", a.title);
                assert_eq!(a.findings.len(), AUDIT_SAMPLE);
            }
            // The published periods keep their titles.
            assert_eq!(d.audits[20].title, "Compliance audit, May and June 2025");
        }
    }

    #[test]
    fn recent_audits_continue_the_improvement() {
        let d = demo_quality(TODAY);
        let after: Vec<&Finding> = d
            .audits
            .iter()
            .filter(|a| a.period_start >= date(2025, Month::July, 1))
            .flat_map(|a| a.findings.iter().map(|f| &f.finding))
            .collect();
        assert!(after.len() >= 200);
        let required = after.iter().filter(|f| f.form_required).count();
        let completed = after
            .iter()
            .filter(|f| f.form_required && f.form_completed)
            .count();
        let share = completed as f64 / required as f64;
        assert!((0.8..0.97).contains(&share), "{share}");
    }

    #[test]
    fn another_day_moves_only_the_recent_past() {
        let (a, b) = (demo_quality(TODAY), demo_quality(LATER));
        for (x, y) in a.reviews.iter().zip(&b.reviews).take(6) {
            assert_eq!(x.title, y.title);
            assert_eq!(x.period_start, y.period_start);
            assert_eq!(x.opened_on, y.opened_on);
        }
        for (x, y) in a.audits.iter().zip(&b.audits).take(21) {
            assert_eq!(x.title, y.title);
            assert_eq!(x.period_start, y.period_start);
        }
        assert!(b.reviews.len() > a.reviews.len());
        assert!(b.audits.len() > a.audits.len());
        assert!(b.incidents.len() > a.incidents.len());
    }
}
