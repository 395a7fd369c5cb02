//! Consistent backups of the embedded database while the server runs.

use crate::{Backend, Result, Store, StoreError};
use std::path::Path;

/// Writes a consistent copy of a SQLite database to `path` (SQLite's `VACUUM INTO`, which reads
/// one snapshot while writers carry on). PostgreSQL is backed up with its own tools.
pub async fn backup(store: &Store, path: &Path) -> Result<()> {
    match store.backend() {
        Backend::Postgres => Err(StoreError::Invalid(
            "mashboard does not back up PostgreSQL itself: use pg_dump (for example `pg_dump --format=custom --file=mashboard.dump \"$MASHBOARD_DB\"`) or your database service's snapshots, and restore with pg_restore".into(),
        )),
        Backend::Sqlite => {
            if path.exists() {
                return Err(StoreError::Invalid(format!(
                    "{} already exists; choose a new file name so no backup is overwritten",
                    path.display()
                )));
            }
            let target = path.to_string_lossy().replace('\'', "''");
            sqlx::query(&format!("VACUUM INTO '{target}'"))
                .execute(store.pool())
                .await?;
            Ok(())
        }
    }
}
