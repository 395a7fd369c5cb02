//! The one import pipeline through the real server, on both databases: the people import's
//! column mapping (upload, match the columns, check, import, saved for next time), and the
//! stash of uploads waiting between steps refusing in words when it is full.

use mashboard_domain::Role;
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};

use crate::common::*;

async fn spawn(url: &DbUrl) -> TestApp {
    spawn_config(url, WebConfig::default()).await
}

async fn spawn_config(url: &DbUrl, config: WebConfig) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start(store, config).await
}

const HR: &str =
    "Employee No,Full Name,Grade,Directorate,Unit,Access,Date Joined,Intake,Manager,Tutor\n\
E1,Ann Lee,PC,Response,Team 1,frontline,2024-09-01,,,\n\
E2,Bo Ray,PC,Response,Team 1,frontline,2024-09-01,,E1,\n";

async fn upload(app: &TestApp, c: &Client, path: &str, kind: &str, bytes: &[u8]) -> String {
    let t = app.csrf_token(c).await;
    let mut form = Form::new().text("csrf_token", t);
    if !kind.is_empty() {
        form = form.text("kind", kind.to_string());
    }
    let form = form.part("file", Part::bytes(bytes.to_vec()).file_name("upload.csv"));
    let r = c.post(app.url(path)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

#[tokio::test]
async fn an_hr_export_with_its_own_column_names_is_matched_checked_and_imported() {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let html = upload(&app, &admin, "/people/import", "", HR.as_bytes()).await;
        assert!(html.contains("Match the columns"), "{html}");
        assert!(
            html.contains("<option value=\"employee_no\" selected>Employee No</option>"),
            "the staff number is guessed from the header"
        );
        let key = hidden(&html, "upload");
        let t = app.csrf_token(&admin).await;
        let mut fields: Vec<(&str, &str)> = vec![
            ("csrf_token", &t),
            ("upload", &key),
            ("kind", "people"),
            ("action", "map"),
            ("map_staff_number", "employee_no"),
            ("map_name", "full_name"),
            ("map_rank", "grade"),
            ("map_department", "directorate"),
            ("map_team", "unit"),
            ("map_roles", "access"),
            ("map_start_date", "date_joined"),
            ("map_cohort", "intake"),
            ("map_line_manager_staff_number", "manager"),
        ];
        // A required field left out: the form again, naming it, and nothing saved.
        let r = admin
            .post(app.url("/people/import/preview"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"), "{html}");
        assert!(
            html.contains("Choose the column that holds the mentor"),
            "{html}"
        );

        fields.push(("map_mentor_staff_number", "tutor"));
        fields.push(("save_as", "HR system"));
        let r = admin
            .post(app.url("/people/import/preview"))
            .form(&fields)
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains("2 people will be added"), "{html}");
        assert!(people::get(&app.store, "E1").await.unwrap().is_none());
        let mapping = hidden(&html, "mapping");
        assert!(
            mapping.starts_with("staff_number=employee_no;name=full_name"),
            "{mapping}"
        );
        let r = app
            .post_form(
                &admin,
                "/people/import/commit",
                &[("upload", &key), ("mapping", &mapping)],
            )
            .await;
        assert!(r.text().await.unwrap().contains("Import complete"));
        let e2 = people::get(&app.store, "E2").await.unwrap().unwrap();
        assert_eq!(e2.line_manager_name.as_deref(), Some("Ann Lee"));

        // The saved mapping is offered for the next export.
        let html = upload(&app, &admin, "/people/import", "", HR.as_bytes()).await;
        assert!(html.contains("<option value=\"HR system\""), "{html}");
    });
}

#[tokio::test]
async fn a_full_upload_stash_refuses_in_words_and_keeps_what_waits() {
    let config = WebConfig {
        max_pending_upload_bytes: 300,
        ..Default::default()
    };
    on_both!(config.clone(), |app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let file = format!(
            "Occurrence No,Date Reported,Notes\n{}",
            (1..=6)
                .map(|i| format!("INC-{i},2024-03-0{i},a note of some length\n"))
                .collect::<String>()
        );
        assert!(file.len() > 150 && file.len() <= 300, "{}", file.len());
        let first = upload(
            &app,
            &trainer,
            "/register/import",
            "incidents",
            file.as_bytes(),
        )
        .await;
        assert!(first.contains("Match the columns"), "{first}");
        let second = upload(
            &app,
            &trainer,
            "/register/import",
            "incidents",
            file.as_bytes(),
        )
        .await;
        assert!(second.contains("govuk-error-summary"), "{second}");
        assert!(
            second.contains("Too many files are waiting to be imported just now"),
            "{second}"
        );
        // The first upload still waits and can go on to its check.
        let key = hidden(&first, "upload");
        let r = app
            .post_form(
                &trainer,
                "/register/import/preview",
                &[
                    ("upload", &key),
                    ("kind", "incidents"),
                    ("action", "map"),
                    ("map_incident_ref", "occurrence_no"),
                    ("map_reported_at", "date_reported"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(html.contains("Check the import"), "{html}");
    });
}
