//! Step 2: matching the file's columns to the fields of a record.

#[allow(unused_imports)]
use super::*;

/// One `<option>` of a column `<select>`.
pub(super) struct Choice {
    value: String,
    text: String,
    selected: bool,
}

/// One field of the mapping form.
pub(super) struct FieldChoice {
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
pub(super) struct MappingPage {
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

pub(super) struct MappingStep {
    pub(super) kind: ImportKind,
    pub(super) upload: String,
    pub(super) file_name: String,
    pub(super) sheet: Sheet,
    pub(super) mapping: Mapping,
    pub(super) notes: Vec<String>,
    /// Errors (on `map_*` and `save_as`) and the name typed to save under.
    pub(super) form: FormState,
    /// The saved mapping just loaded, if any.
    pub(super) loaded: String,
}

pub(super) fn shorten(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > SAMPLE_CELL_CHARS {
        let cut: String = s.chars().take(SAMPLE_CELL_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        s
    }
}

pub(super) async fn mapping_page(
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
