//! (being written)

use crate::routes::Table;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi()]
pub struct SessionsDoc;

pub(crate) fn routes(t: Table) -> Table {
    t
}
