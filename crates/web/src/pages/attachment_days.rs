//! (being written)

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    t
}
