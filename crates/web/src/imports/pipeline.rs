//! The one upload, preview and commit of every import. A capability describes its kinds of file
//! once, by implementing [`ImportKinds`] (where its pages live, its upload form, how to read a
//! file's header, how to check or import it and what that did); the handlers here do the rest,
//! the same way for every kind:
//!
//! 1. `POST {BASE}`: [`upload`] reads the form, reads the file's header off the async threads and
//!    keeps the file in the stash. A file in the kind's own layout goes straight to the check;
//!    any other to the column mapping (`imports/mapping.html`).
//! 2. `POST {BASE}/preview`: [`preview`] takes the mapping form's answer and, once the mapping
//!    fits, runs the import as a dry run: counts of new, changed and unchanged records, every
//!    problem by row, field and reason, warnings, and the rows (`imports/preview.html`).
//! 3. `POST {BASE}/commit`: [`commit`] runs it for real, all or nothing, and shows the same page
//!    as the result. The upload leaves the stash, so the same upload is not imported twice;
//!    importing the same file again reports every row as already up to date.

use super::mapping::{mapping_screen, mapping_step, MappingScreen, MappingStep, Step};
use super::{off_thread, read_upload, EXPIRED};
use crate::auth::{Cap, Page};
use crate::error::AppError;
use crate::form::field;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::Form;
use mashboard_domain::imports::mapping::{Layout, Mapping};
use mashboard_domain::imports::{FileProblem, RowError};
use mashboard_store::audit_trail::{self, Actor, Event};
use std::future::Future;
use std::sync::Arc;

/// Rows shown in the preview's table; the counts always cover every row.
pub const MAX_ROWS_SHOWN: usize = 500;

/// The kinds of file one import page takes, and what is particular to each: its field list
/// (through [`Layout`]) and its row rules (through [`ImportKinds::check`]).
pub trait ImportKinds: Send + Sync + 'static {
    /// Who may use the page.
    type Cap: Cap;
    type Kind: Layout + Send + Sync + 'static;
    /// The upload page, e.g. `/register/import`; the steps post to `{BASE}/preview` and
    /// `{BASE}/commit`.
    const BASE: &'static str;
    /// What the upload form says when no file was chosen.
    const NO_FILE: &'static str;
    /// Where to go once the import is done, besides another import: (path, words).
    const DONE_LINKS: &'static [(&'static str, &'static str)] = &[];
    /// The kind named by the upload form's `kind` field (a page with one kind ignores it).
    fn kind(value: &str) -> Option<Self::Kind>;
    /// The `kind` field's value for a kind.
    fn kind_value(kind: Self::Kind) -> &'static str;
    /// The words above the preview's heading: "Incidents".
    fn kind_label(kind: Self::Kind) -> &'static str;
    /// The audit trail's action for a file of this kind refused: `register.import_rejected`.
    fn rejected_action(kind: Self::Kind) -> &'static str;
    /// The page frame of every step.
    fn chrome(state: &AppState, page: &Page<Self::Cap>, title: &str) -> Chrome;
    /// The upload form, with the values and errors given.
    fn upload_form(
        state: &AppState,
        page: &Page<Self::Cap>,
        form: FormState,
    ) -> Result<Response, AppError>;
    /// Reads a file's header and first rows (run off the async threads).
    fn head(kind: Self::Kind, bytes: &[u8]) -> Result<Head, FileProblem>;
    /// Checks the file with the mapping and imports it, or on a dry run (`commit` false) says
    /// what the import would do. Records its own audit events.
    fn check(
        state: &AppState,
        actor: &Actor,
        kind: Self::Kind,
        file: &File,
        mapping: &Mapping,
        commit: bool,
    ) -> impl Future<Output = Result<Checked, AppError>> + Send;
}

/// An uploaded file: its name and bytes.
pub struct File {
    pub name: String,
    pub bytes: Arc<Vec<u8>>,
}

/// What the mapping step needs from a file.
pub struct Head {
    pub headers: Vec<String>,
    /// The first rows, with their row numbers.
    pub sample: Vec<(usize, Vec<String>)>,
    /// The paragraph under the mapping form's heading: what was found in the file.
    pub intro: String,
    /// The mapping suggested from the headers.
    pub suggested: Mapping,
    /// A file in the kind's own layout skips the mapping form and is checked with this mapping
    /// (empty: the kind's standard header).
    pub direct: Option<Mapping>,
}

/// What a check found.
pub enum Checked {
    /// The file as a whole cannot be read: back to the upload form with this message.
    File(String),
    /// The columns chosen do not fit: back to the mapping form, with errors by form field.
    Mapping(Vec<(String, String)>),
    /// Row by row, what the import did or would do.
    Report(Box<Report>),
}

/// What an import did, or would do, in the terms every kind shares.
#[derive(Default)]
pub struct Report {
    pub encoding: String,
    pub rows_read: usize,
    /// (field label, the file's header) for each field read.
    pub columns: Vec<(String, String)>,
    pub ignored_columns: Vec<String>,
    pub notes: Vec<String>,
    /// Problems by row and field (the first ones); any stops the import.
    pub errors: Vec<RowError>,
    /// How many problems in all.
    pub error_count: usize,
    pub warnings: Vec<RowError>,
    pub warning_count: usize,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    /// The records, one and many: ("new incident", "new incidents").
    pub noun: (&'static str, &'static str),
    /// What happens to skipped rows: "will be kept as recorded in mashboard".
    pub skipped_means: &'static str,
    /// The rows, as the kind shows them.
    pub rows: Rows,
}

/// The table of rows on the preview.
#[derive(Default)]
pub struct Rows {
    pub headers: Vec<&'static str>,
    pub rows: Vec<RowView>,
    /// Rows not shown.
    pub hidden: usize,
}

pub struct RowView {
    pub row: usize,
    pub cells: Vec<String>,
    /// What happened to the row, when the kind says it row by row.
    pub outcome: Option<Outcome>,
}

pub struct Outcome {
    pub label: &'static str,
    pub class: &'static str,
    pub note: String,
}

impl Report {
    pub fn added(&self) -> &'static str {
        if self.created == 1 {
            self.noun.0
        } else {
            self.noun.1
        }
    }

    /// "4 new, 0 changed, 2 already up to date".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} new, {} changed, {} already up to date",
            self.created, self.updated, self.unchanged
        );
        if self.skipped > 0 {
            s.push_str(&format!(", {} skipped", self.skipped));
        }
        s
    }
}

#[derive(Template)]
#[template(path = "imports/preview.html")]
struct PreviewPage {
    chrome: Chrome,
    base: &'static str,
    done_links: &'static [(&'static str, &'static str)],
    kind: &'static str,
    kind_label: &'static str,
    file_name: String,
    report: Report,
    more_errors: usize,
    more_warnings: usize,
    /// The pending upload to commit; empty after a commit.
    upload: String,
    mapping: String,
    saved_as: String,
    committed: bool,
}

/// The upload form again, with a problem on the file.
fn file_error<K: ImportKinds>(
    state: &AppState,
    page: &Page<K::Cap>,
    kind: Option<K::Kind>,
    message: String,
) -> Result<Response, AppError> {
    let mut f = FormState::default();
    f.set("kind", kind.map(K::kind_value).unwrap_or_default());
    f.add_error("file", message);
    K::upload_form(state, page, f)
}

fn expired<K: ImportKinds>(
    state: &AppState,
    page: &Page<K::Cap>,
    kind: Option<K::Kind>,
) -> Result<Response, AppError> {
    file_error::<K>(state, page, kind, EXPIRED.into())
}

async fn read_head<K: ImportKinds>(
    kind: K::Kind,
    bytes: &Arc<Vec<u8>>,
) -> Result<Result<Head, FileProblem>, AppError> {
    let read = Arc::clone(bytes);
    off_thread(move || K::head(kind, &read)).await
}

async fn mapping_page<K: ImportKinds>(
    state: &AppState,
    page: &Page<K::Cap>,
    kind: K::Kind,
    upload: String,
    file_name: String,
    head: &Head,
    step: MappingStep,
) -> Result<Response, AppError> {
    mapping_screen(
        &state.store,
        K::chrome(state, page, "Match the columns"),
        kind,
        MappingScreen {
            base: K::BASE,
            kind_value: K::kind_value(kind),
            kind_label: K::kind_label(kind),
            upload,
            file_name,
            intro: head.intro.clone(),
        },
        &head.headers,
        head.sample.iter().cloned(),
        step,
    )
    .await
}

/// Checks (or with `commit`, imports) the file and shows what that did.
#[allow(clippy::too_many_arguments)]
async fn check_and_show<K: ImportKinds>(
    state: &AppState,
    page: &Page<K::Cap>,
    kind: K::Kind,
    upload: String,
    file: File,
    mapping: Mapping,
    saved_as: String,
    commit: bool,
) -> Result<Response, AppError> {
    let actor = page.user.actor();
    let report = match K::check(state, &actor, kind, &file, &mapping, commit).await? {
        Checked::Report(r) => *r,
        Checked::File(message) => return file_error::<K>(state, page, Some(kind), message),
        Checked::Mapping(problems) => {
            let head = match read_head::<K>(kind, &file.bytes).await? {
                Ok(head) if !commit => head,
                _ => {
                    let message = problems.into_iter().map(|(_, m)| m).next();
                    let message =
                        message.unwrap_or_else(|| "The columns no longer match the file".into());
                    return file_error::<K>(state, page, Some(kind), message);
                }
            };
            let mut form = FormState::default();
            for (id, message) in problems {
                form.add_error(&id, message);
            }
            let step = MappingStep {
                mapping,
                form,
                ..Default::default()
            };
            return mapping_page::<K>(state, page, kind, upload, file.name, &head, step).await;
        }
    };
    let clean = report.errors.is_empty();
    let committed = commit && clean;
    let title = match (committed, clean) {
        (true, _) => "Import complete",
        (false, true) => "Check the import",
        (false, false) => "The file cannot be imported",
    };
    html(&PreviewPage {
        chrome: K::chrome(state, page, title).with_errors(!clean),
        base: K::BASE,
        done_links: K::DONE_LINKS,
        kind: K::kind_value(kind),
        kind_label: K::kind_label(kind),
        file_name: file.name,
        more_errors: report.error_count.saturating_sub(report.errors.len()),
        more_warnings: report.warning_count.saturating_sub(report.warnings.len()),
        report,
        upload: if commit { String::new() } else { upload },
        mapping: mapping.encode(),
        saved_as,
        committed,
    })
}

/// Step 1: the upload.
pub async fn upload<K: ImportKinds>(
    State(state): State<AppState>,
    page: Page<K::Cap>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let up = read_upload(multipart).await?;
    let kind = K::kind(&up.kind);
    let mut f = FormState::default();
    f.set("kind", up.kind.as_str());
    if kind.is_none() {
        f.add_error("kind", "Select what the file holds");
    }
    if up.file.is_none() {
        f.add_error("file", K::NO_FILE);
    }
    let (Some(kind), Some((name, bytes))) = (kind, up.file) else {
        return K::upload_form(&state, &page, f);
    };
    let bytes = Arc::new(bytes);
    let head = match read_head::<K>(kind, &bytes).await? {
        Ok(head) => head,
        Err(problem) => {
            audit_trail::record(
                &state.store,
                &page.user.actor(),
                Event::new(
                    K::rejected_action(kind),
                    format!("Rejected {} file {name}: {problem}", kind.name()),
                ),
            )
            .await?;
            return file_error::<K>(&state, &page, Some(kind), problem.to_string());
        }
    };
    let key = match state.uploads.put(page.user.id, &name, Arc::clone(&bytes)) {
        Ok(key) => key,
        Err(full) => return file_error::<K>(&state, &page, Some(kind), full.to_string()),
    };
    match head.direct.clone() {
        Some(mapping) => {
            let file = File { name, bytes };
            check_and_show::<K>(
                &state,
                &page,
                kind,
                key,
                file,
                mapping,
                String::new(),
                false,
            )
            .await
        }
        None => {
            let step = MappingStep {
                mapping: head.suggested.clone(),
                ..Default::default()
            };
            mapping_page::<K>(&state, &page, kind, key, name, &head, step).await
        }
    }
}

/// Step 2: the column mapping's answer; a mapping that fits goes to the check (a dry run).
pub async fn preview<K: ImportKinds>(
    State(state): State<AppState>,
    page: Page<K::Cap>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind = K::kind(&field(&pairs, "kind"));
    let upload = field(&pairs, "upload");
    let (Some(kind), Some(pending)) = (kind, state.uploads.get(&upload, page.user.id)) else {
        return expired::<K>(&state, &page, kind);
    };
    let head = match read_head::<K>(kind, &pending.bytes).await? {
        Ok(head) => head,
        Err(problem) => return file_error::<K>(&state, &page, Some(kind), problem.to_string()),
    };
    let actor = page.user.actor();
    let step = mapping_step(&state.store, &actor, kind, &head.headers, &pairs).await?;
    let (mapping, saved_as) = match step {
        Step::Form(step) => {
            let name = pending.file_name;
            return mapping_page::<K>(&state, &page, kind, upload, name, &head, step).await;
        }
        Step::Ready { mapping, saved_as } => (mapping, saved_as),
    };
    let file = File {
        name: pending.file_name,
        bytes: pending.bytes,
    };
    check_and_show::<K>(&state, &page, kind, upload, file, mapping, saved_as, false).await
}

/// Step 3: the import, all or nothing.
pub async fn commit<K: ImportKinds>(
    State(state): State<AppState>,
    page: Page<K::Cap>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some(kind) = K::kind(&field(&pairs, "kind")) else {
        return expired::<K>(&state, &page, None);
    };
    let Ok(mapping) = Mapping::parse(kind, &field(&pairs, "mapping")) else {
        return expired::<K>(&state, &page, Some(kind));
    };
    let upload = field(&pairs, "upload");
    let Some(pending) = state.uploads.take(&upload, page.user.id) else {
        return expired::<K>(&state, &page, Some(kind));
    };
    let file = File {
        name: pending.file_name,
        bytes: pending.bytes,
    };
    check_and_show::<K>(
        &state,
        &page,
        kind,
        upload,
        file,
        mapping,
        String::new(),
        true,
    )
    .await
}

/// Records a rejected file (`actions.0`, with its problems) or a preview (`actions.1`), for
/// kinds whose store does not; `name` is the kind's name in the summary.
pub async fn audit_check(
    state: &AppState,
    actor: &Actor,
    actions: (&'static str, &'static str),
    name: &str,
    file_name: &str,
    errors: &[RowError],
    summary: Option<String>,
) -> Result<(), AppError> {
    let event = if errors.is_empty() {
        let Some(summary) = summary else {
            return Ok(());
        };
        Event::new(
            actions.1,
            format!("Previewed {name} file {file_name}: {summary}"),
        )
    } else {
        Event::new(
            actions.0,
            format!(
                "Rejected {name} file {file_name}: {} problems; nothing imported",
                errors.len()
            ),
        )
        .after(&errors)
    };
    audit_trail::record(&state.store, actor, event).await?;
    Ok(())
}
