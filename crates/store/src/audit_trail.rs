//! The audit trail: append-only record of sign-ins, changes (with before and after) and views of
//! personal data. Writes that change data record their event in the same transaction.

use crate::{now_text, Result, Store, StoreError};
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

/// The statement that records one event (`record_on` and its native SQLite twin).
const INSERT_EVENT: &str =
    "INSERT INTO audit_events (at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

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

impl AuditFilter {
    fn where_clause(&self) -> (String, Vec<String>) {
        let mut clauses = Vec::new();
        let mut binds = Vec::new();
        let mut push = |sql: &str, v: String, binds: &mut Vec<String>| {
            binds.push(v);
            clauses.push(sql.replace("?", &format!("${}", binds.len())));
        };
        if !self.actor.trim().is_empty() {
            push(
                "LOWER(actor) = LOWER(?)",
                self.actor.trim().into(),
                &mut binds,
            );
        }
        if !self.action.trim().is_empty() {
            push(
                "action LIKE ?",
                format!("{}%", self.action.trim()),
                &mut binds,
            );
        }
        if !self.entity_key.trim().is_empty() {
            push(
                "UPPER(entity_key) = UPPER(?)",
                self.entity_key.trim().into(),
                &mut binds,
            );
        }
        if !self.from.trim().is_empty() {
            push("at >= ?", self.from.trim().into(), &mut binds);
        }
        if !self.to.trim().is_empty() {
            // Inclusive of the whole day: every instant that day sorts below the next day's 'T'.
            push("at < ?", format!("{}U", self.to.trim()), &mut binds);
        }
        if clauses.is_empty() {
            (String::new(), binds)
        } else {
            (format!("WHERE {}", clauses.join(" AND ")), binds)
        }
    }
}

/// Newest first. Returns the total matching and one page.
pub async fn list(
    store: &Store,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<AuditEvent>)> {
    let (where_sql, binds) = filter.where_clause();
    let count_sql = format!("SELECT COUNT(*) FROM audit_events {where_sql}");
    let mut q = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        q = q.bind(b);
    }
    let total = q.fetch_one(store.pool()).await?;
    let n = binds.len();
    let page_sql = format!(
        "SELECT id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json
         FROM audit_events {where_sql} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query_as::<_, AuditEvent>(&page_sql);
    for b in &binds {
        q = q.bind(b);
    }
    let rows = q.bind(limit).bind(offset).fetch_all(store.pool()).await?;
    Ok((total, rows))
}

/// Where a page of the trail starts: the newest events, or the events just older or just newer
/// than an event already shown (keyset paging: each page costs the same however long the
/// trail grows, where an offset would read every row before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStart {
    Newest,
    OlderThan(i64),
    NewerThan(i64),
}

/// A page of the trail, newest first, and whether there are matching events beyond each end.
#[derive(Debug, Clone, Default)]
pub struct TrailPage {
    pub events: Vec<AuditEvent>,
    pub has_older: bool,
    pub has_newer: bool,
}

/// Up to `limit` events matching the filter, newest first, from `start`.
pub async fn page(
    store: &Store,
    filter: &AuditFilter,
    limit: i64,
    start: PageStart,
) -> Result<TrailPage> {
    let (where_sql, binds) = filter.where_clause();
    let n = binds.len();
    let and = if where_sql.is_empty() { "WHERE" } else { "AND" };
    let (bound, order) = match start {
        PageStart::Newest => (String::new(), "DESC"),
        PageStart::OlderThan(_) => (format!(" {and} id < ${}", n + 1), "DESC"),
        PageStart::NewerThan(_) => (format!(" {and} id > ${}", n + 1), "ASC"),
    };
    let limit_at = if bound.is_empty() { n + 1 } else { n + 2 };
    let sql = format!(
        "SELECT id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json
         FROM audit_events {where_sql}{bound} ORDER BY id {order} LIMIT ${limit_at}"
    );
    let mut q = sqlx::query_as::<_, AuditEvent>(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    if let PageStart::OlderThan(id) | PageStart::NewerThan(id) = start {
        q = q.bind(id);
    }
    let mut events = q.bind(limit + 1).fetch_all(store.pool()).await?;
    let more = events.len() as i64 > limit;
    events.truncate(limit.max(0) as usize);
    if matches!(start, PageStart::NewerThan(_)) {
        events.reverse();
    }
    let beyond = |newer: bool, id: i64| {
        let sql = format!(
            "SELECT id FROM audit_events {where_sql} {and} id {} ${} LIMIT 1",
            if newer { ">" } else { "<" },
            n + 1
        );
        let binds = binds.clone();
        async move {
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for b in &binds {
                q = q.bind(b);
            }
            Ok::<bool, StoreError>(q.bind(id).fetch_optional(store.pool()).await?.is_some())
        }
    };
    let (has_older, has_newer) = match (start, events.first(), events.last()) {
        (_, None, _) | (_, _, None) => (false, false),
        (PageStart::Newest, _, _) => (more, false),
        (PageStart::OlderThan(_), Some(first), _) => (more, beyond(true, first.id).await?),
        (PageStart::NewerThan(_), _, Some(last)) => (beyond(false, last.id).await?, more),
    };
    Ok(TrailPage {
        events,
        has_older,
        has_newer,
    })
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
