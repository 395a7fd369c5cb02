//! Imports of existing training and CPD records: upload, column mapping, preview, commit.

pub(crate) mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
