//! The missing-referral queue's day counts per officer (`queue_officer_day_counts`, migration 31,
//! kept by triggers), on SQLite and PostgreSQL: after each kind of change to the queue and to its
//! incidents (a refresh queueing items, closing one on the page, dating the history, reopening,
//! re-dating, deleting, an incident changing officer and department through the import, several
//! incidents changing officer in one statement, an officer unlinked) they equal a count made
//! afresh from the items, and a team's queue over time on the impact dashboard, read from them,
//! equals the same figures counted from the items.

use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_store::audit_trail::Actor;
use mashboard_store::impact::{self, Filter, Scope};
use mashboard_store::{queue, register, Store};
use time::macros::date;
use time::OffsetDateTime;

type Row = (i64, String, String, i64);

const NOW: &str = "2026-01-01T00:00:00Z";

/// The per-officer day counts as kept (rows that counted down to nothing left out).
async fn kept(store: &Store) -> Vec<Row> {
    sqlx::query_as(
        "SELECT officer_id, queued_day, closed_day, n FROM queue_officer_day_counts WHERE n <> 0
         ORDER BY officer_id, queued_day, closed_day",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// The same made afresh from the items and their incidents' officers.
async fn recount(store: &Store) -> Vec<Row> {
    sqlx::query_as(
        "SELECT i.officer_person_id, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''),
            CAST(COUNT(*) AS BIGINT)
         FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
         WHERE i.officer_person_id IS NOT NULL
         GROUP BY i.officer_person_id, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), '')
         ORDER BY 1, 2, 3",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql)
        .execute(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn id_of(store: &Store, sql: &str, key: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(key)
        .fetch_one(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql} {key}: {e}"))
}

async fn person(store: &Store, sn: &str) -> i64 {
    id_of(store, "SELECT id FROM people WHERE staff_number = $1", sn).await
}

async fn item_id(store: &Store, incident_ref: &str) -> i64 {
    id_of(
        store,
        "SELECT m.id FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
         WHERE i.incident_ref = $1",
        incident_ref,
    )
    .await
}

async fn import_incidents(store: &Store, rows: &str) {
    let csv = format!("incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n{rows}");
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

/// Two teams: M1 manages A1 and A2, M2 manages B1; C1 has no manager.
async fn people(store: &Store) -> (i64, i64) {
    for sn in ["M1", "M2"] {
        exec(store, &format!("INSERT INTO people (staff_number, name, department, created_at, updated_at) VALUES ('{sn}', 'Manager {sn}', 'Response', '{NOW}', '{NOW}')")).await;
    }
    let (m1, m2) = (person(store, "M1").await, person(store, "M2").await);
    for (sn, manager) in [
        ("A1", Some(m1)),
        ("A2", Some(m1)),
        ("B1", Some(m2)),
        ("C1", None),
    ] {
        let manager = manager.map_or("NULL".to_string(), |m| m.to_string());
        exec(store, &format!("INSERT INTO people (staff_number, name, department, line_manager_id, created_at, updated_at) VALUES ('{sn}', 'Officer {sn}', 'Response', {manager}, '{NOW}', '{NOW}')")).await;
    }
    (m1, m2)
}

/// The kept counts equal a recount, and each team's queue over time (and that of a manager with
/// nobody) read from them equals the same figures counted from the items two ways, for periods
/// that start and end mid-month and a "today" inside the period. Returns how many month-ends
/// had an open item on a team, so a caller can check the comparison saw some.
async fn check(store: &Store, teams: [i64; 2], after: &str) -> usize {
    let (kept, fresh) = (kept(store).await, recount(store).await);
    assert_eq!(kept, fresh, "the per-officer day counts after {after}");
    let today = OffsetDateTime::now_utc().date();
    let mut open_points = 0;
    for scope in [
        Scope::Team(teams[0]),
        Scope::Team(teams[1]),
        Scope::Team(i64::MAX),
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

/// The officer's item counts as kept, summed.
async fn items_of(store: &Store, officer: i64) -> i64 {
    kept(store)
        .await
        .iter()
        .filter(|r| r.0 == officer)
        .map(|r| r.3)
        .sum()
}

#[tokio::test]
async fn a_teams_queue_over_time_read_from_the_per_officer_day_counts_equals_a_count_of_its_items()
{
    on_both!(|store| {
        assert!(kept(&store).await.is_empty());
        let (m1, m2) = people(&store).await;
        let teams = [m1, m2];
        let (a1, a2, b1) = (
            person(&store, "A1").await,
            person(&store, "A2").await,
            person(&store, "B1").await,
        );
        // Six incidents with children and no referral; the import's own refresh queues them in
        // one statement. INC-6 has no officer: it is in no team and counted nowhere here.
        import_incidents(
            &store,
            "INC-1,01/03/2024 09:00,Domestic,North,Y,N,N,A1,Response
INC-2,02/03/2024 09:00,Domestic,North,Y,N,N,A1,Response
INC-3,03/03/2024 09:00,Domestic,North,Y,N,N,A2,CID
INC-4,04/03/2024 09:00,Domestic,North,Y,N,N,B1,CID
INC-5,05/03/2024 09:00,Domestic,North,Y,N,N,C1,Response
INC-6,06/03/2024 09:00,Domestic,North,Y,N,N,,Response
",
        )
        .await;
        assert_eq!(
            crate::common::count(&store, "missing_referrals").await,
            6,
            "every incident is queued"
        );
        assert_eq!(
            (
                items_of(&store, a1).await,
                items_of(&store, a2).await,
                items_of(&store, b1).await
            ),
            (2, 1, 1),
            "each officer's items are counted: {:?}",
            kept(&store).await
        );
        check(&store, teams, "the import queued six items").await;

        // The history dated as it happened: queued over a year, some closed.
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
            ("INC-6", "2023-02-01T10:00:00Z", None),
        ];
        let mut history = Vec::new();
        for (incident, queued, closed) in dates {
            history.push((
                item_id(&store, incident).await,
                queued.to_string(),
                closed.map(str::to_string),
            ));
        }
        exec(&store, "UPDATE missing_referrals SET outcome = 'escalated', closed_by = 'demo', closed_at = 'x'
             WHERE incident_id IN (SELECT id FROM incidents WHERE incident_ref IN ('INC-1', 'INC-4'))").await;
        queue::set_history_dates(&store, &Actor::system(), &history)
            .await
            .unwrap();
        let open_points = check(&store, teams, "dating the history").await;
        assert!(
            open_points > 10,
            "the comparison saw open items ({open_points})"
        );

        // Closing an item on the page: it moves from open to closed today.
        let today = OffsetDateTime::now_utc().date();
        queue::close(
            &store,
            &Actor::cli(),
            item_id(&store, "INC-2").await,
            "escalated",
            "",
        )
        .await
        .unwrap();
        assert!(
            kept(&store)
                .await
                .iter()
                .any(|r| r.0 == a1 && r.1 == "2023-04-15" && r.2 == format!("{today}")),
            "{:?}",
            kept(&store).await
        );
        check(&store, teams, "closing an item").await;

        // A referral made in time for INC-3 arrives later: the refresh closes its item.
        exec(&store, "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, partner, narrative, imported_at, updated_at)
             VALUES ('PPN-3', 'INC-3', '2024-03-03T12:00:00', 'child', 'Neglect', 'CSC', '', '2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z')").await;
        let refreshed = queue::refresh(&store, OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!(refreshed.closed_in_time, 1);
        check(&store, teams, "a refresh closing an item in time").await;

        // Reopened by hand, then every item re-dated by one statement.
        exec(&store, "UPDATE missing_referrals SET outcome = NULL, closed_by = NULL, closed_at = NULL
             WHERE incident_id IN (SELECT id FROM incidents WHERE incident_ref IN ('INC-1', 'INC-2'))").await;
        check(&store, teams, "reopening two items").await;
        exec(
            &store,
            "UPDATE missing_referrals SET queued_at = '2023-04-15T09:00:00Z'",
        )
        .await;
        check(&store, teams, "re-dating every item at once").await;

        // A later import: INC-1 moves from A1 (team 1) to B1 (team 2) and department; INC-4
        // from B1 to A2 (same department); INC-6 gains an officer; INC-2 is imported unchanged.
        import_incidents(
            &store,
            "INC-1,01/03/2024 09:00,Domestic,North,Y,N,N,B1,CID
INC-4,04/03/2024 09:00,Domestic,North,Y,N,N,A2,CID
INC-6,06/03/2024 09:00,Domestic,North,Y,N,N,A1,Response
INC-2,02/03/2024 09:00,Domestic,North,Y,N,N,A1,Response
",
        )
        .await;
        assert_eq!(
            (
                items_of(&store, a1).await,
                items_of(&store, a2).await,
                items_of(&store, b1).await
            ),
            (2, 2, 1),
            "the items moved with their incidents' officers: {:?}",
            kept(&store).await
        );
        check(&store, teams, "incidents changing officer in an import").await;

        // Several incidents change officer in one statement, and one loses its officer.
        exec(&store, &format!("UPDATE incidents SET officer_person_id = CASE WHEN officer_person_id = {a1} THEN {a2} ELSE {a1} END
             WHERE incident_ref IN ('INC-2', 'INC-3', 'INC-4')")).await;
        check(&store, teams, "three incidents changing officer at once").await;
        exec(
            &store,
            "UPDATE incidents SET officer_person_id = NULL WHERE incident_ref = 'INC-6'",
        )
        .await;
        check(&store, teams, "an incident losing its officer").await;

        // Items deleted by hand, one with an officer and one without.
        exec(&store, "DELETE FROM missing_referrals WHERE incident_id IN (SELECT id FROM incidents WHERE incident_ref IN ('INC-1', 'INC-6'))").await;
        check(&store, teams, "deleting two items").await;
        assert_eq!(items_of(&store, b1).await, 0, "INC-1 was B1's only item");
    });
}
