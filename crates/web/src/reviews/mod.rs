//! Quarterly referral quality reviews: sampling, blind grading by the panel, results.

pub(crate) mod api;
pub(crate) mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = api::routes(t);
    pages::routes(t)
}
