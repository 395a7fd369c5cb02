//! Coverage of delivery requirements through the real server on both databases: the API
//! contract and its refusals, scoping (a line manager sees their own reports, a senior leader
//! figures without names), the pages, the one-step booking form, exports and the requirement
//! form.

use mashboard_domain::coverage::{Clause, CountsAs, Rule, Transferees};
use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::coverage::{self, RequirementInput};
use mashboard_store::{now_text, Store};
use reqwest::header::LOCATION;
use reqwest::StatusCode;

use crate::common::*;

async fn insert_person(
    store: &Store,
    sn: &str,
    name: &str,
    dept: &str,
    start: &str,
    manager: Option<i64>,
) -> i64 {
    let now = now_text();
    sqlx::query_scalar(
        "INSERT INTO people (staff_number, name, rank, department, team, start_date, cohort, line_manager_id, active, created_at, updated_at)
         VALUES ($1, $2, 'PC', $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id",
    )
    .bind(sn)
    .bind(name)
    .bind(dept)
    .bind(format!("{dept} - A Shift"))
    .bind(start)
    .bind(format!("{} PC intake 1", &start[..4]))
    .bind(manager)
    .bind(&now)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

struct World {
    requirement: i64,
    session: i64,
}

/// Five new constables: two in Response managed by the line manager (one trained, one not),
/// one in Response booked on an upcoming session, two in Neighbourhood Policing untrained.
async fn world(app: &TestApp) -> World {
    let store = &app.store;
    let now = now_text();
    let module: i64 = sqlx::query_scalar(
        "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at)
         VALUES ('FL-PPN', 'Frontline referral input', 'face_to_face', 'live', '1.0', $1, $1) RETURNING id",
    )
    .bind(&now)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let manager = person_id(&app.store, &staff_for(Role::LineManager)).await;
    let trained = insert_person(
        store,
        "R1001",
        "Rhian Trained",
        "Response",
        "2022-02-07",
        Some(manager),
    )
    .await;
    insert_person(
        store,
        "R1002",
        "Ravi Untrained",
        "Response",
        "2022-02-07",
        Some(manager),
    )
    .await;
    let booked = insert_person(
        store,
        "R1003",
        "Rosa Booked",
        "Response",
        "2023-02-06",
        None,
    )
    .await;
    insert_person(
        store,
        "N2001",
        "Nadia Neighbourhood",
        "Neighbourhood Policing",
        "2024-02-05",
        None,
    )
    .await;
    insert_person(
        store,
        "N2002",
        "Niall Neighbourhood",
        "Neighbourhood Policing",
        "2024-02-05",
        None,
    )
    .await;
    let session: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (module_id, module_version, title, starts_at, ends_at, mode, capacity, status, ics_uid, created_by, created_at, updated_at)
         VALUES ($1, '1.0', 'Referral input', '2099-03-01T09:00:00.000000Z', '2099-03-01T12:00:00.000000Z', 'teams', 20, 'open', 'uid-cov', 'test', $2, $2) RETURNING id",
    )
    .bind(module)
    .bind(&now)
    .fetch_one(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO session_enrolments (session_id, person_id, status, booked_by, created_at, updated_at) VALUES ($1, $2, 'enrolled', 'test', $3, $3)",
    )
    .bind(session)
    .bind(booked)
    // Booked before the day the API is asked about (a booking counts from when it was made).
    .bind("2026-11-01T10:00:00.000000Z")
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at)
         VALUES ($1, $2, '1.0', '2022-03-01', 'face_to_face', 'signed_off', 'imported', 'test', $3, $3)",
    )
    .bind(trained)
    .bind(module)
    .bind(&now)
    .execute(store.pool())
    .await
    .unwrap();
    let requirement = coverage::create_requirement(
        store,
        &Actor::system(),
        &RequirementInput {
            code: "FL-PPN-PC".into(),
            name: "New constables from 2022".into(),
            description: String::new(),
            rule: Rule {
                clauses: vec![Clause {
                    ranks: vec!["PC".into()],
                    started_from: Some(time::macros::date!(2022 - 01 - 01)),
                    transferees: Transferees::Exclude,
                    ..Default::default()
                }],
            },
            modules: vec![(module, CountsAs::Session)],
        },
    )
    .await
    .unwrap();
    World {
        requirement,
        session,
    }
}

#[tokio::test]
async fn the_api_answers_the_contract_and_refuses_bad_input() {
    on_both!(|app| {
        let w = world(&app).await;
        let (s, v) = app
            .api_as(Role::MashTrainer, "/api/v1/coverage/requirements")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["items"][0]["id"], w.requirement);
        assert_eq!(v["items"][0]["code"], "FL-PPN-PC");

        let path = format!(
            "/api/v1/coverage?requirement={}&as_of=2026-11-26",
            w.requirement
        );
        let (s, v) = app.api_as(Role::MashTrainer, &path).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["required"], 5);
        assert_eq!(v["trained"], 1);
        assert_eq!(v["booked"], 1);
        assert_eq!(
            v["untrained"],
            serde_json::json!(["N2001", "N2002", "R1002", "R1003"])
        );
        assert_eq!(v["by_department"]["Response"]["required"], 3);
        assert_eq!(v["by_department"]["Response"]["trained"], 1);
        assert_eq!(v["by_cohort"]["2024 PC intake 1"]["required"], 2);
        assert_eq!(v["trained_how"]["imported"], 1);

        // Earlier, fewer had started.
        let (_, v) = app
            .api_as(
                Role::MashTrainer,
                &format!(
                    "/api/v1/coverage?requirement={}&as_of=2022-12-31",
                    w.requirement
                ),
            )
            .await;
        assert_eq!(v["required"], 2);

        // Refusals, in words.
        let (s, v) = app
            .api_as(
                Role::MashTrainer,
                &format!(
                    "/api/v1/coverage?requirement={}&as_of=2026-02-30",
                    w.requirement
                ),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(v["error"], "bad_request");
        assert!(v["message"].as_str().unwrap().contains("as_of"), "{v}");
        let (s, v) = app
            .api_as(Role::MashTrainer, "/api/v1/coverage?requirement=9999")
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(v["message"].as_str().unwrap().contains("9999"));
        let (s, _) = app.api_as(Role::MashTrainer, "/api/v1/coverage").await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = app
            .api_as(Role::MashTrainer, "/api/v1/coverage?requirement=abc")
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);

        // A line manager sees their own reports only; a senior leader figures without names;
        // the frontline nothing.
        let (s, v) = app.api_as(Role::LineManager, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["required"], 2);
        assert_eq!(v["untrained"], serde_json::json!(["R1002"]));
        assert_eq!(v["scope"], "line_reports");
        let (s, v) = app.api_as(Role::SeniorLeader, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["required"], 5);
        assert_eq!(v["untrained"], serde_json::json!([]));
        assert_eq!(v["names_hidden"], true);
        let (s, _) = app.api_as(Role::Frontline, &path).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    });
}

#[tokio::test]
async fn the_page_answers_who_in_response_is_untrained_and_books_them() {
    on_both!(|app| {
        let w = world(&app).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app.get(&trainer, "/coverage").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("New constables from 2022"));

        let page = format!("/coverage/{}?department=Response", w.requirement);
        let (s, html) = app.get(&trainer, &page).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Ravi Untrained") && html.contains("R1002"));
        assert!(
            html.contains("Rosa Booked"),
            "booked people are still untrained"
        );
        assert!(
            !html.contains("Nadia Neighbourhood"),
            "the filter keeps Response only"
        );
        assert!(!html.contains("Rhian Trained"));
        assert!(html.contains("action=\"/sessions/enrol-many\""));
        assert!(html.contains(&format!("<option value=\"{}\">", w.session)));
        assert!(html.contains("name=\"staff_number\" type=\"checkbox\" value=\"R1002\""));
        assert!(html.contains("name=\"return_to\" value=\"/coverage/"));

        // A bad date is a form error, not a failure.
        let (s, html) = app
            .get(
                &trainer,
                &format!("/coverage/{}?as_of=31/02/2024", w.requirement),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("govuk-error-summary"));

        // Exports: everyone required with their standing; a formula-looking value is defused.
        let r = trainer
            .get(app.url(&format!(
                "/coverage/{}/export.csv?department=Response",
                w.requirement
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("Staff number,Name"));
        assert!(csv.contains("R1001,Rhian Trained") && csv.contains("Trained"));
        assert_eq!(csv.lines().count(), 4);
        let r = trainer
            .get(app.url(&format!("/coverage/{}/export.xlsx", w.requirement)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.bytes().await.unwrap().starts_with(b"PK"));

        // A line manager: their own team, booking through the team route.
        let manager = app.signed_in(Role::LineManager).await;
        let (s, html) = app
            .get(&manager, &format!("/coverage/{}", w.requirement))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Ravi Untrained"));
        assert!(!html.contains("Rosa Booked") && !html.contains("N2001"));
        assert!(html.contains("action=\"/sessions/team/enrol-many\""));

        // A senior leader: figures, no names, exports without names.
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (s, html) = app
            .get(&leader, &format!("/coverage/{}", w.requirement))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(!html.contains("R1002") && !html.contains("Ravi"));
        assert!(!html.contains("enrol-many"));
        let csv = leader
            .get(app.url(&format!("/coverage/{}/export.csv", w.requirement)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with("Grouped by"));
        assert!(!csv.contains("R1002"));

        // The frontline may not see coverage at all.
        let frontline = app.signed_in(Role::Frontline).await;
        let (s, _) = app
            .get(&frontline, &format!("/coverage/{}", w.requirement))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    });
}

#[tokio::test]
async fn a_trainer_adds_and_changes_a_requirement_through_the_form() {
    on_both!(|app| {
        let w = world(&app).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app.get(&trainer, "/coverage/new").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("c0_ranks"));
        let module: i64 = sqlx::query_scalar("SELECT id FROM modules WHERE code = 'FL-PPN'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let mfield = format!("m{module}");

        // No module chosen: an error naming it, nothing saved.
        let r = app
            .post_form(
                &trainer,
                "/coverage/new",
                &[
                    ("code", "FL-RESP"),
                    ("name", "Response CPD"),
                    ("c0_departments", "Response"),
                    ("c0_in_post_on", "31/12/2022"),
                    ("c0_transferees", "include"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("Choose at least one module"), "{html}");
        assert!(
            html.contains("value=\"Response\""),
            "the form keeps what was typed"
        );
        // A bad date names the clause and the field.
        let r = app
            .post_form(
                &trainer,
                "/coverage/new",
                &[
                    ("code", "FL-RESP"),
                    ("name", "Response CPD"),
                    ("c0_departments", "Response"),
                    ("c0_in_post_on", "31/13/2022"),
                    (&mfield, "session"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("Clause 1, in post on"), "{html}");
        assert_eq!(
            coverage::requirements(&app.store, true)
                .await
                .unwrap()
                .len(),
            1
        );

        let r = app
            .post_form(
                &trainer,
                "/coverage/new",
                &[
                    ("code", "FL-RESP"),
                    ("name", "Response CPD"),
                    ("c0_departments", "Response"),
                    ("c0_in_post_on", "31/12/2026"),
                    ("c1_ranks", ""),
                    (&mfield, "session"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let location = r.headers()[LOCATION].to_str().unwrap().to_string();
        let id: i64 = location
            .strip_prefix("/coverage/")
            .unwrap()
            .parse()
            .unwrap();
        let req = coverage::requirement(&app.store, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(req.rule.clauses.len(), 1, "the blank clause is left out");
        assert_eq!(
            req.rule.clauses[0].departments,
            vec!["Response".to_string()]
        );

        // Its edit page shows what is stored; a change is saved.
        let (_, html) = app.get(&trainer, &format!("/coverage/{id}/edit")).await;
        assert!(html.contains("value=\"31/12/2026\""));
        let r = app
            .post_form(
                &trainer,
                &format!("/coverage/{id}/edit"),
                &[
                    ("code", "FL-RESP"),
                    ("name", "Response CPD (all)"),
                    ("c0_departments", "Response, Neighbourhood Policing"),
                    (&mfield, "any"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let req = coverage::requirement(&app.store, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(req.rule.clauses[0].departments.len(), 2);
        // A duplicate code is refused in words.
        let r = app
            .post_form(
                &trainer,
                &format!("/coverage/{id}/edit"),
                &[
                    ("code", "FL-PPN-PC"),
                    ("name", "Clash"),
                    ("c0_departments", "Response"),
                    (&mfield, "any"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("already a requirement with the code FL-PPN-PC"));

        // Retire it: gone from the list.
        let r = app
            .post_form(
                &trainer,
                &format!("/coverage/{id}/active"),
                &[("active", "0")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(
            !coverage::requirement(&app.store, id)
                .await
                .unwrap()
                .unwrap()
                .active
        );
        let _ = w;

        // Only those who manage sessions may add requirements.
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (s, _) = app.get(&leader, "/coverage/new").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    });
}

#[tokio::test]
async fn booking_from_the_page_keeps_the_filters_and_says_what_happened() {
    on_both!(|app| {
        let w = world(&app).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let page = format!("/coverage/{}?department=Response", w.requirement);
        let session = w.session.to_string();

        // Nobody ticked: back to the same filtered page with the error summary.
        let r = app
            .post_form(
                &trainer,
                "/sessions/enrol-many",
                &[("session_id", &session), ("return_to", &page)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let back = location(&r);
        assert!(back.starts_with(&page), "{back}");
        let (s, html) = app.get(&trainer, &back).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("govuk-error-summary")
                && html.contains("Tick at least one person to book"),
            "{html}"
        );
        assert!(!html.contains("Nadia Neighbourhood"), "the filter is kept");

        // One ticked: a success banner on the same page.
        let r = app
            .post_form(
                &trainer,
                "/sessions/enrol-many",
                &[
                    ("session_id", session.as_str()),
                    ("return_to", page.as_str()),
                    ("staff_number", "R1002"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&trainer, &location(&r)).await;
        assert!(
            html.contains("govuk-notification-banner--success")
                && html.contains("Booked 1 person onto the session."),
            "{html}"
        );
    });
}
