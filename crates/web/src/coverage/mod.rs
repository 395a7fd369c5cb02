//! Coverage: who still needs the frontline input, and booking them.

mod api;
mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::CoverageDoc as utoipa::OpenApi>::openapi()
}
