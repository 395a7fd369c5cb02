//! Register import step 1: choose what the file holds and upload it.

use super::*;

pub(super) struct KindChoice {
    value: &'static str,
    id: &'static str,
    label: &'static str,
    hint: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "register/register_import_form.html")]
pub(super) struct FormPage {
    chrome: Chrome,
    form: FormState,
    kinds: Vec<KindChoice>,
}

pub(super) fn form_page(
    state: &AppState,
    page: &ImportPage,
    form: FormState,
) -> Result<Response, AppError> {
    let errors = form.has_errors();
    let chosen = form.value("kind").to_string();
    let kinds = RegisterKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| KindChoice {
            value: k.as_str(),
            id: ["kind", "kind-referrals", "kind-outcomes", "kind-people"][i],
            label: k.label(),
            hint: format!("Columns: {}", k.canonical_header().replace(',', ", ")),
            checked: chosen == k.as_str(),
        })
        .collect();
    html(&FormPage {
        chrome: import_chrome(state, page, "Import the register", errors),
        form,
        kinds,
    })
}

pub(super) async fn form(
    State(state): State<AppState>,
    page: ImportPage,
) -> Result<Response, AppError> {
    form_page(&state, &page, FormState::default())
}

pub(super) fn file_error(
    state: &AppState,
    page: &ImportPage,
    kind: Option<RegisterKind>,
    message: String,
) -> Result<Response, AppError> {
    let mut f = FormState::default();
    f.set("kind", kind.map(RegisterKind::as_str).unwrap_or_default());
    f.add_error("file", message);
    form_page(state, page, f)
}

pub(super) fn reader(
    kind: RegisterKind,
    bytes: &[u8],
) -> Result<RegisterReader<&[u8]>, mashboard_domain::import::FileProblem> {
    RegisterReader::new(kind, bytes)
}

pub(super) async fn upload(
    State(state): State<AppState>,
    page: ImportPage,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut kind_text = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The upload could not be read: {e}"))
    };
    while let Some(part) = multipart.next_field().await.map_err(unreadable)? {
        match part.name() {
            Some("kind") => kind_text = part.text().await.map_err(unreadable)?,
            Some("file") => {
                let name = part.file_name().unwrap_or("upload").to_string();
                let bytes = part.bytes().await.map_err(unreadable)?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    let kind: Option<RegisterKind> = kind_text.parse().ok();
    let mut f = FormState::default();
    f.set("kind", kind_text.trim());
    if kind.is_none() {
        f.add_error("kind", "Select what the file holds");
    }
    let file = file.filter(|(n, b)| !n.is_empty() || !b.is_empty());
    if file.is_none() {
        f.add_error("file", "Select a CSV file");
    }
    let (Some(kind), Some((file_name, bytes))) = (kind, file) else {
        return form_page(&state, &page, f);
    };
    let file_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let r = match reader(kind, &bytes) {
        Ok(r) => r,
        Err(problem) => {
            audit_trail::record(
                &state.store,
                &page.user.actor(),
                Event::new(
                    "register.import_rejected",
                    format!("Rejected {} file {file_name}: {problem}", kind.as_str()),
                ),
            )
            .await?;
            return file_error(&state, &page, Some(kind), problem.to_string());
        }
    };
    let canonical = r.is_canonical();
    let mapping = r.mapping().clone();
    drop(r);
    let mut key = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut key);
    let key = hex::encode(key);
    let bytes = Arc::new(bytes);
    {
        let mut uploads = state.uploads.lock().expect("uploads lock");
        uploads.retain(|_, u| u.at.elapsed() < UPLOAD_LIFETIME);
        uploads.insert(
            key.clone(),
            PendingUpload {
                user_id: page.user.id,
                file_name: file_name.clone(),
                bytes: Arc::clone(&bytes),
                at: Instant::now(),
            },
        );
    }
    if canonical {
        return check_and_show(
            &state, &page, kind, &key, &file_name, &bytes, &mapping, false,
        )
        .await;
    }
    mapping_page(
        &state,
        &page,
        MappingStep {
            kind,
            upload: key,
            file_name,
            bytes,
            mapping,
            notes: Vec::new(),
            form: FormState::default(),
            loaded: String::new(),
        },
    )
    .await
}

/// The pending upload under `key`, if it is this user's and not too old. `take` removes it.
pub(super) fn pending(
    state: &AppState,
    page: &ImportPage,
    key: &str,
    take: bool,
) -> Option<PendingUpload> {
    let mut uploads = state.uploads.lock().expect("uploads lock");
    match uploads.get(key) {
        Some(u) if u.user_id == page.user.id && u.at.elapsed() < UPLOAD_LIFETIME => {
            if take {
                uploads.remove(key)
            } else {
                Some(u.clone())
            }
        }
        _ => None,
    }
}

pub(super) fn expired(
    state: &AppState,
    page: &ImportPage,
    kind: Option<RegisterKind>,
) -> Result<Response, AppError> {
    file_error(
        state,
        page,
        kind,
        "That upload has expired or was already imported. Upload the file again".into(),
    )
}
