//! One error type for pages and one for the API. Pages render a GOV.UK-style error page; the
//! API answers JSON. A 500 logs an id and the error, never the request's personal data.
//!
//! `mod.rs` holds the page's error type, [`AppError`], and what both kinds of answer share;
//! `page.rs` the error pages, `api.rs` the API's [`ApiError`] and its JSON body, `api_input.rs`
//! the readers of what an API call sends (its JSON body, path, query and list window),
//! `refusal.rs` the answers given outside any handler ([`Refusal`], the router's fallbacks and
//! [`pages_not_plain_text`]), and `nul.rs` the one answer to a NUL character ([`nul_refusal`]).

use axum::http::header;
use axum::response::Response;
use mashboard_store::StoreError;

mod api;
mod api_input;
mod nul;
mod page;
mod refusal;

pub(crate) use api::{api_invalid, api_refused, api_said};
pub use api::{ApiError, Problem};
pub(crate) use api_input::{json_body, page_window};
pub use api_input::{Path, Query, DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET};
pub use nul::{nul_refusal, NulPlace};
pub use page::panic_page;
pub use refusal::{method_not_allowed, not_found, pages_not_plain_text, Refusal};

#[derive(Debug)]
pub enum AppError {
    /// Not signed in (or the session ended): go to the sign-in page, then come back.
    SignIn {
        next: String,
    },
    Forbidden,
    NotFound,
    /// A request we cannot act on, with words for the user.
    BadRequest(String),
    /// A form whose CSRF token is missing or stale.
    FormExpired,
    /// Every place for a request is taken (see `load.rs`): refused before anything ran.
    Busy,
    /// The request's body stopped arriving (see `routes::time_limit`): nothing was read, so
    /// nothing was saved.
    Stalled,
    /// The server stopped working on the request at its time limit (see `routes::time_limit`).
    TimedOut,
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => AppError::NotFound,
            StoreError::Invalid(m) | StoreError::Conflict(m) => AppError::BadRequest(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// Adds `Retry-After` (seconds) to a refusal of a busy server.
fn with_retry_after(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(crate::load::RETRY_AFTER_SECONDS),
    );
    r
}

/// Logs an internal error under an id the user can quote (the request's id, `x-request-id`,
/// when there is a request), and returns the id.
pub fn log_internal(detail: &str) -> String {
    let id = crate::metrics::current_request_id()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..16].to_string());
    tracing::error!(error_id = %id, detail = %detail, "internal error");
    id
}

/// Whether a request is the API's, answered in JSON ([`ApiError`]), rather than a page's
/// ([`AppError`]).
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}
