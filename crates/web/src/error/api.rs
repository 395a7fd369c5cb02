//! The JSON API's errors: [`ApiError`], the one mapping of store errors to status codes, and
//! the JSON body of every refusal.

use super::{log_internal, with_retry_after};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use mashboard_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

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

/// The body of every JSON API refusal.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    pub error: String,
    pub message: String,
}
