//! Register import step 2: match the file's columns to the layout (the pipeline's one mapping
//! form, `crate::imports`).

use super::*;

pub(super) async fn mapping_page(
    state: &AppState,
    page: &ImportPage,
    kind: RegisterKind,
    upload: String,
    file_name: String,
    head: &Head,
    step: MappingStep,
) -> Result<Response, AppError> {
    let intro = format!(
        "This file's header is not the standard layout ({}), so say which of its columns holds each thing. We have filled in our best guess (read as {}). Nothing is saved until you have seen what the import would do.",
        kind.canonical_header().replace(',', ", "),
        head.encoding
    );
    mapping_screen(
        &state.store,
        import_chrome(state, page, "Match the columns", false),
        kind,
        MappingScreen {
            base: "/register/import",
            action: "map",
            kind_label: kind.label(),
            upload,
            file_name,
            intro,
        },
        &head.headers,
        head.sample.iter().cloned(),
        step,
    )
    .await
}
