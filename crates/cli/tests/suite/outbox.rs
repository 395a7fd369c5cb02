//! `mashboard outbox send` against a small SMTP sink on 127.0.0.1, on SQLite and PostgreSQL:
//! the invitation, the update (higher SEQUENCE) and the cancellation of a session each land as
//! a message to exactly one recipient, with a text/calendar part Outlook reads.

use crate::common::{databases, mashboard, smtp_sink, text};

use mashboard_domain::people::PersonDraft;
use mashboard_domain::sessions::{parse_time, SessionMode, SessionStatus};
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::enrolment::{self, Target};
use mashboard_store::delivery::sessions::{self, NewSession, SessionPatch};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::{people, DbUrl, Store};

async fn seed(db: &str) {
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    let a = Actor::system();
    let row = |sn: &str, name: &str, email: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            email: email.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = vec![
        (2, row("T1", "Tess Trainer", "tess.trainer@force.example")),
        (3, row("A1", "Ana Álvarez", "ana.alvarez@force.example")),
        (4, row("B1", "Ben Brown", "ben.brown@force.example")),
        (5, row("C1", "Cy Noaddress", "")),
    ];
    people::import(&store, &a, &rows, false, "seed")
        .await
        .unwrap();
    let m = catalogue::create_module(
        &store,
        &a,
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
    .unwrap();
    let s = sessions::create(
        &store,
        &a,
        &NewSession {
            series_id: None,
            module_id: m.id,
            title: String::new(),
            starts_at: parse_time("2030-07-15T09:00").unwrap(),
            ends_at: parse_time("2030-07-15T12:00").unwrap(),
            mode: SessionMode::Teams,
            venue: String::new(),
            room: String::new(),
            join_url: "https://teams.microsoft.com/l/meetup-join/xyz".into(),
            capacity: 10,
            trainers: vec!["T1".into()],
            audience: Vec::new(),
            status: SessionStatus::Open,
        },
    )
    .await
    .unwrap();
    let r = enrolment::enrol_target(
        &store,
        &a,
        s.id,
        &Target::StaffNumbers(vec!["A1".into(), "B1".into(), "C1".into()]),
        None,
    )
    .await
    .unwrap();
    assert_eq!((r.emails_queued, r.without_email), (2, 1));
    sessions::update(
        &store,
        &a,
        s.id,
        &SessionPatch {
            starts_at: Some(parse_time("2030-07-15T10:00").unwrap()),
            ends_at: Some(parse_time("2030-07-15T13:00").unwrap()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    sessions::cancel(&store, &a, s.id, "Trainer unwell")
        .await
        .unwrap();
    store.close().await;
}

fn unfold(data: &str) -> String {
    data.replace("\r\n ", "").replace("\r\n\t", "")
}

#[tokio::test]
async fn invitation_update_and_cancellation_land_one_recipient_each() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        seed(&db).await;
        // Without a mail server: refused plainly; the dry run counts.
        let o = mashboard(&db, &["outbox", "send"], &[]).await;
        assert!(!o.status.success());
        assert!(text(&o).contains("not set up"), "{}", text(&o));
        let o = mashboard(&db, &["outbox", "send", "--dry-run"], &[]).await;
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("6 session e-mail(s) waiting"),
            "{}",
            text(&o)
        );

        let (port, got) = smtp_sink("nobody@force.example").await;
        let url = format!("smtp://127.0.0.1:{port}");
        let env = [
            ("MASHBOARD_SMTP_URL", url.as_str()),
            ("MASHBOARD_MAIL_FROM", "training@force.example"),
        ];
        let o = mashboard(&db, &["outbox", "send"], &env).await;
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(t.contains("Sent 6 session e-mail(s)."), "{t}");
        assert!(!t.contains('@'), "no addresses shown: {t}");
        let received = got.lock().unwrap().clone();
        assert_eq!(received.len(), 6);
        let mut seen = Vec::new();
        for m in &received {
            assert_eq!(m.rcpt.len(), 1, "one recipient per message");
            let data = unfold(&m.data);
            let to = &m.rcpt[0];
            assert!(data.contains("text/calendar"), "{data}");
            // The calendar names only this recipient as an attendee.
            let other = if to.starts_with("ana") {
                "ben.brown@"
            } else {
                "ana.alvarez@"
            };
            assert!(!data.contains(other), "another address is visible: {data}");
            let method = if data.contains("METHOD:CANCEL") {
                "CANCEL"
            } else {
                "REQUEST"
            };
            let seq = data
                .lines()
                .find_map(|l| l.trim().strip_prefix("SEQUENCE:"))
                .unwrap_or("?")
                .trim()
                .to_string();
            assert!(data.contains(&format!("method={method}")), "{data}");
            seen.push((to.clone(), method, seq));
        }
        seen.sort();
        let want = |to: &str| {
            vec![
                (to.to_string(), "CANCEL", "2".to_string()),
                (to.to_string(), "REQUEST", "0".to_string()),
                (to.to_string(), "REQUEST", "1".to_string()),
            ]
        };
        let mut expected = want("ana.alvarez@force.example");
        expected.extend(want("ben.brown@force.example"));
        assert_eq!(seen, expected);
        // Sent once: a second run sends nothing.
        let o = mashboard(&db, &["outbox", "send"], &env).await;
        assert!(
            text(&o).contains("Sent 0 session e-mail(s)."),
            "{}",
            text(&o)
        );
        assert_eq!(got.lock().unwrap().len(), 6);
    }
}
