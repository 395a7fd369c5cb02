//! Coverage: who still needs the frontline input, and booking them.

pub(crate) mod api;
pub(crate) mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}
