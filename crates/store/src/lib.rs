//! mashboard's storage: one schema on SQLite (embedded default) and PostgreSQL.
//!
//! Everything goes through one `sqlx::AnyPool`, so every query is written once and runs on both
//! databases. The portable subset we keep to: `$1` placeholders, `BIGINT` integers (decoded as
//! `i64`), `TEXT` for dates (`YYYY-MM-DD`) and instants (RFC 3339 UTC, fixed width so text order
//! is time order), `BOOLEAN` flags, `RETURNING id`, and casts on aggregates that PostgreSQL would
//! otherwise return as `NUMERIC`.

pub mod accounts;
pub mod audit_trail;
pub mod audits;
pub mod backup;
mod bulk_load;
pub mod copy;
pub mod delivery;
mod draw_frame;
pub mod evaluation;
pub mod exercises;
mod group_commit;
pub mod impact;
pub mod imports;
pub mod jobs;
pub mod keyset;
pub mod learning;
pub mod list_bench;
pub mod live_events;
pub mod migrate;
mod native_postgres;
mod native_sqlite;
pub mod outcomes;
pub mod partners;
pub mod people;
pub mod queue;
pub mod register;
pub mod reminders;
pub mod reviews;
pub mod session_cache;
pub mod sign_in_sessions;
mod stored_rows;
pub mod testing;
pub mod training;
pub mod training_import;
pub mod waiting;
pub mod wal;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// How long a SQLite connection waits for another writer before it gives up with "database is
/// locked": long enough that no one's work fails because someone else is working.
pub(crate) const BUSY_TIMEOUT_PRAGMA: &str = "PRAGMA busy_timeout = 10000";

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A checked database URL. Made only by [`DbUrl::parse`], so a typo never creates a stray file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUrl {
    backend: Backend,
    url: String,
    /// For SQLite, the file path.
    path: Option<String>,
}

impl DbUrl {
    pub fn parse(raw: &str) -> Result<DbUrl, StoreError> {
        let raw = raw.trim();
        let bad = |why: &str| StoreError::BadUrl(format!("{why} (got \"{}\")", redact_url(raw)));
        if let Some(rest) = raw.strip_prefix("sqlite://") {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(bad(
                    "a SQLite URL needs a file path, e.g. sqlite://mashboard.sqlite",
                ));
            }
            if path == ":memory:" {
                return Err(bad(
                    "an in-memory SQLite database would lose everything on exit; give a file path",
                ));
            }
            return Ok(DbUrl {
                backend: Backend::Sqlite,
                url: format!("sqlite://{path}?mode=rwc"),
                path: Some(path.to_string()),
            });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw)
                .map_err(|e| bad(&format!("not a valid PostgreSQL URL: {e}")))?;
            if parsed.host_str().unwrap_or_default().is_empty() {
                return Err(bad("a PostgreSQL URL needs a host, e.g. postgres://user:password@127.0.0.1/mashboard"));
            }
            return Ok(DbUrl {
                backend: Backend::Postgres,
                url: raw.to_string(),
                path: None,
            });
        }
        Err(bad(
            "the database URL must start with sqlite:// or postgres://",
        ))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn sqlite_path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The full URL, password included: for handing to another process, never for printing.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The URL with any password replaced by `***`, safe to print.
    pub fn redacted(&self) -> String {
        redact_url(&self.url)
    }
}

/// Replaces the password in a URL with `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("bad database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The handle every layer above uses. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// What coverage last read, per requirement and day (SQLite only; see
    /// `delivery::coverage::load_facts_cached`).
    coverage_cache: std::sync::Arc<delivery::coverage::Cache>,
    /// The audit trail's shared writer for stand-alone events (see `group_commit.rs`).
    group_commit: std::sync::Arc<group_commit::GroupCommit>,
    /// The training effect last estimated per module, period and scope (see
    /// `impact::effect`).
    effect_cache: std::sync::Arc<impact::EffectCache>,
    /// The URL, for a native connection of its own (the register import's).
    url: std::sync::Arc<Hidden>,
    /// Sign-in sessions and their accounts, read on every signed-in request (see
    /// `session_cache.rs`).
    session_cache: std::sync::Arc<session_cache::SessionCache>,
    /// The people directory's filter values (see `people::facets`).
    people_facets: std::sync::Arc<people::FacetsCache>,
    /// SQLite: native connections for the hottest reads (see `native_sqlite.rs`).
    sqlite_readers: Option<std::sync::Arc<native_sqlite::Readers>>,
    /// PostgreSQL: native connections for the largest and hottest reads (see `native_postgres.rs`).
    postgres_readers: Option<std::sync::Arc<native_postgres::Readers>>,
}

/// A URL that may hold a password: never printed, not even by `{:?}`.
struct Hidden(DbUrl);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.redacted())
    }
}

impl Store {
    /// Connects (creating a SQLite file if needed) and brings the schema up to date.
    pub async fn open(url: &DbUrl) -> Result<Store> {
        let store = Store::connect(url).await?;
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Connects without migrating (used by `copy-db` to inspect a target).
    pub async fn connect(url: &DbUrl) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(&url.url)?;
        let backend = url.backend;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; foreign keys are off by
                        // default in SQLite; the busy timeout queues writers instead of failing.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute(BUSY_TIMEOUT_PRAGMA).await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            backend,
            coverage_cache: Default::default(),
            group_commit: Default::default(),
            url: std::sync::Arc::new(Hidden(url.clone())),
            effect_cache: Default::default(),
            session_cache: Default::default(),
            people_facets: Default::default(),
            sqlite_readers: (backend == Backend::Sqlite)
                .then(|| std::sync::Arc::new(native_sqlite::Readers::new())),
            postgres_readers: (backend == Backend::Postgres)
                .then(|| std::sync::Arc::new(native_postgres::Readers::new(url.expose()))),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that may write. On SQLite it begins `IMMEDIATE`: it takes the
    /// write lock at once, waiting on the busy timeout for another writer to finish. A deferred
    /// transaction that reads and then writes cannot wait: SQLite refuses its first write at
    /// once with "database is locked" whenever anyone else has written since it read. Every
    /// transaction in the store begins here; `pool().begin()` is not used.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        self.pool.begin_with(begin_statement(self.backend)).await
    }

    /// How many transactions the audit trail's shared writer has committed since the store
    /// opened: fewer than the events it recorded when requests shared commits.
    pub fn audit_commits(&self) -> u64 {
        self.group_commit.commits()
    }

    /// How many session and account reads the in-memory cache has answered since the store
    /// opened (the rest went to the database).
    pub fn session_cache_hits(&self) -> u64 {
        self.session_cache.hits()
    }

    pub(crate) fn session_cache(&self) -> &session_cache::SessionCache {
        &self.session_cache
    }

    pub(crate) fn group_commit(&self) -> &group_commit::GroupCommit {
        &self.group_commit
    }

    /// The database's URL, for a native connection (password included: never print it).
    pub(crate) fn url(&self) -> &DbUrl {
        &self.url.0
    }

    /// SQLite: the native readers for the hottest reads (none on PostgreSQL).
    pub(crate) fn sqlite_readers(&self) -> Option<&std::sync::Arc<native_sqlite::Readers>> {
        self.sqlite_readers.as_ref()
    }

    /// PostgreSQL: the native read pool (none on SQLite).
    pub(crate) fn postgres_readers(&self) -> Option<&std::sync::Arc<native_postgres::Readers>> {
        self.postgres_readers.as_ref()
    }

    pub(crate) fn people_facets(&self) -> &people::FacetsCache {
        &self.people_facets
    }

    pub(crate) fn coverage_cache(&self) -> &delivery::coverage::Cache {
        &self.coverage_cache
    }

    pub(crate) fn effect_cache(&self) -> &impact::EffectCache {
        &self.effect_cache
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL URL this store connected with (none on SQLite).
    pub(crate) fn postgres_url(&self) -> Option<&str> {
        (self.backend == Backend::Postgres).then(|| self.url.0.url.as_str())
    }

    /// After many rows were written at once (a demo seeded, a bulk load), gives PostgreSQL's
    /// planner its statistics now rather than when autovacuum next looks (up to a minute or
    /// more): without them, a fresh database's people list was planned as a join of every
    /// person, five times slower. SQLite plans well without statistics: nothing to do there.
    pub async fn refresh_statistics(&self) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("ANALYZE").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the pool. On SQLite it first copies what the write-ahead log holds into the
    /// database file (a passive checkpoint: it never waits for another process), so that the
    /// file alone, copied after a command ends, holds everything the command wrote.
    pub async fn close(&self) {
        if self.backend() == Backend::Sqlite && !self.pool.is_closed() {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await
            {
                tracing::debug!(error = %e, "no checkpoint before closing");
            }
        }
        if let Some(readers) = &self.sqlite_readers {
            readers.close();
        }
        if let Some(readers) = &self.postgres_readers {
            readers.close().await;
        }
        self.pool.close().await;
    }
}

/// The statement that opens a transaction that may write (see [`Store::begin`]).
pub(crate) fn begin_statement(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    }
}

/// Now, as stored: RFC 3339 UTC with microseconds, fixed width.
/// A user's search text as a `LIKE` pattern that matches it anywhere and literally: `%`, `_`
/// and the backslash are escaped, so a search for "%" finds a percent sign, not everyone. Use it
/// with `LIKE $n ESCAPE '\'` (SQLite has no default escape character).
pub fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub fn now_text() -> String {
    instant_text(OffsetDateTime::now_utc())
}

pub fn instant_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(&fmt).expect("UTC instants always format")
}

pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// True when the error is a unique-constraint violation on either database.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.message().contains("UNIQUE constraint failed")
                || db.code().as_deref() == Some("23505")
        }
        _ => false,
    }
}

/// A 0/1 flag column read as a `bool` (`#[sqlx(try_from = "crate::Flag")]`).
pub(crate) struct Flag(bool);

impl sqlx::Type<sqlx::Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Flag(
            <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value)? != 0,
        ))
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_schemes_and_empty_paths_are_refused() {
        assert!(DbUrl::parse("mysql://x").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
        assert!(DbUrl::parse("mashboard.sqlite").is_err());
        assert!(DbUrl::parse("postgres://").is_err());
        assert_eq!(
            DbUrl::parse("sqlite://data/m.sqlite")
                .unwrap()
                .sqlite_path(),
            Some("data/m.sqlite")
        );
        assert_eq!(
            DbUrl::parse("postgresql://u:p@localhost/db")
                .unwrap()
                .backend(),
            Backend::Postgres
        );
    }

    #[test]
    fn passwords_never_appear_in_printed_urls() {
        let u = DbUrl::parse("postgres://app:s3cret@db.example/mash").unwrap();
        assert!(!u.redacted().contains("s3cret"));
        assert!(u.redacted().contains("***"));
    }

    #[test]
    fn instants_sort_as_text() {
        let a = instant_text(time::macros::datetime!(2024-01-02 03:04:05 UTC));
        let b = instant_text(time::macros::datetime!(2024-01-02 03:04:05.5 UTC));
        assert_eq!(a, "2024-01-02T03:04:05.000000Z");
        assert!(a < b);
        assert_eq!(parse_instant(&a).unwrap().unix_timestamp(), 1704164645);
    }
}

#[cfg(test)]
mod like_tests {
    use super::like_pattern;

    #[test]
    fn wildcards_in_a_search_are_literal() {
        assert_eq!(like_pattern("ab"), "%ab%");
        assert_eq!(like_pattern("5%"), "%5\\%%");
        assert_eq!(like_pattern("a_b\\c"), "%a\\_b\\\\c%");
    }
}
