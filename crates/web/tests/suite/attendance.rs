//! Attendance registers and Teams reports through the real server on both databases: the JSON
//! API (mark, preview, commit, refusals), the register page and the upload → preview → commit
//! pages, and who may use them.

use mashboard_domain::people::PersonDraft;
use mashboard_domain::teams_report::utf16le_with_bom;
use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::{people, Store};
use reqwest::{Method, StatusCode};

use crate::common::*;

/// A module, a three-hour Teams session in the past, and three enrolled learners: two with
/// e-mail addresses in the report, one missing from it.
async fn seed_session(store: &Store) -> i64 {
    let actor = Actor::system();
    let rows: Vec<_> = [
        ("L1", "Zoë Ní Bhriain"),
        ("L2", "Tomás O'Brien"),
        ("L3", "Ann Lee"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (sn, name))| {
        (
            i + 2,
            PersonDraft {
                staff_number: (*sn).into(),
                name: (*name).into(),
                ..Default::default()
            }
            .validate()
            .unwrap(),
        )
    })
    .collect();
    people::import(store, &actor, &rows, false, "test seed")
        .await
        .unwrap();
    sqlx::query("UPDATE people SET email = 'zoe@force.police.uk' WHERE staff_number = 'L1'")
        .execute(store.pool())
        .await
        .unwrap();
    let module: i64 = sqlx::query_scalar(
        "INSERT INTO modules (code, title, summary, kind, duration_minutes, status, version, cpd_topic, created_at, updated_at)
         VALUES ('FL-IN', 'Frontline input', '', 'face_to_face', 180, 'live', '1.0', 0, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')
         RETURNING id",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    let session: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (module_id, module_version, title, starts_at, ends_at, mode, capacity, status, ics_uid,
            created_by, created_at, updated_at)
         VALUES ($1, '1.0', 'Frontline input', '2025-07-15T08:00:00.000000Z', '2025-07-15T11:00:00.000000Z', 'teams', 20, 'open',
            'uid-web@test', 'test', '2025-07-01T00:00:00.000000Z', '2025-07-01T00:00:00.000000Z') RETURNING id",
    )
    .bind(module)
    .fetch_one(store.pool())
    .await
    .unwrap();
    for sn in ["L1", "L2", "L3"] {
        sqlx::query(
            "INSERT INTO session_enrolments (session_id, person_id, status, position, booked_by, created_at, updated_at)
             SELECT $1, id, 'enrolled', 0, 'test', '2025-07-01T00:00:00Z', '2025-07-01T00:00:00Z' FROM people WHERE staff_number = $2",
        )
        .bind(session)
        .bind(sn)
        .execute(store.pool())
        .await
        .unwrap();
    }
    session
}

const REPORT: &str = "1. Summary\n\
Meeting title\tFrontline input\n\
Start time\t15/07/25, 09:00:00\n\
End time\t15/07/25, 12:00:00\n\
\n\
2. Participants\n\
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t2h 55m\tZOE@force.police.uk\t\tAttendee\n\
Tomás O'Brien\t15/07/25, 09:00:00\t15/07/25, 11:00:00\t1h 30m 40s\t\t\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\t\tAttendee\n\
\n\
3. In-Meeting Activities\n\
Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t2h 55m\tZOE@force.police.uk\tAttendee\n\
Tomás O'Brien\t15/07/25, 09:00:00\t15/07/25, 09:45:20\t45m 20s\t\tAttendee\n\
Tomás O'Brien\t15/07/25, 10:15:00\t15/07/25, 11:00:20\t45m 20s\t\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\tAttendee\n";

async fn post_report(
    app: &TestApp,
    token: &str,
    path: &str,
    bytes: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let r = client()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn the_api_previews_commits_and_marks() {
    on_both!(|app| {
        let session = seed_session(&app.store).await;
        let trainer = token_for(&app, Role::MashTrainer).await;
        let frontline = token_for(&app, Role::Frontline).await;
        let path = format!("/api/v1/sessions/{session}/teams-report");
        let bytes = utf16le_with_bom(REPORT);

        // Only session managers.
        let (s, _) = post_report(&app, &frontline, &path, bytes.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Preview: nothing written.
        let (s, v) = post_report(
            &app,
            &trainer,
            &format!("{path}?commit=false"),
            bytes.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["committed"], false);
        assert_eq!(v["matched"].as_array().unwrap().len(), 2);
        let zoe = v["matched"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["staff_number"] == "L1")
            .unwrap();
        assert_eq!(
            (zoe["minutes"].as_i64(), zoe["status"].as_str()),
            (Some(175), Some("attended"))
        );
        let tomas = v["matched"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["staff_number"] == "L2")
            .unwrap();
        assert_eq!(
            (tomas["minutes"].as_i64(), tomas["status"].as_str()),
            (Some(90), Some("partly_attended"))
        );
        assert_eq!(v["unmatched"][0]["name"], "Sam Guest");
        assert_eq!(v["unmatched"][0]["minutes"], 30);
        assert_eq!(v["not_in_report"], serde_json::json!(["L3"]));
        assert_eq!(
            scalar(
                &app.store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM session_attendance"
            )
            .await,
            0
        );

        // Commit, then the same report again changes nothing.
        let (s, v) = post_report(
            &app,
            &trainer,
            &format!("{path}?commit=true&file_name=report.csv"),
            bytes.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["committed"], true);
        let completions = scalar(
            &app.store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM completions WHERE session_id IS NOT NULL",
        )
        .await;
        assert_eq!(completions, 1);
        let (s, v) = post_report(
            &app,
            &trainer,
            &format!("{path}?commit=true"),
            bytes.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            (v["committed"].as_bool(), v["already_uploaded"].as_bool()),
            (Some(false), Some(true))
        );
        assert_eq!(
            scalar(
                &app.store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_reports"
            )
            .await,
            1
        );

        // Refusals, nothing written.
        let (s, v) = post_report(
            &app,
            &trainer,
            &format!("{path}?commit=true"),
            b"staff_number,name\n1,A\n".to_vec(),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("not a Microsoft Teams attendance report"),
            "{v}"
        );
        let (s, v) = post_report(
            &app,
            &trainer,
            "/api/v1/sessions/9999/teams-report",
            bytes.clone(),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        assert_eq!(
            scalar(
                &app.store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_reports"
            )
            .await,
            1
        );

        // PUT a mark: Ann (flagged not in report) was there after all.
        let (s, v) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/sessions/{session}/attendance/L3"),
            serde_json::json!({"status": "attended"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            (
                v["enrolled"].as_bool(),
                v["completion_recorded"].is_number()
            ),
            (Some(true), true)
        );
        // Partly attended needs minutes; an unknown status and an unknown person are refused.
        let (s, v) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/sessions/{session}/attendance/L3"),
            serde_json::json!({"status": "partly_attended"}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (s, _) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/sessions/{session}/attendance/L3"),
            serde_json::json!({"status": "late"}),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/sessions/{session}/attendance/NOPE1"),
            serde_json::json!({"status": "absent"}),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // A walk-in (not enrolled) can be marked, and the answer says so.
        let sn = staff_for(Role::Frontline);
        let (s, v) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/sessions/{session}/attendance/{sn}"),
            serde_json::json!({"status": "partly_attended", "minutes": 60}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["enrolled"], false);
        assert!(v["message"].as_str().unwrap().contains("walk-in"));
        // Back from attended to absent removes the unsigned completion.
        let (s, v) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/sessions/{session}/attendance/L3"),
            serde_json::json!({"status": "absent"}),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["completion_removed"].is_number());
        // A cancelled session refuses marks.
        sqlx::query("UPDATE training_sessions SET status = 'cancelled' WHERE id = $1")
            .bind(session)
            .execute(app.store.pool())
            .await
            .unwrap();
        let (s, _) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/sessions/{session}/attendance/L3"),
            serde_json::json!({"status": "attended"}),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);
    });
}

#[tokio::test]
async fn the_pages_upload_preview_commit_and_mark() {
    on_both!(|app| {
        let session = seed_session(&app.store).await;
        let c = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app
            .get(&c, &format!("/sessions/{session}/attendance"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("Tomás O&#x27;Brien")
                || html.contains("Tomás O&#39;Brien")
                || html.contains("Tomás O'Brien"),
            "register lists the enrolled"
        );

        // A file that is not a report: the GOV.UK error summary, nothing written.
        let token = app.csrf_token(&c).await;
        let upload = |bytes: Vec<u8>, token: String| {
            let form = reqwest::multipart::Form::new()
                .text("csrf_token", token)
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name("AttendanceReport.csv"),
                );
            c.post(app.url(&format!("/sessions/{session}/teams-report")))
                .multipart(form)
                .send()
        };
        let r = upload(b"hello,world\n1,2\n".to_vec(), token.clone())
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"), "{html}");
        assert!(html.contains("not a Microsoft Teams attendance report"));

        // The real report: a preview, then the commit.
        let r = upload(utf16le_with_bom(REPORT), token.clone())
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(
            html.contains("Check the Teams report before saving"),
            "{html}"
        );
        assert!(html.contains("Sam Guest"));
        assert_eq!(
            scalar(
                &app.store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM session_attendance"
            )
            .await,
            0
        );
        let at = html.find("name=\"upload\" value=\"").unwrap() + 21;
        let key = html[at..at + 32].to_string();
        let r = app
            .post_form(
                &c,
                &format!("/sessions/{session}/teams-report/commit"),
                &[("upload", &key)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app
            .get(
                &c,
                &format!("/sessions/{session}/attendance?done=committed"),
            )
            .await;
        assert!(html.contains("Not in report"));
        assert!(html.contains("Teams participants to resolve (1 open)"));

        // Save the register by hand: Ann excused; a bad minutes value is refused and names her.
        let ann: i64 = sqlx::query_scalar("SELECT id FROM people WHERE staff_number = 'L3'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let r = app
            .post_form(
                &c,
                &format!("/sessions/{session}/attendance"),
                &[
                    (&format!("status-{ann}"), "partly_attended"),
                    (&format!("minutes-{ann}"), "lots"),
                ],
            )
            .await;
        let html = r.text().await.unwrap();
        assert!(
            html.contains("govuk-error-summary")
                && html.contains("Ann Lee: minutes must be a whole number"),
            "{html}"
        );
        let r = app
            .post_form(
                &c,
                &format!("/sessions/{session}/attendance"),
                &[(&format!("status-{ann}"), "excused")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let st: Option<String> =
            sqlx::query_scalar("SELECT status FROM session_attendance WHERE person_id = $1")
                .bind(ann)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        assert_eq!(st.as_deref(), Some("excused"));

        // Resolve the guest as an external attendee; set the report opt-out.
        let uid: i64 = sqlx::query_scalar("SELECT id FROM teams_report_unmatched")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let r = app
            .post_form(
                &c,
                &format!("/sessions/{session}/attendance/unmatched/{uid}"),
                &[
                    ("action", "external"),
                    (&format!("organisation-{uid}"), "Guest"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app
            .get(&c, &format!("/sessions/{session}/attendance"))
            .await;
        assert!(html.contains("External attendees (1)"), "{html}");
        let r = app
            .post_form(
                &c,
                &format!("/sessions/{session}/attendance/opt-out"),
                &[("report_opt_out", "1")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            scalar(&app.store, "SELECT report_opt_out FROM training_sessions").await,
            1
        );

        // A frontline officer cannot see the register.
        let f = app.signed_in(Role::Frontline).await;
        let (s, _) = app
            .get(&f, &format!("/sessions/{session}/attendance"))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    });
}

/// The meeting restarted after it dropped: Tomás back for 55 minutes, Ann (missing from the
/// first report) for 40.
const RESTARTED: &str = "1. Summary\n\
Meeting title\tFrontline input\n\
Start time\t15/07/25, 11:05:00\n\
End time\t15/07/25, 12:00:00\n\
\n\
2. Participants\n\
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
Tomás O'Brien\t15/07/25, 11:05:00\t15/07/25, 12:00:00\t55m\t\t\tAttendee\n\
Ann Lee\t15/07/25, 11:20:00\t15/07/25, 12:00:00\t40m\t\t\tAttendee\n";

#[tokio::test]
async fn two_reports_of_one_session_add_up() {
    on_both!(|app| {
        let session = seed_session(&app.store).await;
        let trainer = token_for(&app, Role::MashTrainer).await;
        let path = format!("/api/v1/sessions/{session}/teams-report");
        let (s, first) = post_report(
            &app,
            &trainer,
            &format!("{path}?commit=true&file_name=part1.csv"),
            utf16le_with_bom(REPORT),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{first}");
        let first_id = first["report_id"].as_i64().unwrap();

        // The second report's preview: added to the one already committed, before and after.
        let (s, v) = post_report(&app, &trainer, &path, RESTARTED.as_bytes().to_vec()).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["reports_before"], 1);
        let tomas = v["matched"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["staff_number"] == "L2")
            .unwrap()
            .clone();
        assert_eq!(
            (
                tomas["before_minutes"].as_i64(),
                tomas["report_minutes"].as_i64(),
                tomas["minutes"].as_i64(),
                tomas["status"].as_str()
            ),
            (Some(90), Some(55), Some(145), Some("attended"))
        );
        assert_eq!(v["not_in_report"], serde_json::json!([]));
        let (s, v) = post_report(
            &app,
            &trainer,
            &format!("{path}?commit=true&file_name=part2.csv"),
            RESTARTED.as_bytes().to_vec(),
        )
        .await;
        assert_eq!((s, v["committed"].as_bool()), (StatusCode::OK, Some(true)));

        let attendance = |token: String| {
            let url = app.url(&format!("/api/v1/sessions/{session}"));
            async move {
                let v: serde_json::Value = client()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let mut out: Vec<(String, String, Option<i64>)> = v["attendance"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        (
                            a["staff_number"].as_str().unwrap().to_string(),
                            a["status"].as_str().unwrap_or("").to_string(),
                            a["minutes"].as_i64(),
                        )
                    })
                    .collect();
                out.sort();
                out
            }
        };
        let c = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app
            .get(&c, &format!("/sessions/{session}/attendance"))
            .await;
        assert!(
            html.contains("2 Teams reports are recorded for this session"),
            "{html}"
        );
        assert_eq!(
            attendance(trainer.clone()).await,
            vec![
                ("L1".into(), "attended".into(), Some(175)),
                ("L2".into(), "attended".into(), Some(145)),
                ("L3".into(), "partly_attended".into(), Some(40)),
            ]
        );

        // Removing the first report sums the rest again.
        let (s, v) = api(
            &app,
            &trainer,
            Method::DELETE,
            &format!("/api/v1/sessions/{session}/teams-reports/{first_id}"),
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["reports_left"], 1);
        let after = attendance(trainer.clone()).await;
        assert!(
            after.contains(&("L2".into(), "partly_attended".into(), Some(55))),
            "{after:?}"
        );
        assert!(after.contains(&("L3".into(), "partly_attended".into(), Some(40))));
        assert!(
            !after.iter().any(|a| a.0 == "L1" && !a.1.is_empty()),
            "{after:?}"
        );
        let (s, _) = api(
            &app,
            &trainer,
            Method::DELETE,
            &format!("/api/v1/sessions/{session}/teams-reports/{first_id}"),
            serde_json::Value::Null,
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // The page preview of a further report says it will be added, with before and after.
        let token = app.csrf_token(&c).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .part(
                "file",
                reqwest::multipart::Part::bytes(utf16le_with_bom(REPORT)).file_name("part1.csv"),
            );
        let html = c
            .post(app.url(&format!("/sessions/{session}/teams-report")))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("This report will be added to the 1 report already committed"),
            "{html}"
        );
        assert!(html.contains("Minutes before") && html.contains("Minutes after"));

        // Removing the last report through the pages: asked first, then the register is cleared
        // of its marks and flags.
        let left: i64 = sqlx::query_scalar("SELECT id FROM teams_reports WHERE session_id = $1")
            .bind(session)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        let (s, html) = app
            .get(
                &c,
                &format!("/sessions/{session}/teams-report/{left}/remove"),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("Remove the Teams report part2.csv?"),
            "{html}"
        );
        assert!(html.contains("only report"));
        let r = app
            .post_form(
                &c,
                &format!("/sessions/{session}/teams-report/{left}/remove"),
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app
            .get(&c, &format!("/sessions/{session}/attendance?done=removed"))
            .await;
        assert!(html.contains("The Teams report has been removed"));
        assert!(attendance(trainer.clone())
            .await
            .iter()
            .all(|a| a.1.is_empty()));
    });
}

#[tokio::test]
async fn a_teams_report_for_a_session_not_yet_held_is_refused_by_the_api_and_the_page() {
    on_both!(|app| {
        let session = seed_session(&app.store).await;
        sqlx::query("UPDATE training_sessions SET starts_at = '2099-07-15T08:00:00.000000Z', ends_at = '2099-07-15T11:00:00.000000Z' WHERE id = $1")
            .bind(session)
            .execute(app.store.pool())
            .await
            .unwrap();
        let trainer = token_for(&app, Role::MashTrainer).await;
        let path = format!("/api/v1/sessions/{session}/teams-report?commit=true");
        let (s, v) = post_report(&app, &trainer, &path, utf16le_with_bom(REPORT)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("has not happened yet"),
            "{v}"
        );
        assert_eq!(
            scalar(
                &app.store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_reports"
            )
            .await,
            0
        );
    });
}

#[tokio::test]
async fn the_register_says_when_the_session_was_in_london_time_in_words() {
    on_both!(|app| {
        let session = seed_session(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (s, html) = app
            .get(&trainer, &format!("/sessions/{session}/attendance"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Tuesday 15 July 2025 at 9am"), "{html}");
    });
}
