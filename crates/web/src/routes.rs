//! The route table: every route with the capability that guards it. The router is built from
//! this table, and the allow/deny test walks the same table, so no route escapes the test.

use crate::{assets, csrf, error, AppState};
use axum::http::Method;
use axum::routing::{get, MethodRouter};
use axum::Router;
use mashboard_domain::access::Capability;
use std::sync::Arc;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// Who may reach a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in page, health checks, assets).
    Public,
    /// Signed-in users whose roles hold the capability (HTML, via `Page<C>`).
    Page(Capability),
    /// Bearer-token callers whose roles hold the capability (JSON, via `Api<C>`).
    Api(Capability),
}

#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: Method,
    /// The axum path, e.g. `/people/{staff_number}`.
    pub path: &'static str,
    pub access: Access,
}

/// The route table under construction; page modules add their own routes through it.
pub(crate) struct Table {
    router: Router<AppState>,
    routes: Vec<RouteInfo>,
    /// Routes that take large uploads (their body limit is `WebConfig::max_video_bytes`, not
    /// the 20 MB of every other route).
    large: Vec<&'static str>,
}

impl Table {
    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Table {
        self.routes.push(RouteInfo {
            method,
            path,
            access,
        });
        self.router = self.router.route(path, handler);
        self
    }
    pub(crate) fn get(
        self,
        path: &'static str,
        access: Access,
        h: MethodRouter<AppState>,
    ) -> Table {
        self.add(Method::GET, path, access, h)
    }
    pub(crate) fn post(
        self,
        path: &'static str,
        access: Access,
        h: MethodRouter<AppState>,
    ) -> Table {
        self.add(Method::POST, path, access, h)
    }
    /// A POST route that takes a large upload: the CSRF middleware streams its body instead of
    /// holding it, applies the configured limit instead of 20 MB, and the request has no
    /// two-minute timeout; the handler must stream and check the size itself.
    pub(crate) fn post_large(
        mut self,
        path: &'static str,
        access: Access,
        h: MethodRouter<AppState>,
    ) -> Table {
        self.large.push(path);
        self.add(
            Method::POST,
            path,
            access,
            h.layer(axum::extract::DefaultBodyLimit::disable()),
        )
    }
    pub(crate) fn put(
        self,
        path: &'static str,
        access: Access,
        h: MethodRouter<AppState>,
    ) -> Table {
        self.add(Method::PUT, path, access, h)
    }
    pub(crate) fn patch(
        self,
        path: &'static str,
        access: Access,
        h: MethodRouter<AppState>,
    ) -> Table {
        self.add(Method::PATCH, path, access, h)
    }
    pub(crate) fn delete(
        self,
        path: &'static str,
        access: Access,
        h: MethodRouter<AppState>,
    ) -> Table {
        self.add(Method::DELETE, path, access, h)
    }
}

fn table() -> Table {
    use Access::*;
    let t = Table {
        router: Router::new(),
        routes: Vec::new(),
        large: Vec::new(),
    };
    // Each capability adds its own routes (one line each, in this order).
    let t = t.get("/assets/{*name}", Public, get(assets::serve));
    let t = t.get("/api/v1/openapi.json", Public, get(crate::openapi::openapi));
    // Not found unless `--metrics-token` is set, and then only with that token.
    let t = t.get("/metrics", Public, get(crate::metrics::scrape_with_token));
    let t = crate::health::routes(t);
    let t = crate::accounts::routes(t);
    let t = crate::home::routes(t);
    let t = crate::people::routes(t);
    let t = crate::plans::routes(t);
    let t = crate::catalogue::routes(t);
    let t = crate::matrix::routes(t);
    let t = crate::cpd::routes(t);
    let t = crate::training_import::routes(t);
    let t = crate::reviews::routes(t);
    let t = crate::audits::routes(t);
    let t = crate::outcomes::routes(t);
    let t = crate::queue::routes(t);
    let t = crate::register::routes(t);
    let t = crate::sessions::routes(t);
    let t = crate::attendance::routes(t);
    let t = crate::coverage::routes(t);
    let t = crate::learning::routes(t);
    let t = crate::attachment_days::routes(t);
    let t = crate::partners::routes(t);
    let t = crate::exercises::routes(t);
    let t = crate::impact::routes(t);
    let t = crate::sections::routes(t);
    // ROUTES: further capabilities go above this line.
    t
}

/// Every route and who may reach it.
pub fn route_table() -> Vec<RouteInfo> {
    table().routes
}

/// A limit on how long the server works on a request (`WebConfig::request_time_limit`, two
/// minutes) and on how long its body may send nothing (`WebConfig::body_idle_limit`), each
/// answered with a 408 in words; a large upload (a recording of a few gigabytes on a slow link)
/// has neither, only its handler's limit on a stalled stream. So a client that stops sending
/// does not hold a place for a request (`load.rs`) for long.
async fn time_limit(
    axum::extract::State(limits): axum::extract::State<csrf::Limits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if limits.is_large(&request) {
        return next.run(request).await;
    }
    let api = crate::error::is_api(request.uri().path());
    let request = request.map(|body| {
        axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
            limits.body_idle,
            body,
        ))
    });
    match tokio::time::timeout(limits.request_time, next.run(request)).await {
        Ok(r) => r,
        Err(_) => crate::error::Refusal::TimedOut.answer_to(api),
    }
}

/// The application, with sessions, CSRF protection, security headers and panic catching.
pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(crate::sign_in_sessions::DbSessionStore {
        store: state.store.clone(),
    })
    .with_name("mashboard_session")
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(state.config.secure_cookies)
    .with_expiry(Expiry::OnInactivity(
        time::Duration::try_from(state.config.idle_timeout).unwrap_or(time::Duration::minutes(30)),
    ));
    let headers = [
        ("content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ];
    let table = table();
    let limits = csrf::Limits {
        large_routes: Arc::new(table.large.iter().copied().collect()),
        large_max: state.config.max_video_bytes,
        request_time: state.config.request_time_limit,
        body_idle: state.config.body_idle_limit,
    };
    // Operators must see a busy server, assets are served from memory, and a large upload
    // streams for minutes: none of them takes a place (see `load.rs`).
    let admission = crate::load::Admission {
        limiter: Arc::clone(&state.load),
        exempt: Arc::new(
            ["/healthz", "/readyz", "/metrics", "/assets/{*name}"]
                .into_iter()
                .chain(table.large.iter().copied())
                .collect(),
        ),
    };
    let mut router = table
        .router
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn(error::pages_not_plain_text))
        .layer(axum::middleware::from_fn_with_state(
            limits.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::audit_refusals,
        ))
        .layer(sessions)
        .layer(axum::extract::DefaultBodyLimit::max(csrf::MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(limits, time_limit))
        // Past the limit on requests worked on at once, refuse before sessions, CSRF or the
        // handler run (inside the request id, so the refusal quotes it, and the count by route).
        .layer(axum::middleware::from_fn_with_state(
            admission,
            crate::load::admit,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            error::panic_page,
        ))
        // From the last layer in: vet an id a proxy sent (x-request-id), or make one; echo it on
        // the response; open the span every log line of the request is written in; count and
        // time the request by its route shape; keep the id at hand for error pages.
        .layer(axum::middleware::from_fn(crate::metrics::with_request_id))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                // Paths can carry staff numbers; log the method and the route shape only.
                |req: &axum::http::Request<_>| {
                    let route = crate::metrics::route_shape_of(req);
                    let id = crate::metrics::request_id_of(req);
                    tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route)
                },
            ),
        )
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            crate::metrics::MakeId,
        ))
        .layer(axum::middleware::from_fn(crate::metrics::vet_request_id));
    for (name, value) in headers {
        router = router.layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                axum::http::HeaderName::from_static(name),
                axum::http::HeaderValue::from_static(value),
            ),
        );
    }
    router.with_state(state)
}
