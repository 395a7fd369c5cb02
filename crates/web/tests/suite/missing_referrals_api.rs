//! `GET /api/v1/missing-referrals` a page at a time, through the real server on both databases:
//! walking the pages with `after` (each page's `next`) gets every open item exactly once, oldest
//! first, while items are queued and closed under the reader; `offset` still works and gives
//! `next` too; a cursor that names nothing, or one with an offset, is refused with a 400.

use mashboard_domain::queue::{format_local_time, CloseOutcome};
use mashboard_domain::Role;
use mashboard_store::audit_trail::Actor;
use mashboard_store::{queue, Store};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

/// An incident with children involved, reported `minutes_ago` before three days ago, with no
/// referral.
async fn incident(store: &Store, incident_ref: &str, minutes_ago: i64) {
    let at = queue::local_now(time::OffsetDateTime::now_utc())
        - time::Duration::days(3)
        - time::Duration::minutes(minutes_ago);
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, imported_at, updated_at)
         VALUES ($1, $2, 'Domestic', 'Eastside', 1, $3, $3)",
    )
    .bind(incident_ref)
    .bind(format_local_time(at))
    .bind(mashboard_store::now_text())
    .execute(store.pool())
    .await
    .unwrap();
}

async fn get(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    let r = client()
        .get(app.url(&format!("/api/v1/missing-referrals{query}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

fn refs(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["incident_ref"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn after_walks_every_open_item_once_while_the_queue_changes() {
    on_both!(|app| {
        // 95 open items, minutes apart, the oldest INC-094: four pages of 25.
        for i in 0..95 {
            incident(&app.store, &format!("INC-{i:03}"), i).await;
        }
        queue::refresh(&app.store, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let token = token_for(&app, Role::MashStaff).await;

        let (status, first) = get(&app, &token, "?limit=25").await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["total"], 95);
        let mut pages = vec![refs(&first)];
        let mut next = first["next"].as_str().map(str::to_string);
        let mut changes = 0;
        while let Some(cursor) = next {
            // Meanwhile an incident older than any shown is queued, and an item already shown
            // is closed: by offset, the next page would repeat an item, then skip one.
            changes += 1;
            incident(&app.store, &format!("OLDER-{changes}"), 1000 + changes).await;
            queue::refresh(&app.store, time::OffsetDateTime::now_utc())
                .await
                .unwrap();
            let shown = queue::for_incident(&app.store, &pages[0][changes as usize])
                .await
                .unwrap()
                .unwrap();
            queue::close(
                &app.store,
                &Actor::system(),
                shown.id,
                CloseOutcome::Escalated.as_str(),
                "",
            )
            .await
            .unwrap();
            let (status, page) = get(&app, &token, &format!("?limit=25&after={cursor}")).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            pages.push(refs(&page));
            next = page["next"].as_str().map(str::to_string);
            assert!(pages.len() < 10, "the walk does not end");
        }
        let walked = pages.concat();
        let expected: Vec<String> = (0..95).rev().map(|i| format!("INC-{i:03}")).collect();
        assert_eq!(walked, expected, "every item once, oldest first");
        assert_eq!(
            pages.iter().map(Vec::len).collect::<Vec<_>>(),
            [25, 25, 25, 20]
        );

        // By offset, as before: the same order, and a next cursor while more remain.
        let (status, by_offset) = get(&app, &token, "?limit=25&offset=25").await;
        assert_eq!(status, StatusCode::OK);
        // As many queued as closed meanwhile.
        let open = 95;
        assert_eq!(by_offset["total"], open);
        let (_, last) = get(&app, &token, &format!("?limit=25&offset={}", open - 5)).await;
        assert_eq!(refs(&last).len(), 5);
        assert!(last["next"].is_null(), "{last}");
        assert!(by_offset["next"].is_string());
        let (_, after_offset) = get(
            &app,
            &token,
            &format!("?limit=25&after={}", by_offset["next"].as_str().unwrap()),
        )
        .await;
        let (_, third) = get(&app, &token, "?limit=25&offset=50").await;
        assert_eq!(refs(&after_offset), refs(&third));

        // A cursor that names nothing, an empty one, or one with an offset: a 400 naming it.
        for query in ["?after=NO-SUCH", "?after=", "?after=INC-001&offset=3"] {
            let (status, body) = get(&app, &token, query).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert!(body.to_string().contains("after"), "{query}: {body}");
        }
    });
}
