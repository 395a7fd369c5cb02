//! One error type for pages and one for the API. Pages render a GOV.UK-style error page; the
//! API answers JSON. A 500 logs an id and the error, never the request's personal data.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use mashboard_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

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

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    // Every error page names the request, so that what a person quotes finds its log lines.
    let body = match crate::metrics::current_request_id() {
        Some(id) if !body.contains(&id) => {
            format!("{body} If you ask for help with this, quote reference {id}.")
        }
        _ => body.to_string(),
    };
    let html = crate::view::ErrorPage::new(title, &body).render_html();
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(html),
    )
        .into_response()
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::SignIn { next } => {
                let target = if next == "/" || next.is_empty() {
                    "/login".to_string()
                } else {
                    format!(
                        "/login?next={}",
                        serde_urlencoded::to_string([("", &next)])
                            .unwrap_or_default()
                            .trim_start_matches('=')
                    )
                };
                Redirect::to(&target).into_response()
            }
            AppError::Forbidden => page(
                StatusCode::FORBIDDEN,
                "You do not have access to this page",
                "Your account does not have a role that allows this. If you need it, ask an administrator.",
            ),
            AppError::NotFound => page(
                StatusCode::NOT_FOUND,
                "Page not found",
                "If you typed the web address, check it is correct. If you followed a link, the record may have been removed.",
            ),
            AppError::BadRequest(m) => page(StatusCode::BAD_REQUEST, "There is a problem", &m),
            AppError::FormExpired => page(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your security, forms stop working when you sign out or after a while. Go back, reload the page and try again. Nothing was saved.",
            ),
            AppError::Busy => with_retry_after(page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is busy",
                "The service is busy. Your request was not carried out; nothing was saved. Try again in a few seconds.",
            )),
            AppError::Stalled => page(
                StatusCode::REQUEST_TIMEOUT,
                "Your form did not arrive",
                "The connection stopped sending your form before all of it was received, so nothing was saved. Check your connection, then go back and send it again.",
            ),
            AppError::TimedOut => page(
                StatusCode::REQUEST_TIMEOUT,
                "This took too long",
                "The service stopped working on your request because it took too long. Anything it had not finished was not saved. Check what was saved before you try again.",
            ),
            AppError::Internal(detail) => {
                let id = log_internal(&detail);
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sorry, there is a problem with the service",
                    &format!("Nothing was saved. Try again later. If it keeps happening, tell an administrator and quote reference {id}."),
                )
            }
        }
    }
}

/// Errors from the JSON API: `{"error": code, "message": words}`, with one mapping of store
/// errors to status codes for every API handler:
///
/// | what went wrong                                        | status | `error`       |
/// |--------------------------------------------------------|--------|---------------|
/// | no token, or a bad one                                 | 401    | `unauthorized`|
/// | the token's roles do not allow the call                | 403    | `forbidden`   |
/// | no such record, or one the caller may not see          | 404    | `not_found`   |
/// | the request cannot be read (JSON, a field's format)    | 400    | `bad_request` |
/// | read, but the rules refuse it (`StoreError::Invalid`)  | 422    | `refused`     |
/// | it clashes with the record's state (`StoreError::Conflict`) | 409 | `conflict` |
/// | anything else: logged under a reference, nothing saved | 500    | `internal`    |
/// | the server is busy: refused before anything ran        | 503    | `busy`        |
/// | it took too long: stopped at the time limit            | 408    | `timed_out`   |
/// | no such address, or not with this method               | 404, 405 | `not_found`, `method_not_allowed` |
///
/// `Said` carries a capability's own status, code and words (and extra fields such as
/// `fields` for per-field problems) through the same type.
#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    Forbidden,
    NotFound,
    BadRequest(String),
    /// The request was read, but the rules refuse it.
    Refused(String),
    /// The request is valid but clashes with the record's state (a second signature).
    Conflict(String),
    Said {
        status: StatusCode,
        code: &'static str,
        message: String,
        extra: serde_json::Map<String, serde_json::Value>,
    },
    Internal(String),
    /// Every place for a request is taken (see `load.rs`); answered with `Retry-After`.
    Busy,
    /// The server stopped working on the request at its time limit (`routes::time_limit`).
    TimedOut,
}

impl ApiError {
    /// Our own status, code and words.
    pub fn said(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::Said {
            status,
            code,
            message: message.into(),
            extra: serde_json::Map::new(),
        }
    }

    /// Problems with named fields: 400 with every problem at once, by field.
    pub fn fields<'a>(errors: impl IntoIterator<Item = (&'a str, &'a str)>) -> ApiError {
        let errors: Vec<(&str, &str)> = errors.into_iter().collect();
        let message = errors
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; ");
        let fields: Vec<_> = errors
            .iter()
            .map(|(f, m)| serde_json::json!({"field": f, "message": m}))
            .collect();
        let mut extra = serde_json::Map::new();
        extra.insert("fields".into(), serde_json::Value::Array(fields));
        ApiError::Said {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message,
            extra,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => ApiError::NotFound,
            StoreError::Invalid(m) => ApiError::Refused(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut extra = serde_json::Map::new();
        let (status, code, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Send a valid API token as 'Authorization: Bearer <token>'.".to_string(),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "This token's account does not have a role that allows this.".to_string(),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "No such record.".to_string(),
            ),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Refused(m) => (StatusCode::UNPROCESSABLE_ENTITY, "refused", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::Said {
                status,
                code,
                message,
                extra: more,
            } => {
                extra = more;
                (status, code, message)
            }
            ApiError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!("The service is busy. The request was not carried out; nothing was saved. Try again in {} seconds.", crate::load::RETRY_AFTER_SECONDS),
            ),
            ApiError::TimedOut => (
                StatusCode::REQUEST_TIMEOUT,
                "timed_out",
                "The request took too long and was stopped; what was not finished was not saved. Check what was saved before you try again.".to_string(),
            ),
            ApiError::Internal(detail) => {
                let id = log_internal(&detail);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("Internal error; reference {id}."),
                )
            }
        };
        let mut body = serde_json::Map::new();
        body.insert("error".into(), code.into());
        body.insert("message".into(), message.into());
        body.extend(extra);
        let mut r = (status, axum::Json(serde_json::Value::Object(body))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r = with_retry_after(r);
        }
        r
    }
}

/// A JSON API answer of our own: `{"error": code, "message": message}` with `status`.
pub(crate) fn api_said(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> Response {
    ApiError::said(status, code, message).into_response()
}

/// A store refusal in the JSON API, by the one mapping (see [`ApiError`]).
pub(crate) fn api_refused(e: StoreError) -> Response {
    ApiError::from(e).into_response()
}

/// Input with problems in the JSON API: 400 with every problem, by field, at once.
pub(crate) fn api_invalid<'a>(errors: impl IntoIterator<Item = (&'a str, &'a str)>) -> Response {
    ApiError::fields(errors).into_response()
}

/// A JSON body, or a 400 that says why it could not be read (the one reader of JSON bodies: every API handler takes
/// `Result<Json<T>, JsonRejection>` and hands it here).
pub(crate) fn json_body<T>(
    r: Result<axum::Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
    r.map(|axum::Json(v)| v).map_err(|e| {
        ApiError::BadRequest(format!(
            "The request body is not valid JSON for this call: {}",
            e.body_text()
        ))
    })
}

/// The path parameters of a JSON API call: axum's `Path`, but a parameter that cannot be read
/// (`/api/v1/sessions/abc` where a number is wanted) answers the API's JSON 400, not axum's
/// `text/plain`. Every API handler takes its path through this (`use crate::error::Path`).
pub struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(ApiError::BadRequest(format!(
                "The address is not one this call can read: {}",
                e.body_text()
            ))),
        }
    }
}

/// The query string of a JSON API call: axum's `Query`, but one that cannot be read
/// (`?limit=many`) answers the API's JSON 400, not axum's `text/plain`.
pub struct Query<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(ApiError::BadRequest(format!(
                "The query string is not one this call can read: {}",
                e.body_text()
            ))),
        }
    }
}

/// The most rows a list call returns at once, and the default.
pub const MAX_LIMIT: i64 = 500;
pub const DEFAULT_LIMIT: i64 = 100;
/// The largest `offset` a list call accepts (documented on each list call).
pub const MAX_OFFSET: i64 = 1_000_000_000;

/// `limit` and `offset` of a list call, as documented: `limit` 1 to 500 (default 100), `offset`
/// 0 to 1,000,000,000 (default 0). Anything else is a 400 naming the field.
pub(crate) fn page_window(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let offset = offset.unwrap_or(0);
    let mut problems = Vec::new();
    if !(1..=MAX_LIMIT).contains(&limit) {
        problems.push(("limit", "must be a whole number from 1 to 500"));
    }
    if !(0..=MAX_OFFSET).contains(&offset) {
        problems.push(("offset", "must be a whole number from 0 to 1000000000"));
    }
    if problems.is_empty() {
        Ok((limit, offset))
    } else {
        Err(ApiError::fields(problems))
    }
}

/// Whether a request is the API's, answered in JSON ([`ApiError`]), rather than a page's
/// ([`AppError`]).
pub fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

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
///   the parameter ([`nul_refusal`]), in the API's JSON or a page: nothing a person
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

/// The refusal of a query whose parameter holds a NUL character, naming the parameter; `None`
/// when none does (only a query holding `%00` is decoded to look).
fn query_nul_refusal(query: &str, api: bool) -> Option<Response> {
    if !query.contains("%00") {
        return None;
    }
    let (name, _) = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))?;
    Some(nul_refusal(&name, NulPlace::QueryParameter, api))
}

/// Where a NUL character (U+0000) was found, for [`nul_refusal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NulPlace {
    /// A field of a URL-encoded form (`csrf::protect`).
    FormField,
    /// A parameter of the query string ([`pages_not_plain_text`]).
    QueryParameter,
    /// A text or key in an API call's JSON body, named by its path (`rows[2].note`;
    /// `csrf::api_body`).
    JsonField,
}

/// The one answer to a NUL character (U+0000) in what a request sends: nothing a person types,
/// and a character PostgreSQL cannot keep or compare in text (SQLite would), so it is refused
/// before any handler runs, the same on both databases, with a 400 naming where it was: the
/// API's JSON `fields` (`api`), or a page in words. NULs in `name` itself are dropped; a name
/// left empty is said as "a" field or parameter ("body" for a JSON body that is one text).
pub fn nul_refusal(name: &str, place: NulPlace, api: bool) -> Response {
    let name = name.replace('\0', "");
    if api {
        let name = match (name.is_empty(), place) {
            (false, _) => name,
            (true, NulPlace::JsonField) => "body".to_string(),
            (true, _) => "a".to_string(),
        };
        return ApiError::fields([(name.as_str(), "must not contain a null character (U+0000)")])
            .into_response();
    }
    let words = name.replace('_', " ");
    let message = match place {
        NulPlace::QueryParameter => format!(
            "The web address's \u{201c}{}\u{201d} holds a null character (U+0000), which cannot be used. Go back and use the page's own links, search boxes and filters.",
            if words.is_empty() { "a" } else { &words }
        ),
        NulPlace::FormField | NulPlace::JsonField => {
            let field = if words.is_empty() {
                "a".to_string()
            } else {
                format!("the \u{201c}{words}\u{201d}")
            };
            format!(
                "The form was not saved: {field} field contains a null character (U+0000), which is not allowed. Remove it, for example by typing the text again instead of pasting it, then send the form again."
            )
        }
    };
    AppError::BadRequest(message).into_response()
}

pub fn panic_page(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::Internal("a request handler panicked".into()).into_response()
}

/// The body of every JSON API refusal.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    pub error: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(r: Response) -> (StatusCode, String) {
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    /// Each place keeps its own words on a page, and the API the one `fields` message; a name
    /// that is only NULs is still said ("a" field or parameter, the "body" of a JSON body).
    #[tokio::test]
    async fn a_nul_is_refused_in_the_words_of_where_it_was() {
        let page = |name, place| answer(nul_refusal(name, place, false));
        let (status, html) = page("first_name", NulPlace::FormField).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            html.contains("The form was not saved: the \u{201c}first name\u{201d} field contains a null character (U+0000)"),
            "{html}"
        );
        let (_, html) = page("\0", NulPlace::FormField).await;
        assert!(
            html.contains("The form was not saved: a field contains"),
            "{html}"
        );
        let (status, html) = page("dep\0artment", NulPlace::QueryParameter).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            html.contains(
                "\u{201c}department\u{201d} holds a null character (U+0000), which cannot be used."
            ),
            "{html}"
        );

        for (name, place, field) in [
            ("rows[2].note", NulPlace::JsonField, "rows[2].note"),
            ("", NulPlace::JsonField, "body"),
            ("\0", NulPlace::QueryParameter, "a"),
            ("search", NulPlace::QueryParameter, "search"),
        ] {
            let (status, body) = answer(nul_refusal(name, place, true)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["error"], "bad_request", "{v}");
            assert_eq!(v["fields"][0]["field"], field, "{v}");
            assert_eq!(
                v["fields"][0]["message"], "must not contain a null character (U+0000)",
                "{v}"
            );
        }
    }
}
