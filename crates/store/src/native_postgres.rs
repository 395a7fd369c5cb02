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

use crate::Result;
use tokio::sync::OnceCell;

/// The most native read connections open at once.
pub(crate) const MAX_READERS: u32 = 4;

/// The native read pool of one store (shared by its clones).
pub(crate) struct Readers {
    url: String,
    pool: OnceCell<sqlx::PgPool>,
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
        }
    }

    /// The pool, connecting on first use.
    pub(crate) async fn pool(&self) -> Result<&sqlx::PgPool> {
        Ok(self
            .pool
            .get_or_try_init(|| async {
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(MAX_READERS)
                    .acquire_timeout(std::time::Duration::from_secs(10))
                    // No ping before each read: a round trip of its own, measured at 6% of
                    // the people list's time in this process under `wrk`. A connection the
                    // server has dropped fails its next read instead, and the pool drops it.
                    .test_before_acquire(false)
                    .connect(&self.url)
                    .await
            })
            .await?)
    }

    /// Begins a read-only transaction on a native connection that sees one moment throughout
    /// (`REPEATABLE READ`: every commit made before its first read, through either path).
    pub(crate) async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self
            .pool()
            .await?
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?)
    }

    /// Closes the pool's connections (when it was ever made).
    pub(crate) async fn close(&self) {
        if let Some(pool) = self.pool.get() {
            pool.close().await;
        }
    }
}
