//! Recorded videos, knowledge checks, session feedback and the delivery reports.

mod checks;
mod reports;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = checks::routes(t);
    reports::routes(t)
}
