//! Overload protection: with every place for a request taken, a page gets the plain-words 503
//! with `Retry-After` and its reference, the API its JSON `busy`, a refused write saves nothing,
//! the health checks and `/metrics` still answer, and once a place is free requests succeed.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::{DbUrl, Store};
use mashboard_web::{load::Limiter, AppState, WebConfig};
use reqwest::header::RETRY_AFTER;
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::Duration;

const METRICS_TOKEN: &str = "a-metrics-token-of-some-length";

/// The app with one place and no wait, and its limiter, to hold that place as a running
/// request would.
async fn start_one_place(url: &DbUrl) -> (TestApp, Arc<Limiter>) {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    let config = WebConfig {
        max_in_flight: 1,
        max_wait: Duration::ZERO,
        metrics_token: Some(METRICS_TOKEN.into()),
        ..Default::default()
    };
    let data = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    let state = AppState::new(store.clone(), config);
    let limiter = Arc::clone(&state.load);
    tokio::spawn(async move {
        mashboard_web::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let app = TestApp {
        base,
        store,
        data,
        shutdown: Some(tx),
    };
    (app, limiter)
}

fn cpd_json(topic: &str) -> serde_json::Value {
    serde_json::json!({
        "topic": topic,
        "done_on": "2024-03-01",
        "hours": "0.5",
        "kind": "reading",
        "learning": "Read the notes.",
    })
}

#[tokio::test]
async fn a_busy_server_refuses_in_words_saves_nothing_and_recovers() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        eprintln!("-- on {label}");
        let (app, limiter) = start_one_place(&url).await;
        let staff = app.signed_in(Role::MashStaff).await;
        let csrf = app.csrf_token(&staff).await;
        let token = token_for(&app, Role::MashStaff).await;
        let before = count(&app.store, "cpd_entries").await;

        // The one place is taken, as by a request whose handler is still running.
        let held = limiter.admit().await.expect("the place is free");

        let r = staff.get(app.url("/my/cpd")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[RETRY_AFTER], "5");
        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
        let html = r.text().await.unwrap();
        assert!(html.contains("The service is busy. Your request was not carried out; nothing was saved. Try again in a few seconds."), "{html}");
        assert!(
            html.contains(&id),
            "the page quotes the request's reference"
        );

        // A form post is refused before it runs: nothing saved.
        let r = staff
            .post(app.url("/my/cpd"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("topic", "Refused by a busy server"),
                ("done_on", "01/03/2024"),
                ("time_spent", "1.5"),
                ("kind", "course"),
                ("learning", "Nothing"),
                ("evidence_url", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);

        // The API answers its JSON error, and saves nothing either.
        let r = client()
            .post(app.url("/api/v1/cpd"))
            .bearer_auth(&token)
            .json(&cpd_json("Refused through the API"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[RETRY_AFTER], "5");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "busy", "{body}");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("nothing was saved"));
        assert_eq!(count(&app.store, "cpd_entries").await, before);

        // Operators still see the server, and see it busy.
        for path in ["/healthz", "/readyz"] {
            let r = client().get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
        let r = client()
            .get(app.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let metrics = r.text().await.unwrap();
        for line in [
            "mashboard_requests_shed_total 3",
            "mashboard_requests_in_flight 1",
            "mashboard_requests_max_in_flight 1",
            r#"mashboard_http_requests_total{method="GET",route="/my/cpd",status="503"} 1"#,
        ] {
            assert!(metrics.contains(line), "{line} missing from:\n{metrics}");
        }

        // The place is free again: requests are worked on.
        drop(held);
        let (status, body) = api(
            &app,
            &token,
            reqwest::Method::POST,
            "/api/v1/cpd",
            cpd_json("Logged once the server had room"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(count(&app.store, "cpd_entries").await, before + 1);
        let (status, _) = app.get(&staff, "/my/cpd").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(limiter.shed(), 3);
    }
}
