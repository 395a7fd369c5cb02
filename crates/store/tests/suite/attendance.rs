//! Attendance registers and Teams reports, every test on SQLite and on PostgreSQL.

use crate::common::{person_id, scalar};
use mashboard_domain::attendance::Status;
use mashboard_domain::people::PersonDraft;
use mashboard_domain::teams_report::utf16le_with_bom;
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::{attendance, teams};
use mashboard_store::people;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions;
use mashboard_store::{Store, StoreError};

struct World {
    session: i64,
    module: i64,
    zoe: i64,
    tomas: i64,
    ann: i64,
    walk_in: i64,
}

/// Four people, a module, a three-hour Teams session (in the past) with three enrolled.
async fn world(store: &Store) -> World {
    let actor = Actor::system();
    let row = |sn: &str, name: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = vec![
        (2, row("Z1", "Zoë Ní Bhriain")),
        (3, row("T1", "Tomás O'Brien")),
        (4, row("A1", "Ann Lee")),
        (5, row("W1", "Walk In")),
    ];
    people::import(store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    for (sn, email) in [
        ("Z1", "zoe.nibhriain@force.police.uk"),
        ("W1", "walk.in@force.police.uk"),
        ("A1", "ann.lee@force.police.uk"),
    ] {
        sqlx::query("UPDATE people SET email = $1 WHERE staff_number = $2")
            .bind(email)
            .bind(sn)
            .execute(store.pool())
            .await
            .unwrap();
    }
    let m = catalogue::create_module(
        store,
        &actor,
        &ModuleInput {
            code: "FL-INPUT".into(),
            title: "Frontline safeguarding input".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    let session: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (module_id, module_version, title, starts_at, ends_at, mode, capacity, status, ics_uid,
            created_by, created_at, updated_at)
         VALUES ($1, '1.0', 'Frontline input', '2025-07-15T08:00:00.000000Z', '2025-07-15T11:00:00.000000Z', 'teams', 20, 'open',
            'uid-1@test', 'test', '2025-07-01T00:00:00.000000Z', '2025-07-01T00:00:00.000000Z') RETURNING id",
    )
    .bind(m.id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let w = World {
        session,
        module: m.id,
        zoe: person_id(store, "Z1").await,
        tomas: person_id(store, "T1").await,
        ann: person_id(store, "A1").await,
        walk_in: person_id(store, "W1").await,
    };
    for p in [w.zoe, w.tomas, w.ann] {
        sqlx::query(
            "INSERT INTO session_enrolments (session_id, person_id, status, position, booked_by, created_at, updated_at)
             VALUES ($1, $2, 'enrolled', 0, 'test', '2025-07-01T00:00:00.000000Z', '2025-07-01T00:00:00.000000Z')",
        )
        .bind(session)
        .bind(p)
        .execute(store.pool())
        .await
        .unwrap();
    }
    w
}

/// Zoë stays 2h 50m (attended), Tomás joins twice for 1h 30m in all (partly), a guest, an
/// external person and the walk-in (by e-mail); Ann is missing.
const REPORT: &str = "1. Summary\n\
Meeting title\tFrontline input\n\
Start time\t15/07/25, 09:00:00\n\
End time\t15/07/25, 12:00:00\n\
\n\
2. Participants\n\
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:00\t15/07/25, 11:50:00\t2h 50m\tZoe.NiBhriain@force.police.uk\t\tAttendee\n\
Tomás O'Brien\t15/07/25, 09:00:00\t15/07/25, 11:00:00\t1h 30m\t\t\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\t\tAttendee\n\
Priya Shah (External)\t15/07/25, 09:05:00\t15/07/25, 12:00:00\t2h 55m\tpriya.shah@council.gov.uk\t\tAttendee\n\
Walk In\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t3h\twalk.in@force.police.uk\t\tAttendee\n\
\n\
3. In-Meeting Activities\n\
Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:00\t15/07/25, 11:50:00\t2h 50m\tZoe.NiBhriain@force.police.uk\tAttendee\n\
Tomás O'Brien\t15/07/25, 09:00:00\t15/07/25, 09:45:00\t45m\t\tAttendee\n\
Tomás O'Brien\t15/07/25, 10:15:00\t15/07/25, 11:00:00\t45m\t\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\tAttendee\n\
Priya Shah (External)\t15/07/25, 09:05:00\t15/07/25, 12:00:00\t2h 55m\tpriya.shah@council.gov.uk\tAttendee\n\
Walk In\t15/07/25, 09:00:00\t15/07/25, 12:00:00\t3h\twalk.in@force.police.uk\tAttendee\n";

#[tokio::test]
async fn a_teams_report_previews_then_commits_once() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        let bytes = utf16le_with_bom(REPORT);
        let audits_before =
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await;
        let p = teams::preview(&store, w.session, &bytes).await.unwrap();
        assert_eq!(p.matching.matched.len(), 3);
        assert_eq!(p.matching.unmatched.len(), 2);
        assert_eq!(p.matching.not_in_report, vec!["A1".to_string()]);
        // The preview wrote nothing.
        assert_eq!(
            scalar(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM session_attendance"
            )
            .await,
            0
        );
        assert_eq!(
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await,
            audits_before
        );

        let c = teams::commit(&store, &actor, w.session, "report.csv", &bytes)
            .await
            .unwrap();
        assert!(c.committed);
        let reg = attendance::register(&store, w.session).await.unwrap();
        let row = |sn: &str| reg.iter().find(|r| r.staff_number == sn).unwrap().clone();
        assert_eq!(
            (row("Z1").status.as_deref(), row("Z1").minutes),
            (Some("attended"), Some(170))
        );
        assert_eq!(
            (row("T1").status.as_deref(), row("T1").minutes),
            (Some("partly_attended"), Some(90))
        );
        assert_eq!(row("W1").status.as_deref(), Some("attended"));
        assert_eq!(row("W1").enrolment, "");
        // Ann is flagged, never marked absent.
        assert_eq!(
            (row("A1").status.clone(), row("A1").not_in_report),
            (None, 1)
        );
        // Attended → a completion against the module, linked to the session.
        let zc = completions::of_person(&store, w.zoe).await.unwrap();
        assert_eq!(zc.len(), 1);
        assert_eq!(
            (
                zc[0].module_id,
                zc[0].mode.as_str(),
                zc[0].completed_on.as_str()
            ),
            (w.module, "virtual", "2025-07-15")
        );
        assert!(completions::of_person(&store, w.tomas)
            .await
            .unwrap()
            .is_empty());
        let linked = scalar(
            &store,
            &format!(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM completions WHERE session_id = {}",
                w.session
            ),
        )
        .await;
        assert_eq!(linked, 2);
        let status: String =
            sqlx::query_scalar("SELECT status FROM training_sessions WHERE id = $1")
                .bind(w.session)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(status, "delivered");
        assert_eq!(teams::unmatched(&store, w.session).await.unwrap().len(), 2);

        // The same file again changes nothing and says so.
        let audits = scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await;
        let again = teams::commit(&store, &actor, w.session, "report (1).csv", &bytes)
            .await
            .unwrap();
        assert!(!again.committed);
        assert_eq!(again.preview.already_uploaded, Some(c.report_id));
        assert_eq!(
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await,
            audits
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_report_unmatched"
            )
            .await,
            2
        );
        assert_eq!(
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM completions").await,
            2
        );
    });
}

#[tokio::test]
async fn bad_files_cancelled_and_unknown_sessions_write_nothing() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        let e = teams::commit(
            &store,
            &actor,
            w.session,
            "people.csv",
            b"staff_number,name\n1,A\n",
        )
        .await
        .unwrap_err();
        assert!(
            matches!(e, StoreError::Invalid(ref m) if m.contains("not a Microsoft Teams attendance report")),
            "{e}"
        );
        let e = teams::preview(&store, 9999, REPORT.as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound(_)));
        sqlx::query("UPDATE training_sessions SET status = 'cancelled' WHERE id = $1")
            .bind(w.session)
            .execute(store.pool())
            .await
            .unwrap();
        let e = teams::commit(&store, &actor, w.session, "r.csv", REPORT.as_bytes())
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict(_)));
        let e = attendance::mark(&store, &actor, w.session, w.zoe, Status::Attended, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("cancelled"));
        assert_eq!(
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_reports").await,
            0
        );
        assert_eq!(
            scalar(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM session_attendance"
            )
            .await,
            0
        );
    });
}

#[tokio::test]
async fn changing_attended_removes_the_unsigned_completion_and_refuses_a_signed_one() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        let o = attendance::mark(&store, &actor, w.session, w.zoe, Status::Attended, None)
            .await
            .unwrap();
        let cid = o.completion_recorded.expect("a completion");
        // Marking attended again changes nothing and never makes a second completion.
        let again = attendance::mark(&store, &actor, w.session, w.zoe, Status::Attended, None)
            .await
            .unwrap();
        assert!(!again.changed);
        assert_eq!(
            completions::of_person(&store, w.zoe).await.unwrap().len(),
            1
        );
        let o = attendance::mark(&store, &actor, w.session, w.zoe, Status::Excused, Some(5))
            .await
            .unwrap();
        assert_eq!(o.completion_removed, Some(cid));
        assert!(completions::of_person(&store, w.zoe)
            .await
            .unwrap()
            .is_empty());
        let removed = scalar(
            &store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'completion.remove'",
        )
        .await;
        assert_eq!(removed, 1);
        let reg = attendance::register(&store, w.session).await.unwrap();
        let z = reg.iter().find(|r| r.person_id == w.zoe).unwrap();
        assert_eq!((z.status.as_deref(), z.minutes), (Some("excused"), None));

        // Signed off: the mark cannot leave "attended".
        let o = attendance::mark(&store, &actor, w.session, w.tomas, Status::Attended, None)
            .await
            .unwrap();
        sqlx::query("UPDATE completions SET status = 'signed_off' WHERE id = $1")
            .bind(o.completion_recorded.unwrap())
            .execute(store.pool())
            .await
            .unwrap();
        let e = attendance::mark(&store, &actor, w.session, w.tomas, Status::Absent, None)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("signed off"), "{e}");
        let reg = attendance::register(&store, w.session).await.unwrap();
        assert_eq!(
            reg.iter()
                .find(|r| r.person_id == w.tomas)
                .unwrap()
                .status
                .as_deref(),
            Some("attended")
        );
        assert_eq!(
            completions::of_person(&store, w.tomas).await.unwrap().len(),
            1
        );

        // Partly attended needs minutes.
        let e = attendance::mark(
            &store,
            &actor,
            w.session,
            w.ann,
            Status::PartlyAttended,
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)));
    });
}

#[tokio::test]
async fn bulk_marking_is_all_or_nothing_and_hand_marks_survive_a_report() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        // One bad mark rejects the batch.
        let bad = vec![
            (w.zoe, Status::Attended, None),
            (w.tomas, Status::PartlyAttended, None),
        ];
        assert!(attendance::mark_many(&store, &actor, w.session, &bad)
            .await
            .is_err());
        assert_eq!(
            scalar(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM session_attendance"
            )
            .await,
            0
        );
        assert_eq!(
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM completions").await,
            0
        );
        // The trainer marks Tomás excused by hand, then everyone else attended in bulk.
        attendance::mark(&store, &actor, w.session, w.tomas, Status::Excused, None)
            .await
            .unwrap();
        let n = attendance::mark_all_attended(&store, &actor, w.session)
            .await
            .unwrap();
        assert_eq!(n, 2);
        // A report then keeps the hand mark.
        let p = teams::preview(&store, w.session, REPORT.as_bytes())
            .await
            .unwrap();
        assert!(p.kept.contains(&"T1".to_string()));
        teams::commit(&store, &actor, w.session, "r.csv", REPORT.as_bytes())
            .await
            .unwrap();
        let reg = attendance::register(&store, w.session).await.unwrap();
        assert_eq!(
            reg.iter()
                .find(|r| r.person_id == w.tomas)
                .unwrap()
                .status
                .as_deref(),
            Some("excused")
        );
        // Ann keeps her bulk mark but is flagged as missing from the report.
        let ann = reg.iter().find(|r| r.person_id == w.ann).unwrap();
        assert_eq!(
            (ann.status.as_deref(), ann.not_in_report),
            (Some("attended"), 1)
        );
    });
}

#[tokio::test]
async fn unmatched_participants_are_resolved_by_hand() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        teams::commit(&store, &actor, w.session, "r.csv", REPORT.as_bytes())
            .await
            .unwrap();
        let open = teams::unmatched(&store, w.session).await.unwrap();
        let guest = open.iter().find(|u| u.name == "Sam Guest").unwrap();
        let priya = open.iter().find(|u| u.name == "Priya Shah").unwrap();
        // The guest was Ann on a borrowed laptop: 30 of 180 minutes is partly attended.
        teams::resolve_to_person(&store, &actor, w.session, guest.id, w.ann)
            .await
            .unwrap();
        let reg = attendance::register(&store, w.session).await.unwrap();
        let ann = reg.iter().find(|r| r.person_id == w.ann).unwrap();
        assert_eq!(
            (ann.status.as_deref(), ann.minutes),
            (Some("partly_attended"), Some(30))
        );
        teams::resolve_external(&store, &actor, w.session, priya.id, "County Council")
            .await
            .unwrap();
        let ext: (String, String, Option<String>) =
            sqlx::query_as("SELECT name, organisation, status FROM session_external_attendees WHERE session_id = $1")
                .bind(w.session)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            ext,
            (
                "Priya Shah".into(),
                "County Council".into(),
                Some("attended".into())
            )
        );
        // Resolved once only.
        assert!(teams::dismiss(&store, &actor, w.session, priya.id)
            .await
            .is_err());
        assert!(teams::unmatched(&store, w.session)
            .await
            .unwrap()
            .iter()
            .all(|u| u.resolution != "open"));
        // Walk-in marks are allowed and say so.
        let _ = w.walk_in;
        attendance::set_report_opt_out(&store, &actor, w.session, true)
            .await
            .unwrap();
        assert_eq!(
            attendance::session(&store, w.session)
                .await
                .unwrap()
                .unwrap()
                .report_opt_out,
            1
        );
    });
}

#[tokio::test]
async fn a_meeting_that_overran_is_recorded_and_hand_minutes_are_checked() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        // The session was planned for one hour; the meeting ran three and Walk In stayed.
        sqlx::query(
            "UPDATE training_sessions SET ends_at = '2025-07-15T09:00:00.000000Z' WHERE id = $1",
        )
        .bind(w.session)
        .execute(store.pool())
        .await
        .unwrap();
        let c = teams::commit(&store, &actor, w.session, "r.csv", REPORT.as_bytes())
            .await
            .unwrap();
        assert!(c.committed);
        assert!(
            c.preview.notes.iter().any(|n| n.contains("planned for 60")),
            "{:?}",
            c.preview.notes
        );
        let reg = attendance::register(&store, w.session).await.unwrap();
        let walk_in = reg.iter().find(|r| r.person_id == w.walk_in).unwrap();
        assert_eq!(
            (walk_in.status.as_deref(), walk_in.minutes),
            (Some("attended"), Some(180))
        );
        // By hand, 500 minutes of a one-hour session is a typing slip.
        let e = attendance::mark(
            &store,
            &actor,
            w.session,
            w.ann,
            Status::PartlyAttended,
            Some(500),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("far longer than the session"), "{e}");
    });
}

/// The same meeting restarted after it dropped: Tomás back for an hour, Ann (missing from the
/// first report) for 40 minutes, Zoë for 10.
const RESTARTED: &str = "1. Summary\n\
Meeting title\tFrontline input\n\
Start time\t15/07/25, 10:30:00\n\
End time\t15/07/25, 12:00:00\n\
\n\
2. Participants\n\
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
Zoë Ní Bhriain\t15/07/25, 11:50:00\t15/07/25, 12:00:00\t10m\tZoe.NiBhriain@force.police.uk\t\tAttendee\n\
Tomás O'Brien\t15/07/25, 11:00:00\t15/07/25, 12:00:00\t1h\t\t\tAttendee\n\
Ann Lee\t15/07/25, 11:20:00\t15/07/25, 12:00:00\t40m\tann.lee@force.police.uk\t\tAttendee\n";

#[tokio::test]
async fn several_reports_of_one_session_are_summed_and_can_be_removed() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        let first = teams::commit(&store, &actor, w.session, "part1.csv", REPORT.as_bytes())
            .await
            .unwrap();
        assert!(first.committed);

        // The preview of the second says it adds to the first, person by person.
        let p = teams::preview(&store, w.session, RESTARTED.as_bytes())
            .await
            .unwrap();
        assert_eq!(p.reports_committed, 1);
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains("will be added to the 1 report already committed")),
            "{:?}",
            p.notes
        );
        let line = |pid: i64| {
            let i = p
                .matching
                .matched
                .iter()
                .position(|m| m.person_id == pid)
                .unwrap();
            p.summed[i].clone()
        };
        let t = line(w.tomas);
        assert_eq!(
            (
                t.before_minutes,
                t.before_status,
                t.report_minutes,
                t.minutes,
                t.status
            ),
            (
                Some(90),
                Some(Status::PartlyAttended),
                60,
                150,
                Status::Attended
            )
        );
        let a = line(w.ann);
        assert_eq!((a.before_minutes, a.minutes), (None, 40));
        assert!(
            p.matching.not_in_report.is_empty(),
            "everyone enrolled is in one report or the other"
        );

        let second = teams::commit(&store, &actor, w.session, "part2.csv", RESTARTED.as_bytes())
            .await
            .unwrap();
        assert!(second.committed);
        let marks = |store: Store| async move {
            attendance::register(&store, w.session)
                .await
                .unwrap()
                .into_iter()
                .map(|r| (r.staff_number, r.status, r.minutes, r.not_in_report))
                .collect::<Vec<_>>()
        };
        let reg = marks(store.clone()).await;
        let of = |reg: &[(String, Option<String>, Option<i64>, i64)], sn: &str| {
            reg.iter()
                .find(|r| r.0 == sn)
                .map(|r| (r.1.clone(), r.2, r.3))
        };
        assert_eq!(
            of(&reg, "Z1"),
            Some((Some("attended".into()), Some(180), 0))
        );
        assert_eq!(
            of(&reg, "T1"),
            Some((Some("attended".into()), Some(150), 0))
        );
        assert_eq!(
            of(&reg, "A1"),
            Some((Some("partly_attended".into()), Some(40), 0))
        );
        assert_eq!(
            of(&reg, "W1"),
            Some((Some("attended".into()), Some(180), 0))
        );
        assert_eq!(
            completions::of_person(&store, w.tomas).await.unwrap().len(),
            1
        );

        // The same second file again changes nothing.
        let audits = scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await;
        let again = teams::commit(
            &store,
            &actor,
            w.session,
            "part2 (1).csv",
            RESTARTED.as_bytes(),
        )
        .await
        .unwrap();
        assert!(!again.committed);
        assert_eq!(marks(store.clone()).await, reg);
        assert_eq!(
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await,
            audits
        );

        // The trainer corrects Zoë by hand; removing the first report keeps that mark, takes
        // Tomás back to the second report's hour (his completion goes) and clears the walk-in.
        attendance::mark(
            &store,
            &actor,
            w.session,
            w.zoe,
            Status::Attended,
            Some(175),
        )
        .await
        .unwrap();
        teams::remove_report(&store, &actor, w.session, first.report_id)
            .await
            .unwrap();
        let reg = marks(store.clone()).await;
        assert_eq!(
            of(&reg, "Z1"),
            Some((Some("attended".into()), Some(175), 0))
        );
        assert_eq!(
            of(&reg, "T1"),
            Some((Some("partly_attended".into()), Some(60), 0))
        );
        assert_eq!(
            of(&reg, "A1"),
            Some((Some("partly_attended".into()), Some(40), 0))
        );
        assert_eq!(
            of(&reg, "W1"),
            None,
            "the walk-in came only from the removed report"
        );
        assert!(completions::of_person(&store, w.tomas)
            .await
            .unwrap()
            .is_empty());
        assert!(completions::of_person(&store, w.walk_in)
            .await
            .unwrap()
            .is_empty());
        assert!(teams::unmatched(&store, w.session)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(teams::reports(&store, w.session).await.unwrap().len(), 1);
        assert_eq!(
            scalar(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'attendance.teams_report_remove'"
            )
            .await,
            1
        );
        // A report of another session is not found; nothing changes.
        assert!(matches!(
            teams::remove_report(&store, &actor, w.session + 1, second.report_id).await,
            Err(StoreError::NotFound(_))
        ));

        // With no report left, only the hand mark remains and nobody is flagged.
        teams::remove_report(&store, &actor, w.session, second.report_id)
            .await
            .unwrap();
        let reg = marks(store.clone()).await;
        assert_eq!(reg.len(), 3, "{reg:?}");
        assert_eq!(
            of(&reg, "Z1"),
            Some((Some("attended".into()), Some(175), 0))
        );
        assert_eq!(of(&reg, "T1"), Some((None, None, 0)));
        // Uploading the first again after removing it counts it again.
        let back = teams::commit(&store, &actor, w.session, "part1.csv", REPORT.as_bytes())
            .await
            .unwrap();
        assert!(back.committed);
        let reg = marks(store.clone()).await;
        assert_eq!(
            of(&reg, "T1"),
            Some((Some("partly_attended".into()), Some(90), 0))
        );
        assert_eq!(of(&reg, "A1"), Some((None, None, 1)));
    });
}

#[tokio::test]
async fn reports_committed_before_times_were_kept_still_add_up() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        teams::commit(&store, &actor, w.session, "part1.csv", REPORT.as_bytes())
            .await
            .unwrap();
        // The database as an earlier version left it: no per-report times.
        for sql in [
            "DROP TABLE teams_report_times",
            "DROP TABLE exercise_run_facilitators",
            "DELETE FROM schema_migrations WHERE version = 8",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        assert_eq!(
            mashboard_store::migrate::run(&store).await.unwrap(),
            vec![8]
        );
        // The first report's minutes were carried over from the register ...
        assert_eq!(
            scalar(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_report_times WHERE matched_by = 'earlier'"
            )
            .await,
            3
        );
        // ... so the restarted meeting's report adds to them.
        teams::commit(&store, &actor, w.session, "part2.csv", RESTARTED.as_bytes())
            .await
            .unwrap();
        let reg = attendance::register(&store, w.session).await.unwrap();
        let t = reg.iter().find(|r| r.person_id == w.tomas).unwrap();
        assert_eq!(
            (t.status.as_deref(), t.minutes),
            (Some("attended"), Some(150))
        );
    });
}

#[tokio::test]
async fn trainers_in_a_teams_report_are_left_out_of_matching_and_completions() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        // The walk-in is the session's lead trainer (the meeting's organiser); Ann co-trains.
        for (p, lead) in [(w.walk_in, 1), (w.ann, 0)] {
            sqlx::query(
                "INSERT INTO session_trainers (session_id, person_id, lead) VALUES ($1, $2, $3)",
            )
            .bind(w.session)
            .bind(p)
            .bind(lead)
            .execute(store.pool())
            .await
            .unwrap();
        }
        let p = teams::preview(&store, w.session, REPORT.as_bytes())
            .await
            .unwrap();
        assert!(p.matching.matched.iter().all(|m| m.person_id != w.walk_in));
        assert!(
            p.matching.not_in_report.is_empty(),
            "{:?}",
            p.matching.not_in_report
        );
        assert_eq!(
            p.trainers_left_out,
            vec!["Walk In (lead trainer)".to_string()]
        );
        assert!(
            p.notes.iter().any(|n| n.contains("not attendees")),
            "{:?}",
            p.notes
        );
        teams::commit(&store, &actor, w.session, "r.csv", REPORT.as_bytes())
            .await
            .unwrap();
        let reg = attendance::register(&store, w.session).await.unwrap();
        assert!(reg.iter().all(|r| r.staff_number != "W1"));
        assert_eq!(
            scalar(
                &store,
                &format!(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM completions WHERE person_id = {}",
                    w.walk_in
                )
            )
            .await,
            0
        );
    });
}

#[tokio::test]
async fn a_teams_report_for_a_session_not_yet_held_is_refused() {
    on_both!(|store| {
        let w = world(&store).await;
        let actor = Actor::system();
        sqlx::query("UPDATE training_sessions SET starts_at = '2099-07-15T08:00:00.000000Z', ends_at = '2099-07-15T11:00:00.000000Z' WHERE id = $1")
            .bind(w.session)
            .execute(store.pool())
            .await
            .unwrap();
        for e in [
            teams::preview(&store, w.session, REPORT.as_bytes())
                .await
                .unwrap_err(),
            teams::commit(&store, &actor, w.session, "r.csv", REPORT.as_bytes())
                .await
                .unwrap_err(),
        ] {
            assert!(
                matches!(e, StoreError::Invalid(ref m) if m.contains("has not happened yet")),
                "{e}"
            );
        }
        assert_eq!(
            scalar(&store, "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_reports").await,
            0
        );
    });
}
