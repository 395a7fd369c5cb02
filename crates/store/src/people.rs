//! The people directory: queries, edits with history, and the all-or-nothing import.

use crate::audit_trail::{self, Actor, Event};
use crate::keyset::{self, Count, PageStart};
use crate::{is_unique_violation, now_text, Result, Store, StoreError};
use mashboard_domain::access::PeopleScope;
use mashboard_domain::imports::RowError;
use mashboard_domain::people::{FieldError, PersonInput, StaffNumber};
use mashboard_domain::Role;
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

/// A person as stored, with their line manager and mentor resolved to staff numbers and names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub staff_number: String,
    pub name: String,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub roles: String,
    pub start_date: Option<String>,
    pub cohort: Option<String>,
    pub line_manager_id: Option<i64>,
    pub mentor_id: Option<i64>,
    pub line_manager_staff_number: Option<String>,
    pub line_manager_name: Option<String>,
    pub mentor_staff_number: Option<String>,
    pub mentor_name: Option<String>,
    /// Where reminder digests go, if known.
    pub email: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    pub left_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Person {
    pub fn role_list(&self) -> Vec<Role> {
        self.roles
            .split(';')
            .filter_map(|r| r.parse().ok())
            .collect()
    }

    /// The record as the user typed it, for comparison and for pre-filling forms.
    pub fn as_input(&self) -> Option<PersonInput> {
        mashboard_domain::people::PersonDraft {
            staff_number: self.staff_number.clone(),
            name: self.name.clone(),
            rank: self.rank.clone().unwrap_or_default(),
            department: self.department.clone().unwrap_or_default(),
            team: self.team.clone().unwrap_or_default(),
            roles: self.roles.trim_matches(';').to_string(),
            start_date: self.start_date.clone().unwrap_or_default(),
            cohort: self.cohort.clone().unwrap_or_default(),
            line_manager_staff_number: self.line_manager_staff_number.clone().unwrap_or_default(),
            mentor_staff_number: self.mentor_staff_number.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
        }
        .validate()
        .ok()
    }
}

/// What the audit trail keeps of a person (before/after of a change).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PersonSnapshot {
    pub staff_number: String,
    pub name: String,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub roles: Vec<Role>,
    pub start_date: Option<String>,
    pub cohort: Option<String>,
    pub line_manager_staff_number: Option<String>,
    pub mentor_staff_number: Option<String>,
    pub email: Option<String>,
    pub active: bool,
}

impl PersonSnapshot {
    fn of_input(p: &PersonInput, active: bool) -> PersonSnapshot {
        PersonSnapshot {
            staff_number: p.staff_number.to_string(),
            name: p.name.clone(),
            rank: p.rank.clone(),
            department: p.department.clone(),
            team: p.team.clone(),
            roles: p.roles.clone(),
            start_date: p.start_date.map(|d| d.to_string()),
            cohort: p.cohort.clone(),
            line_manager_staff_number: p.line_manager.as_ref().map(|s| s.to_string()),
            mentor_staff_number: p.mentor.as_ref().map(|s| s.to_string()),
            email: p.email.clone(),
            active,
        }
    }
    pub fn of(p: &Person) -> PersonSnapshot {
        PersonSnapshot {
            staff_number: p.staff_number.clone(),
            name: p.name.clone(),
            rank: p.rank.clone(),
            department: p.department.clone(),
            team: p.team.clone(),
            roles: p.role_list(),
            start_date: p.start_date.clone(),
            cohort: p.cohort.clone(),
            line_manager_staff_number: p.line_manager_staff_number.clone(),
            mentor_staff_number: p.mentor_staff_number.clone(),
            email: p.email.clone(),
            active: p.active,
        }
    }
}

const SELECT_PERSON: &str =
    "SELECT p.id, p.staff_number, p.name, p.rank, p.department, p.team, p.roles,
        p.start_date, p.cohort, p.line_manager_id, p.mentor_id,
        lm.staff_number AS line_manager_staff_number, lm.name AS line_manager_name,
        me.staff_number AS mentor_staff_number, me.name AS mentor_name, p.email,
        p.active, p.left_on, p.created_at, p.updated_at
    FROM people p
    LEFT JOIN people lm ON lm.id = p.line_manager_id
    LEFT JOIN people me ON me.id = p.mentor_id";

fn roles_text(roles: &[Role]) -> String {
    if roles.is_empty() {
        String::new()
    } else {
        format!(
            ";{};",
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(";")
        )
    }
}

/// Whether a person is listed, has left, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Active,
    Left,
    All,
}

/// A directory search. Empty strings do not filter.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PeopleQuery {
    #[serde(default)]
    pub search: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub rank: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub cohort: String,
    #[serde(default)]
    pub status: Status,
}

struct Where {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

enum Bind {
    Text(String),
    Int(i64),
}

impl Where {
    fn push(&mut self, sql: &str, b: Bind) {
        self.binds.push(b);
        self.clauses
            .push(sql.replace('?', &format!("${}", self.binds.len())));
    }
    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

fn build_where(q: &PeopleQuery, scope: PeopleScope) -> Where {
    let mut w = Where {
        clauses: Vec::new(),
        binds: Vec::new(),
    };
    match scope {
        PeopleScope::All => {}
        PeopleScope::Nobody => w.clauses.push("1 = 0".into()),
        PeopleScope::TheirPeople { person_id } => {
            w.binds.push(Bind::Int(person_id));
            let n = w.binds.len();
            w.clauses.push(format!(
                "(p.id = ${n} OR p.line_manager_id = ${n} OR p.mentor_id = ${n})"
            ));
        }
    }
    let search = q.search.trim();
    if !search.is_empty() {
        let like = crate::like_pattern(&search.to_lowercase());
        w.binds.push(Bind::Text(like));
        let n = w.binds.len();
        w.clauses.push(format!(
            "(LOWER(p.name) LIKE ${n} ESCAPE '\\' OR LOWER(p.staff_number) LIKE ${n} ESCAPE '\\')"
        ));
    }
    for (col, v) in [
        ("p.department", &q.department),
        ("p.team", &q.team),
        ("p.rank", &q.rank),
        ("p.cohort", &q.cohort),
    ] {
        if !v.trim().is_empty() {
            w.push(&format!("{col} = ?"), Bind::Text(v.trim().to_string()));
        }
    }
    if let Ok(role) = q.role.parse::<Role>() {
        w.push(
            "p.roles LIKE ?",
            Bind::Text(format!("%;{};%", role.as_str())),
        );
    }
    match q.status {
        Status::Active => w.clauses.push("p.active = 1".into()),
        Status::Left => w.clauses.push("p.active = 0".into()),
        Status::All => {}
    }
    w
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// One page of the directory, by name. Returns the total matching too.
pub async fn search(
    store: &Store,
    q: &PeopleQuery,
    scope: PeopleScope,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<Person>)> {
    let w = build_where(q, scope);
    let count_sql = format!("SELECT COUNT(*) FROM people p {}", w.sql());
    let total: i64 = bind_all!(sqlx::query_scalar::<_, i64>(&count_sql), &w.binds)
        .fetch_one(store.pool())
        .await?;
    let n = w.binds.len();
    let sql = format!(
        "{SELECT_PERSON} {} ORDER BY p.name, p.staff_number LIMIT ${} OFFSET ${}",
        w.sql(),
        n + 1,
        n + 2
    );
    let rows = bind_all!(sqlx::query_as::<_, Person>(&sql), &w.binds)
        .bind(limit)
        .bind(offset)
        .fetch_all(store.pool())
        .await?;
    Ok((total, rows))
}

/// The directory's order, by name then staff number (unique), for keyset pages.
const DIRECTORY: keyset::List<'static> = keyset::List {
    select: SELECT_PERSON,
    from: "people p",
    sort: "p.name",
    tie: "p.staff_number",
    tie_is_int: false,
    descending: false,
    key_of: "SELECT name, staff_number FROM people WHERE staff_number = $1",
};

/// One row of the people list: the columns it shows and no more (no line manager or mentor
/// joined, no dates or roles), so the list's hottest read sends and decodes 6 values a row, not
/// a whole [`Person`]'s 20.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ListedPerson {
    pub staff_number: String,
    pub name: String,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
}

impl From<&Person> for ListedPerson {
    fn from(p: &Person) -> ListedPerson {
        ListedPerson {
            staff_number: p.staff_number.clone(),
            name: p.name.clone(),
            rank: p.rank.clone(),
            department: p.department.clone(),
            team: p.team.clone(),
            active: p.active,
        }
    }
}

/// The people list's columns (see [`ListedPerson`]), in its order.
const SELECT_LISTED: &str =
    "SELECT p.staff_number, p.name, p.rank, p.department, p.team, p.active FROM people p";

/// The directory's order as the people list reads it: [`DIRECTORY`] with the list's columns.
const LISTED: keyset::List<'static> = keyset::List {
    select: SELECT_LISTED,
    ..DIRECTORY
};

/// How far the directory counts the people matching a search before it says "more than".
pub const COUNT_CAP: i64 = 50_000;

fn keyset_filter(q: &PeopleQuery, scope: PeopleScope) -> keyset::Filter {
    let w = build_where(q, scope);
    keyset::Filter {
        clauses: w.clauses,
        binds: w
            .binds
            .into_iter()
            .map(|b| match b {
                Bind::Text(s) => keyset::Value::Text(s),
                Bind::Int(i) => keyset::Value::Int(i),
            })
            .collect(),
    }
}

/// One page of the directory by name, starting at `start` (a staff number already shown).
pub async fn page(
    store: &Store,
    q: &PeopleQuery,
    scope: PeopleScope,
    start: &PageStart,
    limit: i64,
) -> Result<keyset::Page<Person>> {
    if store.sqlite_readers().is_some() || store.postgres_readers().is_some() {
        let rows = Rows {
            list: &DIRECTORY,
            sqlite: person_from_sqlite,
            postgres: person_from_postgres,
            key: key_of_person,
        };
        return Ok(read_native(store, q, scope, start, limit, false, rows)
            .await?
            .0);
    }
    keyset::page(
        store,
        &DIRECTORY,
        &keyset_filter(q, scope),
        start,
        limit,
        key_of_person,
    )
    .await
}

fn key_of_person(p: &Person) -> [keyset::Value; 2] {
    [
        keyset::Value::Text(p.name.clone()),
        keyset::Value::Text(p.staff_number.clone()),
    ]
}

fn key_of_listed(p: &ListedPerson) -> [keyset::Value; 2] {
    [
        keyset::Value::Text(p.name.clone()),
        keyset::Value::Text(p.staff_number.clone()),
    ]
}

/// One page of the directory (as [`page`], the list's columns only: [`ListedPerson`]) and how
/// many people match (as [`count_matching`]), what the people list shows: the list's hottest
/// path, so both are read at one moment on a native connection (rusqlite on SQLite, see
/// `native_sqlite.rs`; a native connection on PostgreSQL, see `native_postgres.rs`) rather
/// than through the generic pool; the first page and its count in one statement.
pub async fn page_and_count(
    store: &Store,
    q: &PeopleQuery,
    scope: PeopleScope,
    start: &PageStart,
    limit: i64,
) -> Result<(keyset::Page<ListedPerson>, Count)> {
    let rows = Rows {
        list: &LISTED,
        sqlite: listed_from_sqlite,
        postgres: listed_from_postgres,
        key: key_of_listed,
    };
    let (shown, count) = read_native(store, q, scope, start, limit, true, rows).await?;
    Ok((shown, count.unwrap_or_default()))
}

/// [`page_and_count`] through the generic pool: the path before the native reads, kept as
/// their reference (a storage test compares the two on both databases).
pub async fn page_and_count_generic(
    store: &Store,
    q: &PeopleQuery,
    scope: PeopleScope,
    start: &PageStart,
    limit: i64,
) -> Result<(keyset::Page<ListedPerson>, Count)> {
    let shown = keyset::page(
        store,
        &LISTED,
        &keyset_filter(q, scope),
        start,
        limit,
        key_of_listed,
    )
    .await?;
    Ok((shown, count_matching(store, q, scope).await?))
}

/// What a native read reads: the list (its columns), a row of it on each database, a row's key.
struct Rows<T> {
    list: &'static keyset::List<'static>,
    sqlite: fn(&rusqlite::Row<'_>) -> Result<T>,
    postgres: fn(&sqlx::postgres::PgRow) -> Result<T>,
    key: fn(&T) -> [keyset::Value; 2],
}

// By hand: a derive would ask `T: Copy` of the rows' type, which is never copied.
impl<T> Clone for Rows<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Rows<T> {}

/// A page, and the count when asked, on a native connection. On PostgreSQL the first page and
/// its count are one statement (one snapshot, no transaction); a page from a row already shown
/// takes a few, in one read transaction.
async fn read_native<T: Send + 'static>(
    store: &Store,
    q: &PeopleQuery,
    scope: PeopleScope,
    start: &PageStart,
    limit: i64,
    with_count: bool,
    rows: Rows<T>,
) -> Result<(keyset::Page<T>, Option<Count>)> {
    let filter = keyset_filter(q, scope);
    let cap = with_count.then_some(COUNT_CAP);
    if let Some(readers) = store.postgres_readers() {
        let filter = &filter;
        return readers
            .read(|pool| async move {
                let mut conn = pool.acquire().await?;
                macro_rules! read {
                    ($conn:expr) => {
                        keyset::read_page(
                            $conn,
                            rows.list,
                            filter,
                            start,
                            limit,
                            cap,
                            rows.postgres,
                            rows.key,
                        )
                        .await
                    };
                }
                if *start == PageStart::First {
                    let found = read!(&mut *conn)?;
                    conn.release();
                    return Ok(found);
                }
                let mut tx =
                    sqlx::Connection::begin_with(&mut *conn, crate::native_postgres::BEGIN_READ)
                        .await?;
                let found = read!(&mut *tx)?;
                tx.commit().await?;
                // Only after a read that succeeded: otherwise the connection is closed.
                conn.release();
                Ok(found)
            })
            .await;
    }
    let Some(readers) = store.sqlite_readers() else {
        return Err(StoreError::Invalid(
            "no native reads on this database".into(),
        ));
    };
    let start = start.clone();
    readers
        .read(store.pool(), move |conn| {
            keyset::at_once(keyset::read_page(
                &mut keyset::Sqlite(conn),
                rows.list,
                &filter,
                &start,
                limit,
                cap,
                rows.sqlite,
                rows.key,
            ))
        })
        .await
}

/// A [`Person`] from a row of [`SELECT_PERSON`] read natively (the columns in its order), by
/// the driver's getter: rusqlite's `get` or sqlx's `try_get`.
macro_rules! person_from_row {
    ($r:expr, $get:ident) => {
        Person {
            id: $r.$get(0)?,
            staff_number: $r.$get(1)?,
            name: $r.$get(2)?,
            rank: $r.$get(3)?,
            department: $r.$get(4)?,
            team: $r.$get(5)?,
            roles: $r.$get(6)?,
            start_date: $r.$get(7)?,
            cohort: $r.$get(8)?,
            line_manager_id: $r.$get(9)?,
            mentor_id: $r.$get(10)?,
            line_manager_staff_number: $r.$get(11)?,
            line_manager_name: $r.$get(12)?,
            mentor_staff_number: $r.$get(13)?,
            mentor_name: $r.$get(14)?,
            email: $r.$get(15)?,
            active: {
                let active: i64 = $r.$get(16)?;
                active != 0
            },
            left_on: $r.$get(17)?,
            created_at: $r.$get(18)?,
            updated_at: $r.$get(19)?,
        }
    };
}

/// A row of [`SELECT_PERSON`] read natively on SQLite.
fn person_from_sqlite(r: &rusqlite::Row<'_>) -> Result<Person> {
    Ok(person_from_row!(r, get))
}

/// A row of [`SELECT_PERSON`] read natively on PostgreSQL.
fn person_from_postgres(r: &sqlx::postgres::PgRow) -> Result<Person> {
    use sqlx::Row;
    Ok(person_from_row!(r, try_get))
}

/// A [`ListedPerson`] from a row of [`SELECT_LISTED`] read natively, as [`person_from_row`].
macro_rules! listed_from_row {
    ($r:expr, $get:ident) => {
        ListedPerson {
            staff_number: $r.$get(0)?,
            name: $r.$get(1)?,
            rank: $r.$get(2)?,
            department: $r.$get(3)?,
            team: $r.$get(4)?,
            active: {
                let active: i64 = $r.$get(5)?;
                active != 0
            },
        }
    };
}

/// A row of [`SELECT_LISTED`] read natively on SQLite.
fn listed_from_sqlite(r: &rusqlite::Row<'_>) -> Result<ListedPerson> {
    Ok(listed_from_row!(r, get))
}

/// A row of [`SELECT_LISTED`] read natively on PostgreSQL.
fn listed_from_postgres(r: &sqlx::postgres::PgRow) -> Result<ListedPerson> {
    use sqlx::Row;
    Ok(listed_from_row!(r, try_get))
}

/// How many people match, however many (the API's `total`).
pub async fn count_all(store: &Store, q: &PeopleQuery, scope: PeopleScope) -> Result<i64> {
    let w = build_where(q, scope);
    let sql = format!("SELECT COUNT(*) FROM people p {}", w.sql());
    Ok(bind_all!(sqlx::query_scalar::<_, i64>(&sql), &w.binds)
        .fetch_one(store.pool())
        .await?)
}

/// How many people match, up to [`COUNT_CAP`].
pub async fn count_matching(store: &Store, q: &PeopleQuery, scope: PeopleScope) -> Result<Count> {
    keyset::count(store, &DIRECTORY, &keyset_filter(q, scope), COUNT_CAP).await
}

pub async fn get(store: &Store, staff_number: &str) -> Result<Option<Person>> {
    let sql = format!("{SELECT_PERSON} WHERE p.staff_number = $1");
    Ok(sqlx::query_as::<_, Person>(&sql)
        .bind(staff_number.trim().to_ascii_uppercase())
        .fetch_optional(store.pool())
        .await?)
}

pub async fn get_by_id(store: &Store, id: i64) -> Result<Option<Person>> {
    let sql = format!("{SELECT_PERSON} WHERE p.id = $1");
    Ok(sqlx::query_as::<_, Person>(&sql)
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// True when a person is inside a user's directory scope.
pub fn in_scope(person: &Person, scope: PeopleScope) -> bool {
    match scope {
        PeopleScope::All => true,
        PeopleScope::Nobody => false,
        PeopleScope::TheirPeople { person_id } => {
            person.id == person_id
                || person.line_manager_id == Some(person_id)
                || person.mentor_id == Some(person_id)
        }
    }
}

/// The values the directory's filters offer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub departments: Vec<String>,
    pub teams: Vec<String>,
    pub ranks: Vec<String>,
    pub cohorts: Vec<String>,
}

/// How long the filters' values are kept: changes made through this store show at once (they
/// end the kept values), changes made by another process (the CLI's people import on the same
/// SQLite file, another instance on PostgreSQL) within this time.
pub const FACETS_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The filters' values last read, shared by a store's clones: every list page and the
/// compliance matrix show them, and the directory changes far less often than it is read.
#[derive(Debug, Default)]
pub(crate) struct FacetsCache {
    kept: std::sync::Mutex<Option<(std::time::Instant, Facets)>>,
    /// Bumped by every change to the directory made through this store.
    generation: std::sync::atomic::AtomicU64,
}

impl FacetsCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(std::time::Instant, Facets)>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends the kept values (after a change to the directory has committed).
    pub(crate) fn forget(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        *self.lock() = None;
    }
}

/// Each column's values by stepping through its index (see migration 19), not by reading every
/// person; kept for up to [`FACETS_TTL`] (see [`FacetsCache`]).
pub async fn facets(store: &Store) -> Result<Facets> {
    use std::sync::atomic::Ordering;
    let cache = store.people_facets();
    if let Some((at, f)) = cache.lock().as_ref() {
        if at.elapsed() < FACETS_TTL {
            return Ok(f.clone());
        }
    }
    let generation = cache.generation.load(Ordering::Acquire);
    let distinct = |col| keyset::distinct_values(store, "people", col);
    let read = Facets {
        departments: distinct("department").await?,
        teams: distinct("team").await?,
        ranks: distinct("rank").await?,
        cohorts: distinct("cohort").await?,
    };
    let mut kept = cache.lock();
    // Kept only if no change committed while it was read, so a save racing the read cannot
    // leave the old values behind.
    if cache.generation.load(Ordering::Acquire) == generation {
        *kept = Some((std::time::Instant::now(), read.clone()));
    }
    Ok(read)
}

/// Why a save was refused, field by field.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("the record has problems")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SaveError {
    fn from(e: sqlx::Error) -> Self {
        SaveError::Store(StoreError::Db(e))
    }
}

async fn id_of(conn: &mut AnyConnection, sn: &StaffNumber) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT id FROM people WHERE staff_number = $1")
            .bind(sn.as_str())
            .fetch_optional(conn)
            .await?,
    )
}

async fn resolve_links(
    conn: &mut AnyConnection,
    p: &PersonInput,
) -> std::result::Result<(Option<i64>, Option<i64>), SaveError> {
    let mut errors = Vec::new();
    let mut resolve =
        async |sn: &Option<StaffNumber>, field: &'static str, who: &str| -> Result<Option<i64>> {
            let Some(sn) = sn else { return Ok(None) };
            let id = id_of(conn, sn).await?;
            if id.is_none() {
                errors.push(FieldError {
                    field,
                    message: format!("No one in the directory has staff number {sn} (the {who})"),
                });
            }
            Ok(id)
        };
    let lm = resolve(&p.line_manager, "line_manager_staff_number", "line manager").await?;
    let me = resolve(&p.mentor, "mentor_staff_number", "mentor").await?;
    if errors.is_empty() {
        Ok((lm, me))
    } else {
        Err(SaveError::Invalid(errors))
    }
}

/// Adds a person. Refuses a staff number already in use and links to people who do not exist.
pub async fn create(
    store: &Store,
    actor: &Actor,
    p: &PersonInput,
) -> std::result::Result<Person, SaveError> {
    let mut tx = store.begin().await?;
    let (lm, me) = resolve_links(&mut tx, p).await?;
    let now = now_text();
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO people (staff_number, name, rank, department, team, roles, start_date, cohort,
            line_manager_id, mentor_id, email, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $12) RETURNING id",
    )
    .bind(p.staff_number.as_str())
    .bind(&p.name)
    .bind(&p.rank)
    .bind(&p.department)
    .bind(&p.team)
    .bind(roles_text(&p.roles))
    .bind(p.start_date.map(|d| d.to_string()))
    .bind(&p.cohort)
    .bind(lm)
    .bind(me)
    .bind(&p.email)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(SaveError::Invalid(vec![FieldError {
                field: "staff_number",
                message: format!(
                    "Someone in the directory already has staff number {}",
                    p.staff_number
                ),
            }]))
        }
        other => other?,
    };
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("person.create", format!("Added {}", p.staff_number))
            .on("person", p.staff_number.as_str())
            .after(&PersonSnapshot::of_input(p, true)),
    )
    .await?;
    tx.commit().await?;
    store.people_facets().forget();
    Ok(get(store, p.staff_number.as_str())
        .await?
        .ok_or_else(|| StoreError::NotFound("person vanished after insert".into()))?)
}

/// Changes a person's record (and whether they are still with the force).
/// The staff number itself never changes: it is the key imports match on.
pub async fn update(
    store: &Store,
    actor: &Actor,
    staff_number: &str,
    p: &PersonInput,
    active: bool,
) -> std::result::Result<Person, SaveError> {
    let Some(before) = get(store, staff_number).await? else {
        return Err(StoreError::NotFound(format!("No one has staff number {staff_number}")).into());
    };
    let mut tx = store.begin().await?;
    let (lm, me) = resolve_links(&mut tx, p).await?;
    if lm == Some(before.id) || me == Some(before.id) {
        return Err(SaveError::Invalid(vec![FieldError {
            field: "line_manager_staff_number",
            message: "A person cannot be their own line manager or mentor".into(),
        }]));
    }
    let after = PersonSnapshot::of_input(p, active);
    let before_snap = PersonSnapshot::of(&before);
    if after == before_snap {
        return Ok(before);
    }
    let left_on = if active {
        None
    } else {
        before
            .left_on
            .clone()
            .or_else(|| Some(now_text()[..10].to_string()))
    };
    write_person(&mut tx, before.id, p, lm, me, active, left_on).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("person.update", format!("Changed {}", before.staff_number))
            .on("person", before.staff_number.as_str())
            .before(&before_snap)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    store.people_facets().forget();
    Ok(get_by_id(store, before.id)
        .await?
        .ok_or_else(|| StoreError::NotFound("person vanished after update".into()))?)
}

async fn write_person(
    conn: &mut AnyConnection,
    id: i64,
    p: &PersonInput,
    lm: Option<i64>,
    me: Option<i64>,
    active: bool,
    left_on: Option<String>,
) -> Result<()> {
    sqlx::query(
        "UPDATE people SET name = $1, rank = $2, department = $3, team = $4, roles = $5, start_date = $6,
            cohort = $7, line_manager_id = $8, mentor_id = $9, active = $10, left_on = $11, updated_at = $12,
            email = $13
         WHERE id = $14",
    )
    .bind(&p.name)
    .bind(&p.rank)
    .bind(&p.department)
    .bind(&p.team)
    .bind(roles_text(&p.roles))
    .bind(p.start_date.map(|d| d.to_string()))
    .bind(&p.cohort)
    .bind(lm)
    .bind(me)
    .bind(i64::from(active))
    .bind(left_on)
    .bind(now_text())
    .bind(&p.email)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What an import did, or would do on a dry run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
}

/// Upserts people by staff number, all or nothing. Line managers and mentors may be anywhere in
/// the file or already in the directory. With `dry_run`, nothing is written. Rows that cannot be
/// saved come back as row errors and nothing is written. Every field is taken from the rows,
/// e-mail addresses included (see [`import_file`] for a file without an `email` column).
pub async fn import(
    store: &Store,
    actor: &Actor,
    rows: &[(usize, PersonInput)],
    dry_run: bool,
    source: &str,
) -> std::result::Result<ImportReport, ImportError> {
    import_rows(store, actor, rows, false, dry_run, source).await
}

/// Imports a parsed people file. A file without an `email` column leaves the addresses already
/// in the directory as they are (an HR export rarely carries them, and re-importing it must not
/// wipe the ones typed in by hand); with the column, a blank cell clears an address.
pub async fn import_file(
    store: &Store,
    actor: &Actor,
    file: &mashboard_domain::imports::PeopleFile,
    dry_run: bool,
    source: &str,
) -> std::result::Result<ImportReport, ImportError> {
    import_rows(
        store,
        actor,
        &file.people,
        !file.has_email_column,
        dry_run,
        source,
    )
    .await
}

async fn import_rows(
    store: &Store,
    actor: &Actor,
    rows: &[(usize, PersonInput)],
    keep_emails: bool,
    dry_run: bool,
    source: &str,
) -> std::result::Result<ImportReport, ImportError> {
    // Everyone already in the directory, by staff number.
    let existing: HashMap<String, Person> = {
        let sql = format!("{SELECT_PERSON} ORDER BY p.id");
        sqlx::query_as::<_, Person>(&sql)
            .fetch_all(store.pool())
            .await
            .map_err(StoreError::from)?
            .into_iter()
            .map(|p| (p.staff_number.clone(), p))
            .collect()
    };
    let in_file: HashMap<&str, usize> = rows
        .iter()
        .map(|(row, p)| (p.staff_number.as_str(), *row))
        .collect();
    let mut errors = Vec::new();
    for (row, p) in rows {
        for (link, column, who) in [
            (&p.line_manager, "line_manager_staff_number", "line manager"),
            (&p.mentor, "mentor_staff_number", "mentor"),
        ] {
            if let Some(sn) = link {
                if !in_file.contains_key(sn.as_str()) && !existing.contains_key(sn.as_str()) {
                    errors.push(RowError {
                        row: *row,
                        column: Some(column.to_string()),
                        reason: format!(
                            "No one in this file or the directory has staff number {sn} (the {who})"
                        ),
                    });
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(ImportError::Rows(errors));
    }
    let kept: Vec<(usize, PersonInput)>;
    let rows = if keep_emails {
        kept = rows
            .iter()
            .map(|(row, p)| {
                let mut p = p.clone();
                p.email = existing
                    .get(p.staff_number.as_str())
                    .and_then(|old| old.email.clone());
                (*row, p)
            })
            .collect();
        &kept[..]
    } else {
        rows
    };
    let mut report = ImportReport::default();
    let mut changes = Vec::new();
    for (_, p) in rows {
        match existing.get(p.staff_number.as_str()) {
            None => {
                report.created.push(p.staff_number.to_string());
                changes.push((p, None));
            }
            Some(old) => {
                // An import re-activates someone marked as left only if they are in the file.
                if PersonSnapshot::of(old) == PersonSnapshot::of_input(p, true) {
                    report.unchanged += 1;
                } else {
                    report.updated.push(p.staff_number.to_string());
                    changes.push((p, Some(old)));
                }
            }
        }
    }
    if dry_run || changes.is_empty() {
        return Ok(report);
    }
    let mut tx = store.begin().await.map_err(StoreError::from)?;
    let now = now_text();
    let mut ids: HashMap<String, i64> = existing.iter().map(|(k, p)| (k.clone(), p.id)).collect();
    // First pass: create the new people without links, so links can point anywhere in the file.
    for (p, old) in &changes {
        if old.is_none() {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO people (staff_number, name, roles, active, created_at, updated_at)
                 VALUES ($1, $2, '', 1, $3, $3) RETURNING id",
            )
            .bind(p.staff_number.as_str())
            .bind(&p.name)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            ids.insert(p.staff_number.to_string(), id);
        }
    }
    // Second pass: write every field and link.
    for (p, old) in &changes {
        let id = ids[p.staff_number.as_str()];
        let lm = p.line_manager.as_ref().map(|s| ids[s.as_str()]);
        let me = p.mentor.as_ref().map(|s| ids[s.as_str()]);
        write_person(&mut tx, id, p, lm, me, true, None).await?;
        let event = match old {
            None => Event::new(
                "person.create",
                format!("Added {} by import", p.staff_number),
            ),
            Some(old) => Event::new(
                "person.update",
                format!("Changed {} by import", p.staff_number),
            )
            .before(&PersonSnapshot::of(old)),
        };
        audit_trail::record_on(
            &mut tx,
            actor,
            event
                .on("person", p.staff_number.as_str())
                .after(&PersonSnapshot::of_input(p, true)),
        )
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "people.import",
            format!(
                "Imported people from {source}: {} added, {} changed, {} unchanged",
                report.created.len(),
                report.updated.len(),
                report.unchanged
            ),
        ),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    store.people_facets().forget();
    if report.created.len() >= ANALYZE_AFTER_CREATED && store.backend() == crate::Backend::Postgres
    {
        // A first HR file into an empty directory leaves PostgreSQL without statistics on
        // `people` until autovacuum looks (a minute or more): the people list was then planned
        // as a join of every person, several times slower. The import has committed; a failure
        // here costs only speed.
        if let Err(e) = sqlx::query("ANALYZE people").execute(store.pool()).await {
            tracing::warn!(error = %e, "could not refresh the planner's statistics on people");
        }
    }
    Ok(report)
}

/// How many people one import must add before PostgreSQL's statistics on them are refreshed.
const ANALYZE_AFTER_CREATED: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("some rows cannot be imported")]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Number of people in the directory (all statuses).
pub async fn count(store: &Store) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM people")
        .fetch_one(store.pool())
        .await?)
}

/// Every person row, by id (used by copy-db).
pub async fn all(store: &Store) -> Result<Vec<Person>> {
    let sql = format!("{SELECT_PERSON} ORDER BY p.id");
    Ok(sqlx::query_as::<_, Person>(&sql)
        .fetch_all(store.pool())
        .await?)
}
