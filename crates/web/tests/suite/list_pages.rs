//! The long lists through the real server, on both databases: the people directory, the
//! register's incidents and referrals and the partner outcomes list are read a page at a time
//! (Next and Previous links that keep the filters); following Next visits every matching row
//! once in order; old `page=N` links and start references that name nothing give the first
//! page, never an error; each page shown is audited. `/api/v1/people` pages the same way with
//! `after` and `before`, and still takes `offset`.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::Store;
use reqwest::{Client, StatusCode};

/// The href of the pagination link with this title ("Next" or "Previous").
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

/// The references of the rows shown: each row's link to `prefix…` (up to the next `/`), in
/// order.
fn shown(html: &str, prefix: &str) -> Vec<String> {
    let needle = format!("<a class=\"govuk-link\" href=\"{prefix}");
    html.split(&needle)
        .skip(1)
        .map(|rest| rest[..rest.find(['"', '/']).unwrap()].to_string())
        .collect()
}

/// Follows Next from `path` to the end, then Previous back to the start; returns the rows in
/// order (checked to be the same both ways) and how many pages there were.
async fn walk(app: &TestApp, c: &Client, path: &str, prefix: &str, keep: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut pages = Vec::new();
    let mut next = Some(path.to_string());
    while let Some(href) = next {
        assert!(href.contains(keep), "the filters are kept: {href}");
        let (s, html) = app.get(c, &href).await;
        assert_eq!(s, StatusCode::OK, "{href}");
        let page = shown(&html, prefix);
        assert!(!page.is_empty(), "{href}");
        rows.extend(page.iter().cloned());
        pages.push(page);
        next = link(&html, "Next");
        assert!(pages.len() < 50, "the walk does not end");
        if pages.len() == 1 {
            assert!(
                link(&html, "Previous").is_none(),
                "no Previous on the first page"
            );
        }
    }
    // Back again: each Previous page is the one seen before it.
    let (_, mut html) = app
        .get(
            c,
            &format!("{path}&after={}", pages[pages.len() - 2].last().unwrap()),
        )
        .await;
    for expected in pages.iter().rev().skip(1) {
        let href = link(&html, "Previous").expect("a Previous link");
        assert!(href.contains(keep), "the filters are kept: {href}");
        html = app.get(c, &href).await.1;
        assert_eq!(&shown(&html, prefix), expected);
    }
    assert!(link(&html, "Previous").is_none(), "back at the first page");
    rows
}

async fn listed(store: &Store, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_people_directory_pages_through_everyone_once_by_name() {
    on_both!(|app| {
        exec(
            &app.store,
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200)
             INSERT INTO people (staff_number, name, department, team, active, created_at, updated_at)
             SELECT 'B' || CAST(1000 + i AS TEXT),
                CASE WHEN i % 9 = 0 THEN 'Robin Shaw' ELSE 'Bulk Person ' || CAST((i * 37) % 211 AS TEXT) END,
                CASE WHEN i % 2 = 0 THEN 'Public Protection' ELSE 'Response' END, 'Team A',
                CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END, $1, $1 FROM s",
            &["2025-01-01T00:00:00Z"],
        )
        .await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let expected = listed(
            &app.store,
            "SELECT staff_number FROM people WHERE active = 1 AND department = 'Public Protection'
             ORDER BY name, staff_number",
        )
        .await;
        assert!(expected.len() > 50, "more than one page");
        let (_, first) = app
            .get(&trainer, "/people?department=Public+Protection")
            .await;
        assert!(
            first.contains(&format!("{} people match these filters", expected.len())),
            "{first}"
        );
        let got = walk(
            &app,
            &trainer,
            "/people?department=Public+Protection",
            "/people/",
            "department=Public+Protection",
        )
        .await;
        assert_eq!(got, expected);
        // An old numbered link, a start that names nobody, nonsense: the first page.
        for path in [
            "/people?page=3",
            "/people?page=-1",
            "/people?after=NOBODY",
            "/people?before=%FF",
        ] {
            let (s, html) = app.get(&trainer, path).await;
            assert_eq!(s, StatusCode::OK, "{path}");
            assert_eq!(
                shown(&html, "/people/").first(),
                shown(&app.get(&trainer, "/people").await.1, "/people/").first(),
                "{path}"
            );
            assert_eq!(
                html.contains("no longer in the list"),
                path.contains("after") || path.contains("before"),
                "{path}"
            );
        }
        // Every page shown is in the audit trail, with the rows it showed.
        let (n, events) = audit_events(&app.store, "people.list").await;
        assert!(n >= 10, "{n}");
        assert!(events.iter().any(|e| e
            .after_json
            .as_deref()
            .unwrap_or("")
            .contains(&expected[0])));
    });
}

#[tokio::test]
async fn the_register_lists_page_through_every_match_once_newest_first() {
    on_both!(|app| {
        let now = "2025-01-01T00:00:00Z";
        exec(
            &app.store,
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400)
             INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved,
                adult_at_risk, domestic_abuse, officer_staff_number, department, imported_at, updated_at)
             SELECT 'INC-' || CAST(1000 + i AS TEXT),
                '2024-05-' || CAST(10 + i % 7 AS TEXT) || 'T09:00:00', 'Concern',
                'Beat ' || CAST(i % 2 AS TEXT), i % 3 % 2, 0, 0, 'S1', 'Response', $1, $1 FROM s",
            &[now],
        )
        .await;
        exec(
            &app.store,
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category,
                officer_grade, officer_staff_number, partner, narrative, imported_at, updated_at)
             SELECT 'PPN-' || substr(incident_ref, 5), incident_ref, reported_at, 'child', 'Concern', '',
                'S1', CASE WHEN id % 3 = 0 THEN 'Education' ELSE 'Children''s social care' END, '', $1, $1
             FROM incidents",
            &[now],
        )
        .await;
        let staff = app.signed_in(Role::MashStaff).await;
        let expected = listed(
            &app.store,
            "SELECT incident_ref FROM incidents WHERE area = 'Beat 1' AND children_involved = 1
             ORDER BY reported_at DESC, id DESC",
        )
        .await;
        assert!(expected.len() > 50, "more than one page");
        let got = walk(
            &app,
            &staff,
            "/register/incidents?area=Beat+1&flag=children",
            "/register/incidents/",
            "area=Beat+1",
        )
        .await;
        assert_eq!(got, expected);
        let expected = listed(
            &app.store,
            "SELECT referral_ref FROM referrals WHERE partner = 'Children''s social care'
             ORDER BY submitted_at DESC, id DESC",
        )
        .await;
        let got = walk(
            &app,
            &staff,
            "/register/referrals?partner=Children%27s+social+care",
            "/register/referrals/",
            "partner=Children%27s+social+care",
        )
        .await;
        assert_eq!(got, expected);
        let (_, html) = app.get(&staff, "/register/referrals").await;
        assert!(html.contains("400 referrals match these filters"), "{html}");
        assert!(html.contains("400 in all"), "{html}");
        for path in [
            "/register/incidents?page=4",
            "/register/incidents?after=INC-0",
            "/register/referrals?before=%27%3B--",
            "/register/referrals?page=x&after=",
        ] {
            let (s, html) = app.get(&staff, path).await;
            assert_eq!(s, StatusCode::OK, "{path}");
            assert!(link(&html, "Previous").is_none(), "{path}: the first page");
            assert!(link(&html, "Next").is_some(), "{path}: the first page");
        }
    });
}

/// 400 incidents over a week, each with a referral, one in three to Education and the rest to
/// children's social care.
async fn seed_register(store: &Store) {
    let now = "2025-01-01T00:00:00Z";
    exec(
        store,
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 400)
         INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved,
            adult_at_risk, domestic_abuse, officer_staff_number, department, imported_at, updated_at)
         SELECT 'INC-' || CAST(1000 + i AS TEXT),
            '2024-05-' || CAST(10 + i % 7 AS TEXT) || 'T09:00:00', 'Concern',
            'Beat ' || CAST(i % 2 AS TEXT), i % 3 % 2, 0, 0, 'S1', 'Response', $1, $1 FROM s",
        &[now],
    )
    .await;
    exec(
        store,
        "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category,
            officer_grade, officer_staff_number, partner, narrative, imported_at, updated_at)
         SELECT 'PPN-' || substr(incident_ref, 5), incident_ref, reported_at, 'child', 'Concern', '',
            'S1', CASE WHEN id % 3 = 0 THEN 'Education' ELSE 'Children''s social care' END, '', $1, $1
         FROM incidents",
        &[now],
    )
    .await;
}

#[tokio::test]
async fn the_partner_outcomes_list_pages_through_every_match_once_newest_first() {
    on_both!(|app| {
        seed_register(&app.store).await;
        // Children's social care has recorded an outcome on every fifth of its referrals.
        exec(
            &app.store,
            "INSERT INTO referral_outcomes (referral_ref, partner, outcome, decided_at, source,
                recorded_by, updated_at)
             SELECT referral_ref, partner, 'early_help', '2024-06-01', 'mash', 'test', $1
             FROM referrals WHERE partner = 'Children''s social care' AND id % 5 = 0",
            &["2025-01-01T00:00:00Z"],
        )
        .await;
        let staff = app.signed_in(Role::MashStaff).await;
        let expected = listed(
            &app.store,
            "SELECT r.referral_ref FROM referrals r WHERE r.partner = 'Children''s social care'
               AND NOT EXISTS (SELECT 1 FROM referral_outcomes o WHERE o.referral_ref = r.referral_ref)
             ORDER BY r.submitted_at DESC, r.id DESC",
        )
        .await;
        assert!(expected.len() > 100, "more than two pages");
        let path = "/register/outcomes?partner=Children%27s+social+care&has_outcome=no";
        let (_, first) = app.get(&staff, path).await;
        assert!(
            first.contains(&format!("{} referrals match these filters", expected.len())),
            "{first}"
        );
        let got = walk(&app, &staff, path, "/register/referrals/", "has_outcome=no").await;
        assert_eq!(got, expected);

        // A date filter, with every referral: still each once, in order.
        let expected = listed(
            &app.store,
            "SELECT referral_ref FROM referrals WHERE submitted_at >= '2024-05-12'
               AND submitted_at < '2024-05-15' ORDER BY submitted_at DESC, id DESC",
        )
        .await;
        assert!(expected.len() > 50, "more than one page");
        let got = walk(
            &app,
            &staff,
            "/register/outcomes?from=12%2F05%2F2024&to=14%2F05%2F2024",
            "/register/referrals/",
            "from=12%2F05%2F2024",
        )
        .await;
        assert_eq!(got, expected);

        // Old numbered links and starts that name nothing: the first page.
        for p in [
            "/register/outcomes?page=3",
            "/register/outcomes?after=PPN-0",
            "/register/outcomes?before=%27%3B--",
        ] {
            let (s, html) = app.get(&staff, p).await;
            assert_eq!(s, StatusCode::OK, "{p}");
            assert!(link(&html, "Previous").is_none(), "{p}: the first page");
            assert!(link(&html, "Next").is_some(), "{p}: the first page");
        }
        let (n, events) = audit_events(&app.store, "outcomes.list").await;
        assert!(n >= 8, "{n}");
        assert!(events.iter().any(|e| e
            .after_json
            .as_deref()
            .unwrap_or("")
            .contains("has_outcome=no")));
    });
}

/// The staff numbers of a page of `/api/v1/people`, and its cursors.
async fn api_page(
    app: &TestApp,
    token: &str,
    path: &str,
) -> (Vec<String>, i64, Option<String>, Option<String>) {
    let (status, v) = app.api_json(token, reqwest::Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {v}");
    let rows = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["staff_number"].as_str().unwrap().to_string())
        .collect();
    let cursor = |k: &str| v[k].as_str().map(str::to_string);
    (
        rows,
        v["total"].as_i64().unwrap(),
        cursor("next_after"),
        cursor("previous_before"),
    )
}

#[tokio::test]
async fn the_people_api_pages_by_cursor_forward_and_back_and_still_takes_offset() {
    on_both!(|app| {
        exec(
            &app.store,
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200)
             INSERT INTO people (staff_number, name, department, team, active, created_at, updated_at)
             SELECT 'B' || CAST(1000 + i AS TEXT),
                CASE WHEN i % 9 = 0 THEN 'Robin Shaw' ELSE 'Bulk Person ' || CAST((i * 37) % 211 AS TEXT) END,
                CASE WHEN i % 2 = 0 THEN 'Public Protection' ELSE 'Response' END, 'Team A',
                CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END, $1, $1 FROM s",
            &["2025-01-01T00:00:00Z"],
        )
        .await;
        let token = token_for(&app, Role::MashTrainer).await;
        let expected = listed(
            &app.store,
            "SELECT staff_number FROM people WHERE active = 1 AND department = 'Public Protection'
             ORDER BY name, staff_number",
        )
        .await;
        let base = "/api/v1/people?department=Public+Protection&limit=17";
        assert!(expected.len() > 17 * 3, "several pages");

        // Forward by next_after.
        let mut pages: Vec<Vec<String>> = Vec::new();
        let mut path = base.to_string();
        loop {
            let (rows, total, next, previous) = api_page(&app, &token, &path).await;
            assert_eq!(total, expected.len() as i64, "{path}");
            assert!(rows.len() <= 17 && !rows.is_empty(), "{path}");
            assert_eq!(previous.is_some(), !pages.is_empty(), "{path}");
            pages.push(rows);
            assert!(pages.len() < 50, "the walk does not end");
            match next {
                Some(after) => path = format!("{base}&after={after}"),
                None => break,
            }
        }
        assert_eq!(pages.concat(), expected, "every person once, in order");

        // Back by previous_before, from the last page.
        let last = pages.last().unwrap();
        let mut previous = api_page(&app, &token, &format!("{base}&before={}", last[0])).await;
        for expected_page in pages.iter().rev().skip(1) {
            assert_eq!(&previous.0, expected_page);
            assert_eq!(previous.3.is_none(), expected_page == &pages[0]);
            match &previous.3 {
                Some(before) => {
                    previous = api_page(&app, &token, &format!("{base}&before={before}")).await
                }
                None => assert_eq!(expected_page, &pages[0], "only the first page has none"),
            }
        }

        // The old offset pages agree, and say where the next page starts.
        let (rows, total, next, prev) = api_page(&app, &token, &format!("{base}&offset=17")).await;
        assert_eq!(rows, pages[1]);
        assert_eq!(total, expected.len() as i64);
        assert_eq!(next.as_deref(), pages[1].last().map(String::as_str));
        assert_eq!(prev.as_deref(), pages[1].first().map(String::as_str));
        let (rows, ..) = api_page(
            &app,
            &token,
            &format!("{base}&offset=0&after={}", pages[0][16]),
        )
        .await;
        assert_eq!(rows, pages[1], "offset=0 goes with after");

        // Refused, naming the parameter: both directions, an offset with a cursor, a cursor
        // naming no one (or someone out of reach).
        for (p, field) in [
            (format!("{base}&after=B1002&before=B1004"), "before"),
            (format!("{base}&offset=17&after=B1002"), "offset"),
            (format!("{base}&after=NOBODY"), "after"),
            (format!("{base}&before=%00"), "before"),
        ] {
            let (status, v) = app.api_json(&token, reqwest::Method::GET, &p, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{p}: {v}");
            assert!(v.to_string().contains(field), "{p}: {v}");
        }
        // The OpenAPI document names the cursors, in and out.
        let doc = app.openapi().await;
        let params = doc["paths"]["/api/v1/people"]["get"]["parameters"].to_string();
        for name in ["\"after\"", "\"before\"", "\"offset\""] {
            assert!(params.contains(name), "{name} in {params}");
        }
        let page = doc["components"]["schemas"]["PeoplePage"]["properties"].to_string();
        assert!(
            page.contains("next_after") && page.contains("previous_before"),
            "{page}"
        );
        // A line manager sees only their own people: someone else's staff number is no cursor.
        let manager = token_for(&app, Role::LineManager).await;
        let (status, v) = app
            .api_json(
                &manager,
                reqwest::Method::GET,
                "/api/v1/people?after=B1002",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    });
}

/// A NUL character in a search, a filter or a cursor is refused with a 400 that names the
/// parameter, on a page and in the API, on both databases (PostgreSQL cannot compare text
/// with it: the people list's search and filters and three impact figures answered 500).
#[tokio::test]
async fn a_null_character_in_a_search_or_filter_is_refused_by_name() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        for (path, name) in [
            ("/people?search=a%00b", "search"),
            ("/people?department=%00", "department"),
            ("/people?before=%FF%00", "before"),
        ] {
            let (s, html) = app.get(&trainer, path).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path}");
            assert!(html.contains("govuk-"), "{path}: a page, not plain text");
            assert!(
                html.contains(&format!("\u{201c}{name}\u{201d}")) && html.contains("U+0000"),
                "{path}: {html}"
            );
        }
        let token = token_for(&app, Role::MashTrainer).await;
        for (path, name) in [
            ("/api/v1/people?search=a%00b", "search"),
            ("/api/v1/people?cohort=%00", "cohort"),
            ("/api/v1/impact/outcomes?department=%00", "department"),
            ("/api/v1/impact/training-effect?module=%00", "module"),
        ] {
            let (s, v) = app.api_json(&token, reqwest::Method::GET, path, None).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{path}: {v}");
            assert_eq!(v["fields"][0]["field"], name, "{path}: {v}");
        }
        // A percent sign typed in a search is text like any other.
        let (s, _) = app.get(&trainer, "/people?search=100%25").await;
        assert_eq!(s, StatusCode::OK);
    });
}
