//! The incident and referral register: imports from records-management exports, browsing.

mod api;
mod filters;
mod incident;
mod incidents;
mod kinds;
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

use filters::ListFilters;
use incident::incident;
use incidents::incidents;
use kinds::*;
use referral::referral;
use referrals::{referrals, ReferralRow};
use upload::*;

// The pages' shared imports and helpers; each screen's file takes them with `use super::*`.
// The incident and referral register: imports of records-management exports, and read-only
// pages to find and read incidents and referrals.
//
// Imports (Capability `RegisterImport`) go through the one import pipeline (`crate::imports`):
// `GET /register/import` chooses what the file holds (the four records-management exports, or
// the history files of past audits and reviews, `kinds.rs`) and uploads it; upload, column
// mapping, preview (a dry run: counts, every problem by row and field, warnings, the first
// rows) and commit (all or nothing) are the pipeline's handlers.
//
// Browsing (Capability `RegisterView`): `/register/referrals` and `/register/incidents` with
// filters and pages, and one page per record (the view is audited).

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::{field, query_pairs};
use crate::imports;
use crate::routes::{Access, Table};
use crate::view::path_segment;
use crate::view::{html, page_start, Chrome, FormState, PageLinks};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use mashboard_domain::access::Capability;
use mashboard_domain::people::parse_date;
use mashboard_domain::register::{
    format_datetime_long, PartnerOutcome, RegisterKind, RegisterReader,
};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::keyset::{Count, PageStart};
use mashboard_store::register::{
    self, Incident, IncidentQuery, NamedPerson, RecordedOutcome, Referral, ReferralQuery,
    ReferralSummary,
};
#[allow(unused_imports)]
use mashboard_store::StoreError;
use std::sync::Arc;

const PER_PAGE: i64 = 50;

fn page_routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{RegisterImport as Import, RegisterView as View};
    t.get("/register/import", P(Import), get(form))
        .post(
            "/register/import",
            P(Import),
            post(imports::upload::<RegisterImports>),
        )
        .post(
            "/register/import/preview",
            P(Import),
            post(imports::preview::<RegisterImports>),
        )
        .post(
            "/register/import/commit",
            P(Import),
            post(imports::commit::<RegisterImports>),
        )
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
