//! Session pages: the list (upcoming and past), scheduling and changing a session, a session's
//! page (details in London time, trainers, audience, bookings and waitlist, enrolment forms,
//! invitation download, cancel and deliver), series and their progress, co-trainer delivery
//! hours, a line manager's team bookings, and the bulk booking used by the coverage page.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::{field, fields, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::sessions::{self as dom, SessionMode, SessionStatus};
use mashboard_store::audit::{self, Event};
use mashboard_store::delivery::enrolment::{self, Booking, EnrolReport, PersonBooking, Target};
use mashboard_store::delivery::sessions::{
    self, AttendanceRow, AudienceRow, NewSession, Series, SeriesProgress, Session, SessionError,
    SessionFilter, SessionPatch, Trainer, TrainerHours,
};
use mashboard_store::training::{catalogue, programmes};
use mashboard_store::{people, StoreError};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{SessionsBrowse, SessionsManage, TeamBooking};
    t.get("/sessions", P(SessionsBrowse), get(list))
        .get("/sessions/new", P(SessionsManage), get(new_form))
        .post("/sessions/new", P(SessionsManage), post(create))
        .get("/sessions/series", P(SessionsBrowse), get(series_list))
        .post("/sessions/series", P(SessionsManage), post(series_create))
        .get("/sessions/series/{id}", P(SessionsBrowse), get(series_show))
        .get("/sessions/trainers", P(SessionsManage), get(trainers_page))
        .get("/sessions/team", P(TeamBooking), get(team))
        .post("/sessions/team/book", P(TeamBooking), post(team_book))
        .post(
            "/sessions/team/withdraw",
            P(TeamBooking),
            post(team_withdraw),
        )
        .post(
            "/sessions/team/enrol-many",
            P(TeamBooking),
            post(team_enrol_many),
        )
        .post("/sessions/enrol-many", P(SessionsManage), post(enrol_many))
        .get("/sessions/{id}", P(SessionsBrowse), get(show))
        .get("/sessions/{id}/edit", P(SessionsManage), get(edit_form))
        .post("/sessions/{id}/edit", P(SessionsManage), post(update))
        .post("/sessions/{id}/cancel", P(SessionsManage), post(cancel))
        .post("/sessions/{id}/deliver", P(SessionsManage), post(deliver))
        .post("/sessions/{id}/enrol", P(SessionsManage), post(enrol))
        .post("/sessions/{id}/withdraw", P(SessionsManage), post(withdraw))
        .post(
            "/sessions/{id}/withdraw-me",
            P(SessionsBrowse),
            post(withdraw_me),
        )
        .get("/sessions/{id}/invite.ics", P(SessionsBrowse), get(invite))
}

type Pairs = Vec<(String, String)>;

fn query(raw: Option<&str>) -> Pairs {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn status_class(status: &str) -> &'static str {
    match status {
        "open" => "govuk-tag--green",
        "full" => "govuk-tag--orange",
        "delivered" => "govuk-tag--blue",
        "cancelled" => "govuk-tag--red",
        _ => "govuk-tag--grey",
    }
}

/// A session row as the pages show it.
pub(crate) struct SessionView {
    pub id: i64,
    pub name: String,
    pub module: String,
    pub series: String,
    pub when: String,
    pub place: String,
    pub mode: &'static str,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub capacity: i64,
    pub enrolled: i64,
    pub waitlist: i64,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        SessionView {
            id: s.id,
            name: s.name().to_string(),
            module: format!("{} v{}", s.module_code, s.module_version),
            series: s.series_name.clone().unwrap_or_default(),
            when: s.when(),
            place: s.place(),
            mode: s.mode().label(),
            status_label: s.status().label(),
            status_class: status_class(&s.status),
            capacity: s.capacity,
            enrolled: s.enrolled_count,
            waitlist: s.waitlist_count,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Template)]
#[template(path = "sessions/sessions_list.html")]
struct ListPage {
    chrome: Chrome,
    upcoming: Vec<SessionView>,
    past: Vec<SessionView>,
    modules: Vec<(i64, String)>,
    series: Vec<(i64, String)>,
    statuses: Vec<SessionStatus>,
    module_id: Option<i64>,
    series_id: Option<i64>,
    status: String,
    manage: bool,
    team: bool,
}

impl ListPage {
    fn module_selected(&self, id: &i64) -> bool {
        self.module_id == Some(*id)
    }
    fn series_selected(&self, id: &i64) -> bool {
        self.series_id == Some(*id)
    }
    fn status_selected(&self, s: &SessionStatus) -> bool {
        self.status == s.as_str()
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = query(raw.as_deref());
    let module_id = field(&q, "module_id").parse().ok();
    let series_id = field(&q, "series_id").parse().ok();
    let status = SessionStatus::parse(&field(&q, "status"))
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let f = |upcoming| SessionFilter {
        module_id,
        series_id,
        status: Some(status.clone()).filter(|s| !s.is_empty()),
        upcoming: Some(upcoming),
    };
    let upcoming = sessions::list(&state.store, &f(true)).await?;
    let past = sessions::list(&state.store, &f(false)).await?;
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Training sessions",
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        upcoming: upcoming.iter().map(SessionView::from).collect(),
        past: past.iter().take(200).map(SessionView::from).collect(),
        modules: catalogue::modules(&state.store, true)
            .await?
            .into_iter()
            .map(|m| (m.id, format!("{} ({})", m.title, m.code)))
            .collect(),
        series: sessions::all_series(&state.store)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
        statuses: SessionStatus::ALL.to_vec(),
        module_id,
        series_id,
        status,
        manage: page.user.can(Capability::SessionsManage),
        team: page.user.can(Capability::TeamBooking),
    })
}

// ---------------------------------------------------------------------------------------------
// Schedule and change

#[derive(Template)]
#[template(path = "sessions/sessions_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
    /// None: a new session.
    id: Option<i64>,
    module_label: String,
    modules: Vec<(i64, String)>,
    series: Vec<(i64, String)>,
}

impl FormPage {
    fn selected(&self, name: &str, id: &i64) -> bool {
        self.form.value(name) == id.to_string()
    }
    fn mode_checked(&self, mode: &str) -> bool {
        self.form.value("mode") == mode
    }
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    id: Option<i64>,
    module_label: String,
) -> Result<Response, AppError> {
    let title = if id.is_some() {
        "Change a session"
    } else {
        "Schedule a session"
    };
    let has = form.has_errors();
    html(&FormPage {
        chrome: Chrome::new(state, title, Some(user), csrf, "/sessions").with_errors(has),
        form,
        id,
        module_label,
        modules: catalogue::modules(&state.store, false)
            .await?
            .into_iter()
            .map(|m| (m.id, format!("{} ({}, v{})", m.title, m.code, m.version)))
            .collect(),
        series: sessions::all_series(&state.store)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = query(raw.as_deref());
    let mut form = FormState::default();
    form.set("mode", "in_person");
    form.set("capacity", "20");
    form.set("start_time", "09:00");
    form.set("end_time", "12:00");
    form.set("series_id", field(&q, "series_id"));
    form.set("module_id", field(&q, "module_id"));
    form.set("trainers", page.user.username.clone());
    render_form(&state, &page.user, &page.csrf, form, None, String::new()).await
}

const FORM_FIELDS: [&str; 16] = [
    "module_id",
    "series_id",
    "title",
    "date",
    "start_time",
    "end_time",
    "mode",
    "venue",
    "room",
    "join_url",
    "capacity",
    "trainers",
    "cohorts",
    "departments",
    "role_profiles",
    "people",
];

/// Reads the schedule form: the session, or the form with its errors.
fn read_form(pairs: &[(String, String)], new: bool) -> Result<NewSession, FormState> {
    let mut form = FormState::default();
    for n in FORM_FIELDS {
        form.set(n, field(pairs, n));
    }
    let module_id = if new {
        match form.value("module_id").parse::<i64>() {
            Ok(m) => m,
            Err(_) => {
                form.add_error("module_id", "Choose the module the session delivers");
                0
            }
        }
    } else {
        0
    };
    let series_id = form.value("series_id").parse::<i64>().ok();
    let mut when = |name: &str, time: &str| -> Option<dom::Instant> {
        let date = form.value("date").to_string();
        let t = form.value(time).to_string();
        if date.is_empty() {
            if name == "start_time" {
                form.add_error("date", "Enter the date of the session");
            }
            return None;
        }
        if t.is_empty() {
            form.add_error(
                time,
                format!(
                    "Enter the {} time",
                    if name == "start_time" { "start" } else { "end" }
                ),
            );
            return None;
        }
        match dom::parse_london(&date, &t) {
            Ok(ts) => Some(ts),
            Err(e) => {
                let f = if e.contains("is not a date") {
                    "date"
                } else {
                    time
                };
                if form.error(f).is_none() {
                    form.add_error(f, e);
                }
                None
            }
        }
    };
    let starts = when("start_time", "start_time");
    let ends = when("end_time", "end_time");
    let mode = SessionMode::parse(form.value("mode")).ok();
    if mode.is_none() {
        form.add_error("mode", "Choose in person or Microsoft Teams");
    }
    let capacity = match form.value("capacity").parse::<i64>() {
        Ok(c) => Some(c),
        Err(_) => {
            form.add_error(
                "capacity",
                "Enter the number of places as a whole number, like 20",
            );
            None
        }
    };
    let trainers = fields(pairs, "trainers");
    if trainers.is_empty() {
        form.add_error(
            "trainers",
            "Enter at least the lead trainer's user name or staff number",
        );
    }
    let mut audience = Vec::new();
    for (name, kind) in [
        ("cohorts", "cohort"),
        ("departments", "department"),
        ("role_profiles", "role_profile"),
        ("people", "person"),
    ] {
        for v in form
            .value(name)
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            audience.push((kind.to_string(), v.to_string()));
        }
    }
    if form.has_errors() {
        return Err(form);
    }
    let (Some(starts_at), Some(ends_at), Some(mode), Some(capacity)) =
        (starts, ends, mode, capacity)
    else {
        return Err(form);
    };
    Ok(NewSession {
        series_id,
        module_id,
        title: form.value("title").to_string(),
        starts_at,
        ends_at,
        mode,
        venue: form.value("venue").to_string(),
        room: form.value("room").to_string(),
        join_url: form.value("join_url").to_string(),
        capacity,
        trainers,
        audience,
        status: SessionStatus::Open,
    })
}

fn form_of(pairs: &[(String, String)]) -> FormState {
    let mut form = FormState::default();
    for n in FORM_FIELDS {
        form.set(n, field(pairs, n));
    }
    form
}

/// The store's refusals onto the form's fields.
fn store_errors(form: &mut FormState, e: SessionError) -> Result<(), AppError> {
    match e {
        SessionError::Invalid(errs) => {
            for e in errs {
                let f = match e.field {
                    "ends_at" => "end_time",
                    "starts_at" => "start_time",
                    "location" => "venue",
                    "audience" => "cohorts",
                    other => other,
                };
                form.add_error(f, e.message);
            }
            Ok(())
        }
        SessionError::Conflict(m) => Err(AppError::BadRequest(m)),
        SessionError::NotFound(_) => Err(AppError::NotFound),
        SessionError::Store(e) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let n = match read_form(&pairs, true) {
        Ok(n) => n,
        Err(form) => {
            return render_form(&state, &page.user, &page.csrf, form, None, String::new()).await
        }
    };
    match sessions::create(&state.store, &page.user.actor(), &n).await {
        Ok(s) => Ok(see_other(&format!("/sessions/{}?saved=created", s.id))),
        Err(e) => {
            let mut form = form_of(&pairs);
            store_errors(&mut form, e)?;
            render_form(&state, &page.user, &page.csrf, form, None, String::new()).await
        }
    }
}

async fn must_get(state: &AppState, id: i64) -> Result<Session, AppError> {
    sessions::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let s = must_get(&state, id).await?;
    let mut form = FormState::default();
    let (date, start) = dom::london_fields(s.starts());
    let (_, end) = dom::london_fields(s.ends());
    let trainers = sessions::trainers(&state.store, id).await?;
    let audience = sessions::audience(&state.store, id).await?;
    let aud = |kind: &str| {
        audience
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.value.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    form.set(
        "series_id",
        s.series_id.map(|x| x.to_string()).unwrap_or_default(),
    );
    form.set("title", s.title.clone());
    form.set("date", date);
    form.set("start_time", start);
    form.set("end_time", end);
    form.set("mode", s.mode.clone());
    form.set("venue", s.venue.clone());
    form.set("room", s.room.clone());
    form.set("join_url", s.join_url.clone());
    form.set("capacity", s.capacity.to_string());
    form.set(
        "trainers",
        trainers
            .iter()
            .map(|t| t.staff_number.clone())
            .collect::<Vec<_>>()
            .join(", "),
    );
    form.set("cohorts", aud("cohort"));
    form.set("departments", aud("department"));
    form.set("role_profiles", aud("role_profile"));
    form.set("people", aud("person"));
    let label = format!(
        "{} ({} v{})",
        s.module_title, s.module_code, s.module_version
    );
    render_form(&state, &page.user, &page.csrf, form, Some(id), label).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let s = must_get(&state, id).await?;
    let label = format!(
        "{} ({} v{})",
        s.module_title, s.module_code, s.module_version
    );
    let n = match read_form(&pairs, false) {
        Ok(n) => n,
        Err(form) => {
            return render_form(&state, &page.user, &page.csrf, form, Some(id), label).await
        }
    };
    let p = SessionPatch {
        title: Some(n.title),
        starts_at: Some(n.starts_at),
        ends_at: Some(n.ends_at),
        mode: Some(n.mode),
        venue: Some(n.venue),
        room: Some(n.room),
        join_url: Some(n.join_url),
        capacity: Some(n.capacity),
        series_id: Some(n.series_id),
        trainers: Some(n.trainers),
        audience: Some(n.audience),
    };
    match sessions::update(&state.store, &page.user.actor(), id, &p).await {
        Ok(c) => Ok(see_other(&format!(
            "/sessions/{id}?saved={}",
            if c.rescheduled {
                "rescheduled"
            } else {
                "changed"
            }
        ))),
        Err(e) => {
            let mut form = form_of(&pairs);
            store_errors(&mut form, e)?;
            render_form(&state, &page.user, &page.csrf, form, Some(id), label).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A session's page

pub(crate) struct BookingView {
    pub staff_number: String,
    pub name: String,
    pub department: String,
    pub has_email: bool,
    pub booked_by: String,
}

impl From<&Booking> for BookingView {
    fn from(b: &Booking) -> Self {
        BookingView {
            staff_number: b.staff_number.clone(),
            name: b.name.clone(),
            department: b.department.clone().unwrap_or_default(),
            has_email: b.email.as_deref().is_some_and(|e| e.contains('@')),
            booked_by: b.booked_by.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "sessions/sessions_show.html")]
struct ShowPage {
    chrome: Chrome,
    s: SessionView,
    module_title: String,
    join_url: String,
    teams: bool,
    cancel_reason: String,
    sequence: i64,
    trainers: Vec<Trainer>,
    audience: Vec<AudienceRow>,
    enrolled: Vec<BookingView>,
    waitlist: Vec<BookingView>,
    attendance: Vec<AttendanceRow>,
    manage: bool,
    open: bool,
    /// The signed-in person's own booking status, if any.
    mine: Option<String>,
    saved: String,
    report: Option<EnrolReport>,
    cohorts: Vec<String>,
    departments: Vec<String>,
    profiles: Vec<(String, String)>,
    form: FormState,
}

const REPORT_KEY: &str = "sessions.enrol_report";

fn saved_text(code: &str) -> String {
    match code {
        "created" => "The session has been scheduled.".into(),
        "changed" => "The session has been changed.".into(),
        "rescheduled" => {
            "The session has been changed. Everyone enrolled will be sent the updated invitation."
                .into()
        }
        "cancelled" => {
            "The session has been cancelled. Everyone enrolled will be sent the cancellation."
                .into()
        }
        "delivered" => "The session has been marked delivered.".into(),
        "withdrawn" => "The booking has been withdrawn.".into(),
        "enrolled" => "Bookings made.".into(),
        _ => String::new(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let q = query(raw.as_deref());
    render_show(
        &state,
        &page.user,
        &page.session,
        &page.csrf,
        id,
        field(&q, "saved"),
        FormState::default(),
    )
    .await
}

async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    tsession: &tower_sessions::Session,
    csrf: &str,
    id: i64,
    saved: String,
    form: FormState,
) -> Result<Response, AppError> {
    let s = must_get(state, id).await?;
    let manage = user.can(Capability::SessionsManage);
    let bookings = enrolment::bookings(&state.store, id).await?;
    let mine = user.person_id.and_then(|me| {
        bookings
            .iter()
            .find(|b| b.person_id == me && b.status != "withdrawn")
            .map(|b| b.status.clone())
    });
    let (enrolled, waitlist, attendance) = if manage {
        (
            bookings
                .iter()
                .filter(|b| b.status == "enrolled")
                .map(BookingView::from)
                .collect(),
            bookings
                .iter()
                .filter(|b| b.status == "waitlisted")
                .map(BookingView::from)
                .collect(),
            sessions::attendance(&state.store, id).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    if manage && !bookings.is_empty() {
        audit::record(
            &state.store,
            &user.actor(),
            Event::new(
                "session.view",
                format!("Viewed the bookings of session {id}"),
            )
            .on("session", id.to_string()),
        )
        .await?;
    }
    let report: Option<EnrolReport> = tsession
        .remove::<String>(REPORT_KEY)
        .await
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| EnrolReport {
            enrolled: serde_json::from_value(v["enrolled"].clone()).unwrap_or_default(),
            waitlisted: serde_json::from_value(v["waitlisted"].clone()).unwrap_or_default(),
            skipped: v["skipped"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| enrolment::Skipped {
                            staff_number: x["staff_number"].as_str().unwrap_or("").into(),
                            reason: x["reason"].as_str().unwrap_or("").into(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            emails_queued: v["emails_queued"].as_u64().unwrap_or(0) as usize,
            without_email: v["without_email"].as_u64().unwrap_or(0) as usize,
        });
    let facets = if manage {
        people::facets(&state.store).await?
    } else {
        Default::default()
    };
    let profiles = if manage {
        programmes::profiles(&state.store)
            .await?
            .into_iter()
            .map(|p| (p.code, p.name))
            .collect()
    } else {
        Vec::new()
    };
    let has = form.has_errors();
    html(&ShowPage {
        chrome: Chrome::new(state, s.name().to_string(), Some(user), csrf, "/sessions")
            .with_errors(has),
        s: SessionView::from(&s),
        module_title: format!(
            "{} ({} v{})",
            s.module_title, s.module_code, s.module_version
        ),
        join_url: s.join_url.clone(),
        teams: s.mode() == SessionMode::Teams,
        cancel_reason: s.cancel_reason.clone().unwrap_or_default(),
        sequence: s.ics_sequence,
        trainers: sessions::trainers(&state.store, id).await?,
        audience: sessions::audience(&state.store, id).await?,
        enrolled,
        waitlist,
        attendance,
        manage,
        open: s.status().takes_bookings(),
        mine,
        saved: saved_text(&saved),
        report,
        cohorts: facets.cohorts,
        departments: facets.departments,
        profiles,
        form,
    })
}

fn refusal(e: SessionError) -> AppError {
    match e {
        SessionError::Invalid(errs) => AppError::BadRequest(
            errs.into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        SessionError::Conflict(m) => AppError::BadRequest(m),
        SessionError::NotFound(_) => AppError::NotFound,
        SessionError::Store(e) => e.into(),
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let reason = field(&pairs, "reason");
    match sessions::cancel(&state.store, &page.user.actor(), id, &reason).await {
        Ok(_) => Ok(see_other(&format!("/sessions/{id}?saved=cancelled"))),
        Err(SessionError::Invalid(errs)) => {
            let mut form = FormState::default();
            for e in errs {
                form.add_error(e.field, e.message);
            }
            render_show(
                &state,
                &page.user,
                &page.session,
                &page.csrf,
                id,
                String::new(),
                form,
            )
            .await
        }
        Err(e) => Err(refusal(e)),
    }
}

pub async fn deliver(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    sessions::mark_delivered(&state.store, &page.user.actor(), id)
        .await
        .map_err(refusal)?;
    Ok(see_other(&format!("/sessions/{id}?saved=delivered")))
}

async fn keep_report(page_session: &tower_sessions::Session, r: &EnrolReport) {
    if let Ok(text) = serde_json::to_string(r) {
        let _ = page_session.insert(REPORT_KEY, text).await;
    }
}

pub async fn enrol(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let by = field(&pairs, "by");
    let target = match by.as_str() {
        "cohort" => Target::Cohort(field(&pairs, "cohort")),
        "department" => Target::Department(field(&pairs, "department")),
        "role_profile" => Target::RoleProfile(field(&pairs, "role_profile")),
        _ => Target::StaffNumbers(fields(&pairs, "staff_numbers")),
    };
    match enrolment::enrol_target(&state.store, &page.user.actor(), id, &target, None).await {
        Ok(r) => {
            keep_report(&page.session, &r).await;
            Ok(see_other(&format!(
                "/sessions/{id}?saved=enrolled#bookings"
            )))
        }
        Err(SessionError::Invalid(errs)) => {
            let mut form = FormState::default();
            for e in errs {
                let f = match e.field {
                    "staff_numbers" | "cohort" | "department" | "role_profile" => e.field,
                    _ => "staff_numbers",
                };
                form.add_error(f, e.message);
            }
            render_show(
                &state,
                &page.user,
                &page.session,
                &page.csrf,
                id,
                String::new(),
                form,
            )
            .await
        }
        Err(e) => Err(refusal(e)),
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    enrolment::withdraw(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "staff_number"),
        None,
    )
    .await
    .map_err(refusal)?;
    Ok(see_other(&format!(
        "/sessions/{id}?saved=withdrawn#bookings"
    )))
}

pub async fn withdraw_me(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let Some(sn) = page.user.staff_number.clone() else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory".into(),
        ));
    };
    enrolment::withdraw(&state.store, &page.user.actor(), id, &sn, None)
        .await
        .map_err(refusal)?;
    let back = local_path(&field(&pairs, "return_to")).unwrap_or_else(|| format!("/sessions/{id}"));
    Ok(see_other(&with_query(&back, "saved=withdrawn")))
}

pub async fn invite(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    match crate::sessions::api::ics_response(&state, &page.user, id).await {
        Ok(r) => Ok(r),
        Err(_) => Err(AppError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk booking (from the coverage page) and the line manager's team

/// A path on this site (`/…`, never `//host`), for redirects after a form.
fn local_path(raw: &str) -> Option<String> {
    let r = raw.trim();
    (r.starts_with('/') && !r.starts_with("//") && !r.contains('\\') && !r.contains(['\r', '\n']))
        .then(|| r.to_string())
}

fn with_query(path: &str, q: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    match path.split_once('#') {
        Some((p, frag)) => format!("{p}{sep}{q}#{frag}"),
        None => format!("{path}{sep}{q}"),
    }
}

async fn bulk(
    state: &AppState,
    user: &CurrentUser,
    session: &tower_sessions::Session,
    pairs: &[(String, String)],
    manager: Option<i64>,
    default_back: &str,
) -> Result<Response, AppError> {
    let id: i64 = field(pairs, "session_id")
        .parse()
        .map_err(|_| AppError::BadRequest("Choose a session to book people on".into()))?;
    let back = local_path(&field(pairs, "return_to")).unwrap_or_else(|| default_back.to_string());
    let sns: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "staff_number")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if sns.is_empty() {
        return Err(AppError::BadRequest(
            "Choose at least one person to book".into(),
        ));
    }
    let r = enrolment::enrol_target(
        &state.store,
        &user.actor(),
        id,
        &Target::StaffNumbers(sns),
        manager,
    )
    .await
    .map_err(refusal)?;
    keep_report(session, &r).await;
    Ok(see_other(&with_query(
        &back,
        &format!(
            "booked_session={id}&enrolled={}&waitlisted={}&skipped={}",
            r.enrolled.len(),
            r.waitlisted.len(),
            r.skipped.len()
        ),
    )))
}

pub async fn enrol_many(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = field(&pairs, "session_id");
    bulk(
        &state,
        &page.user,
        &page.session,
        &pairs,
        None,
        &format!("/sessions/{id}"),
    )
    .await
}

fn manager_id(user: &CurrentUser) -> Result<i64, AppError> {
    user.person_id.ok_or_else(|| {
        AppError::BadRequest(
            "Your account is not linked to a person in the directory, so you have no team to book"
                .into(),
        )
    })
}

pub async fn team_enrol_many(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let me = manager_id(&page.user)?;
    bulk(
        &state,
        &page.user,
        &page.session,
        &pairs,
        Some(me),
        "/sessions/team",
    )
    .await
}

#[derive(Template)]
#[template(path = "sessions/sessions_team.html")]
struct TeamPage {
    chrome: Chrome,
    linked: bool,
    members: Vec<(String, String)>,
    bookings: Vec<PersonBooking>,
    upcoming: Vec<SessionView>,
    report: Option<EnrolReport>,
    saved: String,
}

pub async fn team(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = query(raw.as_deref());
    let (members, bookings) = match page.user.person_id {
        Some(me) => (
            enrolment::team_members(&state.store, me).await?,
            enrolment::of_team(&state.store, me).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    if !bookings.is_empty() {
        audit::record(
            &state.store,
            &page.user.actor(),
            Event::new("session.team_view", "Viewed their team's session bookings"),
        )
        .await?;
    }
    let upcoming = sessions::list(
        &state.store,
        &SessionFilter {
            upcoming: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let report = if field(&q, "enrolled").is_empty() {
        None
    } else {
        page.session
            .remove::<String>(REPORT_KEY)
            .await
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map(|v| EnrolReport {
                enrolled: serde_json::from_value(v["enrolled"].clone()).unwrap_or_default(),
                waitlisted: serde_json::from_value(v["waitlisted"].clone()).unwrap_or_default(),
                skipped: Vec::new(),
                emails_queued: 0,
                without_email: 0,
            })
    };
    html(&TeamPage {
        chrome: Chrome::new(
            &state,
            "Your team's sessions",
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        linked: page.user.person_id.is_some(),
        members,
        bookings,
        upcoming: upcoming
            .iter()
            .filter(|s| s.status().takes_bookings())
            .map(SessionView::from)
            .collect(),
        report,
        saved: saved_text(&field(&q, "saved")),
    })
}

pub async fn team_book(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let me = manager_id(&page.user)?;
    bulk(
        &state,
        &page.user,
        &page.session,
        &pairs,
        Some(me),
        "/sessions/team",
    )
    .await
}

pub async fn team_withdraw(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let me = manager_id(&page.user)?;
    let id: i64 = field(&pairs, "session_id")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    enrolment::withdraw(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "staff_number"),
        Some(me),
    )
    .await
    .map_err(refusal)?;
    Ok(see_other("/sessions/team?saved=withdrawn"))
}

// ---------------------------------------------------------------------------------------------
// Series and trainers

#[derive(Template)]
#[template(path = "sessions/series_list.html")]
struct SeriesListPage {
    chrome: Chrome,
    series: Vec<Series>,
    manage: bool,
    form: FormState,
    modules: Vec<(i64, String)>,
}

async fn render_series_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let has = form.has_errors();
    html(&SeriesListPage {
        chrome: Chrome::new(state, "Session series", Some(user), csrf, "/sessions")
            .with_errors(has),
        series: sessions::all_series(&state.store).await?,
        manage: user.can(Capability::SessionsManage),
        form,
        modules: catalogue::modules(&state.store, false)
            .await?
            .into_iter()
            .map(|m| (m.id, format!("{} ({})", m.title, m.code)))
            .collect(),
    })
}

pub async fn series_list(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
) -> Result<Response, AppError> {
    render_series_list(&state, &page.user, &page.csrf, FormState::default()).await
}

pub async fn series_create(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let module_id = field(&pairs, "module_id").parse().ok();
    match sessions::create_series(
        &state.store,
        &page.user.actor(),
        &field(&pairs, "name"),
        &field(&pairs, "description"),
        module_id,
    )
    .await
    {
        Ok(id) => Ok(see_other(&format!("/sessions/series/{id}"))),
        Err(SessionError::Invalid(errs)) => {
            let mut form = FormState::default();
            form.set("name", field(&pairs, "name"));
            form.set("description", field(&pairs, "description"));
            for e in errs {
                form.add_error(e.field, e.message);
            }
            render_series_list(&state, &page.user, &page.csrf, form).await
        }
        Err(e) => Err(refusal(e)),
    }
}

#[derive(Template)]
#[template(path = "sessions/series_show.html")]
struct SeriesPage {
    chrome: Chrome,
    series: Series,
    progress: SeriesProgress,
    sessions: Vec<SessionView>,
    manage: bool,
}

pub async fn series_show(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let series = sessions::series(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let list = sessions::list(
        &state.store,
        &SessionFilter {
            series_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    html(&SeriesPage {
        chrome: Chrome::new(
            &state,
            series.name.clone(),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        progress: sessions::series_progress(&state.store, id).await?,
        series,
        sessions: list.iter().map(SessionView::from).collect(),
        manage: page.user.can(Capability::SessionsManage),
    })
}

#[derive(Template)]
#[template(path = "sessions/sessions_trainers.html")]
struct TrainersPage {
    chrome: Chrome,
    rows: Vec<TrainerHours>,
}

pub async fn trainers_page(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
) -> Result<Response, AppError> {
    let rows = sessions::trainer_hours(&state.store).await?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new("session.trainer_hours", "Viewed co-trainer delivery hours"),
    )
    .await?;
    html(&TrainersPage {
        chrome: Chrome::new(
            &state,
            "Trainer delivery hours",
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        rows,
    })
}

/// A person's bookings for the My training page.
pub(crate) async fn my_bookings(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<PersonBooking>, StoreError> {
    match user.person_id {
        Some(me) => enrolment::of_person(&state.store, me).await,
        None => Ok(Vec::new()),
    }
}
