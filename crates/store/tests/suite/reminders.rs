//! People's e-mail addresses and the reminder digests' inputs, every test on SQLite and on
//! PostgreSQL.

use mashboard_domain::imports::parse_people;
use mashboard_domain::people::PersonDraft;
use mashboard_domain::reminders::{build_digests, digest_for, split_by_address};
use mashboard_domain::signoff::Capacity;
use mashboard_domain::training::ItemStatus;
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::people;
use mashboard_store::reminders::{self, Delivery, RunSummary};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::training::{cpd, programmes};
use time::macros::date;

fn person(
    sn: &str,
    name: &str,
    lm: &str,
    me: &str,
    email: &str,
) -> (usize, mashboard_domain::people::PersonInput) {
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
}

#[tokio::test]
async fn an_email_address_is_stored_changed_and_audited() {
    on_both!(|store| {
        let actor = Actor::system();
        let (_, ann) = person("A1", "Ann Lee", "", "", "ann.lee@force.example");
        let created = people::create(&store, &actor, &ann).await.unwrap();
        assert_eq!(created.email.as_deref(), Some("ann.lee@force.example"));
        let (_, mut changed) = person("A1", "Ann Lee", "", "", "ann.lee2@force.example");
        people::update(&store, &actor, "A1", &changed, true)
            .await
            .unwrap();
        let got = people::get(&store, "A1").await.unwrap().unwrap();
        assert_eq!(got.email.as_deref(), Some("ann.lee2@force.example"));
        assert_eq!(got.as_input().unwrap().email, got.email);
        let (_, listed) = people::search(
            &store,
            &Default::default(),
            mashboard_domain::access::PeopleScope::All,
            10,
            0,
        )
        .await
        .unwrap();
        assert_eq!(listed[0].email.as_deref(), Some("ann.lee2@force.example"));
        changed.email = None;
        people::update(&store, &actor, "A1", &changed, true)
            .await
            .unwrap();
        assert_eq!(
            people::get(&store, "A1").await.unwrap().unwrap().email,
            None
        );

        let history = audit_trail::changes_to(&store, "person", "A1")
            .await
            .unwrap();
        let mut afters: Vec<String> = history
            .iter()
            .filter_map(|e| e.after_json.clone())
            .collect();
        afters.sort();
        assert!(
            afters
                .iter()
                .any(|a| a.contains("\"email\":\"ann.lee@force.example\"")),
            "{afters:?}"
        );
        assert!(
            afters.iter().any(|a| a.contains("\"email\":null")),
            "{afters:?}"
        );
        let befores: Vec<String> = history
            .iter()
            .filter_map(|e| e.before_json.clone())
            .collect();
        assert!(befores
            .iter()
            .any(|b| b.contains("\"email\":\"ann.lee2@force.example\"")));
    });
}

#[tokio::test]
async fn an_import_without_an_email_column_keeps_addresses_and_one_with_it_sets_them() {
    on_both!(|store| {
        let actor = Actor::system();
        let header = "staff_number,name,rank,department,team,roles,start_date,cohort,line_manager_staff_number,mentor_staff_number";
        let with = parse_people(
            format!("{header},email\nA1,Ann Lee,,,,,,,,,ann@force.example\nB1,Bo Ray,,,,,,,,,bo@force.example\n")
                .as_bytes(),
        )
        .unwrap();
        let r = people::import_file(&store, &actor, &with, false, "with.csv")
            .await
            .unwrap();
        assert_eq!(r.created.len(), 2);
        let email = |sn: &'static str| {
            let store = &store;
            async move { people::get(store, sn).await.unwrap().unwrap().email }
        };
        assert_eq!(email("A1").await.as_deref(), Some("ann@force.example"));

        // An HR export without the column changes nobody's address (and so nothing at all).
        let without =
            parse_people(format!("{header}\nA1,Ann Lee,,,,,,,,\nB1,Bo Ray,,,,,,,,\n").as_bytes())
                .unwrap();
        let r = people::import_file(&store, &actor, &without, false, "hr.csv")
            .await
            .unwrap();
        assert_eq!((r.updated.len(), r.unchanged), (0, 2));
        assert_eq!(email("B1").await.as_deref(), Some("bo@force.example"));

        // With the column, a blank cell clears an address and a new one replaces it.
        let again = parse_people(
            format!(
                "{header},email\nA1,Ann Lee,,,,,,,,,\nB1,Bo Ray,,,,,,,,,bo.ray@force.example\n"
            )
            .as_bytes(),
        )
        .unwrap();
        let r = people::import_file(&store, &actor, &again, false, "again.csv")
            .await
            .unwrap();
        assert_eq!(r.updated, vec!["A1".to_string(), "B1".to_string()]);
        assert_eq!(email("A1").await, None);
        assert_eq!(email("B1").await.as_deref(), Some("bo.ray@force.example"));

        // A bad address rejects its row, naming the row and the column.
        let bad =
            parse_people(format!("{header},email\nA1,Ann Lee,,,,,,,,,ann at force\n").as_bytes())
                .unwrap();
        assert_eq!(bad.errors.len(), 1);
        assert_eq!(bad.errors[0].row, 2);
        assert_eq!(bad.errors[0].column.as_deref(), Some("email"));
    });
}

/// Len manages Sam and Tia; Mona mentors Sam; Tess is the trainer through her account; Lou has
/// left. Sam's module is overdue, Tia's is due soon, Sam has a completion Mona has signed and
/// Len has not, and Sam has submitted CPD.
#[tokio::test]
async fn the_digests_inputs_come_from_the_records_of_active_people() {
    on_both!(|store| {
        let actor = Actor::system();
        let rows = vec![
            person("L1", "Len Manager", "", "", "len@force.example"),
            person("M1", "Mona Mentor", "", "", ""),
            person("T1", "Tess Trainer", "", "", "tess@force.example"),
            person("S1", "Sam Starter", "L1", "M1", "sam@force.example"),
            person("S2", "Tia Starter", "L1", "", "tia@force.example"),
            person("X1", "Lou Leaver", "L1", "M1", "lou@force.example"),
        ];
        people::import(&store, &actor, &rows, false, "seed")
            .await
            .unwrap();
        let id = |sn: &'static str| {
            let store = &store;
            async move { people::get(store, sn).await.unwrap().unwrap().id }
        };
        let (len, mona, tess, sam, tia, lou) = (
            id("L1").await,
            id("M1").await,
            id("T1").await,
            id("S1").await,
            id("S2").await,
            id("X1").await,
        );
        let tess_number = mashboard_domain::people::StaffNumber::parse("T1").unwrap();
        accounts::create(
            &store,
            &actor,
            NewAccount {
                username: "tess",
                roles: &[Role::MashTrainer],
                staff_number: Some(&tess_number),
                password: None,
            },
        )
        .await
        .unwrap();

        let module = |code: &'static str| {
            let store = &store;
            async move {
                catalogue::create_module(
                    store,
                    &Actor::system(),
                    &ModuleInput {
                        code: code.into(),
                        title: format!("Module {code}"),
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
        };
        let (risk, sign) = (module("RISK").await, module("SIGN").await);
        let profile = programmes::create_profile(&store, &actor, "NEW", "New starter", "")
            .await
            .unwrap();
        programmes::set_item(&store, &actor, profile, risk, "days:30", "none")
            .await
            .unwrap();
        programmes::assign(&store, &actor, sam, profile, "2025-01-01")
            .await
            .unwrap();
        programmes::assign(&store, &actor, tia, profile, "2025-02-15")
            .await
            .unwrap();
        programmes::assign(&store, &actor, lou, profile, "2025-01-01")
            .await
            .unwrap();
        let done = completions::record(
            &store,
            &actor,
            &NewCompletion {
                person_id: sam,
                module_id: sign,
                module_version: None,
                completed_on: "2025-03-01".into(),
                mode: "face_to_face".into(),
                trainer: String::new(),
                notes: "private notes".into(),
                evidence_url: String::new(),
            },
        )
        .await
        .unwrap();
        completions::sign(&store, &actor, Some(mona), done.id, "Seen it done")
            .await
            .unwrap();
        for who in [sam, lou] {
            cpd::log(
                &store,
                &actor,
                &cpd::NewCpd {
                    person_id: who,
                    topic: "Stalking".into(),
                    done_on: "2025-02-01".into(),
                    minutes: 60,
                    kind: "course".into(),
                    learning: "A narrative".into(),
                    evidence_url: String::new(),
                },
            )
            .await
            .unwrap();
        }
        let (_, mut leaver) = person("X1", "Lou Leaver", "L1", "M1", "lou@force.example");
        leaver.email = Some("lou@force.example".into());
        people::update(&store, &actor, "X1", &leaver, false)
            .await
            .unwrap();

        let inputs = reminders::gather(&store, date!(2025 - 03 - 03))
            .await
            .unwrap();
        let ids: Vec<i64> = inputs.people.iter().map(|p| p.id).collect();
        assert!(!ids.contains(&lou), "people who left are not gathered");
        let trainers: Vec<i64> = inputs
            .people
            .iter()
            .filter(|p| p.is_trainer)
            .map(|p| p.id)
            .collect();
        assert_eq!(trainers, vec![tess]);
        let mut statuses: Vec<(i64, ItemStatus)> = inputs
            .items
            .iter()
            .map(|i| (i.person_id, i.status))
            .collect();
        statuses.sort_by_key(|(p, _)| *p);
        assert_eq!(
            statuses,
            vec![(sam, ItemStatus::Overdue), (tia, ItemStatus::DueSoon)]
        );
        assert_eq!(inputs.pending.len(), 1);
        assert_eq!(inputs.pending[0].person_id, sam);
        assert_eq!(inputs.pending[0].completed_on, date!(2025 - 03 - 01));
        assert_eq!(
            inputs.pending[0].signed,
            vec![(Capacity::Mentor, Some(mona))]
        );
        assert_eq!(inputs.submitted_cpd, vec![(sam, 1)]);

        // The home page reads one person's digest from their own circle's records: for each
        // person it is exactly their digest from the whole force's (a trainer's, with the force
        // summary, included), and a non-trainer's read leaves out everyone else.
        for who in [len, mona, tess, sam, tia, lou] {
            let theirs = reminders::gather_for(&store, date!(2025 - 03 - 03), who)
                .await
                .unwrap();
            assert_eq!(
                digest_for(&theirs, who),
                digest_for(&inputs, who),
                "the digest of person {who}"
            );
            if who != tess {
                assert!(
                    theirs.people.len() < inputs.people.len(),
                    "person {who}'s digest read {} of {} people",
                    theirs.people.len(),
                    inputs.people.len()
                );
            }
        }
        assert!(digest_for(&inputs, len).is_some() && digest_for(&inputs, tess).is_some());
        let sams = reminders::gather_for(&store, date!(2025 - 03 - 03), sam)
            .await
            .unwrap();
        assert_eq!(
            sams.people.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![sam],
            "Sam manages and mentors no one"
        );

        let digests = build_digests(&inputs);
        let len_digest = digests
            .iter()
            .find(|d| d.recipient.person_id == len)
            .unwrap();
        let c = len_digest.counts();
        assert_eq!(
            (
                c.team_people,
                c.team_out_of_date,
                c.team_due_soon,
                c.sign_offs,
                c.cpd_to_verify
            ),
            (2, 1, 1, 1, 1)
        );
        // Mona has signed; nothing else waits for her.
        assert!(digests.iter().all(|d| d.recipient.person_id != mona));
        let (with, without) = split_by_address(digests);
        assert!(without.is_empty());
        let tess_digest = with.iter().find(|d| d.recipient.person_id == tess).unwrap();
        assert_eq!(tess_digest.force.unwrap().out_of_date_items, 1);

        // Sending is audited with the recipient and counts, never the address.
        let len_digest = with.iter().find(|d| d.recipient.person_id == len).unwrap();
        reminders::record_digest(&store, &Actor::cli(), len_digest, Delivery::Sent)
            .await
            .unwrap();
        assert_eq!(reminders::last_run_on(&store).await.unwrap(), None);
        reminders::record_run(
            &store,
            &Actor::cli(),
            RunSummary {
                sent: 1,
                failed: 0,
                no_address: 0,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            reminders::last_run_on(&store).await.unwrap(),
            Some(time::OffsetDateTime::now_utc().date())
        );
        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "reminders.".into(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        let sent = events
            .iter()
            .find(|e| e.action == "reminders.digest_sent")
            .unwrap();
        assert_eq!(sent.entity.as_deref(), Some("reminder"));
        assert_eq!(sent.entity_key.as_deref(), Some("L1"));
        let after = sent.after_json.clone().unwrap();
        assert!(
            after.contains(&format!("\"recipient_person_id\":{len}")),
            "{after}"
        );
        assert!(after.contains("\"team_out_of_date\":1"), "{after}");
        for e in &events {
            let all = format!("{} {:?}", e.summary, e.after_json);
            assert!(
                !all.contains('@'),
                "an address reached the audit trail: {all}"
            );
        }
    });
}
