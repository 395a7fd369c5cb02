//! Importing an HR export into the directory: upload, preview with per-row errors, then commit
//! all or nothing. Every step is in the audit trail, including rejected files.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::field;
use crate::imports::{
    mapping_screen, mapping_step, off_thread, read_upload, MappingScreen, MappingStep, Step,
};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::Form;
use mashboard_domain::import::mapping::{suggest_mapping, Mapping};
use mashboard_domain::import::{
    parse_people_mapped, read_table, FileProblem, People, RowError, Table, PEOPLE_COLUMNS,
};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people::{self, ImportError, ImportReport};
use std::sync::Arc;

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
    /// The column mapping used, for the commit (empty for the standard header).
    mapping: String,
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
    bytes: &Arc<Vec<u8>>,
    mapping: Option<&Mapping>,
    commit: bool,
) -> Result<Result<(PreviewPage, bool), String>, AppError> {
    let read = Arc::clone(bytes);
    let owned = mapping.cloned();
    let parsed = off_thread(move || parse_people_mapped(&read, owned.as_ref())).await?;
    let parsed = match parsed {
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
            mapping: mapping.map(Mapping::encode).unwrap_or_default(),
            committed: commit && clean,
        },
        clean,
    )))
}

/// Step 1: the upload. A file with the standard header goes straight to the check; one whose
/// header names at least two of the fields some other way goes to the column mapping.
pub async fn upload(
    State(state): State<AppState>,
    page: Page<cap::PeopleImport>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let Some((file_name, bytes)) = read_upload(multipart).await?.file else {
        return file_error(&state, &page, "Select a CSV or Excel file".into());
    };
    let bytes = Arc::new(bytes);
    let read = Arc::clone(&bytes);
    if let Ok(Ok(table)) = off_thread(move || read_table(&read)).await {
        if needs_mapping(&table) {
            let key = match state.uploads.put(page.user.id, &file_name, bytes) {
                Ok(key) => key,
                Err(full) => return file_error(&state, &page, full.to_string()),
            };
            let step = MappingStep::suggested(People, &table.headers);
            return mapping_page(&state, &page, key, file_name, &table, step).await;
        }
    }
    match check(&state, &page, &file_name, &bytes, None, false).await? {
        Err(message) => file_error(&state, &page, message),
        Ok((mut preview, clean)) => {
            if clean {
                match state.uploads.put(page.user.id, &file_name, bytes) {
                    Ok(key) => preview.upload_key = key,
                    Err(full) => return file_error(&state, &page, full.to_string()),
                }
            }
            html(&preview)
        }
    }
}

/// A header that is not the standard one but names at least two of the fields.
fn needs_mapping(table: &Table) -> bool {
    let missing = matches!(
        mashboard_domain::import::check_people_header(&table.headers),
        Err(FileProblem::MissingColumns(_))
    );
    missing && suggest_mapping(People, &table.headers).pairs().len() >= 2
}

async fn mapping_page(
    state: &AppState,
    page: &Page<cap::PeopleImport>,
    upload: String,
    file_name: String,
    table: &Table,
    step: MappingStep,
) -> Result<Response, AppError> {
    let intro = format!(
        "This file's header is not the standard layout ({}), so say which of its columns holds each thing. We have filled in our best guess (read as {}). Nothing is saved until you have seen what the import would do.",
        PEOPLE_COLUMNS.join(", "),
        table.encoding
    );
    mapping_screen(
        &state.store,
        Chrome::new(
            state,
            "Match the columns",
            Some(&page.user),
            &page.csrf,
            "/people/import",
        ),
        People,
        MappingScreen {
            base: "/people/import",
            action: "map",
            kind_label: "People",
            upload,
            file_name,
            intro,
        },
        &table.headers,
        table.rows.iter().cloned(),
        step,
    )
    .await
}

/// Step 2: the column mapping posted; a mapping that fits goes to the check.
pub async fn preview(
    State(state): State<AppState>,
    page: Page<cap::PeopleImport>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let upload = field(&pairs, "upload");
    let Some(pending) = state.uploads.get(&upload, page.user.id) else {
        return expired(&state, &page);
    };
    let read = Arc::clone(&pending.bytes);
    let table = match off_thread(move || read_table(&read)).await? {
        Ok(t) => t,
        Err(problem) => return file_error(&state, &page, problem.to_string()),
    };
    let actor = page.user.actor();
    let mapping = match mapping_step(&state.store, &actor, People, &table.headers, &pairs).await? {
        Step::Form(step) => {
            return mapping_page(&state, &page, upload, pending.file_name, &table, step).await
        }
        Step::Ready { mapping, .. } => mapping,
    };
    let name = &pending.file_name;
    match check(&state, &page, name, &pending.bytes, Some(&mapping), false).await? {
        Err(message) => file_error(&state, &page, message),
        Ok((mut preview, clean)) => {
            if clean {
                preview.upload_key = upload;
            }
            html(&preview)
        }
    }
}

fn expired(state: &AppState, page: &Page<cap::PeopleImport>) -> Result<Response, AppError> {
    file_error(
        state,
        page,
        "That preview has expired or was already imported. Upload the file again".into(),
    )
}

#[derive(serde::Deserialize)]
pub struct CommitForm {
    #[serde(default)]
    upload: String,
    #[serde(default)]
    mapping: String,
}

pub async fn commit(
    State(state): State<AppState>,
    page: Page<cap::PeopleImport>,
    Form(f): Form<CommitForm>,
) -> Result<Response, AppError> {
    let mapping = if f.mapping.trim().is_empty() {
        None
    } else {
        match Mapping::parse(People, &f.mapping) {
            Ok(m) => Some(m),
            Err(_) => return expired(&state, &page),
        }
    };
    let Some(pending) = state.uploads.take(&f.upload, page.user.id) else {
        return expired(&state, &page);
    };
    let name = &pending.file_name;
    match check(&state, &page, name, &pending.bytes, mapping.as_ref(), true).await? {
        Err(message) => file_error(&state, &page, message),
        Ok((done, _)) => html(&done),
    }
}
