//! Liveness and readiness for load balancers and orchestrators.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;

/// 200 while the process is up.
pub async fn healthz() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok")
}

/// 200 only when the database answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.store.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
