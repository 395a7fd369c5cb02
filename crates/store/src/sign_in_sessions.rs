//! Browser sessions, stored in the database so they survive restarts and end on sign-out.
//! The web layer adapts these to `tower-sessions`; the session's contents are opaque JSON here.
//! Reads go through the in-memory cache (`session_cache.rs`); every save and deletion ends the
//! session's entry, on every instance.

use crate::session_cache::invalidate_session;
use crate::{instant_text, Result, Store};
use time::OffsetDateTime;

pub async fn save(store: &Store, id: &str, data: &str, expires_at: OffsetDateTime) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(data)
        .bind(instant_text(expires_at))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    invalidate_session(store, id).await;
    Ok(())
}

/// Inserts a new session; false if the id is already taken.
pub async fn create(
    store: &Store,
    id: &str,
    data: &str,
    expires_at: OffsetDateTime,
) -> Result<bool> {
    let r = sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(data)
        .bind(instant_text(expires_at))
        .execute(store.pool())
        .await;
    match r {
        Ok(_) => Ok(true),
        Err(e) if crate::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The session's data if it exists and has not expired.
pub async fn load(store: &Store, id: &str) -> Result<Option<String>> {
    let now = instant_text(OffsetDateTime::now_utc());
    let cache = store.session_cache();
    if let Some(data) = cache.session(store, id, &now) {
        return Ok(Some(data));
    }
    let ticket = cache.ticket(store);
    let row = sqlx::query_as::<_, (String, String)>(
        "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
    )
    .bind(id)
    .bind(&now)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(data, expires_at)| {
        cache.put_session(ticket, id, &data, expires_at);
        data
    }))
}

/// Ends the session (signing out): from now on its cookie is worthless, on every instance.
pub async fn delete(store: &Store, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    invalidate_session(store, id).await;
    Ok(())
}

pub async fn delete_expired(store: &Store) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(instant_text(OffsetDateTime::now_utc()))
        .execute(store.pool())
        .await?
        .rows_affected())
}
