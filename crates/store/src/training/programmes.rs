//! Role programmes (which modules a role profile requires, with due and renewal rules) and
//! assignments of people to role profiles. A person's plan follows from these, so changing a
//! programme changes every plan on it at once; the audit trail keeps the history.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use serde::Serialize;
use sqlx::AnyConnection;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Profile {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    /// People currently assigned.
    pub people: i64,
    pub items: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProgrammeItem {
    pub id: i64,
    pub profile_id: i64,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub due_rule: String,
    pub renewal_rule: String,
}

const SELECT_PROFILE: &str = "SELECT r.id, r.code, r.name, r.description,
        (SELECT COUNT(*) FROM assignments a WHERE a.profile_id = r.id AND a.ended_on IS NULL) AS people,
        (SELECT COUNT(*) FROM programme_items i WHERE i.profile_id = r.id) AS items
    FROM role_profiles r";

pub async fn profiles(store: &Store) -> Result<Vec<Profile>> {
    Ok(
        sqlx::query_as::<_, Profile>(&format!("{SELECT_PROFILE} ORDER BY r.name"))
            .fetch_all(store.pool())
            .await?,
    )
}

pub async fn profile(store: &Store, id: i64) -> Result<Option<Profile>> {
    profile_on(&mut *store.pool().acquire().await?, id).await
}

async fn profile_on(conn: &mut AnyConnection, id: i64) -> Result<Option<Profile>> {
    Ok(
        sqlx::query_as::<_, Profile>(&format!("{SELECT_PROFILE} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn profile_by_code(store: &Store, code: &str) -> Result<Option<Profile>> {
    profile_by_code_on(&mut *store.pool().acquire().await?, code).await
}

pub(crate) async fn profile_by_code_on(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<Profile>> {
    Ok(
        sqlx::query_as::<_, Profile>(&format!("{SELECT_PROFILE} WHERE UPPER(r.code) = UPPER($1)"))
            .bind(code.trim())
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn create_profile(
    store: &Store,
    actor: &Actor,
    code: &str,
    name: &str,
    description: &str,
) -> Result<i64> {
    let mut tx = store.begin().await?;
    let id = create_profile_on(&mut tx, actor, code, name, description).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`create_profile`] inside the caller's transaction.
pub(crate) async fn create_profile_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    code: &str,
    name: &str,
    description: &str,
) -> Result<i64> {
    let code = code.trim().to_ascii_uppercase();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO role_profiles (code, name, description, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&code)
    .bind(name.trim())
    .bind(description.trim())
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if crate::is_unique_violation(&e) {
            StoreError::Conflict(format!("There is already a role profile with the code {code}"))
        } else {
            e.into()
        }
    })?;
    audit_trail::record_on(
        conn,
        actor,
        Event::new("profile.create", format!("Added role profile {name}")).on("profile", &code),
    )
    .await?;
    Ok(id)
}

pub async fn items(store: &Store, profile_id: i64) -> Result<Vec<ProgrammeItem>> {
    Ok(sqlx::query_as::<_, ProgrammeItem>(
        "SELECT i.id, i.profile_id, i.module_id, m.code AS module_code, m.title AS module_title, i.due_rule, i.renewal_rule
         FROM programme_items i JOIN modules m ON m.id = i.module_id WHERE i.profile_id = $1 ORDER BY m.title",
    )
    .bind(profile_id)
    .fetch_all(store.pool())
    .await?)
}

/// Adds a module to a programme, or changes its rules if it is already there.
pub async fn set_item(
    store: &Store,
    actor: &Actor,
    profile_id: i64,
    module_id: i64,
    due_rule: &str,
    renewal_rule: &str,
) -> Result<()> {
    let mut tx = store.begin().await?;
    set_item_on(
        &mut tx,
        actor,
        profile_id,
        module_id,
        due_rule,
        renewal_rule,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// [`set_item`] inside the caller's transaction.
pub(crate) async fn set_item_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    profile_id: i64,
    module_id: i64,
    due_rule: &str,
    renewal_rule: &str,
) -> Result<()> {
    let p = profile_on(conn, profile_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such role profile".into()))?;
    let code: String = sqlx::query_scalar("SELECT code FROM modules WHERE id = $1")
        .bind(module_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::Invalid("Choose a module from the catalogue".into()))?;
    let before: Option<(String, String)> = sqlx::query_as("SELECT due_rule, renewal_rule FROM programme_items WHERE profile_id = $1 AND module_id = $2")
        .bind(profile_id)
        .bind(module_id)
        .fetch_optional(&mut *conn)
        .await?;
    if before.is_some() {
        sqlx::query("UPDATE programme_items SET due_rule = $1, renewal_rule = $2 WHERE profile_id = $3 AND module_id = $4")
            .bind(due_rule)
            .bind(renewal_rule)
            .bind(profile_id)
            .bind(module_id)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query("INSERT INTO programme_items (profile_id, module_id, due_rule, renewal_rule) VALUES ($1, $2, $3, $4)")
            .bind(profile_id)
            .bind(module_id)
            .bind(due_rule)
            .bind(renewal_rule)
            .execute(&mut *conn)
            .await?;
    }
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            if before.is_some() { "programme.change" } else { "programme.add" },
            format!("{} {code} in the {} programme ({due_rule}, {renewal_rule}); applies to its {} people", if before.is_some() { "Changed" } else { "Added" }, p.name, p.people),
        )
        .on("profile", &p.code)
        .before(&before)
        .after(&(due_rule, renewal_rule)),
    )
    .await?;
    Ok(())
}

pub async fn remove_item(
    store: &Store,
    actor: &Actor,
    profile_id: i64,
    module_id: i64,
) -> Result<()> {
    let p = profile(store, profile_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such role profile".into()))?;
    let mut tx = store.begin().await?;
    let n = sqlx::query("DELETE FROM programme_items WHERE profile_id = $1 AND module_id = $2")
        .bind(profile_id)
        .bind(module_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(
            "That module is not in this programme".into(),
        ));
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "programme.remove",
            format!("Removed module {module_id} from the {} programme", p.name),
        )
        .on("profile", &p.code),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Assignment {
    pub id: i64,
    pub person_id: i64,
    pub profile_id: i64,
    pub profile_name: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub assigned_by: String,
}

pub async fn assignments_of(store: &Store, person_id: i64) -> Result<Vec<Assignment>> {
    Ok(sqlx::query_as::<_, Assignment>(
        "SELECT a.id, a.person_id, a.profile_id, r.name AS profile_name, a.started_on, a.ended_on, a.assigned_by
         FROM assignments a JOIN role_profiles r ON r.id = a.profile_id WHERE a.person_id = $1 ORDER BY a.ended_on IS NOT NULL, a.started_on DESC",
    )
    .bind(person_id)
    .fetch_all(store.pool())
    .await?)
}

/// Puts a person on a role profile from a date; their plan gains its programme.
pub async fn assign(
    store: &Store,
    actor: &Actor,
    person_id: i64,
    profile_id: i64,
    started_on: &str,
) -> Result<i64> {
    let mut tx = store.begin().await?;
    let id = assign_on(&mut tx, actor, person_id, profile_id, started_on).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`assign`] inside the caller's transaction. A person already on the profile is a
/// `Conflict`, found before anything is written.
pub(crate) async fn assign_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    person_id: i64,
    profile_id: i64,
    started_on: &str,
) -> Result<i64> {
    let p = profile_on(conn, profile_id)
        .await?
        .ok_or_else(|| StoreError::Invalid("Choose a role profile".into()))?;
    let sn: String = sqlx::query_scalar("SELECT staff_number FROM people WHERE id = $1")
        .bind(person_id)
        .fetch_one(&mut *conn)
        .await?;
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM assignments WHERE person_id = $1 AND profile_id = $2 AND ended_on IS NULL",
    )
    .bind(person_id)
    .bind(profile_id)
    .fetch_optional(&mut *conn)
    .await?;
    if open.is_some() {
        return Err(StoreError::Conflict(format!(
            "{sn} is already assigned to {}",
            p.name
        )));
    }
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO assignments (person_id, profile_id, started_on, assigned_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(person_id)
    .bind(profile_id)
    .bind(started_on)
    .bind(&actor.name)
    .bind(now_text())
    .fetch_one(&mut *conn)
    .await?;
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            "plan.assign",
            format!("Assigned {sn} to {} from {started_on}", p.name),
        )
        .on("person", &sn),
    )
    .await?;
    Ok(id)
}

/// Takes a person off a role profile (they left the role). Completions are kept.
pub async fn end_assignment(
    store: &Store,
    actor: &Actor,
    assignment_id: i64,
    ended_on: &str,
) -> Result<()> {
    let (person_id, profile_id): (i64, i64) = sqlx::query_as(
        "SELECT person_id, profile_id FROM assignments WHERE id = $1 AND ended_on IS NULL",
    )
    .bind(assignment_id)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| {
        StoreError::NotFound("That assignment does not exist or has already ended".into())
    })?;
    let sn: String = sqlx::query_scalar("SELECT staff_number FROM people WHERE id = $1")
        .bind(person_id)
        .fetch_one(store.pool())
        .await?;
    let name: String = sqlx::query_scalar("SELECT name FROM role_profiles WHERE id = $1")
        .bind(profile_id)
        .fetch_one(store.pool())
        .await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE assignments SET ended_on = $1 WHERE id = $2")
        .bind(ended_on)
        .bind(assignment_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "plan.end",
            format!("Ended {sn}'s assignment to {name} on {ended_on}"),
        )
        .on("person", &sn),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
