//! Coverage requirements (who must have had an input, and which modules count) and the
//! coverage computation: a handful of queries load people, role-profile assignments,
//! completions of the counting modules and enrolments on their sessions, then
//! `domain::coverage::compute` does the rest in memory.
//!
//! This module only reads the session, enrolment and attendance tables (other parts of the
//! delivery work write them): a completion made by a session's attendance carries its
//! `session_id`; an `enrolled` row on a session that is not cancelled is a booking.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Backend, Result, Store, StoreError};
use mashboard_domain::coverage::{
    self, Assignment, Booking, CompletionFact, CountingModule, CountsAs, Coverage, Filter, Person,
    Rule,
};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use time::Date;

mod native;

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
    let mut tx = store.begin().await?;
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
    audit_trail::record_on(
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
    let mut tx = store.begin().await?;
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
    audit_trail::record_on(
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
    let mut tx = store.begin().await?;
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
    audit_trail::record_on(
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

/// Coverage with the people it refers to (`coverage.outcomes[i].person` indexes `people`,
/// which is shared with the cache rather than copied for each answer).
#[derive(Debug, Clone)]
pub struct Report {
    pub people: Arc<Vec<Person>>,
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

/// A parameter holding a day, to compare with a day stored as text: byte by byte, which for
/// `YYYY-MM-DD` is the order of the days. SQLite compares texts so already; on PostgreSQL the
/// `"C"` collation does, where the database's own (a locale's) would look up every character
/// in its tables on every row.
fn as_day(backend: Backend, param: &str) -> String {
    match backend {
        Backend::Sqlite => param.to_string(),
        Backend::Postgres => format!("{param} COLLATE \"C\""),
    }
}

/// The part of a rule SQL can check cheaply, as a condition on `people p` that holds for
/// everyone the rule could take (a superset: the domain decides exactly). Cohorts and
/// transferees are left to the domain. `None` when some clause could take anyone.
///
/// Ranks, departments and role profiles compare as the domain does, ignoring the case of ASCII
/// letters only: SQLite's `LOWER` and `UPPER` change only those, and on PostgreSQL the `"C"`
/// collation makes them do the same (and spares a locale's case tables on every row).
///
/// Days (`YYYY-MM-DD`, stored as text) compare byte by byte, as [`as_day`] makes them.
fn prefilter(backend: Backend, rule: &Rule, binds: &mut Vec<String>) -> Option<String> {
    let fold = |f: &str, e: &str| match backend {
        Backend::Sqlite => format!("{f}({e})"),
        Backend::Postgres => format!("{f}({e} COLLATE \"C\")"),
    };
    let next = |v: String, binds: &mut Vec<String>| {
        binds.push(v);
        format!("${}", binds.len())
    };
    let next_day = |d: Date, binds: &mut Vec<String>| as_day(backend, &next(d.to_string(), binds));
    // A clause that could take anyone leaves no condition, and none of the values bound for
    // the clauses before it: on PostgreSQL a statement is prepared with as many parameters as
    // are bound, and the next query of the same text with fewer would not fit it.
    let bound_before = binds.len();
    let mut any = Vec::new();
    for c in &rule.clauses {
        let mut all = Vec::new();
        let list = |vals: &[String], upper: bool, binds: &mut Vec<String>| -> String {
            vals.iter()
                .map(|v| {
                    let v = v.trim();
                    next(
                        if upper {
                            v.to_ascii_uppercase()
                        } else {
                            v.to_ascii_lowercase()
                        },
                        binds,
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !c.ranks.is_empty() {
            all.push(format!(
                "{} IN ({})",
                fold("LOWER", "TRIM(p.rank)"),
                list(&c.ranks, false, binds)
            ));
        }
        if !c.departments.is_empty() {
            all.push(format!(
                "{} IN ({})",
                fold("LOWER", "TRIM(p.department)"),
                list(&c.departments, false, binds)
            ));
        }
        if !c.role_profiles.is_empty() {
            all.push(format!(
                "p.id IN (SELECT a.person_id FROM assignments a JOIN role_profiles r ON r.id = a.profile_id WHERE {} IN ({}))",
                fold("UPPER", "r.code"),
                list(&c.role_profiles, true, binds)
            ));
        }
        if let Some(d) = c.started_from {
            all.push(format!("p.start_date >= {}", next_day(d, binds)));
        }
        if let Some(d) = c.started_to {
            all.push(format!("p.start_date <= {}", next_day(d, binds)));
        }
        if let Some(d) = c.in_post_on {
            let x = next_day(d, binds);
            all.push(format!(
                "(p.start_date IS NULL OR p.start_date <= {x}) AND (p.left_on IS NULL OR p.left_on > {x})"
            ));
        }
        if all.is_empty() {
            binds.truncate(bound_before);
            return None;
        }
        any.push(format!("({})", all.join(" AND ")));
    }
    Some(format!("({})", any.join(" OR ")))
}

/// Separates the fields of a record the database packs into one text (the unit separator, which
/// no name or code holds).
const SEP: char = '\u{1f}';
/// Separates the records of a query the database sends as one text (the record separator).
/// One text per query rather than a row per record and a column per field: most of the time
/// of a large read goes on handing each row and value over (sqlx's SQLite driver passes every
/// row between threads), not on the query itself.
const RS: char = '\u{1e}';

/// The fields as one text, separated by [`SEP`], an absent (NULL) field empty. On SQLite
/// `concat` (3.44+) builds it in one step, where a chain of `||` makes a new text at each (not
/// `concat_ws`, which leaves out empty fields and their separators); on PostgreSQL, whose
/// `concat` looks up each argument's output function on every row, the chain is quicker.
fn packed(backend: Backend, fields: &[&str]) -> String {
    match backend {
        Backend::Sqlite => format!("concat({})", fields.join(&format!(", '{SEP}', "))),
        Backend::Postgres => fields
            .iter()
            .map(|f| format!("COALESCE({f}, '')"))
            .collect::<Vec<_>>()
            .join(&format!(" || '{SEP}' || ")),
    }
}

fn unpack<'a, const N: usize>(text: &'a str, what: &str) -> Result<[Option<&'a str>; N]> {
    let mut out = [None; N];
    let mut parts = text.split(SEP);
    for slot in out.iter_mut() {
        let part = parts.next().ok_or_else(|| {
            StoreError::Invalid(format!(
                "a {what} record could not be read for coverage (a field holds a control character)"
            ))
        })?;
        *slot = (!part.is_empty()).then_some(part);
    }
    if parts.next().is_some() {
        return Err(StoreError::Invalid(format!(
            "a {what} record could not be read for coverage (a field holds a control character)"
        )));
    }
    Ok(out)
}

/// Runs `sql` (whose rows are one packed text in a column named `r`) and returns the rows,
/// all sent at once as one text joined by the database (`string_agg`, in both SQLite 3.44+
/// and PostgreSQL).
async fn texts(store: &Store, sql: String, binds: Vec<String>) -> Result<String> {
    let sql = format!("SELECT string_agg(q.r, '{RS}') FROM ({sql}) q");
    let mut q = sqlx::query_scalar::<_, Option<String>>(&sql);
    for b in &binds {
        q = q.bind(b.as_str());
    }
    Ok(q.fetch_one(store.pool()).await?.unwrap_or_default())
}

/// The records of a text from [`texts`].
fn records(all: &str) -> impl Iterator<Item = &str> {
    all.split(RS).filter(|r| !r.is_empty())
}

fn id_of(s: Option<&str>) -> Result<i64> {
    s.and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| StoreError::Invalid("a record without an id reached coverage".into()))
}

/// Loads what the rule needs and works out coverage as of `as_of`. Four queries run at once on
/// their own connections: the people the rule could take, each person's earliest counting
/// completion of each kind and earliest booking of each kind (summed up by the database), and
/// the role-profile assignments open on the day; the domain does the rest.
pub async fn compute(
    store: &Store,
    requirement: &Requirement,
    as_of: Date,
    filter: &Filter,
) -> Result<Report> {
    let facts = load_facts_cached(store, requirement, as_of).await?;
    Ok(facts.compute(requirement, as_of, filter))
}

/// The facts coverage last read, per requirement (as it then stood) and day, with the data
/// version they were read at. Only SQLite keeps one: there, triggers (migration 0009) raise
/// `settings.coverage_data_version` on every change to a table coverage reads, in the same
/// transaction as the change, so facts read at the current version are the current facts.
#[derive(Debug, Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, (i64, Arc<Loaded>)>>,
}

/// The most requirement-and-day pairs kept at once (each holds the people in scope, a few MB
/// for a force of 20,000).
const CACHE_ENTRIES: usize = 8;

async fn data_version(store: &Store) -> Result<Option<i64>> {
    if store.backend() != crate::Backend::Sqlite {
        return Ok(None);
    }
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'coverage_data_version'")
            .fetch_optional(store.pool())
            .await?;
    Ok(v.and_then(|v| v.trim().parse().ok()))
}

fn cache_key(requirement: &Requirement, as_of: Date) -> String {
    let modules: Vec<String> = requirement
        .modules
        .iter()
        .map(|m| format!("{}:{}", m.module_id, m.counts_as.as_str()))
        .collect();
    format!(
        "{}|{}|{}|{as_of}",
        requirement.id,
        serde_json::to_string(&requirement.rule).unwrap_or_default(),
        modules.join(",")
    )
}

/// [`load_facts`], or the facts last read for the same requirement and day when nothing they
/// depend on has changed since. The version is read before the facts, so a change committed
/// in between only makes the next call read again.
pub async fn load_facts_cached(
    store: &Store,
    requirement: &Requirement,
    as_of: Date,
) -> Result<Arc<Loaded>> {
    let Some(version) = data_version(store).await? else {
        return Ok(Arc::new(load_facts(store, requirement, as_of).await?));
    };
    let key = cache_key(requirement, as_of);
    let cache = store.coverage_cache();
    if let Some((v, facts)) = cache
        .entries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
    {
        if *v == version {
            return Ok(facts.clone());
        }
    }
    let facts = Arc::new(load_facts(store, requirement, as_of).await?);
    let mut entries = cache.entries.lock().unwrap_or_else(|e| e.into_inner());
    entries.retain(|_, (v, _)| *v == version);
    if entries.len() >= CACHE_ENTRIES {
        entries.clear();
    }
    entries.insert(key, (version, facts.clone()));
    Ok(facts)
}

/// What [`compute`] reads from the database.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub people: Arc<Vec<Person>>,
    pub assignments: Vec<Assignment>,
    pub completions: Vec<CompletionFact>,
    pub bookings: Vec<Booking>,
}

impl Loaded {
    /// The domain's computation over what was read (the facts stay as they are, so the cache
    /// can share them).
    pub fn compute(&self, requirement: &Requirement, as_of: Date, filter: &Filter) -> Report {
        let coverage = coverage::compute(
            &requirement.rule,
            &requirement.counting(),
            coverage::Facts {
                people: &self.people,
                assignments: &self.assignments,
                completions: &self.completions,
                bookings: &self.bookings,
            },
            as_of,
            filter,
        );
        Report {
            people: self.people.clone(),
            coverage,
        }
    }
}

/// The four reads of [`load_facts`]: a name, the query (rows packed into one text named `r`)
/// and its parameters.
struct Read {
    what: &'static str,
    sql: String,
    binds: Vec<String>,
}

/// The ids of the requirement's modules, as SQL integers.
fn module_ids(requirement: &Requirement) -> String {
    requirement
        .modules
        .iter()
        .map(|m| m.module_id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn reads(backend: Backend, requirement: &Requirement, as_of: Date) -> [Read; 4] {
    let as_of_text = as_of.to_string();
    let next_day = as_of
        .next_day()
        .map(|d| d.to_string())
        .unwrap_or_else(|| "9999-12-31".into());

    let mut people_binds = vec![as_of_text.clone()];
    let rule_sql = prefilter(backend, &requirement.rule, &mut people_binds)
        .map(|s| format!(" AND {s}"))
        .unwrap_or_default();
    let people_sql = format!(
        "SELECT {} AS r FROM people p
         WHERE (p.start_date IS NULL OR p.start_date <= $1)
           AND (p.left_on IS NULL OR p.left_on > $1)
           AND (p.active = 1 OR p.left_on IS NOT NULL){rule_sql}",
        packed(
            backend,
            &[
                "CAST(p.id AS TEXT)",
                "p.staff_number",
                "p.name",
                "p.rank",
                "p.department",
                "p.team",
                "p.cohort",
                "p.start_date",
                "p.left_on",
                "CAST(p.active AS TEXT)",
            ]
        )
    );
    // The module ids are the requirement's own integers, written into the query. No module
    // (which a stored requirement never has) reads nothing.
    let ids = module_ids(requirement);
    let ids = if ids.is_empty() { "NULL".into() } else { ids };
    // Each person's earliest completion of each module, made by a session, imported, or
    // otherwise. SQLite sums them up in the order of the `completions_coverage` index, reading
    // it alone; PostgreSQL sends each completion as it is (its hash aggregate of texts costs
    // more than the rows), and `facts_from` keeps the earliest.
    let kinds = [
        "CASE WHEN c.session_id IS NOT NULL THEN c.completed_on END",
        "CASE WHEN c.session_id IS NULL AND c.source = 'imported' THEN c.completed_on END",
        "CASE WHEN c.session_id IS NULL AND c.source <> 'imported' THEN c.completed_on END",
    ];
    let (kinds, group_by) = match backend {
        Backend::Sqlite => (
            kinds.map(|k| format!("MIN({k})")),
            "GROUP BY c.module_id, c.person_id",
        ),
        Backend::Postgres => (kinds.map(str::to_string), ""),
    };
    let completions_sql = format!(
        "SELECT {} AS r FROM completions c
         WHERE c.module_id IN ({ids}) AND c.completed_on <= $1
         {group_by}",
        packed(
            backend,
            &[
                "CAST(c.module_id AS TEXT)",
                "CAST(c.person_id AS TEXT)",
                &kinds[0],
                &kinds[1],
                &kinds[2],
            ]
        )
    );
    // Each person's earliest booking on each module's sessions still to come (or not yet
    // delivered): from those few sessions to their enrolments (`CROSS JOIN` keeps SQLite to
    // that order; PostgreSQL plans it as any join), read from `session_enrolments_coverage`.
    let bookings_sql = format!(
        "SELECT {} AS r FROM training_sessions s CROSS JOIN session_enrolments e
         WHERE e.session_id = s.id AND s.module_id IN ({ids})
           AND e.status = 'enrolled' AND s.status <> 'cancelled'
           AND (s.starts_at >= $1 OR s.status <> 'delivered')
           AND e.created_at < $1
         GROUP BY e.person_id, s.module_id",
        packed(
            backend,
            &[
                "CAST(e.person_id AS TEXT)",
                "CAST(s.module_id AS TEXT)",
                "MIN(s.starts_at || ' ' || CAST(s.id AS TEXT))",
            ]
        )
    );
    let assignments_sql = format!(
        "SELECT {} AS r FROM assignments a JOIN role_profiles r ON r.id = a.profile_id
         WHERE a.started_on <= $1 AND (a.ended_on IS NULL OR a.ended_on > $1)",
        packed(
            backend,
            &[
                "CAST(a.person_id AS TEXT)",
                "r.code",
                "a.started_on",
                "a.ended_on",
            ]
        )
    );
    [
        Read {
            what: "people",
            sql: people_sql,
            binds: people_binds,
        },
        Read {
            what: "completions",
            sql: completions_sql,
            binds: vec![as_of_text.clone()],
        },
        Read {
            what: "bookings",
            sql: bookings_sql,
            binds: vec![next_day],
        },
        Read {
            what: "role assignments",
            sql: assignments_sql,
            binds: vec![as_of_text],
        },
    ]
}

/// The reads of [`compute`], on a native connection: rusqlite on SQLite (the four reads in one
/// read transaction), native connections on PostgreSQL (the four at once). See `native.rs`.
pub async fn load_facts(store: &Store, requirement: &Requirement, as_of: Date) -> Result<Loaded> {
    if let Some(readers) = store.sqlite_readers() {
        return native::load_sqlite(store, readers, requirement, as_of).await;
    }
    if let Some(readers) = store.postgres_readers() {
        return native::load_postgres(readers, requirement, as_of).await;
    }
    load_facts_generic(store, requirement, as_of).await
}

/// The reads of [`compute`] through the generic pool, each query's rows packed by the database
/// into one text: the path before the native reads, kept as their reference (a test compares
/// the two on both databases) and for the benchmark's before-and-after.
pub async fn load_facts_generic(
    store: &Store,
    requirement: &Requirement,
    as_of: Date,
) -> Result<Loaded> {
    let [people, completions, bookings, assignments] = reads(store.backend(), requirement, as_of);
    let (people_rows, completion_rows, booking_rows, assignment_rows) = tokio::try_join!(
        texts(store, people.sql, people.binds),
        texts(store, completions.sql, completions.binds),
        texts(store, bookings.sql, bookings.binds),
        texts(store, assignments.sql, assignments.binds),
    )?;
    facts_from(
        requirement,
        &people_rows,
        &completion_rows,
        &booking_rows,
        &assignment_rows,
    )
}

/// Where the time of [`load_facts`] goes: each native read run alone, one after another, with
/// its rows and milliseconds (the rows become facts as they are read), then the summing up
/// (for the benchmark).
pub async fn load_timings(
    store: &Store,
    requirement: &Requirement,
    as_of: Date,
) -> Result<Vec<(&'static str, usize, f64)>> {
    let reads = native::reads(store.backend(), requirement, as_of);
    if let Some(readers) = store.sqlite_readers() {
        let requirement = requirement.clone();
        return readers
            .read(store.pool(), move |conn| {
                let mut out = Vec::new();
                let mut gather = native::Gather::new(&requirement);
                for read in &reads {
                    let t = std::time::Instant::now();
                    let n = native::sqlite_read(conn, read, &mut gather)?;
                    out.push((read.what.name(), n, t.elapsed().as_secs_f64() * 1000.0));
                }
                let t = std::time::Instant::now();
                gather.finish();
                out.push(("summing up", 0, t.elapsed().as_secs_f64() * 1000.0));
                Ok(out)
            })
            .await;
    }
    let Some(readers) = store.postgres_readers() else {
        return load_timings_generic(store, requirement, as_of).await;
    };
    let pool = &**readers;
    let mut out = Vec::new();
    let mut gather = native::Gather::new(requirement);
    for read in &reads {
        let t = std::time::Instant::now();
        let n = native::postgres_copy(pool, read, &mut gather).await?;
        out.push((read.what.name(), n, t.elapsed().as_secs_f64() * 1000.0));
    }
    let t = std::time::Instant::now();
    gather.finish();
    out.push(("summing up", 0, t.elapsed().as_secs_f64() * 1000.0));
    Ok(out)
}

/// [`load_timings`] for the generic path ([`load_facts_generic`]): each read alone, then the
/// unpacking of all four.
pub async fn load_timings_generic(
    store: &Store,
    requirement: &Requirement,
    as_of: Date,
) -> Result<Vec<(&'static str, usize, f64)>> {
    let mut out = Vec::new();
    let mut texts_read = Vec::new();
    for read in reads(store.backend(), requirement, as_of) {
        let t = std::time::Instant::now();
        let text = texts(store, read.sql, read.binds).await?;
        out.push((
            read.what,
            records(&text).count(),
            t.elapsed().as_secs_f64() * 1000.0,
        ));
        texts_read.push(text);
    }
    let t = std::time::Instant::now();
    facts_from(
        requirement,
        &texts_read[0],
        &texts_read[1],
        &texts_read[2],
        &texts_read[3],
    )?;
    out.push(("unpacking", 0, t.elapsed().as_secs_f64() * 1000.0));
    Ok(out)
}

/// The earlier of two optional texts (dates `YYYY-MM-DD`, or a session's start and id), as
/// the database's `MIN` compares them.
fn earlier<'a>(a: Option<&'a str>, b: Option<&'a str>) -> Option<&'a str> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The facts from the four texts the reads sent. Completions and bookings come per person and
/// module; each person keeps the earliest of each kind, standing for a module of that kind
/// (the domain needs no more).
fn facts_from(
    requirement: &Requirement,
    people_rows: &str,
    completion_rows: &str,
    booking_rows: &str,
    assignment_rows: &str,
) -> Result<Loaded> {
    let mut people = Vec::new();
    for row in records(people_rows) {
        let f = unpack::<10>(row, "person")?;
        people.push(Person {
            id: id_of(f[0])?,
            staff_number: f[1].unwrap_or_default().to_string(),
            name: f[2].unwrap_or_default().to_string(),
            rank: f[3].map(str::to_string),
            department: f[4].map(str::to_string),
            team: f[5].map(str::to_string),
            cohort: f[6].map(str::to_string),
            start_date: f[7].and_then(day),
            left_on: f[8].and_then(day),
            active: f[9] != Some("0"),
        });
    }
    people.sort_by_key(|p| p.id);

    // A module of each kind, to stand for the completions and bookings summed up per person.
    let of_kind = |recording: bool| {
        requirement
            .modules
            .iter()
            .find(|m| (m.counts_as == CountsAs::Recording) == recording)
            .map(|m| m.module_id)
    };
    let (plain_module, recording_module) = (of_kind(false), of_kind(true));
    let recording: HashSet<i64> = requirement
        .modules
        .iter()
        .filter(|m| m.counts_as == CountsAs::Recording)
        .map(|m| m.module_id)
        .collect();
    let known: HashSet<i64> = requirement.modules.iter().map(|m| m.module_id).collect();

    // Per person, in order of first appearance: the earliest plain completion by a session,
    // imported, other; the earliest recording by a session, other.
    let mut earliest: HashMap<i64, [Option<&str>; 5]> = HashMap::new();
    let mut order = Vec::new();
    for row in records(completion_rows) {
        let f = unpack::<5>(row, "completion")?;
        let module_id = id_of(f[0])?;
        let person_id = id_of(f[1])?;
        if !known.contains(&module_id) {
            continue;
        }
        let slots = earliest.entry(person_id).or_insert_with(|| {
            order.push(person_id);
            [None; 5]
        });
        let (session, imported, other) = (f[2], f[3], f[4]);
        if recording.contains(&module_id) {
            slots[3] = earlier(slots[3], session);
            slots[4] = earlier(slots[4], earlier(imported, other));
        } else {
            slots[0] = earlier(slots[0], session);
            slots[1] = earlier(slots[1], imported);
            slots[2] = earlier(slots[2], other);
        }
    }
    let mut completions = Vec::new();
    for person_id in order {
        let f = earliest[&person_id];
        let kinds = [
            (f[0], plain_module, true, false),
            (f[1], plain_module, false, true),
            (f[2], plain_module, false, false),
            (f[3], recording_module, true, false),
            (f[4], recording_module, false, false),
        ];
        for (on, module, session, imported) in kinds {
            if let (Some(on), Some(module_id)) = (on.and_then(day), module) {
                completions.push(CompletionFact {
                    person_id,
                    module_id,
                    completed_on: on,
                    // Only whether a session made it matters to the domain.
                    session_id: session.then_some(0),
                    imported,
                });
            }
        }
    }

    // Per person: the earliest plain booking and the earliest recording booking, each as the
    // session's start and id.
    let mut soonest: HashMap<i64, [Option<&str>; 2]> = HashMap::new();
    let mut order = Vec::new();
    for row in records(booking_rows) {
        let f = unpack::<3>(row, "booking")?;
        let person_id = id_of(f[0])?;
        let module_id = id_of(f[1])?;
        if !known.contains(&module_id) {
            continue;
        }
        let slots = soonest.entry(person_id).or_insert_with(|| {
            order.push(person_id);
            [None; 2]
        });
        let slot = usize::from(recording.contains(&module_id));
        slots[slot] = earlier(slots[slot], f[2]);
    }
    let mut bookings = Vec::new();
    for person_id in order {
        let f = soonest[&person_id];
        for (key, module) in [(f[0], plain_module), (f[1], recording_module)] {
            let (Some(key), Some(module_id)) = (key, module) else {
                continue;
            };
            let (starts_at, session_id) = key.split_once(' ').unwrap_or((key, "0"));
            if let Some(starts_on) = day(starts_at) {
                bookings.push(Booking {
                    person_id,
                    module_id,
                    session_id: session_id.trim().parse().unwrap_or(0),
                    starts_on,
                    // The query kept only sessions still to come or not yet delivered.
                    delivered: false,
                });
            }
        }
    }
    let mut assignments = Vec::new();
    for row in records(assignment_rows) {
        let f = unpack::<4>(row, "role assignment")?;
        if let Some(started_on) = f[2].and_then(day) {
            assignments.push(Assignment {
                person_id: id_of(f[0])?,
                profile_code: f[1].unwrap_or_default().to_string(),
                started_on,
                ended_on: f[3].and_then(day),
            });
        }
    }

    Ok(Loaded {
        people: Arc::new(people),
        assignments,
        completions,
        bookings,
    })
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
    audit_trail::record(
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
