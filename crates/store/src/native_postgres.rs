//! Native reads on PostgreSQL for the largest and hottest reads (cold coverage, the people
//! list), beside the generic pool.
//!
//! Through sqlx's `Any` driver every row is converted into the generic row and every value
//! decoded through a generic layer, and text is the only common form. Native connections of
//! their own (`sqlx::PgConnection`) read rows in PostgreSQL's binary form, straight into the
//! result, with statements prepared once per connection (sqlx's statement cache on each).
//!
//! They are kept in a list of our own rather than a `sqlx::PgPool`: the pool pings every
//! connection as it goes back (a round trip per read, paid by this process and the server).
//! Here a connection is connected on first need, at most [`MAX_READERS`] are open at once, and
//! a [`Lease`] goes back to the idle list, unpinged, only when its read succeeded
//! ([`Lease::release`]); a lease dropped otherwise (the read failed, or its future was
//! cancelled mid-read) closes its connection, which may be mid-statement. They only read:
//! whatever they read was committed through either path before the read began.
//!
//! A connection the server has dropped (a restart, `pg_terminate_backend`) is found only when
//! a read fails on it, as nothing pings before each read. [`Readers::read`] then retires every
//! connection made before that moment (a generation count: each connection remembers the one
//! it was made in, and one older than the current is closed instead of used or kept) and runs
//! the read once more, so that a restart costs a reconnection, not an error page per stale
//! connection. A read that fails for any other reason is not retried.

use crate::{Result, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Begins a read-only transaction that sees one moment throughout (`REPEATABLE READ`: every
/// commit made before its first read, through either path).
pub(crate) const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// The `application_name` of the native readers' connections (in `pg_stat_activity`).
pub(crate) const APPLICATION_NAME: &str = "mashboard native reads";

/// The most native read connections open at once.
pub(crate) const MAX_READERS: u32 = 4;

/// How long a read waits for one of the [`MAX_READERS`] connections before it fails (as the
/// pool did: a read that needs several at once cannot wait for ever on others that do too).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The native read connections of one store (shared by its clones).
pub(crate) struct Readers {
    url: String,
    /// One permit per connection open or being opened.
    permits: Semaphore,
    /// Connections between reads, each with the generation it was made in.
    idle: Mutex<Vec<(u64, sqlx::PgConnection)>>,
    /// Raised when a read fails for a lost connection: connections made before are retired.
    generation: AtomicU64,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Readers")
    }
}

/// One native connection for one read; see [`Lease::release`].
pub(crate) struct Lease<'r> {
    readers: &'r Readers,
    generation: u64,
    conn: Option<sqlx::PgConnection>,
    _permit: SemaphorePermit<'r>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = sqlx::PgConnection;
    fn deref(&self) -> &sqlx::PgConnection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until released")
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        self.conn
            .as_mut()
            .expect("a lease holds its connection until released")
    }
}

impl Lease<'_> {
    /// Puts the connection back for the next read: call it only after a read that succeeded
    /// and left no transaction open. Dropped without it, the lease closes its connection.
    pub(crate) fn release(mut self) {
        let conn = self.conn.take().expect("released once");
        let readers = self.readers;
        if !readers.permits.is_closed()
            && self.generation == readers.generation.load(Ordering::Acquire)
        {
            readers.idle().push((self.generation, conn));
        }
        // The permit goes back as `self` drops, after the connection is in the list.
    }
}

impl Readers {
    pub(crate) fn new(url: &str) -> Readers {
        Readers {
            url: url.to_string(),
            permits: Semaphore::new(MAX_READERS as usize),
            idle: Mutex::default(),
            generation: AtomicU64::new(0),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(u64, sqlx::PgConnection)>> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection for one read: an idle one of the current generation, or a new one.
    /// Waits while [`MAX_READERS`] are in use, failing after [`ACQUIRE_TIMEOUT`].
    pub(crate) async fn acquire(&self) -> Result<Lease<'_>> {
        let permit = match tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(StoreError::Db(sqlx::Error::PoolClosed)),
            Err(_) => return Err(StoreError::Db(sqlx::Error::PoolTimedOut)),
        };
        let generation = self.generation.load(Ordering::Acquire);
        let kept = {
            let mut idle = self.idle();
            // Older generations are retired (dropping closes their sockets).
            idle.retain(|(g, _)| *g == generation);
            idle.pop()
        };
        let conn = match kept {
            Some((_, conn)) => conn,
            None => {
                let options: sqlx::postgres::PgConnectOptions = self.url.parse()?;
                sqlx::Connection::connect_with(&options.application_name(APPLICATION_NAME)).await?
            }
        };
        Ok(Lease {
            readers: self,
            generation,
            conn: Some(conn),
            _permit: permit,
        })
    }

    /// Runs `read` on these connections, and once more if it failed for a lost connection
    /// (after retiring every connection made before the failure).
    pub(crate) async fn read<'p, T, F>(
        &'p self,
        mut read: impl FnMut(&'p Readers) -> F,
    ) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        match read(self).await {
            Err(e) if connection_lost(&e) => {
                self.generation.fetch_add(1, Ordering::AcqRel);
                read(self).await
            }
            done => done,
        }
    }

    /// Closes the idle connections; those in use close as their reads end, and no read
    /// starts after.
    pub(crate) async fn close(&self) {
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle());
        for (_, conn) in idle {
            let _ = sqlx::Connection::close(conn).await;
        }
    }
}

/// Whether a read failed because its connection was lost (the server closed it, or the
/// network failed), not because of the statement: only then is it worth another try.
pub(crate) fn connection_lost(e: &StoreError) -> bool {
    match e {
        StoreError::Db(sqlx::Error::Io(_) | sqlx::Error::Tls(_)) => true,
        // Class 08: connection exception; 57P01-57P03: the server shut the session down.
        StoreError::Db(sqlx::Error::Database(db)) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server process behind a lease's connection, and that it is named for the native reads.
    async fn backend(lease: &mut Lease<'_>) -> i32 {
        let (pid, name): (i32, String) =
            sqlx::query_as("SELECT pg_backend_pid(), current_setting('application_name')")
                .fetch_one(&mut **lease)
                .await
                .expect("a trivial read");
        assert_eq!(name, APPLICATION_NAME);
        pid
    }

    /// A connection goes back only after a read that succeeded: one dropped mid-read (an
    /// error, a cancelled future) may be mid-statement or mid-transaction, so the next read
    /// gets another; and after a read fails for a lost connection, it runs once more on a
    /// connection made after the failure, never on one kept from before.
    #[tokio::test]
    async fn only_connections_released_after_a_read_are_reused_and_a_lost_one_retires_the_rest() {
        let Ok(url) = std::env::var(crate::testing::PG_ENV) else {
            panic!("{} is not set", crate::testing::PG_ENV);
        };
        let readers = Readers::new(&url);

        let mut lease = readers.acquire().await.unwrap();
        let first = backend(&mut lease).await;
        lease.release();
        let mut lease = readers.acquire().await.unwrap();
        assert_eq!(
            backend(&mut lease).await,
            first,
            "a released connection is reused"
        );

        // Left inside a transaction, as a read cancelled between two statements would be.
        sqlx::query(BEGIN_READ).execute(&mut *lease).await.unwrap();
        drop(lease);
        let mut lease = readers.acquire().await.unwrap();
        let second = backend(&mut lease).await;
        assert_ne!(second, first, "a connection dropped mid-read is not reused");
        let mut other = readers.acquire().await.unwrap();
        let third = backend(&mut other).await;
        lease.release();
        other.release();

        let mut tries = Vec::new();
        let got = readers
            .read(|r| {
                let first_try = tries.is_empty();
                tries.push(());
                async move {
                    let mut lease = r.acquire().await?;
                    let pid = backend(&mut lease).await;
                    if first_try {
                        // As a read on a connection the server dropped fails.
                        return Err(StoreError::Db(sqlx::Error::Io(std::io::Error::from(
                            std::io::ErrorKind::ConnectionReset,
                        ))));
                    }
                    lease.release();
                    Ok(pid)
                }
            })
            .await
            .unwrap();
        assert_eq!(
            tries.len(),
            2,
            "a read failed for a lost connection runs once more"
        );
        assert!(
            got != second && got != third,
            "the retry does not use a connection made before the failure"
        );
        let mut lease = readers.acquire().await.unwrap();
        assert_eq!(
            backend(&mut lease).await,
            got,
            "the retry's connection is kept"
        );
        lease.release();

        readers.close().await;
        assert!(readers.acquire().await.is_err(), "no read after close");
    }
}
