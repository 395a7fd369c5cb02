//! Bi-monthly incident compliance audits: what an auditor records about one sampled incident
//! (a *finding*), the checks on it, and the roll-ups the force reports.
//!
//! For each incident drawn, the auditor answers: was an information-sharing form (PPN) required,
//! and why (a child involved, an adult meeting the Care Act s42 test, or another reason); was one
//! completed; and if so, was it on time. From the findings:
//!
//! - **compliance** = completed among required: the force's headline "share of incidents
//!   needing a form that had one";
//! - **over-referral** = completed among not required;
//!
//! each with its counts and a Wilson 95% interval, by year, by quarter and by subject (the reason
//! a form was required, or "not required"), with the yearly target of 200 examined, and
//! year-on-year comparisons (two-proportion z-test, Newcombe interval for the difference).
//!
//! Pure: no I/O. The store gathers the findings; the web layer shows them.

use crate::stats::{self, Interval, ProportionComparison};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use time::{Date, Month};

/// Incidents to examine each year (at least 35 every two months).
pub const YEARLY_TARGET: u64 = 200;
/// The sample an audit draws unless told otherwise.
pub const DEFAULT_SAMPLE_SIZE: u64 = 35;
/// The largest sample one audit may draw (a typing slip, not a sample, beyond this).
pub const MAX_SAMPLE_SIZE: u64 = 5_000;
/// Every interval on the compliance pages is a 95% interval.
pub const CONFIDENCE: f64 = 0.95;

/// Why a form was required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequiredReason {
    /// A child was involved.
    Child,
    /// An adult who appears to meet the Care Act 2014 s42(1) test.
    AdultAtRisk,
    /// Any other reason a form was needed (e.g. domestic abuse with no child present).
    Other,
}

impl RequiredReason {
    pub const ALL: [RequiredReason; 3] = [
        RequiredReason::Child,
        RequiredReason::AdultAtRisk,
        RequiredReason::Other,
    ];

    /// The stable machine name (`adult_at_risk`), as in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RequiredReason::Child => "child",
            RequiredReason::AdultAtRisk => "adult_at_risk",
            RequiredReason::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RequiredReason::Child => "A child was involved",
            RequiredReason::AdultAtRisk => "An adult at risk (Care Act s42 test met)",
            RequiredReason::Other => "Another reason",
        }
    }
}

impl fmt::Display for RequiredReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequiredReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "child" => Ok(RequiredReason::Child),
            "adult_at_risk" | "adult" => Ok(RequiredReason::AdultAtRisk),
            "other" => Ok(RequiredReason::Other),
            _ => Err(format!(
                "\"{}\" is not a reason a form was required; use child, adult_at_risk or other",
                s.trim()
            )),
        }
    }
}

/// What the auditor found about one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finding {
    pub form_required: bool,
    /// Given exactly when a form was required.
    pub required_reason: Option<RequiredReason>,
    pub form_completed: bool,
    /// Whether a completed form was on time; `None` when none was completed, or when the
    /// auditor cannot tell.
    pub on_time: Option<bool>,
}

/// A finding that does not hang together, naming the field to correct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FindingError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: &str) -> FindingError {
    FindingError {
        field,
        message: message.to_string(),
    }
}

impl Finding {
    /// Checks the answers agree: a reason exactly when a form was required, and "on time" only
    /// about a form that was completed.
    pub fn validate(&self) -> Result<(), FindingError> {
        match (self.form_required, self.required_reason) {
            (true, None) => {
                return Err(refuse(
                    "required_reason",
                    "Say why a form was required: a child was involved, an adult at risk, or another reason",
                ))
            }
            (false, Some(_)) => {
                return Err(refuse(
                    "required_reason",
                    "Leave the reason empty when no form was required, or say that a form was required",
                ))
            }
            _ => {}
        }
        if !self.form_completed && self.on_time.is_some() {
            return Err(refuse(
                "on_time",
                "Leave \"on time\" empty when no form was completed: only a completed form can be on time or late",
            ));
        }
        Ok(())
    }

    /// The subject group the roll-up by subject puts this finding in.
    pub fn subject(&self) -> Subject {
        match self.required_reason {
            Some(RequiredReason::Child) if self.form_required => Subject::Child,
            Some(RequiredReason::AdultAtRisk) if self.form_required => Subject::AdultAtRisk,
            Some(RequiredReason::Other) if self.form_required => Subject::Other,
            _ => Subject::NotRequired,
        }
    }
}

/// The groups of the roll-up by subject: the reason a form was required, or none required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Child,
    AdultAtRisk,
    Other,
    NotRequired,
}

impl Subject {
    pub const ALL: [Subject; 4] = [
        Subject::Child,
        Subject::AdultAtRisk,
        Subject::Other,
        Subject::NotRequired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Subject::Child => "child",
            Subject::AdultAtRisk => "adult_at_risk",
            Subject::Other => "other",
            Subject::NotRequired => "not_required",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Subject::Child => "Child involved",
            Subject::AdultAtRisk => "Adult at risk",
            Subject::Other => "Other reason",
            Subject::NotRequired => "No form required",
        }
    }
}

/// One audited incident: when it was reported and what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audited {
    pub reported_on: Date,
    pub finding: Finding,
    /// The finding comes from an audit that is still open: it may yet change, and figures that
    /// count it are provisional.
    pub provisional: bool,
}

/// Counts and rates over a set of findings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollUp {
    pub examined: u64,
    pub required: u64,
    pub completed_when_required: u64,
    /// Completed among required; `None` when nothing required a form.
    pub compliance: Option<f64>,
    pub compliance_ci95: Option<Interval>,
    pub not_required: u64,
    pub completed_when_not_required: u64,
    /// Completed among not required; `None` when every incident required a form.
    pub over_referral: Option<f64>,
    pub over_referral_ci95: Option<Interval>,
    /// Of the forms completed when required: on time, late, and not known.
    pub on_time: u64,
    pub late: u64,
    pub on_time_unknown: u64,
    /// On time among completed-when-required forms whose timing is known.
    pub on_time_share: Option<f64>,
    /// Findings counted here that come from audits still open. Any at all make every figure of
    /// this roll-up provisional: an open audit's findings may still change.
    pub provisional_findings: u64,
}

impl RollUp {
    /// The roll-up of any findings.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> RollUp {
        let mut t = Tally::default();
        for f in findings {
            t.add(f, false);
        }
        t.finish()
    }

    /// Whether the figures count a finding from an audit still open.
    pub fn provisional(&self) -> bool {
        self.provisional_findings > 0
    }

    /// The compliance figure as the pages say it, e.g.
    /// "64.7% (95% CI 57.8% to 70.9%), 130 of 201".
    pub fn compliance_text(&self) -> String {
        proportion_text(
            self.completed_when_required,
            self.required,
            "no incident needed a form",
        )
    }

    /// The over-referral figure as the pages say it.
    pub fn over_referral_text(&self) -> String {
        proportion_text(
            self.completed_when_not_required,
            self.not_required,
            "every incident needed a form",
        )
    }
}

#[derive(Default)]
struct Tally {
    examined: u64,
    required: u64,
    completed_when_required: u64,
    not_required: u64,
    completed_when_not_required: u64,
    on_time: u64,
    late: u64,
    on_time_unknown: u64,
    provisional: u64,
}

impl Tally {
    fn add(&mut self, f: &Finding, provisional: bool) {
        self.examined += 1;
        self.provisional += u64::from(provisional);
        if f.form_required {
            self.required += 1;
            if f.form_completed {
                self.completed_when_required += 1;
                match f.on_time {
                    Some(true) => self.on_time += 1,
                    Some(false) => self.late += 1,
                    None => self.on_time_unknown += 1,
                }
            }
        } else {
            self.not_required += 1;
            if f.form_completed {
                self.completed_when_not_required += 1;
            }
        }
    }

    fn finish(self) -> RollUp {
        let share = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64);
        RollUp {
            examined: self.examined,
            required: self.required,
            completed_when_required: self.completed_when_required,
            compliance: share(self.completed_when_required, self.required),
            compliance_ci95: stats::wilson(self.completed_when_required, self.required, CONFIDENCE),
            not_required: self.not_required,
            completed_when_not_required: self.completed_when_not_required,
            over_referral: share(self.completed_when_not_required, self.not_required),
            over_referral_ci95: stats::wilson(
                self.completed_when_not_required,
                self.not_required,
                CONFIDENCE,
            ),
            on_time: self.on_time,
            late: self.late,
            on_time_unknown: self.on_time_unknown,
            on_time_share: share(self.on_time, self.on_time + self.late),
            provisional_findings: self.provisional,
        }
    }
}

/// A percentage to one decimal place: "64.7%".
pub fn percent(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// "64.7% (95% CI 57.8% to 70.9%), 130 of 201", or the words for an empty denominator.
pub fn proportion_text(x: u64, n: u64, when_empty: &str) -> String {
    match stats::wilson(x, n, CONFIDENCE) {
        Some(ci) if n > 0 => format!(
            "{} (95% CI {} to {}), {x} of {n}",
            percent(x as f64 / n as f64),
            percent(ci.lo),
            percent(ci.hi)
        ),
        _ => format!("No figure: {when_empty}"),
    }
}

/// A calendar quarter, e.g. 2024 Q3 (July to September).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub q: u8,
}

impl Quarter {
    pub fn of(d: Date) -> Quarter {
        Quarter {
            year: d.year(),
            q: (u8::from(d.month()) - 1) / 3 + 1,
        }
    }
    pub fn label(&self) -> String {
        let months = [
            "January to March",
            "April to June",
            "July to September",
            "October to December",
        ];
        format!(
            "{} Q{} ({})",
            self.year,
            self.q,
            months[usize::from(self.q.clamp(1, 4)) - 1]
        )
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} Q{}", self.year, self.q)
    }
}

/// Everything the summary page and the API show about a set of audited incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub overall: RollUp,
    /// Oldest year first.
    pub by_year: Vec<(i32, RollUp)>,
    /// Oldest quarter first.
    pub by_quarter: Vec<(Quarter, RollUp)>,
    /// Every subject, in [`Subject::ALL`] order, even when empty.
    pub by_subject: Vec<(Subject, RollUp)>,
}

/// Rolls findings up overall, by year, by quarter (of the incident's reported date) and by
/// subject.
pub fn breakdown(items: &[Audited]) -> Breakdown {
    let mut by_year: BTreeMap<i32, Tally> = BTreeMap::new();
    let mut by_quarter: BTreeMap<Quarter, Tally> = BTreeMap::new();
    let mut by_subject: BTreeMap<Subject, Tally> = Subject::ALL
        .iter()
        .map(|s| (*s, Tally::default()))
        .collect();
    let mut overall = Tally::default();
    for a in items {
        overall.add(&a.finding, a.provisional);
        by_year
            .entry(a.reported_on.year())
            .or_default()
            .add(&a.finding, a.provisional);
        by_quarter
            .entry(Quarter::of(a.reported_on))
            .or_default()
            .add(&a.finding, a.provisional);
        by_subject
            .entry(a.finding.subject())
            .or_default()
            .add(&a.finding, a.provisional);
    }
    Breakdown {
        overall: overall.finish(),
        by_year: by_year.into_iter().map(|(k, t)| (k, t.finish())).collect(),
        by_quarter: by_quarter
            .into_iter()
            .map(|(k, t)| (k, t.finish()))
            .collect(),
        by_subject: by_subject
            .into_iter()
            .map(|(k, t)| (k, t.finish()))
            .collect(),
    }
}

/// How a year stands against the target of 200 examined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetProgress {
    pub year: i32,
    pub examined: u64,
    pub target: u64,
    pub remaining: u64,
    pub met: bool,
    /// For the year in progress: how many should have been examined by `today` to be on course
    /// (the target spread evenly over the days of the year). `None` for other years.
    pub expected_by_now: Option<u64>,
}

impl TargetProgress {
    /// A past or future year, or the current year as of `today`.
    pub fn of(year: i32, examined: u64, today: Date) -> TargetProgress {
        let expected_by_now = (today.year() == year).then(|| {
            let days_in_year = if time::util::is_leap_year(year) {
                366
            } else {
                365
            };
            let elapsed = u64::from(today.ordinal());
            (YEARLY_TARGET * elapsed).div_ceil(days_in_year)
        });
        TargetProgress {
            year,
            examined,
            target: YEARLY_TARGET,
            remaining: YEARLY_TARGET.saturating_sub(examined),
            met: examined >= YEARLY_TARGET,
            expected_by_now,
        }
    }

    /// Examined as a share of the target, at most 1.
    pub fn share(&self) -> f64 {
        (self.examined as f64 / self.target as f64).min(1.0)
    }

    /// In words: "201 of 200 examined: target met", "120 of 200 examined: 80 to go (on course:
    /// 110 expected by now)".
    pub fn text(&self) -> String {
        if self.met {
            return format!("{} of {} examined: target met", self.examined, self.target);
        }
        let mut s = format!(
            "{} of {} examined: {} to go",
            self.examined, self.target, self.remaining
        );
        if let Some(e) = self.expected_by_now {
            if self.examined >= e {
                s.push_str(&format!(" (on course: {e} expected by now)"));
            } else {
                s.push_str(&format!(" (behind: {e} expected by now)"));
            }
        }
        s
    }
}

/// Compliance in period `b` against period `a` (difference = b − a). `None` when either period
/// has no incident that needed a form.
pub fn compare(a: &RollUp, b: &RollUp) -> Option<ProportionComparison> {
    stats::compare_proportions(
        a.completed_when_required,
        a.required,
        b.completed_when_required,
        b.required,
        CONFIDENCE,
    )
}

/// A difference in percentage points with its sign: "+10.8 points".
pub fn points(d: f64) -> String {
    let v = d * 100.0;
    if v.abs() < 0.05 {
        "0.0 points".to_string()
    } else {
        format!("{v:+.1} points")
    }
}

/// A p-value as people read it: "p = 0.032", "p < 0.001".
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".to_string()
    } else {
        format!("p = {p:.3}")
    }
}

/// A plain-English reading of a comparison, for people who do not read statistics.
pub fn reading(c: &ProportionComparison) -> String {
    let ci = c.difference_ci;
    let range = format!("between {} and {}", points(ci.lo), points(ci.hi));
    if ci.lo <= 0.0 && ci.hi >= 0.0 {
        format!(
            "Could be chance: the change is {}, but the 95% interval ({range}) includes no change at all.",
            points(c.difference)
        )
    } else if c.difference > 0.0 {
        format!(
            "Compliance rose by {}: the 95% interval ({range}) is above zero, so chance alone is an unlikely explanation.",
            points(c.difference).trim_start_matches('+')
        )
    } else {
        format!(
            "Compliance fell by {}: the 95% interval ({range}) is below zero, so chance alone is an unlikely explanation.",
            points(c.difference).trim_start_matches('-')
        )
    }
}

/// An audit's period: both dates inclusive, the end not before the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    pub fn new(start: Date, end: Date) -> Result<Period, FindingError> {
        if end < start {
            return Err(refuse(
                "period_end",
                "The end of the period must be the same as or after its start",
            ));
        }
        Ok(Period { start, end })
    }

    /// The day after the end: incidents reported before it (as text, `YYYY-MM-DDT…`) are in.
    pub fn end_exclusive(&self) -> Option<Date> {
        self.end.next_day()
    }

    /// The last two complete calendar months before `today`'s month, e.g. on 15 April 2025:
    /// 1 February to 31 March 2025.
    pub fn last_two_months(today: Date) -> Period {
        let first_this_month = today.replace_day(1).expect("day 1 exists");
        let end = first_this_month
            .previous_day()
            .expect("not the first day ever");
        let mut start = end.replace_day(1).expect("day 1 exists");
        start = start
            .previous_day()
            .expect("not the first day ever")
            .replace_day(1)
            .expect("day 1 exists");
        Period { start, end }
    }

    /// "1 February 2025 to 31 March 2025".
    pub fn text(&self) -> String {
        format!(
            "{} to {}",
            crate::people::format_date_long(self.start),
            crate::people::format_date_long(self.end)
        )
    }
}

/// A sample size as typed: 1 to [`MAX_SAMPLE_SIZE`].
pub fn parse_sample_size(raw: &str) -> Result<u64, String> {
    let n: u64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("\"{}\" is not a whole number", raw.trim()))?;
    check_sample_size(n)?;
    Ok(n)
}

pub fn check_sample_size(n: u64) -> Result<(), String> {
    if n == 0 {
        return Err("The sample size must be at least 1".into());
    }
    if n > MAX_SAMPLE_SIZE {
        return Err(format!(
            "The sample size must be {MAX_SAMPLE_SIZE} or fewer"
        ));
    }
    Ok(())
}

/// The month names, for titles such as "February and March 2025".
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

/// A default title for an audit of `p`: "Compliance audit, February and March 2025" for two
/// whole months, otherwise the dates.
pub fn default_title(p: &Period) -> String {
    let whole_months = p.start.day() == 1 && p.end.next_day().is_none_or(|d| d.day() == 1) && {
        let months = (p.end.year() - p.start.year()) * 12 + i32::from(u8::from(p.end.month()))
            - i32::from(u8::from(p.start.month()));
        months == 1
    };
    if whole_months {
        if p.start.year() == p.end.year() {
            format!(
                "Compliance audit, {} and {} {}",
                month_name(p.start.month()),
                month_name(p.end.month()),
                p.end.year()
            )
        } else {
            format!(
                "Compliance audit, {} {} and {} {}",
                month_name(p.start.month()),
                p.start.year(),
                month_name(p.end.month()),
                p.end.year()
            )
        }
    } else {
        format!("Compliance audit, {}", p.text())
    }
}

/// Whether these roles see every audit (administrators and trainers) rather than only the ones
/// they own or are assigned to.
pub fn sees_all_audits(roles: &[crate::Role]) -> bool {
    roles
        .iter()
        .any(|r| matches!(r, crate::Role::Administrator | crate::Role::MashTrainer))
}

/// What a reader is to one audit, as the store finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuditReader {
    /// Administrators and trainers: see and manage every audit.
    pub sees_all: bool,
    /// Opened this audit.
    pub owner: bool,
    /// Assigned to it as an auditor.
    pub assigned: bool,
}

impl AuditReader {
    /// Who sees an audit (and its sampled incidents): those who see all, its owner, its
    /// auditors.
    pub fn may_see(&self) -> bool {
        self.sees_all || self.owner || self.assigned
    }

    /// Who redraws, assigns auditors and closes it.
    pub fn may_manage(&self) -> bool {
        self.sees_all || self.owner
    }

    /// Who records findings: its owner and its assigned auditors (a trainer who merely sees
    /// every audit does not record findings in someone else's).
    pub fn may_record(&self) -> bool {
        self.owner || self.assigned
    }

    /// What an audit entitles its readers to read about a referral linked to one of its sampled
    /// incidents, whether or not they may browse the register: the facts an auditor weighs to
    /// decide whether a form was completed and on time (reference, when it was submitted, the
    /// category, the partner it went to) and the narrative the officer wrote, which is the form
    /// itself. Not the people named in it (names, dates of birth, addresses) nor partners'
    /// outcomes: the finding does not turn on them.
    pub fn may_read_linked_referral(&self) -> bool {
        self.may_see()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn f(required: Option<RequiredReason>, completed: bool, on_time: Option<bool>) -> Finding {
        Finding {
            form_required: required.is_some(),
            required_reason: required,
            form_completed: completed,
            on_time,
        }
    }

    const C: Option<RequiredReason> = Some(RequiredReason::Child);
    const A: Option<RequiredReason> = Some(RequiredReason::AdultAtRisk);
    const O: Option<RequiredReason> = Some(RequiredReason::Other);

    #[test]
    fn a_reason_is_given_exactly_when_a_form_was_required() {
        assert!(f(C, true, Some(true)).validate().is_ok());
        assert!(f(None, false, None).validate().is_ok());
        let missing = Finding {
            form_required: true,
            required_reason: None,
            form_completed: false,
            on_time: None,
        };
        let e = missing.validate().unwrap_err();
        assert_eq!(e.field, "required_reason");
        assert!(e.message.contains("Say why a form was required"), "{e}");
        let extra = Finding {
            form_required: false,
            required_reason: Some(RequiredReason::Child),
            form_completed: true,
            on_time: None,
        };
        assert_eq!(extra.validate().unwrap_err().field, "required_reason");
    }

    #[test]
    fn on_time_is_only_said_of_a_completed_form() {
        let e = f(C, false, Some(true)).validate().unwrap_err();
        assert_eq!(e.field, "on_time");
        assert!(e.message.contains("only a completed form"), "{e}");
        assert!(f(C, false, Some(false)).validate().is_err());
        // A completed form whose timing cannot be told is fine.
        assert!(f(C, true, None).validate().is_ok());
        // Over-referral: a form nobody needed, on time.
        assert!(f(None, true, Some(true)).validate().is_ok());
    }

    #[test]
    fn reasons_parse_from_their_names() {
        for r in RequiredReason::ALL {
            assert_eq!(r.as_str().parse::<RequiredReason>().unwrap(), r);
        }
        assert_eq!(
            "Adult at risk".parse::<RequiredReason>().unwrap(),
            RequiredReason::AdultAtRisk
        );
        let e = "dog".parse::<RequiredReason>().unwrap_err();
        assert!(e.contains("child, adult_at_risk or other"), "{e}");
    }

    #[test]
    fn an_empty_roll_up_has_counts_of_zero_and_no_rates() {
        let r = RollUp::of(&[]);
        assert_eq!(r.examined, 0);
        assert_eq!(r.required, 0);
        assert_eq!(r.compliance, None);
        assert_eq!(r.compliance_ci95, None);
        assert_eq!(r.over_referral, None);
        assert_eq!(r.over_referral_ci95, None);
        assert_eq!(r.on_time_share, None);
        assert_eq!(r.compliance_text(), "No figure: no incident needed a form");
    }

    #[test]
    fn the_roll_up_counts_compliance_over_referral_and_timing() {
        let findings = [
            f(C, true, Some(true)),
            f(C, true, Some(false)),
            f(A, true, None),
            f(O, false, None),
            f(None, true, Some(true)),
            f(None, false, None),
            f(None, false, None),
        ];
        let r = RollUp::of(&findings);
        assert_eq!(r.examined, 7);
        assert_eq!(r.required, 4);
        assert_eq!(r.completed_when_required, 3);
        assert_eq!(r.compliance, Some(0.75));
        assert_eq!(r.not_required, 3);
        assert_eq!(r.completed_when_not_required, 1);
        assert!((r.over_referral.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!((r.on_time, r.late, r.on_time_unknown), (1, 1, 1));
        assert_eq!(r.on_time_share, Some(0.5));
        let ci = r.compliance_ci95.unwrap();
        assert!(ci.lo < 0.75 && 0.75 < ci.hi);
    }

    #[test]
    fn all_required_means_no_over_referral_figure_and_all_completed_keeps_an_interval() {
        let r = RollUp::of(&[f(C, true, Some(true)), f(O, true, Some(true))]);
        assert_eq!(r.compliance, Some(1.0));
        let ci = r.compliance_ci95.unwrap();
        assert!(ci.hi <= 1.0 && ci.lo < 1.0 && ci.lo > 0.0, "{ci:?}");
        assert_eq!(r.over_referral, None);
        assert_eq!(
            r.over_referral_text(),
            "No figure: every incident needed a form"
        );
    }

    #[test]
    fn the_figure_reads_as_the_force_publishes_it_with_its_uncertainty() {
        // 2022's 64.6% of about 200: 130 of 201. Wilson 95% for 130/201 is 57.86% to 70.96%
        // (worked by hand from the score formula with z = 1.959964).
        assert_eq!(
            proportion_text(130, 201, ""),
            "64.7% (95% CI 57.9% to 71.0%), 130 of 201"
        );
    }

    #[test]
    fn findings_group_by_year_quarter_and_subject() {
        let items = [
            Audited {
                reported_on: date!(2023 - 12 - 31),
                finding: f(C, false, None),
                provisional: false,
            },
            Audited {
                reported_on: date!(2024 - 01 - 01),
                finding: f(C, true, Some(true)),
                provisional: false,
            },
            Audited {
                reported_on: date!(2024 - 03 - 31),
                finding: f(None, true, None),
                provisional: false,
            },
            Audited {
                reported_on: date!(2024 - 04 - 01),
                finding: f(A, true, Some(false)),
                provisional: true,
            },
        ];
        let b = breakdown(&items);
        assert_eq!(b.overall.examined, 4);
        assert_eq!(
            b.by_year
                .iter()
                .map(|(y, r)| (*y, r.examined, r.required, r.completed_when_required))
                .collect::<Vec<_>>(),
            vec![(2023, 1, 1, 0), (2024, 3, 2, 2)]
        );
        assert_eq!(
            b.by_quarter
                .iter()
                .map(|(q, r)| (q.to_string(), r.examined))
                .collect::<Vec<_>>(),
            vec![
                ("2023 Q4".to_string(), 1),
                ("2024 Q1".to_string(), 2),
                ("2024 Q2".to_string(), 1)
            ]
        );
        let subjects: Vec<(Subject, u64)> =
            b.by_subject.iter().map(|(s, r)| (*s, r.examined)).collect();
        assert_eq!(
            subjects,
            vec![
                (Subject::Child, 2),
                (Subject::AdultAtRisk, 1),
                (Subject::Other, 0),
                (Subject::NotRequired, 1)
            ]
        );
        let other = &b.by_subject[2].1;
        assert_eq!(other.compliance, None, "an empty group has no rate");
        let none = &b.by_subject[3].1;
        assert_eq!(none.compliance, None);
        assert_eq!(none.over_referral, Some(1.0));
        assert_eq!(
            Quarter::of(date!(2024 - 09 - 30)).label(),
            "2024 Q3 (July to September)"
        );
        // The 2024 Q2 finding comes from an audit still open: its year, quarter, subject and
        // the overall figures are provisional; 2023 and 2024 Q1 are not.
        let provisional = |rows: &[(String, bool)]| rows.to_vec();
        assert_eq!(
            provisional(
                &b.by_year
                    .iter()
                    .map(|(y, r)| (y.to_string(), r.provisional()))
                    .collect::<Vec<_>>()
            ),
            vec![("2023".to_string(), false), ("2024".to_string(), true)]
        );
        assert_eq!(
            b.by_quarter
                .iter()
                .map(|(_, r)| r.provisional())
                .collect::<Vec<_>>(),
            [false, false, true]
        );
        assert!(b.overall.provisional() && b.by_subject[1].1.provisional());
        assert!(!b.by_subject[0].1.provisional());
        assert!(!RollUp::of(&[f(C, true, None)]).provisional());
    }

    #[test]
    fn who_sees_manages_and_records_an_audit() {
        let trainer = AuditReader {
            sees_all: true,
            ..AuditReader::default()
        };
        assert!(trainer.may_see() && trainer.may_manage() && !trainer.may_record());
        let auditor = AuditReader {
            assigned: true,
            ..AuditReader::default()
        };
        assert!(auditor.may_see() && auditor.may_record() && !auditor.may_manage());
        assert!(auditor.may_read_linked_referral());
        let owner = AuditReader {
            owner: true,
            ..AuditReader::default()
        };
        assert!(owner.may_manage() && owner.may_record());
        let stranger = AuditReader::default();
        assert!(!stranger.may_see() && !stranger.may_read_linked_referral());
    }

    #[test]
    fn the_yearly_target_shows_progress_and_whether_the_year_is_on_course() {
        let past = TargetProgress::of(2023, 201, date!(2025 - 06 - 01));
        assert!(past.met);
        assert_eq!(past.expected_by_now, None);
        assert_eq!(past.text(), "201 of 200 examined: target met");
        // 1 July 2024 is day 183 of 366: 100 expected.
        let now = TargetProgress::of(2024, 70, date!(2024 - 07 - 01));
        assert_eq!(now.expected_by_now, Some(100));
        assert_eq!(now.remaining, 130);
        assert_eq!(
            now.text(),
            "70 of 200 examined: 130 to go (behind: 100 expected by now)"
        );
        assert!((now.share() - 0.35).abs() < 1e-12);
        assert_eq!(
            TargetProgress::of(2024, 300, date!(2024 - 07 - 01)).share(),
            1.0
        );
    }

    #[test]
    fn comparisons_read_as_chance_when_the_interval_includes_zero() {
        let a = RollUp::of(&[f(C, true, None), f(C, false, None)]);
        let b = RollUp::of(&[f(C, true, None), f(C, true, None), f(C, false, None)]);
        let c = compare(&a, &b).unwrap();
        assert!((c.difference - (2.0 / 3.0 - 0.5)).abs() < 1e-12);
        assert!(
            reading(&c).starts_with("Could be chance"),
            "{}",
            reading(&c)
        );
        let empty = RollUp::of(&[f(None, false, None)]);
        assert!(
            compare(&a, &empty).is_none(),
            "no incident needed a form in b"
        );
        // 64.6% of 200 against 88% of 200: a real rise.
        let many = |x: usize, n: usize| {
            let v: Vec<Finding> = (0..n).map(|i| f(C, i < x, None)).collect();
            RollUp::of(&v)
        };
        let c = compare(&many(129, 200), &many(176, 200)).unwrap();
        let words = reading(&c);
        assert!(
            words.starts_with("Compliance rose by 23.5 points"),
            "{words}"
        );
        let c = compare(&many(176, 200), &many(129, 200)).unwrap();
        assert!(reading(&c).starts_with("Compliance fell by 23.5 points"));
        assert_eq!(p_text(0.0004), "p < 0.001");
        assert_eq!(p_text(0.0321), "p = 0.032");
    }

    #[test]
    fn periods_run_forward_and_default_to_the_last_two_whole_months() {
        assert!(Period::new(date!(2025 - 03 - 01), date!(2025 - 02 - 28)).is_err());
        assert!(Period::new(date!(2025 - 03 - 01), date!(2025 - 03 - 01)).is_ok());
        let p = Period::last_two_months(date!(2025 - 04 - 15));
        assert_eq!(
            (p.start, p.end),
            (date!(2025 - 02 - 01), date!(2025 - 03 - 31))
        );
        let p = Period::last_two_months(date!(2025 - 01 - 01));
        assert_eq!(
            (p.start, p.end),
            (date!(2024 - 11 - 01), date!(2024 - 12 - 31))
        );
        let p = Period::last_two_months(date!(2025 - 02 - 28));
        assert_eq!(
            (p.start, p.end),
            (date!(2024 - 12 - 01), date!(2025 - 01 - 31))
        );
        assert_eq!(
            default_title(&p),
            "Compliance audit, December 2024 and January 2025"
        );
        let p = Period::new(date!(2025 - 02 - 01), date!(2025 - 03 - 31)).unwrap();
        assert_eq!(
            default_title(&p),
            "Compliance audit, February and March 2025"
        );
        let p = Period::new(date!(2025 - 02 - 03), date!(2025 - 03 - 31)).unwrap();
        assert_eq!(
            default_title(&p),
            "Compliance audit, 3 February 2025 to 31 March 2025"
        );
    }

    #[test]
    fn seeds_and_sample_sizes_are_checked() {
        assert_eq!(parse_sample_size("35").unwrap(), 35);
        assert!(parse_sample_size("0").is_err());
        assert!(parse_sample_size("thirty").is_err());
        assert!(parse_sample_size("5001").is_err());
    }
}
