//! Reading what a JSON API call sends: its JSON body, path and query string, and the window of
//! a list call. What cannot be read answers the API's JSON 400, never axum's `text/plain`.

use super::ApiError;

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
