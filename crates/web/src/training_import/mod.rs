//! Imports of existing training and CPD records: upload, column mapping, preview, commit.

mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
