//! Twenty clients writing at once through the API of one `mashboard serve`, on SQLite and on
//! PostgreSQL: completions, CPD, quality-review grades and compliance-audit findings, each
//! client with its own token, for a bounded time (60 s unless `MASHBOARD_CONCURRENCY_SECS`
//! says otherwise). No answer may be a 5xx or mention "database is locked", and every write
//! answered with a 2xx must be in the database afterwards, as written.

use crate::common::{databases, serve};

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::{people, DbUrl, Store};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const CLIENTS: usize = 20;

fn duration() -> Duration {
    let secs = std::env::var("MASHBOARD_CONCURRENCY_SECS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Twenty people with accounts (MASH trainers and senior leaders, so each may grade and audit) and their tokens,
/// a module, 40 incidents and 40 referrals in January 2025.
async fn seed(db: &str) -> (i64, Vec<(String, String)>) {
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    let actor = Actor::system();
    let rows: Vec<_> = (0..CLIENTS)
        .map(|i| {
            (
                0,
                PersonDraft {
                    staff_number: format!("W{i:02}"),
                    name: format!("Worker {i}"),
                    ..Default::default()
                }
                .validate()
                .unwrap(),
            )
        })
        .collect();
    people::import(&store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    let mut tokens = Vec::new();
    for i in 0..CLIENTS {
        let sn = StaffNumber::parse(&format!("W{i:02}")).unwrap();
        let username = format!("worker{i:02}");
        accounts::create(
            &store,
            &actor,
            NewAccount {
                username: &username,
                roles: &[Role::MashTrainer, Role::SeniorLeader],
                staff_number: Some(&sn),
                password: None,
            },
        )
        .await
        .unwrap();
        let token = accounts::create_token(&store, &actor, &username, "load")
            .await
            .unwrap();
        tokens.push((username, token));
    }
    let module = catalogue::create_module(
        &store,
        &actor,
        &ModuleInput {
            code: "LOAD".into(),
            title: "Load test module".into(),
            kind: "e_learning".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    let now = "2026-01-01T00:00:00.000000Z";
    for n in 0..40 {
        sqlx::query(
            "INSERT INTO incidents (incident_ref, reported_at, children_involved, imported_at, updated_at)
             VALUES ($1, $2, 1, $3, $3)",
        )
        .bind(format!("INC-{n:03}"))
        .bind(format!("2025-01-{:02}T10:00:00", n % 28 + 1))
        .bind(now)
        .execute(store.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, imported_at, updated_at)
             VALUES ($1, $2, $3, 'child', $4, $4)",
        )
        .bind(format!("REF-{n:03}"))
        .bind(format!("INC-{n:03}"))
        .bind(format!("2025-01-{:02}T12:00:00", n % 28 + 1))
        .bind(now)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.close().await;
    (module.id, tokens)
}

/// What one client saw answered with a 2xx.
#[derive(Default)]
struct Written {
    completions: Vec<i64>,
    cpd: Vec<i64>,
    /// The last grade answered 2xx per referral.
    grades: BTreeMap<String, i64>,
    /// The last note answered 2xx per incident.
    findings: BTreeMap<String, String>,
    requests: usize,
}

#[tokio::test]
async fn twenty_clients_writing_at_once_lose_nothing_and_never_fail() {
    let (_dir, dbs) = databases().await;
    let data = tempfile::tempdir().unwrap();
    for db in dbs {
        let (module, tokens) = seed(&db).await;
        let mut server = serve(
            &db,
            &[("MASHBOARD_DATA_DIR", data.path().to_str().unwrap())],
        );
        server.wait_ready().await;
        let http = reqwest::Client::new();
        let call = |token: &str, path: &str, body: serde_json::Value| {
            http.post(server.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
        };

        // A review with everyone on its panel, and an audit with everyone assigned.
        let owner = &tokens[0].1;
        let r = call(
            owner,
            "/api/v1/quality-reviews",
            serde_json::json!({"period_start": "2025-01-01", "period_end": "2025-01-31", "sample_size": 20, "seed": 7}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        let review: serde_json::Value = r.json().await.unwrap();
        let review_id = review["id"].as_i64().unwrap();
        let referrals: Vec<String> = serde_json::from_value(review["sample"].clone()).unwrap();
        let usernames: Vec<&str> = tokens.iter().map(|(u, _)| u.as_str()).collect();
        let r = http
            .put(server.url(&format!("/api/v1/quality-reviews/{review_id}/panel")))
            .bearer_auth(owner)
            .json(&serde_json::json!({"usernames": usernames}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        let r = call(
            owner,
            "/api/v1/compliance-audits",
            serde_json::json!({"period_start": "2025-01-01", "period_end": "2025-01-31", "sample_size": 20, "seed": 7}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        let audit: serde_json::Value = r.json().await.unwrap();
        let audit_id = audit["id"].as_i64().unwrap();
        let incidents: Vec<String> = serde_json::from_value(audit["sample"].clone()).unwrap();
        assert_eq!(incidents.len(), CLIENTS, "one sampled incident per client");
        let store = Store::open(&DbUrl::parse(&db).unwrap()).await.unwrap();
        sqlx::query(
            "INSERT INTO compliance_audit_auditors (audit_id, user_id) SELECT $1, id FROM users WHERE username LIKE 'worker%' AND username <> 'worker00'",
        )
        .bind(audit_id)
        .execute(store.pool())
        .await
        .unwrap();

        let until = Instant::now() + duration();
        let mut clients = Vec::new();
        for (i, (_, token)) in tokens.iter().cloned().enumerate() {
            let http = http.clone();
            let base = server.base.clone();
            let referrals = referrals.clone();
            let incidents = incidents.clone();
            clients.push(tokio::spawn(async move {
                let mut w = Written::default();
                let mut n = 0usize;
                while Instant::now() < until {
                    n += 1;
                    let (path, body) = match n % 4 {
                        0 => (
                            "/api/v1/completions".to_string(),
                            serde_json::json!({"staff_number": format!("W{i:02}"), "module_id": module,
                                "completed_on": format!("2025-{:02}-{:02}", n % 12 + 1, n % 28 + 1), "mode": "e_learning"}),
                        ),
                        1 => (
                            "/api/v1/cpd".to_string(),
                            serde_json::json!({"topic": format!("Topic {n}"), "done_on": "2025-02-01", "hours": "1",
                                "kind": "reading", "learning": format!("Learned {i}/{n}")}),
                        ),
                        2 => (
                            format!("/api/v1/quality-reviews/{review_id}/grades"),
                            serde_json::json!({"referral_ref": referrals[n % referrals.len()], "grade": (n % 4 + 1) as i64}),
                        ),
                        _ => (
                            format!("/api/v1/compliance-audits/{audit_id}/findings"),
                            serde_json::json!({"incident_ref": incidents[i % incidents.len()], "form_required": true,
                                "required_reason": "child", "form_completed": true, "on_time": true, "note": format!("{i}/{n}")}),
                        ),
                    };
                    let r = http
                        .post(format!("{base}{path}"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .expect("the server answers");
                    w.requests += 1;
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    assert!(
                        !status.is_server_error(),
                        "{path} answered {status}: {text}"
                    );
                    assert!(
                        !text.contains("database is locked"),
                        "{path} answered {status}: {text}"
                    );
                    if !status.is_success() {
                        continue;
                    }
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                    match n % 4 {
                        0 => w.completions.push(v["id"].as_i64().expect("completion id")),
                        1 => w.cpd.push(v["id"].as_i64().expect("CPD id")),
                        2 => {
                            w.grades.insert(
                                body["referral_ref"].as_str().unwrap().to_string(),
                                body["grade"].as_i64().unwrap(),
                            );
                        }
                        _ => {
                            w.findings.insert(
                                body["incident_ref"].as_str().unwrap().to_string(),
                                body["note"].as_str().unwrap().to_string(),
                            );
                        }
                    }
                }
                (i, w)
            }));
        }
        let mut total = 0;
        let mut checked = 0;
        let mut written = [0usize; 4];
        for c in clients {
            let (i, w) = c.await.expect("a client failed");
            total += w.requests;
            written[0] += w.completions.len();
            written[1] += w.cpd.len();
            written[2] += w.grades.len();
            written[3] += w.findings.len();
            let username = format!("worker{i:02}");
            for id in &w.completions {
                let n: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM completions c JOIN people p ON p.id = c.person_id WHERE c.id = $1 AND p.staff_number = $2",
                )
                .bind(id)
                .bind(format!("W{i:02}"))
                .fetch_one(store.pool())
                .await
                .unwrap();
                assert_eq!(n, 1, "completion {id} answered 2xx but is missing");
                checked += 1;
            }
            for id in &w.cpd {
                let n: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM cpd_entries WHERE id = $1",
                )
                .bind(id)
                .fetch_one(store.pool())
                .await
                .unwrap();
                assert_eq!(n, 1, "CPD entry {id} answered 2xx but is missing");
                checked += 1;
            }
            for (referral, grade) in &w.grades {
                let got: Option<i64> = sqlx::query_scalar(
                    "SELECT g.grade FROM quality_grades g JOIN referrals r ON r.id = g.referral_id JOIN users u ON u.id = g.grader_user_id
                     WHERE g.review_id = $1 AND r.referral_ref = $2 AND u.username = $3",
                )
                .bind(review_id)
                .bind(referral)
                .bind(&username)
                .fetch_optional(store.pool())
                .await
                .unwrap();
                assert_eq!(got, Some(*grade), "{username}'s grade of {referral}");
                checked += 1;
            }
            for (incident, note) in &w.findings {
                // Each client writes its own incident's finding: its last note is there.
                let notes: Vec<String> = sqlx::query_scalar(
                    "SELECT f.note FROM compliance_findings f JOIN incidents i ON i.id = f.incident_id WHERE f.audit_id = $1 AND i.incident_ref = $2",
                )
                .bind(audit_id)
                .bind(incident)
                .fetch_all(store.pool())
                .await
                .unwrap();
                assert_eq!(
                    notes,
                    std::slice::from_ref(note),
                    "the finding of {incident}"
                );
                checked += 1;
            }
        }
        assert!(total >= CLIENTS * 4, "{total} requests");
        assert!(
            written.iter().all(|n| *n > 0),
            "every kind of write succeeded at least once (completions, CPD, grades, findings): {written:?}"
        );
        eprintln!(
            "{}: {total} requests from {CLIENTS} clients in {:?}, {checked} writes checked",
            store.backend().name(),
            duration()
        );
        store.close().await;
        drop(server);
    }
}
