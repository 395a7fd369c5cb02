//! Adding the starter catalogue from the (empty) catalogue page.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use mashboard_store::training::starter::add_starter;
use mashboard_store::training::today;

/// Adds the starter catalogue and goes back to the catalogue, which says what was added.
pub async fn add(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    let r = add_starter(&state.store, &page.user.actor(), today()).await?;
    Ok(Redirect::to(&format!(
        "/training/modules?starter_modules={}&starter_programmes={}&starter_kept={}",
        r.modules_added.len(),
        r.programmes_added.len(),
        r.modules_kept.len() + r.programmes_kept.len()
    ))
    .into_response())
}
