//! Step 3: checking every row and showing what the import would do.

#[allow(unused_imports)]
use super::*;

/// A row of the report as the page shows it.
pub(super) struct OutcomeView {
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
pub(super) struct PreviewPage {
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
pub(super) struct Checked {
    columns: Vec<(&'static str, String)>,
    ignored_columns: Vec<String>,
    notes: Vec<String>,
    warnings: Vec<RowError>,
    result: Result<ImportReport, Vec<RowError>>,
}

/// Parses the sheet with the mapping and runs the import (a dry run unless `commit`). A mapping
/// that does not fit is an `Err` with its problems by field.
pub(super) async fn run(
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
            audit_trail::record(
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
            audit_trail::record(
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
pub(super) struct PreviewInput<'a> {
    pub(super) kind: ImportKind,
    pub(super) file_name: String,
    pub(super) sheet: &'a Sheet,
    pub(super) checked: Checked,
    /// The pending upload to commit; empty after a commit.
    pub(super) upload: String,
    pub(super) mapping: &'a Mapping,
    pub(super) saved_as: String,
    pub(super) commit: bool,
}

pub(super) fn preview_page(
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
    let (Some(kind), Some(pending)) = (kind, state.uploads.get(&upload, page.user.id)) else {
        return expired(&state, &page, kind);
    };
    let read = Arc::clone(&pending.bytes);
    let sheet = match off_thread(move || read_sheet(kind, &read)).await? {
        Ok(s) => s,
        Err(problem) => return file_error(&state, &page, Some(kind), problem.to_string()),
    };
    let back = |step: MappingStep| {
        mapping_page(
            &state,
            &page,
            kind,
            upload.clone(),
            pending.file_name.clone(),
            &sheet,
            step,
        )
    };
    let (mapping, saved_as) = match mapping_step(
        &state.store,
        &page.user.actor(),
        kind,
        &sheet.headers,
        &pairs,
    )
    .await?
    {
        Step::Form(step) => return back(step).await,
        Step::Ready { mapping, saved_as } => (mapping, saved_as),
    };
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
            let mut form = FormState::default();
            for (id, message) in problems {
                form.add_error(&id, message);
            }
            back(MappingStep {
                mapping: mapping.clone(),
                form,
                ..Default::default()
            })
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
