//! Compliance audits storage, every test on SQLite and on PostgreSQL: reproducible samples over
//! the period's incidents, refusals that write nothing, who may record findings, redraws, and
//! the counts the roll-ups are made of.

use crate::common::count;
use mashboard_domain::audits::{Finding, Period, RequiredReason};
use mashboard_domain::people::StaffNumber;
use mashboard_domain::sampling;
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::audits::{self, AuditError, FindingInput, NewAudit, Viewer};
use mashboard_store::{now_text, Store};
use time::macros::date;

async fn incident(store: &Store, reference: &str, reported_at: &str, children: bool) {
    let now = now_text();
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, adult_at_risk,
            domestic_abuse, officer_staff_number, department, imported_at, updated_at)
         VALUES ($1, $2, 'Domestic', 'North', $3, 0, 1, 'PC1', 'Response', $4, $4)",
    )
    .bind(reference)
    .bind(reported_at)
    .bind(i64::from(children))
    .bind(&now)
    .execute(store.pool())
    .await
    .unwrap();
}

async fn referral(store: &Store, reference: &str, incident_ref: &str, submitted_at: &str) {
    let now = now_text();
    sqlx::query(
        "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, imported_at, updated_at)
         VALUES ($1, $2, $3, 'child', $4, $4)",
    )
    .bind(reference)
    .bind(incident_ref)
    .bind(submitted_at)
    .bind(&now)
    .execute(store.pool())
    .await
    .unwrap();
}

/// 50 incidents reported in February and March 2025 (the first at midnight on 1 February, the
/// last a second before midnight on 31 March), and one either side of the period.
async fn february_and_march(store: &Store) -> Vec<String> {
    let mut refs = Vec::new();
    for i in 0..50 {
        let r = format!("INC-25-{:04}", 50 - i); // inserted out of key order on purpose
        let at = match i {
            0 => "2025-02-01T00:00:00".to_string(),
            1 => "2025-03-31T23:59:59".to_string(),
            _ => format!("2025-0{}-{:02}T10:{:02}:00", 2 + (i % 2), 1 + i % 28, i),
        };
        incident(store, &r, &at, i % 3 == 0).await;
        refs.push(r);
    }
    incident(store, "INC-BEFORE", "2025-01-31T23:59:59", true).await;
    incident(store, "INC-AFTER", "2025-04-01T00:00:00", true).await;
    refs.sort();
    refs
}

struct Users {
    trainer: (Actor, Viewer),
    auditor: (Actor, Viewer),
    other_auditor: (Actor, Viewer),
    admin: (Actor, Viewer),
}

async fn users(store: &Store) -> Users {
    let mut made = Vec::new();
    for (name, role) in [
        ("trainer", Role::MashTrainer),
        ("auditor", Role::Auditor),
        ("auditor2", Role::Auditor),
        ("admin", Role::Administrator),
    ] {
        let a = accounts::create(
            store,
            &Actor::system(),
            NewAccount {
                username: name,
                roles: &[role],
                staff_number: None::<&StaffNumber>,
                password: None,
            },
        )
        .await
        .unwrap();
        made.push((
            Actor::user(a.id, &a.username),
            Viewer {
                user_id: a.id,
                sees_all: mashboard_domain::audits::sees_all_audits(&a.roles),
            },
        ));
    }
    let mut it = made.into_iter();
    Users {
        trainer: it.next().unwrap(),
        auditor: it.next().unwrap(),
        other_auditor: it.next().unwrap(),
        admin: it.next().unwrap(),
    }
}

fn period() -> Period {
    Period::new(date!(2025 - 02 - 01), date!(2025 - 03 - 31)).unwrap()
}

fn new_audit(owner: i64, size: u64, seed: Option<u64>) -> NewAudit {
    NewAudit {
        title: String::new(),
        period: period(),
        sample_size: size,
        seed,
        owner_user_id: owner,
    }
}

fn required(reason: RequiredReason, completed: bool) -> Finding {
    Finding {
        form_required: true,
        required_reason: Some(reason),
        form_completed: completed,
        on_time: completed.then_some(true),
    }
}

fn not_required(completed: bool) -> Finding {
    Finding {
        form_required: false,
        required_reason: None,
        form_completed: completed,
        on_time: None,
    }
}

fn input(reference: &str, finding: Finding) -> FindingInput {
    FindingInput {
        incident_ref: reference.into(),
        finding,
        note: String::new(),
    }
}

async fn counts(store: &Store) -> [i64; 5] {
    [
        count(store, "compliance_audits").await,
        count(store, "compliance_audit_draws").await,
        count(store, "compliance_audit_sample").await,
        count(store, "compliance_findings").await,
        count(store, "audit_events").await,
    ]
}

#[tokio::test]
async fn the_same_seed_over_the_same_period_gives_the_same_sample() {
    on_both!(|store| {
        let refs = february_and_march(&store).await;
        let u = users(&store).await;
        let (actor, viewer) = &u.auditor;
        let a = audits::create(
            &store,
            actor,
            &new_audit(viewer.user_id, 10, Some(20260401)),
        )
        .await
        .unwrap();
        assert_eq!(
            a.frame_size, 50,
            "both ends of the period are in, nothing outside"
        );
        assert_eq!(a.seed, 20260401);
        assert_eq!(a.sample.len(), 10);
        assert!(!a
            .sample
            .iter()
            .any(|r| r == "INC-BEFORE" || r == "INC-AFTER"));
        // Anyone can re-draw it by hand: the frame in (reported time, reference) order, the
        // recorded seed.
        let in_time_order: Vec<String> = sqlx::query_scalar(
            "SELECT incident_ref FROM incidents
             WHERE reported_at >= '2025-02-01' AND reported_at < '2025-04-01'
             ORDER BY reported_at, incident_ref",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let mut same_refs = in_time_order.clone();
        same_refs.sort();
        assert_eq!(same_refs, refs);
        let by_hand: Vec<String> = sampling::positions(in_time_order.len(), 10, 20260401)
            .unwrap()
            .into_iter()
            .map(|p| in_time_order[p].clone())
            .collect();
        assert_eq!(a.sample, by_hand);
        let again = audits::create(
            &store,
            actor,
            &new_audit(viewer.user_id, 10, Some(20260401)),
        )
        .await
        .unwrap();
        assert_ne!(again.audit_id, a.audit_id);
        assert_eq!(again.sample, a.sample);
        let other = audits::create(&store, actor, &new_audit(viewer.user_id, 10, Some(7)))
            .await
            .unwrap();
        assert_ne!(other.sample, a.sample, "another seed, another sample");
        // No seed: a random one, recorded so the draw can be checked later.
        let random = audits::create(&store, actor, &new_audit(viewer.user_id, 5, None))
            .await
            .unwrap();
        let row = audits::get(&store, viewer, random.audit_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.seed, random.seed.to_string());
        assert_eq!(row.title, "Compliance audit, February and March 2025");
        assert_eq!((row.sampled, row.done, row.frame_size), (5, 0, 50));
        let by_hand: Vec<String> = sampling::positions(in_time_order.len(), 5, random.seed)
            .unwrap()
            .into_iter()
            .map(|p| in_time_order[p].clone())
            .collect();
        assert_eq!(random.sample, by_hand);
        // The largest seed survives the round trip through the database as text.
        let max = audits::create(&store, actor, &new_audit(viewer.user_id, 3, Some(u64::MAX)))
            .await
            .unwrap();
        let row = audits::get(&store, viewer, max.audit_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.seed_u64(), Some(u64::MAX));
    });
}

#[tokio::test]
async fn a_sample_larger_than_the_frame_is_refused_and_nothing_is_written() {
    on_both!(|store| {
        february_and_march(&store).await;
        let u = users(&store).await;
        let (actor, viewer) = &u.auditor;
        let before = counts(&store).await;
        let e = audits::create(&store, actor, &new_audit(viewer.user_id, 51, Some(1)))
            .await
            .unwrap_err();
        match &e {
            AuditError::Invalid(m) => {
                assert!(m.contains("larger than the number of incidents"), "{m}");
                assert!(m.contains("(50)"), "{m}");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
        let empty = NewAudit {
            period: Period::new(date!(2030 - 01 - 01), date!(2030 - 02 - 28)).unwrap(),
            ..new_audit(viewer.user_id, 35, Some(1))
        };
        let e = audits::create(&store, actor, &empty).await.unwrap_err();
        assert!(e.to_string().contains("No incidents were reported"), "{e}");
        let e = audits::create(&store, actor, &new_audit(viewer.user_id, 0, Some(1)))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
        assert_eq!(
            counts(&store).await,
            before,
            "no audit, draw, sample or event written"
        );
        // The whole frame can be drawn.
        let all = audits::create(&store, actor, &new_audit(viewer.user_id, 50, Some(1)))
            .await
            .unwrap();
        assert_eq!(all.sample.len(), 50);
    });
}

#[tokio::test]
async fn findings_only_for_the_sample_only_by_its_auditors_only_while_open() {
    on_both!(|store| {
        let refs = february_and_march(&store).await;
        let u = users(&store).await;
        let (t_actor, t_viewer) = &u.trainer;
        let a = audits::create(&store, t_actor, &new_audit(t_viewer.user_id, 5, Some(99)))
            .await
            .unwrap();
        let id = a.audit_id;
        let in_sample = a.sample[0].clone();
        let outside = refs.iter().find(|r| !a.sample.contains(r)).unwrap().clone();
        let (au_actor, au_viewer) = &u.auditor;

        // Not assigned, and so not able to read the audit either: no such audit, as when reading
        // it (not even its owner is named), and nothing written.
        let before = counts(&store).await;
        let e = audits::record_finding(
            &store,
            au_actor,
            au_viewer,
            id,
            &input(&in_sample, required(RequiredReason::Child, true)),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, AuditError::NotFound(_)), "{e:?}");
        assert!(!e.to_string().contains("owner"), "{e}");
        // An administrator sees every audit but is not its auditor either.
        let (ad_actor, ad_viewer) = &u.admin;
        let e = audits::record_finding(
            &store,
            ad_actor,
            ad_viewer,
            id,
            &input(&in_sample, required(RequiredReason::Child, true)),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, AuditError::Refused(_)), "{e:?}");
        assert_eq!(counts(&store).await, before);

        // Only auditors (or the owner) can be assigned.
        let e = audits::set_auditors(&store, t_actor, t_viewer, id, &["admin".into()])
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("does not have the auditor role"),
            "{e}"
        );
        let e = audits::set_auditors(&store, t_actor, t_viewer, id, &["nobody".into()])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no account called nobody"), "{e}");
        // Someone who neither owns nor runs audits cannot assign.
        let e = audits::set_auditors(&store, au_actor, au_viewer, id, &["auditor".into()])
            .await
            .unwrap_err();
        assert!(matches!(e, AuditError::Refused(_)), "{e:?}");
        let set = audits::set_auditors(&store, t_actor, t_viewer, id, &["Auditor".into()])
            .await
            .unwrap();
        assert_eq!(
            set.iter().map(|a| a.username.as_str()).collect::<Vec<_>>(),
            ["auditor"]
        );

        // Assigned now; but not for an incident outside the sample, an unknown reference, or
        // answers that do not agree.
        let before = counts(&store).await;
        let e = audits::record_finding(
            &store,
            au_actor,
            au_viewer,
            id,
            &input(&outside, required(RequiredReason::Child, true)),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, AuditError::Invalid(_)), "{e:?}");
        assert!(e.to_string().contains("is not in the sample"), "{e}");
        let e = audits::record_finding(
            &store,
            au_actor,
            au_viewer,
            id,
            &input("INC-NOPE", required(RequiredReason::Child, true)),
        )
        .await
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("no incident with the reference \"INC-NOPE\""),
            "{e}"
        );
        let inconsistent = Finding {
            form_required: false,
            required_reason: Some(RequiredReason::Child),
            form_completed: false,
            on_time: None,
        };
        let e = audits::record_finding(
            &store,
            au_actor,
            au_viewer,
            id,
            &input(&in_sample, inconsistent),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().starts_with("required_reason: "), "{e}");
        assert_eq!(counts(&store).await, before, "nothing written by refusals");

        // Recorded, then changed: the trail keeps before and after.
        let (rec, changed) = audits::record_finding(
            &store,
            au_actor,
            au_viewer,
            id,
            &input(&in_sample, required(RequiredReason::Child, false)),
        )
        .await
        .unwrap();
        assert!(!changed);
        assert_eq!(rec.recorded_by, "auditor");
        let (rec, changed) = audits::record_finding(
            &store,
            au_actor,
            au_viewer,
            id,
            &FindingInput {
                note: "PPN found under another reference".into(),
                ..input(&in_sample, required(RequiredReason::Child, true))
            },
        )
        .await
        .unwrap();
        assert!(changed);
        assert!(rec.form_completed);
        assert_eq!(rec.on_time, Some(true));
        assert_eq!(count(&store, "compliance_findings").await, 1);
        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "compliance_finding.change".into(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 1);
        let before_json = events[0].before_json.as_deref().unwrap();
        let after_json = events[0].after_json.as_deref().unwrap();
        assert!(
            before_json.contains("\"form_completed\":false"),
            "{before_json}"
        );
        assert!(
            after_json.contains("\"form_completed\":true"),
            "{after_json}"
        );
        // The owner may record too.
        audits::record_finding(
            &store,
            t_actor,
            t_viewer,
            id,
            &input(&a.sample[1], not_required(false)),
        )
        .await
        .unwrap();
        let row = audits::get(&store, t_viewer, id).await.unwrap().unwrap();
        assert_eq!((row.done, row.sampled), (2, 5));

        // Closed: nothing more.
        let e = audits::close(&store, au_actor, au_viewer, id)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AuditError::Refused(_)),
            "an auditor does not close: {e:?}"
        );
        audits::close(&store, t_actor, t_viewer, id).await.unwrap();
        let e = audits::record_finding(
            &store,
            au_actor,
            au_viewer,
            id,
            &input(&a.sample[2], not_required(false)),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, AuditError::Conflict(_)), "{e:?}");
        assert!(e.to_string().contains("closed"), "{e}");
    });
}

#[tokio::test]
async fn auditors_see_only_their_audits_and_trainers_see_all() {
    on_both!(|store| {
        february_and_march(&store).await;
        let u = users(&store).await;
        let (t_actor, t_viewer) = &u.trainer;
        let (au_actor, au_viewer) = &u.auditor;
        let (_, other_viewer) = &u.other_auditor;
        let theirs = audits::create(&store, t_actor, &new_audit(t_viewer.user_id, 3, Some(1)))
            .await
            .unwrap();
        let assigned = audits::create(&store, t_actor, &new_audit(t_viewer.user_id, 3, Some(2)))
            .await
            .unwrap();
        audits::set_auditors(
            &store,
            t_actor,
            t_viewer,
            assigned.audit_id,
            &["auditor".into()],
        )
        .await
        .unwrap();
        let own = audits::create(&store, au_actor, &new_audit(au_viewer.user_id, 3, Some(3)))
            .await
            .unwrap();
        let ids = |rows: Vec<audits::AuditRow>| {
            let mut v: Vec<i64> = rows.into_iter().map(|r| r.id).collect();
            v.sort();
            v
        };
        assert_eq!(
            ids(audits::list(&store, au_viewer).await.unwrap()),
            vec![assigned.audit_id, own.audit_id]
        );
        assert!(audits::list(&store, other_viewer).await.unwrap().is_empty());
        assert_eq!(
            ids(audits::list(&store, t_viewer).await.unwrap()),
            vec![theirs.audit_id, assigned.audit_id, own.audit_id]
        );
        assert!(audits::get(&store, au_viewer, theirs.audit_id)
            .await
            .unwrap()
            .is_none());
        assert!(audits::get(&store, &u.admin.1, own.audit_id)
            .await
            .unwrap()
            .is_some());
        let row = audits::get(&store, au_viewer, assigned.audit_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.assigned, 1);
    });
}

#[tokio::test]
async fn a_redraw_needs_a_reason_keeps_the_old_draw_and_is_refused_once_findings_exist() {
    on_both!(|store| {
        february_and_march(&store).await;
        let u = users(&store).await;
        let (actor, viewer) = &u.auditor;
        let first = audits::create(&store, actor, &new_audit(viewer.user_id, 5, Some(11)))
            .await
            .unwrap();
        let id = first.audit_id;
        let e = audits::redraw(&store, actor, viewer, id, "  ", Some(12))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("Say why"), "{e}");
        // A late import added incidents to the period: draw again.
        incident(&store, "INC-25-LATE", "2025-03-15T09:00:00", false).await;
        let second = audits::redraw(
            &store,
            actor,
            viewer,
            id,
            "Late import of March incidents",
            Some(12),
        )
        .await
        .unwrap();
        assert_eq!(second.draw_no, 2);
        assert_eq!(second.frame_size, 51);
        let draws = audits::draws(&store, id).await.unwrap();
        assert_eq!(draws.len(), 2, "the first draw is kept");
        assert_eq!(draws[0].seed, "11");
        assert_eq!(draws[1].reason, "Late import of March incidents");
        let row = audits::get(&store, viewer, id).await.unwrap().unwrap();
        assert_eq!((row.draw_no, row.seed.as_str()), (2, "12"));
        assert_eq!(
            audits::current_sample_refs(&store, &row).await.unwrap(),
            second.sample
        );
        // A finding on the first draw's sample is not possible any more unless it was redrawn.
        let stale = first.sample.iter().find(|r| !second.sample.contains(r));
        if let Some(stale) = stale {
            let e = audits::record_finding(
                &store,
                actor,
                viewer,
                id,
                &input(stale, not_required(false)),
            )
            .await
            .unwrap_err();
            assert!(e.to_string().contains("is not in the sample"), "{e}");
        }
        audits::record_finding(
            &store,
            actor,
            viewer,
            id,
            &input(&second.sample[0], not_required(false)),
        )
        .await
        .unwrap();
        let before = counts(&store).await;
        let e = audits::redraw(&store, actor, viewer, id, "I do not like these", Some(13))
            .await
            .unwrap_err();
        assert!(matches!(e, AuditError::Conflict(_)), "{e:?}");
        assert!(
            e.to_string().contains("1 finding is already recorded"),
            "{e}"
        );
        assert_eq!(counts(&store).await, before);
        // Someone else's audit cannot be redrawn by an auditor.
        let (t_actor, t_viewer) = &u.trainer;
        let t = audits::create(&store, t_actor, &new_audit(t_viewer.user_id, 5, Some(1)))
            .await
            .unwrap();
        let e = audits::redraw(&store, actor, viewer, t.audit_id, "why not", None)
            .await
            .unwrap_err();
        assert!(matches!(e, AuditError::Refused(_)), "{e:?}");
        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "compliance_audit.draw".into(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 1);
        assert!(events[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("Late import"));
    });
}

#[tokio::test]
async fn the_summary_counts_the_latest_draw_of_each_audit_within_the_dates() {
    on_both!(|store| {
        february_and_march(&store).await;
        // A second period, in 2024.
        for i in 0..6 {
            incident(
                &store,
                &format!("INC-24-{i:02}"),
                &format!("2024-05-{:02}T12:00:00", 1 + i),
                true,
            )
            .await;
        }
        let u = users(&store).await;
        let (actor, viewer) = &u.auditor;
        let a = audits::create(&store, actor, &new_audit(viewer.user_id, 6, Some(5)))
            .await
            .unwrap();
        let answers = [
            required(RequiredReason::Child, true),
            required(RequiredReason::Child, false),
            required(RequiredReason::AdultAtRisk, true),
            required(RequiredReason::Other, true),
            not_required(true),
            not_required(false),
        ];
        for (r, f) in a.sample.iter().zip(answers) {
            audits::record_finding(&store, actor, viewer, a.audit_id, &input(r, f))
                .await
                .unwrap();
        }
        let b = audits::create(
            &store,
            actor,
            &NewAudit {
                period: Period::new(date!(2024 - 05 - 01), date!(2024 - 06 - 30)).unwrap(),
                ..new_audit(viewer.user_id, 4, Some(5))
            },
        )
        .await
        .unwrap();
        for r in &b.sample {
            audits::record_finding(
                &store,
                actor,
                viewer,
                b.audit_id,
                &input(r, required(RequiredReason::Child, false)),
            )
            .await
            .unwrap();
        }
        referral(&store, "PPN-1", &a.sample[0], "2025-02-10T09:00:00").await;

        let s = audits::summary(&store, &period()).await.unwrap();
        let o = s.overall;
        assert_eq!(
            (
                o.examined,
                o.required,
                o.completed_when_required,
                o.not_required,
                o.completed_when_not_required
            ),
            (6, 4, 3, 2, 1)
        );
        assert_eq!(o.compliance, Some(0.75));
        assert_eq!(o.over_referral, Some(0.5));
        let child = &s.by_subject[0].1;
        assert_eq!((child.examined, child.completed_when_required), (2, 1));

        let everything = Period::new(date!(2024 - 01 - 01), date!(2025 - 12 - 31)).unwrap();
        let s = audits::summary(&store, &everything).await.unwrap();
        assert_eq!(s.overall.examined, 10);
        assert_eq!(
            s.by_year
                .iter()
                .map(|(y, r)| (*y, r.examined, r.required, r.completed_when_required))
                .collect::<Vec<_>>(),
            vec![(2024, 4, 4, 0), (2025, 6, 4, 3)]
        );
        let nothing = Period::new(date!(2023 - 01 - 01), date!(2023 - 12 - 31)).unwrap();
        let s = audits::summary(&store, &nothing).await.unwrap();
        assert_eq!(s.overall.examined, 0);
        assert_eq!(s.overall.compliance, None);

        // Only the latest draw counts: a later draw (here made directly, as an older version
        // would have allowed) leaves the earlier draw's findings kept but not counted.
        let draw_id: i64 = sqlx::query_scalar(
            "INSERT INTO compliance_audit_draws (audit_id, draw_no, seed, frame_size, reason, drawn_by, drawn_at)
             VALUES ($1, 2, '1', 6, 'test', 'test', $2) RETURNING id",
        )
        .bind(b.audit_id)
        .bind(now_text())
        .fetch_one(store.pool())
        .await
        .unwrap();
        let kept: i64 = sqlx::query_scalar("SELECT id FROM incidents WHERE incident_ref = $1")
            .bind(&b.sample[0])
            .fetch_one(store.pool())
            .await
            .unwrap();
        sqlx::query("INSERT INTO compliance_audit_sample (draw_id, position, incident_id) VALUES ($1, 1, $2)")
            .bind(draw_id)
            .bind(kept)
            .execute(store.pool())
            .await
            .unwrap();
        let s = audits::summary(&store, &everything).await.unwrap();
        assert_eq!(
            s.overall.examined, 7,
            "three findings of the old draw are not counted"
        );
        assert_eq!(
            count(&store, "compliance_findings").await,
            10,
            "but they are kept"
        );
    });
}

#[tokio::test]
async fn views_of_an_audits_incidents_are_audited_and_show_linked_referrals() {
    on_both!(|store| {
        february_and_march(&store).await;
        let u = users(&store).await;
        let (actor, viewer) = &u.auditor;
        let a = audits::create(&store, actor, &new_audit(viewer.user_id, 4, Some(8)))
            .await
            .unwrap();
        referral(&store, "PPN-B", &a.sample[1], "2025-02-11T09:00:00").await;
        referral(&store, "PPN-A", &a.sample[1], "2025-02-10T09:00:00").await;
        let row = audits::get(&store, viewer, a.audit_id)
            .await
            .unwrap()
            .unwrap();
        let sample = audits::sample(&store, actor, &row).await.unwrap();
        assert_eq!(
            sample
                .iter()
                .map(|s| s.incident_ref.clone())
                .collect::<Vec<_>>(),
            a.sample
        );
        assert!(sample[0].referrals.is_empty());
        assert_eq!(
            sample[1]
                .referrals
                .iter()
                .map(|r| r.referral_ref.as_str())
                .collect::<Vec<_>>(),
            ["PPN-A", "PPN-B"],
            "earliest first"
        );
        assert_eq!(sample[1].category, "Domestic");
        let one = audits::sampled_incident(&store, actor, &row, &a.sample[2])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(one.incident_ref, a.sample[2]);
        assert!(audits::sampled_incident(&store, actor, &row, "INC-BEFORE")
            .await
            .unwrap()
            .is_none());
        for action in [
            "compliance_audit.create",
            "compliance_audit.view",
            "compliance_incident.view",
        ] {
            let (n, _) = audit_trail::list(
                &store,
                &AuditFilter {
                    action: action.into(),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
            assert_eq!(n, 1, "{action}");
        }
    });
}

/// Timing, run on demand: `cargo test -p mashboard-store --test main audits:: -- --ignored
/// --nocapture`.
/// Opens an audit over a period holding a million incidents on each database.
#[tokio::test]
#[ignore]
async fn drawing_from_a_million_incidents() {
    on_both!(|store| {
        let u = users(&store).await;
        let t = std::time::Instant::now();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
             INSERT INTO incidents (incident_ref, reported_at, imported_at, updated_at)
             SELECT 'INC-' || CAST(i AS TEXT), '2025-02-15T12:00:00', 'x', 'x' FROM n",
        )
        .execute(store.pool())
        .await
        .unwrap();
        eprintln!("inserted 1,000,000 incidents in {:?}", t.elapsed());
        let (actor, viewer) = &u.auditor;
        let t = std::time::Instant::now();
        let a = audits::create(&store, actor, &new_audit(viewer.user_id, 35, Some(1)))
            .await
            .unwrap();
        eprintln!(
            "opened an audit (frame {} fetched, 35 drawn and stored) in {:?}",
            a.frame_size,
            t.elapsed()
        );
        assert_eq!(a.frame_size, 1_000_000);
    });
}
