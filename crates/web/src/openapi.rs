//! The OpenAPI document of `/api/v1`: each capability's API describes its own operations and
//! shapes; they are merged here, beside the route table, the other place that knows them all.

use crate::error::Problem;
use axum::Json;
use utoipa::OpenApi;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "mashboard API", description = "Safeguarding training and referral quality. Create a token with `mashboard token create --user NAME` and send it as `Authorization: Bearer <token>`."),
    components(schemas(Problem)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        crate::accounts::api_doc(),
        crate::people::api_doc(),
        crate::plans::api_doc(),
        crate::matrix::api_doc(),
        crate::outcomes::api_doc(),
        crate::register::api_doc(),
        crate::reviews::api_doc(),
        crate::audits::api_doc(),
        crate::sessions::api_doc(),
        crate::attendance::api_doc(),
        crate::coverage::api_doc(),
        crate::exercises::api_doc(),
        crate::attachment_days::api_doc(),
        crate::partners::api_doc(),
        crate::impact::api_doc(),
    ] {
        doc.merge(part);
    }
    doc
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
