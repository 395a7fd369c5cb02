//! Training records pages: a person's plan, my training, completions and sign-off.

use crate::routes::Table;

pub(crate) fn routes(t: Table) -> Table {
    t
}
