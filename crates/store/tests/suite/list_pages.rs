//! Keyset pages of the long lists (the people directory, the register's incidents and
//! referrals), on SQLite and on PostgreSQL: walking the next pages visits every matching row
//! exactly once, in the list's order; walking back visits them again in reverse; a start that
//! names no row gives the first page; counts stop at their cap; the filters' choices are the
//! distinct values.

use mashboard_domain::access::PeopleScope;
use mashboard_domain::people::PersonDraft;
use mashboard_store::audit_trail::Actor;
use mashboard_store::keyset::{Page, PageStart};
use mashboard_store::people::{self, PeopleQuery, Status};
use mashboard_store::register::{self, IncidentQuery, ReferralQuery};
use mashboard_store::Store;

/// Every row from the first page on, following `after` links, then back again from the last
/// page following `before` links; both walks must agree.
async fn walk<T, F, Fut>(fetch: F, key: impl Fn(&T) -> String) -> Vec<String>
where
    F: Fn(PageStart) -> Fut,
    Fut: std::future::Future<Output = Page<T>>,
{
    let mut forward = Vec::new();
    let mut start = PageStart::First;
    let mut pages = 0;
    loop {
        let page = fetch(start.clone()).await;
        assert!(!page.start_unknown);
        assert_eq!(
            page.has_previous,
            pages > 0,
            "a previous page after the first"
        );
        forward.extend(page.rows.iter().map(&key));
        pages += 1;
        assert!(pages < 100, "the walk does not end");
        match (page.has_next, page.rows.last()) {
            (true, Some(last)) => start = PageStart::After(key(last)),
            _ => break,
        }
    }
    // Back from the last row: the previous pages hold every row before it, in order (the
    // first page comes back whole, so only its rows before those already seen count).
    let mut backward: Vec<String> = forward.last().cloned().into_iter().collect();
    while let Some(earliest) = backward.first().cloned() {
        if backward.len() == forward.len() {
            break;
        }
        let page = fetch(PageStart::Before(earliest.clone())).await;
        assert!(page.has_next, "a page before a row has a next page");
        let keys: Vec<String> = page.rows.iter().map(&key).collect();
        let new = match keys.iter().position(|k| *k == earliest) {
            Some(at) => &keys[..at],
            None => &keys[..],
        };
        assert!(!new.is_empty(), "walking back goes back");
        backward.splice(0..0, new.iter().cloned());
        assert!(page.has_previous || backward.len() == forward.len());
    }
    assert_eq!(forward, backward, "walking back visits the same rows");
    forward
}

/// The references a plain query lists, in order.
async fn listed(store: &Store, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

/// 23 people: three share a name (the staff number breaks the tie), two departments, four
/// have left.
async fn directory(store: &Store) {
    let rows: Vec<(usize, _)> = (0..23)
        .map(|i| {
            let name = if i % 8 == 3 {
                "Sam Jones".to_string()
            } else {
                format!("Person {:02}", (i * 7) % 23)
            };
            let draft = PersonDraft {
                staff_number: format!("S{:03}", 500 - i),
                name,
                department: if i % 3 == 0 { "CID" } else { "Response" }.into(),
                team: format!("Team {}", i % 4),
                ..Default::default()
            };
            (i + 2, draft.validate().unwrap())
        })
        .collect();
    people::import(store, &Actor::system(), &rows, false, "test")
        .await
        .unwrap();
    exec(
        store,
        "UPDATE people SET active = 0 WHERE staff_number IN ('S500', 'S495', 'S490', 'S481')",
    )
    .await;
}

#[tokio::test]
async fn people_pages_visit_everyone_once_in_name_order() {
    on_both!(|store| {
        directory(&store).await;
        for (q, wh) in [
            (
                PeopleQuery {
                    status: Status::All,
                    ..Default::default()
                },
                "1 = 1",
            ),
            (PeopleQuery::default(), "active = 1"),
            (
                PeopleQuery {
                    department: "Response".into(),
                    ..Default::default()
                },
                "active = 1 AND department = 'Response'",
            ),
            (
                PeopleQuery {
                    team: "Team 1".into(),
                    status: Status::Left,
                    ..Default::default()
                },
                "active = 0 AND team = 'Team 1'",
            ),
        ] {
            let expected = listed(
                &store,
                &format!("SELECT staff_number FROM people WHERE {wh} ORDER BY name, staff_number"),
            )
            .await;
            let got = walk(
                |start| {
                    let (store, q) = (&store, &q);
                    async move {
                        people::page(store, q, PeopleScope::All, &start, 4)
                            .await
                            .unwrap()
                    }
                },
                |p| p.staff_number.clone(),
            )
            .await;
            assert_eq!(got, expected, "{wh}");
            let n = people::count_matching(&store, &q, PeopleScope::All)
                .await
                .unwrap();
            assert_eq!((n.n, n.capped), (expected.len() as i64, false), "{wh}");
        }
        // Nobody in scope: an empty first page, no links.
        let none = people::page(
            &store,
            &PeopleQuery::default(),
            PeopleScope::Nobody,
            &PageStart::First,
            4,
        )
        .await
        .unwrap();
        assert!(none.rows.is_empty() && !none.has_next && !none.has_previous);
        // A start naming nobody: the first page, said so.
        let first = people::page(
            &store,
            &PeopleQuery::default(),
            PeopleScope::All,
            &PageStart::After("NOBODY".into()),
            4,
        )
        .await
        .unwrap();
        assert!(first.start_unknown && !first.has_previous && first.has_next);
        assert_eq!(first.rows.len(), 4);
        assert_eq!(
            people::facets(&store).await.unwrap().departments,
            vec!["CID", "Response"]
        );
    });
}

/// 37 incidents over a few days, several at the same minute (the id breaks the tie), in three
/// areas, and a referral from most of them to one of two partners.
async fn register_rows(store: &Store) {
    for i in 0..37 {
        exec(
            store,
            &format!(
                "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved,
                    adult_at_risk, domestic_abuse, officer_staff_number, department, imported_at, updated_at)
                 VALUES ('INC-{i:03}', '2024-03-{:02}T10:{:02}:00', 'Concern', 'Beat {}', {}, 0, 0,
                    'S{}', 'Response', '2024-04-01T00:00:00Z', '2024-04-01T00:00:00Z')",
                1 + i % 5,
                (i % 3) * 10,
                i % 3,
                i32::from(i % 2 == 0),
                100 + i % 4,
            ),
        )
        .await;
        if i % 6 != 5 {
            exec(
                store,
                &format!(
                    "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category,
                        officer_grade, officer_staff_number, partner, narrative, imported_at, updated_at)
                     VALUES ('PPN-{i:03}', 'INC-{i:03}', '2024-03-{:02}T12:00:00', '{}', 'Concern', 'PC',
                        'S{}', '{}', '', '2024-04-01T00:00:00Z', '2024-04-01T00:00:00Z')",
                    1 + i % 4,
                    if i % 3 == 0 { "adult" } else { "child" },
                    100 + i % 4,
                    if i % 2 == 0 { "Children''s social care" } else { "Education" },
                ),
            )
            .await;
        }
    }
}

#[tokio::test]
async fn register_pages_visit_every_row_once_newest_first_with_filters() {
    on_both!(|store| {
        register_rows(&store).await;
        for (q, wh) in [
            (IncidentQuery::default(), "1 = 1"),
            (
                IncidentQuery {
                    area: "Beat 1".into(),
                    ..Default::default()
                },
                "area = 'Beat 1'",
            ),
            (
                IncidentQuery {
                    flag: "children".into(),
                    officer: "s102".into(),
                    ..Default::default()
                },
                "children_involved = 1 AND officer_staff_number = 'S102'",
            ),
            (
                IncidentQuery {
                    from: "2024-03-02".into(),
                    to: "2024-03-03".into(),
                    search: "inc-0".into(),
                    ..Default::default()
                },
                "reported_at >= '2024-03-02' AND reported_at < '2024-03-04' AND incident_ref LIKE 'INC-0%'",
            ),
        ] {
            let expected = listed(
                &store,
                &format!(
                    "SELECT incident_ref FROM incidents WHERE {wh} ORDER BY reported_at DESC, id DESC"
                ),
            )
            .await;
            assert!(!expected.is_empty(), "{wh}");
            let got = walk(
                |start| {
                    let (store, q) = (&store, &q);
                    async move { register::incidents_page(store, q, &start, 5).await.unwrap() }
                },
                |i| i.incident_ref.clone(),
            )
            .await;
            assert_eq!(got, expected, "{wh}");
            let n = register::incidents_count(&store, &q).await.unwrap();
            assert_eq!(n.n, expected.len() as i64, "{wh}");
        }
        for (q, wh) in [
            (ReferralQuery::default(), "1 = 1"),
            (
                ReferralQuery {
                    partner: "Education".into(),
                    subject_type: "child".into(),
                    ..Default::default()
                },
                "partner = 'Education' AND subject_type = 'child'",
            ),
        ] {
            let expected = listed(
                &store,
                &format!(
                    "SELECT referral_ref FROM referrals WHERE {wh} ORDER BY submitted_at DESC, id DESC"
                ),
            )
            .await;
            let got = walk(
                |start| {
                    let (store, q) = (&store, &q);
                    async move { register::referrals_page(store, q, &start, 4).await.unwrap() }
                },
                |r| r.referral_ref.clone(),
            )
            .await;
            assert_eq!(got, expected, "{wh}");
        }
        let first = register::incidents_page(
            &store,
            &IncidentQuery::default(),
            &PageStart::Before("INC-999".into()),
            5,
        )
        .await
        .unwrap();
        assert!(first.start_unknown);
        assert_eq!(first.rows[0].incident_ref, "INC-029", "the newest first");
        assert_eq!(
            register::areas(&store).await.unwrap(),
            vec!["Beat 0", "Beat 1", "Beat 2"]
        );
        assert_eq!(
            register::partners(&store).await.unwrap(),
            vec!["Children's social care", "Education"]
        );
    });
}

#[tokio::test]
async fn counts_stop_at_their_cap() {
    on_both!(|store| {
        let n = register::COUNT_CAP + 5;
        exec(
            &store,
            &format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
                 INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved,
                    adult_at_risk, domestic_abuse, officer_staff_number, department, imported_at, updated_at)
                 SELECT 'INC-' || CAST(i AS TEXT), '2024-03-01T10:00:00', 'Concern', 'North', 0, 0, 0,
                    'S1', 'Response', '2024-04-01T00:00:00Z', '2024-04-01T00:00:00Z' FROM s"
            ),
        )
        .await;
        let c = register::incidents_count(&store, &IncidentQuery::default())
            .await
            .unwrap();
        assert!(c.capped);
        assert_eq!(c.words(), "more than 10,000");
    });
}
