//! Partner training exchange: the kinds of partner organisation, checks on organisations,
//! contacts and external attendees, and the quarterly summary of training exchanged each way.
//! Pure: the store gathers the facts, this module says what they mean.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use time::Date;

/// The kind of partner organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    ChildrenSocialCare,
    AdultSocialCare,
    Health,
    Education,
    FireRescue,
    Probation,
    Housing,
    Other,
}

impl OrgKind {
    /// Every kind, in the order pages list them.
    pub const ALL: [OrgKind; 8] = [
        OrgKind::ChildrenSocialCare,
        OrgKind::AdultSocialCare,
        OrgKind::Health,
        OrgKind::Education,
        OrgKind::FireRescue,
        OrgKind::Probation,
        OrgKind::Housing,
        OrgKind::Other,
    ];

    /// The machine name stored in `partner_orgs.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::ChildrenSocialCare => "children_social_care",
            OrgKind::AdultSocialCare => "adult_social_care",
            OrgKind::Health => "health",
            OrgKind::Education => "education",
            OrgKind::FireRescue => "fire_rescue",
            OrgKind::Probation => "probation",
            OrgKind::Housing => "housing",
            OrgKind::Other => "other",
        }
    }

    /// The words a user reads.
    pub fn label(self) -> &'static str {
        match self {
            OrgKind::ChildrenSocialCare => "Children's social care",
            OrgKind::AdultSocialCare => "Adults' social care",
            OrgKind::Health => "Health",
            OrgKind::Education => "Education",
            OrgKind::FireRescue => "Fire and rescue",
            OrgKind::Probation => "Probation",
            OrgKind::Housing => "Housing",
            OrgKind::Other => "Other",
        }
    }

    /// The label of a stored kind, or the stored text itself if it is not one we know.
    pub fn label_of(stored: &str) -> String {
        stored
            .parse::<OrgKind>()
            .map(|k| k.label().to_string())
            .unwrap_or_else(|_| stored.to_string())
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for OrgKind {
    type Err = String;
    /// Reads the machine name or the label, without regard to case, spaces or hyphens.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = |t: &str| {
            t.trim()
                .to_ascii_lowercase()
                .replace('\'', "")
                .replace("’", "")
                .replace([' ', '-'], "_")
        };
        let wanted = norm(s);
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted || norm(k.label()) == wanted)
            .ok_or_else(|| {
                format!(
                    "\"{}\" is not a kind of partner organisation; choose one of: {}",
                    s.trim(),
                    OrgKind::ALL.map(|k| k.label()).join(", ")
                )
            })
    }
}

/// Most characters allowed in a name.
pub const MAX_NAME: usize = 200;
/// Most characters allowed in notes.
pub const MAX_NOTES: usize = 2000;

/// A field and what is wrong with it, in words for the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// True when the text looks like an e-mail address: one `@`, something before it, a dot in
/// the part after it, and no spaces.
pub fn email_shape_ok(s: &str) -> bool {
    let s = s.trim();
    if s.chars().any(char::is_whitespace) || s.len() > 254 {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// Checks an optional e-mail field: blank is `None`, a bad shape is an error.
pub fn optional_email(field: &'static str, raw: &str) -> Result<Option<String>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        Ok(None)
    } else if email_shape_ok(s) {
        Ok(Some(s.to_string()))
    } else {
        Err(err(
            field,
            "Enter an e-mail address in the correct format, like name@example.org, or leave it blank",
        ))
    }
}

fn required_name(field: &'static str, raw: &str, what: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        Err(err(field, format!("Enter the {what}")))
    } else if s.chars().count() > MAX_NAME {
        Err(err(
            field,
            format!("The {what} must be {MAX_NAME} characters or fewer"),
        ))
    } else {
        Ok(s.to_string())
    }
}

/// A partner organisation as a form supplies it.
#[derive(Debug, Clone, Default)]
pub struct OrgDraft {
    pub name: String,
    pub kind: String,
    pub notes: String,
}

/// A checked partner organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInput {
    pub name: String,
    pub kind: OrgKind,
    pub notes: String,
}

impl OrgDraft {
    /// Checks every field and returns all the errors at once.
    pub fn validate(&self) -> Result<OrgInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = required_name("name", &self.name, "organisation's name")
            .map_err(|e| errors.push(e))
            .ok();
        let kind = if self.kind.trim().is_empty() {
            errors.push(err("kind", "Select the kind of organisation"));
            None
        } else {
            self.kind
                .parse::<OrgKind>()
                .map_err(|m| errors.push(err("kind", m)))
                .ok()
        };
        let notes = self.notes.trim().to_string();
        if notes.chars().count() > MAX_NOTES {
            errors.push(err(
                "notes",
                format!("Notes must be {MAX_NOTES} characters or fewer"),
            ));
        }
        match (name, kind) {
            (Some(name), Some(kind)) if errors.is_empty() => Ok(OrgInput { name, kind, notes }),
            _ => Err(errors),
        }
    }
}

/// A contact at a partner organisation (no account needed).
#[derive(Debug, Clone, Default)]
pub struct ContactDraft {
    pub name: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactInput {
    pub name: String,
    pub job_title: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ContactDraft {
    pub fn validate(&self) -> Result<ContactInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = required_name("name", &self.name, "contact's name")
            .map_err(|e| errors.push(e))
            .ok();
        let job_title = self.job_title.trim().to_string();
        if job_title.chars().count() > MAX_NAME {
            errors.push(err(
                "job_title",
                format!("The job title must be {MAX_NAME} characters or fewer"),
            ));
        }
        let email = optional_email("email", &self.email)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let phone = self.phone.trim();
        if !phone.is_empty()
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +()-".contains(c))
        {
            errors.push(err(
                "phone",
                "Enter a telephone number using digits, spaces, brackets, + and -, or leave it blank",
            ));
        }
        match name {
            Some(name) if errors.is_empty() => Ok(ContactInput {
                name,
                job_title,
                email,
                phone: (!phone.is_empty()).then(|| phone.to_string()),
            }),
            _ => Err(errors),
        }
    }
}

/// Someone from outside the force at a session or an attachment day: a name, and either an
/// organisation typed in or a partner organisation chosen.
#[derive(Debug, Clone, Default)]
pub struct ExternalDraft {
    pub name: String,
    pub organisation: String,
    pub partner_org_id: Option<i64>,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalInput {
    pub name: String,
    pub organisation: String,
    pub partner_org_id: Option<i64>,
    pub email: Option<String>,
}

impl ExternalDraft {
    pub fn validate(&self) -> Result<ExternalInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = required_name("name", &self.name, "attendee's name")
            .map_err(|e| errors.push(e))
            .ok();
        let organisation = self.organisation.trim().to_string();
        if organisation.is_empty() && self.partner_org_id.is_none() {
            errors.push(err(
                "organisation",
                "Choose the partner organisation or type the name of their organisation",
            ));
        } else if organisation.chars().count() > MAX_NAME {
            errors.push(err(
                "organisation",
                format!("The organisation must be {MAX_NAME} characters or fewer"),
            ));
        }
        let email = optional_email("email", &self.email)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        match name {
            Some(name) if errors.is_empty() => Ok(ExternalInput {
                name,
                organisation,
                partner_org_id: self.partner_org_id,
                email,
            }),
            _ => Err(errors),
        }
    }
}

/// Attendance of an external attendee (the same words as the register).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExternalStatus {
    Attended,
    PartlyAttended,
    Absent,
    Excused,
}

impl ExternalStatus {
    pub const ALL: [ExternalStatus; 4] = [
        ExternalStatus::Attended,
        ExternalStatus::PartlyAttended,
        ExternalStatus::Absent,
        ExternalStatus::Excused,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalStatus::Attended => "attended",
            ExternalStatus::PartlyAttended => "partly_attended",
            ExternalStatus::Absent => "absent",
            ExternalStatus::Excused => "excused",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ExternalStatus::Attended => "Attended",
            ExternalStatus::PartlyAttended => "Partly attended",
            ExternalStatus::Absent => "Absent",
            ExternalStatus::Excused => "Excused",
        }
    }
    pub fn parse(s: &str) -> Option<ExternalStatus> {
        ExternalStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
    }
    /// Whether this status counts the person as having received the training.
    pub fn counts(self) -> bool {
        matches!(
            self,
            ExternalStatus::Attended | ExternalStatus::PartlyAttended
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The quarterly exchange summary

/// Which way training went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The police delivered training to partner staff.
    ToPartners,
    /// A partner delivered training to police officers and staff.
    FromPartners,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::ToPartners => "Police to partners",
            Direction::FromPartners => "Partners to police",
        }
    }
}

/// The quarter (1 to 4) of the calendar year a day falls in.
pub fn quarter_of(d: Date) -> u8 {
    (u8::from(d.month()) - 1) / 3 + 1
}

/// The first and last day of a quarter of a year, or `None` for a quarter outside 1 to 4.
pub fn quarter_bounds(year: i32, quarter: u8) -> Option<(Date, Date)> {
    if !(1..=4).contains(&quarter) {
        return None;
    }
    let first_month = time::Month::try_from((quarter - 1) * 3 + 1).ok()?;
    let start = Date::from_calendar_date(year, first_month, 1).ok()?;
    let end = if quarter == 4 {
        Date::from_calendar_date(year, time::Month::December, 31).ok()?
    } else {
        Date::from_calendar_date(year, first_month.nth_next(3), 1)
            .ok()?
            .previous_day()?
    };
    Some((start, end))
}

/// One fact of the exchange: a session held on a day, which way, for which organisation, and
/// how many people attended it (partner staff for sessions to partners; police officers and
/// staff for sessions from partners).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeFact {
    pub session_id: i64,
    pub day: Date,
    pub direction: Direction,
    /// The partner organisation's name (for sessions to partners: each organisation whose
    /// staff attended; for sessions from a partner: the provider).
    pub organisations: Vec<String>,
    pub attendees: u32,
}

/// The figures of one quarter, one way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExchangeCell {
    pub sessions: u32,
    pub attendees: u32,
    /// Completions of partner-provided modules recorded outside a session (partners to police
    /// only).
    pub completions: u32,
    pub organisations: u32,
    /// The organisations' names, sorted.
    pub organisation_names: Vec<String>,
}

/// One quarter of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeQuarter {
    pub quarter: u8,
    pub to_partners: ExchangeCell,
    pub from_partners: ExchangeCell,
}

/// The year's summary: four quarters and the year's totals each way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeSummary {
    pub year: i32,
    pub quarters: Vec<ExchangeQuarter>,
    pub to_partners: ExchangeCell,
    pub from_partners: ExchangeCell,
}

/// A completion by a police officer or staff member of a partner-provided module that did not
/// come from a session (those are counted through the session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCompletion {
    pub day: Date,
    pub provider: String,
}

#[derive(Default)]
struct Acc {
    sessions: BTreeSet<i64>,
    attendees: u32,
    completions: u32,
    orgs: BTreeSet<String>,
}

impl Acc {
    fn add(&mut self, f: &ExchangeFact) {
        if self.sessions.insert(f.session_id) {
            self.attendees += f.attendees;
        }
        for o in &f.organisations {
            let o = o.trim();
            if !o.is_empty() {
                self.orgs.insert(o.to_string());
            }
        }
    }
    fn cell(&self) -> ExchangeCell {
        ExchangeCell {
            sessions: self.sessions.len() as u32,
            attendees: self.attendees,
            completions: self.completions,
            organisations: self.orgs.len() as u32,
            organisation_names: self.orgs.iter().cloned().collect(),
        }
    }
}

/// Assembles the year's summary from the facts. Facts outside the year are ignored; a session
/// listed twice counts once (its attendees too); an organisation counts once per cell however
/// many sessions it had.
pub fn summarise(
    year: i32,
    facts: &[ExchangeFact],
    completions: &[PartnerCompletion],
) -> ExchangeSummary {
    let mut q: Vec<(Acc, Acc)> = (0..4).map(|_| (Acc::default(), Acc::default())).collect();
    let mut total = (Acc::default(), Acc::default());
    for f in facts.iter().filter(|f| f.day.year() == year) {
        let i = usize::from(quarter_of(f.day) - 1);
        match f.direction {
            Direction::ToPartners => {
                q[i].0.add(f);
                total.0.add(f);
            }
            Direction::FromPartners => {
                q[i].1.add(f);
                total.1.add(f);
            }
        }
    }
    for c in completions.iter().filter(|c| c.day.year() == year) {
        let i = usize::from(quarter_of(c.day) - 1);
        for acc in [&mut q[i].1, &mut total.1] {
            acc.completions += 1;
            let o = c.provider.trim();
            if !o.is_empty() {
                acc.orgs.insert(o.to_string());
            }
        }
    }
    ExchangeSummary {
        year,
        quarters: q
            .iter()
            .enumerate()
            .map(|(i, (to, from))| ExchangeQuarter {
                quarter: i as u8 + 1,
                to_partners: to.cell(),
                from_partners: from.cell(),
            })
            .collect(),
        to_partners: total.0.cell(),
        from_partners: total.1.cell(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn kinds_read_back_from_names_and_labels() {
        for k in OrgKind::ALL {
            assert_eq!(k.as_str().parse::<OrgKind>().unwrap(), k);
            assert_eq!(k.label().parse::<OrgKind>().unwrap(), k);
        }
        assert_eq!(
            "children's social care".parse::<OrgKind>().unwrap(),
            OrgKind::ChildrenSocialCare
        );
        assert_eq!(
            "Fire-Rescue".parse::<OrgKind>().unwrap(),
            OrgKind::FireRescue
        );
        let e = "police".parse::<OrgKind>().unwrap_err();
        assert!(e.contains("Housing"), "{e}");
        assert_eq!(
            OrgKind::label_of("adult_social_care"),
            "Adults' social care"
        );
        assert_eq!(OrgKind::ALL.len(), 8);
    }

    #[test]
    fn an_organisation_needs_a_name_and_a_kind() {
        let e = OrgDraft::default().validate().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "kind"]);
        let ok = OrgDraft {
            name: "  Northshire Children's Services ".into(),
            kind: "children_social_care".into(),
            notes: String::new(),
        }
        .validate()
        .unwrap();
        assert_eq!(ok.name, "Northshire Children's Services");
        assert_eq!(ok.kind, OrgKind::ChildrenSocialCare);
        let long = OrgDraft {
            name: "x".repeat(MAX_NAME + 1),
            kind: "health".into(),
            notes: String::new(),
        };
        assert_eq!(long.validate().unwrap_err()[0].field, "name");
    }

    #[test]
    fn a_contact_needs_a_name_and_any_email_must_look_like_one() {
        let e = ContactDraft {
            email: "not an address".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "email"]);
        let ok = ContactDraft {
            name: "Dana Lead".into(),
            email: " dana@council.example.org ".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.email.as_deref(), Some("dana@council.example.org"));
        assert_eq!(ok.phone, None);
        let no_email = ContactDraft {
            name: "Sam".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(no_email.email, None);
        for bad in [
            "a@b",
            "@x.org",
            "a@@x.org",
            "a b@x.org",
            "a@x..org",
            "a@.x.org",
        ] {
            assert!(!email_shape_ok(bad), "{bad}");
        }
        assert!(email_shape_ok("first.last+tag@nhs.example.uk"));
        let bad_phone = ContactDraft {
            name: "Sam".into(),
            phone: "call me".into(),
            ..Default::default()
        };
        assert_eq!(bad_phone.validate().unwrap_err()[0].field, "phone");
    }

    #[test]
    fn an_external_attendee_needs_a_name_and_an_organisation() {
        let e = ExternalDraft::default().validate().unwrap_err();
        let fields: Vec<_> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["name", "organisation"]);
        assert!(ExternalDraft {
            name: "Kim".into(),
            partner_org_id: Some(3),
            ..Default::default()
        }
        .validate()
        .is_ok());
        assert!(ExternalDraft {
            name: "Kim".into(),
            organisation: "St Mary's School".into(),
            ..Default::default()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn quarters_cover_the_year_without_gaps() {
        assert_eq!(quarter_of(date!(2024 - 01 - 01)), 1);
        assert_eq!(quarter_of(date!(2024 - 03 - 31)), 1);
        assert_eq!(quarter_of(date!(2024 - 04 - 01)), 2);
        assert_eq!(quarter_of(date!(2024 - 09 - 30)), 3);
        assert_eq!(quarter_of(date!(2024 - 12 - 31)), 4);
        assert_eq!(
            quarter_bounds(2024, 1),
            Some((date!(2024 - 01 - 01), date!(2024 - 03 - 31)))
        );
        assert_eq!(
            quarter_bounds(2024, 2),
            Some((date!(2024 - 04 - 01), date!(2024 - 06 - 30)))
        );
        assert_eq!(
            quarter_bounds(2024, 4),
            Some((date!(2024 - 10 - 01), date!(2024 - 12 - 31)))
        );
        assert_eq!(quarter_bounds(2024, 0), None);
        assert_eq!(quarter_bounds(2024, 5), None);
    }

    fn fact(id: i64, day: Date, dir: Direction, orgs: &[&str], n: u32) -> ExchangeFact {
        ExchangeFact {
            session_id: id,
            day,
            direction: dir,
            organisations: orgs.iter().map(|s| s.to_string()).collect(),
            attendees: n,
        }
    }

    #[test]
    fn the_summary_counts_sessions_attendees_and_organisations_each_way() {
        use Direction::*;
        let facts = vec![
            fact(
                1,
                date!(2024 - 02 - 10),
                ToPartners,
                &["Education", "Health"],
                12,
            ),
            fact(2, date!(2024 - 03 - 05), ToPartners, &["Health"], 4),
            fact(3, date!(2024 - 03 - 20), FromPartners, &["Health"], 9),
            fact(4, date!(2024 - 11 - 01), FromPartners, &["Children's"], 20),
            // another year: ignored
            fact(5, date!(2023 - 12 - 31), ToPartners, &["Housing"], 50),
            // the same session twice: counted once
            fact(4, date!(2024 - 11 - 01), FromPartners, &["Children's"], 20),
        ];
        let done = vec![
            PartnerCompletion {
                day: date!(2024 - 05 - 02),
                provider: "Education".into(),
            },
            PartnerCompletion {
                day: date!(2025 - 05 - 02),
                provider: "Probation".into(),
            },
        ];
        let s = summarise(2024, &facts, &done);
        assert_eq!(s.quarters.len(), 4);
        let q1 = &s.quarters[0];
        assert_eq!(q1.to_partners.sessions, 2);
        assert_eq!(q1.to_partners.attendees, 16);
        assert_eq!(q1.to_partners.organisations, 2);
        assert_eq!(
            q1.to_partners.organisation_names,
            vec!["Education", "Health"]
        );
        assert_eq!(q1.from_partners.sessions, 1);
        assert_eq!(q1.from_partners.attendees, 9);
        assert_eq!(s.quarters[1].to_partners, ExchangeCell::default());
        assert_eq!(s.quarters[1].from_partners.sessions, 0);
        assert_eq!(s.quarters[1].from_partners.completions, 1);
        assert_eq!(
            s.quarters[2],
            ExchangeQuarter {
                quarter: 3,
                to_partners: ExchangeCell::default(),
                from_partners: ExchangeCell::default()
            }
        );
        assert_eq!(s.quarters[3].from_partners.sessions, 1);
        assert_eq!(s.quarters[3].from_partners.attendees, 20);
        assert_eq!(s.to_partners.sessions, 2);
        assert_eq!(s.from_partners.sessions, 2);
        assert_eq!(s.from_partners.attendees, 29);
        assert_eq!(s.from_partners.organisations, 3);
        assert_eq!(s.from_partners.completions, 1);
    }
}
