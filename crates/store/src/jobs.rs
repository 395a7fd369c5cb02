//! Work that must happen once across every instance serving one database: migrations on start,
//! sending the outbox, the daily reminder digests and the hourly missing-referral check.
//!
//! On PostgreSQL, where several `serve` processes may share the database behind a load balancer,
//! a job runs while its instance holds a session advisory lock (`pg_try_advisory_lock`) on one
//! pooled connection; another instance that tries meanwhile skips its turn. The lock belongs to
//! that connection, so a crash or a lost connection lets it go. A periodic job also records when
//! it last started (`job_runs`), claimed with one conditional `UPDATE`, so that a job due once an
//! hour runs once an hour however many instances there are.
//!
//! On SQLite there is one process: the lock is not needed and `work` just runs.

use crate::{instant_text, Backend, Result, Store};
use sqlx::pool::PoolConnection;
use sqlx::Any;
use std::future::Future;
use time::OffsetDateTime;

/// A job that runs once across instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Bringing the schema up to date on start.
    Migrations,
    /// Sending what waits in the e-mail outbox.
    Outbox,
    /// The daily reminder digests.
    Reminders,
    /// The hourly missing-referral check.
    QueueRefresh,
    /// Estimating the dashboard's training effect again after the data moved.
    EffectWarm,
}

impl Job {
    /// The name recorded in `job_runs`.
    pub fn name(self) -> &'static str {
        match self {
            Job::Migrations => "migrations",
            Job::Outbox => "outbox",
            Job::Reminders => "reminders",
            Job::QueueRefresh => "queue_refresh",
            Job::EffectWarm => "effect_warm",
        }
    }

    /// The advisory lock's key: "mashbrd" in ASCII and a number per job, so that it clashes with
    /// nothing else a database server may lock.
    fn key(self) -> i64 {
        let base: i64 = 0x6d61_7368_6272_6400;
        base + match self {
            Job::Migrations => 1,
            Job::Outbox => 2,
            Job::Reminders => 3,
            Job::QueueRefresh => 4,
            Job::EffectWarm => 5,
        }
    }
}

/// Holds a job's advisory lock on one pooled connection. Dropped without [`Held::release`] (a
/// cancelled task), the connection is closed rather than returned to the pool, which lets the
/// lock go.
struct Held {
    conn: Option<PoolConnection<Any>>,
    key: i64,
}

impl Held {
    async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let unlocked = sqlx::query("SELECT CAST(pg_advisory_unlock($1) AS INT) AS n")
                .bind(self.key)
                .execute(&mut *conn)
                .await;
            if unlocked.is_err() {
                conn.close_on_drop();
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}

async fn try_lock(store: &Store, job: Job) -> Result<Option<Held>> {
    let mut conn = store.pool().acquire().await?;
    let got: i64 = sqlx::query_scalar(
        "SELECT CAST(CASE WHEN pg_try_advisory_lock($1) THEN 1 ELSE 0 END AS BIGINT)",
    )
    .bind(job.key())
    .fetch_one(&mut *conn)
    .await?;
    Ok((got == 1).then_some(Held {
        conn: Some(conn),
        key: job.key(),
    }))
}

async fn lock(store: &Store, job: Job) -> Result<Held> {
    let mut conn = store.pool().acquire().await?;
    sqlx::query("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_lock($1)) AS l")
        .bind(job.key())
        .execute(&mut *conn)
        .await?;
    Ok(Held {
        conn: Some(conn),
        key: job.key(),
    })
}

/// Runs `work` unless another instance is running the same job at this moment: `None` when it
/// is (nothing was run). See the module's comment.
pub async fn exclusively<T>(
    store: &Store,
    job: Job,
    work: impl Future<Output = T>,
) -> Result<Option<T>> {
    if store.backend() == Backend::Sqlite {
        return Ok(Some(work.await));
    }
    let Some(held) = try_lock(store, job).await? else {
        tracing::debug!(job = job.name(), "another instance is running this job");
        return Ok(None);
    };
    let out = work.await;
    held.release().await;
    Ok(Some(out))
}

/// Runs `work` once no other instance is running the same job, waiting for it to finish first
/// (migrations: the second instance to start finds the schema up to date).
pub async fn after_others<T>(store: &Store, job: Job, work: impl Future<Output = T>) -> Result<T> {
    if store.backend() == Backend::Sqlite {
        return Ok(work.await);
    }
    let held = lock(store, job).await?;
    let out = work.await;
    held.release().await;
    Ok(out)
}

/// Claims a periodic job's turn: true, and recorded as started at `now`, when it has not started
/// within `every` before `now` on any instance; false when another instance's run is that
/// recent. One conditional `UPDATE`: of two instances claiming at once, one wins.
pub async fn claim_turn(
    store: &Store,
    job: Job,
    every: std::time::Duration,
    now: OffsetDateTime,
) -> Result<bool> {
    let started = instant_text(now);
    let cutoff = instant_text(now - every);
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO job_runs (job, last_started_at, runs) VALUES ($1, $2, 0) ON CONFLICT (job) DO NOTHING",
    )
    .bind(job.name())
    .bind("0000-01-01T00:00:00.000000Z")
    .execute(&mut *tx)
    .await?;
    let claimed = sqlx::query(
        "UPDATE job_runs SET last_started_at = $1, runs = runs + 1 WHERE job = $2 AND last_started_at <= $3",
    )
    .bind(&started)
    .bind(job.name())
    .bind(&cutoff)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(claimed == 1)
}

/// How many times a periodic job has been claimed, on every instance together (0 if never).
pub async fn runs(store: &Store, job: Job) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT runs FROM job_runs WHERE job = $1")
            .bind(job.name())
            .fetch_optional(store.pool())
            .await?
            .unwrap_or(0),
    )
}
