//! Coverage requirements (who must have had an input, and which modules count) and the
//! coverage computation: a handful of queries load people, role-profile assignments,
//! completions of the counting modules and enrolments on their sessions, then
//! `domain::coverage::compute` does the rest in memory.
//!
//! This module only reads the session, enrolment and attendance tables (other parts of the
//! delivery work write them): a completion made by a session's attendance carries its
//! `session_id`; an `enrolled` row on a session that is not cancelled is a booking.

use crate::audit::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::coverage::{
    self, Assignment, Booking, CompletionFact, CountingModule, CountsAs, Coverage, Filter, Person,
    Rule,
};
use serde::Serialize;
use std::collections::HashSet;
use time::Date;

/// A module that counts towards a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequirementModule {
    pub module_id: i64,
    pub code: String,
    pub title: String,
    pub counts_as: CountsAs,
}

/// A stored requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub rule: Rule,
    pub active: bool,
    pub modules: Vec<RequirementModule>,
    pub created_at: String,
    pub updated_at: String,
}

impl Requirement {
    pub fn counting(&self) -> Vec<CountingModule> {
        self.modules
            .iter()
            .map(|m| CountingModule {
                module_id: m.module_id,
                counts_as: m.counts_as,
            })
            .collect()
    }
}

/// What a create or edit form gives.
#[derive(Debug, Clone, Default)]
pub struct RequirementInput {
    pub code: String,
    pub name: String,
    pub description: String,
    pub rule: Rule,
    pub modules: Vec<(i64, CountsAs)>,
}

/// Reads stored rule JSON and checks it.
pub fn rule_from_json(s: &str) -> Result<Rule> {
    let rule: Rule = serde_json::from_str(s).map_err(|e| {
        StoreError::Invalid(format!("the requirement's rule could not be read: {e}"))
    })?;
    rule.validate()
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

type ReqRow = (i64, String, String, String, String, i64, String, String);

async fn load(store: &Store, rows: Vec<ReqRow>) -> Result<Vec<Requirement>> {
    let mods: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT rm.requirement_id, rm.module_id, m.code, m.title, rm.counts_as
         FROM coverage_requirement_modules rm JOIN modules m ON m.id = rm.module_id
         ORDER BY rm.requirement_id, m.code",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, code, name, description, rule, active, created_at, updated_at) in rows {
        let rule = rule_from_json(&rule)?;
        let modules = mods
            .iter()
            .filter(|m| m.0 == id)
            .map(|m| RequirementModule {
                module_id: m.1,
                code: m.2.clone(),
                title: m.3.clone(),
                counts_as: CountsAs::parse(&m.4).unwrap_or(CountsAs::Any),
            })
            .collect();
        out.push(Requirement {
            id,
            code,
            name,
            description,
            rule,
            active: active != 0,
            modules,
            created_at,
            updated_at,
        });
    }
    Ok(out)
}

const SELECT_REQ: &str =
    "SELECT id, code, name, description, rule, active, created_at, updated_at FROM coverage_requirements";

/// Every requirement (active first, then by name); inactive ones only when asked.
pub async fn requirements(store: &Store, include_inactive: bool) -> Result<Vec<Requirement>> {
    let sql = if include_inactive {
        format!("{SELECT_REQ} ORDER BY active DESC, name")
    } else {
        format!("{SELECT_REQ} WHERE active = 1 ORDER BY name")
    };
    let rows: Vec<ReqRow> = sqlx::query_as(&sql).fetch_all(store.pool()).await?;
    load(store, rows).await
}

pub async fn requirement(store: &Store, id: i64) -> Result<Option<Requirement>> {
    let rows: Vec<ReqRow> = sqlx::query_as(&format!("{SELECT_REQ} WHERE id = $1"))
        .bind(id)
        .fetch_all(store.pool())
        .await?;
    Ok(load(store, rows).await?.into_iter().next())
}

pub async fn requirement_by_code(store: &Store, code: &str) -> Result<Option<Requirement>> {
    let rows: Vec<ReqRow> = sqlx::query_as(&format!("{SELECT_REQ} WHERE UPPER(code) = UPPER($1)"))
        .bind(code.trim())
        .fetch_all(store.pool())
        .await?;
    Ok(load(store, rows).await?.into_iter().next())
}

/// The checked form of an input: trimmed, code upper-cased, rule validated, modules known.
async fn check(store: &Store, input: &RequirementInput) -> Result<RequirementInput> {
    let code = input.code.trim().to_ascii_uppercase();
    if code.is_empty() {
        return Err(StoreError::Invalid(
            "Enter a code for the requirement, such as FL-PPN-PC".into(),
        ));
    }
    if code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(StoreError::Invalid(
            "The code must be up to 40 letters, digits, hyphens or underscores".into(),
        ));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() {
        return Err(StoreError::Invalid(
            "Enter a name for the requirement".into(),
        ));
    }
    let rule = input
        .rule
        .clone()
        .validate()
        .map_err(|e| StoreError::Invalid(format!("Who is required: {e}")))?;
    if input.modules.is_empty() {
        return Err(StoreError::Invalid(
            "Choose at least one module that counts towards the requirement".into(),
        ));
    }
    let mut seen = HashSet::new();
    for (module_id, _) in &input.modules {
        if !seen.insert(*module_id) {
            return Err(StoreError::Invalid(
                "A module is listed twice; list each module once".into(),
            ));
        }
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM modules WHERE id = $1")
            .bind(module_id)
            .fetch_optional(store.pool())
            .await?;
        if exists.is_none() {
            return Err(StoreError::Invalid(format!(
                "Module {module_id} is not in the catalogue"
            )));
        }
    }
    Ok(RequirementInput {
        code,
        name,
        description: input.description.trim().to_string(),
        rule,
        modules: input.modules.clone(),
    })
}

#[derive(Serialize)]
struct Audited<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    rule: &'a Rule,
    modules: Vec<(i64, &'static str)>,
}

fn audited(i: &RequirementInput) -> Audited<'_> {
    Audited {
        code: &i.code,
        name: &i.name,
        description: &i.description,
        rule: &i.rule,
        modules: i.modules.iter().map(|(m, c)| (*m, c.as_str())).collect(),
    }
}

fn conflict(code: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| {
        if crate::is_unique_violation(&e) {
            StoreError::Conflict(format!(
                "There is already a requirement with the code {code}"
            ))
        } else {
            e.into()
        }
    }
}

async fn write_modules(
    tx: &mut sqlx::AnyConnection,
    requirement_id: i64,
    modules: &[(i64, CountsAs)],
) -> Result<()> {
    sqlx::query("DELETE FROM coverage_requirement_modules WHERE requirement_id = $1")
        .bind(requirement_id)
        .execute(&mut *tx)
        .await?;
    for (module_id, counts_as) in modules {
        sqlx::query(
            "INSERT INTO coverage_requirement_modules (requirement_id, module_id, counts_as) VALUES ($1, $2, $3)",
        )
        .bind(requirement_id)
        .bind(module_id)
        .bind(counts_as.as_str())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Adds a requirement; audited.
pub async fn create_requirement(
    store: &Store,
    actor: &Actor,
    input: &RequirementInput,
) -> Result<i64> {
    let input = check(store, input).await?;
    let now = now_text();
    let mut tx = store.pool().begin().await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO coverage_requirements (code, name, description, rule, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id",
    )
    .bind(&input.code)
    .bind(&input.name)
    .bind(&input.description)
    .bind(serde_json::to_string(&input.rule).expect("rules serialise"))
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict(&input.code))?;
    write_modules(&mut tx, id, &input.modules).await?;
    audit::record_on(
        &mut tx,
        actor,
        Event::new(
            "coverage.requirement.create",
            format!("Added coverage requirement {}", input.name),
        )
        .on("coverage_requirement", &input.code)
        .after(&audited(&input)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a requirement's code, name, description, rule or modules; audited with before and
/// after.
pub async fn update_requirement(
    store: &Store,
    actor: &Actor,
    id: i64,
    input: &RequirementInput,
) -> Result<()> {
    let before = requirement(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such requirement".into()))?;
    let input = check(store, input).await?;
    let before_input = RequirementInput {
        code: before.code.clone(),
        name: before.name.clone(),
        description: before.description.clone(),
        rule: before.rule.clone(),
        modules: before
            .modules
            .iter()
            .map(|m| (m.module_id, m.counts_as))
            .collect(),
    };
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "UPDATE coverage_requirements SET code = $1, name = $2, description = $3, rule = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&input.code)
    .bind(&input.name)
    .bind(&input.description)
    .bind(serde_json::to_string(&input.rule).expect("rules serialise"))
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(conflict(&input.code))?;
    write_modules(&mut tx, id, &input.modules).await?;
    audit::record_on(
        &mut tx,
        actor,
        Event::new(
            "coverage.requirement.update",
            format!("Changed coverage requirement {}", input.name),
        )
        .on("coverage_requirement", &input.code)
        .before(&audited(&before_input))
        .after(&audited(&input)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Retires (or brings back) a requirement; audited. Nothing is deleted.
pub async fn set_active(store: &Store, actor: &Actor, id: i64, active: bool) -> Result<()> {
    let before = requirement(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such requirement".into()))?;
    if before.active == active {
        return Ok(());
    }
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE coverage_requirements SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(active))
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let (action, words) = if active {
        ("coverage.requirement.activate", "Brought back")
    } else {
        ("coverage.requirement.deactivate", "Retired")
    };
    audit::record_on(
        &mut tx,
        actor,
        Event::new(
            action,
            format!("{words} coverage requirement {}", before.name),
        )
        .on("coverage_requirement", &before.code),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates the practice's requirements for the frontline referral input (see
/// `domain::coverage::default_requirements`) when their modules exist by code and the
/// requirement's code is not yet taken. Idempotent: returns how many it created.
pub async fn ensure_default_requirements(
    store: &Store,
    frontline_departments: &[&str],
) -> Result<usize> {
    let mut created = 0;
    for d in coverage::default_requirements(frontline_departments) {
        if requirement_by_code(store, d.code).await?.is_some() {
            continue;
        }
        let mut modules = Vec::new();
        for (code, counts_as) in &d.modules {
            let id: Option<i64> =
                sqlx::query_scalar("SELECT id FROM modules WHERE UPPER(code) = UPPER($1)")
                    .bind(code)
                    .fetch_optional(store.pool())
                    .await?;
            if let Some(id) = id {
                modules.push((id, *counts_as));
            }
        }
        // The session module must exist; the recording is optional.
        if !modules.iter().any(|(_, c)| *c != CountsAs::Recording) {
            continue;
        }
        let input = RequirementInput {
            code: d.code.into(),
            name: d.name.into(),
            description: d.description.into(),
            rule: d.rule,
            modules,
        };
        create_requirement(store, &Actor::system(), &input).await?;
        created += 1;
    }
    Ok(created)
}

/// The ids of the people someone line-manages directly (a line manager's coverage scope).
pub async fn line_reports(store: &Store, manager_person_id: i64) -> Result<HashSet<i64>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM people WHERE line_manager_id = $1")
        .bind(manager_person_id)
        .fetch_all(store.pool())
        .await?;
    Ok(ids.into_iter().collect())
}

/// Coverage with the people it refers to (`coverage.outcomes[i].person` indexes `people`).
#[derive(Debug, Clone)]
pub struct Report {
    pub people: Vec<Person>,
    pub coverage: Coverage,
}

impl Report {
    /// The untrained (including booked) people, sorted by department, team and name.
    pub fn untrained(&self) -> Vec<(&Person, &coverage::Outcome)> {
        let mut v: Vec<_> = self
            .coverage
            .outcomes
            .iter()
            .filter(|o| !o.standing.is_trained())
            .map(|o| (&self.people[o.person], o))
            .collect();
        v.sort_by(|a, b| {
            (&a.0.department, &a.0.team, &a.0.name).cmp(&(&b.0.department, &b.0.team, &b.0.name))
        });
        v
    }
}

fn day(s: &str) -> Option<Date> {
    coverage::parse_ymd(s)
}

/// Loads what the rule needs and works out coverage as of `as_of`.
pub async fn compute(
    store: &Store,
    requirement: &Requirement,
    as_of: Date,
    filter: &Filter,
) -> Result<Report> {
    let pool = store.pool();
    type PersonRow = (
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
    );
    let rows: Vec<PersonRow> = sqlx::query_as(
        "SELECT id, staff_number, name, rank, department, team, cohort, start_date, left_on, active FROM people ORDER BY id",
    )
    .fetch_all(pool)
    .await?;
    let people: Vec<Person> = rows
        .into_iter()
        .map(|r| Person {
            id: r.0,
            staff_number: r.1,
            name: r.2,
            rank: r.3,
            department: r.4,
            team: r.5,
            cohort: r.6,
            start_date: r.7.as_deref().and_then(day),
            left_on: r.8.as_deref().and_then(day),
            active: r.9 != 0,
        })
        .collect();

    let as_of_text = as_of.to_string();
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT a.person_id, r.code, a.started_on, a.ended_on
         FROM assignments a JOIN role_profiles r ON r.id = a.profile_id
         WHERE a.started_on <= $1 AND (a.ended_on IS NULL OR a.ended_on > $1)",
    )
    .bind(&as_of_text)
    .fetch_all(pool)
    .await?;
    let assignments: Vec<Assignment> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Assignment {
                person_id: r.0,
                profile_code: r.1,
                started_on: day(&r.2)?,
                ended_on: r.3.as_deref().and_then(day),
            })
        })
        .collect();

    let rows: Vec<(i64, i64, String, Option<i64>, String)> = sqlx::query_as(
        "SELECT c.person_id, c.module_id, c.completed_on, c.session_id, c.source
         FROM completions c
         WHERE c.completed_on <= $2
           AND c.module_id IN (SELECT module_id FROM coverage_requirement_modules WHERE requirement_id = $1)",
    )
    .bind(requirement.id)
    .bind(&as_of_text)
    .fetch_all(pool)
    .await?;
    let completions: Vec<CompletionFact> = rows
        .into_iter()
        .filter_map(|r| {
            Some(CompletionFact {
                person_id: r.0,
                module_id: r.1,
                completed_on: day(&r.2)?,
                session_id: r.3,
                imported: r.4 == "imported",
            })
        })
        .collect();

    let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
        "SELECT e.person_id, s.module_id, s.id, s.starts_at, s.status
         FROM session_enrolments e JOIN training_sessions s ON s.id = e.session_id
         WHERE e.status = 'enrolled' AND s.status <> 'cancelled'
           AND s.module_id IN (SELECT module_id FROM coverage_requirement_modules WHERE requirement_id = $1)",
    )
    .bind(requirement.id)
    .fetch_all(pool)
    .await?;
    let bookings: Vec<Booking> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Booking {
                person_id: r.0,
                module_id: r.1,
                session_id: r.2,
                starts_on: day(&r.3)?,
                delivered: r.4 == "delivered",
            })
        })
        .collect();

    let coverage = coverage::compute(
        &requirement.rule,
        &requirement.counting(),
        coverage::Facts {
            people: &people,
            assignments: &assignments,
            completions: &completions,
            bookings: &bookings,
        },
        as_of,
        filter,
    );
    Ok(Report { people, coverage })
}

/// A session someone could be booked on from the untrained list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionOption {
    pub id: i64,
    pub module_code: String,
    pub title: String,
    pub starts_at: String,
    pub mode: String,
    pub capacity: i64,
    pub enrolled: i64,
}

/// Upcoming sessions (starting after `now`, not cancelled, not delivered) of the requirement's
/// counting modules, soonest first.
pub async fn upcoming_sessions(
    store: &Store,
    requirement_id: i64,
    now: &str,
) -> Result<Vec<SessionOption>> {
    let rows: Vec<(i64, String, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT s.id, m.code, CASE WHEN s.title = '' THEN m.title ELSE s.title END, s.starts_at, s.mode, s.capacity,
                CAST((SELECT COUNT(*) FROM session_enrolments e WHERE e.session_id = s.id AND e.status = 'enrolled') AS BIGINT)
         FROM training_sessions s JOIN modules m ON m.id = s.module_id
         WHERE s.starts_at > $2 AND s.status NOT IN ('cancelled', 'delivered')
           AND s.module_id IN (SELECT module_id FROM coverage_requirement_modules WHERE requirement_id = $1)
         ORDER BY s.starts_at, s.id",
    )
    .bind(requirement_id)
    .bind(now)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionOption {
            id: r.0,
            module_code: r.1,
            title: r.2,
            starts_at: r.3,
            mode: r.4,
            capacity: r.5,
            enrolled: r.6,
        })
        .collect())
}

/// Records that someone saw named people's coverage (the untrained list or an export).
pub async fn record_view(
    store: &Store,
    actor: &Actor,
    requirement: &Requirement,
    what: &str,
    people: usize,
) -> Result<()> {
    audit::record(
        store,
        actor,
        Event::new(
            "coverage.view",
            format!(
                "Viewed {what} for {} ({people} people named)",
                requirement.name
            ),
        )
        .on("coverage_requirement", &requirement.code),
    )
    .await
}
