//! The landing page of each section of the navigation (Training, Delivery, Quality,
//! Administration; Impact's is the dashboard in `impact/`): the pages of that section the
//! signed-in person may open. The sections
//! themselves are data in `view::SECTIONS`.

mod page;

use crate::routes::{Access, Table};
use axum::routing::get;
use mashboard_domain::access::Capability::{CatalogueView, ExercisesTake, PeopleBrowse, SignedIn};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page;
    // Each landing page is guarded by its section's gate (`view::SECTIONS`), which a test in
    // `page.rs` keeps equal to the capability named here.
    t.get("/training", Page(CatalogueView), get(page::training))
        .get("/delivery", Page(ExercisesTake), get(page::delivery))
        .get("/quality", Page(SignedIn), get(page::quality))
        .get("/admin", Page(PeopleBrowse), get(page::admin))
}
