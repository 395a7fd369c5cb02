//! Native reads on PostgreSQL for the largest and hottest reads (cold coverage, the people
//! list), beside the generic pool.
//!
//! Through sqlx's `Any` driver every row is converted into the generic row and every value
//! decoded through a generic layer, and text is the only common form. A native pool of its
//! own (`sqlx::PgPool`) reads rows in PostgreSQL's binary form, straight into the result,
//! with statements prepared once per connection.
//!
//! The pool is made on first use (no connection while idle), holds at most [`MAX_READERS`]
//! connections, keeps them between reads, and only reads: whatever it reads was committed
//! through either path before the read began.
//!
//! A connection the server has dropped (a restart, `pg_terminate_backend`) is found only when
//! a read fails on it, as the pool does not ping before each read. [`Readers::read`] then
//! retires every connection made before that moment and runs the read once more, so that a
//! restart costs a reconnection, not an error page per stale connection. A read that fails
//! for any other reason is not retried.

use crate::{Result, StoreError};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::OnceCell;

/// Begins a read-only transaction that sees one moment throughout (`REPEATABLE READ`: every
/// commit made before its first read, through either path).
pub(crate) const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// The `application_name` of the native readers' connections (in `pg_stat_activity`).
pub(crate) const APPLICATION_NAME: &str = "mashboard native reads";

/// The most native read connections open at once.
pub(crate) const MAX_READERS: u32 = 4;

/// The native read pool of one store (shared by its clones).
pub(crate) struct Readers {
    url: String,
    pool: OnceCell<sqlx::PgPool>,
    /// When a read last failed for a lost connection: connections made before are retired.
    lost_at: Arc<Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Readers")
    }
}

impl Readers {
    pub(crate) fn new(url: &str) -> Readers {
        Readers {
            url: url.to_string(),
            pool: OnceCell::new(),
            lost_at: Arc::default(),
        }
    }

    /// The pool, connecting on first use.
    pub(crate) async fn pool(&self) -> Result<&sqlx::PgPool> {
        Ok(self
            .pool
            .get_or_try_init(|| async {
                let options: sqlx::postgres::PgConnectOptions = self.url.parse()?;
                let lost_at = self.lost_at.clone();
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(MAX_READERS)
                    .acquire_timeout(std::time::Duration::from_secs(10))
                    // No ping before each read: a round trip of its own, measured at 6% of
                    // the people list's time in this process under `wrk`. A connection the
                    // server has dropped fails its next read instead, and the pool drops it.
                    .test_before_acquire(false)
                    // Retires, unused, a connection made before a read failed for a lost
                    // connection: it may be as stale as that one was.
                    .before_acquire(move |_, meta| {
                        let lost = *lost_at.lock().unwrap_or_else(|p| p.into_inner());
                        let fresh = lost.is_none_or(|at| {
                            Instant::now()
                                .checked_sub(meta.age)
                                .is_some_and(|made| made > at)
                        });
                        Box::pin(async move { Ok(fresh) })
                    })
                    .connect_with(options.application_name(APPLICATION_NAME))
                    .await
            })
            .await?)
    }

    /// Runs `read` on the pool, and once more if it failed for a lost connection (after
    /// retiring every connection made before the failure).
    pub(crate) async fn read<'p, T, F>(
        &'p self,
        mut read: impl FnMut(&'p sqlx::PgPool) -> F,
    ) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        let pool = self.pool().await?;
        match read(pool).await {
            Err(e) if connection_lost(&e) => {
                *self.lost_at.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
                read(pool).await
            }
            done => done,
        }
    }

    /// Closes the pool's connections (when it was ever made).
    pub(crate) async fn close(&self) {
        if let Some(pool) = self.pool.get() {
            pool.close().await;
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
