//! Training reports: the compliance matrix (people × required modules) with its list view and
//! CSV and Excel exports, the percentage in date by role profile and by department (with names
//! for those who may see them, without for senior leaders), reminders of what is due soon or out
//! of date, and a person's own training as a workbook for their development review.
//!
//! The page, the list and both exports are built by one function ([`build`]) from the plans the
//! store works out, so the numbers on the screen and in a download never disagree. Statuses,
//! dates and colours are the domain's (`ItemState`, `ItemStatus::label` and `tag_class`).

use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::export::{download, workbook, PdfWriter, Sheet, XCell, XLSX};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use mashboard_domain::access::{Capability, PeopleScope};
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::training::{format_minutes, ItemStatus};
use mashboard_store::audit::{self, Event};
use mashboard_store::people::{self, Person};
use mashboard_store::training::plans::{self, PlanItem};
use mashboard_store::training::reports::{self, OpenAssignment};
use mashboard_store::training::{completions, cpd, today};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{OwnTraining, TrainingRecords, TrainingSummary};
    t.get("/training/matrix", P(TrainingRecords), get(matrix))
        .get("/training/matrix.csv", P(TrainingRecords), get(matrix_csv))
        .get(
            "/training/matrix.xlsx",
            P(TrainingRecords),
            get(matrix_xlsx),
        )
        .get("/training/summary", P(TrainingSummary), get(summary))
        .get("/training/reminders", P(TrainingRecords), get(reminders))
        .get("/my/training.xlsx", P(OwnTraining), get(my_training_xlsx))
        .get("/my/training.pdf", P(OwnTraining), get(my_training_pdf))
}

const MATRIX_PER_PAGE: i64 = 100;
const LIST_PER_PAGE: i64 = 250;
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

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The data and the one function that builds every view of it

/// Plans of the people a user may see, with what the filters need to know about them.
pub(crate) struct Data {
    pub people: HashMap<i64, Person>,
    pub items: Vec<PlanItem>,
    pub assignments: Vec<OpenAssignment>,
    /// The modules each role profile requires.
    pub profile_modules: HashMap<i64, Vec<i64>>,
    pub today: Date,
}

impl Data {
    /// Loads the plans of active people in `scope`, as of today.
    async fn load(state: &AppState, scope: PeopleScope) -> Result<Data, AppError> {
        let today = today();
        let people: HashMap<i64, Person> = people::all(&state.store)
            .await?
            .into_iter()
            .filter(|p| p.active && people::in_scope(p, scope))
            .map(|p| (p.id, p))
            .collect();
        let items = plans::all_plans(&state.store, today)
            .await?
            .into_iter()
            .filter(|i| people.contains_key(&i.person_id))
            .collect();
        let assignments = reports::open_assignments(&state.store)
            .await?
            .into_iter()
            .filter(|a| people.contains_key(&a.person_id))
            .collect();
        let mut profile_modules: HashMap<i64, Vec<i64>> = HashMap::new();
        for pm in reports::profile_modules(&state.store).await? {
            profile_modules
                .entry(pm.profile_id)
                .or_default()
                .push(pm.module_id);
        }
        Ok(Data {
            people,
            items,
            assignments,
            profile_modules,
            today,
        })
    }

    fn profiles_of(&self, person_id: i64) -> impl Iterator<Item = &OpenAssignment> {
        self.assignments
            .iter()
            .filter(move |a| a.person_id == person_id)
    }

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
    pub fn lines(&self, f: &Filters) -> Vec<Line> {
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

    /// Percentage in date for each role profile: for everyone on the profile, each module it
    /// requires counts once.
    pub fn by_profile(&self) -> Vec<Rate> {
        let state: HashMap<(i64, i64), &PlanItem> = self
            .items
            .iter()
            .map(|i| ((i.person_id, i.module_id), i))
            .collect();
        let mut rates: Vec<Rate> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        let mut counted: HashSet<(i64, i64)> = HashSet::new();
        for a in &self.assignments {
            if !counted.insert((a.profile_id, a.person_id)) {
                continue;
            }
            let at = *index.entry(a.profile_id).or_insert_with(|| {
                rates.push(Rate::new(&a.profile_name));
                rates.len() - 1
            });
            let r = &mut rates[at];
            r.people += 1;
            for m in self
                .profile_modules
                .get(&a.profile_id)
                .into_iter()
                .flatten()
            {
                if let Some(i) = state.get(&(a.person_id, *m)) {
                    r.add(i.state.status, i.state.in_date);
                }
            }
        }
        rates
    }

    /// Percentage in date for each department (people without one are grouped together).
    pub fn by_department(&self) -> Vec<Rate> {
        let mut map: BTreeMap<String, (HashSet<i64>, Rate)> = BTreeMap::new();
        for i in &self.items {
            let Some(p) = self.people.get(&i.person_id) else {
                continue;
            };
            let dept = p
                .department
                .clone()
                .unwrap_or_else(|| "No department recorded".into());
            let (people, r) = map
                .entry(dept.clone())
                .or_insert_with(|| (HashSet::new(), Rate::new(&dept)));
            if people.insert(p.id) {
                r.people += 1;
            }
            r.add(i.state.status, i.state.in_date);
        }
        map.into_values().map(|(_, r)| r).collect()
    }

    /// Everyone's items together.
    pub fn overall(&self) -> Rate {
        let mut r = Rate::new("All plans");
        r.people = self
            .items
            .iter()
            .map(|i| i.person_id)
            .collect::<HashSet<_>>()
            .len();
        for i in &self.items {
            r.add(i.state.status, i.state.in_date);
        }
        r
    }
}

/// One required module of one person, as the list view and the exports show it.
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

/// Required items in date for a group of people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rate {
    pub label: String,
    pub people: usize,
    pub required: usize,
    pub in_date: usize,
    /// Overdue or expired.
    pub out_of_date: usize,
    pub due_soon: usize,
}

impl Rate {
    fn new(label: &str) -> Rate {
        Rate {
            label: label.to_string(),
            people: 0,
            required: 0,
            in_date: 0,
            out_of_date: 0,
            due_soon: 0,
        }
    }
    fn add(&mut self, status: ItemStatus, in_date: bool) {
        self.required += 1;
        if in_date {
            self.in_date += 1;
        }
        match status {
            ItemStatus::Overdue | ItemStatus::Expired => self.out_of_date += 1,
            ItemStatus::DueSoon => self.due_soon += 1,
            _ => {}
        }
    }
    /// "66.7%", or "none required" when there is nothing to count.
    pub fn percent(&self) -> String {
        match self.fraction() {
            Some(f) => format!("{:.1}%", f * 100.0),
            None => "No items".into(),
        }
    }
    fn fraction(&self) -> Option<f64> {
        (self.required > 0).then(|| self.in_date as f64 / self.required as f64)
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

// ---------------------------------------------------------------------------------------------
// The matrix page

#[derive(Template)]
#[template(path = "matrix/matrix_page.html")]
struct MatrixPage {
    chrome: Chrome,
    f: Filters,
    list_view: bool,
    facets: people::Facets,
    profiles: Vec<(String, String)>,
    modules: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    rates: Vec<Rate>,
    overall: Rate,
    people: usize,
    items: usize,
    matrix: Matrix,
    lines: Vec<Line>,
    pager: Pager,
    scoped: bool,
    query: String,
    today: String,
}

impl MatrixPage {
    fn view_href(&self, list: bool) -> String {
        let mut pairs = self.f.pairs();
        if list {
            pairs.push(("view", "list"));
        }
        let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if q.is_empty() {
            "/training/matrix".into()
        } else {
            format!("/training/matrix?{q}")
        }
    }
    fn download_href(&self, ext: &str) -> String {
        if self.query.is_empty() {
            format!("/training/matrix.{ext}")
        } else {
            format!("/training/matrix.{ext}?{}", self.query)
        }
    }
}

pub async fn matrix(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let f = Filters::from_pairs(&pairs);
    let list_view = pairs.iter().any(|(k, v)| k == "view" && v == "list");
    let page_no: Option<i64> = pairs
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok());
    let scope = page.user.people_scope();
    let data = Data::load(&state, scope).await?;
    let built = build(&data, &f);
    let query = f.query_string();
    let base = if list_view {
        if query.is_empty() {
            "view=list".to_string()
        } else {
            format!("{query}&view=list")
        }
    } else {
        query.clone()
    };
    let (matrix, lines, pager) = if list_view {
        let pager = Pager::new(page_no, LIST_PER_PAGE, built.lines.len() as i64, base);
        let lines: Vec<Line> = built
            .lines
            .iter()
            .skip(pager.offset() as usize)
            .take(LIST_PER_PAGE as usize)
            .cloned()
            .collect();
        (
            Matrix {
                columns: Vec::new(),
                rows: Vec::new(),
            },
            lines,
            pager,
        )
    } else {
        let mut m = built.matrix(&data);
        let pager = Pager::new(page_no, MATRIX_PER_PAGE, m.rows.len() as i64, base);
        m.rows = m
            .rows
            .into_iter()
            .skip(pager.offset() as usize)
            .take(MATRIX_PER_PAGE as usize)
            .collect();
        (m, Vec::new(), pager)
    };
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "matrix.view",
            format!(
                "Viewed the compliance matrix ({} people, {} items; {})",
                built.people,
                built.lines.len(),
                f.describe()
            ),
        )
        .after(&serde_json::json!({ "filters": query, "view": if list_view { "list" } else { "matrix" }, "page": pager.page })),
    )
    .await?;
    html(&MatrixPage {
        chrome: Chrome::new(
            &state,
            "Compliance matrix",
            Some(&page.user),
            &page.csrf,
            "/training/matrix",
        ),
        list_view,
        facets: people::facets(&state.store).await?,
        profiles: data.profiles(),
        modules: data.modules(),
        statuses: status_choices(),
        rates: data.by_profile(),
        overall: data.overall(),
        people: built.people,
        items: built.lines.len(),
        matrix,
        lines,
        pager,
        scoped: scope != PeopleScope::All,
        query,
        today: format_date_long(data.today),
        f,
    })
}

// ---------------------------------------------------------------------------------------------
// Exports

const LINE_HEADER: [&str; 19] = [
    "Staff number",
    "Name",
    "Department",
    "Team",
    "Cohort",
    "Line manager",
    "Role profiles",
    "Module code",
    "Module",
    "Status",
    "In date",
    "Due",
    "Expires",
    "Overdue since",
    "Last completed",
    "Version completed",
    "Current version",
    "Status code",
    "Checked on",
];

fn text(s: impl Into<String>) -> XCell {
    XCell::Text(s.into())
}

fn line_cells(l: &Line, today: Date) -> Vec<XCell> {
    vec![
        text(&l.staff_number),
        text(&l.name),
        text(&l.department),
        text(&l.team),
        text(&l.cohort),
        text(&l.line_manager),
        text(&l.profiles),
        text(&l.module_code),
        text(&l.module_title),
        text(l.label()),
        text(if l.in_date { "Yes" } else { "No" }),
        XCell::Date(l.due_on),
        XCell::Date(l.expires_on),
        XCell::Date(l.overdue_since),
        XCell::Date(l.last_completed),
        text(&l.version_done),
        text(&l.current_version),
        text(l.status.as_str()),
        XCell::Date(Some(today)),
    ]
}

async fn export_data(
    state: &AppState,
    user: &CurrentUser,
    raw: Option<&str>,
    format: &str,
) -> Result<(Data, Filters, Built), AppError> {
    let f = Filters::from_pairs(&query_pairs(raw));
    let data = Data::load(state, user.people_scope()).await?;
    let built = build(&data, &f);
    audit::record(
        &state.store,
        &user.actor(),
        Event::new(
            "matrix.export",
            format!(
                "Exported the compliance matrix as {format} ({} people, {} items; {})",
                built.people,
                built.lines.len(),
                f.describe()
            ),
        )
        .after(&serde_json::json!({ "filters": f.query_string(), "format": format })),
    )
    .await?;
    Ok((data, f, built))
}

pub async fn matrix_csv(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (data, _, built) = export_data(&state, &page.user, raw.as_deref(), "CSV").await?;
    let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(LINE_HEADER).map_err(csv_err)?;
    for l in &built.lines {
        out.write_record(line_cells(l, data.today).iter().map(XCell::csv))
            .map_err(csv_err)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("training-matrix-{}.csv", iso(Some(data.today))),
        body,
    ))
}

fn rate_sheet(name: &'static str, first: &'static str, rates: &[Rate]) -> Sheet {
    Sheet {
        name,
        header: vec![
            first,
            "People",
            "Required items",
            "In date",
            "Percentage in date",
            "Overdue or expired",
            "Due soon",
        ],
        rows: rates
            .iter()
            .map(|r| {
                vec![
                    text(&r.label),
                    XCell::Number(r.people as f64),
                    XCell::Number(r.required as f64),
                    XCell::Number(r.in_date as f64),
                    match r.fraction() {
                        Some(f) => XCell::Number((f * 1000.0).round() / 10.0),
                        None => text(""),
                    },
                    XCell::Number(r.out_of_date as f64),
                    XCell::Number(r.due_soon as f64),
                ]
            })
            .collect(),
    }
}

pub async fn matrix_xlsx(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (data, f, built) = export_data(&state, &page.user, raw.as_deref(), "Excel").await?;
    let about = Sheet {
        name: "About",
        header: vec!["Item", "Value"],
        rows: vec![
            vec![text("Report"), text("Compliance matrix")],
            vec![text("Checked on"), XCell::Date(Some(data.today))],
            vec![text("Exported by"), text(&page.user.username)],
            vec![text("Filters"), text(f.describe())],
            vec![text("People"), XCell::Number(built.people as f64)],
            vec![text("Items"), XCell::Number(built.lines.len() as f64)],
            vec![
                text("In date"),
                text("A signed-off completion that has not expired. Only signed-off work counts."),
            ],
        ],
    };
    let body = workbook(&[
        Sheet {
            name: "Training items",
            header: LINE_HEADER.to_vec(),
            rows: built
                .lines
                .iter()
                .map(|l| line_cells(l, data.today))
                .collect(),
        },
        rate_sheet("By role profile", "Role profile", &data.by_profile()),
        about,
    ])?;
    Ok(download(
        XLSX,
        &format!("training-matrix-{}.xlsx", iso(Some(data.today))),
        body,
    ))
}

// ---------------------------------------------------------------------------------------------
// Figures without names

#[derive(Template)]
#[template(path = "matrix/matrix_summary.html")]
struct SummaryPage {
    chrome: Chrome,
    by_profile: Vec<Rate>,
    by_department: Vec<Rate>,
    overall: Rate,
    today: String,
}

pub async fn summary(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingSummary>,
) -> Result<Response, AppError> {
    // Aggregates of everyone: no names are shown, so the directory scope does not apply.
    let data = Data::load(&state, PeopleScope::All).await?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.summary_view",
            "Viewed the training figures by role profile and department",
        ),
    )
    .await?;
    html(&SummaryPage {
        chrome: Chrome::new(
            &state,
            "Training in date",
            Some(&page.user),
            &page.csrf,
            "/training/summary",
        ),
        by_profile: data.by_profile(),
        by_department: data.by_department(),
        overall: data.overall(),
        today: format_date_long(data.today),
    })
}

// ---------------------------------------------------------------------------------------------
// Reminders

/// What one person owes.
pub(crate) struct Owing {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub line_manager: String,
    pub lines: Vec<Line>,
}

impl Owing {
    fn out_of_date(&self) -> usize {
        self.lines.iter().filter(|l| l.out_of_date()).count()
    }
}

/// What the people of one line manager owe.
pub(crate) struct ManagerOwing {
    pub manager: String,
    pub people: usize,
    pub out_of_date: usize,
    pub due_soon: usize,
}

/// Items due soon or out of date (overdue or expired), most urgent first within each person.
fn reminder_lines(data: &Data) -> Vec<Line> {
    data.items
        .iter()
        .filter(|i| {
            matches!(
                i.state.status,
                ItemStatus::DueSoon | ItemStatus::Overdue | ItemStatus::Expired
            )
        })
        .filter_map(|i| data.line(i))
        .collect()
}

fn group_reminders(data: &Data, lines: Vec<Line>) -> (Vec<Owing>, Vec<ManagerOwing>) {
    let mut owing: Vec<Owing> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    for l in lines {
        let i = *at.entry(l.person_id).or_insert_with(|| {
            owing.push(Owing {
                person_id: l.person_id,
                staff_number: l.staff_number.clone(),
                name: l.name.clone(),
                line_manager: l.line_manager.clone(),
                lines: Vec::new(),
            });
            owing.len() - 1
        });
        owing[i].lines.push(l);
    }
    for o in &mut owing {
        o.lines.sort_by_key(|l| {
            (
                !l.out_of_date(),
                l.overdue_since.or(l.due_on).or(l.expires_on),
            )
        });
    }
    let mut managers: BTreeMap<String, ManagerOwing> = BTreeMap::new();
    for o in &owing {
        let person = data.people.get(&o.person_id);
        let manager = match person.and_then(|p| p.line_manager_name.clone()) {
            Some(name) => {
                let sn = person
                    .and_then(|p| p.line_manager_staff_number.clone())
                    .unwrap_or_default();
                format!("{name} ({sn})")
            }
            None => "No line manager recorded".into(),
        };
        let m = managers
            .entry(manager.clone())
            .or_insert_with(|| ManagerOwing {
                manager,
                people: 0,
                out_of_date: 0,
                due_soon: 0,
            });
        m.people += 1;
        m.out_of_date += o.out_of_date();
        m.due_soon += o.lines.len() - o.out_of_date();
    }
    (owing, managers.into_values().collect())
}

#[derive(Template)]
#[template(path = "matrix/matrix_reminders.html")]
struct RemindersPage {
    chrome: Chrome,
    owing: Vec<Owing>,
    managers: Vec<ManagerOwing>,
    total: usize,
    out_of_date: usize,
    due_soon: usize,
    scoped: bool,
    due_soon_days: i64,
}

/// How many items the people a user may see have due soon or out of date: the in-app notice
/// count (for the home page or the navigation).
pub async fn notice_count(state: &AppState, user: &CurrentUser) -> Result<usize, AppError> {
    if !user.can(Capability::TrainingRecords) {
        return Ok(0);
    }
    let data = Data::load(state, user.people_scope()).await?;
    Ok(reminder_lines(&data).len())
}

pub async fn reminders(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
) -> Result<Response, AppError> {
    let scope = page.user.people_scope();
    let data = Data::load(&state, scope).await?;
    let lines = reminder_lines(&data);
    let total = lines.len();
    let out_of_date = lines.iter().filter(|l| l.out_of_date()).count();
    let (owing, managers) = group_reminders(&data, lines);
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.reminders_view",
            format!(
                "Viewed training reminders ({total} items for {} people)",
                owing.len()
            ),
        ),
    )
    .await?;
    html(&RemindersPage {
        chrome: Chrome::new(
            &state,
            "Training reminders",
            Some(&page.user),
            &page.csrf,
            "/training/reminders",
        ),
        owing,
        managers,
        total,
        out_of_date,
        due_soon: total - out_of_date,
        scoped: scope != PeopleScope::All,
        due_soon_days: plans::DUE_SOON_DAYS,
    })
}

// ---------------------------------------------------------------------------------------------
// My training, as a workbook

pub async fn my_training_xlsx(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
) -> Result<Response, AppError> {
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory, so there is no training record to download. Ask an administrator to link your account to your staff number.".into(),
        ));
    };
    let person = people::get_by_id(&state.store, person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = today();
    let plan = plans::plan_of(&state.store, person_id, today).await?;
    let done = completions::of_person(&state.store, person_id).await?;
    let entries = cpd::of_person(&state.store, person_id).await?;
    let plan_sheet = Sheet {
        name: "Plan",
        header: vec![
            "Module code",
            "Module",
            "Role profile",
            "Status",
            "In date",
            "Due",
            "Expires",
            "Overdue since",
            "Last completed",
            "Version completed",
            "Current version",
        ],
        rows: plan
            .iter()
            .map(|i| {
                vec![
                    text(&i.module_code),
                    text(&i.module_title),
                    text(&i.profile_name),
                    text(i.state.status.label()),
                    text(if i.state.in_date { "Yes" } else { "No" }),
                    XCell::Date(i.state.due_on),
                    XCell::Date(i.state.expires_on),
                    XCell::Date(i.state.overdue_since),
                    XCell::Date(stored_date(i.latest_completed_on.as_deref())),
                    text(i.latest_version.clone().unwrap_or_default()),
                    text(&i.module_version),
                ]
            })
            .collect(),
    };
    let status_words = |s: &str| match s {
        "signed_off" => "Signed off",
        "awaiting_sign_off" => "Awaiting sign-off",
        "reopened" => "Reopened, awaiting sign-off",
        _ => "Other",
    };
    let done_sheet = Sheet {
        name: "Completions",
        header: vec![
            "Completed on",
            "Module code",
            "Module",
            "Version",
            "How",
            "Trainer",
            "Status",
            "Source",
            "Notes",
            "Evidence link",
        ],
        rows: done
            .iter()
            .map(|c| {
                vec![
                    XCell::Date(stored_date(Some(&c.completed_on))),
                    text(&c.module_code),
                    text(&c.module_title),
                    text(&c.module_version),
                    text(
                        c.mode
                            .parse::<mashboard_domain::training::CompletionMode>()
                            .map(|m| m.label().to_string())
                            .unwrap_or_else(|_| c.mode.clone()),
                    ),
                    text(&c.trainer),
                    text(status_words(&c.status)),
                    text(if c.source == "imported" {
                        "Imported from a spreadsheet"
                    } else {
                        "Recorded in mashboard"
                    }),
                    text(&c.notes),
                    text(&c.evidence_url),
                ]
            })
            .collect(),
    };
    let cpd_sheet = Sheet {
        name: "CPD",
        header: vec![
            "Date",
            "Topic",
            "Kind",
            "Time",
            "Minutes",
            "Status",
            "What I learned",
            "Evidence link",
            "Manager's comment",
            "Counts against module",
        ],
        rows: entries
            .iter()
            .map(|e| {
                let minutes = u32::try_from(e.minutes).unwrap_or(0);
                vec![
                    XCell::Date(stored_date(Some(&e.done_on))),
                    text(&e.topic),
                    text(
                        e.kind
                            .parse::<mashboard_domain::training::CpdKind>()
                            .map(|k| k.label().to_string())
                            .unwrap_or_else(|_| e.kind.clone()),
                    ),
                    text(format_minutes(minutes)),
                    XCell::Number(f64::from(minutes)),
                    text(crate::cpd::status_label(&e.status)),
                    text(&e.learning),
                    text(&e.evidence_url),
                    text(&e.review_comment),
                    text(e.counts_for_module.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    };
    let body = workbook(&[plan_sheet, done_sheet, cpd_sheet])?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.own_export",
            format!(
                "Downloaded own training record as Excel ({} plan items, {} completions, {} CPD entries)",
                plan.len(),
                done.len(),
                entries.len()
            ),
        )
        .on("person", &person.staff_number),
    )
    .await?;
    Ok(download(
        XLSX,
        &format!("training-{}-{}.xlsx", person.staff_number, iso(Some(today))),
        body,
    ))
}

// ---------------------------------------------------------------------------------------------
// My training, as a PDF

pub async fn my_training_pdf(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
) -> Result<Response, AppError> {
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory, so there is no training record to download. Ask an administrator to link your account to your staff number.".into(),
        ));
    };
    let person = people::get_by_id(&state.store, person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = today();
    let plan = plans::plan_of(&state.store, person_id, today).await?;
    let done = completions::of_person(&state.store, person_id).await?;
    let entries = cpd::of_person(&state.store, person_id).await?;
    let title = format!("Training record: {} ({})", person.name, person.staff_number);
    let mut w = PdfWriter::new(format!(
        "{} - {} - {}",
        state.config.force_name,
        title,
        format_date_long(today)
    ));
    w.line(true, 16.0, &title);
    w.line(
        false,
        9.0,
        &format!(
            "{}{}. Produced on {} for a development review. In date means a signed-off completion that has not expired: only signed-off work counts.",
            person.department.as_deref().unwrap_or("No department recorded"),
            person
                .team
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default(),
            format_date_long(today)
        ),
    );
    w.gap(8.0);
    w.line(true, 12.0, "Plan");
    if plan.is_empty() {
        w.line(
            false,
            9.0,
            "No required training: not assigned to a role profile.",
        );
    } else {
        let rows: Vec<(Vec<String>, String)> = plan
            .iter()
            .map(|i| {
                (
                    vec![
                        format!("{} ({})", i.module_title, i.module_code),
                        i.state.status.label().to_string(),
                        long(i.state.due_on),
                        long(i.state.overdue_since),
                        long(stored_date(i.latest_completed_on.as_deref())),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[175.0, 78.0, 86.0, 86.0, 86.0],
            &["Module", "Status", "Due", "Late since", "Last completed"],
            &rows,
        );
    }
    w.gap(8.0);
    w.line(true, 12.0, "Completions");
    if done.is_empty() {
        w.line(false, 9.0, "No completions recorded.");
    } else {
        let rows: Vec<(Vec<String>, String)> = done
            .iter()
            .map(|c| {
                (
                    vec![
                        long(stored_date(Some(&c.completed_on))),
                        format!("{} ({})", c.module_title, c.module_code),
                        c.module_version.clone(),
                        match c.status.as_str() {
                            "signed_off" if c.source == "imported" => "Signed off (imported)",
                            "signed_off" => "Signed off",
                            "reopened" => "Reopened",
                            _ => "Awaiting sign-off",
                        }
                        .to_string(),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[86.0, 250.0, 50.0, 125.0],
            &["Completed on", "Module", "Version", "Status"],
            &rows,
        );
    }
    w.gap(8.0);
    w.line(true, 12.0, "CPD");
    if entries.is_empty() {
        w.line(false, 9.0, "No CPD logged.");
    } else {
        let rows: Vec<(Vec<String>, String)> = entries
            .iter()
            .map(|e| {
                let mut note = e.learning.clone();
                if !e.review_comment.is_empty() {
                    note = format!("{note} Manager's comment: {}", e.review_comment);
                }
                (
                    vec![
                        long(stored_date(Some(&e.done_on))),
                        e.topic.clone(),
                        format_minutes(u32::try_from(e.minutes).unwrap_or(0)),
                        crate::cpd::status_label(&e.status).to_string(),
                    ],
                    note,
                )
            })
            .collect();
        w.table(
            &[86.0, 215.0, 95.0, 115.0],
            &["Date", "Topic and what was learned", "Time", "Status"],
            &rows,
        );
    }
    let body = w.finish(&title);
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.own_export",
            format!(
                "Downloaded own training record as PDF ({} plan items, {} completions, {} CPD entries)",
                plan.len(),
                done.len(),
                entries.len()
            ),
        )
        .on("person", &person.staff_number),
    )
    .await?;
    Ok(download(
        "application/pdf",
        &format!("training-{}-{}.pdf", person.staff_number, iso(Some(today))),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mashboard_domain::training::ItemState;
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

    fn data() -> Data {
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

    #[test]
    fn percentages_by_profile_and_department() {
        let d = data();
        let p = d.by_profile();
        assert_eq!(p.len(), 2);
        let mash = p.iter().find(|r| r.label == "Profile MASH").unwrap();
        assert_eq!((mash.people, mash.required, mash.in_date), (2, 4, 2));
        assert_eq!(mash.percent(), "50.0%");
        assert_eq!(mash.out_of_date, 1);
        let fl = p.iter().find(|r| r.label == "Profile FL").unwrap();
        assert_eq!(fl.percent(), "0.0%");
        let depts = d.by_department();
        assert_eq!(depts[0].label, "Public Protection");
        assert_eq!(depts[0].people, 2);
        assert_eq!(depts[1].label, "Response");
        assert_eq!(d.overall().required, 5);
        assert_eq!(Rate::new("x").percent(), "No items");
    }

    #[test]
    fn reminders_group_by_person_and_manager() {
        let d = data();
        let lines = reminder_lines(&d);
        assert_eq!(lines.len(), 2);
        let (owing, managers) = group_reminders(&d, lines);
        assert_eq!(owing.len(), 2);
        assert_eq!(managers.len(), 1);
        assert_eq!(managers[0].manager, "Manager M9 (M9)");
        assert_eq!((managers[0].out_of_date, managers[0].due_soon), (1, 1));
    }
}
