//! The incident and referral register in the JSON API: one referral, one incident. Reading a
//! record is audited, as on the pages.

use crate::auth::{cap, Api};
use crate::error::ApiError;
use crate::error::Path;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::register;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    t.get(
        "/api/v1/referrals/{referral_ref}",
        A(Capability::RegisterView),
        get(referral),
    )
    .get(
        "/api/v1/incidents/{incident_ref}",
        A(Capability::RegisterView),
        get(incident),
    )
}

#[derive(Serialize, ToSchema)]
pub struct NamedPersonJson {
    /// `child` or `adult`.
    pub role: String,
    pub name: String,
    /// `YYYY-MM-DD`
    pub date_of_birth: Option<String>,
    pub address: String,
    pub area: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ReferralOutcomeJson)]
pub struct OutcomeJson {
    pub partner: String,
    /// accepted_assessment, accepted_s47, accepted_s42, early_help, advice_signpost,
    /// no_further_action or returned_more_information.
    pub outcome: String,
    pub reason: String,
    /// `YYYY-MM-DD`
    pub decided_at: String,
    /// `import`, `mash` or `partner`.
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReferralJson {
    pub referral_ref: String,
    /// Empty when the export gave none.
    pub incident_ref: String,
    /// `YYYY-MM-DDTHH:MM:SS`, the force's local time.
    pub submitted_at: String,
    /// `child` or `adult`.
    pub subject_type: String,
    pub category: String,
    pub officer_grade: String,
    pub officer_staff_number: String,
    /// The officer's name when they are in the people directory.
    pub officer_name: Option<String>,
    pub partner: String,
    pub narrative: String,
    pub people: Vec<NamedPersonJson>,
    pub outcomes: Vec<OutcomeJson>,
    pub imported_at: String,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct IncidentJson {
    pub incident_ref: String,
    /// `YYYY-MM-DDTHH:MM:SS`, the force's local time.
    pub reported_at: String,
    pub category: String,
    pub area: String,
    pub children_involved: bool,
    pub adult_at_risk: bool,
    pub domestic_abuse: bool,
    pub officer_staff_number: String,
    pub officer_name: Option<String>,
    pub department: String,
    /// The referrals made from this incident.
    pub referral_refs: Vec<String>,
    pub imported_at: String,
    pub updated_at: String,
}

/// One referral with the people it names and the outcomes recorded so far (the view is
/// audited).
#[utoipa::path(get, path = "/api/v1/referrals/{referral_ref}", security(("bearer" = [])),
    params(("referral_ref" = String, Path, description = "The records system's reference")),
    responses((status = 200, body = ReferralJson), (status = 404, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn referral(
    State(state): State<AppState>,
    api: Api<cap::RegisterView>,
    Path(reference): Path<String>,
) -> Result<Json<ReferralJson>, ApiError> {
    let r = register::referral(&state.store, &reference)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "referral.view",
            format!("Read referral {} through the API", r.referral_ref),
        )
        .on("referral", &r.referral_ref),
    )
    .await?;
    let people = register::people_named_in(&state.store, &r.referral_ref)
        .await?
        .into_iter()
        .map(|p| NamedPersonJson {
            role: p.role,
            name: p.name,
            date_of_birth: p.date_of_birth,
            address: p.address,
            area: p.area,
        })
        .collect();
    let outcomes = register::outcomes_of(&state.store, &r.referral_ref)
        .await?
        .into_iter()
        .map(|o| OutcomeJson {
            partner: o.partner,
            outcome: o.outcome,
            reason: o.reason,
            decided_at: o.decided_at,
            source: o.source,
        })
        .collect();
    Ok(Json(ReferralJson {
        referral_ref: r.referral_ref,
        incident_ref: r.incident_ref,
        submitted_at: r.submitted_at,
        subject_type: r.subject_type,
        category: r.category,
        officer_grade: r.officer_grade,
        officer_staff_number: r.officer_staff_number,
        officer_name: r.officer_name,
        partner: r.partner,
        narrative: r.narrative,
        people,
        outcomes,
        imported_at: r.imported_at,
        updated_at: r.updated_at,
    }))
}

/// One incident with the references of the referrals made from it (the view is audited).
#[utoipa::path(get, path = "/api/v1/incidents/{incident_ref}", security(("bearer" = [])),
    params(("incident_ref" = String, Path, description = "The records system's reference")),
    responses((status = 200, body = IncidentJson), (status = 404, body = crate::error::Problem),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn incident(
    State(state): State<AppState>,
    api: Api<cap::RegisterView>,
    Path(reference): Path<String>,
) -> Result<Json<IncidentJson>, ApiError> {
    let i = register::incident(&state.store, &reference)
        .await?
        .ok_or(ApiError::NotFound)?;
    audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "incident.view",
            format!("Read incident {} through the API", i.incident_ref),
        )
        .on("incident", &i.incident_ref),
    )
    .await?;
    let referral_refs = register::referrals_of_incident(&state.store, &i.incident_ref)
        .await?
        .into_iter()
        .map(|r| r.referral_ref)
        .collect();
    Ok(Json(IncidentJson {
        incident_ref: i.incident_ref,
        reported_at: i.reported_at,
        category: i.category,
        area: i.area,
        children_involved: i.children_involved,
        adult_at_risk: i.adult_at_risk,
        domestic_abuse: i.domestic_abuse,
        officer_staff_number: i.officer_staff_number,
        officer_name: i.officer_name,
        department: i.department,
        referral_refs,
        imported_at: i.imported_at,
        updated_at: i.updated_at,
    }))
}

/// This capability's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(referral, incident),
    components(schemas(ReferralJson, IncidentJson, NamedPersonJson, OutcomeJson))
)]
pub struct RegisterDoc;
