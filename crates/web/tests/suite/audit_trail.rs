//! The audit trail page: read a page at a time, newest first, under its filters, and exported
//! whole.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::audit_trail::{self, Actor, Event};
use reqwest::StatusCode;

/// The summaries shown on a page of the trail, in order.
fn summaries(html: &str) -> Vec<String> {
    html.split("Bulk event ")
        .skip(1)
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_digit()).collect())
        .collect()
}

/// The href of the pagination link with this title.
fn link(html: &str, title: &str) -> Option<String> {
    let end = html.find(&format!(
        "<span class=\"govuk-pagination__link-title\">{title}"
    ))?;
    let start = html[..end].rfind("href=\"")? + 6;
    let href = &html[start..];
    Some(
        href[..href.find('"')?]
            .replace("&amp;", "&")
            .replace("&#38;", "&"),
    )
}

#[tokio::test]
async fn the_trail_pages_back_and_forth_under_a_filter_and_exports_every_matching_event() {
    on_both!(|app| {
        for i in 0..250 {
            audit_trail::record(
                &app.store,
                &Actor::user(9999, "bulk.tester"),
                Event::new("test.bulk", format!("Bulk event {i:03}")),
            )
            .await
            .unwrap();
        }
        let admin = app.signed_in(Role::Administrator).await;
        let (s, first) = app.get(&admin, "/admin/audit?actor=BULK.tester").await;
        assert_eq!(s, StatusCode::OK);
        let page1 = summaries(&first);
        assert_eq!(page1.len(), 100);
        assert_eq!((page1[0].as_str(), page1[99].as_str()), ("249", "150"));
        assert!(
            first.contains("Showing the 100 newest events that match"),
            "{first}"
        );
        assert!(link(&first, "Newer events").is_none());
        let older = link(&first, "Older events").expect("a link to older events");
        assert!(
            older.contains("actor=BULK.tester"),
            "the filter is kept: {older}"
        );

        let (_, second) = app.get(&admin, &older).await;
        let page2 = summaries(&second);
        assert_eq!(
            (page2.len(), page2[0].as_str(), page2[99].as_str()),
            (100, "149", "050")
        );
        let (_, third) = app
            .get(&admin, &link(&second, "Older events").unwrap())
            .await;
        let page3 = summaries(&third);
        assert_eq!(
            (page3.len(), page3[0].as_str(), page3[49].as_str()),
            (50, "049", "000")
        );
        assert!(link(&third, "Older events").is_none(), "the last page");
        // Back from the last page: the same middle page.
        let (_, back) = app
            .get(&admin, &link(&third, "Newer events").unwrap())
            .await;
        assert_eq!(summaries(&back), page2);
        let (_, back) = app.get(&admin, &link(&back, "Newer events").unwrap()).await;
        assert_eq!(summaries(&back), page1);

        // The export holds every matching event, newest first.
        let r = admin
            .get(app.url("/admin/audit.csv?actor=bulk.tester"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body = r.text().await.unwrap();
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 251, "a header and 250 events");
        assert!(lines[1].contains("Bulk event 249") && lines[250].contains("Bulk event 000"));
        // Each view and the export are in the trail themselves.
        let actions = audit_actions(&app.store, "audit.").await;
        assert_eq!(actions.iter().filter(|a| *a == "audit.view").count(), 5);
        assert_eq!(actions.iter().filter(|a| *a == "audit.export").count(), 1);
    });
}
