//! `mashboard reminders send` as an operator uses it, on SQLite and on PostgreSQL: the refusal
//! without a mail server, the dry run, `.eml` files, and a real SMTP conversation with a small
//! mail sink started by the test on 127.0.0.1.

use crate::common::{databases, free_port, mashboard, smtp_sink, text};

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::training::{cpd, programmes};
use mashboard_store::{people, DbUrl, Store};
use std::collections::BTreeMap;

/// Everyone with something waiting, and their address (Mona has none).
const ADDRESSES: [(&str, &str); 4] = [
    ("Len Manager", "len.manager@force.example"),
    ("Sam Starter", "sam.starter@force.example"),
    ("Tess Trainer", "tess.trainer@force.example"),
    ("Tia Starter", "tia.starter@force.example"),
];

/// Len manages Sam and Tia; Mona mentors Sam and has no address; Tess is the MASH trainer by
/// her account. Sam's module is long overdue, Tia's is due in ten days; Sam has a completion
/// waiting for both signatures and one CPD entry waiting for Len. Di has nothing due.
async fn seed(db: &str) {
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    let actor = Actor::system();
    let row = |sn: &str, name: &str, lm: &str, me: &str, email: &str| {
        (
            0,
            PersonDraft {
                staff_number: sn.into(),
                name: name.into(),
                line_manager_staff_number: lm.into(),
                mentor_staff_number: me.into(),
                email: email.into(),
                ..Default::default()
            }
            .validate()
            .unwrap(),
        )
    };
    let rows = vec![
        row("L1", "Len Manager", "", "", ADDRESSES[0].1),
        row("M1", "Mona Mentor", "", "", ""),
        row("T1", "Tess Trainer", "", "", ADDRESSES[2].1),
        row("S1", "Sam Starter", "L1", "M1", ADDRESSES[1].1),
        row("S2", "Tia Starter", "L1", "", ADDRESSES[3].1),
        row("D1", "Di Done", "", "", "di.done@force.example"),
    ];
    people::import(&store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    let id = |sn: &'static str| {
        let store = &store;
        async move { people::get(store, sn).await.unwrap().unwrap().id }
    };
    let t1 = StaffNumber::parse("T1").unwrap();
    accounts::create(
        &store,
        &actor,
        NewAccount {
            username: "tess",
            roles: &[Role::MashTrainer],
            staff_number: Some(&t1),
            password: None,
        },
    )
    .await
    .unwrap();
    let module = catalogue::create_module(
        &store,
        &actor,
        &ModuleInput {
            code: "RISK".into(),
            title: "Risk assessment".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    // A module outside the programme, so Sam's completion waiting for sign-off does not change
    // the status of his overdue one.
    let extra = catalogue::create_module(
        &store,
        &actor,
        &ModuleInput {
            code: "VOICE".into(),
            title: "Voice of the child".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    let profile = programmes::create_profile(&store, &actor, "NEW", "New starter", "")
        .await
        .unwrap();
    programmes::set_item(&store, &actor, profile, module.id, "days:30", "none")
        .await
        .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let twenty_days_ago = (today - time::Duration::days(20)).to_string();
    programmes::assign(&store, &actor, id("S1").await, profile, "2020-01-01")
        .await
        .unwrap();
    programmes::assign(&store, &actor, id("S2").await, profile, &twenty_days_ago)
        .await
        .unwrap();
    completions::record(
        &store,
        &actor,
        &NewCompletion {
            person_id: id("S1").await,
            module_id: extra.id,
            module_version: None,
            completed_on: "2020-03-01".into(),
            mode: "face_to_face".into(),
            trainer: String::new(),
            notes: "notes nobody else should read".into(),
            evidence_url: String::new(),
        },
    )
    .await
    .unwrap();
    cpd::log(
        &store,
        &actor,
        &cpd::NewCpd {
            person_id: id("S1").await,
            topic: "Stalking".into(),
            done_on: "2024-02-01".into(),
            minutes: 60,
            kind: "course".into(),
            learning: "a private narrative".into(),
            evidence_url: String::new(),
        },
    )
    .await
    .unwrap();
    store.close().await;
}

async fn audit_actions(db: &str) -> Vec<(String, Option<String>, String)> {
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    let (_, events) = audit_trail::list(
        &store,
        &AuditFilter {
            action: "reminders.".into(),
            ..Default::default()
        },
        100,
    )
    .await
    .unwrap();
    store.close().await;
    events
        .into_iter()
        .map(|e| {
            (
                e.action,
                e.entity_key,
                format!("{} {}", e.summary, e.after_json.unwrap_or_default()),
            )
        })
        .collect()
}

/// One e-mail, read back: headers (unfolded) and the plain-text part, decoded.
struct Mail {
    headers: BTreeMap<String, String>,
    text: String,
    raw: String,
}

fn decode_quoted_printable(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn read_mail(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").expect("headers and a body");
    let mut headers = BTreeMap::new();
    let unfolded = head.replace("\n ", " ").replace("\n\t", " ");
    for line in unfolded.lines() {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let plain_start = body
        .find("Content-Type: text/plain")
        .expect("a plain-text part");
    let part = &body[plain_start..];
    let (_, part) = part.split_once("\n\n").unwrap();
    let end = part.find("\n--").unwrap_or(part.len());
    Mail {
        headers,
        text: decode_quoted_printable(&part[..end]),
        raw: raw.clone(),
    }
}

#[tokio::test]
async fn without_a_mail_server_nothing_is_sent_and_a_dry_run_lists_counts_only() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        seed(&db).await;
        let o = mashboard(&db, &["reminders", "send"], &[]).await;
        assert!(!o.status.success());
        let t = text(&o);
        assert!(
            t.contains("Reminder e-mails are not set up, so nothing was sent"),
            "{t}"
        );
        assert!(t.contains("MASHBOARD_SMTP_URL") && t.contains("--dry-run"));
        assert!(!t.contains("panicked"));

        let o = mashboard(&db, &["reminders", "send", "--dry-run"], &[]).await;
        assert!(o.status.success(), "{}", text(&o));
        let t = text(&o);
        assert!(t.contains("Would send 4 reminder digests"), "{t}");
        assert!(t.contains(
            "Len Manager (L1): 1 overdue or expired in your team, 1 due soon in your team, 1 to sign off, 1 CPD to verify"
        ), "{t}");
        assert!(
            t.contains("Sam Starter (S1): 1 of your own overdue or expired"),
            "{t}"
        );
        assert!(
            t.contains("Tess Trainer (T1): force summary (1 overdue or expired)"),
            "{t}"
        );
        assert!(
            t.contains("1 person has reminders but no e-mail address"),
            "{t}"
        );
        assert!(t.contains("Mona Mentor (M1): 1 to sign off"), "{t}");
        assert!(!t.contains("Di Done"), "nothing waits for Di");
        assert!(!t.contains('@'), "no addresses on a dry run: {t}");
        assert!(!t.contains("Risk assessment"), "counts only: {t}");

        let actions = audit_actions(&db).await;
        assert_eq!(
            actions.iter().map(|a| a.0.as_str()).collect::<Vec<_>>(),
            vec!["reminders.dry_run"]
        );
    }
}

#[tokio::test]
async fn to_dir_writes_one_eml_per_recipient_with_their_own_lines() {
    let (dir, dbs) = databases().await;
    for (n, db) in dbs.into_iter().enumerate() {
        seed(&db).await;
        let out = dir.path().join(format!("mail-{n}"));
        let o = mashboard(
            &db,
            &["reminders", "send", "--to-dir", out.to_str().unwrap()],
            &[
                ("MASHBOARD_BASE_URL", "https://mashboard.force.example/"),
                ("MASHBOARD_MAIL_FROM", "Training <training@force.example>"),
                ("MASHBOARD_FORCE_NAME", "Test Force"),
            ],
        )
        .await;
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("Wrote 4 reminder digests"),
            "{}",
            text(&o)
        );
        let mut mails: Vec<Mail> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .map(|p| read_mail(&std::fs::read_to_string(p).unwrap()))
            .collect();
        mails.sort_by(|a, b| a.headers["to"].cmp(&b.headers["to"]));
        let to: Vec<&str> = mails.iter().map(|m| m.headers["to"].as_str()).collect();
        assert_eq!(
            to,
            vec![
                "\"Len Manager\" <len.manager@force.example>",
                "\"Sam Starter\" <sam.starter@force.example>",
                "\"Tess Trainer\" <tess.trainer@force.example>",
                "\"Tia Starter\" <tia.starter@force.example>",
            ]
        );
        for m in &mails {
            assert_eq!(m.headers["from"], "Training <training@force.example>");
            assert!(!m.headers.contains_key("cc") && !m.headers.contains_key("bcc"));
            // Nobody else's address is anywhere in the message.
            let own = &m.headers["to"];
            for (_, other) in ADDRESSES {
                if !own.contains(other) {
                    assert!(
                        !m.raw.contains(other),
                        "{other} appears in the mail to {own}"
                    );
                }
            }
            assert!(!m.raw.contains("private narrative") && !m.raw.contains("notes nobody"));
            assert!(!m.raw.contains("Stalking"), "no CPD topics either");
        }

        let len = &mails[0];
        assert_eq!(
            len.headers["subject"],
            "Training reminders, Test Force: 1 overdue, 1 due soon, 1 to sign off, 1 CPD to verify"
        );
        let lines: Vec<&str> = len.text.lines().collect();
        assert_eq!(lines[0], "Hello Len Manager,");
        for expected in [
            "TRAINING OF THE PEOPLE YOU LINE-MANAGE",
            "- Sam Starter: Overdue: Risk assessment (RISK), was due 31 January 2020",
            "TRAINING RECORDS WAITING FOR YOUR SIGN-OFF",
            "- Sam Starter: Voice of the child, completed 1 March 2020 (you sign as line manager)",
            "CPD WAITING FOR YOU TO VERIFY",
            "- Sam Starter: 1 entry",
            "See the reminders: https://mashboard.force.example/training/reminders",
            "Sign them off: https://mashboard.force.example/sign-offs",
            "Verify CPD: https://mashboard.force.example/cpd/review",
        ] {
            assert!(
                lines.contains(&expected),
                "missing {expected:?} in:\n{}",
                len.text
            );
        }
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("- Tia Starter: Due soon: Risk assessment (RISK), due by ")),
            "{}",
            len.text
        );

        let tess = &mails[2];
        assert!(tess.text.contains("ACROSS THE FORCE"));
        assert!(tess
            .text
            .contains("- 1 training item is overdue or expired, for 1 person"));
        assert!(tess
            .text
            .contains("https://mashboard.force.example/training/matrix?status=out_of_date"));
        assert!(
            !tess.text.contains("Sam Starter"),
            "the force summary names nobody"
        );

        let actions = audit_actions(&db).await;
        let written: Vec<&str> = actions
            .iter()
            .filter(|a| a.0 == "reminders.digest_written")
            .filter_map(|a| a.1.as_deref())
            .collect();
        assert_eq!(written.len(), 4);
        for key in ["L1", "S1", "T1", "S2"] {
            assert!(written.contains(&key), "{key} in {written:?}");
        }
        assert!(
            !actions.iter().any(|a| a.0 == "reminders.run"),
            "files are not a sent run"
        );
        for (_, _, detail) in &actions {
            assert!(
                !detail.contains('@'),
                "an address in the audit trail: {detail}"
            );
        }
    }
}

#[tokio::test]
async fn digests_go_through_smtp_one_message_per_recipient_and_the_run_is_audited() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        seed(&db).await;
        // Tia's mailbox does not exist on this server.
        let (port, got) = smtp_sink("tia.starter@force.example").await;
        let url = format!("smtp://127.0.0.1:{port}");
        let env = [
            ("MASHBOARD_SMTP_URL", url.as_str()),
            ("MASHBOARD_MAIL_FROM", "training@force.example"),
            ("MASHBOARD_BASE_URL", "https://mashboard.force.example"),
        ];
        let o = mashboard(&db, &["reminders", "send"], &env).await;
        let t = text(&o);
        assert!(
            !o.status.success(),
            "one digest failed, so the run says so: {t}"
        );
        assert!(
            t.contains("Could not send the digest for S2: the mail server refused it (code 550)"),
            "{t}"
        );
        assert!(
            t.contains("Sent 3 reminder digests; 1 could not be sent."),
            "{t}"
        );
        assert!(
            t.contains("Mona Mentor (M1)"),
            "the person without an address is reported: {t}"
        );
        assert!(
            !t.contains('@'),
            "no addresses in what the operator sees: {t}"
        );

        let received = got.lock().unwrap().clone();
        assert_eq!(received.len(), 3, "{received:?}");
        let mut rcpts: Vec<&str> = received
            .iter()
            .map(|m| {
                assert_eq!(m.rcpt.len(), 1, "one recipient per message: {:?}", m.rcpt);
                m.rcpt[0].as_str()
            })
            .collect();
        rcpts.sort();
        assert_eq!(
            rcpts,
            vec![
                "len.manager@force.example",
                "sam.starter@force.example",
                "tess.trainer@force.example"
            ]
        );
        for m in &received {
            for (_, other) in ADDRESSES {
                if other != m.rcpt[0] {
                    assert!(
                        !m.data.contains(other),
                        "{other} is visible in the mail to {}",
                        m.rcpt[0]
                    );
                }
            }
            let mail = read_mail(&m.data);
            assert!(mail.headers["to"].contains(&m.rcpt[0]));
            assert!(mail.text.starts_with("Hello "), "{}", mail.text);
        }
        let sam = received
            .iter()
            .map(|m| read_mail(&m.data))
            .find(|m| m.headers["to"].contains("sam.starter"))
            .unwrap();
        assert!(sam
            .text
            .contains("- Overdue: Risk assessment (RISK), was due 31 January 2020"));
        assert!(sam
            .text
            .contains("See your training plan: https://mashboard.force.example/my/training"));

        let actions = audit_actions(&db).await;
        let sent: Vec<&str> = actions
            .iter()
            .filter(|a| a.0 == "reminders.digest_sent")
            .filter_map(|a| a.1.as_deref())
            .collect();
        assert_eq!(sent.len(), 3);
        assert!(
            !sent.contains(&"S2"),
            "a refused digest is not recorded as sent"
        );
        let run = actions.iter().find(|a| a.0 == "reminders.run").unwrap();
        assert!(run.2.contains("3 sent, 1 failed, 1 people"), "{}", run.2);
        for (_, _, detail) in &actions {
            assert!(
                !detail.contains('@'),
                "an address in the audit trail: {detail}"
            );
        }
    }
}

#[tokio::test]
async fn an_unreachable_mail_server_stops_the_run_with_a_plain_message() {
    let (_dir, dbs) = databases().await;
    let db = dbs.into_iter().next().unwrap();
    seed(&db).await;
    // A port nobody listens on: bind one, note it, let it go.
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let o = mashboard(
        &db,
        &["reminders", "send"],
        &[
            ("MASHBOARD_SMTP_URL", url.as_str()),
            ("MASHBOARD_MAIL_FROM", "training@force.example"),
        ],
    )
    .await;
    let t = text(&o);
    assert!(!o.status.success());
    assert!(
        t.contains("Stopped: the mail server could not be reached."),
        "{t}"
    );
    assert!(
        t.contains("Sent 0 reminder digests; 4 could not be sent."),
        "{t}"
    );
    let actions = audit_actions(&db).await;
    assert!(
        !actions.iter().any(|a| a.0 == "reminders.run"),
        "a run that reached nobody is not the day's run"
    );

    let o = mashboard(
        &db,
        &["reminders", "send"],
        &[
            ("MASHBOARD_SMTP_URL", "http://mail.force.example"),
            ("MASHBOARD_MAIL_FROM", "training@force.example"),
        ],
    )
    .await;
    assert!(!o.status.success());
    assert!(
        text(&o).contains("MASHBOARD_SMTP_URL (--smtp-url) is not a mail server address"),
        "{}",
        text(&o)
    );
    let o = mashboard(
        &db,
        &["reminders", "send", "--dry-run"],
        &[("MASHBOARD_MAIL_FROM", "not an address")],
    )
    .await;
    assert!(!o.status.success());
    assert!(
        text(&o).contains("MASHBOARD_MAIL_FROM (--mail-from) is not an e-mail address"),
        "{}",
        text(&o)
    );
}
