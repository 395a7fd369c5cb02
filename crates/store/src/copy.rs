//! `copy-db`: moves every record from one database to another (SQLite to PostgreSQL when a
//! force outgrows the embedded database) through the application's own row types, in one
//! transaction on the target. Sessions and sign-in throttles are transient and not copied.

use crate::{audit, people, Backend, Result, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub settings: usize,
    pub people: usize,
    pub users: usize,
    pub user_roles: usize,
    pub api_tokens: usize,
    pub audit_events: usize,
}

#[derive(sqlx::FromRow)]
struct Setting {
    key: String,
    value: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    password_hash: Option<String>,
    person_id: Option<i64>,
    #[sqlx(try_from = "crate::Flag")]
    disabled: bool,
    created_at: String,
    last_sign_in_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct UserRole {
    user_id: i64,
    role: String,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    token_hash: String,
    label: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

/// Copies everything from `from` into `to`, which must be migrated and empty.
pub async fn copy(from: &Store, to: &Store) -> Result<CopyReport> {
    for table in ["people", "users", "audit_events"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(to.pool())
            .await?;
        if n > 0 {
            return Err(StoreError::Invalid(format!(
                "the target database is not empty ({table} has {n} rows); copy-db only fills a new, empty database"
            )));
        }
    }
    let settings: Vec<Setting> = sqlx::query_as("SELECT key, value FROM settings ORDER BY key")
        .fetch_all(from.pool())
        .await?;
    let persons = people::all(from).await?;
    let users: Vec<UserRow> = sqlx::query_as(
        "SELECT id, username, password_hash, person_id, disabled, created_at, last_sign_in_at FROM users ORDER BY id",
    )
    .fetch_all(from.pool())
    .await?;
    let roles: Vec<UserRole> =
        sqlx::query_as("SELECT user_id, role FROM user_roles ORDER BY user_id, role")
            .fetch_all(from.pool())
            .await?;
    let tokens: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, user_id, token_hash, label, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id",
    )
    .fetch_all(from.pool())
    .await?;

    let mut report = CopyReport::default();
    let mut tx = to.pool().begin().await?;
    sqlx::query("DELETE FROM settings")
        .execute(&mut *tx)
        .await?;
    for s in &settings {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
            .bind(&s.key)
            .bind(&s.value)
            .execute(&mut *tx)
            .await?;
        report.settings += 1;
    }
    // People first without links (a manager may have a higher id than their report).
    for p in &persons {
        sqlx::query(
            "INSERT INTO people (id, staff_number, name, rank, department, team, roles, start_date, cohort,
                active, left_on, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(p.id)
        .bind(&p.staff_number)
        .bind(&p.name)
        .bind(&p.rank)
        .bind(&p.department)
        .bind(&p.team)
        .bind(&p.roles)
        .bind(&p.start_date)
        .bind(&p.cohort)
        .bind(i64::from(p.active))
        .bind(&p.left_on)
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .execute(&mut *tx)
        .await?;
        report.people += 1;
    }
    for p in persons
        .iter()
        .filter(|p| p.line_manager_id.is_some() || p.mentor_id.is_some())
    {
        sqlx::query("UPDATE people SET line_manager_id = $1, mentor_id = $2 WHERE id = $3")
            .bind(p.line_manager_id)
            .bind(p.mentor_id)
            .bind(p.id)
            .execute(&mut *tx)
            .await?;
    }
    for u in &users {
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, person_id, disabled, created_at, last_sign_in_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(u.id)
        .bind(&u.username)
        .bind(&u.password_hash)
        .bind(u.person_id)
        .bind(i64::from(u.disabled))
        .bind(&u.created_at)
        .bind(&u.last_sign_in_at)
        .execute(&mut *tx)
        .await?;
        report.users += 1;
    }
    for r in &roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(r.user_id)
            .bind(&r.role)
            .execute(&mut *tx)
            .await?;
        report.user_roles += 1;
    }
    for t in &tokens {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at, last_used_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(t.id)
        .bind(t.user_id)
        .bind(&t.token_hash)
        .bind(&t.label)
        .bind(&t.created_at)
        .bind(&t.last_used_at)
        .bind(&t.revoked_at)
        .execute(&mut *tx)
        .await?;
        report.api_tokens += 1;
    }
    // The audit trail, in pages so a long history does not sit in memory at once.
    let mut after = 0;
    loop {
        let page = audit::all_after(from, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in &page {
            sqlx::query(
                "INSERT INTO audit_events (id, at, actor_user_id, actor, action, entity, entity_key, summary, before_json, after_json)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(e.id)
            .bind(&e.at)
            .bind(e.actor_user_id)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.entity)
            .bind(&e.entity_key)
            .bind(&e.summary)
            .bind(&e.before_json)
            .bind(&e.after_json)
            .execute(&mut *tx)
            .await?;
            report.audit_events += 1;
        }
    }
    if to.backend() == Backend::Postgres {
        // Explicit ids do not move PostgreSQL's identity counters; move them past the copied rows.
        for table in ["people", "users", "api_tokens", "audit_events"] {
            sqlx::query(&format!(
                "SELECT CAST(setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false) AS BIGINT)"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(report)
}
