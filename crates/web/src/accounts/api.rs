//! The account a bearer token belongs to: `/api/v1/me`.

use crate::auth::{cap, Api};
use axum::Json;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub roles: Vec<String>,
    pub staff_number: Option<String>,
}

/// The account the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::error::Problem)))]
pub async fn me(api: Api<cap::SignedIn>) -> Json<Me> {
    Json(Me {
        username: api.user.username,
        roles: api
            .user
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        staff_number: api.user.staff_number,
    })
}

/// The accounts API's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(me), components(schemas(Me)))]
pub struct AccountsDoc;
