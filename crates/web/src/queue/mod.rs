//! The missing-referral queue: incidents that needed a referral and have none.

mod pages;

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    pages::routes(t)
}
