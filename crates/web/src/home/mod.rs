//! The home page: what waits for the signed-in person, by role.

mod page;

use crate::routes::{Access, Table};
use axum::routing::get;
use mashboard_domain::access::Capability::SignedIn;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page;
    t.get("/", Page(SignedIn), get(page::show))
}
