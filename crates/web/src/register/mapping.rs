//! Register import step 2: match the file's columns to the layout.

use super::*;

pub(super) struct Choice {
    value: String,
    text: String,
    selected: bool,
}

pub(super) struct FieldChoice {
    id: String,
    label: &'static str,
    hint: &'static str,
    required: bool,
    choices: Vec<Choice>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "register/register_import_mapping.html")]
pub(super) struct MappingPage {
    chrome: Chrome,
    form: FormState,
    kind: &'static str,
    kind_label: &'static str,
    canonical: String,
    upload: String,
    file_name: String,
    encoding: &'static str,
    fields: Vec<FieldChoice>,
    notes: Vec<String>,
    saved: Vec<String>,
    loaded: String,
    sample_headers: Vec<String>,
    sample: Vec<(usize, Vec<String>)>,
}

pub(super) struct MappingStep {
    pub(super) kind: RegisterKind,
    pub(super) upload: String,
    pub(super) file_name: String,
    pub(super) bytes: Arc<Vec<u8>>,
    pub(super) mapping: RegisterMapping,
    pub(super) notes: Vec<String>,
    pub(super) form: FormState,
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
    page: &ImportPage,
    step: MappingStep,
) -> Result<Response, AppError> {
    let MappingStep {
        kind,
        upload,
        file_name,
        bytes,
        mapping,
        notes,
        form,
        loaded,
    } = step;
    let mut r = match reader(kind, &bytes) {
        Ok(r) => r,
        Err(problem) => return file_error(state, page, Some(kind), problem.to_string()),
    };
    let headers = r.headers().to_vec();
    let columns: Vec<(String, String)> = headers
        .iter()
        .filter(|h| !h.is_empty())
        .map(|h| (mashboard_domain::training_import::header_key(h), h.clone()))
        .collect();
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
    let saved = register::mappings(&state.store, kind)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let width = headers.len();
    let mut sample = Vec::new();
    while sample.len() < SAMPLE_ROWS {
        match r.next_raw() {
            Some(Ok((row, cells))) => sample.push((
                row,
                (0..width)
                    .map(|i| shorten(cells.get(i).map_or("", String::as_str)))
                    .collect(),
            )),
            _ => break,
        }
    }
    let encoding = r.encoding();
    let sample_headers = headers
        .iter()
        .map(|h| {
            if h.is_empty() {
                "(no header)".to_string()
            } else {
                h.clone()
            }
        })
        .collect();
    let errors = form.has_errors();
    html(&MappingPage {
        chrome: import_chrome(state, page, "Match the columns", errors),
        form,
        kind: kind.as_str(),
        kind_label: kind.label(),
        canonical: kind.canonical_header().replace(',', ", "),
        upload,
        file_name,
        encoding,
        fields,
        notes,
        saved,
        loaded,
        sample_headers,
        sample,
    })
}
