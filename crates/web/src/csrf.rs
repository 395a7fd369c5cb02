//! CSRF protection for every state-changing browser request. The JSON API is exempt: it takes
//! bearer tokens only, never cookies.
//!
//! The middleware reads the form body (URL-encoded or multipart), compares its `csrf_token`
//! field with the session's in constant time, and hands the untouched body on.

use crate::auth::SESSION_CSRF;
use crate::error::AppError;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// The largest body we accept (an HR export or a spreadsheet upload).
pub const MAX_BODY: usize = 20 * 1024 * 1024;

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn token_in(content_type: &str, body: &Bytes) -> Option<String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        return pairs
            .into_iter()
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v);
    }
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(content_type).ok()?;
        let data = body.clone();
        let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(data) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.name() == Some("csrf_token") {
                return field.text().await.ok();
            }
        }
    }
    None
}

pub async fn protect(session: Session, request: Request, next: Next) -> Response {
    // Browsers send cross-site forms only as GET or POST; any other method needs a CORS
    // preflight we never grant, and no route accepts one (they end in 405).
    if *request.method() != Method::POST || request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return AppError::BadRequest(format!(
                "The upload is too large. Files must be {} MB or smaller.",
                MAX_BODY / 1024 / 1024
            ))
            .into_response()
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let expected: Option<String> = session.get(SESSION_CSRF).await.ok().flatten();
    let supplied = token_in(&content_type, &bytes).await;
    match (expected, supplied) {
        (Some(e), Some(s)) if constant_time_eq(e.as_bytes(), s.as_bytes()) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => AppError::FormExpired.into_response(),
    }
}
