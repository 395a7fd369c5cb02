//! Partner organisations, their contacts and the partner training exchange.

mod api;
mod pages;

// An attachment day's partner participants are read with the same form as a session's guests.
pub(crate) use pages::{active_orgs, guest_draft, guest_form};

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::PartnersDoc as utoipa::OpenApi>::openapi()
}
