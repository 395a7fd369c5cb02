//! Step 2: matching the file's columns to the fields of a record (the pipeline's one mapping
//! form, `crate::imports`).

#[allow(unused_imports)]
use super::*;

/// The mapping form for a training or CPD file.
pub(super) async fn mapping_page(
    state: &AppState,
    page: &TrainerPage,
    kind: ImportKind,
    upload: String,
    file_name: String,
    sheet: &Sheet,
    step: MappingStep,
) -> Result<Response, AppError> {
    let rows = sheet.rows.len();
    let above = match sheet.skipped_above {
        0 => String::new(),
        1 => " under 1 row of titles or notes".into(),
        n => format!(" under {n} rows of titles or notes"),
    };
    let intro = format!(
        "We found the header row{above}, and {rows} {} of data under it (read as {}). Check which column holds each thing: we have filled in our best guess. Nothing is saved until you have seen what the import would do.",
        if rows == 1 { "row" } else { "rows" },
        sheet.encoding
    );
    mapping_screen(
        &state.store,
        chrome(state, page, "Match the columns", false),
        kind,
        MappingScreen {
            base: "/training/import",
            action: "preview",
            kind_label: kind.label(),
            upload,
            file_name,
            intro,
        },
        &sheet.headers,
        sheet.rows.iter().cloned(),
        step,
    )
    .await
}
