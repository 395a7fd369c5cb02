//! `mashboard import teams-report SESSION_ID FILE [--dry-run] [--json]` as an operator uses it, on
//! SQLite and on PostgreSQL.

use crate::common::{count, databases, run_without_db, text};

use mashboard_domain::teams_report::utf16le_with_bom;
use mashboard_store::{DbUrl, Store};

const PEOPLE: &str = "staff_number,name,rank,department,team,roles,start_date,cohort,line_manager_staff_number,mentor_staff_number\r\n\
P100,Zoë Ní Bhriain,PC,Response,North,,2024-09-01,,,\r\n\
P200,Tomás O'Brien,PC,Response,North,,2024-09-01,,,\r\n\
P300,Ann Lee,PCSO,Response,North,,2024-09-01,,,\r\n";

const REPORT: &str = "1. Summary\n\
Meeting title\tFrontline input\n\
Start time\t15/07/25, 09:00:00\n\
End time\t15/07/25, 12:00:00\n\
\n\
2. Participants\n\
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t2h 55m\t\t\tAttendee\n\
Tomás O'Brien\t15/07/25, 09:00:00\t15/07/25, 11:00:00\t1h 30m\t\t\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\t\tAttendee\n";

async fn seed(dir: &std::path::Path, db: &str) -> i64 {
    let people = dir.join("people.csv");
    std::fs::write(&people, PEOPLE).unwrap();
    let o = run_without_db(&["import", "people", people.to_str().unwrap(), "--db", db]);
    assert!(o.status.success(), "{}", text(&o));
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
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
            'uid-cli@test', 'test', '2025-07-01T00:00:00.000000Z', '2025-07-01T00:00:00.000000Z') RETURNING id",
    )
    .bind(module)
    .fetch_one(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO session_enrolments (session_id, person_id, status, position, booked_by, created_at, updated_at)
         SELECT $1, id, 'enrolled', 0, 'test', '2025-07-01T00:00:00Z', '2025-07-01T00:00:00Z' FROM people",
    )
    .bind(session)
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    session
}

#[tokio::test]
async fn a_teams_report_from_the_command_line() {
    let (dir, dbs) = databases().await;
    let report = dir.path().join("AttendanceReport.csv");
    std::fs::write(&report, utf16le_with_bom(REPORT)).unwrap();
    let report = report.to_str().unwrap().to_string();
    let junk = dir.path().join("people-again.csv");
    std::fs::write(&junk, PEOPLE).unwrap();
    let junk = junk.to_str().unwrap().to_string();
    for db in &dbs {
        let session = seed(dir.path(), db).await.to_string();
        // The dry run shows the table and writes nothing.
        let o = run_without_db(&[
            "import",
            "teams-report",
            &session,
            &report,
            "--dry-run",
            "--db",
            db,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let out = text(&o);
        assert!(out.contains("P100") && out.contains("attended"), "{out}");
        assert!(out.contains("Sam Guest"), "{out}");
        assert!(out.contains("not in the report (1): P300"), "{out}");
        assert!(out.contains("Dry run: nothing was recorded."), "{out}");
        assert_eq!(count(db, "session_attendance").await, 0);
        // Recorded, as JSON.
        let o = run_without_db(&[
            "import",
            "teams-report",
            &session,
            &report,
            "--json",
            "--db",
            db,
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["committed"], true);
        assert_eq!(v["not_in_report"], serde_json::json!(["P300"]));
        let p200 = v["matched"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["staff_number"] == "P200")
            .unwrap();
        assert_eq!(
            (p200["minutes"].as_i64(), p200["status"].as_str()),
            (Some(90), Some("partly_attended"))
        );
        assert_eq!(count(db, "session_attendance").await, 3);
        // The same again changes nothing.
        let o = run_without_db(&["import", "teams-report", &session, &report, "--db", db]);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("already been recorded"), "{}", text(&o));
        // A file that is not a report, a missing file, an unknown session: non-zero, plain words.
        let o = run_without_db(&["import", "teams-report", &session, &junk, "--db", db]);
        assert!(!o.status.success());
        assert!(
            text(&o).contains("not a Microsoft Teams attendance report"),
            "{}",
            text(&o)
        );
        let o = run_without_db(&[
            "import",
            "teams-report",
            &session,
            "/nonexistent/report.csv",
            "--db",
            db,
        ]);
        assert!(!o.status.success());
        assert!(
            text(&o).contains("Could not read /nonexistent/report.csv"),
            "{}",
            text(&o)
        );
        let o = run_without_db(&["import", "teams-report", "9999", &report, "--db", db]);
        assert!(!o.status.success());
        assert!(
            text(&o).contains("There is no session 9999"),
            "{}",
            text(&o)
        );
        assert_eq!(count(db, "session_attendance").await, 3);
    }
}

#[tokio::test]
async fn a_teams_report_for_a_session_not_yet_held_is_refused_on_the_command_line() {
    let (dir, dbs) = databases().await;
    let report = dir.path().join("AttendanceReport.csv");
    std::fs::write(&report, utf16le_with_bom(REPORT)).unwrap();
    let report = report.to_str().unwrap().to_string();
    for db in &dbs {
        let session = seed(dir.path(), db).await;
        let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
        sqlx::query("UPDATE training_sessions SET starts_at = '2099-07-15T08:00:00.000000Z', ends_at = '2099-07-15T11:00:00.000000Z' WHERE id = $1")
            .bind(session)
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
        let session = session.to_string();
        let o = run_without_db(&["import", "teams-report", &session, &report, "--db", db]);
        assert!(!o.status.success());
        assert!(text(&o).contains("has not happened yet"), "{}", text(&o));
        assert_eq!(count(db, "session_attendance").await, 0);
    }
}
