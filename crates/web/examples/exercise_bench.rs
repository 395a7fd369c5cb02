//! Benchmark: 40 team pages connected to a live exercise run, one release, how long until all 40
//! have it. Starts the app on a temporary SQLite database on loopback, opens each team's stream
//! the way a shared screen does (team code, then the event stream), releases stage 1 to all teams
//! through the API and times until every stream has delivered the event.
//!
//! Run: `cargo run --release -p mashboard-web --example exercise_bench` (target: under 1 s).

use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::exercises::{self as ex, NewRun, NewTeam};
use mashboard_store::{DbUrl, Store};
use mashboard_web::{AppState, WebConfig};
use std::time::{Duration, Instant};

const TEAMS: usize = 40;

fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("csrf field")
        + 25;
    html[at..at + 64].to_string()
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("bench.sqlite").display()
    ))
    .unwrap();
    let store = Store::open(&url).await.unwrap();
    accounts::create(
        &store,
        &Actor::system(),
        NewAccount {
            username: "bench-trainer",
            roles: &[Role::MashTrainer],
            staff_number: None,
            password: Some("a long bench password"),
        },
    )
    .await
    .unwrap();
    let token = accounts::create_token(&store, &Actor::system(), "bench-trainer", "bench")
        .await
        .unwrap();
    ex::ensure_scenarios(&store).await.unwrap();
    let sc = ex::list_scenarios(&store).await.unwrap()[0].id;
    let new = NewRun {
        scenario_id: sc,
        teams: (1..=TEAMS)
            .map(|i| NewTeam {
                name: format!("Team {i}"),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let (run_id, teams) = ex::create_run(&store, &Actor::system(), &new, &mut rand::rngs::OsRng)
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(store.clone(), WebConfig::default());
    tokio::spawn(async move {
        mashboard_web::serve(listener, state, std::future::pending())
            .await
            .unwrap();
    });

    // Each shared screen: enter the code, then open the team's event stream.
    let mut streams = Vec::new();
    for t in &teams {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let html = c
            .get(format!("{base}/exercise"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_in(&html);
        c.post(format!("{base}/exercise"))
            .form(&[("csrf_token", csrf.as_str()), ("code", t.code.as_str())])
            .send()
            .await
            .unwrap();
        let resp = c
            .get(format!("{base}/exercise/team/events"))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        streams.push(resp);
    }
    // Let every subscription settle before timing.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    for mut resp in streams {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut buf = String::new();
            while let Ok(Some(chunk)) = resp.chunk().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                if buf.contains("event: release") {
                    let _ = tx.send(Instant::now());
                    return;
                }
            }
        });
    }
    drop(tx);
    let api = reqwest::Client::new();
    let started = Instant::now();
    let r = api
        .post(format!("{base}/api/v1/exercise-runs/{run_id}/release"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"stage": 1}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "release: {}", r.status());
    let mut got = 0;
    let mut last = started;
    while let Ok(Some(at)) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        got += 1;
        last = last.max(at);
        if got == TEAMS {
            break;
        }
    }
    let ms = (last - started).as_secs_f64() * 1000.0;
    println!("{got} of {TEAMS} team pages received the release in {ms:.1} ms (from the release request to the last stream)");
    if got < TEAMS || ms > 1000.0 {
        std::process::exit(1);
    }
}
