//! The compliance matrix, reminders and the training summary, with their exports.

mod pages;

pub(crate) use pages::notice_count;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
