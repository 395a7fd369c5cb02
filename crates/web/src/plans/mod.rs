//! Training plans, completions and their two-party sign-off, as pages and through the API.

pub(crate) mod api;
pub(crate) mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}
