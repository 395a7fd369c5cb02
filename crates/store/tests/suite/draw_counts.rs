//! The per-day counts that sample draws read (migration 23), every test on SQLite and on
//! PostgreSQL: a draw through the counts picks exactly the records that counting and walking
//! the whole frame picks (so every draw recorded before them re-draws the same), and the counts
//! stay true through imports, edits, upserts and deletes, whoever makes them.

use crate::common::fixture;
use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_store::audit_trail::Actor;
use mashboard_store::register;
use mashboard_store::reviews::Strata;
use mashboard_store::testing::{draw_both_ways, DrawFrame};
use mashboard_store::{now_text, Store};

/// Rows of `sql` as (day, stratum, n), sorted in byte order, zero counts left out.
async fn table(store: &Store, sql: &str) -> Vec<(String, String, i64)> {
    let mut rows: Vec<(String, String, i64)> =
        sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap();
    assert!(
        rows.iter().all(|(_, _, n)| *n >= 0),
        "no count below zero: {rows:?}"
    );
    rows.retain(|(_, _, n)| *n != 0);
    rows.sort();
    rows
}

/// Each count table holds what counting the register itself gives.
async fn assert_counts_true(store: &Store, when: &str) {
    let pairs = [
        (
            "SELECT day, '', CAST(n AS BIGINT) FROM incident_day_counts",
            "SELECT substr(reported_at, 1, 10), '', CAST(COUNT(*) AS BIGINT) FROM incidents GROUP BY 1",
        ),
        (
            "SELECT day, subject_type, CAST(n AS BIGINT) FROM referral_day_subject_counts",
            "SELECT substr(submitted_at, 1, 10), subject_type, CAST(COUNT(*) AS BIGINT) FROM referrals GROUP BY 1, 2",
        ),
        (
            "SELECT day, partner, CAST(n AS BIGINT) FROM referral_day_partner_counts",
            "SELECT substr(submitted_at, 1, 10), partner, CAST(COUNT(*) AS BIGINT) FROM referrals GROUP BY 1, 2",
        ),
    ];
    for (kept, counted) in pairs {
        assert_eq!(
            table(store, kept).await,
            table(store, counted).await,
            "{when}: {kept}"
        );
    }
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

/// 700 incidents from February to April 2025, days of very different sizes, references not in
/// time order, ties in time, and a few times in other forms (no time, a space, seconds only).
async fn incidents(store: &Store) {
    let now = now_text();
    let mut tx = store.begin().await.unwrap();
    for i in 0..700u32 {
        let day = (i * i) % 75;
        let at = format!(
            "2025-{:02}-{:02}T{:02}:{:02}:00",
            2 + day / 28,
            1 + day % 28,
            (i * 37) % 24,
            (i % 3) * 20
        );
        sqlx::query(
            "INSERT INTO incidents (incident_ref, reported_at, imported_at, updated_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(format!("INC-{:05}", (i * 7919) % 10007))
        .bind(at)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for (r, at) in [
        ("ODD-1", "2025-03-05"),
        ("ODD-2", "2025-03-05 07:00"),
        ("ODD-3", "2025-03-05T07:00"),
        ("ODD-4", "2025-04-30T23:59:59"),
        ("ODD-5", "2025-05-01T00:00:00"),
        ("ODD-6", "2025-01-31T23:59:59"),
    ] {
        sqlx::query(
            "INSERT INTO incidents (incident_ref, reported_at, imported_at, updated_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(r)
        .bind(at)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// 500 referrals in January and February 2025: a fifth about adults, partners in four strata.
async fn referrals(store: &Store) {
    let now = now_text();
    let mut tx = store.begin().await.unwrap();
    for i in 0..500u32 {
        let day = (i * 13 + i * i) % 45;
        sqlx::query(
            "INSERT INTO referrals (referral_ref, submitted_at, subject_type, partner, imported_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(format!("REF-{:05}", (i * 7919) % 10007))
        .bind(format!(
            "2025-{:02}-{:02}T{:02}:00:00",
            1 + day / 28,
            1 + day % 28,
            i % 24
        ))
        .bind(if i % 5 == 0 { "adult" } else { "child" })
        .bind(["Health", "Education", "Children's social care", "Ärzte"][(i % 4) as usize])
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Draws of several sizes and seeds over several periods, each made both ways, must agree.
async fn assert_draws_agree(store: &Store, when: &str) {
    let incident_periods = [
        ("2025-02-01", "2025-05-01"),
        ("2025-03-05", "2025-03-06"),
        ("2025-02-10", "2025-04-01"),
        ("2025-01-01", "2026-01-01"),
        ("2025-04-30", "2025-05-02"),
    ];
    let referral_periods = [("2025-01-01", "2025-03-01"), ("2025-01-20", "2025-02-03")];
    let mut cases: Vec<(DrawFrame, &str, &str)> = incident_periods
        .iter()
        .map(|&(f, b)| (DrawFrame::Incidents, f, b))
        .collect();
    for strata in [
        Strata::None,
        Strata::SubjectType,
        Strata::Partner,
        Strata::Department,
    ] {
        for &(f, b) in &referral_periods {
            cases.push((DrawFrame::Referrals(strata), f, b));
        }
    }
    for (frame, from, before) in cases {
        for seed in [0u64, 1, 7, 20260401, u64::MAX] {
            for size in [1usize, 5, 40, 200] {
                let both = draw_both_ways(store, frame, from, before, size, seed).await;
                match both {
                    Ok([counts, scan]) => {
                        assert_eq!(
                            counts, scan,
                            "{when}: {frame:?} {from}..{before} size {size} seed {seed}"
                        );
                        assert_eq!(counts.1.len(), size);
                    }
                    // A sample larger than its frame is refused, whichever way it is drawn.
                    Err(e) => assert!(
                        e.to_string().contains("larger than"),
                        "{when}: {frame:?} {from}..{before} size {size}: {e}"
                    ),
                }
            }
        }
    }
}

#[tokio::test]
async fn a_draw_through_the_day_counts_picks_what_walking_the_whole_frame_picks() {
    on_both!(|store| {
        incidents(&store).await;
        referrals(&store).await;
        assert_counts_true(&store, "after loading").await;
        assert_draws_agree(&store, "after loading").await;
        // The whole of February to April: every incident but those outside it.
        let [(frame, _), _] = draw_both_ways(
            &store,
            DrawFrame::Incidents,
            "2025-02-01",
            "2025-05-01",
            1,
            3,
        )
        .await
        .unwrap();
        assert_eq!(frame, 704);
        // A period whose days are not whole days is drawn the old way, with the same result.
        let [counts, scan] = draw_both_ways(
            &store,
            DrawFrame::Incidents,
            "2025-03-05T07:00",
            "2025-03-20",
            20,
            9,
        )
        .await
        .unwrap();
        assert_eq!(counts, scan);
    });
}

#[tokio::test]
async fn the_day_counts_stay_true_after_imports_edits_and_deletes() {
    on_both!(|store| {
        incidents(&store).await;
        referrals(&store).await;
        // An import creates rows, then changes one incident's day.
        let import = |kind: RegisterKind, bytes: Vec<u8>| {
            let store = &store;
            async move {
                let reader = RegisterReader::new(kind, std::io::Cursor::new(bytes)).unwrap();
                let report = register::import(store, &Actor::system(), reader, "t.csv", false)
                    .await
                    .unwrap();
                assert!(!report.rejected(), "{:?}", report.errors);
                report
            }
        };
        let file = fixture("register/incidents-messy.csv");
        import(RegisterKind::Incidents, file.clone()).await;
        import(
            RegisterKind::Referrals,
            fixture("register/referrals-1252.csv"),
        )
        .await;
        assert_counts_true(&store, "after importing").await;
        let moved = String::from_utf8(file)
            .unwrap()
            .replace("2024-01-06 14:05", "2025-03-05 14:05");
        let report = import(RegisterKind::Incidents, moved.into_bytes()).await;
        assert_eq!(report.updated, 1);
        let day: i64 = sqlx::query_scalar(
            "SELECT CAST(n AS BIGINT) FROM incident_day_counts WHERE day = '2024-01-06'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(day, 0, "the incident left its old day");
        assert_counts_true(&store, "after an import moved an incident").await;
        assert_draws_agree(&store, "after importing").await;

        // Edits by hand: a day, a subject type, a partner; an edit that changes no day.
        exec(&store, "UPDATE incidents SET reported_at = '2025-04-02T10:00:00' WHERE incident_ref IN ('INC-00000', 'ODD-1', 'ODD-2')").await;
        exec(
            &store,
            "UPDATE incidents SET category = 'Edited' WHERE reported_at < '2025-03-01'",
        )
        .await;
        exec(
            &store,
            "UPDATE referrals SET subject_type = 'adult' WHERE referral_ref < 'REF-02000'",
        )
        .await;
        exec(&store, "UPDATE referrals SET partner = 'Police', submitted_at = '2025-01-02T00:00:00' WHERE referral_ref > 'REF-09000'").await;
        assert_counts_true(&store, "after edits").await;
        // An upsert that both inserts and moves rows, and a multi-row insert.
        exec(
            &store,
            "INSERT INTO incidents (incident_ref, reported_at, imported_at, updated_at) VALUES
                ('INC-00001', '2025-02-14T12:00:00', 'x', 'x'),
                ('UPS-1', '2025-02-14T12:00:00', 'x', 'x'),
                ('UPS-2', '2025-02-15T12:00:00', 'x', 'x')
             ON CONFLICT (incident_ref) DO UPDATE SET reported_at = excluded.reported_at",
        )
        .await;
        assert_counts_true(&store, "after an upsert").await;
        // Deletes: some, then a whole day, then every referral of one partner (nothing refers
        // to these: no audit or review has been drawn, and the queue is emptied first).
        exec(
            &store,
            "DELETE FROM incidents WHERE incident_ref LIKE 'INC-0%' AND reported_at < '2025-03-01'",
        )
        .await;
        exec(&store, "DELETE FROM incidents WHERE reported_at >= '2025-03-05' AND reported_at < '2025-03-06'").await;
        exec(&store, "DELETE FROM missing_referrals").await;
        exec(&store, "DELETE FROM referrals WHERE partner = 'Education'").await;
        assert_counts_true(&store, "after deletes").await;
        assert_draws_agree(&store, "after edits and deletes").await;
        // A draw in the transaction that changed the register sees the change.
        let mut tx = store.begin().await.unwrap();
        sqlx::query("DELETE FROM incidents WHERE reported_at >= '2025-02-01' AND reported_at < '2025-03-01'")
            .execute(&mut *tx)
            .await
            .unwrap();
        let left: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM incident_day_counts WHERE day >= '2025-02-01' AND day < '2025-03-01'",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        assert_eq!(left, 0);
        tx.rollback().await.unwrap();
        assert_counts_true(&store, "after a rolled-back delete").await;
    });
}
