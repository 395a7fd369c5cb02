//! Imports of existing training and CPD records, through the one import pipeline
//! (`crate::imports`): upload, column mapping, preview, commit. This folder holds the routes,
//! the upload form and what is particular to the two kinds (`kinds.rs`).

mod kinds;

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::imports::{commit, preview, upload, ImportKinds};
use crate::routes::{Access, Table};
use crate::view::FormState;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use kinds::TrainingImports;
use mashboard_domain::access::Capability;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::TrainingManage as Manage;
    t.get("/training/import", P(Manage), get(form))
        .post(
            "/training/import",
            P(Manage),
            post(upload::<TrainingImports>),
        )
        .post(
            "/training/import/preview",
            P(Manage),
            post(preview::<TrainingImports>),
        )
        .post(
            "/training/import/commit",
            P(Manage),
            post(commit::<TrainingImports>),
        )
}

pub async fn form(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    TrainingImports::upload_form(&state, &page, FormState::default())
}
