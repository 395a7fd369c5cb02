//! Partner organisations, their contacts and the partner training exchange.

pub(crate) mod api;
pub(crate) mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}
