//! Group commit for the audit trail's stand-alone events (views and sign-ins).
//!
//! Every page that shows personal data records who saw it, so every such request writes one
//! row. Written one transaction each, concurrent requests queue for SQLite's single write lock
//! (and on PostgreSQL each commit waits for its own flush). Instead, [`GroupCommit::record`]
//! hands the event to one writer task and waits until it is committed: the writer takes every
//! event that is waiting, writes them in one transaction (in statements of many rows each, see
//! `audit_trail::insert_events`) and answers each caller. A request
//! still returns only after its audit row is durable, so nothing is lost on a crash; under load
//! many requests share one commit.
//!
//! If the writer cannot run (no Tokio runtime, or the runtime it was started on has ended) the
//! event is written on its own, as before. If a shared commit fails, each of its events is
//! tried again on its own so that one bad event fails only its own request.

use crate::audit_trail::{insert_event, insert_events, Actor, Event};
use crate::{begin_statement, now_text, Backend, Result, StoreError};
use sqlx::AnyPool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// The most events one transaction takes.
const MAX_BATCH: usize = 512;
/// How many events may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;

struct Job {
    at: String,
    actor: Actor,
    event: Event,
    done: oneshot::Sender<Result<()>>,
}

/// The handle to the writer task; started on first use, restarted if it has gone.
#[derive(Default)]
pub(crate) struct GroupCommit {
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    /// Commits made by the writer since the store opened (for `/metrics` and tests).
    commits: Arc<AtomicU64>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl GroupCommit {
    /// Commits made by the writer so far.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Records the event, returning once it is committed.
    pub(crate) async fn record(
        &self,
        pool: &AnyPool,
        backend: Backend,
        actor: &Actor,
        event: Event,
    ) -> Result<()> {
        let at = now_text();
        let Some(sender) = self.sender(pool, backend) else {
            return write_one(pool, &at, actor, event).await;
        };
        let (done, answer) = oneshot::channel();
        let job = Job {
            at,
            actor: actor.clone(),
            event,
            done,
        };
        match sender.send(job).await {
            Ok(()) => match answer.await {
                Ok(result) => result,
                // The writer went away with the job (its runtime ended): the job is lost with
                // it, so say so rather than guess whether it was written.
                Err(_) => Err(StoreError::Invalid(
                    "The audit trail's writer stopped before recording the event.".into(),
                )),
            },
            Err(mpsc::error::SendError(job)) => {
                // The writer has gone (its runtime ended): forget it and write this one here.
                self.sender.lock().map(|mut s| s.take()).ok();
                write_one(pool, &job.at, &job.actor, job.event).await
            }
        }
    }

    fn sender(&self, pool: &AnyPool, backend: Backend) -> Option<mpsc::Sender<Job>> {
        let handle = tokio::runtime::Handle::try_current().ok()?;
        let mut slot = self.sender.lock().ok()?;
        if let Some(s) = slot.as_ref().filter(|s| !s.is_closed()) {
            return Some(s.clone());
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        handle.spawn(writer(pool.clone(), backend, rx, self.commits.clone()));
        *slot = Some(tx.clone());
        Some(tx)
    }
}

/// The writer: waits for an event, takes every other one already waiting (up to
/// [`MAX_BATCH`]), commits them together and answers each caller. Ends when the store is
/// dropped (every sender gone).
///
/// While events keep coming it keeps its connection from one batch to the next, so that a
/// batch is its statements alone, not the pool's ping as the connection is taken and another
/// as it is given back; it gives the connection back whenever no event waits (so the pool can
/// close). When a batch fails on the kept connection (a query error, or a connection the
/// server dropped), the connection is let go and each event is tried again on its own through
/// the pool, which tests the connection it hands out.
async fn writer(
    pool: AnyPool,
    backend: Backend,
    mut rx: mpsc::Receiver<Job>,
    commits: Arc<AtomicU64>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut kept: Option<sqlx::pool::PoolConnection<sqlx::Any>> = None;
    loop {
        if rx.is_empty() {
            kept = None;
        }
        if rx.recv_many(&mut jobs, MAX_BATCH).await == 0 {
            break;
        }
        let batch: Vec<Job> = std::mem::take(&mut jobs);
        if kept.is_none() {
            kept = pool.acquire().await.ok();
        }
        if let Some(conn) = kept.as_mut() {
            if write_batch(conn, backend, &batch).await.is_ok() {
                commits.fetch_add(1, Ordering::Relaxed);
                for job in batch {
                    let _ = job.done.send(Ok(()));
                }
                continue;
            }
            kept = None;
        }
        for job in batch {
            let result = write_one(&pool, &job.at, &job.actor, job.event).await;
            commits.fetch_add(1, Ordering::Relaxed);
            let _ = job.done.send(result);
        }
    }
}

/// The batch's events on `conn`: in one transaction, or one event alone in its own statement.
async fn write_batch(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    batch: &[Job],
) -> Result<()> {
    let events: Vec<(&str, &Actor, &Event)> = batch
        .iter()
        .map(|job| (job.at.as_str(), &job.actor, &job.event))
        .collect();
    if events.len() == 1 {
        return insert_events(conn, &events).await;
    }
    let mut tx = sqlx::Connection::begin_with(conn, begin_statement(backend)).await?;
    insert_events(&mut tx, &events).await?;
    tx.commit().await?;
    Ok(())
}

async fn write_one(pool: &AnyPool, at: &str, actor: &Actor, event: Event) -> Result<()> {
    let mut conn = pool.acquire().await?;
    insert_event(&mut conn, at, actor, event).await
}
