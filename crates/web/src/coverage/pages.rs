//! Coverage of delivery requirements in the browser: the requirements with their headline
//! figures as of any day, one requirement's breakdown (by department, team, cohort, rank and
//! role profile) with filters and the list of untrained people (booked or not) that a trainer or
//! line manager can book onto a session in one step, CSV and Excel exports, and the form that
//! creates or edits a requirement.
//!
//! Scope: trainers and administrators see everyone; a line manager sees only the people they
//! line-manage (names included); a senior leader sees the figures for everyone but no names
//! (no untrained list, exports of figures only). Every view that names people is audited.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::{workbook, Sheet, XCell};
use crate::form::{field_str, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::{Capability, PeopleScope};
use mashboard_domain::coverage::{
    Clause, CountsAs, Dimension, Filter, Rule, Standing, Tally, TrainedHow, Transferees,
};
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::Role;
use mashboard_store::delivery::coverage::{self as store, Report, Requirement, RequirementInput};
use mashboard_store::training::{catalogue, today};
use mashboard_store::{Store, StoreError};
use std::collections::HashSet;
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{CoverageView as View, SessionsManage as Manage};
    t.get("/coverage", P(View), get(list))
        .get("/coverage/new", P(Manage), get(new_form))
        .post("/coverage/new", P(Manage), post(create))
        .get("/coverage/{id}", P(View), get(show))
        .get("/coverage/{id}/export.csv", P(View), get(export_csv))
        .get("/coverage/{id}/export.xlsx", P(View), get(export_xlsx))
        .get("/coverage/{id}/edit", P(Manage), get(edit_form))
        .post("/coverage/{id}/edit", P(Manage), post(update))
        .post("/coverage/{id}/active", P(Manage), post(set_active))
}

// ---------------------------------------------------------------------------------------------
// Scope, shared with the API

/// How much of the force a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViewerScope {
    /// Everyone, with names (trainers, administrators).
    All,
    /// Only the people they line-manage, with names.
    LineReports,
    /// Everyone's figures, nobody's name (senior leaders).
    FiguresOnly,
}

pub(crate) struct Scope {
    pub kind: ViewerScope,
    pub names: bool,
    only: Option<HashSet<i64>>,
}

impl Scope {
    /// The filter for this viewer, on top of a page's own filters.
    pub(crate) fn filter(&self, mut f: Filter) -> Filter {
        f.only = self.only.clone();
        f
    }
}

pub(crate) async fn viewer_scope(store: &Store, user: &CurrentUser) -> Result<Scope, StoreError> {
    if user.people_scope() == PeopleScope::All {
        return Ok(Scope {
            kind: ViewerScope::All,
            names: true,
            only: None,
        });
    }
    if user.roles.contains(&Role::LineManager) {
        let only = match user.person_id {
            Some(me) => store::line_reports(store, me).await?,
            None => HashSet::new(),
        };
        return Ok(Scope {
            kind: ViewerScope::LineReports,
            names: true,
            only: Some(only),
        });
    }
    Ok(Scope {
        kind: ViewerScope::FiguresOnly,
        names: false,
        only: None,
    })
}

/// `as_of` from a query: empty means today; ISO or UK style.
pub(crate) fn parse_as_of(raw: Option<&str>) -> Result<Date, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(today()),
        Some(s) => parse_date(s),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn pairs_of(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

async fn load_requirement(state: &AppState, id: &str) -> Result<Requirement, AppError> {
    store::requirement(&state.store, path_id(id)?)
        .await?
        .ok_or(AppError::NotFound)
}

fn iso(d: Date) -> String {
    d.to_string()
}

/// One row of a breakdown table.
struct GroupRow {
    name: String,
    required: usize,
    trained: usize,
    booked: usize,
    untrained: usize,
    percent: String,
    /// Link to the same page filtered to this group (empty for role profiles).
    href: String,
}

struct Breakdown {
    key: &'static str,
    label: &'static str,
    rows: Vec<GroupRow>,
}

struct HowRow {
    label: &'static str,
    count: usize,
}

struct UntrainedRow {
    staff_number: String,
    name: String,
    department: String,
    team: String,
    cohort: String,
    rank: String,
    booked: String,
}

struct SessionChoice {
    id: i64,
    label: String,
}

// ---------------------------------------------------------------------------------------------
// The list

struct RequirementRow {
    id: i64,
    name: String,
    who: Vec<String>,
    modules: String,
    total: Tally,
    percent: String,
}

#[derive(Template)]
#[template(path = "coverage/coverage_list.html")]
struct ListPage {
    chrome: Chrome,
    form: FormState,
    as_of_long: String,
    as_of_query: String,
    rows: Vec<RequirementRow>,
    retired: Vec<RequirementRow>,
    manage: bool,
    scope_note: String,
}

fn scope_note(kind: ViewerScope) -> String {
    match kind {
        ViewerScope::All => String::new(),
        ViewerScope::LineReports => {
            "These figures count only the people you line-manage.".into()
        }
        ViewerScope::FiguresOnly => {
            "You see the figures for the whole force; lists of named people are for trainers and line managers.".into()
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = pairs_of(raw.as_deref());
    let mut form = FormState::default();
    form.set("as_of", field_str(&pairs, "as_of"));
    let as_of = match parse_as_of(Some(field_str(&pairs, "as_of"))) {
        Ok(d) => d,
        Err(m) => {
            form.add_error("as_of", m);
            today()
        }
    };
    let manage = page.user.can(Capability::SessionsManage);
    let scope = viewer_scope(&state.store, &page.user).await?;
    let all = store::requirements(&state.store, manage).await?;
    let mut rows = Vec::new();
    let mut retired = Vec::new();
    for r in &all {
        let total = if r.active {
            store::compute(&state.store, r, as_of, &scope.filter(Filter::default()))
                .await?
                .coverage
                .total
        } else {
            Tally::default()
        };
        let row = RequirementRow {
            id: r.id,
            name: r.name.clone(),
            who: r.rule.describe(),
            modules: r
                .modules
                .iter()
                .map(|m| format!("{} ({})", m.code, m.counts_as.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            percent: total.percent_text(),
            total,
        };
        if r.active {
            rows.push(row);
        } else {
            retired.push(row);
        }
    }
    let has_errors = form.has_errors();
    let as_of_query = if field_str(&pairs, "as_of").is_empty() || has_errors {
        String::new()
    } else {
        format!("?as_of={}", iso(as_of))
    };
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Coverage",
            Some(&page.user),
            &page.csrf,
            "/coverage",
        )
        .with_errors(has_errors),
        form,
        as_of_long: format_date_long(as_of),
        as_of_query,
        rows,
        retired,
        manage,
        scope_note: scope_note(scope.kind),
    })
}

// ---------------------------------------------------------------------------------------------
// One requirement

#[derive(Template)]
#[template(path = "coverage/coverage_show.html")]
struct ShowPage {
    chrome: Chrome,
    form: FormState,
    id: i64,
    name: String,
    description: String,
    who: Vec<String>,
    modules: Vec<String>,
    as_of_long: String,
    total: Tally,
    percent: String,
    how: Vec<HowRow>,
    breakdowns: Vec<Breakdown>,
    departments: Vec<String>,
    teams: Vec<String>,
    cohorts: Vec<String>,
    ranks: Vec<String>,
    filtered: bool,
    filter_words: String,
    names: bool,
    untrained: Vec<UntrainedRow>,
    sessions: Vec<SessionChoice>,
    book_action: String,
    return_to: String,
    export_query: String,
    manage: bool,
    scope_note: String,
}

impl ShowPage {
    fn selected(&self, name: &str, value: &str) -> bool {
        self.form.value(name).eq_ignore_ascii_case(value)
    }
}

struct Query {
    as_of: Date,
    filter: Filter,
    form: FormState,
}

fn read_query(raw: Option<&str>) -> Query {
    let pairs = pairs_of(raw);
    let mut form = FormState::default();
    for k in ["as_of", "department", "team", "cohort", "rank"] {
        form.set(k, field_str(&pairs, k));
    }
    let as_of = match parse_as_of(Some(field_str(&pairs, "as_of"))) {
        Ok(d) => d,
        Err(m) => {
            form.add_error("as_of", m);
            today()
        }
    };
    let filter = Filter {
        department: opt(field_str(&pairs, "department")),
        team: opt(field_str(&pairs, "team")),
        cohort: opt(field_str(&pairs, "cohort")),
        rank: opt(field_str(&pairs, "rank")),
        only: None,
    };
    Query {
        as_of,
        filter,
        form,
    }
}

fn query_string(q: &Query) -> String {
    let mut v: Vec<(&str, String)> = Vec::new();
    if !q.form.value("as_of").is_empty() && !q.form.has_errors() {
        v.push(("as_of", iso(q.as_of)));
    }
    for (k, val) in [
        ("department", &q.filter.department),
        ("team", &q.filter.team),
        ("cohort", &q.filter.cohort),
        ("rank", &q.filter.rank),
    ] {
        if let Some(val) = val {
            v.push((k, val.clone()));
        }
    }
    serde_urlencoded::to_string(&v).unwrap_or_default()
}

fn breakdowns(id: i64, report: &Report, q: &Query) -> Vec<Breakdown> {
    Dimension::ALL
        .iter()
        .map(|d| {
            let rows = report
                .coverage
                .breakdown(*d)
                .iter()
                .map(|(name, t)| {
                    let href = match d {
                        Dimension::RoleProfile => String::new(),
                        _ => {
                            let mut v: Vec<(&str, String)> = vec![(d.key(), name.clone())];
                            if !q.form.value("as_of").is_empty() && !q.form.has_errors() {
                                v.push(("as_of", iso(q.as_of)));
                            }
                            format!(
                                "/coverage/{id}?{}",
                                serde_urlencoded::to_string(&v).unwrap_or_default()
                            )
                        }
                    };
                    GroupRow {
                        name: name.clone(),
                        required: t.required,
                        trained: t.trained,
                        booked: t.booked,
                        untrained: t.untrained(),
                        percent: t.percent_text(),
                        href,
                    }
                })
                .collect();
            Breakdown {
                key: d.key(),
                label: d.label(),
                rows,
            }
        })
        .collect()
}

fn untrained_rows(report: &Report) -> Vec<UntrainedRow> {
    report
        .untrained()
        .into_iter()
        .map(|(p, o)| UntrainedRow {
            staff_number: p.staff_number.clone(),
            name: p.name.clone(),
            department: p.department.clone().unwrap_or_default(),
            team: p.team.clone().unwrap_or_default(),
            cohort: p.cohort.clone().unwrap_or_default(),
            rank: p.rank.clone().unwrap_or_default(),
            booked: match o.standing {
                Standing::Booked { starts_on, .. } => {
                    format!("Yes, {}", format_date_long(starts_on))
                }
                _ => "No".into(),
            },
        })
        .collect()
}

fn session_label(s: &store::SessionOption) -> String {
    let when = s
        .starts_at
        .get(..10)
        .and_then(mashboard_domain::coverage::parse_ymd)
        .map(format_date_long)
        .unwrap_or_else(|| s.starts_at.clone());
    let time = s.starts_at.get(11..16).unwrap_or("");
    let mode = if s.mode == "teams" {
        "Teams"
    } else {
        "in person"
    };
    format!(
        "{when} {time} UTC, {} ({mode}), {} of {} places taken",
        s.title, s.enrolled, s.capacity
    )
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let req = load_requirement(&state, &id).await?;
    let q = read_query(raw.as_deref());
    let scope = viewer_scope(&state.store, &page.user).await?;
    // The choices for the filters come from everyone in the viewer's scope.
    let whole = store::compute(
        &state.store,
        &req,
        q.as_of,
        &scope.filter(Filter::default()),
    )
    .await?;
    let filtered = q.filter.department.is_some()
        || q.filter.team.is_some()
        || q.filter.cohort.is_some()
        || q.filter.rank.is_some();
    let report = if filtered {
        store::compute(&state.store, &req, q.as_of, &scope.filter(q.filter.clone())).await?
    } else {
        whole.clone()
    };
    let keys =
        |d: Dimension| -> Vec<String> { whole.coverage.breakdown(d).keys().cloned().collect() };
    let c = &report.coverage;
    let untrained = if scope.names {
        let rows = untrained_rows(&report);
        store::record_view(
            &state.store,
            &page.user.actor(),
            &req,
            "the untrained list",
            rows.len(),
        )
        .await?;
        rows
    } else {
        Vec::new()
    };
    let manage = page.user.can(Capability::SessionsManage);
    let book_action = if manage {
        "/sessions/enrol-many".to_string()
    } else if page.user.can(Capability::TeamBooking) {
        "/sessions/team/enrol-many".to_string()
    } else {
        String::new()
    };
    let sessions = if book_action.is_empty() || untrained.is_empty() {
        Vec::new()
    } else {
        store::upcoming_sessions(&state.store, req.id, &mashboard_store::now_text())
            .await?
            .iter()
            .map(|s| SessionChoice {
                id: s.id,
                label: session_label(s),
            })
            .collect()
    };
    let qs = query_string(&q);
    let return_to = if qs.is_empty() {
        format!("/coverage/{}", req.id)
    } else {
        format!("/coverage/{}?{qs}", req.id)
    };
    let filter_words = [
        ("in", &q.filter.department),
        ("in team", &q.filter.team),
        ("in cohort", &q.filter.cohort),
        ("with rank", &q.filter.rank),
    ]
    .iter()
    .filter_map(|(w, v)| v.as_ref().map(|v| format!("{w} {v}")))
    .collect::<Vec<_>>()
    .join(", ");
    let has_errors = q.form.has_errors();
    html(&ShowPage {
        chrome: Chrome::new(
            &state,
            req.name.clone(),
            Some(&page.user),
            &page.csrf,
            "/coverage",
        )
        .with_errors(has_errors),
        id: req.id,
        name: req.name.clone(),
        description: req.description.clone(),
        who: req.rule.describe(),
        modules: req
            .modules
            .iter()
            .map(|m| format!("{}: {} ({})", m.code, m.title, m.counts_as.label()))
            .collect(),
        as_of_long: format_date_long(q.as_of),
        total: c.total,
        percent: c.total.percent_text(),
        how: TrainedHow::ALL
            .iter()
            .map(|h| HowRow {
                label: h.label(),
                count: c.trained_how.get(h).copied().unwrap_or(0),
            })
            .collect(),
        breakdowns: breakdowns(req.id, &report, &q),
        departments: keys(Dimension::Department),
        teams: keys(Dimension::Team),
        cohorts: keys(Dimension::Cohort),
        ranks: keys(Dimension::Rank),
        filtered,
        filter_words,
        names: scope.names,
        untrained,
        sessions,
        book_action,
        return_to,
        export_query: if qs.is_empty() {
            String::new()
        } else {
            format!("?{qs}")
        },
        manage,
        scope_note: scope_note(scope.kind),
        form: q.form,
    })
}

// ---------------------------------------------------------------------------------------------
// Exports

const PEOPLE_HEADER: [&str; 12] = [
    "Staff number",
    "Name",
    "Department",
    "Team",
    "Cohort",
    "Rank",
    "Role profiles",
    "Transferee",
    "Status",
    "Trained on",
    "How",
    "Booked session starts",
];

const GROUP_HEADER: [&str; 7] = [
    "Grouped by",
    "Group",
    "Required",
    "Trained",
    "Booked",
    "Untrained",
    "Percent trained",
];

fn text(s: impl Into<String>) -> XCell {
    XCell::Text(s.into())
}

fn people_rows(report: &Report) -> Vec<Vec<XCell>> {
    let mut outcomes: Vec<_> = report.coverage.outcomes.iter().collect();
    outcomes.sort_by(|a, b| {
        let (pa, pb) = (&report.people[a.person], &report.people[b.person]);
        (&pa.department, &pa.team, &pa.name).cmp(&(&pb.department, &pb.team, &pb.name))
    });
    outcomes
        .into_iter()
        .map(|o| {
            let p = &report.people[o.person];
            let (status, on, how, booked) = match o.standing {
                Standing::Trained { on, how } => ("Trained", Some(on), how.label(), None),
                Standing::Booked { starts_on, .. } => ("Booked", None, "", Some(starts_on)),
                Standing::Untrained => ("Untrained", None, "", None),
            };
            vec![
                text(&p.staff_number),
                text(&p.name),
                text(p.department.clone().unwrap_or_default()),
                text(p.team.clone().unwrap_or_default()),
                text(p.cohort.clone().unwrap_or_default()),
                text(p.rank.clone().unwrap_or_default()),
                text(o.profiles.join("; ")),
                text(if o.transferee { "Yes" } else { "No" }),
                text(status),
                XCell::Date(on),
                text(how),
                XCell::Date(booked),
            ]
        })
        .collect()
}

fn group_rows(report: &Report) -> Vec<Vec<XCell>> {
    let mut rows = vec![vec![
        text("Everyone counted"),
        text(""),
        XCell::Number(report.coverage.total.required as f64),
        XCell::Number(report.coverage.total.trained as f64),
        XCell::Number(report.coverage.total.booked as f64),
        XCell::Number(report.coverage.total.untrained() as f64),
        match report.coverage.total.percent() {
            Some(p) => XCell::Number(f64::from(p)),
            None => text(""),
        },
    ]];
    for d in Dimension::ALL {
        for (name, t) in report.coverage.breakdown(d) {
            rows.push(vec![
                text(d.label()),
                text(name),
                XCell::Number(t.required as f64),
                XCell::Number(t.trained as f64),
                XCell::Number(t.booked as f64),
                XCell::Number(t.untrained() as f64),
                match t.percent() {
                    Some(p) => XCell::Number(f64::from(p)),
                    None => text(""),
                },
            ]);
        }
    }
    rows
}

fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

fn csv_bytes(header: &[&str], rows: &[Vec<XCell>]) -> Result<Vec<u8>, AppError> {
    let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(csv_err)?;
    for r in rows {
        out.write_record(r.iter().map(XCell::csv))
            .map_err(csv_err)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

async fn export_report(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    raw: Option<&str>,
    what: &str,
) -> Result<(Requirement, Report, bool, Date), AppError> {
    let req = load_requirement(state, id).await?;
    let q = read_query(raw);
    if let Some((_, m)) = q.form.errors.first() {
        return Err(AppError::BadRequest(format!(
            "The date to count as of: {m}"
        )));
    }
    let scope = viewer_scope(&state.store, user).await?;
    let report = store::compute(&state.store, &req, q.as_of, &scope.filter(q.filter)).await?;
    if scope.names {
        store::record_view(
            &state.store,
            &user.actor(),
            &req,
            what,
            report.coverage.outcomes.len(),
        )
        .await?;
    }
    Ok((req, report, scope.names, q.as_of))
}

fn file_stem(req: &Requirement, as_of: Date) -> String {
    let code: String = req
        .code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("coverage-{code}-{}", iso(as_of))
}

pub async fn export_csv(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (req, report, names, as_of) =
        export_report(&state, &page.user, &id, raw.as_deref(), "a CSV export").await?;
    let body = if names {
        csv_bytes(&PEOPLE_HEADER, &people_rows(&report))?
    } else {
        csv_bytes(&GROUP_HEADER, &group_rows(&report))?
    };
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("{}.csv", file_stem(&req, as_of)),
        body,
    ))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (req, report, names, as_of) =
        export_report(&state, &page.user, &id, raw.as_deref(), "an Excel export").await?;
    let mut sheets = vec![Sheet {
        name: "Figures",
        header: GROUP_HEADER.to_vec(),
        rows: group_rows(&report),
    }];
    if names {
        sheets.push(Sheet {
            name: "People",
            header: PEOPLE_HEADER.to_vec(),
            rows: people_rows(&report),
        });
    }
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}.xlsx", file_stem(&req, as_of)),
        workbook(&sheets)?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Create and edit

/// Fields of one clause in the form.
const CLAUSE_FIELDS: [(&str, &str); 8] = [
    ("ranks", "Ranks"),
    ("profiles", "Role profile codes"),
    ("departments", "Departments"),
    ("cohort_prefixes", "Cohorts starting with"),
    ("cohort_contains", "Cohorts containing"),
    ("started_from", "Started on or after"),
    ("started_to", "Started on or before"),
    ("in_post_on", "In post on"),
];

struct ClauseView {
    n: usize,
    fields: Vec<(String, &'static str, String)>,
    transferees: String,
}

struct ModuleChoice {
    id: i64,
    label: String,
    counts_as: String,
}

#[derive(Template)]
#[template(path = "coverage/coverage_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
    id: Option<i64>,
    clauses: Vec<ClauseView>,
    modules: Vec<ModuleChoice>,
    transferee_options: Vec<(&'static str, &'static str)>,
    counts_options: Vec<(&'static str, &'static str)>,
    active: bool,
}

fn join(v: &[String]) -> String {
    v.join(", ")
}

fn date_text(d: Option<Date>) -> String {
    d.map(|d| format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year()))
        .unwrap_or_default()
}

/// The form's values for a stored requirement.
fn form_of_requirement(r: &Requirement) -> Vec<(String, String)> {
    let mut v = vec![
        ("code".to_string(), r.code.clone()),
        ("name".to_string(), r.name.clone()),
        ("description".to_string(), r.description.clone()),
    ];
    for (i, c) in r.rule.clauses.iter().enumerate() {
        let p = |f: &str| format!("c{i}_{f}");
        v.push((p("ranks"), join(&c.ranks)));
        v.push((p("profiles"), join(&c.role_profiles)));
        v.push((p("departments"), join(&c.departments)));
        v.push((p("cohort_prefixes"), join(&c.cohort_prefixes)));
        v.push((p("cohort_contains"), join(&c.cohort_contains)));
        v.push((p("started_from"), date_text(c.started_from)));
        v.push((p("started_to"), date_text(c.started_to)));
        v.push((p("in_post_on"), date_text(c.in_post_on)));
        v.push((p("transferees"), c.transferees.as_str().to_string()));
    }
    for m in &r.modules {
        v.push((
            format!("m{}", m.module_id),
            m.counts_as.as_str().to_string(),
        ));
    }
    v
}

fn clause_count(pairs: &[(String, String)]) -> usize {
    pairs
        .iter()
        .filter_map(|(k, _)| {
            k.strip_prefix('c')?
                .split_once('_')?
                .0
                .parse::<usize>()
                .ok()
        })
        .max()
        .map_or(0, |m| m + 1)
}

async fn render_form(
    state: &AppState,
    page: &Page<cap::SessionsManage>,
    id: Option<i64>,
    active: bool,
    pairs: &[(String, String)],
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    for (k, v) in pairs {
        form.set(k, v.clone());
    }
    form.errors = errors;
    // The clauses given, and one more blank one to add.
    let n = (clause_count(pairs) + 1).min(8);
    let clauses = (0..n)
        .map(|i| ClauseView {
            n: i + 1,
            fields: CLAUSE_FIELDS
                .iter()
                .map(|(f, label)| {
                    let name = format!("c{i}_{f}");
                    let value = form.value(&name).to_string();
                    (name, *label, value)
                })
                .collect(),
            transferees: form.value(&format!("c{i}_transferees")).to_string(),
        })
        .collect();
    let modules = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .map(|m| ModuleChoice {
            id: m.id,
            counts_as: form.value(&format!("m{}", m.id)).to_string(),
            label: format!("{}: {}", m.code, m.title),
        })
        .collect();
    let title = if id.is_some() {
        "Change a coverage requirement"
    } else {
        "Add a coverage requirement"
    };
    let has_errors = form.has_errors();
    html(&FormPage {
        chrome: Chrome::new(state, title, Some(&page.user), &page.csrf, "/coverage")
            .with_errors(has_errors),
        form,
        id,
        clauses,
        modules,
        transferee_options: Transferees::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        counts_options: CountsAs::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        active,
    })
}

fn list_of(s: &str) -> Vec<String> {
    s.split([',', ';', '\n'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Reads the form; errors name the field.
fn read_form(pairs: &[(String, String)]) -> (RequirementInput, Vec<(String, String)>) {
    let mut errors = Vec::new();
    let mut clauses = Vec::new();
    for i in 0..clause_count(pairs) {
        let f = |name: &str| field_str(pairs, &format!("c{i}_{name}")).to_string();
        let mut date = |name: &str, label: &str| -> Option<Date> {
            let raw = f(name);
            if raw.is_empty() {
                return None;
            }
            match parse_date(&raw) {
                Ok(d) => Some(d),
                Err(m) => {
                    errors.push((
                        format!("c{i}_{name}"),
                        format!("Clause {}, {}: {m}", i + 1, label.to_lowercase()),
                    ));
                    None
                }
            }
        };
        let clause = Clause {
            ranks: list_of(&f("ranks")),
            role_profiles: list_of(&f("profiles")),
            departments: list_of(&f("departments")),
            cohort_prefixes: list_of(&f("cohort_prefixes")),
            cohort_contains: list_of(&f("cohort_contains")),
            started_from: date("started_from", "Started on or after"),
            started_to: date("started_to", "Started on or before"),
            in_post_on: date("in_post_on", "In post on"),
            transferees: Transferees::parse(&f("transferees")).unwrap_or_default(),
        };
        // A clause left blank (the spare one) is not a clause.
        if !clause.is_empty() {
            clauses.push(clause);
        }
    }
    let mut modules = Vec::new();
    for (k, v) in pairs {
        if let Some(id) = k.strip_prefix('m').and_then(|s| s.parse::<i64>().ok()) {
            if let Some(c) = CountsAs::parse(v) {
                modules.push((id, c));
            }
        }
    }
    (
        RequirementInput {
            code: field_str(pairs, "code").to_string(),
            name: field_str(pairs, "name").to_string(),
            description: field_str(pairs, "description").to_string(),
            rule: Rule { clauses },
            modules,
        },
        errors,
    )
}

/// Which field a store refusal is about, for the error summary link.
fn field_of(message: &str) -> &'static str {
    let m = message.to_lowercase();
    if m.contains("code") {
        "code"
    } else if m.contains("name for") {
        "name"
    } else if m.contains("module") {
        "modules"
    } else {
        "c0_ranks"
    }
}

async fn save(
    state: &AppState,
    page: &Page<cap::SessionsManage>,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let (input, errors) = read_form(&pairs);
    let active = match id {
        Some(id) => {
            store::requirement(&state.store, id)
                .await?
                .ok_or(AppError::NotFound)?
                .active
        }
        None => true,
    };
    if !errors.is_empty() {
        return render_form(state, page, id, active, &pairs, errors).await;
    }
    let actor = page.user.actor();
    let result = match id {
        Some(id) => store::update_requirement(&state.store, &actor, id, &input)
            .await
            .map(|_| id),
        None => store::create_requirement(&state.store, &actor, &input).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/coverage/{id}")).into_response()),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            let f = field_of(&m);
            render_form(state, page, id, active, &pairs, vec![(f.to_string(), m)]).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
) -> Result<Response, AppError> {
    render_form(&state, &page, None, true, &[], Vec::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save(&state, &page, None, pairs).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let req = load_requirement(&state, &id).await?;
    let pairs = form_of_requirement(&req);
    render_form(&state, &page, Some(req.id), req.active, &pairs, Vec::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    save(&state, &page, Some(id), pairs).await
}

pub async fn set_active(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let req = load_requirement(&state, &id).await?;
    let active = field_str(&pairs, "active") == "1";
    store::set_active(&state.store, &page.user.actor(), req.id, active).await?;
    Ok(Redirect::to(&format!("/coverage/{}", req.id)).into_response())
}
