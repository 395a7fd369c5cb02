//! The evaluation report, through the real server on both databases: the trainer starts a
//! report (with GOV.UK errors first), reads the answer and the four levels, downloads the PDF
//! and the workbook, publishes it after a confirmation, and the published figures stay frozen
//! when the data changes; the API does the same; who may do what.

use mashboard_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

async fn seed_history(store: &mashboard_store::Store) {
    for sql in [
        "INSERT INTO audit_history (period_start, period_end, examined, required, completed_when_required, not_required, completed_when_not_required, imported_at)
         VALUES ('2022-01-01', '2022-02-28', 40, 30, 19, 10, 1, '2026-01-01T00:00:00Z'),
                ('2025-01-01', '2025-02-28', 40, 30, 27, 10, 0, '2026-01-01T00:00:00Z')",
        "INSERT INTO review_history (period_start, period_end, grade_1, grade_2, grade_3, grade_4, imported_at)
         VALUES ('2024-10-01', '2024-12-31', 1, 2, 4, 3, '2026-01-01T00:00:00Z')",
    ] {
        sqlx::query(sql).execute(store.pool()).await.unwrap();
    }
}

#[tokio::test]
async fn the_trainer_publishes_an_evaluation_report_and_it_stays_as_published() {
    on_both!(|app| {
        seed_history(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;

        // Errors the GOV.UK way: summary and inline, values kept.
        let r = app
            .post_form(
                &trainer,
                "/impact/evaluation",
                &[("title", ""), ("from", "2025-06-01"), ("to", "2024-01-01")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"), "{html}");
        assert!(html.contains("Enter a title for the report"));
        assert!(html.contains("The last day must be on or after the first day"));
        assert_eq!(count(&app.store, "evaluation_reports").await, 0);

        let r = app
            .post_form(
                &trainer,
                "/impact/evaluation",
                &[
                    ("title", "Evaluation for the ACC"),
                    ("from", "2022-01-01"),
                    ("to", "2025-12-31"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let page = location(&r);
        let id = id_in(&page, "/impact/evaluation/");
        let (status, html) = app.get(&trainer, &page).await;
        assert_eq!(status, StatusCode::OK);
        for text in [
            "Is the training working?",
            "Level 1: reaction",
            "Level 2: learning",
            "Level 3: behaviour",
            "Level 4: results",
            // 19 of 30 in 2022, 27 of 30 in 2025.
            "63.3%",
            "90.0%",
            "Imported",
            "Draft",
        ] {
            assert!(html.contains(text), "{text} missing");
        }
        // The event study is kept with the report: every quarter from training in a table, the
        // reference marked; with no estimate in any quarter there is no chart, and it says so.
        assert!(html.contains("Before and after training, quarter by quarter"));
        assert!(html.contains("1 before (the reference)"));
        assert!(html.contains("4 or more after"));
        assert!(html.contains("No chart: the event study has no estimate for any quarter"));

        let (status, body) = app.get(&trainer, &format!("{page}/report.pdf")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.starts_with("%PDF"), "a PDF");
        // Every download the page offers opens for a reader signed in with the browser (the
        // JSON link once led to the API, which asks for a token); the JSON is the API's.
        let links: Vec<String> = html
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|href| href.contains("/report."))
            .map(str::to_string)
            .collect();
        assert_eq!(links.len(), 3, "{links:?}");
        for link in &links {
            let (status, _) = app.get(&trainer, link).await;
            assert_eq!(status, StatusCode::OK, "{link}");
        }
        let (status, body) = app.get(&trainer, &format!("{page}/report.json")).await;
        assert_eq!(status, StatusCode::OK);
        let from_page: serde_json::Value = serde_json::from_str(&body).unwrap();
        let token = token_for(&app, Role::MashTrainer).await;
        let (status, from_api) = app
            .api_json(
                &token,
                reqwest::Method::GET,
                &format!("/api/v1/evaluation-reports/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(from_page, from_api);
        let r = trainer
            .get(app.url(&format!("{page}/report.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.unwrap().to_vec();
        assert!(bytes.starts_with(b"PK"), "an xlsx (zip)");
        // The event study is in the workbook: every quarter from training, the reference
        // with its 0, and no estimate where there is none.
        {
            use calamine::{Data, Reader, Xlsx};
            let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
            let sheet = book.worksheet_range("L4 event study").unwrap();
            let rows: Vec<&[Data]> = sheet.rows().collect();
            assert_eq!(rows.len(), 10, "a header and nine quarters");
            assert_eq!(rows[4][0], Data::String("1 before (the reference)".into()));
            assert_eq!(rows[9][0], Data::String("4 or more after".into()));
            assert!(matches!(rows[4][2], Data::Float(v) if v == 0.0));
            assert!(matches!(rows[9][2], Data::Empty | Data::String(_)));
        }
        // And in the PDF: its heading, what it shows, and its table.
        let pdf = trainer
            .get(app.url(&format!("{page}/report.pdf")))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let text = crate::training_edges::inflated(&pdf);
        for words in [
            "Event study",
            "by quarters from training",
            "parallel-trends check",
            "Quarters from training",
            "1 before (the reference)",
            "4 or more after",
            "No chart",
        ] {
            assert!(text.contains(words), "the PDF says {words}");
        }

        // Publishing asks first, then freezes the figures.
        let (status, html) = app.get(&trainer, &format!("{page}/publish")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("This cannot be undone"));
        let r = app
            .post_form(&trainer, &format!("{page}/publish"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, before) = app
            .api_as(
                Role::SeniorLeader,
                &format!("/api/v1/evaluation-reports/{id}"),
            )
            .await;
        assert_eq!(before["status"], "published");
        assert_eq!(before["report"]["years"][0]["required"], 30);

        // New data does not change what was published, and it cannot be refreshed.
        sqlx::query(
            "INSERT INTO audit_history (period_start, period_end, examined, required, completed_when_required, not_required, completed_when_not_required, imported_at)
             VALUES ('2022-03-01', '2022-04-30', 40, 30, 30, 10, 0, '2026-01-01T00:00:00Z')",
        )
        .execute(app.store.pool())
        .await
        .unwrap();
        let r = app
            .post_form(&trainer, &format!("{page}/refresh"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let (_, after) = app
            .api_as(
                Role::SeniorLeader,
                &format!("/api/v1/evaluation-reports/{id}"),
            )
            .await;
        assert_eq!(after["report"], before["report"]);
        let (_, html) = app.get(&trainer, &page).await;
        assert!(html.contains("These figures are frozen"));
        assert_eq!(
            audit_actions(&app.store, "evaluation.").await,
            ["evaluation.create", "evaluation.publish"]
        );
    });
}

#[tokio::test]
async fn the_api_starts_reads_and_publishes_reports_and_refuses_others() {
    on_both!(|app| {
        seed_history(&app.store).await;
        let trainer = token_for(&app, Role::MashTrainer).await;
        let (status, body) = api(
            &app,
            &trainer,
            reqwest::Method::POST,
            "/api/v1/evaluation-reports",
            json!({"title": "", "from": "2022-01-01", "to": "2099-01-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let fields: Vec<&str> = body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["title", "to"]);
        let (status, body) = api(
            &app,
            &trainer,
            reqwest::Method::POST,
            "/api/v1/evaluation-reports",
            json!({"title": "Q4", "from": "2022-01-01", "to": "2025-12-31"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_i64().unwrap();
        let (status, body) = api(
            &app,
            &trainer,
            reqwest::Method::GET,
            &format!("/api/v1/evaluation-reports/{id}"),
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "draft");
        let answer = body["report"]["answer"]["headline"].as_str().unwrap();
        assert!(
            answer.starts_with("Not yet known"),
            "no referrals: {answer}"
        );
        assert_eq!(body["report"]["reviews"][0]["n"], 10);

        // Senior leaders and auditors read; they cannot start or publish.
        let leader = token_for(&app, Role::SeniorLeader).await;
        let (status, _) = api(
            &app,
            &leader,
            reqwest::Method::POST,
            "/api/v1/evaluation-reports",
            json!({"title": "x", "from": "2022-01-01", "to": "2022-02-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = api(
            &app,
            &leader,
            reqwest::Method::POST,
            &format!("/api/v1/evaluation-reports/{id}/publish"),
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, list) = api(
            &app,
            &leader,
            reqwest::Method::GET,
            "/api/v1/evaluation-reports",
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);
        for role in [Role::Frontline, Role::PartnerReviewer, Role::LineManager] {
            let (status, _) = app
                .api_as(role, &format!("/api/v1/evaluation-reports/{id}"))
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}");
        }

        let (status, body) = api(
            &app,
            &trainer,
            reqwest::Method::POST,
            &format!("/api/v1/evaluation-reports/{id}/publish"),
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "published");
        let (status, _) = api(
            &app,
            &trainer,
            reqwest::Method::POST,
            &format!("/api/v1/evaluation-reports/{id}/publish"),
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = api(
            &app,
            &trainer,
            reqwest::Method::GET,
            "/api/v1/evaluation-reports/999",
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api(
            &app,
            &trainer,
            reqwest::Method::GET,
            "/api/v1/evaluation-reports/abc",
            json!(null),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    });
}
