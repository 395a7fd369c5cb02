//! Reading the incident and referral register from records-management exports: incidents,
//! referrals (public protection notices), partner outcomes, and the people named in referrals.
//!
//! Exports are large (a force writes a million incidents in a few years), so a file is read as
//! a stream: [`RegisterReader`] takes any [`std::io::Read`] and yields one [`ParsedRow`] at a
//! time, and its memory stays flat however long the file is (apart from the references it has
//! seen, which it keeps to spot a reference given twice). Nothing here opens files.
//!
//! ## The canonical layouts
//!
//! One header row, then one row per record; columns in any order; header names match whatever
//! their case and spacing (`Incident Ref` is `incident_ref`). Columns we do not use are ignored.
//!
//! | kind | columns (required in **bold**) |
//! |---|---|
//! | incidents | **incident_ref**, **reported_at**, category, area, children_involved, adult_at_risk, domestic_abuse, officer_staff_number, department |
//! | referrals | **referral_ref**, incident_ref, **submitted_at**, **subject_type** (child or adult), category, officer_grade, officer_staff_number, partner, narrative |
//! | outcomes | **referral_ref**, **partner**, **outcome**, reason, **decided_at** |
//! | referral_people | **referral_ref**, **role** (child or adult), **name**, date_of_birth, address, area |
//!
//! Outcome words are `accepted_assessment`, `accepted_s47`, `accepted_s42`, `early_help`,
//! `advice_signpost`, `no_further_action` and `returned_more_information`; the spellings
//! people use ("Accepted - s47", "NFA", "Early help", "Returned for more information") are read
//! as those ([`PartnerOutcome::parse`]).
//!
//! A file laid out differently is read through a [`RegisterMapping`]: which of its columns holds
//! each field, saved by name in the same `field=header;field=header` text form the training
//! import uses (`crate::training_import`), headers written as [`header_key`] writes them.
//!
//! ## What a cell may hold
//!
//! * Text: UTF-8 with or without a byte-order mark, UTF-16 with one, or Windows-1252 (a byte
//!   that is not valid UTF-8 is read as Windows-1252, so an export from an old system reads
//!   right); comma, semicolon or tab separated; CRLF, LF or CR line ends; quoted cells may hold
//!   separators, quote marks (doubled) and line breaks.
//! * Dates and times ([`parse_datetime`]): `31/03/2024`, `31/03/2024 14:05`, `31/03/2024 14:05:09`
//!   (always day first), or ISO `2024-03-31`, `2024-03-31T14:05:09`, `2024-03-31 14:05`. A date
//!   alone means midnight. Times are the force's local clock, kept without a zone.
//! * Flags ([`parse_flag`]): `Y`/`N`, `yes`/`no`, `true`/`false`, any case, or a whole number
//!   (0 is no, more is yes; for `children_involved` the number is kept); blank is no.
//! * Every cell is trimmed; references keep their case; staff numbers are upper-cased.
//!
//! ## Row numbers
//!
//! A row number is the row a spreadsheet shows when the file is opened in it: the header is
//! row 1 when it is on the first line, a blank line is a (skipped) row, and a quoted cell that
//! spans several lines is still one row. Every problem is a [`RowError`]: row, column (the
//! field's name), and the reason in plain words.

pub use crate::imports::mapping::{
    header_key, resolve_mapping, suggest_mapping, Field, Layout, Mapping, MappingError,
};
use crate::imports::{
    detect_delimiter, long_line_message, FileProblem, RowError, MAX_CELL_CHARS, MAX_LINE_BYTES,
    SPREADSHEET_ERRORS,
};
use crate::people::{parse_date, StaffNumber};
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use time::{Date, PrimitiveDateTime, Time};

/// The longest reference (incident or referral) we accept.
pub const MAX_REF: usize = 60;
/// The longest narrative we accept, in characters.
pub const MAX_NARRATIVE: usize = 50_000;
/// The longest reason on an outcome, or address of a person, in characters.
pub const MAX_LONG_CELL: usize = 5_000;

// ---------------------------------------------------------------------------------------------
// Kinds and fields

/// Which export a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterKind {
    Incidents,
    Referrals,
    Outcomes,
    ReferralPeople,
}

impl RegisterKind {
    pub const ALL: [RegisterKind; 4] = [
        RegisterKind::Incidents,
        RegisterKind::Referrals,
        RegisterKind::Outcomes,
        RegisterKind::ReferralPeople,
    ];

    /// The machine name, used in forms, saved mappings and the audit trail.
    pub fn as_str(self) -> &'static str {
        match self {
            RegisterKind::Incidents => "incidents",
            RegisterKind::Referrals => "referrals",
            RegisterKind::Outcomes => "outcomes",
            RegisterKind::ReferralPeople => "referral_people",
        }
    }

    /// The word on the command line: `mashboard import referral-people`.
    pub fn cli_name(self) -> &'static str {
        match self {
            RegisterKind::ReferralPeople => "referral-people",
            other => other.as_str(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RegisterKind::Incidents => "Incidents",
            RegisterKind::Referrals => "Referrals",
            RegisterKind::Outcomes => "Partner outcomes",
            RegisterKind::ReferralPeople => "People named in referrals",
        }
    }

    /// What one row is: "incident", "referral", "outcome", "person".
    pub fn row_noun(self) -> &'static str {
        match self {
            RegisterKind::Incidents => "incident",
            RegisterKind::Referrals => "referral",
            RegisterKind::Outcomes => "outcome",
            RegisterKind::ReferralPeople => "person named in a referral",
        }
    }

    pub fn fields(self) -> &'static [RegisterField] {
        match self {
            RegisterKind::Incidents => &INCIDENT_FIELDS,
            RegisterKind::Referrals => &REFERRAL_FIELDS,
            RegisterKind::Outcomes => &OUTCOME_FIELDS,
            RegisterKind::ReferralPeople => &PEOPLE_FIELDS,
        }
    }

    pub fn field(self, key: &str) -> Option<&'static RegisterField> {
        self.fields().iter().find(|f| f.key == key)
    }

    /// The canonical header line: `incident_ref,reported_at,…`.
    pub fn canonical_header(self) -> String {
        self.fields()
            .iter()
            .map(|f| f.key)
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for RegisterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegisterKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match header_key(s).as_str() {
            "incidents" | "incident" => Ok(RegisterKind::Incidents),
            "referrals" | "referral" => Ok(RegisterKind::Referrals),
            "outcomes" | "outcome" | "partner_outcomes" => Ok(RegisterKind::Outcomes),
            "referral_people" | "people_in_referrals" => Ok(RegisterKind::ReferralPeople),
            _ => Err(format!(
                "\"{}\" is not a register file; use incidents, referrals, outcomes or referral-people",
                s.trim()
            )),
        }
    }
}

/// One column of a layout (aliases as [`Field::exact`]).
pub type RegisterField = Field;

const OFFICER_ALIASES: &[&str] = &[
    "officer",
    "officer_staff_no",
    "officer_number",
    "officer_no",
    "officer_collar_number",
    "officer_collar_no",
    "collar_number",
    "collar_no",
    "staff_number",
    "staff_no",
    "reporting_officer",
    "submitting_officer",
    "oic",
];

static INCIDENT_FIELDS: [RegisterField; 9] = [
    RegisterField {
        key: "incident_ref",
        label: "Incident reference",
        hint: "The records system's own reference for the incident",
        required: true,
        within: &[],
        exact: &[
            "incident",
            "incident_reference",
            "incident_number",
            "incident_no",
            "incident_id",
            "occurrence",
            "occurrence_ref",
            "occurrence_number",
            "occurrence_no",
            "log_number",
            "log_no",
            "reference",
            "ref",
            "urn",
        ],
    },
    RegisterField {
        key: "reported_at",
        label: "Reported at",
        hint: "Date and time, such as 31/03/2024 14:05 or 2024-03-31T14:05:00",
        required: true,
        within: &[],
        exact: &[
            "reported",
            "reported_on",
            "date_reported",
            "reported_date",
            "date_time_reported",
            "report_date",
            "date",
            "created",
            "created_at",
        ],
    },
    RegisterField {
        key: "category",
        label: "Category",
        hint: "The kind of incident",
        required: false,
        within: &[],
        exact: &[
            "incident_type",
            "type",
            "classification",
            "incident_category",
        ],
    },
    RegisterField {
        key: "area",
        label: "Area",
        hint: "Where: district, beat or neighbourhood",
        required: false,
        within: &[],
        exact: &[
            "district",
            "beat",
            "neighbourhood",
            "location_area",
            "sector",
        ],
    },
    RegisterField {
        key: "children_involved",
        label: "Children involved",
        hint: "Y or N, or the number of children (0 for none)",
        required: false,
        within: &[],
        exact: &[
            "children",
            "child_involved",
            "child_present",
            "children_present",
            "cyp_involved",
        ],
    },
    RegisterField {
        key: "adult_at_risk",
        label: "Adult at risk",
        hint: "Y or N, or a whole number (0 for no)",
        required: false,
        within: &[],
        exact: &["vulnerable_adult", "adult_risk", "adult_at_risk_flag"],
    },
    RegisterField {
        key: "domestic_abuse",
        label: "Domestic abuse",
        hint: "Y or N, or a whole number (0 for no)",
        required: false,
        within: &[],
        exact: &["domestic", "da", "domestic_abuse_flag", "da_flag"],
    },
    RegisterField {
        key: "officer_staff_number",
        label: "Officer's staff number",
        hint: "The attending officer's staff or collar number, as in the people directory",
        required: false,
        within: &[],
        exact: OFFICER_ALIASES,
    },
    RegisterField {
        key: "department",
        label: "Department",
        hint: "The officer's department or unit",
        required: false,
        within: &[],
        exact: &["dept", "unit", "team", "officer_department"],
    },
];

static REFERRAL_FIELDS: [RegisterField; 9] = [
    RegisterField {
        key: "referral_ref",
        label: "Referral reference",
        hint: "The records system's own reference for the referral (PPN)",
        required: true,
        within: &[],
        exact: &[
            "referral",
            "referral_reference",
            "referral_number",
            "referral_no",
            "referral_id",
            "ppn",
            "ppn_ref",
            "ppn_number",
            "ppn_no",
            "reference",
            "ref",
        ],
    },
    RegisterField {
        key: "incident_ref",
        label: "Incident reference",
        hint: "The incident the referral came from",
        required: false,
        within: &[],
        exact: &[
            "incident",
            "incident_reference",
            "incident_number",
            "incident_no",
            "occurrence",
            "occurrence_ref",
            "log_number",
        ],
    },
    RegisterField {
        key: "submitted_at",
        label: "Submitted at",
        hint: "Date and time, such as 31/03/2024 14:05 or 2024-03-31T14:05:00",
        required: true,
        within: &[],
        exact: &[
            "submitted",
            "submitted_on",
            "date_submitted",
            "submission_date",
            "date",
            "created",
            "created_at",
        ],
    },
    RegisterField {
        key: "subject_type",
        label: "Subject",
        hint: "child or adult",
        required: true,
        within: &[],
        exact: &[
            "subject",
            "child_or_adult",
            "type",
            "referral_type",
            "ppn_type",
        ],
    },
    RegisterField {
        key: "category",
        label: "Category",
        hint: "The kind of concern",
        required: false,
        within: &[],
        exact: &[
            "concern",
            "concern_type",
            "ppn_category",
            "referral_category",
        ],
    },
    RegisterField {
        key: "officer_grade",
        label: "Officer's risk grade",
        hint: "The officer's own risk grading, such as standard, medium or high",
        required: false,
        within: &[],
        exact: &["risk", "risk_grade", "risk_level", "grade", "officer_risk"],
    },
    RegisterField {
        key: "officer_staff_number",
        label: "Officer's staff number",
        hint: "The submitting officer's staff or collar number, as in the people directory",
        required: false,
        within: &[],
        exact: OFFICER_ALIASES,
    },
    RegisterField {
        key: "partner",
        label: "Partner",
        hint: "The agency the referral went to",
        required: false,
        within: &[],
        exact: &["agency", "partner_agency", "sent_to", "receiving_agency"],
    },
    RegisterField {
        key: "narrative",
        label: "Narrative",
        hint: "What the officer wrote",
        required: false,
        within: &[],
        exact: &[
            "text",
            "details",
            "description",
            "summary",
            "referral_text",
            "ppn_text",
        ],
    },
];

static OUTCOME_FIELDS: [RegisterField; 5] = [
    RegisterField {
        key: "referral_ref",
        label: "Referral reference",
        hint: "The referral the outcome is for",
        required: true,
        within: &[],
        exact: &[
            "referral",
            "referral_reference",
            "referral_number",
            "ppn",
            "ppn_ref",
            "reference",
            "ref",
        ],
    },
    RegisterField {
        key: "partner",
        label: "Partner",
        hint: "The agency that decided",
        required: true,
        within: &[],
        exact: &["agency", "partner_agency", "decided_by"],
    },
    RegisterField {
        key: "outcome",
        label: "Outcome",
        hint: "Such as Accepted - s47, Early help, NFA or Returned for more information",
        required: true,
        within: &[],
        exact: &[
            "decision",
            "result",
            "partner_outcome",
            "outcome_of_referral",
        ],
    },
    RegisterField {
        key: "reason",
        label: "Reason",
        hint: "Why, in the partner's words",
        required: false,
        within: &[],
        exact: &["rationale", "notes", "comment", "comments", "reason_given"],
    },
    RegisterField {
        key: "decided_at",
        label: "Decided on",
        hint: "Date, such as 31/03/2024 or 2024-03-31",
        required: true,
        within: &[],
        exact: &[
            "decided",
            "decided_on",
            "decision_date",
            "date_decided",
            "outcome_date",
            "date",
        ],
    },
];

static PEOPLE_FIELDS: [RegisterField; 6] = [
    RegisterField {
        key: "referral_ref",
        label: "Referral reference",
        hint: "The referral that names the person",
        required: true,
        within: &[],
        exact: &[
            "referral",
            "referral_reference",
            "referral_number",
            "ppn",
            "ppn_ref",
            "reference",
            "ref",
        ],
    },
    RegisterField {
        key: "role",
        label: "Child or adult",
        hint: "child or adult",
        required: true,
        within: &[],
        exact: &["person_type", "child_or_adult", "type", "subject_type"],
    },
    RegisterField {
        key: "name",
        label: "Name",
        hint: "The person's full name",
        required: true,
        within: &[],
        exact: &["full_name", "person", "person_name", "subject_name"],
    },
    RegisterField {
        key: "date_of_birth",
        label: "Date of birth",
        hint: "Such as 31/03/2015 or 2015-03-31",
        required: false,
        within: &[],
        exact: &["dob", "birth_date", "born"],
    },
    RegisterField {
        key: "address",
        label: "Address",
        hint: "The person's address",
        required: false,
        within: &[],
        exact: &["home_address", "address_line", "full_address"],
    },
    RegisterField {
        key: "area",
        label: "Area",
        hint: "District or neighbourhood (shown instead of the address when pseudonymised)",
        required: false,
        within: &[],
        exact: &["district", "neighbourhood", "locality", "town"],
    },
];

// ---------------------------------------------------------------------------------------------
// Values

/// Whom a referral is about, or what a person named in one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Child,
    Adult,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Child => "child",
            SubjectType::Adult => "adult",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SubjectType::Child => "Child",
            SubjectType::Adult => "Adult",
        }
    }

    pub fn parse(raw: &str) -> Result<SubjectType, String> {
        match squash(raw).as_str() {
            "child" | "c" | "children" | "youngperson" | "cyp" | "juvenile" => {
                Ok(SubjectType::Child)
            }
            "adult" | "a" | "adults" | "adultatrisk" | "vulnerableadult" => Ok(SubjectType::Adult),
            "" => Err("Write child or adult".into()),
            _ => Err(format!(
                "\"{}\" is neither child nor adult; write child or adult",
                raw.trim()
            )),
        }
    }
}

/// A partner agency's decision on a referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerOutcome {
    AcceptedAssessment,
    AcceptedS47,
    AcceptedS42,
    EarlyHelp,
    AdviceSignpost,
    NoFurtherAction,
    ReturnedMoreInformation,
}

impl PartnerOutcome {
    pub const ALL: [PartnerOutcome; 7] = [
        PartnerOutcome::AcceptedAssessment,
        PartnerOutcome::AcceptedS47,
        PartnerOutcome::AcceptedS42,
        PartnerOutcome::EarlyHelp,
        PartnerOutcome::AdviceSignpost,
        PartnerOutcome::NoFurtherAction,
        PartnerOutcome::ReturnedMoreInformation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PartnerOutcome::AcceptedAssessment => "accepted_assessment",
            PartnerOutcome::AcceptedS47 => "accepted_s47",
            PartnerOutcome::AcceptedS42 => "accepted_s42",
            PartnerOutcome::EarlyHelp => "early_help",
            PartnerOutcome::AdviceSignpost => "advice_signpost",
            PartnerOutcome::NoFurtherAction => "no_further_action",
            PartnerOutcome::ReturnedMoreInformation => "returned_more_information",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PartnerOutcome::AcceptedAssessment => "Accepted for assessment",
            PartnerOutcome::AcceptedS47 => "Accepted: section 47 enquiry",
            PartnerOutcome::AcceptedS42 => "Accepted: section 42 enquiry",
            PartnerOutcome::EarlyHelp => "Early help or other service",
            PartnerOutcome::AdviceSignpost => "Advice or signposting",
            PartnerOutcome::NoFurtherAction => "No further action",
            PartnerOutcome::ReturnedMoreInformation => "Returned for more information",
        }
    }

    /// The stored word back to the value.
    pub fn from_stored(s: &str) -> Option<PartnerOutcome> {
        PartnerOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Reads an outcome as the canonical word or as people write it: "Accepted - s47",
    /// "Section 42 enquiry", "NFA", "Early help", "Signposted", "Returned for more information".
    pub fn parse(raw: &str) -> Result<PartnerOutcome, String> {
        let w = squash(raw);
        let has = |words: &[&str]| words.iter().any(|k| w.contains(k));
        let outcome = if w.is_empty() {
            return Err(
                "Write the outcome, such as accepted_s47, early_help or no_further_action".into(),
            );
        } else if has(&["s47", "section47", "sec47"]) {
            PartnerOutcome::AcceptedS47
        } else if has(&["s42", "section42", "sec42"]) {
            PartnerOutcome::AcceptedS42
        } else if w == "nfa" || has(&["nofurther", "nfa"]) {
            PartnerOutcome::NoFurtherAction
        } else if has(&["returned", "moreinfo", "furtherinfo", "rfi", "sentback"]) {
            PartnerOutcome::ReturnedMoreInformation
        } else if has(&[
            "earlyhelp",
            "otherservice",
            "targetedsupport",
            "familysupport",
        ]) {
            PartnerOutcome::EarlyHelp
        } else if has(&["advice", "signpost"]) {
            PartnerOutcome::AdviceSignpost
        } else if has(&["accept", "assessment"]) {
            PartnerOutcome::AcceptedAssessment
        } else {
            return Err(format!(
                "\"{}\" is not an outcome we know; write one of {}",
                raw.trim(),
                PartnerOutcome::ALL
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        Ok(outcome)
    }
}

/// Lower case letters and digits only, for matching words.
fn squash(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Reads a flag: Y/N, yes/no, true/false in any case, or a whole number (records-management
/// exports often give how many: 0 is no, more is yes); blank is no.
pub fn parse_flag(raw: &str) -> Result<bool, String> {
    parse_flag_count(raw).map(|(flag, _)| flag)
}

/// As [`parse_flag`], with the number when the cell gave one: `"3"` → `(true, Some(3))`,
/// `"Y"` → `(true, None)`, `"0"` → `(false, Some(0))`.
pub fn parse_flag_count(raw: &str) -> Result<(bool, Option<i64>), String> {
    let v = raw.trim();
    if !v.is_empty() && v.len() <= 6 && v.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = v.parse().unwrap_or(0);
        return Ok((n > 0, Some(n)));
    }
    match v.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "t" => Ok((true, None)),
        "n" | "no" | "false" | "f" | "" => Ok((false, None)),
        _ => Err(format!(
            "\"{v}\" is not yes or no; write Y or N, or a whole number (0 for no)"
        )),
    }
}

fn parse_time(raw: &str) -> Option<Time> {
    // Fractions of a second and a trailing Z are dropped: times are the force's local clock.
    let t = raw.trim_end_matches('Z');
    let t = t.split_once('.').map_or(t, |(whole, _)| whole);
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n = |i: usize| parts.get(i).map_or(Some(0), |p| p.parse::<u8>().ok());
    Time::from_hms(n(0)?, n(1)?, n(2)?).ok()
}

/// Reads a date with an optional time: `31/03/2024`, `31/03/2024 14:05[:09]`, `2024-03-31`,
/// `2024-03-31T14:05:09` or `2024-03-31 14:05`. A date alone is midnight.
pub fn parse_datetime(raw: &str) -> Result<PrimitiveDateTime, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("The date is missing".into());
    }
    let bad = || {
        format!("\"{s}\" is not a date and time; write it as 31/03/2024 14:05 (day first) or 2024-03-31T14:05:00")
    };
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let date = parse_date(date).map_err(|e| {
        if e.contains("not a real date") {
            format!("\"{s}\" is not a real date (dates are read day first, as 31/03/2024)")
        } else {
            bad()
        }
    })?;
    let time = match time {
        None | Some("") => Time::MIDNIGHT,
        Some(t) => parse_time(t).ok_or_else(bad)?,
    };
    Ok(PrimitiveDateTime::new(date, time))
}

/// A date and time as stored: `YYYY-MM-DDTHH:MM:SS`.
pub fn datetime_text(dt: PrimitiveDateTime) -> String {
    let year = dt.year();
    if !(1000..=9999).contains(&year) {
        return format!(
            "{}T{:02}:{:02}:{:02}",
            dt.date(),
            dt.hour(),
            dt.minute(),
            dt.second()
        );
    }
    // Every row of a register file has one or two of these: written digit by digit, not
    // through `format!` (3% of reading a file).
    let mut out = String::with_capacity(19);
    let mut two = |sep: Option<char>, n: u8| {
        if let Some(sep) = sep {
            out.push(sep);
        }
        out.push(char::from(b'0' + n / 10));
        out.push(char::from(b'0' + n % 10));
    };
    two(None, (year / 100) as u8);
    two(None, (year % 100) as u8);
    two(Some('-'), u8::from(dt.month()));
    two(Some('-'), dt.day());
    two(Some('T'), dt.hour());
    two(Some(':'), dt.minute());
    two(Some(':'), dt.second());
    out
}

/// Reads a date alone (a time after it is allowed and dropped).
pub fn parse_day(raw: &str) -> Result<Date, String> {
    parse_datetime(raw).map(|dt| dt.date()).map_err(|e| {
        e.replace(
            "is not a date and time; write it as 31/03/2024 14:05 (day first) or 2024-03-31T14:05:00",
            "is not a date; write it as 31/03/2024 (day first) or 2024-03-31",
        )
    })
}

/// A stored instant or date shown the way pages show it: `31 March 2024, 14:05`.
pub fn format_datetime_long(stored: &str) -> String {
    let (date, time) = stored.split_once('T').unwrap_or((stored, ""));
    let day = parse_date(date)
        .map(crate::people::format_date_long)
        .unwrap_or_else(|_| date.to_string());
    match time.get(..5) {
        Some(hm) if hm != "00:00" => format!("{day}, {hm}"),
        _ => day,
    }
}

// ---------------------------------------------------------------------------------------------
// Records

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IncidentRecord {
    pub incident_ref: String,
    /// `YYYY-MM-DDTHH:MM:SS`, local time.
    pub reported_at: String,
    pub category: String,
    pub area: String,
    pub children_involved: bool,
    /// How many children, when the file gave a number rather than yes or no.
    pub children_count: Option<i64>,
    pub adult_at_risk: bool,
    pub domestic_abuse: bool,
    pub officer_staff_number: Option<StaffNumber>,
    pub department: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReferralRecord {
    pub referral_ref: String,
    /// Empty when the export gives none.
    pub incident_ref: String,
    /// `YYYY-MM-DDTHH:MM:SS`, local time.
    pub submitted_at: String,
    pub subject_type: SubjectType,
    pub category: String,
    pub officer_grade: String,
    pub officer_staff_number: Option<StaffNumber>,
    pub partner: String,
    /// Line breaks kept (as `\n`).
    pub narrative: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutcomeRecord {
    pub referral_ref: String,
    pub partner: String,
    pub outcome: PartnerOutcome,
    pub reason: String,
    /// `YYYY-MM-DD`.
    pub decided_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonRecord {
    pub referral_ref: String,
    pub role: SubjectType,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub address: String,
    pub area: String,
}

/// One good row of any kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Record {
    Incident(IncidentRecord),
    Referral(ReferralRecord),
    Outcome(OutcomeRecord),
    Person(PersonRecord),
}

impl Record {
    /// The reference the row is filed under (its incident or referral).
    pub fn reference(&self) -> &str {
        match self {
            Record::Incident(r) => &r.incident_ref,
            Record::Referral(r) => &r.referral_ref,
            Record::Outcome(r) => &r.referral_ref,
            Record::Person(r) => &r.referral_ref,
        }
    }

    /// The officer's staff number, for the kinds that name one.
    pub fn officer(&self) -> Option<&StaffNumber> {
        match self {
            Record::Incident(r) => r.officer_staff_number.as_ref(),
            Record::Referral(r) => r.officer_staff_number.as_ref(),
            _ => None,
        }
    }

    /// A short description for previews: the date and category or outcome.
    pub fn summary(&self) -> String {
        match self {
            Record::Incident(r) => format!(
                "{} · {}",
                format_datetime_long(&r.reported_at),
                if r.category.is_empty() {
                    "(no category)"
                } else {
                    &r.category
                }
            ),
            Record::Referral(r) => format!(
                "{} · {} · {}",
                format_datetime_long(&r.submitted_at),
                r.subject_type.label(),
                if r.partner.is_empty() {
                    "(no partner)"
                } else {
                    &r.partner
                }
            ),
            Record::Outcome(r) => format!("{}: {}", r.partner, r.outcome.label()),
            Record::Person(r) => format!("{} ({})", r.name, r.role.as_str()),
        }
    }
}

/// The key a row may appear under only once in a file.
pub fn unique_key(record: &Record) -> String {
    match record {
        Record::Incident(r) => r.incident_ref.clone(),
        Record::Referral(r) => r.referral_ref.clone(),
        Record::Outcome(r) => format!("{}\u{1f}{}", r.referral_ref, r.partner),
        Record::Person(r) => format!("{}\u{1f}{}", r.referral_ref, r.name),
    }
}

/// Rows read before a file's length ([`RegisterReader::set_file_len`]) is taken to say how many
/// it holds, to give the keys met room for them all.
const ROWS_TO_ESTIMATE: usize = 1024;

/// At most how many keys room is made for at once ([`SeenKeys::reserve`]): a file whose first
/// rows are short and the rest long promises, by its length, far more rows than it holds (a
/// terabyte's promise aborted the process when the room could not be had). Two million keys'
/// table is about 36 MB; past this, the keys grow by doubling as they are met.
const MAX_ROOM_ROWS: usize = 2_000_000;
/// At most how many bytes of keys room is made for at once.
const MAX_ROOM_BYTES: usize = 64 << 20;

/// The keys ([`unique_key`]) met so far in a file, each with the row it was first on, kept
/// compactly: the keys' bytes one after another (each ended by 0xFF, which UTF-8 never holds)
/// and a hash table of where each starts and its row. A million references take about 30 MB,
/// where a map of boxed strings took about 85 MB.
#[derive(Default)]
struct SeenKeys {
    bytes: Vec<u8>,
    /// (start in `bytes`, row).
    table: hashbrown::HashTable<(u32, u32)>,
    hasher: foldhash::fast::RandomState,
    /// Keys met once `bytes` has outgrown a `u32` offset (a file of gigabytes of keys).
    beyond: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
}

impl SeenKeys {
    fn key_at(bytes: &[u8], start: u32) -> &[u8] {
        let rest = &bytes[start as usize..];
        let end = rest.iter().position(|&b| b == 0xFF).unwrap_or(rest.len());
        &rest[..end]
    }

    /// Makes room for about `rows` keys at once, rather than growing (and rehashing) by
    /// doubling (6% of reading a million incidents), taking the keys met so far as typical;
    /// no more than [`MAX_ROOM_ROWS`] keys and [`MAX_ROOM_BYTES`] bytes.
    fn reserve(&mut self, rows: usize) {
        use std::hash::BuildHasher;
        let SeenKeys {
            bytes,
            table,
            hasher,
            ..
        } = self;
        let len = table.len();
        let rows = rows.min(MAX_ROOM_ROWS);
        if len == 0 || rows <= table.capacity() {
            return;
        }
        table.reserve(rows - len, |&(start, _)| {
            hasher.hash_one(Self::key_at(bytes, start))
        });
        let more = (bytes.len() / len).saturating_mul(rows - len);
        bytes.reserve(more.min(MAX_ROOM_BYTES.saturating_sub(bytes.len())));
    }

    /// The row `key` was first on, or `None` (and `key` is remembered as on `row`).
    fn first_row(&mut self, key: &str, row: u32) -> Option<u32> {
        use std::hash::BuildHasher;
        let SeenKeys {
            bytes,
            table,
            hasher,
            beyond,
        } = self;
        let hash = hasher.hash_one(key.as_bytes());
        if let Some(&(_, first)) = table.find(hash, |&(start, _)| {
            Self::key_at(bytes, start) == key.as_bytes()
        }) {
            return Some(first);
        }
        if let Some(&first) = beyond.get(key) {
            return Some(first);
        }
        match u32::try_from(bytes.len()) {
            Ok(start) if start < u32::MAX => {
                bytes.extend_from_slice(key.as_bytes());
                bytes.push(0xFF);
                table.insert_unique(hash, (start, row), |&(start, _)| {
                    hasher.hash_one(Self::key_at(bytes, start))
                });
            }
            _ => {
                beyond.insert(key.into(), row);
            }
        }
        None
    }
}

/// The error for row `row`, whose key ([`unique_key`]) row `first` already used.
pub fn repeat_error(record: &Record, first: usize, row: usize) -> RowError {
    let kind = match record {
        Record::Incident(_) => RegisterKind::Incidents,
        Record::Referral(_) => RegisterKind::Referrals,
        Record::Outcome(_) => RegisterKind::Outcomes,
        Record::Person(_) => RegisterKind::ReferralPeople,
    };
    let words = repeat_words(record);
    RowError {
        row,
        column: Some(kind.fields()[0].key.to_string()),
        reason: format!(
            "{words} {first}; each {} must appear only once in a file. Delete one of rows {first} and {row}",
            kind.row_noun()
        ),
    }
}

/// The words for a row whose key an earlier row already used: "Incident X is also on row".
fn repeat_words(record: &Record) -> String {
    match record {
        Record::Incident(r) => format!("Incident {} is also on row", r.incident_ref),
        Record::Referral(r) => format!("Referral {} is also on row", r.referral_ref),
        Record::Outcome(r) => format!(
            "The outcome of referral {} for {} is also on row",
            r.referral_ref, r.partner
        ),
        Record::Person(r) => format!("{} in referral {} is also on row", r.name, r.referral_ref),
    }
}

// ---------------------------------------------------------------------------------------------
// Mappings

/// Which column of a file holds each field (the one [`Mapping`] of every import).
pub type RegisterMapping = Mapping;

impl Layout for RegisterKind {
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn fields(self) -> &'static [Field] {
        RegisterKind::fields(self)
    }
    fn example(self) -> String {
        "incident_ref=occurrence_no;reported_at=date_reported".into()
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding: UTF-8, else Windows-1252 byte by byte; UTF-16 by its byte-order mark

/// What the decoder has seen, shared with the reader so row numbers can be worked out from the
/// text the CSV parser consumed.
#[derive(Default)]
struct Shared {
    /// Decoded bytes handed to the CSV parser, from absolute offset `base`.
    kept: Vec<u8>,
    base: u64,
    saw_multibyte: bool,
    saw_1252: bool,
}

impl Shared {
    fn byte(&self, at: u64) -> Option<u8> {
        at.checked_sub(self.base)
            .and_then(|i| self.kept.get(usize::try_from(i).ok()?))
            .copied()
    }

    /// Forgets what lies before `at` (amortised: only once enough is dead).
    fn release(&mut self, at: u64) {
        let dead = at.saturating_sub(self.base) as usize;
        if dead > 256 * 1024 && dead <= self.kept.len() {
            self.kept.drain(..dead);
            self.base = at;
        }
    }
}

enum Source {
    /// UTF-8, with Windows-1252 for any byte that is not valid UTF-8.
    Utf8,
    Utf16(encoding_rs::Decoder),
}

struct Decoding<R> {
    inner: R,
    source: Source,
    shared: Arc<Mutex<Shared>>,
    /// Decoded bytes not yet handed out.
    out: Vec<u8>,
    out_at: usize,
    /// An incomplete UTF-8 sequence at the end of the last raw chunk.
    carry: Vec<u8>,
    raw: Vec<u8>,
    eof: bool,
    /// Bytes handed out since the last line feed, and line feeds handed out: a line longer
    /// than [`MAX_LINE_BYTES`] is refused before the CSV parser holds it.
    line_len: usize,
    lines: usize,
}

fn push_1252(out: &mut Vec<u8>, bytes: &[u8]) {
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    out.extend_from_slice(text.as_bytes());
}

impl<R: Read> Decoding<R> {
    /// Decodes the next raw chunk into `out`. Returns false at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.out.clear();
        self.out_at = 0;
        while self.out.is_empty() && !self.eof {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            if n == 0 {
                self.eof = true;
            }
            let chunk = &self.raw[..n];
            match &mut self.source {
                Source::Utf16(decoder) => {
                    let mut text = String::with_capacity(n * 2 + 16);
                    let need = decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16);
                    text.reserve(need);
                    let (_, _, _) = decoder.decode_to_string(chunk, &mut text, self.eof);
                    self.out.extend_from_slice(text.as_bytes());
                }
                Source::Utf8 => {
                    let mut data = std::mem::take(&mut self.carry);
                    data.extend_from_slice(chunk);
                    let mut i = 0;
                    let mut multibyte = false;
                    let mut fallback = false;
                    while i < data.len() {
                        match std::str::from_utf8(&data[i..]) {
                            Ok(s) => {
                                multibyte |= !s.is_ascii();
                                self.out.extend_from_slice(s.as_bytes());
                                i = data.len();
                            }
                            Err(e) => {
                                let valid = e.valid_up_to();
                                let good = &data[i..i + valid];
                                multibyte |= !good.is_ascii();
                                self.out.extend_from_slice(good);
                                i += valid;
                                match e.error_len() {
                                    None if !self.eof => {
                                        self.carry = data[i..].to_vec();
                                        i = data.len();
                                    }
                                    None => {
                                        push_1252(&mut self.out, &data[i..]);
                                        fallback = true;
                                        i = data.len();
                                    }
                                    Some(len) => {
                                        push_1252(&mut self.out, &data[i..i + len]);
                                        fallback = true;
                                        i += len;
                                    }
                                }
                            }
                        }
                    }
                    if multibyte || fallback {
                        let mut s = self.shared.lock().expect("decoder state");
                        s.saw_multibyte |= multibyte;
                        s.saw_1252 |= fallback;
                    }
                }
            }
        }
        Ok(!self.out.is_empty())
    }

    /// Decodes ahead until at least `want` bytes (or the whole input) are waiting; returns them.
    fn peek(&mut self, want: usize) -> io::Result<&[u8]> {
        while self.out.len() - self.out_at < want && !self.eof {
            let mut pending = self.out.split_off(self.out_at);
            self.out_at = 0;
            self.out.clear();
            if !self.refill()? {
                self.out = pending;
                break;
            }
            pending.extend_from_slice(&self.out);
            self.out = pending;
        }
        Ok(&self.out[self.out_at..])
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_at >= self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.out_at);
        let bytes = &self.out[self.out_at..self.out_at + n];
        for &b in bytes {
            if b == b'\n' {
                self.lines += 1;
                self.line_len = 0;
            } else {
                self.line_len += 1;
                if self.line_len > MAX_LINE_BYTES {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        LongLine(self.lines + 1),
                    ));
                }
            }
        }
        buf[..n].copy_from_slice(bytes);
        self.shared
            .lock()
            .expect("decoder state")
            .kept
            .extend_from_slice(bytes);
        self.out_at += n;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// The reader

/// One row of the file: its number and the record, or every problem with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRow {
    pub row: usize,
    pub result: Result<Record, Vec<RowError>>,
}

/// Reads a register export one row at a time (see the module docs).
pub struct RegisterReader<R: Read> {
    kind: RegisterKind,
    csv: csv::Reader<Decoding<R>>,
    shared: Arc<Mutex<Shared>>,
    headers: Vec<String>,
    header_row: usize,
    bom: Option<&'static str>,
    columns: Vec<Option<usize>>,
    mapping: RegisterMapping,
    mapping_problems: Vec<MappingError>,
    first_seen: SeenKeys,
    /// False when the caller checks that each key is given once ([`RegisterReader::check_repeats_elsewhere`]).
    check_repeats: bool,
    record: csv::StringRecord,
    /// Where the last record ended in the decoded text, and its row number.
    prev_end: u64,
    prev_row: usize,
    rows_read: usize,
    failed: bool,
    /// The file's length in bytes, when known ([`RegisterReader::set_file_len`]).
    file_len: Option<u64>,
}

impl<R: Read> fmt::Debug for RegisterReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterReader")
            .field("kind", &self.kind)
            .field("headers", &self.headers)
            .field("rows_read", &self.rows_read)
            .finish()
    }
}

/// Counts the line breaks in a run of CR and LF bytes (CRLF is one).
fn count_breaks(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else {
            i += 1;
        }
        n += 1;
    }
    n
}

/// A line longer than [`MAX_LINE_BYTES`], at this line number.
#[derive(Debug)]
struct LongLine(usize);

impl fmt::Display for LongLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&long_line_message(self.0))
    }
}

impl std::error::Error for LongLine {}

fn unreadable(e: &csv::Error) -> FileProblem {
    if let csv::ErrorKind::Io(io) = e.kind() {
        if let Some(long) = io.get_ref().and_then(|x| x.downcast_ref::<LongLine>()) {
            return FileProblem::Unreadable(long.to_string());
        }
    }
    FileProblem::Unreadable(format!(
        "We could not read this CSV file ({e}). Open it in a spreadsheet, save it as 'CSV UTF-8', and try again."
    ))
}

impl<R: Read> RegisterReader<R> {
    /// Starts reading: finds the encoding and the separator, reads the header row, and matches
    /// the columns from their names ([`suggest_mapping`]); [`RegisterReader::set_mapping`]
    /// replaces that with a saved or chosen mapping.
    pub fn new(kind: RegisterKind, inner: R) -> Result<RegisterReader<R>, FileProblem> {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let mut decoding = Decoding {
            inner,
            source: Source::Utf8,
            shared: Arc::clone(&shared),
            out: Vec::new(),
            out_at: 0,
            carry: Vec::new(),
            raw: vec![0u8; 64 * 1024],
            eof: false,
            line_len: 0,
            lines: 0,
        };
        // The first bytes as they are, for the byte-order mark and the kind of file.
        let mut head = Vec::with_capacity(4);
        while head.len() < 4 {
            let mut b = [0u8; 4];
            let n = decoding
                .inner
                .read(&mut b[..4 - head.len()])
                .map_err(|e| FileProblem::Unreadable(format!("The file could not be read: {e}")))?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&b[..n]);
        }
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\xD0\xCF\x11\xE0") {
            return Err(FileProblem::Unreadable(
                "This is an Excel workbook. Register imports read CSV files: open it in Excel, save it as 'CSV UTF-8', and try again."
                    .into(),
            ));
        }
        let (bom, skip): (Option<&'static str>, usize) = match encoding_rs::Encoding::for_bom(&head)
        {
            Some((e, len)) if e == encoding_rs::UTF_8 => (Some("UTF-8 with BOM"), len),
            Some((e, len)) => {
                decoding.source = Source::Utf16(e.new_decoder_without_bom_handling());
                (Some("UTF-16"), len)
            }
            None => (None, 0),
        };
        // The head's bytes after the mark go first.
        let rest = head[skip..].to_vec();
        decoding.carry = Vec::new();
        match &mut decoding.source {
            Source::Utf8 => decoding.carry = rest,
            Source::Utf16(d) => {
                let mut text = String::with_capacity(16);
                let _ = d.decode_to_string(&rest, &mut text, false);
                decoding.out.extend_from_slice(text.as_bytes());
            }
        }
        let prefix = decoding
            .peek(64 * 1024)
            .map_err(|e| FileProblem::Unreadable(format!("The file could not be read: {e}")))?;
        let prefix_text = String::from_utf8_lossy(prefix);
        if prefix_text.contains('\0') {
            return Err(FileProblem::NotText);
        }
        let delimiter = detect_delimiter(&prefix_text);
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(64 * 1024)
            .from_reader(decoding);
        let mut reader = RegisterReader {
            kind,
            csv,
            shared,
            headers: Vec::new(),
            header_row: 1,
            bom,
            columns: Vec::new(),
            mapping: RegisterMapping::default(),
            mapping_problems: Vec::new(),
            first_seen: SeenKeys::default(),
            check_repeats: true,
            record: csv::StringRecord::new(),
            prev_end: 0,
            prev_row: 0,
            rows_read: 0,
            failed: false,
            file_len: None,
        };
        // The header: the first row that is not blank.
        loop {
            match reader.next_record() {
                Err(e) => return Err(unreadable(&e)),
                Ok(None) => {
                    return Err(FileProblem::Unreadable(format!(
                        "The file is empty. The first row must be the header: {}",
                        kind.canonical_header()
                    )))
                }
                Ok(Some(row)) => {
                    if reader.record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    reader.header_row = row;
                    reader.headers = reader
                        .record
                        .iter()
                        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
                        .collect();
                    break;
                }
            }
        }
        let suggested = suggest_mapping(kind, &reader.headers);
        let _ = reader.set_mapping(&suggested);
        Ok(reader)
    }

    /// Reads the next CSV record into `self.record` and works out its row number.
    fn next_record(&mut self) -> Result<Option<usize>, csv::Error> {
        if !self.csv.read_record(&mut self.record)? {
            return Ok(None);
        }
        let end = self.csv.position().byte();
        let mut shared = self.shared.lock().expect("decoder state");
        let start = self.prev_end;
        let row = if self.prev_row == 0 {
            // The header (or the blank lines before it): count the line breaks in front.
            let mut at = start;
            let mut gap = Vec::new();
            while let Some(b @ (b'\r' | b'\n')) = shared.byte(at) {
                gap.push(b);
                at += 1;
            }
            1 + count_breaks(&gap)
        } else {
            // The previous record's line end, if the parser took it with the record.
            let last = start.checked_sub(1).and_then(|at| shared.byte(at));
            let mut breaks = usize::from(matches!(last, Some(b'\r' | b'\n')));
            let mut at = start;
            if last == Some(b'\r') && shared.byte(at) == Some(b'\n') {
                at += 1;
            }
            let mut gap = Vec::new();
            while let Some(b @ (b'\r' | b'\n')) = shared.byte(at) {
                gap.push(b);
                at += 1;
            }
            breaks += count_breaks(&gap);
            self.prev_row + breaks.max(1)
        };
        shared.release(end.saturating_sub(1));
        drop(shared);
        self.prev_end = end;
        self.prev_row = row;
        Ok(Some(row))
    }

    pub fn kind(&self) -> RegisterKind {
        self.kind
    }

    /// The header cells as written (trimmed).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The row the header is on (1 unless blank lines come first).
    pub fn header_row(&self) -> usize {
        self.header_row
    }

    /// How the text was read so far: "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252", or
    /// "UTF-8 with some Windows-1252" for a file that mixes them.
    pub fn encoding(&self) -> &'static str {
        let s = self.shared.lock().expect("decoder state");
        match (self.bom, s.saw_multibyte, s.saw_1252) {
            (Some(label), _, false) => label,
            (Some(_), _, true) | (None, true, true) => "UTF-8 with some Windows-1252",
            (None, false, true) => "Windows-1252",
            (None, _, false) => "UTF-8",
        }
    }

    /// True when every header is one of the layout's own names.
    pub fn is_canonical(&self) -> bool {
        self.mapping_problems.is_empty()
            && self
                .mapping
                .pairs()
                .iter()
                .all(|(field, header)| field == header)
    }

    /// The mapping in use.
    pub fn mapping(&self) -> &RegisterMapping {
        &self.mapping
    }

    /// What is wrong with the mapping in use (a required field with no column); empty when the
    /// rows can be read.
    pub fn mapping_problems(&self) -> &[MappingError] {
        &self.mapping_problems
    }

    /// Uses this mapping for the rows still to come. Fields whose column is not in this file
    /// are an error; so is a required field left out.
    pub fn set_mapping(&mut self, mapping: &RegisterMapping) -> Result<(), Vec<MappingError>> {
        self.mapping = mapping.clone();
        match resolve_mapping(self.kind, &self.headers, mapping) {
            Ok(columns) => {
                self.columns = columns;
                self.mapping_problems.clear();
                Ok(())
            }
            Err(problems) => {
                self.columns = Vec::new();
                self.mapping_problems = problems.clone();
                Err(problems)
            }
        }
    }

    /// Headers no field uses (shown as a note).
    pub fn ignored_columns(&self) -> Vec<String> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.columns.contains(&Some(*i)))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Stops checking that each row's key ([`unique_key`]) is given only once: the caller
    /// checks it instead (with [`repeat_error`] for the same words), for instance in a database
    /// rather than in memory. Each good row is then passed on even when its key was used before.
    pub fn check_repeats_elsewhere(&mut self) {
        self.check_repeats = false;
        self.first_seen = SeenKeys::default();
    }

    /// Says how long the file is, in bytes, for [`RegisterReader::estimated_rows`] (and so
    /// that the keys met are given room for the whole file once [`ROWS_TO_ESTIMATE`] are read).
    pub fn set_file_len(&mut self, len: u64) {
        self.file_len = Some(len);
    }

    /// How many data rows the whole file likely holds, from its length
    /// ([`RegisterReader::set_file_len`]) and the rows read so far; `None` before any row is
    /// read or when the length is not known. Only an estimate (its text decoded from UTF-16
    /// counts about twice), for deciding how to work, never for a count shown to anyone.
    pub fn estimated_rows(&self) -> Option<usize> {
        let len = u128::from(self.file_len?);
        let (rows, read) = (self.rows_read as u128, u128::from(self.prev_end));
        if rows == 0 || read == 0 {
            return None;
        }
        usize::try_from(len * rows / read).ok()
    }

    /// Data rows read so far (blank rows not counted).
    pub fn rows_read(&self) -> usize {
        self.rows_read
    }

    /// The next data row as its cells, unchecked (for showing the first rows of a file).
    pub fn next_raw(&mut self) -> Option<Result<(usize, Vec<String>), FileProblem>> {
        loop {
            match self.next_record() {
                Err(e) => return Some(Err(unreadable(&e))),
                Ok(None) => {
                    // The whole file is read: nothing more to compare with, so give the
                    // memory back while the caller finishes (a million keys take ~30 MB).
                    self.first_seen = SeenKeys::default();
                    return None;
                }
                Ok(Some(row)) => {
                    if self.record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    return Some(Ok((row, self.record.iter().map(str::to_owned).collect())));
                }
            }
        }
    }

    /// Checks the current record (row `row`) against the layout.
    fn check(&mut self, row: usize) -> Result<Record, Vec<RowError>> {
        let width = self.headers.len();
        let cells = self.record.len();
        let extra_filled = (width..cells).any(|i| !self.record[i].trim().is_empty());
        if cells < width || extra_filled {
            let hint = if cells > width {
                "A value with a separator in it (such as \"Smith, Jo\") needs quote marks around it"
            } else {
                "Every row needs a cell for every column, even if the cell is empty; a line break inside a cell needs quote marks around the cell"
            };
            return Err(vec![RowError {
                row,
                column: None,
                reason: format!(
                    "This row has {cells} cells but the header has {width} columns. {hint}"
                ),
            }]);
        }
        let mut c = Cells {
            row,
            kind: self.kind,
            record: &self.record,
            columns: &self.columns,
            errors: Vec::new(),
            next_field: 0,
        };
        let record = match self.kind {
            RegisterKind::Incidents => c.incident().map(Record::Incident),
            RegisterKind::Referrals => c.referral().map(Record::Referral),
            RegisterKind::Outcomes => c.outcome().map(Record::Outcome),
            RegisterKind::ReferralPeople => c.person().map(Record::Person),
        };
        let mut errors = c.errors;
        match record {
            Some(r) if errors.is_empty() => {
                if !self.check_repeats {
                    return Ok(r);
                }
                let key = unique_key(&r);
                match self
                    .first_seen
                    .first_row(&key, u32::try_from(row).unwrap_or(u32::MAX))
                {
                    Some(first) => {
                        errors.push(repeat_error(&r, first as usize, row));
                        Err(errors)
                    }
                    None => Ok(r),
                }
            }
            _ => Err(errors),
        }
    }
}

impl<R: Read> Iterator for RegisterReader<R> {
    type Item = ParsedRow;

    fn next(&mut self) -> Option<ParsedRow> {
        if self.failed {
            return None;
        }
        if !self.mapping_problems.is_empty() {
            // Nothing can be read without a column for each required field.
            self.failed = true;
            return Some(ParsedRow {
                row: self.header_row,
                result: Err(self
                    .mapping_problems
                    .iter()
                    .map(|p| RowError {
                        row: self.header_row,
                        column: Some(p.field.to_string()),
                        reason: p.message.clone(),
                    })
                    .collect()),
            });
        }
        loop {
            match self.next_record() {
                Err(e) => {
                    self.failed = true;
                    let row = self.prev_row + 1;
                    return Some(ParsedRow {
                        row,
                        result: Err(vec![RowError {
                            row,
                            column: None,
                            reason: unreadable(&e).to_string(),
                        }]),
                    });
                }
                Ok(None) => return None,
                Ok(Some(row)) => {
                    if self.record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    self.rows_read += 1;
                    if self.rows_read == ROWS_TO_ESTIMATE && self.check_repeats {
                        // The keys given room for the rows the file's length says it holds.
                        if let Some(rows) = self.estimated_rows() {
                            self.first_seen.reserve(rows);
                        }
                    }
                    let result = self.check(row);
                    return Some(ParsedRow { row, result });
                }
            }
        }
    }
}

/// The cells of one row by field, collecting problems.
struct Cells<'a> {
    row: usize,
    kind: RegisterKind,
    record: &'a csv::StringRecord,
    columns: &'a [Option<usize>],
    errors: Vec<RowError>,
    /// Where in the kind's fields the next field asked for most likely is: the fields are
    /// read in their table's order, so one comparison finds each (a search of the table by
    /// name for every cell took a tenth of reading a file).
    next_field: usize,
}

impl<'a> Cells<'a> {
    fn error(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(RowError {
            row: self.row,
            column: Some(field.to_string()),
            reason: reason.into(),
        });
    }

    /// The trimmed cell for a field ("" when not mapped), checked for length, control
    /// characters and spreadsheet errors; `None` (with the problem recorded) when bad.
    fn raw(&mut self, field: &str, max: usize, multi_line: bool) -> Option<&'a str> {
        let fields = self.kind.fields();
        let i = match fields.get(self.next_field) {
            Some(f) if f.key == field => Some(self.next_field),
            _ => fields.iter().position(|f| f.key == field),
        };
        if let Some(i) = i {
            self.next_field = i + 1;
        }
        let at = i.and_then(|i| self.columns.get(i).copied().flatten());
        let Some(at) = at else { return Some("") };
        let record: &'a csv::StringRecord = self.record;
        let value = record.get(at).unwrap_or("").trim();
        if value.len() > max {
            let length = value.chars().count();
            if length > max {
                self.error(
                    field,
                    format!("This cell has {length} characters; the most we accept is {max}. Check that a missing quote mark has not run several cells together"),
                );
                return None;
            }
        }
        if value.starts_with('#') && SPREADSHEET_ERRORS.contains(&value) {
            self.error(
                field,
                format!("This cell shows the spreadsheet error {value}; fix the formula or type the value in"),
            );
            return None;
        }
        let allowed = |c: char| !c.is_control() || (multi_line && matches!(c, '\n' | '\r' | '\t'));
        let clean = if value.is_ascii() {
            value.bytes().all(|b| {
                (b >= 0x20 && b != 0x7f) || (multi_line && matches!(b, b'\n' | b'\r' | b'\t'))
            })
        } else {
            value.chars().all(allowed)
        };
        if !clean {
            self.error(
                field,
                if multi_line {
                    "This cell holds a control character that cannot be shown; retype the text"
                } else {
                    "This cell holds a line break or another control character; a value here must be on one line"
                },
            );
            return None;
        }
        Some(value)
    }

    /// A one-line text cell, inner spaces squashed: each run of spaces of any kind (a
    /// no-break space too, as at the cell's ends) one ASCII space.
    fn text(&mut self, field: &str) -> Option<String> {
        self.raw(field, MAX_CELL_CHARS, false).map(|v| {
            // Nearly every cell has nothing to squash: kept as it is, rather than split and
            // joined again. A space other than the ASCII one is looked for only in a cell that
            // is not all ASCII.
            let other_space = |c: char| c != ' ' && c.is_whitespace();
            let squash = v.contains("  ")
                || if v.is_ascii() {
                    v.bytes().any(|b| b != b' ' && b.is_ascii_whitespace())
                } else {
                    v.chars().any(other_space)
                };
            if squash {
                v.split_whitespace().collect::<Vec<_>>().join(" ")
            } else {
                v.to_string()
            }
        })
    }

    fn long_text(&mut self, field: &str, max: usize) -> Option<String> {
        self.raw(field, max, true).map(|v| {
            if v.contains('\r') {
                v.replace("\r\n", "\n").replace('\r', "\n")
            } else {
                v.to_string()
            }
        })
    }

    fn required_text(&mut self, field: &str, what: &str) -> Option<String> {
        let v = self.text(field)?;
        if v.is_empty() {
            self.error(
                field,
                format!("Enter the {what}; this column cannot be blank"),
            );
            return None;
        }
        Some(v)
    }

    fn reference(&mut self, field: &str, what: &str, required: bool) -> Option<String> {
        let v = self.raw(field, MAX_CELL_CHARS, false)?.to_string();
        if v.is_empty() {
            if required {
                self.error(
                    field,
                    format!("Enter the {what}; this column cannot be blank"),
                );
                return None;
            }
            return Some(v);
        }
        // A text has no more characters than bytes: count them only when it might be too long.
        if v.len() > MAX_REF && v.chars().count() > MAX_REF {
            self.error(
                field,
                format!("A {what} must be {MAX_REF} characters or fewer"),
            );
            return None;
        }
        Some(v)
    }

    fn flag(&mut self, field: &str) -> Option<bool> {
        self.flag_count(field).map(|(flag, _)| flag)
    }

    /// A yes/no cell that may give a number instead (see [`parse_flag_count`]).
    fn flag_count(&mut self, field: &str) -> Option<(bool, Option<i64>)> {
        let v = self.raw(field, MAX_CELL_CHARS, false)?;
        match parse_flag_count(v) {
            Ok(b) => Some(b),
            Err(e) => {
                self.error(field, e);
                None
            }
        }
    }

    fn datetime(&mut self, field: &str) -> Option<String> {
        let v = self.raw(field, MAX_CELL_CHARS, false)?;
        match parse_datetime(v) {
            Ok(dt) => Some(datetime_text(dt)),
            Err(e) => {
                self.error(field, e);
                None
            }
        }
    }

    fn day(&mut self, field: &str, required: bool) -> Option<Option<String>> {
        let v = self.raw(field, MAX_CELL_CHARS, false)?;
        if v.is_empty() && !required {
            return Some(None);
        }
        match parse_day(v) {
            Ok(d) => Some(Some(d.to_string())),
            Err(e) => {
                self.error(field, e);
                None
            }
        }
    }

    fn officer(&mut self, field: &str) -> Option<Option<StaffNumber>> {
        let v = self.raw(field, MAX_CELL_CHARS, false)?;
        if v.is_empty() {
            return Some(None);
        }
        match StaffNumber::parse(v) {
            Ok(sn) => Some(Some(sn)),
            Err(e) => {
                self.error(field, format!("\"{v}\" is not a staff number: {e}"));
                None
            }
        }
    }

    fn subject(&mut self, field: &str) -> Option<SubjectType> {
        let v = self.raw(field, MAX_CELL_CHARS, false)?;
        match SubjectType::parse(v) {
            Ok(s) => Some(s),
            Err(e) => {
                self.error(field, e);
                None
            }
        }
    }

    fn incident(&mut self) -> Option<IncidentRecord> {
        let incident_ref = self.reference("incident_ref", "incident reference", true);
        let reported_at = self.datetime("reported_at");
        let category = self.text("category");
        let area = self.text("area");
        let children = self.flag_count("children_involved");
        let adult_at_risk = self.flag("adult_at_risk");
        let domestic_abuse = self.flag("domestic_abuse");
        let officer_staff_number = self.officer("officer_staff_number");
        let department = self.text("department");
        Some(IncidentRecord {
            incident_ref: incident_ref?,
            reported_at: reported_at?,
            category: category?,
            area: area?,
            children_involved: children?.0,
            children_count: children?.1,
            adult_at_risk: adult_at_risk?,
            domestic_abuse: domestic_abuse?,
            officer_staff_number: officer_staff_number?,
            department: department?,
        })
    }

    fn referral(&mut self) -> Option<ReferralRecord> {
        let referral_ref = self.reference("referral_ref", "referral reference", true);
        let incident_ref = self.reference("incident_ref", "incident reference", false);
        let submitted_at = self.datetime("submitted_at");
        let subject_type = self.subject("subject_type");
        let category = self.text("category");
        let officer_grade = self.text("officer_grade");
        let officer_staff_number = self.officer("officer_staff_number");
        let partner = self.text("partner");
        let narrative = self.long_text("narrative", MAX_NARRATIVE);
        Some(ReferralRecord {
            referral_ref: referral_ref?,
            incident_ref: incident_ref?,
            submitted_at: submitted_at?,
            subject_type: subject_type?,
            category: category?,
            officer_grade: officer_grade?,
            officer_staff_number: officer_staff_number?,
            partner: partner?,
            narrative: narrative?,
        })
    }

    fn outcome(&mut self) -> Option<OutcomeRecord> {
        let referral_ref = self.reference("referral_ref", "referral reference", true);
        let partner = self.required_text("partner", "partner agency");
        let outcome = self
            .raw("outcome", MAX_CELL_CHARS, false)
            .map(str::to_string)
            .and_then(|v| match PartnerOutcome::parse(&v) {
                Ok(o) => Some(o),
                Err(e) => {
                    self.error("outcome", e);
                    None
                }
            });
        let reason = self.long_text("reason", MAX_LONG_CELL);
        let decided_at = self.day("decided_at", true);
        Some(OutcomeRecord {
            referral_ref: referral_ref?,
            partner: partner?,
            outcome: outcome?,
            reason: reason?,
            decided_at: decided_at??,
        })
    }

    fn person(&mut self) -> Option<PersonRecord> {
        let referral_ref = self.reference("referral_ref", "referral reference", true);
        let role = self.subject("role");
        let name = self.required_text("name", "person's name");
        let date_of_birth = self.day("date_of_birth", false);
        let address = self.long_text("address", MAX_LONG_CELL).map(|a| {
            a.split('\n')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        });
        let area = self.text("area");
        Some(PersonRecord {
            referral_ref: referral_ref?,
            role: role?,
            name: name?,
            date_of_birth: date_of_birth?,
            address: address?,
            area: area?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(kind: RegisterKind, bytes: &[u8]) -> (Vec<(usize, Record)>, Vec<RowError>) {
        let reader = RegisterReader::new(kind, bytes).unwrap();
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for r in reader {
            match r.result {
                Ok(rec) => good.push((r.row, rec)),
                Err(mut e) => bad.append(&mut e),
            }
        }
        (good, bad)
    }

    fn at(errors: &[RowError]) -> Vec<(usize, Option<&str>)> {
        errors
            .iter()
            .map(|e| (e.row, e.column.as_deref()))
            .collect()
    }

    const INCIDENTS: &str = "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department";

    #[test]
    fn a_canonical_incident_file_reads_into_typed_records() {
        let text = format!(
            "{INCIDENTS}\nINC-1,31/03/2024 14:05,Domestic,North,Y,n,yes,s100,Response\nINC-2,2024-04-01,,,0,1,false,,\n"
        );
        let (good, bad) = read_all(RegisterKind::Incidents, text.as_bytes());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(good.len(), 2);
        let Record::Incident(first) = &good[0].1 else {
            panic!()
        };
        assert_eq!(good[0].0, 2);
        assert_eq!(first.reported_at, "2024-03-31T14:05:00");
        assert!(first.children_involved && !first.adult_at_risk && first.domestic_abuse);
        assert_eq!(
            first.officer_staff_number.as_ref().unwrap().as_str(),
            "S100"
        );
        let Record::Incident(second) = &good[1].1 else {
            panic!()
        };
        assert_eq!(second.reported_at, "2024-04-01T00:00:00");
        assert!(second.adult_at_risk && second.officer_staff_number.is_none());
    }

    #[test]
    fn spaces_of_every_kind_are_squashed_in_one_line_text_alone_or_beside_double_spaces() {
        // A no-break space (Windows-1252 byte A0, common in spreadsheet exports), an
        // ideographic space and a thin space are spaces, as at a cell's ends: a cell without
        // two ASCII spaces in a row was once kept as it was, so "Domestic\u{a0}abuse" stayed
        // apart from "Domestic abuse" (and from the same words beside a double space).
        let text = format!(
            "{INCIDENTS}\n\
             I-1,2024-04-01,Domestic\u{a0}abuse,North\u{3000}East,,,,,Response\u{2009}Team\n\
             I-2,2024-04-01,Domestic\u{a0}abuse  ,North\u{3000}East  x,,,,,Response \u{2009}Team\n"
        );
        let (good, bad) = read_all(RegisterKind::Incidents, text.as_bytes());
        assert!(bad.is_empty(), "{bad:?}");
        let cells: Vec<(&str, &str, &str)> = good
            .iter()
            .map(|(_, r)| match r {
                Record::Incident(i) => {
                    (i.category.as_str(), i.area.as_str(), i.department.as_str())
                }
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            cells,
            vec![
                ("Domestic abuse", "North East", "Response Team"),
                ("Domestic abuse", "North East x", "Response Team"),
            ]
        );
    }

    #[test]
    fn dates_are_read_uk_style_or_iso_with_optional_times() {
        let dt = |s: &str| parse_datetime(s).map(datetime_text);
        assert_eq!(dt("31/03/2024").unwrap(), "2024-03-31T00:00:00");
        assert_eq!(dt("1/3/2024 9:05").unwrap(), "2024-03-01T09:05:00");
        assert_eq!(dt("01/03/2024 09:05:07").unwrap(), "2024-03-01T09:05:07");
        assert_eq!(dt("2024-03-01T09:05:07").unwrap(), "2024-03-01T09:05:07");
        assert_eq!(dt("2024-03-01 09:05").unwrap(), "2024-03-01T09:05:00");
        assert_eq!(
            dt("2024-03-01T09:05:07.250Z").unwrap(),
            "2024-03-01T09:05:07"
        );
        assert!(dt("31/02/2024").unwrap_err().contains("not a real date"));
        assert!(dt("03/31/2024").unwrap_err().contains("day first"));
        assert!(dt("2024-03-01 25:00").is_err());
        assert!(dt("yesterday").unwrap_err().contains("31/03/2024 14:05"));
        assert_eq!(
            parse_day("31/03/2024 10:00").unwrap().to_string(),
            "2024-03-31"
        );
        assert!(parse_day("soon")
            .unwrap_err()
            .contains("is not a date; write it as"));
    }

    #[test]
    fn a_reference_is_limited_in_characters_not_bytes() {
        let file = |reference: &str| {
            format!("incident_ref,reported_at\n{reference},01/03/2024 09:00\n").into_bytes()
        };
        let (good, bad) = read_all(RegisterKind::Incidents, &file(&"é".repeat(MAX_REF)));
        assert_eq!((good.len(), bad.len()), (1, 0), "{bad:?}");
        for too_long in ["é".repeat(MAX_REF + 1), "x".repeat(MAX_REF + 1)] {
            let (good, bad) = read_all(RegisterKind::Incidents, &file(&too_long));
            assert!(good.is_empty());
            assert!(
                bad[0].reason.contains("60 characters or fewer"),
                "{:?}",
                bad[0]
            );
        }
    }

    #[test]
    fn a_file_s_rows_are_estimated_from_its_length_and_the_rows_read() {
        let mut text = String::from("incident_ref,reported_at\n");
        for i in 0..1000 {
            text.push_str(&format!("INC-{i:04},01/03/2024 09:00\n"));
        }
        let mut reader = RegisterReader::new(RegisterKind::Incidents, text.as_bytes()).unwrap();
        assert_eq!(reader.estimated_rows(), None, "nothing read, no length");
        reader.next();
        assert_eq!(reader.estimated_rows(), None, "no length given");
        reader.set_file_len(text.len() as u64);
        for _ in 0..99 {
            reader.next();
        }
        // 100 rows of 27 bytes read, with the header's 25: within a few percent of 1,000.
        let estimate = reader.estimated_rows().unwrap();
        assert!((950..=1010).contains(&estimate), "{estimate}");
    }

    #[test]
    fn a_file_that_says_it_is_huge_is_not_given_room_for_what_it_says() {
        // A file's first rows may be short and the rest long: its length then promises far
        // more rows than it holds. Room is made for a bounded number of them; beyond that the
        // keys grow as they are met.
        let mut text = String::from("incident_ref,reported_at\n");
        for i in 0..(ROWS_TO_ESTIMATE + 10) {
            text.push_str(&format!("I{i},01/03/2024 09:00\n"));
        }
        let mut reader = RegisterReader::new(RegisterKind::Incidents, text.as_bytes()).unwrap();
        // A terabyte: at these rows' length, tens of billions of rows.
        reader.set_file_len(1 << 40);
        let rows: Vec<ParsedRow> = reader.by_ref().collect();
        assert_eq!(rows.len(), ROWS_TO_ESTIMATE + 10);
        assert!(rows.iter().all(|r| r.result.is_ok()));
        assert!(reader.estimated_rows().unwrap() > 10_000_000_000);
        let seen = &reader.first_seen;
        assert!(
            seen.table.capacity() <= 2 * MAX_ROOM_ROWS,
            "{}",
            seen.table.capacity()
        );
        assert!(
            seen.bytes.capacity() <= MAX_ROOM_BYTES,
            "{}",
            seen.bytes.capacity()
        );
    }

    #[test]
    fn a_stored_date_and_time_is_written_as_the_date_library_writes_it() {
        use time::{Date, Month, PrimitiveDateTime, Time};
        // Written digit by digit for four-digit years; by the library otherwise.
        for (y, m, d, hh, mm, ss) in [
            (2024, Month::March, 1, 9, 5, 7),
            (1000, Month::January, 1, 0, 0, 0),
            (9999, Month::December, 31, 23, 59, 59),
            (999, Month::June, 15, 12, 30, 0),
            (1900, Month::February, 28, 10, 0, 9),
        ] {
            let dt = PrimitiveDateTime::new(
                Date::from_calendar_date(y, m, d).unwrap(),
                Time::from_hms(hh, mm, ss).unwrap(),
            );
            let expected = format!(
                "{}T{:02}:{:02}:{:02}",
                dt.date(),
                dt.hour(),
                dt.minute(),
                dt.second()
            );
            assert_eq!(datetime_text(dt), expected);
        }
        assert_eq!(
            parse_datetime("05/11/2026 07:08:09").map(datetime_text),
            Ok("2026-11-05T07:08:09".to_string())
        );
    }

    #[test]
    fn a_number_of_children_reads_as_yes_or_no_and_is_kept() {
        let file = format!(
            "{INCIDENTS}\nI1,31/03/2024 14:05,,,3,0,2,,\nI2,31/03/2024,,,0,,,,\nI3,31/03/2024,,,Y,,,,\nI4,31/03/2024,,,-2,,,,\n"
        );
        let rows: Vec<ParsedRow> = RegisterReader::new(RegisterKind::Incidents, file.as_bytes())
            .unwrap()
            .collect();
        let incident = |i: usize| match &rows[i].result {
            Ok(Record::Incident(r)) => r.clone(),
            other => panic!("row {i}: {other:?}"),
        };
        let (a, b, c) = (incident(0), incident(1), incident(2));
        assert!(a.children_involved && a.domestic_abuse && !a.adult_at_risk);
        assert_eq!(a.children_count, Some(3));
        assert!(!b.children_involved);
        assert_eq!(b.children_count, Some(0));
        assert!(c.children_involved);
        assert_eq!(c.children_count, None, "a yes is not a count");
        let errors = rows[3].result.clone().unwrap_err();
        assert_eq!(errors[0].column.as_deref(), Some("children_involved"));
        assert!(errors[0].reason.contains("whole number"), "{errors:?}");
    }

    #[test]
    fn a_line_longer_than_the_limit_is_refused_while_streaming() {
        let mut file = format!("{INCIDENTS}\nI1,31/03/2024,,,,,,,\n").into_bytes();
        file.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        let mut r = RegisterReader::new(RegisterKind::Incidents, file.as_slice()).unwrap();
        assert!(r.next().unwrap().result.is_ok());
        let problem = loop {
            match r.next_raw() {
                Some(Err(p)) => break p,
                Some(Ok(_)) => continue,
                None => panic!("the long line was read"),
            }
        };
        assert!(
            problem
                .to_string()
                .starts_with("Line 3 of the file is longer than 1 MB"),
            "{problem}"
        );
    }

    #[test]
    fn flags_and_subjects_and_outcomes_are_read_as_people_write_them() {
        for (s, v) in [
            ("Y", true),
            ("yes", true),
            ("TRUE", true),
            ("1", true),
            ("n", false),
            ("No", false),
            ("false", false),
            ("0", false),
            ("", false),
        ] {
            assert_eq!(parse_flag(s), Ok(v), "{s}");
        }
        assert!(parse_flag("maybe").unwrap_err().contains("Y or N"));
        assert_eq!(parse_flag_count("3"), Ok((true, Some(3))));
        assert_eq!(parse_flag_count(" 0 "), Ok((false, Some(0))));
        assert_eq!(parse_flag_count("yes"), Ok((true, None)));
        assert!(parse_flag_count("-1").is_err() && parse_flag_count("2.5").is_err());
        assert_eq!(SubjectType::parse(" Child "), Ok(SubjectType::Child));
        assert_eq!(SubjectType::parse("ADULT"), Ok(SubjectType::Adult));
        assert!(SubjectType::parse("dog").is_err());
        use PartnerOutcome::*;
        for (s, o) in [
            ("accepted_assessment", AcceptedAssessment),
            ("Accepted", AcceptedAssessment),
            ("Accepted - s47", AcceptedS47),
            ("accepted_s47", AcceptedS47),
            ("Section 42 enquiry", AcceptedS42),
            ("Early help", EarlyHelp),
            ("early_help", EarlyHelp),
            ("Advice / signposting", AdviceSignpost),
            ("NFA", NoFurtherAction),
            ("no_further_action", NoFurtherAction),
            ("Returned for more information", ReturnedMoreInformation),
            ("returned_more_information", ReturnedMoreInformation),
        ] {
            assert_eq!(PartnerOutcome::parse(s), Ok(o), "{s}");
        }
        let e = PartnerOutcome::parse("Lost in the post").unwrap_err();
        assert!(
            e.contains("not an outcome we know") && e.contains("accepted_s47"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_date_names_its_row_and_column() {
        let text =
            format!("{INCIDENTS}\nINC-1,31/03/2024,,,N,N,N,,\nINC-2,31/13/2024,,,maybe,N,N,,\n");
        let (good, bad) = read_all(RegisterKind::Incidents, text.as_bytes());
        assert_eq!(good.len(), 1);
        assert_eq!(
            at(&bad),
            vec![(3, Some("reported_at")), (3, Some("children_involved"))]
        );
    }

    #[test]
    fn a_repeated_reference_names_both_rows() {
        let text = format!("{INCIDENTS}\nINC-1,31/03/2024,,,N,N,N,,\nINC-2,31/03/2024,,,N,N,N,,\nINC-1,01/04/2024,,,N,N,N,,\n");
        let (good, bad) = read_all(RegisterKind::Incidents, text.as_bytes());
        assert_eq!(good.len(), 2);
        assert_eq!(at(&bad), vec![(4, Some("incident_ref"))]);
        assert!(bad[0].reason.contains("also on row 2"), "{}", bad[0].reason);
        assert!(bad[0].reason.contains("rows 2 and 4"), "{}", bad[0].reason);
    }

    #[test]
    fn bom_crlf_semicolons_quoted_newlines_and_blank_lines_keep_spreadsheet_row_numbers() {
        let text = "\u{feff}Referral Ref;Incident Ref;Submitted At;Subject Type;Narrative\r\n\r\nR1;I1;01/02/2024 10:00;child;\"Line one\r\nline two; with a separator\"\r\nR2;I2;2024-02-02;Adult;plain\r\n";
        let reader = RegisterReader::new(RegisterKind::Referrals, text.as_bytes()).unwrap();
        assert_eq!(reader.encoding(), "UTF-8 with BOM");
        assert!(
            reader.is_canonical(),
            "headers match whatever their case and spacing"
        );
        let rows: Vec<ParsedRow> = reader.collect();
        assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![3, 4]);
        let Ok(Record::Referral(r)) = &rows[0].result else {
            panic!("{:?}", rows[0])
        };
        assert_eq!(r.narrative, "Line one\nline two; with a separator");
        assert_eq!(r.subject_type, SubjectType::Child);
    }

    #[test]
    fn windows_1252_is_read_when_the_bytes_are_not_utf8() {
        let text =
            format!("{INCIDENTS}\nINC-1,31/03/2024,Caf\u{e9} disorder,Caf\u{e9} Quarter,N,N,N,,\n");
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        let mut reader = RegisterReader::new(RegisterKind::Incidents, &bytes[..]).unwrap();
        let row = reader.next().unwrap();
        assert_eq!(reader.encoding(), "Windows-1252");
        let Ok(Record::Incident(i)) = row.result else {
            panic!("{row:?}")
        };
        assert_eq!(i.category, "Café disorder");
        assert_eq!(i.area, "Café Quarter");
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_read() {
        let text = format!("{INCIDENTS}\r\nINC-1,31/03/2024,Zoë,,N,N,N,,\r\n");
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let mut reader = RegisterReader::new(RegisterKind::Incidents, &bytes[..]).unwrap();
        assert_eq!(reader.encoding(), "UTF-16");
        let Some(ParsedRow {
            row: 2,
            result: Ok(Record::Incident(i)),
        }) = reader.next()
        else {
            panic!()
        };
        assert_eq!(i.category, "Zoë");
    }

    #[test]
    fn old_mac_line_ends_and_tabs_are_read() {
        let text = "referral_ref\tpartner\toutcome\tdecided_at\rR1\tCSC\tNFA\t01/02/2024\r\rR2\tHealth\tEarly help\t2024-02-03\r";
        let (good, bad) = read_all(RegisterKind::Outcomes, text.as_bytes());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(good.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![2, 4]);
        let Record::Outcome(o) = &good[1].1 else {
            panic!()
        };
        assert_eq!(o.outcome, PartnerOutcome::EarlyHelp);
        assert_eq!(o.decided_at, "2024-02-03");
    }

    #[test]
    fn rows_of_the_wrong_shape_and_unknown_outcome_words_are_row_errors() {
        let text = "referral_ref,partner,outcome,reason,decided_at\nR1,CSC,Lost,,01/02/2024\nR2,CSC,NFA,\"unclosed, reason,01/02/2024\nR3,CSC,NFA,,01/02/2024,extra\n";
        let (_, bad) = read_all(RegisterKind::Outcomes, text.as_bytes());
        assert_eq!(bad[0].row, 2);
        assert_eq!(bad[0].column.as_deref(), Some("outcome"));
        assert!(
            bad[1].reason.contains("cells but the header has 5"),
            "{bad:?}"
        );
    }

    #[test]
    fn missing_required_columns_are_reported_against_the_header() {
        let text = "incident_ref,category\nI1,x\n";
        let reader = RegisterReader::new(RegisterKind::Incidents, text.as_bytes()).unwrap();
        assert_eq!(reader.mapping_problems().len(), 1);
        let rows: Vec<ParsedRow> = reader.collect();
        assert_eq!(rows.len(), 1);
        let errors = rows[0].result.clone().unwrap_err();
        assert_eq!(at(&errors), vec![(1, Some("reported_at"))]);
    }

    #[test]
    fn mappings_round_trip_and_suggest_from_other_names() {
        let headers: Vec<String> = ["Occurrence No", "Date Reported", "Collar No", "Notes"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = suggest_mapping(RegisterKind::Incidents, &headers);
        assert_eq!(
            m.encode(),
            "incident_ref=occurrence_no;reported_at=date_reported;officer_staff_number=collar_no"
        );
        assert_eq!(
            RegisterMapping::parse(RegisterKind::Incidents, &m.encode()).unwrap(),
            m
        );
        assert!(RegisterMapping::parse(RegisterKind::Incidents, "nonsense=x").is_err());
        assert!(RegisterMapping::parse(RegisterKind::Incidents, "incident_ref").is_err());
        let text =
            "Occurrence No;Date Reported;Collar No;Notes\nOC/1;02/01/2024 08:00;4123;hello\n";
        let mut reader = RegisterReader::new(RegisterKind::Incidents, text.as_bytes()).unwrap();
        reader.set_mapping(&m).unwrap();
        assert_eq!(reader.ignored_columns(), vec!["Notes".to_string()]);
        let Some(ParsedRow {
            result: Ok(Record::Incident(i)),
            ..
        }) = reader.next()
        else {
            panic!()
        };
        assert_eq!(i.incident_ref, "OC/1");
    }

    #[test]
    fn excel_workbooks_and_binary_files_are_refused_with_advice() {
        let e = RegisterReader::new(RegisterKind::Incidents, &b"PK\x03\x04rest"[..]).unwrap_err();
        assert!(e.to_string().contains("CSV UTF-8"));
        let e = RegisterReader::new(RegisterKind::Incidents, &b"a,b\x00c\n"[..]).unwrap_err();
        assert_eq!(e, FileProblem::NotText);
        let e = RegisterReader::new(RegisterKind::Incidents, &b"\n\n"[..]).unwrap_err();
        assert!(e.to_string().contains("empty"));
    }

    #[test]
    fn kinds_read_from_their_names() {
        assert_eq!("referral-people".parse(), Ok(RegisterKind::ReferralPeople));
        assert_eq!("Incidents".parse(), Ok(RegisterKind::Incidents));
        assert!("training".parse::<RegisterKind>().is_err());
        for k in RegisterKind::ALL {
            assert_eq!(k.as_str().parse(), Ok(k));
            assert_eq!(k.cli_name().parse(), Ok(k));
        }
    }

    #[test]
    fn stored_times_are_shown_in_words() {
        assert_eq!(
            format_datetime_long("2024-03-31T14:05:00"),
            "31 March 2024, 14:05"
        );
        assert_eq!(format_datetime_long("2024-03-31T00:00:00"), "31 March 2024");
        assert_eq!(format_datetime_long("2024-03-31"), "31 March 2024");
    }
}
