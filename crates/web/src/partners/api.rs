//! Partner training exchange in the JSON API: partner organisations and their contacts, and the
//! year's quarterly summary of training exchanged each way. Reading an organisation's contacts
//! is an audited view. Every refusal is a 4xx JSON `{"error", "message"}` (with `fields` when
//! the input had problems) and writes nothing.

use crate::auth::{cap, Api};
use crate::error::{api_invalid, api_refused, api_said, ApiError};
use crate::error::{Path, Query};
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::partners::{ContactDraft, OrgDraft, OrgKind};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::partners::{self, Contact, PartnerOrg};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::PartnersManage;
    t.get("/api/v1/partners", A(PartnersManage), get(list))
        .post("/api/v1/partners", A(PartnersManage), post(create))
        .get("/api/v1/partners/{id}", A(PartnersManage), get(one))
        .post(
            "/api/v1/partners/{id}/contacts",
            A(PartnersManage),
            post(add_contact),
        )
        .get("/api/v1/partner-exchange", A(PartnersManage), get(exchange))
}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, one, add_contact, exchange),
    components(schemas(
        PartnerJson,
        PartnerListJson,
        PartnerDetailJson,
        PartnerContactJson,
        NewPartnerJson,
        NewContactJson
    ))
)]
pub struct PartnersDoc;

#[derive(Serialize, ToSchema)]
pub struct PartnerJson {
    pub id: i64,
    pub name: String,
    /// children_social_care, adult_social_care, health, education, fire_and_rescue, probation,
    /// housing or other.
    pub kind: String,
    pub kind_label: String,
    pub notes: String,
    pub active: bool,
    pub contacts: i64,
    /// Catalogue modules this organisation provides.
    pub modules: i64,
}

impl From<&PartnerOrg> for PartnerJson {
    fn from(o: &PartnerOrg) -> Self {
        PartnerJson {
            id: o.id,
            name: o.name.clone(),
            kind: o.kind.clone(),
            kind_label: OrgKind::label_of(&o.kind),
            notes: o.notes.clone(),
            active: o.active,
            contacts: o.contacts,
            modules: o.modules,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PartnerListJson {
    pub items: Vec<PartnerJson>,
}

/// Every partner organisation, by kind then name.
#[utoipa::path(get, path = "/api/v1/partners", security(("bearer" = [])),
    responses((status = 200, body = PartnerListJson), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(State(state): State<AppState>, _api: Api<cap::PartnersManage>) -> Response {
    match partners::orgs(&state.store).await {
        Ok(orgs) => Json(PartnerListJson {
            items: orgs.iter().map(PartnerJson::from).collect(),
        })
        .into_response(),
        Err(e) => api_refused(e),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewPartnerJson {
    pub name: String,
    /// One of the kinds listed on `PartnerJson.kind`.
    pub kind: String,
    #[serde(default)]
    pub notes: String,
}

/// Adds a partner organisation. A name already on the list is refused (409).
#[utoipa::path(post, path = "/api/v1/partners", request_body = NewPartnerJson, security(("bearer" = [])),
    responses((status = 201, body = PartnerJson), (status = 400, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<cap::PartnersManage>,
    req: Result<Json<NewPartnerJson>, JsonRejection>,
) -> Response {
    let req = match crate::error::json_body(req) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let input = match (OrgDraft {
        name: req.name,
        kind: req.kind,
        notes: req.notes,
    })
    .validate()
    {
        Ok(i) => i,
        Err(errors) => return api_invalid(errors.iter().map(|e| (e.field, e.message.as_str()))),
    };
    match partners::create_org(&state.store, &api.user.actor(), &input).await {
        Ok(o) => (StatusCode::CREATED, Json(PartnerJson::from(&o))).into_response(),
        Err(e) => api_refused(e),
    }
}

#[derive(Serialize, ToSchema)]
pub struct PartnerContactJson {
    pub id: i64,
    pub name: String,
    pub job_title: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl From<&Contact> for PartnerContactJson {
    fn from(c: &Contact) -> Self {
        PartnerContactJson {
            id: c.id,
            name: c.name.clone(),
            job_title: c.job_title.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PartnerDetailJson {
    #[serde(flatten)]
    pub partner: PartnerJson,
    pub contacts_list: Vec<PartnerContactJson>,
}

/// An organisation with its contacts. The view is audited.
#[utoipa::path(get, path = "/api/v1/partners/{id}", params(("id" = i64, Path, description = "The organisation's id")), security(("bearer" = [])),
    responses((status = 200, body = PartnerDetailJson), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn one(
    State(state): State<AppState>,
    api: Api<cap::PartnersManage>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.trim().parse::<i64>() else {
        return ApiError::NotFound.into_response();
    };
    let org = match partners::org(&state.store, id).await {
        Ok(Some(o)) => o,
        Ok(None) => return ApiError::NotFound.into_response(),
        Err(e) => return api_refused(e),
    };
    let contacts = match partners::contacts(&state.store, id).await {
        Ok(c) => c,
        Err(e) => return api_refused(e),
    };
    if let Err(e) = audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "partner_org.view",
            format!("Viewed partner organisation {} (API)", org.name),
        )
        .on("partner_org", id.to_string()),
    )
    .await
    {
        return api_refused(e);
    }
    Json(PartnerDetailJson {
        partner: PartnerJson::from(&org),
        contacts_list: contacts.iter().map(PartnerContactJson::from).collect(),
    })
    .into_response()
}

#[derive(Deserialize, ToSchema)]
pub struct NewContactJson {
    pub name: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// Adds a contact (no account) to an organisation.
#[utoipa::path(post, path = "/api/v1/partners/{id}/contacts", params(("id" = i64, Path, description = "The organisation's id")), request_body = NewContactJson, security(("bearer" = [])),
    responses((status = 201, body = PartnerContactJson), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn add_contact(
    State(state): State<AppState>,
    api: Api<cap::PartnersManage>,
    Path(id): Path<String>,
    req: Result<Json<NewContactJson>, JsonRejection>,
) -> Response {
    let Ok(id) = id.trim().parse::<i64>() else {
        return ApiError::NotFound.into_response();
    };
    let req = match crate::error::json_body(req) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    let input = match (ContactDraft {
        name: req.name,
        job_title: req.job_title,
        email: req.email,
        phone: req.phone,
    })
    .validate()
    {
        Ok(i) => i,
        Err(errors) => return api_invalid(errors.iter().map(|e| (e.field, e.message.as_str()))),
    };
    match partners::add_contact(&state.store, &api.user.actor(), id, &input).await {
        Ok(c) => (StatusCode::CREATED, Json(PartnerContactJson::from(&c))).into_response(),
        Err(e) => api_refused(e),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExchangeQuery {
    /// The calendar year; this year when left out.
    pub year: Option<String>,
}

/// The year's training exchanged with partners, by quarter and each way (police to partners,
/// partners to police): sessions, attendees, completions of partner-provided modules and the
/// organisations involved.
#[utoipa::path(get, path = "/api/v1/partner-exchange", params(ExchangeQuery), security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 400, body = crate::error::Problem)))]
pub async fn exchange(
    State(state): State<AppState>,
    _api: Api<cap::PartnersManage>,
    Query(q): Query<ExchangeQuery>,
) -> Response {
    let year = match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => mashboard_store::training::today().year(),
        Some(raw) => match raw.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => y,
            _ => {
                return api_said(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("year: \"{raw}\" is not a year such as 2022"),
                )
            }
        },
    };
    match partners::exchange(&state.store, year).await {
        Ok((_, summary)) => Json(summary).into_response(),
        Err(e) => api_refused(e),
    }
}
