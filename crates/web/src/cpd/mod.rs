//! The CPD log and its verification by line managers.

mod pages;

pub(crate) use pages::status_label;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
