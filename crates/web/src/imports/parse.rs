//! Reading an uploaded file is CPU work (decoding, XLSX unpacking, checking every row): it runs
//! on tokio's blocking threads, and at most [`MAX_PARSING`] at once so that a burst of uploads
//! cannot starve the server; the rest wait their turn.

use crate::error::AppError;
use std::sync::OnceLock;
use tokio::sync::Semaphore;

/// How many uploads may be read at once.
pub const MAX_PARSING: usize = 2;

fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(MAX_PARSING))
}

/// Runs `f` (a parse of an upload) on a blocking thread, once a permit is free.
pub async fn off_thread<T, F>(f: F) -> Result<T, AppError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let _permit = permits()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(format!("the parse limiter is closed: {e}")))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("reading an upload failed: {e}")))
}
