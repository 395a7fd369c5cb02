//! Importing the team's training record and CPD spreadsheets, for trainers:
//!
//! 1. `GET /training/import`: choose what the file is and upload it.
//! 2. `POST /training/import`: the file is kept for 30 minutes (in `state.uploads`) and its
//!    columns are matched to the fields: a `<select>` per field, pre-filled from the headers or
//!    from a saved mapping, and a name to save the mapping under.
//! 3. `POST /training/import/preview`: the mapping is applied and the import run as a dry run;
//!    the page shows every problem (row, column, reason) or what would be created, changed,
//!    left alone and skipped.
//! 4. `POST /training/import/commit`: the same, for real, all or nothing.
//!
//! The parsing is `mashboard_domain::training_import`'s and the import the store's
//! (`mashboard_store::training::import`), so the CLI and these pages give the same answers.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::field;
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::{AppState, PendingUpload};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::import::RowError;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::training_import::{
    check_mapping_name, parse_cpd, parse_training, read_sheet, resolve_mapping, suggest_mapping,
    ImportKind, Mapping, Sheet,
};
use mashboard_store::audit::{self, Event};
use mashboard_store::training::import::{self, ImportError, ImportReport, RowOutcome};
use mashboard_store::StoreError;
use rand::RngCore;
use std::sync::Arc;
use std::time::{Duration, Instant};

const UPLOAD_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Rows shown in the preview's table of outcomes; the counts always cover every row.
const MAX_ROWS_SHOWN: usize = 500;
/// Rows of the file shown under the mapping form, to help choose the columns.
const SAMPLE_ROWS: usize = 3;
const SAMPLE_CELL_CHARS: usize = 40;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::TrainingManage as Manage;
    t.get("/training/import", P(Manage), get(form))
        .post("/training/import", P(Manage), post(upload))
        .post("/training/import/preview", P(Manage), post(preview))
        .post("/training/import/commit", P(Manage), post(commit))
}

type TrainerPage = Page<cap::TrainingManage>;

fn chrome(state: &AppState, page: &TrainerPage, title: &str, errors: bool) -> Chrome {
    Chrome::new(
        state,
        title,
        Some(&page.user),
        &page.csrf,
        "/training/import",
    )
    .with_errors(errors)
}

// ---------------------------------------------------------------------------------------------
// Step 1: choose and upload

#[derive(Template)]
#[template(path = "training_import/training_import_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
}

impl FormPage {
    fn kind_is(&self, kind: &str) -> bool {
        self.form.value("kind") == kind
    }
}

fn form_page(state: &AppState, page: &TrainerPage, form: FormState) -> Result<Response, AppError> {
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
fn file_error(
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
            audit::record(
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

fn rejected_action(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Training => "training.import_rejected",
        ImportKind::Cpd => "cpd.import_rejected",
    }
}

fn previewed_action(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Training => "training.import_preview",
        ImportKind::Cpd => "cpd.import_preview",
    }
}

/// The pending upload under `key`, if it is this user's and not too old. `take` removes it.
fn pending(state: &AppState, page: &TrainerPage, key: &str, take: bool) -> Option<PendingUpload> {
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

fn expired(
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
// Step 2: match the columns

/// One `<option>` of a column `<select>`.
struct Choice {
    value: String,
    text: String,
    selected: bool,
}

/// One field of the mapping form.
struct FieldChoice {
    /// The form field's name and the select's id: `map_staff_number`.
    id: String,
    label: &'static str,
    hint: &'static str,
    required: bool,
    choices: Vec<Choice>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "training_import/training_import_mapping.html")]
struct MappingPage {
    chrome: Chrome,
    form: FormState,
    kind: &'static str,
    kind_label: &'static str,
    upload: String,
    file_name: String,
    encoding: &'static str,
    rows_read: usize,
    skipped_above: usize,
    fields: Vec<FieldChoice>,
    notes: Vec<String>,
    saved: Vec<String>,
    loaded: String,
    sample_headers: Vec<String>,
    sample: Vec<(usize, Vec<String>)>,
}

struct MappingStep {
    kind: ImportKind,
    upload: String,
    file_name: String,
    sheet: Sheet,
    mapping: Mapping,
    notes: Vec<String>,
    /// Errors (on `map_*` and `save_as`) and the name typed to save under.
    form: FormState,
    /// The saved mapping just loaded, if any.
    loaded: String,
}

fn shorten(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > SAMPLE_CELL_CHARS {
        let cut: String = s.chars().take(SAMPLE_CELL_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        s
    }
}

async fn mapping_page(
    state: &AppState,
    page: &TrainerPage,
    step: MappingStep,
) -> Result<Response, AppError> {
    let MappingStep {
        kind,
        upload,
        file_name,
        sheet,
        mapping,
        notes,
        form,
        loaded,
    } = step;
    let columns = sheet.columns();
    let fields = kind
        .fields()
        .iter()
        .map(|f| {
            let id = format!("map_{}", f.key);
            let selected = mapping.get(f.key).unwrap_or("");
            let mut choices = vec![Choice {
                value: String::new(),
                text: if f.required {
                    "Choose a column".into()
                } else {
                    "Not in this file".into()
                },
                selected: selected.is_empty(),
            }];
            choices.extend(columns.iter().map(|(key, name)| Choice {
                value: key.clone(),
                text: name.clone(),
                selected: key == selected,
            }));
            FieldChoice {
                error: form.error(&id).map(str::to_string),
                id,
                label: f.label,
                hint: f.hint,
                required: f.required,
                choices,
            }
        })
        .collect();
    let saved = import::mappings(&state.store, kind)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let sample_headers = sheet
        .headers
        .iter()
        .map(|h| {
            if h.is_empty() {
                "(no header)".to_string()
            } else {
                h.clone()
            }
        })
        .collect();
    let width = sheet.headers.len();
    let sample = sheet
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .map(|(row, cells)| {
            let cells = (0..width)
                .map(|i| shorten(cells.get(i).map_or("", String::as_str)))
                .collect();
            (*row, cells)
        })
        .collect();
    let errors = form.has_errors();
    html(&MappingPage {
        chrome: chrome(state, page, "Match the columns", errors),
        form,
        kind: kind.as_str(),
        kind_label: kind.label(),
        upload,
        file_name,
        encoding: sheet.encoding,
        rows_read: sheet.rows.len(),
        skipped_above: sheet.skipped_above,
        fields,
        notes,
        saved,
        loaded,
        sample_headers,
        sample,
    })
}

// ---------------------------------------------------------------------------------------------
// Steps 3 and 4: preview and commit

/// A row of the report as the page shows it.
struct OutcomeView {
    row: usize,
    person: String,
    what: String,
    on: String,
    label: &'static str,
    tag: &'static str,
    note: String,
}

impl From<&RowOutcome> for OutcomeView {
    fn from(o: &RowOutcome) -> Self {
        OutcomeView {
            row: o.row,
            person: format!("{} ({})", o.person_name, o.staff_number),
            what: o.what.clone(),
            on: parse_date(&o.on)
                .map(format_date_long)
                .unwrap_or_else(|_| o.on.clone()),
            label: o.outcome.label(),
            tag: o.outcome.tag_class(),
            note: o.note.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "training_import/training_import_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    kind: &'static str,
    kind_label: &'static str,
    noun: &'static str,
    file_name: String,
    encoding: &'static str,
    rows_read: usize,
    columns: Vec<(&'static str, String)>,
    ignored_columns: Vec<String>,
    notes: Vec<String>,
    saved_as: String,
    errors: Vec<RowError>,
    warnings: Vec<RowError>,
    report: Option<ImportReport>,
    outcomes: Vec<OutcomeView>,
    hidden_rows: usize,
    upload: String,
    mapping: String,
    committed: bool,
}

/// The result of applying a mapping to a file: the parsed rows' warnings and notes, and the
/// store's answer.
struct Checked {
    columns: Vec<(&'static str, String)>,
    ignored_columns: Vec<String>,
    notes: Vec<String>,
    warnings: Vec<RowError>,
    result: Result<ImportReport, Vec<RowError>>,
}

/// Parses the sheet with the mapping and runs the import (a dry run unless `commit`). A mapping
/// that does not fit is an `Err` with its problems by field.
async fn run(
    state: &AppState,
    page: &TrainerPage,
    kind: ImportKind,
    sheet: &Sheet,
    mapping: &Mapping,
    file_name: &str,
    commit: bool,
) -> Result<Result<Checked, Vec<(String, String)>>, AppError> {
    let today = mashboard_store::training::today();
    let actor = page.user.actor();
    let mapping_errors = |e: Vec<mashboard_domain::training_import::MappingError>| {
        e.into_iter()
            .map(|e| (format!("map_{}", e.field), e.message))
            .collect::<Vec<_>>()
    };
    let (parsed_parts, result) = match kind {
        ImportKind::Training => match parse_training(sheet, mapping, today) {
            Err(e) => return Ok(Err(mapping_errors(e))),
            Ok(p) => {
                let r = import::import_training(&state.store, &actor, &p, !commit, file_name).await;
                ((p.columns, p.ignored_columns, p.notes, p.warnings), r)
            }
        },
        ImportKind::Cpd => match parse_cpd(sheet, mapping, today) {
            Err(e) => return Ok(Err(mapping_errors(e))),
            Ok(p) => {
                let r = import::import_cpd(&state.store, &actor, &p, !commit, file_name).await;
                ((p.columns, p.ignored_columns, p.notes, p.warnings), r)
            }
        },
    };
    let result = match result {
        Ok(r) => Ok(r),
        Err(ImportError::Rows(rows)) => Err(rows),
        Err(ImportError::Store(e)) => return Err(e.into()),
    };
    let (columns, ignored_columns, notes, warnings) = parsed_parts;
    match &result {
        Err(rows) => {
            audit::record(
                &state.store,
                &actor,
                Event::new(
                    rejected_action(kind),
                    format!(
                        "Rejected {} file {file_name}: {} problems; nothing imported",
                        kind.as_str(),
                        rows.len()
                    ),
                )
                .after(rows),
            )
            .await?;
        }
        Ok(report) if !commit => {
            audit::record(
                &state.store,
                &actor,
                Event::new(
                    previewed_action(kind),
                    format!(
                        "Previewed {} file {file_name}: {}",
                        kind.as_str(),
                        report.summary()
                    ),
                ),
            )
            .await?;
        }
        Ok(_) => {}
    }
    Ok(Ok(Checked {
        columns,
        ignored_columns,
        notes,
        warnings,
        result,
    }))
}

/// What the preview (or, after a commit, the report) page shows.
struct PreviewInput<'a> {
    kind: ImportKind,
    file_name: String,
    sheet: &'a Sheet,
    checked: Checked,
    /// The pending upload to commit; empty after a commit.
    upload: String,
    mapping: &'a Mapping,
    saved_as: String,
    commit: bool,
}

fn preview_page(
    state: &AppState,
    page: &TrainerPage,
    o: PreviewInput<'_>,
) -> Result<Response, AppError> {
    let PreviewInput {
        kind,
        file_name,
        sheet,
        checked,
        upload,
        mapping,
        saved_as,
        commit,
    } = o;
    let (errors, report) = match checked.result {
        Ok(r) => (Vec::new(), Some(r)),
        Err(e) => (e, None),
    };
    let clean = errors.is_empty();
    let outcomes: Vec<OutcomeView> = report
        .iter()
        .flat_map(|r| r.rows.iter().take(MAX_ROWS_SHOWN).map(OutcomeView::from))
        .collect();
    let hidden_rows = report
        .as_ref()
        .map_or(0, |r| r.rows.len().saturating_sub(MAX_ROWS_SHOWN));
    let title = match (commit && clean, clean) {
        (true, _) => "Import complete",
        (false, true) => "Check the import",
        (false, false) => "The file cannot be imported",
    };
    let columns = checked
        .columns
        .into_iter()
        .map(|(f, h)| (kind.field(f).map_or(f, |f| f.label), h))
        .collect();
    html(&PreviewPage {
        chrome: chrome(state, page, title, !clean),
        kind: kind.as_str(),
        kind_label: kind.label(),
        noun: match kind {
            ImportKind::Training => "completions",
            ImportKind::Cpd => "CPD entries",
        },
        file_name,
        encoding: sheet.encoding,
        rows_read: sheet.rows.len(),
        columns,
        ignored_columns: checked.ignored_columns,
        notes: checked.notes,
        saved_as,
        errors,
        warnings: checked.warnings,
        report,
        outcomes,
        hidden_rows,
        upload,
        mapping: mapping.encode(),
        committed: commit && clean,
    })
}

pub async fn preview(
    State(state): State<AppState>,
    page: TrainerPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind: Option<ImportKind> = field(&pairs, "kind").parse().ok();
    let upload = field(&pairs, "upload");
    let (Some(kind), Some(pending)) = (kind, pending(&state, &page, &upload, false)) else {
        return expired(&state, &page, kind);
    };
    let sheet = match read_sheet(kind, &pending.bytes) {
        Ok(s) => s,
        Err(problem) => return file_error(&state, &page, Some(kind), problem.to_string()),
    };
    let step =
        |mapping: Mapping, notes: Vec<String>, form: FormState, loaded: String| MappingStep {
            kind,
            upload: upload.clone(),
            file_name: pending.file_name.clone(),
            sheet: sheet.clone(),
            mapping,
            notes,
            form,
            loaded,
        };

    // "Change the columns" from the preview: back to the form with the mapping as it was.
    if field(&pairs, "action") == "edit" {
        let mapping = Mapping::parse(kind, &field(&pairs, "mapping"))
            .map(|m| m.fit(kind, &sheet).0)
            .unwrap_or_else(|_| suggest_mapping(kind, &sheet.headers));
        return mapping_page(
            &state,
            &page,
            step(mapping, Vec::new(), FormState::default(), String::new()),
        )
        .await;
    }

    // "Use this mapping": fill the form from a saved mapping.
    if field(&pairs, "action") == "load" {
        let name = field(&pairs, "saved");
        let mut form = FormState::default();
        let saved = import::mapping(&state.store, kind, &name).await?;
        let Some(saved) = saved else {
            form.add_error("saved", "Choose a saved mapping");
            let mapping = suggest_mapping(kind, &sheet.headers);
            return mapping_page(
                &state,
                &page,
                step(mapping, Vec::new(), form, String::new()),
            )
            .await;
        };
        let (mapping, notes) = match saved.parsed(kind) {
            Ok(m) => m.fit(kind, &sheet),
            Err(e) => (
                suggest_mapping(kind, &sheet.headers),
                vec![format!(
                    "The saved mapping \"{}\" cannot be used: {e}",
                    saved.name
                )],
            ),
        };
        form.set("save_as", saved.name.clone());
        return mapping_page(&state, &page, step(mapping, notes, form, saved.name)).await;
    }

    // The mapping as chosen on the form.
    let mut mapping = Mapping::default();
    let mut form = FormState::default();
    for f in kind.fields() {
        let id = format!("map_{}", f.key);
        let chosen = field(&pairs, &id);
        if !chosen.is_empty() && sheet.position(&chosen).is_none() {
            form.add_error(
                &id,
                format!(
                    "Choose one of the file's columns for the {}",
                    f.label.to_lowercase()
                ),
            );
            continue;
        }
        // A field of the kind itself, so this cannot fail.
        let _ = mapping.set(kind, f.key, &chosen);
    }
    if let Err(problems) = resolve_mapping(kind, &sheet, &mapping) {
        for p in problems {
            let id = format!("map_{}", p.field);
            if form.error(&id).is_none() {
                form.add_error(&id, p.message);
            }
        }
    }
    let save_as = field(&pairs, "save_as");
    form.set("save_as", save_as.clone());
    let mut saved_as = String::new();
    if !save_as.is_empty() {
        match check_mapping_name(&save_as) {
            Err(e) => form.add_error("save_as", e),
            Ok(name) => saved_as = name,
        }
    }
    if form.has_errors() {
        let errors = order_errors(kind, form);
        return mapping_page(
            &state,
            &page,
            step(mapping, Vec::new(), errors, String::new()),
        )
        .await;
    }
    if !saved_as.is_empty() {
        match import::save_mapping(&state.store, &page.user.actor(), kind, &saved_as, &mapping)
            .await
        {
            Ok(saved) => saved_as = saved.name,
            Err(StoreError::Invalid(e)) => {
                form.add_error("save_as", e);
                return mapping_page(
                    &state,
                    &page,
                    step(mapping, Vec::new(), form, String::new()),
                )
                .await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    match run(
        &state,
        &page,
        kind,
        &sheet,
        &mapping,
        &pending.file_name,
        false,
    )
    .await?
    {
        Err(problems) => {
            for (id, message) in problems {
                form.add_error(&id, message);
            }
            mapping_page(
                &state,
                &page,
                step(mapping, Vec::new(), form, String::new()),
            )
            .await
        }
        Ok(checked) => preview_page(
            &state,
            &page,
            PreviewInput {
                kind,
                file_name: pending.file_name.clone(),
                sheet: &sheet,
                checked,
                upload,
                mapping: &mapping,
                saved_as,
                commit: false,
            },
        ),
    }
}

/// Errors in the order of the form: the fields, then the name to save under.
fn order_errors(kind: ImportKind, form: FormState) -> FormState {
    let mut ordered = FormState {
        values: form.values.clone(),
        errors: Vec::new(),
    };
    let order: Vec<String> = kind
        .fields()
        .iter()
        .map(|f| format!("map_{}", f.key))
        .chain(["save_as".to_string()])
        .collect();
    for id in order {
        if let Some(e) = form.error(&id) {
            ordered.add_error(&id, e);
        }
    }
    ordered
}

pub async fn commit(
    State(state): State<AppState>,
    page: TrainerPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind: Option<ImportKind> = field(&pairs, "kind").parse().ok();
    let upload = field(&pairs, "upload");
    let Some(kind) = kind else {
        return expired(&state, &page, None);
    };
    let Ok(mapping) = Mapping::parse(kind, &field(&pairs, "mapping")) else {
        return expired(&state, &page, Some(kind));
    };
    let Some(pending) = pending(&state, &page, &upload, true) else {
        return expired(&state, &page, Some(kind));
    };
    let sheet = match read_sheet(kind, &pending.bytes) {
        Ok(s) => s,
        Err(problem) => return file_error(&state, &page, Some(kind), problem.to_string()),
    };
    match run(
        &state,
        &page,
        kind,
        &sheet,
        &mapping,
        &pending.file_name,
        true,
    )
    .await?
    {
        Err(problems) => file_error(
            &state,
            &page,
            Some(kind),
            problems
                .into_iter()
                .map(|(_, m)| m)
                .next()
                .unwrap_or_else(|| "The columns no longer match the file".into()),
        ),
        Ok(checked) => preview_page(
            &state,
            &page,
            PreviewInput {
                kind,
                file_name: pending.file_name.clone(),
                sheet: &sheet,
                checked,
                upload: String::new(),
                mapping: &mapping,
                saved_as: String::new(),
                commit: true,
            },
        ),
    }
}
