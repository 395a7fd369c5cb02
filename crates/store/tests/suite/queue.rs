//! Partner outcomes and the missing-referral queue, every test on SQLite and on PostgreSQL.
//! Incidents and referrals are put in with plain INSERTs (the register import is tested on its
//! own).

use mashboard_domain::outcomes::{Outcome, Proportion, Source};
use mashboard_domain::people::StaffNumber;
use mashboard_domain::queue::{
    self as queue_rules, parse_local_time, Decision, IncidentFacts, Rules,
};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::outcomes::{self, NewOutcome, ReferralQuery};
use mashboard_store::queue;
use mashboard_store::{Backend, Store, StoreError};
use time::macros::{date, datetime};
use time::OffsetDateTime;

/// Flags of a test incident.
const C: u8 = 1;
const DA: u8 = 2;
const ADULT: u8 = 4;

async fn incident(store: &Store, incident_ref: &str, reported_at: &str, flags: u8) {
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, domestic_abuse, adult_at_risk, imported_at, updated_at)
         VALUES ($1, $2, 'Domestic', 'North', $3, $4, $5, '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
    )
    .bind(incident_ref)
    .bind(reported_at)
    .bind(i64::from(flags & C != 0))
    .bind(i64::from(flags & DA != 0))
    .bind(i64::from(flags & ADULT != 0))
    .execute(store.pool())
    .await
    .unwrap();
}

async fn referral(
    store: &Store,
    referral_ref: &str,
    incident_ref: &str,
    submitted_at: &str,
    subject: &str,
    partner: &str,
) {
    sqlx::query(
        "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, partner, narrative, imported_at, updated_at)
         VALUES ($1, $2, $3, $4, 'Neglect', $5, 'Narrative with a name in it', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z')",
    )
    .bind(referral_ref)
    .bind(incident_ref)
    .bind(submitted_at)
    .bind(subject)
    .bind(partner)
    .execute(store.pool())
    .await
    .unwrap();
}

/// Now, for every queue test: 10 March 2024, noon.
const NOW: OffsetDateTime = datetime!(2024-03-10 12:00:00 UTC);

/// The incidents of the rule edges: (ref, reported_at, flags, referrals' submitted_at, queued?).
#[allow(clippy::type_complexity)]
fn edges() -> Vec<(&'static str, &'static str, u8, Vec<&'static str>, bool)> {
    vec![
        ("INC-NONE", "2024-03-01T10:00:00", C, vec![], true),
        (
            "INC-24H",
            "2024-03-01T10:00:00",
            DA,
            vec!["2024-03-02T10:00:00"],
            false,
        ),
        (
            "INC-24H1S",
            "2024-03-01T10:00:00",
            C | DA,
            vec!["2024-03-02T10:00:01"],
            true,
        ),
        (
            "INC-BEFORE",
            "2024-03-01T10:00:00",
            C,
            vec!["2024-03-01T09:00:00"],
            false,
        ),
        (
            "INC-TWO",
            "2024-03-01T10:00:00",
            C,
            vec!["2024-03-05T10:00:00", "2024-03-01T11:00:00"],
            false,
        ),
        (
            "INC-TWOLATE",
            "2024-03-01T10:00:00",
            DA,
            vec!["2024-03-05T10:00:00", "2024-03-04T10:00:00"],
            true,
        ),
        ("INC-ADULT", "2024-03-01T10:00:00", ADULT, vec![], false),
        ("INC-NOFLAG", "2024-03-01T10:00:00", 0, vec![], false),
        ("INC-RECENT", "2024-03-10T00:00:00", C, vec![], false),
        ("INC-EXACT", "2024-03-09T12:00:00", C, vec![], false),
        ("INC-JUSTPAST", "2024-03-09T11:59:59", DA, vec![], true),
    ]
}

async fn seed_edges(store: &Store) {
    for (i, (r, at, flags, refs, _)) in edges().into_iter().enumerate() {
        incident(store, r, at, flags).await;
        for (j, s) in refs.into_iter().enumerate() {
            referral(
                store,
                &format!("REF-{i}-{j}"),
                r,
                s,
                "child",
                "Children's social care",
            )
            .await;
        }
    }
}

async fn open_refs(store: &Store) -> Vec<String> {
    let (_, items) = queue::open_items(store, 100, 0).await.unwrap();
    let mut v: Vec<String> = items.into_iter().map(|i| i.incident_ref).collect();
    v.sort();
    v
}

async fn events(store: &Store, action: &str) -> Vec<audit_trail::AuditEvent> {
    audit_trail::list(
        store,
        &AuditFilter {
            action: action.into(),
            ..Default::default()
        },
        100,
    )
    .await
    .unwrap()
    .1
}

#[tokio::test]
async fn refresh_queues_exactly_the_incidents_the_rule_says_and_agrees_with_the_domain() {
    on_both!(|store| {
        seed_edges(&store).await;
        let r = queue::refresh(&store, NOW).await.unwrap();
        let mut expected: Vec<String> = edges()
            .into_iter()
            .filter(|e| e.4)
            .map(|e| e.0.to_string())
            .collect();
        expected.sort();
        assert_eq!(open_refs(&store).await, expected);
        assert_eq!(r.added, expected.len() as u64);
        // The SQL and the pure rule agree on every edge.
        let now = queue::local_now(NOW);
        for (r, at, flags, refs, queued) in edges() {
            let facts = IncidentFacts {
                children_involved: flags & C != 0,
                domestic_abuse: flags & DA != 0,
                adult_at_risk: flags & ADULT != 0,
                reported_at: parse_local_time(at).unwrap(),
            };
            let times: Vec<_> = refs.iter().map(|s| parse_local_time(s).unwrap()).collect();
            let d = queue_rules::decide(&Rules::default(), &facts, &times, now);
            assert_eq!(matches!(d, Decision::Missing { .. }), queued, "{r}: {d:?}");
        }
        // Which rules, and the late referral, are on the item.
        let item = queue::for_incident(&store, "INC-24H1S")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(item.rule, "children_involved,domestic_abuse");
        assert_eq!(item.referral_ref.as_deref(), Some("REF-2-0"));
        assert_eq!(item.age_days(NOW), 9);
        let none = queue::for_incident(&store, "INC-NONE")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(none.rule, "children_involved");
        assert_eq!(none.referral_ref, None);
        // The refresh is audited with its count.
        let ev = events(&store, "missing.refresh").await;
        assert_eq!(ev.len(), 1);
        assert!(
            ev[0].summary.contains("4 incident(s) added"),
            "{}",
            ev[0].summary
        );
    });
}

#[tokio::test]
async fn refresh_is_idempotent_and_follows_changed_rules() {
    on_both!(|store| {
        seed_edges(&store).await;
        let first = queue::refresh(&store, NOW).await.unwrap();
        assert_eq!(first.added, 4);
        let again = queue::refresh(&store, NOW).await.unwrap();
        assert_eq!(again, queue::Refreshed::default());
        assert_eq!(open_refs(&store).await.len(), 4);
        // A refresh that finds nothing leaves no audit noise.
        assert_eq!(events(&store, "missing.refresh").await.len(), 1);

        // Adults at risk on, children off: the adult incident joins; nothing queued leaves.
        let mut rules = queue::rules(&store).await.unwrap();
        assert_eq!(rules, Rules::default());
        rules.adult_at_risk = true;
        rules.children_involved = false;
        let saved = queue::set_rules(&store, &Actor::system(), &rules)
            .await
            .unwrap();
        assert_eq!(saved.encode(), "domestic_abuse,adult_at_risk;24");
        assert_eq!(queue::rules(&store).await.unwrap(), rules);
        let ev = events(&store, "missing.rules").await;
        assert_eq!(ev.len(), 1);
        assert_eq!(
            ev[0].before_json.as_deref(),
            Some("\"children_involved,domestic_abuse;24\"")
        );
        assert_eq!(
            ev[0].after_json.as_deref(),
            Some("\"domestic_abuse,adult_at_risk;24\"")
        );
        let r = queue::refresh(&store, NOW).await.unwrap();
        assert_eq!(r.added, 1);
        assert!(open_refs(&store).await.contains(&"INC-ADULT".to_string()));
        assert_eq!(
            queue::for_incident(&store, "INC-ADULT")
                .await
                .unwrap()
                .unwrap()
                .rule,
            "adult_at_risk"
        );

        // Every rule off: nothing is added.
        incident(&store, "INC-LATER", "2024-03-02T10:00:00", C | DA | ADULT).await;
        let off = Rules::parse(";24").unwrap();
        queue::set_rules(&store, &Actor::system(), &off)
            .await
            .unwrap();
        assert_eq!(queue::refresh(&store, NOW).await.unwrap().added, 0);

        // A longer window: a 48-hour window keeps the just-past incident off the queue.
        let wide = Rules::parse("children_involved,domestic_abuse;48").unwrap();
        queue::set_rules(&store, &Actor::system(), &wide)
            .await
            .unwrap();
        assert_eq!(
            queue::refresh(&store, NOW).await.unwrap().added,
            1,
            "INC-LATER only"
        );
    });
}

#[tokio::test]
async fn an_in_time_referral_imported_later_closes_the_item() {
    on_both!(|store| {
        incident(&store, "INC-A", "2024-03-01T10:00:00", C).await;
        incident(&store, "INC-B", "2024-03-01T10:00:00", C).await;
        assert_eq!(queue::refresh(&store, NOW).await.unwrap().added, 2);
        // Referrals arrive in a later import: one in time, one late.
        referral(
            &store,
            "REF-A",
            "INC-A",
            "2024-03-01T20:00:00",
            "child",
            "CSC",
        )
        .await;
        referral(
            &store,
            "REF-B",
            "INC-B",
            "2024-03-03T20:00:00",
            "child",
            "CSC",
        )
        .await;
        // An import stamps what it writes: that is how a later refresh finds them.
        touch(&store, "referrals", "referral_ref", "REF-A").await;
        touch(&store, "referrals", "referral_ref", "REF-B").await;
        let r = queue::refresh(&store, NOW).await.unwrap();
        assert_eq!(
            r,
            queue::Refreshed {
                added: 0,
                closed_in_time: 1
            }
        );
        assert_eq!(open_refs(&store).await, ["INC-B"]);
        let a = queue::for_incident(&store, "INC-A").await.unwrap().unwrap();
        assert_eq!(a.outcome.as_deref(), Some("referral_made"));
        assert_eq!(a.closed_by.as_deref(), Some("system"));
        assert_eq!(a.reason, queue::FOUND_IN_TIME);
        // The late one stays open, showing the referral now made.
        let b = queue::for_incident(&store, "INC-B").await.unwrap().unwrap();
        assert_eq!(b.outcome, None);
        assert_eq!(b.referral_ref.as_deref(), Some("REF-B"));
    });
}

#[tokio::test]
async fn closing_needs_a_reason_for_not_required_and_is_audited_once() {
    on_both!(|store| {
        for (r, at) in [
            ("INC-1", "2024-03-01T10:00:00"),
            ("INC-2", "2024-03-03T10:00:00"),
            ("INC-3", "2024-03-05T10:00:00"),
            ("INC-4", "2024-03-07T10:00:00"),
        ] {
            incident(&store, r, at, C).await;
        }
        queue::refresh(&store, NOW).await.unwrap();
        let id = |r: &'static str| {
            let store = store.clone();
            async move { queue::for_incident(&store, r).await.unwrap().unwrap().id }
        };
        let actor = Actor::user(1, "mash.staff");
        let err = queue::close(&store, &actor, id("INC-1").await, "not_required", "  ")
            .await
            .unwrap_err();
        match err {
            StoreError::Invalid(m) => assert_eq!(m, "Enter why a referral was not required"),
            other => panic!("{other:?}"),
        }
        assert_eq!(open_refs(&store).await.len(), 4, "nothing closed");
        assert!(events(&store, "missing.close").await.is_empty());

        let closed = queue::close(
            &store,
            &actor,
            id("INC-1").await,
            "not_required",
            "Children were visiting; already known to social care",
        )
        .await
        .unwrap();
        assert_eq!(closed.outcome.as_deref(), Some("not_required"));
        assert_eq!(closed.closed_by.as_deref(), Some("mash.staff"));
        queue::close(&store, &actor, id("INC-2").await, "escalated", "")
            .await
            .unwrap();
        // A second close of the same item is refused, not repeated.
        assert!(matches!(
            queue::close(&store, &actor, id("INC-2").await, "referral_made", "").await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            queue::close(&store, &actor, 999_999, "escalated", "").await,
            Err(StoreError::NotFound(_))
        ));
        let ev = events(&store, "missing.close").await;
        assert_eq!(ev.len(), 2);
        let first = ev
            .iter()
            .find(|e| e.entity_key.as_deref() == Some("INC-1"))
            .unwrap();
        assert_eq!(first.entity.as_deref(), Some("incident"));
        assert!(first
            .after_json
            .as_deref()
            .unwrap()
            .contains("not_required"));
        assert!(first
            .after_json
            .as_deref()
            .unwrap()
            .contains("already known"));

        // Two open items, reported 5 and 3 days before now: oldest 5, median 4.
        let s = queue::stats(&store, NOW).await.unwrap();
        assert_eq!(s.open, 2);
        assert_eq!(s.oldest_days, Some(5));
        assert_eq!(s.median_days, Some(4.0));
        assert_eq!(s.closed_last_30_days_total(), 2);
        let by = |o: queue_rules::CloseOutcome| {
            s.closed_last_30_days
                .iter()
                .find(|(x, _)| *x == o)
                .unwrap()
                .1
        };
        assert_eq!(by(queue_rules::CloseOutcome::NotRequired), 1);
        assert_eq!(by(queue_rules::CloseOutcome::Escalated), 1);
        assert_eq!(by(queue_rules::CloseOutcome::ReferralMade), 0);
        // Closed long ago is not "in the last 30 days".
        let later = queue::stats(&store, OffsetDateTime::now_utc() + time::Duration::days(31))
            .await
            .unwrap();
        assert_eq!(later.closed_last_30_days_total(), 0);
        // One open item: its own age is the median.
        queue::close(&store, &actor, id("INC-3").await, "escalated", "")
            .await
            .unwrap();
        let s = queue::stats(&store, NOW).await.unwrap();
        assert_eq!(
            (s.open, s.oldest_days, s.median_days),
            (1, Some(3), Some(3.0))
        );
    });
}

fn outcome(referral_ref: &str, partner: &str, o: Outcome, source: Source) -> NewOutcome {
    NewOutcome {
        referral_ref: referral_ref.into(),
        partner: partner.into(),
        outcome: o,
        reason: String::new(),
        decided_at: "2024-03-04".into(),
        source,
    }
}

#[tokio::test]
async fn outcomes_are_recorded_once_per_partner_and_audited_with_before_and_after() {
    on_both!(|store| {
        incident(&store, "INC-1", "2024-03-01T10:00:00", C).await;
        referral(
            &store,
            "REF-1",
            "INC-1",
            "2024-03-01T12:00:00",
            "child",
            "Children's social care",
        )
        .await;
        let actor = Actor::user(1, "mash.staff");
        let missing = outcomes::record(
            &store,
            &actor,
            &outcome(
                "REF-404",
                "Children's social care",
                Outcome::EarlyHelp,
                Source::Mash,
            ),
        )
        .await;
        assert!(matches!(missing, Err(StoreError::NotFound(m)) if m.contains("REF-404")));
        let blank = outcomes::record(
            &store,
            &actor,
            &outcome("REF-1", "  ", Outcome::EarlyHelp, Source::Mash),
        )
        .await;
        assert!(matches!(blank, Err(StoreError::Invalid(_))));
        let mut bad_date = outcome("REF-1", "Health", Outcome::EarlyHelp, Source::Mash);
        bad_date.decided_at = "31/02/2024".into();
        assert!(
            matches!(outcomes::record(&store, &actor, &bad_date).await, Err(StoreError::Invalid(m)) if m.contains("Decision date"))
        );

        let first = outcomes::record(
            &store,
            &actor,
            &outcome(
                "REF-1",
                "Children's social care",
                Outcome::EarlyHelp,
                Source::Mash,
            ),
        )
        .await
        .unwrap();
        assert_eq!(first.outcome, "early_help");
        assert_eq!(first.source, "mash");
        assert_eq!(first.decided_at, "2024-03-04");
        // The same again changes nothing and writes nothing.
        outcomes::record(
            &store,
            &actor,
            &outcome(
                "REF-1",
                "Children's social care",
                Outcome::EarlyHelp,
                Source::Mash,
            ),
        )
        .await
        .unwrap();
        assert_eq!(events(&store, "outcome.").await.len(), 1);
        // The partner changes it (same agency, different case): one outcome, updated.
        let mut change = outcome(
            "REF-1",
            "children's SOCIAL care ",
            Outcome::AcceptedS47,
            Source::Partner,
        );
        change.reason = "Strategy discussion held".into();
        let partner = Actor::user(2, "csc.reviewer");
        let changed = outcomes::record(&store, &partner, &change).await.unwrap();
        assert_eq!(changed.id, first.id);
        assert_eq!(changed.partner, "Children's social care");
        assert_eq!(changed.recorded_by, "csc.reviewer");
        outcomes::record(
            &store,
            &actor,
            &outcome("REF-1", "Health", Outcome::NoFurtherAction, Source::Mash),
        )
        .await
        .unwrap();
        let all = outcomes::of_referral(&store, "REF-1").await.unwrap();
        assert_eq!(
            all.iter()
                .map(|o| (o.partner.as_str(), o.outcome.as_str()))
                .collect::<Vec<_>>(),
            [
                ("Children's social care", "accepted_s47"),
                ("Health", "no_further_action")
            ]
        );
        let ev = events(&store, "outcome.update").await;
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].entity_key.as_deref(), Some("REF-1"));
        assert!(ev[0].before_json.as_deref().unwrap().contains("early_help"));
        assert!(ev[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("accepted_s47"));
        assert!(ev[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("\"source\":\"partner\""));
    });
}

#[tokio::test]
async fn referral_lists_narrow_to_an_agency_and_rates_count_by_partner_and_subject() {
    on_both!(|store| {
        let csc = "Children's social care";
        let asc = "Adult social care";
        referral(&store, "R1", "", "2024-01-10T09:00:00", "child", csc).await;
        referral(&store, "R2", "", "2024-02-10T09:00:00", "child", csc).await;
        referral(&store, "R3", "", "2024-02-11T09:00:00", "adult", asc).await;
        referral(&store, "R4", "", "2024-02-29T23:59:59", "adult", asc).await;
        referral(&store, "R5", "", "2024-03-01T00:00:00", "child", csc).await;
        let a = Actor::system();
        for (r, p, o) in [
            ("R1", csc, Outcome::AcceptedS47),
            ("R2", csc, Outcome::NoFurtherAction),
            ("R3", asc, Outcome::AcceptedS42),
            ("R4", asc, Outcome::ReturnedMoreInformation),
            ("R4", "Health", Outcome::AdviceSignpost),
            ("R5", csc, Outcome::EarlyHelp),
        ] {
            outcomes::record(&store, &a, &outcome(r, p, o, Source::Import))
                .await
                .unwrap();
        }
        referral(&store, "R6", "", "2024-02-12T09:00:00", "child", csc).await;

        // A partner reviewer's agency narrows the list, whatever partner filter is asked for.
        let q = ReferralQuery {
            agency: Some("children's social care".into()),
            partner: asc.into(),
            ..Default::default()
        };
        let (n, rows) = outcomes::referrals(&store, &q, 50, 0).await.unwrap();
        assert_eq!(n, 4);
        assert!(rows.iter().all(|r| r.partner == csc));
        assert_eq!(rows[0].referral_ref, "R5", "newest first");
        // February only, without an outcome from that agency.
        let q = ReferralQuery {
            from: Some(date!(2024 - 02 - 01)),
            to: Some(date!(2024 - 02 - 29)),
            has_outcome: Some(false),
            agency: Some(csc.into()),
            ..Default::default()
        };
        let (_, rows) = outcomes::referrals(&store, &q, 50, 0).await.unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| r.referral_ref.as_str())
                .collect::<Vec<_>>(),
            ["R6"]
        );
        // MASH: February, with any outcome; the last second of the 29th is in.
        let q = ReferralQuery {
            from: Some(date!(2024 - 02 - 01)),
            to: Some(date!(2024 - 02 - 29)),
            has_outcome: Some(true),
            ..Default::default()
        };
        let (n, _) = outcomes::referrals(&store, &q, 50, 0).await.unwrap();
        assert_eq!(n, 3, "R2, R3, R4");
        let found = outcomes::of_referrals(&store, &["R4".into(), "R1".into()])
            .await
            .unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(
            outcomes::partners(&store).await.unwrap(),
            [asc, csc, "Health"]
        );

        // Rates over February: R2 (NFA), R3 (s42), R4 (returned; advice from Health), R6 none.
        let r = outcomes::rates(
            &store,
            Some(date!(2024 - 02 - 01)),
            Some(date!(2024 - 02 - 29)),
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.referrals, 4);
        assert_eq!(r.referrals_with_outcome, 3);
        assert_eq!(r.overall.n, 4);
        assert_eq!(r.overall.relevant, Proportion { x: 1, n: 4 });
        assert_eq!(r.overall.no_further_action, Proportion { x: 1, n: 4 });
        assert_eq!(r.overall.returned, Proportion { x: 1, n: 4 });
        let names: Vec<&str> = r.by_partner.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, [asc, csc, "Health"]);
        assert_eq!(r.by_partner[0].rates.relevant, Proportion { x: 1, n: 2 });
        assert_eq!(r.by_partner[0].rates.returned, Proportion { x: 1, n: 2 });
        let adult = r.by_subject.iter().find(|s| s.name == "adult").unwrap();
        assert_eq!(adult.rates.n, 3);
        let child = r.by_subject.iter().find(|s| s.name == "child").unwrap();
        assert_eq!(child.rates.no_further_action, Proportion { x: 1, n: 1 });
        // All time, children's social care only (a partner reviewer's view).
        let r = outcomes::rates(&store, None, None, Some(csc))
            .await
            .unwrap();
        assert_eq!(r.referrals, 4);
        assert_eq!(r.overall.n, 3);
        assert_eq!(r.overall.relevant, Proportion { x: 2, n: 3 });
        assert_eq!(r.by_partner.len(), 1);
    });
}

#[tokio::test]
async fn a_partner_reviewers_agency_is_set_cleared_and_audited() {
    on_both!(|store| {
        let admin = Actor::system();
        let a = accounts::create(
            &store,
            &admin,
            NewAccount {
                username: "csc.reviewer",
                roles: &[Role::PartnerReviewer],
                staff_number: None::<&StaffNumber>,
                password: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(accounts::partner_agency(&store, a.id).await.unwrap(), None);
        accounts::set_partner_agency(
            &store,
            &admin,
            "csc.reviewer",
            Some("  Children's social care "),
        )
        .await
        .unwrap();
        assert_eq!(
            accounts::partner_agency(&store, a.id)
                .await
                .unwrap()
                .as_deref(),
            Some("Children's social care")
        );
        // Setting the same again writes nothing; clearing is audited with the old value.
        accounts::set_partner_agency(
            &store,
            &admin,
            "csc.reviewer",
            Some("Children's social care"),
        )
        .await
        .unwrap();
        accounts::set_partner_agency(&store, &admin, "csc.reviewer", Some(""))
            .await
            .unwrap();
        assert_eq!(accounts::partner_agency(&store, a.id).await.unwrap(), None);
        let ev = events(&store, "account.partner_agency").await;
        assert_eq!(ev.len(), 2);
        assert_eq!(
            ev[0].before_json.as_deref(),
            Some("\"Children's social care\"")
        );
        assert_eq!(ev[0].after_json.as_deref(), Some("null"));
        assert!(matches!(
            accounts::set_partner_agency(&store, &admin, "csc.reviewer", Some(&"x".repeat(201)))
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            accounts::set_partner_agency(&store, &admin, "nobody", Some("Health")).await,
            Err(StoreError::NotFound(_))
        ));
    });
}

/// Generates `n` incidents and one referral per five incidents, set-based, on either database.
async fn bulk(store: &Store, n: i64) {
    let (incidents, referrals) = match store.backend() {
        Backend::Sqlite => (
            "WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < $1)
             INSERT INTO incidents (incident_ref, reported_at, children_involved, domestic_abuse, imported_at, updated_at)
             SELECT 'B' || k, strftime('%Y-%m-%dT%H:%M:%S', '2022-01-01T00:00:00', '+' || (k * 97) || ' seconds'),
                    CASE WHEN k % 3 = 0 THEN 1 ELSE 0 END, CASE WHEN k % 4 = 0 THEN 1 ELSE 0 END, 'x', 'x' FROM s",
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, imported_at, updated_at)
             SELECT 'R' || i.id, i.incident_ref, strftime('%Y-%m-%dT%H:%M:%S', i.reported_at, '+' || (i.id % 40) || ' hours'), 'child', 'x', 'x'
             FROM incidents i WHERE i.id % 5 = 0",
        ),
        Backend::Postgres => (
            "INSERT INTO incidents (incident_ref, reported_at, children_involved, domestic_abuse, imported_at, updated_at)
             SELECT 'B' || k, to_char(TIMESTAMP '2022-01-01 00:00:00' + k * 97 * INTERVAL '1 second', 'YYYY-MM-DD\"T\"HH24:MI:SS'),
                    CASE WHEN k % 3 = 0 THEN 1 ELSE 0 END, CASE WHEN k % 4 = 0 THEN 1 ELSE 0 END, 'x', 'x'
             FROM generate_series(1, $1) AS k",
            "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, imported_at, updated_at)
             SELECT 'R' || i.id, i.incident_ref, to_char(CAST(i.reported_at AS TIMESTAMP) + (i.id % 40) * INTERVAL '1 hour', 'YYYY-MM-DD\"T\"HH24:MI:SS'), 'child', 'x', 'x'
             FROM incidents i WHERE i.id % 5 = 0",
        ),
    };
    sqlx::query(incidents)
        .bind(n)
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query(referrals).execute(store.pool()).await.unwrap();
    if store.backend() == Backend::Postgres {
        sqlx::query("ANALYZE").execute(store.pool()).await.unwrap();
    }
}

/// `cargo test -p mashboard-store --test main quality_queue:: -- --ignored --nocapture` prints the time
/// a refresh takes over a million incidents and 200,000 referrals.
#[tokio::test]
#[ignore = "a benchmark: a million incidents take a minute to generate"]
async fn refresh_over_a_million_incidents() {
    on_both!(|store| {
        let n: i64 = std::env::var("MASHBOARD_BENCH_INCIDENTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        let t = std::time::Instant::now();
        bulk(&store, n).await;
        eprintln!("generated {n} incidents in {:?}", t.elapsed());
        let now = OffsetDateTime::now_utc();
        let t = std::time::Instant::now();
        let first = queue::refresh(&store, now).await.unwrap();
        let first_time = t.elapsed();
        let t = std::time::Instant::now();
        let again = queue::refresh(&store, now).await.unwrap();
        let again_time = t.elapsed();
        let t = std::time::Instant::now();
        let s = queue::stats(&store, now).await.unwrap();
        let stats_time = t.elapsed();
        let t = std::time::Instant::now();
        let (_, page) = queue::open_items(&store, 50, 0).await.unwrap();
        let page_time = t.elapsed();
        eprintln!(
            "first refresh: {} added in {first_time:?}; second: {} added in {again_time:?}; with {} open: stats {stats_time:?}, first page {page_time:?} (median {:?} days)",
            first.added, again.added, s.open, s.median_days
        );
        assert!(first.added > 0);
        assert_eq!(again.added, 0);
        assert_eq!(page.len(), 50);
        // The everyday case: staff have worked the queue down; the hourly check finds nothing.
        sqlx::query("UPDATE missing_referrals SET outcome = 'escalated', closed_by = 'bench', closed_at = '2000-01-01T00:00:00.000000Z'")
            .execute(store.pool())
            .await
            .unwrap();
        let t = std::time::Instant::now();
        let hourly = queue::refresh(&store, now).await.unwrap();
        let hourly_time = t.elapsed();
        let t = std::time::Instant::now();
        let s = queue::stats(&store, now).await.unwrap();
        let (_, _) = queue::open_items(&store, 50, 0).await.unwrap();
        eprintln!(
            "with the queue worked down: hourly refresh {} added in {hourly_time:?}; stats and first page {:?} (open {})",
            hourly.added,
            t.elapsed(),
            s.open
        );
    });
}

/// Stamps a row as changed now, as every writer of the register does.
async fn touch(store: &Store, table: &str, key: &str, value: &str) {
    sqlx::query(&format!(
        "UPDATE {table} SET updated_at = $1 WHERE {key} = $2"
    ))
    .bind(mashboard_store::now_text())
    .bind(value)
    .execute(store.pool())
    .await
    .unwrap();
}

#[tokio::test]
async fn a_refresh_after_the_first_looks_at_what_changed_and_finds_what_a_full_one_would() {
    on_both!(|store| {
        seed_edges(&store).await;
        assert_eq!(queue::refresh(&store, NOW).await.unwrap().added, 4);
        // Since then: a new incident arrives; an incident that needed nothing now involves a
        // child; an in-time referral is corrected to a late one.
        incident(&store, "INC-NEW", "2024-03-05T10:00:00", DA).await;
        touch(&store, "incidents", "incident_ref", "INC-NEW").await;
        sqlx::query("UPDATE incidents SET children_involved = 1 WHERE incident_ref = 'INC-NOFLAG'")
            .execute(store.pool())
            .await
            .unwrap();
        touch(&store, "incidents", "incident_ref", "INC-NOFLAG").await;
        sqlx::query("UPDATE referrals SET submitted_at = '2024-03-04T10:00:00' WHERE incident_ref = 'INC-24H'")
            .execute(store.pool())
            .await
            .unwrap();
        touch(&store, "referrals", "incident_ref", "INC-24H").await;
        // An incident stamped long ago is not looked at again: the stamp is how changes are
        // found (every import stamps what it writes).
        incident(&store, "INC-UNSTAMPED", "2024-03-05T10:00:00", DA).await;
        // Time passes: the windows of INC-RECENT and INC-EXACT close.
        let later = datetime!(2024-03-11 12:00:00 UTC);
        let r = queue::refresh(&store, later).await.unwrap();
        assert_eq!(r.added, 5, "{:?}", open_refs(&store).await);
        let open = open_refs(&store).await;
        for inc in [
            "INC-NEW",
            "INC-NOFLAG",
            "INC-24H",
            "INC-RECENT",
            "INC-EXACT",
        ] {
            assert!(
                open.contains(&inc.to_string()),
                "{inc} missing from {open:?}"
            );
        }
        assert!(!open.contains(&"INC-UNSTAMPED".to_string()));
        // A full refresh (the rules changed and back) finds the unstamped one as well, and
        // nothing else: the incremental one missed nothing that was stamped.
        sqlx::query("DELETE FROM queue_refresh_state")
            .execute(store.pool())
            .await
            .unwrap();
        let full = queue::refresh(&store, later).await.unwrap();
        assert_eq!(full.added, 1);
        assert!(open_refs(&store)
            .await
            .contains(&"INC-UNSTAMPED".to_string()));
    });
}

#[tokio::test]
async fn a_refresh_after_the_first_closes_only_items_whose_incident_or_referrals_changed() {
    on_both!(|store| {
        for r in ["INC-A", "INC-B", "INC-C"] {
            incident(&store, r, "2024-03-01T10:00:00", C).await;
        }
        assert_eq!(queue::refresh(&store, NOW).await.unwrap().added, 3);
        // In-time referrals for all three: one imported (stamped), one whose incident was
        // corrected (stamped), one written long ago and never stamped.
        for (r, i) in [("REF-A", "INC-A"), ("REF-B", "INC-B"), ("REF-C", "INC-C")] {
            referral(&store, r, i, "2024-03-01T20:00:00", "child", "CSC").await;
        }
        touch(&store, "referrals", "referral_ref", "REF-A").await;
        touch(&store, "incidents", "incident_ref", "INC-B").await;
        let r = queue::refresh(&store, NOW).await.unwrap();
        assert_eq!(r.closed_in_time, 2);
        assert_eq!(open_refs(&store).await, ["INC-C"]);
        // A full refresh (as after a change of rules) looks at every open item.
        sqlx::query("DELETE FROM queue_refresh_state")
            .execute(store.pool())
            .await
            .unwrap();
        let full = queue::refresh(&store, NOW).await.unwrap();
        assert_eq!(full.closed_in_time, 1);
        assert!(open_refs(&store).await.is_empty());
    });
}

#[tokio::test]
async fn a_queue_item_must_name_an_incident_on_the_register_and_keeps_it() {
    on_both!(|store| {
        incident(&store, "INC-A", "2024-03-01T10:00:00", C).await;
        assert_eq!(queue::refresh(&store, NOW).await.unwrap().added, 1);
        let id: i64 = sqlx::query_scalar("SELECT id FROM incidents WHERE incident_ref = 'INC-A'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let is_fk = |e: sqlx::Error| {
            let text = e.to_string();
            assert!(
                text.contains("FOREIGN KEY") || text.contains("foreign key"),
                "{text}"
            );
        };
        // No queue row for an incident that is not there, alone or among good ones.
        is_fk(
            sqlx::query("INSERT INTO missing_referrals (incident_id, rule, queued_at) VALUES ($1, 'x', 'now')")
                .bind(id + 1000)
                .execute(store.pool())
                .await
                .unwrap_err(),
        );
        is_fk(
            sqlx::query("UPDATE missing_referrals SET incident_id = $1")
                .bind(id + 1000)
                .execute(store.pool())
                .await
                .unwrap_err(),
        );
        // An incident on the queue can be neither deleted nor renumbered.
        is_fk(
            sqlx::query("DELETE FROM incidents WHERE id = $1")
                .bind(id)
                .execute(store.pool())
                .await
                .unwrap_err(),
        );
        is_fk(
            sqlx::query("UPDATE incidents SET id = $1 WHERE id = $2")
                .bind(id + 1000)
                .bind(id)
                .execute(store.pool())
                .await
                .unwrap_err(),
        );
        assert_eq!(open_refs(&store).await, ["INC-A"]);
        // An incident that is not on the queue can go.
        incident(&store, "INC-GONE", "2024-03-09T10:00:00", 0).await;
        sqlx::query("DELETE FROM incidents WHERE incident_ref = 'INC-GONE'")
            .execute(store.pool())
            .await
            .unwrap();
    });
}
