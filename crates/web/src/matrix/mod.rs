//! The compliance matrix, reminders and the training summary, with their exports.

pub(crate) mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
