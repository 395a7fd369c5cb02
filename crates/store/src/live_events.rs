//! Live events between instances on PostgreSQL: `NOTIFY` on one channel, `LISTEN` on a native
//! connection of its own (`sqlx::postgres::PgListener`), so that a stage released on one
//! instance reaches the streams open on every other. The payload is the caller's text (the web
//! layer's JSON), at most [`MAX_PAYLOAD`] bytes. On SQLite there is one process and nothing here
//! is used.

use crate::{Backend, Result, Store, StoreError};
use sqlx::postgres::PgListener;

/// The channel every instance listens on.
pub const CHANNEL: &str = "mashboard_live";

/// PostgreSQL refuses a notification's payload from 8,000 bytes; a little is kept spare.
pub const MAX_PAYLOAD: usize = 7_900;

/// Sends `payload` to every instance listening (this one included), at once (not inside a
/// transaction: call it after the change is committed).
pub async fn notify(store: &Store, payload: &str) -> Result<()> {
    if payload.len() > MAX_PAYLOAD {
        return Err(StoreError::Invalid(format!(
            "a live event may be at most {MAX_PAYLOAD} bytes"
        )));
    }
    sqlx::query("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_notify($1, $2)) AS n")
        .bind(CHANNEL)
        .bind(payload)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// A connection listening on [`CHANNEL`].
pub struct Listener(PgListener);

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Listener")
    }
}

/// Listens on [`CHANNEL`] on a connection of its own; `None` on SQLite.
pub async fn listen(store: &Store) -> Result<Option<Listener>> {
    if store.backend() != Backend::Postgres {
        return Ok(None);
    }
    let Some(url) = store.postgres_url() else {
        return Ok(None);
    };
    let mut l = PgListener::connect(url).await?;
    l.listen(CHANNEL).await?;
    Ok(Some(Listener(l)))
}

impl Listener {
    /// The next payload; `Ok(None)` when the connection was lost (it reconnects on the next
    /// call, but what was sent meanwhile is gone: the caller should tell its viewers to reload).
    pub async fn recv(&mut self) -> Result<Option<String>> {
        Ok(self.0.try_recv().await?.map(|n| n.payload().to_string()))
    }
}
