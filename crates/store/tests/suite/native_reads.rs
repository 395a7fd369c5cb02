//! The people list's page and count (`people::page_and_count`), read on native connections
//! beside the generic pool: they must show exactly what the generic driver shows (the offset
//! reads of `people::search`, every field the list holds), see every change committed before
//! them through the pool, and fail, not hang, once the store is closed. On both databases.

use mashboard_domain::access::PeopleScope;
use mashboard_domain::people::PersonDraft;
use mashboard_store::audit_trail::Actor;
use mashboard_store::keyset::PageStart;
use mashboard_store::people::{self, ListedPerson, PeopleQuery, Person, Status};
use mashboard_store::Store;

/// 9 people; the first three manage and mentor the rest, two have left, one name holds `%`.
async fn directory(store: &Store) {
    let rows: Vec<(usize, _)> = (0..9)
        .map(|i| {
            let draft = PersonDraft {
                staff_number: format!("N{:03}", 100 + i),
                name: if i == 4 {
                    "Ana 100% Reyes".into()
                } else {
                    format!("Person {}", (i * 5) % 9)
                },
                rank: if i % 2 == 0 { "PC" } else { "DS" }.into(),
                department: "CID".into(),
                team: format!("Team {}", i % 3),
                roles: "frontline".into(),
                line_manager_staff_number: if i >= 3 {
                    format!("N{:03}", 100 + i % 3)
                } else {
                    String::new()
                },
                mentor_staff_number: if i >= 3 {
                    format!("N{:03}", 101 + i % 2)
                } else {
                    String::new()
                },
                email: format!("p{i}@force.example"),
                ..Default::default()
            };
            (i + 2, draft.validate().unwrap())
        })
        .collect();
    people::import(store, &Actor::system(), &rows, false, "test")
        .await
        .unwrap();
    sqlx::query("UPDATE people SET active = 0 WHERE staff_number IN ('N105', 'N107')")
        .execute(store.pool())
        .await
        .unwrap();
}

/// The searches both comparisons run: everyone, the leavers, both, a literal `%`, a name and a
/// team, a rank and a role among one manager's people, and nobody's.
fn queries(manager: i64) -> Vec<(PeopleQuery, PeopleScope)> {
    let status = |status| PeopleQuery {
        status,
        ..Default::default()
    };
    vec![
        (PeopleQuery::default(), PeopleScope::All),
        (status(Status::All), PeopleScope::All),
        (status(Status::Left), PeopleScope::All),
        (
            PeopleQuery {
                search: "%".into(),
                ..Default::default()
            },
            PeopleScope::All,
        ),
        (
            PeopleQuery {
                search: "person".into(),
                team: "Team 1".into(),
                ..Default::default()
            },
            PeopleScope::All,
        ),
        (
            PeopleQuery {
                rank: "DS".into(),
                status: Status::All,
                ..Default::default()
            },
            PeopleScope::TheirPeople { person_id: manager },
        ),
        (
            PeopleQuery {
                rank: "DS".into(),
                role: "frontline".into(),
                status: Status::All,
                ..Default::default()
            },
            PeopleScope::TheirPeople { person_id: manager },
        ),
        (PeopleQuery::default(), PeopleScope::Nobody),
    ]
}

/// What the people list holds of each of `people` (its rows are [`ListedPerson`]s).
fn listed(people: &[Person]) -> Vec<ListedPerson> {
    people.iter().map(ListedPerson::from).collect()
}

#[tokio::test]
async fn people_list_reads_show_what_the_generic_driver_shows() {
    on_both!(|store| {
        directory(&store).await;
        let manager = crate::common::person_id(&store, "N101").await;
        for (q, scope) in queries(manager) {
            let (total, everyone) = people::search(&store, &q, scope, 100, 0).await.unwrap();
            let (first, count) = people::page_and_count(&store, &q, scope, &PageStart::First, 3)
                .await
                .unwrap();
            assert_eq!((count.n, count.capped), (total, false), "{q:?}");
            assert_eq!(
                first.rows,
                listed(&everyone[..everyone.len().min(3)]),
                "{q:?}"
            );
            assert_eq!(first.has_next, everyone.len() > 3, "{q:?}");
            assert!(!first.has_previous);
            if everyone.len() > 3 {
                let after = PageStart::After(everyone[2].staff_number.clone());
                let (second, _) = people::page_and_count(&store, &q, scope, &after, 3)
                    .await
                    .unwrap();
                assert_eq!(
                    second.rows,
                    listed(&everyone[3..everyone.len().min(6)]),
                    "{q:?}"
                );
                assert!(second.has_previous);
                let before = PageStart::Before(everyone[3].staff_number.clone());
                let back = people::page(&store, &q, scope, &before, 3).await.unwrap();
                assert_eq!(listed(&back.rows), first.rows, "{q:?}");
            }
        }
        // A literal percent sign finds the one name holding it, not everyone.
        let (found, n) = people::page_and_count(
            &store,
            &PeopleQuery {
                search: "100%".into(),
                ..Default::default()
            },
            PeopleScope::All,
            &PageStart::First,
            50,
        )
        .await
        .unwrap();
        let names: Vec<&str> = found.rows.iter().map(|p| p.name.as_str()).collect();
        assert_eq!((names, n.n), (vec!["Ana 100% Reyes"], 1));
        // Each row holds what the list shows of the person, as the record has it.
        let n104 = found.rows.first().unwrap();
        assert_eq!(
            (
                n104.staff_number.as_str(),
                n104.rank.as_deref(),
                n104.department.as_deref(),
                n104.team.as_deref(),
                n104.active
            ),
            ("N104", Some("PC"), Some("CID"), Some("Team 1"), true)
        );
    });
}

/// The list's rows read natively carry what the list shows as the person's record has it,
/// empty fields included: someone with no rank, department or team, and a leaver, read on the
/// native connections beside the record read through the generic pool.
#[tokio::test]
async fn people_list_rows_hold_empty_fields_and_leavers_as_the_record_does() {
    on_both!(|store| {
        directory(&store).await;
        sqlx::query(
            "UPDATE people SET rank = NULL, department = NULL, team = NULL, active = 0
             WHERE staff_number = 'N108'",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let q = PeopleQuery {
            status: Status::All,
            ..Default::default()
        };
        let (page, _) = people::page_and_count(&store, &q, PeopleScope::All, &PageStart::First, 50)
            .await
            .unwrap();
        let n108 = page
            .rows
            .iter()
            .find(|p| p.staff_number == "N108")
            .expect("the leaver is listed under either status");
        let record = people::get(&store, "N108").await.unwrap().unwrap();
        assert_eq!(*n108, ListedPerson::from(&record));
        assert_eq!(
            (
                n108.rank.as_deref(),
                n108.department.as_deref(),
                n108.team.as_deref(),
                n108.active
            ),
            (None, None, None, false)
        );
    });
}

#[tokio::test]
async fn people_list_reads_see_each_change_at_once_and_stop_when_closed() {
    on_both!(|store| {
        directory(&store).await;
        let q = PeopleQuery::default();
        for round in 0..5 {
            let name = format!("Aaron Round {round}");
            sqlx::query("UPDATE people SET name = $1 WHERE staff_number = 'N100'")
                .bind(&name)
                .execute(store.pool())
                .await
                .unwrap();
            let (page, count) =
                people::page_and_count(&store, &q, PeopleScope::All, &PageStart::First, 2)
                    .await
                    .unwrap();
            assert_eq!(page.rows[0].name, name, "a change shows in the next read");
            assert_eq!(count.n, 7);
        }
        store.close().await;
        let closed = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            people::page_and_count(&store, &q, PeopleScope::All, &PageStart::First, 2),
        )
        .await
        .expect("a read on a closed store answers at once");
        assert!(closed.is_err(), "a closed store reads nothing");
    });
}

#[tokio::test]
async fn people_list_native_reads_answer_as_the_generic_path_does_from_any_start() {
    on_both!(|store| {
        directory(&store).await;
        let manager = crate::common::person_id(&store, "N101").await;
        for (q, scope) in queries(manager) {
            let (_, everyone) = people::search(&store, &q, scope, 100, 0).await.unwrap();
            // Every place a page can start: the first page, just after and just before each
            // row (so next and previous pages, the last page and the empty page beyond it, the
            // previous page that runs back into the first), and a row that does not exist.
            let mut starts = vec![
                PageStart::First,
                PageStart::After("N999".into()),
                PageStart::Before("N999".into()),
            ];
            for p in &everyone {
                starts.push(PageStart::After(p.staff_number.clone()));
                starts.push(PageStart::Before(p.staff_number.clone()));
            }
            for start in &starts {
                for limit in [1, 2, 3, 50] {
                    let (native, n) = people::page_and_count(&store, &q, scope, start, limit)
                        .await
                        .unwrap();
                    let (generic, g) =
                        people::page_and_count_generic(&store, &q, scope, start, limit)
                            .await
                            .unwrap();
                    let at = format!("{q:?} {scope:?} {start:?} {limit}");
                    assert_eq!(native.rows, generic.rows, "{at}");
                    assert_eq!(
                        (native.has_previous, native.has_next, native.start_unknown),
                        (
                            generic.has_previous,
                            generic.has_next,
                            generic.start_unknown
                        ),
                        "{at}"
                    );
                    assert_eq!(n, g, "{at}");
                    assert_eq!(n.n, everyone.len() as i64, "{at}");
                    let alone = people::page(&store, &q, scope, start, limit).await.unwrap();
                    assert_eq!(listed(&alone.rows), generic.rows, "{at}");
                }
            }
        }
    });
}

/// Past the count's cap the native reads say "more than" it, as the generic count does: on
/// the first page (its count read with its rows) and on a page from a row already shown.
#[tokio::test]
async fn people_list_counts_stop_at_the_cap_as_the_generic_count_does() {
    on_both!(|store| {
        let n = people::COUNT_CAP + 5;
        sqlx::query(&format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})
             INSERT INTO people (staff_number, name, rank, department, team, active, created_at, updated_at)
             SELECT 'C' || CAST(i AS TEXT), 'Name ' || CAST(i AS TEXT), 'PC', 'CID', 'Team', 1,
                '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z' FROM s"
        ))
        .execute(store.pool())
        .await
        .unwrap();
        let q = PeopleQuery::default();
        let cap = mashboard_store::keyset::Count {
            n: people::COUNT_CAP,
            capped: true,
        };
        for start in [PageStart::First, PageStart::After("C77".into())] {
            let (page, count) = people::page_and_count(&store, &q, PeopleScope::All, &start, 50)
                .await
                .unwrap();
            let (generic, g) =
                people::page_and_count_generic(&store, &q, PeopleScope::All, &start, 50)
                    .await
                    .unwrap();
            assert_eq!((count, g), (cap, cap), "{start:?}");
            assert_eq!(page.rows, generic.rows, "{start:?}");
            assert_eq!(page.rows.len(), 50);
        }
    });
}
