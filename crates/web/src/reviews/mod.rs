//! Quarterly referral quality reviews: sampling, blind grading by the panel, results.

mod api;
mod close;
mod export;
mod feedback;
mod grade;
mod list;
mod result;
mod review;
mod rubric;

pub(crate) fn routes(t: Table) -> Table {
    let t = api::routes(t);
    page_routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::ReviewsDoc as utoipa::OpenApi>::openapi()
}

use close::*;
use export::*;
use feedback::*;
use grade::*;
use list::*;
use result::*;
use review::*;
use rubric::*;

// The pages' shared imports and helpers; each screen's file takes them with `use super::*`.
// Quarterly referral quality reviews in the browser: the trainer opens a review and draws its
// sample, chooses the panel, moderates and closes; graders grade blind (partner reviewers on a
// pseudonymised view); the result page shows every figure with its uncertainty; officers and
// their line managers read the feedback. Who may see which review and grade is the domain's
// rule (`reviews::ReviewReader`), found for a reader by the store (`reviews::visible`); these
// handlers read forms, call the store and render.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::{csv_safe, workbook, Sheet, XCell};
use crate::form::field;
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::pseudonym::{self, NamedPerson, PersonRole};
use mashboard_domain::review_summary::{self, read_alpha, ReviewSummary};
use mashboard_domain::reviews::{self as review_rules, CriterionScore, ThemeComment, GRADES};
use mashboard_domain::sampling::Seed;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::reviews::{
    self, Criterion, NewGrade, NewReview, Review, ReviewAccess, SampleItem, Strata,
};
use mashboard_store::training::today;
use mashboard_store::StoreError;

fn page_routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{OwnFeedback, QualityReviewManage, QualityReviews};
    t.get("/quality/reviews", P(QualityReviews), get(list))
        .post("/quality/reviews", P(QualityReviewManage), post(create))
        .get("/quality/reviews/{id}", P(QualityReviews), get(show))
        .post(
            "/quality/reviews/{id}/panel",
            P(QualityReviewManage),
            post(panel),
        )
        .post(
            "/quality/reviews/{id}/redraw",
            P(QualityReviewManage),
            post(redraw),
        )
        .get(
            "/quality/reviews/{id}/close",
            P(QualityReviewManage),
            get(close_confirm),
        )
        .post(
            "/quality/reviews/{id}/status",
            P(QualityReviewManage),
            post(status),
        )
        .post(
            "/quality/reviews/{id}/agreed",
            P(QualityReviewManage),
            post(agree),
        )
        .post(
            "/quality/reviews/{id}/recommend",
            P(QualityReviewManage),
            post(recommend),
        )
        .get(
            "/quality/reviews/{id}/referrals/{referral_ref}",
            P(QualityReviews),
            get(grade_form),
        )
        .post(
            "/quality/reviews/{id}/referrals/{referral_ref}",
            P(QualityReviews),
            post(grade_save),
        )
        .post(
            "/quality/reviews/{id}/submit",
            P(QualityReviews),
            post(submit),
        )
        .get(
            "/quality/reviews/{id}/result",
            P(QualityReviews),
            get(result),
        )
        .get(
            "/quality/reviews/{id}/export.csv",
            P(QualityReviewManage),
            get(export_csv),
        )
        .get(
            "/quality/reviews/{id}/export.xlsx",
            P(QualityReviewManage),
            get(export_xlsx),
        )
        .get("/quality/rubric", P(QualityReviewManage), get(rubric_page))
        .post(
            "/quality/rubric/{id}",
            P(QualityReviewManage),
            post(rubric_save),
        )
        .post("/quality/rubric", P(QualityReviewManage), post(rubric_add))
        .get("/my/feedback", P(OwnFeedback), get(feedback))
}

fn query(raw: Option<&str>, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = raw
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn long(date: &str) -> String {
    parse_date(date.get(..10).unwrap_or(date))
        .map(format_date_long)
        .unwrap_or_else(|_| date.to_string())
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "grading" => "Grading",
        "moderation" => "Moderation",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

pub fn status_class(s: &str) -> &'static str {
    match s {
        "grading" => "govuk-tag--blue",
        "moderation" => "govuk-tag--yellow",
        "closed" => "govuk-tag--green",
        _ => "govuk-tag--grey",
    }
}

fn grade_words(g: i64) -> String {
    match review_rules::grade_label(g as u8) {
        Some(l) => format!("{g} ({})", l.to_lowercase()),
        None => g.to_string(),
    }
}

/// The review if this user may see it, else "not found" (the store finds the reader, the domain
/// says what they may see).
async fn visible(state: &AppState, user: &CurrentUser, id: i64) -> Result<ReviewAccess, AppError> {
    reviews::visible(&state.store, id, user.id, &user.roles)
        .await?
        .ok_or(AppError::NotFound)
}

fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}
