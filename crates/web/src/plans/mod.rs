//! Training plans, completions and their two-party sign-off, as pages and through the API.

mod api;
mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::PlansDoc as utoipa::OpenApi>::openapi()
}
