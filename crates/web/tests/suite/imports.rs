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
        let done = r.text().await.unwrap();
        assert!(done.contains("Import complete"), "{done}");
        assert!(done.contains("href=\"/people\">Go to people</a>"), "{done}");
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

const AUDITS: &str = "From,To,Examined,Needed,Completed,Not needed,Over referred\n\
01/01/2022,30/06/2022,40,20,13,20,1\n\
2022-07-01,2022-12-31,30,30,20,0,0\n";

/// The mapping form's answer for [`AUDITS`].
const AUDIT_COLUMNS: [(&str, &str); 7] = [
    ("map_period_start", "from"),
    ("map_period_end", "to"),
    ("map_examined", "examined"),
    ("map_required", "needed"),
    ("map_completed_when_required", "completed"),
    ("map_not_required", "not_needed"),
    ("map_completed_when_not_required", "over_referred"),
];

/// Uploads [`AUDITS`] to the register import page and answers the mapping form: the preview.
async fn audits_previewed(app: &TestApp, c: &Client) -> String {
    let html = upload(
        app,
        c,
        "/register/import",
        "audit_history",
        AUDITS.as_bytes(),
    )
    .await;
    assert!(html.contains("Match the columns"), "{html}");
    assert!(
        html.contains("<option value=\"needed\" selected>Needed</option>"),
        "the columns are guessed from the header: {html}"
    );
    let key = hidden(&html, "upload");
    let mut fields = vec![
        ("upload", key.as_str()),
        ("kind", "audit_history"),
        ("action", "map"),
    ];
    fields.extend(AUDIT_COLUMNS);
    let r = app.post_form(c, "/register/import/preview", &fields).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn commit_previewed(app: &TestApp, c: &Client, html: &str) -> String {
    let fields = [
        ("upload", hidden(html, "upload")),
        ("kind", hidden(html, "kind")),
        ("mapping", hidden(html, "mapping")),
    ];
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(c, "/register/import/commit", &form).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

#[tokio::test]
async fn past_audits_are_imported_through_the_pipeline_and_reach_the_compliance_chart() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let html = audits_previewed(&app, &trainer).await;
        assert!(!html.contains("govuk-error-summary"), "{html}");
        assert!(html.contains("2 new periods will be added"), "{html}");
        assert!(html.contains("1 January 2022 to 30 June 2022"), "{html}");
        assert_eq!(
            count(&app.store, "audit_history").await,
            0,
            "a preview writes nothing"
        );

        let done = commit_previewed(&app, &trainer, &html).await;
        assert!(done.contains("Import complete"), "{done}");
        assert!(
            done.contains("2 new, 0 changed, 0 already up to date"),
            "{done}"
        );
        assert_eq!(count(&app.store, "audit_history").await, 2);

        // The dashboard's compliance figures now include the imported periods. (The impact API
        // checks its default module, FL-PPN, on every call, so the catalogue needs it.)
        sqlx::query("INSERT INTO modules (code, title, kind, status, version, created_at, updated_at) VALUES ('FL-PPN', 'Frontline referral input', 'classroom', 'active', '1', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')")
            .execute(app.store.pool())
            .await
            .unwrap();
        let (s, v) = app
            .api_as(
                Role::SeniorLeader,
                "/api/v1/impact/compliance?from=2022-01-01&to=2022-12-31",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let periods = v["periods"].as_array().unwrap();
        assert_eq!(periods.len(), 2, "{v}");
        assert!(
            periods
                .iter()
                .any(|p| p["period_start"] == "2022-01-01" && p["imported"] == true),
            "{v}"
        );
        assert_eq!(v["years"]["2022"]["completed_when_required"], 33, "{v}");

        // The same file again: every period already up to date, nothing new.
        let again = audits_previewed(&app, &trainer).await;
        assert!(again.contains("0 new periods will be added"), "{again}");
        assert!(again.contains("2 are already up to date"), "{again}");
        let done = commit_previewed(&app, &trainer, &again).await;
        assert!(
            done.contains("0 new, 0 changed, 2 already up to date"),
            "{done}"
        );
        assert_eq!(count(&app.store, "audit_history").await, 2);
        assert_eq!(
            audit_actions(&app.store, "audit_history.import")
                .await
                .len(),
            2 + 2,
            "two previews and two imports in the audit trail"
        );

        // Past reviews: the standard header goes straight to the check.
        let reviews = "period_start,period_end,grade_1,grade_2,grade_3,grade_4\n\
            2023-01-01,2023-03-31,2,5,1,0\n";
        let html = upload(
            &app,
            &trainer,
            "/register/import",
            "review_history",
            reviews.as_bytes(),
        )
        .await;
        assert!(html.contains("1 new period will be added"), "{html}");
        let done = commit_previewed(&app, &trainer, &html).await;
        assert!(done.contains("Import complete"), "{done}");
        assert_eq!(count(&app.store, "review_history").await, 1);
    });
}

#[tokio::test]
async fn a_history_file_with_a_bad_row_names_row_field_and_reason_and_writes_nothing() {
    on_both!(|app| {
        let admin = app.signed_in(Role::Administrator).await;
        let file = "period_start,period_end,examined,required,completed_when_required,not_required,completed_when_not_required\n\
            2023-01-01,2023-03-31,10,5,5,5,0\n\
            2023-04-01,2023-06-30,10,12,5,0,0\n";
        let html = upload(
            &app,
            &admin,
            "/register/import",
            "audit_history",
            file.as_bytes(),
        )
        .await;
        assert!(html.contains("The file cannot be imported"), "{html}");
        assert!(
            html.contains("2 problems were found in upload.csv"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"govuk-table__cell\">3</td><td class=\"govuk-table__cell\">required</td><td class=\"govuk-table__cell\">12 needed a referral, but only 10 incidents were examined</td>"),
            "row, field and reason: {html}"
        );
        assert!(
            !html.contains("/register/import/commit"),
            "no import button"
        );
        // Pressed anyway: still refused, and the good row is not written either.
        let fields = [
            ("upload", hidden(&html, "upload")),
            ("kind", "audit_history".to_string()),
            ("mapping", hidden(&html, "mapping")),
        ];
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app
            .post_form(&admin, "/register/import/commit", &form)
            .await;
        let done = r.text().await.unwrap();
        assert!(done.contains("The file cannot be imported"), "{done}");
        assert!(!done.contains("Import complete"), "{done}");
        assert_eq!(
            count(&app.store, "audit_history").await,
            0,
            "all or nothing"
        );
        assert!(
            audit_actions(&app.store, "audit_history.import_rejected")
                .await
                .len()
                >= 2
        );
    });
}
