//! The missing-referral queue's day counts (`queue_day_counts`, kept by triggers), on SQLite and
//! PostgreSQL: after each kind of change to the queue (a refresh that queues items, one that
//! closes an item because an in-time referral arrived, closing an item on the page, dating the
//! history, reopening and deleting an item by hand, an incident moving department through the
//! import) they equal a count made afresh from the items, and the dashboard's queue over time
//! read from them equals the same figures counted from the items.

use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_store::audit_trail::Actor;
use mashboard_store::impact::{self, Filter, Scope};
use mashboard_store::{queue, register, Store};
use time::macros::date;
use time::{Date, OffsetDateTime};

type Row = (String, String, String, i64);

/// The day counts as kept (rows that counted down to nothing left out).
async fn kept(store: &Store) -> Vec<Row> {
    sqlx::query_as(
        "SELECT department, queued_day, closed_day, n FROM queue_day_counts WHERE n <> 0
         ORDER BY department, queued_day, closed_day",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// The day counts made afresh from the items and their incidents.
async fn recount(store: &Store) -> Vec<Row> {
    sqlx::query_as(
        "SELECT i.department, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''),
            CAST(COUNT(*) AS BIGINT)
         FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
         GROUP BY i.department, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), '')
         ORDER BY 1, 2, 3",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn import_incidents(store: &Store, csv: &str) {
    let reader = RegisterReader::new(
        RegisterKind::Incidents,
        std::io::Cursor::new(csv.as_bytes().to_vec()),
    )
    .unwrap();
    let report = register::import(store, &Actor::system(), reader, "rms.csv", false)
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql)
        .execute(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn item_id(store: &Store, incident_ref: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT m.id FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
         WHERE i.incident_ref = $1",
    )
    .bind(incident_ref)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

/// The kept counts equal a recount, and the dashboard's queue over time (force-wide, for each
/// department and for a department with no items) equals the same figures counted from the
/// items, for periods that start and end mid-month and for a "today" inside the period.
/// Returns how many month-ends had an open item, so a caller can check the comparison saw some.
async fn check(store: &Store, after: &str) -> usize {
    let (kept, fresh) = (kept(store).await, recount(store).await);
    assert_eq!(kept, fresh, "the day counts after {after}");
    let today = OffsetDateTime::now_utc().date();
    let mut open_points = 0;
    for scope in [
        Scope::Force,
        Scope::Department("Response".into()),
        Scope::Department("CID".into()),
        Scope::Department("Nobody".into()),
    ] {
        for (from, to, today) in [
            (date!(2023 - 01 - 01), today, today),
            (date!(2023 - 06 - 15), date!(2024 - 05 - 20), today),
            (date!(2023 - 01 - 01), today, date!(2024 - 03 - 10)),
        ] {
            let f = Filter {
                from,
                to,
                scope: scope.clone(),
            };
            let read = impact::queue(store, &f, today).await.unwrap();
            let live = impact::queue_live(store, &f, today).await.unwrap();
            let items = impact::queue_by_items(store, &f, today).await.unwrap();
            assert_eq!(read, live, "{f:?} today {today} after {after}");
            assert_eq!(read, items, "{f:?} today {today} after {after}");
            open_points += read.iter().filter(|p| p.open > 0).count();
        }
    }
    open_points
}

fn day(d: Date) -> String {
    format!("{d}")
}

#[tokio::test]
async fn the_queue_day_counts_equal_a_recount_after_every_kind_of_queue_change() {
    on_both!(|store| {
        assert!(kept(&store).await.is_empty());
        // Five incidents with children and no referral, in two departments; the import's own
        // refresh queues them (inserted by one statement).
        import_incidents(
            &store,
            "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department
INC-1,01/03/2024 09:00,Domestic,North,Y,N,N,,Response
INC-2,02/03/2024 09:00,Domestic,North,Y,N,N,,Response
INC-3,03/03/2024 09:00,Domestic,North,Y,N,N,,CID
INC-4,04/03/2024 09:00,Domestic,North,Y,N,N,,CID
INC-5,05/03/2024 09:00,Domestic,North,Y,N,N,,Response
",
        )
        .await;
        let queued = kept(&store).await;
        assert_eq!(
            queued.iter().map(|r| r.3).sum::<i64>(),
            5,
            "every item is counted: {queued:?}"
        );
        assert!(
            queued.iter().all(|r| r.2.is_empty()),
            "all open: {queued:?}"
        );
        check(&store, "the import queued five items").await;

        // The history dated as it happened: queued over a year, some closed (one statement per
        // item, in one transaction).
        let today = OffsetDateTime::now_utc().date();
        let dates = [
            (
                "INC-1",
                "2023-03-02T10:00:00Z",
                Some("2023-05-31T10:00:00Z"),
            ),
            ("INC-2", "2023-04-15T10:00:00Z", None),
            ("INC-3", "2023-04-15T11:00:00Z", None),
            (
                "INC-4",
                "2023-09-30T23:00:00Z",
                Some("2024-02-01T08:00:00Z"),
            ),
            ("INC-5", "2024-01-31T10:00:00Z", None),
        ];
        let mut history = Vec::new();
        for (incident, queued, closed) in dates {
            history.push((
                item_id(&store, incident).await,
                queued.to_string(),
                closed.map(str::to_string),
            ));
        }
        // Closed ones need an outcome for their closing time to be kept.
        exec(&store, "UPDATE missing_referrals SET outcome = 'escalated', closed_by = 'demo', closed_at = 'x'
             WHERE incident_id IN (SELECT id FROM incidents WHERE incident_ref IN ('INC-1', 'INC-4'))").await;
        queue::set_history_dates(&store, &Actor::system(), &history)
            .await
            .unwrap();
        let open_points = check(&store, "dating the history").await;
        assert!(
            open_points > 10,
            "the comparison saw open items ({open_points})"
        );

        // Closing an item on the page: it moves from open to closed today.
        let item = item_id(&store, "INC-2").await;
        queue::close(&store, &Actor::cli(), item, "escalated", "")
            .await
            .unwrap();
        assert!(
            kept(&store)
                .await
                .iter()
                .any(|r| r.0 == "Response" && r.1 == "2023-04-15" && r.2 == day(today)),
            "{:?}",
            kept(&store).await
        );
        check(&store, "closing an item").await;

        // A referral made in time for INC-3 arrives later: the refresh closes its item.
        exec(&store, "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, partner, narrative, imported_at, updated_at)
             VALUES ('PPN-3', 'INC-3', '2024-03-03T12:00:00', 'child', 'Neglect', 'CSC', '', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')").await;
        let refreshed = queue::refresh(&store, OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!(refreshed.closed_in_time, 1);
        check(&store, "a refresh closing an item in time").await;

        // Reopened by hand, then several items re-dated by one statement.
        exec(&store, "UPDATE missing_referrals SET outcome = NULL, closed_by = NULL, closed_at = NULL
             WHERE incident_id IN (SELECT id FROM incidents WHERE incident_ref IN ('INC-1', 'INC-2'))").await;
        check(&store, "reopening two items").await;
        exec(
            &store,
            "UPDATE missing_referrals SET queued_at = '2023-04-15T09:00:00Z'",
        )
        .await;
        check(&store, "re-dating every item at once").await;

        // An incident on the queue moves department in a later import (and one that does not
        // move is imported again unchanged).
        import_incidents(
            &store,
            "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department
INC-5,05/03/2024 09:00,Domestic,North,Y,N,N,,CID
INC-4,04/03/2024 09:00,Domestic,North,Y,N,N,,CID
",
        )
        .await;
        // Response keeps INC-1 and INC-2 (reopened) of its three open items.
        let response_open: Vec<Row> = kept(&store)
            .await
            .into_iter()
            .filter(|r| r.0 == "Response" && r.2.is_empty())
            .collect();
        assert_eq!(
            response_open,
            [(
                "Response".to_string(),
                "2023-04-15".to_string(),
                String::new(),
                2
            )],
            "INC-5 left Response"
        );
        let cid: Vec<Row> = kept(&store)
            .await
            .into_iter()
            .filter(|r| r.0 == "CID")
            .collect();
        assert_eq!(cid.iter().map(|r| r.3).sum::<i64>(), 3, "{cid:?}");
        check(&store, "an incident moving department").await;

        // An item deleted by hand.
        exec(&store, "DELETE FROM missing_referrals WHERE incident_id IN (SELECT id FROM incidents WHERE incident_ref = 'INC-1')").await;
        check(&store, "deleting an item").await;
    });
}

/// After a first load of incidents PostgreSQL builds the queue with its insert triggers
/// disabled, doing their work in the same statement (`register::QUEUE_INSERT_TRIGGERS`): a
/// trigger added to the queue since would be skipped there. The list must be every trigger that
/// acts on an insert into the queue, and the load must leave each of them enabled.
#[tokio::test]
async fn a_first_load_does_the_work_of_every_queue_insert_trigger_and_leaves_them_enabled() {
    on_both!(|store| {
        import_incidents(
            &store,
            "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department
INC-1,01/03/2024 09:00,Domestic,North,Y,N,N,,Response
",
        )
        .await;
        assert_eq!(kept(&store).await, recount(&store).await);
        if store.backend() == mashboard_store::Backend::Postgres {
            // tgtype bit 2 (4): fires on INSERT; tgenabled 'O': enabled.
            let triggers: Vec<(String, String)> = sqlx::query_as(
                "SELECT tgname::TEXT, tgenabled::TEXT FROM pg_trigger
             WHERE tgrelid = 'missing_referrals'::regclass AND NOT tgisinternal
               AND tgtype & 4 <> 0
             ORDER BY 1",
            )
            .fetch_all(store.pool())
            .await
            .unwrap();
            let mut listed: Vec<(String, String)> = register::QUEUE_INSERT_TRIGGERS
                .iter()
                .map(|t| (t.to_string(), "O".to_string()))
                .collect();
            listed.sort();
            assert_eq!(triggers, listed);
        }
    });
}
