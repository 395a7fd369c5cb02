//! Health checks for load balancers and monitoring: `/healthz` (the process answers) and
//! `/readyz` (the database answers).

mod page;

use crate::routes::{Access, Table};
use axum::routing::get;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Public;
    t.get("/healthz", Public, get(page::healthz))
        .get("/readyz", Public, get(page::readyz))
}
