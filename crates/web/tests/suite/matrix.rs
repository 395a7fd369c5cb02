//! The compliance matrix, its exports, the figures without names, reminders, the CPD log and
//! the personal training download, against the real server on SQLite and PostgreSQL.

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::training::{cpd, programmes};
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use reqwest::StatusCode;

use crate::common::*;

/// People: two line managers (M1, M2), MASH staff S1 (managed by M1) and S2 (managed by M2, with
/// a name that looks like a formula), a trainer, a senior leader and someone in Response.
/// S1 and S2 are on the MASH profile from 2020, which requires RISK within 30 days: S1 never did
/// it (overdue since 1 February 2020); S2 recorded it, awaiting sign-off.
async fn seed(store: &Store) {
    let actor = Actor::system();
    let person = |sn: &str, name: &str, dept: &str, team: &str, manager: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            department: dept.into(),
            team: team.into(),
            line_manager_staff_number: manager.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = [
        person("M1", "Mia Manager", "Public Protection", "MASH", ""),
        person("M2", "Max Manager", "Public Protection", "MASH", ""),
        person("S1", "Sam Staff", "Public Protection", "MASH", "M1"),
        person("S2", "=Eve Formula", "Public Protection", "MASH", "M2"),
        person("TR", "Tia Trainer", "Public Protection", "MASH", ""),
        person("SL", "Lee Leader", "Command", "Command", ""),
        person("R1", "Rob Response", "Response", "Team A", "M1"),
    ];
    let rows: Vec<_> = rows
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i + 2, p))
        .collect();
    people::import(store, &actor, &rows, false, "test seed")
        .await
        .unwrap();
    for (username, role, sn) in [
        ("test-trainer", Role::MashTrainer, Some("TR")),
        ("test-manager", Role::LineManager, Some("M1")),
        ("test-manager2", Role::LineManager, Some("M2")),
        ("test-staff", Role::MashStaff, Some("S1")),
        ("test-leader", Role::SeniorLeader, Some("SL")),
        ("test-partner", Role::PartnerReviewer, None),
        ("test-unlinked", Role::Frontline, None),
    ] {
        let sn = sn.map(|s| StaffNumber::parse(s).unwrap());
        accounts::create(
            store,
            &actor,
            NewAccount {
                username,
                roles: &[role],
                staff_number: sn.as_ref(),
                password: Some(PASSWORD),
            },
        )
        .await
        .unwrap();
    }
    let module = catalogue::create_module(
        store,
        &actor,
        &ModuleInput {
            code: "RISK".into(),
            title: "Risk and the National Decision Model".into(),
            summary: "The ten risk principles.".into(),
            kind: "face_to_face".into(),
            duration_minutes: 120,
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    let profile = programmes::create_profile(store, &actor, "MASH", "MASH researcher", "")
        .await
        .unwrap();
    programmes::set_item(store, &actor, profile, module.id, "days:30", "none")
        .await
        .unwrap();
    let id = |sn: &'static str| async move { people::get(store, sn).await.unwrap().unwrap().id };
    for sn in ["S1", "S2"] {
        programmes::assign(store, &actor, id(sn).await, profile, "2020-01-01")
            .await
            .unwrap();
    }
    completions::record(
        store,
        &actor,
        &NewCompletion {
            person_id: id("S2").await,
            module_id: module.id,
            module_version: None,
            completed_on: "2020-01-20".into(),
            mode: "face_to_face".into(),
            trainer: "Tia Trainer".into(),
            notes: String::new(),
            evidence_url: String::new(),
        },
    )
    .await
    .unwrap();
}

/// The app on this file's people.
async fn spawn(url: &DbUrl) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start(store, WebConfig::default()).await
}

#[tokio::test]
async fn a_trainer_finds_who_is_out_of_date_on_risk_and_since_when() {
    on_both!(|app| {
        let c = app.sign_in_as("test-trainer").await;
        let (s, html) = app.get(&c, "/training/matrix").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Sam Staff") && html.contains("=Eve Formula"));
        assert!(html.contains("Training in date by role profile"));
        assert!(html.contains("MASH researcher"));
        assert!(html.contains("class=\"app-table-scroll\" tabindex=\"0\" role=\"region\""));
        let q = "department=Public+Protection&module=RISK&status=out_of_date";
        let (s, html) = app.get(&c, &format!("/training/matrix?{q}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("href=\"/people/S1/training\""));
        assert!(html.contains("since 1 February 2020"), "{html}");
        assert!(
            !html.contains("=Eve Formula"),
            "S2 awaits sign-off, not overdue"
        );
        assert!(html.contains("href=\"/training/matrix.csv?department=Public+Protection"));
        assert!(html.contains("module=RISK\" download>Download CSV"));
        // The list view says the same.
        let (_, list) = app
            .get(&c, &format!("/training/matrix?{q}&view=list"))
            .await;
        assert!(list.contains("1 February 2020") && list.contains("Sam Staff"));
        assert!(list.contains("1 person with 1 matching training item."));

        // CSV with the same rows, a header, and formulas neutralised.
        let r = c
            .get(app.url("/training/matrix.csv?module=RISK"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        assert!(r.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"training-matrix-"));
        let body = r.text().await.unwrap();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 3, "{body}");
        assert!(lines[0].starts_with("Staff number,Name,"));
        assert!(body.contains("'=Eve Formula"));
        assert!(body.contains("2020-02-01"), "overdue since, as a date");

        let r = c
            .get(app.url("/training/matrix.xlsx?status=overdue"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"));
        assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");
        let actions = audit_actions(&app.store, "").await;
        assert!(actions.iter().any(|a| a == "matrix.view"));
        assert_eq!(actions.iter().filter(|a| *a == "matrix.export").count(), 2);

        let (s, html) = app.get(&c, "/training/reminders").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Sam Staff") && html.contains("Mia Manager (M1)"));
    });
}

#[tokio::test]
async fn managers_see_their_people_and_leaders_see_figures_without_names() {
    on_both!(|app| {
        let m = app.sign_in_as("test-manager").await;
        let (s, html) = app.get(&m, "/training/matrix").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Sam Staff"));
        assert!(!html.contains("Eve Formula"), "not their person");
        let body = m
            .get(app.url("/training/matrix.csv"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("Sam Staff") && !body.contains("Eve Formula"));
        let (_, html) = app.get(&m, "/training/reminders").await;
        assert!(html.contains("Sam Staff") && !html.contains("Eve Formula"));

        let leader = app.sign_in_as("test-leader").await;
        assert_eq!(
            app.get(&leader, "/training/matrix").await.0,
            StatusCode::FORBIDDEN
        );
        let (s, html) = app.get(&leader, "/training/summary").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("MASH researcher") && html.contains("Public Protection"));
        assert!(!html.contains("Sam Staff") && !html.contains("Eve Formula"));
        assert!(html.contains("0 of 2 required items are in date (0%)"));

        let partner = app.sign_in_as("test-partner").await;
        for path in [
            "/training/summary",
            "/training/matrix.csv",
            "/my/cpd",
            "/my/training.xlsx",
        ] {
            assert_eq!(
                app.get(&partner, path).await.0,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
    });
}

#[tokio::test]
async fn cpd_is_logged_verified_or_returned_and_mapped() {
    on_both!(|app| {
        let staff = app.sign_in_as("test-staff").await;
        let (s, html) = app.get(&staff, "/my/cpd").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Log CPD") && html.contains("fire service referrals"));

        // Problems come back against their fields, with what was typed.
        let r = app
            .post_form(
                &staff,
                "/my/cpd",
                &[("topic", "Stalking"), ("time_spent", "ages")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"));
        assert!(html.contains("href=\"#done_on\"") && html.contains("href=\"#kind\""));
        assert!(html.contains("value=\"Stalking\""));

        for topic in ["Stalking", "Suicidal ideation"] {
            let r = app
                .post_form(
                    &staff,
                    "/my/cpd",
                    &[
                        ("topic", topic),
                        ("done_on", "01/03/2024"),
                        ("time_spent", "1.5"),
                        ("kind", "course"),
                        ("learning", "What to ask first"),
                        ("evidence_url", ""),
                    ],
                )
                .await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            assert_eq!(r.headers()[LOCATION], "/my/cpd?saved=1");
        }
        let (_, html) = app.get(&staff, "/my/cpd?saved=1").await;
        assert!(html.contains("Your CPD has been logged"));
        assert!(html.contains("3 hours") && html.contains("Awaiting verification"));
        let person = people::get(&app.store, "S1").await.unwrap().unwrap();
        let entries = cpd::of_person(&app.store, person.id).await.unwrap();
        let (first, second) = (entries[1].id, entries[0].id);

        // Only the named line manager reviews; staff cannot reach the queue at all.
        assert_eq!(
            app.post_form(
                &staff,
                &format!("/cpd/{first}/review"),
                &[("decision", "verify")]
            )
            .await
            .status(),
            StatusCode::FORBIDDEN
        );
        let other = app.sign_in_as("test-manager2").await;
        let r = app
            .post_form(
                &other,
                &format!("/cpd/{first}/review"),
                &[("decision", "verify")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("named line manager can verify or return"));

        let m = app.sign_in_as("test-manager").await;
        let (_, html) = app.get(&m, "/cpd/review").await;
        assert!(html.contains("Stalking: Sam Staff (S1)"));
        let r = app
            .post_form(
                &m,
                &format!("/cpd/{second}/review"),
                &[("decision", "return")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("href=\"#comment-{second}\"")));
        let r = app
            .post_form(
                &m,
                &format!("/cpd/{second}/review"),
                &[
                    ("decision", "return"),
                    ("comment", "Add the date of the course"),
                ],
            )
            .await;
        assert_eq!(r.headers()[LOCATION], "/cpd/review?done=returned");
        let r = app
            .post_form(
                &m,
                &format!("/cpd/{first}/review"),
                &[("decision", "verify")],
            )
            .await;
        assert_eq!(r.headers()[LOCATION], "/cpd/review?done=verified");
        let (_, html) = app.get(&staff, "/my/cpd").await;
        assert!(html.contains("Verified") && html.contains("Add the date of the course"));

        // The trainer counts the verified entry against the module.
        let trainer = app.sign_in_as("test-trainer").await;
        let (s, html) = app.get(&trainer, "/training/cpd").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("1 hour 30 minutes"), "verified time per team");
        let module = catalogue::module_by_code(&app.store, "RISK")
            .await
            .unwrap()
            .unwrap();
        let r = app
            .post_form(
                &trainer,
                &format!("/cpd/{first}/map"),
                &[("module_id", &module.id.to_string())],
            )
            .await;
        assert_eq!(r.headers()[LOCATION], "/training/cpd?saved=1");
        let e = cpd::get(&app.store, first).await.unwrap().unwrap();
        assert_eq!(e.counts_for_module_id, Some(module.id));
        assert_eq!(
            app.post_form(&trainer, "/cpd/999999/map", &[("module_id", "")])
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.post_form(
                &trainer,
                &format!("/cpd/{first}/map"),
                &[("module_id", "999999")]
            )
            .await
            .status(),
            StatusCode::BAD_REQUEST
        );
    });
}

#[tokio::test]
async fn people_download_their_own_training() {
    on_both!(|app| {
        let staff = app.sign_in_as("test-staff").await;
        let r = staff
            .get(app.url("/my/training.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers()[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("training-S1-"));
        assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");
        let r = staff.get(app.url("/my/training.pdf")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/pdf");
        assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
        assert!(audit_actions(&app.store, "")
            .await
            .iter()
            .any(|a| a == "training.own_export"));

        let unlinked = app.sign_in_as("test-unlinked").await;
        for path in ["/my/training.xlsx", "/my/training.pdf"] {
            assert_eq!(app.get(&unlinked, path).await.0, StatusCode::BAD_REQUEST);
        }
        let (s, html) = app.get(&unlinked, "/my/cpd").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("not linked to a person"));
        assert!(!html.contains("action=\"/my/cpd\""));
    });
}

#[tokio::test]
async fn the_home_page_shows_each_users_own_reminder_digest() {
    on_both!(|app| {
        let staff = app.sign_in_as("test-staff").await;
        let (s, html) = app.get(&staff, "/").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Your reminders"), "{html}");
        assert!(html.contains("Your own training"));
        assert!(html.contains(
            "Overdue: Risk and the National Decision Model (RISK), was due 31 January 2020"
        ));
        assert!(html.contains("href=\"/my/training\""));

        let manager = app.sign_in_as("test-manager").await;
        let (_, html) = app.get(&manager, "/").await;
        assert!(html.contains("Training of the people you line-manage"));
        assert!(html.contains("Sam Staff: Overdue: Risk and the National Decision Model"));
        assert!(!html.contains("Eve Formula"), "not their person");

        let manager2 = app.sign_in_as("test-manager2").await;
        let (_, html) = app.get(&manager2, "/").await;
        assert!(html.contains("Training records waiting for your sign-off"));
        assert!(html.contains(
            "=Eve Formula: Risk and the National Decision Model, completed 20 January 2020 (you sign as line manager)"
        ));

        let trainer = app.sign_in_as("test-trainer").await;
        let (_, html) = app.get(&trainer, "/").await;
        assert!(html.contains("Across the force"));
        assert!(html.contains("1 training item is overdue or expired, for 1 person"));
        assert!(html.contains("1 completion is waiting for sign-off"));
        assert!(
            !html.contains("Sam Staff"),
            "the force summary names nobody"
        );

        let leader = app.sign_in_as("test-leader").await;
        let (_, html) = app.get(&leader, "/").await;
        assert!(!html.contains("Your reminders"), "nothing waits for them");

        let actions = audit_actions(&app.store, "").await;
        assert!(actions.iter().any(|a| a == "reminders.home_view"));
    });
}
