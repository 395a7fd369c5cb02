//! The one stash of uploads waiting between the steps of an import (mapping, preview, commit):
//! kept in memory under a random key, for one user, for [`UPLOAD_LIFETIME`], with a cap on the
//! bytes held in all. When a new upload would pass the cap, expired uploads go first (oldest
//! first); if there is still no room, the upload is refused in plain words, and nothing that is
//! still waiting is thrown away.

use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an upload waits for its next step.
pub const UPLOAD_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The default cap on the bytes of every waiting upload together: 256 MB.
pub const DEFAULT_MAX_PENDING_BYTES: u64 = 256 * 1024 * 1024;

/// An uploaded file waiting for the user to confirm its import.
#[derive(Debug, Clone)]
pub struct PendingUpload {
    pub user_id: i64,
    pub file_name: String,
    pub bytes: Arc<Vec<u8>>,
    pub at: Instant,
}

/// The stash is full: the upload was not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Too many files are waiting to be imported just now, so this one could not be kept. Finish or leave the imports already under way, wait a few minutes, and upload the file again.")]
pub struct StashFull;

/// Uploads waiting between steps, by key.
#[derive(Debug)]
pub struct UploadStash {
    entries: Mutex<HashMap<String, PendingUpload>>,
    max_bytes: u64,
    lifetime: Duration,
}

impl Default for UploadStash {
    fn default() -> Self {
        UploadStash::new(DEFAULT_MAX_PENDING_BYTES, UPLOAD_LIFETIME)
    }
}

impl UploadStash {
    pub fn new(max_bytes: u64, lifetime: Duration) -> UploadStash {
        UploadStash {
            entries: Mutex::new(HashMap::new()),
            max_bytes,
            lifetime,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, PendingUpload>> {
        // A panic while holding the lock leaves a map that is still whole: keep using it.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps an upload for `user_id` and returns its key, or refuses when it does not fit.
    pub fn put(
        &self,
        user_id: i64,
        file_name: &str,
        bytes: impl Into<Arc<Vec<u8>>>,
    ) -> Result<String, StashFull> {
        let bytes = bytes.into();
        let size = bytes.len() as u64;
        let mut entries = self.lock();
        let held = |e: &HashMap<String, PendingUpload>| -> u64 {
            e.values().map(|u| u.bytes.len() as u64).sum()
        };
        if held(&entries) + size > self.max_bytes {
            let mut expired: Vec<(Instant, String)> = entries
                .iter()
                .filter(|(_, u)| u.at.elapsed() >= self.lifetime)
                .map(|(k, u)| (u.at, k.clone()))
                .collect();
            expired.sort();
            for (_, key) in expired {
                if held(&entries) + size <= self.max_bytes {
                    break;
                }
                entries.remove(&key);
            }
        }
        if held(&entries) + size > self.max_bytes {
            return Err(StashFull);
        }
        let mut key = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let key = hex::encode(key);
        entries.insert(
            key.clone(),
            PendingUpload {
                user_id,
                file_name: file_name.to_string(),
                bytes,
                at: Instant::now(),
            },
        );
        Ok(key)
    }

    /// The upload under `key`, if it is this user's and has not expired.
    pub fn get(&self, key: &str, user_id: i64) -> Option<PendingUpload> {
        self.lock()
            .get(key)
            .filter(|u| u.user_id == user_id && u.at.elapsed() < self.lifetime)
            .cloned()
    }

    /// As [`UploadStash::get`], and removes it: the upload is being imported.
    pub fn take(&self, key: &str, user_id: i64) -> Option<PendingUpload> {
        let found = self.get(key, user_id)?;
        self.lock().remove(key);
        Some(found)
    }

    /// Forgets the upload under `key`.
    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Drops every expired upload (the ten-minute sweep).
    pub fn sweep(&self) {
        let lifetime = self.lifetime;
        self.lock().retain(|_, u| u.at.elapsed() < lifetime);
    }

    /// The bytes held now.
    /// How many uploads are waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no upload is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn held_bytes(&self) -> u64 {
        self.lock().values().map(|u| u.bytes.len() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_stash_refuses_in_words_and_keeps_what_waits() {
        let stash = UploadStash::new(10, UPLOAD_LIFETIME);
        let first = stash.put(1, "a.csv", vec![0u8; 6]).unwrap();
        let refused = stash.put(2, "b.csv", vec![0u8; 6]).unwrap_err();
        assert!(refused
            .to_string()
            .starts_with("Too many files are waiting"));
        assert!(stash.get(&first, 1).is_some(), "the waiting upload is kept");
        assert!(stash.get(&first, 2).is_none(), "and only for its owner");
        stash.take(&first, 1).unwrap();
        assert!(
            stash.put(2, "b.csv", vec![0u8; 6]).is_ok(),
            "room once it is gone"
        );
    }

    #[test]
    fn expired_uploads_make_room_oldest_first() {
        let stash = UploadStash::new(10, Duration::from_millis(20));
        let old = stash.put(1, "a.csv", vec![0u8; 5]).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        let newer = stash.put(1, "b.csv", vec![0u8; 5]).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        assert!(stash.get(&old, 1).is_none(), "expired");
        stash.put(1, "c.csv", vec![0u8; 5]).unwrap();
        assert_eq!(
            stash.held_bytes(),
            10,
            "the oldest expired upload made room"
        );
        assert!(stash.lock().contains_key(&newer) && !stash.lock().contains_key(&old));
    }
}
