//! Sessions, enrolment, waitlists and the outbox, every test on SQLite and on PostgreSQL.

use mashboard_domain::people::PersonDraft;
use mashboard_domain::sessions::{parse_time, SessionMode, SessionStatus};
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::enrolment::{self, Target};
use mashboard_store::delivery::outbox;
use mashboard_store::delivery::sessions::{self, NewSession, SessionError, SessionPatch};
use mashboard_store::people;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::Store;

async fn world(store: &Store) -> i64 {
    let actor = Actor::system();
    let row = |sn: &str, name: &str, dept: &str, cohort: &str, lm: &str, email: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            department: dept.into(),
            cohort: cohort.into(),
            line_manager_staff_number: lm.into(),
            email: email.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = vec![
        (
            2,
            row("T1", "Tia Trainer", "MASH", "", "", "tia@example.police.uk"),
        ),
        (
            3,
            row(
                "L1",
                "Len Manager",
                "Response",
                "",
                "",
                "len@example.police.uk",
            ),
        ),
        (
            4,
            row(
                "A1",
                "Amy Able",
                "Response",
                "2025-A",
                "L1",
                "amy@example.police.uk",
            ),
        ),
        (
            5,
            row(
                "B1",
                "Ben Bright",
                "Response",
                "2025-A",
                "L1",
                "ben@example.police.uk",
            ),
        ),
        (6, row("C1", "Cat Clay", "Response", "2025-A", "", "")),
        (
            7,
            row(
                "D1",
                "Dev Dale",
                "Neighbourhood",
                "2025-B",
                "",
                "dev@example.police.uk",
            ),
        ),
    ];
    people::import(store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    catalogue::create_module(
        store,
        &actor,
        &ModuleInput {
            code: "FRONT".into(),
            title: "Frontline safeguarding input".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap()
    .id
}

fn new_session(module: i64, cap: i64) -> NewSession {
    NewSession {
        series_id: None,
        module_id: module,
        title: String::new(),
        starts_at: parse_time("2030-03-31T09:00").unwrap(),
        ends_at: parse_time("2030-03-31T12:00").unwrap(),
        mode: SessionMode::Teams,
        venue: String::new(),
        room: String::new(),
        join_url: "https://teams.microsoft.com/l/meetup-join/abc".into(),
        capacity: cap,
        trainers: vec!["T1".into()],
        audience: vec![("cohort".into(), "2025-A".into())],
        status: SessionStatus::Open,
    }
}

fn sns(v: &[&str]) -> Target {
    Target::StaffNumbers(v.iter().map(|s| s.to_string()).collect())
}

#[tokio::test]
async fn capacity_waitlist_and_promotion_in_order() {
    on_both!(|store| {
        let m = world(&store).await;
        let a = Actor::system();
        let s = sessions::create(&store, &a, &new_session(m, 2))
            .await
            .unwrap();
        assert_eq!(
            s.starts_at, "2030-03-31T08:00:00.000000Z",
            "BST wall time stored as UTC"
        );
        let r = enrolment::enrol_target(
            &store,
            &a,
            s.id,
            &sns(&["A1", "B1", "D1", "C1", "A1", "ZZ9"]),
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.enrolled, ["A1", "B1"]);
        assert_eq!(r.waitlisted, ["D1", "C1"]);
        let reasons: Vec<_> = r
            .skipped
            .iter()
            .map(|s| (s.staff_number.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2);
        assert!(reasons[0].1.contains("listed earlier"));
        assert!(reasons[1].1.contains("no one in the directory"));
        assert_eq!(
            sessions::get(&store, s.id).await.unwrap().unwrap().status,
            "full"
        );
        // Invitations only to the two with places.
        let mail = outbox::of_session(&store, s.id).await.unwrap();
        assert_eq!(mail.len(), 2);
        assert!(mail
            .iter()
            .all(|(k, _, m)| k == "invitation" && m.as_deref() == Some("REQUEST")));

        // Enrolling again is skipped with a reason.
        let again = enrolment::enrol_target(&store, &a, s.id, &sns(&["A1"]), None)
            .await
            .unwrap();
        assert!(again.only_duplicates());

        // Capacity below the number enrolled is refused, nothing changes.
        let e = sessions::update(
            &store,
            &a,
            s.id,
            &SessionPatch {
                capacity: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(e, SessionError::Invalid(_)), "{e}");

        // A withdraws: D1 (first on the waitlist) takes the place; A1 is sent a cancellation.
        let w = enrolment::withdraw(&store, &a, s.id, "A1", None)
            .await
            .unwrap();
        assert_eq!(w.promoted, ["D1"]);
        let mail = outbox::of_session(&store, s.id).await.unwrap();
        assert!(mail.contains(&(
            "withdrawal".into(),
            "amy@example.police.uk".into(),
            Some("CANCEL".into())
        )));
        assert!(mail.contains(&(
            "invitation".into(),
            "dev@example.police.uk".into(),
            Some("REQUEST".into())
        )));

        // More capacity promotes C1 (no e-mail: counted, not sent).
        let c = sessions::update(
            &store,
            &a,
            s.id,
            &SessionPatch {
                capacity: Some(4),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(c.promoted, ["C1"]);
        assert_eq!(c.without_email, 1);
        assert!(!c.rescheduled);
        assert_eq!(c.session.status, "open");

        // Re-enrolment after withdrawal is allowed.
        let r = enrolment::enrol_target(&store, &a, s.id, &sns(&["A1"]), None)
            .await
            .unwrap();
        assert_eq!(r.enrolled, ["A1"]);
        let s2 = sessions::get(&store, s.id).await.unwrap().unwrap();
        assert_eq!(
            (s2.enrolled_count, s2.waitlist_count, s2.status.as_str()),
            (4, 0, "full")
        );
    });
}

#[tokio::test]
async fn reschedule_and_cancel_raise_the_sequence_and_write_mail() {
    on_both!(|store| {
        let m = world(&store).await;
        let a = Actor::system();
        let s = sessions::create(&store, &a, &new_session(m, 10))
            .await
            .unwrap();
        enrolment::enrol_target(&store, &a, s.id, &Target::Cohort("2025-a".into()), None)
            .await
            .unwrap();
        assert_eq!(s.ics_sequence, 0);
        // A title change is not a change of time or place.
        let c = sessions::update(
            &store,
            &a,
            s.id,
            &SessionPatch {
                title: Some("Input".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(c.session.ics_sequence, 0);
        let c = sessions::update(
            &store,
            &a,
            s.id,
            &SessionPatch {
                starts_at: Some(parse_time("2030-03-31T10:00").unwrap()),
                ends_at: Some(parse_time("2030-03-31T13:00").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(c.rescheduled);
        assert_eq!(c.session.ics_sequence, 1);
        assert_eq!((c.emails_queued, c.without_email), (2, 1));
        let ics = outbox::session_ics(&store, s.id).await.unwrap().unwrap();
        assert!(ics.contains("SEQUENCE:1\r\n") && ics.contains("METHOD:REQUEST\r\n"));
        assert!(ics.contains("ORGANIZER;CN=Tia Trainer:mailto:tia@example.police.uk"));

        let e = sessions::cancel(&store, &a, s.id, "  ").await.unwrap_err();
        assert!(matches!(e, SessionError::Invalid(_)));
        let c = sessions::cancel(&store, &a, s.id, "Trainer unwell")
            .await
            .unwrap();
        assert_eq!(c.session.status, "cancelled");
        assert_eq!(c.session.ics_sequence, 2);
        let ics = outbox::session_ics(&store, s.id).await.unwrap().unwrap();
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.contains(&format!("UID:{}\r\n", s.ics_uid)));
        let mail = outbox::of_session(&store, s.id).await.unwrap();
        let kinds: Vec<_> = mail.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "invitation",
                "invitation",
                "update",
                "update",
                "cancellation",
                "cancellation"
            ]
        );
        // Nothing can be booked on or changed in a cancelled session.
        assert!(matches!(
            enrolment::enrol_target(&store, &a, s.id, &sns(&["D1"]), None).await,
            Err(SessionError::Conflict(_))
        ));
        assert!(sessions::cancel(&store, &a, s.id, "again").await.is_err());
        // Outbox: pending, then sent.
        let p = outbox::pending(&store, 5, 100).await.unwrap();
        assert_eq!(p.len(), 6);
        outbox::mark_sent(&store, p[0].id).await.unwrap();
        outbox::mark_failed(&store, p[1].id, "connection refused")
            .await
            .unwrap();
        assert_eq!(outbox::counts(&store).await.unwrap(), (5, 1, 1));
    });
}

#[tokio::test]
async fn a_manager_books_only_their_own_team_and_trainer_hours_add_up() {
    on_both!(|store| {
        let m = world(&store).await;
        let a = Actor::system();
        let len = people::get(&store, "L1").await.unwrap().unwrap().id;
        let s = sessions::create(&store, &a, &new_session(m, 10))
            .await
            .unwrap();
        let r = enrolment::enrol_target(
            &store,
            &a,
            s.id,
            &Target::Department("Response".into()),
            Some(len),
        )
        .await
        .unwrap();
        assert_eq!(r.enrolled, ["A1", "B1"]);
        assert!(r
            .skipped
            .iter()
            .any(|s| s.staff_number == "C1" && s.reason.contains("direct reports")));
        assert!(matches!(
            enrolment::withdraw(&store, &a, s.id, "D1", Some(len)).await,
            Err(SessionError::NotFound(_))
        ));
        assert_eq!(enrolment::of_team(&store, len).await.unwrap().len(), 2);

        // Validation: a bad module, an in-person session without a venue.
        let mut bad = new_session(9999, 5);
        assert!(matches!(
            sessions::create(&store, &a, &bad).await,
            Err(SessionError::Invalid(_))
        ));
        bad.module_id = m;
        bad.mode = SessionMode::InPerson;
        match sessions::create(&store, &a, &bad).await {
            Err(SessionError::Invalid(e)) => assert_eq!(e[0].field, "location"),
            other => panic!("{other:?}"),
        }

        // A delivered past session counts for its trainers.
        let mut past = new_session(m, 5);
        past.starts_at = parse_time("2025-10-26T00:00").unwrap();
        past.ends_at = parse_time("2025-10-26T03:00").unwrap();
        past.trainers = vec!["T1".into(), "L1".into()];
        let p = sessions::create(&store, &a, &past).await.unwrap();
        sessions::mark_delivered(&store, &a, p.id).await.unwrap();
        // The future one cannot be delivered yet.
        assert!(sessions::mark_delivered(&store, &a, s.id).await.is_err());
        let h = sessions::trainer_hours(&store).await.unwrap();
        assert_eq!(h.len(), 2);
        assert!(h
            .iter()
            .all(|h| h.year == 2025 && h.minutes == 240 && h.sessions == 1));
        assert_eq!(h.iter().filter(|h| h.lead_sessions == 1).count(), 1);
    });
}

#[tokio::test]
async fn series_progress_counts_sessions_and_people() {
    on_both!(|store| {
        let m = world(&store).await;
        let a = Actor::system();
        let id = sessions::create_series(&store, &a, "2022 frontline programme", "", Some(m))
            .await
            .unwrap();
        assert!(
            sessions::create_series(&store, &a, "2022 FRONTLINE programme", "", None)
                .await
                .is_err()
        );
        let mut n = new_session(m, 10);
        n.series_id = Some(id);
        let s1 = sessions::create(&store, &a, &n).await.unwrap();
        let s2 = sessions::create(&store, &a, &n).await.unwrap();
        enrolment::enrol_target(&store, &a, s1.id, &Target::Cohort("2025-A".into()), None)
            .await
            .unwrap();
        enrolment::enrol_target(&store, &a, s2.id, &sns(&["D1"]), None)
            .await
            .unwrap();
        let p = sessions::series_progress(&store, id).await.unwrap();
        assert_eq!(
            (p.sessions, p.planned, p.delivered, p.enrolled),
            (2, 2, 0, 4)
        );
        let depts: Vec<_> = p
            .by_department
            .iter()
            .map(|d| (d.department.as_str(), d.enrolled))
            .collect();
        assert_eq!(depts, [("Neighbourhood", 1), ("Response", 3)]);
        let list = sessions::list(
            &store,
            &sessions::SessionFilter {
                series_id: Some(id),
                upcoming: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(list.len(), 2);
        let none = sessions::list(
            &store,
            &sessions::SessionFilter {
                series_id: Some(id),
                upcoming: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(none.is_empty());
    });
}
