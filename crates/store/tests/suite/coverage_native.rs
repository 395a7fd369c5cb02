//! Coverage's native reads (rusqlite on SQLite, the native pool on PostgreSQL) give the same
//! facts and the same coverage as the generic path they replaced, on both databases: over
//! transferees (by cohort and by role profile), the recording module, every kind of completion,
//! and enrolments on sessions cancelled, delivered, to come, booked too late or withdrawn.

use mashboard_domain::access::PeopleScope;
use mashboard_domain::coverage::{
    Clause, CountsAs, Filter, Rule, Standing, TrainedHow, Transferees, DEMO_FRONTLINE_DEPARTMENTS,
};
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::coverage::{self, Loaded, RequirementInput};
use mashboard_store::keyset::PageStart;
use mashboard_store::people::{self, PeopleQuery};
use mashboard_store::{now_text, Backend, Store, StoreError};
use time::macros::date;
use time::Date;

async fn insert_id(store: &Store, sql: &str, binds: &[Option<&str>]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_one(store.pool()).await.unwrap()
}

async fn module(store: &Store, code: &str) -> i64 {
    let now = now_text();
    insert_id(
        store,
        "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at)
         VALUES ($1, $1, 'face_to_face', 'live', '1.0', $2, $2) RETURNING id",
        &[Some(code), Some(&now)],
    )
    .await
}

/// A person: staff number, rank, department, cohort, start, left on, active.
#[allow(clippy::too_many_arguments)]
async fn person(
    store: &Store,
    sn: &str,
    rank: Option<&str>,
    dept: Option<&str>,
    cohort: Option<&str>,
    start: Option<&str>,
    left_on: Option<&str>,
    active: bool,
) -> i64 {
    let now = now_text();
    let team = dept.map(|d| format!("{d} team"));
    insert_id(
        store,
        "INSERT INTO people (staff_number, name, rank, department, team, start_date, cohort, active, left_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8 AS BIGINT), $9, $10, $10) RETURNING id",
        &[
            Some(sn),
            Some(&format!("Name {sn}")),
            rank,
            dept,
            team.as_deref(),
            start,
            cohort,
            Some(if active { "1" } else { "0" }),
            left_on,
            Some(&now),
        ],
    )
    .await
}

async fn session(store: &Store, module_id: i64, starts_at: &str, status: &str) -> i64 {
    let now = now_text();
    let m = module_id.to_string();
    insert_id(
        store,
        "INSERT INTO training_sessions (module_id, module_version, starts_at, ends_at, mode, capacity, status, ics_uid, created_by, created_at, updated_at)
         VALUES (CAST($1 AS BIGINT), '1.0', $2, $2, 'teams', 20, $3, $4, 'test', $5, $5) RETURNING id",
        &[
            Some(&m),
            Some(starts_at),
            Some(status),
            Some(&format!("uid-{starts_at}-{status}-{m}")),
            Some(&now),
        ],
    )
    .await
}

async fn enrol(store: &Store, session_id: i64, person_id: i64, status: &str, booked_at: &str) {
    sqlx::query(
        "INSERT INTO session_enrolments (session_id, person_id, status, booked_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'test', $4, $4)",
    )
    .bind(session_id)
    .bind(person_id)
    .bind(status)
    .bind(booked_at)
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

async fn assign(store: &Store, person_id: i64, profile_id: i64, from: &str, to: Option<&str>) {
    sqlx::query(
        "INSERT INTO assignments (person_id, profile_id, started_on, ended_on, assigned_by, created_at)
         VALUES ($1, $2, $3, $4, 'test', $5)",
    )
    .bind(person_id)
    .bind(profile_id)
    .bind(from)
    .bind(to)
    .bind(now_text())
    .execute(store.pool())
    .await
    .unwrap();
}

/// A delivered session for the person whose texts need escaping.
async fn s_done_for_tricky(store: &Store, module_id: i64) -> i64 {
    session(store, module_id, "2024-03-04T13:00:00.000000Z", "delivered").await
}

/// The facts in one order, whatever order they were read in.
fn sorted(mut l: Loaded) -> Loaded {
    l.completions.sort_by_key(|c| {
        (
            c.person_id,
            c.module_id,
            c.completed_on,
            c.session_id,
            c.imported,
        )
    });
    l.bookings
        .sort_by_key(|b| (b.person_id, b.module_id, b.starts_on, b.session_id));
    l.assignments.sort_by(|a, b| {
        (a.person_id, &a.profile_code, a.started_on, a.ended_on).cmp(&(
            b.person_id,
            &b.profile_code,
            b.started_on,
            b.ended_on,
        ))
    });
    l
}

/// Both paths' facts and coverage for `requirement` as of `as_of`, which must agree.
async fn both_agree(
    store: &Store,
    requirement: &coverage::Requirement,
    as_of: Date,
    filter: &Filter,
) -> coverage::Report {
    let native = coverage::load_facts(store, requirement, as_of)
        .await
        .unwrap();
    let generic = coverage::load_facts_generic(store, requirement, as_of)
        .await
        .unwrap();
    let (n, g) = (sorted(native.clone()), sorted(generic.clone()));
    assert_eq!(n.people, g.people, "the same people, as of {as_of}");
    assert_eq!(
        n.completions, g.completions,
        "the same completions, as of {as_of}"
    );
    assert_eq!(n.bookings, g.bookings, "the same bookings, as of {as_of}");
    assert_eq!(
        n.assignments, g.assignments,
        "the same assignments, as of {as_of}"
    );
    let a = native.compute(requirement, as_of, filter);
    let b = generic.compute(requirement, as_of, filter);
    assert_eq!(a.coverage, b.coverage, "the same coverage, as of {as_of}");
    a
}

fn standing_of(report: &coverage::Report, sn: &str) -> Option<Standing> {
    report
        .coverage
        .outcomes
        .iter()
        .find(|o| report.people[o.person].staff_number == sn)
        .map(|o| o.standing)
}

#[tokio::test]
async fn native_reads_give_the_same_coverage_as_the_generic_path() {
    on_both!(|store| {
        let ppn = module(&store, "FL-PPN").await;
        let vid = module(&store, "FL-PPN-VID").await;
        let any = module(&store, "FL-PPN-ELEARN").await;
        let other = module(&store, "EL-OTHER").await;
        let now = now_text();
        let transferee_profile = insert_id(
            &store,
            "INSERT INTO role_profiles (code, name, created_at) VALUES ('TRANSFEREE', 'Transferee', $1) RETURNING id",
            &[Some(&now)],
        )
        .await;
        let psi = insert_id(
            &store,
            "INSERT INTO role_profiles (code, name, created_at) VALUES ('FL-PSI', 'Public safety', $1) RETURNING id",
            &[Some(&now)],
        )
        .await;

        // People: plain constables, a rank written in another case and with spaces, an empty
        // rank, transferees by cohort and by profile, leavers before and after, someone gone on
        // an unknown day, someone starting later, no start date, no cohort.
        let p_session = person(
            &store,
            "A1",
            Some("PC"),
            Some("Response"),
            Some("2023 PC intake 1"),
            Some("2023-03-01"),
            None,
            true,
        )
        .await;
        let p_imported = person(
            &store,
            "A2",
            Some(" pc "),
            Some("Response"),
            Some("2023 PC intake 1"),
            Some("2023-03-01"),
            None,
            true,
        )
        .await;
        let p_other = person(
            &store,
            "A3",
            Some("Pc"),
            Some("Major Crime"),
            None,
            Some("2022-06-01"),
            None,
            true,
        )
        .await;
        let p_booked = person(
            &store,
            "A4",
            Some("PC"),
            Some("Firearms"),
            Some("2024 PC intake 2"),
            Some("2024-01-08"),
            None,
            true,
        )
        .await;
        let p_untrained = person(
            &store,
            "A5",
            Some("PCSO"),
            Some("Response"),
            Some("2024 PCSO intake"),
            Some("2024-02-01"),
            None,
            true,
        )
        .await;
        let t_cohort = person(
            &store,
            "T1",
            Some("PC"),
            Some("Response"),
            Some("2023 Transferees"),
            Some("2023-05-01"),
            None,
            true,
        )
        .await;
        let t_profile = person(
            &store,
            "T2",
            Some("PC"),
            Some("Roads Policing"),
            Some("2023 PC intake 2"),
            Some("2023-05-01"),
            None,
            true,
        )
        .await;
        let t_booked_vid = person(
            &store,
            "T3",
            Some("PC"),
            Some("Response"),
            Some("2025 TRANSFER in"),
            Some("2025-01-06"),
            None,
            true,
        )
        .await;
        let not_t_vid = person(
            &store,
            "N1",
            Some("PC"),
            Some("Response"),
            Some("2023 PC intake 1"),
            Some("2023-03-01"),
            None,
            true,
        )
        .await;
        let left_before = person(
            &store,
            "L1",
            Some("PC"),
            Some("Response"),
            Some("2023 PC intake 1"),
            Some("2023-03-01"),
            Some("2024-06-30"),
            false,
        )
        .await;
        let left_after = person(
            &store,
            "L2",
            Some("PC"),
            Some("Response"),
            Some("2023 PC intake 1"),
            Some("2023-03-01"),
            Some("2027-06-30"),
            true,
        )
        .await;
        person(
            &store,
            "G1",
            Some("PC"),
            Some("Response"),
            Some("2023 PC intake 1"),
            Some("2023-03-01"),
            None,
            false,
        )
        .await;
        person(
            &store,
            "S1",
            Some("PC"),
            Some("Response"),
            Some("2027 PC intake 1"),
            Some("2027-03-01"),
            None,
            true,
        )
        .await;
        let no_start = person(
            &store,
            "U1",
            Some("PC"),
            Some("Response"),
            None,
            None,
            None,
            true,
        )
        .await;
        person(
            &store,
            "E1",
            Some(""),
            Some(""),
            Some(""),
            Some("2023-03-01"),
            None,
            true,
        )
        .await;
        person(
            &store,
            "X1",
            Some("Police Staff (Band C)"),
            Some("Information Services"),
            Some("2015 staff"),
            Some("2015-01-05"),
            None,
            true,
        )
        .await;
        let old_hand = person(
            &store,
            "O1",
            Some("Sgt"),
            Some("Response"),
            Some("2010 intake"),
            Some("2010-01-04"),
            None,
            true,
        )
        .await;

        // Texts PostgreSQL's COPY escapes (backslash, tab, new line) and a quote, in a name
        // and in a department a rule names.
        let tricky = insert_id(
            &store,
            "INSERT INTO people (staff_number, name, rank, department, team, start_date, cohort, active, created_at, updated_at)
             VALUES ('Q1', $1, 'PC', $2, $3, '2023-03-01', '2023 PC intake 1', 1, $4, $4) RETURNING id",
            &[
                Some("O'Brien \\ Tab\there\nNew line"),
                Some("O'Neil's \\ Unit"),
                Some("Team\\N"),
                Some(&now),
            ],
        )
        .await;
        complete(
            &store,
            tricky,
            ppn,
            "2024-03-04",
            Some(s_done_for_tricky(&store, ppn).await),
            "attendance",
        )
        .await;
        assign(&store, t_profile, transferee_profile, "2023-05-01", None).await;
        assign(&store, old_hand, psi, "2020-01-01", None).await;
        assign(&store, p_untrained, psi, "2020-01-01", Some("2024-01-01")).await;
        assign(&store, p_other, psi, "2026-12-01", None).await;

        // Sessions of the counting modules: delivered, cancelled, to come.
        let s_done = session(&store, ppn, "2024-03-04T09:00:00.000000Z", "delivered").await;
        let s_cancelled = session(&store, ppn, "2026-12-01T09:00:00.000000Z", "cancelled").await;
        let s_soon = session(&store, ppn, "2026-12-07T09:00:00.000000Z", "open").await;
        let s_sooner_same_day = session(&store, ppn, "2026-12-07T08:00:00.000000Z", "open").await;
        let s_later = session(&store, ppn, "2027-01-11T09:00:00.000000Z", "open").await;
        let s_vid = session(&store, vid, "2026-12-02T09:00:00.000000Z", "open").await;
        let s_past_open = session(&store, ppn, "2026-10-01T09:00:00.000000Z", "open").await;
        let s_other = session(&store, other, "2026-12-03T09:00:00.000000Z", "open").await;

        // Completions of every kind, and some that must not count.
        complete(
            &store,
            p_session,
            ppn,
            "2024-03-04",
            Some(s_done),
            "attendance",
        )
        .await;
        complete(&store, p_session, ppn, "2025-03-04", None, "imported").await;
        complete(&store, p_imported, ppn, "2024-05-01", None, "imported").await;
        complete(&store, p_imported, ppn, "2024-04-01", None, "recorded").await;
        complete(&store, p_other, any, "2024-07-01", None, "recorded").await;
        complete(&store, p_other, ppn, "2027-01-01", None, "recorded").await;
        complete(&store, t_cohort, vid, "2024-01-10", None, "recorded").await;
        complete(&store, t_profile, vid, "2024-02-10", None, "imported").await;
        complete(&store, not_t_vid, vid, "2024-02-10", None, "recorded").await;
        complete(&store, p_untrained, other, "2024-02-10", None, "recorded").await;
        complete(
            &store,
            left_after,
            ppn,
            "2024-02-10T10:00:00Z",
            None,
            "recorded",
        )
        .await;
        complete(
            &store,
            no_start,
            ppn,
            "2024-02-10",
            Some(s_done),
            "attendance",
        )
        .await;

        // Bookings: the earliest open session counts (the earlier one on the same day), never a
        // cancelled session or a cancelled enrolment, a booking made after the day, another
        // module, or a delivered session in the past; the recording only for a transferee.
        let early = "2026-11-01T10:00:00.000000Z";
        enrol(&store, s_later, p_booked, "enrolled", early).await;
        enrol(&store, s_soon, p_booked, "enrolled", early).await;
        enrol(&store, s_sooner_same_day, p_booked, "enrolled", early).await;
        enrol(&store, s_cancelled, p_untrained, "enrolled", early).await;
        enrol(&store, s_soon, p_untrained, "cancelled", early).await;
        enrol(
            &store,
            s_later,
            p_untrained,
            "enrolled",
            "2026-12-01T10:00:00.000000Z",
        )
        .await;
        enrol(&store, s_other, p_untrained, "enrolled", early).await;
        enrol(
            &store,
            s_done,
            p_untrained,
            "enrolled",
            "2024-01-01T10:00:00.000000Z",
        )
        .await;
        enrol(&store, s_vid, t_booked_vid, "enrolled", early).await;
        enrol(&store, s_vid, not_t_vid, "enrolled", early).await;
        enrol(&store, s_past_open, left_before, "enrolled", early).await;
        enrol(&store, s_past_open, no_start, "enrolled", early).await;

        let rules = [
            Rule {
                clauses: vec![Clause {
                    ranks: vec!["PC".into()],
                    started_from: Some(date!(2022 - 01 - 01)),
                    transferees: Transferees::Exclude,
                    ..Default::default()
                }],
            },
            Rule {
                clauses: vec![
                    Clause {
                        role_profiles: vec!["fl-psi".into()],
                        ..Default::default()
                    },
                    Clause {
                        departments: vec!["response".into(), "Roads Policing".into()],
                        in_post_on: Some(date!(2024 - 12 - 31)),
                        ..Default::default()
                    },
                    Clause {
                        transferees: Transferees::Only,
                        ..Default::default()
                    },
                    Clause {
                        cohort_prefixes: vec!["2024 PCSO".into()],
                        started_to: Some(date!(2024 - 12 - 31)),
                        ..Default::default()
                    },
                ],
            },
            // Everyone in post on the day.
            Rule {
                clauses: vec![Clause {
                    in_post_on: Some(date!(2026 - 11 - 26)),
                    ..Default::default()
                }],
            },
            // A department with a quote and a backslash, written into PostgreSQL's COPY.
            Rule {
                clauses: vec![Clause {
                    departments: vec!["o'neil's \\ unit".into()],
                    ..Default::default()
                }],
            },
            // Cohorts only: the database reads everyone and the domain decides.
            Rule {
                clauses: vec![Clause {
                    cohort_contains: vec!["INTAKE".into()],
                    ..Default::default()
                }],
            },
        ];
        let modules = vec![
            (ppn, CountsAs::Session),
            (vid, CountsAs::Recording),
            (any, CountsAs::Any),
        ];
        for (i, rule) in rules.into_iter().enumerate() {
            let id = coverage::create_requirement(
                &store,
                &Actor::system(),
                &RequirementInput {
                    code: format!("R{i}"),
                    name: format!("Rule {i}"),
                    description: String::new(),
                    rule,
                    modules: modules.clone(),
                },
            )
            .await
            .unwrap();
            let req = coverage::requirement(&store, id).await.unwrap().unwrap();
            for as_of in [
                date!(2024 - 01 - 15),
                date!(2026 - 11 - 26),
                date!(2027 - 02 - 01),
            ] {
                for filter in [
                    Filter::default(),
                    Filter {
                        department: Some("RESPONSE".into()),
                        ..Default::default()
                    },
                ] {
                    both_agree(&store, &req, as_of, &filter).await;
                }
            }
        }

        // What the native path finds, person by person, for the everyone rule on 26 November.
        let req = coverage::requirement_by_code(&store, "R2")
            .await
            .unwrap()
            .unwrap();
        let report = both_agree(&store, &req, date!(2026 - 11 - 26), &Filter::default()).await;
        let trained = |on: Date, how: TrainedHow| Some(Standing::Trained { on, how });
        assert_eq!(
            standing_of(&report, "A1"),
            trained(date!(2024 - 03 - 04), TrainedHow::Session)
        );
        assert_eq!(
            standing_of(&report, "A2"),
            trained(date!(2024 - 04 - 01), TrainedHow::Other)
        );
        assert_eq!(
            standing_of(&report, "A3"),
            trained(date!(2024 - 07 - 01), TrainedHow::Other)
        );
        assert_eq!(
            standing_of(&report, "A4"),
            Some(Standing::Booked {
                session_id: s_sooner_same_day,
                starts_on: date!(2026 - 12 - 07)
            })
        );
        assert_eq!(standing_of(&report, "A5"), Some(Standing::Untrained));
        assert_eq!(
            standing_of(&report, "T1"),
            trained(date!(2024 - 01 - 10), TrainedHow::Recording)
        );
        assert_eq!(
            standing_of(&report, "T2"),
            trained(date!(2024 - 02 - 10), TrainedHow::Recording)
        );
        assert_eq!(
            standing_of(&report, "T3"),
            Some(Standing::Booked {
                session_id: s_vid,
                starts_on: date!(2026 - 12 - 02)
            })
        );
        assert_eq!(standing_of(&report, "N1"), Some(Standing::Untrained));
        assert_eq!(standing_of(&report, "L1"), None, "left before the day");
        assert_eq!(
            standing_of(&report, "L2"),
            trained(date!(2024 - 02 - 10), TrainedHow::Other)
        );
        assert_eq!(standing_of(&report, "G1"), None, "gone on an unknown day");
        assert_eq!(standing_of(&report, "S1"), None, "not started yet");
        assert_eq!(
            standing_of(&report, "U1"),
            trained(date!(2024 - 02 - 10), TrainedHow::Session)
        );
        let q1 = report
            .people
            .iter()
            .find(|p| p.staff_number == "Q1")
            .expect("Q1 is read");
        assert_eq!(q1.name, "O'Brien \\ Tab\there\nNew line");
        assert_eq!(q1.team.as_deref(), Some("Team\\N"));
        assert_eq!(
            standing_of(&report, "Q1"),
            trained(date!(2024 - 03 - 04), TrainedHow::Session)
        );
        let unit = coverage::requirement_by_code(&store, "R3")
            .await
            .unwrap()
            .unwrap();
        let by_unit = both_agree(&store, &unit, date!(2026 - 11 - 26), &Filter::default()).await;
        assert_eq!(
            by_unit.coverage.total.required, 1,
            "the rule names Q1's department"
        );
        let e1 = report
            .people
            .iter()
            .find(|p| p.staff_number == "E1")
            .expect("E1 is read");
        assert_eq!(
            (e1.rank.as_deref(), e1.cohort.as_deref()),
            (None, None),
            "empty is absent"
        );
    });
}

/// After PostgreSQL drops the native pool's connections (a restart, an administrator's
/// `pg_terminate_backend`), coverage and the people list read on fresh connections rather than
/// failing once for each stale one; each read is first after the drop in one of two rounds.
/// (On SQLite the same reads run, with no pool to drop.)
#[tokio::test]
async fn native_reads_answer_after_the_server_drops_their_connections() {
    on_both!(|store| {
        module(&store, "FL-PPN").await;
        module(&store, "FL-PPN-VID").await;
        coverage::ensure_default_requirements(&store, &DEMO_FRONTLINE_DEPARTMENTS)
            .await
            .unwrap();
        let req = coverage::requirements(&store, false)
            .await
            .unwrap()
            .remove(0);
        person(
            &store,
            "A1",
            Some("PC"),
            Some("Response"),
            Some("2023 PC intake 1"),
            Some("2023-03-01"),
            None,
            true,
        )
        .await;
        let as_of = date!(2026 - 11 - 26);
        let coverage_read = || async {
            let facts = coverage::load_facts(&store, &req, as_of).await?;
            Ok::<_, StoreError>(facts.people.len())
        };
        let people_read = || async {
            let q = PeopleQuery::default();
            let (page, count) =
                people::page_and_count(&store, &q, PeopleScope::All, &PageStart::First, 50).await?;
            Ok::<_, StoreError>((page.rows.len(), count.n))
        };
        let people_seen = people_read().await.unwrap();
        let coverage_seen = coverage_read().await.unwrap();
        assert_eq!(people_seen, (1, 1));
        for people_first in [true, false] {
            if store.backend() == Backend::Postgres {
                let dropped: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) AS BIGINT)
                     FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid()
                       AND application_name = 'mashboard native reads'",
                )
                .fetch_one(store.pool())
                .await
                .unwrap();
                assert!(dropped >= 1, "the native pool had connections to drop");
            }
            let after = "a read after the server dropped the connections answers";
            if people_first {
                assert_eq!(people_read().await.expect(after), people_seen);
                assert_eq!(coverage_read().await.expect(after), coverage_seen);
            } else {
                assert_eq!(coverage_read().await.expect(after), coverage_seen);
                assert_eq!(people_read().await.expect(after), people_seen);
            }
        }
    });
}
