//! Step 1: choosing and uploading a file; the upload waits in memory between steps.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "training_import/training_import_form.html")]
pub(super) struct FormPage {
    chrome: Chrome,
    form: FormState,
}

impl FormPage {
    fn kind_is(&self, kind: &str) -> bool {
        self.form.value("kind") == kind
    }
}

pub(super) fn form_page(
    state: &AppState,
    page: &TrainerPage,
    form: FormState,
) -> Result<Response, AppError> {
    let errors = form.has_errors();
    html(&FormPage {
        chrome: chrome(state, page, "Import training records", errors),
        form,
    })
}

pub async fn form(State(state): State<AppState>, page: TrainerPage) -> Result<Response, AppError> {
    form_page(&state, &page, FormState::default())
}

/// The upload form again, with a problem on the file.
pub(super) fn file_error(
    state: &AppState,
    page: &TrainerPage,
    kind: Option<ImportKind>,
    message: String,
) -> Result<Response, AppError> {
    let mut f = FormState::default();
    f.set("kind", kind.map(ImportKind::as_str).unwrap_or_default());
    f.add_error("file", message);
    form_page(state, page, f)
}

pub async fn upload(
    State(state): State<AppState>,
    page: TrainerPage,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let up = read_upload(multipart).await?;
    let kind: Option<ImportKind> = up.kind.parse().ok();
    let mut f = FormState::default();
    f.set("kind", up.kind.as_str());
    if kind.is_none() {
        f.add_error("kind", "Select what the file holds");
    }
    if up.file.is_none() {
        f.add_error("file", "Select a CSV or Excel file");
    }
    let (Some(kind), Some((file_name, bytes))) = (kind, up.file) else {
        return form_page(&state, &page, f);
    };
    let bytes = Arc::new(bytes);
    let read = Arc::clone(&bytes);
    let sheet = match off_thread(move || read_sheet(kind, &read)).await? {
        Ok(s) => s,
        Err(problem) => {
            audit_trail::record(
                &state.store,
                &page.user.actor(),
                Event::new(
                    rejected_action(kind),
                    format!("Rejected {} file {file_name}: {problem}", kind.as_str()),
                ),
            )
            .await?;
            return file_error(&state, &page, Some(kind), problem.to_string());
        }
    };
    let key = match state.uploads.put(page.user.id, &file_name, bytes) {
        Ok(key) => key,
        Err(full) => return file_error(&state, &page, Some(kind), full.to_string()),
    };
    let step = MappingStep::suggested(kind, &sheet.headers);
    mapping_page(&state, &page, kind, key, file_name, &sheet, step).await
}

pub(super) fn rejected_action(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Training => "training.import_rejected",
        ImportKind::Cpd => "cpd.import_rejected",
    }
}

pub(super) fn previewed_action(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Training => "training.import_preview",
        ImportKind::Cpd => "cpd.import_preview",
    }
}

pub(super) fn expired(
    state: &AppState,
    page: &TrainerPage,
    kind: Option<ImportKind>,
) -> Result<Response, AppError> {
    file_error(state, page, kind, crate::imports::EXPIRED.into())
}

// ---------------------------------------------------------------------------------------------
