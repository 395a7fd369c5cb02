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
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut kind_text = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The upload could not be read: {e}"))
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("kind") => kind_text = field.text().await.map_err(unreadable)?,
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field.bytes().await.map_err(unreadable)?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let kind: Option<ImportKind> = kind_text.parse().ok();
    let mut f = FormState::default();
    f.set("kind", kind_text.trim());
    if kind.is_none() {
        f.add_error("kind", "Select what the file holds");
    }
    let file = file.filter(|(n, b)| !n.is_empty() || !b.is_empty());
    if file.is_none() {
        f.add_error("file", "Select a CSV or Excel file");
    }
    let (Some(kind), Some((file_name, bytes))) = (kind, file) else {
        return form_page(&state, &page, f);
    };
    let file_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let sheet = match read_sheet(kind, &bytes) {
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
    let mut key = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let key = hex::encode(key);
    {
        let mut uploads = state.uploads.lock().expect("uploads lock");
        uploads.retain(|_, u| u.at.elapsed() < UPLOAD_LIFETIME);
        uploads.insert(
            key.clone(),
            PendingUpload {
                user_id: page.user.id,
                file_name: file_name.clone(),
                bytes: Arc::new(bytes),
                at: Instant::now(),
            },
        );
    }
    let mapping = suggest_mapping(kind, &sheet.headers);
    mapping_page(
        &state,
        &page,
        MappingStep {
            kind,
            upload: key,
            file_name,
            sheet,
            mapping,
            notes: Vec::new(),
            form: FormState::default(),
            loaded: String::new(),
        },
    )
    .await
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

/// The pending upload under `key`, if it is this user's and not too old. `take` removes it.
pub(super) fn pending(
    state: &AppState,
    page: &TrainerPage,
    key: &str,
    take: bool,
) -> Option<PendingUpload> {
    let mut uploads = state.uploads.lock().expect("uploads lock");
    match uploads.get(key) {
        Some(u) if u.user_id == page.user.id && u.at.elapsed() < UPLOAD_LIFETIME => {
            if take {
                uploads.remove(key)
            } else {
                Some(PendingUpload {
                    user_id: u.user_id,
                    file_name: u.file_name.clone(),
                    bytes: Arc::clone(&u.bytes),
                    at: u.at,
                })
            }
        }
        _ => None,
    }
}

pub(super) fn expired(
    state: &AppState,
    page: &TrainerPage,
    kind: Option<ImportKind>,
) -> Result<Response, AppError> {
    file_error(
        state,
        page,
        kind,
        "That upload has expired or was already imported. Upload the file again".into(),
    )
}

// ---------------------------------------------------------------------------------------------
