//! Coverage requirements and the coverage computation, every test on SQLite and PostgreSQL.
//! Sessions, enrolments and completions are written with plain SQL (other parts of the delivery
//! work own those tables).

use mashboard_domain::coverage::{
    default_requirements, Clause, CountsAs, Filter, Rule, Standing, TrainedHow, Transferees,
    DEMO_FRONTLINE_DEPARTMENTS,
};
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::delivery::coverage::{self, RequirementInput};
use mashboard_store::{now_text, Store, StoreError};
use time::macros::date;

async fn module(store: &Store, code: &str) -> i64 {
    let now = now_text();
    sqlx::query_scalar(
        "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at)
         VALUES ($1, $2, 'face_to_face', 'live', '1.0', $3, $3) RETURNING id",
    )
    .bind(code)
    .bind(format!("Module {code}"))
    .bind(&now)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

#[allow(clippy::too_many_arguments)]
async fn person(
    store: &Store,
    sn: &str,
    rank: &str,
    dept: &str,
    cohort: &str,
    start: &str,
    left_on: Option<&str>,
    manager: Option<i64>,
) -> i64 {
    let now = now_text();
    sqlx::query_scalar(
        "INSERT INTO people (staff_number, name, rank, department, team, start_date, cohort, line_manager_id, active, left_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(sn)
    .bind(format!("Name {sn}"))
    .bind(rank)
    .bind(dept)
    .bind(format!("{dept} A"))
    .bind(start)
    .bind(cohort)
    .bind(manager)
    .bind(i64::from(left_on.is_none()))
    .bind(left_on)
    .bind(&now)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

async fn session(store: &Store, module_id: i64, starts_at: &str, status: &str) -> i64 {
    let now = now_text();
    sqlx::query_scalar(
        "INSERT INTO training_sessions (module_id, module_version, starts_at, ends_at, mode, capacity, status, ics_uid, created_by, created_at, updated_at)
         VALUES ($1, '1.0', $2, $2, 'teams', 20, $3, $4, 'test', $5, $5) RETURNING id",
    )
    .bind(module_id)
    .bind(starts_at)
    .bind(status)
    .bind(format!("uid-{starts_at}-{status}-{module_id}"))
    .bind(&now)
    .fetch_one(store.pool())
    .await
    .unwrap()
}

async fn enrol(store: &Store, session_id: i64, person_id: i64, status: &str) {
    // Booked on 1 November 2026: coverage as of an earlier day does not count the booking.
    let now = "2026-11-01T10:00:00.000000Z".to_string();
    sqlx::query(
        "INSERT INTO session_enrolments (session_id, person_id, status, booked_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'test', $4, $4)",
    )
    .bind(session_id)
    .bind(person_id)
    .bind(status)
    .bind(&now)
    .execute(store.pool())
    .await
    .unwrap();
}

async fn complete(
    store: &Store,
    person_id: i64,
    module_id: i64,
    on: &str,
    session_id: Option<i64>,
    source: &str,
) {
    let now = now_text();
    sqlx::query(
        "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at, session_id)
         VALUES ($1, $2, '1.0', $3, 'face_to_face', 'signed_off', $4, 'test', $5, $5, $6)",
    )
    .bind(person_id)
    .bind(module_id)
    .bind(on)
    .bind(source)
    .bind(&now)
    .bind(session_id)
    .execute(store.pool())
    .await
    .unwrap();
}

fn pc_rule() -> Rule {
    Rule {
        clauses: vec![Clause {
            ranks: vec!["PC".into()],
            started_from: Some(date!(2022 - 01 - 01)),
            transferees: Transferees::Exclude,
            ..Default::default()
        }],
    }
}

#[tokio::test]
async fn requirements_are_created_edited_retired_and_audited() {
    on_both!(|store| {
        let actor = Actor::system();
        let ppn = module(&store, "FL-PPN").await;
        let vid = module(&store, "FL-PPN-VID").await;
        let input = RequirementInput {
            code: "fl-ppn-pc".into(),
            name: "New constables".into(),
            description: "From 2022".into(),
            rule: pc_rule(),
            modules: vec![(ppn, CountsAs::Session), (vid, CountsAs::Recording)],
        };
        let id = coverage::create_requirement(&store, &actor, &input)
            .await
            .unwrap();
        let r = coverage::requirement(&store, id).await.unwrap().unwrap();
        assert_eq!(r.code, "FL-PPN-PC");
        assert_eq!(r.rule, pc_rule());
        assert_eq!(r.modules.len(), 2);
        assert!(r.active);

        // The same code again is refused in words, and nothing is written.
        let e = coverage::create_requirement(&store, &actor, &input)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict(ref m) if m.contains("FL-PPN-PC")),
            "{e}"
        );
        assert_eq!(coverage::requirements(&store, true).await.unwrap().len(), 1);
        // A rule naming nobody, no modules, or an unknown module are refused.
        let bad = RequirementInput {
            code: "X".into(),
            rule: Rule {
                clauses: vec![Clause::default()],
            },
            ..input.clone()
        };
        let e = coverage::create_requirement(&store, &actor, &bad)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("clause 1 names no condition"), "{e}");
        let bad = RequirementInput {
            code: "X".into(),
            modules: vec![],
            ..input.clone()
        };
        assert!(coverage::create_requirement(&store, &actor, &bad)
            .await
            .unwrap_err()
            .to_string()
            .contains("at least one module"));
        let bad = RequirementInput {
            code: "X".into(),
            modules: vec![(9999, CountsAs::Any)],
            ..input.clone()
        };
        assert!(coverage::create_requirement(&store, &actor, &bad)
            .await
            .unwrap_err()
            .to_string()
            .contains("not in the catalogue"));

        let edited = RequirementInput {
            name: "New constables (edited)".into(),
            modules: vec![(ppn, CountsAs::Any)],
            ..input.clone()
        };
        coverage::update_requirement(&store, &actor, id, &edited)
            .await
            .unwrap();
        let r = coverage::requirement(&store, id).await.unwrap().unwrap();
        assert_eq!(r.name, "New constables (edited)");
        assert_eq!(r.modules.len(), 1);
        assert_eq!(r.modules[0].counts_as, CountsAs::Any);

        coverage::set_active(&store, &actor, id, false)
            .await
            .unwrap();
        assert!(coverage::requirements(&store, false)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(coverage::requirements(&store, true).await.unwrap().len(), 1);

        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "coverage.requirement".into(),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "coverage.requirement.deactivate",
                "coverage.requirement.update",
                "coverage.requirement.create"
            ]
        );
        assert!(events[1]
            .before_json
            .as_deref()
            .unwrap()
            .contains("session"));
    });
}

#[tokio::test]
async fn default_requirements_need_their_modules_and_are_created_once() {
    on_both!(|store| {
        let deps = &DEMO_FRONTLINE_DEPARTMENTS;
        assert_eq!(
            coverage::ensure_default_requirements(&store, deps)
                .await
                .unwrap(),
            0,
            "no modules yet, so nothing to count"
        );
        module(&store, "FL-PPN").await;
        module(&store, "FL-PPN-VID").await;
        let n = coverage::ensure_default_requirements(&store, deps)
            .await
            .unwrap();
        assert_eq!(n, default_requirements(deps).len());
        assert_eq!(
            coverage::ensure_default_requirements(&store, deps)
                .await
                .unwrap(),
            0
        );
        let all = coverage::requirements(&store, false).await.unwrap();
        assert_eq!(all.len(), n);
        let cpd = all.iter().find(|r| r.code == "FL-PPN-CPD-2022").unwrap();
        assert!(cpd.rule.clauses[0]
            .departments
            .contains(&"Response".to_string()));
    });
}

#[tokio::test]
async fn coverage_counts_required_trained_how_and_booked() {
    on_both!(|store| {
        let actor = Actor::system();
        let ppn = module(&store, "FL-PPN").await;
        let vid = module(&store, "FL-PPN-VID").await;
        let other = module(&store, "EL-VULN").await;
        let id = coverage::create_requirement(
            &store,
            &actor,
            &RequirementInput {
                code: "PC".into(),
                name: "New constables".into(),
                description: String::new(),
                rule: pc_rule(),
                modules: vec![(ppn, CountsAs::Session), (vid, CountsAs::Recording)],
            },
        )
        .await
        .unwrap();
        let req = coverage::requirement(&store, id).await.unwrap().unwrap();
        let sgt = person(
            &store,
            "1000",
            "Sgt",
            "Response",
            "2012 PC intake 1",
            "2012-02-06",
            None,
            None,
        )
        .await;
        let by_session = person(
            &store,
            "1001",
            "PC",
            "Response",
            "2022 PC intake 1",
            "2022-02-07",
            None,
            Some(sgt),
        )
        .await;
        let imported = person(
            &store,
            "1002",
            "PC",
            "Response",
            "2022 PC intake 1",
            "2022-02-07",
            None,
            Some(sgt),
        )
        .await;
        let booked = person(
            &store,
            "1003",
            "PC",
            "Response",
            "2022 PC intake 2",
            "2022-09-05",
            None,
            None,
        )
        .await;
        let untrained = person(
            &store,
            "1004",
            "PC",
            "Neighbourhood Policing",
            "2023 PC intake 1",
            "2023-02-06",
            None,
            None,
        )
        .await;
        let left = person(
            &store,
            "1005",
            "PC",
            "Response",
            "2022 PC intake 1",
            "2022-02-07",
            Some("2024-01-31"),
            None,
        )
        .await;
        let _old = person(
            &store,
            "1006",
            "PC",
            "Response",
            "2021 PC intake 2",
            "2021-09-06",
            None,
            None,
        )
        .await;
        let _transferee = person(
            &store,
            "1007",
            "PC",
            "Response",
            "2023 transferees",
            "2023-06-05",
            None,
            None,
        )
        .await;
        let late = person(
            &store,
            "1008",
            "PC",
            "Response",
            "2024 PC intake 1",
            "2024-02-05",
            None,
            None,
        )
        .await;
        let waitlisted = person(
            &store,
            "1009",
            "PC",
            "Response",
            "2024 PC intake 1",
            "2024-02-05",
            None,
            None,
        )
        .await;

        let delivered = session(&store, ppn, "2022-03-10T09:00:00.000000Z", "delivered").await;
        let upcoming = session(&store, ppn, "2026-12-01T09:00:00.000000Z", "open").await;
        let cancelled = session(&store, ppn, "2026-12-02T09:00:00.000000Z", "cancelled").await;
        let not_counting = session(&store, other, "2026-12-03T09:00:00.000000Z", "open").await;
        enrol(&store, delivered, by_session, "enrolled").await;
        complete(
            &store,
            by_session,
            ppn,
            "2022-03-10",
            Some(delivered),
            "recorded",
        )
        .await;
        complete(&store, imported, ppn, "2022-05-01", None, "imported").await;
        complete(&store, left, ppn, "2022-05-01", None, "recorded").await;
        complete(&store, untrained, other, "2023-05-01", None, "recorded").await;
        complete(&store, late, ppn, "2026-12-20", None, "recorded").await;
        enrol(&store, upcoming, booked, "enrolled").await;
        enrol(&store, cancelled, untrained, "enrolled").await;
        enrol(&store, not_counting, untrained, "enrolled").await;
        enrol(&store, upcoming, waitlisted, "waitlisted").await;

        let report = coverage::compute(&store, &req, date!(2026 - 11 - 26), &Filter::default())
            .await
            .unwrap();
        let c = &report.coverage;
        // Required: 1001, 1002, 1003, 1004, 1008, 1009 (1005 left, 1006 started 2021, 1007 a
        // transferee, 1000 a sergeant).
        assert_eq!(c.total.required, 6);
        assert_eq!(c.total.trained, 2);
        assert_eq!(c.total.booked, 1);
        // As of a day before the booking was made, nobody was booked yet.
        let before = coverage::compute(&store, &req, date!(2026 - 10 - 31), &Filter::default())
            .await
            .unwrap();
        assert_eq!(before.coverage.total.booked, 0);
        assert_eq!(c.trained_how[&TrainedHow::Session], 1);
        assert_eq!(c.trained_how[&TrainedHow::Imported], 1);
        let untrained_sn: Vec<&str> = report
            .untrained()
            .iter()
            .map(|(p, _)| p.staff_number.as_str())
            .collect();
        assert_eq!(untrained_sn, vec!["1004", "1003", "1008", "1009"]);
        let (_, o) = report
            .untrained()
            .into_iter()
            .find(|(p, _)| p.staff_number == "1003")
            .unwrap();
        assert_eq!(
            o.standing,
            Standing::Booked {
                session_id: upcoming,
                starts_on: date!(2026 - 12 - 01)
            }
        );
        assert_eq!(c.by_department["Response"].required, 5);
        assert_eq!(c.by_department["Response"].trained, 2);

        // As of a day in 2022 the one who later left counts and is trained.
        let report = coverage::compute(&store, &req, date!(2022 - 12 - 31), &Filter::default())
            .await
            .unwrap();
        assert_eq!(report.coverage.total.required, 4);
        assert_eq!(report.coverage.total.trained, 3);

        // "Who in Response has still not had the input", and a line manager's scope.
        let response = Filter {
            department: Some("Response".into()),
            ..Default::default()
        };
        let report = coverage::compute(&store, &req, date!(2026 - 11 - 26), &response)
            .await
            .unwrap();
        assert_eq!(report.coverage.total.untrained(), 3);
        let team = coverage::line_reports(&store, sgt).await.unwrap();
        assert_eq!(team.len(), 2);
        let scoped = Filter {
            only: Some(team),
            ..Default::default()
        };
        let report = coverage::compute(&store, &req, date!(2026 - 11 - 26), &scoped)
            .await
            .unwrap();
        assert_eq!(report.coverage.total.required, 2);

        // Sessions to book onto: upcoming, counting, not cancelled.
        let options = coverage::upcoming_sessions(&store, id, "2026-11-26T00:00:00.000000Z")
            .await
            .unwrap();
        assert_eq!(
            options.iter().map(|o| o.id).collect::<Vec<_>>(),
            vec![upcoming]
        );
        assert_eq!(options[0].enrolled, 1);
    });
}

#[tokio::test]
async fn every_kind_of_clause_finds_the_same_people_through_the_database() {
    on_both!(|store| {
        let actor = Actor::system();
        let ppn = module(&store, "FL-PPN").await;
        let vid = module(&store, "FL-PPN-VID").await;
        let profile = mashboard_store::training::programmes::create_profile(
            &store,
            &actor,
            "FL-PSI",
            "Police staff investigator",
            "",
        )
        .await
        .unwrap();
        let by_profile = person(
            &store,
            "S1",
            "Police Staff (Band D)",
            "CID",
            "2023 PSI intake 1",
            "2023-02-06",
            None,
            None,
        )
        .await;
        mashboard_store::training::programmes::assign(
            &store,
            &actor,
            by_profile,
            profile,
            "2023-02-06",
        )
        .await
        .unwrap();
        // Rank written with other capitals and spaces; in post at the end of 2022; a
        // transferee; a cohort by prefix; and people no clause takes.
        person(
            &store,
            "P1",
            " pc ",
            "Roads Policing",
            "2015 PC intake 1",
            "2015-02-02",
            None,
            None,
        )
        .await;
        person(
            &store,
            "D1",
            "Sgt",
            "Response",
            "2010 PC intake 1",
            "2010-02-01",
            None,
            None,
        )
        .await;
        person(
            &store,
            "D2",
            "Sgt",
            "Response",
            "2023 PC intake 1",
            "2023-02-06",
            None,
            None,
        )
        .await;
        person(
            &store,
            "D3",
            "Sgt",
            "Response",
            "2010 PC intake 1",
            "2010-02-01",
            Some("2022-06-30"),
            None,
        )
        .await;
        let t1 = person(
            &store,
            "T1",
            "DC",
            "CID",
            "2020 transferees",
            "2020-06-01",
            None,
            None,
        )
        .await;
        person(
            &store,
            "C1",
            "PCSO",
            "Neighbourhood Policing",
            "2023 PCSO intake 2",
            "2023-09-04",
            None,
            None,
        )
        .await;
        person(
            &store,
            "X1",
            "Police Staff (Band C)",
            "Information Services",
            "2015 staff",
            "2015-01-05",
            None,
            None,
        )
        .await;
        complete(&store, t1, vid, "2020-07-01", None, "recorded").await;
        let rule = Rule {
            clauses: vec![
                Clause {
                    role_profiles: vec!["fl-psi".into()],
                    ..Default::default()
                },
                Clause {
                    ranks: vec!["PC".into()],
                    departments: vec!["roads policing".into()],
                    ..Default::default()
                },
                Clause {
                    departments: vec!["Response".into()],
                    in_post_on: Some(date!(2022 - 12 - 31)),
                    ..Default::default()
                },
                Clause {
                    transferees: Transferees::Only,
                    ..Default::default()
                },
                Clause {
                    cohort_prefixes: vec!["2023 PCSO".into()],
                    started_to: Some(date!(2023 - 12 - 31)),
                    ..Default::default()
                },
            ],
        };
        let id = coverage::create_requirement(
            &store,
            &actor,
            &RequirementInput {
                code: "ALL-KINDS".into(),
                name: "Every kind of clause".into(),
                description: String::new(),
                rule,
                modules: vec![(ppn, CountsAs::Session), (vid, CountsAs::Recording)],
            },
        )
        .await
        .unwrap();
        let req = coverage::requirement(&store, id).await.unwrap().unwrap();
        let report = coverage::compute(&store, &req, date!(2026 - 11 - 26), &Filter::default())
            .await
            .unwrap();
        let mut required: Vec<&str> = report
            .coverage
            .outcomes
            .iter()
            .map(|o| report.people[o.person].staff_number.as_str())
            .collect();
        required.sort();
        assert_eq!(required, vec!["C1", "D1", "P1", "S1", "T1"]);
        assert_eq!(
            report.coverage.total.trained, 1,
            "the transferee watched the recording"
        );
        assert_eq!(report.coverage.trained_how[&TrainedHow::Recording], 1);
    });
}

/// Coverage keeps what it read (on SQLite) until something it depends on changes: every kind
/// of change shows at once, through the cache, on both databases.
#[tokio::test]
async fn every_change_shows_at_once_through_the_coverage_cache() {
    on_both!(|store| {
        let actor = Actor::system();
        let ppn = module(&store, "FL-PPN").await;
        let id = coverage::create_requirement(
            &store,
            &actor,
            &RequirementInput {
                code: "PC".into(),
                name: "New constables".into(),
                description: String::new(),
                rule: pc_rule(),
                modules: vec![(ppn, CountsAs::Session)],
            },
        )
        .await
        .unwrap();
        let req = coverage::requirement(&store, id).await.unwrap().unwrap();
        let as_of = date!(2026 - 11 - 26);
        let tally = |store: Store, req: coverage::Requirement| async move {
            let r = coverage::compute(&store, &req, as_of, &Filter::default())
                .await
                .unwrap();
            (
                r.coverage.total.required,
                r.coverage.total.trained,
                r.coverage.total.booked,
            )
        };
        assert_eq!(tally(store.clone(), req.clone()).await, (0, 0, 0));

        // A new person in scope.
        let a = person(
            &store,
            "2001",
            "PC",
            "Response",
            "2023 PC intake 1",
            "2023-02-06",
            None,
            None,
        )
        .await;
        assert_eq!(tally(store.clone(), req.clone()).await, (1, 0, 0));
        // Booked on an upcoming session.
        let s = session(&store, ppn, "2026-12-10T09:00:00Z", "open").await;
        enrol(&store, s, a, "enrolled").await;
        assert_eq!(tally(store.clone(), req.clone()).await, (1, 0, 1));
        // The session is cancelled: no longer booked.
        sqlx::query("UPDATE training_sessions SET status = 'cancelled' WHERE id = $1")
            .bind(s)
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(tally(store.clone(), req.clone()).await, (1, 0, 0));
        // Trained.
        let delivered = session(&store, ppn, "2026-10-01T09:00:00Z", "delivered").await;
        complete(&store, a, ppn, "2026-10-01", Some(delivered), "recorded").await;
        assert_eq!(tally(store.clone(), req.clone()).await, (1, 1, 0));
        // The completion is withdrawn.
        sqlx::query("DELETE FROM completions WHERE person_id = $1")
            .bind(a)
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(tally(store.clone(), req.clone()).await, (1, 0, 0));
        // The person moves out of scope (now a sergeant).
        sqlx::query("UPDATE people SET rank = 'Sgt' WHERE id = $1")
            .bind(a)
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(tally(store.clone(), req.clone()).await, (0, 0, 0));
        // The requirement's modules change: read again for the requirement as it now stands.
        let other = module(&store, "FL-PPN-2").await;
        sqlx::query("UPDATE people SET rank = 'PC' WHERE id = $1")
            .bind(a)
            .execute(store.pool())
            .await
            .unwrap();
        complete(&store, a, other, "2026-10-02", Some(delivered), "recorded").await;
        assert_eq!(tally(store.clone(), req.clone()).await, (1, 0, 0));
        coverage::update_requirement(
            &store,
            &actor,
            id,
            &RequirementInput {
                code: "PC".into(),
                name: "New constables".into(),
                description: String::new(),
                rule: pc_rule(),
                modules: vec![(other, CountsAs::Session)],
            },
        )
        .await
        .unwrap();
        let req = coverage::requirement(&store, id).await.unwrap().unwrap();
        assert_eq!(tally(store.clone(), req.clone()).await, (1, 1, 0));
    });
}

/// The cache is only as good as its triggers: every table coverage reads must raise the data
/// version on insert, update and delete. A later migration that rebuilds one of these tables
/// must create its triggers again, or this fails.
#[tokio::test]
async fn every_table_coverage_reads_raises_the_data_version() {
    let dir = tempfile::tempdir().unwrap();
    let url = mashboard_store::DbUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("v.sqlite").display()
    ))
    .unwrap();
    let store = Store::open(&url).await.unwrap();
    let triggers: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'coverage_version_%' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    for table in [
        "people",
        "assignments",
        "role_profiles",
        "completions",
        "coverage_requirement_modules",
        "session_enrolments",
        "training_sessions",
    ] {
        for op in ["insert", "update", "delete"] {
            let name = format!("coverage_version_{table}_{op}");
            assert!(triggers.contains(&name), "missing trigger {name}");
        }
    }
    let version = |store: Store| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT value FROM settings WHERE key = 'coverage_data_version'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap()
    };
    let before = version(store.clone()).await;
    person(
        &store,
        "3001",
        "PC",
        "Response",
        "c",
        "2023-01-01",
        None,
        None,
    )
    .await;
    assert_ne!(version(store.clone()).await, before);
    store.close().await;
}

#[allow(clippy::type_complexity)]
/// Coverage from every row read one by one (each completion and each booking as it is, with
/// nothing summed up by the database), for comparing with what `load_facts` reads.
async fn coverage_from_every_row(
    store: &Store,
    req: &coverage::Requirement,
    as_of: time::Date,
) -> mashboard_domain::coverage::Coverage {
    use mashboard_domain::coverage::{self as dc, parse_ymd};
    let people: Vec<(
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
    )> = sqlx::query_as(
        "SELECT id, staff_number, name, rank, department, team, cohort, start_date, left_on, active
             FROM people ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let people: Vec<dc::Person> = people
        .into_iter()
        .map(|p| dc::Person {
            id: p.0,
            staff_number: p.1,
            name: p.2,
            rank: p.3,
            department: p.4,
            team: p.5,
            cohort: p.6,
            start_date: p.7.as_deref().and_then(parse_ymd),
            left_on: p.8.as_deref().and_then(parse_ymd),
            active: p.9 != 0,
        })
        .collect();
    let completions: Vec<(i64, i64, String, Option<i64>, String)> = sqlx::query_as(
        "SELECT person_id, module_id, completed_on, session_id, source FROM completions",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let completions: Vec<dc::CompletionFact> = completions
        .into_iter()
        .map(|c| dc::CompletionFact {
            person_id: c.0,
            module_id: c.1,
            completed_on: parse_ymd(&c.2).unwrap(),
            session_id: c.3,
            imported: c.4 == "imported",
        })
        .collect();
    // A booking counts from the day after it was made (as the page has always read it).
    let next_day = as_of.next_day().unwrap().to_string();
    let bookings: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT e.person_id, s.module_id, s.id, s.starts_at, s.status
         FROM session_enrolments e JOIN training_sessions s ON s.id = e.session_id
         WHERE e.status = 'enrolled' AND s.status <> 'cancelled' AND e.created_at < $1",
    )
    .bind(&next_day)
    .fetch_all(store.pool())
    .await
    .unwrap();
    let bookings: Vec<dc::Booking> = bookings
        .into_iter()
        .map(|b| dc::Booking {
            person_id: b.0,
            module_id: b.1,
            session_id: b.2,
            starts_on: parse_ymd(&b.3[..10]).unwrap(),
            delivered: b.4 == "delivered",
        })
        .collect();
    let coverage = dc::compute(
        &req.rule,
        &req.counting(),
        dc::Facts {
            people: &people,
            assignments: &[],
            completions: &completions,
            bookings: &bookings,
        },
        as_of,
        &Filter::default(),
    );
    by_person_id(&people, coverage)
}

/// Coverage with each outcome naming its person by id rather than by place in a list (the
/// reads and the reference list different people).
fn by_person_id(
    people: &[mashboard_domain::coverage::Person],
    mut coverage: mashboard_domain::coverage::Coverage,
) -> mashboard_domain::coverage::Coverage {
    for o in &mut coverage.outcomes {
        o.person = people[o.person].id as usize;
    }
    coverage
}

#[tokio::test]
async fn coverage_reads_agree_with_every_row_read_one_by_one() {
    on_both!(|store| {
        let actor = Actor::system();
        let session_module = module(&store, "FL-PPN").await;
        let any_module = module(&store, "FL-PPN-ELEARN").await;
        let recording = module(&store, "FL-PPN-VID").await;
        let elsewhere = module(&store, "EL-VULN").await;
        let mut rule = pc_rule();
        rule.clauses[0].ranks.push("PCSO".into());
        // Compared as the domain compares: only ASCII letters' case is ignored.
        rule.clauses[0].ranks.push("ÉCOLE".into());
        rule.clauses[0].transferees = Transferees::Include;
        let mut requirements = Vec::new();
        for (code, modules) in [
            (
                "ALL",
                vec![
                    (session_module, CountsAs::Session),
                    (any_module, CountsAs::Any),
                    (recording, CountsAs::Recording),
                ],
            ),
            ("ONE", vec![(session_module, CountsAs::Session)]),
            ("REC", vec![(recording, CountsAs::Recording)]),
        ] {
            let id = coverage::create_requirement(
                &store,
                &actor,
                &RequirementInput {
                    code: code.into(),
                    name: code.into(),
                    description: String::new(),
                    rule: rule.clone(),
                    modules,
                },
            )
            .await
            .unwrap();
            requirements.push(coverage::requirement(&store, id).await.unwrap().unwrap());
        }
        // Sessions of every module on days of their own, delivered, open and cancelled.
        let modules = [session_module, any_module, recording, elsewhere];
        let mut sessions = Vec::new();
        for k in 0..24i64 {
            let day = date!(2026 - 06 - 01) + time::Duration::days(k * 13);
            let status = ["delivered", "open", "cancelled", "open"][(k % 4) as usize];
            let module_id = modules[(k % 4) as usize];
            sessions.push(session(&store, module_id, &format!("{day}T09:00:00Z"), status).await);
        }
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for i in 0..60u64 {
            let rank = ["PC", "PCSO", "Sgt", "École", "pc ", "école"][next(6) as usize];
            let cohort = if next(5) == 0 {
                "2023 transferees".to_string()
            } else {
                format!("{} PC intake 1", 2021 + next(5))
            };
            let start = format!("{}-0{}-1{}", 2020 + next(6), 1 + next(9), next(9));
            let left = (next(6) == 0).then(|| format!("2026-0{}-15", 1 + next(9)));
            let p = person(
                &store,
                &format!("9{i:03}"),
                rank,
                "Response",
                &cohort,
                &start,
                left.as_deref(),
                None,
            )
            .await;
            for _ in 0..next(5) {
                let m = modules[next(4) as usize];
                let on = date!(2025 - 01 - 01) + time::Duration::days(next(900) as i64);
                let by_session = (next(2) == 0).then(|| sessions[next(24) as usize]);
                let source = if next(3) == 0 { "imported" } else { "recorded" };
                complete(&store, p, m, &on.to_string(), by_session, source).await;
            }
            let mut booked = std::collections::HashSet::new();
            for _ in 0..next(4) {
                let s = sessions[next(24) as usize];
                if !booked.insert(s) {
                    continue;
                }
                let status = ["enrolled", "enrolled", "withdrawn", "waitlisted"][next(4) as usize];
                let made = date!(2026 - 01 - 01) + time::Duration::days(next(500) as i64);
                sqlx::query(
                    "INSERT INTO session_enrolments (session_id, person_id, status, booked_by, created_at, updated_at)
                     VALUES ($1, $2, $3, 'test', $4, $4)",
                )
                .bind(s)
                .bind(p)
                .bind(status)
                .bind(format!("{made}T10:00:00.000000Z"))
                .execute(store.pool())
                .await
                .unwrap();
            }
        }
        let mut seen = (0, 0, 0);
        for req in &requirements {
            for as_of in [
                date!(2025 - 06 - 30),
                date!(2026 - 03 - 31),
                date!(2026 - 09 - 14),
                date!(2027 - 01 - 31),
            ] {
                let read = coverage::load_facts(&store, req, as_of)
                    .await
                    .unwrap()
                    .compute(req, as_of, &Filter::default());
                let every_row = coverage_from_every_row(&store, req, as_of).await;
                let read = coverage::Report {
                    coverage: by_person_id(&read.people, read.coverage.clone()),
                    people: read.people,
                };
                assert_eq!(
                    read.coverage, every_row,
                    "{} as of {as_of}: the reads and every row disagree",
                    req.code
                );
                seen.0 += read.coverage.total.trained;
                seen.1 += read.coverage.total.booked;
                seen.2 += read.coverage.total.required;
            }
        }
        // The data reached every standing, so the comparison could fail.
        assert!(
            seen.0 > 0 && seen.1 > 0 && seen.2 > seen.0 + seen.1,
            "{seen:?}"
        );
    });
}
