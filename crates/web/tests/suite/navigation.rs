//! The navigation through the real server on both databases: a handful of sections per role,
//! each section's landing page listing the pages the role may open (named after their
//! headings), the menu toggle for phones, the current section marked, breadcrumbs on the pages
//! below a landing page, and a home page about what waits for the reader.

use mashboard_domain::Role;
use mashboard_store::Store;
use reqwest::{Method, StatusCode};

use crate::common::*;

const LANDINGS: [&str; 5] = ["/training", "/delivery", "/quality", "/impact", "/admin"];

/// The part of `html` from `start` to the first `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// Every `href="…"` in `html`, in order.
fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// The links of `html` as (href, text), text without tags.
fn links(html: &str) -> Vec<(String, String)> {
    html.split("<a ")
        .skip(1)
        .filter_map(|a| {
            let href = a.split("href=\"").nth(1)?.split('"').next()?.to_string();
            let text = a.split_once('>')?.1.split("</a>").next()?;
            Some((href, unescape(&strip_tags(text))))
        })
        .collect()
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn unescape(s: &str) -> String {
    s.replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

fn nav_of(html: &str) -> &str {
    between(
        html,
        "<ul class=\"govuk-service-navigation__list\"",
        "</ul>",
    )
}

fn h1_of(html: &str) -> String {
    let h1 = between(html, "<h1", "</h1>");
    unescape(&strip_tags(&format!("{h1}</h1>")))
}

#[tokio::test]
async fn each_role_sees_at_most_seven_sections_and_exactly_those_it_can_use() {
    on_both!(|app| {
        for role in Role::ALL {
            let c = app.signed_in(role).await;
            let (s, home) = app.get(&c, "/").await;
            assert_eq!(s, StatusCode::OK);
            let nav = nav_of(&home);
            let items = nav.matches("govuk-service-navigation__item").count();
            assert!(items <= 7, "{role}: {items} sections in {nav}");
            let shown = hrefs(nav);
            assert_eq!(shown[0], "/", "{role}: Home comes first");
            for landing in LANDINGS {
                let (s, _) = app.get(&c, landing).await;
                let listed = shown.iter().any(|h| h == landing);
                assert_eq!(
                    s == StatusCode::OK,
                    listed,
                    "{role}: {landing} answers {s} and is {}in the navigation",
                    if listed { "" } else { "not " }
                );
                if !listed {
                    assert_eq!(s, StatusCode::FORBIDDEN, "{role} {landing}");
                }
            }
        }
        // What the roles in the product brief see.
        let expect = [
            (
                Role::Administrator,
                &[
                    "/",
                    "/training",
                    "/delivery",
                    "/quality",
                    "/impact",
                    "/admin",
                ][..],
            ),
            (
                Role::MashTrainer,
                &[
                    "/",
                    "/training",
                    "/delivery",
                    "/quality",
                    "/impact",
                    "/admin",
                ],
            ),
            (
                Role::Frontline,
                &["/", "/training", "/delivery", "/quality"],
            ),
            (Role::PartnerReviewer, &["/", "/delivery", "/quality"]),
            (
                Role::SeniorLeader,
                &["/", "/training", "/delivery", "/quality", "/impact"],
            ),
            (
                Role::Auditor,
                &["/", "/training", "/delivery", "/quality", "/impact"],
            ),
        ];
        for (role, want) in expect {
            let c = app.signed_in(role).await;
            let (_, home) = app.get(&c, "/").await;
            assert_eq!(hrefs(nav_of(&home)), want, "{role}");
        }
    });
}

#[tokio::test]
async fn every_link_on_a_landing_page_opens_for_that_role_and_is_named_after_its_heading() {
    on_both!(|app| {
        for role in Role::ALL {
            let c = app.signed_in(role).await;
            let (_, home) = app.get(&c, "/").await;
            for landing in hrefs(nav_of(&home)).into_iter().filter(|h| h != "/") {
                let (s, html) = app.get(&c, &landing).await;
                assert_eq!(s, StatusCode::OK, "{role} {landing}");
                let cards = between(&html, "<ul class=\"govuk-list app-cards\"", "</main>");
                let tasks = links(cards);
                assert!(!tasks.is_empty(), "{role} {landing} lists no task");
                for (href, label) in tasks {
                    let (s, page) = app.get(&c, &href).await;
                    assert_eq!(s, StatusCode::OK, "{role} {landing} → {href}");
                    let h1 = h1_of(&page);
                    assert!(
                        h1.starts_with(&label),
                        "{role}: {landing} names {href} \"{label}\", its heading is \"{h1}\""
                    );
                }
            }
        }
    });
}

#[tokio::test]
async fn the_navigation_has_a_menu_toggle_and_works_without_javascript() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app.get(&c, "/").await;
        assert!(html.contains("data-module=\"govuk-service-navigation\""));
        let toggle = between(
            &html,
            "<button type=\"button\" class=\"govuk-service-navigation__toggle",
            "</button>",
        );
        assert!(
            toggle.contains("govuk-js-service-navigation-toggle"),
            "{toggle}"
        );
        assert!(toggle.contains("aria-controls=\"navigation\""), "{toggle}");
        // Hidden until the script shows it: without JavaScript every link is simply there.
        assert!(toggle.contains(" hidden"), "{toggle}");
        assert!(html.contains("<ul class=\"govuk-service-navigation__list\" id=\"navigation\">"));
        assert!(nav_of(&html).contains("href=\"/training\""));
        // The header, the navigation, the account bar are all in the banner landmark.
        let header = between(&html, "<header", "</header>");
        assert!(header.contains("govuk-service-navigation"));
        assert!(header.contains("Signed in as"));
        assert!(header.contains("Sign out"));
        assert!(header.contains("href=\"/account\""));
    });
}

#[tokio::test]
async fn the_current_section_is_marked() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app.get(&c, "/training").await;
        let nav = nav_of(&html);
        assert!(
            nav.contains("href=\"/training\" aria-current=\"page\""),
            "{nav}"
        );
        assert_eq!(nav.matches("aria-current").count(), 1, "{nav}");
        let (_, html) = app.get(&c, "/training/matrix").await;
        let nav = nav_of(&html);
        assert!(
            nav.contains("href=\"/training\" aria-current=\"true\""),
            "{nav}"
        );
        // The knowledge checks live under /training but belong to Delivery.
        let (_, html) = app.get(&c, "/training/checks").await;
        let nav = nav_of(&html);
        assert!(
            nav.contains("href=\"/delivery\" aria-current=\"true\""),
            "{nav}"
        );
        let (_, html) = app.get(&c, "/").await;
        assert!(nav_of(&html).contains("href=\"/\" aria-current=\"page\""));
    });
}

#[tokio::test]
async fn a_page_below_a_landing_page_has_breadcrumbs() {
    on_both!(|app| {
        let c = app.signed_in(Role::MashTrainer).await;
        // A page on the landing page: Home › Training.
        let (_, html) = app.get(&c, "/training/reminders").await;
        let crumbs = between(&html, "<nav class=\"govuk-breadcrumbs", "</nav>");
        assert_eq!(hrefs(crumbs), ["/", "/training"], "{crumbs}");
        assert!(crumbs.contains("aria-label=\"Breadcrumb\""));
        // A page below one: Home › Delivery › Coverage.
        let (s, html) = app.get(&c, "/coverage/new").await;
        assert_eq!(s, StatusCode::OK);
        let crumbs = between(&html, "<nav class=\"govuk-breadcrumbs", "</nav>");
        assert_eq!(
            links(crumbs),
            [
                ("/".to_string(), "Home".to_string()),
                ("/delivery".to_string(), "Delivery".to_string()),
                ("/coverage".to_string(), "Coverage".to_string()),
            ]
        );
        // A landing page leads back home; home has none.
        let (_, html) = app.get(&c, "/delivery").await;
        let crumbs = between(&html, "<nav class=\"govuk-breadcrumbs", "</nav>");
        assert_eq!(hrefs(crumbs), ["/"]);
        let (_, html) = app.get(&c, "/").await;
        assert!(!html.contains("govuk-breadcrumbs"));
    });
}

/// Ten referrals by the frontline officer in the first quarter of 2026.
async fn seed_referrals(store: &Store) {
    for i in 0..10 {
        sqlx::query(
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, officer_grade,
                officer_staff_number, partner, narrative, imported_at, updated_at)
             VALUES ($1, $2, $3, 'child', 'Neglect', 'Medium', $4, 'Children''s social care', 'A narrative.', $5, $5)",
        )
        .bind(format!("PPN-{i:03}"))
        .bind(format!("INC-{i:03}"))
        .bind(format!("2026-02-{:02}T10:00:00", i + 1))
        .bind(staff_for(Role::Frontline))
        .bind("2026-04-02T00:00:00Z")
        .execute(store.pool())
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn home_shows_what_waits_for_the_reader() {
    on_both!(|app| {
        seed_referrals(&app.store).await;
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (_, html) = app.get(&leader, "/").await;
        assert!(html.contains("What waits for you"));
        assert!(html.contains("Nothing waits for you today."), "{html}");

        // A review whose panel the senior leader sits on: one to grade.
        let trainer = token_for(&app, Role::MashTrainer).await;
        let body = serde_json::json!({"period_start": "2026-01-01", "period_end": "2026-03-31", "sample_size": 5, "seed": 7});
        let (s, review) = api(
            &app,
            &trainer,
            Method::POST,
            "/api/v1/quality-reviews",
            body,
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{review}");
        let id = review["id"].as_i64().unwrap();
        let (s, _) = api(
            &app,
            &trainer,
            Method::PUT,
            &format!("/api/v1/quality-reviews/{id}/panel"),
            serde_json::json!({"usernames": [username_for(Role::SeniorLeader)]}),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let (_, html) = app.get(&leader, "/").await;
        let waiting = between(&html, "id=\"waiting-title\"", "</section>");
        assert!(
            waiting.contains("<a class=\"govuk-link app-waiting__count\" href=\"/quality/reviews\">1 referral quality review to grade</a>"),
            "{waiting}"
        );
        // The partner reviewer is not on the panel: nothing waits.
        let partner = app.signed_in(Role::PartnerReviewer).await;
        let (_, html) = app.get(&partner, "/").await;
        assert!(html.contains("Nothing waits for you today."));
        // Then the reader's tasks, by section.
        let (_, html) = app.get(&leader, "/").await;
        let tasks = between(&html, "Your tasks", "</main>");
        assert!(tasks.contains("href=\"/impact\""));
        assert!(tasks.contains("href=\"/training/summary\""));
        assert!(!tasks.contains("href=\"/admin/users\""));
    });
}
