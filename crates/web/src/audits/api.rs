//! Compliance audits in the JSON API: open an audit (its sample drawn at once), list and read
//! audits, record findings, and the compliance roll-ups and comparisons. The same store calls
//! and the same refusals as the pages; every refusal is a 4xx JSON `{"error", "message"}` and
//! writes nothing.

use crate::auth::{cap, Api, CurrentUser};
use crate::error::ApiError;
use crate::error::Path;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;

use axum::routing::{get, post};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::audits::{
    self as audit_rules, Breakdown, Finding, Period, RequiredReason, RollUp,
};
use mashboard_domain::people::parse_date;
use mashboard_domain::sampling::Seed;
use mashboard_store::audits::{self, AuditError, FindingInput, NewAudit, Viewer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.post(
        "/api/v1/compliance-audits",
        A(ComplianceAudits),
        post(create),
    )
    .get("/api/v1/compliance-audits", A(ComplianceAudits), get(list))
    .get(
        "/api/v1/compliance-audits/{id}",
        A(ComplianceAudits),
        get(one),
    )
    .post(
        "/api/v1/compliance-audits/{id}/findings",
        A(ComplianceAudits),
        post(record_finding),
    )
    .get(
        "/api/v1/compliance/summary",
        A(ComplianceSummary),
        get(summary),
    )
    .get(
        "/api/v1/compliance/compare",
        A(ComplianceSummary),
        get(compare),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(create, list, one, record_finding, summary, compare),
    components(schemas(
        NewComplianceAuditJson,
        ComplianceDrawJson,
        ComplianceAuditJson,
        ComplianceAuditList,
        ComplianceAuditDetailJson,
        SampledIncidentJson,
        NewComplianceFindingJson,
        ComplianceFindingJson,
        ComplianceFiguresJson,
        ComplianceYearJson,
        ComplianceSummaryJson,
        ComplianceCompareJson
    ))
)]
pub struct AuditsDoc;

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::NotFound(m) => ApiError::said(StatusCode::NOT_FOUND, "not_found", m),
            AuditError::Refused(m) => ApiError::said(StatusCode::FORBIDDEN, "forbidden", m),
            AuditError::Invalid(m) => ApiError::BadRequest(m),
            AuditError::Conflict(m) => ApiError::Conflict(m),
            AuditError::Store(e) => e.into(),
        }
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::said(StatusCode::BAD_REQUEST, "bad_request", message.into())
}

fn body<T>(r: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    crate::error::json_body(r)
}

pub(crate) fn viewer(user: &CurrentUser) -> Viewer {
    Viewer::of(user.id, &user.roles)
}

fn date_field(name: &str, raw: Option<&str>) -> Result<time::Date, ApiError> {
    let raw = raw.map(str::trim).unwrap_or("");
    if raw.is_empty() {
        return Err(bad(format!("{name}: give a date such as 2025-03-31")));
    }
    parse_date(raw).map_err(|e| bad(format!("{name}: {e}")))
}

fn period(
    start_name: &str,
    start: Option<&str>,
    end_name: &str,
    end: Option<&str>,
) -> Result<Period, ApiError> {
    let s = date_field(start_name, start)?;
    let e = date_field(end_name, end)?;
    Period::new(s, e).map_err(|_| {
        bad(format!(
            "{end_name}: the end of the period ({e}) is before its start ({s})"
        ))
    })
}

/// A seed sent as a JSON number or as a string (see [`Seed`]).
fn seed_of(v: Option<&serde_json::Value>) -> Result<Option<u64>, ApiError> {
    Seed::parse_optional(&crate::form::json_text(v).unwrap_or_default())
        .map(|s| s.map(Seed::value))
        .map_err(|e| bad(format!("seed: {e}")))
}

#[derive(Deserialize, ToSchema)]
pub struct NewComplianceAuditJson {
    /// `YYYY-MM-DD` (or `dd/mm/yyyy`); incidents reported on this day are in the frame.
    pub period_start: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub period_end: Option<String>,
    /// How many incidents to draw (35 unless given).
    pub sample_size: Option<serde_json::Value>,
    /// A whole number from 0 to 18446744073709551615, as a number or a string; random when
    /// left out. The same seed over the same period always gives the same sample.
    #[schema(value_type = Option<u64>)]
    pub seed: Option<serde_json::Value>,
    /// Defaults to e.g. "Compliance audit, February and March 2025".
    pub title: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceDrawJson {
    pub id: i64,
    pub seed: u64,
    /// Incidents reported within the period (both dates inclusive).
    pub frame_size: u64,
    /// Incident references in draw order.
    pub sample: Vec<String>,
}

/// Opens a compliance audit for a period and draws its random sample of incidents, owned by the
/// token's user.
#[utoipa::path(post, path = "/api/v1/compliance-audits", request_body = NewComplianceAuditJson, security(("bearer" = [])),
    responses((status = 201, body = ComplianceDrawJson), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<cap::ComplianceAudits>,
    req: Result<Json<NewComplianceAuditJson>, JsonRejection>,
) -> Result<(StatusCode, Json<ComplianceDrawJson>), ApiError> {
    let b = body(req)?;
    let p = period(
        "period_start",
        b.period_start.as_deref(),
        "period_end",
        b.period_end.as_deref(),
    )?;
    let sample_size = match &b.sample_size {
        None | Some(serde_json::Value::Null) => audit_rules::DEFAULT_SAMPLE_SIZE,
        Some(serde_json::Value::Number(n)) => n.as_u64().ok_or_else(|| {
            bad(format!(
                "sample_size: {n} is not a whole number of incidents"
            ))
        })?,
        Some(serde_json::Value::String(s)) => {
            audit_rules::parse_sample_size(s).map_err(|e| bad(format!("sample_size: {e}")))?
        }
        Some(other) => {
            return Err(bad(format!(
                "sample_size: {other} is not a whole number of incidents"
            )))
        }
    };
    audit_rules::check_sample_size(sample_size).map_err(|e| bad(format!("sample_size: {e}")))?;
    let seed = seed_of(b.seed.as_ref())?;
    let drawn = audits::create(
        &state.store,
        &api.user.actor(),
        &NewAudit {
            title: b.title.unwrap_or_default(),
            period: p,
            sample_size,
            seed,
            owner_user_id: api.user.id,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ComplianceDrawJson {
            id: drawn.audit_id,
            seed: drawn.seed,
            frame_size: drawn.frame_size,
            sample: drawn.sample,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceAuditJson {
    pub id: i64,
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    /// open or closed
    pub status: String,
    pub sample_size: i64,
    pub owner: String,
    /// The latest draw: only it counts.
    pub draw_no: i64,
    pub seed: Option<u64>,
    pub frame_size: i64,
    pub sampled: i64,
    /// Sampled incidents with a finding.
    pub done: i64,
}

impl From<audits::AuditRow> for ComplianceAuditJson {
    fn from(a: audits::AuditRow) -> Self {
        ComplianceAuditJson {
            seed: a.seed_u64(),
            id: a.id,
            title: a.title,
            period_start: a.period_start,
            period_end: a.period_end,
            status: a.status,
            sample_size: a.sample_size,
            owner: a.owner,
            draw_no: a.draw_no,
            frame_size: a.frame_size,
            sampled: a.sampled,
            done: a.done,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceAuditList {
    pub items: Vec<ComplianceAuditJson>,
}

/// The audits the caller may see: administrators and trainers all; auditors those they own or
/// are assigned to.
#[utoipa::path(get, path = "/api/v1/compliance-audits", security(("bearer" = [])),
    responses((status = 200, body = ComplianceAuditList), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<cap::ComplianceAudits>,
) -> Result<Json<ComplianceAuditList>, ApiError> {
    let rows = audits::list(&state.store, &viewer(&api.user)).await?;
    Ok(Json(ComplianceAuditList {
        items: rows.into_iter().map(ComplianceAuditJson::from).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceFindingJson {
    pub incident_ref: String,
    pub form_required: bool,
    /// child, adult_at_risk or other; null when no form was required.
    pub required_reason: Option<String>,
    pub form_completed: bool,
    pub on_time: Option<bool>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl From<audits::FindingRecord> for ComplianceFindingJson {
    fn from(f: audits::FindingRecord) -> Self {
        ComplianceFindingJson {
            incident_ref: f.incident_ref,
            form_required: f.form_required,
            required_reason: f.required_reason,
            form_completed: f.form_completed,
            on_time: f.on_time,
            note: f.note,
            recorded_by: f.recorded_by,
            recorded_at: f.recorded_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SampledIncidentJson {
    pub position: i64,
    pub incident_ref: String,
    pub reported_at: String,
    pub category: String,
    pub area: String,
    pub children_involved: bool,
    pub adult_at_risk: bool,
    pub domestic_abuse: bool,
    pub officer_staff_number: String,
    pub department: String,
    /// Referrals linked to the incident, earliest first.
    pub referral_refs: Vec<String>,
    pub first_referral_at: Option<String>,
    pub finding: Option<ComplianceFindingJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceAuditDetailJson {
    pub audit: ComplianceAuditJson,
    pub sample: Vec<SampledIncidentJson>,
}

/// One audit with its current sample and findings (the view is audited).
#[utoipa::path(get, path = "/api/v1/compliance-audits/{id}", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ComplianceAuditDetailJson), (status = 404, body = crate::error::Problem)))]
pub async fn one(
    State(state): State<AppState>,
    api: Api<cap::ComplianceAudits>,
    Path(id): Path<String>,
) -> Result<Json<ComplianceAuditDetailJson>, ApiError> {
    let id: i64 = id.trim().parse().map_err(|_| ApiError::NotFound)?;
    let a = audits::get(&state.store, &viewer(&api.user), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let sample = audits::sample(&state.store, &api.user.actor(), &a).await?;
    Ok(Json(ComplianceAuditDetailJson {
        audit: a.into(),
        sample: sample
            .into_iter()
            .map(|s| SampledIncidentJson {
                first_referral_at: s.referrals.first().map(|r| r.submitted_at.clone()),
                referral_refs: s.referrals.iter().map(|r| r.referral_ref.clone()).collect(),
                position: s.position,
                incident_ref: s.incident_ref,
                reported_at: s.reported_at,
                category: s.category,
                area: s.area,
                children_involved: s.children_involved,
                adult_at_risk: s.adult_at_risk,
                domestic_abuse: s.domestic_abuse,
                officer_staff_number: s.officer_staff_number,
                department: s.department,
                finding: s.finding.map(ComplianceFindingJson::from),
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewComplianceFindingJson {
    pub incident_ref: Option<String>,
    pub form_required: Option<bool>,
    /// child, adult_at_risk or other; null when no form was required.
    pub required_reason: Option<String>,
    pub form_completed: Option<bool>,
    /// Only for a completed form; null when none was completed or it cannot be told.
    pub on_time: Option<bool>,
    pub note: Option<String>,
}

/// Records (or changes) the finding for one sampled incident. The token's user must be one of
/// the audit's assigned auditors or its owner, and the audit open.
#[utoipa::path(post, path = "/api/v1/compliance-audits/{id}/findings", request_body = NewComplianceFindingJson, security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = ComplianceFindingJson), (status = 200, body = ComplianceFindingJson, description = "An existing finding changed"),
        (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn record_finding(
    State(state): State<AppState>,
    api: Api<cap::ComplianceAudits>,
    Path(id): Path<String>,
    req: Result<Json<NewComplianceFindingJson>, JsonRejection>,
) -> Result<(StatusCode, Json<ComplianceFindingJson>), ApiError> {
    let id: i64 = id.trim().parse().map_err(|_| ApiError::NotFound)?;
    let b = body(req)?;
    let incident_ref = b
        .incident_ref
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| bad("incident_ref: give the incident's reference"))?;
    let form_required = b
        .form_required
        .ok_or_else(|| bad("form_required: say true or false"))?;
    let form_completed = b
        .form_completed
        .ok_or_else(|| bad("form_completed: say true or false"))?;
    let required_reason = match b.required_reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(r) => Some(
            r.parse::<RequiredReason>()
                .map_err(|e| bad(format!("required_reason: {e}")))?,
        ),
    };
    let finding = Finding {
        form_required,
        required_reason,
        form_completed,
        on_time: b.on_time,
    };
    let (record, changed) = audits::record_finding(
        &state.store,
        &api.user.actor(),
        &viewer(&api.user),
        id,
        &FindingInput {
            incident_ref,
            finding,
            note: b.note.unwrap_or_default(),
        },
    )
    .await?;
    Ok((
        if changed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        Json(record.into()),
    ))
}

// ---------------------------------------------------------------------------------------------
// Roll-ups

#[derive(Serialize, ToSchema)]
pub struct ComplianceFiguresJson {
    pub examined: u64,
    pub required: u64,
    pub completed_when_required: u64,
    /// completed_when_required / required; null when required is 0.
    pub compliance: Option<f64>,
    /// Wilson 95% interval `[lo, hi]`; null when required is 0.
    pub compliance_ci95: Option<[f64; 2]>,
    pub not_required: u64,
    pub completed_when_not_required: u64,
    /// completed_when_not_required / not_required; null when not_required is 0.
    pub over_referral: Option<f64>,
    pub over_referral_ci95: Option<[f64; 2]>,
    /// Forms completed when required: on time, late, timing not known.
    pub on_time: u64,
    pub late: u64,
    pub on_time_unknown: u64,
    /// True when these figures count a finding from an audit that is still open: its findings
    /// may still change, so the figures may too.
    pub provisional: bool,
    /// How many of the findings counted come from audits still open.
    pub provisional_findings: u64,
}

fn pair(i: Option<mashboard_domain::stats::Interval>) -> Option<[f64; 2]> {
    i.map(|i| [i.lo, i.hi])
}

impl From<&RollUp> for ComplianceFiguresJson {
    fn from(r: &RollUp) -> Self {
        ComplianceFiguresJson {
            examined: r.examined,
            required: r.required,
            completed_when_required: r.completed_when_required,
            compliance: r.compliance,
            compliance_ci95: pair(r.compliance_ci95),
            not_required: r.not_required,
            completed_when_not_required: r.completed_when_not_required,
            over_referral: r.over_referral,
            over_referral_ci95: pair(r.over_referral_ci95),
            on_time: r.on_time,
            late: r.late,
            on_time_unknown: r.on_time_unknown,
            provisional: r.provisional(),
            provisional_findings: r.provisional_findings,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceYearJson {
    pub year: i32,
    /// Incidents to examine in a year (200).
    pub target: u64,
    #[serde(flatten)]
    pub figures: ComplianceFiguresJson,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceSummaryJson {
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub overall: ComplianceFiguresJson,
    /// By the reason a form was required: child, adult_at_risk, other, and not_required.
    pub by_subject: BTreeMap<String, ComplianceFiguresJson>,
    pub by_year: Vec<ComplianceYearJson>,
}

fn summary_json(p: &Period, b: &Breakdown) -> ComplianceSummaryJson {
    ComplianceSummaryJson {
        from: p.start.to_string(),
        to: p.end.to_string(),
        overall: (&b.overall).into(),
        by_subject: b
            .by_subject
            .iter()
            .map(|(s, r)| (s.as_str().to_string(), r.into()))
            .collect(),
        by_year: b
            .by_year
            .iter()
            .map(|(y, r)| ComplianceYearJson {
                year: *y,
                target: audit_rules::YEARLY_TARGET,
                figures: r.into(),
            })
            .collect(),
    }
}

use crate::form::query_pairs;

fn param<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// Compliance and over-referral over the findings for incidents reported from `from` to `to`
/// (both inclusive), each audit's latest draw only; intervals are Wilson 95%.
#[utoipa::path(get, path = "/api/v1/compliance/summary", security(("bearer" = [])),
    params(("from" = String, Query, description = "YYYY-MM-DD"), ("to" = String, Query, description = "YYYY-MM-DD, inclusive")),
    responses((status = 200, body = ComplianceSummaryJson), (status = 400, body = crate::error::Problem)))]
pub async fn summary(
    State(state): State<AppState>,
    _api: Api<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ComplianceSummaryJson>, ApiError> {
    let q = query_pairs(raw.as_deref());
    let p = period("from", param(&q, "from"), "to", param(&q, "to"))?;
    let b = audits::summary(&state.store, &p).await?;
    Ok(Json(summary_json(&p, &b)))
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceCompareJson {
    pub a: ComplianceSummaryJson,
    pub b: ComplianceSummaryJson,
    /// b's compliance minus a's; null when either has no incident that needed a form.
    pub difference: Option<f64>,
    /// Newcombe hybrid score 95% interval for the difference.
    pub difference_ci95: Option<[f64; 2]>,
    /// Pooled two-proportion z statistic.
    pub z: Option<f64>,
    /// Two-sided; null when undefined (both periods all compliant or all not).
    pub p_value: Option<f64>,
    /// In plain words.
    pub reading: Option<String>,
}

/// Compliance in period b against period a: difference b − a, a two-sided pooled two-proportion
/// z-test and a Newcombe hybrid-score 95% interval for the difference.
#[utoipa::path(get, path = "/api/v1/compliance/compare", security(("bearer" = [])),
    params(("a_from" = String, Query), ("a_to" = String, Query), ("b_from" = String, Query), ("b_to" = String, Query)),
    responses((status = 200, body = ComplianceCompareJson), (status = 400, body = crate::error::Problem)))]
pub async fn compare(
    State(state): State<AppState>,
    _api: Api<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ComplianceCompareJson>, ApiError> {
    let q = query_pairs(raw.as_deref());
    let pa = period("a_from", param(&q, "a_from"), "a_to", param(&q, "a_to"))?;
    let pb = period("b_from", param(&q, "b_from"), "b_to", param(&q, "b_to"))?;
    let a = audits::summary(&state.store, &pa).await?;
    let b = audits::summary(&state.store, &pb).await?;
    let c = audit_rules::compare(&a.overall, &b.overall);
    Ok(Json(ComplianceCompareJson {
        a: summary_json(&pa, &a),
        b: summary_json(&pb, &b),
        difference: c.as_ref().map(|c| c.difference),
        difference_ci95: c.as_ref().map(|c| [c.difference_ci.lo, c.difference_ci.hi]),
        z: c.as_ref().and_then(|c| c.z),
        p_value: c.as_ref().and_then(|c| c.p_value),
        reading: c.as_ref().map(audit_rules::reading),
    }))
}
