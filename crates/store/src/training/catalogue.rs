//! The module catalogue: modules with versions, review dates and guidance tags, and the
//! changes in legislation or guidance that flag them.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Module {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub external_link: Option<String>,
    pub duration_minutes: i64,
    pub owner_person_id: Option<i64>,
    pub owner_name: Option<String>,
    pub status: String,
    pub version: String,
    pub last_reviewed_on: Option<String>,
    pub review_by: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub cpd_topic: bool,
    /// Guidance tags, `;`-joined (see [`Module::tag_list`]).
    pub tags: String,
    /// The newest change in guidance this module has not been reviewed since, if any.
    pub guidance_flag: Option<String>,
}

impl Module {
    pub fn tag_list(&self) -> Vec<&str> {
        self.tags.split(';').filter(|t| !t.is_empty()).collect()
    }
}

/// What a form or seed supplies to create or change a module (checked by the caller).
#[derive(Debug, Clone, Default)]
pub struct ModuleInput {
    pub code: String,
    pub title: String,
    pub summary: String,
    pub kind: String,
    pub external_link: Option<String>,
    pub duration_minutes: i64,
    pub owner_person_id: Option<i64>,
    pub status: String,
    pub last_reviewed_on: Option<String>,
    pub review_by: Option<String>,
    pub tags: Vec<String>,
    pub cpd_topic: bool,
}

fn select_modules(where_sql: &str) -> String {
    // The tag list and the open guidance flag are derived, never stored, so they cannot drift.
    format!(
        "SELECT m.id, m.code, m.title, m.summary, m.kind, m.external_link, m.duration_minutes,
            m.owner_person_id, o.name AS owner_name, m.status, m.version, m.last_reviewed_on,
            m.review_by, m.cpd_topic,
            COALESCE((SELECT {agg} FROM module_tags mt JOIN guidance_tags g ON g.id = mt.tag_id
                      WHERE mt.module_id = m.id), '') AS tags,
            (SELECT gt.name || ' changed on ' || gc.changed_on || ': ' || gc.note
               FROM guidance_changes gc
               JOIN module_tags mt ON mt.tag_id = gc.tag_id
               JOIN guidance_tags gt ON gt.id = gc.tag_id
              WHERE mt.module_id = m.id
                AND (m.last_reviewed_on IS NULL OR m.last_reviewed_on < gc.changed_on)
              ORDER BY gc.changed_on DESC, gc.id DESC LIMIT 1) AS guidance_flag
         FROM modules m LEFT JOIN people o ON o.id = m.owner_person_id {where_sql}
         ORDER BY m.cpd_topic, m.title",
        agg = "STRING_AGG_PLACEHOLDER"
    )
}

fn render(store: &Store, sql: String) -> String {
    let agg = match store.backend() {
        crate::Backend::Sqlite => "GROUP_CONCAT(g.name, ';')",
        crate::Backend::Postgres => "STRING_AGG(g.name, ';' ORDER BY g.name)",
    };
    sql.replace("STRING_AGG_PLACEHOLDER", agg)
}

pub async fn modules(store: &Store, include_retired: bool) -> Result<Vec<Module>> {
    let w = if include_retired {
        ""
    } else {
        "WHERE m.status <> 'retired'"
    };
    Ok(
        sqlx::query_as::<_, Module>(&render(store, select_modules(w)))
            .fetch_all(store.pool())
            .await?,
    )
}

pub async fn module(store: &Store, id: i64) -> Result<Option<Module>> {
    Ok(
        sqlx::query_as::<_, Module>(&render(store, select_modules("WHERE m.id = $1")))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn module_by_code(store: &Store, code: &str) -> Result<Option<Module>> {
    Ok(sqlx::query_as::<_, Module>(&render(
        store,
        select_modules("WHERE UPPER(m.code) = UPPER($1)"),
    ))
    .bind(code.trim())
    .fetch_optional(store.pool())
    .await?)
}

pub(crate) async fn set_tags(
    conn: &mut sqlx::AnyConnection,
    module_id: i64,
    tags: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM module_tags WHERE module_id = $1")
        .bind(module_id)
        .execute(&mut *conn)
        .await?;
    for tag in tags.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM guidance_tags WHERE name = $1")
                .bind(tag)
                .fetch_optional(&mut *conn)
                .await?;
        let tag_id =
            match existing {
                Some(id) => id,
                None => sqlx::query_scalar::<_, i64>(
                    "INSERT INTO guidance_tags (name, description) VALUES ($1, '') RETURNING id",
                )
                .bind(tag)
                .fetch_one(&mut *conn)
                .await?,
            };
        sqlx::query(
            "INSERT INTO module_tags (module_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(module_id)
        .bind(tag_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Adds a module at its first version.
pub async fn create_module(
    store: &Store,
    actor: &Actor,
    m: &ModuleInput,
    version: &str,
) -> Result<Module> {
    let mut tx = store.begin().await?;
    let now = now_text();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO modules (code, title, summary, kind, external_link, duration_minutes, owner_person_id, status,
            version, last_reviewed_on, review_by, cpd_topic, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(m.code.trim().to_ascii_uppercase())
    .bind(&m.title)
    .bind(&m.summary)
    .bind(&m.kind)
    .bind(&m.external_link)
    .bind(m.duration_minutes)
    .bind(m.owner_person_id)
    .bind(&m.status)
    .bind(version)
    .bind(&m.last_reviewed_on)
    .bind(&m.review_by)
    .bind(i64::from(m.cpd_topic))
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if crate::is_unique_violation(&e) {
            StoreError::Conflict(format!("There is already a module with the code {}", m.code.trim().to_ascii_uppercase()))
        } else {
            e.into()
        }
    })?;
    sqlx::query("INSERT INTO module_versions (module_id, version, published_at, published_by, change_note) VALUES ($1, $2, $3, $4, 'First version')")
        .bind(id)
        .bind(version)
        .bind(&now)
        .bind(&actor.name)
        .execute(&mut *tx)
        .await?;
    set_tags(&mut tx, id, &m.tags).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("module.create", format!("Added module {} ({})", m.code, m.title))
            .on("module", m.code.trim().to_ascii_uppercase())
            .after(&serde_json::json!({"title": m.title, "version": version, "status": m.status, "tags": m.tags})),
    )
    .await?;
    tx.commit().await?;
    module(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("module vanished".into()))
}

/// Changes a module's details (not its version: see [`publish_version`]).
pub async fn update_module(
    store: &Store,
    actor: &Actor,
    id: i64,
    m: &ModuleInput,
) -> Result<Module> {
    let before = module(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such module".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE modules SET title = $1, summary = $2, kind = $3, external_link = $4, duration_minutes = $5,
            owner_person_id = $6, status = $7, last_reviewed_on = $8, review_by = $9, cpd_topic = $10, updated_at = $11
         WHERE id = $12",
    )
    .bind(&m.title)
    .bind(&m.summary)
    .bind(&m.kind)
    .bind(&m.external_link)
    .bind(m.duration_minutes)
    .bind(m.owner_person_id)
    .bind(&m.status)
    .bind(&m.last_reviewed_on)
    .bind(&m.review_by)
    .bind(i64::from(m.cpd_topic))
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    set_tags(&mut tx, id, &m.tags).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("module.update", format!("Changed module {}", before.code))
            .on("module", &before.code)
            .before(&before)
            .after(&serde_json::json!({"title": m.title, "status": m.status, "review_by": m.review_by, "last_reviewed_on": m.last_reviewed_on, "tags": m.tags})),
    )
    .await?;
    tx.commit().await?;
    module(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("module vanished".into()))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ModuleVersion {
    pub version: String,
    pub published_at: String,
    pub published_by: String,
    pub change_note: String,
    /// Completions recorded against this version.
    pub trained: i64,
}

/// Publishes a new version. The old one stays in the history, and completions keep the
/// version they were recorded against.
pub async fn publish_version(
    store: &Store,
    actor: &Actor,
    id: i64,
    version: &str,
    note: &str,
    reviewed_on: &str,
    review_by: Option<&str>,
) -> Result<Module> {
    let before = module(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such module".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query("INSERT INTO module_versions (module_id, version, published_at, published_by, change_note) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(version)
        .bind(now_text())
        .bind(&actor.name)
        .bind(note)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if crate::is_unique_violation(&e) {
                StoreError::Conflict(format!("Version {version} of {} already exists", before.code))
            } else {
                e.into()
            }
        })?;
    sqlx::query("UPDATE modules SET version = $1, last_reviewed_on = $2, review_by = $3, updated_at = $4 WHERE id = $5")
        .bind(version)
        .bind(reviewed_on)
        .bind(review_by)
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "module.publish",
            format!("Published version {version} of {} ({note})", before.code),
        )
        .on("module", &before.code)
        .before(&serde_json::json!({"version": before.version}))
        .after(&serde_json::json!({"version": version})),
    )
    .await?;
    tx.commit().await?;
    module(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("module vanished".into()))
}

pub async fn versions(store: &Store, module_id: i64) -> Result<Vec<ModuleVersion>> {
    Ok(sqlx::query_as::<_, ModuleVersion>(
        "SELECT v.version, v.published_at, v.published_by, v.change_note,
            (SELECT COUNT(*) FROM completions c WHERE c.module_id = v.module_id AND c.module_version = v.version) AS trained
         FROM module_versions v WHERE v.module_id = $1 ORDER BY v.id DESC",
    )
    .bind(module_id)
    .fetch_all(store.pool())
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub modules: i64,
    pub last_change: Option<String>,
}

pub async fn tags(store: &Store) -> Result<Vec<Tag>> {
    Ok(sqlx::query_as::<_, Tag>(
        "SELECT g.id, g.name, g.description,
            (SELECT COUNT(*) FROM module_tags mt WHERE mt.tag_id = g.id) AS modules,
            (SELECT gc.changed_on || ': ' || gc.note FROM guidance_changes gc WHERE gc.tag_id = g.id ORDER BY gc.changed_on DESC, gc.id DESC LIMIT 1) AS last_change
         FROM guidance_tags g ORDER BY g.name",
    )
    .fetch_all(store.pool())
    .await?)
}

pub async fn ensure_tag(store: &Store, name: &str, description: &str) -> Result<i64> {
    if let Some(id) = sqlx::query_scalar::<_, i64>("SELECT id FROM guidance_tags WHERE name = $1")
        .bind(name)
        .fetch_optional(store.pool())
        .await?
    {
        return Ok(id);
    }
    Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO guidance_tags (name, description) VALUES ($1, $2) RETURNING id",
    )
    .bind(name)
    .bind(description)
    .fetch_one(store.pool())
    .await?)
}

/// Someone trained on an affected module, with the version they trained on.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TrainedPerson {
    pub module_code: String,
    pub module_title: String,
    pub staff_number: String,
    pub name: String,
    pub module_version: String,
    pub completed_on: String,
    /// The role profiles they hold now, `;`-joined.
    pub profiles: String,
}

/// Records that a piece of legislation or guidance changed: every module tagged with it is
/// flagged until reviewed on or after that date. Returns who trained on the affected modules.
pub async fn record_guidance_change(
    store: &Store,
    actor: &Actor,
    tag_id: i64,
    changed_on: &str,
    note: &str,
) -> Result<Vec<TrainedPerson>> {
    let name: String = sqlx::query_scalar("SELECT name FROM guidance_tags WHERE id = $1")
        .bind(tag_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound("No such guidance tag".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query("INSERT INTO guidance_changes (tag_id, changed_on, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(tag_id)
        .bind(changed_on)
        .bind(note)
        .bind(&actor.name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "guidance.change",
            format!("Recorded a change to {name} on {changed_on}: {note}"),
        )
        .on("guidance", &name),
    )
    .await?;
    tx.commit().await?;
    trained_on_tag(store, tag_id).await
}

/// Everyone holding a completion of a module tagged with this guidance, by module and person.
pub async fn trained_on_tag(store: &Store, tag_id: i64) -> Result<Vec<TrainedPerson>> {
    let agg = match store.backend() {
        crate::Backend::Sqlite => "GROUP_CONCAT(rp.name, ';')",
        crate::Backend::Postgres => "STRING_AGG(rp.name, ';' ORDER BY rp.name)",
    };
    let sql = format!(
        "SELECT m.code AS module_code, m.title AS module_title, p.staff_number, p.name, c.module_version, c.completed_on,
            COALESCE((SELECT {agg} FROM assignments a JOIN role_profiles rp ON rp.id = a.profile_id
                      WHERE a.person_id = p.id AND a.ended_on IS NULL), '') AS profiles
         FROM completions c
         JOIN modules m ON m.id = c.module_id
         JOIN module_tags mt ON mt.module_id = m.id AND mt.tag_id = $1
         JOIN people p ON p.id = c.person_id
         WHERE c.id = (SELECT c2.id FROM completions c2 WHERE c2.person_id = c.person_id AND c2.module_id = c.module_id
                       ORDER BY c2.completed_on DESC, c2.id DESC LIMIT 1)
         ORDER BY m.title, p.name"
    );
    Ok(sqlx::query_as::<_, TrainedPerson>(&sql)
        .bind(tag_id)
        .fetch_all(store.pool())
        .await?)
}
