//! The missing-referral queue's page of open items, through the real server on both databases:
//! its Next and Previous links walk the open items a page at a time, oldest first, each shown
//! once, while the queue gains items under the reader.

use mashboard_domain::queue::format_local_time;
use mashboard_domain::Role;
use mashboard_store::{queue, Store};
use reqwest::StatusCode;

use crate::common::*;

/// An incident with children involved, reported `minutes_ago` before now, with no referral.
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

/// The incident references in the page's table of open items, in order.
fn open_refs(html: &str) -> Vec<String> {
    let table = html
        .split("<h2 class=\"govuk-heading-m\">Open items</h2>")
        .nth(1)
        .unwrap_or("")
        .split("</table>")
        .next()
        .unwrap_or("");
    table
        .split("<td class=\"govuk-table__cell\"><strong>")
        .skip(1)
        .map(|s| s.split("</strong>").next().unwrap().to_string())
        .collect()
}

/// The link with `rel`, if the page has one.
fn link(html: &str, rel: &str) -> Option<String> {
    let at = html.find(&format!("rel=\"{rel}\""))?;
    let before = &html[..at];
    let href = before.rsplit("href=\"").next()?;
    Some(href.split('"').next()?.replace("&amp;", "&"))
}

#[tokio::test]
async fn next_and_previous_links_walk_the_open_items_once_each_while_the_queue_grows() {
    on_both!(|app| {
        // 120 open items (three pages of 50), minutes apart, the oldest INC-119.
        for i in 0..120 {
            incident(&app.store, &format!("INC-{i:03}"), i).await;
        }
        queue::refresh(&app.store, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let mash = app.signed_in(Role::MashStaff).await;
        let (status, html) = app.get(&mash, "/register/missing").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("120 open items; 50 shown here, oldest first."),
            "{html}"
        );
        assert!(
            link(&html, "prev").is_none(),
            "the first page has no previous page"
        );

        let mut pages = vec![open_refs(&html)];
        let mut next = link(&html, "next");
        let mut older = 0;
        while let Some(href) = next {
            assert!(href.starts_with("/register/missing?after="), "{href}");
            // Someone queues an incident older than any shown: with pages by number, every
            // later page would start one item early and show an item again.
            older += 1;
            incident(&app.store, &format!("OLDER-{older}"), 1000 + older).await;
            queue::refresh(&app.store, time::OffsetDateTime::now_utc())
                .await
                .unwrap();
            let (status, html) = app.get(&mash, &href).await;
            assert_eq!(status, StatusCode::OK);
            assert!(link(&html, "prev").is_some(), "a later page links back");
            pages.push(open_refs(&html));
            next = link(&html, "next");
            assert!(pages.len() < 10, "the walk does not end");
        }
        let shown: Vec<String> = pages.concat();
        let expected: Vec<String> = (0..120).rev().map(|i| format!("INC-{i:03}")).collect();
        assert_eq!(shown, expected, "every item once, oldest first");
        assert_eq!(pages.len(), 3);

        // Back from the last page: the page before it is the second page as first shown.
        let (_, last) = app
            .get(
                &mash,
                &format!("/register/missing?after={}", pages[1].last().unwrap()),
            )
            .await;
        let prev = link(&last, "prev").expect("the last page links back");
        assert!(prev.starts_with("/register/missing?before="), "{prev}");
        let (_, html) = app.get(&mash, &prev).await;
        assert_eq!(open_refs(&html), pages[1]);
        // Back again: the first page as first shown, and before it the items queued since.
        let (_, html) = app.get(&mash, &link(&html, "prev").unwrap()).await;
        assert_eq!(open_refs(&html), pages[0]);
        let (_, html) = app.get(&mash, &link(&html, "prev").unwrap()).await;
        assert!(link(&html, "prev").is_none());
        let first = open_refs(&html);
        assert_eq!(first.len(), 50);
        assert_eq!(
            first[..2],
            [format!("OLDER-{older}"), format!("OLDER-{}", older - 1)]
        );
        assert_eq!(first[2..], pages[0][..48]);

        // An old link by page number, or one naming no item on the queue, shows the first page.
        let (status, html) = app.get(&mash, "/register/missing?page=3").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(open_refs(&html), first);
        let (_, html) = app.get(&mash, "/register/missing?after=NO-SUCH").await;
        assert!(html.contains("no longer in the list"));
        assert_eq!(open_refs(&html), first);
    });
}
