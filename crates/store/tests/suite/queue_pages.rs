//! The missing-referral queue's open items read a page at a time (keyset pages), on SQLite and
//! on PostgreSQL: walking the next pages shows every open item once, oldest incident first,
//! while the queue grows and shrinks under the reader; walking back does the same in reverse.

use mashboard_store::audit_trail::Actor;
use mashboard_store::keyset::{Page, PageStart};
use mashboard_store::queue::{self, QueueItem};
use mashboard_store::Store;
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2025-06-01 12:00 UTC);

/// An incident with children involved and no referral, reported at `at`: queued by a refresh.
async fn incident(store: &Store, incident_ref: &str, at: &str) {
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, imported_at, updated_at)
         VALUES ($1, $2, 'Concern', 'North', 1, $3, $3)",
    )
    .bind(incident_ref)
    .bind(at)
    .bind(mashboard_store::now_text())
    .execute(store.pool())
    .await
    .unwrap();
}

async fn refresh(store: &Store) {
    queue::refresh(store, NOW).await.unwrap();
}

/// The open items in the list's order, read whole.
async fn all_open(store: &Store) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT i.incident_ref FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
         WHERE m.outcome IS NULL ORDER BY i.reported_at, i.id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn page(store: &Store, start: PageStart) -> Page<QueueItem> {
    queue::open_page(store, &start, 4).await.unwrap()
}

/// (reported at, incident id): the list's order.
fn place(i: &QueueItem) -> (String, i64) {
    (i.reported_at.clone(), i.incident_id)
}

/// 21 open items in May 2025, several reported at the same minute (the incident breaks the tie).
async fn queue_of_21(store: &Store) {
    for i in 0..21 {
        incident(
            store,
            &format!("INC-{:03}", 100 + (i * 8) % 21),
            &format!("2025-05-{:02}T09:{:02}:00", 1 + i / 3, (i % 2) * 30),
        )
        .await;
    }
    refresh(store).await;
}

#[tokio::test]
async fn walking_the_open_items_shows_each_once_in_order_while_the_queue_changes() {
    on_both!(|store| {
        queue_of_21(&store).await;
        let at_start = all_open(&store).await;
        assert_eq!(at_start.len(), 21);

        // Forward, page by page. Between pages the queue gains items before the reader's place
        // (older incidents: an OFFSET page would show an item again) and after it, and an item
        // already read is closed (an OFFSET page would skip one).
        let mut seen: Vec<QueueItem> = Vec::new();
        let mut start = PageStart::First;
        let mut added_after = Vec::new();
        for round in 0.. {
            let shown = page(&store, start.clone()).await;
            assert!(!shown.start_unknown);
            assert_eq!(shown.has_previous, round > 0, "round {round}");
            seen.extend(shown.rows.iter().cloned());
            let Some(last) = shown.rows.last() else {
                break;
            };
            if !shown.has_next {
                break;
            }
            start = PageStart::After(last.incident_ref.clone());
            incident(
                &store,
                &format!("OLD-{round}"),
                &format!("2025-04-{:02}T08:00:00", 1 + round),
            )
            .await;
            let later = format!("NEW-{round}");
            incident(
                &store,
                &later,
                &format!("2025-05-{:02}T23:00:00", 20 + round),
            )
            .await;
            added_after.push(later);
            refresh(&store).await;
            let first_seen = seen[0].id;
            if round == 1 {
                queue::close(&store, &Actor::system(), first_seen, "escalated", "")
                    .await
                    .unwrap();
            }
            assert!(round < 30, "the walk does not end");
        }
        let refs: Vec<String> = seen.iter().map(|i| i.incident_ref.clone()).collect();
        let places: Vec<(String, i64)> = seen.iter().map(place).collect();
        assert!(
            places.windows(2).all(|w| w[0] < w[1]),
            "in order, none twice: {refs:?}"
        );
        for r in at_start.iter().chain(&added_after) {
            assert!(refs.contains(r), "{r} was shown: {refs:?}");
        }
        assert!(
            refs.iter().all(|r| !r.starts_with("OLD-")),
            "items queued before the reader's place wait for the first page: {refs:?}"
        );

        // Back from the last item: every open item before it, once each, while the queue gains
        // items after the reader's place.
        let now_open = all_open(&store).await;
        let mut back: Vec<QueueItem> = vec![seen.last().unwrap().clone()];
        for round in 0.. {
            let earliest = back[0].incident_ref.clone();
            let shown = page(&store, PageStart::Before(earliest.clone())).await;
            assert!(shown.has_next, "a page before an item has a next page");
            let new: Vec<QueueItem> = shown
                .rows
                .iter()
                .take_while(|i| i.incident_ref != earliest)
                .cloned()
                .collect();
            assert!(!new.is_empty(), "walking back goes back");
            back.splice(0..0, new);
            incident(
                &store,
                &format!("MID-{round}"),
                &format!("2025-05-30T0{round}:00:00"),
            )
            .await;
            refresh(&store).await;
            if !shown.has_previous {
                break;
            }
            assert!(round < 30, "the walk back does not end");
        }
        let back_refs: Vec<String> = back.iter().map(|i| i.incident_ref.clone()).collect();
        let back_places: Vec<(String, i64)> = back.iter().map(place).collect();
        assert!(
            back_places.windows(2).all(|w| w[0] < w[1]),
            "in order, none twice: {back_refs:?}"
        );
        let last = seen.last().unwrap().incident_ref.clone();
        let expected: Vec<String> = now_open
            .iter()
            .take_while(|r| **r != last)
            .chain(std::iter::once(&last))
            .cloned()
            .collect();
        assert_eq!(back_refs, expected, "every open item up to the last, once");

        // A link naming an incident that is not on the queue gives the first page, said so.
        let lost = page(&store, PageStart::After("NO-SUCH".into())).await;
        assert!(lost.start_unknown && !lost.has_previous);
        assert_eq!(
            lost.rows
                .iter()
                .map(|i| i.incident_ref.clone())
                .collect::<Vec<_>>(),
            all_open(&store).await[..4].to_vec()
        );
    });
}
