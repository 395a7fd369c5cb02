//! Sessions in the JSON API: schedule, change, cancel, book and withdraw people, read a session
//! with its bookings and attendance, and download its iCalendar invitation. Also the module
//! list (`GET /api/v1/modules`). Every refusal is a 4xx JSON `{"error", "message"}` and writes
//! nothing.

mod booking;
use self::booking::*;
// The session page offers the same invitation download.
pub(super) use self::booking::ics_response;

use crate::auth::{cap, Api, CurrentUser};
use crate::error::ApiError;
use crate::error::Path;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::sessions::{self as dom, SessionMode, SessionStatus};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::delivery::enrolment::{self, EnrolReport, Target};
use mashboard_store::delivery::outbox;
use mashboard_store::delivery::sessions::{self, NewSession, Session, SessionError, SessionPatch};
use mashboard_store::training::catalogue;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.get("/api/v1/modules", A(SessionsBrowse), get(modules))
        .get("/api/v1/sessions", A(SessionsBrowse), get(list))
        .post("/api/v1/sessions", A(SessionsManage), post(create))
        .get("/api/v1/sessions/{id}", A(SessionsBrowse), get(one))
        .patch("/api/v1/sessions/{id}", A(SessionsManage), patch(change))
        .post(
            "/api/v1/sessions/{id}/cancel",
            A(SessionsManage),
            post(cancel),
        )
        .post(
            "/api/v1/sessions/{id}/enrolments",
            A(SessionsManage),
            post(enrol),
        )
        .delete(
            "/api/v1/sessions/{id}/enrolments/{staff_number}",
            A(SessionsManage),
            delete(withdraw),
        )
        .get(
            "/api/v1/sessions/{id}/invite.ics",
            A(SessionsBrowse),
            get(invite),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(modules, list, create, one, change, cancel, enrol, withdraw, invite),
    components(schemas(
        ModuleItemJson,
        ModuleListJson,
        NewSessionJson,
        SessionPatchJson,
        CancelJson,
        EnrolJson,
        EnrolResultJson,
        SkippedJson,
        WithdrawnJson,
        SessionJson,
        SessionListJson,
        TrainerJson,
        AttendanceJson
    ))
)]
pub struct SessionsDoc;

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Invalid(errs) => {
                ApiError::fields(errs.iter().map(|e| (e.field, e.message.as_str())))
            }
            SessionError::NotFound(m) => ApiError::said(StatusCode::NOT_FOUND, "not_found", m),
            SessionError::Conflict(m) => ApiError::Conflict(m),
            SessionError::Store(e) => e.into(),
        }
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

fn body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    crate::error::json_body(r)
}

fn time_field(name: &str, raw: &str) -> Result<dom::Instant, ApiError> {
    dom::parse_time(raw).map_err(|e| bad(format!("{name}: {e}")))
}

fn mode_field(raw: &str) -> Result<SessionMode, ApiError> {
    SessionMode::parse(raw).map_err(|e| bad(format!("mode: {e}")))
}

/// A whole number sent as a number or a string of digits.
fn int_field(name: &str, v: &serde_json::Value) -> Result<i64, ApiError> {
    match v {
        serde_json::Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| bad(format!("{name}: {n} is not a whole number"))),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| bad(format!("{name}: \"{s}\" is not a whole number"))),
        other => Err(bad(format!("{name}: {other} is not a whole number"))),
    }
}

async fn module_id(state: &AppState, v: &serde_json::Value) -> Result<i64, ApiError> {
    if let serde_json::Value::String(code) = v {
        if code.trim().parse::<i64>().is_err() {
            return catalogue::module_by_code(&state.store, code.trim())
                .await?
                .map(|m| m.id)
                .ok_or_else(|| {
                    bad(format!(
                        "module_id: there is no module \"{}\" in the catalogue",
                        code.trim()
                    ))
                });
        }
    }
    int_field("module_id", v)
}

#[derive(Serialize, ToSchema)]
pub struct ModuleItemJson {
    pub id: i64,
    pub code: String,
    pub title: String,
    /// face_to_face, e_learning, recorded_video, …
    pub kind: String,
    /// The current version.
    pub version: String,
    pub status: String,
    pub duration_minutes: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ModuleListJson {
    pub items: Vec<ModuleItemJson>,
}

/// The module catalogue (retired modules left out).
#[utoipa::path(get, path = "/api/v1/modules", security(("bearer" = [])),
    responses((status = 200, body = ModuleListJson), (status = 401, body = crate::error::Problem)))]
pub async fn modules(
    State(state): State<AppState>,
    _api: Api<cap::SessionsBrowse>,
) -> Result<Json<ModuleListJson>, ApiError> {
    let items = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .map(|m| ModuleItemJson {
            id: m.id,
            code: m.code,
            title: m.title,
            kind: m.kind,
            version: m.version,
            status: m.status,
            duration_minutes: m.duration_minutes,
        })
        .collect();
    Ok(Json(ModuleListJson { items }))
}

#[derive(Serialize, ToSchema)]
pub struct TrainerJson {
    pub staff_number: String,
    pub name: String,
    pub lead: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceJson {
    pub staff_number: String,
    /// attended, partly_attended, absent, excused (null: not yet marked).
    pub status: Option<String>,
    pub minutes: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionJson {
    pub id: i64,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    /// The module version the session delivers (recorded when it was scheduled).
    pub module_version: String,
    pub series_id: Option<i64>,
    pub title: String,
    /// RFC 3339 in London's offset.
    pub starts_at: String,
    pub ends_at: String,
    /// "Tuesday 15 July 2025, 9am to midday" (UK time, in words).
    pub when: String,
    /// in_person or teams.
    pub mode: String,
    /// Venue (in person) or "Microsoft Teams".
    pub location: String,
    pub venue: String,
    pub room: String,
    pub join_url: String,
    pub capacity: i64,
    /// planned, open, full, delivered or cancelled.
    pub status: String,
    pub cancel_reason: Option<String>,
    pub ics_uid: String,
    pub sequence: i64,
    pub trainers: Vec<TrainerJson>,
    /// Staff numbers holding a place.
    pub enrolled: Vec<String>,
    /// Staff numbers waiting, first first.
    pub waitlist: Vec<String>,
    pub attendance: Vec<AttendanceJson>,
    /// Only on `POST /api/v1/sessions` with cohorts in the audience: who the cohorts booked, who
    /// went on the waitlist and who was skipped, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohort_booking: Option<booking::EnrolResultJson>,
}

fn summary_json(s: &Session) -> SessionJson {
    SessionJson {
        id: s.id,
        module_id: s.module_id,
        module_code: s.module_code.clone(),
        module_title: s.module_title.clone(),
        module_version: s.module_version.clone(),
        series_id: s.series_id,
        title: s.name().to_string(),
        starts_at: dom::rfc3339_london(s.starts()),
        ends_at: dom::rfc3339_london(s.ends()),
        when: s.when(),
        mode: s.mode.clone(),
        location: s.place(),
        venue: s.venue.clone(),
        room: s.room.clone(),
        join_url: s.join_url.clone(),
        capacity: s.capacity,
        status: s.status.clone(),
        cancel_reason: s.cancel_reason.clone(),
        ics_uid: s.ics_uid.clone(),
        sequence: s.ics_sequence,
        trainers: Vec::new(),
        enrolled: Vec::new(),
        waitlist: Vec::new(),
        attendance: Vec::new(),
        cohort_booking: None,
    }
}

/// The session with its people: those who run sessions see everyone; others see only
/// themselves and their own direct reports.
async fn full_json(state: &AppState, user: &CurrentUser, id: i64) -> Result<SessionJson, ApiError> {
    let s = sessions::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut j = summary_json(&s);
    j.trainers = sessions::trainers(&state.store, id)
        .await?
        .into_iter()
        .map(|t| TrainerJson {
            staff_number: t.staff_number,
            name: t.name,
            lead: t.lead,
        })
        .collect();
    let all = user.can(Capability::SessionsManage);
    let me = user.person_id;
    let mut visible = Vec::new();
    for b in enrolment::bookings(&state.store, id).await? {
        let mine = me.is_some() && (Some(b.person_id) == me || b.line_manager_id == me);
        if !(all || mine) {
            continue;
        }
        visible.push(b.staff_number.clone());
        match b.status.as_str() {
            "enrolled" => j.enrolled.push(b.staff_number),
            "waitlisted" => j.waitlist.push(b.staff_number),
            _ => {}
        }
    }
    j.attendance = sessions::attendance(&state.store, id)
        .await?
        .into_iter()
        .filter(|a| all || visible.contains(&a.staff_number))
        .map(|a| AttendanceJson {
            staff_number: a.staff_number,
            status: a.status,
            minutes: a.minutes,
        })
        .collect();
    if !visible.is_empty() {
        audit_trail::record(
            &state.store,
            &user.actor(),
            Event::new(
                "session.view",
                format!("Viewed the bookings of session {id} in the API"),
            )
            .on("session", id.to_string()),
        )
        .await?;
    }
    Ok(j)
}

#[derive(Serialize, ToSchema)]
pub struct SessionListJson {
    pub items: Vec<SessionJson>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub module_id: Option<i64>,
    pub series_id: Option<i64>,
    /// planned, open, full, delivered or cancelled.
    pub status: Option<String>,
    /// true: only sessions not yet ended; false: only past ones.
    pub upcoming: Option<bool>,
}

/// Sessions (without their people), upcoming soonest first or past latest first.
#[utoipa::path(get, path = "/api/v1/sessions", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = SessionListJson), (status = 400, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _api: Api<cap::SessionsBrowse>,
    q: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SessionListJson>, ApiError> {
    let Query(q) =
        q.map_err(|e| bad(format!("The query string is not valid: {}", e.body_text())))?;
    if let Some(s) = q.status.as_deref() {
        if SessionStatus::parse(s).is_none() {
            return Err(bad(format!(
                "status: \"{s}\" is not a status; use planned, open, full, delivered or cancelled"
            )));
        }
    }
    let items = sessions::list(
        &state.store,
        &sessions::SessionFilter {
            module_id: q.module_id,
            series_id: q.series_id,
            status: q.status.map(|s| s.trim().to_ascii_lowercase()),
            upcoming: q.upcoming,
        },
    )
    .await?
    .iter()
    .map(summary_json)
    .collect();
    Ok(Json(SessionListJson { items }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewSessionJson {
    /// The catalogue module's id (or its code).
    #[schema(value_type = i64)]
    pub module_id: serde_json::Value,
    /// RFC 3339 with an offset, or without one meaning Europe/London (`2025-07-15T09:00`).
    pub starts_at: String,
    pub ends_at: String,
    /// in_person or teams.
    pub mode: String,
    /// The venue (in person).
    pub location: Option<String>,
    pub room: Option<String>,
    /// The Teams join link (https).
    pub join_url: Option<String>,
    #[schema(value_type = i64)]
    pub capacity: serde_json::Value,
    /// User names (or staff numbers); the first is the lead trainer.
    #[serde(default)]
    pub trainers: Vec<String>,
    pub title: Option<String>,
    pub series_id: Option<i64>,
    /// Who the session is for: `{"kind": "cohort"|"department"|"role_profile"|"person", "value"}`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub audience: Vec<serde_json::Value>,
    /// planned or open (default open).
    pub status: Option<String>,
}

fn audience_of(v: &[serde_json::Value]) -> Result<Vec<(String, String)>, ApiError> {
    v.iter()
        .map(|a| {
            let kind = a.get("kind").and_then(|k| k.as_str());
            let value = a.get("value").and_then(|k| k.as_str());
            match (kind, value) {
                (Some(k), Some(v)) => Ok((k.to_string(), v.to_string())),
                _ => Err(bad(
                    "audience: each entry needs a \"kind\" (cohort, department, role_profile or person) and a \"value\"",
                )),
            }
        })
        .collect()
}

/// Schedules a session.
#[utoipa::path(post, path = "/api/v1/sessions", request_body = NewSessionJson, security(("bearer" = [])),
    responses((status = 201, body = SessionJson), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    req: Result<Json<NewSessionJson>, JsonRejection>,
) -> Result<(StatusCode, Json<SessionJson>), ApiError> {
    let b = body(req)?;
    let status = match b.status.as_deref().map(str::trim) {
        None | Some("") | Some("open") => SessionStatus::Open,
        Some("planned") => SessionStatus::Planned,
        Some(other) => {
            return Err(bad(format!(
                "status: a new session is planned or open, not \"{other}\""
            )))
        }
    };
    let n = NewSession {
        series_id: b.series_id,
        module_id: module_id(&state, &b.module_id).await?,
        title: b.title.unwrap_or_default(),
        starts_at: time_field("starts_at", &b.starts_at)?,
        ends_at: time_field("ends_at", &b.ends_at)?,
        mode: mode_field(&b.mode)?,
        venue: b.location.unwrap_or_default(),
        room: b.room.unwrap_or_default(),
        join_url: b.join_url.unwrap_or_default(),
        capacity: int_field("capacity", &b.capacity)?,
        trainers: b.trainers,
        audience: audience_of(&b.audience)?,
        status,
    };
    let s = sessions::create(&state.store, &api.user.actor(), &n).await?;
    // The cohorts in the audience are booked, as the schedule page books them.
    let booked =
        crate::sessions::book_cohorts(&state.store, &api.user.actor(), s.id, &n.audience).await?;
    let mut j = full_json(&state, &api.user, s.id).await?;
    j.cohort_booking = booked.map(booking::enrol_json);
    Ok((StatusCode::CREATED, Json(j)))
}

/// One session with its trainers, bookings and attendance.
#[utoipa::path(get, path = "/api/v1/sessions/{id}", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = SessionJson), (status = 404, body = crate::error::Problem)))]
pub async fn one(
    State(state): State<AppState>,
    api: Api<cap::SessionsBrowse>,
    Path(id): Path<i64>,
) -> Result<Json<SessionJson>, ApiError> {
    Ok(Json(full_json(&state, &api.user, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SessionPatchJson {
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub mode: Option<String>,
    pub location: Option<String>,
    pub room: Option<String>,
    pub join_url: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub capacity: Option<serde_json::Value>,
    pub title: Option<String>,
    pub trainers: Option<Vec<String>>,
}

/// Changes time, place or capacity. A change of time or place raises the invitation's SEQUENCE
/// and e-mails an update to everyone enrolled; more places promote from the waitlist.
#[utoipa::path(patch, path = "/api/v1/sessions/{id}", params(("id" = i64, Path)), request_body = SessionPatchJson, security(("bearer" = [])),
    responses((status = 200, body = SessionJson), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn change(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path(id): Path<i64>,
    req: Result<Json<SessionPatchJson>, JsonRejection>,
) -> Result<Json<SessionJson>, ApiError> {
    let b = body(req)?;
    let p = SessionPatch {
        title: b.title,
        starts_at: b
            .starts_at
            .as_deref()
            .map(|t| time_field("starts_at", t))
            .transpose()?,
        ends_at: b
            .ends_at
            .as_deref()
            .map(|t| time_field("ends_at", t))
            .transpose()?,
        mode: b.mode.as_deref().map(mode_field).transpose()?,
        venue: b.location,
        room: b.room,
        join_url: b.join_url,
        capacity: b
            .capacity
            .as_ref()
            .map(|c| int_field("capacity", c))
            .transpose()?,
        series_id: None,
        trainers: b.trainers,
        audience: None,
    };
    sessions::update(&state.store, &api.user.actor(), id, &p).await?;
    Ok(Json(full_json(&state, &api.user, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct CancelJson {
    pub reason: Option<String>,
}

/// Cancels a session with a reason; everyone enrolled is sent the cancellation.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/cancel", params(("id" = i64, Path)), request_body = CancelJson, security(("bearer" = [])),
    responses((status = 200, body = SessionJson), (status = 400, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path(id): Path<i64>,
    req: Result<Json<CancelJson>, JsonRejection>,
) -> Result<Json<SessionJson>, ApiError> {
    let b = body(req)?;
    sessions::cancel(
        &state.store,
        &api.user.actor(),
        id,
        b.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(full_json(&state, &api.user, id).await?))
}
