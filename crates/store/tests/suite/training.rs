//! Training records storage, every test on SQLite and on PostgreSQL.

use mashboard_domain::people::PersonDraft;
use mashboard_domain::signoff::Refusal;
use mashboard_domain::training::ItemStatus;
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::people;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions::{self, NewCompletion, SignOffError};
use mashboard_store::training::{cpd, plans, programmes};
use mashboard_store::Store;
use time::macros::date;

struct World {
    starter: i64,
    mentor: i64,
    manager: i64,
    other: i64,
    module: i64,
    profile: i64,
}

async fn world(store: &Store) -> World {
    let actor = Actor::system();
    let row = |sn: &str, name: &str, lm: &str, me: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            line_manager_staff_number: lm.into(),
            mentor_staff_number: me.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = vec![
        (2, row("M1", "Mona Mentor", "", "")),
        (3, row("L1", "Len Manager", "", "")),
        (4, row("O1", "Otto Other", "", "")),
        (5, row("S1", "Sam Starter", "L1", "M1")),
    ];
    people::import(store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    let id = |sn: &'static str| async move { people::get(store, sn).await.unwrap().unwrap().id };
    let m = catalogue::create_module(
        store,
        &actor,
        &ModuleInput {
            code: "MASH-RISK".into(),
            title: "Risk".into(),
            kind: "face_to_face".into(),
            status: "live".into(),
            tags: vec!["National Decision Model".into()],
            last_reviewed_on: Some("2026-01-10".into()),
            review_by: Some("2027-01-10".into()),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap();
    let profile = programmes::create_profile(store, &actor, "MASH-RES", "MASH researcher", "")
        .await
        .unwrap();
    programmes::set_item(store, &actor, profile, m.id, "days:30", "rolling:12")
        .await
        .unwrap();
    World {
        starter: id("S1").await,
        mentor: id("M1").await,
        manager: id("L1").await,
        other: id("O1").await,
        module: m.id,
        profile,
    }
}

fn completion(w: &World, on: &str) -> NewCompletion {
    NewCompletion {
        person_id: w.starter,
        module_id: w.module,
        module_version: None,
        completed_on: on.into(),
        mode: "face_to_face".into(),
        trainer: String::new(),
        notes: String::new(),
        evidence_url: String::new(),
    }
}

#[tokio::test]
async fn a_plan_follows_the_programme_and_changes_with_it() {
    on_both!(|store| {
        let w = world(&store).await;
        programmes::assign(&store, &Actor::system(), w.starter, w.profile, "2026-10-01")
            .await
            .unwrap();
        let plan = plans::plan_of(&store, w.starter, date!(2026 - 10 - 20))
            .await
            .unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].state.status, ItemStatus::DueSoon);
        assert_eq!(plan[0].state.due_on, Some(date!(2026 - 10 - 31)));
        let plan = plans::plan_of(&store, w.starter, date!(2026 - 11 - 26))
            .await
            .unwrap();
        assert_eq!(plan[0].state.status, ItemStatus::Overdue);
        assert_eq!(plan[0].state.overdue_since, Some(date!(2026 - 11 - 01)));
        // Changing the programme changes the plan at once.
        programmes::set_item(
            &store,
            &Actor::system(),
            w.profile,
            w.module,
            "days:90",
            "rolling:12",
        )
        .await
        .unwrap();
        let plan = plans::plan_of(&store, w.starter, date!(2026 - 11 - 26))
            .await
            .unwrap();
        assert_eq!(plan[0].state.due_on, Some(date!(2026 - 12 - 30)));
        assert!(
            programmes::assign(&store, &Actor::system(), w.starter, w.profile, "2026-10-01")
                .await
                .is_err(),
            "no double assignment"
        );
        let a = programmes::assignments_of(&store, w.starter).await.unwrap();
        programmes::end_assignment(&store, &Actor::system(), a[0].id, "2026-11-26")
            .await
            .unwrap();
        assert!(
            plans::plan_of(&store, w.starter, date!(2026 - 11 - 26))
                .await
                .unwrap()
                .is_empty(),
            "leaving the role closes the plan"
        );
    });
}

#[tokio::test]
async fn sign_off_needs_the_named_mentor_and_the_named_manager_and_then_locks() {
    on_both!(|store| {
        let w = world(&store).await;
        programmes::assign(&store, &Actor::system(), w.starter, w.profile, "2026-10-01")
            .await
            .unwrap();
        let c = completions::record(&store, &Actor::system(), &completion(&w, "2026-11-02"))
            .await
            .unwrap();
        assert_eq!(c.status, "awaiting_sign_off");
        assert_eq!(c.module_version, "1.0");
        let actor = Actor::system();
        let refused = |r: Result<_, SignOffError>| match r {
            Err(SignOffError::Refused(r)) => r,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(
            refused(completions::sign(&store, &actor, Some(w.other), c.id, "ok").await),
            Refusal::NotNamed
        );
        assert_eq!(
            refused(completions::sign(&store, &actor, Some(w.starter), c.id, "ok").await),
            Refusal::OwnRecord
        );
        assert!(matches!(
            completions::sign(&store, &actor, Some(w.mentor), c.id, " ").await,
            Err(SignOffError::NoComment)
        ));
        let after_mentor = completions::sign(&store, &actor, Some(w.mentor), c.id, "Seen it done")
            .await
            .unwrap();
        assert_eq!(
            after_mentor.status, "awaiting_sign_off",
            "one signature is not enough"
        );
        assert!(matches!(
            refused(completions::sign(&store, &actor, Some(w.mentor), c.id, "again").await),
            Refusal::SameSigner
        ));
        let done = completions::sign(&store, &actor, Some(w.manager), c.id, "Agreed")
            .await
            .unwrap();
        assert_eq!(done.status, "signed_off");
        assert_eq!(
            refused(completions::sign(&store, &actor, Some(w.manager), c.id, "more").await),
            Refusal::Locked
        );
        let plan = plans::plan_of(&store, w.starter, date!(2026 - 11 - 26))
            .await
            .unwrap();
        assert_eq!(plan[0].state.status, ItemStatus::SignedOff);
        assert!(plan[0].state.in_date);
        assert_eq!(plan[0].state.expires_on, Some(date!(2027 - 11 - 02)));

        assert!(
            completions::reopen(&store, &actor, c.id, "  ")
                .await
                .is_err(),
            "a reason is required"
        );
        let reopened = completions::reopen(&store, &actor, c.id, "Wrong date recorded")
            .await
            .unwrap();
        assert_eq!(reopened.status, "reopened");
        let signs = completions::sign_offs(&store, c.id).await.unwrap();
        assert_eq!(signs.len(), 2, "signatures are kept");
        assert!(signs.iter().all(|s| s.cleared_at.is_some()), "and cleared");
        completions::sign(&store, &actor, Some(w.mentor), c.id, "Re-signed")
            .await
            .unwrap();
        let (n, _) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "completion.".into(),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        assert_eq!(n, 5, "record, two sign-offs, reopen, sign-off again");
    });
}

#[tokio::test]
async fn the_queue_shows_what_waits_for_each_signer_only() {
    on_both!(|store| {
        let w = world(&store).await;
        let c = completions::record(&store, &Actor::system(), &completion(&w, "2026-11-02"))
            .await
            .unwrap();
        assert_eq!(
            completions::queue_for(&store, w.mentor)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            completions::queue_for(&store, w.manager)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(completions::queue_for(&store, w.other)
            .await
            .unwrap()
            .is_empty());
        completions::sign(&store, &Actor::system(), Some(w.mentor), c.id, "ok")
            .await
            .unwrap();
        assert!(
            completions::queue_for(&store, w.mentor)
                .await
                .unwrap()
                .is_empty(),
            "signed, so gone from the mentor's queue"
        );
        assert_eq!(
            completions::queue_for(&store, w.manager).await.unwrap()[0].1,
            "Line manager"
        );
    });
}

#[tokio::test]
async fn publishing_a_version_keeps_who_trained_on_the_old_one() {
    on_both!(|store| {
        let w = world(&store).await;
        completions::record(&store, &Actor::system(), &completion(&w, "2026-03-02"))
            .await
            .unwrap();
        catalogue::publish_version(
            &store,
            &Actor::system(),
            w.module,
            "1.1",
            "New NDM guidance",
            "2026-11-20",
            Some("2027-11-20"),
        )
        .await
        .unwrap();
        let versions = catalogue::versions(&store, w.module).await.unwrap();
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.version.as_str(), v.trained))
                .collect::<Vec<_>>(),
            vec![("1.1", 0), ("1.0", 1)]
        );
        assert!(catalogue::publish_version(
            &store,
            &Actor::system(),
            w.module,
            "1.1",
            "again",
            "2026-11-20",
            None
        )
        .await
        .is_err());
        let c = completions::record(&store, &Actor::system(), &completion(&w, "2026-11-21"))
            .await
            .unwrap();
        assert_eq!(c.module_version, "1.1");
    });
}

#[tokio::test]
async fn a_guidance_change_flags_its_modules_and_lists_who_trained_on_them() {
    on_both!(|store| {
        let w = world(&store).await;
        programmes::assign(&store, &Actor::system(), w.starter, w.profile, "2026-01-01")
            .await
            .unwrap();
        completions::record(&store, &Actor::system(), &completion(&w, "2026-03-02"))
            .await
            .unwrap();
        assert!(catalogue::module(&store, w.module)
            .await
            .unwrap()
            .unwrap()
            .guidance_flag
            .is_none());
        let tag = catalogue::tags(&store)
            .await
            .unwrap()
            .into_iter()
            .find(|t| t.name == "National Decision Model")
            .unwrap();
        let trained = catalogue::record_guidance_change(
            &store,
            &Actor::system(),
            tag.id,
            "2026-11-01",
            "NDM revised",
        )
        .await
        .unwrap();
        assert_eq!(trained.len(), 1);
        assert_eq!(trained[0].staff_number, "S1");
        assert_eq!(trained[0].module_version, "1.0");
        assert_eq!(trained[0].profiles, "MASH researcher");
        let m = catalogue::module(&store, w.module).await.unwrap().unwrap();
        assert!(m.guidance_flag.as_deref().unwrap().contains("NDM revised"));
        assert_eq!(m.tag_list(), vec!["National Decision Model"]);
        // A review on or after the change clears the flag.
        let mut input = ModuleInput {
            code: m.code.clone(),
            title: m.title.clone(),
            kind: m.kind.clone(),
            status: m.status.clone(),
            tags: vec!["National Decision Model".into()],
            ..Default::default()
        };
        input.last_reviewed_on = Some("2026-11-05".into());
        catalogue::update_module(&store, &Actor::system(), w.module, &input)
            .await
            .unwrap();
        assert!(catalogue::module(&store, w.module)
            .await
            .unwrap()
            .unwrap()
            .guidance_flag
            .is_none());
    });
}

#[tokio::test]
async fn cpd_is_verified_or_returned_by_the_named_line_manager_only() {
    on_both!(|store| {
        let w = world(&store).await;
        let e = cpd::log(
            &store,
            &Actor::system(),
            &cpd::NewCpd {
                person_id: w.starter,
                topic: "Stalking".into(),
                done_on: "2026-05-01".into(),
                minutes: 90,
                kind: "course".into(),
                learning: "S2A and S4A".into(),
                evidence_url: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(cpd::review_queue(&store, w.manager).await.unwrap().len(), 1);
        assert!(
            cpd::review(&store, &Actor::system(), Some(w.mentor), e.id, true, "")
                .await
                .is_err(),
            "a mentor is not the line manager"
        );
        assert!(
            cpd::review(&store, &Actor::system(), Some(w.manager), e.id, false, "")
                .await
                .is_err(),
            "returning needs a comment"
        );
        cpd::review(
            &store,
            &Actor::system(),
            Some(w.manager),
            e.id,
            true,
            "Good",
        )
        .await
        .unwrap();
        let totals = cpd::totals_of(&store, w.starter).await.unwrap();
        assert_eq!(
            (totals[0].year.as_str(), totals[0].verified_minutes),
            ("2026", 90)
        );
        assert!(cpd::review_queue(&store, w.manager)
            .await
            .unwrap()
            .is_empty());
    });
}
