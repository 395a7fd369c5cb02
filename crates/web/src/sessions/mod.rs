//! Training sessions and series: scheduling, trainers, enrolment, waitlists, invitations.

mod api;
mod pages;

pub(crate) use pages::my_bookings;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::SessionsDoc as utoipa::OpenApi>::openapi()
}
