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

/// The frame a test draws from: the register's incidents, or its referrals by a review's strata.
#[derive(Clone, Copy, Debug)]
pub enum DrawFrame {
    Incidents,
    Referrals(crate::reviews::Strata),
}

/// A draw by position (method 2) of `size` records with `seed` from `frame` between `from`
/// (inclusive) and `before` (exclusive), made both ways: through the per-day counts, then by
/// counting and walking the frame's index. Each is (frame size, references in draw order).
pub async fn draw_both_ways(
    store: &Store,
    frame: DrawFrame,
    from: &str,
    before: &str,
    size: usize,
    seed: u64,
) -> Result<[(usize, Vec<String>); 2]> {
    use crate::draw_frame::{draw_by, Path};
    let spec = match frame {
        DrawFrame::Incidents => crate::audits::FRAME,
        DrawFrame::Referrals(strata) => crate::reviews::frame_spec(strata),
    };
    let mut conn = store.pool().acquire().await?;
    let mut out = Vec::new();
    for path in [Path::Counts, Path::Scan] {
        let drawn = draw_by(
            &mut conn,
            store.backend(),
            &spec,
            from,
            before,
            size,
            seed,
            path,
        )
        .await?
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
        out.push((
            drawn.frame_size,
            drawn.rows.into_iter().map(|(_, r, _)| r).collect(),
        ));
    }
    let scan = out.pop().unwrap_or_default();
    let counts = out.pop().unwrap_or_default();
    Ok([counts, scan])
}
