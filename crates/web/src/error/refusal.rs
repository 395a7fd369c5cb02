//! Answers given outside any handler: the router's fallbacks, the overload protection, the
//! time limits, and the layer that turns axum's plain-text refusals into pages in words.

use super::nul::query_nul_refusal;
use super::{api_said, is_api, ApiError, AppError};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// An answer given outside any handler, where no handler chose between a page and JSON: the
/// API's JSON under `/api/` ([`is_api`]), a page in words elsewhere.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// No route has this path.
    NotFound,
    /// A route has this path but not this method.
    MethodNotAllowed,
    /// Every place for a request is taken (`load.rs`).
    Busy,
    /// Stopped at the request's time limit (`routes::time_limit`).
    TimedOut,
}

impl Refusal {
    /// The answer to a request for `path`.
    pub fn answer(self, path: &str) -> Response {
        self.answer_to(is_api(path))
    }

    /// The answer to the API (`api`, [`is_api`]) or to a browser.
    pub fn answer_to(self, api: bool) -> Response {
        if api {
            match self {
                Refusal::NotFound => api_said(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "There is no such address in the API. Its calls are listed at /api/v1/openapi.json.",
                ),
                Refusal::MethodNotAllowed => api_said(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method_not_allowed",
                    "This address does not take that method. Its calls are listed at /api/v1/openapi.json.",
                ),
                Refusal::Busy => ApiError::Busy.into_response(),
                Refusal::TimedOut => ApiError::TimedOut.into_response(),
            }
        } else {
            match self {
                Refusal::NotFound => AppError::NotFound.into_response(),
                Refusal::MethodNotAllowed => {
                    let mut r = AppError::BadRequest(
                        "This page cannot be used that way. Go back and use the page's own links and buttons."
                            .into(),
                    )
                    .into_response();
                    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
                    r
                }
                Refusal::Busy => AppError::Busy.into_response(),
                Refusal::TimedOut => AppError::TimedOut.into_response(),
            }
        }
    }
}

/// The router's fallback: no route has this path.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    Refusal::NotFound.answer(uri.path())
}

/// The router's fallback for a path whose route does not take the method.
pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    Refusal::MethodNotAllowed.answer(uri.path())
}

/// Things no handler should have to think of, held for every route here:
///
/// - A NUL character in the path (`%00`) is "not found", on the API too: no record's key holds
///   one, and PostgreSQL cannot compare text with it (it would be a 500).
/// - A NUL character in the query (a search, a filter, a cursor) is refused with a 400 naming
///   the parameter ([`nul_refusal`](super::nul_refusal)), in the API's JSON or a page: nothing a person
///   types, and PostgreSQL cannot compare text with it either (a 500 on eight API calls).
/// - axum's own refusals of a request a handler's extractors cannot read (a form in another
///   encoding than the handler reads, a path id that is not a number), which axum answers in
///   plain text, become pages in words: a path that cannot be read is "page not found", as
///   [`crate::form::path_id`] has it; a body that cannot be read, "there is a problem". (The
///   API's extractors answer JSON themselves; assets and metrics answer plain text on purpose.)
pub async fn pages_not_plain_text(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    if path.contains("%00") {
        return Refusal::NotFound.answer(path);
    }
    if let Some(refusal) = request
        .uri()
        .query()
        .and_then(|q| query_nul_refusal(q, is_api(path)))
    {
        return refusal;
    }
    // Decided before the request moves on: no copy of the path on every request.
    let plain_on_purpose = is_api(path) || path.starts_with("/assets/") || path == "/metrics";
    let r = next.run(request).await;
    if plain_on_purpose || !r.status().is_client_error() {
        return r;
    }
    let plain = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    if !plain {
        return r;
    }
    let status = r.status();
    // axum's refusal is a line of text: read at most a little of it.
    let text = axum::body::to_bytes(r.into_body(), 4096)
        .await
        .unwrap_or_default();
    if text.starts_with(b"Invalid URL") {
        return AppError::NotFound.into_response();
    }
    let mut page = AppError::BadRequest(
        "The form could not be read, so nothing was saved. Go back, reload the page and send it again."
            .into(),
    )
    .into_response();
    *page.status_mut() = status;
    page
}
