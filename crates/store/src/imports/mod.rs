//! What every import shares in the database: the column mappings saved by name (the
//! `import_mappings` table, one row per kind and name) and the bookkeeping of an all-or-nothing
//! run (a dry run is the whole import inside a transaction that is rolled back).
//!
//! The kinds' own writes are in their capabilities' modules (`people::import`,
//! `training_import`, `register::import`, `imports::history`).

pub mod history;

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::imports::mapping::{check_mapping_name, Layout, Mapping};
use serde::Serialize;
use sqlx::{Any, Transaction};

/// A column mapping saved by name for a kind of import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SavedMapping {
    pub id: i64,
    pub kind: String,
    pub name: String,
    /// The mapping's text form: `field=header;field=header`.
    pub mapping: String,
    pub created_by: String,
    pub updated_at: String,
}

impl SavedMapping {
    pub fn parsed<L: Layout>(&self, kind: L) -> std::result::Result<Mapping, String> {
        Mapping::parse(kind, &self.mapping)
    }
}

const SELECT_MAPPING: &str =
    "SELECT id, kind, name, mapping, created_by, updated_at FROM import_mappings";

/// Saves a mapping under a name, replacing the one of that name (case aside) if there is one.
pub async fn save_mapping<L: Layout>(
    store: &Store,
    actor: &Actor,
    kind: L,
    name: &str,
    mapping: &Mapping,
) -> Result<SavedMapping> {
    let name = check_mapping_name(name).map_err(StoreError::Invalid)?;
    if mapping.is_empty() {
        return Err(StoreError::Invalid(
            "The mapping uses no columns, so there is nothing to save".into(),
        ));
    }
    let text = mapping.encode();
    let existing = self::mapping(store, kind, &name).await?;
    let mut tx = store.begin().await?;
    let now = now_text();
    let id = match &existing {
        Some(old) => {
            sqlx::query(
                "UPDATE import_mappings SET name = $1, mapping = $2, created_by = $3, updated_at = $4 WHERE id = $5",
            )
            .bind(&name)
            .bind(&text)
            .bind(&actor.name)
            .bind(&now)
            .bind(old.id)
            .execute(&mut *tx)
            .await?;
            old.id
        }
        None => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO import_mappings (kind, name, mapping, created_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(kind.name())
            .bind(&name)
            .bind(&text)
            .bind(&actor.name)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let mut event = Event::new(
        "import_mapping.save",
        format!("Saved the {} import mapping \"{name}\"", kind.name()),
    )
    .on("import_mapping", id.to_string())
    .after(&serde_json::json!({"kind": kind.name(), "name": name, "mapping": text}));
    if let Some(old) = &existing {
        event = event.before(&serde_json::json!({"name": old.name, "mapping": old.mapping}));
    }
    audit_trail::record_on(&mut tx, actor, event).await?;
    tx.commit().await?;
    self::mapping(store, kind, &name)
        .await?
        .ok_or_else(|| StoreError::NotFound("the saved mapping vanished".into()))
}

/// The mapping saved under this name (case aside) for this kind, if any.
pub async fn mapping<L: Layout>(
    store: &Store,
    kind: L,
    name: &str,
) -> Result<Option<SavedMapping>> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(sqlx::query_as::<_, SavedMapping>(&format!(
        "{SELECT_MAPPING} WHERE kind = $1 AND LOWER(name) = LOWER($2) ORDER BY id LIMIT 1"
    ))
    .bind(kind.name())
    .bind(name)
    .fetch_optional(store.pool())
    .await?)
}

/// Every mapping saved for a kind of import, by name.
pub async fn mappings<L: Layout>(store: &Store, kind: L) -> Result<Vec<SavedMapping>> {
    Ok(sqlx::query_as::<_, SavedMapping>(&format!(
        "{SELECT_MAPPING} WHERE kind = $1 ORDER BY LOWER(name), id"
    ))
    .bind(kind.name())
    .fetch_all(store.pool())
    .await?)
}

/// Ends an all-or-nothing run: a dry run, or one with row errors, is rolled back (nothing was
/// written); otherwise it is committed. Returns whether it was committed.
pub async fn finish(tx: Transaction<'static, Any>, dry_run: bool, clean: bool) -> Result<bool> {
    if dry_run || !clean {
        tx.rollback().await?;
        Ok(false)
    } else {
        tx.commit().await?;
        Ok(true)
    }
}
