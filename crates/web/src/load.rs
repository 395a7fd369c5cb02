//! Overload protection: at most `max_in_flight` requests are worked on at once. A request that
//! finds them all taken waits up to `max_wait` for one to finish, then is refused at once with
//! 503 Service Unavailable and `Retry-After` (a page in plain words, or the API's JSON `busy`),
//! before any handler, session or CSRF check has run: a refused request changes nothing.
//!
//! Without the limit an overloaded server queues without bound: memory grows with the queue and
//! every request in it is answered late or not at all (the client gives up first). With it,
//! the work in hand stays bounded and the surplus is told quickly to come back.
//!
//! What is not counted (see `routes.rs`): the health checks and `/metrics` (operators must see
//! a busy server), the static assets (served from memory), and the large uploads (a recording
//! streams to disk for minutes; holding a place that long would starve everyone else). A request
//! holds its place until its handler has returned the response's head: a streamed body (an
//! export, a live exercise's event stream) is sent after the place is given back. Imports count:
//! their reading is limited again, to two at a time, by `imports::parse`, which waits for
//! nothing this limit holds, so the two cannot deadlock; a few long imports hold a few places of
//! many.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::metrics::counter::Counter;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a refused client is asked to wait before trying again (`Retry-After`).
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// The default wait for a place before a request is refused.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_millis(1000);

/// The default number of requests worked on at once: 64 per processor, at least 128. Far above
/// what the database pool serves at once (8 connections on SQLite, 10 on PostgreSQL), so that a
/// burst queues briefly instead of being refused, and far below the thousands of requests that
/// pile up when the server cannot keep up.
pub fn default_max_in_flight() -> usize {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    (64 * cpus).max(128)
}

/// The places, shared by every request of the process.
pub struct Limiter {
    places: Arc<Semaphore>,
    max: usize,
    wait: Duration,
    /// Requests refused for want of a place (`mashboard_requests_shed_total`).
    shed: Counter,
}

/// A place held: given back when dropped.
pub struct Place(#[allow(dead_code)] OwnedSemaphorePermit);

impl Limiter {
    /// `max` places (at least one); a request waits up to `wait` for one; refusals are counted
    /// in `shed`.
    pub fn new(max: usize, wait: Duration, shed: Counter) -> Limiter {
        let max = max.clamp(1, Semaphore::MAX_PERMITS);
        Limiter {
            places: Arc::new(Semaphore::new(max)),
            max,
            wait,
            shed,
        }
    }

    /// A place, at once if one is free, else the first to come free within the wait; `None`
    /// (and counted as shed) if none does.
    pub async fn admit(&self) -> Option<Place> {
        let got = match Arc::clone(&self.places).try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) if self.wait.is_zero() => None,
            Err(_) => tokio::time::timeout(self.wait, Arc::clone(&self.places).acquire_owned())
                .await
                .ok()
                .and_then(Result::ok),
        };
        if got.is_none() {
            self.shed.inc();
        }
        got.map(Place)
    }

    /// Requests being worked on now.
    pub fn in_flight(&self) -> usize {
        self.max - self.places.available_permits()
    }

    /// The most requests worked on at once.
    pub fn max_in_flight(&self) -> usize {
        self.max
    }

    /// Requests refused so far.
    pub fn shed(&self) -> u64 {
        self.shed.get()
    }
}

/// The middleware's state: the places, and the route shapes that take none.
#[derive(Clone)]
pub struct Admission {
    pub limiter: Arc<Limiter>,
    pub exempt: Arc<HashSet<&'static str>>,
}

/// Works on the request once it has a place; refuses it (503, `Retry-After`) if none comes free
/// within the wait. Runs after routing (the route shape decides the exemptions) and before
/// sessions, CSRF and the handler.
pub async fn admit(State(admission): State<Admission>, request: Request, next: Next) -> Response {
    let exempt = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|m| admission.exempt.contains(m.as_str()));
    if exempt {
        return next.run(request).await;
    }
    let Some(place) = admission.limiter.admit().await else {
        return crate::error::Refusal::Busy.answer(request.uri().path());
    };
    let response = next.run(request).await;
    drop(place);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{header, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use tokio::sync::Notify;
    use tower::ServiceExt;

    /// `/slow` waits inside its handler until released; `/healthz` answers at once.
    fn app(limiter: Arc<Limiter>, entered: Arc<Notify>, release: Arc<Notify>) -> Router {
        let slow = move || {
            let (entered, release) = (Arc::clone(&entered), Arc::clone(&release));
            async move {
                entered.notify_one();
                release.notified().await;
                "done"
            }
        };
        Router::new()
            .route("/slow", get(slow))
            .route("/fast", get(|| async { "fast" }))
            .route("/api/v1/fast", get(|| async { "fast" }))
            .route("/healthz", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                Admission {
                    limiter,
                    exempt: Arc::new(["/healthz"].into_iter().collect()),
                },
                admit,
            ))
    }

    async fn get_status(app: &Router, path: &str) -> (StatusCode, Option<String>, String) {
        let r = app
            .clone()
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let retry = r
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_string());
        let status = r.status();
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, retry, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn a_request_past_the_limit_is_refused_while_a_handler_runs_and_admitted_after() {
        let limiter = Arc::new(Limiter::new(1, Duration::ZERO, Counter::default()));
        let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let app = app(
            Arc::clone(&limiter),
            Arc::clone(&entered),
            Arc::clone(&release),
        );
        let first = tokio::spawn({
            let app = app.clone();
            async move { get_status(&app, "/slow").await }
        });
        entered.notified().await;
        assert_eq!(
            limiter.in_flight(),
            1,
            "the running handler holds the place"
        );

        let (status, retry, body) = get_status(&app, "/fast").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("5"));
        assert!(body.contains("The service is busy"), "{body}");
        let (status, retry, body) = get_status(&app, "/api/v1/fast").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("5"));
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], "busy", "{body}");
        assert_eq!(get_status(&app, "/healthz").await.0, StatusCode::OK);
        assert_eq!(limiter.shed(), 2);

        release.notify_one();
        assert_eq!(first.await.unwrap().2, "done");
        assert_eq!(limiter.in_flight(), 0, "the place is given back");
        assert_eq!(get_status(&app, "/fast").await.0, StatusCode::OK);
        assert_eq!(limiter.shed(), 2);
    }

    #[tokio::test]
    async fn a_request_waits_for_a_place_that_comes_free_within_the_wait() {
        // A wait far longer than the test: the request is admitted when the place comes free,
        // whenever that is.
        let limiter = Arc::new(Limiter::new(
            1,
            Duration::from_secs(3600),
            Counter::default(),
        ));
        let held = limiter.admit().await.unwrap();
        let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let app = app(Arc::clone(&limiter), entered, release);
        let waiting = tokio::spawn({
            let app = app.clone();
            async move { get_status(&app, "/fast").await }
        });
        tokio::task::yield_now().await;
        drop(held);
        assert_eq!(waiting.await.unwrap().0, StatusCode::OK);
        assert_eq!(limiter.shed(), 0);
    }
}
