//! Sample draws by position (method 2) and the draws made before it (method 1), for audits and
//! reviews, every test on SQLite and on PostgreSQL: a draw re-draws to exactly its recorded
//! sample by the method it was drawn with, and a draw recorded before migration 18 (no method
//! written, so method 1) still re-draws to the sample the old code drew.

use mashboard_domain::audits::Period;
use mashboard_domain::people::StaffNumber;
use mashboard_domain::sampling::{self, FrameItem};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::audits::{self, NewAudit};
use mashboard_store::reviews::{self, NewReview, Strata};
use mashboard_store::{now_text, Store};
use std::collections::BTreeMap;
use time::macros::date;

/// 600 incidents over February and March 2025 (references not in time order), one outside.
async fn incidents(store: &Store) {
    let now = now_text();
    let mut tx = store.begin().await.unwrap();
    for i in 0..600u32 {
        // References run against time for some rows, so the two methods' orders differ.
        let at = format!(
            "2025-0{}-{:02}T{:02}:{:02}:00",
            2 + i % 2,
            1 + (i * 7) % 28,
            (i * 13) % 24,
            i % 60
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
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, imported_at, updated_at) VALUES ('INC-OUT', '2025-04-01T00:00:00', $1, $1)",
    )
    .bind(&now)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// 400 referrals submitted in January 2025, a quarter about adults, partners in three strata.
async fn referrals(store: &Store) {
    let now = now_text();
    let mut tx = store.begin().await.unwrap();
    for i in 0..400u32 {
        sqlx::query(
            "INSERT INTO referrals (referral_ref, submitted_at, subject_type, partner, imported_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(format!("REF-{:05}", (i * 7919) % 10007))
        .bind(format!("2025-01-{:02}T{:02}:00:00", 1 + (i * 11) % 31, i % 24))
        .bind(if i % 4 == 0 { "adult" } else { "child" })
        .bind(["Health", "Education", "Children's Services"][(i % 3) as usize])
        .bind(&now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn trainer(store: &Store) -> (Actor, i64) {
    let a = accounts::create(
        store,
        &Actor::system(),
        NewAccount {
            username: "trainer",
            roles: &[Role::MashTrainer],
            staff_number: None::<&StaffNumber>,
            password: None,
        },
    )
    .await
    .unwrap();
    (Actor::user(a.id, &a.username), a.id)
}

fn new_audit(owner: i64, size: u64, seed: u64) -> NewAudit {
    NewAudit {
        title: String::new(),
        period: Period::new(date!(2025 - 02 - 01), date!(2025 - 03 - 31)).unwrap(),
        sample_size: size,
        seed: Some(seed),
        owner_user_id: owner,
    }
}

/// `sql`'s rows (id, reference, stratum).
async fn rows(store: &Store, sql: &str) -> Vec<(i64, String, String)> {
    sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap()
}

#[tokio::test]
async fn an_audit_drawn_by_position_re_draws_to_the_same_sample_and_anyone_can_check_it() {
    on_both!(|store| {
        incidents(&store).await;
        let (actor, owner) = trainer(&store).await;
        let a = audits::create(&store, &actor, &new_audit(owner, 200, 20260401))
            .await
            .unwrap();
        assert_eq!(a.frame_size, 600);
        let mut distinct = a.sample.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 200, "200 different incidents");
        assert!(!a.sample.contains(&"INC-OUT".to_string()));
        let method: i64 =
            sqlx::query_scalar("SELECT method FROM compliance_audit_draws WHERE audit_id = $1")
                .bind(a.audit_id)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(method, 2, "new draws record method 2");
        assert_eq!(
            audits::sample_again(&store, a.audit_id, 1).await.unwrap(),
            a.sample
        );
        // By hand: the frame in (reported time, reference) order, positions from the seed.
        let frame = rows(
            &store,
            "SELECT id, incident_ref, '' FROM incidents
             WHERE reported_at >= '2025-02-01' AND reported_at < '2025-04-01'
             ORDER BY reported_at, incident_ref",
        )
        .await;
        let by_hand: Vec<String> = sampling::positions(frame.len(), 200, 20260401)
            .unwrap()
            .into_iter()
            .map(|p| frame[p].1.clone())
            .collect();
        assert_eq!(a.sample, by_hand);
        // A redraw with another seed is its own draw, and each re-draws to itself.
        let b = audits::redraw(
            &store,
            &actor,
            &audits::Viewer {
                user_id: owner,
                sees_all: true,
            },
            a.audit_id,
            "wrong period",
            Some(5),
        )
        .await
        .unwrap();
        assert_ne!(b.sample, a.sample);
        assert_eq!(
            audits::sample_again(&store, a.audit_id, 2).await.unwrap(),
            b.sample
        );
        assert_eq!(
            audits::sample_again(&store, a.audit_id, 1).await.unwrap(),
            a.sample
        );
    });
}

#[tokio::test]
async fn an_audit_drawn_before_migration_18_still_re_draws_to_its_old_sample() {
    on_both!(|store| {
        incidents(&store).await;
        let (actor, owner) = trainer(&store).await;
        let new = audits::create(&store, &actor, &new_audit(owner, 30, 77))
            .await
            .unwrap();
        // What the old code recorded: the frame in reference order, `sampling::draw`, and a draw
        // row written without a method (so the column's default, 1).
        let frame = rows(
            &store,
            "SELECT id, incident_ref, '' FROM incidents
             WHERE reported_at >= '2025-02-01' AND reported_at < '2025-04-01'
             ORDER BY incident_ref",
        )
        .await;
        let items: Vec<FrameItem<'_>> = frame
            .iter()
            .map(|(_, k, _)| FrameItem {
                key: k,
                stratum: "",
            })
            .collect();
        let old: Vec<(i64, String)> = sampling::draw(&items, 30, 77)
            .unwrap()
            .into_iter()
            .map(|d| (frame[d.index].0, frame[d.index].1.clone()))
            .collect();
        let draw_id: i64 = sqlx::query_scalar(
            "INSERT INTO compliance_audit_draws (audit_id, draw_no, seed, frame_size, reason, drawn_by, drawn_at)
             VALUES ($1, 2, '77', 600, 'drawn by the old code', 'trainer', $2) RETURNING id",
        )
        .bind(new.audit_id)
        .bind(now_text())
        .fetch_one(store.pool())
        .await
        .unwrap();
        for (i, (id, _)) in old.iter().enumerate() {
            sqlx::query(
                "INSERT INTO compliance_audit_sample (draw_id, position, incident_id) VALUES ($1, $2, $3)",
            )
            .bind(draw_id)
            .bind(i as i64 + 1)
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
        }
        let old_refs: Vec<String> = old.into_iter().map(|(_, r)| r).collect();
        assert_ne!(
            old_refs, new.sample,
            "the two methods order the frame differently, so this test can tell them apart"
        );
        assert_eq!(
            audits::sample_again(&store, new.audit_id, 2).await.unwrap(),
            old_refs,
            "the old draw re-draws by the old method"
        );
        assert_eq!(
            audits::current_sample_refs(
                &store,
                &audits::get(
                    &store,
                    &audits::Viewer {
                        user_id: owner,
                        sees_all: true
                    },
                    new.audit_id
                )
                .await
                .unwrap()
                .unwrap()
            )
            .await
            .unwrap(),
            old_refs
        );
        assert_eq!(
            audits::sample_again(&store, new.audit_id, 1).await.unwrap(),
            new.sample
        );
    });
}

fn new_review(strata: Strata, size: usize, seed: u64) -> NewReview {
    NewReview {
        title: String::new(),
        period_start: "2025-01-01".into(),
        period_end: "2025-01-31".into(),
        sample_size: size,
        strata,
        seed: Some(seed),
    }
}

#[tokio::test]
async fn a_stratified_review_drawn_by_position_follows_the_allocation_and_re_draws_the_same() {
    on_both!(|store| {
        referrals(&store).await;
        let (actor, owner) = trainer(&store).await;
        assert_eq!(
            reviews::frame_size(&store, "2025-01-01", "2025-01-31")
                .await
                .unwrap(),
            400
        );
        for strata in [Strata::None, Strata::SubjectType, Strata::Partner] {
            let r = reviews::create(&store, &actor, owner, &new_review(strata, 40, 9))
                .await
                .unwrap();
            assert_eq!(r.frame_size, 400);
            let mut distinct = r.sample.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 40);
            assert_eq!(
                reviews::sample_again(&store, r.review_id, 1).await.unwrap(),
                r.sample,
                "{strata:?}"
            );
            if strata == Strata::SubjectType {
                // 100 adults, 300 children: 10 and 30; within each, positions in
                // (submitted time, reference) order.
                let frame = rows(
                    &store,
                    "SELECT id, referral_ref, subject_type FROM referrals ORDER BY submitted_at, referral_ref",
                )
                .await;
                let sizes: BTreeMap<String, usize> =
                    [("adult".to_string(), 100), ("child".to_string(), 300)].into();
                let by_hand: Vec<String> = sampling::stratified_positions(&sizes, 40, 9)
                    .unwrap()
                    .into_iter()
                    .map(|(s, p)| {
                        frame
                            .iter()
                            .filter(|(_, _, st)| *st == s)
                            .nth(p)
                            .unwrap()
                            .1
                            .clone()
                    })
                    .collect();
                assert_eq!(r.sample, by_hand);
                let strata_drawn: Vec<String> = sqlx::query_scalar(
                    "SELECT s.stratum FROM quality_review_sample s JOIN quality_review_draws d ON d.id = s.draw_id
                     WHERE d.review_id = $1 ORDER BY s.position",
                )
                .bind(r.review_id)
                .fetch_all(store.pool())
                .await
                .unwrap();
                assert_eq!(strata_drawn.iter().filter(|s| *s == "adult").count(), 10);
                assert_eq!(strata_drawn.iter().filter(|s| *s == "child").count(), 30);
            }
        }
    });
}

/// The sample rows `sql` reads for draw owner `id` (position, reference, stratum), checked to be
/// `sample` whole: positions 1, 2, … with none missing or repeated, references in draw order.
async fn kept_whole(
    store: &Store,
    sql: &str,
    id: i64,
    sample: &[String],
) -> Vec<(i64, String, String)> {
    let kept: Vec<(i64, String, String)> = sqlx::query_as(sql)
        .bind(id)
        .fetch_all(store.pool())
        .await
        .unwrap();
    let positions: Vec<i64> = kept.iter().map(|(p, _, _)| *p).collect();
    assert_eq!(positions, (1..=sample.len() as i64).collect::<Vec<_>>());
    let refs: Vec<&String> = kept.iter().map(|(_, r, _)| r).collect();
    assert_eq!(refs, sample.iter().collect::<Vec<_>>());
    kept
}

/// A sample larger than one statement's rows (200) is kept whole, in draw order, for an audit
/// and for a review (with each row's stratum).
#[tokio::test]
async fn a_sample_of_more_than_two_hundred_is_kept_whole_in_draw_order() {
    on_both!(|store| {
        incidents(&store).await;
        referrals(&store).await;
        let (actor, owner) = trainer(&store).await;
        let a = audits::create(&store, &actor, &new_audit(owner, 450, 31))
            .await
            .unwrap();
        assert_eq!(a.sample.len(), 450);
        kept_whole(
            &store,
            "SELECT s.position, i.incident_ref, '' FROM compliance_audit_sample s
             JOIN compliance_audit_draws d ON d.id = s.draw_id JOIN incidents i ON i.id = s.incident_id
             WHERE d.audit_id = $1 ORDER BY s.position",
            a.audit_id,
            &a.sample,
        )
        .await;

        let r = reviews::create(&store, &actor, owner, &new_review(Strata::Partner, 250, 31))
            .await
            .unwrap();
        assert_eq!(r.sample.len(), 250);
        let kept = kept_whole(
            &store,
            "SELECT s.position, f.referral_ref, s.stratum FROM quality_review_sample s
             JOIN quality_review_draws d ON d.id = s.draw_id JOIN referrals f ON f.id = s.referral_id
             WHERE d.review_id = $1 ORDER BY s.position",
            r.review_id,
            &r.sample,
        )
        .await;
        // Each row keeps its own stratum: its referral's partner.
        let partner: BTreeMap<String, String> =
            rows(&store, "SELECT id, referral_ref, partner FROM referrals")
                .await
                .into_iter()
                .map(|(_, r, p)| (r, p))
                .collect();
        assert!(kept.iter().all(|(_, r, s)| partner[r] == *s));
    });
}

#[tokio::test]
async fn a_stratified_review_drawn_before_migration_18_still_re_draws_to_its_old_sample() {
    on_both!(|store| {
        referrals(&store).await;
        let (actor, owner) = trainer(&store).await;
        let r = reviews::create(&store, &actor, owner, &new_review(Strata::Partner, 25, 3))
            .await
            .unwrap();
        let frame = rows(
            &store,
            "SELECT id, referral_ref, partner FROM referrals ORDER BY referral_ref",
        )
        .await;
        let items: Vec<FrameItem<'_>> = frame
            .iter()
            .map(|(_, k, s)| FrameItem { key: k, stratum: s })
            .collect();
        let old: Vec<String> = sampling::draw_stratified(&items, 25, 3)
            .unwrap()
            .into_iter()
            .map(|d| frame[d.index].1.clone())
            .collect();
        assert_ne!(old, r.sample, "the methods differ on this frame");
        sqlx::query(
            "INSERT INTO quality_review_draws (review_id, draw_no, seed, frame_size, reason, drawn_by, drawn_at)
             VALUES ($1, 2, '3', 400, 'drawn by the old code', 'trainer', $2)",
        )
        .bind(r.review_id)
        .bind(now_text())
        .execute(store.pool())
        .await
        .unwrap();
        assert_eq!(
            reviews::sample_again(&store, r.review_id, 2).await.unwrap(),
            old
        );
        assert_eq!(
            reviews::sample_again(&store, r.review_id, 1).await.unwrap(),
            r.sample
        );
    });
}
