//! Keeps SQLite's write-ahead log from growing without end while the server runs.
//!
//! SQLite's own automatic checkpoint is passive: it copies into the database only the pages no
//! reader still needs, and the log starts again from its beginning only when a writer finds it
//! wholly copied and no reader in it. Under a steady mix of reads and writes (the soak
//! benchmark: 200 requests a second, a read always in flight) that moment never comes: the log
//! grew past 130 MB in five minutes, and every read searched more of it. [`keep_small`] checks
//! the log's size and, past a limit, runs a `TRUNCATE` checkpoint: it holds new writes back
//! until the readers in flight have moved to the newest snapshot, copies everything and empties
//! the file.
//!
//! The checkpoint waits for readers on its own short busy timeout ([`CHECKPOINT_WAIT_MS`]), not
//! the ten seconds every other connection waits. Reads that overlap without a gap can keep it
//! from ever taking the locks it needs; with the long timeout it then held every writer back for
//! ten seconds, and a writer waiting on the same ten seconds failed with "database is locked"
//! (seen as a one-in-twelve failure of `growing_reads`). Now it gives up after a moment, having
//! still copied what it could, and tries again at the next look; a writer waits at most that
//! moment. PostgreSQL manages its own log: nothing to do there.

use crate::{Backend, Result, Store};
use std::time::Duration;

/// The log size past which the server checkpoints it (SQLite's own passive checkpoint runs
/// every 1,000 pages, about 4 MB).
pub const LIMIT_BYTES: u64 = 16 * 1024 * 1024;
/// How often the server looks.
pub const EVERY: Duration = Duration::from_secs(5);
/// How long the checkpoint waits for readers and writers before it gives up until the next look
/// (every other connection waits ten seconds; see the module's notes).
pub const CHECKPOINT_WAIT_MS: u32 = 100;

/// The size of the SQLite write-ahead log in bytes (0 when there is none, and on PostgreSQL).
pub fn log_bytes(store: &Store) -> u64 {
    store
        .url()
        .sqlite_path()
        .and_then(|path| std::fs::metadata(format!("{path}-wal")).ok())
        .map(|m| m.len())
        .unwrap_or(0)
}

/// If the write-ahead log has passed `limit` bytes, copies it into the database and empties
/// it. True when it did (false on PostgreSQL, or when the log was small, or when readers or a
/// writer kept it busy for [`CHECKPOINT_WAIT_MS`]: the next look tries again).
pub async fn keep_small(store: &Store, limit: u64) -> Result<bool> {
    if store.backend() != Backend::Sqlite || log_bytes(store) <= limit {
        return Ok(false);
    }
    let mut conn = store.pool().acquire().await?;
    sqlx::query(&format!("PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}"))
        .execute(&mut *conn)
        .await?;
    // busy, log frames, frames copied: busy is 1 when it could not finish.
    let outcome = sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut *conn)
        .await;
    // The connection goes back to the pool: give it back its usual patience, or close it.
    if sqlx::query(crate::BUSY_TIMEOUT_PRAGMA)
        .execute(&mut *conn)
        .await
        .is_err()
    {
        conn.close_on_drop();
    }
    let (busy, _, _) = outcome?;
    Ok(busy == 0)
}

/// Runs [`keep_small`] every `every` until the task is aborted (the server's, while it serves).
pub async fn keep_small_every(store: Store, limit: u64, every: Duration) {
    if store.backend() != Backend::Sqlite {
        return;
    }
    loop {
        tokio::time::sleep(every).await;
        match keep_small(&store, limit).await {
            Ok(true) => tracing::debug!("checkpointed the write-ahead log"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not checkpoint the write-ahead log"),
        }
    }
}
