//! The audit trail read a page at a time through the one keyset reader: newest first, forward
//! (older) and back (newer), steady while events are added.

use mashboard_store::audit_trail::{self, Actor, AuditEvent, AuditFilter, Event};
use mashboard_store::keyset::{Page, PageStart};
use mashboard_store::Store;

/// Records "Walk n" by the walker, with an event by someone else beside each.
async fn walk_events(store: &Store, from: usize, to: usize) {
    for i in from..to {
        for (actor, summary) in [
            ("walker", format!("Walk {i:02}")),
            ("other", "Other".into()),
        ] {
            audit_trail::record(
                store,
                &Actor::user(1, actor),
                Event::new("test.walk", summary),
            )
            .await
            .unwrap();
        }
    }
}

/// The walk numbers on a page, in the order shown.
fn numbers(page: &Page<AuditEvent>) -> Vec<usize> {
    page.rows
        .iter()
        .map(|e| e.summary.trim_start_matches("Walk ").parse().unwrap())
        .collect()
}

fn range(newest: usize, oldest: usize) -> Vec<usize> {
    (oldest..=newest).rev().collect()
}

fn walker() -> AuditFilter {
    AuditFilter {
        actor: "Walker".into(),
        ..Default::default()
    }
}

async fn page(store: &Store, start: PageStart) -> Page<AuditEvent> {
    audit_trail::page(store, &walker(), 10, &start)
        .await
        .unwrap()
}

fn after(p: &Page<AuditEvent>) -> PageStart {
    PageStart::After(p.rows.last().unwrap().id.to_string())
}

fn before(p: &Page<AuditEvent>) -> PageStart {
    PageStart::Before(p.rows.first().unwrap().id.to_string())
}

#[tokio::test]
async fn the_trail_walks_older_and_newer_while_events_are_added() {
    on_both!(|store| {
        walk_events(&store, 0, 25).await;
        let first = page(&store, PageStart::First).await;
        assert_eq!(numbers(&first), range(24, 15));
        assert!(!first.has_previous && first.has_next);

        // Newer events arrive while the reader is on the first page: the next page still
        // follows on from what they saw.
        walk_events(&store, 25, 30).await;
        let second = page(&store, after(&first)).await;
        assert_eq!(numbers(&second), range(14, 5));
        assert!(second.has_previous && second.has_next);
        let third = page(&store, after(&second)).await;
        assert_eq!(numbers(&third), range(4, 0));
        assert!(third.has_previous && !third.has_next, "the oldest page");

        walk_events(&store, 30, 33).await;
        // Back: the same middle page, then the one before it, with the new events beyond.
        let back = page(&store, before(&third)).await;
        assert_eq!(numbers(&back), range(14, 5));
        assert!(back.has_previous && back.has_next);
        let back = page(&store, before(&back)).await;
        assert_eq!(numbers(&back), range(24, 15));
        assert!(
            back.has_previous && back.has_next,
            "newer events came since"
        );
        // Fewer than a page newer than that: the newest page, full.
        let back = page(&store, before(&back)).await;
        assert_eq!(numbers(&back), range(32, 23));
        assert!(!back.has_previous && back.has_next);

        // A start that names no event (edited or old links) gives the newest page.
        for start in ["x1", "999999999", ""] {
            let p = page(&store, PageStart::After(start.into())).await;
            assert!(p.start_unknown, "{start:?}");
            assert_eq!(numbers(&p), range(32, 23));
        }
        // Past the oldest: nothing older, and newer events there are.
        let oldest = page(&store, after(&third)).await;
        assert!(oldest.rows.is_empty() && oldest.has_previous && !oldest.has_next);

        let (total, newest) = audit_trail::list(&store, &walker(), 3).await.unwrap();
        assert_eq!(total, 33);
        assert_eq!(
            newest
                .iter()
                .map(|e| e.summary.as_str())
                .collect::<Vec<_>>(),
            ["Walk 32", "Walk 31", "Walk 30"]
        );
    });
}
