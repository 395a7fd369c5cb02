//! The incident and referral register's imports, every test on SQLite and on PostgreSQL, with
//! the domain crate's messy fixtures (`crates/domain/tests/fixtures/register/`).

use crate::common::{count, fixture, import_bytes, scalar, seed_people};
use mashboard_domain::people::PersonDraft;
use mashboard_domain::register::{RegisterKind, RegisterMapping, RegisterReader};
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::keyset::PageStart;
use mashboard_store::register::{self, RegisterReport};
use mashboard_store::{people, Store};

async fn import(store: &Store, kind: RegisterKind, name: &str) -> RegisterReport {
    import_bytes(store, kind, &fixture(&format!("register/{name}")), false).await
}

/// How many referrals match (up to the cap) and the first page of them.
async fn referrals_listed(
    store: &Store,
    q: &register::ReferralQuery,
) -> (i64, Vec<register::ReferralSummary>) {
    let page = register::referrals_page(store, q, &PageStart::First, 10)
        .await
        .unwrap();
    let count = register::referrals_count(store, q).await.unwrap();
    (count.n, page.rows)
}

/// How many incidents match (up to the cap) and the first `limit` of them.
async fn incidents_listed(
    store: &Store,
    q: &register::IncidentQuery,
    limit: i64,
) -> (i64, Vec<register::Incident>) {
    let page = register::incidents_page(store, q, &PageStart::First, limit)
        .await
        .unwrap();
    let count = register::incidents_count(store, q).await.unwrap();
    (count.n, page.rows)
}

/// The two officers the fixtures name (S999 is deliberately missing).
async fn officers(store: &Store) {
    seed_people(store, &[("S100", "Mona Hughes"), ("S200", "Len Okafor")]).await;
}

async fn audit_actions(store: &Store) -> Vec<String> {
    let (_, events) = audit_trail::list(
        store,
        &AuditFilter {
            action: "register.".into(),
            ..Default::default()
        },
        100,
    )
    .await
    .unwrap();
    events.into_iter().rev().map(|e| e.action).collect()
}

#[tokio::test]
async fn importing_twice_changes_nothing_the_second_time() {
    on_both!(|store| {
        officers(&store).await;
        let first = import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        assert!(!first.rejected(), "{:?}", first.errors);
        assert_eq!((first.created, first.updated, first.unchanged), (4, 0, 0));
        assert_eq!(first.rows_read, 4);
        let again = import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4));
        let before: Vec<String> =
            sqlx::query_scalar("SELECT updated_at FROM incidents ORDER BY incident_ref")
                .fetch_all(store.pool())
                .await
                .unwrap();
        // One changed cell is one changed row.
        let text = String::from_utf8(fixture("register/incidents-messy.csv"))
            .unwrap()
            .replace("Missing person", "Missing child");
        let changed = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
        assert_eq!(
            (changed.created, changed.updated, changed.unchanged),
            (0, 1, 3)
        );
        let after: Vec<String> =
            sqlx::query_scalar("SELECT updated_at FROM incidents ORDER BY incident_ref")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert_eq!(before[..3], after[..3], "unchanged rows are not touched");
        assert_ne!(before[3], after[3]);
        let i = register::incident(&store, "INC-24-0004")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(i.category, "Missing child");
        assert_eq!(i.reported_at, "2024-01-06T14:05:00");
        // One audit event per import, not one per row.
        assert_eq!(
            audit_actions(&store).await,
            vec!["register.import", "register.import", "register.import"]
        );
    });
}

#[tokio::test]
async fn a_file_with_one_bad_row_leaves_the_register_as_it_was() {
    on_both!(|store| {
        officers(&store).await;
        import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        let report = import(&store, RegisterKind::Incidents, "incidents-bad.csv").await;
        assert!(report.rejected());
        let at: Vec<(usize, Option<&str>)> = report
            .errors
            .iter()
            .map(|e| (e.row, e.column.as_deref()))
            .collect();
        assert_eq!(
            at,
            vec![
                (3, Some("reported_at")),
                (3, Some("children_involved")),
                (5, Some("incident_ref"))
            ]
        );
        assert_eq!(report.error_count, 3);
        assert_eq!(
            count(&store, "incidents").await,
            4,
            "nothing of the bad file"
        );
        assert!(register::incident(&store, "INC-B-1")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            audit_actions(&store).await,
            vec!["register.import", "register.import_rejected"]
        );
    });
}

#[tokio::test]
async fn a_bad_row_after_many_good_batches_still_rolls_everything_back() {
    on_both!(|store| {
        let mut text = String::from("incident_ref,reported_at\n");
        for i in 0..1_200 {
            text.push_str(&format!("BIG-{i},2024-01-01\n"));
        }
        text.push_str("BIG-X,not a date\n");
        let report = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
        assert!(report.rejected());
        assert_eq!(report.errors[0].row, 1_202);
        assert_eq!(count(&store, "incidents").await, 0);
        // Up to 100 problems are listed, and all are counted.
        let mut text = String::from("incident_ref,reported_at\n");
        for i in 0..150 {
            text.push_str(&format!("BAD-{i},never\n"));
        }
        let report = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
        assert_eq!(report.error_count, 150);
        assert_eq!(report.errors.len(), 100);
    });
}

#[tokio::test]
async fn an_unknown_officer_imports_unlinked_with_a_warning() {
    on_both!(|store| {
        officers(&store).await;
        let report = import(&store, RegisterKind::Referrals, "referrals-1252.csv").await;
        assert!(!report.rejected(), "{:?}", report.errors);
        assert_eq!(report.encoding, "Windows-1252");
        assert_eq!(report.created, 3);
        assert_eq!(report.warning_count, 1);
        assert_eq!(report.warnings[0].row, 4);
        assert!(report.warnings[0]
            .reason
            .contains("Officer S999 is not in the people directory"));
        let linked = register::referral(&store, "PPN-0001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(linked.officer_name.as_deref(), Some("Mona Hughes"));
        assert!(linked.narrative.contains("café flat.\nMother said"));
        let unlinked = register::referral(&store, "PPN-0003")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unlinked.officer_staff_number, "S999");
        assert_eq!(unlinked.officer_name, None);
        // Once the officer joins the directory, a re-import links them: one changed row.
        people::import(
            &store,
            &Actor::system(),
            &[(
                2,
                PersonDraft {
                    staff_number: "S999".into(),
                    name: "Ade New".into(),
                    ..Default::default()
                }
                .validate()
                .unwrap(),
            )],
            false,
            "seed",
        )
        .await
        .unwrap();
        let again = import(&store, RegisterKind::Referrals, "referrals-1252.csv").await;
        assert_eq!((again.created, again.updated, again.unchanged), (0, 1, 2));
        assert_eq!(again.warning_count, 0);
        let linked = register::referral(&store, "PPN-0003")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(linked.officer_name.as_deref(), Some("Ade New"));
    });
}

#[tokio::test]
async fn outcomes_and_people_need_a_referral_in_the_register() {
    on_both!(|store| {
        officers(&store).await;
        let refused = import(&store, RegisterKind::Outcomes, "outcomes-friendly.tsv").await;
        assert!(refused.rejected(), "no referrals yet");
        assert_eq!(refused.error_count, 4);
        assert!(refused.errors[0].reason.contains("no referral PPN-0001"));
        import(&store, RegisterKind::Referrals, "referrals-1252.csv").await;
        let report = import(
            &store,
            RegisterKind::Outcomes,
            "outcomes-unknown-referral.csv",
        )
        .await;
        assert!(report.rejected());
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].row, 3);
        assert_eq!(report.errors[0].column.as_deref(), Some("referral_ref"));
        assert_eq!(count(&store, "referral_outcomes").await, 0);
        let ok = import(&store, RegisterKind::Outcomes, "outcomes-friendly.tsv").await;
        assert_eq!(ok.created, 4);
        let outcomes = register::outcomes_of(&store, "PPN-0003").await.unwrap();
        let words: Vec<(&str, &str)> = outcomes
            .iter()
            .map(|o| (o.partner.as_str(), o.outcome.as_str()))
            .collect();
        assert_eq!(
            words,
            vec![
                ("Children's social care", "early_help"),
                ("Education", "returned_more_information")
            ]
        );
        let people_report =
            import(&store, RegisterKind::ReferralPeople, "referral-people.csv").await;
        assert_eq!(people_report.created, 3);
        let named = register::people_named_in(&store, "PPN-0001").await.unwrap();
        assert_eq!(named.len(), 3);
        assert_eq!(named[0].role, "child");
        let again = import(&store, RegisterKind::ReferralPeople, "referral-people.csv").await;
        assert_eq!(again.unchanged, 3);
    });
}

#[tokio::test]
async fn outcomes_recorded_in_mashboard_are_not_overwritten_by_an_import() {
    on_both!(|store| {
        officers(&store).await;
        import(&store, RegisterKind::Referrals, "referrals-1252.csv").await;
        sqlx::query(
            "INSERT INTO referral_outcomes (referral_ref, partner, outcome, reason, decided_at, source, recorded_by, updated_at)
             VALUES ('PPN-0002', 'Adult social care', 'accepted_s42', 'Recorded by the partner', '2024-01-09', 'partner', 'asc-user', '2024-01-09T10:00:00.000000Z')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let report = import(&store, RegisterKind::Outcomes, "outcomes-friendly.tsv").await;
        assert_eq!(
            (report.created, report.skipped, report.unchanged),
            (3, 1, 0)
        );
        let kept = register::outcomes_of(&store, "PPN-0002").await.unwrap();
        assert_eq!(kept[0].outcome, "accepted_s42");
        assert_eq!(kept[0].source, "partner");
    });
}

#[tokio::test]
async fn a_dry_run_reports_the_same_and_writes_nothing() {
    on_both!(|store| {
        officers(&store).await;
        let dry = import_bytes(
            &store,
            RegisterKind::Incidents,
            &fixture("register/incidents-messy.csv"),
            true,
        )
        .await;
        assert!(dry.dry_run && !dry.rejected());
        assert_eq!((dry.created, dry.updated, dry.unchanged), (4, 0, 0));
        assert_eq!(dry.warning_count, 1, "S999");
        assert_eq!(count(&store, "incidents").await, 0);
        assert_eq!(audit_actions(&store).await, vec!["register.import_checked"]);
        let real = import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        assert_eq!(
            (real.created, real.updated, real.unchanged),
            (dry.created, dry.updated, dry.unchanged)
        );
    });
}

#[tokio::test]
async fn a_saved_mapping_reads_another_layout() {
    on_both!(|store| {
        let bytes = fixture("register/incidents-other-layout.csv");
        let reader = RegisterReader::new(RegisterKind::Incidents, &bytes[..]).unwrap();
        let mut mapping = reader.mapping().clone();
        mapping
            .set(RegisterKind::Incidents, "children_involved", "kids_present")
            .unwrap();
        let saved = register::save_mapping(
            &store,
            &Actor::system(),
            RegisterKind::Incidents,
            "Old RMS",
            &mapping,
        )
        .await
        .unwrap();
        assert!(saved.mapping.contains("children_involved=kids_present"));
        let found = register::mapping(&store, RegisterKind::Incidents, "old rms")
            .await
            .unwrap()
            .unwrap();
        assert!(
            register::mapping(&store, RegisterKind::Referrals, "Old RMS")
                .await
                .unwrap()
                .is_none()
        );
        let mut reader =
            RegisterReader::new(RegisterKind::Incidents, std::io::Cursor::new(bytes.clone()))
                .unwrap();
        let parsed: RegisterMapping = found.parsed(RegisterKind::Incidents).unwrap();
        reader.set_mapping(&parsed).unwrap();
        let report = register::import(&store, &Actor::system(), reader, "rms.csv", false)
            .await
            .unwrap();
        assert_eq!(report.created, 2);
        let i = register::incident(&store, "OC/24/100")
            .await
            .unwrap()
            .unwrap();
        assert!(i.children_involved && i.domestic_abuse && !i.adult_at_risk);
        assert_eq!(i.area, "Beat 4");
    });
}

#[tokio::test]
async fn the_register_lists_filter_and_page() {
    on_both!(|store| {
        officers(&store).await;
        import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        import(&store, RegisterKind::Referrals, "referrals-1252.csv").await;
        let q = register::ReferralQuery {
            subject_type: "child".into(),
            ..Default::default()
        };
        let (total, rows) = referrals_listed(&store, &q).await;
        assert_eq!(total, 2);
        assert_eq!(rows[0].referral_ref, "PPN-0003", "newest first");
        let q = register::ReferralQuery {
            from: "2024-01-04".into(),
            to: "2024-01-04".into(),
            ..Default::default()
        };
        let (total, _) = referrals_listed(&store, &q).await;
        assert_eq!(total, 2, "both dates inclusive");
        let q = register::ReferralQuery {
            officer: "s100".into(),
            search: "ppn".into(),
            ..Default::default()
        };
        let (total, rows) = referrals_listed(&store, &q).await;
        assert_eq!((total, rows[0].referral_ref.as_str()), (1, "PPN-0001"));
        let q = register::IncidentQuery {
            flag: "domestic_abuse".into(),
            ..Default::default()
        };
        let (total, page) = incidents_listed(&store, &q, 1).await;
        assert_eq!((total, page.len()), (2, 1));
        let linked = register::referrals_of_incident(&store, "INC-24-0001")
            .await
            .unwrap();
        assert_eq!(linked.len(), 1);
        assert_eq!(
            register::partners(&store).await.unwrap(),
            vec!["Adult social care", "Children's social care", "Education"]
        );
    });
}

#[tokio::test]
async fn a_percent_or_underscore_in_the_search_matches_only_itself() {
    on_both!(|store| {
        officers(&store).await;
        import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        import(&store, RegisterKind::Referrals, "referrals-1252.csv").await;
        for term in ["%", "_", "PPN_0001", "\\"] {
            let q = register::ReferralQuery {
                search: term.into(),
                ..Default::default()
            };
            let (total, _) = referrals_listed(&store, &q).await;
            assert_eq!(total, 0, "referrals matching {term:?}");
            let q = register::IncidentQuery {
                search: term.into(),
                ..Default::default()
            };
            let (total, _) = incidents_listed(&store, &q, 10).await;
            assert_eq!(total, 0, "incidents matching {term:?}");
        }
        let q = register::ReferralQuery {
            search: "ppn-000".into(),
            ..Default::default()
        };
        let (total, _) = referrals_listed(&store, &q).await;
        assert!(total > 0, "an ordinary search still finds what it names");
    });
}

#[tokio::test]
async fn a_header_only_file_is_refused_for_every_kind() {
    on_both!(|store| {
        for kind in [
            RegisterKind::Incidents,
            RegisterKind::Referrals,
            RegisterKind::Outcomes,
            RegisterKind::ReferralPeople,
        ] {
            let bytes = format!("{}\r\n", kind.canonical_header());
            let report = import_bytes(&store, kind, bytes.as_bytes(), false).await;
            assert!(report.rejected(), "{kind:?}: {report:?}");
            assert!(
                report.errors[0].reason.starts_with("The file is empty"),
                "{kind:?}: {:?}",
                report.errors
            );
            assert_eq!(report.created, 0);
        }
        assert!(audit_actions(&store)
            .await
            .iter()
            .any(|a| a == "register.import_rejected"));
    });
}

/// The indexes on a table: each name with its definition.
async fn indexes(store: &Store, table: &str) -> Vec<(String, String)> {
    let sql = match store.backend() {
        mashboard_store::Backend::Sqlite => {
            "SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 ORDER BY name"
        }
        mashboard_store::Backend::Postgres => {
            "SELECT indexname::TEXT, indexdef::TEXT FROM pg_indexes WHERE tablename = $1 ORDER BY indexname"
        }
    };
    sqlx::query_as(sql)
        .bind(table)
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_first_import_into_an_empty_register_keeps_every_index() {
    on_both!(|store| {
        officers(&store).await;
        let at_start = indexes(&store, "incidents").await;
        // The register's lists, draws and dashboard each need theirs: a load into the empty
        // table drops them and builds them again, the same.
        assert!(at_start.len() >= 8, "{at_start:?}");
        // A refused first import (secondary indexes are built after the load) leaves them.
        let refused = import(&store, RegisterKind::Incidents, "incidents-bad.csv").await;
        assert!(refused.rejected());
        assert_eq!(indexes(&store, "incidents").await, at_start);
        // A dry run, then a real one.
        let checked = import_bytes(
            &store,
            RegisterKind::Incidents,
            &fixture("register/incidents-messy.csv"),
            true,
        )
        .await;
        assert_eq!(checked.created, 4);
        assert_eq!(indexes(&store, "incidents").await, at_start);
        let first = import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        assert_eq!(first.created, 4);
        assert_eq!(indexes(&store, "incidents").await, at_start);
        // And the rebuilt indexes answer queries: the officer link and the date order.
        let (total, rows) = incidents_listed(
            &store,
            &register::IncidentQuery {
                officer: "S100".into(),
                ..Default::default()
            },
            10,
        )
        .await;
        assert!(total >= 1);
        assert!(rows
            .iter()
            .all(|r| r.officer_name.as_deref() == Some("Mona Hughes")));
        // Referrals likewise.
        let referral_indexes = indexes(&store, "referrals").await;
        assert!(referral_indexes.len() >= 3, "{referral_indexes:?}");
        let referrals = import(&store, RegisterKind::Referrals, "referrals-1252.csv").await;
        assert!(
            !referrals.rejected() && referrals.created > 0,
            "{referrals:?}"
        );
        assert_eq!(indexes(&store, "referrals").await, referral_indexes);
    });
}

/// On PostgreSQL a load that changes much of a table refreshes the table's statistics in the
/// import, so what runs next (the missing-referral queue refresh, the next import) is planned
/// for the rows really there, not for the empty table the statistics last saw.
#[tokio::test]
async fn a_large_load_leaves_postgresql_with_statistics_of_what_it_loaded() {
    on_both!(|store| {
        if store.backend() == mashboard_store::Backend::Postgres {
            import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
            // Only ANALYZE writes column statistics (building an index does not).
            let columns = scalar(
                &store,
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stats WHERE tablename = 'incidents'",
            )
            .await;
            assert!(columns > 0, "no statistics after the load");
        }
    });
}

/// The missing-referral queue's items: each incident with the rules that put it there.
async fn queue_items(store: &Store) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT i.incident_ref, m.rule FROM missing_referrals m
         JOIN incidents i ON i.id = m.incident_id ORDER BY i.incident_ref",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

/// A first load of incidents into an empty register builds the missing-referral queue in its
/// own transaction (reading the table once) instead of the refresh after it: the queue must be
/// exactly what the ordinary refresh gives, under the rules in force, and a refresh just after
/// must find nothing more to do. A later import still refreshes the queue as before.
#[tokio::test]
async fn a_first_load_of_incidents_queues_what_a_refresh_would() {
    use mashboard_domain::queue::{Rule, Rules};
    use mashboard_store::queue;
    on_both!(|store| {
        // Rules other than the default: adult at risk on too, and a 48-hour window.
        let mut rules = Rules::default();
        rules.set(Rule::AdultAtRisk, true);
        rules.window_hours = 48;
        queue::set_rules(&store, &Actor::system(), &rules)
            .await
            .unwrap();
        // Referrals can arrive before their incidents: one within the window, one after it.
        let referrals = "referral_ref,incident_ref,submitted_at,subject_type,category,officer_grade,officer_staff_number,partner,narrative
REF-1,INC-IN-TIME,02/03/2024 10:00,child,Domestic,standard,,Children's social care,Seen
REF-2,INC-LATE,12/03/2024 09:00,child,Domestic,standard,,Children's social care,Seen
";
        let r = import_bytes(&store, RegisterKind::Referrals, referrals.as_bytes(), false).await;
        assert_eq!(r.created, 2, "{:?}", r.errors);
        // An incident reported an hour ago has not reached the end of its window.
        let recent = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
            .format(time::macros::format_description!(
                "[day]/[month]/[year] [hour]:[minute]"
            ))
            .unwrap();
        let incidents = format!(
            "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department
INC-IN-TIME,01/03/2024 09:00,Domestic,North,Y,N,N,,Response
INC-LATE,01/03/2024 09:00,Domestic,North,N,N,Y,,Response
INC-ADULT,05/03/2024 12:00,Assault,South,N,Y,N,,CID
INC-BOTH,06/03/2024 12:00,Domestic,East,Y,N,Y,,Response
INC-NONE,07/03/2024 12:00,Assault,West,N,N,N,,Response
INC-RECENT,{recent},Domestic,West,Y,N,N,,Response
"
        );
        let r = import_bytes(&store, RegisterKind::Incidents, incidents.as_bytes(), false).await;
        assert_eq!(r.created, 6, "{:?}", r.errors);
        let built = queue_items(&store).await;
        let owned = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        assert_eq!(
            built,
            owned(&[
                ("INC-ADULT", "adult_at_risk"),
                ("INC-BOTH", "children_involved,domestic_abuse"),
                ("INC-LATE", "domestic_abuse"),
            ])
        );
        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "missing.refresh".into(),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 1);
        assert!(
            events[0].summary.contains("3 incident(s) added"),
            "{}",
            events[0].summary
        );

        // A refresh right after finds nothing more to add or close.
        let again = queue::refresh(&store, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!((again.added, again.closed_in_time), (0, 0));
        assert_eq!(queue_items(&store).await, built);

        // The ordinary refresh from nothing gives the same queue.
        for sql in [
            "DELETE FROM missing_referrals",
            "DELETE FROM queue_refresh_state",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        let full = queue::refresh(&store, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!(full.added, 3);
        assert_eq!(queue_items(&store).await, built);

        // A later import (the table no longer empty) refreshes the queue after it commits.
        let more = "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department
INC-MORE,08/03/2024 12:00,Domestic,North,Y,N,N,,Response
";
        let r = import_bytes(&store, RegisterKind::Incidents, more.as_bytes(), false).await;
        assert_eq!(r.created, 1);
        assert!(queue_items(&store)
            .await
            .contains(&("INC-MORE".to_string(), "children_involved".to_string())));
    });
}

/// A large first load (10,000 rows or more into an empty table) counts the dashboard's roll-up
/// again whole rather than month by month: it must equal a count made afresh from the tables,
/// with referrals already in the register linked to their new incidents.
#[tokio::test]
async fn a_large_first_load_leaves_the_dashboard_roll_up_as_a_fresh_count() {
    type Row = (String, String, i64, i64, i64, i64, i64, i64);
    async fn rows(conn: &mut sqlx::AnyConnection) -> Vec<Row> {
        sqlx::query_as(
            "SELECT month, department, linked, referrals, with_decision, accepted,
                rejected_or_returned, incidents_needing FROM impact_monthly
             ORDER BY month, department, linked",
        )
        .fetch_all(conn)
        .await
        .unwrap()
    }
    on_both!(|store| {
        let referrals = "referral_ref,incident_ref,submitted_at,subject_type,category,officer_grade,officer_staff_number,partner,narrative
REF-1,INC-00007,02/03/2024 10:00,child,Domestic,standard,,Children's social care,Seen
REF-2,INC-09999,12/08/2023 09:00,adult,Domestic,standard,,Adult social care,Seen
REF-3,INC-NOT-HERE,12/08/2023 09:00,adult,Domestic,standard,,Adult social care,Seen
";
        import_bytes(&store, RegisterKind::Referrals, referrals.as_bytes(), false).await;
        let mut csv = String::from("incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n");
        let departments = ["Response", "CID", "Neighbourhood"];
        for n in 0..10_000 {
            let flag = |k: usize| if n % k == 0 { "Y" } else { "N" };
            csv.push_str(&format!(
                "INC-{n:05},{:02}/{:02}/{},Domestic,North,{},{},{},,{}\n",
                1 + n % 28,
                1 + (n / 7) % 12,
                2022 + (n / 100) % 3,
                flag(3),
                flag(5),
                flag(7),
                departments[n % 3]
            ));
        }
        let r = import_bytes(&store, RegisterKind::Incidents, csv.as_bytes(), false).await;
        assert_eq!(r.created, 10_000, "{:?}", r.errors);
        let mut tx = store.begin().await.unwrap();
        let kept = rows(&mut tx).await;
        mashboard_store::impact::refresh_all_rollups(&mut tx)
            .await
            .unwrap();
        let fresh = rows(&mut tx).await;
        tx.rollback().await.unwrap();
        assert!(kept.len() > 36, "{} rows: {kept:?}", kept.len());
        assert_eq!(kept, fresh);
    });
}

/// A reference given twice is refused with the row it was first on, whether the two rows are
/// batches apart or side by side; a row refused for another reason does not claim its
/// reference; a repeated row is not warned about. (On SQLite the references met so far are
/// kept in a temporary table rather than in memory: the report must be the reader's, word for
/// word.)
#[tokio::test]
async fn a_repeated_reference_is_refused_with_its_first_row_however_far_apart() {
    on_both!(|store| {
        let mut text = String::from("incident_ref,reported_at,officer_staff_number\n");
        for i in 0..2_500 {
            text.push_str(&format!("R-{i},2024-01-01,\n"));
        }
        text.push_str("R-5,2024-01-01,S404\n"); // row 2502: R-5 was on row 7
        text.push_str("R-2499,2024-01-01,\n"); // row 2503: R-2499 was on row 2501
        text.push_str("R-X,never,\n"); // row 2504: a bad date
        text.push_str("R-X,2024-01-02,\n"); // row 2505: the first good R-X
        text.push_str("R-X,2024-01-03,\n"); // row 2506: R-X was on row 2505
        for dry_run in [true, false] {
            let report =
                import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), dry_run).await;
            let at: Vec<(usize, Option<&str>)> = report
                .errors
                .iter()
                .map(|e| (e.row, e.column.as_deref()))
                .collect();
            assert_eq!(
                at,
                vec![
                    (2502, Some("incident_ref")),
                    (2503, Some("incident_ref")),
                    (2504, Some("reported_at")),
                    (2506, Some("incident_ref")),
                ],
                "{:?}",
                report.errors
            );
            assert_eq!(report.error_count, 4);
            assert_eq!(
                report.errors[0].reason,
                "Incident R-5 is also on row 7; each incident must appear only once in a file. Delete one of rows 7 and 2502"
            );
            assert!(report.errors[1]
                .reason
                .starts_with("Incident R-2499 is also on row 2501;"));
            assert!(report.errors[3]
                .reason
                .starts_with("Incident R-X is also on row 2505;"));
            assert_eq!(report.warning_count, 0, "{:?}", report.warnings);
            assert_eq!(report.rows_read, 2_505);
            assert_eq!(count(&store, "incidents").await, 0);
        }
        // Without the repeats the same file imports, and again it changes nothing.
        let fixed: String = text
            .lines()
            .enumerate()
            .filter(|(i, _)| ![2501, 2502, 2503, 2505].contains(i))
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        let first = import_bytes(&store, RegisterKind::Incidents, fixed.as_bytes(), false).await;
        assert_eq!(first.created, 2_501, "{:?}", first.errors);
        let again = import_bytes(&store, RegisterKind::Incidents, fixed.as_bytes(), false).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 2_501)
        );
    });
}

/// Problems are listed by row, the first [`register::MAX_REPORTED`] of them, however they
/// arrive (read or found while writing): 150 bad dates and a repeat high up the file.
#[tokio::test]
async fn the_problems_listed_are_the_first_by_row() {
    on_both!(|store| {
        let mut text = String::from("incident_ref,reported_at\nA-1,2024-01-01\nA-1,2024-01-01\n");
        for i in 0..150 {
            text.push_str(&format!("BAD-{i},never\n"));
        }
        let report = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
        assert_eq!(report.error_count, 151);
        let rows: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, (3..103).collect::<Vec<_>>());
    });
}

/// Re-importing a large file with one row changed and one new, batches apart: only those two
/// are written (the others keep their `updated_at`), and the dashboard's roll-up follows the
/// changed row to its new month.
#[tokio::test]
async fn a_reimport_writes_only_what_changed() {
    on_both!(|store| {
        let mut text = String::from("incident_ref,reported_at,children_involved,department\n");
        for i in 0..2_400 {
            text.push_str(&format!(
                "C-{i:04},0{}/01/2024 10:00,Y,Response\n",
                1 + i % 9
            ));
        }
        let first = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
        assert_eq!(first.created, 2_400, "{:?}", first.errors);
        let stamps = |store: &Store| {
            let pool = store.pool().clone();
            async move {
                sqlx::query_as::<_, (String, String)>(
                    "SELECT incident_ref, updated_at FROM incidents ORDER BY incident_ref",
                )
                .fetch_all(&pool)
                .await
                .unwrap()
            }
        };
        let needing = |store: &Store, month: &'static str| {
            let pool = store.pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>(
                    "SELECT CAST(COALESCE(SUM(incidents_needing), 0) AS BIGINT) FROM impact_monthly WHERE month = $1",
                )
                .bind(month)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        // The draw's day counts, kept by a trigger (on SQLite counted in one pass after a
        // load into an empty table), agree with a count made afresh.
        let days_agree = |store: &Store, days: usize| {
            let pool = store.pool().clone();
            async move {
                let kept: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT day, n FROM incident_day_counts WHERE n <> 0 ORDER BY day",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                let fresh: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT substr(reported_at, 1, 10), CAST(COUNT(*) AS BIGINT) FROM incidents
                     GROUP BY substr(reported_at, 1, 10) ORDER BY 1",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                assert_eq!(kept.len(), days);
                assert_eq!(kept, fresh);
            }
        };
        days_agree(&store, 9).await;
        let before = stamps(&store).await;
        let january = needing(&store, "2024-01").await;
        assert_eq!(january, 2_400);
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let changed = text.replace("C-1800,01/01/2024", "C-1800,01/03/2024")
            + "C-9999,01/01/2024 10:00,N,Response\n";
        let again = import_bytes(&store, RegisterKind::Incidents, changed.as_bytes(), false).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (1, 1, 2_399),
            "{:?}",
            again.errors
        );
        let after = stamps(&store).await;
        let moved: Vec<&str> = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| b != a)
            .map(|(b, _)| b.0.as_str())
            .collect();
        assert_eq!(moved, vec!["C-1800"]);
        assert_eq!(needing(&store, "2024-01").await, 2_399);
        assert_eq!(needing(&store, "2024-03").await, 1);
        let i = register::incident(&store, "C-1800").await.unwrap().unwrap();
        assert_eq!(i.reported_at, "2024-03-01T10:00:00");
        days_agree(&store, 10).await;
    });
}

/// A first load of incidents builds the queue from every row it wrote; re-importing the same
/// file just after (every row unchanged) must leave the queue as it is and examine none of
/// those rows again: the refresh after it passes over what the load examined rather than
/// everything changed in the last few minutes. To see that nothing was examined, one queue
/// item is taken off by hand first: a refresh that looked at its incident again would put it
/// back. A row that does change is examined (and queued) as before.
#[tokio::test]
async fn a_reimport_of_an_unchanged_file_leaves_the_queue_and_examines_nothing_again() {
    use mashboard_store::queue;
    on_both!(|store| {
        let mut text = String::from(
            "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n",
        );
        for i in 0..1_500 {
            let flag = if i % 3 == 0 { "Y" } else { "N" };
            text.push_str(&format!(
                "Q-{i:04},{:02}/02/2024 10:00,Domestic,North,{flag},N,N,,Response\n",
                1 + i % 28
            ));
        }
        let first = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
        assert_eq!(first.created, 1_500, "{:?}", first.errors);
        let built = queue_items(&store).await;
        assert_eq!(built.len(), 500);

        // Taken off by hand (no refresh would do this): Q-0000 must stay off unless examined.
        sqlx::query(
            "DELETE FROM missing_referrals WHERE incident_id =
                 (SELECT id FROM incidents WHERE incident_ref = 'Q-0000')",
        )
        .execute(store.pool())
        .await
        .unwrap();
        let without: Vec<(String, String)> = built[1..].to_vec();
        assert_eq!(queue_items(&store).await, without);

        // The same file again, twice: nothing changes, nothing is examined again.
        for _ in 0..2 {
            let again = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
            assert_eq!(
                (again.created, again.updated, again.unchanged),
                (0, 0, 1_500)
            );
            assert_eq!(queue_items(&store).await, without);
        }
        // An hourly refresh in between changes nothing either.
        let hourly = queue::refresh(&store, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!((hourly.added, hourly.closed_in_time), (0, 0));
        assert_eq!(queue_items(&store).await, without);

        // A changed row is examined: Q-0000 (its category changed) is queued again, and so is
        // a newly flagged one.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let changed = text
            .replace(
                "Q-0000,01/02/2024 10:00,Domestic",
                "Q-0000,01/02/2024 10:00,Assault",
            )
            .replace(
                "Q-0001,02/02/2024 10:00,Domestic,North,N",
                "Q-0001,02/02/2024 10:00,Domestic,North,Y",
            );
        let again = import_bytes(&store, RegisterKind::Incidents, changed.as_bytes(), false).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 2, 1_498)
        );
        let items = queue_items(&store).await;
        assert_eq!(items.len(), 501);
        assert_eq!(
            items[0],
            ("Q-0000".to_string(), "children_involved".to_string())
        );
        assert!(items.contains(&("Q-0001".to_string(), "children_involved".to_string())));

        // And a full refresh from nothing agrees with the queue kept incrementally.
        for sql in [
            "DELETE FROM missing_referrals",
            "DELETE FROM queue_refresh_state",
        ] {
            sqlx::query(sql).execute(store.pool()).await.unwrap();
        }
        queue::refresh(&store, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        assert_eq!(queue_items(&store).await, items);
    });
}

/// A first load into an empty table drops more than indexes for the load on PostgreSQL (the
/// UNIQUE constraint, the foreign key to the people directory, the day-count trigger): every
/// one is back afterwards, the same, and still enforced; the day counts are right.
#[tokio::test]
async fn a_first_load_leaves_every_constraint_and_trigger_as_it_was() {
    async fn catalogue(store: &Store) -> Vec<(String, String)> {
        let sql = match store.backend() {
            mashboard_store::Backend::Sqlite => {
                "SELECT type || ' ' || name, COALESCE(sql, '') FROM sqlite_master
                 WHERE tbl_name = 'incidents' ORDER BY type, name"
            }
            mashboard_store::Backend::Postgres => {
                "SELECT 'constraint ' || conname::TEXT, pg_get_constraintdef(oid) FROM pg_constraint
                 WHERE conrelid = 'incidents'::regclass
                 UNION ALL SELECT 'trigger ' || tgname::TEXT, pg_get_triggerdef(oid) FROM pg_trigger
                 WHERE tgrelid = 'incidents'::regclass AND NOT tgisinternal
                 UNION ALL SELECT 'index ' || indexname::TEXT, indexdef::TEXT FROM pg_indexes
                 WHERE tablename = 'incidents'
                 ORDER BY 1"
            }
        };
        sqlx::query_as(sql).fetch_all(store.pool()).await.unwrap()
    }
    on_both!(|store| {
        officers(&store).await;
        let at_start = catalogue(&store).await;
        assert!(at_start.len() >= 10, "{at_start:?}");
        let first = import(&store, RegisterKind::Incidents, "incidents-messy.csv").await;
        assert_eq!(first.created, 4, "{:?}", first.errors);
        assert_eq!(catalogue(&store).await, at_start);
        // Enforced again: a second row with the same reference, an officer who is no one.
        for sql in [
            "INSERT INTO incidents (incident_ref, reported_at, imported_at, updated_at)
             SELECT incident_ref, reported_at, imported_at, updated_at FROM incidents LIMIT 1",
            "UPDATE incidents SET officer_person_id = 987654321",
        ] {
            assert!(
                sqlx::query(sql).execute(store.pool()).await.is_err(),
                "{sql}"
            );
        }
        // The day counts, counted in one pass after the load, and kept by the trigger after.
        let more = "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department
INC-DAY,08/03/2024 12:00,Domestic,North,Y,N,N,,Response
";
        import_bytes(&store, RegisterKind::Incidents, more.as_bytes(), false).await;
        let kept: Vec<(String, i64)> =
            sqlx::query_as("SELECT day, n FROM incident_day_counts WHERE n <> 0 ORDER BY day")
                .fetch_all(store.pool())
                .await
                .unwrap();
        let fresh: Vec<(String, i64)> = sqlx::query_as(
            "SELECT substr(reported_at, 1, 10), CAST(COUNT(*) AS BIGINT) FROM incidents
             GROUP BY substr(reported_at, 1, 10) ORDER BY 1",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(kept, fresh);
        assert!(kept.len() >= 2);
    });
}

/// On a re-import SQLite first drops the rows the register holds exactly so (the file's values
/// compared with the stored ones in the database): a change in any one compared value (each
/// column of the file, one row each), including one that moves characters from one column to
/// the next, must still count as a change and be written.
#[tokio::test]
async fn a_reimport_sees_a_change_in_any_one_value() {
    on_both!(|store| {
        officers(&store).await;
        let header = "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n";
        let rows = [
            "V-1,01/02/2024 10:00,ab,c,N,N,N,,Response",
            "V-2,01/02/2024 10:00,Assault,North,2,N,N,,Response",
            "V-3,01/02/2024 10:00,Assault,North,N,N,N,S100,Response",
            "V-4,01/02/2024 10:00,Assault,North,N,N,N,,Response",
            "V-5,01/02/2024 10:00,Assault,North,N,Y,N,,Response",
            "V-6,01/02/2024 10:00,Assault,North,N,N,N,,CID",
            "V-7,01/02/2024 10:00,Assault,North,N,N,N,,CID",
            "V-8,01/02/2024 10:00,Assault,North,N,N,N,,CID",
            "V-9,01/02/2024 10:00,Assault,North,N,N,N,,CID",
            "V-10,01/02/2024 10:00,Assault,North,N,N,N,,CID",
        ];
        let changed = [
            "V-1,01/02/2024 10:00,a,bc,N,N,N,,Response",
            "V-2,01/02/2024 10:00,Assault,North,3,N,N,,Response",
            "V-3,01/02/2024 10:00,Assault,North,N,N,N,S404,Response",
            "V-4,01/02/2024 10:00,Assault,North,N,N,N,,Response",
            "V-5,01/02/2024 10:00,Assault,North,N,N,N,,Response",
            "V-6,01/02/2024 10:00,Assault,North,N,N,N,,CID ",
            "V-7,01/02/2024 10:01,Assault,North,N,N,N,,CID",
            "V-8,01/02/2024 10:00,Assault,North,N,N,Y,,CID",
            "V-9,01/02/2024 10:00,Assault,North,Y,N,N,,CID",
            "V-10,01/02/2024 10:00,Assault,North,N,N,N,,Response",
        ];
        let file = |rows: &[&str]| format!("{header}{}\n", rows.join("\n"));
        let first = import_bytes(
            &store,
            RegisterKind::Incidents,
            file(&rows).as_bytes(),
            false,
        )
        .await;
        assert_eq!(first.created, 10, "{:?}", first.errors);
        let same = import_bytes(
            &store,
            RegisterKind::Incidents,
            file(&rows).as_bytes(),
            false,
        )
        .await;
        assert_eq!((same.updated, same.unchanged), (0, 10));
        let again = import_bytes(
            &store,
            RegisterKind::Incidents,
            file(&changed).as_bytes(),
            false,
        )
        .await;
        // V-6's trailing space is trimmed by the reader: unchanged, like V-4.
        assert_eq!((again.created, again.updated, again.unchanged), (0, 8, 2));
        let i = register::incident(&store, "V-1").await.unwrap().unwrap();
        assert_eq!((i.category.as_str(), i.area.as_str()), ("a", "bc"));
        let i = register::incident(&store, "V-2").await.unwrap().unwrap();
        assert_eq!(i.children_involved_count, Some(3));
        let i = register::incident(&store, "V-3").await.unwrap().unwrap();
        assert_eq!(
            (i.officer_staff_number.as_str(), i.officer_name),
            ("S404", None)
        );
        assert!(
            !register::incident(&store, "V-5")
                .await
                .unwrap()
                .unwrap()
                .adult_at_risk
        );
        let i = register::incident(&store, "V-7").await.unwrap().unwrap();
        assert_eq!(i.reported_at, "2024-02-01T10:01:00");
        assert!(
            register::incident(&store, "V-8")
                .await
                .unwrap()
                .unwrap()
                .domestic_abuse
        );
        let i = register::incident(&store, "V-9").await.unwrap().unwrap();
        assert!(i.children_involved);
        let i = register::incident(&store, "V-10").await.unwrap().unwrap();
        assert_eq!(i.department, "Response");

        // Referrals likewise: a narrative one character longer.
        let header = "referral_ref,incident_ref,submitted_at,subject_type,category,officer_grade,officer_staff_number,partner,narrative\n";
        let referral = |narrative: &str| {
            format!("{header}RV-1,V-1,02/02/2024 10:00,child,Domestic,standard,,Children's social care,{narrative}\n")
        };
        import_bytes(
            &store,
            RegisterKind::Referrals,
            referral("Seen").as_bytes(),
            false,
        )
        .await;
        let same = import_bytes(
            &store,
            RegisterKind::Referrals,
            referral("Seen").as_bytes(),
            false,
        )
        .await;
        assert_eq!((same.updated, same.unchanged), (0, 1));
        let again = import_bytes(
            &store,
            RegisterKind::Referrals,
            referral("Seen.").as_bytes(),
            false,
        )
        .await;
        assert_eq!((again.updated, again.unchanged), (1, 0));
    });
}

/// On PostgreSQL a large re-import compares the file's rows with the register's on the client,
/// each row written as `COPY`'s text output writes it, where a backslash is escaped: a
/// backslash added, or moved from the end of one value to the start of the next, must count as
/// a change, and a row read the same again as unchanged. Many rows, so that the comparison is
/// made there for most of them, with the rows that change far down the file.
#[tokio::test]
async fn a_large_reimport_sees_a_backslash_added_or_moved() {
    on_both!(|store| {
        let header = "incident_ref,reported_at,category,area,children_involved,adult_at_risk,domestic_abuse,officer_staff_number,department\n";
        let mut filler = String::new();
        for i in 0..12_000 {
            filler.push_str(&format!(
                "F-{i:05},01/02/2024 10:00,Assault,North,N,N,N,,Response\n"
            ));
        }
        let file = |rows: &[&str]| format!("{header}{filler}{}\n", rows.join("\n"));
        let rows = [
            r"B-1,01/02/2024 10:00,x\ty,North,N,N,N,,Response",
            r"B-2,01/02/2024 10:00,x\,ty,N,N,N,,Response",
            r"B-3,01/02/2024 10:00,a\nb,North,N,N,N,,Response",
            "B-4,01/02/2024 10:00,Café,Nörth,N,N,N,,Response",
        ];
        let changed = [
            r"B-1,01/02/2024 10:00,x\\ty,North,N,N,N,,Response",
            r"B-2,01/02/2024 10:00,x,\ty,N,N,N,,Response",
            r"B-3,01/02/2024 10:00,a\\nb,North,N,N,N,,Response",
            "B-4,01/02/2024 10:00,Café,Nörth,N,N,N,,Response",
        ];
        let import = |rows: &[&str]| {
            let (store, text) = (store.clone(), file(rows));
            async move { import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await }
        };
        let first = import(&rows).await;
        assert_eq!(first.created, 12_004, "{:?}", first.errors);
        let same = import(&rows).await;
        assert_eq!((same.created, same.updated, same.unchanged), (0, 0, 12_004));
        let again = import(&changed).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 3, 12_001),
            "{:?}",
            again.errors
        );
        let i = register::incident(&store, "B-1").await.unwrap().unwrap();
        assert_eq!(i.category, r"x\\ty");
        let i = register::incident(&store, "B-2").await.unwrap().unwrap();
        assert_eq!((i.category.as_str(), i.area.as_str()), ("x", r"\ty"));
        let i = register::incident(&store, "B-3").await.unwrap().unwrap();
        assert_eq!(i.category, r"a\\nb");
        // And back: each of the three changes again; the row read the same does not.
        let back = import(&rows).await;
        assert_eq!((back.created, back.updated, back.unchanged), (0, 3, 12_001));
        let i = register::incident(&store, "B-2").await.unwrap().unwrap();
        assert_eq!((i.category.as_str(), i.area.as_str()), (r"x\", "ty"));
    });
}

/// A re-import of a file much smaller than the register (less than a sixteenth of it) never
/// reads the register's values on PostgreSQL (`stored_rows.rs`): it is compared on the server
/// alone, and must still write its new and changed rows and leave the rest.
#[tokio::test]
async fn a_small_reimport_into_a_large_register_writes_what_changed() {
    on_both!(|store| {
        let header = "incident_ref,reported_at,children_involved,department\n";
        let mut text = String::from(header);
        for i in 0..400 {
            text.push_str(&format!("S-{i:03},01/02/2024 10:00,N,Response\n"));
        }
        let first = import_bytes(&store, RegisterKind::Incidents, text.as_bytes(), false).await;
        assert_eq!(first.created, 400, "{:?}", first.errors);
        let mut small = String::from(header);
        for i in 0..8 {
            small.push_str(&format!("S-{i:03},01/02/2024 10:00,N,Response\n"));
        }
        small.push_str("S-100,01/02/2024 10:00,Y,Response\nS-999,01/02/2024 10:00,N,CID\n");
        let again = import_bytes(&store, RegisterKind::Incidents, small.as_bytes(), false).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (1, 1, 8),
            "{:?}",
            again.errors
        );
        assert!(
            register::incident(&store, "S-100")
                .await
                .unwrap()
                .unwrap()
                .children_involved
        );
        let new = register::incident(&store, "S-999").await.unwrap().unwrap();
        assert_eq!(new.department, "CID");
        assert_eq!(count(&store, "incidents").await, 401);
    });
}
