//! mashboard's HTTP layer: routes, extractors that enforce access, askama templates, embedded
//! assets and the JSON API. Handlers stay thin: parse the request, call the store, render.

// Shared infrastructure: imported by the capabilities, imports none of them.
pub mod assets;
pub mod auth;
mod boundaries;
pub mod csrf;
pub mod error;
pub(crate) mod export;
pub(crate) mod form;
pub mod imports;
mod list_pages;
pub(crate) mod live;
pub mod load;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod sign_in_sessions;
pub mod view;

// One folder per capability: its routes, page and API handlers, and what both share.
mod accounts;
mod attachment_days;
mod attendance;
mod audits;
mod catalogue;
mod coverage;
mod cpd;
mod exercises;
mod health;
mod home;
mod impact;
pub use impact::{watch_data_version, WATCH_EVERY};
mod learning;
mod matrix;
mod outcomes;
mod partners;
mod people;
mod plans;
mod queue;
mod register;
mod reviews;
mod sections;
mod sessions;
mod training_import;

use mashboard_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The force's name, shown in the header.
    pub force_name: String,
    /// Send cookies with `Secure` (set when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Sign out after this long without a request.
    pub idle_timeout: Duration,
    /// Sign out this long after signing in, however active.
    pub absolute_timeout: Duration,
    /// Demo mode (shows a banner).
    pub demo: bool,
    /// Where uploaded files (recorded videos) are kept.
    pub data_dir: std::path::PathBuf,
    /// The largest recorded-video file a trainer may upload, in bytes (the one route whose
    /// body may be larger than 20 MB).
    pub max_video_bytes: u64,
    /// Serve `/metrics` on the main address to callers that send this token as
    /// `Authorization: Bearer <token>` (otherwise it is served only on `--metrics-addr`, if set).
    pub metrics_token: Option<String>,
    /// The most bytes that uploads waiting between the steps of an import may hold together;
    /// past it a new upload is refused in words.
    pub max_pending_upload_bytes: u64,
    /// The most requests worked on at once; past it a request waits up to `max_wait`, then is
    /// refused with 503 (see `load.rs`).
    pub max_in_flight: usize,
    /// How long a request waits for a place before it is refused.
    pub max_wait: Duration,
    /// How long the server works on a request before it stops and answers 408 (a large
    /// upload has no overall limit, only the handler's limit on a stalled stream).
    pub request_time_limit: Duration,
    /// How long a request's body may send nothing before the server stops waiting for it and
    /// answers 408 (not the large uploads, which have their own): a client that stalls does
    /// not keep its place for the whole `request_time_limit`.
    pub body_idle_limit: Duration,
}

/// The default [`WebConfig::request_time_limit`]: two minutes.
pub const DEFAULT_REQUEST_TIME_LIMIT: Duration = Duration::from_secs(120);
/// The default [`WebConfig::body_idle_limit`]: 30 seconds without a byte.
pub const DEFAULT_BODY_IDLE_LIMIT: Duration = Duration::from_secs(30);

/// The default largest recorded-video upload: 4 GiB.
pub const DEFAULT_MAX_VIDEO_BYTES: u64 = 4 * 1024 * 1024 * 1024;

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            force_name: "mashboard".into(),
            secure_cookies: false,
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(10 * 60 * 60),
            demo: false,
            data_dir: std::path::PathBuf::from("mashboard-data"),
            max_video_bytes: DEFAULT_MAX_VIDEO_BYTES,
            metrics_token: None,
            max_pending_upload_bytes: imports::DEFAULT_MAX_PENDING_BYTES,
            max_in_flight: load::default_max_in_flight(),
            max_wait: load::DEFAULT_MAX_WAIT,
            request_time_limit: DEFAULT_REQUEST_TIME_LIMIT,
            body_idle_limit: DEFAULT_BODY_IDLE_LIMIT,
        }
    }
}

pub use imports::PendingUpload;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    /// Uploads waiting between the steps of an import (the one stash, capped and expiring).
    pub uploads: Arc<imports::UploadStash>,
    /// Live exercise runs: one broadcast channel per run for the Server-Sent Events streams.
    pub exercise_hub: Arc<live::ExerciseHub>,
    /// Requests counted by route shape and status, for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The places for requests worked on at once (overload protection).
    pub load: Arc<load::Limiter>,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig) -> AppState {
        let metrics = Arc::new(metrics::Metrics::default());
        let load = Arc::new(load::Limiter::new(
            config.max_in_flight,
            config.max_wait,
            metrics.shed_counter(),
        ));
        AppState {
            store,
            uploads: Arc::new(imports::UploadStash::new(
                config.max_pending_upload_bytes,
                imports::UPLOAD_LIFETIME,
            )),
            config: Arc::new(config),
            exercise_hub: Arc::default(),
            metrics,
            load,
        }
    }
}

pub use routes::{route_table, router, RouteInfo};

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let uploads = Arc::clone(&state.uploads);
    let videos = state.config.data_dir.join("videos");
    // Expired sessions are swept every ten minutes, and so are uploads a crash or a restart
    // left half-written (an upload in progress writes all the time; six hours untouched means
    // abandoned).
    let sweeper = tokio::spawn(async move {
        loop {
            let _ = mashboard_store::sign_in_sessions::delete_expired(&store).await;
            remove_abandoned_uploads(&videos, Duration::from_secs(6 * 3600));
            uploads.sweep();
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    });
    // On SQLite, the write-ahead log is emptied whenever it has grown past a limit: steady
    // reads keep SQLite's own checkpoint from ever starting the log again (see `wal.rs`).
    let wal_keeper = tokio::spawn(mashboard_store::wal::keep_small_every(
        state.store.clone(),
        mashboard_store::wal::LIMIT_BYTES,
        mashboard_store::wal::EVERY,
    ));
    // The dashboard's training effect, estimated again when the data moved by any route (see
    // `impact/warm.rs`).
    let effect_watch = tokio::spawn(impact::watch_data_version(
        state.store.clone(),
        impact::WATCH_EVERY,
    ));
    // On PostgreSQL, live exercise events travel between instances through the database.
    let relay = live::spawn_relay(Arc::clone(&state.exercise_hub), state.store.clone()).await;
    let app = router(state);
    let r = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    wal_keeper.abort();
    effect_watch.abort();
    if let Some(relay) = relay {
        relay.abort();
    }
    r
}

/// Serves `GET /metrics` alone (no token, no sessions) on its own address, for a monitoring
/// network that should not reach the service itself, until `shutdown` completes.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(metrics::scrape))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Removes `.upload-*.part` files in `dir` not written to for `idle`.
fn remove_abandoned_uploads(dir: &std::path::Path, idle: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".upload-") && name.ends_with(".part")) {
            continue;
        }
        let stale = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > idle);
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_untouched_half_written_uploads_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - Duration::from_secs(7 * 3600);
        for name in [".upload-old.part", ".upload-new.part", "kept.mp4"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        for name in [".upload-old.part", "kept.mp4"] {
            std::fs::File::options()
                .write(true)
                .open(dir.path().join(name))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        remove_abandoned_uploads(dir.path(), Duration::from_secs(6 * 3600));
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".upload-new.part", "kept.mp4"]);
    }
}
