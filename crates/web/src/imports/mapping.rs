//! The column-mapping step of every import: the form (one `<select>` of the file's columns per
//! field of the kind, a saved mapping to load, a name to save under) and reading it back.

use crate::error::AppError;
use crate::form::field;
use crate::view::{html, Chrome, FormState};
use askama::Template;
use axum::response::Response;
use mashboard_domain::imports::mapping::{
    check_mapping_name, header_key, resolve_mapping, suggest_mapping, Layout, Mapping,
};
use mashboard_store::audit_trail::Actor;
use mashboard_store::{imports, Store, StoreError};

/// Rows of the file shown under the mapping form, to help choose the columns.
const SAMPLE_ROWS: usize = 3;
const SAMPLE_CELL_CHARS: usize = 40;

/// The mapping form's state: the mapping shown, notes about it, errors, the saved mapping loaded.
#[derive(Debug, Default)]
pub struct MappingStep {
    pub mapping: Mapping,
    pub notes: Vec<String>,
    /// Errors (on `map_*`, `saved` and `save_as`) and the name typed to save under.
    pub form: FormState,
    /// The saved mapping just loaded, if any.
    pub loaded: String,
}

/// What the mapping form's answer leads to.
pub enum Step {
    /// Show the form again (edited, loaded, or with errors).
    Form(MappingStep),
    /// The mapping fits the file (and was saved under `saved_as`, if a name was given).
    Ready { mapping: Mapping, saved_as: String },
}

/// Reads a post of the mapping form (`action`: `edit` from the preview, `load` a saved
/// mapping, anything else the columns chosen) against the file's headers; saves the mapping
/// when a name is given and it fits.
pub async fn mapping_step<L: Layout>(
    store: &Store,
    actor: &Actor,
    kind: L,
    headers: &[String],
    pairs: &[(String, String)],
) -> Result<Step, AppError> {
    match field(pairs, "action").as_str() {
        // "Change the columns" from the preview: back to the form with the mapping as it was.
        "edit" => {
            let mapping = Mapping::parse(kind, &field(pairs, "mapping"))
                .map(|m| m.fit(kind, headers).0)
                .ok()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| suggest_mapping(kind, headers));
            return Ok(Step::Form(MappingStep {
                mapping,
                ..Default::default()
            }));
        }
        // "Use this mapping": fill the form from a saved mapping.
        "load" => {
            let name = field(pairs, "saved");
            let mut step = MappingStep::default();
            let Some(saved) = imports::mapping(store, kind, &name).await? else {
                step.form.add_error("saved", "Choose a saved mapping");
                step.mapping = suggest_mapping(kind, headers);
                return Ok(Step::Form(step));
            };
            (step.mapping, step.notes) = match saved.parsed(kind) {
                Ok(m) => m.fit(kind, headers),
                Err(e) => (
                    suggest_mapping(kind, headers),
                    vec![format!(
                        "The saved mapping \"{}\" cannot be used: {e}",
                        saved.name
                    )],
                ),
            };
            step.form.set("save_as", saved.name.clone());
            step.loaded = saved.name;
            return Ok(Step::Form(step));
        }
        _ => {}
    }

    // The mapping as chosen on the form.
    let keys: Vec<String> = headers.iter().map(|h| header_key(h)).collect();
    let mut mapping = Mapping::default();
    let mut form = FormState::default();
    for f in kind.fields() {
        let id = format!("map_{}", f.key);
        let chosen = field(pairs, &id);
        if !chosen.is_empty() && !keys.contains(&chosen) {
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
    if let Err(problems) = resolve_mapping(kind, headers, &mapping) {
        for p in problems {
            let id = format!("map_{}", p.field);
            if form.error(&id).is_none() {
                form.add_error(&id, p.message);
            }
        }
    }
    let save_as = field(pairs, "save_as");
    form.set("save_as", save_as.clone());
    let mut saved_as = String::new();
    if !save_as.is_empty() {
        match check_mapping_name(&save_as) {
            Err(e) => form.add_error("save_as", e),
            Ok(name) => saved_as = name,
        }
    }
    if form.has_errors() {
        return Ok(Step::Form(MappingStep {
            mapping,
            form: order_errors(kind, form),
            ..Default::default()
        }));
    }
    if !saved_as.is_empty() {
        match imports::save_mapping(store, actor, kind, &saved_as, &mapping).await {
            Ok(saved) => saved_as = saved.name,
            Err(StoreError::Invalid(e)) => {
                form.add_error("save_as", e);
                return Ok(Step::Form(MappingStep {
                    mapping,
                    form,
                    ..Default::default()
                }));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Step::Ready { mapping, saved_as })
}

/// Errors in the order of the form: the fields, then the name to save under.
fn order_errors<L: Layout>(kind: L, form: FormState) -> FormState {
    let mut ordered = FormState {
        values: form.values.clone(),
        errors: Vec::new(),
    };
    let order = kind
        .fields()
        .iter()
        .map(|f| format!("map_{}", f.key))
        .chain(["saved".to_string(), "save_as".to_string()]);
    for id in order {
        if let Some(e) = form.error(&id) {
            ordered.add_error(&id, e);
        }
    }
    ordered
}

/// One `<option>` of a column `<select>`.
pub struct Choice {
    value: String,
    text: String,
    selected: bool,
}

/// One field of the mapping form.
pub struct FieldChoice {
    /// The form field's name and the select's id: `map_staff_number`.
    id: String,
    label: &'static str,
    hint: &'static str,
    required: bool,
    choices: Vec<Choice>,
    error: Option<String>,
}

/// Where a kind's mapping form lives and what it says above the fields.
pub struct MappingScreen {
    /// The upload page, e.g. `/register/import`; the form posts to `{base}/preview`.
    pub base: &'static str,
    /// The `kind` field the forms send back.
    pub kind_value: &'static str,
    pub kind_label: &'static str,
    /// The pending upload's key.
    pub upload: String,
    pub file_name: String,
    /// The paragraph under the heading: what was found in the file.
    pub intro: String,
}

#[derive(Template)]
#[template(path = "imports/mapping.html")]
struct MappingPage {
    chrome: Chrome,
    form: FormState,
    kind: &'static str,
    kind_label: &'static str,
    base: &'static str,
    action: &'static str,
    upload: String,
    file_name: String,
    intro: String,
    fields: Vec<FieldChoice>,
    notes: Vec<String>,
    saved: Vec<String>,
    loaded: String,
    sample_headers: Vec<String>,
    sample: Vec<(usize, Vec<String>)>,
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

/// The mapping form for a file with these headers and first rows. `chrome` is the kind's
/// page frame (title "Match the columns").
pub async fn mapping_screen<L: Layout>(
    store: &Store,
    chrome: Chrome,
    kind: L,
    screen: MappingScreen,
    headers: &[String],
    rows: impl IntoIterator<Item = (usize, Vec<String>)>,
    step: MappingStep,
) -> Result<Response, AppError> {
    let MappingStep {
        mapping,
        notes,
        form,
        loaded,
    } = step;
    let columns: Vec<(String, String)> = headers
        .iter()
        .filter(|h| !h.is_empty())
        .map(|h| (header_key(h), h.clone()))
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
    let saved = imports::mappings(store, kind)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let width = headers.len();
    let sample = rows
        .into_iter()
        .take(SAMPLE_ROWS)
        .map(|(row, cells)| {
            let cells = (0..width)
                .map(|i| shorten(cells.get(i).map_or("", String::as_str)))
                .collect();
            (row, cells)
        })
        .collect();
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
        chrome: chrome.with_errors(errors),
        form,
        kind: screen.kind_value,
        kind_label: screen.kind_label,
        base: screen.base,
        action: "map",
        upload: screen.upload,
        file_name: screen.file_name,
        intro: screen.intro,
        fields,
        notes,
        saved,
        loaded,
        sample_headers,
        sample,
    })
}
