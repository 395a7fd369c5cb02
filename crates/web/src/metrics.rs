//! `/metrics` in Prometheus' text format, and the request id every log line and error page
//! carries.
//!
//! Requests are counted by method, route shape (the matched axum path, `/people/{staff_number}`,
//! never the address asked for, which may hold a staff number) and status; nothing that names a
//! person is ever a label. The database's figures (pool, queue, outbox) are read when Prometheus
//! scrapes. `/metrics` is served only where it was asked for: on its own address
//! (`serve --metrics-addr`, see [`crate::serve_metrics`]) or on the main address to a caller
//! that sends the configured token (`--metrics-token`); anywhere else it is not found.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ImportLabels {
    route: String,
    status: u16,
}

/// The process's metrics: one registry, kept in `AppState`.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    imports: Family<ImportLabels, Counter>,
    pool_size: Gauge,
    pool_idle: Gauge,
    queue_open: Gauge,
    outbox_pending: Gauge,
    outbox_failing: Gauge,
    uploads_waiting: Gauge,
    audit_commits: Gauge,
    requests_shed: Counter,
    requests_in_flight: Gauge,
    requests_max_in_flight: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mashboard");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route shape and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
        });
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method and route shape",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        let imports = Family::<ImportLabels, Counter>::default();
        registry.register(
            "imports",
            "Imports committed from the web pages (POST …/commit), by route shape and status",
            imports.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let pool_size = gauge(
            &mut registry,
            "db_pool_connections",
            "Database connections open in the pool",
        );
        let pool_idle = gauge(
            &mut registry,
            "db_pool_idle_connections",
            "Database connections open and idle",
        );
        let queue_open = gauge(
            &mut registry,
            "missing_referrals_open",
            "Open items on the missing-referral queue",
        );
        let outbox_pending = gauge(
            &mut registry,
            "outbox_pending",
            "Session e-mails waiting in the outbox",
        );
        let outbox_failing = gauge(
            &mut registry,
            "outbox_failing",
            "Session e-mails in the outbox that failed at least once and are not sent",
        );
        let uploads_waiting = gauge(
            &mut registry,
            "uploads_waiting",
            "Uploaded files held in memory until their import is confirmed",
        );
        let audit_commits = gauge(
            &mut registry,
            "audit_commits",
            "Commits of the audit trail's shared writer since the process started; fewer than \
             the views recorded when requests share a commit",
        );
        let requests_shed = Counter::default();
        registry.register(
            "requests_shed",
            "Requests refused with 503 because every place for a request was taken (nothing ran)",
            requests_shed.clone(),
        );
        let requests_in_flight = gauge(
            &mut registry,
            "requests_in_flight",
            "Requests being worked on now (health checks, /metrics, assets and large uploads \
             are not counted)",
        );
        let requests_max_in_flight = gauge(
            &mut registry,
            "requests_max_in_flight",
            "The most requests worked on at once (--max-in-flight); past it requests wait, then \
             are refused",
        );
        Metrics {
            requests_shed,
            requests_in_flight,
            requests_max_in_flight,
            audit_commits,
            registry,
            requests,
            latency,
            imports,
            pool_size,
            pool_idle,
            queue_open,
            outbox_pending,
            outbox_failing,
            uploads_waiting,
        }
    }
}

impl Metrics {
    /// The counter of requests refused for want of a place, for the [`crate::load::Limiter`].
    pub(crate) fn shed_counter(&self) -> Counter {
        self.requests_shed.clone()
    }

    fn observe(&self, method: &str, route: &str, status: StatusCode, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.as_u16(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
        if method == "POST" && route.ends_with("/commit") {
            self.imports
                .get_or_create(&ImportLabels {
                    route: route.to_string(),
                    status: status.as_u16(),
                })
                .inc();
        }
    }

    /// Reads the database's figures and writes everything in Prometheus' text format.
    async fn render(&self, state: &AppState) -> String {
        let pool = state.store.pool();
        self.pool_size.set(i64::from(pool.size()));
        self.pool_idle.set(pool.num_idle() as i64);
        // A figure the database cannot give now keeps its last value; the scrape still works.
        if let Ok((open, _)) = mashboard_store::queue::open_items(&state.store, 0, 0).await {
            self.queue_open.set(open);
        }
        if let Ok((pending, _, failing)) =
            mashboard_store::delivery::outbox::counts(&state.store).await
        {
            self.outbox_pending.set(pending);
            self.outbox_failing.set(failing);
        }
        self.uploads_waiting.set(state.uploads.len() as i64);
        self.requests_in_flight
            .set(i64::try_from(state.load.in_flight()).unwrap_or(i64::MAX));
        self.requests_max_in_flight
            .set(i64::try_from(state.load.max_in_flight()).unwrap_or(i64::MAX));
        self.audit_commits
            .set(i64::try_from(state.store.audit_commits()).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The route shape of a request: the matched axum path, or `unmatched` (never the raw address).
pub fn route_shape_of<B>(req: &axum::http::Request<B>) -> String {
    req.extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into())
}

/// Counts every request by route shape and status, and times it.
pub(crate) async fn track(
    State(metrics): State<Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().as_str().to_string();
    let route = route_shape_of(&req);
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(
        &method,
        &route,
        response.status(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn exposition(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// `GET /metrics` on the main address: only with `--metrics-token`, and only to a caller that
/// sends it as `Authorization: Bearer <token>`; not found otherwise.
pub async fn scrape_with_token(State(state): State<AppState>, req: Request) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return crate::error::AppError::NotFound.into_response();
    };
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same(sent.as_bytes(), token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Send the metrics token as 'Authorization: Bearer <token>'.\n",
        )
            .into_response();
    }
    exposition(state.metrics.render(&state).await)
}

/// `GET /metrics` on the metrics address (no token: that address is for the monitoring network).
pub async fn scrape(State(state): State<AppState>) -> Response {
    exposition(state.metrics.render(&state).await)
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

tokio::task_local! {
    /// The id of the request being answered, for error pages and API errors.
    static REQUEST_ID: String;
}

/// The id of the request being answered, if there is one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// A request id a client or proxy sent that we keep: short, letters, digits and `-`/`_` only
/// (it goes into logs and onto pages).
fn acceptable(id: &HeaderValue) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
}

/// Drops an `x-request-id` we would not keep, so that [`MakeId`] makes a fresh one.
pub(crate) async fn vet_request_id(mut req: Request, next: Next) -> Response {
    if let Some(id) = req.headers().get("x-request-id") {
        if !acceptable(id) {
            req.headers_mut().remove("x-request-id");
        }
    }
    next.run(req).await
}

/// Makes request ids: 16 hexadecimal digits, short enough to read out on the phone.
#[derive(Clone, Default)]
pub(crate) struct MakeId;

impl tower_http::request_id::MakeRequestId for MakeId {
    fn make_request_id<B>(
        &mut self,
        _request: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
        HeaderValue::from_str(&id)
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// The request's id, as set by the request-id layer.
pub fn request_id_of<B>(req: &axum::http::Request<B>) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string()
}

/// Runs the rest of the request with its id at hand ([`current_request_id`]).
pub(crate) async fn with_request_id(req: Request, next: Next) -> Response {
    let id = request_id_of(&req);
    REQUEST_ID.scope(id, next.run(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_counted_under_its_route_shape_and_status() {
        let m = Metrics::default();
        m.observe("GET", "/people/{staff_number}", StatusCode::OK, 0.003);
        m.observe("GET", "/people/{staff_number}", StatusCode::OK, 0.004);
        m.observe(
            "POST",
            "/register/import/commit",
            StatusCode::SEE_OTHER,
            0.2,
        );
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &m.registry).unwrap();
        assert!(
            out.contains(
                r#"mashboard_http_requests_total{method="GET",route="/people/{staff_number}",status="200"} 2"#
            ),
            "{out}"
        );
        assert!(out.contains(
            r#"mashboard_http_request_duration_seconds_count{method="GET",route="/people/{staff_number}"} 2"#
        ));
        assert!(out.contains(
            r#"mashboard_imports_total{route="/register/import/commit",status="303"} 1"#
        ));
    }

    #[test]
    fn only_plain_short_request_ids_are_kept() {
        assert!(acceptable(&HeaderValue::from_static("abc-123_DEF")));
        assert!(!acceptable(&HeaderValue::from_static("")));
        assert!(!acceptable(&HeaderValue::from_static("<script>")));
        assert!(!acceptable(&HeaderValue::from_static("a b")));
        assert!(!acceptable(
            &HeaderValue::from_str(&"a".repeat(65)).unwrap()
        ));
    }
}
