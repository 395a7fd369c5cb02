//! (being written)

use crate::routes::Table;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi()]
pub struct ExercisesDoc;

pub(crate) fn routes(t: Table) -> Table {
    t
}
