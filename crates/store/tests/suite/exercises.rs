//! Exercise runs storage, every test on SQLite and on PostgreSQL.

use mashboard_domain::people::PersonDraft;
use mashboard_store::audit_trail::Actor;
use mashboard_store::exercises::{self as ex, NewPartner, NewRun, NewTeam};
use mashboard_store::{people, Store};
use rand::SeedableRng;

async fn seed_people(store: &Store) {
    let row = |sn: &str, name: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    people::import(
        store,
        &Actor::system(),
        &[(2, row("E1", "Erin One")), (3, row("E2", "Evan Two"))],
        false,
        "seed",
    )
    .await
    .unwrap();
}

fn two_teams(scenario_id: i64) -> NewRun {
    NewRun {
        scenario_id,
        teams: vec![
            NewTeam {
                name: "Red".into(),
                members: vec!["E1".into()],
                partners: vec![NewPartner {
                    name: "Sue Social".into(),
                    organisation: "Eastbrook children's services".into(),
                }],
                ..Default::default()
            },
            NewTeam {
                name: "Blue".into(),
                members: vec!["E2".into()],
                ..Default::default()
            },
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn a_run_releases_stages_and_takes_answers_only_for_released_stages() {
    on_both!(|store| {
        ex::ensure_scenarios(&store).await.unwrap();
        ex::ensure_scenarios(&store).await.unwrap();
        let list = ex::list_scenarios(&store).await.unwrap();
        assert_eq!(list.len(), 1, "installing twice keeps one scenario");
        let sc = ex::scenario(&store, list[0].id).await.unwrap().unwrap();
        assert_eq!(sc.stages[0].stage, 1);
        assert!(sc.stages.last().unwrap().strategy_meeting);
        seed_people(&store).await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let actor = Actor::system();

        // An unknown staff number writes nothing.
        let mut bad = two_teams(sc.id);
        bad.teams[1].members = vec!["NOPE".into()];
        let err = ex::create_run(&store, &actor, &bad, &mut rng)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("NOPE"), "{err}");
        assert!(ex::list_runs(&store).await.unwrap().is_empty());

        let (run_id, teams) = ex::create_run(&store, &actor, &two_teams(sc.id), &mut rng)
            .await
            .unwrap();
        assert_eq!(teams.len(), 2);
        assert_ne!(teams[0].code, teams[1].code);
        assert_eq!(
            teams[0].members.len(),
            2,
            "an officer and a partner participant"
        );
        let (red, blue) = (teams[0].id, teams[1].id);
        let q1 = sc.stages[0].questions[0].id;
        let q2 = sc.stages[1].questions[0].id;

        // Nothing released yet: an answer is refused and nothing is written.
        let err = ex::save_answer(&store, &actor, run_id, red, q1, "early")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has not been released"), "{err}");
        assert!(ex::answers(&store, run_id).await.unwrap().is_empty());
        // A stage that does not exist cannot be released.
        assert!(ex::release(&store, &actor, run_id, 99, None).await.is_err());

        ex::release(&store, &actor, run_id, 1, None).await.unwrap();
        ex::release(&store, &actor, run_id, 2, Some(blue))
            .await
            .unwrap();
        ex::save_answer(&store, &actor, run_id, red, q1, "Kai is caring for Poppy")
            .await
            .unwrap();
        ex::save_answer(
            &store,
            &actor,
            run_id,
            red,
            q1,
            "Kai (7) is caring for Poppy (3)",
        )
        .await
        .unwrap();
        assert!(
            ex::save_answer(&store, &actor, run_id, red, q2, "x")
                .await
                .is_err(),
            "stage 2 went to Blue only"
        );
        ex::save_answer(&store, &actor, run_id, blue, q2, "third concern")
            .await
            .unwrap();
        let a = ex::answers(&store, run_id).await.unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(
            a.iter().find(|x| x.team_id == red).unwrap().text,
            "Kai (7) is caring for Poppy (3)"
        );

        // Codes open only their own team, only while live.
        assert_eq!(
            ex::team_for_code(&store, &teams[1].code.to_lowercase())
                .await
                .unwrap(),
            Some((run_id, blue))
        );
        ex::add_note(
            &store,
            &actor,
            run_id,
            Some(1),
            Some(red),
            "Good use of the child's words",
        )
        .await
        .unwrap();
        ex::save_meeting(&store, &actor, run_id, "Police, health", "History", "s47")
            .await
            .unwrap();
        ex::add_action(&store, &actor, run_id, "Visit", "Social worker", "24 hours")
            .await
            .unwrap();
        assert!(ex::add_action(&store, &actor, run_id, "Visit", " ", "")
            .await
            .is_err());
        ex::end_run(&store, &actor, run_id).await.unwrap();
        assert_eq!(
            ex::team_for_code(&store, &teams[0].code).await.unwrap(),
            None
        );
        assert!(ex::save_answer(&store, &actor, run_id, red, q1, "late")
            .await
            .is_err());
        assert_eq!(ex::notes(&store, run_id).await.unwrap().len(), 1);
        assert_eq!(ex::actions(&store, run_id).await.unwrap().len(), 1);
        let person = people::get(&store, "E2").await.unwrap().unwrap();
        let mine = ex::runs_for_member(&store, Some(person.id), 999)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].1, blue);
    });
}

async fn account(store: &Store, username: &str, role: mashboard_domain::Role) -> Actor {
    let a = mashboard_store::accounts::create(
        store,
        &Actor::system(),
        mashboard_store::accounts::NewAccount {
            username,
            roles: &[role],
            staff_number: None,
            password: None,
        },
    )
    .await
    .unwrap();
    Actor::user(a.id, &a.username)
}

#[tokio::test]
async fn a_run_is_reached_only_by_its_facilitators_or_those_who_reach_every_run() {
    use mashboard_domain::access::{exercise_run_scope, RunScope};
    use mashboard_domain::Role;
    on_both!(|store| {
        ex::ensure_scenarios(&store).await.unwrap();
        let sc = ex::list_scenarios(&store).await.unwrap()[0].id;
        seed_people(&store).await;
        let owner = account(&store, "owner", Role::MashStaff).await;
        let co = account(&store, "cofac", Role::MashStaff).await;
        let other = account(&store, "other", Role::MashStaff).await;
        account(&store, "officer", Role::Frontline).await;
        let scope = |a: &Actor| exercise_run_scope(&[Role::MashStaff], a.user_id.unwrap());
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);

        // Naming someone who cannot facilitate refuses the whole run.
        let mut new = two_teams(sc);
        new.co_facilitators = vec!["officer".into()];
        let err = ex::create_run(&store, &owner, &new, &mut rng)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("officer has no role"), "{err}");
        assert!(ex::list_runs(&store).await.unwrap().is_empty());

        new.co_facilitators = vec!["COFAC".into(), "owner".into()];
        let (run_id, _) = ex::create_run(&store, &owner, &new, &mut rng)
            .await
            .unwrap();
        let f = ex::facilitators(&store, run_id).await.unwrap();
        let names: Vec<(&str, bool)> = f.iter().map(|f| (f.username.as_str(), f.creator)).collect();
        assert_eq!(names, vec![("owner", true), ("cofac", false)]);

        for (who, a, can) in [
            ("owner", &owner, true),
            ("co", &co, true),
            ("other", &other, false),
        ] {
            assert_eq!(
                ex::may_facilitate(&store, scope(a), run_id).await.unwrap(),
                can,
                "{who}"
            );
            assert_eq!(
                ex::list_runs_for(&store, scope(a)).await.unwrap().len(),
                usize::from(can),
                "{who}"
            );
        }
        assert!(ex::may_facilitate(&store, RunScope::Every, run_id)
            .await
            .unwrap());
        assert!(!ex::may_facilitate(&store, RunScope::Every, run_id + 99)
            .await
            .unwrap());
        assert!(!ex::may_facilitate(&store, RunScope::Nobody, run_id)
            .await
            .unwrap());
        assert!(ex::may_manage_facilitators(&store, scope(&owner), run_id)
            .await
            .unwrap());
        assert!(!ex::may_manage_facilitators(&store, scope(&co), run_id)
            .await
            .unwrap());

        // Named later, then removed; both audited.
        ex::add_facilitator(&store, &owner, run_id, "other")
            .await
            .unwrap();
        ex::add_facilitator(&store, &owner, run_id, "other")
            .await
            .unwrap();
        assert!(ex::may_facilitate(&store, scope(&other), run_id)
            .await
            .unwrap());
        ex::remove_facilitator(&store, &owner, run_id, other.user_id.unwrap())
            .await
            .unwrap();
        assert!(!ex::may_facilitate(&store, scope(&other), run_id)
            .await
            .unwrap());
        let audited: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action LIKE 'exercise_run.facilitator_%'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(audited, 2, "the repeated naming changed nothing");
    });
}
