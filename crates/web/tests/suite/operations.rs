//! Running it: `/metrics` only where it was configured, requests counted by route shape with no
//! personal data in a label, the request id on every response, in the error page and in the
//! JSON error; and the API's refusals of a path or query it cannot read in JSON.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::{DbUrl, Store};
use mashboard_web::{AppState, WebConfig};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;

const TOKEN: &str = "a-metrics-token-of-some-length";

async fn spawn_config(url: &DbUrl, config: WebConfig) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start(store, config).await
}

fn with_token() -> WebConfig {
    WebConfig {
        metrics_token: Some(TOKEN.into()),
        ..Default::default()
    }
}

async fn scrape(app: &TestApp, token: Option<&str>) -> (StatusCode, String) {
    let mut r = client().get(app.url("/metrics"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn metrics_are_not_served_on_the_main_address_unless_configured() {
    on_both!(|app| {
        let (status, _) = scrape(&app, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = scrape(&app, Some(TOKEN)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no token was configured");
    });
}

#[tokio::test]
async fn metrics_on_the_main_address_need_the_token() {
    on_both!(with_token(), |app| {
        assert_eq!(scrape(&app, None).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            scrape(&app, Some("a-metrics-token-of-some-lengtX")).await.0,
            StatusCode::UNAUTHORIZED
        );
        let r = client()
            .get(app.url("/metrics"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        let body = r.text().await.unwrap();
        for name in [
            "mashboard_db_pool_connections",
            "mashboard_db_pool_idle_connections",
            "mashboard_missing_referrals_open 0",
            "mashboard_outbox_pending 0",
            "mashboard_audit_commits ",
            "# TYPE mashboard_http_request_duration_seconds histogram",
            // The two refused scrapes above.
            r#"mashboard_http_requests_total{method="GET",route="/metrics",status="401"} 2"#,
        ] {
            assert!(body.contains(name), "{name} missing from:\n{body}");
        }
        assert!(body.ends_with("# EOF\n"));
    });
}

#[tokio::test]
async fn a_request_is_counted_by_its_route_shape_and_no_label_names_a_person() {
    on_both!(with_token(), |app| {
        let c = app.signed_in(Role::MashTrainer).await;
        let someone = staff_for(Role::Frontline);
        let r = c
            .get(app.url(&format!("/people/{someone}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let token = token_for(&app, Role::MashTrainer).await;
        let r = client()
            .get(app.url(&format!("/api/v1/people/{someone}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let (status, body) = scrape(&app, Some(TOKEN)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            body.contains(
                r#"mashboard_http_requests_total{method="GET",route="/people/{staff_number}",status="200"} 1"#
            ),
            "{body}"
        );
        assert!(body.contains(
            r#"mashboard_http_requests_total{method="GET",route="/api/v1/people/{staff_number}",status="200"} 1"#
        ));
        assert!(body.contains(
            r#"mashboard_http_request_duration_seconds_count{method="GET",route="/people/{staff_number}"} 1"#
        ));
        // Neither the staff number, nor the name, nor the user, nor the token.
        let name = format!("Person {}", Role::Frontline.label());
        for personal in [
            someone.as_str(),
            name.as_str(),
            "test-mash-trainer",
            token.as_str(),
        ] {
            assert!(!body.contains(personal), "{personal} is in /metrics");
        }
        // An address that matches no route is counted as such, not under its own path.
        client()
            .get(app.url("/people-T99-nowhere"))
            .send()
            .await
            .unwrap();
        let (_, body) = scrape(&app, Some(TOKEN)).await;
        assert!(body.contains(r#"route="unmatched",status="404""#), "{body}");
        assert!(!body.contains("T99"));
    });
}

#[tokio::test]
async fn metrics_on_their_own_address_need_no_token_and_are_not_on_the_main_one() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        eprintln!("-- on {label}");
        let app = spawn(&url).await;
        let state = AppState::new(app.store.clone(), WebConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        let server = tokio::spawn(mashboard_web::serve_metrics(
            listener,
            state,
            std::future::pending(),
        ));
        let r = client()
            .get(format!("http://{at}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("mashboard_db_pool_connections"));
        let r = client()
            .get(format!("http://{at}/login"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "only /metrics there");
        assert_eq!(scrape(&app, None).await.0, StatusCode::NOT_FOUND);
        server.abort();
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_the_error_page_quotes_it() {
    on_both!(|app| {
        let c = app.signed_in(Role::Frontline).await;
        let r = c.get(app.url("/people/NO-SUCH-ONE")).send().await.unwrap();
        assert!(r.status().is_client_error());
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 16, "{id}");
        let page = r.text().await.unwrap();
        assert!(page.contains(&format!("quote reference {id}")), "{page}");

        // Each request its own id.
        let other = client().get(app.url("/healthz")).send().await.unwrap();
        let other = other.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(other, id);

        // A proxy's id is kept (and quoted); one we would not put in a log is replaced.
        let r = client()
            .get(app.url("/no-such-page"))
            .header("x-request-id", "nginx-7f3a9c")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-request-id"], "nginx-7f3a9c");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("quote reference nginx-7f3a9c"));
        let r = client()
            .get(app.url("/no-such-page"))
            .header("x-request-id", "<b>bold</b>")
            .send()
            .await
            .unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_ne!(id, "<b>bold</b>");
        assert!(r.text().await.unwrap().contains(&id));
    });
}

#[tokio::test]
async fn a_path_or_query_the_api_cannot_read_answers_its_json_error() {
    on_both!(|app| {
        let token = token_for(&app, Role::Administrator).await;
        let get = |path: &'static str| {
            let token = token.clone();
            let url = app.url(path);
            async move {
                let r = client().get(url).bearer_auth(token).send().await.unwrap();
                let status = r.status();
                let json = r.headers()[CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("application/json");
                let body: serde_json::Value = if json {
                    r.json().await.unwrap()
                } else {
                    serde_json::Value::String(r.text().await.unwrap())
                };
                (status, body)
            }
        };
        for path in [
            "/api/v1/sessions/not-a-number",
            "/api/v1/exercise-runs/99999999999999999999999",
            "/api/v1/people?limit=many",
        ] {
            let (status, body) = get(path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert_eq!(body["error"], "bad_request", "{path}: {body}");
        }
        // Above the documented maximum: refused, by field.
        let (status, body) = get("/api/v1/people?limit=501").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["fields"][0]["field"], "limit", "{body}");
        let (status, body) = get("/api/v1/missing-referrals?offset=1000000001").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["fields"][0]["field"], "offset", "{body}");
        let (status, _) = get("/api/v1/people?limit=500&offset=1000000000").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the documented maximum itself is fine"
        );
    });
}

/// Every read in the OpenAPI document, each of its query parameters given hostile values in
/// turn (a NUL character, bytes that are not UTF-8, numbers out of range, an impossible date,
/// a LIKE wildcard, a right-to-left override): never a server error, and always the API's
/// JSON. Schemathesis does not send a NUL; PostgreSQL cannot compare text with one, which was
/// a 500 on eight calls.
#[tokio::test]
async fn every_api_read_answers_hostile_query_values_in_json_without_a_server_error() {
    on_both!(|app| {
        let token = token_for(&app, Role::Administrator).await;
        let c = client();
        let doc = app.openapi().await;
        let values = [
            "%00",
            "a%00b",
            "%FF",
            "%C0%80",
            "-1",
            "99999999999999999999",
            "2026-02-30",
            "%25",
            "%E2%80%AEx",
        ];
        let mut asked = 0;
        for (path, ops) in doc["paths"].as_object().unwrap() {
            let Some(op) = ops.get("get") else { continue };
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let mut concrete = path.clone();
            for p in params.iter().filter(|p| p["in"] == "path") {
                let name = p["name"].as_str().unwrap();
                concrete = concrete.replace(&format!("{{{name}}}"), "1");
            }
            for p in params.iter().filter(|p| p["in"] == "query") {
                let name = p["name"].as_str().unwrap();
                for v in values {
                    let url = app.url(&format!("{concrete}?{name}={v}"));
                    let r = c.get(&url).bearer_auth(&token).send().await.unwrap();
                    let status = r.status();
                    let json = r
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|t| t.to_str().ok())
                        .is_some_and(|t| t.starts_with("application/json"));
                    assert!(!status.is_server_error(), "{url}: {status}");
                    assert!(json, "{url}: {status} is not JSON");
                    asked += 1;
                }
            }
        }
        assert!(asked >= 300, "every read's parameters were tried ({asked})");
    });
}
