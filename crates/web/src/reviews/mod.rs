//! Quarterly referral quality reviews: sampling, blind grading by the panel, results.

mod api;
mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = api::routes(t);
    pages::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::ReviewsDoc as utoipa::OpenApi>::openapi()
}
