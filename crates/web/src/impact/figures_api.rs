//! The dashboard's figures as JSON: `GET /api/v1/impact/compliance`, `/review-grades`,
//! `/outcomes` and `/training-effect`. Each reads the same query as the page (`period.rs`) and
//! answers with the domain's figures (`mashboard_domain::impact::dashboard`), force-wide or for
//! one department; a line manager's are their own team's, and a department in their query is
//! refused (403), so nothing wider can be asked for.

use super::period::{self, Wanted};
use crate::auth::{cap, Api, CurrentUser};
use crate::error::ApiError;
use crate::form::query_pairs;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::Json;
use mashboard_domain::impact::dashboard::{self, Compliance, EffectFigure, Outcomes, Quality};
use mashboard_store::impact;
use mashboard_store::training::today;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    paths(compliance, review_grades, outcomes, training_effect),
    components(schemas(ComplianceResponse))
)]
pub struct FiguresDoc;

/// Reads the query for this reader, or says which field is wrong.
pub(super) async fn wanted(
    state: &AppState,
    user: &CurrentUser,
    raw: Option<&str>,
    uses_module: bool,
) -> Result<Wanted, ApiError> {
    let team = period::team_of(user).ok_or(ApiError::Forbidden)?;
    let (w, form) = period::read(&query_pairs(raw), today(), team);
    let Some(w) = w else {
        let message = form
            .errors
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::BadRequest(message));
    };
    if w.set_aside.is_some() {
        // A line manager sees their own team's figures only: no department, no force.
        return Err(ApiError::Forbidden);
    }
    // Only the training effect reads the module: a force without FL-PPN in its catalogue still
    // has its compliance, grades and outcomes.
    if uses_module && !impact::module_exists(&state.store, &w.module).await? {
        return Err(ApiError::BadRequest(format!(
            "module: no module in the catalogue has the code \"{}\"",
            w.module
        )));
    }
    Ok(w)
}

/// The compliance chart's points and lines at the top level (the `POST /api/v1/spc` shape), with
/// each audit's counts and the yearly figures.
#[derive(Serialize, ToSchema)]
pub struct ComplianceResponse {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub chart: dashboard::ChartFigure,
    #[schema(value_type = Vec<Object>)]
    pub periods: Vec<dashboard::AuditFigure>,
    /// By the year each audit period starts in: examined, required, completed_when_required,
    /// compliance and compliance_ci95 ([lo, hi]), over-referral, and the target of 200.
    #[schema(value_type = Object)]
    pub years: std::collections::BTreeMap<String, dashboard::YearFigure>,
}

/// Compliance: each closed audit's share of incidents needing a form that had one (live and
/// imported audits, in order), as a p chart (`chart=p`, the default) or Laney p′ chart
/// (`chart=p_prime`), and the yearly figures.
#[utoipa::path(get, path = "/api/v1/impact/compliance",
    params(("from" = Option<String>, Query, description = "YYYY-MM-DD; 1 January four years ago unless given"),
        ("to" = Option<String>, Query, description = "YYYY-MM-DD; today unless given"),
        ("chart" = Option<String>, Query, description = "p (default) or p_prime"),
        ("department" = Option<String>, Query, description = "one department's audited incidents (imported history is force-wide and left out); refused (403) for a line manager, whose figures are always their own team's")),
    security(("bearer" = [])),
    responses((status = 200, body = ComplianceResponse), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn compliance(
    State(state): State<AppState>,
    api: Api<cap::Impact>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ComplianceResponse>, ApiError> {
    let w = wanted(&state, &api.user, raw.as_deref(), false).await?;
    let audits = impact::audit_periods(&state.store, &w.filter).await?;
    let Compliance {
        periods,
        chart,
        years,
    } = dashboard::compliance(&audits, w.chart);
    Ok(Json(ComplianceResponse {
        chart,
        periods,
        years,
    }))
}

/// Referral quality: each closed quarterly review (live and imported) with its agreed grades
/// counted, their mean and its Student-t 95% interval, and the XmR chart of the means.
#[utoipa::path(get, path = "/api/v1/impact/review-grades",
    params(("from" = Option<String>, Query), ("to" = Option<String>, Query), ("department" = Option<String>, Query, description = "one department; refused (403) for a line manager, whose figures are always their own team's")),
    security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn review_grades(
    State(state): State<AppState>,
    api: Api<cap::Impact>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Quality>, ApiError> {
    let w = wanted(&state, &api.user, raw.as_deref(), false).await?;
    let reviews = impact::review_periods(&state.store, &w.filter).await?;
    Ok(Json(dashboard::quality(&reviews)))
}

/// Partner decisions per calendar quarter (referrals, with the decision of the agency each went
/// to, accepted, rejected or returned) and the p chart of the rejected-or-returned share.
#[utoipa::path(get, path = "/api/v1/impact/outcomes",
    params(("from" = Option<String>, Query), ("to" = Option<String>, Query), ("department" = Option<String>, Query, description = "one department; refused (403) for a line manager, whose figures are always their own team's")),
    security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn outcomes(
    State(state): State<AppState>,
    api: Api<cap::Impact>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Outcomes>, ApiError> {
    let w = wanted(&state, &api.user, raw.as_deref(), false).await?;
    let quarters = impact::quarters(&state.store, &w.filter).await?;
    Ok(Json(dashboard::outcomes(&quarters)))
}

/// The training effect of a module (default FL-PPN) on the share of referrals a partner decided
/// no further action or returned for more information: officer and quarter fixed effects,
/// standard errors clustered by officer, the event study, descriptive rates, caveats, and the
/// same split by the kind of lead trainer (`by_trainer_kind`). Fewer than 20 trained or 10
/// never-trained officers give no estimate, and the first caveat says why.
#[utoipa::path(get, path = "/api/v1/impact/training-effect",
    params(("module" = Option<String>, Query, description = "module code; FL-PPN unless given"),
        ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("department" = Option<String>, Query, description = "one department; refused (403) for a line manager, whose figures are always their own team's")),
    security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn training_effect(
    State(state): State<AppState>,
    api: Api<cap::Impact>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EffectFigure>, ApiError> {
    let w = wanted(&state, &api.user, raw.as_deref(), true).await?;
    // The dashboard's estimate, kept until the data moves (`impact::effect`).
    let figure = impact::effect(&state.store, &w.filter, &w.module).await?;
    Ok(Json(figure))
}
