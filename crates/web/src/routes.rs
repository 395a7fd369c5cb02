//! The route table: every route with the capability that guards it. The router is built from
//! this table, and the allow/deny test walks the same table, so no route escapes the test.

use crate::{api, assets, csrf, pages, AppState};
use axum::http::Method;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use mashboard_domain::access::Capability;
use std::sync::Arc;
use std::time::Duration;
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
    use Capability::*;
    let t = Table {
        router: Router::new(),
        routes: Vec::new(),
        large: Vec::new(),
    };
    let t = t
        .get("/healthz", Public, get(pages::health::healthz))
        .get("/readyz", Public, get(pages::health::readyz))
        .get("/assets/{*name}", Public, get(assets::serve))
        .get("/login", Public, get(pages::login::show))
        .post("/login", Public, post(pages::login::submit))
        .post("/logout", Public, post(pages::login::logout))
        .get("/", Page(SignedIn), get(pages::home::show))
        .get("/account", Page(SignedIn), get(pages::account::show))
        .post(
            "/account/password",
            Page(SignedIn),
            post(pages::account::change_password),
        )
        .get("/people", Page(PeopleBrowse), get(pages::people::list))
        .get(
            "/people/new",
            Page(PeopleEdit),
            get(pages::people::new_form),
        )
        .post("/people/new", Page(PeopleEdit), post(pages::people::create))
        .get(
            "/people/import",
            Page(PeopleImport),
            get(pages::import::form),
        )
        .post(
            "/people/import",
            Page(PeopleImport),
            post(pages::import::preview),
        )
        .post(
            "/people/import/commit",
            Page(PeopleImport),
            post(pages::import::commit),
        )
        .get(
            "/people/{staff_number}",
            Page(PeopleBrowse),
            get(pages::people::show),
        )
        .get(
            "/people/{staff_number}/edit",
            Page(PeopleEdit),
            get(pages::people::edit_form),
        )
        .post(
            "/people/{staff_number}/edit",
            Page(PeopleEdit),
            post(pages::people::update),
        )
        .get(
            "/admin/users",
            Page(AccountsManage),
            get(pages::admin::users),
        )
        .get(
            "/admin/users/new",
            Page(AccountsManage),
            get(pages::admin::new_user_form),
        )
        .post(
            "/admin/users/new",
            Page(AccountsManage),
            post(pages::admin::create_user),
        )
        .get(
            "/admin/users/{username}",
            Page(AccountsManage),
            get(pages::admin::user),
        )
        .post(
            "/admin/users/{username}/roles",
            Page(AccountsManage),
            post(pages::admin::set_roles),
        )
        .post(
            "/admin/users/{username}/disable",
            Page(AccountsManage),
            post(pages::admin::disable),
        )
        .post(
            "/admin/users/{username}/enable",
            Page(AccountsManage),
            post(pages::admin::enable),
        )
        .post(
            "/admin/users/{username}/unlock",
            Page(AccountsManage),
            post(pages::admin::unlock),
        )
        .post(
            "/admin/users/{username}/partner-agency",
            Page(AccountsManage),
            post(pages::admin::set_partner_agency),
        )
        .post(
            "/admin/users/{username}/password",
            Page(AccountsManage),
            post(pages::admin::set_password),
        )
        .post(
            "/admin/users/{username}/tokens",
            Page(AccountsManage),
            post(pages::admin::create_token),
        )
        .post(
            "/admin/users/{username}/tokens/{id}/revoke",
            Page(AccountsManage),
            post(pages::admin::revoke_token),
        )
        .get(
            "/admin/audit",
            Page(AuditRead),
            get(pages::admin::audit_trail),
        )
        .get(
            "/admin/audit.csv",
            Page(AuditRead),
            get(pages::admin::audit_csv),
        )
        .get("/api/v1/openapi.json", Public, get(api::openapi))
        .get("/api/v1/me", Api(SignedIn), get(api::me))
        .get("/api/v1/people", Api(PeopleBrowse), get(api::people))
        .get(
            "/api/v1/people/{staff_number}",
            Api(PeopleBrowse),
            get(api::person),
        );
    // Each capability's pages add their own routes (one line each, in this order).
    let t = pages::training::routes(t);
    let t = crate::api_training::routes(t);
    let t = pages::catalogue::routes(t);
    let t = pages::matrix::routes(t);
    let t = pages::cpd::routes(t);
    let t = pages::training_import::routes(t);
    let t = crate::api_reviews::routes(t);
    let t = pages::reviews::routes(t);
    let t = pages::audits::routes(t);
    let t = crate::api_audits::routes(t);
    let t = pages::outcomes::routes(t);
    let t = pages::queue::routes(t);
    let t = crate::api_outcomes::routes(t);
    let t = pages::register::routes(t);
    let t = crate::api_register::routes(t);
    let t = pages::sessions::routes(t);
    let t = crate::api_sessions::routes(t);
    let t = pages::attendance::routes(t);
    let t = crate::api_attendance::routes(t);
    let t = pages::coverage::routes(t);
    let t = crate::api_coverage::routes(t);
    let t = pages::checks::routes(t);
    let t = pages::delivery_reports::routes(t);
    let t = pages::attachment_days::routes(t);
    let t = crate::api_attachment::routes(t);
    let t = pages::partners::routes(t);
    let t = crate::api_partners::routes(t);
    let t = pages::exercises::routes(t);
    let t = crate::api_exercises::routes(t);
    // ROUTES: further page modules go above this line.
    t
}

/// Every route and who may reach it.
pub fn route_table() -> Vec<RouteInfo> {
    table().routes
}

/// Two minutes for a request; a large upload (a recording of a few gigabytes on a slow link)
/// has no overall limit, only the handler's limit on a stalled stream.
async fn time_limit(
    axum::extract::State(limits): axum::extract::State<csrf::Limits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if limits.is_large(&request) {
        return next.run(request).await;
    }
    match tokio::time::timeout(Duration::from_secs(120), next.run(request)).await {
        Ok(r) => r,
        Err(_) => axum::http::StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// The application, with sessions, CSRF protection, security headers and panic catching.
pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(crate::session_store::DbSessionStore {
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
    };
    let mut router = table
        .router
        .fallback(pages::not_found)
        .method_not_allowed_fallback(pages::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            limits.clone(),
            csrf::protect,
        ))
        .layer(sessions)
        .layer(axum::extract::DefaultBodyLimit::max(csrf::MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(limits, time_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            pages::panic_page,
        ))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                // Paths can carry staff numbers; log the method and the route shape only.
                |req: &axum::http::Request<_>| {
                    let matched = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_else(|| "unmatched".into());
                    tracing::info_span!("request", method = %req.method(), route = %matched)
                },
            ),
        );
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
