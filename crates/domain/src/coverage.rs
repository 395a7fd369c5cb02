//! Coverage of a delivery requirement: who must have had an input (such as the three-hour
//! frontline referral input), who has had it and how, who is booked on a session, and who is
//! still untrained, as of any day.
//!
//! A requirement is a [`Rule`] (any of several [`Clause`]s says who is required) and a list of
//! [`CountingModule`]s (which modules count as having had the input). The store keeps the rule
//! as JSON (`coverage_requirements.rule`) and the modules in `coverage_requirement_modules`.
//!
//! [`compute`] is a pure function over slices: one pass to index completions and enrolments by
//! person in hash maps, one pass over the people. The rules, as of a day `as_of`:
//! - **required**: had started by `as_of` (a person with no start date is taken as started),
//!   had not left by `as_of` (leaving on `as_of` itself means gone) and matches at least one
//!   clause. Someone matched by two clauses is one person.
//! - **trained**: required, with a completion of a counting module on or before `as_of`. A
//!   module that counts as the *recording* counts only for transferees (the recording is their
//!   substitute for the session); session and "any" modules count for everyone. How: the
//!   earliest counting completion decides; a completion made by a session's attendance is
//!   "session", one of a recording module "recording", an imported record "imported history".
//! - **booked**: required, not trained, and enrolled (not waitlisted, not withdrawn) on a
//!   session of a counting module that is not cancelled and that either starts after `as_of` or
//!   has not yet been marked delivered.
//! - **untrained**: required and not trained (booked people are among them).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use time::Date;

/// The role profile that marks a transferee from another force.
pub const TRANSFEREE_PROFILE: &str = "TRANSFEREE";

/// Dates in rule JSON are `YYYY-MM-DD`.
mod ymd {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let raw: Option<String> = Option::deserialize(d)?;
        match raw {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => super::parse_ymd(&s).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!("\"{s}\" is not a YYYY-MM-DD date"))
            }),
        }
    }
}

/// Parses `YYYY-MM-DD` (the form dates are stored in).
pub fn parse_ymd(s: &str) -> Option<Date> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let month: u8 = s.get(5..7)?.parse().ok()?;
    let day: u8 = s.get(8..10)?.parse().ok()?;
    if b.len() > 10 && b[10] != b'T' && b[10] != b' ' {
        return None;
    }
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// Whether transferees are in, out, or the only ones a clause takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transferees {
    #[default]
    Include,
    Exclude,
    Only,
}

impl Transferees {
    pub const ALL: [Transferees; 3] = [
        Transferees::Include,
        Transferees::Exclude,
        Transferees::Only,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transferees::Include => "include",
            Transferees::Exclude => "exclude",
            Transferees::Only => "only",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Transferees::Include => "Include transferees",
            Transferees::Exclude => "Leave transferees out",
            Transferees::Only => "Transferees only",
        }
    }

    pub fn parse(s: &str) -> Option<Transferees> {
        Transferees::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
    }
}

/// One way of being required. Every condition given must hold; a list holds when any of its
/// values matches (names compared without case). An empty list or a missing date says nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Clause {
    /// Role profile codes held (an open assignment on the day).
    pub role_profiles: Vec<String>,
    pub ranks: Vec<String>,
    pub departments: Vec<String>,
    /// Cohort names that start with one of these ("2023 PCSO intake").
    pub cohort_prefixes: Vec<String>,
    /// Cohort names that contain one of these ("transferee").
    pub cohort_contains: Vec<String>,
    /// Started on or after this day.
    #[serde(with = "ymd", skip_serializing_if = "Option::is_none")]
    pub started_from: Option<Date>,
    /// Started on or before this day.
    #[serde(with = "ymd", skip_serializing_if = "Option::is_none")]
    pub started_to: Option<Date>,
    /// In post on this day: had started by then and not left by then ("everyone in these
    /// departments as of 31 December 2022", the 2022 CPD).
    #[serde(with = "ymd", skip_serializing_if = "Option::is_none")]
    pub in_post_on: Option<Date>,
    pub transferees: Transferees,
}

impl Clause {
    /// True when the clause names no condition at all (it would take everyone).
    pub fn is_empty(&self) -> bool {
        self.role_profiles.is_empty()
            && self.ranks.is_empty()
            && self.departments.is_empty()
            && self.cohort_prefixes.is_empty()
            && self.cohort_contains.is_empty()
            && self.started_from.is_none()
            && self.started_to.is_none()
            && self.in_post_on.is_none()
            && self.transferees == Transferees::Include
    }

    /// One line in words, for pages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let list = |v: &[String]| v.join(" or ");
        if !self.ranks.is_empty() {
            parts.push(format!("rank {}", list(&self.ranks)));
        }
        if !self.role_profiles.is_empty() {
            parts.push(format!("role profile {}", list(&self.role_profiles)));
        }
        if !self.departments.is_empty() {
            parts.push(format!("in {}", list(&self.departments)));
        }
        if !self.cohort_prefixes.is_empty() {
            parts.push(format!(
                "cohort starting \"{}\"",
                self.cohort_prefixes.join("\" or \"")
            ));
        }
        if !self.cohort_contains.is_empty() {
            parts.push(format!(
                "cohort containing \"{}\"",
                self.cohort_contains.join("\" or \"")
            ));
        }
        let long = crate::people::format_date_long;
        match (self.started_from, self.started_to) {
            (Some(f), Some(t)) => parts.push(format!("started {} to {}", long(f), long(t))),
            (Some(f), None) => parts.push(format!("started on or after {}", long(f))),
            (None, Some(t)) => parts.push(format!("started on or before {}", long(t))),
            (None, None) => {}
        }
        if let Some(d) = self.in_post_on {
            parts.push(format!("in post on {}", long(d)));
        }
        match self.transferees {
            Transferees::Include => {}
            Transferees::Exclude => parts.push("not transferees".into()),
            Transferees::Only => parts.push("transferees only".into()),
        }
        if parts.is_empty() {
            "everyone".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Who is required: anyone matching any clause.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Rule {
    pub clauses: Vec<Clause>,
}

/// A rule that cannot be used, in words naming the clause and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

impl Rule {
    /// Trims every name, drops empty ones, and refuses a rule that would be meaningless.
    pub fn validate(mut self) -> Result<Rule, RuleError> {
        if self.clauses.is_empty() {
            return Err(RuleError(
                "the requirement needs at least one clause saying who is required".into(),
            ));
        }
        for (i, c) in self.clauses.iter_mut().enumerate() {
            let n = i + 1;
            for list in [
                &mut c.role_profiles,
                &mut c.ranks,
                &mut c.departments,
                &mut c.cohort_prefixes,
                &mut c.cohort_contains,
            ] {
                for v in list.iter_mut() {
                    *v = v.trim().to_string();
                }
                list.retain(|v| !v.is_empty());
                let mut seen = HashSet::new();
                list.retain(|v| seen.insert(v.to_lowercase()));
            }
            if c.is_empty() {
                return Err(RuleError(format!(
                    "clause {n} names no condition, so it would require everyone in the force; give a rank, role profile, department, cohort or start date"
                )));
            }
            if let (Some(f), Some(t)) = (c.started_from, c.started_to) {
                if f > t {
                    return Err(RuleError(format!(
                        "clause {n}: \"started from\" ({f}) is after \"started to\" ({t})"
                    )));
                }
            }
        }
        Ok(self)
    }

    pub fn describe(&self) -> Vec<String> {
        self.clauses.iter().map(Clause::describe).collect()
    }
}

/// How a module counts towards a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountsAs {
    /// The session input itself.
    Session,
    /// The recording: counts for transferees only.
    Recording,
    /// Counts for everyone, however delivered.
    Any,
}

impl CountsAs {
    pub const ALL: [CountsAs; 3] = [CountsAs::Session, CountsAs::Recording, CountsAs::Any];

    pub fn as_str(self) -> &'static str {
        match self {
            CountsAs::Session => "session",
            CountsAs::Recording => "recording",
            CountsAs::Any => "any",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CountsAs::Session => "The session input",
            CountsAs::Recording => "The recording (transferees)",
            CountsAs::Any => "Counts however delivered",
        }
    }

    pub fn parse(s: &str) -> Option<CountsAs> {
        CountsAs::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountingModule {
    pub module_id: i64,
    pub counts_as: CountsAs,
}

/// A person as coverage needs them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Person {
    pub id: i64,
    pub staff_number: String,
    pub name: String,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub cohort: Option<String>,
    pub start_date: Option<Date>,
    pub left_on: Option<Date>,
    /// False with no `left_on` means gone on an unknown day: never required.
    pub active: bool,
}

/// A role-profile assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub person_id: i64,
    pub profile_code: String,
    pub started_on: Date,
    pub ended_on: Option<Date>,
}

/// A completion of one of the counting modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletionFact {
    pub person_id: i64,
    pub module_id: i64,
    pub completed_on: Date,
    pub session_id: Option<i64>,
    pub imported: bool,
}

/// An `enrolled` booking on a session that is not cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booking {
    pub person_id: i64,
    pub module_id: i64,
    pub session_id: i64,
    pub starts_on: Date,
    pub delivered: bool,
}

/// How a trained person had the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainedHow {
    Session,
    Recording,
    Imported,
    Other,
}

impl TrainedHow {
    pub const ALL: [TrainedHow; 4] = [
        TrainedHow::Session,
        TrainedHow::Recording,
        TrainedHow::Imported,
        TrainedHow::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrainedHow::Session => "session",
            TrainedHow::Recording => "recording",
            TrainedHow::Imported => "imported",
            TrainedHow::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TrainedHow::Session => "Attended a session",
            TrainedHow::Recording => "Watched the recording",
            TrainedHow::Imported => "Imported history",
            TrainedHow::Other => "Other recorded completion",
        }
    }
}

/// Where one required person stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Trained { on: Date, how: TrainedHow },
    Booked { session_id: i64, starts_on: Date },
    Untrained,
}

impl Standing {
    pub fn is_trained(&self) -> bool {
        matches!(self, Standing::Trained { .. })
    }
    pub fn is_booked(&self) -> bool {
        matches!(self, Standing::Booked { .. })
    }
}

/// One required person's result; `person` indexes the slice given to [`compute`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub person: usize,
    pub transferee: bool,
    pub profiles: Vec<String>,
    pub standing: Standing,
}

/// Counts for one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    pub required: usize,
    pub trained: usize,
    pub booked: usize,
}

impl Tally {
    fn add(&mut self, s: &Standing) {
        self.required += 1;
        match s {
            Standing::Trained { .. } => self.trained += 1,
            Standing::Booked { .. } => self.booked += 1,
            Standing::Untrained => {}
        }
    }

    pub fn untrained(&self) -> usize {
        self.required - self.trained
    }

    /// Share trained, in whole percent rounded to the nearest (6 of 7 is 86%), except that
    /// anything short of everyone stays below 100% and anyone at all stays above 0%; `None`
    /// when nobody is required.
    pub fn percent(&self) -> Option<u32> {
        if self.required == 0 {
            return None;
        }
        let nearest = (self.trained * 200 + self.required) / (self.required * 2);
        let p = match nearest {
            100 if self.trained < self.required => 99,
            0 if self.trained > 0 => 1,
            p => p,
        };
        Some(p as u32)
    }

    /// The percentage as a page shows it.
    pub fn percent_text(&self) -> String {
        match self.percent() {
            Some(p) => format!("{p}%"),
            None => "–".into(),
        }
    }
}

/// Which groups to break the figures down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Department,
    Team,
    Cohort,
    Rank,
    RoleProfile,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Department,
        Dimension::Team,
        Dimension::Cohort,
        Dimension::Rank,
        Dimension::RoleProfile,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Dimension::Department => "Department",
            Dimension::Team => "Team",
            Dimension::Cohort => "Cohort",
            Dimension::Rank => "Rank",
            Dimension::RoleProfile => "Role profile",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Dimension::Department => "department",
            Dimension::Team => "team",
            Dimension::Cohort => "cohort",
            Dimension::Rank => "rank",
            Dimension::RoleProfile => "role_profile",
        }
    }
}

/// The group name for people with nothing recorded.
pub const NOT_RECORDED: &str = "(not recorded)";
/// The role-profile group for people with no open assignment.
pub const NO_PROFILE: &str = "(no role profile)";

/// Narrows the people counted (a page's filters, a line manager's scope). Names compare
/// without case; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub department: Option<String>,
    pub team: Option<String>,
    pub cohort: Option<String>,
    pub rank: Option<String>,
    /// Only these person ids (a line manager's reports).
    pub only: Option<HashSet<i64>>,
}

impl Filter {
    fn keeps(&self, p: &Person) -> bool {
        let eq = |want: &Option<String>, have: &Option<String>| match want {
            None => true,
            Some(w) => have.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(w)),
        };
        eq(&self.department, &p.department)
            && eq(&self.team, &p.team)
            && eq(&self.cohort, &p.cohort)
            && eq(&self.rank, &p.rank)
            && self.only.as_ref().is_none_or(|s| s.contains(&p.id))
    }
}

/// The result of [`compute`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    pub as_of: Date,
    pub total: Tally,
    /// Required people, in the order of the people slice.
    pub outcomes: Vec<Outcome>,
    pub by_department: BTreeMap<String, Tally>,
    pub by_team: BTreeMap<String, Tally>,
    pub by_cohort: BTreeMap<String, Tally>,
    pub by_rank: BTreeMap<String, Tally>,
    pub by_role_profile: BTreeMap<String, Tally>,
    pub trained_how: BTreeMap<TrainedHow, usize>,
}

impl Coverage {
    pub fn breakdown(&self, d: Dimension) -> &BTreeMap<String, Tally> {
        match d {
            Dimension::Department => &self.by_department,
            Dimension::Team => &self.by_team,
            Dimension::Cohort => &self.by_cohort,
            Dimension::Rank => &self.by_rank,
            Dimension::RoleProfile => &self.by_role_profile,
        }
    }
}

/// True for a transferee: holds the transferee profile on the day, or a cohort naming transfer.
pub fn is_transferee(person: &Person, profiles: &[&str]) -> bool {
    profiles
        .iter()
        .any(|p| p.eq_ignore_ascii_case(TRANSFEREE_PROFILE))
        || person.cohort.as_deref().is_some_and(|c| {
            // "transfer" in any case of its ASCII letters, without a lower-cased copy.
            c.as_bytes()
                .windows(8)
                .any(|w| w.eq_ignore_ascii_case(b"transfer"))
        })
}

/// In post on a day: started by then (or start unknown) and not left by then.
fn in_post(p: &Person, day: Date) -> bool {
    if !p.active && p.left_on.is_none() {
        return false;
    }
    p.start_date.is_none_or(|s| s <= day) && p.left_on.is_none_or(|l| l > day)
}

fn any_eq(list: &[String], v: Option<&str>) -> bool {
    list.is_empty() || v.is_some_and(|v| list.iter().any(|l| l.eq_ignore_ascii_case(v.trim())))
}

fn matches(c: &Clause, p: &Person, profiles: &[&str], transferee: bool) -> bool {
    if !any_eq(&c.ranks, p.rank.as_deref()) || !any_eq(&c.departments, p.department.as_deref()) {
        return false;
    }
    if !c.role_profiles.is_empty()
        && !profiles
            .iter()
            .any(|have| c.role_profiles.iter().any(|w| w.eq_ignore_ascii_case(have)))
    {
        return false;
    }
    if !c.cohort_prefixes.is_empty() || !c.cohort_contains.is_empty() {
        let Some(cohort) = p.cohort.as_deref() else {
            return false;
        };
        let cohort = cohort.to_lowercase();
        let by_prefix = c
            .cohort_prefixes
            .iter()
            .any(|w| cohort.starts_with(&w.to_lowercase()));
        let by_contains = c
            .cohort_contains
            .iter()
            .any(|w| cohort.contains(&w.to_lowercase()));
        if !(by_prefix || by_contains) {
            return false;
        }
    }
    if c.started_from.is_some() || c.started_to.is_some() {
        let Some(start) = p.start_date else {
            return false;
        };
        if c.started_from.is_some_and(|f| start < f) || c.started_to.is_some_and(|t| start > t) {
            return false;
        }
    }
    if let Some(day) = c.in_post_on {
        if !in_post(p, day) {
            return false;
        }
    }
    match c.transferees {
        Transferees::Include => true,
        Transferees::Exclude => !transferee,
        Transferees::Only => transferee,
    }
}

/// The facts coverage is worked out from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    pub people: &'a [Person],
    pub assignments: &'a [Assignment],
    pub completions: &'a [CompletionFact],
    pub bookings: &'a [Booking],
}

/// Works out coverage as of `as_of`. Completions, bookings and assignments of other people or
/// other modules are ignored, so callers may pass more than needed.
pub fn compute(
    rule: &Rule,
    modules: &[CountingModule],
    facts: Facts<'_>,
    as_of: Date,
    filter: &Filter,
) -> Coverage {
    let Facts {
        people,
        assignments,
        completions,
        bookings,
    } = facts;
    // How a module counts (a requirement has a handful: a look along them beats hashing).
    let counting = |module_id: i64| {
        modules
            .iter()
            .find(|m| m.module_id == module_id)
            .map(|m| m.counts_as)
    };

    // Each kind of fact in one vector sorted by person (stably: each person's in the order
    // given), each person's found by binary search: no map and no vector per person.
    let mut held: Vec<(i64, &str)> = assignments
        .iter()
        .filter(|a| a.started_on <= as_of && a.ended_on.is_none_or(|e| e > as_of))
        .map(|a| (a.person_id, a.profile_code.as_str()))
        .collect();
    held.sort_by_key(|h| h.0);
    let mut done: Vec<(&CompletionFact, CountsAs)> = completions
        .iter()
        .filter(|c| c.completed_on <= as_of)
        .filter_map(|c| Some((c, counting(c.module_id)?)))
        .collect();
    done.sort_by_key(|c| c.0.person_id);
    let mut booked: Vec<(&Booking, CountsAs)> = bookings
        .iter()
        .filter(|b| b.starts_on > as_of || !b.delivered)
        .filter_map(|b| Some((b, counting(b.module_id)?)))
        .collect();
    booked.sort_by_key(|b| b.0.person_id);

    let mut cov = Coverage {
        as_of,
        total: Tally::default(),
        outcomes: Vec::new(),
        by_department: BTreeMap::new(),
        by_team: BTreeMap::new(),
        by_cohort: BTreeMap::new(),
        by_rank: BTreeMap::new(),
        by_role_profile: BTreeMap::new(),
        trained_how: BTreeMap::new(),
    };
    let mut profiles: Vec<&str> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        if !in_post(p, as_of) || !filter.keeps(p) {
            continue;
        }
        // The profiles held on the day, each once, in the order given.
        profiles.clear();
        for (_, code) in of_person(&held, p.id, |h| h.0) {
            if !profiles.contains(code) {
                profiles.push(code);
            }
        }
        let profiles = &profiles;
        let transferee = is_transferee(p, profiles);
        if !rule
            .clauses
            .iter()
            .any(|c| matches(c, p, profiles, transferee))
        {
            continue;
        }
        let trained = of_person(&done, p.id, |c| c.0.person_id)
            .iter()
            .filter_map(|&(c, counts)| {
                if counts == CountsAs::Recording && !transferee {
                    return None;
                }
                let how = if c.session_id.is_some() {
                    TrainedHow::Session
                } else if counts == CountsAs::Recording {
                    TrainedHow::Recording
                } else if c.imported {
                    TrainedHow::Imported
                } else {
                    TrainedHow::Other
                };
                Some((c.completed_on, how))
            })
            .min();
        let standing = match trained {
            Some((on, how)) => Standing::Trained { on, how },
            None => match of_person(&booked, p.id, |b| b.0.person_id)
                .iter()
                .filter(|(_, counts)| transferee || *counts != CountsAs::Recording)
                .map(|(b, _)| (b.starts_on, b.session_id))
                .min()
            {
                Some((starts_on, session_id)) => Standing::Booked {
                    session_id,
                    starts_on,
                },
                None => Standing::Untrained,
            },
        };
        cov.total.add(&standing);
        if let Standing::Trained { how, .. } = standing {
            *cov.trained_how.entry(how).or_default() += 1;
        }
        fn group(v: &Option<String>) -> &str {
            match v.as_deref().map(str::trim) {
                Some(s) if !s.is_empty() => s,
                _ => NOT_RECORDED,
            }
        }
        add_to(&mut cov.by_department, group(&p.department), &standing);
        add_to(&mut cov.by_team, group(&p.team), &standing);
        add_to(&mut cov.by_cohort, group(&p.cohort), &standing);
        add_to(&mut cov.by_rank, group(&p.rank), &standing);
        if profiles.is_empty() {
            add_to(&mut cov.by_role_profile, NO_PROFILE, &standing);
        }
        for code in profiles {
            add_to(&mut cov.by_role_profile, code, &standing);
        }
        cov.outcomes.push(Outcome {
            person: i,
            transferee,
            profiles: profiles.iter().map(|s| s.to_string()).collect(),
            standing,
        });
    }
    cov
}

/// The items of `sorted` (sorted by person id) that are `person_id`'s.
fn of_person<T>(sorted: &[T], person_id: i64, key: impl Fn(&T) -> i64) -> &[T] {
    let start = sorted.partition_point(|x| key(x) < person_id);
    let len = sorted[start..].partition_point(|x| key(x) <= person_id);
    &sorted[start..start + len]
}

/// Adds a standing to a breakdown's group, making the group's name only for a new group (most
/// people join a group that exists, and a name for each would cost more than the counting).
fn add_to(groups: &mut BTreeMap<String, Tally>, key: &str, standing: &Standing) {
    match groups.get_mut(key) {
        Some(t) => t.add(standing),
        None => groups.entry(key.to_string()).or_default().add(standing),
    }
}

/// The departments of the demo force that count as frontline for the 2022 CPD programme.
pub const DEMO_FRONTLINE_DEPARTMENTS: [&str; 7] = [
    "Response",
    "Neighbourhood Policing",
    "Criminal Investigation Department",
    "Major Crime",
    "Firearms",
    "Roads Policing",
    "Special Constabulary",
];

/// A requirement the force starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRequirement {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub rule: Rule,
    /// Module codes and how each counts.
    pub modules: Vec<(&'static str, CountsAs)>,
}

fn day(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, time::Month::try_from(m).expect("month"), d).expect("date")
}

/// The practice's requirements for the frontline referral input (objective two): new
/// constables from 2022, PCSOs and police staff investigators from 2023, every frontline
/// department as 2022 CPD, and transferees by the recording.
pub fn default_requirements(frontline_departments: &[&str]) -> Vec<DefaultRequirement> {
    let session = vec![
        ("FL-PPN", CountsAs::Session),
        ("FL-PPN-VID", CountsAs::Recording),
    ];
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        DefaultRequirement {
            code: "FL-PPN-PC",
            name: "Frontline referral input: new constables from 2022",
            description: "Every police constable who started on or after 1 January 2022 has the three-hour referral input in initial training. Transferees are counted by their own requirement.",
            rule: Rule {
                clauses: vec![
                    Clause {
                        ranks: s(&["PC", "Police Constable"]),
                        started_from: Some(day(2022, 1, 1)),
                        transferees: Transferees::Exclude,
                        ..Default::default()
                    },
                    Clause {
                        role_profiles: s(&["FL-PC"]),
                        started_from: Some(day(2022, 1, 1)),
                        transferees: Transferees::Exclude,
                        ..Default::default()
                    },
                ],
            },
            modules: session.clone(),
        },
        DefaultRequirement {
            code: "FL-PPN-PCSO-PSI",
            name: "Frontline referral input: PCSOs and police staff investigators from 2023",
            description: "Every PCSO and police staff investigator who started on or after 1 January 2023 has the three-hour referral input in initial training.",
            rule: Rule {
                clauses: vec![
                    Clause {
                        ranks: s(&["PCSO"]),
                        started_from: Some(day(2023, 1, 1)),
                        transferees: Transferees::Exclude,
                        ..Default::default()
                    },
                    Clause {
                        role_profiles: s(&["FL-PCSO", "FL-PSI"]),
                        started_from: Some(day(2023, 1, 1)),
                        transferees: Transferees::Exclude,
                        ..Default::default()
                    },
                    Clause {
                        cohort_contains: s(&["PSI intake", "PCSO intake"]),
                        started_from: Some(day(2023, 1, 1)),
                        transferees: Transferees::Exclude,
                        ..Default::default()
                    },
                ],
            },
            modules: session.clone(),
        },
        DefaultRequirement {
            code: "FL-PPN-CPD-2022",
            name: "Frontline referral input: every frontline department (2022 CPD)",
            description: "In 2022 every officer and member of staff in a frontline department received the input as CPD, face to face or over Microsoft Teams.",
            rule: Rule {
                clauses: vec![Clause {
                    departments: s(frontline_departments),
                    in_post_on: Some(day(2022, 12, 31)),
                    ..Default::default()
                }],
            },
            modules: session.clone(),
        },
        DefaultRequirement {
            code: "FL-PPN-TRANSFEREE",
            name: "Frontline referral input: transferees, by the recording",
            description: "Officers and staff who joined from another force watch the recording of the input (or attend a session).",
            rule: Rule {
                clauses: vec![Clause {
                    transferees: Transferees::Only,
                    ..Default::default()
                }],
            },
            modules: session,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[allow(clippy::too_many_arguments)]
    fn compute8(
        rule: &Rule,
        modules: &[CountingModule],
        people: &[Person],
        assignments: &[Assignment],
        completions: &[CompletionFact],
        bookings: &[Booking],
        as_of: Date,
        filter: &Filter,
    ) -> Coverage {
        compute(
            rule,
            modules,
            Facts {
                people,
                assignments,
                completions,
                bookings,
            },
            as_of,
            filter,
        )
    }

    const SESSION_MOD: i64 = 10;
    const VIDEO_MOD: i64 = 11;
    const OTHER_MOD: i64 = 12;

    fn modules() -> Vec<CountingModule> {
        vec![
            CountingModule {
                module_id: SESSION_MOD,
                counts_as: CountsAs::Session,
            },
            CountingModule {
                module_id: VIDEO_MOD,
                counts_as: CountsAs::Recording,
            },
        ]
    }

    fn person(id: i64, rank: &str, dept: &str, cohort: &str, start: Date) -> Person {
        Person {
            id,
            staff_number: format!("{}", 1000 + id),
            name: format!("Person {id}"),
            rank: Some(rank.into()),
            department: Some(dept.into()),
            team: Some(format!("{dept} team")),
            cohort: Some(cohort.into()),
            start_date: Some(start),
            left_on: None,
            active: true,
        }
    }

    fn pc_rule() -> Rule {
        default_requirements(&DEMO_FRONTLINE_DEPARTMENTS)[0]
            .rule
            .clone()
    }

    fn done(person_id: i64, module_id: i64, on: Date) -> CompletionFact {
        CompletionFact {
            person_id,
            module_id,
            completed_on: on,
            session_id: None,
            imported: false,
        }
    }

    fn run(
        rule: &Rule,
        people: &[Person],
        c: &[CompletionFact],
        b: &[Booking],
        as_of: Date,
    ) -> Coverage {
        compute8(
            rule,
            &modules(),
            people,
            &[],
            c,
            b,
            as_of,
            &Filter::default(),
        )
    }

    fn required_ids(cov: &Coverage, people: &[Person]) -> Vec<i64> {
        cov.outcomes.iter().map(|o| people[o.person].id).collect()
    }

    #[test]
    fn start_date_boundaries_are_inclusive_and_started_by_the_day() {
        let people = vec![
            person(
                1,
                "PC",
                "Response",
                "2021 PC intake 2",
                date!(2021 - 12 - 31),
            ),
            person(
                2,
                "PC",
                "Response",
                "2022 PC intake 1",
                date!(2022 - 01 - 01),
            ),
            person(
                3,
                "PC",
                "Response",
                "2022 PC intake 1",
                date!(2022 - 02 - 07),
            ),
        ];
        // As of the day person 3 starts, they are required; the day before, not yet.
        let cov = run(&pc_rule(), &people, &[], &[], date!(2022 - 02 - 07));
        assert_eq!(required_ids(&cov, &people), vec![2, 3]);
        let cov = run(&pc_rule(), &people, &[], &[], date!(2022 - 02 - 06));
        assert_eq!(required_ids(&cov, &people), vec![2]);
        // Before 2022 began nobody under this rule had started.
        let cov = run(&pc_rule(), &people, &[], &[], date!(2021 - 12 - 31));
        assert_eq!(cov.total.required, 0);
        assert_eq!(cov.total.percent(), None);
    }

    #[test]
    fn started_to_bounds_the_other_end() {
        let rule = Rule {
            clauses: vec![Clause {
                started_from: Some(date!(2023 - 01 - 01)),
                started_to: Some(date!(2023 - 12 - 31)),
                ..Default::default()
            }],
        };
        let people = vec![
            person(1, "PCSO", "N", "x", date!(2023 - 12 - 31)),
            person(2, "PCSO", "N", "x", date!(2024 - 01 - 01)),
        ];
        let cov = run(&rule, &people, &[], &[], date!(2025 - 01 - 01));
        assert_eq!(required_ids(&cov, &people), vec![1]);
    }

    #[test]
    fn completions_count_on_or_before_the_day_only() {
        let people = vec![person(
            1,
            "PC",
            "Response",
            "2022 PC intake 1",
            date!(2022 - 02 - 07),
        )];
        let c = vec![done(1, SESSION_MOD, date!(2022 - 03 - 10))];
        let cov = run(&pc_rule(), &people, &c, &[], date!(2022 - 03 - 09));
        assert_eq!((cov.total.required, cov.total.trained), (1, 0));
        let cov = run(&pc_rule(), &people, &c, &[], date!(2022 - 03 - 10));
        assert_eq!((cov.total.required, cov.total.trained), (1, 1));
        assert_eq!(
            cov.outcomes[0].standing,
            Standing::Trained {
                on: date!(2022 - 03 - 10),
                how: TrainedHow::Other
            }
        );
        // A module that does not count does nothing.
        let c = vec![done(1, OTHER_MOD, date!(2022 - 03 - 10))];
        let cov = run(&pc_rule(), &people, &c, &[], date!(2023 - 01 - 01));
        assert_eq!(cov.total.trained, 0);
    }

    #[test]
    fn transferees_need_the_recording_or_a_session() {
        let rule = default_requirements(&DEMO_FRONTLINE_DEPARTMENTS)[3]
            .rule
            .clone();
        let mut t1 = person(
            1,
            "PC",
            "Response",
            "2021 transferees",
            date!(2021 - 06 - 07),
        );
        t1.cohort = Some("2021 transferees".into());
        let t2 = person(
            2,
            "PC",
            "Response",
            "2021 transferees",
            date!(2021 - 06 - 07),
        );
        let t3 = person(
            3,
            "PC",
            "Response",
            "2021 transferees",
            date!(2021 - 06 - 07),
        );
        let not_t = person(
            4,
            "PC",
            "Response",
            "2022 PC intake 1",
            date!(2022 - 02 - 07),
        );
        let people = vec![t1, t2, t3, not_t];
        let mut by_session = done(2, SESSION_MOD, date!(2022 - 05 - 01));
        by_session.session_id = Some(77);
        let c = vec![
            done(1, VIDEO_MOD, date!(2021 - 07 - 01)),
            by_session,
            done(4, VIDEO_MOD, date!(2022 - 03 - 01)),
        ];
        let cov = run(&rule, &people, &c, &[], date!(2023 - 01 - 01));
        assert_eq!(required_ids(&cov, &people), vec![1, 2, 3]);
        assert_eq!(cov.total.trained, 2);
        assert_eq!(cov.trained_how[&TrainedHow::Recording], 1);
        assert_eq!(cov.trained_how[&TrainedHow::Session], 1);
        // The new constable's requirement leaves transferees out, and the recording does not
        // count for someone who is not a transferee.
        let cov = run(&pc_rule(), &people, &c, &[], date!(2023 - 01 - 01));
        assert_eq!(required_ids(&cov, &people), vec![4]);
        assert_eq!(cov.total.trained, 0);
    }

    #[test]
    fn a_transferee_profile_marks_a_transferee_without_the_cohort() {
        let rule = default_requirements(&DEMO_FRONTLINE_DEPARTMENTS)[3]
            .rule
            .clone();
        let people = vec![person(
            1,
            "DC",
            "CID",
            "2019 PC intake 1",
            date!(2019 - 02 - 04),
        )];
        let a = vec![Assignment {
            person_id: 1,
            profile_code: "TRANSFEREE".into(),
            started_on: date!(2024 - 01 - 01),
            ended_on: None,
        }];
        let cov = compute8(
            &rule,
            &modules(),
            &people,
            &a,
            &[],
            &[],
            date!(2024 - 06 - 01),
            &Filter::default(),
        );
        assert_eq!(cov.total.required, 1);
        assert_eq!(cov.by_role_profile["TRANSFEREE"].required, 1);
        // Before the assignment began they were not yet marked.
        let cov = compute8(
            &rule,
            &modules(),
            &people,
            &a,
            &[],
            &[],
            date!(2023 - 06 - 01),
            &Filter::default(),
        );
        assert_eq!(cov.total.required, 0);
    }

    #[test]
    fn people_who_left_count_until_the_day_they_left() {
        let mut p = person(
            1,
            "PC",
            "Response",
            "2022 PC intake 1",
            date!(2022 - 02 - 07),
        );
        p.left_on = Some(date!(2024 - 03 - 31));
        p.active = false;
        let mut gone_unknown = person(
            2,
            "PC",
            "Response",
            "2022 PC intake 1",
            date!(2022 - 02 - 07),
        );
        gone_unknown.active = false;
        let people = vec![p, gone_unknown];
        let cov = run(&pc_rule(), &people, &[], &[], date!(2024 - 03 - 30));
        assert_eq!(required_ids(&cov, &people), vec![1]);
        let cov = run(&pc_rule(), &people, &[], &[], date!(2024 - 03 - 31));
        assert_eq!(cov.total.required, 0);
    }

    #[test]
    fn a_person_matched_by_two_clauses_counts_once() {
        let people = vec![person(
            1,
            "PC",
            "Response",
            "2022 PC intake 1",
            date!(2022 - 02 - 07),
        )];
        let a = vec![
            Assignment {
                person_id: 1,
                profile_code: "FL-PC".into(),
                started_on: date!(2022 - 02 - 07),
                ended_on: None,
            },
            Assignment {
                person_id: 1,
                profile_code: "MASH-RES".into(),
                started_on: date!(2022 - 02 - 07),
                ended_on: None,
            },
        ];
        let cov = compute8(
            &pc_rule(),
            &modules(),
            &people,
            &a,
            &[],
            &[],
            date!(2023 - 01 - 01),
            &Filter::default(),
        );
        assert_eq!(cov.total.required, 1);
        assert_eq!(cov.by_department["Response"].required, 1);
        // Each profile they hold shows them once.
        assert_eq!(cov.by_role_profile["FL-PC"].required, 1);
        assert_eq!(cov.by_role_profile["MASH-RES"].required, 1);
    }

    #[test]
    fn cohorts_match_by_prefix_or_contains_without_case() {
        let rule = Rule {
            clauses: vec![Clause {
                cohort_prefixes: vec!["2023 pcso intake".into()],
                cohort_contains: vec!["PSI".into()],
                ..Default::default()
            }],
        };
        let people = vec![
            person(1, "PCSO", "N", "2023 PCSO intake 2", date!(2023 - 09 - 04)),
            person(
                2,
                "Police Staff (Band D)",
                "CID",
                "2024 PSI intake 1",
                date!(2024 - 02 - 05),
            ),
            person(3, "PCSO", "N", "2021 PCSO intake 2", date!(2021 - 09 - 06)),
        ];
        let cov = run(&rule, &people, &[], &[], date!(2025 - 01 - 01));
        assert_eq!(required_ids(&cov, &people), vec![1, 2]);
    }

    #[test]
    fn everyone_in_post_in_frontline_departments_for_the_2022_cpd() {
        let rule = default_requirements(&DEMO_FRONTLINE_DEPARTMENTS)[2]
            .rule
            .clone();
        let mut left_early = person(
            3,
            "DC",
            "Criminal Investigation Department",
            "2016 PC intake 2",
            date!(2016 - 09 - 05),
        );
        left_early.left_on = Some(date!(2022 - 06 - 30));
        left_early.active = false;
        let people = vec![
            person(
                1,
                "Sgt",
                "Response",
                "2012 PC intake 2",
                date!(2012 - 09 - 03),
            ),
            person(
                2,
                "PC",
                "Response",
                "2023 PC intake 1",
                date!(2023 - 02 - 06),
            ),
            left_early,
            person(
                4,
                "Police Staff (Band C)",
                "Information Services",
                "2015 x",
                date!(2015 - 01 - 01),
            ),
            person(
                5,
                "Special Constable",
                "Special Constabulary",
                "2020 SC",
                date!(2020 - 01 - 01),
            ),
        ];
        let cov = run(&rule, &people, &[], &[], date!(2026 - 11 - 26));
        assert_eq!(required_ids(&cov, &people), vec![1, 5]);
    }

    #[test]
    fn booked_means_enrolled_on_a_session_yet_to_happen_and_not_trained() {
        let people = vec![
            person(
                1,
                "PC",
                "Response",
                "2022 PC intake 1",
                date!(2022 - 02 - 07),
            ),
            person(
                2,
                "PC",
                "Response",
                "2022 PC intake 1",
                date!(2022 - 02 - 07),
            ),
            person(
                3,
                "PC",
                "Response",
                "2022 PC intake 1",
                date!(2022 - 02 - 07),
            ),
        ];
        let booking = |pid, starts_on, delivered| Booking {
            person_id: pid,
            module_id: SESSION_MOD,
            session_id: 100 + pid,
            starts_on,
            delivered,
        };
        let b = vec![
            booking(1, date!(2022 - 04 - 01), false),
            booking(2, date!(2022 - 03 - 01), true),
            booking(3, date!(2022 - 04 - 01), false),
        ];
        let mut c3 = done(3, SESSION_MOD, date!(2022 - 03 - 01));
        c3.session_id = Some(9);
        let cov = run(&pc_rule(), &people, &[c3], &b, date!(2022 - 03 - 15));
        assert_eq!(cov.total.required, 3);
        assert_eq!(cov.total.trained, 1);
        assert_eq!(cov.total.booked, 1);
        assert_eq!(
            cov.outcomes[0].standing,
            Standing::Booked {
                session_id: 101,
                starts_on: date!(2022 - 04 - 01)
            }
        );
        // A delivered session in the past is not a booking; before it happened it was.
        assert_eq!(cov.outcomes[1].standing, Standing::Untrained);
        let cov = run(&pc_rule(), &people, &[c3], &b, date!(2022 - 02 - 20));
        assert!(cov.outcomes[1].standing.is_booked());
    }

    #[test]
    fn how_trained_prefers_the_earliest_completion() {
        let people = vec![person(
            1,
            "PC",
            "Response",
            "2022 PC intake 1",
            date!(2022 - 02 - 07),
        )];
        let mut imported = done(1, SESSION_MOD, date!(2022 - 02 - 20));
        imported.imported = true;
        let mut session = done(1, SESSION_MOD, date!(2022 - 05 - 20));
        session.session_id = Some(3);
        let cov = run(
            &pc_rule(),
            &people,
            &[session, imported],
            &[],
            date!(2023 - 01 - 01),
        );
        assert_eq!(
            cov.outcomes[0].standing,
            Standing::Trained {
                on: date!(2022 - 02 - 20),
                how: TrainedHow::Imported
            }
        );
    }

    #[test]
    fn breakdowns_and_filters() {
        let mut people = vec![
            person(
                1,
                "PC",
                "Response",
                "2022 PC intake 1",
                date!(2022 - 02 - 07),
            ),
            person(
                2,
                "PC",
                "Response",
                "2022 PC intake 2",
                date!(2022 - 09 - 05),
            ),
            person(
                3,
                "PC",
                "Neighbourhood Policing",
                "2022 PC intake 1",
                date!(2022 - 02 - 07),
            ),
        ];
        people[2].team = None;
        let c = vec![done(1, SESSION_MOD, date!(2022 - 03 - 01))];
        let cov = run(&pc_rule(), &people, &c, &[], date!(2023 - 01 - 01));
        let r = cov.by_department["Response"];
        assert_eq!((r.required, r.trained, r.percent()), (2, 1, Some(50)));
        assert_eq!(cov.by_team[NOT_RECORDED].required, 1);
        assert_eq!(cov.by_cohort["2022 PC intake 1"].trained, 1);
        assert_eq!(cov.by_role_profile[NO_PROFILE].required, 3);
        let filter = Filter {
            department: Some("response".into()),
            ..Default::default()
        };
        let cov = compute8(
            &pc_rule(),
            &modules(),
            &people,
            &[],
            &c,
            &[],
            date!(2023 - 01 - 01),
            &filter,
        );
        assert_eq!((cov.total.required, cov.total.untrained()), (2, 1));
        let filter = Filter {
            only: Some([3].into_iter().collect()),
            ..Default::default()
        };
        let cov = compute8(
            &pc_rule(),
            &modules(),
            &people,
            &[],
            &c,
            &[],
            date!(2023 - 01 - 01),
            &filter,
        );
        assert_eq!(required_ids(&cov, &people), vec![3]);
    }

    #[test]
    fn percent_rounds_to_the_nearest_but_almost_is_not_all() {
        let t = |required, trained| Tally {
            required,
            trained,
            booked: 0,
        };
        assert_eq!(t(1000, 999).percent_text(), "99%");
        assert_eq!(t(7, 6).percent_text(), "86%");
        assert_eq!(t(8, 1).percent_text(), "13%");
        assert_eq!(t(1000, 1).percent_text(), "1%");
        assert_eq!(t(4, 4).percent_text(), "100%");
        assert_eq!(t(4, 0).percent_text(), "0%");
        assert_eq!(t(0, 0).percent_text(), "–");
    }

    #[test]
    fn rules_round_trip_as_json_and_are_checked() {
        let from_json = |s: &str| {
            serde_json::from_str::<Rule>(s)
                .map_err(|e| RuleError(e.to_string()))
                .and_then(Rule::validate)
        };
        for r in default_requirements(&DEMO_FRONTLINE_DEPARTMENTS) {
            let json = serde_json::to_string(&r.rule).unwrap();
            assert_eq!(from_json(&json).unwrap(), r.rule, "{json}");
        }
        let json =
            r#"{"clauses":[{"ranks":["PC"],"started_from":"2022-01-01","transferees":"exclude"}]}"#;
        let rule = from_json(json).unwrap();
        assert_eq!(rule.clauses[0].started_from, Some(date!(2022 - 01 - 01)));
        assert!(from_json(r#"{"clauses":[]}"#)
            .unwrap_err()
            .0
            .contains("at least one clause"));
        assert!(from_json(r#"{"clauses":[{"ranks":[" "]}]}"#)
            .unwrap_err()
            .0
            .contains("clause 1 names no condition"));
        assert!(from_json(r#"{"clauses":[{"started_from":"2022-13-01"}]}"#).is_err());
        let e =
            from_json(r#"{"clauses":[{"started_from":"2023-01-01","started_to":"2022-01-01"}]}"#)
                .unwrap_err();
        assert!(e.0.contains("after"), "{e}");
    }

    #[test]
    fn describe_in_words() {
        let r = &default_requirements(&["Response"])[0];
        assert_eq!(
            r.rule.describe()[0],
            "rank PC or Police Constable, started on or after 1 January 2022, not transferees"
        );
    }
}
