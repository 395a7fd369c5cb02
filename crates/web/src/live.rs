//! Live events of exercise runs: one broadcast channel per live run. Every open Server-Sent
//! Events stream of a run subscribes to it; the exercises capability decides what each viewer
//! may see.
//!
//! On SQLite (one process) an event goes straight to this process's channels. On PostgreSQL,
//! where several instances may serve one database, [`spawn_relay`] listens for the events every
//! instance sends (`LISTEN/NOTIFY`, `mashboard_store::live_events`): a published event is sent
//! to the database and comes back to every instance, this one included, which hands it to its
//! own streams. Until the listening connection is up, and whenever sending fails, events stay
//! in this process; when the connection was lost, every stream gets a `resync` (the pages reload
//! their live parts).

use mashboard_store::{live_events, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// Something that happened in a live run, sent to every open stream of that run; each stream
/// filters what its viewer may see (`Audience`).
#[derive(Debug, Clone, Serialize)]
pub struct LiveEvent {
    /// `release`, `answer`, `note`, `meeting`, `ended`, or `resync` (reload the live parts).
    pub kind: &'static str,
    pub run_id: i64,
    /// For a release: the team it went to (`None`: all teams). For an answer: the team.
    pub team_id: Option<i64>,
    pub stage: Option<i64>,
    pub data: serde_json::Value,
}

/// The kinds of event there are (an event read back from the database is one of them).
const KINDS: [&str; 6] = ["release", "answer", "note", "meeting", "ended", "resync"];

/// A [`LiveEvent`] as read back from the database.
#[derive(Deserialize)]
struct Wire {
    kind: String,
    run_id: i64,
    team_id: Option<i64>,
    stage: Option<i64>,
    #[serde(default)]
    data: serde_json::Value,
}

impl LiveEvent {
    fn from_wire(text: &str) -> Option<LiveEvent> {
        let w: Wire = serde_json::from_str(text).ok()?;
        let kind = KINDS.into_iter().find(|k| *k == w.kind)?;
        Some(LiveEvent {
            kind,
            run_id: w.run_id,
            team_id: w.team_id,
            stage: w.stage,
            data: w.data,
        })
    }

    /// The event as sent between instances. One too long for a notification (a long answer or
    /// note) goes as a `resync` of its run, so the pages fetch it themselves.
    fn to_wire(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        if text.len() <= live_events::MAX_PAYLOAD {
            return text;
        }
        serde_json::to_string(&LiveEvent {
            kind: "resync",
            run_id: self.run_id,
            team_id: self.team_id,
            stage: self.stage,
            data: serde_json::Value::Null,
        })
        .unwrap_or_default()
    }
}

/// One broadcast channel per live run, made on first use.
#[derive(Default)]
pub struct ExerciseHub {
    runs: Mutex<HashMap<i64, broadcast::Sender<LiveEvent>>>,
    /// Set once the relay listens: events go through the database to every instance.
    relay: OnceLock<mpsc::UnboundedSender<LiveEvent>>,
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

    /// Sends to whoever is listening, on every instance (nobody listening is fine).
    pub fn publish(&self, e: LiveEvent) {
        match self.relay.get() {
            Some(relay) => {
                if let Err(mpsc::error::SendError(e)) = relay.send(e) {
                    self.deliver(e);
                }
            }
            None => self.deliver(e),
        }
    }

    /// Hands an event to this process's streams of its run. An ended run's channel is dropped
    /// after its last event.
    fn deliver(&self, e: LiveEvent) {
        let run_id = e.run_id;
        let ended = e.kind == "ended";
        let sender = {
            let m = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            m.get(&run_id).cloned()
        };
        if let Some(s) = sender {
            let _ = s.send(e);
        }
        if ended {
            let mut m = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            m.remove(&run_id);
        }
    }

    /// Tells every stream in this process to reload its live parts (events may have been missed).
    fn resync_all(&self) {
        let senders: Vec<(i64, broadcast::Sender<LiveEvent>)> = {
            let m = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            m.iter().map(|(k, v)| (*k, v.clone())).collect()
        };
        for (run_id, s) in senders {
            let _ = s.send(LiveEvent {
                kind: "resync",
                run_id,
                team_id: None,
                stage: None,
                data: serde_json::Value::Null,
            });
        }
    }
}

/// On PostgreSQL, carries the hub's events between instances (see the module's comment) until
/// the returned task is aborted; on SQLite, does nothing. Returns once the relay listens (or
/// the first attempt failed: it keeps trying, and events stay in this process meanwhile).
pub async fn spawn_relay(
    hub: std::sync::Arc<ExerciseHub>,
    store: Store,
) -> Option<tokio::task::JoinHandle<()>> {
    if store.backend() != mashboard_store::Backend::Postgres {
        return None;
    }
    let first = live_events::listen(&store).await;
    Some(tokio::spawn(relay(hub, store, first)))
}

async fn relay(
    hub: std::sync::Arc<ExerciseHub>,
    store: Store,
    first: mashboard_store::Result<Option<live_events::Listener>>,
) {
    let mut next = Some(first);
    let mut started = false;
    // The sending task lives as long as this one.
    let mut _sending: Option<AbortOnDrop> = None;
    loop {
        let attempt = match next.take() {
            Some(a) => a,
            None => live_events::listen(&store).await,
        };
        let mut listener = match attempt {
            Ok(Some(l)) => l,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "live events: cannot listen on PostgreSQL; trying again in 5 seconds");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        if !started {
            started = true;
            let (tx, rx) = mpsc::unbounded_channel();
            let _ = hub.relay.set(tx);
            _sending = Some(AbortOnDrop(tokio::spawn(send_out(
                hub.clone(),
                store.clone(),
                rx,
            ))));
        } else {
            hub.resync_all();
        }
        loop {
            match listener.recv().await {
                Ok(Some(text)) => match LiveEvent::from_wire(&text) {
                    Some(e) => hub.deliver(e),
                    None => tracing::warn!("live events: a notification could not be read"),
                },
                Ok(None) => {
                    tracing::warn!("live events: the listening connection was lost; reconnecting");
                    hub.resync_all();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "live events: listening failed; reconnecting");
                    break;
                }
            }
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends this instance's events to the database in the order they were published; one that
/// cannot be sent is delivered here at least.
async fn send_out(
    hub: std::sync::Arc<ExerciseHub>,
    store: Store,
    mut rx: mpsc::UnboundedReceiver<LiveEvent>,
) {
    while let Some(e) = rx.recv().await {
        if let Err(err) = live_events::notify(&store, &e.to_wire()).await {
            tracing::warn!(error = %err, "live events: could not send to other instances");
            hub.deliver(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_survives_the_trip_and_a_long_one_becomes_a_resync() {
        let e = LiveEvent {
            kind: "release",
            run_id: 7,
            team_id: Some(3),
            stage: Some(2),
            data: serde_json::json!({"team": "Red"}),
        };
        let back = LiveEvent::from_wire(&e.to_wire()).unwrap();
        assert_eq!(
            (back.kind, back.run_id, back.team_id, back.stage),
            ("release", 7, Some(3), Some(2))
        );
        assert_eq!(back.data["team"], "Red");
        let long = LiveEvent {
            kind: "answer",
            data: serde_json::json!({"text": "x".repeat(10_000)}),
            ..e
        };
        let wire = long.to_wire();
        assert!(wire.len() < live_events::MAX_PAYLOAD);
        assert_eq!(LiveEvent::from_wire(&wire).unwrap().kind, "resync");
        assert!(LiveEvent::from_wire(r#"{"kind":"evil","run_id":1}"#).is_none());
    }
}
