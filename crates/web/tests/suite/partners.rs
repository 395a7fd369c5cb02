//! Partner exchange and MASH attachment days through the real server on both databases:
//! eligibility refusals explained, capacity, a line manager books only their own team,
//! external attendees at a session, the quarterly exchange figures and exports, and an
//! attended day recorded as a completion in the officer's plan.

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::learning::attachment_days;
use mashboard_store::training::{catalogue, completions};
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::{Client, StatusCode};

use crate::common::*;

/// One person and one account per role.
async fn seed(store: &Store) {
    let actor = Actor::system();
    let mut rows = Vec::new();
    let start = iso(days_from_today(SECOND_YEAR_START));
    for role in Role::ALL {
        let frontline = role == Role::Frontline;
        let p = PersonDraft {
            staff_number: staff_for(role),
            name: format!("Person {}", role.label()),
            department: "Public Protection".into(),
            team: "MASH".into(),
            roles: role.as_str().into(),
            rank: if frontline { "PC".into() } else { "Sgt".into() },
            start_date: if frontline {
                start.clone()
            } else {
                "2010-01-04".into()
            },
            line_manager_staff_number: if frontline {
                staff_for(Role::LineManager)
            } else {
                String::new()
            },
            ..Default::default()
        }
        .validate()
        .unwrap();
        rows.push((rows.len() + 2, p));
    }
    // a second team member (a first-year PC), and an eligible PC in someone else's team
    for (sn, name, rank, st, lm) in [
        (
            "X1",
            "Fresh Recruit",
            "PC",
            iso(days_from_today(-100)),
            staff_for(Role::LineManager),
        ),
        (
            "X2",
            "Other Team",
            "PC",
            start.clone(),
            staff_for(Role::Mentor),
        ),
        (
            "X3",
            "Pat Pcso",
            "PCSO",
            start.clone(),
            staff_for(Role::LineManager),
        ),
    ] {
        let p = PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            rank: rank.into(),
            start_date: st,
            line_manager_staff_number: lm,
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
}

/// The app on this file's people.
async fn spawn(url: &DbUrl) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start(store, WebConfig::default()).await
}

/// Days after the attachment day the frontline officer started: day in their second year.
const DAY_AHEAD: i64 = 30;
/// The frontline officer's start: 400 days before the day.
const SECOND_YEAR_START: i64 = DAY_AHEAD - 400;

fn days_from_today(n: i64) -> time::Date {
    time::OffsetDateTime::now_utc().date() + time::Duration::days(n)
}

fn iso(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

async fn fl_attach(store: &Store) -> i64 {
    catalogue::create_module(
        store,
        &Actor::system(),
        &catalogue::ModuleInput {
            code: "FL-ATTACH".into(),
            title: "Second-year MASH attachment day".into(),
            kind: "exercise".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.4",
    )
    .await
    .unwrap()
    .id
}

impl TestApp {
    /// Schedules a day through the form and returns its id.
    async fn new_day(&self, c: &Client, ahead: i64, capacity: &str) -> i64 {
        let day = iso(days_from_today(ahead));
        let r = self
            .post_form(
                c,
                "/attachment-days/new",
                &[("day", &day), ("capacity", capacity), ("location", "MASH")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "scheduling a day");
        id_in(&location(&r), "/attachment-days/")
    }
}

#[tokio::test]
async fn officers_book_themselves_only_when_eligible_and_places_remain() {
    on_both!(|app| {
        fl_attach(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let officer = app.signed_in(Role::Frontline).await;
        let small = app.new_day(&trainer, DAY_AHEAD, "1").await;
        let late = app.new_day(&trainer, DAY_AHEAD + 400, "5").await;

        // the list explains why the officer cannot book the later day
        let (s, html) = app.get(&officer, "/attachment-days").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("after their second year of service"),
            "{html}"
        );
        // booking it anyway is refused with the reason, and nothing is written
        let r = app
            .post_form(&officer, &format!("/attachment-days/{late}/book"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("There is a problem") && html.contains("second year"),
            "{html}"
        );
        assert!(attachment_days::bookings(&app.store, late)
            .await
            .unwrap()
            .is_empty());

        // the trainer fills the one place with someone else; the officer is told it is full
        let r = app
            .post_form(
                &trainer,
                &format!("/attachment-days/{small}/bookings"),
                &[("staff_number", "X2")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = app
            .post_form(&officer, &format!("/attachment-days/{small}/book"), &[])
            .await;
        assert!(r.text().await.unwrap().contains("The day is full"));
        // the trainer is refused a PCSO, with the reason
        let r = app
            .post_form(
                &trainer,
                &format!("/attachment-days/{late}/bookings"),
                &[("staff_number", "X3")],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Pat Pcso cannot attend") && html.contains("PCSO"),
            "{html}"
        );

        // a place frees up: the officer books, then withdraws
        let other = person_id(&app.store, "X2").await;
        let r = app
            .post_form(
                &trainer,
                &format!("/attachment-days/{small}/bookings"),
                &[("withdraw", &other.to_string())],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = app
            .post_form(&officer, &format!("/attachment-days/{small}/book"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&officer, "/attachment-days").await;
        assert!(html.contains("Your bookings") && html.contains("Withdraw"));
        let r = app
            .post_form(&officer, &format!("/attachment-days/{small}/withdraw"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let me = person_id(&app.store, &staff_for(Role::Frontline)).await;
        let b = attachment_days::bookings(&app.store, small).await.unwrap();
        assert_eq!(
            b.iter().find(|b| b.person_id == me).unwrap().status,
            "withdrawn"
        );

        // officers cannot reach the trainer's pages
        assert_eq!(
            app.get(&officer, &format!("/attachment-days/{small}"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&officer, "/attachment-days/new").await.0,
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn a_line_manager_books_their_own_team_only() {
    on_both!(|app| {
        fl_attach(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let manager = app.signed_in(Role::LineManager).await;
        let day = app.new_day(&trainer, DAY_AHEAD, "4").await;
        let (s, html) = app.get(&manager, "/attachment-days/team").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Person Frontline officer or staff"));
        assert!(
            html.contains("Fresh Recruit cannot attend this day: it is in their first year"),
            "{html}"
        );
        assert!(!html.contains("Other Team"), "not in this manager's team");

        let mine = person_id(&app.store, &staff_for(Role::Frontline))
            .await
            .to_string();
        let theirs = person_id(&app.store, "X2").await.to_string();
        let d = day.to_string();
        let r = app
            .post_form(
                &manager,
                "/attachment-days/team",
                &[("day_id", &d), ("person_id", &theirs), ("action", "book")],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "someone outside the team"
        );
        let r = app
            .post_form(
                &manager,
                "/attachment-days/team",
                &[("day_id", &d), ("person_id", &mine), ("action", "book")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let b = attachment_days::bookings(&app.store, day).await.unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].booked_by, username_for(Role::LineManager));
        let r = app
            .post_form(
                &manager,
                "/attachment-days/team",
                &[("day_id", &d), ("person_id", &mine), ("action", "withdraw")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            attachment_days::bookings(&app.store, day).await.unwrap()[0].status,
            "withdrawn"
        );
        // an officer without the team capability cannot use the team page
        let officer = app.signed_in(Role::Frontline).await;
        assert_eq!(
            app.get(&officer, "/attachment-days/team").await.0,
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn attendance_records_the_day_in_the_officers_plan() {
    on_both!(|app| {
        let module = fl_attach(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        // a day that has taken place, with the officer booked (written directly: the form
        // only schedules future days)
        let held = iso(days_from_today(-1));
        let day: i64 = sqlx::query_scalar("INSERT INTO attachment_days (day, capacity, location, module_id, status, notes, created_by, created_at, updated_at) VALUES ($1, 4, 'MASH', $2, 'open', '', 'test', 'x', 'x') RETURNING id")
            .bind(&held).bind(module).fetch_one(app.store.pool()).await.unwrap();
        let me = person_id(&app.store, &staff_for(Role::Frontline)).await;
        sqlx::query("INSERT INTO attachment_bookings (day_id, person_id, status, booked_by, created_at, updated_at) VALUES ($1, $2, 'booked', 'test', 'x', 'x')")
            .bind(day).bind(me).execute(app.store.pool()).await.unwrap();
        let (s, html) = app.get(&trainer, &format!("/attachment-days/{day}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains(&format!("/exercises/runs/new?attachment_day={day}")));
        let r = app
            .post_form(
                &trainer,
                &format!("/attachment-days/{day}/attendance"),
                &[("person_id", &me.to_string()), ("status", "attended")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let done = completions::of_person(&app.store, me).await.unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(
            (
                done[0].module_code.as_str(),
                done[0].completed_on.as_str(),
                done[0].module_version.as_str()
            ),
            ("FL-ATTACH", held.as_str(), "1.4")
        );
        // partner participants join without accounts
        let r = app
            .post_form(
                &trainer,
                &format!("/attachment-days/{day}/partners"),
                &[("name", ""), ("organisation", "")],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Enter the attendee") && html.contains("Choose the partner organisation"),
            "{html}"
        );
        let r = app
            .post_form(
                &trainer,
                &format!("/attachment-days/{day}/partners"),
                &[
                    ("name", "Fran Health"),
                    ("organisation", "Community Health"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&trainer, &format!("/attachment-days/{day}")).await;
        assert!(html.contains("Fran Health") && html.contains("Recorded in their plan"));
        // the view is audited
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'attachment_day.view'")
            .fetch_one(app.store.pool()).await.unwrap();
        assert!(n >= 2);
    });
}

#[tokio::test]
async fn partners_external_attendees_and_the_exchange_summary() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let officer = app.signed_in(Role::Frontline).await;
        assert_eq!(
            app.get(&officer, "/partners").await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&officer, "/partners/exchange").await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(&officer, "/partner-training").await.0,
            StatusCode::OK
        );

        // an organisation: errors first, then added
        let r = app
            .post_form(&trainer, "/partners", &[("name", ""), ("kind", "")])
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("Enter the organisation&#39;s name"), "{html}");
        assert!(html.contains("Select the kind of organisation"));
        let r = app
            .post_form(
                &trainer,
                "/partners",
                &[
                    ("name", "Northshire Children's Services"),
                    ("kind", "children_social_care"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let org = id_in(&location(&r), "/partners/");
        let r = app
            .post_form(
                &trainer,
                &format!("/partners/{org}/contacts"),
                &[
                    ("contact_name", "Dana Lead"),
                    ("contact_email", "not-an-address"),
                ],
            )
            .await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Enter an e-mail address in the correct format"));
        let r = app
            .post_form(
                &trainer,
                &format!("/partners/{org}/contacts"),
                &[
                    ("contact_name", "Dana Lead"),
                    ("contact_email", "dana@council.example.org"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        // a module the partner provides
        let r = app
            .post_form(
                &trainer,
                &format!("/partners/{org}/modules/new"),
                &[
                    ("code", "P-THRESH"),
                    ("title", "Thresholds and the front door"),
                    ("module_kind", "face_to_face"),
                    ("duration_minutes", "120"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&officer, "/partner-training").await;
        assert!(
            html.contains("Thresholds and the front door") && html.contains("Northshire Children")
        );

        // a session the police delivered to partners, in the first quarter of last year
        let year = time::OffsetDateTime::now_utc().year() - 1;
        let module = catalogue::module_by_code(&app.store, "P-THRESH")
            .await
            .unwrap()
            .unwrap()
            .id;
        let starts = format!("{year}-02-14T10:00:00.000000Z");
        let session: i64 = sqlx::query_scalar("INSERT INTO training_sessions (module_id, module_version, title, starts_at, ends_at, mode, capacity, status, direction, partner_org_id, ics_uid, created_by, created_at, updated_at) VALUES ($1, '1.0', 'Referrals for school staff', $2, $2, 'in_person', 30, 'delivered', 'to_partners', NULL, 'uid-x', 'test', $2, $2) RETURNING id")
            .bind(module).bind(&starts).fetch_one(app.store.pool()).await.unwrap();
        let ext = format!("/sessions/{session}/external");
        let r = app
            .post_form(
                &trainer,
                &ext,
                &[
                    ("name", "Ann Social"),
                    ("partner_org_id", &org.to_string()),
                    ("email", "ann@council.example.org"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = app
            .post_form(
                &trainer,
                &ext,
                &[
                    ("name", "Ben Teacher"),
                    ("organisation", "St Mary's School"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = app.post_form(&trainer, &ext, &[("name", "No Org")]).await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Choose the partner organisation or type"));
        let list = mashboard_store::partners::external_attendees(&app.store, session)
            .await
            .unwrap();
        assert_eq!(list.len(), 2);
        for x in &list {
            let r = app
                .post_form(
                    &trainer,
                    &format!("{ext}/{}", x.id),
                    &[("status", "attended")],
                )
                .await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
        }
        let (s, html) = app.get(&trainer, &ext).await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Ann Social") && html.contains("Attended"));

        // the summary: one session to partners in Q1, two attendees from two organisations
        let (s, html) = app
            .get(&trainer, &format!("/partners/exchange?year={year}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Referrals for school staff"));
        let r = trainer
            .get(app.url(&format!("/partners/exchange.csv?year={year}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let csv = r.text().await.unwrap();
        let q1 = csv
            .lines()
            .find(|l| l.contains(",Q1,Police to partners,"))
            .unwrap_or_else(|| panic!("{csv}"));
        assert!(q1.contains(",1,2,0,2,"), "{q1}");
        let r = trainer
            .get(app.url(&format!("/partners/exchange.xlsx?year={year}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.bytes().await.unwrap().starts_with(b"PK"));
        assert_eq!(
            app.get(&trainer, "/partners/exchange?year=abc").await.0,
            StatusCode::BAD_REQUEST
        );

        // the organisation's page lists the contact and the session, and is audited
        let (_, html) = app.get(&trainer, &format!("/partners/{org}")).await;
        assert!(
            html.contains("Dana Lead")
                && html.contains("Referrals for school staff")
                && html.contains("P-THRESH")
        );
        assert_eq!(
            app.get(&trainer, "/partners/999999").await.0,
            StatusCode::NOT_FOUND
        );
    });
}

#[tokio::test]
async fn attachment_days_through_the_json_api() {
    on_both!(|app| {
        use reqwest::Method as M;
        use serde_json::json;
        fl_attach(&app.store).await;
        let t = token_for(&app, Role::MashTrainer).await;
        let frontline = token_for(&app, Role::Frontline).await;
        let (s, _) = api(
            &app,
            &frontline,
            M::GET,
            "/api/v1/attachment-days",
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "officers do not manage days");

        // Every problem named by field at once; nothing written.
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            "/api/v1/attachment-days",
            json!({"day": iso(days_from_today(-1)), "capacity": 0, "facilitator": "NOBODY9"}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let fields: Vec<&str> = v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["day", "capacity", "facilitator"], "{v}");
        assert!(v["message"].as_str().unwrap().contains("NOBODY9"), "{v}");
        let (_, v) = api(&app, &t, M::GET, "/api/v1/attachment-days", json!(null)).await;
        assert_eq!(
            v["items"].as_array().unwrap().len(),
            0,
            "nothing was written"
        );

        let day = iso(days_from_today(DAY_AHEAD));
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            "/api/v1/attachment-days",
            json!({"day": day, "capacity": "1", "location": "MASH office"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["day"], day);
        assert_eq!(v["places_left"], 1);
        assert_eq!(v["module_code"], "FL-ATTACH");
        let id = v["id"].as_i64().unwrap();
        let bookings = format!("/api/v1/attachment-days/{id}/bookings");

        // A first-year officer is refused in words; a second-year officer is booked; the day
        // is then full.
        let (s, v) = api(&app, &t, M::POST, &bookings, json!({"staff_number": "X1"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("first year of service"),
            "{v}"
        );
        let officer = staff_for(Role::Frontline);
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            &bookings,
            json!({"staff_number": officer}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["status"], "booked");
        let (s, v) = api(&app, &t, M::POST, &bookings, json!({"staff_number": "X2"})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["message"].as_str().unwrap().contains("full"), "{v}");
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            &bookings,
            json!({"staff_number": "ZZ404"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["message"].as_str().unwrap().contains("ZZ404"), "{v}");

        // Attendance waits for the day.
        let (s, v) = api(
            &app,
            &t,
            M::PUT,
            &format!("/api/v1/attachment-days/{id}/attendance/{officer}"),
            json!({"attended": true}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

        // The day with its bookings; the view is audited.
        let views = audit_events(&app.store, "attachment_day.view").await.0;
        let (s, v) = api(
            &app,
            &t,
            M::GET,
            &format!("/api/v1/attachment-days/{id}"),
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["bookings"][0]["staff_number"], officer.as_str());
        assert_eq!(v["places_left"], 0);
        assert_eq!(
            audit_events(&app.store, "attachment_day.view").await.0,
            views + 1
        );

        // Withdrawing frees the place.
        let (s, v) = api(
            &app,
            &t,
            M::DELETE,
            &format!("{bookings}/{officer}"),
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["status"], "withdrawn");
        let (_, v) = api(&app, &t, M::GET, "/api/v1/attachment-days", json!(null)).await;
        assert_eq!(v["items"][0]["places_left"], 1);
        let (s, _) = api(
            &app,
            &t,
            M::GET,
            "/api/v1/attachment-days/999999",
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    });
}

#[tokio::test]
async fn partner_organisations_and_the_exchange_through_the_json_api() {
    on_both!(|app| {
        use reqwest::Method as M;
        use serde_json::json;
        let t = token_for(&app, Role::MashTrainer).await;
        let frontline = token_for(&app, Role::Frontline).await;
        let (s, _) = api(&app, &frontline, M::GET, "/api/v1/partners", json!(null)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let (s, v) = api(
            &app,
            &t,
            M::POST,
            "/api/v1/partners",
            json!({"name": "", "kind": "circus"}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["fields"].as_array().unwrap().len(), 2, "{v}");
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            "/api/v1/partners",
            json!({"name": "Northshire Children's Services", "kind": "children_social_care"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["kind_label"], "Children's social care");
        let id = v["id"].as_i64().unwrap();
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            "/api/v1/partners",
            json!({"name": "northshire children's services", "kind": "health"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");

        let contacts = format!("/api/v1/partners/{id}/contacts");
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            &contacts,
            json!({"name": "Sam Reed", "email": "not-an-address"}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["fields"][0]["field"], "email", "{v}");
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            &contacts,
            json!({"name": "Sam Reed", "job_title": "Safeguarding lead", "email": "sam.reed@northshire.example"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");

        let views = audit_events(&app.store, "partner_org.view").await.0;
        let (s, v) = api(
            &app,
            &t,
            M::GET,
            &format!("/api/v1/partners/{id}"),
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["contacts"], 1);
        assert_eq!(
            v["contacts_list"][0]["email"],
            "sam.reed@northshire.example"
        );
        assert_eq!(
            audit_events(&app.store, "partner_org.view").await.0,
            views + 1
        );
        let (_, v) = api(&app, &t, M::GET, "/api/v1/partners", json!(null)).await;
        assert_eq!(v["items"].as_array().unwrap().len(), 1);

        let (s, v) = api(
            &app,
            &t,
            M::GET,
            "/api/v1/partner-exchange?year=soon",
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let (s, v) = api(
            &app,
            &t,
            M::GET,
            "/api/v1/partner-exchange?year=2022",
            json!(null),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["year"], 2022);
        assert_eq!(v["quarters"].as_array().unwrap().len(), 4);
        assert_eq!(v["to_partners"]["sessions"], 0);
    });
}

#[tokio::test]
async fn an_officer_whose_attachment_day_is_overdue_is_told_why_and_what_to_do() {
    on_both!(|app| {
        fl_attach(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        app.new_day(&trainer, DAY_AHEAD, "5").await;
        // Three years' service: the second year ended without a day.
        sqlx::query("UPDATE people SET start_date = $1 WHERE staff_number = $2")
            .bind(iso(days_from_today(-3 * 365)))
            .bind(staff_for(Role::Frontline))
            .execute(app.store.pool())
            .await
            .unwrap();
        let officer = app.signed_in(Role::Frontline).await;
        let (s, html) = app.get(&officer, "/attachment-days").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("Your attachment day is overdue")
                && html.contains("Contact the MASH training team"),
            "{html}"
        );
        // An officer still in their second year sees no such warning.
        let (_, html) = app.get(&trainer, "/attachment-days").await;
        assert!(!html.contains("overdue"), "{html}");
    });
}

/// A NUL character in a JSON text is refused with a 400 naming the field, on both databases
/// (PostgreSQL cannot keep it: it was a 500 there, and SQLite stored it), and nothing is saved;
/// the six characters `\u0000` typed as text are kept as typed.
#[tokio::test]
async fn the_api_refuses_a_null_character_in_a_text_by_its_field() {
    on_both!(|app| {
        use reqwest::Method as M;
        use serde_json::json;
        let t = token_for(&app, Role::MashTrainer).await;
        let before = count(&app.store, "partner_orgs").await;
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            "/api/v1/partners",
            json!({"name": "Northshire\u{0} Health", "kind": "health"}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["fields"][0]["field"], "name", "{v}");
        assert!(v["message"].as_str().unwrap().contains("U+0000"), "{v}");
        assert_eq!(count(&app.store, "partner_orgs").await, before);
        let (s, v) = api(
            &app,
            &t,
            M::POST,
            "/api/v1/partners",
            json!({"name": "Northshire \\u0000 Health", "kind": "health"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["name"], "Northshire \\u0000 Health", "{v}");
    });
}

/// Each form on an organisation's page, refused, comes back on that page with what was typed
/// and why: the organisation's own details, a contact, a module it provides, a new module.
#[tokio::test]
async fn an_organisations_refused_forms_come_back_with_what_was_typed_and_why() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let mut orgs = Vec::new();
        for name in ["Northshire Council", "Northshire Schools"] {
            let r = app
                .post_form(
                    &trainer,
                    "/partners",
                    &[("name", name), ("kind", "children_social_care")],
                )
                .await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            orgs.push(id_in(&location(&r), "/partners/"));
        }
        let org = orgs[0];
        let page = format!("/partners/{org}");
        let refused = |r: reqwest::Response| async move {
            assert_eq!(r.status(), StatusCode::OK);
            let html = r.text().await.unwrap();
            assert!(html.contains("There is a problem"), "{html}");
            html
        };

        // The organisation's details: a rule, then the store's refusal of a name taken.
        let html = refused(
            app.post_form(
                &trainer,
                &page,
                &[("name", ""), ("kind", "children_social_care")],
            )
            .await,
        )
        .await;
        assert!(html.contains("Enter the organisation&#39;s name"), "{html}");
        let html = refused(
            app.post_form(
                &trainer,
                &page,
                &[
                    ("name", "Northshire Schools"),
                    ("kind", "children_social_care"),
                ],
            )
            .await,
        )
        .await;
        assert!(
            html.contains("There is already a partner organisation called Northshire Schools"),
            "{html}"
        );

        // A contact: the name typed is kept.
        let html = refused(
            app.post_form(
                &trainer,
                &format!("{page}/contacts"),
                &[("contact_name", "Dana Lead"), ("contact_email", "nope")],
            )
            .await,
        )
        .await;
        assert!(html.contains("Enter an e-mail address in the correct format"));
        assert!(html.contains("value=\"Dana Lead\""), "{html}");

        // A module it provides, with none chosen.
        let html = refused(
            app.post_form(&trainer, &format!("{page}/modules"), &[("module_id", "")])
                .await,
        )
        .await;
        assert!(
            html.contains("Choose a module from the catalogue"),
            "{html}"
        );

        // A new module: the rules, then a code already in the catalogue.
        let new = format!("{page}/modules/new");
        let html = refused(
            app.post_form(
                &trainer,
                &new,
                &[
                    ("code", "not a code"),
                    ("title", "Thresholds"),
                    ("module_kind", "face_to_face"),
                ],
            )
            .await,
        )
        .await;
        assert!(html.contains("The code must be 20 letters, digits or hyphens or fewer"));
        assert!(html.contains("value=\"Thresholds\""), "{html}");
        let module = [
            ("code", "P-ONE"),
            ("title", "Thresholds"),
            ("module_kind", "face_to_face"),
        ];
        assert_eq!(
            app.post_form(&trainer, &new, &module).await.status(),
            StatusCode::SEE_OTHER
        );
        let html = refused(app.post_form(&trainer, &new, &module).await).await;
        assert!(
            html.contains("There is already a module with the code P-ONE"),
            "{html}"
        );
        assert!(html.contains("value=\"Thresholds\""), "{html}");
    });
}
