//! CSRF protection for every state-changing browser request. The JSON API is exempt: it takes
//! bearer tokens only, never cookies.
//!
//! A URL-encoded form is read whole (up to [`MAX_BODY`]) and its `csrf_token` compared with the
//! session's in constant time; a form whose field holds a NUL character is then refused with a
//! page naming the field ([`crate::error::nul_refusal`]), and an API call's JSON body likewise
//! with the API's 400 ([`api_body`]). A multipart form is never buffered: the middleware reads
//! the stream only until its `csrf_token` field (our forms put it first; it must arrive within
//! [`MAX_BEFORE_TOKEN`] bytes), checks it, and hands on a body that replays the bytes read so far
//! followed by the rest of the stream, untouched. So a recorded video of several gigabytes passes
//! through without being held in memory.
//!
//! The body limit is per route: [`MAX_BODY`] everywhere, except the routes the table marks as
//! large uploads (see `routes::Table::post_large`), whose limit comes from the configuration. A
//! body whose declared length is over its route's limit is refused before it is read, with a
//! GOV.UK page naming the limit.

use crate::auth::SESSION_CSRF;
use crate::error::{AppError, NulPlace};
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tower_sessions::Session;

/// The largest body we accept on an ordinary route (an HR export or a spreadsheet upload).
pub const MAX_BODY: usize = 20 * 1024 * 1024;

/// How far into a multipart body the `csrf_token` field must be.
pub const MAX_BEFORE_TOKEN: usize = 64 * 1024;

/// The per-route body limits the middleware enforces.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Route shapes (`/training/modules/{id}/video`) that take large uploads.
    pub large_routes: Arc<HashSet<&'static str>>,
    /// The largest file those routes take, in bytes (`WebConfig::max_video_bytes`); their body
    /// may be [`LARGE_ROUTE_OVERHEAD`] larger for the form's other fields.
    pub large_max: u64,
    /// How long the server works on an ordinary request (`WebConfig::request_time_limit`).
    pub request_time: std::time::Duration,
    /// How long an ordinary request's body may send nothing (`WebConfig::body_idle_limit`).
    pub body_idle: std::time::Duration,
}

impl Limits {
    /// Whether the request matched a large-upload route.
    pub fn is_large(&self, request: &Request) -> bool {
        request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|m| self.large_routes.contains(m.as_str()))
    }
}

/// How long a multipart form may take to deliver its token.
const TOKEN_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// A size in words: "20 MB", "4 GB", "1.5 GB".
pub fn size_text(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    const GB: f64 = MB * 1024.0;
    let b = bytes as f64;
    let (v, unit) = if b >= GB {
        (b / GB, "GB")
    } else {
        (b / MB, "MB")
    };
    let t = format!("{v:.1}");
    let t = t.strip_suffix(".0").unwrap_or(&t);
    format!("{t} {unit}")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn urlencoded_token(pairs: &[(String, String)]) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.clone())
}

type DataStream = axum::body::BodyDataStream;

/// Passes the body's chunks to the multipart parser and keeps a copy of each, so they can be
/// replayed whole; the parser is shown only the first [`MAX_BEFORE_TOKEN`] bytes.
struct Tee {
    inner: Arc<Mutex<Option<DataStream>>>,
    seen: Arc<Mutex<Vec<Bytes>>>,
    read: usize,
}

impl Stream for Tee {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        // The parser sees at most the first MAX_BEFORE_TOKEN bytes, then the end of the
        // stream: the token field must be whole within them, however the body was chunked.
        if this.read >= MAX_BEFORE_TOKEN {
            return Poll::Ready(None);
        }
        let Ok(mut inner) = this.inner.lock() else {
            return Poll::Ready(None);
        };
        let Some(stream) = inner.as_mut() else {
            return Poll::Ready(None);
        };
        match stream.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let shown = chunk.slice(..chunk.len().min(MAX_BEFORE_TOKEN - this.read));
                this.read += shown.len();
                if let Ok(mut seen) = this.seen.lock() {
                    seen.push(chunk);
                }
                Poll::Ready(Some(Ok(shown)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Reads a multipart body up to its `csrf_token` field. Returns the token and a body that
/// replays everything read, then the rest of the stream.
async fn multipart_token(body: Body, boundary: String) -> Option<(String, Body)> {
    let inner = Arc::new(Mutex::new(Some(body.into_data_stream())));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let tee = Tee {
        inner: inner.clone(),
        seen: seen.clone(),
        read: 0,
    };
    let token = {
        let mut multipart = multer::Multipart::new(tee, boundary);
        let mut token = None;
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.name() == Some("csrf_token") {
                token = field.text().await.ok();
                break;
            }
        }
        token?
    };
    let rest = inner.lock().ok()?.take()?;
    let seen = std::mem::take(&mut *seen.lock().ok()?);
    let replay = futures_util::stream::iter(seen.into_iter().map(Ok::<Bytes, axum::Error>));
    Some((token, Body::from_stream(replay.chain(rest))))
}

/// Ends a body with an error once it carries more than `limit` bytes (for a body sent without
/// a declared length).
fn limited(body: Body, limit: u64) -> Body {
    let mut total = 0u64;
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(axum::Error::new(std::io::Error::other(format!(
                "the body is over its limit of {limit} bytes"
            ))));
        }
        Ok(chunk)
    });
    Body::from_stream(stream)
}

/// The answer to a body over its route's limit: 413 with a GOV.UK page naming the limit.
pub fn too_large(limit: u64, large_route: bool) -> Response {
    let message = if large_route {
        format!(
            "The file is too large: recordings must be {} or smaller. For a longer recording, put it on the force's video host and give the link instead. Nothing was saved.",
            size_text(limit)
        )
    } else {
        format!(
            "The upload is too large. Files must be {} or smaller.",
            size_text(limit)
        )
    };
    let mut r = AppError::BadRequest(message).into_response();
    *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Reads what is left of a refused body in the background for a while, so the browser sees the
/// refusal instead of a reset connection (a "lingering close").
fn drain(body: Body) {
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while let Some(Ok(_)) = stream.next().await {}
        })
        .await;
    });
}

pub async fn protect(
    State(limits): State<Limits>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    // Browsers send cross-site forms only as GET or POST; any other method needs a CORS
    // preflight we never grant, and no route accepts one (they end in 405).
    if crate::error::is_api(request.uri().path()) {
        return api_body(request, next).await;
    }
    if *request.method() != Method::POST {
        return next.run(request).await;
    }
    let large = limits.is_large(&request);
    let limit = if large {
        limits.large_max.saturating_add(LARGE_ROUTE_OVERHEAD)
    } else {
        MAX_BODY as u64
    };
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Over the limit by its own account: refused before a byte is read. A large route's limit
    // covers the file plus the form's other fields.
    if declared.is_some_and(|n| n > limit) {
        drain(body);
        return too_large(if large { limits.large_max } else { limit }, large);
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let expected: Option<String> = session.get(SESSION_CSRF).await.ok().flatten();
    if content_type.starts_with("multipart/form-data") {
        let Ok(boundary) = multer::parse_boundary(&content_type) else {
            return AppError::FormExpired.into_response();
        };
        // A client trickling its first bytes does not hold the request open for ever (large
        // routes have no overall timeout).
        let read = tokio::time::timeout(TOKEN_WAIT, multipart_token(body, boundary)).await;
        return match (expected, read.ok().flatten()) {
            (Some(e), Some((s, body))) if constant_time_eq(e.as_bytes(), s.as_bytes()) => {
                next.run(Request::from_parts(parts, limited(body, limit)))
                    .await
            }
            _ => AppError::FormExpired.into_response(),
        };
    }
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) if over_limit(&e) => return too_large(MAX_BODY as u64, false),
        // It stopped arriving (`routes::time_limit` bounds the wait) or the connection broke.
        Err(_) => return AppError::Stalled.into_response(),
    };
    let pairs: Vec<(String, String)> =
        if content_type.starts_with("application/x-www-form-urlencoded") {
            serde_urlencoded::from_bytes(&bytes).unwrap_or_default()
        } else {
            Vec::new()
        };
    match (expected, urlencoded_token(&pairs)) {
        (Some(e), Some(s)) if constant_time_eq(e.as_bytes(), s.as_bytes()) => {
            // A NUL character (U+0000) in a field: refused before any handler saves part of
            // the form, with a page naming the field.
            if let Some((name, _)) = pairs
                .iter()
                .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            {
                return crate::error::nul_refusal(name, NulPlace::FormField, false);
            }
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        _ => AppError::FormExpired.into_response(),
    }
}

/// The API needs no CSRF token (it takes bearer tokens only), but a JSON body with a NUL
/// character (U+0000, `\u0000`) in a text is refused here with the API's 400 naming the field,
/// as a form's is ([`crate::error::nul_refusal`]): PostgreSQL cannot keep it in text (a 500)
/// and SQLite would. Only a body holding the six characters `\u0000` is looked at further.
async fn api_body(request: Request, next: Next) -> Response {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !json || matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) if over_limit(&e) => {
            return crate::error::ApiError::BadRequest(format!(
                "The request body is larger than {} MB.",
                MAX_BODY / (1024 * 1024)
            ))
            .into_response()
        }
        Err(_) => return crate::error::Refusal::TimedOut.answer_to(true),
    };
    if let Some(field) = json_nul_field(&bytes) {
        return crate::error::nul_refusal(&field, NulPlace::JsonField, true);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Where a JSON body holds a NUL character in a text or a key: the field's path (`name`,
/// `rows[2].note`; empty for a body that is one text), or `None` (also when the body is not
/// JSON: the handler says so).
fn json_nul_field(body: &[u8]) -> Option<String> {
    use serde_json::Value;
    fn walk(v: &Value, at: &str) -> Option<String> {
        match v {
            Value::String(s) if s.contains('\0') => Some(at.to_string()),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| walk(item, &format!("{at}[{i}]"))),
            Value::Object(fields) => fields.iter().find_map(|(k, item)| {
                let name = k.replace('\0', "");
                let path = if at.is_empty() {
                    name
                } else {
                    format!("{at}.{name}")
                };
                if k.contains('\0') {
                    Some(path)
                } else {
                    walk(item, &path)
                }
            }),
            _ => None,
        }
    }
    if !body.windows(6).any(|w| w == b"\\u0000") {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    walk(&value, "")
}

/// Whether reading a body failed because it passed its limit (not because it stopped arriving).
fn over_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// What a large route's body may carry beyond its file: the other fields and the multipart
/// framing.
pub const LARGE_ROUTE_OVERHEAD: u64 = 1024 * 1024;
