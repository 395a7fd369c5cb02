//! Bi-monthly incident compliance audits in the browser: the list of audits with a form to open
//! one (its random sample drawn at once), the audit page (the sample with what helps the
//! auditor decide, progress, redraw, auditors, close), one page per sampled incident with the
//! findings form, and the compliance summary (by year against the target of 200, by quarter, by
//! subject, year on year) with CSV and Excel exports from which every figure can be recomputed.
//!
//! The rules and the figures are the domain's (`mashboard_domain::compliance`); the store keeps
//! them and audits every change and every view of an audit's incidents.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::{workbook, Sheet, XCell};
use crate::form::{field, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::compliance::{
    self, percent, Breakdown, Finding, Period, Quarter, RequiredReason, RollUp, Subject,
    TargetProgress, DEFAULT_SAMPLE_SIZE,
};
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_store::audit::{self, Event};
use mashboard_store::audits::{
    self, AuditError, AuditRow, AuditorRow, CountedFinding, FindingInput, NewAudit, SampledIncident,
};
use mashboard_store::training::today;
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{ComplianceAudits as Audits, ComplianceSummary as Summary};
    t.get("/compliance/audits", P(Audits), get(list))
        .post("/compliance/audits", P(Audits), post(create))
        .get("/compliance/audits/{id}", P(Audits), get(show))
        .get(
            "/compliance/audits/{id}/sample/{position}",
            P(Audits),
            get(incident_page),
        )
        .post(
            "/compliance/audits/{id}/sample/{position}",
            P(Audits),
            post(save_finding),
        )
        .post("/compliance/audits/{id}/redraw", P(Audits), post(redraw))
        .post(
            "/compliance/audits/{id}/auditors",
            P(Audits),
            post(set_auditors),
        )
        .post("/compliance/audits/{id}/close", P(Audits), post(close))
        .get("/compliance", P(Summary), get(summary))
        .get("/compliance/export.csv", P(Summary), get(export_csv))
        .get("/compliance/rollup.csv", P(Summary), get(rollup_csv))
        .get("/compliance/export.xlsx", P(Summary), get(export_xlsx))
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn uk(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

fn long_date(stored: &str) -> String {
    let day = stored.get(..10).unwrap_or(stored);
    parse_date(day)
        .map(format_date_long)
        .unwrap_or_else(|_| stored.to_string())
}

/// A stored local time ("2025-02-01T10:05:00") as pages show it: "1 February 2025 at 10:05".
fn when(stored: &str) -> String {
    let date = long_date(stored);
    match stored.get(11..16) {
        Some(t) if t.as_bytes().get(2) == Some(&b':') => format!("{date} at {t}"),
        _ => date,
    }
}

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

fn form_of(pairs: &[(String, String)], names: &[&str]) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, field(pairs, n));
    }
    f
}

fn date_field(form: &mut FormState, name: &str, what: &str) -> Option<Date> {
    let raw = form.value(name).trim().to_string();
    if raw.is_empty() {
        form.add_error(name, format!("Enter {what}, for example 31/03/2025"));
        return None;
    }
    match parse_date(&raw) {
        Ok(d) => Some(d),
        Err(m) => {
            let mut c = what.chars();
            let what = match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            };
            form.add_error(name, format!("{what}: {m}"));
            None
        }
    }
}

fn viewer(user: &CurrentUser) -> audits::Viewer {
    crate::audits::api::viewer(user)
}

/// A refusal page with the store's words and a fitting status.
fn refusal(status: StatusCode, message: String) -> Response {
    let mut r = AppError::BadRequest(message).into_response();
    *r.status_mut() = status;
    r
}

fn audit_error(e: AuditError) -> Result<Response, AppError> {
    match e {
        AuditError::NotFound(_) => Err(AppError::NotFound),
        AuditError::Refused(m) => Ok(refusal(StatusCode::FORBIDDEN, m)),
        AuditError::Conflict(m) => Ok(refusal(StatusCode::CONFLICT, m)),
        AuditError::Invalid(m) => Ok(refusal(StatusCode::BAD_REQUEST, m)),
        AuditError::Store(e) => Err(e.into()),
    }
}

impl From<AuditError> for AppError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::NotFound(_) => AppError::NotFound,
            AuditError::Refused(_) => AppError::Forbidden,
            AuditError::Invalid(m) | AuditError::Conflict(m) => AppError::BadRequest(m),
            AuditError::Store(e) => e.into(),
        }
    }
}

async fn visible_audit(
    state: &AppState,
    user: &CurrentUser,
    raw_id: &str,
) -> Result<AuditRow, AppError> {
    audits::get(&state.store, &viewer(user), path_id(raw_id)?)
        .await?
        .ok_or(AppError::NotFound)
}

fn may_manage(a: &AuditRow, user: &CurrentUser) -> bool {
    compliance::sees_all_audits(&user.roles) || a.owner_user_id == user.id
}

fn may_record(a: &AuditRow, user: &CurrentUser) -> bool {
    a.owner_user_id == user.id || a.assigned > 0
}

fn status_label(a: &AuditRow) -> (&'static str, &'static str) {
    if a.is_open() {
        ("Open", "govuk-tag--blue")
    } else {
        ("Closed", "govuk-tag--grey")
    }
}

fn period_text(a: &AuditRow) -> String {
    format!(
        "{} to {}",
        long_date(&a.period_start),
        long_date(&a.period_end)
    )
}

// ---------------------------------------------------------------------------------------------
// The list of audits, and opening one

pub struct AuditListRow {
    pub id: i64,
    pub title: String,
    pub period: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub done: i64,
    pub sampled: i64,
    pub owner: String,
    pub yours: bool,
}

#[derive(Template)]
#[template(path = "audits/audits_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<AuditListRow>,
    form: FormState,
    sees_all: bool,
}

const OPEN_FIELDS: [&str; 5] = ["title", "period_start", "period_end", "sample_size", "seed"];

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let rows = audits::list(&state.store, &viewer(user))
        .await?
        .into_iter()
        .map(|a| {
            let (status, status_class) = status_label(&a);
            AuditListRow {
                period: period_text(&a),
                status,
                status_class,
                yours: a.owner_user_id == user.id || a.assigned > 0,
                id: a.id,
                title: a.title,
                done: a.done,
                sampled: a.sampled,
                owner: a.owner,
            }
        })
        .collect();
    let has_errors = form.has_errors();
    html(&ListPage {
        chrome: Chrome::new(
            state,
            "Compliance audits",
            Some(user),
            csrf,
            "/compliance/audits",
        )
        .with_errors(has_errors),
        rows,
        form,
        sees_all: compliance::sees_all_audits(&user.roles),
    })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
) -> Result<Response, AppError> {
    let p = Period::last_two_months(today());
    let mut form = FormState::default();
    form.set("title", "");
    form.set("period_start", uk(p.start));
    form.set("period_end", uk(p.end));
    form.set("sample_size", DEFAULT_SAMPLE_SIZE.to_string());
    form.set("seed", "");
    render_list(&state, &page.user, &page.csrf, form).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = form_of(&pairs, &OPEN_FIELDS);
    if form.value("title").chars().count() > 200 {
        form.add_error("title", "The title must be 200 characters or fewer");
    }
    let start = date_field(&mut form, "period_start", "the first day of the period");
    let end = date_field(&mut form, "period_end", "the last day of the period");
    let period = match (start, end) {
        (Some(s), Some(e)) => match Period::new(s, e) {
            Ok(p) => Some(p),
            Err(_) => {
                form.add_error(
                    "period_end",
                    "The last day of the period must be the same as or after the first day",
                );
                None
            }
        },
        _ => None,
    };
    let sample_size = match compliance::parse_sample_size(form.value("sample_size")) {
        Ok(n) => Some(n),
        Err(m) => {
            form.add_error("sample_size", format!("Sample size: {m}"));
            None
        }
    };
    let seed = if form.value("seed").is_empty() {
        None
    } else {
        match compliance::parse_seed(form.value("seed")) {
            Ok(s) => Some(s),
            Err(m) => {
                form.add_error("seed", format!("Seed: {m}"));
                None
            }
        }
    };
    if form.has_errors() {
        return render_list(&state, &page.user, &page.csrf, form).await;
    }
    let (Some(period), Some(sample_size)) = (period, sample_size) else {
        return render_list(&state, &page.user, &page.csrf, form).await;
    };
    match audits::create(
        &state.store,
        &page.user.actor(),
        &NewAudit {
            title: form.value("title").to_string(),
            period,
            sample_size,
            seed,
            owner_user_id: page.user.id,
        },
    )
    .await
    {
        Ok(d) => Ok(
            Redirect::to(&format!("/compliance/audits/{}?saved=created", d.audit_id))
                .into_response(),
        ),
        Err(AuditError::Invalid(m)) => {
            form.add_error("sample_size", m);
            render_list(&state, &page.user, &page.csrf, form).await
        }
        Err(e) => audit_error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One audit

/// A sampled incident as the tables and the finding page show it.
pub struct SampleView {
    pub position: i64,
    pub incident_ref: String,
    pub reported: String,
    pub category: String,
    pub area: String,
    pub flags: Vec<&'static str>,
    pub officer: String,
    pub department: String,
    /// "PPN-1 submitted 10 February 2025 at 09:00" for each linked referral.
    pub referrals: Vec<String>,
    pub finding: Option<String>,
    pub note: String,
    pub recorded: String,
}

/// A finding in words: "Required (child involved); completed; on time".
fn finding_words(f: &Finding) -> String {
    let mut parts = Vec::new();
    match f.required_reason.filter(|_| f.form_required) {
        Some(r) => parts.push(format!("Required ({})", reason_short(r))),
        None => parts.push("Not required".to_string()),
    }
    parts.push(if f.form_completed {
        "completed".into()
    } else {
        "not completed".into()
    });
    if f.form_completed {
        parts.push(
            match f.on_time {
                Some(true) => "on time",
                Some(false) => "late",
                None => "timing not known",
            }
            .into(),
        );
    }
    parts.join("; ")
}

fn reason_short(r: RequiredReason) -> &'static str {
    match r {
        RequiredReason::Child => "child involved",
        RequiredReason::AdultAtRisk => "adult at risk",
        RequiredReason::Other => "other reason",
    }
}

impl SampleView {
    fn of(s: &SampledIncident) -> SampleView {
        let mut flags = Vec::new();
        if s.children_involved {
            flags.push("Children involved");
        }
        if s.adult_at_risk {
            flags.push("Adult at risk");
        }
        if s.domestic_abuse {
            flags.push("Domestic abuse");
        }
        SampleView {
            position: s.position,
            incident_ref: s.incident_ref.clone(),
            reported: when(&s.reported_at),
            category: s.category.clone(),
            area: s.area.clone(),
            flags,
            officer: match &s.officer_name {
                Some(n) if !s.officer_staff_number.is_empty() => {
                    format!("{n} ({})", s.officer_staff_number)
                }
                Some(n) => n.clone(),
                None => s.officer_staff_number.clone(),
            },
            department: s.department.clone(),
            referrals: s
                .referrals
                .iter()
                .map(|r| format!("{} submitted {}", r.referral_ref, when(&r.submitted_at)))
                .collect(),
            finding: s.finding.as_ref().map(|f| finding_words(&f.finding())),
            note: s
                .finding
                .as_ref()
                .map(|f| f.note.clone())
                .unwrap_or_default(),
            recorded: s
                .finding
                .as_ref()
                .map(|f| format!("{} on {}", f.recorded_by, long_date(&f.recorded_at)))
                .unwrap_or_default(),
        }
    }
}

pub struct DrawView {
    pub draw_no: i64,
    pub seed: String,
    pub frame_size: i64,
    pub reason: String,
    pub by: String,
    pub at: String,
    pub current: bool,
}

pub struct EligibleView {
    pub username: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Default)]
struct AuditForms {
    redraw: FormState,
    auditors: FormState,
    close: FormState,
}

#[derive(Template)]
#[template(path = "audits/audits_show.html")]
struct AuditPage {
    chrome: Chrome,
    a: AuditRow,
    period: String,
    status: &'static str,
    status_class: &'static str,
    rows: Vec<SampleView>,
    draws: Vec<DrawView>,
    auditors: Vec<AuditorRow>,
    eligible: Vec<EligibleView>,
    may_manage: bool,
    may_record: bool,
    next_to_do: Option<i64>,
    forms: AuditForms,
    saved: Option<&'static str>,
}

impl AuditPage {
    fn to_do(&self) -> i64 {
        self.a.sampled - self.a.done
    }
    fn auditor_names(&self) -> String {
        if self.auditors.is_empty() {
            "None assigned yet".into()
        } else {
            self.auditors
                .iter()
                .map(|a| match &a.person_name {
                    Some(n) => format!("{} ({n})", a.username),
                    None => a.username.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

fn saved_message(raw: Option<&str>) -> Option<&'static str> {
    match field(&query_pairs(raw), "saved").as_str() {
        "created" => Some("Audit opened and its sample drawn"),
        "redrawn" => Some("Sample drawn again; the earlier draw is kept in the history below"),
        "auditors" => Some("Auditors saved"),
        "closed" => Some("Audit closed"),
        "finding" => Some("Finding saved"),
        "all-done" => Some("Finding saved: every incident in the sample now has a finding"),
        _ => None,
    }
}

async fn render_audit(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    a: AuditRow,
    forms: AuditForms,
    saved: Option<&'static str>,
) -> Result<Response, AppError> {
    let sample = audits::sample(&state.store, &user.actor(), &a).await?;
    let rows: Vec<SampleView> = sample.iter().map(SampleView::of).collect();
    let draws = audits::draws(&state.store, a.id)
        .await?
        .into_iter()
        .map(|d| DrawView {
            current: d.draw_no == a.draw_no,
            draw_no: d.draw_no,
            seed: d.seed,
            frame_size: d.frame_size,
            reason: d.reason,
            by: d.drawn_by,
            at: long_date(&d.drawn_at),
        })
        .collect();
    let auditors = audits::auditors(&state.store, a.id).await?;
    let manage = may_manage(&a, user);
    let eligible = if manage && a.is_open() {
        audits::eligible_auditors(&state.store)
            .await?
            .into_iter()
            .map(|e| EligibleView {
                checked: auditors.iter().any(|x| x.user_id == e.user_id),
                label: match &e.person_name {
                    Some(n) => format!("{n} ({})", e.username),
                    None => e.username.clone(),
                },
                username: e.username,
            })
            .collect()
    } else {
        Vec::new()
    };
    let next_to_do = rows
        .iter()
        .find(|r| r.finding.is_none())
        .map(|r| r.position);
    let has_errors =
        forms.redraw.has_errors() || forms.auditors.has_errors() || forms.close.has_errors();
    let (status, status_class) = status_label(&a);
    html(&AuditPage {
        chrome: Chrome::new(
            state,
            a.title.clone(),
            Some(user),
            csrf,
            "/compliance/audits",
        )
        .with_errors(has_errors),
        period: period_text(&a),
        status,
        status_class,
        may_record: may_record(&a, user),
        may_manage: manage,
        rows,
        draws,
        auditors,
        eligible,
        next_to_do,
        forms,
        saved,
        a,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    render_audit(
        &state,
        &page.user,
        &page.csrf,
        a,
        AuditForms::default(),
        saved_message(raw.as_deref()),
    )
    .await
}

pub async fn redraw(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let mut forms = AuditForms {
        redraw: form_of(&pairs, &["reason", "redraw_seed"]),
        ..Default::default()
    };
    let f = &mut forms.redraw;
    if f.value("reason").is_empty() {
        f.add_error("reason", "Say why the sample is being drawn again");
    } else if f.value("reason").chars().count() > 1000 {
        f.add_error("reason", "The reason must be 1000 characters or fewer");
    }
    let seed = if f.value("redraw_seed").is_empty() {
        None
    } else {
        match compliance::parse_seed(f.value("redraw_seed")) {
            Ok(s) => Some(s),
            Err(m) => {
                f.add_error("redraw_seed", format!("Seed: {m}"));
                None
            }
        }
    };
    if !f.has_errors() {
        let reason = f.value("reason").to_string();
        match audits::redraw(
            &state.store,
            &page.user.actor(),
            &viewer(&page.user),
            a.id,
            &reason,
            seed,
        )
        .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/compliance/audits/{}?saved=redrawn", a.id))
                        .into_response(),
                )
            }
            Err(AuditError::Invalid(m) | AuditError::Conflict(m)) => {
                forms.redraw.add_error("reason", m)
            }
            Err(e) => return audit_error(e),
        }
    }
    render_audit(&state, &page.user, &page.csrf, a, forms, None).await
}

pub async fn set_auditors(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let names: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "auditors")
        .map(|(_, v)| v.clone())
        .collect();
    match audits::set_auditors(
        &state.store,
        &page.user.actor(),
        &viewer(&page.user),
        a.id,
        &names,
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/compliance/audits/{}?saved=auditors", a.id)).into_response(),
        ),
        Err(AuditError::Invalid(m)) => {
            let mut forms = AuditForms::default();
            forms.auditors.add_error("auditors", m);
            render_audit(&state, &page.user, &page.csrf, a, forms, None).await
        }
        Err(e) => audit_error(e),
    }
}

pub async fn close(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    match audits::close(&state.store, &page.user.actor(), &viewer(&page.user), a.id).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/compliance/audits/{}?saved=closed", a.id)).into_response())
        }
        Err(e) => audit_error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One sampled incident and its finding

#[derive(Template)]
#[template(path = "audits/audits_incident.html")]
struct IncidentPage {
    chrome: Chrome,
    a: AuditRow,
    s: SampleView,
    form: FormState,
    may_record: bool,
    prev: Option<i64>,
    next: Option<i64>,
    saved: Option<String>,
    yes_no: Options,
    reasons: Options,
    timings: Options,
}

type Options = Vec<(&'static str, &'static str)>;

fn yes_no_options() -> Options {
    vec![("yes", "Yes"), ("no", "No")]
}

fn reason_options() -> Options {
    RequiredReason::ALL
        .iter()
        .map(|r| (r.as_str(), r.label()))
        .collect()
}

fn timing_options() -> Options {
    vec![
        ("yes", "Yes, on time"),
        ("no", "No, late"),
        ("unknown", "Cannot tell"),
    ]
}

const FINDING_FIELDS: [&str; 6] = [
    "incident_ref",
    "form_required",
    "required_reason",
    "form_completed",
    "on_time",
    "note",
];

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

async fn render_incident(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    a: AuditRow,
    position: i64,
    form: Option<FormState>,
    saved: Option<String>,
) -> Result<Response, AppError> {
    let refs = audits::current_sample_refs(&state.store, &a).await?;
    let idx = usize::try_from(position - 1).map_err(|_| AppError::NotFound)?;
    let reference = refs.get(idx).ok_or(AppError::NotFound)?;
    let s = audits::sampled_incident(&state.store, &user.actor(), &a, reference)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.set("incident_ref", &s.incident_ref);
        if let Some(r) = &s.finding {
            f.set("form_required", yes_no(r.form_required));
            f.set(
                "required_reason",
                r.required_reason.clone().unwrap_or_default(),
            );
            f.set("form_completed", yes_no(r.form_completed));
            f.set(
                "on_time",
                match (r.form_completed, r.on_time) {
                    (false, _) => "",
                    (true, Some(true)) => "yes",
                    (true, Some(false)) => "no",
                    (true, None) => "unknown",
                },
            );
            f.set("note", &r.note);
        }
        f
    });
    let has_errors = form.has_errors();
    let n = refs.len() as i64;
    html(&IncidentPage {
        chrome: Chrome::new(
            state,
            format!("Incident {} – {}", s.incident_ref, a.title),
            Some(user),
            csrf,
            "/compliance/audits",
        )
        .with_errors(has_errors),
        may_record: may_record(&a, user) && a.is_open(),
        prev: (position > 1).then_some(position - 1),
        next: (position < n).then_some(position + 1),
        s: SampleView::of(&s),
        form,
        saved,
        a,
        yes_no: yes_no_options(),
        reasons: reason_options(),
        timings: timing_options(),
    })
}

pub async fn incident_page(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path((id, position)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let position = path_id(&position)?;
    let saved = {
        let r = field(&query_pairs(raw.as_deref()), "saved");
        (!r.is_empty()).then(|| format!("Finding for incident {r} saved"))
    };
    render_incident(&state, &page.user, &page.csrf, a, position, None, saved).await
}

/// Reads the findings form. The page shows every question, so an answer to a question that does
/// not apply (a reason when no form was required, timing when none was completed) is ignored,
/// as the hints say.
fn read_finding(form: &mut FormState) -> Option<Finding> {
    let required = match form.value("form_required") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            form.add_error(
                "form_required",
                "Say whether an information-sharing form was required for this incident",
            );
            None
        }
    };
    let reason = match (required, form.value("required_reason")) {
        (Some(true), "") => {
            form.add_error(
                "required_reason",
                "Say why a form was required: a child was involved, an adult at risk, or another reason",
            );
            None
        }
        (Some(true), r) => match r.parse::<RequiredReason>() {
            Ok(r) => Some(r),
            Err(m) => {
                form.add_error("required_reason", m);
                None
            }
        },
        _ => None,
    };
    let completed = match form.value("form_completed") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            form.add_error(
                "form_completed",
                "Say whether an information-sharing form was completed",
            );
            None
        }
    };
    let on_time = match (completed, form.value("on_time")) {
        (Some(true), "yes") => Some(true),
        (Some(true), "no") => Some(false),
        (Some(true), "unknown") => None,
        (Some(true), _) => {
            form.add_error(
                "on_time",
                "Say whether the form was completed on time, or that you cannot tell",
            );
            None
        }
        _ => None,
    };
    if form.value("note").chars().count() > 2000 {
        form.add_error("note", "The note must be 2000 characters or fewer");
    }
    if form.has_errors() {
        return None;
    }
    let f = Finding {
        form_required: required?,
        required_reason: reason,
        form_completed: completed?,
        on_time,
    };
    if let Err(e) = f.validate() {
        form.add_error(e.field, e.message);
        return None;
    }
    Some(f)
}

pub async fn save_finding(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path((id, position)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let position = path_id(&position)?;
    let mut form = form_of(&pairs, &FINDING_FIELDS);
    let Some(finding) = read_finding(&mut form) else {
        return render_incident(
            &state,
            &page.user,
            &page.csrf,
            a,
            position,
            Some(form),
            None,
        )
        .await;
    };
    let reference = form.value("incident_ref").to_string();
    match audits::record_finding(
        &state.store,
        &page.user.actor(),
        &viewer(&page.user),
        a.id,
        &FindingInput {
            incident_ref: reference.clone(),
            finding,
            note: form.value("note").to_string(),
        },
    )
    .await
    {
        Ok(_) => {
            // On to the next incident still to do, or back to the audit when all are done.
            let after = audits::get(&state.store, &viewer(&page.user), a.id)
                .await?
                .ok_or(AppError::NotFound)?;
            let progress = audits::progress(&state.store, &after).await?;
            let n = progress.len() as i64;
            let next = (1..=n)
                .map(|k| (position - 1 + k) % n + 1)
                .find(|p| !progress[(*p - 1) as usize].1);
            let encoded: String =
                serde_urlencoded::to_string([("saved", reference.as_str())]).unwrap_or_default();
            Ok(match next {
                Some(p) => {
                    Redirect::to(&format!("/compliance/audits/{}/sample/{p}?{encoded}", a.id))
                }
                None => Redirect::to(&format!("/compliance/audits/{}?saved=all-done", a.id)),
            }
            .into_response())
        }
        Err(AuditError::Invalid(m)) => {
            let (field, message) = match m.split_once(": ") {
                Some((f, rest)) if FINDING_FIELDS.contains(&f) => (f.to_string(), rest.to_string()),
                _ => ("form_required".to_string(), m),
            };
            let field = if field == "incident_ref" {
                "form_required".to_string()
            } else {
                field
            };
            form.add_error(&field, message);
            render_incident(
                &state,
                &page.user,
                &page.csrf,
                a,
                position,
                Some(form),
                None,
            )
            .await
        }
        Err(e) => audit_error(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The compliance summary

/// One line of a roll-up table.
pub struct RowView {
    pub label: String,
    pub examined: u64,
    pub compliance: String,
    pub over_referral: String,
    pub on_time: String,
}

fn on_time_words(r: &RollUp) -> String {
    let known = r.on_time + r.late;
    match r.on_time_share {
        Some(p) => format!(
            "{} ({} of {}{})",
            percent(p),
            r.on_time,
            known,
            if r.on_time_unknown > 0 {
                format!("; {} not known", r.on_time_unknown)
            } else {
                String::new()
            }
        ),
        None if r.on_time_unknown > 0 => format!("{} not known", r.on_time_unknown),
        None => "No forms".into(),
    }
}

impl RowView {
    fn of(label: impl Into<String>, r: &RollUp) -> RowView {
        RowView {
            label: label.into(),
            examined: r.examined,
            compliance: r.compliance_text(),
            over_referral: r.over_referral_text(),
            on_time: on_time_words(r),
        }
    }
}

pub struct YearView {
    pub year: i32,
    pub progress: String,
    pub examined: u64,
    pub target: u64,
    pub met: bool,
    pub row: RowView,
}

pub struct CompareView {
    pub label: String,
    pub a: String,
    pub b: String,
    pub difference: String,
    pub p_value: String,
    pub reading: String,
}

/// One bar of the chart, in SVG user units.
pub struct Bar {
    pub label: String,
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub centre: i64,
    pub ci_top: i64,
    pub ci_bottom: i64,
    pub cap_left: i64,
    pub cap_right: i64,
    pub value: String,
    pub value_y: i64,
}

pub struct Chart {
    pub width: i64,
    pub bars: Vec<Bar>,
    /// Gridlines: (y, y of the label, label).
    pub grid: Vec<(i64, i64, String)>,
    pub description: String,
}

const CHART_TOP: i64 = 20;
const CHART_HEIGHT: i64 = 200;
const CHART_LEFT: i64 = 48;
const BAR_WIDTH: i64 = 48;
const BAR_GAP: i64 = 32;

fn y_of(p: f64) -> i64 {
    CHART_TOP + ((1.0 - p.clamp(0.0, 1.0)) * CHART_HEIGHT as f64).round() as i64
}

fn chart(years: &[(i32, RollUp)]) -> Chart {
    let mut bars = Vec::new();
    let mut words = Vec::new();
    for (i, (y, r)) in years.iter().enumerate() {
        let x = CHART_LEFT + BAR_GAP / 2 + i as i64 * (BAR_WIDTH + BAR_GAP);
        words.push(format!("{y}: {}", r.compliance_text()));
        let (Some(p), Some(ci)) = (r.compliance, r.compliance_ci95) else {
            bars.push(Bar {
                label: y.to_string(),
                x,
                y: y_of(0.0),
                height: 0,
                centre: x + BAR_WIDTH / 2,
                ci_top: y_of(0.0),
                ci_bottom: y_of(0.0),
                cap_left: x + BAR_WIDTH / 2,
                cap_right: x + BAR_WIDTH / 2,
                value: "no figure".into(),
                value_y: y_of(0.0) - 6,
            });
            continue;
        };
        let top = y_of(p);
        bars.push(Bar {
            label: y.to_string(),
            x,
            y: top,
            height: y_of(0.0) - top,
            centre: x + BAR_WIDTH / 2,
            ci_top: y_of(ci.hi),
            ci_bottom: y_of(ci.lo),
            cap_left: x + BAR_WIDTH / 2 - 8,
            cap_right: x + BAR_WIDTH / 2 + 8,
            value: percent(p),
            value_y: (y_of(ci.hi) - 6).max(12),
        });
    }
    Chart {
        width: CHART_LEFT + BAR_GAP + years.len().max(1) as i64 * (BAR_WIDTH + BAR_GAP),
        bars,
        grid: [0.0, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|p| (y_of(*p), y_of(*p) + 4, format!("{}%", (p * 100.0) as i64)))
            .collect(),
        description: format!(
            "Compliance by year, with 95% intervals. {}",
            words.join(". ")
        ),
    }
}

#[derive(Template)]
#[template(path = "audits/audits_summary.html")]
struct SummaryPage {
    chrome: Chrome,
    form: FormState,
    filtered: bool,
    overall: RowView,
    years: Vec<YearView>,
    quarters: Vec<RowView>,
    subjects: Vec<RowView>,
    comparisons: Vec<CompareView>,
    chart: Chart,
    export_query: String,
    target: u64,
}

/// The period of the summary page: the dates given, or everything.
fn summary_period(form: &mut FormState) -> (Period, bool) {
    let all = Period::new(
        Date::from_calendar_date(1900, time::Month::January, 1).expect("valid"),
        Date::from_calendar_date(2100, time::Month::December, 31).expect("valid"),
    )
    .expect("forward");
    if form.value("from").is_empty() && form.value("to").is_empty() {
        return (all, false);
    }
    let from = if form.value("from").is_empty() {
        Some(all.start)
    } else {
        date_field(form, "from", "the first date")
    };
    let to = if form.value("to").is_empty() {
        Some(all.end)
    } else {
        date_field(form, "to", "the last date")
    };
    match (from, to) {
        (Some(f), Some(t)) => match Period::new(f, t) {
            Ok(p) => (p, true),
            Err(_) => {
                form.add_error(
                    "to",
                    "The last date must be the same as or after the first date",
                );
                (all, false)
            }
        },
        _ => (all, false),
    }
}

fn comparisons(years: &[(i32, RollUp)]) -> Vec<CompareView> {
    years
        .windows(2)
        .map(|w| {
            let ((ya, a), (yb, b)) = (&w[0], &w[1]);
            let label = format!("{ya} to {yb}");
            match compliance::compare(a, b) {
                Some(c) => CompareView {
                    label,
                    a: a.compliance_text(),
                    b: b.compliance_text(),
                    difference: format!(
                        "{} (95% CI {} to {})",
                        compliance::points(c.difference),
                        compliance::points(c.difference_ci.lo),
                        compliance::points(c.difference_ci.hi)
                    ),
                    p_value: c
                        .p_value
                        .map(compliance::p_text)
                        .unwrap_or_else(|| "Not defined (no variation in either year)".into()),
                    reading: compliance::reading(&c),
                },
                None => CompareView {
                    label,
                    a: a.compliance_text(),
                    b: b.compliance_text(),
                    difference: "No figure".into(),
                    p_value: "No figure".into(),
                    reading: "Cannot compare: a year has no incident that needed a form.".into(),
                },
            }
        })
        .collect()
}

pub async fn summary(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let mut form = form_of(&pairs, &["from", "to"]);
    let (period, filtered) = summary_period(&mut form);
    let b: Breakdown = audits::summary(&state.store, &period).await?;
    let today = today();
    let years = b
        .by_year
        .iter()
        .map(|(y, r)| {
            let t = TargetProgress::of(*y, r.examined, today);
            YearView {
                year: *y,
                progress: t.text(),
                examined: r.examined.min(t.target),
                target: t.target,
                met: t.met,
                row: RowView::of(y.to_string(), r),
            }
        })
        .collect();
    let export_query = if filtered {
        serde_urlencoded::to_string([("from", iso(period.start)), ("to", iso(period.end))])
            .unwrap_or_default()
    } else {
        String::new()
    };
    let has_errors = form.has_errors();
    html(&SummaryPage {
        chrome: Chrome::new(
            &state,
            "Incident compliance",
            Some(&page.user),
            &page.csrf,
            "/compliance",
        )
        .with_errors(has_errors),
        overall: RowView::of("All years", &b.overall),
        quarters: b
            .by_quarter
            .iter()
            .map(|(q, r)| RowView::of(q.label(), r))
            .collect(),
        subjects: b
            .by_subject
            .iter()
            .map(|(s, r)| RowView::of(s.label(), r))
            .collect(),
        comparisons: comparisons(&b.by_year),
        chart: chart(&b.by_year),
        years,
        form,
        filtered,
        export_query,
        target: compliance::YEARLY_TARGET,
    })
}

// ---------------------------------------------------------------------------------------------
// Exports

/// Stops a spreadsheet from reading a cell as a formula (as the audit-trail export does).
fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn cell_csv(c: &XCell) -> String {
    match c {
        XCell::Text(s) => csv_safe(s),
        XCell::Number(n) => n.to_string(),
        XCell::Date(Some(d)) => iso(*d),
        XCell::Date(None) => String::new(),
    }
}

fn text(s: impl Into<String>) -> XCell {
    XCell::Text(s.into())
}

fn num(n: u64) -> XCell {
    XCell::Number(n as f64)
}

fn opt(p: Option<f64>) -> XCell {
    p.map(XCell::Number).unwrap_or(XCell::Text(String::new()))
}

const FINDING_HEADER: [&str; 15] = [
    "Audit",
    "Audit title",
    "Incident reference",
    "Reported on",
    "Year",
    "Quarter",
    "Form required",
    "Why required",
    "Subject group",
    "Form completed",
    "On time",
    "Counts towards compliance (required)",
    "Compliant (required and completed)",
    "Counts towards over-referral (not required)",
    "Over-referred (not required but completed)",
];

fn finding_cells(r: &CountedFinding) -> Vec<XCell> {
    let f = r.finding.finding();
    let date = parse_date(&r.reported_on).ok();
    let flag = |b: bool| num(u64::from(b));
    vec![
        num(r.audit_id.max(0) as u64),
        text(&r.audit_title),
        text(&r.incident_ref),
        XCell::Date(date),
        date.map(|d| num(d.year().max(0) as u64))
            .unwrap_or(XCell::Text(String::new())),
        text(date.map(|d| Quarter::of(d).to_string()).unwrap_or_default()),
        text(if f.form_required { "Yes" } else { "No" }),
        text(f.required_reason.map(|r| r.as_str()).unwrap_or("")),
        text(f.subject().as_str()),
        text(if f.form_completed { "Yes" } else { "No" }),
        text(match (f.form_completed, f.on_time) {
            (false, _) => "",
            (true, Some(true)) => "Yes",
            (true, Some(false)) => "No",
            (true, None) => "Not known",
        }),
        flag(f.form_required),
        flag(f.form_required && f.form_completed),
        flag(!f.form_required),
        flag(!f.form_required && f.form_completed),
    ]
}

const ROLLUP_HEADER: [&str; 16] = [
    "Grouping",
    "Group",
    "Examined",
    "Required",
    "Completed when required",
    "Compliance",
    "Compliance 95% CI low (Wilson)",
    "Compliance 95% CI high (Wilson)",
    "Not required",
    "Completed when not required",
    "Over-referral",
    "Over-referral 95% CI low (Wilson)",
    "Over-referral 95% CI high (Wilson)",
    "On time",
    "Late",
    "Timing not known",
];

fn rollup_cells(grouping: &str, group: String, r: &RollUp) -> Vec<XCell> {
    vec![
        text(grouping),
        text(group),
        num(r.examined),
        num(r.required),
        num(r.completed_when_required),
        opt(r.compliance),
        opt(r.compliance_ci95.map(|i| i.lo)),
        opt(r.compliance_ci95.map(|i| i.hi)),
        num(r.not_required),
        num(r.completed_when_not_required),
        opt(r.over_referral),
        opt(r.over_referral_ci95.map(|i| i.lo)),
        opt(r.over_referral_ci95.map(|i| i.hi)),
        num(r.on_time),
        num(r.late),
        num(r.on_time_unknown),
    ]
}

fn rollup_rows(b: &Breakdown) -> Vec<Vec<XCell>> {
    let mut rows = vec![rollup_cells("All", "All findings".into(), &b.overall)];
    for (y, r) in &b.by_year {
        rows.push(rollup_cells("Year", y.to_string(), r));
    }
    for (q, r) in &b.by_quarter {
        rows.push(rollup_cells("Quarter", q.to_string(), r));
    }
    for (s, r) in &b.by_subject {
        let s: &Subject = s;
        rows.push(rollup_cells("Subject", s.as_str().to_string(), r));
    }
    rows
}

const COMPARE_HEADER: [&str; 11] = [
    "From year",
    "To year",
    "Compliant (from)",
    "Required (from)",
    "Compliant (to)",
    "Required (to)",
    "Difference (to minus from)",
    "Difference 95% CI low (Newcombe)",
    "Difference 95% CI high (Newcombe)",
    "z (pooled)",
    "p-value (two-sided)",
];

fn compare_rows(b: &Breakdown) -> Vec<Vec<XCell>> {
    b.by_year
        .windows(2)
        .map(|w| {
            let ((ya, a), (yb, bb)) = (&w[0], &w[1]);
            let c = compliance::compare(a, bb);
            vec![
                text(ya.to_string()),
                text(yb.to_string()),
                num(a.completed_when_required),
                num(a.required),
                num(bb.completed_when_required),
                num(bb.required),
                opt(c.as_ref().map(|c| c.difference)),
                opt(c.as_ref().map(|c| c.difference_ci.lo)),
                opt(c.as_ref().map(|c| c.difference_ci.hi)),
                opt(c.as_ref().and_then(|c| c.z)),
                opt(c.as_ref().and_then(|c| c.p_value)),
            ]
        })
        .collect()
}

async fn export_data(
    state: &AppState,
    user: &CurrentUser,
    raw: Option<&str>,
    what: &str,
) -> Result<(Period, Vec<CountedFinding>, Breakdown), AppError> {
    let pairs = query_pairs(raw);
    let mut form = form_of(&pairs, &["from", "to"]);
    let (period, filtered) = summary_period(&mut form);
    if form.has_errors() {
        let words: Vec<&str> = form.errors.iter().map(|(_, m)| m.as_str()).collect();
        return Err(AppError::BadRequest(format!(
            "{}. Go back to the compliance page and correct the dates.",
            words.join(". ")
        )));
    }
    let rows = audits::counted_findings(&state.store, &period).await?;
    let b = compliance::breakdown(&audits::audited(&rows));
    audit::record(
        &state.store,
        &user.actor(),
        Event::new(
            "compliance.export",
            format!(
                "Exported incident compliance findings as {what} ({} findings{})",
                rows.len(),
                if filtered {
                    format!(", {}", period.text())
                } else {
                    String::new()
                }
            ),
        ),
    )
    .await?;
    Ok((period, rows, b))
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
        out.write_record(r.iter().map(cell_csv)).map_err(csv_err)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

pub async fn export_csv(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (_, rows, _) = export_data(&state, &page.user, raw.as_deref(), "CSV").await?;
    let cells: Vec<Vec<XCell>> = rows.iter().map(finding_cells).collect();
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("compliance-findings-{}.csv", iso(today())),
        csv_bytes(&FINDING_HEADER, &cells)?,
    ))
}

pub async fn rollup_csv(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (_, _, b) = export_data(&state, &page.user, raw.as_deref(), "CSV roll-up").await?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("compliance-rollup-{}.csv", iso(today())),
        csv_bytes(&ROLLUP_HEADER, &rollup_rows(&b))?,
    ))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (_, rows, b) = export_data(&state, &page.user, raw.as_deref(), "Excel").await?;
    let sheets = [
        Sheet {
            name: "Findings",
            header: FINDING_HEADER.to_vec(),
            rows: rows.iter().map(finding_cells).collect(),
        },
        Sheet {
            name: "Roll-up",
            header: ROLLUP_HEADER.to_vec(),
            rows: rollup_rows(&b),
        },
        Sheet {
            name: "Year on year",
            header: COMPARE_HEADER.to_vec(),
            rows: compare_rows(&b),
        },
    ];
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("compliance-{}.xlsx", iso(today())),
        workbook(&sheets)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        assert_eq!(csv_safe("INC-1"), "INC-1");
        assert_eq!(cell_csv(&XCell::Number(-0.25)), "-0.25", "numbers are ours");
    }

    #[test]
    fn local_times_read_as_dates_and_times() {
        assert_eq!(when("2025-02-01T10:05:00"), "1 February 2025 at 10:05");
        assert_eq!(when("2025-02-01"), "1 February 2025");
    }

    #[test]
    fn findings_read_in_words() {
        let f = Finding {
            form_required: true,
            required_reason: Some(RequiredReason::AdultAtRisk),
            form_completed: true,
            on_time: None,
        };
        assert_eq!(
            finding_words(&f),
            "Required (adult at risk); completed; timing not known"
        );
        let f = Finding {
            form_required: false,
            required_reason: None,
            form_completed: false,
            on_time: None,
        };
        assert_eq!(finding_words(&f), "Not required; not completed");
    }
}
