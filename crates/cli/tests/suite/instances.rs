//! Two `mashboard serve` processes on one PostgreSQL database and one shared data directory,
//! as a regional hub runs them behind a load balancer, behave as one: signed in on one works on
//! the other; a stage released on A reaches a team's live stream served by B within a second;
//! the outbox and the day's reminder digests are sent once, not once per instance; the hourly
//! missing-referral check runs once; a recording uploaded to A plays from B.
//!
//! PostgreSQL only (on SQLite there is one process): without `MASHBOARD_TEST_PG_URL` the test
//! says so and passes.

use crate::common::{csrf_in, serve, slow_smtp_sink, Served};

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::jobs::{self, Job};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::programmes;
use mashboard_store::{people, DbUrl, Store};
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";
/// Messages waiting in the outbox when the instances start.
const OUTBOX: usize = 8;

fn start(db: &str, data: &std::path::Path, smtp_port: u16) -> Served {
    let smtp = format!("smtp://127.0.0.1:{smtp_port}");
    serve(
        db,
        &[
            ("MASHBOARD_DATA_DIR", data.to_str().unwrap()),
            ("MASHBOARD_SMTP_URL", &smtp),
            ("MASHBOARD_MAIL_FROM", "training@force.example"),
            ("MASHBOARD_BASE_URL", "https://mashboard.force.example"),
            ("MASHBOARD_FORCE_NAME", "Test Force"),
            // Due from midnight: each instance finds the day's digests due as soon as it starts.
            ("MASHBOARD_REMINDERS_AT", "00:00"),
        ],
    )
}

/// Five people with addresses, each with a module long overdue (five digests); a trainer's
/// account (with no address, so no digest) and a recorded-video module; the outbox holding
/// [`OUTBOX`] messages; one incident past its window with no referral (the queue's work).
async fn seed(url: &DbUrl) -> (i64, String) {
    let store = Store::open(url).await.unwrap();
    let actor = Actor::system();
    let mut rows = vec![(
        0,
        PersonDraft {
            staff_number: "T1".into(),
            name: "Tess Trainer".into(),
            ..Default::default()
        }
        .validate()
        .unwrap(),
    )];
    for i in 1..=5 {
        rows.push((
            0,
            PersonDraft {
                staff_number: format!("S{i}"),
                name: format!("Starter {i}"),
                email: format!("starter{i}@force.example"),
                ..Default::default()
            }
            .validate()
            .unwrap(),
        ));
    }
    people::import(&store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    let t1 = StaffNumber::parse("T1").unwrap();
    accounts::create(
        &store,
        &actor,
        NewAccount {
            username: "tess",
            roles: &[Role::MashTrainer],
            staff_number: Some(&t1),
            password: Some(PASSWORD),
        },
    )
    .await
    .unwrap();
    let token = accounts::create_token(&store, &actor, "tess", "test")
        .await
        .unwrap();
    let module = catalogue::create_module(
        &store,
        &actor,
        &ModuleInput {
            code: "RISK".into(),
            title: "Risk assessment".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    let profile = programmes::create_profile(&store, &actor, "NEW", "New starter", "")
        .await
        .unwrap();
    programmes::set_item(&store, &actor, profile, module.id, "days:30", "none")
        .await
        .unwrap();
    for i in 1..=5 {
        let p = people::get(&store, &format!("S{i}"))
            .await
            .unwrap()
            .unwrap();
        programmes::assign(&store, &actor, p.id, profile, "2020-01-01")
            .await
            .unwrap();
    }
    let video = catalogue::create_module(
        &store,
        &actor,
        &ModuleInput {
            code: "FL-VID".into(),
            title: "Frontline recording".into(),
            kind: "recorded_video".into(),
            status: "live".into(),
            duration_minutes: 180,
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    for i in 0..OUTBOX {
        sqlx::query(
            "INSERT INTO mail_outbox (kind, to_address, subject, body_text, created_at)
             VALUES ('invitation', $1, $2, 'You have a place.', '2026-01-01T00:00:00.000000Z')",
        )
        .bind(format!("invitee{i}@force.example"))
        .bind(format!("Invitation {i}"))
        .execute(store.pool())
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, children_involved, imported_at, updated_at)
         VALUES ('INC-1', '2024-01-01T09:00:00', 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    (video.id, token)
}

async fn scalar(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn two_instances_on_one_postgresql_behave_as_one() {
    if std::env::var(mashboard_store::testing::PG_ENV).is_err() {
        eprintln!(
            "skipped: {} is not set (two instances need PostgreSQL; ./scripts/test starts one)",
            mashboard_store::testing::PG_ENV
        );
        return;
    }
    let url = mashboard_store::testing::fresh_postgres_url()
        .await
        .unwrap();
    let (video_module, token) = seed(&url).await;
    let data = tempfile::tempdir().unwrap();
    // A slow mail server: a run of sends lasts seconds, so the two instances' first runs overlap.
    let (smtp, got) = slow_smtp_sink("", Duration::from_millis(300)).await;
    let db = url.expose().to_string();
    let mut a = start(&db, data.path(), smtp);
    let mut b = start(&db, data.path(), smtp);
    a.wait_ready().await;
    b.wait_ready().await;

    // Signed in on A, the same browser is signed in on B (the cookie names a session in the
    // database), and B accepts a form whose CSRF token came from A.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = browser
        .get(a.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(a.url("/login"))
        .form(&[
            ("csrf_token", csrf_in(&html).as_str()),
            ("username", "tess"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in on A");
    let r = browser.get(b.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the session from A works on B");
    assert!(r.text().await.unwrap().contains("tess"));

    // A recording uploaded to A (into the shared data directory) plays from B.
    let mut video = vec![0u8, 0, 0, 0x18];
    video.extend_from_slice(b"ftypisom");
    video.extend((0..50_000u32).map(|i| (i % 251) as u8));
    let html = browser
        .get(a.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_in(&html))
        .text("external_url", "")
        .part(
            "file",
            reqwest::multipart::Part::bytes(video.clone()).file_name("input.mp4"),
        );
    let r = browser
        .post(a.url(&format!("/training/modules/{video_module}/video")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "uploaded to A");
    let r = browser
        .get(b.url(&format!("/training/modules/{video_module}/video/file")))
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::PARTIAL_CONTENT,
        "B serves A's upload"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &video[100..200]);

    // A live exercise started on A; a team joins with its code on B and watches its stream there.
    let api = reqwest::Client::new();
    let list: serde_json::Value = api
        .get(a.url("/api/v1/exercise-scenarios"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scenario = list["items"][0]["id"].as_i64().unwrap();
    let r = api
        .post(a.url("/api/v1/exercise-runs"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"scenario_id": scenario, "teams": [{"name": "Red"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let run: serde_json::Value = r.json().await.unwrap();
    let run_id = run["id"].as_i64().unwrap();
    let code = run["teams"][0]["code"].as_str().unwrap().to_string();
    let team = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = team
        .get(b.url("/exercise"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = team
        .post(b.url("/exercise"))
        .form(&[("csrf_token", csrf_in(&html).as_str()), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "joined on B");
    let mut stream = team
        .get(b.url("/exercise/team/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    // Let B's stream subscribe before the release.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let released = Instant::now();
    let r = api
        .post(a.url(&format!("/api/v1/exercise-runs/{run_id}/release")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"stage": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut buf = String::new();
    while !buf.contains("event: release\n") {
        let left = Duration::from_secs(1).saturating_sub(released.elapsed());
        let chunk = tokio::time::timeout(left, stream.chunk())
            .await
            .expect("the release on A reaches the team's stream on B within 1 s")
            .unwrap()
            .expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        released.elapsed() < Duration::from_secs(1),
        "{:?}",
        released.elapsed()
    );
    drop(stream);
    let html = team
        .get(b.url("/exercise/team"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Stage 1:"), "B's team page shows the stage");

    // The outbox and the day's digests: every message once, whichever instance sent it.
    let digests = 5;
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.lock().unwrap().len() < OUTBOX + digests {
        assert!(
            Instant::now() < deadline,
            "not everything was sent: {:?}",
            got.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both instances have had their first turn at both jobs: anything sent twice is here now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = got.lock().unwrap().clone();
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    for m in &received {
        *per_recipient.entry(m.rcpt.join(",")).or_default() += 1;
    }
    assert_eq!(
        received.len(),
        OUTBOX + digests,
        "sent once each: {per_recipient:?}"
    );
    assert!(per_recipient.values().all(|n| *n == 1), "{per_recipient:?}");
    assert_eq!(
        received
            .iter()
            .filter(|m| m.data.contains("Subject: Training reminders"))
            .count(),
        digests
    );

    let store = Store::open(&url).await.unwrap();
    assert_eq!(
        scalar(
            &store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM mail_outbox WHERE sent_at IS NOT NULL AND attempts = 1"
        )
        .await,
        OUTBOX as i64,
        "each message was tried once"
    );
    // The hourly check ran once across both, and queued the incident once.
    assert_eq!(jobs::runs(&store, Job::QueueRefresh).await.unwrap(), 1);
    assert_eq!(
        scalar(
            &store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM missing_referrals"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'reminders.run'"
        )
        .await,
        1,
        "one day's run recorded"
    );
    store.close().await;
    drop(a);
    drop(b);
}
