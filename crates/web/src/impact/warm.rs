//! Warming the training effect after a write: a register import or a partner decision moves
//! `impact_data_version`, after which the dashboard's training effect would be estimated again
//! by the next request for it (seconds over two million referrals). Once the write has
//! committed, a background task estimates the force-wide default view (`/impact` with no
//! query: 1 January four years ago to today, FL-PPN) so that the next request finds it kept.
//!
//! The user's write never waits for it; a failure is only logged, without personal data. The
//! estimate is kept in this instance's memory and in a table every instance reads
//! (`impact::effect`).
//!
//! A change that came another way (`mashboard import` on the command line, a write through
//! another instance) is caught by [`watch`], which `serve` runs: once a minute it reads the data
//! version and, when it moved, warms the same view, one instance at a time.

use super::period::{default_from, DEFAULT_MODULE};
use crate::AppState;
use mashboard_store::impact::{self, Filter, Scope};
use mashboard_store::jobs::{self, Job};
use mashboard_store::training::today;
use mashboard_store::Store;
use std::time::Duration;

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

/// How often `serve` looks whether the data moved ([`watch`]).
pub const WATCH_EVERY: Duration = Duration::from_secs(60);

/// Every `every`, reads `impact_data_version` (one small read) and, when it has moved since the
/// default view's training effect was kept, estimates it again, so the next request finds it
/// kept whoever made the change. With several instances on one PostgreSQL one of them estimates
/// (`jobs::exclusively`) and writes it to the shared table, where the others find it at their
/// next look. Runs until aborted; failures are logged without personal data and tried again.
pub async fn watch(store: Store, every: Duration) {
    // The first look comes after `every`, not at start: a restart finds its estimate in the
    // table, and a request just after start should not share the database with an estimate.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let version = match impact::data_version(&store).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the impact data version");
                continue;
            }
        };
        let (filter, module) = default_view();
        if impact::effect_kept_version(&store, &filter, &module) == Some(version) {
            continue;
        }
        let warmed = jobs::exclusively(&store, Job::EffectWarm, async {
            impact::warm_effect(&store, &[default_view()]).await
        })
        .await;
        match warmed {
            Ok(Some(Err(e))) | Err(e) => {
                tracing::warn!(error = %e, "could not estimate the training effect again after the data moved; the next dashboard request will");
            }
            _ => {}
        }
    }
}
