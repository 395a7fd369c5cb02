//! Reads that must not slow down as one person's records grow (the soak benchmark writes CPD for
//! one person all the time, and reads a record over and over), and SQLite's write-ahead log kept
//! from growing without end. Every test on SQLite and on PostgreSQL.

use mashboard_domain::people::PersonDraft;
use mashboard_domain::reminders::build_digests;
use mashboard_store::audit_trail::{self, Actor, Event};
use mashboard_store::training::cpd;
use mashboard_store::{people, reminders, wal, Backend, Store};
use time::macros::date;

async fn add_person(store: &Store, sn: &str, name: &str, lm: &str) -> i64 {
    let input = PersonDraft {
        staff_number: sn.into(),
        name: name.into(),
        line_manager_staff_number: lm.into(),
        ..Default::default()
    }
    .validate()
    .unwrap();
    people::create(store, &Actor::system(), &input)
        .await
        .unwrap()
        .id
}

async fn log_cpd(store: &Store, person_id: i64) -> i64 {
    cpd::log(
        store,
        &Actor::system(),
        &cpd::NewCpd {
            person_id,
            topic: "Reading".into(),
            done_on: "2025-02-01".into(),
            minutes: 30,
            kind: "reading".into(),
            learning: "Notes".into(),
            evidence_url: String::new(),
        },
    )
    .await
    .unwrap()
    .id
}

/// SQLite's plan for a query, its lines joined.
async fn sqlite_plan(store: &Store, sql: &str) -> String {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(store.pool())
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| r.3)
        .collect::<Vec<_>>()
        .join(" / ")
}

#[tokio::test]
async fn cpd_waiting_for_verification_is_counted_per_person() {
    on_both!(|store| {
        let manager = add_person(&store, "M1", "Mo Manager", "").await;
        let sam = add_person(&store, "S1", "Sam Soak", "M1").await;
        let tia = add_person(&store, "T1", "Tia Two", "M1").await;
        let mut sams = Vec::new();
        for _ in 0..5 {
            sams.push(log_cpd(&store, sam).await);
        }
        log_cpd(&store, tia).await;
        cpd::review(&store, &Actor::system(), Some(manager), sams[0], true, "")
            .await
            .unwrap();

        let inputs = reminders::gather(&store, date!(2025 - 03 - 03))
            .await
            .unwrap();
        // One line per person, however many entries wait; the verified one is not counted.
        assert_eq!(inputs.submitted_cpd, vec![(sam, 4), (tia, 1)]);
        let digests = build_digests(&inputs);
        let mo = digests
            .iter()
            .find(|d| d.recipient.person_id == manager)
            .unwrap();
        let lines: Vec<(&str, usize)> = mo
            .cpd
            .iter()
            .map(|l| (l.person_name.as_str(), l.entries))
            .collect();
        assert_eq!(lines, vec![("Sam Soak", 4), ("Tia Two", 1)]);
        assert_eq!(mo.counts().cpd_to_verify, 5);

        if store.backend() == Backend::Sqlite {
            let plan = sqlite_plan(
                &store,
                "SELECT e.person_id, COUNT(*) FROM cpd_entries e JOIN people p ON p.id = e.person_id
                 WHERE e.status = 'submitted' AND p.active = 1 GROUP BY e.person_id ORDER BY e.person_id",
            )
            .await;
            assert!(
                plan.contains("COVERING INDEX cpd_entries_status_person"),
                "the count reads the index alone: {plan}"
            );
        }
    });
}

#[tokio::test]
async fn a_record_history_reads_its_changes_not_its_views() {
    on_both!(|store| {
        add_person(&store, "S1", "Sam Soak", "").await;
        let reader = Actor::system();
        for _ in 0..40 {
            audit_trail::record(
                &store,
                &reader,
                Event::new("person.view", "Viewed the record of S1").on("person", "S1"),
            )
            .await
            .unwrap();
        }
        let changes = audit_trail::changes_to(&store, "person", "S1")
            .await
            .unwrap();
        let actions: Vec<&str> = changes.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["person.create"]);

        if store.backend() == Backend::Sqlite {
            let plan = sqlite_plan(
                &store,
                "SELECT id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json
                 FROM audit_events WHERE entity = 'person' AND entity_key = 'S1' AND action NOT LIKE '%.view'
                 ORDER BY id",
            )
            .await;
            assert!(
                plan.contains("audit_events_changes"),
                "the history reads the index of changes, not every view: {plan}"
            );
        }
    });
}

#[tokio::test]
async fn a_grown_write_ahead_log_is_emptied_and_nothing_is_lost() {
    on_both!(|store| {
        sqlx::query("CREATE TABLE soak_filler (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
            .execute(store.pool())
            .await
            .unwrap();
        // About 2 MB of writes, each its own commit: on SQLite the log grows past 1 MB.
        let body = "x".repeat(2000);
        for id in 0..1000_i64 {
            sqlx::query("INSERT INTO soak_filler (id, body) VALUES ($1, $2)")
                .bind(id)
                .bind(&body)
                .execute(store.pool())
                .await
                .unwrap();
        }
        let limit = 1024 * 1024;
        match store.backend() {
            Backend::Sqlite => {
                assert!(
                    wal::log_bytes(&store) > limit,
                    "the log grew: {}",
                    wal::log_bytes(&store)
                );
                // Below the limit nothing happens.
                assert!(!wal::keep_small(&store, u64::MAX).await.unwrap());
                assert!(wal::log_bytes(&store) > limit);
                assert!(wal::keep_small(&store, limit).await.unwrap());
                assert_eq!(wal::log_bytes(&store), 0, "the log was emptied");
            }
            Backend::Postgres => {
                assert_eq!(wal::log_bytes(&store), 0);
                assert!(!wal::keep_small(&store, 0).await.unwrap());
            }
        }
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM soak_filler")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(n, 1000);
    });
}

/// Steady overlapping reads (what the server sees under load) keep SQLite's own checkpoint from
/// ever starting the log again; the keeper running beside them holds it near its limit.
#[tokio::test]
async fn steady_readers_cannot_make_the_log_grow_without_end() {
    on_both!(|store| {
        if store.backend() != Backend::Sqlite {
            // PostgreSQL manages its own log: the keeper ends at once.
            tokio::time::timeout(
                std::time::Duration::from_secs(5),
                wal::keep_small_every(store.clone(), 0, std::time::Duration::from_millis(1)),
            )
            .await
            .expect("the keeper has nothing to do on PostgreSQL");
            continue;
        }
        sqlx::query("CREATE TABLE soak_filler (id BIGINT PRIMARY KEY, body TEXT NOT NULL)")
            .execute(store.pool())
            .await
            .unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Four readers, each always inside a read transaction, staggered so that one is always
        // reading an older snapshot (without the keeper the log passes 16 MB here).
        let mut readers = Vec::new();
        for k in 0..4 {
            let (store, stop) = (store.clone(), stop.clone());
            readers.push(tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(k * 2)).await;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut tx = store.pool().begin().await.unwrap();
                    let _: i64 =
                        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM soak_filler")
                            .fetch_one(&mut *tx)
                            .await
                            .unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(8)).await;
                    tx.commit().await.unwrap();
                }
            }));
        }
        let limit = 2 * 1024 * 1024;
        let keeper = tokio::spawn(wal::keep_small_every(
            store.clone(),
            limit,
            std::time::Duration::from_millis(10),
        ));
        let body = "x".repeat(4000);
        let mut largest = 0;
        let mut slowest = std::time::Duration::ZERO;
        for id in 0..3000_i64 {
            let started = std::time::Instant::now();
            // Every write succeeds: the keeper never holds writers past their busy timeout
            // (it once did, for ten seconds, when overlapping reads kept it waiting).
            sqlx::query("INSERT INTO soak_filler (id, body) VALUES ($1, $2)")
                .bind(id)
                .bind(&body)
                .execute(store.pool())
                .await
                .unwrap_or_else(|e| panic!("insert {id} failed beside the keeper: {e}"));
            slowest = slowest.max(started.elapsed());
            largest = largest.max(wal::log_bytes(&store));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            r.await.unwrap();
        }
        keeper.abort();
        eprintln!("the log reached {largest} bytes at most; the slowest insert took {slowest:?}");
        // About 12 MB was written; the log stays within a few times its limit (what is written
        // between two looks) instead of holding all of it.
        assert!(
            largest < 4 * limit,
            "the log reached {largest} bytes with a limit of {limit}"
        );
    });
}
