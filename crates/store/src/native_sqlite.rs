//! Native reads on SQLite for the hottest pages (the people list), beside the generic pool.
//!
//! Through sqlx's `Any` driver a SQLite row costs a copy of every value on the connection's
//! worker thread (`sqlite3_value_dup`), a hop to the async side over a channel, a conversion to
//! the generic row, a decode and two frees: measured with `perf` under `wrk -c64`, reading the
//! people list's 50 rows that way was about three quarters of a request's processor time. Here
//! a few connections of our own (rusqlite, on the same SQLite library sqlx links) read straight
//! from SQLite's own buffers into the result, on Tokio's blocking threads: one hop a read, not
//! one a row, and statements prepared once per connection.
//!
//! The connections are opened on first use (no memory while idle), find the file the pool has
//! open (`pragma_database_list`, so any URL form resolves the same), never write
//! (`query_only`), wait on locks like the pool does (`busy_timeout`), and are at most
//! [`MAX_READERS`] (reads beyond wait their turn; the machine has few cores). WAL mode (set by
//! the pool on the file) means a read sees every commit made before it began, through either
//! path, and never blocks the writer.

use crate::{Result, StoreError};
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// The most native read connections open at once (and kept between reads).
pub(crate) const MAX_READERS: usize = 4;

/// How much of the database file a native reader maps into memory.
const MMAP_BYTES: i64 = 256 * 1024 * 1024;

/// The native readers of one store (shared by its clones).
#[derive(Default)]
pub(crate) struct Readers {
    /// The database file, as the pool's connections resolved it.
    path: OnceCell<String>,
    idle: Mutex<Vec<rusqlite::Connection>>,
    permits: Option<Semaphore>,
    closed: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Readers")
    }
}

impl Readers {
    pub(crate) fn new() -> Readers {
        Readers {
            permits: Some(Semaphore::new(MAX_READERS)),
            ..Default::default()
        }
    }

    /// Runs `read` on a native connection (in one read transaction, so that everything it
    /// reads is of one moment) and returns what it found.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, pool: &sqlx::AnyPool, read: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let path = self
            .path
            .get_or_try_init(|| async {
                sqlx::query_scalar::<_, String>(
                    "SELECT file FROM pragma_database_list WHERE name = 'main'",
                )
                .fetch_one(pool)
                .await
            })
            .await?
            .clone();
        let _permit = match &self.permits {
            Some(p) => Some(p.acquire().await.map_err(|_| closed())?),
            None => None,
        };
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return Err(closed());
        }
        let me = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let conn = match me.take() {
                Some(c) => c,
                None => open(&path)?,
            };
            let result = in_read_transaction(&conn, read);
            me.give_back(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("A read of the database stopped: {e}")))?;
        result
    }

    /// Closes the idle connections; later reads fail as the closed pool's would.
    pub(crate) fn close(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<rusqlite::Connection>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self) -> Option<rusqlite::Connection> {
        self.lock().pop()
    }

    fn give_back(&self, conn: rusqlite::Connection) {
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let mut idle = self.lock();
        if idle.len() < MAX_READERS {
            idle.push(conn);
        }
    }
}

fn closed() -> StoreError {
    StoreError::Db(sqlx::Error::PoolClosed)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Db(sqlx::Error::Protocol(format!("SQLite: {e}")))
    }
}

fn open(path: &str) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    // Never creates a file: the pool has made it already, and a wrong path must fail loudly.
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    // Reads the file through a memory map rather than a copy of each page into the
    // connection's own cache (2 MB, smaller than a force's people and completions: a large
    // read would copy every page again each time). The mapped pages are the operating
    // system's file cache, shared and dropped under memory pressure, not this process's own.
    conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

fn in_read_transaction<T>(
    conn: &rusqlite::Connection,
    read: impl FnOnce(&rusqlite::Connection) -> Result<T>,
) -> Result<T> {
    conn.execute_batch("BEGIN DEFERRED")?;
    let result = read(conn);
    // A read-only transaction: ending it can only release the snapshot.
    let end = conn.execute_batch("COMMIT");
    let value = result?;
    end?;
    Ok(value)
}

/// Binds `$1…$n` by name (SQLite numbers named parameters by first appearance, not by name).
pub(crate) fn bind_numbered(
    stmt: &mut rusqlite::Statement<'_>,
    values: &[rusqlite::types::Value],
) -> rusqlite::Result<()> {
    for (i, v) in values.iter().enumerate() {
        let name = format!("${}", i + 1);
        if let Some(index) = stmt.parameter_index(&name)? {
            stmt.raw_bind_parameter(index, v)?;
        }
    }
    Ok(())
}
