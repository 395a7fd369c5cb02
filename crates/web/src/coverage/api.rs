//! Coverage of delivery requirements in the JSON API: the requirements, and who is required,
//! trained, booked and untrained for one of them as of a day. Scoped like the pages: trainers
//! and administrators see everyone, a line manager only the people they line-manage, a senior
//! leader the figures without anyone's staff number. Bad input is a 4xx JSON
//! `{"error","message"}`.

use crate::auth::{cap, Api};
use crate::coverage::pages::{parse_as_of, viewer_scope, ViewerScope};
use crate::error::{api_said, ApiError};
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::coverage::{Tally, TrainedHow};
use mashboard_store::delivery::coverage as store;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.get("/api/v1/coverage", A(CoverageView), get(coverage))
        .get(
            "/api/v1/coverage/requirements",
            A(CoverageView),
            get(requirements),
        )
}

#[derive(OpenApi)]
#[openapi(
    paths(coverage, requirements),
    components(schemas(
        CoverageJson,
        CoverageTallyJson,
        CoverageRequirementJson,
        CoverageRequirementModuleJson,
        CoverageRequirementList
    ))
)]
pub struct CoverageDoc;

fn internal(e: mashboard_store::StoreError) -> Response {
    ApiError::from(e).into_response()
}

#[derive(Serialize, ToSchema)]
pub struct CoverageRequirementModuleJson {
    pub module_id: i64,
    pub code: String,
    pub title: String,
    /// `session`, `recording` (counts for transferees only) or `any`.
    pub counts_as: String,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageRequirementJson {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub active: bool,
    /// Who is required, one line per clause (anyone matching any clause).
    pub who: Vec<String>,
    /// The rule as stored.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    pub modules: Vec<CoverageRequirementModuleJson>,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageRequirementList {
    pub items: Vec<CoverageRequirementJson>,
}

fn requirement_json(r: &store::Requirement) -> CoverageRequirementJson {
    CoverageRequirementJson {
        id: r.id,
        code: r.code.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        active: r.active,
        who: r.rule.describe(),
        rule: serde_json::to_value(&r.rule).unwrap_or_default(),
        modules: r
            .modules
            .iter()
            .map(|m| CoverageRequirementModuleJson {
                module_id: m.module_id,
                code: m.code.clone(),
                title: m.title.clone(),
                counts_as: m.counts_as.as_str().into(),
            })
            .collect(),
    }
}

/// The coverage requirements, active and retired, with their ids.
#[utoipa::path(get, path = "/api/v1/coverage/requirements", security(("bearer" = [])),
    responses((status = 200, body = CoverageRequirementList), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn requirements(State(state): State<AppState>, _api: Api<cap::CoverageView>) -> Response {
    match store::requirements(&state.store, true).await {
        Ok(all) => Json(CoverageRequirementList {
            items: all.iter().map(requirement_json).collect(),
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CoverageTallyJson {
    pub required: usize,
    pub trained: usize,
    pub booked: usize,
    pub untrained: usize,
    /// Share trained in whole percent (rounded to the nearest; never 100 short of everyone);
    /// null when nobody is required.
    pub percent: Option<u32>,
}

fn tally(t: &Tally) -> CoverageTallyJson {
    CoverageTallyJson {
        required: t.required,
        trained: t.trained,
        booked: t.booked,
        untrained: t.untrained(),
        percent: t.percent(),
    }
}

fn groups(m: &BTreeMap<String, Tally>) -> BTreeMap<String, CoverageTallyJson> {
    m.iter().map(|(k, v)| (k.clone(), tally(v))).collect()
}

#[derive(Serialize, ToSchema)]
pub struct CoverageJson {
    pub requirement: i64,
    pub requirement_code: String,
    pub as_of: String,
    pub required: usize,
    pub trained: usize,
    pub booked: usize,
    pub untrained_count: usize,
    pub percent: Option<u32>,
    /// Staff numbers of the required people not yet trained (booked ones included), sorted.
    /// Empty when the caller may see figures only (`names_hidden`).
    pub untrained: Vec<String>,
    /// Staff numbers of the untrained people who are booked on a session.
    pub booked_people: Vec<String>,
    pub names_hidden: bool,
    /// `all` or `line_reports` (a line manager sees only the people they line-manage).
    pub scope: String,
    /// How the trained people had the input: session, recording, imported, other.
    pub trained_how: BTreeMap<String, usize>,
    pub by_department: BTreeMap<String, CoverageTallyJson>,
    pub by_team: BTreeMap<String, CoverageTallyJson>,
    pub by_cohort: BTreeMap<String, CoverageTallyJson>,
    pub by_rank: BTreeMap<String, CoverageTallyJson>,
    pub by_role_profile: BTreeMap<String, CoverageTallyJson>,
}

/// Coverage of one requirement as of a day (default today).
#[utoipa::path(get, path = "/api/v1/coverage", security(("bearer" = [])),
    params(("requirement" = i64, Query, description = "requirement id"), ("as_of" = Option<String>, Query, description = "YYYY-MM-DD; today when left out")),
    responses((status = 200, body = CoverageJson), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn coverage(
    State(state): State<AppState>,
    api: Api<cap::CoverageView>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    let param = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
    };
    let Some(req_raw) = param("requirement").filter(|s| !s.is_empty()) else {
        return api_said(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Give the requirement's id as ?requirement=ID (GET /api/v1/coverage/requirements lists them)",
        );
    };
    let Ok(req_id) = req_raw.parse::<i64>() else {
        return api_said(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("requirement: \"{req_raw}\" is not a requirement id (a whole number)"),
        );
    };
    let as_of = match parse_as_of(param("as_of").as_deref()) {
        Ok(d) => d,
        Err(m) => {
            return api_said(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("as_of: {m}"),
            )
        }
    };
    let req = match store::requirement(&state.store, req_id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return api_said(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("There is no coverage requirement with id {req_id}"),
            )
        }
        Err(e) => return internal(e),
    };
    let scope = match viewer_scope(&state.store, &api.user).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let report =
        match store::compute(&state.store, &req, as_of, &scope.filter(Default::default())).await {
            Ok(r) => r,
            Err(e) => return internal(e),
        };
    let c = &report.coverage;
    let mut untrained = Vec::new();
    let mut booked_people = Vec::new();
    if scope.names {
        for (p, o) in report.untrained() {
            untrained.push(p.staff_number.clone());
            if o.standing.is_booked() {
                booked_people.push(p.staff_number.clone());
            }
        }
        untrained.sort();
        booked_people.sort();
        if let Err(e) = store::record_view(
            &state.store,
            &api.user.actor(),
            &req,
            "coverage through the API",
            untrained.len(),
        )
        .await
        {
            return internal(e);
        }
    }
    Json(CoverageJson {
        requirement: req.id,
        requirement_code: req.code.clone(),
        as_of: as_of.to_string(),
        required: c.total.required,
        trained: c.total.trained,
        booked: c.total.booked,
        untrained_count: c.total.untrained(),
        percent: c.total.percent(),
        untrained,
        booked_people,
        names_hidden: !scope.names,
        scope: match scope.kind {
            ViewerScope::All | ViewerScope::FiguresOnly => "all".into(),
            ViewerScope::LineReports => "line_reports".into(),
        },
        trained_how: TrainedHow::ALL
            .iter()
            .map(|h| {
                (
                    h.as_str().to_string(),
                    c.trained_how.get(h).copied().unwrap_or(0),
                )
            })
            .collect(),
        by_department: groups(&c.by_department),
        by_team: groups(&c.by_team),
        by_cohort: groups(&c.by_cohort),
        by_rank: groups(&c.by_rank),
        by_role_profile: groups(&c.by_role_profile),
    })
    .into_response()
}
