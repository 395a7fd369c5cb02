//! The audit trail's group commit: events recorded at the same moment share one commit, and
//! every caller's event is there when its call returns.

use crate::common;
use mashboard_store::audit_trail::{self, Actor, AuditFilter, Event};

#[tokio::test]
async fn three_hundred_views_at_once_are_all_recorded_in_a_few_commits() {
    on_both!(|store| {
        let before = common::count(&store, "audit_events").await;
        let commits_before = store.audit_commits();
        let mut tasks = Vec::new();
        for i in 0..300 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                audit_trail::record(
                    &store,
                    &Actor::user(i, &format!("viewer{i}")),
                    Event::new("person.view", format!("Viewed record {i}"))
                        .on("person", i.to_string())
                        .after(&serde_json::json!({ "i": i })),
                )
                .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(common::count(&store, "audit_events").await, before + 300);
        let commits = store.audit_commits() - commits_before;
        assert!(
            (1..=10).contains(&commits),
            "300 events took {commits} commits"
        );
        // Each caller's own event, with its own actor.
        let f = AuditFilter {
            actor: "viewer123".into(),
            ..Default::default()
        };
        let (_, events) = audit_trail::list(&store, &f, 10).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].summary, "Viewed record 123");
        assert_eq!(events[0].actor_user_id, Some(123));
        // Every event with its own values, whichever statement of its batch wrote it.
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            Option<i64>,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        )> = sqlx::query_as(
            "SELECT actor_user_id, actor, summary, entity, entity_key, after_json
                 FROM audit_events WHERE action = 'person.view'",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(rows.len(), 300);
        for (user_id, actor, summary, entity, key, after) in rows {
            let i = user_id.unwrap();
            assert_eq!(
                (actor, summary, entity, key, after),
                (
                    format!("viewer{i}"),
                    format!("Viewed record {i}"),
                    Some("person".to_string()),
                    Some(i.to_string()),
                    Some(format!("{{\"i\":{i}}}"))
                )
            );
        }
    });
}

#[test]
fn a_store_outliving_its_runtime_still_records() {
    // The writer task belongs to the runtime that first recorded; when that runtime ends, the
    // next runtime's record starts a new writer instead of failing.
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (dir, store) = first.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = mashboard_store::DbUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("t.sqlite").display()
        ))
        .unwrap();
        let store = mashboard_store::Store::open(&url).await.unwrap();
        audit_trail::record(&store, &Actor::system(), Event::new("x.one", "one"))
            .await
            .unwrap();
        (dir, store)
    });
    drop(first);
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        audit_trail::record(&store, &Actor::system(), Event::new("x.two", "two"))
            .await
            .unwrap();
        assert_eq!(common::count(&store, "audit_events").await, 2);
    });
    drop(dir);
}
