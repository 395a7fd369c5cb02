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
    multipart: Multipart,
) -> Result<Response, AppError> {
    let up = read_upload(multipart).await?;
    let kind: Option<RegisterKind> = up.kind.parse().ok();
    let mut f = FormState::default();
    f.set("kind", up.kind.as_str());
    if kind.is_none() {
        f.add_error("kind", "Select what the file holds");
    }
    if up.file.is_none() {
        f.add_error("file", "Select a CSV file");
    }
    let (Some(kind), Some((file_name, bytes))) = (kind, up.file) else {
        return form_page(&state, &page, f);
    };
    let bytes = Arc::new(bytes);
    let head = match read_head(kind, &bytes).await? {
        Ok(h) => h,
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
    let key = match state
        .uploads
        .put(page.user.id, &file_name, Arc::clone(&bytes))
    {
        Ok(key) => key,
        Err(full) => return file_error(&state, &page, Some(kind), full.to_string()),
    };
    if head.canonical {
        return check_and_show(
            &state,
            &page,
            kind,
            &key,
            &file_name,
            &bytes,
            &head.mapping,
            false,
        )
        .await;
    }
    let step = MappingStep {
        mapping: head.mapping.clone(),
        ..Default::default()
    };
    mapping_page(&state, &page, kind, key, file_name, &head, step).await
}

/// What the mapping step needs from a register file: its header, first rows and encoding.
pub(super) struct Head {
    pub(super) headers: Vec<String>,
    pub(super) sample: Vec<(usize, Vec<String>)>,
    pub(super) encoding: &'static str,
    pub(super) canonical: bool,
    /// The mapping suggested from the headers.
    pub(super) mapping: RegisterMapping,
}

/// Reads a file's header and first rows off the async threads.
pub(super) async fn read_head(
    kind: RegisterKind,
    bytes: &Arc<Vec<u8>>,
) -> Result<Result<Head, mashboard_domain::import::FileProblem>, AppError> {
    let bytes = Arc::clone(bytes);
    off_thread(move || {
        let mut r = reader(kind, &bytes)?;
        let mut sample = Vec::new();
        while sample.len() < 3 {
            match r.next_raw() {
                Some(Ok(row)) => sample.push(row),
                _ => break,
            }
        }
        Ok(Head {
            headers: r.headers().to_vec(),
            sample,
            encoding: r.encoding(),
            canonical: r.is_canonical(),
            mapping: r.mapping().clone(),
        })
    })
    .await
}

pub(super) fn expired(
    state: &AppState,
    page: &ImportPage,
    kind: Option<RegisterKind>,
) -> Result<Response, AppError> {
    file_error(state, page, kind, crate::imports::EXPIRED.into())
}
