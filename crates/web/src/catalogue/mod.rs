//! The module catalogue, role programmes and guidance changes.

mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
