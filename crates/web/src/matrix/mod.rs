//! The compliance matrix, reminders and the training figures, with their exports and JSON twin.
//! Routes live here, with what every view shares: the filters and the rows built from the store's
//! one [`MatrixData`], so the page, the downloads and the API never disagree.

mod api;
mod exports;
mod my_training;
mod page;
mod reminders;
mod summary;

pub(crate) use reminders::notice_count;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::routing::get;
use mashboard_domain::access::{Capability, PeopleScope};
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::training::ItemStatus;
use mashboard_store::people::Person;
use mashboard_store::training::matrix::MatrixData;
use mashboard_store::training::plans::PlanItem;
use mashboard_store::training::today;
use std::collections::{HashMap, HashSet};
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{OwnTraining, TrainingRecords, TrainingSummary};
    let t = t
        .get("/training/matrix", P(TrainingRecords), get(page::matrix))
        .get(
            "/training/matrix.csv",
            P(TrainingRecords),
            get(exports::matrix_csv),
        )
        .get(
            "/training/matrix.xlsx",
            P(TrainingRecords),
            get(exports::matrix_xlsx),
        )
        .get(
            "/training/summary",
            P(TrainingSummary),
            get(summary::summary),
        )
        .get(
            "/training/reminders",
            P(TrainingRecords),
            get(reminders::reminders),
        )
        .get(
            "/my/training.xlsx",
            P(OwnTraining),
            get(my_training::my_training_xlsx),
        )
        .get(
            "/my/training.pdf",
            P(OwnTraining),
            get(my_training::my_training_pdf),
        );
    api::routes(t)
}

/// The JSON API's paths and shapes for the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    api::doc()
}

const MAX_FILTER: usize = 100;

fn long(d: Option<Date>) -> String {
    d.map(format_date_long).unwrap_or_default()
}

fn iso(d: Option<Date>) -> String {
    d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

fn stored_date(s: Option<&str>) -> Option<Date> {
    s.and_then(|s| parse_date(s).ok())
}

/// The one data source of every view: the matrix data of the people `user` may see, today.
pub(crate) type Data = MatrixData;

async fn load(state: &AppState, scope: PeopleScope) -> Result<Data, AppError> {
    Ok(MatrixData::load(&state.store, scope, today()).await?)
}

/// The people a user may see in the matrix (the same rule for the page, exports and API).
fn scope_of(user: &CurrentUser) -> PeopleScope {
    user.people_scope()
}

// ---------------------------------------------------------------------------------------------
// Filters

/// The matrix filters, as in the query string. Empty strings do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filters {
    pub department: String,
    pub team: String,
    /// A role profile code.
    pub profile: String,
    pub cohort: String,
    /// An `ItemStatus` name, or `out_of_date` (overdue or expired).
    pub status: String,
    /// A module code.
    pub module: String,
}

/// The status filter's choices: (value, words).
fn status_choices() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("out_of_date", "Out of date (overdue or expired)")];
    v.extend(ItemStatus::ALL.iter().map(|s| (s.as_str(), s.label())));
    v
}

impl Filters {
    fn from_pairs(pairs: &[(String, String)]) -> Filters {
        let get = |k: &str| -> String {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.trim().chars().take(MAX_FILTER).collect())
                .unwrap_or_default()
        };
        let mut status = get("status");
        if !status_choices().iter().any(|(v, _)| *v == status) {
            status.clear();
        }
        Filters {
            department: get("department"),
            team: get("team"),
            profile: get("profile").to_ascii_uppercase(),
            cohort: get("cohort"),
            status,
            module: get("module").to_ascii_uppercase(),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("department", self.department.as_str()),
            ("team", &self.team),
            ("profile", &self.profile),
            ("cohort", &self.cohort),
            ("status", &self.status),
            ("module", &self.module),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    pub fn query_string(&self) -> String {
        serde_urlencoded::to_string(self.pairs()).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.pairs().is_empty()
    }

    /// The filters in words, for the audit trail and the export's cover sheet.
    fn describe(&self) -> String {
        if self.is_empty() {
            return "no filters".into();
        }
        self.pairs()
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn status_matches(&self, s: ItemStatus) -> bool {
        match self.status.as_str() {
            "" => true,
            "out_of_date" => matches!(s, ItemStatus::Overdue | ItemStatus::Expired),
            other => s.as_str() == other,
        }
    }
}

use crate::form::query_pairs;

// ---------------------------------------------------------------------------------------------
// The data and the one function that builds every view of it

// ---------------------------------------------------------------------------------------------
// Rows of the matrix data, as every view shows them

/// What the views read from the matrix data: rows by the filters, and the filters' choices.
trait Rows {
    fn person_matches(&self, p: &Person, f: &Filters) -> bool;
    fn line(&self, i: &PlanItem) -> Option<Line>;
    fn lines(&self, f: &Filters) -> Vec<Line>;
    fn modules(&self) -> Vec<(String, String)>;
    fn profiles(&self) -> Vec<(String, String)>;
}

impl Rows for MatrixData {
    fn person_matches(&self, p: &Person, f: &Filters) -> bool {
        let eq = |field: &Option<String>, want: &str| {
            want.is_empty() || field.as_deref().is_some_and(|v| v == want)
        };
        eq(&p.department, &f.department)
            && eq(&p.team, &f.team)
            && eq(&p.cohort, &f.cohort)
            && (f.profile.is_empty()
                || self
                    .profiles_of(p.id)
                    .any(|a| a.profile_code.eq_ignore_ascii_case(&f.profile)))
    }

    fn line(&self, i: &PlanItem) -> Option<Line> {
        let p = self.people.get(&i.person_id)?;
        let profiles: Vec<&str> = self
            .profiles_of(p.id)
            .map(|a| a.profile_name.as_str())
            .collect();
        Some(Line {
            staff_number: p.staff_number.clone(),
            name: p.name.clone(),
            department: p.department.clone().unwrap_or_default(),
            team: p.team.clone().unwrap_or_default(),
            cohort: p.cohort.clone().unwrap_or_default(),
            line_manager: p.line_manager_name.clone().unwrap_or_default(),
            profiles: profiles.join("; "),
            person_id: p.id,
            module_id: i.module_id,
            module_code: i.module_code.clone(),
            module_title: i.module_title.clone(),
            current_version: i.module_version.clone(),
            status: i.state.status,
            due_on: i.state.due_on,
            expires_on: i.state.expires_on,
            overdue_since: i.state.overdue_since,
            last_completed: stored_date(i.latest_completed_on.as_deref()),
            version_done: i.latest_version.clone().unwrap_or_default(),
            in_date: i.state.in_date,
        })
    }

    /// Every plan item that matches the filters, by person name then module title.
    fn lines(&self, f: &Filters) -> Vec<Line> {
        self.items
            .iter()
            .filter(|i| f.module.is_empty() || i.module_code.eq_ignore_ascii_case(&f.module))
            .filter(|i| f.status_matches(i.state.status))
            .filter(|i| {
                self.people
                    .get(&i.person_id)
                    .is_some_and(|p| self.person_matches(p, f))
            })
            .filter_map(|i| self.line(i))
            .collect()
    }

    /// The modules in these plans, by title, as (code, title).
    fn modules(&self) -> Vec<(String, String)> {
        let mut seen = HashSet::new();
        let mut v: Vec<(String, String)> = self
            .items
            .iter()
            .filter(|i| seen.insert(i.module_id))
            .map(|i| (i.module_code.clone(), i.module_title.clone()))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        v
    }

    /// The role profiles in these plans, by name, as (code, name).
    fn profiles(&self) -> Vec<(String, String)> {
        let mut seen = HashSet::new();
        self.assignments
            .iter()
            .filter(|a| seen.insert(a.profile_id))
            .map(|a| (a.profile_code.clone(), a.profile_name.clone()))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub department: String,
    pub team: String,
    pub cohort: String,
    pub line_manager: String,
    pub profiles: String,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub current_version: String,
    pub status: ItemStatus,
    pub due_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub overdue_since: Option<Date>,
    pub last_completed: Option<Date>,
    pub version_done: String,
    pub in_date: bool,
}

impl Line {
    pub fn label(&self) -> &'static str {
        self.status.label()
    }
    pub fn tag_class(&self) -> &'static str {
        self.status.tag_class()
    }
    pub fn out_of_date(&self) -> bool {
        matches!(self.status, ItemStatus::Overdue | ItemStatus::Expired)
    }
    /// The date that matters for this status, in words: "since 1 March 2024", "due 5 May 2025".
    pub fn when(&self) -> String {
        match self.status {
            ItemStatus::Overdue | ItemStatus::Expired => match self.overdue_since {
                Some(d) => format!("since {}", format_date_long(d)),
                None => String::new(),
            },
            ItemStatus::AwaitingSignOff => match self.last_completed {
                Some(d) => format!("completed {}", format_date_long(d)),
                None => String::new(),
            },
            ItemStatus::SignedOff => match self.expires_on {
                Some(d) => format!("expires {}", format_date_long(d)),
                None => "no renewal needed".into(),
            },
            ItemStatus::DueSoon if self.expires_on.is_some() => {
                format!("expires {}", long(self.expires_on))
            }
            _ => match self.due_on {
                Some(d) => format!("due {}", format_date_long(d)),
                None => String::new(),
            },
        }
    }
    pub fn due_long(&self) -> String {
        long(self.due_on)
    }
    pub fn expires_long(&self) -> String {
        long(self.expires_on)
    }
    pub fn overdue_long(&self) -> String {
        long(self.overdue_since)
    }
    pub fn completed_long(&self) -> String {
        long(self.last_completed)
    }
}

/// One cell of the matrix.
pub(crate) struct Cell {
    pub label: &'static str,
    pub class: &'static str,
    pub when: String,
}

pub(crate) struct MatrixRow {
    pub staff_number: String,
    pub name: String,
    pub team: String,
    pub cells: Vec<Option<Cell>>,
}

/// The matrix: people (rows) who have at least one item matching the filters, by modules
/// (columns) that appear in the matching items. A cell shows the person's item whatever its
/// status, so the row reads whole; "not required" where the module is not in their plan.
pub(crate) struct Matrix {
    pub columns: Vec<(String, String)>,
    pub rows: Vec<MatrixRow>,
}

/// The one function behind the page, the list and both exports.
pub(crate) struct Built {
    pub lines: Vec<Line>,
    pub people: usize,
}

pub(crate) fn build(data: &Data, f: &Filters) -> Built {
    let lines = data.lines(f);
    let people = lines
        .iter()
        .map(|l| l.person_id)
        .collect::<HashSet<_>>()
        .len();
    Built { lines, people }
}

impl Built {
    fn matrix(&self, data: &Data) -> Matrix {
        let mut seen = HashSet::new();
        let mut columns: Vec<(i64, String, String)> = self
            .lines
            .iter()
            .filter(|l| seen.insert(l.module_id))
            .map(|l| (l.module_id, l.module_code.clone(), l.module_title.clone()))
            .collect();
        columns.sort_by(|a, b| a.2.cmp(&b.2).then(a.1.cmp(&b.1)));
        let by_key: HashMap<(i64, i64), &PlanItem> = data
            .items
            .iter()
            .map(|i| ((i.person_id, i.module_id), i))
            .collect();
        let mut seen_people = HashSet::new();
        let rows = self
            .lines
            .iter()
            .filter(|l| seen_people.insert(l.person_id))
            .map(|l| MatrixRow {
                staff_number: l.staff_number.clone(),
                name: l.name.clone(),
                team: l.team.clone(),
                cells: columns
                    .iter()
                    .map(|(m, _, _)| {
                        by_key
                            .get(&(l.person_id, *m))
                            .and_then(|i| data.line(i))
                            .map(|line| Cell {
                                label: line.label(),
                                class: line.tag_class(),
                                when: line.when(),
                            })
                    })
                    .collect(),
            })
            .collect();
        Matrix {
            columns: columns.into_iter().map(|(_, c, t)| (c, t)).collect(),
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mashboard_domain::training::ItemState;
    use mashboard_store::training::reports::OpenAssignment;
    use time::macros::date;

    fn person(id: i64, sn: &str, dept: &str, manager: Option<(i64, &str)>) -> Person {
        Person {
            id,
            staff_number: sn.into(),
            name: format!("Person {sn}"),
            rank: None,
            department: Some(dept.into()),
            team: Some("Team".into()),
            roles: String::new(),
            start_date: None,
            cohort: None,
            line_manager_id: manager.map(|m| m.0),
            mentor_id: None,
            line_manager_staff_number: manager.map(|m| m.1.to_string()),
            line_manager_name: manager.map(|m| format!("Manager {}", m.1)),
            mentor_staff_number: None,
            mentor_name: None,
            email: None,
            active: true,
            left_on: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn item(person_id: i64, module_id: i64, code: &str, status: ItemStatus) -> PlanItem {
        let in_date = matches!(status, ItemStatus::SignedOff);
        PlanItem {
            person_id,
            module_id,
            module_code: code.into(),
            module_title: format!("Module {code}"),
            module_version: "1.0".into(),
            profile_name: "Profile".into(),
            role_started_on: "2025-01-01".into(),
            due_rule: "days:30".into(),
            renewal_rule: "none".into(),
            latest_completion_id: None,
            latest_completed_on: None,
            latest_version: None,
            latest_status: None,
            latest_source: None,
            state: ItemState {
                status,
                due_on: Some(date!(2025 - 01 - 31)),
                expires_on: None,
                overdue_since: matches!(status, ItemStatus::Overdue)
                    .then_some(date!(2025 - 02 - 01)),
                in_date,
            },
        }
    }

    pub(super) fn data() -> Data {
        let people = [
            person(1, "A1", "Public Protection", Some((9, "M9"))),
            person(2, "B2", "Public Protection", Some((9, "M9"))),
            person(3, "C3", "Response", None),
        ];
        let assignment = |person_id, profile_id: i64, code: &str| OpenAssignment {
            person_id,
            profile_id,
            profile_code: code.into(),
            profile_name: format!("Profile {code}"),
        };
        Data {
            people: people.into_iter().map(|p| (p.id, p)).collect(),
            items: vec![
                item(1, 10, "RISK", ItemStatus::Overdue),
                item(1, 11, "IND", ItemStatus::SignedOff),
                item(2, 10, "RISK", ItemStatus::SignedOff),
                item(2, 11, "IND", ItemStatus::DueSoon),
                item(3, 20, "FL", ItemStatus::NotStarted),
            ],
            assignments: vec![
                assignment(1, 100, "MASH"),
                assignment(2, 100, "MASH"),
                assignment(3, 200, "FL"),
            ],
            profile_modules: [(100, vec![10, 11]), (200, vec![20])].into(),
            today: date!(2025 - 06 - 01),
        }
    }

    #[test]
    fn who_is_out_of_date_on_risk_and_since_when() {
        let d = data();
        let f = Filters::from_pairs(&[
            ("department".into(), "Public Protection".into()),
            ("module".into(), "risk".into()),
            ("status".into(), "out_of_date".into()),
        ]);
        let b = build(&d, &f);
        assert_eq!(b.people, 1);
        assert_eq!(b.lines.len(), 1);
        assert_eq!(b.lines[0].staff_number, "A1");
        assert_eq!(b.lines[0].when(), "since 1 February 2025");
        let m = b.matrix(&d);
        assert_eq!(
            m.columns,
            vec![("RISK".to_string(), "Module RISK".to_string())]
        );
        assert_eq!(m.rows.len(), 1);
        assert_eq!(m.rows[0].cells[0].as_ref().unwrap().label, "Overdue");
    }

    #[test]
    fn a_status_filter_picks_people_but_cells_show_their_real_state() {
        let d = data();
        let f = Filters::from_pairs(&[("status".into(), "overdue".into())]);
        let b = build(&d, &f);
        let m = b.matrix(&d);
        assert_eq!(m.rows.len(), 1);
        assert_eq!(m.columns.len(), 1, "only modules someone is overdue on");
        let f = Filters::from_pairs(&[("profile".into(), "mash".into())]);
        let m = build(&d, &f).matrix(&d);
        assert_eq!(m.rows.len(), 2);
        assert_eq!(m.columns.len(), 2);
        assert_eq!(m.rows[1].cells[0].as_ref().unwrap().label, "Due soon");
        // A person without a module in their plan shows "not required" (no cell).
        let m = build(&d, &Filters::default()).matrix(&d);
        assert_eq!(m.columns.len(), 3);
        assert!(m.rows.iter().any(|r| r.cells.iter().any(|c| c.is_none())));
    }

    #[test]
    fn unknown_statuses_do_not_filter_and_long_values_are_cut() {
        let f = Filters::from_pairs(&[
            ("status".into(), "nonsense".into()),
            ("team".into(), "x".repeat(500)),
        ]);
        assert_eq!(f.status, "");
        assert_eq!(f.team.len(), MAX_FILTER);
    }
}
