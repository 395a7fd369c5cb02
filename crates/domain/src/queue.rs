//! The missing-referral queue: incidents that look as if they needed a referral (children
//! involved, domestic abuse, an adult at risk — each rule on or off) and have no linked referral
//! within a window (24 hours by default) of being reported.
//!
//! The rule, exactly:
//! - the incident must match at least one rule that is on;
//! - its **deadline** is `reported_at + window`;
//! - a linked referral submitted at or before the deadline clears it — including one submitted
//!   before the incident was reported (the incident was recorded after the referral);
//! - otherwise it belongs on the queue once `now` is past the deadline. A referral submitted after
//!   the deadline does not clear it: the referral was still late. Staff close such an item as
//!   "referral now made".
//!
//! Times are the force's own clock (`YYYY-MM-DDTHH:MM:SS`, no zone), as the records system
//! exports them. The store applies the same rule in SQL; its tests check the two agree.

use crate::people::format_date_long;
use serde::Serialize;
use time::{Duration, PrimitiveDateTime};

/// The window when the setting says nothing else.
pub const DEFAULT_WINDOW_HOURS: u32 = 24;
/// The longest window the setting accepts: 30 days.
pub const MAX_WINDOW_HOURS: u32 = 720;
/// The longest reason a queue item can be closed with.
pub const MAX_REASON: usize = 2000;
/// The settings key the rules are stored under.
pub const SETTINGS_KEY: &str = "missing_referral_rules";

/// Something about an incident that means a referral was probably needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    ChildrenInvolved,
    DomesticAbuse,
    AdultAtRisk,
}

impl Rule {
    pub const ALL: [Rule; 3] = [
        Rule::ChildrenInvolved,
        Rule::DomesticAbuse,
        Rule::AdultAtRisk,
    ];

    /// The machine name: also the incidents column the rule reads.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ChildrenInvolved => "children_involved",
            Rule::DomesticAbuse => "domestic_abuse",
            Rule::AdultAtRisk => "adult_at_risk",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Rule::ChildrenInvolved => "Children involved",
            Rule::DomesticAbuse => "Domestic abuse",
            Rule::AdultAtRisk => "Adult at risk",
        }
    }
    fn phrase(self) -> &'static str {
        match self {
            Rule::ChildrenInvolved => "involved children",
            Rule::DomesticAbuse => "involved domestic abuse",
            Rule::AdultAtRisk => "involved an adult at risk",
        }
    }
    pub fn parse(s: &str) -> Option<Rule> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Rule::ALL.into_iter().find(|r| r.as_str() == wanted)
    }
}

/// The words for a stored rule list such as `children_involved,domestic_abuse`.
pub fn rules_label(stored: &str) -> String {
    let words: Vec<&str> = stored
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| Rule::parse(s).map(Rule::label).unwrap_or(s.trim()))
        .collect();
    words.join(", ")
}

/// Which rules are on, and the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rules {
    pub children_involved: bool,
    pub domestic_abuse: bool,
    pub adult_at_risk: bool,
    pub window_hours: u32,
}

impl Default for Rules {
    /// Children or domestic abuse, 24 hours: the force policy the queue was built for.
    fn default() -> Self {
        Rules {
            children_involved: true,
            domestic_abuse: true,
            adult_at_risk: false,
            window_hours: DEFAULT_WINDOW_HOURS,
        }
    }
}

impl Rules {
    pub fn is_on(&self, r: Rule) -> bool {
        match r {
            Rule::ChildrenInvolved => self.children_involved,
            Rule::DomesticAbuse => self.domestic_abuse,
            Rule::AdultAtRisk => self.adult_at_risk,
        }
    }

    pub fn set(&mut self, r: Rule, on: bool) {
        match r {
            Rule::ChildrenInvolved => self.children_involved = on,
            Rule::DomesticAbuse => self.domestic_abuse = on,
            Rule::AdultAtRisk => self.adult_at_risk = on,
        }
    }

    /// The rules that are on, in the order of [`Rule::ALL`].
    pub fn enabled(&self) -> Vec<Rule> {
        Rule::ALL.into_iter().filter(|r| self.is_on(*r)).collect()
    }

    pub fn window(&self) -> Duration {
        Duration::hours(i64::from(self.window_hours))
    }

    /// Checks a window typed into a form: whole hours from 1 to 720.
    pub fn parse_window(raw: &str) -> Result<u32, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter the window in hours, for example 24".into());
        }
        match s.parse::<u32>() {
            Ok(h) if (1..=MAX_WINDOW_HOURS).contains(&h) => Ok(h),
            Ok(_) => Err(format!(
                "The window must be between 1 and {MAX_WINDOW_HOURS} hours (30 days)"
            )),
            Err(_) => Err(format!(
                "\"{s}\" is not a number of hours; enter a whole number, for example 24"
            )),
        }
    }

    /// The stored form: `children_involved,domestic_abuse;24` (`;24` when every rule is off).
    pub fn encode(&self) -> String {
        let names: Vec<&str> = self.enabled().into_iter().map(Rule::as_str).collect();
        format!("{};{}", names.join(","), self.window_hours)
    }

    /// Reads the stored form. Without `;hours` the window is 24 hours.
    pub fn parse(raw: &str) -> Result<Rules, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("The missing-referral rules are empty".into());
        }
        let (names, hours) = match raw.split_once(';') {
            Some((n, h)) => (n, Some(h)),
            None => (raw, None),
        };
        let mut rules = Rules {
            children_involved: false,
            domestic_abuse: false,
            adult_at_risk: false,
            window_hours: match hours {
                Some(h) => Rules::parse_window(h)?,
                None => DEFAULT_WINDOW_HOURS,
            },
        };
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let r = Rule::parse(name).ok_or_else(|| {
                format!(
                    "\"{name}\" is not a missing-referral rule; use children_involved, domestic_abuse or adult_at_risk"
                )
            })?;
            rules.set(r, true);
        }
        Ok(rules)
    }

    /// In words, for the queue page: "Incidents that involved children or involved domestic
    /// abuse, with no referral within 24 hours of being reported."
    pub fn describe(&self) -> String {
        let on = self.enabled();
        if on.is_empty() {
            return "Every rule is off: no incident is added to the queue.".into();
        }
        let phrases: Vec<&str> = on.iter().map(|r| r.phrase()).collect();
        let what = match phrases.len() {
            1 => phrases[0].to_string(),
            _ => format!(
                "{} or {}",
                phrases[..phrases.len() - 1].join(", "),
                phrases[phrases.len() - 1]
            ),
        };
        format!(
            "Incidents that {what}, with no referral within {} of being reported.",
            hours_text(self.window_hours)
        )
    }

    /// The rules an incident matches (those that are on).
    pub fn matching(&self, i: &IncidentFacts) -> Vec<Rule> {
        self.enabled()
            .into_iter()
            .filter(|r| match r {
                Rule::ChildrenInvolved => i.children_involved,
                Rule::DomesticAbuse => i.domestic_abuse,
                Rule::AdultAtRisk => i.adult_at_risk,
            })
            .collect()
    }
}

fn hours_text(h: u32) -> String {
    if h == 1 {
        "1 hour".into()
    } else if h.is_multiple_of(24) && h > 24 {
        format!("{} days", h / 24)
    } else {
        format!("{h} hours")
    }
}

/// What the rule needs to know about an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentFacts {
    pub children_involved: bool,
    pub domestic_abuse: bool,
    pub adult_at_risk: bool,
    pub reported_at: PrimitiveDateTime,
}

/// Whether an incident belongs on the queue, and why (not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No rule that is on applies to it.
    NotCovered,
    /// A linked referral was submitted by the deadline.
    ReferredInTime,
    /// No referral yet, but the window has not passed.
    NotYetDue { deadline: PrimitiveDateTime },
    /// It belongs on the queue, for these rules. `late_referral` when a referral was made after
    /// the deadline (the item can be closed "referral now made").
    Missing {
        rules: Vec<Rule>,
        late_referral: bool,
    },
}

/// Decides one incident, given the submission times of its linked referrals.
pub fn decide(
    rules: &Rules,
    incident: &IncidentFacts,
    referrals_submitted_at: &[PrimitiveDateTime],
    now: PrimitiveDateTime,
) -> Decision {
    let matching = rules.matching(incident);
    if matching.is_empty() {
        return Decision::NotCovered;
    }
    let deadline = incident.reported_at + rules.window();
    if referrals_submitted_at.iter().any(|t| *t <= deadline) {
        return Decision::ReferredInTime;
    }
    if now <= deadline {
        return Decision::NotYetDue { deadline };
    }
    Decision::Missing {
        rules: matching,
        late_referral: !referrals_submitted_at.is_empty(),
    }
}

/// Reads a time as the records system writes it: `2024-03-01T14:05:00`, `2024-03-01 14:05`,
/// with or without seconds, fractions or a trailing `Z`; a bare date is midnight.
pub fn parse_local_time(raw: &str) -> Result<PrimitiveDateTime, String> {
    let s = raw.trim();
    let bad = || format!("\"{s}\" is not a date and time; write it as 2024-03-31T14:05:00");
    let date_part = s.get(..10).ok_or_else(bad)?;
    let date = crate::people::parse_date(date_part).map_err(|_| bad())?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Ok(date.midnight());
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix(' '))
        .ok_or_else(bad)?;
    let rest = rest.trim_end_matches('Z');
    let rest = rest.split('.').next().unwrap_or_default();
    let mut parts = rest.split(':');
    let mut num = |max: u8, required: bool| -> Result<u8, String> {
        match parts.next() {
            None if !required => Ok(0),
            None => Err(bad()),
            Some(p) if p.len() == 2 => p.parse::<u8>().ok().filter(|v| *v <= max).ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    };
    let (h, m, sec) = (num(23, true)?, num(59, true)?, num(59, false)?);
    if parts.next().is_some() {
        return Err(bad());
    }
    let t = time::Time::from_hms(h, m, sec).map_err(|_| bad())?;
    Ok(PrimitiveDateTime::new(date, t))
}

/// The stored form of a local time: `2024-03-01T14:05:00` (text order is time order).
pub fn format_local_time(t: PrimitiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A local time as pages show it, in words: `1 March 2024 at 2:05pm`.
pub fn format_local_time_long(t: PrimitiveDateTime) -> String {
    format!(
        "{} at {}",
        format_date_long(t.date()),
        crate::sessions::clock_in_words(t.time())
    )
}

/// Whole days from `from` to `now` (0 when `from` is in the future).
pub fn age_days(from: PrimitiveDateTime, now: PrimitiveDateTime) -> i64 {
    (now - from).whole_days().max(0)
}

/// How staff close a queue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseOutcome {
    /// A referral has now been made (late).
    ReferralMade,
    /// No referral was needed; the reason is required.
    NotRequired,
    /// Passed to a supervisor or another team; a reason is optional.
    Escalated,
}

impl CloseOutcome {
    pub const ALL: [CloseOutcome; 3] = [
        CloseOutcome::ReferralMade,
        CloseOutcome::NotRequired,
        CloseOutcome::Escalated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CloseOutcome::ReferralMade => "referral_made",
            CloseOutcome::NotRequired => "not_required",
            CloseOutcome::Escalated => "escalated",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CloseOutcome::ReferralMade => "Referral now made",
            CloseOutcome::NotRequired => "Not required",
            CloseOutcome::Escalated => "Escalated",
        }
    }
    pub fn parse(s: &str) -> Option<CloseOutcome> {
        CloseOutcome::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
    }

    /// Checks a closing decision: the outcome must be one of the three, "not required" needs a
    /// reason, and a reason is at most [`MAX_REASON`] characters. Returns the trimmed reason.
    pub fn check(outcome: &str, reason: &str) -> Result<(CloseOutcome, String), CloseError> {
        let o = match outcome.trim() {
            "" => return Err(CloseError::NoOutcome),
            raw => CloseOutcome::parse(raw).ok_or(CloseError::NoOutcome)?,
        };
        let reason = reason.trim().to_string();
        if o == CloseOutcome::NotRequired && reason.is_empty() {
            return Err(CloseError::NeedsReason);
        }
        if reason.chars().count() > MAX_REASON {
            return Err(CloseError::ReasonTooLong);
        }
        Ok((o, reason))
    }
}

/// Why a closing decision was refused, in plain words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CloseError {
    #[error("Select how the item is closed: referral now made, not required or escalated")]
    NoOutcome,
    #[error("Enter why a referral was not required")]
    NeedsReason,
    #[error("The reason must be 2000 characters or fewer")]
    ReasonTooLong,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn incident(children: bool, da: bool, adult: bool) -> IncidentFacts {
        IncidentFacts {
            children_involved: children,
            domestic_abuse: da,
            adult_at_risk: adult,
            reported_at: datetime!(2024-03-01 10:00:00),
        }
    }

    const LATER: PrimitiveDateTime = datetime!(2024-03-05 09:00:00);

    #[test]
    fn a_referral_at_exactly_24_hours_is_in_time() {
        let d = decide(
            &Rules::default(),
            &incident(true, false, false),
            &[datetime!(2024-03-02 10:00:00)],
            LATER,
        );
        assert_eq!(d, Decision::ReferredInTime);
    }

    #[test]
    fn a_referral_one_second_late_does_not_clear_it_but_is_noted() {
        let d = decide(
            &Rules::default(),
            &incident(true, false, false),
            &[datetime!(2024-03-02 10:00:01)],
            LATER,
        );
        assert_eq!(
            d,
            Decision::Missing {
                rules: vec![Rule::ChildrenInvolved],
                late_referral: true
            }
        );
    }

    #[test]
    fn a_referral_before_the_incident_was_reported_counts() {
        let d = decide(
            &Rules::default(),
            &incident(false, true, false),
            &[datetime!(2024-03-01 08:30:00)],
            LATER,
        );
        assert_eq!(d, Decision::ReferredInTime);
    }

    #[test]
    fn one_referral_in_time_among_two_is_enough() {
        let i = incident(true, true, false);
        let late = datetime!(2024-03-03 12:00:00);
        let on_time = datetime!(2024-03-01 23:59:59);
        assert_eq!(
            decide(&Rules::default(), &i, &[late, on_time], LATER),
            Decision::ReferredInTime
        );
        assert_eq!(
            decide(&Rules::default(), &i, &[late, late], LATER),
            Decision::Missing {
                rules: vec![Rule::ChildrenInvolved, Rule::DomesticAbuse],
                late_referral: true
            }
        );
    }

    #[test]
    fn nothing_is_queued_before_the_window_has_passed() {
        let i = incident(true, false, false);
        assert_eq!(
            decide(&Rules::default(), &i, &[], datetime!(2024-03-02 10:00:00)),
            Decision::NotYetDue {
                deadline: datetime!(2024-03-02 10:00:00)
            }
        );
        assert_eq!(
            decide(&Rules::default(), &i, &[], datetime!(2024-03-02 10:00:01)),
            Decision::Missing {
                rules: vec![Rule::ChildrenInvolved],
                late_referral: false
            }
        );
    }

    #[test]
    fn rules_that_are_off_do_not_queue() {
        let off = Rules::parse(";24").unwrap();
        assert!(off.enabled().is_empty());
        assert_eq!(
            decide(&off, &incident(true, true, true), &[], LATER),
            Decision::NotCovered
        );
        // Adult at risk is off by default.
        assert_eq!(
            decide(&Rules::default(), &incident(false, false, true), &[], LATER),
            Decision::NotCovered
        );
        let adults = Rules::parse("adult_at_risk;48").unwrap();
        assert_eq!(
            decide(
                &adults,
                &incident(true, false, true),
                &[datetime!(2024-03-03 09:00:00)],
                LATER
            ),
            Decision::ReferredInTime,
            "47 hours is inside a 48-hour window"
        );
        assert_eq!(
            decide(&adults, &incident(true, false, true), &[], LATER),
            Decision::Missing {
                rules: vec![Rule::AdultAtRisk],
                late_referral: false
            }
        );
    }

    #[test]
    fn the_setting_round_trips_and_bad_settings_are_named() {
        let r = Rules::default();
        assert_eq!(r.encode(), "children_involved,domestic_abuse;24");
        assert_eq!(Rules::parse(&r.encode()).unwrap(), r);
        assert_eq!(Rules::parse("children_involved").unwrap().window_hours, 24);
        let all = Rules::parse(" Children involved , domestic-abuse,adult_at_risk ; 72 ").unwrap();
        assert_eq!(all.enabled().len(), 3);
        assert_eq!(all.window_hours, 72);
        assert!(Rules::parse("cats;24").unwrap_err().contains("\"cats\""));
        assert!(Rules::parse("children_involved;0")
            .unwrap_err()
            .contains("between 1 and 720"));
        assert!(Rules::parse("children_involved;soon")
            .unwrap_err()
            .contains("\"soon\""));
        assert!(Rules::parse("").is_err());
    }

    #[test]
    fn rules_are_described_in_words() {
        assert_eq!(
            Rules::default().describe(),
            "Incidents that involved children or involved domestic abuse, with no referral within 24 hours of being reported."
        );
        assert_eq!(
            Rules::parse("adult_at_risk;48").unwrap().describe(),
            "Incidents that involved an adult at risk, with no referral within 2 days of being reported."
        );
        assert!(Rules::parse(";24").unwrap().describe().contains("off"));
        assert_eq!(
            rules_label("children_involved,domestic_abuse"),
            "Children involved, Domestic abuse"
        );
    }

    #[test]
    fn closing_not_required_needs_a_reason() {
        assert_eq!(
            CloseOutcome::check("not_required", "   "),
            Err(CloseError::NeedsReason)
        );
        assert_eq!(
            CloseError::NeedsReason.to_string(),
            "Enter why a referral was not required"
        );
        assert_eq!(
            CloseOutcome::check("not_required", " No child lives there "),
            Ok((CloseOutcome::NotRequired, "No child lives there".into()))
        );
        assert_eq!(
            CloseOutcome::check("escalated", ""),
            Ok((CloseOutcome::Escalated, String::new()))
        );
        assert_eq!(
            CloseOutcome::check("referral_made", ""),
            Ok((CloseOutcome::ReferralMade, String::new()))
        );
        assert_eq!(CloseOutcome::check("", "x"), Err(CloseError::NoOutcome));
        assert_eq!(
            CloseOutcome::check("deleted", "x"),
            Err(CloseError::NoOutcome)
        );
        assert_eq!(
            CloseOutcome::check("escalated", &"x".repeat(2001)),
            Err(CloseError::ReasonTooLong)
        );
    }

    #[test]
    fn local_times_parse_in_the_shapes_exports_use() {
        let t = datetime!(2024-03-01 14:05:00);
        for s in [
            "2024-03-01T14:05:00",
            "2024-03-01 14:05",
            "2024-03-01T14:05:00.000Z",
            " 2024-03-01T14:05:00Z ",
        ] {
            assert_eq!(parse_local_time(s).unwrap(), t, "{s}");
        }
        assert_eq!(
            parse_local_time("2024-03-01").unwrap(),
            datetime!(2024-03-01 00:00:00)
        );
        for bad in [
            "",
            "yesterday",
            "2024-03-01T25:00",
            "2024-03-01X14:05",
            "2024-02-30T10:00",
        ] {
            assert!(parse_local_time(bad).is_err(), "{bad}");
        }
        assert_eq!(format_local_time(t), "2024-03-01T14:05:00");
        assert_eq!(format_local_time_long(t), "1 March 2024 at 2:05pm");
        assert_eq!(age_days(t, datetime!(2024-03-03 14:04:59)), 1);
        assert_eq!(age_days(t, datetime!(2024-02-01 00:00:00)), 0);
    }
}
