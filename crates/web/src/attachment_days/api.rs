//! MASH attachment days in the JSON API, for the trainer's own tools: list and schedule days,
//! read a day with its bookings and partner participants (an audited view), book and withdraw
//! officers by staff number (the same eligibility rules as the pages: second-year officers, an
//! open day in the future with a place left) and record attendance (attended records the day's
//! module in the officer's plan). Every refusal is a 4xx JSON `{"error", "message"}` and writes
//! nothing.

use crate::attachment_days::pages::{check_new_day, DayDraft};
use crate::auth::{cap, Api};
use crate::error::{api_invalid, api_refused, api_said, ApiError};
use crate::error::{Path, Query};
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::people::parse_date;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::learning::attachment_days::{
    self, AttachmentDay, BookError, Booking, Officer,
};
use mashboard_store::training::today;
use mashboard_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::SessionsManage;
    t.get("/api/v1/attachment-days", A(SessionsManage), get(list))
        .post("/api/v1/attachment-days", A(SessionsManage), post(create))
        .get("/api/v1/attachment-days/{id}", A(SessionsManage), get(one))
        .post(
            "/api/v1/attachment-days/{id}/bookings",
            A(SessionsManage),
            post(book),
        )
        .delete(
            "/api/v1/attachment-days/{id}/bookings/{staff_number}",
            A(SessionsManage),
            delete(withdraw),
        )
        .put(
            "/api/v1/attachment-days/{id}/attendance/{staff_number}",
            A(SessionsManage),
            put(attendance),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, one, book, withdraw, attendance),
    components(schemas(
        AttachmentDayJson,
        AttachmentDayListJson,
        AttachmentDayDetailJson,
        AttachmentBookingJson,
        AttachmentParticipantJson,
        NewAttachmentDayJson,
        AttachmentBookJson,
        AttachmentAttendanceJson
    ))
)]
pub struct AttachmentDoc;

fn book_refused(e: BookError) -> Response {
    match e {
        BookError::Refused { message, .. } => {
            api_said(StatusCode::UNPROCESSABLE_ENTITY, "refused", message)
        }
        BookError::Store(e) => api_refused(e),
    }
}

fn id_of(raw: &str) -> Result<i64, Box<Response>> {
    raw.trim()
        .parse()
        .map_err(|_| Box::new(ApiError::NotFound.into_response()))
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentDayJson {
    pub id: i64,
    /// YYYY-MM-DD.
    pub day: String,
    pub capacity: i64,
    /// Places taken (booked, attended or absent).
    pub booked: i64,
    pub places_left: i64,
    pub attended: i64,
    /// Partner participants on the day's list.
    pub partners: i64,
    pub location: String,
    pub facilitator: Option<String>,
    pub module_code: Option<String>,
    /// open, full, closed or cancelled.
    pub status: String,
    pub cancel_reason: Option<String>,
}

impl From<&AttachmentDay> for AttachmentDayJson {
    fn from(d: &AttachmentDay) -> Self {
        AttachmentDayJson {
            id: d.id,
            day: d.day.clone(),
            capacity: d.capacity,
            booked: d.booked,
            places_left: d.places_left(),
            attended: d.attended,
            partners: d.partners,
            location: d.location.clone(),
            facilitator: d.facilitator_name.clone(),
            module_code: d.module_code.clone(),
            status: d.status.clone(),
            cancel_reason: d.cancel_reason.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentDayListJson {
    pub items: Vec<AttachmentDayJson>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only days on or after this date (YYYY-MM-DD); every day when left out.
    pub from: Option<String>,
}

/// The attachment days, earliest first.
#[utoipa::path(get, path = "/api/v1/attachment-days", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = AttachmentDayListJson), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _api: Api<cap::SessionsManage>,
    Query(q): Query<ListQuery>,
) -> Response {
    let from = match q.from.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match parse_date(raw) {
            Ok(d) => Some(d.to_string()),
            Err(m) => {
                return api_said(StatusCode::BAD_REQUEST, "bad_request", format!("from: {m}"))
            }
        },
    };
    match attachment_days::days(&state.store, from.as_deref()).await {
        Ok(days) => Json(AttachmentDayListJson {
            items: days.iter().map(AttachmentDayJson::from).collect(),
        })
        .into_response(),
        Err(e) => api_refused(e),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewAttachmentDayJson {
    /// YYYY-MM-DD (or DD/MM/YYYY), today or later.
    pub day: String,
    pub capacity: serde_json::Value,
    #[serde(default)]
    pub location: String,
    /// The facilitator's staff number.
    #[serde(default)]
    pub facilitator: String,
    #[serde(default)]
    pub notes: String,
}

/// Schedules a day. Every problem is named by field at once; nothing is written on any.
#[utoipa::path(post, path = "/api/v1/attachment-days", request_body = NewAttachmentDayJson, security(("bearer" = [])),
    responses((status = 201, body = AttachmentDayJson), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    req: Result<Json<NewAttachmentDayJson>, JsonRejection>,
) -> Response {
    let req = match crate::error::json_body(req) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let capacity = match &req.capacity {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let draft = DayDraft {
        day: &req.day,
        capacity: &capacity,
        location: &req.location,
        facilitator: &req.facilitator,
        notes: &req.notes,
    };
    let new_day = match check_new_day(&state.store, &draft).await {
        Ok(Ok(d)) => d,
        Ok(Err(errors)) => return api_invalid(errors.iter().map(|(f, m)| (*f, m.as_str()))),
        Err(e) => return e.into_response(),
    };
    match attachment_days::create_day(&state.store, &api.user.actor(), &new_day).await {
        Ok(d) => (StatusCode::CREATED, Json(AttachmentDayJson::from(&d))).into_response(),
        Err(e) => api_refused(e),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentBookingJson {
    pub staff_number: String,
    pub name: String,
    /// booked, attended, absent or withdrawn.
    pub status: String,
    pub booked_by: String,
}

impl From<&Booking> for AttachmentBookingJson {
    fn from(b: &Booking) -> Self {
        AttachmentBookingJson {
            staff_number: b.staff_number.clone(),
            name: b.name.clone(),
            status: b.status.clone(),
            booked_by: b.booked_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentParticipantJson {
    pub name: String,
    pub organisation: String,
    /// attended, absent, or null before the day.
    pub status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentDayDetailJson {
    #[serde(flatten)]
    pub day: AttachmentDayJson,
    pub bookings: Vec<AttachmentBookingJson>,
    pub partner_participants: Vec<AttachmentParticipantJson>,
}

async fn detail(state: &AppState, id: i64) -> Result<Option<AttachmentDayDetailJson>, StoreError> {
    let Some(d) = attachment_days::day(&state.store, id).await? else {
        return Ok(None);
    };
    let bookings = attachment_days::bookings(&state.store, id).await?;
    let participants = attachment_days::participants(&state.store, id).await?;
    Ok(Some(AttachmentDayDetailJson {
        day: AttachmentDayJson::from(&d),
        bookings: bookings.iter().map(AttachmentBookingJson::from).collect(),
        partner_participants: participants
            .iter()
            .map(|p| AttachmentParticipantJson {
                name: p.name.clone(),
                organisation: p.organisation_shown().to_string(),
                status: p.status.clone(),
            })
            .collect(),
    }))
}

/// A day with its bookings and partner participants. The view is audited.
#[utoipa::path(get, path = "/api/v1/attachment-days/{id}", params(("id" = i64, Path, description = "The attachment day's id")), security(("bearer" = [])),
    responses((status = 200, body = AttachmentDayDetailJson), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn one(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path(id): Path<String>,
) -> Response {
    let id = match id_of(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let detail = match detail(&state, id).await {
        Ok(Some(d)) => d,
        Ok(None) => return ApiError::NotFound.into_response(),
        Err(e) => return api_refused(e),
    };
    if let Err(e) = audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "attachment_day.view",
            format!(
                "Viewed the bookings of the attachment day on {} (API)",
                detail.day.day
            ),
        )
        .on("attachment_day", id.to_string()),
    )
    .await
    {
        return api_refused(e);
    }
    Json(detail).into_response()
}

#[derive(Deserialize, ToSchema)]
pub struct AttachmentBookJson {
    pub staff_number: String,
}

async fn officer(state: &AppState, staff_number: &str) -> Result<Officer, Box<Response>> {
    match attachment_days::officer_by_staff_number(&state.store, staff_number.trim()).await {
        Ok(Some(o)) => Ok(o),
        Ok(None) => Err(Box::new(api_said(
            StatusCode::UNPROCESSABLE_ENTITY,
            "refused",
            format!(
                "No one in the directory has staff number {}",
                staff_number.trim()
            ),
        ))),
        Err(e) => Err(Box::new(api_refused(e))),
    }
}

async fn day_exists(state: &AppState, id: i64) -> Result<(), Box<Response>> {
    match attachment_days::day(&state.store, id).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(Box::new(ApiError::NotFound.into_response())),
        Err(e) => Err(Box::new(api_refused(e))),
    }
}

/// Books an officer on the day. Refused (422, with the reason in words) when the officer is
/// not in their second year of service on the day, is booked already, or the day is full,
/// cancelled or past.
#[utoipa::path(post, path = "/api/v1/attachment-days/{id}/bookings", params(("id" = i64, Path, description = "The attachment day's id")), request_body = AttachmentBookJson, security(("bearer" = [])),
    responses((status = 201, body = AttachmentBookingJson), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn book(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path(id): Path<String>,
    req: Result<Json<AttachmentBookJson>, JsonRejection>,
) -> Response {
    let id = match id_of(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let req = match crate::error::json_body(req) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if let Err(r) = day_exists(&state, id).await {
        return *r;
    }
    let o = match officer(&state, &req.staff_number).await {
        Ok(o) => o,
        Err(r) => return *r,
    };
    match attachment_days::book(&state.store, &api.user.actor(), id, o.id, today()).await {
        Ok(b) => (StatusCode::CREATED, Json(AttachmentBookingJson::from(&b))).into_response(),
        Err(e) => book_refused(e),
    }
}

/// Withdraws an officer's booking before the day; the place frees up.
#[utoipa::path(delete, path = "/api/v1/attachment-days/{id}/bookings/{staff_number}", params(("id" = i64, Path, description = "The attachment day's id"), ("staff_number" = String, Path, description = "Staff or collar number")), security(("bearer" = [])),
    responses((status = 200, body = AttachmentBookingJson), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path((id, staff_number)): Path<(String, String)>,
) -> Response {
    let id = match id_of(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    if let Err(r) = day_exists(&state, id).await {
        return *r;
    }
    let o = match officer(&state, &staff_number).await {
        Ok(o) => o,
        Err(r) => return *r,
    };
    match attachment_days::withdraw(&state.store, &api.user.actor(), id, o.id).await {
        Ok(b) => Json(AttachmentBookingJson::from(&b)).into_response(),
        Err(e) => api_refused(e),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AttachmentAttendanceJson {
    /// true: attended (records the day's module in the officer's plan); false: absent.
    pub attended: bool,
}

/// Records whether a booked officer attended, on or after the day.
#[utoipa::path(put, path = "/api/v1/attachment-days/{id}/attendance/{staff_number}", params(("id" = i64, Path, description = "The attachment day's id"), ("staff_number" = String, Path, description = "Staff or collar number")), request_body = AttachmentAttendanceJson, security(("bearer" = [])),
    responses((status = 200, body = AttachmentBookingJson), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn attendance(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path((id, staff_number)): Path<(String, String)>,
    req: Result<Json<AttachmentAttendanceJson>, JsonRejection>,
) -> Response {
    let id = match id_of(&id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let req = match crate::error::json_body(req) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if let Err(r) = day_exists(&state, id).await {
        return *r;
    }
    let o = match officer(&state, &staff_number).await {
        Ok(o) => o,
        Err(r) => return *r,
    };
    match attachment_days::mark(
        &state.store,
        &api.user.actor(),
        id,
        o.id,
        req.attended,
        today(),
    )
    .await
    {
        Ok(b) => Json(AttachmentBookingJson::from(&b)).into_response(),
        Err(e) => api_refused(e),
    }
}
