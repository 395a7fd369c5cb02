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

/// What [`backup_with_files`] wrote.
#[derive(Debug, Clone, Default)]
pub struct BackupReport {
    /// The directory beside the backup that holds the uploaded files (`BACKUP.files`).
    pub files_dir: std::path::PathBuf,
    /// How many uploaded files were copied, and their bytes.
    pub files: usize,
    pub bytes: u64,
    /// Storage keys the backed-up database names whose file was not in the data directory.
    pub missing: Vec<String>,
}

/// The directory that holds a backup's uploaded files: `BACKUP.files` beside `BACKUP`.
pub fn files_dir_for(path: &Path) -> std::path::PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".files");
    path.with_file_name(name)
}

/// Writes a consistent copy of the SQLite database to `path` ([`backup`]) and copies every
/// uploaded file that copy refers to (recorded videos, by their storage keys) from `data_dir`
/// into [`files_dir_for`]`(path)`, keeping their keys as paths, so a restore is "put the file
/// back, copy `videos/` into the data directory". The files are the ones the backed-up database
/// names, read from the backup itself, so the two always match. If anything fails, neither the
/// database copy nor the files are left behind.
pub async fn backup_with_files(
    store: &Store,
    path: &Path,
    data_dir: &Path,
) -> Result<BackupReport> {
    let files_dir = files_dir_for(path);
    if files_dir.exists() {
        return Err(StoreError::Invalid(format!(
            "{} already exists; choose a new backup name so no backup is overwritten",
            files_dir.display()
        )));
    }
    backup(store, path).await?;
    match copy_files(path, data_dir, &files_dir).await {
        Ok(report) => Ok(report),
        Err(e) => {
            let _ = std::fs::remove_file(path);
            let _ = std::fs::remove_dir_all(&files_dir);
            Err(StoreError::Invalid(format!(
                "The backup was not written: copying the uploaded files to {} failed ({e}). Nothing was kept; check the free space and try again.",
                files_dir.display()
            )))
        }
    }
}

async fn copy_files(
    backup_path: &Path,
    data_dir: &Path,
    files_dir: &Path,
) -> std::result::Result<BackupReport, String> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
    use sqlx::Connection;
    let options = SqliteConnectOptions::new()
        .filename(backup_path)
        .read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| format!("could not read the backup: {e}"))?;
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT storage_key FROM module_videos WHERE storage_key IS NOT NULL ORDER BY storage_key",
    )
    .fetch_all(&mut conn)
    .await
    .map_err(|e| format!("could not read the backup: {e}"))?;
    let _ = conn.close().await;
    let mut report = BackupReport {
        files_dir: files_dir.to_path_buf(),
        ..Default::default()
    };
    for key in keys {
        // Keys are ours (`videos/<random>.<ext>`); anything else is never followed.
        let safe = !key.is_empty()
            && !key.starts_with('/')
            && !key.contains('\\')
            && key
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != "..");
        let source = data_dir.join(&key);
        if !safe || !source.is_file() {
            report.missing.push(key);
            continue;
        }
        let target = files_dir.join(&key);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| e.to_string())?;
        }
        report.bytes += tokio::fs::copy(&source, &target)
            .await
            .map_err(|e| format!("{key}: {e}"))?;
        report.files += 1;
    }
    Ok(report)
}
