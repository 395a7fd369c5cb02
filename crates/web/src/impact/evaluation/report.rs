//! `/impact/evaluation/{id}`: one report as a printable page; the trainer refreshes a draft's
//! figures and publishes it (after a confirmation page), which freezes it.

use super::charts::{self, Drawn, EventStudy};
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::view::{date_text, html, local_time_text, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use mashboard_domain::access::Capability;
use mashboard_domain::evaluation::{points, Report};
use mashboard_store::evaluation::{self, ReportRow};
use mashboard_store::training::today;

#[derive(Template)]
#[template(path = "impact/evaluation_report.html")]
struct ReportPage {
    chrome: Chrome,
    row: ReportRow,
    r: Report,
    charts: Vec<Drawn>,
    event_study: Option<EventStudy>,
    can_manage: bool,
}

/// How the report's numbers are written, shared with the PDF and workbook.
pub(crate) mod text {
    pub fn pct(v: &Option<f64>) -> String {
        v.map(|v| format!("{:.1}%", v * 100.0))
            .unwrap_or_else(|| "–".into())
    }
    pub fn pct_ci(v: &Option<[f64; 2]>) -> String {
        v.map(|[lo, hi]| format!("{:.1}% to {:.1}%", lo * 100.0, hi * 100.0))
            .unwrap_or_else(|| "–".into())
    }
    pub fn num(v: &Option<f64>) -> String {
        v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into())
    }
    pub fn num_ci(v: &Option<[f64; 2]>) -> String {
        v.map(|[lo, hi]| format!("{lo:.2} to {hi:.2}"))
            .unwrap_or_else(|| "–".into())
    }
    pub fn points_ci(v: &Option<[f64; 2]>) -> String {
        v.map(|[lo, hi]| {
            format!(
                "{} to {}",
                mashboard_domain::evaluation::points(lo),
                mashboard_domain::evaluation::points(hi)
            )
        })
        .unwrap_or_else(|| "–".into())
    }
}

impl ReportPage {
    fn pct(&self, v: &Option<f64>) -> String {
        text::pct(v)
    }
    fn pct_ci(&self, v: &Option<[f64; 2]>) -> String {
        text::pct_ci(v)
    }
    fn num(&self, v: &Option<f64>) -> String {
        text::num(v)
    }
    fn num_ci(&self, v: &Option<[f64; 2]>) -> String {
        text::num_ci(v)
    }
    fn points(&self, v: &Option<f64>) -> String {
        v.map(points).unwrap_or_else(|| "–".into())
    }
    fn points_ci(&self, v: &Option<[f64; 2]>) -> String {
        text::points_ci(v)
    }
    fn day(&self, raw: &str) -> String {
        date_text(raw)
    }
    fn at(&self, raw: &str) -> String {
        local_time_text(raw)
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::EvaluationReports>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let row = super::find(&state.store, &id).await?;
    let r = row.report.clone();
    html(&ReportPage {
        chrome: Chrome::new(
            &state,
            &row.title,
            Some(&page.user),
            &page.csrf,
            &format!("/impact/evaluation/{}", row.id),
        ),
        charts: charts::of(&r),
        event_study: charts::event_study(&r),
        r,
        row,
        can_manage: page.user.can(Capability::TrainingManage),
    })
}

pub async fn refresh(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let row = super::find(&state.store, &id).await?;
    let parse = |s: &str| mashboard_domain::people::parse_date(s).map_err(AppError::BadRequest);
    let facts = evaluation::facts(
        &state.store,
        &row.title,
        parse(&row.period_from)?,
        parse(&row.period_to)?,
        today(),
    )
    .await?;
    evaluation::refresh(&state.store, &page.user.actor(), row.id, &facts).await?;
    Ok(Redirect::to(&format!("/impact/evaluation/{}", row.id)).into_response())
}

#[derive(Template)]
#[template(path = "impact/evaluation_publish.html")]
struct PublishPage {
    chrome: Chrome,
    row: ReportRow,
}

pub async fn confirm_publish(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let row = super::find(&state.store, &id).await?;
    if row.is_published() {
        return Ok(Redirect::to(&format!("/impact/evaluation/{}", row.id)).into_response());
    }
    html(&PublishPage {
        chrome: Chrome::new(
            &state,
            "Publish this report?",
            Some(&page.user),
            &page.csrf,
            &format!("/impact/evaluation/{}/publish", row.id),
        ),
        row,
    })
}

pub async fn publish(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let row = super::find(&state.store, &id).await?;
    evaluation::publish(&state.store, &page.user.actor(), row.id).await?;
    Ok(Redirect::to(&format!("/impact/evaluation/{}", row.id)).into_response())
}
