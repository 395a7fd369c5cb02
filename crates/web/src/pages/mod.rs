//! HTML pages, one file per screen family.

pub mod account;
pub mod admin;
pub mod attachment_days;
pub mod attendance;
pub mod audits;
pub mod catalogue;
pub mod checks;
pub mod coverage;
pub mod cpd;
pub mod delivery_reports;
pub mod exercises;
pub mod health;
pub mod home;
pub mod import;
pub mod login;
pub mod matrix;
pub mod outcomes;
pub mod partners;
pub mod people;
pub mod queue;
pub mod register;
pub mod reviews;
pub mod sessions;
pub mod training;
pub mod training_import;

use crate::error::AppError;
use axum::response::{IntoResponse, Response};

pub async fn not_found() -> Response {
    AppError::NotFound.into_response()
}

pub async fn method_not_allowed() -> Response {
    let mut r = AppError::BadRequest(
        "This page cannot be used that way. Go back and use the page's own links and buttons."
            .into(),
    )
    .into_response();
    *r.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    r
}

pub fn panic_page(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal("a request handler panicked".into()).into_response()
}
