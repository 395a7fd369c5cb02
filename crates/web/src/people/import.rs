//! Importing an HR export into the directory: upload, preview with per-row errors, then commit
//! all or nothing. Every step is in the audit trail, including rejected files.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::view::{html, Chrome, FormState};
use crate::{AppState, PendingUpload};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::Form;
use mashboard_domain::import::{parse_people, RowError, PEOPLE_COLUMNS};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people::{self, ImportError, ImportReport};
use rand::RngCore;
use std::sync::Arc;
use std::time::{Duration, Instant};

const UPLOAD_LIFETIME: Duration = Duration::from_secs(30 * 60);

#[derive(Template)]
#[template(path = "people/import_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
    columns: String,
}

#[derive(Template)]
#[template(path = "people/import_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    file_name: String,
    encoding: String,
    rows_read: usize,
    errors: Vec<RowError>,
    ignored_columns: Vec<String>,
    report: Option<ImportReport>,
    upload_key: String,
    committed: bool,
}

fn form_page(
    state: &AppState,
    page: &Page<cap::PeopleImport>,
    form: FormState,
) -> Result<Response, AppError> {
    let has_errors = form.has_errors();
    html(&FormPage {
        chrome: Chrome::new(
            state,
            "Import people",
            Some(&page.user),
            &page.csrf,
            "/people/import",
        )
        .with_errors(has_errors),
        form,
        columns: PEOPLE_COLUMNS.join(","),
    })
}

pub async fn form(
    State(state): State<AppState>,
    page: Page<cap::PeopleImport>,
) -> Result<Response, AppError> {
    form_page(&state, &page, FormState::default())
}

fn file_error(
    state: &AppState,
    page: &Page<cap::PeopleImport>,
    message: String,
) -> Result<Response, AppError> {
    let mut f = FormState::default();
    f.add_error("file", message);
    form_page(state, page, f)
}

/// Parses and checks the file against the directory without writing, and shows what would happen.
async fn check(
    state: &AppState,
    page: &Page<cap::PeopleImport>,
    file_name: &str,
    bytes: &[u8],
    commit: bool,
) -> Result<Result<(PreviewPage, bool), String>, AppError> {
    let parsed = match parse_people(bytes) {
        Ok(p) => p,
        Err(problem) => {
            audit_trail::record(
                &state.store,
                &page.user.actor(),
                Event::new(
                    "people.import_rejected",
                    format!("Rejected people file {file_name}: {problem}"),
                ),
            )
            .await?;
            return Ok(Err(problem.to_string()));
        }
    };
    let rows_read = parsed.people.len()
        + parsed
            .errors
            .iter()
            .map(|e| e.row)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
    let mut errors = parsed.errors.clone();
    let mut report = None;
    if errors.is_empty() {
        match people::import_file(
            &state.store,
            &page.user.actor(),
            &parsed,
            !commit,
            file_name,
        )
        .await
        {
            Ok(r) => report = Some(r),
            Err(ImportError::Rows(e)) => errors = e,
            Err(ImportError::Store(e)) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "people.import_rejected",
                format!(
                    "Rejected people file {file_name}: {} problems; nothing imported",
                    errors.len()
                ),
            )
            .after(&errors),
        )
        .await?;
    } else if !commit {
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "people.import_preview",
                format!("Previewed people file {file_name}"),
            )
            .after(&report),
        )
        .await?;
    }
    let clean = errors.is_empty();
    Ok(Ok((
        PreviewPage {
            chrome: Chrome::new(
                state,
                if commit {
                    "People imported"
                } else {
                    "Check the import"
                },
                Some(&page.user),
                &page.csrf,
                "/people/import",
            )
            .with_errors(!clean),
            file_name: file_name.to_string(),
            encoding: parsed.encoding.to_string(),
            rows_read,
            errors,
            ignored_columns: parsed.ignored_columns,
            report,
            upload_key: String::new(),
            committed: commit && clean,
        },
        clean,
    )))
}

pub async fn preview(
    State(state): State<AppState>,
    page: Page<cap::PeopleImport>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let Some((file_name, bytes)) = file.filter(|(n, b)| !n.is_empty() || !b.is_empty()) else {
        return file_error(&state, &page, "Select a CSV or Excel file".into());
    };
    let file_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    match check(&state, &page, &file_name, &bytes, false).await? {
        Err(message) => file_error(&state, &page, message),
        Ok((mut preview, clean)) => {
            if clean {
                let mut key = [0u8; 16];
                rand::rngs::OsRng.fill_bytes(&mut key);
                let key = hex::encode(key);
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
                preview.upload_key = key;
            }
            html(&preview)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CommitForm {
    #[serde(default)]
    upload: String,
}

pub async fn commit(
    State(state): State<AppState>,
    page: Page<cap::PeopleImport>,
    Form(f): Form<CommitForm>,
) -> Result<Response, AppError> {
    let pending = {
        let mut uploads = state.uploads.lock().expect("uploads lock");
        match uploads.get(&f.upload) {
            Some(u) if u.user_id == page.user.id && u.at.elapsed() < UPLOAD_LIFETIME => {
                uploads.remove(&f.upload)
            }
            _ => None,
        }
    };
    let Some(pending) = pending else {
        return file_error(
            &state,
            &page,
            "That preview has expired or was already imported. Upload the file again".into(),
        );
    };
    match check(&state, &page, &pending.file_name, &pending.bytes, true).await? {
        Err(message) => file_error(&state, &page, message),
        Ok((done, _)) => html(&done),
    }
}
