//! Attendance in the JSON API: mark one person on a session's register, and preview or commit a
//! Microsoft Teams attendance report sent as the request body. Every refusal is a 4xx JSON
//! `{"error", "message"}` and writes nothing.
//!
//! A person who is not enrolled can still be marked (a walk-in): the answer says so with
//! `"enrolled": false`.

use crate::auth::{cap, Api};
use crate::error::ApiError;
use crate::error::{Path, Query};
use crate::routes::{Access, Table};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, post, put};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::attendance::Status;
use mashboard_store::delivery::{attendance, teams};
use mashboard_store::people;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.put(
        "/api/v1/sessions/{id}/attendance/{staff_number}",
        A(SessionsManage),
        put(mark),
    )
    .post(
        "/api/v1/sessions/{id}/teams-report",
        A(SessionsManage),
        post(teams_report),
    )
    .delete(
        "/api/v1/sessions/{id}/teams-reports/{report_id}",
        A(SessionsManage),
        delete(remove_report),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(mark, teams_report, remove_report),
    components(schemas(
        AttendanceMarkJson,
        AttendanceMarkedJson,
        TeamsReportJson,
        TeamsMatchedJson,
        TeamsUnmatchedJson
    ))
)]
pub struct AttendanceDoc;

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

#[derive(Deserialize, ToSchema)]
pub struct AttendanceMarkJson {
    /// "attended", "partly_attended", "absent" or "excused".
    pub status: String,
    /// Whole minutes attended; required for "partly_attended".
    pub minutes: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AttendanceMarkedJson {
    pub staff_number: String,
    pub status: String,
    pub minutes: Option<i64>,
    /// False for a walk-in (marked although not enrolled).
    pub enrolled: bool,
    pub changed: bool,
    /// The completion recorded against the person's training plan (attended).
    pub completion_recorded: Option<i64>,
    /// The completion this session had made and the change removed.
    pub completion_removed: Option<i64>,
    pub message: String,
}

/// Marks one person on a session's register. A person who is not enrolled can still be marked
/// (a walk-in); "attended" records a completion of the session's module.
#[utoipa::path(put, path = "/api/v1/sessions/{id}/attendance/{staff_number}", request_body = AttendanceMarkJson,
    params(("id" = i64, Path), ("staff_number" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = AttendanceMarkedJson), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn mark(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path((id, staff_number)): Path<(i64, String)>,
    req: Result<Json<AttendanceMarkJson>, JsonRejection>,
) -> Result<Json<AttendanceMarkedJson>, ApiError> {
    let b = req.map(|Json(v)| v).map_err(|e| {
        bad(format!(
            "The request body is not valid JSON for this call: {}",
            e.body_text()
        ))
    })?;
    let status = Status::parse(&b.status).map_err(|m| bad(format!("status: {m}")))?;
    let person = people::get(&state.store, staff_number.trim())
        .await?
        .ok_or_else(|| {
            ApiError::said(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("There is nobody with staff number {staff_number}"),
            )
        })?;
    let out = attendance::mark(
        &state.store,
        &api.user.actor(),
        id,
        person.id,
        status,
        b.minutes,
    )
    .await?;
    let row = attendance::register(&state.store, id)
        .await?
        .into_iter()
        .find(|r| r.person_id == person.id);
    let message = if out.enrolled {
        format!(
            "{} marked {}",
            person.staff_number,
            status.label().to_lowercase()
        )
    } else {
        format!(
            "{} is not enrolled on this session; marked {} as a walk-in",
            person.staff_number,
            status.label().to_lowercase()
        )
    };
    Ok(Json(AttendanceMarkedJson {
        staff_number: person.staff_number,
        status: status.as_str().into(),
        minutes: row.and_then(|r| r.minutes),
        enrolled: out.enrolled,
        changed: out.changed,
        completion_recorded: out.completion_recorded,
        completion_removed: out.completion_removed,
        message,
    }))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    commit: Option<String>,
    /// The file's name, kept with the upload.
    file_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamsMatchedJson {
    pub staff_number: String,
    pub name: String,
    /// Whole minutes over all the session's reports, this one included (what is recorded).
    pub minutes: i64,
    /// The mark those minutes earn.
    pub status: String,
    /// Whole minutes in this report alone.
    pub report_minutes: i64,
    /// Minutes and mark from the reports already committed (`null`: in none of them).
    pub before_minutes: Option<i64>,
    pub before_status: Option<String>,
    pub joins: u32,
    pub enrolled: bool,
    /// "email" or "name".
    pub matched_by: String,
    /// The trainer's hand mark on the register is kept instead.
    pub kept_hand_mark: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TeamsUnmatchedJson {
    pub name: String,
    pub email: Option<String>,
    pub minutes: i64,
    pub external: bool,
    pub guest: bool,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct TeamsReportJson {
    pub matched: Vec<TeamsMatchedJson>,
    pub unmatched: Vec<TeamsUnmatchedJson>,
    /// Enrolled people missing from the report (flagged, never marked absent).
    pub not_in_report: Vec<String>,
    /// True when this call recorded the report; false for a preview or a report already uploaded.
    pub committed: bool,
    pub already_uploaded: bool,
    /// How many different reports of this session were committed before this one; this
    /// report's minutes are added to theirs.
    pub reports_before: usize,
    /// The recorded report's id (for removing it), when committed or already uploaded.
    pub report_id: Option<i64>,
    pub layout: String,
    pub participants: usize,
    pub session_minutes: i64,
    pub attended_share_pct: i64,
    pub notes: Vec<String>,
}

pub(crate) fn report_json(p: &teams::Preview, committed: bool) -> TeamsReportJson {
    TeamsReportJson {
        matched: p
            .matching
            .matched
            .iter()
            .zip(&p.summed)
            .map(|(m, t)| TeamsMatchedJson {
                staff_number: m.staff_number.clone(),
                name: m.name.clone(),
                minutes: t.minutes,
                status: t.status.as_str().into(),
                report_minutes: m.minutes,
                before_minutes: t.before_minutes,
                before_status: t.before_status.map(|s| s.as_str().to_string()),
                joins: m.joins,
                enrolled: m.enrolled,
                matched_by: m.matched_by.into(),
                kept_hand_mark: p.kept.contains(&m.staff_number),
            })
            .collect(),
        unmatched: p
            .matching
            .unmatched
            .iter()
            .map(|u| TeamsUnmatchedJson {
                name: u.name.clone(),
                email: u.email.clone(),
                minutes: u.minutes,
                external: u.external,
                guest: u.unverified,
                reason: u.reason.clone(),
            })
            .collect(),
        not_in_report: p.matching.not_in_report.clone(),
        committed,
        already_uploaded: p.already_uploaded.is_some(),
        reports_before: p.reports_committed,
        report_id: p.already_uploaded,
        layout: p.layout.into(),
        participants: p.participants,
        session_minutes: p.session_minutes,
        attended_share_pct: p.share_pct,
        notes: p.notes.clone(),
    }
}

/// Previews (`commit=false`, the default) or records (`commit=true`) a Teams attendance report
/// sent as the request body, exactly as downloaded from Teams (UTF-16 or UTF-8, tab or comma).
/// The same report committed again changes nothing (`committed: false, already_uploaded: true`).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/teams-report", request_body(content = Vec<u8>, content_type = "text/csv"),
    params(("id" = i64, Path), ("commit" = Option<bool>, Query), ("file_name" = Option<String>, Query)), security(("bearer" = [])),
    responses((status = 200, body = TeamsReportJson), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn teams_report(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path(id): Path<i64>,
    Query(q): Query<ReportQuery>,
    body: Bytes,
) -> Result<Json<TeamsReportJson>, ApiError> {
    let commit = match q.commit.as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") | Some("no") => false,
        Some("true") | Some("1") | Some("yes") => true,
        Some(other) => return Err(bad(format!("commit: \"{other}\" is not true or false"))),
    };
    if body.is_empty() {
        return Err(bad(
            "Send the Teams attendance report file as the request body",
        ));
    }
    if commit {
        let name = q.file_name.unwrap_or_else(|| "teams-report.csv".into());
        let c = teams::commit(&state.store, &api.user.actor(), id, &name, &body).await?;
        let mut json = report_json(&c.preview, c.committed);
        json.report_id = Some(c.report_id);
        Ok(Json(json))
    } else {
        let p = teams::preview(&state.store, id, &body).await?;
        Ok(Json(report_json(&p, false)))
    }
}

/// Removes a committed Teams report of a session. The register is worked out again from the
/// reports left (minutes summed, marks recomputed); marks made by hand do not change; a mark
/// that came only from this report is cleared. Refused (409, nothing changed) when a completion
/// it made has been signed off.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}/teams-reports/{report_id}",
    params(("id" = i64, Path), ("report_id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)))]
pub async fn remove_report(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path((id, report_id)): Path<(i64, i64)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    teams::remove_report(&state.store, &api.user.actor(), id, report_id).await?;
    let left = teams::reports(&state.store, id).await?.len();
    Ok(Json(
        serde_json::json!({"removed": report_id, "reports_left": left}),
    ))
}
