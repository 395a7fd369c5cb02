//! The people directory: browse, view, add and edit people, import them from an HR export,
//! and the same through `/api/v1/people`.

mod api;
mod import;
mod pages;

use crate::routes::{Access, Table};
use axum::routing::{get, post};
use mashboard_domain::access::Capability::{PeopleBrowse, PeopleEdit, PeopleImport};

pub(crate) fn routes(t: Table) -> Table {
    use Access::{Api, Page};
    t.get("/people", Page(PeopleBrowse), get(pages::list))
        .get("/people/new", Page(PeopleEdit), get(pages::new_form))
        .post("/people/new", Page(PeopleEdit), post(pages::create))
        .get("/people/import", Page(PeopleImport), get(import::form))
        .post(
            "/people/import",
            Page(PeopleImport),
            post(crate::imports::upload::<import::PeopleImports>),
        )
        .post(
            "/people/import/preview",
            Page(PeopleImport),
            post(crate::imports::preview::<import::PeopleImports>),
        )
        .post(
            "/people/import/commit",
            Page(PeopleImport),
            post(crate::imports::commit::<import::PeopleImports>),
        )
        .get(
            "/people/{staff_number}",
            Page(PeopleBrowse),
            get(pages::show),
        )
        .get(
            "/people/{staff_number}/edit",
            Page(PeopleEdit),
            get(pages::edit_form),
        )
        .post(
            "/people/{staff_number}/edit",
            Page(PeopleEdit),
            post(pages::update),
        )
        .get("/api/v1/people", Api(PeopleBrowse), get(api::people))
        .get(
            "/api/v1/people/{staff_number}",
            Api(PeopleBrowse),
            get(api::person),
        )
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::PeopleDoc as utoipa::OpenApi>::openapi()
}
