//! Sessions through the real server on both databases: the JSON API contract (times across
//! the clock changes, validation that writes nothing, waitlist promotion, the invitation parsed
//! by a standard iCalendar library), the session pages and the line manager's team booking.

use icalendar::{Calendar, Component};
use mashboard_domain::people::PersonDraft;
use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::common::*;

/// The app with e-mail addresses on the seeded people.
async fn spawn(url: &DbUrl) -> TestApp {
    spawn_with(url, WebConfig::default(), true).await
}

/// Learners in cohort 2026-A (two reporting to the line manager account's person, one
/// without an e-mail address) and a module; returns the module id.
async fn seed_learners(store: &Store) -> i64 {
    let lm = staff_for(Role::LineManager);
    let row = |sn: &str, name: &str, dept: &str, lm: &str, email: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            department: dept.into(),
            cohort: "2026-A".into(),
            line_manager_staff_number: lm.into(),
            email: email.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = vec![
        (
            2,
            row(
                "P100",
                "Ama Owusu",
                "Response",
                &lm,
                "ama@example.police.uk",
            ),
        ),
        (
            3,
            row(
                "P101",
                "Bartosz Nowak",
                "Response",
                &lm,
                "bartosz@example.police.uk",
            ),
        ),
        (4, row("P102", "Chloé Martin", "Response", "", "")),
    ];
    people::import(store, &Actor::system(), &rows, false, "test seed")
        .await
        .unwrap();
    mashboard_store::training::catalogue::create_module(
        store,
        &Actor::system(),
        &mashboard_store::training::catalogue::ModuleInput {
            code: "FRONT-2022".into(),
            title: "Frontline safeguarding input".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap()
    .id
}

async fn api(
    c: &Client,
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = c.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn parse_ics(text: &str) -> (String, String, String, String, Vec<String>) {
    let cal: Calendar = text
        .parse()
        .expect("a standard parser reads the invitation");
    let method = cal.property_value("METHOD").unwrap().to_string();
    let e = cal
        .components
        .iter()
        .find_map(|c| c.as_event())
        .expect("one VEVENT");
    let attendees = e
        .multi_properties()
        .get("ATTENDEE")
        .map(|v| v.iter().map(|p| p.value().to_string()).collect())
        .unwrap_or_default();
    (
        method,
        e.get_uid().unwrap().to_string(),
        e.property_value("SEQUENCE").unwrap().to_string(),
        e.property_value("STATUS").unwrap().to_string(),
        attendees,
    )
}

#[tokio::test]
async fn the_session_api_contract() {
    on_both!(|app| {
        let module = seed_learners(&app.store).await;
        let c = client();
        let t = token_for(&app, Role::MashTrainer).await;
        let frontline = token_for(&app, Role::Frontline).await;
        use reqwest::Method as M;

        let (s, v) = api(&c, &app, &t, M::GET, "/api/v1/modules", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == module && m["version"] == "1.0" && m["kind"] == "face_to_face"));

        let trainer = username_for(Role::MashTrainer);
        let good = json!({
            "module_id": module, "starts_at": "2026-03-29T09:00", "ends_at": "2026-03-29T12:00",
            "mode": "teams", "join_url": "https://teams.microsoft.com/l/meetup-join/abc",
            "capacity": 2, "trainers": [trainer, staff_for(Role::MashStaff)]
        });
        // Bad input: each a 4xx JSON with a message, nothing written.
        let bads = [
            (
                "ends_at",
                json!("2026-03-29T08:00"),
                "must be after the start",
            ),
            ("capacity", json!(0), "at least 1"),
            ("module_id", json!(99999), "no module"),
            ("starts_at", json!("next tuesday"), "not a date and time"),
            (
                "starts_at",
                json!("2026-03-29T01:30"),
                "does not exist in London",
            ),
            ("join_url", json!(""), "join link"),
            ("mode", json!("zoom"), "not a session mode"),
            ("trainers", json!(["nobody-at-all"]), "neither a user name"),
        ];
        for (field, value, words) in bads {
            let mut b = good.clone();
            b[field] = value;
            let (s, v) = api(&c, &app, &t, M::POST, "/api/v1/sessions", Some(b)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{field}: {v}");
            assert_eq!(v["error"], "bad_request");
            assert!(
                v["message"].as_str().unwrap().contains(words),
                "{field}: {v}"
            );
        }
        assert_eq!(count(&app.store, "training_sessions").await, 0);
        // Only those who run sessions may schedule one.
        let (s, _) = api(
            &c,
            &app,
            &frontline,
            M::POST,
            "/api/v1/sessions",
            Some(good.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // The day the clocks go forward: 09:00 London is 08:00 UTC.
        let (s, v) = api(
            &c,
            &app,
            &t,
            M::POST,
            "/api/v1/sessions",
            Some(good.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["starts_at"], "2026-03-29T09:00:00+01:00");
        assert_eq!(v["ends_at"], "2026-03-29T12:00:00+01:00");
        assert_eq!(
            (
                v["mode"].as_str(),
                v["status"].as_str(),
                v["capacity"].as_i64()
            ),
            (Some("teams"), Some("open"), Some(2))
        );
        assert_eq!(v["module_id"], module);
        assert_eq!(v["trainers"][0]["lead"], true);
        // An offset is kept as given (winter: London is UTC).
        let mut winter = good.clone();
        winter["starts_at"] = json!("2026-10-25T09:00:00Z");
        winter["ends_at"] = json!("2026-10-25T10:30:00+00:00");
        winter["mode"] = json!("in_person");
        winter["location"] = json!("Headquarters");
        let (s, w) = api(&c, &app, &t, M::POST, "/api/v1/sessions", Some(winter)).await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
        assert_eq!(w["starts_at"], "2026-10-25T09:00:00+00:00");
        assert_eq!(w["location"], "Headquarters");

        // Enrol: two places, then the waitlist; unknown numbers skipped with a reason.
        let path = format!("/api/v1/sessions/{id}/enrolments");
        let (s, r) = api(
            &c,
            &app,
            &t,
            M::POST,
            &path,
            Some(json!({"staff_numbers": ["P100", "P101", "P102", "NOPE1"]})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["enrolled"], json!(["P100", "P101"]));
        assert_eq!(r["waitlisted"], json!(["P102"]));
        assert_eq!(r["skipped"][0]["staff_number"], "NOPE1");
        // Enrolling someone twice: refused, nothing written.
        let outbox_before = count(&app.store, "mail_outbox").await;
        let (s, r) = api(
            &c,
            &app,
            &t,
            M::POST,
            &path,
            Some(json!({"staff_numbers": ["P100"]})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{r}");
        assert!(r["message"].as_str().unwrap().contains("already booked"));
        assert_eq!(count(&app.store, "mail_outbox").await, outbox_before);
        // By cohort: everyone already booked is skipped with a reason.
        let (s, r) = api(
            &c,
            &app,
            &t,
            M::POST,
            &path,
            Some(json!({"cohort": "2026-A"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["skipped"].as_array().unwrap().len(), 3);
        let (s, _) = api(
            &c,
            &app,
            &t,
            M::POST,
            &path,
            Some(json!({"cohort": "No such cohort"})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);

        let (s, v) = api(
            &c,
            &app,
            &t,
            M::GET,
            &format!("/api/v1/sessions/{id}"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["enrolled"], json!(["P100", "P101"]));
        assert_eq!(v["waitlist"], json!(["P102"]));
        assert_eq!(v["status"], "full");
        assert_eq!(v["attendance"], json!([]));

        // Capacity below the number enrolled: refused, nothing changes.
        let (s, r) = api(
            &c,
            &app,
            &t,
            M::PATCH,
            &format!("/api/v1/sessions/{id}"),
            Some(json!({"capacity": 1})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{r}");
        assert!(r["message"].as_str().unwrap().contains("already enrolled"));

        // The invitation: REQUEST, SEQUENCE 0, both enrolled people as attendees.
        let r = c
            .get(app.url(&format!("/api/v1/sessions/{id}/invite.ics")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
        let (method, uid, seq, status, att) = parse_ics(&r.text().await.unwrap());
        assert_eq!(
            (method.as_str(), seq.as_str(), status.as_str()),
            ("REQUEST", "0", "CONFIRMED")
        );
        assert_eq!(
            att,
            [
                "mailto:ama@example.police.uk",
                "mailto:bartosz@example.police.uk"
            ]
        );

        // Withdraw P100: P102 (first on the waitlist) takes the place.
        let (s, r) = api(
            &c,
            &app,
            &t,
            M::DELETE,
            &format!("/api/v1/sessions/{id}/enrolments/P100"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["promoted"], json!(["P102"]));
        let (s, _) = api(
            &c,
            &app,
            &t,
            M::DELETE,
            &format!("/api/v1/sessions/{id}/enrolments/P100"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);

        // Move it an hour later: SEQUENCE rises, same UID.
        let (s, v) = api(
            &c,
            &app,
            &t,
            M::PATCH,
            &format!("/api/v1/sessions/{id}"),
            Some(json!({"starts_at": "2026-03-29T10:00", "ends_at": "2026-03-29T13:00"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["sequence"], 1);
        let text = c
            .get(app.url(&format!("/api/v1/sessions/{id}/invite.ics")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (_, uid2, seq, _, _) = parse_ics(&text);
        assert_eq!((uid2.as_str(), seq.as_str()), (uid.as_str(), "1"));
        assert!(text.contains("DTSTART:20260329T090000Z"));

        // Cancel: reason required; then METHOD:CANCEL, STATUS:CANCELLED, same UID, higher SEQUENCE.
        let (s, _) = api(
            &c,
            &app,
            &t,
            M::POST,
            &format!("/api/v1/sessions/{id}/cancel"),
            Some(json!({})),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, v) = api(
            &c,
            &app,
            &t,
            M::POST,
            &format!("/api/v1/sessions/{id}/cancel"),
            Some(json!({"reason": "Trainer unwell"})),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "cancelled");
        let text = c
            .get(app.url(&format!("/api/v1/sessions/{id}/invite.ics")))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (method, uid3, seq, status, _) = parse_ics(&text);
        assert_eq!(
            (
                method.as_str(),
                uid3.as_str(),
                seq.as_str(),
                status.as_str()
            ),
            ("CANCEL", uid.as_str(), "2", "CANCELLED")
        );
        let (s, _) = api(
            &c,
            &app,
            &t,
            M::PATCH,
            &format!("/api/v1/sessions/{id}"),
            Some(json!({"capacity": 5})),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);

        // The outbox: one message per recipient, never an address of another.
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT kind, to_address, ics FROM mail_outbox WHERE session_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(app.store.pool())
        .await
        .unwrap();
        let kinds: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        // P102 has no address: promoted, updated and cancelled without e-mail.
        assert_eq!(
            kinds,
            [
                "invitation",
                "invitation",
                "withdrawal",
                "update",
                "cancellation"
            ]
        );
        for (_, to, ics) in &rows {
            let (_, _, _, _, att) = parse_ics(ics);
            assert_eq!(att, [format!("mailto:{to}")]);
        }

        // The list.
        let (s, v) = api(
            &c,
            &app,
            &frontline,
            M::GET,
            "/api/v1/sessions?status=cancelled",
            None,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["items"].as_array().unwrap().len(), 1);
        let (s, _) = api(
            &c,
            &app,
            &frontline,
            M::GET,
            "/api/v1/sessions?status=bogus",
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        // A frontline officer reading a session sees no one else's bookings.
        let (_, v) = api(
            &c,
            &app,
            &frontline,
            M::GET,
            &format!("/api/v1/sessions/{id}"),
            None,
        )
        .await;
        assert_eq!(v["enrolled"], json!([]));
    });
}

#[tokio::test]
async fn pages_team_booking_and_my_training() {
    on_both!(|app| {
        let module = seed_learners(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        // Schedule through the form, on the autumn clock-change day (01:30 happens twice:
        // the earlier one is taken).
        let r = app
            .post_form(
                &trainer,
                "/sessions/new",
                &[
                    ("module_id", &module.to_string()),
                    ("date", "2030-10-27"),
                    ("start_time", "01:30"),
                    ("end_time", "04:00"),
                    ("mode", "in_person"),
                    ("venue", ""),
                    ("capacity", "2"),
                    ("trainers", &username_for(Role::MashTrainer)),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("There is a problem") && html.contains("needs a venue"),
            "{html}"
        );
        let r = app
            .post_form(
                &trainer,
                "/sessions/new",
                &[
                    ("module_id", &module.to_string()),
                    ("date", "2030-03-31"),
                    ("start_time", "01:30"),
                    ("end_time", "04:00"),
                    ("mode", "in_person"),
                    ("venue", "HQ"),
                    ("capacity", "2"),
                    ("trainers", &username_for(Role::MashTrainer)),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("does not exist in London"), "{html}");
        assert_eq!(count(&app.store, "training_sessions").await, 0);
        let r = app
            .post_form(
                &trainer,
                "/sessions/new",
                &[
                    ("module_id", &module.to_string()),
                    ("date", "2030-10-27"),
                    ("start_time", "01:30"),
                    ("end_time", "04:00"),
                    ("mode", "in_person"),
                    ("venue", "Headquarters"),
                    ("room", "Room 2"),
                    ("capacity", "2"),
                    ("trainers", &username_for(Role::MashTrainer)),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let id: i64 = loc
            .trim_start_matches("/sessions/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let starts: String =
            sqlx::query_scalar("SELECT starts_at FROM training_sessions WHERE id = $1")
                .bind(id)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!(
            starts, "2030-10-27T00:30:00.000000Z",
            "01:30 BST, the earlier of the two"
        );
        let (s, html) = app.get(&trainer, &loc).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("Sunday 27 October 2030, 1:30am to 4am"),
            "{html}"
        );
        assert!(html.contains("Download invitation (.ics)"));
        assert!(html.contains(&format!("/sessions/{id}/attendance")));

        // The line manager books their own reports only.
        let lm = app.signed_in(Role::LineManager).await;
        let (s, html) = app.get(&lm, "/sessions/team").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("Ama Owusu") && !html.contains("Chloé Martin"),
            "{html}"
        );
        let r = app
            .post_form(
                &lm,
                "/sessions/team/enrol-many",
                &[
                    ("session_id", &id.to_string()),
                    ("staff_number", "P100"),
                    ("staff_number", "P102"),
                    ("return_to", "/coverage?requirement=1"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = r.headers()["location"].to_str().unwrap();
        assert_eq!(
            to,
            format!(
                "/coverage?requirement=1&booked_session={id}&enrolled=1&waitlisted=0&skipped=1"
            )
        );
        // An outside return_to is not followed.
        let r = app
            .post_form(
                &lm,
                "/sessions/team/enrol-many",
                &[
                    ("session_id", &id.to_string()),
                    ("staff_number", "P101"),
                    ("return_to", "//evil.example/x"),
                ],
            )
            .await;
        assert!(r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sessions/team?"));
        // Not their report: refused, nothing changes.
        let r = app
            .post_form(
                &lm,
                "/sessions/team/withdraw",
                &[("session_id", &id.to_string()), ("staff_number", "P102")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        // A frontline officer cannot use the trainer's bulk booking.
        let officer = app.signed_in(Role::Frontline).await;
        let r = app
            .post_form(
                &officer,
                "/sessions/enrol-many",
                &[("session_id", &id.to_string()), ("staff_number", "P102")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // The trainer's bulk booking: the session is full now, so P102 waits.
        let r = app
            .post_form(
                &trainer,
                "/sessions/enrol-many",
                &[
                    ("session_id", &id.to_string()),
                    ("staff_number", "P102"),
                    ("return_to", &format!("/sessions/{id}")),
                ],
            )
            .await;
        assert_eq!(
            r.headers()["location"].to_str().unwrap(),
            format!("/sessions/{id}?booked_session={id}&enrolled=0&waitlisted=1&skipped=0")
        );
        // The line manager withdraws their report: P102 takes the place.
        let r = app
            .post_form(
                &lm,
                "/sessions/team/withdraw",
                &[("session_id", &id.to_string()), ("staff_number", "P101")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, v) = api(
            &client(),
            &app,
            &token_for(&app, Role::MashTrainer).await,
            reqwest::Method::GET,
            &format!("/api/v1/sessions/{id}"),
            None,
        )
        .await;
        assert_eq!(v["enrolled"], json!(["P100", "P102"]));

        // Pages for series, trainers and the list.
        let r = app
            .post_form(
                &trainer,
                "/sessions/series",
                &[("name", "2026 frontline programme")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let series_path = r.headers()["location"].to_str().unwrap().to_string();
        let (s, html) = app.get(&trainer, &series_path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("2026 frontline programme"));
        for path in [
            "/sessions",
            "/sessions/series",
            "/sessions/trainers",
            &format!("/sessions/{id}/edit"),
            "/sessions/new",
        ] {
            let (s, _) = app.get(&trainer, path).await;
            assert_eq!(s, StatusCode::OK, "{path}");
        }
        let (s, _) = app.get(&officer, "/sessions/trainers").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // The officer's page shows no one's bookings.
        let (s, html) = app.get(&officer, &format!("/sessions/{id}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!html.contains("Ama Owusu"));
        // Cancel with a reason from the page.
        let r = app
            .post_form(
                &trainer,
                &format!("/sessions/{id}/cancel"),
                &[("reason", "")],
            )
            .await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Enter why the session is cancelled"));
        let r = app
            .post_form(
                &trainer,
                &format!("/sessions/{id}/cancel"),
                &[("reason", "Venue flooded")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = trainer
            .get(app.url(&format!("/sessions/{id}/invite.ics")))
            .send()
            .await
            .unwrap();
        let (method, _, seq, status, _) = parse_ics(&r.text().await.unwrap());
        assert_eq!(
            (method.as_str(), seq.as_str(), status.as_str()),
            ("CANCEL", "1", "CANCELLED")
        );
    });
}

#[tokio::test]
async fn people_see_and_withdraw_their_own_bookings_on_my_training() {
    on_both!(|app| {
        let module = seed_learners(&app.store).await;
        let t = token_for(&app, Role::MashTrainer).await;
        let c = client();
        let (_, v) = api(&c, &app, &t, reqwest::Method::POST, "/api/v1/sessions", Some(json!({
            "module_id": module, "starts_at": "2030-06-01T09:00", "ends_at": "2030-06-01T12:00",
            "mode": "in_person", "location": "HQ", "capacity": 1, "trainers": [username_for(Role::MashTrainer)]
        }))).await;
        let id = v["id"].as_i64().unwrap();
        let me = staff_for(Role::Frontline);
        let (s, _) = api(
            &c,
            &app,
            &t,
            reqwest::Method::POST,
            &format!("/api/v1/sessions/{id}/enrolments"),
            Some(json!({"staff_numbers": [me, "P100"]})),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let officer = app.signed_in(Role::Frontline).await;
        let (s, html) = app.get(&officer, "/my/training").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("Your session bookings") && html.contains("You have a place"),
            "{html}"
        );
        // The officer's own invitation lists only them.
        let r = officer
            .get(app.url(&format!("/sessions/{id}/invite.ics")))
            .send()
            .await
            .unwrap();
        let (_, _, _, _, att) = parse_ics(&r.text().await.unwrap());
        assert_eq!(
            att,
            [format!("mailto:{}@example.police.uk", me.to_lowercase())]
        );
        let r = app
            .post_form(
                &officer,
                &format!("/sessions/{id}/withdraw-me"),
                &[("return_to", "/my/training#sessions")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            r.headers()["location"].to_str().unwrap(),
            "/my/training?saved=withdrawn#sessions"
        );
        let (_, v) = api(
            &c,
            &app,
            &t,
            reqwest::Method::GET,
            &format!("/api/v1/sessions/{id}"),
            None,
        )
        .await;
        assert_eq!(
            v["enrolled"],
            json!(["P100"]),
            "the waitlisted person took the place"
        );
    });
}

#[tokio::test]
async fn cohorts_chosen_when_scheduling_are_booked_within_capacity() {
    on_both!(|app| {
        let module = seed_learners(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let r = app
            .post_form(
                &trainer,
                "/sessions/new",
                &[
                    ("module_id", &module.to_string()),
                    ("date", "2030-06-12"),
                    ("start_time", "09:00"),
                    ("end_time", "12:00"),
                    ("mode", "in_person"),
                    ("venue", "Headquarters"),
                    ("capacity", "2"),
                    ("trainers", &username_for(Role::MashTrainer)),
                    ("cohorts", "2026-A"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let loc = location(&r);
        assert!(loc.contains("saved=created_enrolled"), "{loc}");
        let (_, html) = app.get(&trainer, &loc).await;
        assert!(
            html.contains("booked on it") && html.contains("2 enrolled, 1 on the waitlist"),
            "{html}"
        );
        // The names link to the people, for a viewer who may see people.
        assert!(html.contains("href=\"/people/P100\""), "{html}");
        let enrolled: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM session_enrolments WHERE status = 'enrolled'",
        )
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert_eq!(enrolled, 2);
        // A frontline officer sees names without links.
        let frontline = app.signed_in(Role::Frontline).await;
        let id = loc
            .trim_start_matches("/sessions/")
            .split('?')
            .next()
            .unwrap();
        let (_, html) = app.get(&frontline, &format!("/sessions/{id}")).await;
        assert!(!html.contains("href=\"/people/"), "{html}");
    });
}

#[tokio::test]
async fn cohorts_in_a_session_scheduled_through_the_api_are_booked() {
    on_both!(|app| {
        let module = seed_learners(&app.store).await;
        let t = token_for(&app, Role::MashTrainer).await;
        let c = client();
        let (s, v) = api(
            &c,
            &app,
            &t,
            reqwest::Method::POST,
            "/api/v1/sessions",
            Some(json!({
                "module_id": module, "starts_at": "2030-06-12T09:00", "ends_at": "2030-06-12T12:00",
                "mode": "in_person", "location": "HQ", "capacity": 2,
                "trainers": [username_for(Role::MashTrainer)],
                "audience": [
                    {"kind": "cohort", "value": "2026-A"},
                    {"kind": "cohort", "value": "No such cohort"},
                    {"kind": "department", "value": "Response"}
                ]
            })),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        // Two places, three people in the cohort: two enrolled, one waiting, as on the page.
        assert_eq!(v["enrolled"].as_array().unwrap().len(), 2, "{v}");
        assert_eq!(v["waitlist"].as_array().unwrap().len(), 1, "{v}");
        let booking = &v["cohort_booking"];
        assert_eq!(booking["enrolled"].as_array().unwrap().len(), 2, "{v}");
        assert_eq!(booking["waitlisted"].as_array().unwrap().len(), 1, "{v}");
        let skipped = booking["skipped"].as_array().unwrap();
        assert!(
            skipped
                .iter()
                .any(|s| s["staff_number"] == "Cohort No such cohort"),
            "the empty cohort is named: {v}"
        );
        // A department in the audience says who it is for; it books nobody by itself.
        let id = v["id"].as_i64().unwrap();
        let booked: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM session_enrolments WHERE session_id = $1 AND status <> 'withdrawn'",
        )
        .bind(id)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
        assert_eq!(booked, 3);
        // Without a cohort nothing is booked and the answer has no booking.
        let (s, v) = api(
            &c,
            &app,
            &t,
            reqwest::Method::POST,
            "/api/v1/sessions",
            Some(json!({
                "module_id": module, "starts_at": "2030-06-13T09:00", "ends_at": "2030-06-13T12:00",
                "mode": "in_person", "location": "HQ", "capacity": 2,
                "trainers": [username_for(Role::MashTrainer)]
            })),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        assert!(v.get("cohort_booking").is_none(), "{v}");
        assert_eq!(v["enrolled"], json!([]));
    });
}

/// The `/people/…` links on a page.
fn people_links(html: &str) -> Vec<String> {
    html.split("href=\"/people/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|sn| format!("/people/{sn}"))
        .collect()
}

#[tokio::test]
async fn a_session_page_links_only_the_trainers_whose_page_opens_for_its_reader() {
    on_both!(|app| {
        let module = seed_learners(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let r = app
            .post_form(
                &trainer,
                "/sessions/new",
                &[
                    ("module_id", &module.to_string()),
                    ("date", "2030-05-14"),
                    ("start_time", "10:00"),
                    ("end_time", "12:00"),
                    ("mode", "in_person"),
                    ("venue", "Headquarters"),
                    ("capacity", "10"),
                    (
                        "trainers",
                        &format!(
                            "{}, {}",
                            username_for(Role::MashTrainer),
                            username_for(Role::Mentor)
                        ),
                    ),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let page = r.headers()["location"].to_str().unwrap().to_string();
        let (trainer_page, mentor_page) = (
            format!("/people/{}", staff_for(Role::MashTrainer)),
            format!("/people/{}", staff_for(Role::Mentor)),
        );
        let mentor = app.signed_in(Role::Mentor).await;
        let manager = app.signed_in(Role::LineManager).await;
        // (reader, the trainers' pages linked for them)
        for (who, reader, linked) in [
            (
                "trainer",
                &trainer,
                vec![trainer_page.clone(), mentor_page.clone()],
            ),
            // A mentor may open their own page, not the lead trainer's.
            ("mentor", &mentor, vec![mentor_page.clone()]),
            // A line manager may open their own people's pages: neither trainer is theirs.
            ("line manager", &manager, vec![]),
        ] {
            let (s, html) = app.get(reader, &page).await;
            assert_eq!(s, StatusCode::OK, "{who}");
            assert!(
                html.contains("Person MASH trainer") && html.contains("Person Mentor"),
                "{who} sees both trainers named: {html}"
            );
            let links = people_links(&html);
            assert_eq!(links, linked, "{who}");
            for link in links {
                let (s, _) = app.get(reader, &link).await;
                assert_eq!(s, StatusCode::OK, "{who} opens {link}");
            }
        }
    });
}
