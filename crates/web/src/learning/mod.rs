//! Recorded videos, knowledge checks, session feedback and the delivery reports.

pub(crate) mod checks;
pub(crate) mod reports;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    let t = checks::routes(t);
    reports::routes(t)
}
