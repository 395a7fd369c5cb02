//! Live events of exercise runs: one broadcast channel per live run, in this process. Every open
//! Server-Sent Events stream of a run subscribes to it; the exercises capability decides what each
//! viewer may see.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Something that happened in a live run, sent to every open stream of that run; each stream
/// filters what its viewer may see (`Audience`).
#[derive(Debug, Clone, Serialize)]
pub struct LiveEvent {
    /// `release`, `answer`, `note`, `meeting` or `ended`.
    pub kind: &'static str,
    pub run_id: i64,
    /// For a release: the team it went to (`None`: all teams). For an answer: the team.
    pub team_id: Option<i64>,
    pub stage: Option<i64>,
    pub data: serde_json::Value,
}

/// One broadcast channel per live run, made on first use.
#[derive(Default)]
pub struct ExerciseHub {
    runs: Mutex<HashMap<i64, broadcast::Sender<LiveEvent>>>,
}

impl std::fmt::Debug for ExerciseHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExerciseHub")
    }
}

impl ExerciseHub {
    fn sender(&self, run_id: i64) -> broadcast::Sender<LiveEvent> {
        let mut m = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(run_id)
            .or_insert_with(|| broadcast::channel(256).0)
            .clone()
    }

    pub fn subscribe(&self, run_id: i64) -> broadcast::Receiver<LiveEvent> {
        self.sender(run_id).subscribe()
    }

    /// Sends to whoever is listening (nobody listening is fine). An ended run's channel is
    /// dropped after its last event.
    pub fn publish(&self, e: LiveEvent) {
        let run_id = e.run_id;
        let ended = e.kind == "ended";
        let _ = self.sender(run_id).send(e);
        if ended {
            let mut m = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            m.remove(&run_id);
        }
    }
}
