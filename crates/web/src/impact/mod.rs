//! Impact: statistical process control charts with the Making Data Count rules, through the
//! JSON API (`POST /api/v1/spc`) and the "chart your own data" page (`/impact/chart`). The
//! statistics are the domain's (`mashboard_domain::impact`); this folder reads requests, draws the
//! chart as SVG on the server and says what it shows in words.

mod api;
mod chart;
mod input;
mod svg;

use crate::routes::{Access, Table};
use axum::routing::{get, post};
use mashboard_domain::access::Capability::Impact;

pub(crate) fn routes(t: Table) -> Table {
    use Access::{Api, Page};
    t.get("/impact/chart", Page(Impact), get(chart::form))
        .post("/impact/chart", Page(Impact), post(chart::draw))
        .post("/api/v1/spc", Api(Impact), post(api::spc))
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::ImpactDoc as utoipa::OpenApi>::openapi()
}
