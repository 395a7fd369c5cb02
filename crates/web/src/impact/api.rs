//! `POST /api/v1/spc`: a chart of the points sent, with its signals, as JSON.

use super::input::{self, Given};
use crate::auth::{cap, Api};
use crate::error::{json_body, ApiError};
use axum::extract::rejection::JsonRejection;
use axum::Json;
use mashboard_domain::impact::{ChartKind, Improvement};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// One point: `label` with `numerator` and `denominator` (p and p′ charts) or `value` (XmR and
/// run charts).
#[derive(Deserialize, ToSchema)]
pub struct SpcPointIn {
    pub label: String,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub value: Option<f64>,
}

/// What to chart.
#[derive(Deserialize, ToSchema)]
pub struct SpcRequest {
    /// `p`, `p_prime`, `xmr` or `run`.
    #[schema(value_type = String)]
    pub chart: ChartKind,
    /// `increase` or `decrease`: which way is better.
    #[schema(value_type = String)]
    pub improvement: Improvement,
    pub points: Vec<SpcPointIn>,
    /// Limits from the points up to this label (a frozen baseline).
    #[serde(default)]
    pub baseline_to: Option<String>,
    /// Labels from which the limits are calculated again (a step change).
    #[serde(default)]
    pub recalculate_at: Vec<String>,
}

/// The chart: its centre, every point with its lines and rules, the runs analysis, warnings and
/// each signal in words.
#[derive(Serialize, ToSchema)]
pub struct SpcResponse {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub chart: mashboard_domain::impact::SpcChart,
    /// Each special-cause signal in plain words.
    pub signals: Vec<String>,
}

#[derive(OpenApi)]
#[openapi(paths(spc), components(schemas(SpcRequest, SpcPointIn, SpcResponse)))]
pub struct ImpactDoc;

/// A statistical process control chart (p, p′, XmR or run) with the Making Data Count rules and
/// the Anhøj runs analysis. Limits are `null` on a run chart.
#[utoipa::path(post, path = "/api/v1/spc", request_body = SpcRequest, security(("bearer" = [])),
    responses((status = 200, body = SpcResponse), (status = 400, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
pub async fn spc(
    _api: Api<cap::Impact>,
    req: Result<Json<SpcRequest>, JsonRejection>,
) -> Result<Json<SpcResponse>, ApiError> {
    let req = json_body(req)?;
    let rates = input::wants_rates(req.chart);
    let mut points = Vec::with_capacity(req.points.len());
    for (i, p) in req.points.into_iter().enumerate() {
        let at = || format!("points[{i}] ({})", p.label);
        points.push(if rates {
            match (p.numerator, p.denominator) {
                (Some(numerator), Some(denominator)) => Given::Rate {
                    label: p.label.clone(),
                    numerator,
                    denominator,
                },
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "{}: a {} chart needs a numerator and a denominator for every point",
                        at(),
                        input::chart_name(req.chart)
                    )))
                }
            }
        } else {
            match p.value {
                Some(value) => Given::Value {
                    label: p.label.clone(),
                    value,
                },
                None => {
                    return Err(ApiError::BadRequest(format!(
                        "{}: a {} chart needs a value for every point",
                        at(),
                        input::chart_name(req.chart)
                    )))
                }
            }
        });
    }
    let chart = input::chart(
        req.chart,
        req.improvement,
        &points,
        req.baseline_to.as_deref(),
        &req.recalculate_at,
    )
    .map_err(ApiError::Refused)?;
    let signals = chart.signals.iter().map(|s| s.text.clone()).collect();
    Ok(Json(SpcResponse { chart, signals }))
}
