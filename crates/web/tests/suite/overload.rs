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
    start_one_place_with(url, WebConfig::default()).await
}

/// The same, with `config`'s other settings.
async fn start_one_place_with(url: &DbUrl, config: WebConfig) -> (TestApp, Arc<Limiter>) {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    let config = WebConfig {
        max_in_flight: 1,
        max_wait: Duration::ZERO,
        metrics_token: Some(METRICS_TOKEN.into()),
        ..config
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

/// Sends `head` (a request line and headers announcing a longer body) and the first part of the
/// body, then nothing more, and reads the answer: its status line and body.
async fn send_and_stall(app: &TestApp, head: &str, first_part: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("{head}\r\n{first_part}").as_bytes())
        .await
        .unwrap();
    // The connection stays open and silent; the answer must come without it.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            answer.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if answer.len() >= end + 4 + length || n == 0 {
                    return;
                }
            } else if n == 0 {
                return;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer while the body stalled");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_string(), body.to_string())
}

#[tokio::test]
async fn a_client_that_stops_sending_is_answered_in_words_and_frees_its_place() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    // A second database of each kind for the second app.
    let (_dir2, more) = mashboard_store::testing::both_databases().await;
    for ((label, url), (_, url2)) in dbs.into_iter().zip(more) {
        eprintln!("-- on {label}");
        // A form whose body stops arriving: answered once the body has been silent for its limit.
        let (app, limiter) = start_one_place_with(
            &url,
            WebConfig {
                body_idle_limit: Duration::from_millis(300),
                ..Default::default()
            },
        )
        .await;
        let before = count(&app.store, "cpd_entries").await;
        let (status, page) = send_and_stall(
            &app,
            "POST /my/cpd HTTP/1.1\r\nHost: localhost\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n",
            "csrf_token=abc&topic=Half",
        )
        .await;
        assert!(status.contains(" 408 "), "{status}");
        assert!(page.contains("Your form did not arrive"), "{page}");
        assert!(page.contains("nothing was saved"), "{page}");
        assert!(page.contains("quote reference"), "{page}");
        // Its place is free again: with one place and no wait, a page is served, not refused.
        let r = client().get(app.url("/login")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(limiter.shed(), 0);
        assert_eq!(count(&app.store, "cpd_entries").await, before);

        // An API call still waiting at the request's time limit: its JSON `timed_out`.
        let (app, limiter) = start_one_place_with(
            &url2,
            WebConfig {
                request_time_limit: Duration::from_millis(300),
                ..Default::default()
            },
        )
        .await;
        let token = token_for(&app, Role::MashStaff).await;
        let before = count(&app.store, "cpd_entries").await;
        let (status, body) = send_and_stall(
            &app,
            &format!(
                "POST /api/v1/cpd HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: application/json\r\nContent-Length: 400\r\n"
            ),
            r#"{"topic": "Half"#,
        )
        .await;
        assert!(status.contains(" 408 "), "{status}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "timed_out", "{body}");
        let (status, body) = api(
            &app,
            &token,
            reqwest::Method::POST,
            "/api/v1/cpd",
            cpd_json("Logged after a stalled call"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(limiter.shed(), 0);
        assert_eq!(count(&app.store, "cpd_entries").await, before + 1);
    }
}
