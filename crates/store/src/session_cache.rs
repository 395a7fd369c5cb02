//! A small in-memory cache of sign-in sessions and the accounts they belong to, read on every
//! signed-in request, so that a page does not wait on three queries (the session, the account,
//! its roles) before doing its own work.
//!
//! It is kept true rather than merely short-lived:
//! - every change made through this store ends the entry at once: signing out or any other
//!   session save or deletion (`sign_in_sessions`), and disabling, enabling, new roles, a new
//!   password or partner agency (`accounts`);
//! - an entry is never kept past the session's own expiry, and never more than [`TTL`] (which
//!   bounds what another process on the same SQLite file, such as the `user` command, can leave
//!   stale, and how long a linked person's new name takes to show);
//! - on PostgreSQL, where several instances share the database, each change is also announced
//!   with `NOTIFY` on [`CHANNEL`] and every instance (this one included) drops the entry when it
//!   hears it. Entries are cached only while this instance is listening: until the listening
//!   connection is up, and whenever it is lost, every read goes to the database;
//! - a read from the database is cached only if nothing was invalidated while it ran, so a
//!   sign-out that races a read cannot leave the old session behind.

use crate::accounts::Account;
use crate::{Backend, Store};
use sqlx::postgres::PgListener;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest an entry is trusted.
pub const TTL: Duration = Duration::from_secs(5);
/// The most sessions (and the most accounts) held; past it the oldest half is dropped.
const MAX_ENTRIES: usize = 10_000;
/// The channel the invalidations go on (PostgreSQL).
pub const CHANNEL: &str = "mashboard_sessions";

struct Entry<T> {
    value: T,
    /// The session's expiry as stored (`instant_text`); empty for accounts.
    expires_at: String,
    cached_at: Instant,
}

#[derive(Default)]
struct Maps {
    sessions: HashMap<String, Entry<String>>,
    accounts: HashMap<i64, Entry<Account>>,
}

/// The cache of one store (shared by its clones).
#[derive(Default)]
pub(crate) struct SessionCache {
    maps: Mutex<Maps>,
    /// Bumped by every invalidation (and by the listener going up or down).
    generation: AtomicU64,
    /// PostgreSQL: whether this instance hears other instances' invalidations right now.
    listening: AtomicBool,
    /// PostgreSQL: whether the listening task has been started.
    started: AtomicBool,
    hits: AtomicU64,
}

impl std::fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCache")
    }
}

/// What a read from the database must show to be cached: taken before the read.
#[derive(Clone, Copy)]
pub(crate) struct Ticket(Option<u64>);

fn fresh<T>(e: &Entry<T>, now_text: &str) -> bool {
    e.cached_at.elapsed() < TTL && (e.expires_at.is_empty() || e.expires_at.as_str() > now_text)
}

fn trim<K: Clone + Eq + std::hash::Hash, T>(map: &mut HashMap<K, Entry<T>>) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    map.retain(|_, e| e.cached_at.elapsed() < TTL);
    if map.len() >= MAX_ENTRIES {
        let mut ages: Vec<Instant> = map.values().map(|e| e.cached_at).collect();
        ages.sort();
        let cut = ages[ages.len() / 2];
        map.retain(|_, e| e.cached_at > cut);
    }
}

impl SessionCache {
    fn maps(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.maps.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads served from memory since the store opened (for tests and `/metrics`).
    pub(crate) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Whether entries may be used at all: always on SQLite, on PostgreSQL only while listening
    /// (starting the listener on first use).
    fn usable(&self, store: &Store) -> bool {
        if store.backend() == Backend::Sqlite {
            return true;
        }
        if !self.started.swap(true, Ordering::AcqRel) {
            match tokio::runtime::Handle::try_current() {
                Ok(h) => {
                    h.spawn(listen(store.clone()));
                }
                Err(_) => self.started.store(false, Ordering::Release),
            }
        }
        self.listening.load(Ordering::Acquire)
    }

    /// Taken before reading from the database; `put_*` caches the result only if nothing was
    /// invalidated since.
    pub(crate) fn ticket(&self, store: &Store) -> Ticket {
        if self.usable(store) {
            Ticket(Some(self.generation.load(Ordering::Acquire)))
        } else {
            Ticket(None)
        }
    }

    pub(crate) fn session(&self, store: &Store, id: &str, now_text: &str) -> Option<String> {
        if !self.usable(store) {
            return None;
        }
        let maps = self.maps();
        let e = maps.sessions.get(id).filter(|e| fresh(e, now_text))?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(e.value.clone())
    }

    pub(crate) fn put_session(&self, t: Ticket, id: &str, data: &str, expires_at: String) {
        let mut maps = self.maps();
        // Checked under the lock: an invalidation takes the lock after bumping the generation.
        if t.0 != Some(self.generation.load(Ordering::Acquire)) {
            return;
        }
        trim(&mut maps.sessions);
        maps.sessions.insert(
            id.to_string(),
            Entry {
                value: data.to_string(),
                expires_at,
                cached_at: Instant::now(),
            },
        );
    }

    pub(crate) fn account(&self, store: &Store, id: i64) -> Option<Account> {
        if !self.usable(store) {
            return None;
        }
        let maps = self.maps();
        let e = maps.accounts.get(&id).filter(|e| fresh(e, ""))?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(e.value.clone())
    }

    pub(crate) fn put_account(&self, t: Ticket, account: &Account) {
        let mut maps = self.maps();
        if t.0 != Some(self.generation.load(Ordering::Acquire)) {
            return;
        }
        trim(&mut maps.accounts);
        maps.accounts.insert(
            account.id,
            Entry {
                value: account.clone(),
                expires_at: String::new(),
                cached_at: Instant::now(),
            },
        );
    }

    /// Drops what a notification (or a change here) names: `s:<session id>` or
    /// `a:<account id>`; anything else drops everything.
    fn drop_named(&self, what: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut maps = self.maps();
        if let Some(id) = what.strip_prefix("s:") {
            maps.sessions.remove(id);
        } else if let Some(id) = what.strip_prefix("a:").and_then(|i| i.parse::<i64>().ok()) {
            maps.accounts.remove(&id);
        } else {
            maps.sessions.clear();
            maps.accounts.clear();
        }
    }

    fn set_listening(&self, on: bool) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut maps = self.maps();
        self.listening.store(on, Ordering::Release);
        maps.sessions.clear();
        maps.accounts.clear();
    }
}

/// Ends a session's cache entry here and, on PostgreSQL, on every other instance. Call after
/// the change is committed.
pub(crate) async fn invalidate_session(store: &Store, id: &str) {
    invalidate(store, format!("s:{id}")).await;
}

/// Ends an account's cache entry here and, on PostgreSQL, on every other instance. Call after
/// the change is committed.
pub(crate) async fn invalidate_account(store: &Store, id: i64) {
    invalidate(store, format!("a:{id}")).await;
}

async fn invalidate(store: &Store, what: String) {
    store.session_cache().drop_named(&what);
    if store.backend() != Backend::Postgres {
        return;
    }
    let sent = sqlx::query("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_notify($1, $2)) AS n")
        .bind(CHANNEL)
        .bind(&what)
        .execute(store.pool())
        .await;
    if let Err(e) = sent {
        // Other instances keep their entry at most TTL longer.
        tracing::warn!(error = %e, "sessions: could not tell other instances of a change");
    }
}

/// Listens for other instances' invalidations for as long as the store lives (the task ends
/// when only it holds the store... it holds a clone, so it runs until the runtime ends).
async fn listen(store: Store) {
    let Some(url) = store.postgres_url().map(str::to_string) else {
        return;
    };
    let cache = || store.session_cache();
    loop {
        let listener = async {
            let mut l = PgListener::connect(&url).await?;
            l.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        let mut l = match listener {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "sessions: cannot listen on PostgreSQL; reading every session from the database meanwhile");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        cache().set_listening(true);
        loop {
            match l.try_recv().await {
                Ok(Some(n)) => cache().drop_named(n.payload()),
                // The connection was lost (what was sent meanwhile is gone): trust nothing
                // held, and cache nothing until listening again.
                Ok(None) => {
                    cache().set_listening(false);
                    match l.listen(CHANNEL).await {
                        Ok(()) => cache().set_listening(true),
                        Err(_) => break,
                    }
                }
                Err(_) => break,
            }
        }
        cache().set_listening(false);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
