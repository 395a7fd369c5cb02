//! Recorded-video modules: a link to the force's video host or a file kept under the data
//! directory (by a random key, never the uploader's file name), and people's confirmations that
//! they watched the recording.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Video {
    pub module_id: i64,
    pub external_url: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub storage_key: Option<String>,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

pub async fn get(store: &Store, module_id: i64) -> Result<Option<Video>> {
    Ok(sqlx::query_as::<_, Video>(
        "SELECT module_id, external_url, file_name, content_type, size_bytes, storage_key, uploaded_by, uploaded_at
           FROM module_videos WHERE module_id = $1",
    )
    .bind(module_id)
    .fetch_optional(store.pool())
    .await?)
}

/// Where the recording is.
#[derive(Debug, Clone)]
pub enum Source {
    External {
        url: String,
    },
    File {
        file_name: String,
        content_type: String,
        size_bytes: i64,
        storage_key: String,
    },
}

/// Sets a module's recording; returns the storage key of a file it replaces (for the caller to
/// delete once this has committed).
pub async fn set(
    store: &Store,
    actor: &Actor,
    module_id: i64,
    source: &Source,
) -> Result<Option<String>> {
    let (code, kind): (String, String) =
        sqlx::query_as("SELECT code, kind FROM modules WHERE id = $1")
            .bind(module_id)
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound("no such module".into()))?;
    if kind != "recorded_video" {
        return Err(StoreError::Invalid(format!(
            "{code} is not a recorded-video module, so it cannot have a recording"
        )));
    }
    let before = get(store, module_id).await?;
    let (url, name, ctype, size, key) = match source {
        Source::External { url } => (Some(url.clone()), None, None, None, None),
        Source::File {
            file_name,
            content_type,
            size_bytes,
            storage_key,
        } => (
            None,
            Some(file_name.clone()),
            Some(content_type.clone()),
            Some(*size_bytes),
            Some(storage_key.clone()),
        ),
    };
    let now = now_text();
    let mut tx = store.begin().await?;
    if before.is_some() {
        sqlx::query(
            "UPDATE module_videos SET external_url = $1, file_name = $2, content_type = $3, size_bytes = $4,
                storage_key = $5, uploaded_by = $6, uploaded_at = $7 WHERE module_id = $8",
        )
        .bind(&url)
        .bind(&name)
        .bind(&ctype)
        .bind(size)
        .bind(&key)
        .bind(&actor.name)
        .bind(&now)
        .bind(module_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO module_videos (module_id, external_url, file_name, content_type, size_bytes, storage_key, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(module_id)
        .bind(&url)
        .bind(&name)
        .bind(&ctype)
        .bind(size)
        .bind(&key)
        .bind(&actor.name)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("video.set", format!("Set the recording of {code}"))
            .on("module", module_id.to_string())
            .before(&before.as_ref().map(|b| serde_json::json!({"external_url": b.external_url, "file_name": b.file_name, "size_bytes": b.size_bytes})))
            .after(&serde_json::json!({"external_url": url, "file_name": name, "size_bytes": size})),
    )
    .await?;
    tx.commit().await?;
    Ok(before
        .and_then(|b| b.storage_key)
        .filter(|k| Some(k) != key.as_ref()))
}

/// When the person confirmed they watched the module's recording.
pub async fn watched_at(store: &Store, module_id: i64, person_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT confirmed_at FROM video_watches WHERE module_id = $1 AND person_id = $2",
    )
    .bind(module_id)
    .bind(person_id)
    .fetch_optional(store.pool())
    .await?)
}

/// Records "I have watched the recording" (once; a second confirmation changes nothing).
/// Returns whether it was new.
pub async fn confirm_watch(
    store: &Store,
    actor: &Actor,
    module_id: i64,
    person_id: i64,
) -> Result<bool> {
    confirm_watch_at(store, actor, module_id, person_id, None).await
}

/// As [`confirm_watch`], at a given instant (`None` is now; a historic one is for demo data).
pub async fn confirm_watch_at(
    store: &Store,
    actor: &Actor,
    module_id: i64,
    person_id: i64,
    at: Option<&str>,
) -> Result<bool> {
    if watched_at(store, module_id, person_id).await?.is_some() {
        return Ok(false);
    }
    let (code,): (String,) = sqlx::query_as("SELECT code FROM modules WHERE id = $1")
        .bind(module_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::NotFound("no such module".into()))?;
    let sn: String = sqlx::query_scalar("SELECT staff_number FROM people WHERE id = $1")
        .bind(person_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::Invalid("No such person".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO video_watches (module_id, person_id, confirmed_at) VALUES ($1, $2, $3)",
    )
    .bind(module_id)
    .bind(person_id)
    .bind(at.map(str::to_string).unwrap_or_else(now_text))
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "video.watched",
            format!("{sn} confirmed watching the recording of {code}"),
        )
        .on("module", module_id.to_string())
        .after(&serde_json::json!({"staff_number": sn, "module": code})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The person's completion of a module already recorded (any status), if any.
pub async fn completion_of(
    store: &Store,
    module_id: i64,
    person_id: i64,
) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, completed_on FROM completions WHERE module_id = $1 AND person_id = $2 ORDER BY completed_on DESC, id DESC",
    )
    .bind(module_id)
    .bind(person_id)
    .fetch_optional(store.pool())
    .await?)
}
