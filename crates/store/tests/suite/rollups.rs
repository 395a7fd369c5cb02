//! The impact dashboard's roll-ups (`impact_monthly`) on SQLite and PostgreSQL: after every
//! write that changes incidents, referrals or partner decisions (an import, a re-import with
//! changed rows, an outcome recorded on the page or the API) they equal a count made afresh from
//! the tables, and the dashboard's quarters read from them equal the live count; the training
//! effect kept between requests is estimated again when what it reads changes.

use mashboard_domain::impact::dashboard::QuarterCounts;
use mashboard_domain::outcomes::{Outcome, Source};
use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_store::audit_trail::Actor;
use mashboard_store::impact::{self, Filter, Scope};
use mashboard_store::outcomes::{self, NewOutcome};
use mashboard_store::{register, Store};
use time::macros::date;

type RollupRow = (String, String, i64, i64, i64, i64, i64, i64);

async fn rollup_rows(conn: &mut sqlx::AnyConnection) -> Vec<RollupRow> {
    sqlx::query_as(
        "SELECT month, department, linked, referrals, with_decision, accepted, rejected_or_returned,
            incidents_needing FROM impact_monthly ORDER BY month, department, linked",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// The roll-up as kept, and as a count made afresh (in a transaction that is rolled back).
async fn kept_and_recounted(store: &Store) -> (Vec<RollupRow>, Vec<RollupRow>) {
    let mut tx = store.begin().await.unwrap();
    let kept = rollup_rows(&mut tx).await;
    impact::refresh_all_rollups(&mut tx).await.unwrap();
    let fresh = rollup_rows(&mut tx).await;
    tx.rollback().await.unwrap();
    (kept, fresh)
}

async fn import(store: &Store, kind: RegisterKind, csv: &str) {
    let reader = RegisterReader::new(kind, std::io::Cursor::new(csv.as_bytes().to_vec())).unwrap();
    let report = register::import(store, &Actor::system(), reader, "test.csv", false)
        .await
        .unwrap();
    assert!(!report.rejected(), "{:?}", report.errors);
}

fn incidents(moved: bool) -> String {
    let mut csv = String::from("incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n");
    for n in 0..40u32 {
        let month = 11 + n % 7; // November 2023 to May 2024
        let (y, m) = if month > 12 {
            (2024, month - 12)
        } else {
            (2023, month)
        };
        let day = 1 + (n * 7) % 28;
        let mut dept = if n % 3 == 0 {
            "Neighbourhood"
        } else {
            "Response"
        };
        let mut when = format!("{y}-{m:02}-{day:02}T10:00:00");
        if moved && n == 5 {
            // A corrected export: another department and another month.
            dept = "Neighbourhood";
            when = "2024-05-20T10:00:00".into();
        }
        let child = if n % 2 == 0 { "yes" } else { "no" };
        let adult = if n % 5 == 0 { "yes" } else { "no" };
        csv.push_str(&format!(
            "INC-{n},{when},Concern,North,{child},{adult},no,,{dept}\n"
        ));
    }
    csv
}

fn referrals() -> String {
    let mut csv = String::from("referral_ref,incident_ref,submitted_at,subject_type,category,officer_grade,officer_staff_number,partner,narrative\n");
    for n in 0..30u32 {
        // Referrals 25 and over name an incident that is not on the register.
        let incident = if n >= 25 {
            format!("INC-X{n}")
        } else {
            format!("INC-{n}")
        };
        let month = 11 + n % 7;
        let (y, m) = if month > 12 {
            (2024, month - 12)
        } else {
            (2023, month)
        };
        let day = 1 + (n * 11) % 28;
        let partner = if n % 4 == 0 {
            "Adult social care"
        } else {
            "Children's social care"
        };
        csv.push_str(&format!(
            "PPN-{n},{incident},{y}-{m:02}-{day:02}T15:00:00,child,Neglect,standard,,{partner},Text\n"
        ));
    }
    csv
}

fn outcomes_csv(changed: bool) -> String {
    let mut csv = String::from("referral_ref,partner,outcome,reason,decided_at\n");
    let kinds = [
        "accepted_assessment",
        "no_further_action",
        "returned_more_information",
        "early_help",
    ];
    for n in 0..24u32 {
        let mut kind = kinds[(n % 4) as usize];
        if changed && n < 8 {
            kind = "no_further_action";
        }
        // The agency's name in other letters is still the agency it went to; a decision by
        // another agency does not count.
        let partner = match n % 4 {
            0 => "ADULT SOCIAL CARE",
            1 => "children's social care",
            2 => "Children's social care",
            _ => "Health",
        };
        csv.push_str(&format!("PPN-{n},{partner},{kind},,2024-06-01\n"));
    }
    csv
}

fn filters() -> Vec<Filter> {
    let mut out = Vec::new();
    for (from, to) in [
        // Whole months, from the roll-up alone.
        (date!(2023 - 10 - 01), date!(2024 - 06 - 30)),
        // A period that cuts months: the cut days are counted live.
        (date!(2023 - 11 - 15), date!(2024 - 05 - 10)),
        // Inside one month.
        (date!(2024 - 01 - 03), date!(2024 - 01 - 20)),
    ] {
        for scope in [
            Scope::Force,
            Scope::Department("Response".into()),
            Scope::Department("Neighbourhood".into()),
        ] {
            out.push(Filter { from, to, scope });
        }
    }
    out
}

/// The roll-up equals a fresh count, and the dashboard's quarters equal the live count for
/// every period and scope. Returns the force-wide quarters of the whole period.
async fn assert_current(store: &Store, after: &str) -> Vec<QuarterCounts> {
    let (kept, fresh) = kept_and_recounted(store).await;
    assert!(!kept.is_empty(), "{after}: the roll-up is empty");
    assert_eq!(kept, fresh, "{after}: the roll-up differs from a recount");
    for f in filters() {
        let read = impact::quarters(store, &f).await.unwrap();
        let live = impact::quarters_live(store, &f).await.unwrap();
        assert_eq!(read, live, "{after}: {f:?}");
    }
    impact::quarters(store, &filters()[0]).await.unwrap()
}

fn total(q: &[QuarterCounts], pick: fn(&QuarterCounts) -> u64) -> u64 {
    q.iter().map(pick).sum()
}

#[tokio::test]
async fn rollups_equal_a_recount_after_imports_reimports_and_recorded_outcomes() {
    on_both!(|store| {
        import(&store, RegisterKind::Incidents, &incidents(false)).await;
        import(&store, RegisterKind::Referrals, &referrals()).await;
        import(&store, RegisterKind::Outcomes, &outcomes_csv(false)).await;
        let q = assert_current(&store, "first import").await;
        assert_eq!(total(&q, |c| c.referrals), 30);
        // Children (20) or an adult at risk (8, four of them with children too).
        assert_eq!(total(&q, |c| c.incidents_needing), 24);
        // 0, 4, 8, … went to adult social care and were decided by it; 1, 2, 5, 6, … by the
        // children's social care they went to; 3, 7, … by Health, which is not the agency.
        assert_eq!(total(&q, |c| c.with_decision), 18);
        let rejected_before = total(&q, |c| c.rejected_or_returned);

        // A re-import with changed decisions: eight more become no further action where the
        // agency decided.
        import(&store, RegisterKind::Outcomes, &outcomes_csv(true)).await;
        let q = assert_current(&store, "re-import of outcomes").await;
        assert!(total(&q, |c| c.rejected_or_returned) > rejected_before);

        // A re-import where an incident moved department and month.
        import(&store, RegisterKind::Incidents, &incidents(true)).await;
        assert_current(&store, "re-import of incidents").await;

        // Incidents imported after their referrals: nothing to add, but the referrals of the
        // incidents that arrive later become a department's.
        let late = "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\nINC-X25,2024-02-02T10:00:00,Concern,North,yes,no,no,,Response\n";
        import(&store, RegisterKind::Incidents, late).await;
        assert_current(&store, "a late incident").await;

        // An outcome recorded on the page (or the API): a new decision and a changed one.
        let before = impact::quarters(&store, &filters()[0]).await.unwrap();
        for (r, outcome) in [
            ("PPN-27", Outcome::ReturnedMoreInformation),
            ("PPN-1", Outcome::AcceptedAssessment),
        ] {
            outcomes::record(
                &store,
                &Actor::system(),
                &NewOutcome {
                    referral_ref: r.into(),
                    partner: "Children's social care".into(),
                    outcome,
                    reason: String::new(),
                    decided_at: "2024-06-02".into(),
                    source: Source::Mash,
                },
            )
            .await
            .unwrap();
        }
        let after = assert_current(&store, "recorded outcomes").await;
        assert_eq!(
            total(&after, |c| c.with_decision),
            total(&before, |c| c.with_decision) + 1
        );
        assert_ne!(after, before);
    });
}

#[tokio::test]
async fn a_dry_run_or_a_refused_file_leaves_the_rollup_as_it_was() {
    on_both!(|store| {
        import(&store, RegisterKind::Incidents, &incidents(false)).await;
        let (kept, _) = kept_and_recounted(&store).await;
        let moved = incidents(true);
        let reader =
            RegisterReader::new(RegisterKind::Incidents, std::io::Cursor::new(moved)).unwrap();
        register::import(&store, &Actor::system(), reader, "t.csv", true)
            .await
            .unwrap();
        let bad = format!(
            "{}INC-bad,not a date,x,y,yes,no,no,,Response\n",
            incidents(true)
        );
        let reader =
            RegisterReader::new(RegisterKind::Incidents, std::io::Cursor::new(bad)).unwrap();
        let report = register::import(&store, &Actor::system(), reader, "t.csv", false)
            .await
            .unwrap();
        assert!(report.rejected());
        let (now, fresh) = kept_and_recounted(&store).await;
        assert_eq!(now, kept);
        assert_eq!(now, fresh);
    });
}

#[tokio::test]
async fn the_training_effect_is_kept_until_what_it_reads_changes() {
    on_both!(|store| {
        import(&store, RegisterKind::Incidents, &incidents(false)).await;
        import(&store, RegisterKind::Referrals, &referrals()).await;
        import(&store, RegisterKind::Outcomes, &outcomes_csv(false)).await;
        // Link the referrals to an officer by hand (no import does it here).
        sqlx::query("INSERT INTO people (staff_number, name, created_at, updated_at) VALUES ('S1', 'Officer', 'x', 'x')")
            .execute(store.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE referrals SET officer_person_id = (SELECT id FROM people WHERE staff_number = 'S1')")
            .execute(store.pool())
            .await
            .unwrap();
        impact::rebuild_rollups(&store).await.unwrap();
        let f = &filters()[0];
        let first = impact::effect(&store, f, "FL-PPN").await.unwrap();
        let version = impact::data_version(&store).await.unwrap();
        // Nothing changed: the same estimate, and the version has not moved.
        assert_eq!(impact::effect(&store, f, "FL-PPN").await.unwrap(), first);
        assert_eq!(impact::data_version(&store).await.unwrap(), version);
        // A decision recorded on the page moves the version and the estimate's counts.
        record_no_further_action_on_ppn_27(&store).await;
        assert!(impact::data_version(&store).await.unwrap() > version);
        let second = impact::effect(&store, f, "FL-PPN").await.unwrap();
        assert_eq!(
            second.effect.counts.referrals,
            first.effect.counts.referrals + 1
        );
        // A change to people (whose team names the MASH, whose line manager is whom) moves the
        // version too, through the database's own triggers.
        let v = impact::data_version(&store).await.unwrap();
        sqlx::query("UPDATE people SET team = 'MASH'")
            .execute(store.pool())
            .await
            .unwrap();
        assert!(impact::data_version(&store).await.unwrap() > v);
        // And the dashboard shows the estimate of the moment.
        let d = impact::dashboard(
            &store,
            f,
            "FL-PPN",
            mashboard_domain::impact::ChartKind::P,
            date!(2024 - 07 - 01),
        )
        .await
        .unwrap();
        assert_eq!(d.effect, second);
    });
}

/// Recording a decision moves only the roll-up rows of its referral (old decision out, new
/// decision in): after every step of a sequence of new and changed decisions, by the agency the
/// referral went to, in other letters, by another agency, on a referral whose incident is not on
/// the register, and the same decision again, the roll-up equals a count made afresh.
#[tokio::test]
async fn recorded_and_changed_decisions_move_the_rollup_to_what_a_recount_gives() {
    on_both!(|store| {
        import(&store, RegisterKind::Incidents, &incidents(false)).await;
        import(&store, RegisterKind::Referrals, &referrals()).await;
        import(&store, RegisterKind::Outcomes, &outcomes_csv(false)).await;
        assert_current(&store, "the imports").await;
        let steps: [(&str, &str, Outcome, &str); 12] = [
            // A first decision by the agency it went to.
            (
                "PPN-9",
                "Children's social care",
                Outcome::NoFurtherAction,
                "",
            ),
            // Changed: rejected to accepted, then to returned, then back to accepted.
            (
                "PPN-9",
                "Children's social care",
                Outcome::AcceptedAssessment,
                "",
            ),
            (
                "PPN-9",
                "CHILDREN'S SOCIAL CARE",
                Outcome::ReturnedMoreInformation,
                "",
            ),
            ("PPN-1", "children's social care", Outcome::EarlyHelp, ""),
            // Adult social care's decision changed from accepted to no further action.
            ("PPN-0", "Adult social care", Outcome::NoFurtherAction, ""),
            // Another agency's decision counts for nothing (before and after).
            ("PPN-3", "Health", Outcome::NoFurtherAction, ""),
            ("PPN-3", "Health", Outcome::AcceptedAssessment, ""),
            // Referrals whose incident is not on the register (linked 0, no department).
            (
                "PPN-26",
                "Children's social care",
                Outcome::ReturnedMoreInformation,
                "",
            ),
            (
                "PPN-26",
                "Children's social care",
                Outcome::AcceptedAssessment,
                "",
            ),
            ("PPN-28", "Adult social care", Outcome::NoFurtherAction, ""),
            // Only the reason changes; then the very same decision again.
            (
                "PPN-9",
                "Children's social care",
                Outcome::ReturnedMoreInformation,
                "More detail",
            ),
            (
                "PPN-9",
                "Children's social care",
                Outcome::ReturnedMoreInformation,
                "More detail",
            ),
        ];
        let mut rejected = Vec::new();
        for (i, (r, partner, outcome, reason)) in steps.into_iter().enumerate() {
            outcomes::record(
                &store,
                &Actor::system(),
                &NewOutcome {
                    referral_ref: r.into(),
                    partner: partner.into(),
                    outcome,
                    reason: reason.into(),
                    decided_at: "2024-06-03".into(),
                    source: Source::Mash,
                },
            )
            .await
            .unwrap();
            let q = assert_current(&store, &format!("step {i}: {r} {partner} {outcome:?}")).await;
            rejected.push(total(&q, |c| c.rejected_or_returned));
        }
        // The steps did move the figures: PPN-9's first decision was no further action.
        assert_ne!(rejected[0], rejected[1], "{rejected:?}");
        assert_eq!(
            rejected[5], rejected[6],
            "another agency's decision: {rejected:?}"
        );
    });
}

/// The estimate is kept in the database, not only in one instance's memory: a second store
/// opened on the same database (a restart, or another instance) answers from it without
/// estimating again, and a decision recorded by either makes both estimate again.
#[tokio::test]
async fn a_second_instance_reuses_the_kept_estimate_until_a_decision_is_recorded() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        eprintln!("-- on {label}");
        let first = Store::open(&url).await.unwrap();
        import(&first, RegisterKind::Incidents, &incidents(false)).await;
        import(&first, RegisterKind::Referrals, &referrals()).await;
        import(&first, RegisterKind::Outcomes, &outcomes_csv(false)).await;
        sqlx::query("INSERT INTO people (staff_number, name, created_at, updated_at) VALUES ('S1', 'Officer', 'x', 'x')")
            .execute(first.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE referrals SET officer_person_id = (SELECT id FROM people WHERE staff_number = 'S1')")
            .execute(first.pool())
            .await
            .unwrap();
        impact::rebuild_rollups(&first).await.unwrap();
        let f = &filters()[0];
        let made = impact::effect(&first, f, "FL-PPN").await.unwrap();
        assert_eq!(impact::effect_estimates(&first), 1, "{label}");

        // Another instance (or this one after a restart) finds it: no estimate of its own.
        let second = Store::open(&url).await.unwrap();
        let found = impact::effect(&second, f, "FL-PPN").await.unwrap();
        assert_eq!(impact::effect_estimates(&second), 0, "{label}");
        assert_eq!(found, made, "{label}: the kept estimate reads back whole");
        assert!(
            found.none_because.is_some(),
            "{label}: one officer is too few"
        );
        // Another period or scope is another estimate.
        impact::effect(&second, &filters()[4], "FL-PPN")
            .await
            .unwrap();
        assert_eq!(impact::effect_estimates(&second), 1, "{label}");

        // A decision recorded through the second instance: both estimate again, and see it.
        record_no_further_action_on_ppn_27(&second).await;
        let again = impact::effect(&first, f, "FL-PPN").await.unwrap();
        assert_eq!(impact::effect_estimates(&first), 2, "{label}");
        assert_eq!(
            again.effect.counts.referrals,
            made.effect.counts.referrals + 1,
            "{label}"
        );
        // …and the first instance's new estimate is the one the second finds.
        assert_eq!(impact::effect(&second, f, "FL-PPN").await.unwrap(), again);
        assert_eq!(impact::effect_estimates(&second), 1, "{label}");
        // Estimates of older versions are not kept.
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT DISTINCT data_version FROM impact_effect_estimates")
                .fetch_all(first.pool())
                .await
                .unwrap();
        assert_eq!(versions, vec![impact::data_version(&first).await.unwrap()]);
        second.close().await;
        first.close().await;
    }
}

/// The dashboard's quarters and coverage are kept between requests per data version: a later
/// request answers what a live count gives, and a decision recorded or a completion added in
/// between shows at once.
#[tokio::test]
async fn the_kept_quarters_and_coverage_follow_every_write() {
    on_both!(|store| {
        import(&store, RegisterKind::Incidents, &incidents(false)).await;
        import(&store, RegisterKind::Referrals, &referrals()).await;
        import(&store, RegisterKind::Outcomes, &outcomes_csv(false)).await;
        sqlx::query("INSERT INTO people (staff_number, name, department, created_at, updated_at) VALUES ('S1', 'Officer', 'Response', 'x', 'x')")
            .execute(store.pool())
            .await
            .unwrap();
        let today = date!(2024 - 07 - 01);
        for f in filters() {
            let (q, _) = impact::kept_counts(&store, &f, "FL-PPN").await.unwrap();
            assert_eq!(q, impact::quarters_live(&store, &f).await.unwrap(), "{f:?}");
        }
        let f = &filters()[0];
        let before = impact::series(&store, f, "FL-PPN", today).await.unwrap();
        record_no_further_action_on_ppn_27(&store).await;
        let after = impact::series(&store, f, "FL-PPN", today).await.unwrap();
        assert_eq!(
            total(&after.quarters, |c| c.with_decision),
            total(&before.quarters, |c| c.with_decision) + 1
        );
        assert_eq!(
            after.quarters,
            impact::quarters_live(&store, f).await.unwrap()
        );
        // A completion of the module: the coverage moves (through the version's triggers).
        let trained = |s: &mashboard_domain::impact::dashboard::Series| {
            s.coverage.iter().map(|p| p.trained).sum::<u64>()
        };
        assert_eq!(trained(&after), 0);
        for sql in [
            "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at) VALUES ('FL-PPN', 'Frontline', 'classroom', 'published', '1', 'x', 'x')",
            "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at)
             SELECT p.id, m.id, '1', '2024-01-10', 'in_person', 'signed_off', 'imported', 'test', 'x', 'x' FROM people p, modules m",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        let later = impact::series(&store, f, "FL-PPN", today).await.unwrap();
        assert!(trained(&later) > 0, "{:?}", later.coverage);
        assert_eq!(
            later.coverage,
            impact::coverage(&store, f, "FL-PPN").await.unwrap()
        );
    });
}

/// MASH staff record "no further action" from children's social care on referral PPN-27.
async fn record_no_further_action_on_ppn_27(store: &Store) {
    outcomes::record(
        store,
        &Actor::system(),
        &NewOutcome {
            referral_ref: "PPN-27".into(),
            partner: "Children's social care".into(),
            outcome: Outcome::NoFurtherAction,
            reason: String::new(),
            decided_at: "2024-06-02".into(),
            source: Source::Mash,
        },
    )
    .await
    .unwrap();
}
