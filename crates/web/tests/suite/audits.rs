//! Compliance audits through the real server on both databases: the API contract (shapes,
//! 4xx JSON refusals that write nothing), who may see and record what, the audit pages with
//! GOV.UK errors, and the summary page and exports with their intervals.

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::{self as trail, Actor, AuditFilter};
use mashboard_store::audits;
use mashboard_store::{now_text, people, DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

/// A second auditor, on no audit until assigned.
const AUDITOR_TWO: &str = "test-auditor-two";

/// One person and one account per role, a second auditor, and the incidents and a referral.
async fn seed(store: &Store) {
    let actor = Actor::system();
    let mut rows = Vec::new();
    for role in Role::ALL {
        let p = PersonDraft {
            staff_number: staff_for(role),
            name: format!("Person {}", role.label()),
            department: "Public Protection".into(),
            team: "MASH".into(),
            roles: role.as_str().into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        rows.push((rows.len() + 2, p));
    }
    people::import(store, &actor, &rows, false, "test seed")
        .await
        .unwrap();
    for role in Role::ALL {
        let sn = StaffNumber::parse(&staff_for(role)).unwrap();
        accounts::create(
            store,
            &actor,
            NewAccount {
                username: &username_for(role),
                roles: &[role],
                staff_number: Some(&sn),
                password: Some(PASSWORD),
            },
        )
        .await
        .unwrap();
    }
    accounts::create(
        store,
        &actor,
        NewAccount {
            username: AUDITOR_TWO,
            roles: &[Role::Auditor],
            staff_number: None,
            password: Some(PASSWORD),
        },
    )
    .await
    .unwrap();
    // Ten incidents in January and February of 2024 and of 2025, and one with a hostile
    // reference alone in March 2025.
    for year in [2024, 2025] {
        for i in 1..=10 {
            incident(
                store,
                &format!("A{year}-{i:02}"),
                &format!("{year}-0{}-{:02}T08:30:00", 1 + i % 2, i),
            )
            .await;
        }
    }
    incident(store, "=HYPERLINK(\"http://x\")", "2025-03-03T12:00:00").await;
}

async fn incident(store: &Store, reference: &str, reported_at: &str) {
    let now = now_text();
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, adult_at_risk,
            domestic_abuse, officer_staff_number, department, imported_at, updated_at)
         VALUES ($1, $2, 'Domestic incident', 'Exeter', 1, 0, 1, 'T15', 'Response', $3, $3)",
    )
    .bind(reference)
    .bind(reported_at)
    .bind(&now)
    .execute(store.pool())
    .await
    .unwrap();
}

async fn referral(store: &Store, reference: &str, incident_ref: &str, submitted_at: &str) {
    let now = now_text();
    sqlx::query(
        "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, imported_at, updated_at)
         VALUES ($1, $2, $3, 'child', $4, $4)",
    )
    .bind(reference)
    .bind(incident_ref)
    .bind(submitted_at)
    .bind(&now)
    .execute(store.pool())
    .await
    .unwrap();
}

/// The app on this file's people, auditors and incidents.
async fn spawn(url: &DbUrl) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start(store, WebConfig::default()).await
}

impl TestApp {
    async fn sample_of(&self, id: i64) -> Vec<String> {
        let viewer = audits::Viewer {
            user_id: 0,
            sees_all: true,
        };
        let a = audits::get(&self.store, &viewer, id)
            .await
            .unwrap()
            .unwrap();
        audits::current_sample_refs(&self.store, &a).await.unwrap()
    }
}

/// Asserts a 4xx JSON refusal whose message contains `words`.
fn refused(got: (StatusCode, Value), status: StatusCode, words: &str) {
    let (s, v) = got;
    assert_eq!(s, status, "{v}");
    assert!(v["error"].is_string(), "{v}");
    let m = v["message"].as_str().unwrap_or_default();
    assert!(m.contains(words), "expected \"{words}\" in \"{m}\"");
}

fn finding(
    reference: &str,
    required: Option<&str>,
    completed: bool,
    on_time: Option<bool>,
) -> Value {
    json!({
        "incident_ref": reference,
        "form_required": required.is_some(),
        "required_reason": required,
        "form_completed": completed,
        "on_time": on_time,
    })
}

#[tokio::test]
async fn the_api_follows_the_contract_and_refuses_bad_input_with_json_and_writes_nothing() {
    on_both!(|app| {
        let auditor = token_for_user(&app, &username_for(Role::Auditor)).await;
        let other = token_for_user(&app, AUDITOR_TWO).await;
        let officer = token_for_user(&app, &username_for(Role::Frontline)).await;
        let leader = token_for_user(&app, &username_for(Role::SeniorLeader)).await;

        // Open an audit: the contract's shape, the seed as a number.
        let (s, v) = app
            .api_json(&auditor, Method::POST, "/api/v1/compliance-audits", Some(json!({
                "period_start": "2024-01-01", "period_end": "2024-02-29", "sample_size": 4, "seed": 7
            })))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().expect("id is a number");
        assert_eq!(v["seed"], json!(7));
        assert_eq!(v["frame_size"], json!(10));
        let sample: Vec<String> = v["sample"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect();
        assert_eq!(sample.len(), 4);
        assert!(sample.iter().all(|r| r.starts_with("A2024-")));
        // The same seed sent as a string draws the same sample; the largest seed fits.
        let (s, v) = app
            .api_json(&auditor, Method::POST, "/api/v1/compliance-audits", Some(json!({
                "period_start": "01/01/2024", "period_end": "29/02/2024", "sample_size": 4, "seed": "7"
            })))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["sample"], json!(sample));
        let (s, v) = app
            .api_json(&auditor, Method::POST, "/api/v1/compliance-audits", Some(json!({
                "period_start": "2025-01-01", "period_end": "2025-02-28", "sample_size": 4, "seed": u64::MAX
            })))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["seed"].as_u64(), Some(u64::MAX));
        let id_2025 = v["id"].as_i64().unwrap();
        let sample_2025: Vec<String> = serde_json::from_value(v["sample"].clone()).unwrap();
        // No seed: a random one, reported as a number; no sample size: 35 (too many here).
        let (s, v) = app
            .api_json(
                &auditor,
                Method::POST,
                "/api/v1/compliance-audits",
                Some(json!({
                    "period_start": "2024-01-01", "period_end": "2025-12-31", "sample_size": 2
                })),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert!(v["seed"].is_u64(), "{v}");

        // Refusals: 4xx JSON with a plain message, and nothing written.
        let audits_before = count(&app.store, "compliance_audits").await;
        let events_before = count(&app.store, "audit_events").await;
        let open = |body: Value| {
            let app = &app;
            let auditor = auditor.clone();
            async move {
                app.api_json(
                    &auditor,
                    Method::POST,
                    "/api/v1/compliance-audits",
                    Some(body),
                )
                .await
            }
        };
        refused(
            open(json!({"period_start": "2024-01-01", "period_end": "2024-02-29", "sample_size": 11})).await,
            StatusCode::BAD_REQUEST,
            "larger than the number of incidents",
        );
        refused(
            open(json!({"period_start": "2024-01-01", "period_end": "2024-02-29"})).await,
            StatusCode::BAD_REQUEST,
            "The sample (35) is larger",
        );
        refused(
            open(
                json!({"period_start": "2024-02-30", "period_end": "2024-03-31", "sample_size": 1}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "period_start: ",
        );
        refused(
            open(
                json!({"period_start": "2024-03-01", "period_end": "2024-01-31", "sample_size": 1}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "is before its start",
        );
        refused(
            open(json!({"period_end": "2024-01-31", "sample_size": 1})).await,
            StatusCode::BAD_REQUEST,
            "period_start: give a date",
        );
        refused(
            open(json!({"period_start": "2024-01-01", "period_end": "2024-01-31", "sample_size": 1, "seed": -1})).await,
            StatusCode::BAD_REQUEST,
            "seed: ",
        );
        refused(
            open(
                json!({"period_start": "2024-01-01", "period_end": "2024-01-31", "sample_size": 0}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "sample_size: ",
        );
        assert_eq!(count(&app.store, "compliance_audits").await, audits_before);
        assert_eq!(count(&app.store, "audit_events").await, events_before);

        // Findings.
        let path = format!("/api/v1/compliance-audits/{id}/findings");
        let (s, v) = app
            .api_json(
                &auditor,
                Method::POST,
                &path,
                Some(finding(&sample[0], Some("child"), true, Some(true))),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["incident_ref"], json!(sample[0]));
        assert_eq!(v["required_reason"], json!("child"));
        assert_eq!(v["on_time"], json!(true));
        for (i, f) in [
            finding(&sample[1], Some("child"), false, None),
            finding(&sample[2], Some("adult_at_risk"), true, None),
            finding(&sample[3], None, true, Some(true)),
        ]
        .into_iter()
        .enumerate()
        {
            let (s, v) = app.api_json(&auditor, Method::POST, &path, Some(f)).await;
            assert_eq!(s, StatusCode::CREATED, "finding {i}: {v}");
        }
        // Changing a finding answers 200.
        let (s, _) = app
            .api_json(
                &auditor,
                Method::POST,
                &path,
                Some(finding(&sample[1], Some("child"), false, None)),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        for r in &sample_2025 {
            let (s, v) = app
                .api_json(
                    &auditor,
                    Method::POST,
                    &format!("/api/v1/compliance-audits/{id_2025}/findings"),
                    Some(finding(r, Some("child"), true, Some(true))),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }

        let findings_before = count(&app.store, "compliance_findings").await;
        let events_before = count(&app.store, "audit_events").await;
        let outside = (1..=10)
            .map(|i| format!("A2024-{i:02}"))
            .find(|r| !sample.contains(r))
            .unwrap();
        refused(
            app.api_json(
                &auditor,
                Method::POST,
                &path,
                Some(finding(&outside, Some("child"), true, None)),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "is not in the sample",
        );
        refused(
            app.api_json(
                &auditor,
                Method::POST,
                &path,
                Some(finding("NOPE-1", Some("child"), true, None)),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "no incident with the reference \"NOPE-1\"",
        );
        let mut inconsistent = finding(&sample[0], None, false, None);
        inconsistent["required_reason"] = json!("child");
        refused(
            app.api_json(&auditor, Method::POST, &path, Some(inconsistent))
                .await,
            StatusCode::BAD_REQUEST,
            "required_reason: Leave the reason empty",
        );
        let mut no_reason = finding(&sample[0], Some("child"), true, None);
        no_reason["required_reason"] = Value::Null;
        refused(
            app.api_json(&auditor, Method::POST, &path, Some(no_reason))
                .await,
            StatusCode::BAD_REQUEST,
            "required_reason: Say why",
        );
        refused(
            app.api_json(
                &auditor,
                Method::POST,
                &path,
                Some(finding(&sample[0], Some("dog"), true, None)),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "\"dog\" is not a reason",
        );
        refused(
            app.api_json(
                &auditor,
                Method::POST,
                &path,
                Some(finding(&sample[0], Some("child"), false, Some(true))),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "on_time: ",
        );
        refused(
            app.api_json(
                &auditor,
                Method::POST,
                &path,
                Some(json!({"incident_ref": sample[0], "form_required": false})),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "form_completed: say true or false",
        );
        refused(
            app.api_json(
                &other,
                Method::POST,
                &path,
                Some(finding(&sample[0], Some("child"), true, None)),
            )
            .await,
            StatusCode::NOT_FOUND,
            "There is no compliance audit",
        );
        refused(
            app.api_json(
                &auditor,
                Method::POST,
                "/api/v1/compliance-audits/999999/findings",
                Some(finding(&sample[0], Some("child"), true, None)),
            )
            .await,
            StatusCode::NOT_FOUND,
            "",
        );
        assert_eq!(
            count(&app.store, "compliance_findings").await,
            findings_before
        );
        // Nothing written but the trail of the two refused attempts (404s on a real route).
        assert_eq!(count(&app.store, "audit_events").await, events_before + 2);
        let (_, newest) = audit_events(&app.store, "").await;
        assert!(
            newest[..2].iter().all(|e| e.action == "access.refused"),
            "{:?}",
            newest[..2].iter().map(|e| &e.action).collect::<Vec<_>>()
        );

        // A frontline officer may do none of it.
        for (m, p, b) in [
            (
                Method::POST,
                "/api/v1/compliance-audits",
                Some(
                    json!({"period_start": "2024-01-01", "period_end": "2024-02-29", "sample_size": 1}),
                ),
            ),
            (
                Method::POST,
                path.as_str(),
                Some(finding(&sample[0], Some("child"), true, None)),
            ),
            (
                Method::GET,
                "/api/v1/compliance/summary?from=2024-01-01&to=2024-12-31",
                None,
            ),
        ] {
            let (s, v) = app.api_json(&officer, m, p, b).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{p}: {v}");
        }

        // The summary: counts, Wilson intervals, nulls for empty denominators, by subject.
        let (s, v) = app
            .api_json(
                &leader,
                Method::GET,
                "/api/v1/compliance/summary?from=2024-01-01&to=2024-12-31",
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["examined"], json!(4));
        assert_eq!(v["required"], json!(3));
        assert_eq!(v["completed_when_required"], json!(2));
        assert!((v["compliance"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
        let ci = v["compliance_ci95"].as_array().unwrap();
        assert_eq!(ci.len(), 2);
        assert!((ci[0].as_f64().unwrap() - 0.2077).abs() < 0.0005, "{ci:?}");
        assert!((ci[1].as_f64().unwrap() - 0.9385).abs() < 0.0005, "{ci:?}");
        assert_eq!(v["not_required"], json!(1));
        assert_eq!(v["completed_when_not_required"], json!(1));
        assert_eq!(v["over_referral"], json!(1.0));
        assert!(v["over_referral_ci95"].is_array());
        let subjects: Vec<&String> = v["by_subject"].as_object().unwrap().keys().collect();
        assert_eq!(
            subjects,
            ["adult_at_risk", "child", "not_required", "other"]
        );
        assert_eq!(v["by_subject"]["child"]["examined"], json!(2));
        assert_eq!(v["by_subject"]["other"]["compliance"], Value::Null);
        let (_, v) = app
            .api_json(
                &leader,
                Method::GET,
                "/api/v1/compliance/summary?from=2025-01-01&to=2025-12-31",
                None,
            )
            .await;
        assert_eq!(v["compliance"], json!(1.0));
        assert_eq!(v["not_required"], json!(0));
        assert_eq!(
            v["over_referral"],
            Value::Null,
            "no denominator, no proportion"
        );
        assert_eq!(v["over_referral_ci95"], Value::Null);
        let (_, v) = app
            .api_json(
                &leader,
                Method::GET,
                "/api/v1/compliance/summary?from=2023-01-01&to=2023-12-31",
                None,
            )
            .await;
        assert_eq!(
            (
                v["examined"].clone(),
                v["compliance"].clone(),
                v["compliance_ci95"].clone()
            ),
            (json!(0), Value::Null, Value::Null)
        );
        refused(
            app.api_json(
                &leader,
                Method::GET,
                "/api/v1/compliance/summary?from=2024-13-01&to=2024-12-31",
                None,
            )
            .await,
            StatusCode::BAD_REQUEST,
            "from: ",
        );
        refused(
            app.api_json(
                &leader,
                Method::GET,
                "/api/v1/compliance/summary?from=2024-12-01&to=2024-01-31",
                None,
            )
            .await,
            StatusCode::BAD_REQUEST,
            "is before its start",
        );
        refused(
            app.api_json(
                &leader,
                Method::GET,
                "/api/v1/compliance/summary?to=2024-01-31",
                None,
            )
            .await,
            StatusCode::BAD_REQUEST,
            "from: give a date",
        );

        // Year on year: difference = b − a, Newcombe interval around it, a p-value.
        let (s, v) = app
            .api_json(&leader, Method::GET, "/api/v1/compliance/compare?a_from=2024-01-01&a_to=2024-12-31&b_from=2025-01-01&b_to=2025-12-31", None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["a"]["completed_when_required"], json!(2));
        assert_eq!(v["b"]["completed_when_required"], json!(4));
        let d = v["difference"].as_f64().unwrap();
        assert!((d - (1.0 - 2.0 / 3.0)).abs() < 1e-12, "{d}");
        let ci = v["difference_ci95"].as_array().unwrap();
        let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
        assert!(lo < 0.0 && d < hi, "[{lo}, {hi}] includes 0 and {d}");
        let p = v["p_value"].as_f64().unwrap();
        assert!(p > 0.05 && p < 1.0, "{p}");
        let (_, v) = app
            .api_json(&leader, Method::GET, "/api/v1/compliance/compare?a_from=2023-01-01&a_to=2023-12-31&b_from=2025-01-01&b_to=2025-12-31", None)
            .await;
        assert_eq!(v["difference"], Value::Null);
        assert_eq!(v["p_value"], Value::Null);
        refused(
            app.api_json(
                &leader,
                Method::GET,
                "/api/v1/compliance/compare?a_from=2024-01-01&a_to=2024-12-31",
                None,
            )
            .await,
            StatusCode::BAD_REQUEST,
            "b_from: ",
        );

        // The OpenAPI document lists the calls.
        let doc = app.openapi().await;
        for p in [
            "/api/v1/compliance-audits",
            "/api/v1/compliance-audits/{id}/findings",
            "/api/v1/compliance/summary",
            "/api/v1/compliance/compare",
        ] {
            assert!(doc["paths"][p].is_object(), "{p}");
        }
    });
}

#[tokio::test]
async fn auditors_see_only_their_audits_and_record_findings_through_the_pages() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app.get(&trainer, "/compliance/audits").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Open an audit"));
        assert!(html.contains("value=\"35\""), "sample of 35 by default");

        // Errors the GOV.UK way; nothing written.
        let r = app
            .post_form(
                &trainer,
                "/compliance/audits",
                &[
                    ("title", ""),
                    ("period_start", "01/03/2024"),
                    ("period_end", "31/01/2024"),
                    ("sample_size", "0"),
                    ("seed", "x"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("<title>Error: "));
        for f in ["period_end", "sample_size", "seed"] {
            assert!(html.contains(&format!("href=\"#{f}\"")), "{f}");
        }
        let r = app
            .post_form(
                &trainer,
                "/compliance/audits",
                &[
                    ("period_start", "01/01/2024"),
                    ("period_end", "29/02/2024"),
                    ("sample_size", "12"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(
            html.contains("The sample (12) is larger than the number of incidents"),
            "{html}"
        );
        assert_eq!(count(&app.store, "compliance_audits").await, 0);

        let r = app
            .post_form(
                &trainer,
                "/compliance/audits",
                &[
                    ("title", "Trainer's audit"),
                    ("period_start", "01/01/2024"),
                    ("period_end", "29/02/2024"),
                    ("sample_size", "3"),
                    ("seed", "5"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let trainers = id_in(&location(&r), "/compliance/audits/");
        let auditor = app.signed_in(Role::Auditor).await;
        let r = app
            .post_form(
                &auditor,
                "/compliance/audits",
                &[
                    ("title", "Auditor's own audit"),
                    ("period_start", "01/01/2025"),
                    ("period_end", "28/02/2025"),
                    ("sample_size", "3"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let own = id_in(&location(&r), "/compliance/audits/");

        let two = app.sign_in_as(AUDITOR_TWO).await;
        let (_, html) = app.get(&two, "/compliance/audits").await;
        assert!(html.contains("No audits are assigned to you yet"));
        assert!(!html.contains(&format!("/compliance/audits/{trainers}\"")));
        assert!(!html.contains(&format!("/compliance/audits/{own}\"")));
        assert_eq!(
            app.get(&two, &format!("/compliance/audits/{trainers}"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&two, &format!("/compliance/audits/{trainers}/sample/1"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let (_, html) = app.get(&auditor, "/compliance/audits").await;
        assert!(html.contains(&format!("/compliance/audits/{own}\"")));
        assert!(
            !html.contains(&format!("/compliance/audits/{trainers}\"")),
            "not the trainer's"
        );
        let (_, html) = app.get(&trainer, "/compliance/audits").await;
        assert!(
            html.contains(&format!("/compliance/audits/{trainers}\""))
                && html.contains(&format!("/compliance/audits/{own}\""))
        );
        let token_two = token_for_user(&app, AUDITOR_TWO).await;
        let (_, v) = app
            .api_json(&token_two, Method::GET, "/api/v1/compliance-audits", None)
            .await;
        assert_eq!(v["items"], json!([]));

        // The trainer assigns the second auditor, who then sees the sample with what helps.
        let sample = app.sample_of(trainers).await;
        referral(&app.store, "PPN-77", &sample[0], "2024-01-05T09:15:00").await;
        let r = app
            .post_form(
                &trainer,
                &format!("/compliance/audits/{trainers}/auditors"),
                &[("auditors", AUDITOR_TWO)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (s, html) = app
            .get(&two, &format!("/compliance/audits/{trainers}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("0 of 3 done"));
        assert!(
            html.contains(&format!(
                "<a class=\"govuk-link\" href=\"/compliance/audits/{trainers}/referrals/PPN-77\">PPN-77</a> submitted 5 January 2024"
            )),
            "linked referral, a link"
        );
        assert!(html.contains("None linked"));
        assert!(html.contains("Domestic abuse"));
        assert!(html.contains(&sample[2]));
        let (_, v) = app
            .api_json(&token_two, Method::GET, "/api/v1/compliance-audits", None)
            .await;
        assert_eq!(v["items"][0]["id"], json!(trainers));

        // A finding through the form: errors first, then saved and on to the next.
        let page = format!("/compliance/audits/{trainers}/sample/1");
        let (s, html) = app.get(&two, &page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Was an information-sharing form (PPN) required?"));
        let r = app
            .post_form(
                &two,
                &page,
                &[("incident_ref", &sample[0]), ("form_completed", "yes")],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("<title>Error: "));
        assert!(html.contains("href=\"#form_required\""));
        assert!(html.contains("href=\"#on_time\""));
        assert_eq!(count(&app.store, "compliance_findings").await, 0);
        let r = app
            .post_form(
                &two,
                &page,
                &[
                    ("incident_ref", &sample[0]),
                    ("form_required", "yes"),
                    ("required_reason", "child"),
                    ("form_completed", "yes"),
                    ("on_time", "no"),
                    ("note", "Form found, two days late"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(location(&r).starts_with(&format!("/compliance/audits/{trainers}/sample/2?saved=")));
        // An answer to a question that does not apply is ignored, as the hint says.
        let r = app
            .post_form(
                &two,
                &format!("/compliance/audits/{trainers}/sample/2"),
                &[
                    ("incident_ref", &sample[1]),
                    ("form_required", "no"),
                    ("required_reason", "child"),
                    ("form_completed", "no"),
                    ("on_time", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app
            .get(&two, &format!("/compliance/audits/{trainers}"))
            .await;
        assert!(html.contains("2 of 3 done"));
        assert!(html.contains("Required (child involved); completed; late"));
        assert!(html.contains("Not required; not completed"));

        // Someone not assigned cannot record, even by posting the form.
        let admin = app.signed_in(Role::Administrator).await;
        let r = app
            .post_form(
                &admin,
                &page,
                &[
                    ("incident_ref", &sample[0]),
                    ("form_required", "no"),
                    ("form_completed", "no"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("only its assigned auditors and its owner"));

        // No redraw once findings exist; the page says why.
        let (_, html) = app
            .get(&trainer, &format!("/compliance/audits/{trainers}"))
            .await;
        assert!(html.contains("can no longer be drawn again"));
        let r = app
            .post_form(
                &trainer,
                &format!("/compliance/audits/{trainers}/redraw"),
                &[("reason", "Prefer another")],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("href=\"#reason\""), "error summary");
        assert!(html.contains("would let a sample be chosen for its results"));
        // The auditor's own audit has no findings: it can be redrawn, with a reason.
        let r = app
            .post_form(
                &auditor,
                &format!("/compliance/audits/{own}/redraw"),
                &[("reason", "")],
            )
            .await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Say why the sample is being drawn again"));
        let r = app
            .post_form(
                &auditor,
                &format!("/compliance/audits/{own}/redraw"),
                &[("reason", "Late import"), ("redraw_seed", "3")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app
            .get(&auditor, &format!("/compliance/audits/{own}"))
            .await;
        assert!(html.contains("Late import"));

        // Closing stops changes.
        let r = app
            .post_form(
                &trainer,
                &format!("/compliance/audits/{trainers}/close"),
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&two, &page).await;
        assert!(html.contains("This audit is closed"));
        assert!(!html.contains("Record the finding") && !html.contains("Change the finding"));

        // A frontline officer reaches none of it.
        let officer = app.signed_in(Role::Frontline).await;
        for p in [
            "/compliance/audits",
            "/compliance",
            "/compliance/export.csv",
        ] {
            assert_eq!(app.get(&officer, p).await.0, StatusCode::FORBIDDEN, "{p}");
        }
        // Views of the audit's incidents are in the audit trail.
        let (n, _) = trail::list(
            &app.store,
            &AuditFilter {
                action: "compliance_audit.view".into(),
                actor: AUDITOR_TWO.into(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert!(n >= 2, "{n}");
        let (n, _) = trail::list(
            &app.store,
            &AuditFilter {
                action: "compliance_incident.view".into(),
                entity_key: sample[0].clone(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert!(n >= 1);
    });
}

#[tokio::test]
async fn the_summary_page_shows_intervals_and_the_exports_let_every_figure_be_recomputed() {
    on_both!(|app| {
        let auditor = token_for_user(&app, &username_for(Role::Auditor)).await;
        let open = |from: &'static str, to: &'static str, n: u64| {
            let app = &app;
            let auditor = auditor.clone();
            async move {
                let (s, v) = app
                    .api_json(&auditor, Method::POST, "/api/v1/compliance-audits", Some(json!({"period_start": from, "period_end": to, "sample_size": n, "seed": 1})))
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
                let sample: Vec<String> = serde_json::from_value(v["sample"].clone()).unwrap();
                (v["id"].as_i64().unwrap(), sample)
            }
        };
        let record = |id: i64, body: Value| {
            let app = &app;
            let auditor = auditor.clone();
            async move {
                let (s, v) = app
                    .api_json(
                        &auditor,
                        Method::POST,
                        &format!("/api/v1/compliance-audits/{id}/findings"),
                        Some(body),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{v}");
            }
        };
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (s, html) = app.get(&leader, "/compliance").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("No findings have been recorded yet"));

        // 2024: 2 of 3 required had a form; 1 not required, which had one.
        let (a, s24) = open("2024-01-01", "2024-02-29", 4).await;
        record(a, finding(&s24[0], Some("child"), true, Some(true))).await;
        record(a, finding(&s24[1], Some("child"), false, None)).await;
        record(a, finding(&s24[2], Some("other"), true, Some(false))).await;
        record(a, finding(&s24[3], None, true, None)).await;
        // 2025: 4 of 4, one of them the hostile reference.
        let (b, s25) = open("2025-01-01", "2025-02-28", 3).await;
        for r in &s25 {
            record(b, finding(r, Some("child"), true, Some(true))).await;
        }
        let (c, evil) = open("2025-03-01", "2025-03-31", 1).await;
        record(c, finding(&evil[0], Some("adult_at_risk"), true, None)).await;

        let (s, html) = app.get(&leader, "/compliance").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("66.7% (95% CI 20.8% to 93.9%), 2 of 3"),
            "2024 with its interval"
        );
        assert!(
            html.contains("100.0% (95% CI 51.0% to 100.0%), 4 of 4"),
            "2025 with its interval"
        );
        assert!(
            html.contains("No figure: every incident needed a form"),
            "2025 over-referral"
        );
        assert!(html.contains("4 of 200 examined"));
        assert!(html.contains("2024 to 2025"));
        assert!(html.contains("Could be chance"));
        assert!(html.contains("+33.3 points (95% CI "));
        assert!(html.contains("<svg role=\"img\""), "the chart");
        assert!(
            html.contains("Compliance by year, with 95% intervals. 2024: 66.7%"),
            "its text alternative"
        );
        assert!(html.contains("2024 Q1 (January to March)"));
        assert!(html.contains("Adult at risk"));
        // Narrowed to 2024.
        let (_, html) = app
            .get(&leader, "/compliance?from=01%2F01%2F2024&to=31%2F12%2F2024")
            .await;
        assert!(html.contains("2 of 3"));
        assert!(!html.contains("4 of 4"));
        assert!(
            html.contains("export.csv?from=2024-01-01&#38;to=2024-12-31"),
            "exports keep the dates"
        );
        let (_, html) = app
            .get(&leader, "/compliance?from=31%2F12%2F2024&to=01%2F01%2F2024")
            .await;
        assert!(html.contains("<title>Error: "));

        // One row per finding, with columns that add up to the figures; formulas neutralised.
        let r = client()
            .get(app.url("/compliance/export.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed-in only");
        let r = leader
            .get(app.url("/compliance/export.csv"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let body = r.text().await.unwrap();
        let mut rd = csv::Reader::from_reader(body.as_bytes());
        let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 8);
        let sum = |name: &str, year: &str| -> u64 {
            rows.iter()
                .filter(|r| &r[col("Year")] == year)
                .map(|r| r[col(name)].parse::<u64>().unwrap())
                .sum()
        };
        assert_eq!(sum("Counts towards compliance (required)", "2024"), 3);
        assert_eq!(sum("Compliant (required and completed)", "2024"), 2);
        assert_eq!(sum("Over-referred (not required but completed)", "2024"), 1);
        assert_eq!(sum("Compliant (required and completed)", "2025"), 4);
        assert!(
            rows.iter()
                .any(|r| &r[col("Incident reference")] == "'=HYPERLINK(\"http://x\")"),
            "formula guarded"
        );
        assert!(rows
            .iter()
            .all(|r| !r[col("Incident reference")].starts_with('=')));
        let r = leader
            .get(app.url("/compliance/rollup.csv"))
            .send()
            .await
            .unwrap();
        let body = r.text().await.unwrap();
        assert!(
            body.lines()
                .any(|l| l.starts_with("Year,2024,4,3,2,0.66666")),
            "{body}"
        );
        let r = leader
            .get(app.url("/compliance/export.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
        let (n, _) = trail::list(
            &app.store,
            &AuditFilter {
                action: "compliance.export".into(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert_eq!(n, 3);
    });
}

#[tokio::test]
async fn an_auditor_reads_a_linked_referral_through_their_audit_and_open_audits_are_provisional() {
    on_both!(|app| {
        let auditor = app.signed_in(Role::Auditor).await;
        let r = app
            .post_form(
                &auditor,
                "/compliance/audits",
                &[
                    ("title", "January and February 2025"),
                    ("period_start", "01/01/2025"),
                    ("period_end", "28/02/2025"),
                    ("sample_size", "3"),
                    ("seed", "5"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let id = id_in(&location(&r), "/compliance/audits/");
        let sample = app.sample_of(id).await;
        let outside = ["A2025-01", "A2025-02", "A2025-03", "A2025-04"]
            .into_iter()
            .find(|r| !sample.iter().any(|s| s == r))
            .unwrap();
        let now = now_text();
        for (r, incident, narrative) in [
            (
                "PPN-IN",
                sample[0].as_str(),
                "Officers found the children alone.\nThe mother returned at 23:00.",
            ),
            ("PPN-OUT", outside, "Not in this audit's sample."),
        ] {
            sqlx::query(
                "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, partner, narrative, imported_at, updated_at)
                 VALUES ($1, $2, '2025-01-20T09:00:00', 'child', 'Children''s social care', $3, $4, $4)",
            )
            .bind(r)
            .bind(incident)
            .bind(narrative)
            .bind(&now)
            .execute(app.store.pool())
            .await
            .unwrap();
        }

        // The incident page links the referral to the audit's view of it and says where the
        // incident's own narrative lives.
        let (s, html) = app
            .get(&auditor, &format!("/compliance/audits/{id}/sample/1"))
            .await;
        assert_eq!(s, StatusCode::OK);
        let href = format!("/compliance/audits/{id}/referrals/PPN-IN");
        assert!(
            html.contains(&format!(
                "<a class=\"govuk-link\" href=\"{href}\">PPN-IN</a>"
            )),
            "{html}"
        );
        assert!(html.contains("The register holds no narrative for incidents"));
        assert!(html.contains(&format!("records-management system under {}", sample[0])));

        // The auditor lacks the register, but reads what the audit entitles them to: the
        // narrative, not the people named; the reading is audited with the audit it came through.
        assert_eq!(
            app.get(&auditor, "/register/referrals/PPN-IN").await.0,
            StatusCode::FORBIDDEN
        );
        let (s, html) = app.get(&auditor, &href).await;
        assert_eq!(s, StatusCode::OK, "{html}");
        assert!(
            html.contains("Officers found the children alone.")
                && html.contains("The mother returned at 23:00.")
        );
        assert!(html.contains("Children&#39;s social care"));
        assert!(
            !html.contains("Open the full record in the register"),
            "no link to a page they cannot open"
        );
        assert!(!html.contains("People named"));
        let (_, events) = audit_events(&app.store, "referral.view").await;
        let views: Vec<String> = events.into_iter().map(|e| e.summary).collect();
        assert!(
            views.iter().any(|v| v.contains(&format!(
                "Read referral PPN-IN (incident {}) through compliance audit {id}",
                sample[0]
            ))),
            "{views:?}"
        );

        // Not a referral of this audit's sample, nor an audit of theirs: not found.
        assert_eq!(
            app.get(
                &auditor,
                &format!("/compliance/audits/{id}/referrals/PPN-OUT")
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        let two = app.sign_in_as(AUDITOR_TWO).await;
        assert_eq!(app.get(&two, &href).await.0, StatusCode::NOT_FOUND);
        // A trainer, who may browse the register, is offered the full record too.
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app.get(&trainer, &href).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("href=\"/register/referrals/PPN-IN\""));
        // The register's incident page says where the narrative lives and links the referral.
        let (s, html) = app
            .get(&trainer, &format!("/register/incidents/{}", sample[0]))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("The register holds no narrative for incidents"),
            "{html}"
        );
        assert!(
            html.contains("href=\"/register/referrals/PPN-IN\""),
            "{html}"
        );

        // A finding in the still-open audit: the 2025 figures are provisional, on the page,
        // in the exports and in the API.
        let r = app
            .post_form(
                &auditor,
                &format!("/compliance/audits/{id}/sample/1"),
                &[
                    ("incident_ref", &sample[0]),
                    ("form_required", "yes"),
                    ("required_reason", "child"),
                    ("form_completed", "yes"),
                    ("on_time", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&auditor, "/compliance").await;
        assert!(html.contains("<th scope=\"row\" class=\"govuk-table__header\">2025 <strong class=\"govuk-tag govuk-tag--yellow\">Provisional</strong></th>"), "{html}");
        assert!(
            html.contains(
                "count 1 finding from an audit that is still open (January and February 2025)"
            ),
            "{html}"
        );
        let (_, csv) = app.get(&auditor, "/compliance/rollup.csv").await;
        let year = csv.lines().find(|l| l.starts_with("Year,2025,")).unwrap();
        assert!(year.ends_with(",Yes,1"), "{year}");
        let (_, csv) = app.get(&auditor, "/compliance/export.csv").await;
        assert!(csv.lines().nth(1).unwrap().ends_with(",Yes"), "{csv}");
        let token = token_for(&app, Role::Auditor).await;
        let (s, v) = api(
            &app,
            &token,
            Method::GET,
            "/api/v1/compliance/summary?from=2025-01-01&to=2025-12-31",
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["provisional"], true, "{v}");
        assert_eq!(v["by_year"][0]["provisional"], true);

        // Closed, the same figures are final.
        let r = app
            .post_form(&auditor, &format!("/compliance/audits/{id}/close"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&auditor, "/compliance").await;
        assert!(!html.contains("Provisional"), "{html}");
        let (_, v) = api(
            &app,
            &token,
            Method::GET,
            "/api/v1/compliance/summary?from=2025-01-01&to=2025-12-31",
            json!(null),
        )
        .await;
        assert_eq!(v["provisional"], false);
        assert_eq!(v["by_year"][0]["provisional"], false);
    });
}

#[tokio::test]
async fn a_200_incident_draw_through_the_api_is_200_different_incidents_of_the_frame_and_draws_again_the_same(
) {
    on_both!(|app| {
        let auditor = token_for_user(&app, &username_for(Role::Auditor)).await;
        // 450 incidents in May and June 2023, references out of time order, one just after.
        let mut frame = Vec::new();
        for i in 0..450u32 {
            let r = format!("M2023-{:05}", (i * 7919) % 10007);
            let at = format!(
                "2023-0{}-{:02}T{:02}:00:00",
                5 + i % 2,
                1 + (i * 7) % 28,
                (i * 13) % 24
            );
            incident(&app.store, &r, &at).await;
            frame.push(r);
        }
        incident(&app.store, "M2023-JULY", "2023-07-01T00:00:00").await;
        let open = |seed: u64| json!({"period_start": "2023-05-01", "period_end": "2023-06-30", "sample_size": 200, "seed": seed});
        let (s, v) = app
            .api_json(
                &auditor,
                Method::POST,
                "/api/v1/compliance-audits",
                Some(open(424242)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["frame_size"], json!(450));
        let sample: Vec<String> = serde_json::from_value(v["sample"].clone()).unwrap();
        let mut distinct = sample.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 200, "200 different incidents");
        assert!(
            sample.iter().all(|r| frame.contains(r)),
            "all from the frame"
        );
        let id = v["id"].as_i64().unwrap();
        assert_eq!(app.sample_of(id).await, sample, "recorded in draw order");
        // Drawn again from its recorded seed: the same 200, in the same order.
        assert_eq!(
            audits::sample_again(&app.store, id, 1).await.unwrap(),
            sample
        );
        let (s, v) = app
            .api_json(
                &auditor,
                Method::POST,
                "/api/v1/compliance-audits",
                Some(open(424242)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["sample"], json!(sample));
        let (s, v) = app
            .api_json(
                &auditor,
                Method::POST,
                "/api/v1/compliance-audits",
                Some(open(1)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_ne!(v["sample"], json!(sample), "another seed, another sample");
    });
}
