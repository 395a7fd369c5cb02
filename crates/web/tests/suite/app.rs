//! The real server on a random port, against a fresh SQLite file and a fresh PostgreSQL
//! database: every test body runs on both.

use crate::common::*;
use mashboard_domain::access::Capability;
use mashboard_domain::Role;
use mashboard_store::audit_trail::{self, AuditFilter};
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::routes::Access;
use mashboard_web::{route_table, WebConfig};
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// The app on `url` seeded by [`seed_managed`]: line manager, mentor and outsider X1.
async fn spawn(url: &DbUrl) -> TestApp {
    spawn_config(url, WebConfig::default()).await
}

async fn spawn_config(url: &DbUrl, config: WebConfig) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed_managed(&store).await;
    start(store, config).await
}

#[tokio::test]
async fn health_and_readiness_answer() {
    on_both!(|app| {
        let c = client();
        assert_eq!(app.get(&c, "/healthz").await.0, StatusCode::OK);
        assert_eq!(app.get(&c, "/readyz").await.0, StatusCode::OK);
        app.store.close().await;
        assert_eq!(
            app.get(&c, "/readyz").await.0,
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready without a database"
        );
        assert_eq!(app.get(&c, "/healthz").await.0, StatusCode::OK);
    });
}

#[tokio::test]
async fn signing_in_works_and_a_bad_attempt_does_not_say_which_part_was_wrong() {
    on_both!(|app| {
        let c = client();
        let (status, html) = app.get(&c, "/login").await;
        assert_eq!(status, StatusCode::OK);
        for field in [
            "name=\"username\"",
            "name=\"password\"",
            "type=\"hidden\" name=\"csrf_token\"",
        ] {
            assert!(html.contains(field), "login form lacks {field}");
        }
        let (_, r) = app.sign_in("test-administrator", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/");

        let (_, wrong_password) = app.sign_in("test-administrator", "not the password").await;
        assert_eq!(wrong_password.status(), StatusCode::OK);
        let a = wrong_password.text().await.unwrap();
        let (_, wrong_user) = app.sign_in("nobody-at-all", "not the password").await;
        let b = wrong_user.text().await.unwrap();
        assert!(
            a.contains("govuk-error-summary")
                && a.contains("Enter a correct username and password")
        );
        let summary = |h: &str| {
            h[h.find("govuk-error-summary").unwrap()..h.find("</ul>").unwrap()].to_string()
        };
        assert_eq!(
            summary(&a),
            summary(&b),
            "the same words whichever part was wrong"
        );
    });
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_the_audit_trail_records_them() {
    on_both!(|app| {
        for _ in 0..5 {
            app.sign_in("test-frontline", "wrong password").await;
        }
        let (_, r) = app.sign_in("test-frontline", PASSWORD).await;
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "the right password is refused while locked"
        );
        assert!(r.text().await.unwrap().contains("Too many failed attempts"));
        let f = AuditFilter {
            action: "sign_in".into(),
            actor: "test-frontline".into(),
            ..Default::default()
        };
        let (total, _) = audit_trail::list(&app.store, &f, 100).await.unwrap();
        assert_eq!(total, 6, "five failures and one locked attempt");
    });
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    on_both!(|app| {
        let c = client();
        let r = c
            .post(app.url("/login"))
            .form(&[("username", "test-administrator"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.text().await.unwrap().contains("This form has expired"));
        let admin = app.signed_in(Role::Administrator).await;
        let r = admin
            .post(app.url("/people/new"))
            .form(&[
                ("csrf_token", "0".repeat(64).as_str()),
                ("staff_number", "NEW1"),
                ("name", "Someone"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(people::get(&app.store, "NEW1").await.unwrap().is_none());
    });
}

#[tokio::test]
async fn signing_out_ends_the_session_for_good() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashStaff).await;
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let (_, html) = app.get(&c, "/account").await;
        let token = csrf_in(&html);
        let r = c
            .post(app.url("/logout"))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "back to sign-in");
        assert!(r.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login"));
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE data LIKE '%user_id%'")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!(n, 0, "no signed-in session is left in the database");
    });
}

#[tokio::test]
async fn session_cookies_are_http_only_same_site_and_secure_when_configured() {
    let config = WebConfig {
        secure_cookies: true,
        ..Default::default()
    };
    on_both!(config.clone(), |app| {
        let r = client().get(app.url("/login")).send().await.unwrap();
        let cookie = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Secure"), "{cookie}");
    });
}

#[tokio::test]
async fn a_session_ends_after_its_absolute_lifetime() {
    let config = WebConfig {
        absolute_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    on_both!(config.clone(), |app| {
        let c = app.signed_in(Role::Auditor).await;
        assert_eq!(
            c.get(app.url("/")).send().await.unwrap().status(),
            StatusCode::OK
        );
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(
            c.get(app.url("/")).send().await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
    });
}

/// The idle timeout slides with use: a user who keeps working stays signed in past it, without
/// the session being written on every request; one who stops is signed out.
#[tokio::test]
async fn the_idle_timeout_slides_while_the_user_works_and_ends_an_idle_session() {
    let config = WebConfig {
        idle_timeout: Duration::from_secs(6),
        ..Default::default()
    };
    on_both!(config.clone(), |app| {
        let c = app.signed_in(Role::Auditor).await;
        // Working: a page every 1.5 s for 7.5 s, past the 6 s idle timeout.
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            assert_eq!(
                c.get(app.url("/")).send().await.unwrap().status(),
                StatusCode::OK,
                "signed out while working"
            );
        }
        // A page straight after another does not save the session again.
        let r = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers().get("set-cookie").is_none(),
            "saved on every request"
        );
        // Idle past the timeout: signed out.
        tokio::time::sleep(Duration::from_millis(6500)).await;
        assert_eq!(
            c.get(app.url("/")).send().await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
    });
}

/// Fills a route's path parameters with values that exist for the signed-in test user.
fn concrete(path: &str, role: Role) -> String {
    path.replace("{staff_number}", &staff_for(role))
        .replace("{username}", "test-frontline")
        .replace("{id}", "1")
        .replace("{module_id}", "1")
        .replace("{*name}", "missing.css")
}

/// The policy the route walk holds the app to, written out independently of the code.
fn expected(cap: Capability) -> Vec<Role> {
    use Role::*;
    match cap {
        Capability::SignedIn => Role::ALL.to_vec(),
        Capability::PeopleBrowse => vec![Administrator, MashTrainer, Mentor, LineManager],
        Capability::PeopleEdit
        | Capability::PeopleImport
        | Capability::AccountsManage
        | Capability::AuditRead => {
            vec![Administrator]
        }
        Capability::CatalogueView
        | Capability::OwnTraining
        | Capability::OwnFeedback
        | Capability::SessionsBrowse => {
            vec![
                Administrator,
                MashTrainer,
                MashStaff,
                Mentor,
                LineManager,
                Frontline,
                SeniorLeader,
                Auditor,
            ]
        }
        Capability::TrainingManage => vec![Administrator, MashTrainer],
        Capability::TrainingRecords => vec![Administrator, MashTrainer, Mentor, LineManager],
        Capability::SignOff => vec![Mentor, LineManager],
        Capability::CpdReview => vec![LineManager],
        Capability::TrainingSummary => vec![Administrator, MashTrainer, SeniorLeader],
        Capability::RegisterView | Capability::MissingReferrals => {
            vec![Administrator, MashTrainer, MashStaff]
        }
        Capability::RegisterImport | Capability::QualityReviewManage => {
            vec![Administrator, MashTrainer]
        }
        Capability::OutcomesRecord => {
            vec![Administrator, MashTrainer, MashStaff, PartnerReviewer]
        }
        Capability::QualityReviews => {
            vec![Administrator, MashTrainer, SeniorLeader, PartnerReviewer]
        }
        Capability::ComplianceAudits => vec![Administrator, MashTrainer, Auditor],
        Capability::ComplianceSummary | Capability::EvaluationReports => {
            vec![Administrator, MashTrainer, SeniorLeader, Auditor]
        }
        // A line manager's impact is their own team's (see the impact tests).
        Capability::Impact => vec![
            Administrator,
            MashTrainer,
            SeniorLeader,
            Auditor,
            LineManager,
        ],
        Capability::SessionsManage | Capability::PartnersManage => {
            vec![Administrator, MashTrainer]
        }
        Capability::TeamBooking => vec![LineManager],
        Capability::CoverageView => vec![Administrator, MashTrainer, LineManager, SeniorLeader],
        Capability::DeliveryReports => vec![Administrator, MashTrainer, SeniorLeader],
        Capability::ExercisesFacilitate => vec![Administrator, MashTrainer, MashStaff],
        Capability::ExercisesTake => Role::ALL.to_vec(),
    }
}

/// Walks every route as each of `roles` (signed in, with an API token): exactly the roles
/// `expected` names get in, and nothing answers with a server error. Split over several tests
/// so that nextest runs the walks side by side.
async fn walk_routes_as(roles: &[Role]) {
    on_both!(|app| {
        let routes = route_table();
        assert!(routes.len() >= 20, "the table lists the routes");
        for &role in roles {
            let c = app.signed_in(role).await;
            let token = token_for(&app, role).await;
            for r in &routes {
                if r.path == "/logout" {
                    continue; // would end the walk's own session; tested on its own
                }
                let path = concrete(r.path, role);
                let resp = match (&r.access, r.method.clone()) {
                    (Access::Api(_), m) => c
                        .request(
                            Method::from_bytes(m.as_str().as_bytes()).unwrap(),
                            app.url(&path),
                        )
                        .bearer_auth(&token)
                        .send()
                        .await
                        .unwrap(),
                    (_, m) if m == axum::http::Method::GET => {
                        c.get(app.url(&path)).send().await.unwrap()
                    }
                    _ => {
                        let t = app.csrf_token(&c).await;
                        c.post(app.url(&path))
                            .form(&[("csrf_token", t.as_str())])
                            .send()
                            .await
                            .unwrap()
                    }
                };
                let status = resp.status();
                assert!(
                    !status.is_server_error(),
                    "{role} {} {path}: {status}",
                    r.method
                );
                match r.access {
                    Access::Public => {
                        assert_ne!(status, StatusCode::FORBIDDEN, "{role} {} {path}", r.method)
                    }
                    Access::Page(cap) | Access::Api(cap) => {
                        let allowed = expected(cap).contains(&role);
                        assert_eq!(
                            status == StatusCode::FORBIDDEN,
                            !allowed,
                            "{role} {} {path}: got {status}, expected {}",
                            r.method,
                            if allowed { "allowed" } else { "forbidden" }
                        );
                    }
                }
            }
        }
    });
}

#[tokio::test]
async fn every_route_allows_exactly_the_roles_its_capability_names_staff() {
    walk_routes_as(&Role::ALL[..3]).await;
}

#[tokio::test]
async fn every_route_allows_exactly_the_roles_its_capability_names_managers() {
    walk_routes_as(&Role::ALL[3..6]).await;
}

#[tokio::test]
async fn every_route_allows_exactly_the_roles_its_capability_names_others() {
    walk_routes_as(&Role::ALL[6..]).await;
}

/// Nobody signed in: pages send you to sign in, the API answers 401 JSON.
#[tokio::test]
async fn every_route_refuses_someone_not_signed_in() {
    on_both!(|app| {
        let routes = route_table();
        let anonymous = client();
        for r in routes
            .iter()
            .filter(|r| r.method == axum::http::Method::GET)
        {
            let path = concrete(r.path, Role::Frontline);
            let resp = anonymous.get(app.url(&path)).send().await.unwrap();
            match r.access {
                Access::Page(_) => {
                    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
                    assert!(resp.headers()[LOCATION]
                        .to_str()
                        .unwrap()
                        .starts_with("/login"));
                }
                Access::Api(_) => {
                    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{path}");
                    assert!(resp.headers()[CONTENT_TYPE]
                        .to_str()
                        .unwrap()
                        .starts_with("application/json"));
                }
                Access::Public => {}
            }
        }
    });
}

#[tokio::test]
async fn navigation_shows_only_what_the_role_can_open() {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let (_, html) = app.get(&admin, "/").await;
        for link in [
            "href=\"/people\"",
            "href=\"/admin/users\"",
            "href=\"/admin/audit\"",
            "href=\"/people/import\"",
        ] {
            assert!(html.contains(link), "administrator should see {link}");
        }
        let partner = app.signed_in(Role::PartnerReviewer).await;
        let (_, html) = app.get(&partner, "/").await;
        for link in [
            "href=\"/people\"",
            "href=\"/admin/users\"",
            "href=\"/admin/audit\"",
        ] {
            assert!(
                !html.contains(link),
                "a partner reviewer must not see {link}"
            );
        }
        assert!(html.contains("Sign out"));
    });
}

#[tokio::test]
async fn a_line_manager_sees_their_people_and_nobody_else() {
    on_both!(|app| {
        let c = app.signed_in(Role::LineManager).await;
        let (status, html) = app.get(&c, "/people").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Person MASH staff"), "a report is listed");
        assert!(!html.contains("Outside Person"));
        assert_eq!(
            app.get(&c, "/people/X1").await.0,
            StatusCode::NOT_FOUND,
            "outside their scope"
        );
        assert_eq!(
            app.get(&c, &format!("/people/{}", staff_for(Role::Frontline)))
                .await
                .0,
            StatusCode::OK
        );
    });
}

#[tokio::test]
async fn viewing_a_record_is_audited() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashTrainer).await;
        let (status, html) = app.get(&c, "/people/X1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Outside Person"));
        let f = AuditFilter {
            action: "person.view".into(),
            entity_key: "X1".into(),
            ..Default::default()
        };
        let (total, rows) = audit_trail::list(&app.store, &f, 10).await.unwrap();
        assert_eq!(total, 1);
        assert_eq!(rows[0].actor, "test-mash-trainer");
    });
}

#[tokio::test]
async fn adding_a_person_shows_errors_the_govuk_way_then_saves() {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let r = app
            .post_form(
                &admin,
                "/people/new",
                &[
                    ("staff_number", "n42"),
                    ("name", ""),
                    ("start_date", "31/02/2024"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("<title>Error: "));
        assert!(html.contains("govuk-error-summary"));
        assert!(html.contains("href=\"#name\""));
        assert!(html.contains("href=\"#start_date\""));
        assert!(html.contains("id=\"name-error\""));
        assert!(html.contains("value=\"n42\""), "what was typed is kept");
        assert!(people::get(&app.store, "N42").await.unwrap().is_none());

        let long_name = "x".repeat(5000);
        let r = app
            .post_form(
                &admin,
                "/people/new",
                &[("staff_number", "N42"), ("name", &long_name)],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "an over-long field is a form error, not a crash"
        );

        let r = app
            .post_form(
                &admin,
                "/people/new",
                &[
                    ("staff_number", "n42"),
                    ("name", "New Person"),
                    ("roles", "mentor"),
                    ("roles", "frontline"),
                    ("line_manager_staff_number", "T14"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/people/N42?saved=1");
        let p = people::get(&app.store, "N42").await.unwrap().unwrap();
        assert_eq!(p.role_list(), vec![Role::Mentor, Role::Frontline]);
        assert_eq!(p.line_manager_staff_number.as_deref(), Some("T14"));

        let r = app
            .post_form(
                &admin,
                "/people/N42/edit",
                &[("name", "Renamed Person"), ("status", "left")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&admin, "/people/N42").await;
        assert!(html.contains("Renamed Person") && html.contains("Left"));
        assert!(
            html.contains("Changed N42"),
            "the history of changes is on the page"
        );
    });
}

fn multipart(token: &str, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf_token", token.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        )
}

const HEADER: &str = "staff_number,name,rank,department,team,roles,start_date,cohort,line_manager_staff_number,mentor_staff_number\n";

#[tokio::test]
async fn an_hr_import_with_a_mistake_is_refused_then_the_fixed_file_goes_in_and_every_step_is_audited(
) {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let bad = format!("{HEADER}H1,Ann Example,PC,Response,Team 1,frontline,2024-09-01,2024 PC intake 2,T14,\nH2,Bob Example,PC,Response,Team 1,frontline,31/13/2024,,H1,\n");
        let t = app.csrf_token(&admin).await;
        let r = admin
            .post(app.url("/people/import"))
            .multipart(multipart(&t, "hr.csv", bad.into_bytes()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("The file cannot be imported"));
        assert!(html.contains("<td class=\"govuk-table__cell\">3</td><td class=\"govuk-table__cell\">start_date</td>"), "names row 3, start_date");
        assert!(!html.contains("/people/import/commit"));
        assert!(
            people::get(&app.store, "H1").await.unwrap().is_none(),
            "nothing half-imported"
        );

        let good = format!("{HEADER}H1,Ann Example,PC,Response,Team 1,frontline,2024-09-01,2024 PC intake 2,T14,\nH2,Bob Example,PC,Response,Team 1,frontline,30/11/2024,,H1,\n");
        let t = app.csrf_token(&admin).await;
        let r = admin
            .post(app.url("/people/import"))
            .multipart(multipart(&t, "hr.csv", good.clone().into_bytes()))
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains("2 people will be added"), "{html}");
        assert!(
            people::get(&app.store, "H1").await.unwrap().is_none(),
            "a preview saves nothing"
        );
        let key_at = html.find("name=\"upload\" value=\"").unwrap() + 21;
        let key = html[key_at..key_at + 32].to_string();
        let r = app
            .post_form(&admin, "/people/import/commit", &[("upload", &key)])
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("Import complete"));
        assert_eq!(
            people::get(&app.store, "H2")
                .await
                .unwrap()
                .unwrap()
                .line_manager_name
                .as_deref(),
            Some("Ann Example")
        );
        // The same preview cannot be committed twice.
        let r = app
            .post_form(&admin, "/people/import/commit", &[("upload", &key)])
            .await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("expired or was already imported"));

        // Importing the same file again changes nothing.
        let t = app.csrf_token(&admin).await;
        let r = admin
            .post(app.url("/people/import"))
            .multipart(multipart(&t, "hr.csv", good.into_bytes()))
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("0 people will be added"));

        let actions: Vec<String> = audit_trail::list(
            &app.store,
            &AuditFilter {
                actor: "test-administrator".into(),
                ..Default::default()
            },
            100,
        )
        .await
        .unwrap()
        .1
        .into_iter()
        .map(|e| e.action)
        .collect();
        for step in [
            "people.import_rejected",
            "people.import_preview",
            "people.import",
            "person.create",
        ] {
            assert!(
                actions.iter().any(|a| a == step),
                "audit trail lacks {step}: {actions:?}"
            );
        }
    });
}

#[tokio::test]
async fn unreadable_uploads_get_a_clear_message_not_a_crash() {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty.csv", Vec::new(), "empty"),
            (
                "garbage.csv",
                vec![0u8, 159, 146, 150, 0, 1, 2, 3],
                "not a CSV",
            ),
            (
                "wrong.csv",
                b"id,full name\n1,Ann\n".to_vec(),
                "staff_number",
            ),
            (
                "dupes.csv",
                format!("{HEADER}D1,Ann,,,,,,,,\nD1,Bob,,,,,,,,\n").into_bytes(),
                "row 2",
            ),
        ];
        for (name, bytes, words) in cases {
            let t = app.csrf_token(&admin).await;
            let r = admin
                .post(app.url("/people/import"))
                .multipart(multipart(&t, name, bytes))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{name}: {}", r.status());
            let html = r.text().await.unwrap().to_lowercase();
            assert!(html.contains("govuk-error-summary"), "{name}");
            assert!(
                html.contains(&words.to_lowercase()),
                "{name} should mention {words}"
            );
        }
        assert!(people::get(&app.store, "D1").await.unwrap().is_none());
    });
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_friendly_pages() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashStaff).await;
        let (status, html) = app.get(&c, "/no/such/page").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("Page not found"));
        let r = c.delete(app.url("/people")).send().await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        let r = c.put(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    });
}

/// A program calling the API reads its errors as JSON, even for an address or a method that
/// no call has (before, these came back as the browser's HTML pages).
#[tokio::test]
async fn the_api_answers_an_unknown_address_or_method_in_json() {
    on_both!(|app| {
        let c = client();
        let token = token_for(&app, Role::MashStaff).await;
        let r = c
            .get(app.url("/api/v1/no-such-call"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
        assert!(body["message"].as_str().unwrap().contains("openapi.json"));
        let r = c
            .delete(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed");
        // Pages keep answering in words.
        let r = c.get(app.url("/no/such/page")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r.text().await.unwrap().contains("Page not found"));
    });
}

#[tokio::test]
async fn the_api_answers_with_json_for_token_holders_only() {
    on_both!(|app| {
        let c = client();
        let admin_token = token_for_user(&app, "test-administrator").await;
        let r = c
            .get(app.url("/api/v1/me"))
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let me: serde_json::Value = r.json().await.unwrap();
        assert_eq!(me["username"], "test-administrator");
        assert_eq!(me["roles"], serde_json::json!(["administrator"]));
        assert_eq!(me["staff_number"], "T10");

        let r = c
            .get(app.url("/api/v1/people?search=outside"))
            .bearer_auth(&admin_token)
            .send()
            .await
            .unwrap();
        let page: serde_json::Value = r.json().await.unwrap();
        assert_eq!(page["total"], 1);
        assert_eq!(page["items"][0]["staff_number"], "X1");

        let r = c.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
        let r = c
            .get(app.url("/api/v1/me"))
            .bearer_auth("mbt_forged")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

        let partner = token_for_user(&app, "test-partner-reviewer").await;
        let r = c
            .get(app.url("/api/v1/people"))
            .bearer_auth(&partner)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["error"],
            "forbidden"
        );

        let doc = app.openapi().await;
        assert!(doc["paths"]["/api/v1/me"].is_object());
        assert!(doc["paths"]["/api/v1/people"].is_object());
    });
}

#[tokio::test]
async fn pages_carry_security_headers_and_are_not_cached() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashTrainer).await;
        let r = c.get(app.url("/people")).send().await.unwrap();
        let h = r.headers();
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
    });
}

#[tokio::test]
async fn a_new_starter_is_assigned_records_a_completion_and_both_named_people_sign_it_off() {
    on_both!(|app| {
        let (module_id, profile_id) = training_fixture(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let starter = staff_for(Role::MashStaff);
        let r = app
            .post_form(
                &trainer,
                &format!("/people/{starter}/training/assign"),
                &[
                    ("profile_id", &profile_id.to_string()),
                    ("started_on", "01/11/2026"),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );

        let c = client();
        let (mash, mentor, manager, frontline) = (
            token_for(&app, Role::MashStaff).await,
            token_for(&app, Role::Mentor).await,
            token_for(&app, Role::LineManager).await,
            token_for(&app, Role::Frontline).await,
        );
        let plan: serde_json::Value = c
            .get(app.url("/api/v1/me/training-plan"))
            .bearer_auth(&mash)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(plan["items"][0]["module_title"], "MASH induction");
        assert_ne!(plan["items"][0]["status"], "signed_off");

        // The starter records it; someone else cannot record it for them.
        let body = serde_json::json!({"staff_number": starter, "module_id": module_id, "completed_on": "2026-11-10", "mode": "face_to_face"});
        let r = c
            .post(app.url("/api/v1/completions"))
            .bearer_auth(&frontline)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = c
            .post(app.url("/api/v1/completions"))
            .bearer_auth(&mash)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let created: serde_json::Value = r.json().await.unwrap();
        let id = created["id"].as_i64().unwrap();
        assert_eq!(created["status"], "awaiting_sign_off");
        let bad = c.post(app.url("/api/v1/completions")).bearer_auth(&mash).json(&serde_json::json!({"staff_number": starter, "module_id": module_id, "completed_on": "31/02/2026", "mode": "face_to_face"})).send().await.unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

        // Nobody else signs, nor the person themself.
        let sign = |tok: String| {
            let c = c.clone();
            let url = app.url(&format!("/api/v1/completions/{id}/sign-offs"));
            async move {
                c.post(url)
                    .bearer_auth(tok)
                    .json(&serde_json::json!({"comment": "Seen it applied"}))
                    .send()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            sign(frontline.clone()).await.status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(sign(mash.clone()).await.status(), StatusCode::FORBIDDEN);
        let r = sign(manager.clone()).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["status"],
            "awaiting_sign_off",
            "one signature is not enough"
        );
        assert_eq!(
            sign(manager.clone()).await.status(),
            StatusCode::CONFLICT,
            "a second signature in the same capacity"
        );

        // The mentor's queue page lists it; the mentor signs on the page.
        let mentor_client = app.signed_in(Role::Mentor).await;
        let (_, queue) = app.get(&mentor_client, "/sign-offs").await;
        assert!(queue.contains(&format!("/completions/{id}")), "{queue}");
        let r = app
            .post_form(
                &mentor_client,
                &format!("/completions/{id}/sign-off"),
                &[("comment", "")],
            )
            .await;
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Enter a comment with your sign-off"));
        let r = app
            .post_form(
                &mentor_client,
                &format!("/completions/{id}/sign-off"),
                &[("comment", "Observed in the MASH")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);

        let done: serde_json::Value = c
            .get(app.url(&format!("/api/v1/completions/{id}")))
            .bearer_auth(&mentor)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(done["status"], "signed_off");
        let capacities: Vec<&str> = done["sign_offs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["capacity"].as_str().unwrap())
            .collect();
        assert_eq!(capacities, vec!["line_manager", "mentor"]);
        let plan: serde_json::Value = c
            .get(app.url("/api/v1/me/training-plan"))
            .bearer_auth(&mash)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(plan["items"][0]["status"], "signed_off");
        assert_eq!(plan["items"][0]["in_date"], true);

        // Reopening needs a reason and clears the signatures.
        let trainer_token = token_for(&app, Role::MashTrainer).await;
        let r = c
            .post(app.url(&format!("/api/v1/completions/{id}/reopen")))
            .bearer_auth(&trainer_token)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        // Read, but refused by the rules (a reason is required): 422, as every store refusal.
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = c
            .post(app.url(&format!("/api/v1/completions/{id}/reopen")))
            .bearer_auth(&trainer_token)
            .json(&serde_json::json!({"reason": "Wrong date"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["status"],
            "reopened"
        );
        // A partner reviewer sees none of it.
        let partner = token_for(&app, Role::PartnerReviewer).await;
        assert_eq!(
            c.get(app.url(&format!("/api/v1/completions/{id}")))
                .bearer_auth(&partner)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            c.get(app.url("/api/v1/matrix"))
                .bearer_auth(&partner)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
    });
}

#[tokio::test]
async fn a_training_spreadsheet_is_mapped_previewed_refused_with_row_errors_then_imported_once() {
    on_both!(|app| {
        training_fixture(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let starter = staff_for(Role::MashStaff);
        let upload = |csv: String| {
            let trainer = trainer.clone();
            let app = &app;
            async move {
                let t = app.csrf_token(&trainer).await;
                let form = reqwest::multipart::Form::new()
                    .text("csrf_token", t)
                    .text("kind", "training")
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(csv.into_bytes())
                            .file_name("initial-training.csv"),
                    );
                trainer
                    .post(app.url("/training/import"))
                    .multipart(form)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let preview = |mapping_page: String| {
            let trainer = trainer.clone();
            let app = &app;
            async move {
                let fields = [
                    ("csrf_token", hidden(&mapping_page, "csrf_token")),
                    ("upload", hidden(&mapping_page, "upload")),
                    ("kind", "training".to_string()),
                    ("action", "preview".to_string()),
                    ("map_staff_number", "staff_no".to_string()),
                    ("map_module", "course".to_string()),
                    ("map_completed_on", "date_completed".to_string()),
                    ("map_mentor_signed", "mentor_sign_off".to_string()),
                    ("map_manager_signed", "sgt_sign_off".to_string()),
                ];
                trainer
                    .post(app.url("/training/import/preview"))
                    .form(&fields)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let header = "Staff No.,Course,Date completed,Mentor sign off,Sgt sign off\n";
        let bad = format!("{header}{starter},MASH-IND,01/10/2026,M. Mentor,L. Manager\n{starter},NO-SUCH-MODULE,02/10/2026,,\n");
        let mapping_page = upload(bad).await;
        assert!(
            mapping_page.contains("name=\"map_staff_number\""),
            "a column-mapping step"
        );
        let page = preview(mapping_page).await;
        assert!(page.contains("govuk-error-summary"), "{page}");
        assert!(
            page.contains("NO-SUCH-MODULE"),
            "the unknown module is named"
        );
        let person = people::get(&app.store, &starter).await.unwrap().unwrap();
        let history = mashboard_store::training::completions::of_person(&app.store, person.id)
            .await
            .unwrap();
        assert!(
            history.is_empty(),
            "nothing imported from a bad file, not even its good row"
        );

        let good = format!("{header}{starter},MASH-IND,01/10/2026,M. Mentor,L. Manager\n");
        for round in 0..2 {
            let page = preview(upload(good.clone()).await).await;
            assert!(!page.contains("govuk-error-summary"), "{page}");
            let fields = [
                ("csrf_token", hidden(&page, "csrf_token")),
                ("upload", hidden(&page, "upload")),
                ("kind", "training".to_string()),
                ("mapping", hidden(&page, "mapping")),
            ];
            let done = trainer
                .post(app.url("/training/import/commit"))
                .form(&fields)
                .send()
                .await
                .unwrap();
            assert!(done.status().is_success(), "{}", done.status());
            let person = people::get(&app.store, &starter).await.unwrap().unwrap();
            let history = mashboard_store::training::completions::of_person(&app.store, person.id)
                .await
                .unwrap();
            assert_eq!(
                history.len(),
                1,
                "round {round}: imported once, and re-importing adds nothing"
            );
            assert_eq!(history[0].source, "imported");
            assert_eq!(history[0].status, "signed_off");
            let signs =
                mashboard_store::training::completions::sign_offs(&app.store, history[0].id)
                    .await
                    .unwrap();
            assert!(
                signs.iter().all(|s| s.imported),
                "historic sign-offs are marked as imported"
            );
        }
    });
}

#[tokio::test]
async fn a_persons_email_is_checked_on_the_form_shown_on_the_record_and_in_the_api() {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let r = app
            .post_form(
                &admin,
                "/people/new",
                &[
                    ("staff_number", "E1"),
                    ("name", "Emma Mail"),
                    ("email", "emma.mail at force"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("href=\"#email\""), "in the error summary");
        assert!(html.contains("id=\"email-error\""));
        assert!(html.contains("is not an e-mail address"));
        assert!(
            html.contains("value=\"emma.mail at force\""),
            "what was typed is kept"
        );
        assert!(people::get(&app.store, "E1").await.unwrap().is_none());

        let r = app
            .post_form(
                &admin,
                "/people/new",
                &[
                    ("staff_number", "E1"),
                    ("name", "Emma Mail"),
                    ("email", "Emma.Mail@Force.Example"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&admin, "/people/E1").await;
        assert!(html.contains("E-mail address"));
        assert!(html.contains("Emma.Mail@force.example"));
        let (_, html) = app.get(&admin, "/people/E1/edit").await;
        assert!(html.contains("value=\"Emma.Mail@force.example\""));

        let token = token_for_user(&app, "test-administrator").await;
        let person: serde_json::Value = client()
            .get(app.url("/api/v1/people/E1"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(person["email"], "Emma.Mail@force.example");

        // Clearing it on the form clears it everywhere.
        let r = app
            .post_form(
                &admin,
                "/people/E1/edit",
                &[("name", "Emma Mail"), ("email", ""), ("status", "active")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let person: serde_json::Value = client()
            .get(app.url("/api/v1/people/E1"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(person["email"].is_null(), "{person}");
    });
}

#[tokio::test]
async fn refused_attempts_to_reach_a_record_are_in_the_audit_trail() {
    on_both!(|app| {
        // A mentor asks for someone who is not theirs: 404, which says nothing of the person,
        // and the attempt is recorded for an administrator to see.
        let mentor = app.signed_in(Role::Mentor).await;
        let (status, _) = app.get(&mentor, "/people/X1").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A frontline officer asks for a page their roles do not allow: 403, recorded too.
        let officer = app.signed_in(Role::Frontline).await;
        let (status, _) = app.get(&officer, "/admin/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Through the API, with a token.
        let token = token_for(&app, Role::Frontline).await;
        let r = client()
            .get(app.url("/api/v1/people/X1"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let (_, events) = audit_events(&app.store, "access.refused").await;
        let seen: Vec<(String, String)> = events
            .iter()
            .rev()
            .map(|e| (e.actor.clone(), e.summary.clone()))
            .collect();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(seen[0].0, username_for(Role::Mentor));
        assert!(seen[0].1.contains("GET /people/X1 (404"), "{seen:?}");
        assert_eq!(seen[1].0, username_for(Role::Frontline));
        assert!(seen[1].1.contains("GET /admin/users (403"), "{seen:?}");
        assert!(seen[2].1.contains("GET /api/v1/people/X1 (403"), "{seen:?}");

        // Nobody signed in reaches nothing and fills no trail.
        let (status, _) = app.get(&client(), "/api/v1/people/X1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(audit_events(&app.store, "access.refused").await.0, 3);
    });
}
