//! Helpers for tests that must run on both databases: a fresh SQLite file and a fresh
//! PostgreSQL database per test. PostgreSQL comes from `MASHBOARD_TEST_PG_URL` (set by
//! `scripts/test`); without it the tests fail loudly rather than skip.

use crate::{DbUrl, Result, Store, StoreError};
use rand::Rng;
use std::path::Path;

pub const PG_ENV: &str = "MASHBOARD_TEST_PG_URL";

/// A SQLite URL for a new file in `dir`.
pub fn sqlite_url(dir: &Path) -> DbUrl {
    DbUrl::parse(&format!("sqlite://{}", dir.join("test.sqlite").display())).expect("valid path")
}

/// Creates an empty PostgreSQL database on the test server and returns its URL.
pub async fn fresh_postgres_url() -> Result<DbUrl> {
    let base = std::env::var(PG_ENV).map_err(|_| {
        StoreError::Invalid(format!(
            "{PG_ENV} is not set: run the tests with ./scripts/test, which starts a throwaway PostgreSQL, or set it to a server where this user may CREATE DATABASE"
        ))
    })?;
    let base_url = DbUrl::parse(&base)?;
    let admin = Store::connect(&base_url).await?;
    let name = format!("mashboard_test_{:016x}", rand::thread_rng().gen::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await?;
    admin.close().await;
    let mut u = url::Url::parse(&base).map_err(|e| StoreError::BadUrl(e.to_string()))?;
    u.set_path(&format!("/{name}"));
    DbUrl::parse(u.as_str())
}

/// Both databases, as `(label, url)`; keeps the SQLite temp dir alive with the returned guard.
pub async fn both_databases() -> (tempfile::TempDir, Vec<(&'static str, DbUrl)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pg = fresh_postgres_url()
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is needed for this test: {e}"));
    let sqlite = sqlite_url(dir.path());
    (dir, vec![("sqlite", sqlite), ("postgres", pg)])
}
