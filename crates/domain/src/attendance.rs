//! Attendance: the register's states and matching a Teams report's participants to the people
//! enrolled on a session.
//!
//! Participants are matched by e-mail (without case) first, then by normalised name (accents,
//! case, punctuation and word order ignored, so "O'Brien, Tomás" is "Tomas OBrien"); a name
//! shared by two candidates matches nobody. Enrolled people missing from the report are listed as
//! "not in report" and never marked absent.

use crate::teams_report::{Participant, Report};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The force default share of the session that counts as attended.
pub const DEFAULT_SHARE_PCT: i64 = 80;

/// A register mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Attended,
    PartlyAttended,
    Absent,
    Excused,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Attended,
        Status::PartlyAttended,
        Status::Absent,
        Status::Excused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Attended => "attended",
            Status::PartlyAttended => "partly_attended",
            Status::Absent => "absent",
            Status::Excused => "excused",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Attended => "Attended",
            Status::PartlyAttended => "Partly attended",
            Status::Absent => "Absent",
            Status::Excused => "Excused",
        }
    }
    pub fn parse(s: &str) -> Result<Status, String> {
        let norm = s.trim().to_lowercase().replace([' ', '-'], "_");
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                format!("\"{}\" is not an attendance status: use attended, partly_attended, absent or excused", s.trim())
            })
    }
}

/// Checks a mark's minutes: partly attended needs them (0 or more), other marks ignore them
/// except attended, which may carry them.
pub fn check_mark(
    status: Status,
    minutes: Option<i64>,
    session_minutes: i64,
) -> Result<Option<i64>, String> {
    if let Some(m) = minutes {
        if m < 0 {
            return Err("Minutes cannot be negative".into());
        }
        if session_minutes > 0 && m > session_minutes * 2 {
            return Err(format!(
                "{m} minutes is far longer than the session ({session_minutes} minutes)"
            ));
        }
    }
    match status {
        Status::PartlyAttended if minutes.is_none() => {
            Err("Enter how many minutes the person attended for \"partly attended\"".into())
        }
        Status::Attended | Status::PartlyAttended => Ok(minutes),
        Status::Absent | Status::Excused => Ok(None),
    }
}

/// The mark a time in the meeting earns: attended at or above the share, partly below.
pub fn status_for(seconds: i64, session_seconds: i64, share_pct: i64) -> Status {
    if session_seconds <= 0 || seconds * 100 >= session_seconds * share_pct {
        Status::Attended
    } else {
        Status::PartlyAttended
    }
}

/// Someone the report can match: an enrolled person, or (by e-mail only) anyone in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub email: Option<String>,
    pub enrolled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matched {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub enrolled: bool,
    pub seconds: i64,
    pub minutes: i64,
    pub joins: u32,
    pub status: Status,
    /// "email" or "name".
    pub matched_by: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmatched {
    pub name: String,
    pub email: Option<String>,
    pub minutes: i64,
    pub external: bool,
    pub unverified: bool,
    /// Why it did not match, in plain words.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matching {
    pub matched: Vec<Matched>,
    pub unmatched: Vec<Unmatched>,
    /// Enrolled people absent from the report (staff numbers).
    pub not_in_report: Vec<String>,
}

/// Lower case, accents folded, punctuation dropped, words sorted.
pub fn normalise_name(s: &str) -> String {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        let base =
            match c {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å'
                | 'Ā' => 'a',
                'è' | 'é' | 'ê' | 'ë' | 'ē' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' => 'e',
                'ì' | 'í' | 'î' | 'ï' | 'ī' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' => 'i',
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø'
                | 'Ō' => 'o',
                'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' => 'u',
                'ý' | 'ÿ' | 'Ý' | 'ŷ' | 'Ŷ' => 'y',
                'ç' | 'Ç' | 'ć' | 'č' => 'c',
                'ñ' | 'Ñ' | 'ń' => 'n',
                'ś' | 'š' | 'Š' => 's',
                'ž' | 'ź' | 'ż' | 'Ž' => 'z',
                'ł' | 'Ł' => 'l',
                'ŵ' | 'Ŵ' => 'w',
                'ß' => {
                    folded.push_str("ss");
                    continue;
                }
                other => other,
            };
        if base.is_alphanumeric() {
            folded.extend(base.to_lowercase());
        } else if base.is_whitespace() || base == ',' || base == '-' || base == '.' {
            folded.push(' ');
        }
        // apostrophes and other marks vanish: O'Brien == OBrien
    }
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    words.sort_unstable();
    words.join(" ")
}

/// Matches a report's participants to candidates and decides each matched person's mark.
pub fn match_report(
    report: &Report,
    candidates: &[Candidate],
    session_seconds: i64,
    share_pct: i64,
) -> Matching {
    let mut by_email: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if let Some(e) = c.email.as_deref().filter(|e| !e.trim().is_empty()) {
            by_email.entry(e.trim().to_lowercase()).or_default().push(i);
        }
        if c.enrolled {
            by_name.entry(normalise_name(&c.name)).or_default().push(i);
        }
    }
    // person index → (seconds, joins, matched_by)
    let mut hits: Vec<(usize, i64, u32, &'static str)> = Vec::new();
    let mut unmatched = Vec::new();
    let unmatched_of = |p: &Participant, reason: &str| Unmatched {
        name: p.name.clone(),
        email: p.email.clone(),
        minutes: p.minutes(),
        external: p.external,
        unverified: p.unverified,
        reason: reason.to_string(),
    };
    for p in &report.participants {
        let email_hit = p
            .email
            .as_deref()
            .and_then(|e| by_email.get(&e.trim().to_lowercase()))
            .filter(|v| v.len() == 1)
            .map(|v| v[0]);
        let found = match email_hit {
            Some(i) => Ok((i, "email")),
            None if p.unverified => {
                Err("an unverified guest: match by hand or record as an external attendee")
            }
            None => match by_name.get(&normalise_name(&p.name)).map(Vec::as_slice) {
                Some([i]) => Ok((*i, "name")),
                Some([_, _, ..]) => Err("the name matches more than one enrolled person"),
                _ if p.external => Err("from another organisation"),
                _ => Err("nobody enrolled has this e-mail address or name"),
            },
        };
        match found {
            Ok((i, by)) => match hits.iter_mut().find(|h| h.0 == i) {
                Some(h) => {
                    h.1 += p.seconds;
                    h.2 += p.joins;
                }
                None => hits.push((i, p.seconds, p.joins, by)),
            },
            Err(reason) => unmatched.push(unmatched_of(p, reason)),
        }
    }
    let matched: Vec<Matched> = hits
        .iter()
        .map(|&(i, seconds, joins, by)| {
            let c = &candidates[i];
            Matched {
                person_id: c.person_id,
                staff_number: c.staff_number.clone(),
                name: c.name.clone(),
                enrolled: c.enrolled,
                seconds,
                minutes: seconds / 60,
                joins,
                status: status_for(seconds, session_seconds, share_pct),
                matched_by: by,
            }
        })
        .collect();
    let not_in_report = candidates
        .iter()
        .enumerate()
        .filter(|(i, c)| c.enrolled && !hits.iter().any(|h| h.0 == *i))
        .map(|(_, c)| c.staff_number.clone())
        .collect();
    Matching {
        matched,
        unmatched,
        not_in_report,
    }
}

/// A matched person's time when a report is added to the reports already committed for the
/// same session (a meeting that dropped and was restarted gives two reports): the minutes and
/// mark before, this report's own minutes, and the minutes and mark from the sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summed {
    pub person_id: i64,
    /// From the reports already committed; `None` when the person is in none of them.
    pub before_minutes: Option<i64>,
    pub before_status: Option<Status>,
    /// This report alone.
    pub report_minutes: i64,
    /// All the reports together.
    pub seconds: i64,
    pub minutes: i64,
    pub status: Status,
}

/// Each person's total seconds over several reports' `(person_id, seconds)` rows.
pub fn sum_times(rows: &[(i64, i64)]) -> BTreeMap<i64, i64> {
    let mut out = BTreeMap::new();
    for &(person, seconds) in rows {
        *out.entry(person).or_insert(0) += seconds.max(0);
    }
    out
}

/// The minutes and mark that a person's summed in-meeting time earns.
pub fn summed_mark(seconds: i64, session_seconds: i64, share_pct: i64) -> (i64, Status) {
    (
        seconds / 60,
        status_for(seconds, session_seconds, share_pct),
    )
}

/// Adds a report's matched people to the times they already have from the session's other
/// committed reports (`earlier`: person → seconds); one line per matched person, in order.
/// Seconds are summed before rounding down to minutes, so two parts of 59.5 minutes make 119.
pub fn add_report(
    earlier: &BTreeMap<i64, i64>,
    matched: &[Matched],
    session_seconds: i64,
    share_pct: i64,
) -> Vec<Summed> {
    matched
        .iter()
        .map(|m| {
            let before = earlier.get(&m.person_id).copied();
            let seconds = before.unwrap_or(0) + m.seconds;
            let (minutes, status) = summed_mark(seconds, session_seconds, share_pct);
            Summed {
                person_id: m.person_id,
                before_minutes: before.map(|b| b / 60),
                before_status: before.map(|b| status_for(b, session_seconds, share_pct)),
                report_minutes: m.minutes,
                seconds,
                minutes,
                status,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teams_report::{parse, utf16le_with_bom};

    const REPORT: &str = "1. Summary\n\
Meeting title\tInput\n\
Start time\t15/07/25, 09:00:00\n\
End time\t15/07/25, 12:00:00\n\
2. Participants\n\
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t2h 24m\tZOE.NIBHRIAIN@force.police.uk\t\tOrganizer\n\
O'Brien, Tomás\t15/07/25, 09:02:00\t15/07/25, 11:55:00\t2h 23m 59s\t\t\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\t\tAttendee\n\
Priya Shah (External)\t15/07/25, 09:05:00\t15/07/25, 12:00:00\t2h 55m\tpriya.shah@council.gov.uk\t\tAttendee\n\
Jo Smith\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t3h\t\t\tAttendee\n\
Walk In\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t3h\twalk.in@force.police.uk\t\tAttendee\n";

    fn cand(id: i64, name: &str, email: Option<&str>, enrolled: bool) -> Candidate {
        Candidate {
            person_id: id,
            staff_number: format!("S{id}"),
            name: name.into(),
            email: email.map(str::to_string),
            enrolled,
        }
    }

    fn people() -> Vec<Candidate> {
        vec![
            cand(
                1,
                "Zoe Ni Bhriain",
                Some("zoe.nibhriain@force.police.uk"),
                true,
            ),
            cand(2, "Tomas OBrien", None, true),
            cand(3, "Jo Smith", None, true),
            cand(4, "Jo Smith", None, true),
            cand(5, "Absent Person", Some("absent@force.police.uk"), true),
            cand(6, "Walk In", Some("Walk.In@force.police.uk"), false),
        ]
    }

    #[test]
    fn matches_by_email_then_name_and_marks_by_share() {
        let r = parse(&utf16le_with_bom(REPORT)).unwrap();
        let m = match_report(&r, &people(), 3 * 3600, DEFAULT_SHARE_PCT);
        let z = m.matched.iter().find(|x| x.person_id == 1).unwrap();
        assert_eq!(
            (z.matched_by, z.minutes, z.status),
            ("email", 144, Status::Attended)
        ); // exactly 80%
        let t = m.matched.iter().find(|x| x.person_id == 2).unwrap();
        assert_eq!(
            (t.matched_by, t.minutes, t.status),
            ("name", 143, Status::PartlyAttended)
        ); // 1s short
        let w = m.matched.iter().find(|x| x.person_id == 6).unwrap();
        assert!(!w.enrolled);
        assert_eq!(m.matched.len(), 3);
        let reasons: Vec<(&str, &str)> = m
            .unmatched
            .iter()
            .map(|u| (u.name.as_str(), u.reason.as_str()))
            .collect();
        assert!(reasons.contains(&("Jo Smith", "the name matches more than one enrolled person")));
        assert!(reasons.iter().any(|(n, _)| *n == "Sam Guest"));
        assert!(reasons.iter().any(|(n, _)| *n == "Priya Shah"));
        assert_eq!(m.not_in_report, vec!["S3", "S4", "S5"]);
    }

    #[test]
    fn a_different_meeting_length_changes_the_mark() {
        let r = parse(REPORT.as_bytes()).unwrap();
        // A two-hour session: 2h 23m 59s is well over 80%.
        let m = match_report(&r, &people(), 2 * 3600, DEFAULT_SHARE_PCT);
        assert_eq!(
            m.matched.iter().find(|x| x.person_id == 2).unwrap().status,
            Status::Attended
        );
        // A stricter share of 100% for the three-hour session.
        let m = match_report(&r, &people(), 3 * 3600, 100);
        assert_eq!(
            m.matched.iter().find(|x| x.person_id == 1).unwrap().status,
            Status::PartlyAttended
        );
    }

    #[test]
    fn a_restarted_meeting_adds_its_reports_and_marks_from_the_sum() {
        let r = parse(REPORT.as_bytes()).unwrap();
        let m = match_report(&r, &people(), 3 * 3600, DEFAULT_SHARE_PCT);
        // Tomás: 2h 23m 59s here (partly: 1 s short of 80% of three hours).
        let tomas = m.matched.iter().find(|x| x.person_id == 2).unwrap();
        assert_eq!(tomas.status, Status::PartlyAttended);
        // An earlier report of the same session had him for 30 s; Walk In for 10 minutes.
        let earlier = sum_times(&[(2, 20), (2, 10), (6, 600)]);
        assert_eq!(earlier.get(&2), Some(&30));
        let summed = add_report(&earlier, &m.matched, 3 * 3600, DEFAULT_SHARE_PCT);
        assert_eq!(summed.len(), m.matched.len());
        let t = summed.iter().find(|s| s.person_id == 2).unwrap();
        assert_eq!(
            (t.before_minutes, t.before_status, t.report_minutes),
            (Some(0), Some(Status::PartlyAttended), 143)
        );
        assert_eq!((t.minutes, t.status), (144, Status::Attended));
        let z = summed.iter().find(|s| s.person_id == 1).unwrap();
        assert_eq!((z.before_minutes, z.before_status), (None, None));
        assert_eq!((z.minutes, z.status), (144, Status::Attended));
        let w = summed.iter().find(|s| s.person_id == 6).unwrap();
        assert_eq!((w.before_minutes, w.minutes), (Some(10), 190));
        // Seconds are summed before rounding: two halves of 59.5 minutes make 119.
        assert_eq!(summed_mark(3570 + 3570, 3 * 3600, 80).0, 119);
        // Removing a report is summing the rest again.
        assert_eq!(summed_mark(30, 3 * 3600, 80), (0, Status::PartlyAttended));
    }

    #[test]
    fn names_normalise() {
        assert_eq!(
            normalise_name("O'Brien, Tomás"),
            normalise_name("Tomas OBrien")
        );
        assert_eq!(normalise_name("Zoë  Ní Bhriain"), "bhriain ni zoe");
        assert_ne!(normalise_name("Jo Smith"), normalise_name("Jon Smith"));
    }

    #[test]
    fn marks_are_checked() {
        assert_eq!(Status::parse("Partly attended"), Ok(Status::PartlyAttended));
        assert!(Status::parse("late")
            .unwrap_err()
            .contains("not an attendance status"));
        assert!(check_mark(Status::PartlyAttended, None, 180).is_err());
        assert_eq!(
            check_mark(Status::PartlyAttended, Some(90), 180),
            Ok(Some(90))
        );
        assert_eq!(check_mark(Status::Absent, Some(90), 180), Ok(None));
        assert!(check_mark(Status::Attended, Some(-1), 180).is_err());
        assert_eq!(status_for(0, 3600, 80), Status::PartlyAttended);
    }
}

/// The Europe/London calendar date of a UTC instant (UK rule since 1996: summer time from 01:00
/// UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October).
pub fn london_date(utc: time::OffsetDateTime) -> time::Date {
    let utc = utc.to_offset(time::UtcOffset::UTC);
    let year = utc.year();
    let last_sunday = |month: time::Month| {
        let mut d = time::Date::from_calendar_date(year, month, 31)
            .expect("March and October have 31 days");
        while d.weekday() != time::Weekday::Sunday {
            d = d.previous_day().expect("in range");
        }
        time::PrimitiveDateTime::new(d, time::Time::from_hms(1, 0, 0).expect("valid")).assume_utc()
    };
    let summer = utc >= last_sunday(time::Month::March) && utc < last_sunday(time::Month::October);
    if summer {
        (utc + time::Duration::hours(1)).date()
    } else {
        utc.date()
    }
}

#[cfg(test)]
mod london_tests {
    use super::london_date;
    use time::macros::{date, datetime};

    #[test]
    fn london_dates_across_the_clock_changes() {
        assert_eq!(
            london_date(datetime!(2025-07-15 23:30 UTC)),
            date!(2025 - 07 - 16)
        );
        assert_eq!(
            london_date(datetime!(2025-01-15 23:30 UTC)),
            date!(2025 - 01 - 15)
        );
        // 2025-03-30 01:00 UTC is when the clocks go forward.
        assert_eq!(
            london_date(datetime!(2025-03-30 00:59 UTC)),
            date!(2025 - 03 - 30)
        );
        assert_eq!(
            london_date(datetime!(2025-03-29 23:30 UTC)),
            date!(2025 - 03 - 29)
        );
        assert_eq!(
            london_date(datetime!(2025-10-25 23:30 UTC)),
            date!(2025 - 10 - 26)
        );
        assert_eq!(
            london_date(datetime!(2025-10-26 23:30 UTC)),
            date!(2025 - 10 - 26)
        );
    }
}
