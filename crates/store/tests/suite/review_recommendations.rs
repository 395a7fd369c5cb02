//! A review's recommended training assigned in one step: all or nothing, and audited.

use crate::common::*;
use mashboard_domain::people::PersonDraft;
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::{people, reviews, Backend, Store};

/// Runs `sql` with text binds and returns the id it reports (`RETURNING id`).
async fn insert(store: &Store, sql: &str, binds: &[&str]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_one(store.pool()).await.unwrap()
}

/// A closed review recommending module A to R1 and module B to R2 (in that order: the modules
/// are assigned by id). The review's id and R2's person id.
async fn review_with_two_recommendations(store: &Store) -> (i64, i64) {
    let actor = Actor::system();
    let rows = ["R1", "R2"]
        .iter()
        .enumerate()
        .map(|(i, sn)| {
            let p = PersonDraft {
                staff_number: (*sn).into(),
                name: format!("Officer {sn}"),
                ..Default::default()
            };
            (i + 2, p.validate().unwrap())
        })
        .collect::<Vec<_>>();
    people::import(store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    let mut modules = Vec::new();
    for code in ["REF-A", "REF-B"] {
        let m = catalogue::create_module(
            store,
            &actor,
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
        .unwrap();
        modules.push(m.id);
    }
    let now = "2026-11-01T00:00:00Z";
    let owner = insert(
        store,
        "INSERT INTO users (username, created_at) VALUES ('owner', $1) RETURNING id",
        &[now],
    )
    .await;
    let review = insert(
        store,
        "INSERT INTO quality_reviews (title, period_start, period_end, sample_size, status, owner_user_id, created_at)
         VALUES ('Q3', '2026-07-01', '2026-09-30', 2, 'closed', CAST($1 AS BIGINT), $2) RETURNING id",
        &[&owner.to_string(), now],
    )
    .await;
    let r2 = person_id(store, "R2").await;
    for (sn, module) in [("R1", modules[0]), ("R2", modules[1])] {
        let criterion = insert(
            store,
            "INSERT INTO rubric_criteria (code, title, position, module_id) VALUES ($1, $1, 1, CAST($2 AS BIGINT)) RETURNING id",
            &[&format!("CRIT-{sn}"), &module.to_string()],
        )
        .await;
        let person = person_id(store, sn).await;
        insert(
            store,
            "INSERT INTO quality_recommendations (review_id, person_id, criterion_id, module_id, status, created_by, created_at)
             VALUES (CAST($1 AS BIGINT), CAST($2 AS BIGINT), CAST($3 AS BIGINT), CAST($4 AS BIGINT), 'recommended', 'system', $5) RETURNING id",
            &[
                &review.to_string(),
                &person.to_string(),
                &criterion.to_string(),
                &module.to_string(),
                now,
            ],
        )
        .await;
    }
    (review, r2)
}

/// Makes every new assignment of `person` fail, as a failure part-way would.
async fn refuse_assignments_of(store: &Store, person: i64) {
    let statements = match store.backend() {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER test_refuse BEFORE INSERT ON assignments WHEN NEW.person_id = {person}
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION test_refuse() RETURNS trigger AS $$ BEGIN
                 IF NEW.person_id = {person} THEN RAISE EXCEPTION 'refused by the test'; END IF;
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER test_refuse BEFORE INSERT ON assignments FOR EACH ROW EXECUTE FUNCTION test_refuse()".into(),
        ],
    };
    for s in statements {
        sqlx::raw_sql(&s).execute(store.pool()).await.unwrap();
    }
}

async fn allow_assignments(store: &Store) {
    let s = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER test_refuse",
        Backend::Postgres => "DROP TRIGGER test_refuse ON assignments",
    };
    sqlx::raw_sql(s).execute(store.pool()).await.unwrap();
}

async fn assign_events(store: &Store, review: i64) -> Vec<String> {
    let f = AuditFilter {
        action: "quality_review.assign".into(),
        entity_key: review.to_string(),
        ..Default::default()
    };
    let (_, rows) = audit_trail::list(store, &f, 10).await.unwrap();
    rows.into_iter().map(|e| e.summary).collect()
}

#[tokio::test]
async fn assigning_a_reviews_recommendations_is_all_or_nothing_and_audited() {
    on_both!(|store| {
        let actor = Actor::user(1, "review.owner");
        let (review, r2) = review_with_two_recommendations(&store).await;

        // The second officer's assignment fails: nothing at all is assigned.
        refuse_assignments_of(&store, r2).await;
        let failed = reviews::assign_recommendations(&store, &actor, review, "2026-11-02").await;
        assert!(
            failed.is_err(),
            "the refused assignment fails the whole step"
        );
        let assigned = "quality_recommendations WHERE status = 'assigned'";
        assert_eq!(
            count(&store, assigned).await,
            0,
            "no recommendation assigned"
        );
        assert_eq!(
            count(&store, "assignments").await,
            0,
            "nobody put on a profile"
        );
        assert_eq!(
            count(&store, "role_profiles WHERE code LIKE 'REFRESHER-%'").await,
            0,
            "no refresher profile left behind"
        );
        assert!(assign_events(&store, review).await.is_empty());

        // Once it can succeed, both are assigned in one audited step.
        allow_assignments(&store).await;
        let n = reviews::assign_recommendations(&store, &actor, review, "2026-11-02")
            .await
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(count(&store, assigned).await, 2);
        assert_eq!(count(&store, "assignments").await, 2);
        assert_eq!(
            assign_events(&store, review).await,
            vec![format!(
                "Assigned the recommended training of review {review}: 2 recommendations, 2 officers"
            )]
        );

        // Again: nothing left to assign, nothing changes, no further event.
        let n = reviews::assign_recommendations(&store, &actor, review, "2026-11-02")
            .await
            .unwrap();
        assert_eq!(n, 0);
        assert_eq!(count(&store, "assignments").await, 2);
        assert_eq!(assign_events(&store, review).await.len(), 1);
    });
}
