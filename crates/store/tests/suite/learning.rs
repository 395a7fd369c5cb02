//! Knowledge checks, recorded videos and session feedback in storage, on SQLite and PostgreSQL.

use mashboard_domain::checks::{OptionDraft, Phase, QuestionDraft, QuestionKind};
use mashboard_domain::feedback::Ratings;
use mashboard_domain::people::PersonDraft;
use mashboard_store::audit_trail::Actor;
use mashboard_store::learning::checks::{self, CheckInput, NewAttempt};
use mashboard_store::learning::feedback::{self, NewFeedback};
use mashboard_store::learning::videos::{self, Source};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::{people, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};

async fn people3(store: &Store) -> (i64, i64, i64) {
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
        &[
            (2, row("A1", "Ann Able")),
            (3, row("B1", "Ben Bell")),
            (4, row("T1", "Tia Trainer")),
        ],
        false,
        "seed",
    )
    .await
    .unwrap();
    let id = |sn: &'static str| async move { people::get(store, sn).await.unwrap().unwrap().id };
    (id("A1").await, id("B1").await, id("T1").await)
}

async fn module(store: &Store, code: &str, kind: &str) -> i64 {
    catalogue::create_module(
        store,
        &Actor::system(),
        &ModuleInput {
            code: code.into(),
            title: format!("{code} title"),
            kind: kind.into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap()
    .id
}

async fn session(store: &Store, module_id: i64, trainer: i64) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (module_id, module_version, starts_at, ends_at, mode, capacity, status, ics_uid,
            created_by, created_at, updated_at)
         VALUES ($1, '1.0', '2026-02-02T09:00:00.000000Z', '2026-02-02T12:00:00.000000Z', 'teams', 10, 'delivered', 'u1',
            't', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z') RETURNING id",
    )
    .bind(module_id)
    .fetch_one(store.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO session_trainers (session_id, person_id, lead) VALUES ($1, $2, 1)")
        .bind(id)
        .bind(trainer)
        .execute(store.pool())
        .await
        .unwrap();
    id
}

fn question(correct: &[bool]) -> QuestionDraft {
    QuestionDraft {
        text: "Which?".into(),
        kind: if correct.iter().filter(|c| **c).count() == 1 {
            QuestionKind::Single
        } else {
            QuestionKind::Multiple
        },
        explanation: "Because.".into(),
        options: correct
            .iter()
            .enumerate()
            .map(|(i, c)| OptionDraft {
                text: format!("Option {i}"),
                correct: *c,
            })
            .collect(),
    }
}

fn answers(check: &checks::Check, right: usize) -> BTreeMap<i64, BTreeSet<i64>> {
    check
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let pick = |c: bool| {
                q.options
                    .iter()
                    .filter(|o| o.correct == c)
                    .map(|o| o.id)
                    .take(if c { 9 } else { 1 })
                    .collect()
            };
            (q.id, pick(i < right))
        })
        .collect()
}

#[tokio::test]
async fn checks_score_lock_once_taken_and_report_gain_per_session() {
    on_both!(|store| {
        let (a, b, t) = people3(&store).await;
        let m = module(&store, "FL-PPN", "face_to_face").await;
        let s = session(&store, m, t).await;
        let actor = Actor::system();
        let input = CheckInput {
            module_id: Some(m),
            title: "Before and after".into(),
            description: String::new(),
            pass_mark_pct: 75,
            active: true,
        };
        // An invalid bank is refused whole.
        let bad = checks::create(
            &store,
            &actor,
            &input,
            &[question(&[true, false]), question(&[false, false])],
        )
        .await;
        assert!(matches!(bad, Err(StoreError::Invalid(m)) if m.contains("Question 2")));
        assert!(checks::list(&store).await.unwrap().is_empty());
        let id = checks::create(
            &store,
            &actor,
            &input,
            &[
                question(&[true, false]),
                question(&[true, true, false]),
                question(&[false, true]),
                question(&[true, false, false]),
            ],
        )
        .await
        .unwrap();
        let check = checks::get(&store, id).await.unwrap().unwrap();
        let attempt = |person: i64, phase: Phase, right: usize, at: &str| NewAttempt {
            check_id: id,
            person_id: person,
            session_id: Some(s),
            phase,
            started_at: String::new(),
            answers: answers(&check, right),
            submitted_at: Some(format!("2026-02-02T{at}.000000Z")),
        };
        let r = checks::submit_attempt(&store, &actor, &attempt(a, Phase::Pre, 1, "09:05:00"))
            .await
            .unwrap();
        assert_eq!(
            (r.correct, r.total, r.score_pct, r.passed),
            (1, 4, 25, false)
        );
        let r = checks::submit_attempt(&store, &actor, &attempt(a, Phase::Post, 3, "11:55:00"))
            .await
            .unwrap();
        assert_eq!((r.score_pct, r.passed), (75, true));
        assert_eq!(
            checks::attempt_marks(&store, r.attempt_id)
                .await
                .unwrap()
                .len(),
            3
        );
        checks::submit_attempt(&store, &actor, &attempt(b, Phase::Pre, 2, "09:06:00"))
            .await
            .unwrap();
        // Questions are locked once taken.
        let late = checks::add_question(&store, &actor, id, &question(&[true, false])).await;
        assert!(matches!(late, Err(StoreError::Conflict(_))));
        let (per_check, per_session) = checks::gains(&store).await.unwrap();
        assert_eq!(per_check.len(), 1);
        let g = &per_session[0].gain;
        assert_eq!(per_session[0].session_id, Some(s));
        assert_eq!(
            (g.n_paired, g.mean_pre, g.mean_post, g.mean_gain),
            (1, Some(25.0), Some(75.0), Some(50.0))
        );
        assert_eq!((g.pre_only, g.post_only), (1, 0));
        assert!(checks::has_passed(&store, a, id).await.unwrap());
        assert!(!checks::has_passed(&store, b, id).await.unwrap());
    });
}

#[tokio::test]
async fn feedback_needs_attendance_and_is_given_once() {
    on_both!(|store| {
        let (a, b, t) = people3(&store).await;
        let m = module(&store, "FL-PPN", "face_to_face").await;
        let s = session(&store, m, t).await;
        for (p, status) in [(a, "partly_attended"), (b, "excused")] {
            sqlx::query("INSERT INTO session_attendance (session_id, person_id, status, source, recorded_by, recorded_at) VALUES ($1, $2, $3, 'register', 't', 'x')")
                .bind(s)
                .bind(p)
                .bind(status)
                .execute(store.pool())
                .await
                .unwrap();
        }
        let form = |person: i64| NewFeedback {
            session_id: s,
            person_id: person,
            ratings: Ratings {
                overall: 4,
                relevance: 5,
                delivery: 3,
                confidence: 4,
            },
            went_well: "Cases".into(),
            improve: String::new(),
            submitted_at: None,
        };
        let actor = Actor::system();
        assert!(matches!(
            feedback::submit(&store, &actor, &form(b)).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            feedback::submit(&store, &actor, &form(t)).await,
            Err(StoreError::Invalid(_))
        ));
        let before = feedback::attended_by(&store, a).await.unwrap();
        assert!(
            before.len() == 1 && before[0].0.id == s && !before[0].1,
            "the session waits for feedback: {before:?}"
        );
        feedback::submit(&store, &actor, &form(a)).await.unwrap();
        assert!(matches!(
            feedback::submit(&store, &actor, &form(a)).await,
            Err(StoreError::Conflict(_))
        ));
        let rows = feedback::rows(&store).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].ratings().delivery, 3);
        let trainers = feedback::trainers(&store).await.unwrap();
        assert_eq!(trainers, vec![(s, t, "Tia Trainer".to_string(), true)]);
        assert_eq!(feedback::attendees(&store, s).await.unwrap(), 1);
        let attended = feedback::attended_by(&store, a).await.unwrap();
        assert!(attended.len() == 1 && attended[0].1);
        // Recorded videos belong to recorded-video modules only.
        let r = videos::set(
            &store,
            &actor,
            m,
            &Source::External {
                url: "https://v.example/x".into(),
            },
        )
        .await;
        assert!(matches!(r, Err(StoreError::Invalid(_))));
    });
}
