//! Impact: the senior leaders' dashboard (`/impact`, its downloads and its JSON twins under
//! `/api/v1/impact/`), and statistical process control charts with the Making Data Count rules
//! through the JSON API (`POST /api/v1/spc`) and the "chart your own data" page
//! (`/impact/chart`). The statistics are the domain's (`mashboard_domain::impact`); this folder
//! reads requests, draws the charts as SVG on the server and says what they show in words.

mod api;
mod chart;
mod dashboard;
mod evaluation;
mod event_study;
mod figures_api;
mod input;
mod period;
mod svg;
mod warm;

pub(crate) use warm::after_write as warm_effect_after_write;
pub use warm::{watch as watch_data_version, WATCH_EVERY};

use crate::routes::{Access, Table};
use axum::routing::{get, post};
use mashboard_domain::access::Capability::{EvaluationReports, Impact, TrainingManage};

pub(crate) fn routes(t: Table) -> Table {
    use evaluation::{api as ev_api, downloads, list, report};
    use Access::{Api, Page};
    t.get("/impact", Page(Impact), get(dashboard::show))
        .get(
            "/impact/evaluation",
            Page(EvaluationReports),
            get(list::list),
        )
        .post(
            "/impact/evaluation",
            Page(TrainingManage),
            post(list::create),
        )
        .get(
            "/impact/evaluation/{id}",
            Page(EvaluationReports),
            get(report::show),
        )
        .post(
            "/impact/evaluation/{id}/refresh",
            Page(TrainingManage),
            post(report::refresh),
        )
        .get(
            "/impact/evaluation/{id}/publish",
            Page(TrainingManage),
            get(report::confirm_publish),
        )
        .post(
            "/impact/evaluation/{id}/publish",
            Page(TrainingManage),
            post(report::publish),
        )
        .get(
            "/impact/evaluation/{id}/report.pdf",
            Page(EvaluationReports),
            get(downloads::pdf_download),
        )
        .get(
            "/impact/evaluation/{id}/report.xlsx",
            Page(EvaluationReports),
            get(downloads::xlsx_download),
        )
        .get(
            "/impact/evaluation/{id}/report.json",
            Page(EvaluationReports),
            get(downloads::json_download),
        )
        .post(
            "/api/v1/evaluation-reports",
            Api(TrainingManage),
            post(ev_api::create),
        )
        .get(
            "/api/v1/evaluation-reports",
            Api(EvaluationReports),
            get(ev_api::list),
        )
        .get(
            "/api/v1/evaluation-reports/{id}",
            Api(EvaluationReports),
            get(ev_api::get),
        )
        .post(
            "/api/v1/evaluation-reports/{id}/publish",
            Api(TrainingManage),
            post(ev_api::publish),
        )
        .get(
            "/impact/data/{name}",
            Page(Impact),
            get(dashboard::download),
        )
        .get("/impact/chart", Page(Impact), get(chart::form))
        .post("/impact/chart", Page(Impact), post(chart::draw))
        .post("/api/v1/spc", Api(Impact), post(api::spc))
        .get(
            "/api/v1/impact/compliance",
            Api(Impact),
            get(figures_api::compliance),
        )
        .get(
            "/api/v1/impact/review-grades",
            Api(Impact),
            get(figures_api::review_grades),
        )
        .get(
            "/api/v1/impact/outcomes",
            Api(Impact),
            get(figures_api::outcomes),
        )
        .get(
            "/api/v1/impact/training-effect",
            Api(Impact),
            get(figures_api::training_effect),
        )
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    let mut doc = <api::ImpactDoc as utoipa::OpenApi>::openapi();
    doc.merge(<figures_api::FiguresDoc as utoipa::OpenApi>::openapi());
    doc.merge(<evaluation::api::EvaluationDoc as utoipa::OpenApi>::openapi());
    doc
}
