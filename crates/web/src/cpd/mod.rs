//! The CPD log and its verification by line managers.

pub(crate) mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
