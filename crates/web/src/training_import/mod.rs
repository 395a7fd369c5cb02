//! Imports of existing training and CPD records, in four steps: upload, column mapping, preview,
//! commit. Routes live here with what the steps share.

mod commit;
mod mapping;
mod preview;
mod upload;

#[allow(unused_imports)]
use commit::*;
#[allow(unused_imports)]
use mapping::*;
#[allow(unused_imports)]
use preview::*;
#[allow(unused_imports)]
use upload::*;

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::field;
use crate::imports::{
    mapping_screen, mapping_step, off_thread, read_upload, MappingScreen, MappingStep, Step,
};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::import::RowError;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::training_import::{
    parse_cpd, parse_training, read_sheet, ImportKind, Mapping, Sheet,
};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::training::import::{self, ImportError, ImportReport, RowOutcome};
#[allow(unused_imports)]
use mashboard_store::StoreError;
use std::sync::Arc;

/// Rows shown in the preview's table of outcomes; the counts always cover every row.
pub(super) const MAX_ROWS_SHOWN: usize = 500;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::TrainingManage as Manage;
    t.get("/training/import", P(Manage), get(form))
        .post("/training/import", P(Manage), post(upload))
        .post("/training/import/preview", P(Manage), post(preview))
        .post("/training/import/commit", P(Manage), post(commit))
}

type TrainerPage = Page<cap::TrainingManage>;

pub(super) fn chrome(state: &AppState, page: &TrainerPage, title: &str, errors: bool) -> Chrome {
    Chrome::new(
        state,
        title,
        Some(&page.user),
        &page.csrf,
        "/training/import",
    )
    .with_errors(errors)
}

// ---------------------------------------------------------------------------------------------
