//! The evaluation report through the API: start one (`POST /api/v1/evaluation-reports`), list
//! them, read every figure as JSON (`GET /api/v1/evaluation-reports/{id}`) or as its PDF or
//! workbook (`…/{id}.pdf`, `…/{id}.xlsx`), and publish it (`POST …/{id}/publish`).

use crate::auth::{cap, Api};
use crate::error::{json_body, ApiError};
use crate::export::{download, XLSX};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use mashboard_store::evaluation::{self, ReportRow};
use mashboard_store::training::today;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

#[derive(Deserialize, ToSchema)]
pub struct NewReportJson {
    pub title: String,
    /// First day, YYYY-MM-DD.
    pub from: String,
    /// Last day, YYYY-MM-DD (today or earlier).
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedJson {
    pub id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ReportJson {
    pub id: i64,
    pub title: String,
    pub from: String,
    pub to: String,
    /// `draft` or `published`.
    pub status: String,
    pub published_at: Option<String>,
    /// Every figure of the report (as published, when it is).
    #[schema(value_type = Object)]
    pub report: mashboard_domain::evaluation::Report,
}

impl From<ReportRow> for ReportJson {
    fn from(r: ReportRow) -> Self {
        ReportJson {
            id: r.id,
            title: r.title,
            from: r.period_from,
            to: r.period_to,
            status: r.status,
            published_at: r.published_at,
            report: r.report,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(create, list, get, publish),
    components(schemas(NewReportJson, CreatedJson, ReportJson))
)]
pub struct EvaluationDoc;

#[utoipa::path(post, path = "/api/v1/evaluation-reports", request_body = NewReportJson,
    security(("bearer" = [])),
    responses((status = 201, body = CreatedJson), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<cap::TrainingManage>,
    req: Result<Json<NewReportJson>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = json_body(req)?;
    let mut errors: Vec<(&str, String)> = Vec::new();
    if req.title.trim().is_empty() {
        errors.push(("title", "Enter a title for the report".into()));
    } else if req.title.chars().count() > 200 {
        errors.push(("title", "The title must be 200 characters or fewer".into()));
    }
    let period = super::period(&req.from, &req.to);
    if let Err(e) = &period {
        errors.extend(e.iter().cloned());
    }
    let (Ok((from, to)), true) = (period, errors.is_empty()) else {
        return Err(ApiError::fields(
            errors.iter().map(|(f, m)| (*f, m.as_str())),
        ));
    };
    let facts = evaluation::facts(&state.store, &req.title, from, to, today()).await?;
    let id = evaluation::create(&state.store, &api.user.actor(), &facts).await?;
    Ok((StatusCode::CREATED, Json(CreatedJson { id })).into_response())
}

#[utoipa::path(get, path = "/api/v1/evaluation-reports", security(("bearer" = [])),
    responses((status = 200, body = [ReportJson]), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _api: Api<cap::EvaluationReports>,
) -> Result<Json<Vec<ReportJson>>, ApiError> {
    let rows = evaluation::list(&state.store).await?;
    Ok(Json(rows.into_iter().map(ReportJson::from).collect()))
}

async fn find(state: &AppState, raw: &str) -> Result<ReportRow, ApiError> {
    let id: i64 = raw.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "\"{raw}\" is not a report number; use /api/v1/evaluation-reports/ID, ID.pdf or ID.xlsx"
        ))
    })?;
    evaluation::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/evaluation-reports/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "The report's number; add .pdf or .xlsx for the PDF or the workbook")),
    responses((status = 200, body = ReportJson, description = "JSON, or the PDF / workbook for id.pdf / id.xlsx"),
        (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    _api: Api<cap::EvaluationReports>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if let Some(raw) = id.strip_suffix(".pdf") {
        let row = find(&state, raw).await?;
        let body = super::downloads::pdf(&state.config.force_name, &row);
        return Ok(download(
            "application/pdf",
            &format!("evaluation-report-{}.pdf", row.id),
            body,
        ));
    }
    if let Some(raw) = id.strip_suffix(".xlsx") {
        let row = find(&state, raw).await?;
        let body =
            super::downloads::xlsx(&row).map_err(|e| ApiError::Internal(format!("{e:?}")))?;
        return Ok(download(
            XLSX,
            &format!("evaluation-report-{}.xlsx", row.id),
            body,
        ));
    }
    let row = find(&state, &id).await?;
    Ok(Json(ReportJson::from(row)).into_response())
}

#[utoipa::path(post, path = "/api/v1/evaluation-reports/{id}/publish", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The report's number")),
    responses((status = 200, body = ReportJson), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    api: Api<cap::TrainingManage>,
    Path(id): Path<String>,
) -> Result<Json<ReportJson>, ApiError> {
    let row = find(&state, &id).await?;
    evaluation::publish(&state.store, &api.user.actor(), row.id).await?;
    let row = find(&state, &id).await?;
    Ok(Json(ReportJson::from(row)))
}
