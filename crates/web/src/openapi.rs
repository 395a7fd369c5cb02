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
        crate::accounts::api::AccountsDoc::openapi(),
        crate::people::api::PeopleDoc::openapi(),
        crate::plans::api::PlansDoc::openapi(),
        crate::outcomes::api::OutcomesDoc::openapi(),
        crate::register::api::RegisterDoc::openapi(),
        crate::reviews::api::ReviewsDoc::openapi(),
        crate::audits::api::AuditsDoc::openapi(),
        crate::sessions::api::SessionsDoc::openapi(),
        crate::attendance::api::AttendanceDoc::openapi(),
        crate::coverage::api::CoverageDoc::openapi(),
        crate::exercises::api::ExercisesDoc::openapi(),
        crate::attachment_days::api::AttachmentDoc::openapi(),
        crate::partners::api::PartnersDoc::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
