//! The audit trail: append-only record of sign-ins, changes (with before and after) and views of
//! personal data. Writes that change data record their event in the same transaction.

use crate::keyset::{self, Page, PageStart};
use crate::{now_text, Backend, Result, Store};
use serde::Serialize;
use sqlx::AnyConnection;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(user_id: i64, username: &str) -> Actor {
        Actor {
            user_id: Some(user_id),
            name: username.to_string(),
        }
    }
    /// An action taken from the command line by whoever runs the binary.
    pub fn cli() -> Actor {
        Actor {
            user_id: None,
            name: "command line".into(),
        }
    }
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            name: "system".into(),
        }
    }
}

/// One event to record.
#[derive(Debug, Clone, Default)]
pub struct Event {
    pub action: &'static str,
    pub entity: Option<&'static str>,
    pub entity_key: Option<String>,
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Event {
    pub fn new(action: &'static str, summary: impl Into<String>) -> Event {
        Event {
            action,
            summary: summary.into(),
            ..Default::default()
        }
    }
    pub fn on(mut self, entity: &'static str, key: impl Into<String>) -> Event {
        self.entity = Some(entity);
        self.entity_key = Some(key.into());
        self
    }
    pub fn before<T: Serialize>(mut self, v: &T) -> Event {
        self.before = serde_json::to_value(v).ok();
        self
    }
    pub fn after<T: Serialize>(mut self, v: &T) -> Event {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

/// The start of every statement that records events, up to their rows of values: the one
/// column list, in the order every `bind` below follows.
macro_rules! insert_events_into {
    () => {
        "INSERT INTO audit_events (at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json)
     VALUES "
    };
}

/// The statement that records one event (`record_on` and its native SQLite twin).
const INSERT_EVENT: &str = concat!(
    insert_events_into!(),
    "($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);

/// Records an event on a connection (usually the transaction of the change it describes).
pub async fn record_on(conn: &mut AnyConnection, actor: &Actor, event: Event) -> Result<()> {
    insert_event(conn, &now_text(), actor, event).await
}

pub(crate) async fn insert_event(
    conn: &mut AnyConnection,
    at: &str,
    actor: &Actor,
    event: Event,
) -> Result<()> {
    sqlx::query(INSERT_EVENT)
        .bind(at)
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(event.action)
        .bind(event.entity)
        .bind(event.entity_key)
        .bind(event.summary)
        .bind(event.before.map(|v| v.to_string()))
        .bind(event.after.map(|v| v.to_string()))
        .execute(conn)
        .await?;
    Ok(())
}

/// The most events one statement of [`insert_events`] writes (nine values each).
const EVENTS_PER_STATEMENT: usize = 64;

/// Writes several events at once (the group commit's batch), in their order: a statement of
/// many rows rather than one statement a row, which costs the database one execution, and the
/// writer one round trip on PostgreSQL, for up to [`EVENTS_PER_STATEMENT`] events. Statements
/// hold a power of two rows (a batch of 37 is 32, 4 and 1), so that a connection prepares at
/// most seven of them, whatever the batches' sizes.
pub(crate) async fn insert_events(
    conn: &mut AnyConnection,
    events: &[(&str, &Actor, &Event)],
) -> Result<()> {
    let mut rest = events;
    while !rest.is_empty() {
        let n = if rest.len() >= EVENTS_PER_STATEMENT {
            EVENTS_PER_STATEMENT
        } else {
            1 << rest.len().ilog2()
        };
        let (chunk, after) = rest.split_at(n);
        let mut q = sqlx::query(insert_events_sql(n));
        for (at, actor, event) in chunk {
            q = q
                .bind(*at)
                .bind(actor.user_id)
                .bind(actor.name.as_str())
                .bind(event.action)
                .bind(event.entity)
                .bind(event.entity_key.as_deref())
                .bind(event.summary.as_str())
                .bind(event.before.as_ref().map(|v| v.to_string()))
                .bind(event.after.as_ref().map(|v| v.to_string()));
        }
        q.execute(&mut *conn).await?;
        rest = after;
    }
    Ok(())
}

/// [`INSERT_EVENT`] with `n` rows of values (`n` a power of two up to
/// [`EVENTS_PER_STATEMENT`]), made once per size.
fn insert_events_sql(n: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (0..=EVENTS_PER_STATEMENT.ilog2())
            .map(|k| {
                let rows: Vec<String> = (0..1usize << k)
                    .map(|r| {
                        let params: Vec<String> =
                            (1..=9).map(|c| format!("${}", r * 9 + c)).collect();
                        format!("({})", params.join(", "))
                    })
                    .collect();
                format!(concat!(insert_events_into!(), "{}"), rows.join(", "))
            })
            .collect()
    });
    &all[n.ilog2() as usize]
}

/// [`record_on`] for a native connection (the register import's, which bypasses the generic
/// driver for speed).
macro_rules! record_on_native {
    ($name:ident, $conn:ty) => {
        pub(crate) async fn $name(conn: &mut $conn, actor: &Actor, event: Event) -> Result<()> {
            sqlx::query(INSERT_EVENT)
                .bind(now_text())
                .bind(actor.user_id)
                .bind(&actor.name)
                .bind(event.action)
                .bind(event.entity)
                .bind(event.entity_key)
                .bind(event.summary)
                .bind(event.before.map(|v| v.to_string()))
                .bind(event.after.map(|v| v.to_string()))
                .execute(conn)
                .await?;
            Ok(())
        }
    };
}
record_on_native!(record_on_sqlite, sqlx::SqliteConnection);
record_on_native!(record_on_postgres, sqlx::PgConnection);

/// Records an event on its own (views and sign-ins, which change nothing else). It returns once
/// the event is committed; events recorded at the same moment share one commit (see
/// `group_commit.rs`).
pub async fn record(store: &Store, actor: &Actor, event: Event) -> Result<()> {
    store
        .group_commit()
        .record(store.pool(), store.backend(), actor, event)
        .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: Option<String>,
    pub entity_key: Option<String>,
    pub summary: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// Filters for browsing the trail; empty fields do not filter.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub entity_key: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub to: String,
}

/// An action prefix that fewer events than this carry is read through the action's index (and
/// the few rows sorted); a commoner one by walking the trail newest first and skipping the rest,
/// which finds a page within a few thousand rows. Counted once per page, up to this cap, from
/// the action's index alone.
const RARE_ACTION_ROWS: i64 = 2000;

/// How the action filter is read (see [`RARE_ACTION_ROWS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActionPlan {
    /// No action filter, or the database chooses (PostgreSQL, which keeps per-value statistics).
    Planner,
    /// Few events: through `audit_events_action_at` (SQLite names it).
    ByIndex,
    /// Many events: newest first through the time index, the action checked row by row.
    ByScan,
}

impl AuditFilter {
    /// The action prefix as stored: actions are lower-case words joined by dots and
    /// underscores, so "Person." finds what "person." does (as SQLite's `LIKE` did), and an
    /// underscore means an underscore. `None` when there is no action filter.
    fn action_range(&self) -> Option<(String, String)> {
        let prefix = self.action.trim().to_lowercase();
        if prefix.is_empty() {
            return None;
        }
        // Every action starting with the prefix sorts from the prefix itself up to the prefix
        // followed by the last code point, byte by byte (SQLite's BINARY, PostgreSQL's "C").
        let end = format!("{prefix}{}", char::MAX);
        Some((prefix, end))
    }

    fn keyset_filter(&self, backend: Backend, plan: ActionPlan) -> keyset::Filter {
        let mut f = keyset::Filter::default();
        let mut push = |sql: &str, v: String| {
            f.binds.push(keyset::Value::Text(v));
            f.clauses
                .push(sql.replace("?", &format!("${}", f.binds.len())));
        };
        if !self.actor.trim().is_empty() {
            push("LOWER(actor) = LOWER(?)", self.actor.trim().into());
        }
        if let Some((from, to)) = self.action_range() {
            // The comparison names the index's own collation on PostgreSQL; on SQLite a unary
            // `+` keeps a common prefix off the action's index (it would sort most of the trail).
            let column = match (backend, plan) {
                (Backend::Postgres, _) => "action COLLATE \"C\"",
                (Backend::Sqlite, ActionPlan::ByScan) => "+action",
                (Backend::Sqlite, _) => "action",
            };
            push(&format!("{column} >= ?"), from);
            push(&format!("{column} < ?"), to);
        }
        if !self.entity_key.trim().is_empty() {
            push(
                "UPPER(entity_key) = UPPER(?)",
                self.entity_key.trim().into(),
            );
        }
        if !self.from.trim().is_empty() {
            push("at >= ?", self.from.trim().into());
        }
        if !self.to.trim().is_empty() {
            // Inclusive of the whole day: every instant that day sorts below the next day's 'T'.
            push("at < ?", format!("{}U", self.to.trim()));
        }
        f
    }

    /// How to read the action filter on this database (one small count on SQLite).
    async fn action_plan(&self, store: &Store) -> Result<ActionPlan> {
        let Some((from, to)) = self.action_range() else {
            return Ok(ActionPlan::Planner);
        };
        if store.backend() == Backend::Postgres {
            return Ok(ActionPlan::Planner);
        }
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 AS one FROM audit_events
             WHERE action >= $1 AND action < $2 LIMIT {RARE_ACTION_ROWS}) few"
        ))
        .bind(from)
        .bind(to)
        .fetch_one(store.pool())
        .await?;
        Ok(if n < RARE_ACTION_ROWS {
            ActionPlan::ByIndex
        } else {
            ActionPlan::ByScan
        })
    }

    async fn prepared(
        &self,
        store: &Store,
    ) -> Result<(&'static keyset::List<'static>, keyset::Filter)> {
        let plan = self.action_plan(store).await?;
        let list = if plan == ActionPlan::ByIndex && store.backend() == Backend::Sqlite {
            &TRAIL_BY_ACTION
        } else {
            &TRAIL
        };
        Ok((list, self.keyset_filter(store.backend(), plan)))
    }
}

/// The trail as a keyset list: newest first by the time of the event, then by id (ids break
/// ties between events of the same instant). Each filter has an index ending in `(at, id)`
/// (migration 34), so a page under any filter, or a date range, starts where it should.
const TRAIL: keyset::List<'static> = keyset::List {
    select: "SELECT id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json
             FROM audit_events",
    from: "audit_events",
    sort: "at",
    tie: "id",
    tie_is_int: true,
    descending: true,
    key_of: "SELECT at, id FROM audit_events WHERE id = CAST($1 AS BIGINT)",
};

/// The same list on SQLite when few events carry the action asked for: read through the
/// action's index, whatever else the planner might guess.
const TRAIL_BY_ACTION: keyset::List<'static> = keyset::List {
    select: "SELECT id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json
             FROM audit_events INDEXED BY audit_events_action_at",
    from: "audit_events INDEXED BY audit_events_action_at",
    ..TRAIL
};

/// How many events match the filter, and the newest `limit` of them.
pub async fn list(
    store: &Store,
    filter: &AuditFilter,
    limit: i64,
) -> Result<(i64, Vec<AuditEvent>)> {
    let (trail, f) = filter.prepared(store).await?;
    let total = keyset::count_all(store, trail, &f).await?;
    let first = page(store, filter, limit, &PageStart::First).await?;
    Ok((total, first.rows))
}

/// Up to `limit` events matching the filter, newest first, from `start`: `After(id)` the
/// events just older than that event, `Before(id)` those just newer (keyset paging, through
/// `keyset::page` like every long list: each page costs the same however long the trail
/// grows). A start that is not an event's id gives the newest page, marked `start_unknown`.
pub async fn page(
    store: &Store,
    filter: &AuditFilter,
    limit: i64,
    start: &PageStart,
) -> Result<Page<AuditEvent>> {
    // Only a whole number can name an event (PostgreSQL would refuse to compare anything
    // else with an id); anything else names none.
    let start = match start {
        PageStart::After(r) | PageStart::Before(r) if r.trim().parse::<i64>().is_err() => {
            let unknown = "0".to_string();
            if matches!(start, PageStart::After(_)) {
                PageStart::After(unknown)
            } else {
                PageStart::Before(unknown)
            }
        }
        other => other.clone(),
    };
    let (trail, f) = filter.prepared(store).await?;
    keyset::page(store, trail, &f, &start, limit, |e: &AuditEvent| {
        [keyset::Value::Text(e.at.clone()), keyset::Value::Int(e.id)]
    })
    .await
}

/// Every change recorded against one record, oldest first (a person's history).
pub async fn changes_to(store: &Store, entity: &str, key: &str) -> Result<Vec<AuditEvent>> {
    Ok(sqlx::query_as::<_, AuditEvent>(
        "SELECT id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json
         FROM audit_events WHERE entity = $1 AND entity_key = $2 AND action NOT LIKE '%.view'
         ORDER BY id",
    )
    .bind(entity)
    .bind(key)
    .fetch_all(store.pool())
    .await?)
}

/// Every event, oldest first, in pages (used by copy-db).
pub async fn all_after(store: &Store, after_id: i64, limit: i64) -> Result<Vec<AuditEvent>> {
    Ok(sqlx::query_as::<_, AuditEvent>(
        "SELECT id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json
         FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after_id)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}
