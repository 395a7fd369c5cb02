//! `GET /api/v1/matrix`: the compliance matrix as JSON, one row per person with their plan,
//! built from the same [`MatrixData`](super::Data) and scope rule as the page and its exports.

use super::{scope_of, Data};
use crate::auth::{cap, Api};
use crate::error::ApiError;
use crate::plans::PlanItemJson;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::training::today;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

pub(super) fn routes(t: Table) -> Table {
    t.get(
        "/api/v1/matrix",
        Access::Api(Capability::TrainingRecords),
        get(matrix),
    )
}

#[derive(Serialize, ToSchema)]
pub struct MatrixRowJson {
    pub staff_number: String,
    pub name: String,
    pub department: Option<String>,
    pub team: Option<String>,
    pub items: Vec<PlanItemJson>,
}

/// The compliance matrix within the caller's scope: one row per person with their plan.
#[utoipa::path(get, path = "/api/v1/matrix", security(("bearer" = [])), responses((status = 200, body = [MatrixRowJson])))]
pub async fn matrix(
    State(state): State<AppState>,
    api: Api<cap::TrainingRecords>,
) -> Result<Json<Vec<MatrixRowJson>>, ApiError> {
    let data = Data::load(&state.store, scope_of(&api.user), today()).await?;
    let mut rows: Vec<MatrixRowJson> = Vec::new();
    for item in data.items {
        let Some(p) = data.people.get(&item.person_id) else {
            continue;
        };
        match rows.last_mut() {
            Some(r) if r.staff_number == p.staff_number => r.items.push(item.into()),
            _ => rows.push(MatrixRowJson {
                staff_number: p.staff_number.clone(),
                name: p.name.clone(),
                department: p.department.clone(),
                team: p.team.clone(),
                items: vec![item.into()],
            }),
        }
    }
    audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "matrix.export",
            format!(
                "Read the compliance matrix through the API ({} people)",
                rows.len()
            ),
        ),
    )
    .await?;
    Ok(Json(rows))
}

#[derive(OpenApi)]
#[openapi(paths(matrix), components(schemas(MatrixRowJson, PlanItemJson)))]
struct MatrixDoc;

pub(super) fn doc() -> utoipa::openapi::OpenApi {
    MatrixDoc::openapi()
}
