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

/// What a filter should match, decided here in Rust from every event: the reference the pages
/// are compared with.
fn matches(e: &AuditEvent, f: &AuditFilter) -> bool {
    let actor = f.actor.trim();
    let action = f.action.trim().to_lowercase();
    let key = f.entity_key.trim();
    (actor.is_empty() || e.actor.eq_ignore_ascii_case(actor))
        && (action.is_empty() || e.action.starts_with(&action))
        && (key.is_empty()
            || e.entity_key
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(key)))
        && (f.from.is_empty() || e.at.as_str() >= f.from.as_str())
        && (f.to.is_empty() || e.at[..10] <= *f.to.as_str())
}

#[tokio::test]
async fn every_filter_pages_through_exactly_its_events_newest_first_by_time() {
    on_both!(|store| {
        // 3,000 events over about a year: three people, a common action (person.view, more
        // than the 2,000 that make an action "rare" on SQLite), rarer ones, and one in ten
        // written a few seconds before the event above it, as concurrent requests can be
        // (their time runs against their id).
        let actors = ["Ann", "bob", "Cara"];
        let actions = [
            "person.view",
            "person.view",
            "person.view",
            "person.view",
            "person.update",
            "sign_in",
            "signxin",
            "training.completion.record",
        ];
        let mut values = Vec::new();
        for i in 0..3000u64 {
            let mut secs = 1_609_459_200 + i * 10_000; // from 2021-01-01, every 2.8 hours
            if i % 10 == 9 {
                secs -= 15_000; // earlier than the event before it
            }
            let at = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
            let at = mashboard_store::instant_text(at);
            let action = if i % 600 == 17 {
                "account.disable"
            } else {
                actions[(i * 7 % 8) as usize]
            };
            values.push(format!(
                "('{at}', 1, '{}', '{action}', 'person', 'P{}', 'Event {i}')",
                actors[(i % 3) as usize],
                i % 9
            ));
        }
        for chunk in values.chunks(500) {
            sqlx::query(&format!(
                "INSERT INTO audit_events (at, actor_user_id, actor, action, entity, entity_key, summary) VALUES {}",
                chunk.join(", ")
            ))
            .execute(store.pool())
            .await
            .unwrap();
        }
        let mut all = audit_trail::all_after(&store, 0, 100_000).await.unwrap();
        all.sort_by(|a, b| (&b.at, b.id).cmp(&(&a.at, a.id)));

        let f = |actor: &str, action: &str, key: &str, from: &str, to: &str| AuditFilter {
            actor: actor.into(),
            action: action.into(),
            entity_key: key.into(),
            from: from.into(),
            to: to.into(),
        };
        for filter in [
            f("", "", "", "", ""),
            f("ann", "", "", "", ""),
            f("", "Person.", "", "", ""),
            f("", "account.disable", "", "", ""),
            f("", "account.", "", "2021-03-01", "2021-08-31"),
            f("", "sign_in", "", "", ""),
            f("", "", "p3", "", ""),
            f("", "", "", "2021-04-01", "2021-04-30"),
            f("", "", "", "", "2021-02-14"),
            f("CARA", "person.update", "", "2021-05-01", ""),
            f("bob", "", "P4", "", "2021-09-30"),
        ] {
            let expected: Vec<i64> = all
                .iter()
                .filter(|e| matches(e, &filter))
                .map(|e| e.id)
                .collect();
            assert!(!expected.is_empty(), "{filter:?} matches something");
            // Forward, a page at a time.
            let mut seen = Vec::new();
            let mut start = PageStart::First;
            loop {
                let p = audit_trail::page(&store, &filter, 97, &start)
                    .await
                    .unwrap();
                assert_eq!(p.has_previous, !seen.is_empty(), "{filter:?}");
                seen.extend(p.rows.iter().map(|e| e.id));
                if !p.has_next {
                    break;
                }
                start = PageStart::After(p.rows.last().unwrap().id.to_string());
            }
            assert_eq!(seen, expected, "{filter:?}: every event once, newest first");
            // And back from the oldest page to the newest.
            let oldest = expected.len().saturating_sub(97);
            let mut back = expected[oldest..].to_vec();
            let mut start = PageStart::Before(expected[oldest].to_string());
            while oldest > 0 && back.len() < expected.len() {
                let p = audit_trail::page(&store, &filter, 97, &start)
                    .await
                    .unwrap();
                let mut ids: Vec<i64> = p.rows.iter().map(|e| e.id).collect();
                // Near the newest end the page is the newest page, full: it may overlap.
                let last = *ids.last().unwrap();
                let from = back.iter().position(|x| *x == last).map_or(0, |i| i + 1);
                ids.extend(&back[from..]);
                back = ids;
                if !p.has_previous {
                    break;
                }
                start = PageStart::Before(p.rows.first().unwrap().id.to_string());
            }
            assert_eq!(back, expected, "{filter:?}: back to the newest");
        }
        // An underscore is an underscore: "sign_in" finds no "signxin".
        let p = audit_trail::page(
            &store,
            &f("", "sign_in", "", "", ""),
            3000,
            &PageStart::First,
        )
        .await
        .unwrap();
        assert!(p.rows.iter().all(|e| e.action == "sign_in"));
    });
}
