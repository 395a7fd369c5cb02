//! Warming the training effect after a write: a register import or a partner decision moves
//! `impact_data_version`, after which the dashboard's training effect would be estimated again
//! by the next request for it (seconds over two million referrals). Once the write has
//! committed, a background task estimates the force-wide default view (`/impact` with no
//! query: 1 January four years ago to today, FL-PPN) so that the next request finds it kept.
//!
//! The user's write never waits for it; a failure is only logged, without personal data. The
//! estimate is kept in this instance's memory (`impact::effect`), so the instance that took the
//! write is the one that warms it; on several instances sharing PostgreSQL the others estimate
//! on their first request as before.

use super::period::{default_from, DEFAULT_MODULE};
use crate::AppState;
use mashboard_store::impact::{self, Filter, Scope};
use mashboard_store::training::today;

/// The view warmed after a write: the force-wide dashboard as a senior leader first sees it.
pub(crate) fn default_view() -> (Filter, String) {
    let to = today();
    let filter = Filter {
        from: default_from(to),
        to,
        scope: Scope::Force,
    };
    (filter, DEFAULT_MODULE.to_string())
}

/// Starts warming in the background (call it after the write has committed) and returns at once.
pub(crate) fn after_write(state: &AppState) {
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = impact::warm_effect(&store, &[default_view()]).await {
            // The error names what failed (a database error), never a row's contents.
            tracing::warn!(error = %e, "could not estimate the training effect again after a write; the next dashboard request will");
        }
    });
}
