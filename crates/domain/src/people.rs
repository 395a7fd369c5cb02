//! People in the directory: the typed record and the rules that make one.
//!
//! A [`PersonInput`] can only be made by [`PersonDraft::validate`], so the rest of the code never
//! holds a person with an empty name, a malformed staff number or an impossible date.

use crate::roles::{parse_role_list, Role};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};

pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 120;
pub const MAX_STAFF_NUMBER: usize = 20;
/// The longest e-mail address the mail standards allow.
pub const MAX_EMAIL: usize = 254;

/// A collar or staff number: 1–20 letters, digits or `-`, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StaffNumber(String);

impl StaffNumber {
    pub fn parse(raw: &str) -> Result<StaffNumber, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("Enter a staff number".into());
        }
        if s.chars().count() > MAX_STAFF_NUMBER {
            return Err(format!(
                "Staff number must be {MAX_STAFF_NUMBER} characters or fewer"
            ));
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("Staff number must only include letters, numbers and hyphens".into());
        }
        Ok(StaffNumber(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks that an e-mail address is plausible: one `@`, something before it, and a domain with
/// a dot, made of letters, digits and hyphens, with no spaces anywhere. It does not try to prove
/// the address exists (only sending to it can); it catches typing and spreadsheet slips such as
/// a name, a missing `@`, two addresses in one cell or a trailing full stop. Returns the address
/// trimmed, with the domain in lower case.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let example = "write it like name@example.org";
    if s.is_empty() {
        return Err("Enter an e-mail address".into());
    }
    if s.chars().count() > MAX_EMAIL {
        return Err(format!(
            "An e-mail address must be {MAX_EMAIL} characters or fewer"
        ));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "\"{s}\" is not an e-mail address: it has a space in it (for two addresses, keep only one); {example}"
        ));
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err(format!(
            "\"{s}\" is not an e-mail address: it has no @; {example}"
        ));
    };
    if local.is_empty() || local.contains('@') {
        return Err(format!(
            "\"{s}\" is not an e-mail address: it needs exactly one @ with a name before it; {example}"
        ));
    }
    if local.chars().count() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.chars().any(|c| {
            matches!(
                c,
                '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | ']' | '\\'
            )
        })
    {
        return Err(format!(
            "\"{s}\" is not an e-mail address: the part before the @ is not valid; {example}"
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(format!(
            "\"{s}\" is not an e-mail address: the part after the @ must be a domain such as example.org; {example}"
        ));
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

impl fmt::Display for StaffNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a date written as ISO (`2024-03-01`) or UK style (`01/03/2024`, `1/3/2024`).
pub fn parse_date(raw: &str) -> Result<Date, String> {
    let s = raw.trim();
    let bad = || format!("\"{s}\" is not a date; write it as 2024-03-31 or 31/03/2024");
    let (y, m, d) = if let Some((y, rest)) = s.split_once('-') {
        let (m, d) = rest.split_once('-').ok_or_else(bad)?;
        (y, m, d)
    } else if let Some((d, rest)) = s.split_once('/') {
        let (m, y) = rest.split_once('/').ok_or_else(bad)?;
        (y, m, d)
    } else {
        return Err(bad());
    };
    // Digits only: a number's parser would also take a sign ("+1/+3/2024").
    let digits = |p: &str, most: usize| {
        (1..=most).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !(y.len() == 4 && digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    if !(1900..=2100).contains(&year) {
        return Err(bad());
    }
    Date::from_calendar_date(year, month, day).map_err(|_| format!("\"{s}\" is not a real date"))
}

/// Formats a date the way pages show it: `1 March 2024`.
pub fn format_date_long(d: Date) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "{} {} {}",
        d.day(),
        MONTHS[usize::from(u8::from(d.month())) - 1],
        d.year()
    )
}

/// A problem with one field, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's machine name, the same as the form field and the CSV column.
    pub field: &'static str,
    pub message: String,
}

/// A person as typed into a form or read from a spreadsheet row: all text, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDraft {
    #[serde(default)]
    pub staff_number: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub rank: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub roles: String,
    #[serde(default)]
    pub start_date: String,
    #[serde(default)]
    pub cohort: String,
    #[serde(default)]
    pub line_manager_staff_number: String,
    #[serde(default)]
    pub mentor_staff_number: String,
    #[serde(default)]
    pub email: String,
}

/// A checked person record, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonInput {
    pub staff_number: StaffNumber,
    pub name: String,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub roles: Vec<Role>,
    pub start_date: Option<Date>,
    pub cohort: Option<String>,
    pub line_manager: Option<StaffNumber>,
    pub mentor: Option<StaffNumber>,
    /// Where reminder digests go; `None` when not known (the person still sees them in the app).
    pub email: Option<String>,
}

fn optional_text(
    field: &'static str,
    label: &str,
    raw: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if s.chars().count() > MAX_TEXT {
        errors.push(FieldError {
            field,
            message: format!("{label} must be {MAX_TEXT} characters or fewer"),
        });
        return None;
    }
    if s.chars().any(char::is_control) {
        errors.push(FieldError {
            field,
            message: format!("{label} must not contain line breaks or control characters"),
        });
        return None;
    }
    Some(s.to_string())
}

fn optional_staff_number(
    field: &'static str,
    label: &str,
    raw: &str,
    errors: &mut Vec<FieldError>,
) -> Option<StaffNumber> {
    if raw.trim().is_empty() {
        return None;
    }
    match StaffNumber::parse(raw) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError {
                field,
                message: format!("{label}: {}", e.to_lowercase()),
            });
            None
        }
    }
}

impl PersonDraft {
    /// Checks every field and returns the typed record, or every problem found (not just the first).
    pub fn validate(&self) -> Result<PersonInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let staff_number = match StaffNumber::parse(&self.staff_number) {
            Ok(n) => Some(n),
            Err(message) => {
                errors.push(FieldError {
                    field: "staff_number",
                    message,
                });
                None
            }
        };
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError {
                field: "name",
                message: "Enter the person's name".into(),
            });
        } else if name.chars().count() > MAX_NAME {
            errors.push(FieldError {
                field: "name",
                message: format!("Name must be {MAX_NAME} characters or fewer"),
            });
        } else if name.chars().any(char::is_control) {
            errors.push(FieldError {
                field: "name",
                message: "Name must not contain line breaks or control characters".into(),
            });
        }
        let email = if self.email.trim().is_empty() {
            None
        } else {
            match parse_email(&self.email) {
                Ok(e) => Some(e),
                Err(message) => {
                    errors.push(FieldError {
                        field: "email",
                        message,
                    });
                    None
                }
            }
        };
        let rank = optional_text("rank", "Rank or grade", &self.rank, &mut errors);
        let department = optional_text("department", "Department", &self.department, &mut errors);
        let team = optional_text("team", "Team", &self.team, &mut errors);
        let cohort = optional_text("cohort", "Cohort", &self.cohort, &mut errors);
        let roles = match parse_role_list(&self.roles) {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError {
                    field: "roles",
                    message: format!("Roles: {e}"),
                });
                Vec::new()
            }
        };
        let start_date = if self.start_date.trim().is_empty() {
            None
        } else {
            match parse_date(&self.start_date) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(FieldError {
                        field: "start_date",
                        message: format!("Start date: {e}"),
                    });
                    None
                }
            }
        };
        let line_manager = optional_staff_number(
            "line_manager_staff_number",
            "Line manager's staff number",
            &self.line_manager_staff_number,
            &mut errors,
        );
        let mentor = optional_staff_number(
            "mentor_staff_number",
            "Mentor's staff number",
            &self.mentor_staff_number,
            &mut errors,
        );
        if let Some(own) = &staff_number {
            if line_manager.as_ref() == Some(own) {
                errors.push(FieldError {
                    field: "line_manager_staff_number",
                    message: "A person cannot be their own line manager".into(),
                });
            }
            if mentor.as_ref() == Some(own) {
                errors.push(FieldError {
                    field: "mentor_staff_number",
                    message: "A person cannot be their own mentor".into(),
                });
            }
        }
        match (staff_number, errors.is_empty()) {
            (Some(staff_number), true) => Ok(PersonInput {
                staff_number,
                name: name.to_string(),
                rank,
                department,
                team,
                roles,
                start_date,
                cohort,
                line_manager,
                mentor,
                email,
            }),
            _ => Err(errors),
        }
    }
}

impl PersonInput {
    /// The draft that would produce this record (used to pre-fill edit forms).
    pub fn to_draft(&self) -> PersonDraft {
        PersonDraft {
            staff_number: self.staff_number.to_string(),
            name: self.name.clone(),
            rank: self.rank.clone().unwrap_or_default(),
            department: self.department.clone().unwrap_or_default(),
            team: self.team.clone().unwrap_or_default(),
            roles: self
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            start_date: self.start_date.map(|d| d.to_string()).unwrap_or_default(),
            cohort: self.cohort.clone().unwrap_or_default(),
            line_manager_staff_number: self
                .line_manager
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            mentor_staff_number: self
                .mentor
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn draft() -> PersonDraft {
        PersonDraft {
            staff_number: " ab123 ".into(),
            name: "Sam Patel".into(),
            rank: "PC".into(),
            roles: "frontline".into(),
            start_date: "01/09/2024".into(),
            line_manager_staff_number: "S100".into(),
            email: " Sam.Patel@Demo-Constabulary.EXAMPLE ".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_email_is_kept_trimmed_with_its_domain_in_lower_case() {
        let p = draft().validate().unwrap();
        assert_eq!(
            p.email.as_deref(),
            Some("Sam.Patel@demo-constabulary.example")
        );
        let blank = PersonDraft {
            email: "   ".into(),
            ..draft()
        };
        assert_eq!(blank.validate().unwrap().email, None);
    }

    #[test]
    fn implausible_emails_are_refused_with_a_reason() {
        for (raw, words) in [
            ("sam.patel", "has no @"),
            ("sam patel@example.org", "has a space"),
            ("a@example.org; b@example.org", "has a space"),
            ("@example.org", "exactly one @"),
            ("a@b@example.org", "exactly one @"),
            ("sam@localhost", "must be a domain"),
            ("sam@example.org.", "must be a domain"),
            ("sam@exa_mple.org", "must be a domain"),
            ("sam.@example.org", "before the @"),
            ("sam<x>@example.org", "before the @"),
        ] {
            let err = parse_email(raw).unwrap_err();
            assert!(err.contains(words), "{raw}: {err}");
        }
        let long = format!("{}@example.org", "a".repeat(MAX_EMAIL));
        assert!(parse_email(&long).unwrap_err().contains("254 characters"));
        assert!(parse_email("jo.o'connell+mash@police.example.uk").is_ok());
        let d = PersonDraft {
            email: "not an address".into(),
            ..draft()
        };
        let errs = d.validate().unwrap_err();
        assert_eq!(errs[0].field, "email");
    }

    #[test]
    fn a_good_draft_becomes_a_typed_person() {
        let p = draft().validate().unwrap();
        assert_eq!(p.staff_number.as_str(), "AB123");
        assert_eq!(p.start_date, Some(date!(2024 - 09 - 01)));
        assert_eq!(p.roles, vec![Role::Frontline]);
        assert_eq!(p.line_manager.unwrap().as_str(), "S100");
        assert_eq!(p.department, None);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let d = PersonDraft {
            staff_number: "A B".into(),
            name: "".into(),
            start_date: "31/02/2024".into(),
            roles: "boss".into(),
            ..Default::default()
        };
        let errs = d.validate().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["staff_number", "name", "roles", "start_date"]);
        assert!(errs[3].message.contains("not a real date"));
    }

    #[test]
    fn dates_are_read_in_iso_and_uk_forms_only() {
        assert_eq!(parse_date("2024-03-01").unwrap(), date!(2024 - 03 - 01));
        assert_eq!(parse_date("1/3/2024").unwrap(), date!(2024 - 03 - 01));
        assert!(parse_date("03/01/24").is_err());
        assert!(parse_date("March 1st").is_err());
        assert!(parse_date("2024-13-01").is_err());
        // Each part digits only, as written: no sign, no room for more than it can hold.
        assert_eq!(parse_date("01/03/2024").unwrap(), date!(2024 - 03 - 01));
        for signed in [
            "+1/+3/2024",
            "1/+3/2024",
            "2024-+3-01",
            "2024-03--1",
            "001/03/2024",
        ] {
            assert!(parse_date(signed).is_err(), "{signed}");
        }
    }

    #[test]
    fn a_person_cannot_manage_or_mentor_themself() {
        let d = PersonDraft {
            mentor_staff_number: "ab123".into(),
            ..draft()
        };
        let errs = d.validate().unwrap_err();
        assert_eq!(errs[0].field, "mentor_staff_number");
    }

    #[test]
    fn over_long_names_are_refused() {
        let d = PersonDraft {
            name: "x".repeat(MAX_NAME + 1),
            ..draft()
        };
        assert_eq!(d.validate().unwrap_err()[0].field, "name");
    }

    #[test]
    fn a_record_round_trips_through_its_draft() {
        let p = draft().validate().unwrap();
        assert_eq!(p.to_draft().validate().unwrap(), p);
    }

    #[test]
    fn long_dates_read_naturally() {
        assert_eq!(format_date_long(date!(2024 - 03 - 01)), "1 March 2024");
    }
}
