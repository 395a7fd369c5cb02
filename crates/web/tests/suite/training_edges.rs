//! Rough edges of the training screens: the compliance matrix says what it is, the JSON matrix
//! and the page show the same people, percentages round to the nearest, a module leaves a
//! programme only after a confirmation, and the training-record PDF is tagged and keeps long
//! module titles whole. Against the real server on SQLite and PostgreSQL.

use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::programmes;
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;

use crate::common::*;

const LONG_TITLE: &str = "Safeguarding adults and children at risk of exploitation: the multi-agency referral, risk assessment and information sharing pathway";

/// The per-role people, plus a programme ("MASH") with seven modules, the first with a long
/// title, required of the MASH staff member and of the frontline officer (who has left).
async fn seed_training(store: &Store) -> i64 {
    let actor = Actor::system();
    let profile = programmes::create_profile(store, &actor, "MASH", "MASH researcher", "")
        .await
        .unwrap();
    for i in 0..7 {
        let m = catalogue::create_module(
            store,
            &actor,
            &ModuleInput {
                code: format!("M{i}"),
                title: if i == 0 {
                    LONG_TITLE.into()
                } else {
                    format!("Module {i}")
                },
                summary: "A module.".into(),
                kind: "e_learning".into(),
                duration_minutes: 30,
                status: "live".into(),
                ..Default::default()
            },
            "1.0",
        )
        .await
        .unwrap();
        programmes::set_item(store, &actor, profile, m.id, "days:30", "none")
            .await
            .unwrap();
    }
    for role in [Role::MashStaff, Role::Frontline] {
        let p = people::get(store, &staff_for(role)).await.unwrap().unwrap();
        programmes::assign(store, &actor, p.id, profile, "2020-01-01")
            .await
            .unwrap();
    }
    sqlx::query("UPDATE people SET active = 0 WHERE staff_number = $1")
        .bind(staff_for(Role::Frontline))
        .execute(store.pool())
        .await
        .unwrap();
    profile
}

async fn spawn_training(url: &DbUrl) -> (TestApp, i64) {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    let profile = seed_training(&store).await;
    (start(store, WebConfig::default()).await, profile)
}

#[tokio::test]
async fn the_matrix_page_heading_and_title_both_say_compliance_matrix() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app.get(&c, "/training/matrix").await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("<title>Compliance matrix – mashboard</title>"),
            "{html}"
        );
        assert!(html.contains("<h1 class=\"govuk-heading-l\">Compliance matrix</h1>"));
    });
}

#[tokio::test]
async fn the_json_matrix_shows_the_same_people_as_the_page() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        eprintln!("-- on {label}");
        let (app, _) = spawn_training(&url).await;
        let c = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app.get(&c, "/training/matrix?view=list").await;
        let staff = staff_for(Role::MashStaff);
        let left = staff_for(Role::Frontline);
        assert!(html.contains(&format!("/people/{staff}/training")));
        assert!(
            !html.contains(&format!("/people/{left}/training")),
            "left: not shown"
        );
        let token = token_for(&app, Role::MashTrainer).await;
        let (s, rows) = api(
            &app,
            &token,
            reqwest::Method::GET,
            "/api/v1/matrix",
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let rows = rows.as_array().unwrap();
        let numbers: Vec<&str> = rows
            .iter()
            .map(|r| r["staff_number"].as_str().unwrap())
            .collect();
        assert_eq!(
            numbers,
            [staff.as_str()],
            "the page's people, and only them"
        );
        assert_eq!(rows[0]["items"].as_array().unwrap().len(), 7);
        assert!(
            rows[0]["items"][0].get("status").is_some(),
            "the JSON shape is kept"
        );
        // The OpenAPI document still describes it.
        let doc = app.openapi().await;
        assert!(doc["paths"]["/api/v1/matrix"]["get"].is_object());
        assert!(doc["components"]["schemas"]["MatrixRowJson"].is_object());
    }
}

#[tokio::test]
async fn percentages_round_to_the_nearest_whole_number() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        eprintln!("-- on {label}");
        let (app, _) = spawn_training(&url).await;
        let c = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app.get(&c, "/training/summary").await;
        assert!(html.contains("(0%)"), "{html}");
        assert!(!html.contains(".0%"));
    }
}

#[tokio::test]
async fn removing_a_module_from_a_programme_asks_first() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        eprintln!("-- on {label}");
        let (app, profile) = spawn_training(&url).await;
        let items = programmes::items(&app.store, profile).await.unwrap();
        let m = items
            .iter()
            .find(|i| i.module_code == "M1")
            .unwrap()
            .module_id;
        let c = app.signed_in(Role::MashTrainer).await;
        let (_, page) = app.get(&c, &format!("/training/profiles/{profile}")).await;
        let path = format!("/training/profiles/{profile}/items/{m}/remove");
        assert!(
            page.contains(&format!("href=\"{path}\"")),
            "a link, not a button that acts"
        );
        let (s, confirm) = app.get(&c, &path).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            confirm.contains("Remove Module 1 from the programme?"),
            "{confirm}"
        );
        assert!(confirm.contains("2 people are on the role profile now"));
        assert!(confirm.contains(&format!(
            "href=\"/training/profiles/{profile}\" class=\"govuk-back-link\">Back</a>"
        )));
        assert!(confirm.contains("name=\"csrf_token\""));
        assert_eq!(
            programmes::items(&app.store, profile).await.unwrap().len(),
            7,
            "looking changes nothing"
        );
        // Without the CSRF token the change is refused.
        let r = c
            .post(app.url(&path))
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            programmes::items(&app.store, profile).await.unwrap().len(),
            7
        );
        let r = app.post_form(&c, &path, &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&r),
            format!("/training/profiles/{profile}?saved=removed")
        );
        let left = programmes::items(&app.store, profile).await.unwrap();
        assert_eq!(left.len(), 6);
        assert!(left.iter().all(|i| i.module_id != m));
    }
}

#[tokio::test]
async fn the_training_record_pdf_is_tagged_and_keeps_long_module_titles_whole() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        eprintln!("-- on {label}");
        let (app, _) = spawn_training(&url).await;
        let c = app.signed_in(Role::MashStaff).await;
        let r = c.get(app.url("/my/training.pdf")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], "application/pdf");
        let pdf = r.bytes().await.unwrap().to_vec();
        assert!(pdf.starts_with(b"%PDF-"));
        let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"/StructTreeRoot") && has(b"/MarkInfo"), "tagged");
        let text = inflated(&pdf);
        for word in LONG_TITLE.split_whitespace() {
            assert!(text.contains(word), "{word} is in the PDF");
        }
        assert!(!text.contains("..."), "nothing is cut");
    }
}

/// Every compressed stream of a PDF, inflated, as text (what the ActualText of each line says).
pub(crate) fn inflated(pdf: &[u8]) -> String {
    use std::io::Read;
    let mut out = String::new();
    let mut rest = pdf;
    while let Some(at) = rest.windows(7).position(|w| w == b"stream\n") {
        let body = &rest[at + 7..];
        let end = body
            .windows(9)
            .position(|w| w == b"endstream")
            .unwrap_or(body.len());
        let mut s = Vec::new();
        if flate2::read::ZlibDecoder::new(&body[..end])
            .read_to_end(&mut s)
            .is_ok()
        {
            out.push_str(&String::from_utf8_lossy(&s));
        }
        rest = &body[(end + 9).min(body.len())..];
    }
    out
}
