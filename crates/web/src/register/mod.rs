//! The incident and referral register: imports from records-management exports, browsing.

mod api;
mod check;
mod filters;
mod incident;
mod incidents;
mod mapping;
mod referral;
mod referrals;
mod upload;

pub(crate) fn routes(t: Table) -> Table {
    let t = page_routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::RegisterDoc as utoipa::OpenApi>::openapi()
}

use check::*;
use filters::ListFilters;
use incident::incident;
use incidents::incidents;
use mapping::*;
use referral::referral;
use referrals::{referrals, ReferralRow};
use upload::*;

// The pages' shared imports and helpers; each screen's file takes them with `use super::*`.
// The incident and referral register: imports of records-management exports, and read-only
// pages to find and read incidents and referrals.
//
// Imports (Capability `RegisterImport`), modelled on the training import:
//
// 1. `GET /register/import`: choose what the file holds and upload it (CSV).
// 2. `POST /register/import`: the file is kept for 30 minutes (`state.uploads`). A file in the
//    canonical layout goes straight to the check; any other is matched column by column, with
//    suggestions from the headers, a saved mapping to load, and a name to save it under.
// 3. `POST /register/import/preview`: the import is run as a dry run: counts, every problem by
//    row and column (the first 100), warnings, and the first rows.
// 4. `POST /register/import/commit`: the same for real, all or nothing.
//
// Browsing (Capability `RegisterView`): `/register/referrals` and `/register/incidents` with
// filters and pages, and one page per record (the view is audited).

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::{field, query_pairs};
use crate::imports::{
    mapping_screen, mapping_step, off_thread, read_upload, MappingScreen, MappingStep, Step,
};
use crate::routes::{Access, Table};
use crate::view::path_segment;
use crate::view::{html, Chrome, FormState, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::parse_date;
use mashboard_domain::register::{
    format_datetime_long, PartnerOutcome, RegisterKind, RegisterMapping, RegisterReader,
};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::register::{
    self, Incident, IncidentQuery, NamedPerson, PreviewRow, RecordedOutcome, Referral,
    ReferralQuery, ReferralSummary, RegisterReport,
};
#[allow(unused_imports)]
use mashboard_store::StoreError;
use std::sync::Arc;

const PER_PAGE: i64 = 50;

fn page_routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{RegisterImport as Import, RegisterView as View};
    t.get("/register/import", P(Import), get(form))
        .post("/register/import", P(Import), post(upload))
        .post("/register/import/preview", P(Import), post(preview))
        .post("/register/import/commit", P(Import), post(commit))
        .get("/register/referrals", P(View), get(referrals))
        .get("/register/referrals/{referral_ref}", P(View), get(referral))
        .get("/register/incidents", P(View), get(incidents))
        .get("/register/incidents/{incident_ref}", P(View), get(incident))
}

type ImportPage = Page<cap::RegisterImport>;
type ViewPage = Page<cap::RegisterView>;

fn import_chrome(state: &AppState, page: &ImportPage, title: &str, errors: bool) -> Chrome {
    Chrome::new(
        state,
        title,
        Some(&page.user),
        &page.csrf,
        "/register/referrals",
    )
    .with_errors(errors)
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn references_are_safe_in_a_path() {
        assert_eq!(path_segment("INC-2024/17 a"), "INC-2024%2F17%20a");
        assert_eq!(path_segment("PPN_1.2~x"), "PPN_1.2~x");
        assert_eq!(path_segment("Café"), "Caf%C3%A9");
    }
}
