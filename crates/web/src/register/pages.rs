//! The incident and referral register: imports of records-management exports, and read-only
//! pages to find and read incidents and referrals.
//!
//! Imports (Capability `RegisterImport`), modelled on the training import:
//!
//! 1. `GET /register/import`: choose what the file holds and upload it (CSV).
//! 2. `POST /register/import`: the file is kept for 30 minutes (`state.uploads`). A file in the
//!    canonical layout goes straight to the check; any other is matched column by column, with
//!    suggestions from the headers, a saved mapping to load, and a name to save it under.
//! 3. `POST /register/import/preview`: the import is run as a dry run: counts, every problem by
//!    row and column (the first 100), warnings, and the first rows.
//! 4. `POST /register/import/commit`: the same for real, all or nothing.
//!
//! Browsing (Capability `RegisterView`): `/register/referrals` and `/register/incidents` with
//! filters and pages, and one page per record (the view is audited).

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::field;
use crate::routes::{Access, Table};
use crate::view::path_segment;
use crate::view::{html, Chrome, FormState, Pager};
use crate::{AppState, PendingUpload};
use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::parse_date;
use mashboard_domain::register::{
    format_datetime_long, suggest_mapping, PartnerOutcome, RegisterKind, RegisterMapping,
    RegisterReader,
};
use mashboard_domain::training_import::check_mapping_name;
use mashboard_store::audit::{self, Event};
use mashboard_store::quality::register::{
    self, Incident, IncidentQuery, NamedPerson, PreviewRow, RecordedOutcome, Referral,
    ReferralQuery, ReferralSummary, RegisterReport,
};
use mashboard_store::StoreError;
use rand::RngCore;
use std::sync::Arc;
use std::time::{Duration, Instant};

const UPLOAD_LIFETIME: Duration = Duration::from_secs(30 * 60);
const PER_PAGE: i64 = 50;
/// Rows of the file shown under the mapping form.
const SAMPLE_ROWS: usize = 3;
const SAMPLE_CELL_CHARS: usize = 40;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{RegisterImport as Import, RegisterView as View};
    t.get("/register/import", P(Import), get(form))
        .post("/register/import", P(Import), post(upload))
        .post("/register/import/preview", P(Import), post(preview))
        .post("/register/import/commit", P(Import), post(commit))
        .get("/register/referrals", P(View), get(referrals))
        .get("/register/referrals/{referral_ref}", P(View), get(referral))
        .get("/register/incidents", P(View), get(incidents))
        .get("/register/incidents/{incident_ref}", P(View), get(incident))
}

type ImportPage = Page<cap::RegisterImport>;
type ViewPage = Page<cap::RegisterView>;

fn import_chrome(state: &AppState, page: &ImportPage, title: &str, errors: bool) -> Chrome {
    Chrome::new(
        state,
        title,
        Some(&page.user),
        &page.csrf,
        "/register/referrals",
    )
    .with_errors(errors)
}

// ---------------------------------------------------------------------------------------------
// Step 1: choose and upload

struct KindChoice {
    value: &'static str,
    id: &'static str,
    label: &'static str,
    hint: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "register/register_import_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
    kinds: Vec<KindChoice>,
}

fn form_page(state: &AppState, page: &ImportPage, form: FormState) -> Result<Response, AppError> {
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

pub async fn form(State(state): State<AppState>, page: ImportPage) -> Result<Response, AppError> {
    form_page(&state, &page, FormState::default())
}

fn file_error(
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

fn reader(
    kind: RegisterKind,
    bytes: &[u8],
) -> Result<RegisterReader<&[u8]>, mashboard_domain::import::FileProblem> {
    RegisterReader::new(kind, bytes)
}

pub async fn upload(
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
            audit::record(
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
fn pending(state: &AppState, page: &ImportPage, key: &str, take: bool) -> Option<PendingUpload> {
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

fn expired(
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

// ---------------------------------------------------------------------------------------------
// Step 2: match the columns

struct Choice {
    value: String,
    text: String,
    selected: bool,
}

struct FieldChoice {
    id: String,
    label: &'static str,
    hint: &'static str,
    required: bool,
    choices: Vec<Choice>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "register/register_import_mapping.html")]
struct MappingPage {
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

struct MappingStep {
    kind: RegisterKind,
    upload: String,
    file_name: String,
    bytes: Arc<Vec<u8>>,
    mapping: RegisterMapping,
    notes: Vec<String>,
    form: FormState,
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

// ---------------------------------------------------------------------------------------------
// Steps 3 and 4: check (a dry run) and import

#[derive(Template)]
#[template(path = "register/register_import_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    kind: &'static str,
    kind_label: &'static str,
    noun: &'static str,
    report: RegisterReport,
    columns: Vec<(&'static str, String)>,
    more_errors: usize,
    more_warnings: usize,
    first_rows: Vec<PreviewRow>,
    upload: String,
    mapping: String,
    saved_as: String,
    committed: bool,
}

fn noun(kind: RegisterKind) -> &'static str {
    match kind {
        RegisterKind::Incidents => "incidents",
        RegisterKind::Referrals => "referrals",
        RegisterKind::Outcomes => "outcomes",
        RegisterKind::ReferralPeople => "people named in referrals",
    }
}

/// Runs the import (a dry run unless `commit`) and shows its report.
#[allow(clippy::too_many_arguments)]
async fn check_and_show(
    state: &AppState,
    page: &ImportPage,
    kind: RegisterKind,
    upload: &str,
    file_name: &str,
    bytes: &[u8],
    mapping: &RegisterMapping,
    commit: bool,
) -> Result<Response, AppError> {
    check_and_show_saved(
        state, page, kind, upload, file_name, bytes, mapping, commit, "",
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn check_and_show_saved(
    state: &AppState,
    page: &ImportPage,
    kind: RegisterKind,
    upload: &str,
    file_name: &str,
    bytes: &[u8],
    mapping: &RegisterMapping,
    commit: bool,
    saved_as: &str,
) -> Result<Response, AppError> {
    let mut r = match reader(kind, bytes) {
        Ok(r) => r,
        Err(problem) => return file_error(state, page, Some(kind), problem.to_string()),
    };
    if r.set_mapping(mapping).is_err() {
        return file_error(
            state,
            page,
            Some(kind),
            "The columns chosen no longer match the file. Upload it again".into(),
        );
    }
    let headers = r.headers().to_vec();
    let columns = mapping
        .describe(kind, &headers)
        .into_iter()
        .filter(|(_, c)| c != "(not in this file)")
        .collect();
    let report = register::import(&state.store, &page.user.actor(), r, file_name, !commit).await?;
    let committed = commit && !report.rejected();
    let title = match (committed, report.rejected()) {
        (true, _) => "Import complete",
        (false, false) => "Check the import",
        (false, true) => "The file cannot be imported",
    };
    html(&PreviewPage {
        chrome: import_chrome(state, page, title, report.rejected()),
        kind: kind.as_str(),
        kind_label: kind.label(),
        noun: noun(kind),
        columns,
        more_errors: report.error_count.saturating_sub(report.errors.len()),
        more_warnings: report.warning_count.saturating_sub(report.warnings.len()),
        first_rows: report.first_rows.clone(),
        upload: if committed {
            String::new()
        } else {
            upload.to_string()
        },
        mapping: mapping.encode(),
        saved_as: saved_as.to_string(),
        committed,
        report,
    })
}

pub async fn preview(
    State(state): State<AppState>,
    page: ImportPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind: Option<RegisterKind> = field(&pairs, "kind").parse().ok();
    let upload = field(&pairs, "upload");
    let (Some(kind), Some(pending)) = (kind, pending(&state, &page, &upload, false)) else {
        return expired(&state, &page, kind);
    };
    let bytes = Arc::clone(&pending.bytes);
    let headers = match reader(kind, &bytes) {
        Ok(r) => r.headers().to_vec(),
        Err(problem) => return file_error(&state, &page, Some(kind), problem.to_string()),
    };
    let step = |mapping: RegisterMapping, notes: Vec<String>, form: FormState, loaded: String| {
        MappingStep {
            kind,
            upload: upload.clone(),
            file_name: pending.file_name.clone(),
            bytes: Arc::clone(&bytes),
            mapping,
            notes,
            form,
            loaded,
        }
    };
    let action = field(&pairs, "action");
    if action == "edit" {
        let mapping = RegisterMapping::parse(kind, &field(&pairs, "mapping"))
            .unwrap_or_else(|_| suggest_mapping(kind, &headers));
        return mapping_page(
            &state,
            &page,
            step(mapping, Vec::new(), FormState::default(), String::new()),
        )
        .await;
    }
    if action == "load" {
        let name = field(&pairs, "saved");
        let mut form = FormState::default();
        let Some(saved) = register::mapping(&state.store, kind, &name).await? else {
            form.add_error("saved", "Choose a saved mapping");
            let mapping = suggest_mapping(kind, &headers);
            return mapping_page(
                &state,
                &page,
                step(mapping, Vec::new(), form, String::new()),
            )
            .await;
        };
        let (mapping, notes) = match saved.parsed(kind) {
            Ok(m) => {
                let keys: Vec<String> = headers
                    .iter()
                    .map(|h| mashboard_domain::training_import::header_key(h))
                    .collect();
                let mut kept = RegisterMapping::default();
                let mut notes = Vec::new();
                for (f, h) in m.pairs() {
                    if keys.contains(h) {
                        let _ = kept.set(kind, f, h);
                    } else {
                        notes.push(format!(
                            "The saved mapping takes the {} from a column \"{h}\", which this file does not have",
                            kind.field(f).map_or(*f, |x| x.label).to_lowercase()
                        ));
                    }
                }
                (kept, notes)
            }
            Err(e) => (
                suggest_mapping(kind, &headers),
                vec![format!(
                    "The saved mapping \"{}\" cannot be used: {e}",
                    saved.name
                )],
            ),
        };
        form.set("save_as", saved.name.clone());
        return mapping_page(&state, &page, step(mapping, notes, form, saved.name)).await;
    }
    if action == "check" {
        // Straight from a canonical file's preview: the mapping is in the form.
        let Ok(mapping) = RegisterMapping::parse(kind, &field(&pairs, "mapping")) else {
            return expired(&state, &page, Some(kind));
        };
        return check_and_show(
            &state,
            &page,
            kind,
            &upload,
            &pending.file_name,
            &bytes,
            &mapping,
            false,
        )
        .await;
    }

    // The mapping as chosen on the form.
    let keys: Vec<String> = headers
        .iter()
        .map(|h| mashboard_domain::training_import::header_key(h))
        .collect();
    let mut mapping = RegisterMapping::default();
    let mut form = FormState::default();
    for f in kind.fields() {
        let id = format!("map_{}", f.key);
        let chosen = field(&pairs, &id);
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
        let _ = mapping.set(kind, f.key, &chosen);
    }
    if let Err(problems) = mashboard_domain::register::resolve_mapping(kind, &headers, &mapping) {
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
        let ordered = order_errors(kind, form);
        return mapping_page(
            &state,
            &page,
            step(mapping, Vec::new(), ordered, String::new()),
        )
        .await;
    }
    if !saved_as.is_empty() {
        match register::save_mapping(&state.store, &page.user.actor(), kind, &saved_as, &mapping)
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
    check_and_show_saved(
        &state,
        &page,
        kind,
        &upload,
        &pending.file_name,
        &bytes,
        &mapping,
        false,
        &saved_as,
    )
    .await
}

/// Errors in the order of the form: the fields, then the name to save under.
fn order_errors(kind: RegisterKind, form: FormState) -> FormState {
    let mut ordered = FormState {
        values: form.values.clone(),
        errors: Vec::new(),
    };
    let order = kind
        .fields()
        .iter()
        .map(|f| format!("map_{}", f.key))
        .chain(["save_as".to_string()]);
    for id in order {
        if let Some(e) = form.error(&id) {
            ordered.add_error(&id, e);
        }
    }
    ordered
}

pub async fn commit(
    State(state): State<AppState>,
    page: ImportPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let kind: Option<RegisterKind> = field(&pairs, "kind").parse().ok();
    let upload = field(&pairs, "upload");
    let Some(kind) = kind else {
        return expired(&state, &page, None);
    };
    let Ok(mapping) = RegisterMapping::parse(kind, &field(&pairs, "mapping")) else {
        return expired(&state, &page, Some(kind));
    };
    let Some(pending) = pending(&state, &page, &upload, true) else {
        return expired(&state, &page, Some(kind));
    };
    check_and_show(
        &state,
        &page,
        kind,
        &upload,
        &pending.file_name,
        &pending.bytes,
        &mapping,
        true,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Browsing

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

/// A date filter as typed (31/03/2024 or 2024-03-31): the stored form, or an error.
fn date_filter(form: &mut FormState, name: &str, raw: &str, label: &str) -> String {
    form.set(name, raw);
    if raw.is_empty() {
        return String::new();
    }
    match parse_date(raw) {
        Ok(d) => d.to_string(),
        Err(_) => {
            form.add_error(
                name,
                format!("Enter the {label} as a date, such as 31/03/2024"),
            );
            String::new()
        }
    }
}

fn encode_query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .copied()
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

struct ReferralRow {
    href: String,
    r: ReferralSummary,
    submitted: String,
    incident_href: String,
}

impl From<ReferralSummary> for ReferralRow {
    fn from(r: ReferralSummary) -> Self {
        ReferralRow {
            href: format!("/register/referrals/{}", path_segment(&r.referral_ref)),
            incident_href: if r.incident_ref.is_empty() {
                String::new()
            } else {
                format!("/register/incidents/{}", path_segment(&r.incident_ref))
            },
            submitted: format_datetime_long(&r.submitted_at),
            r,
        }
    }
}

#[derive(Template)]
#[template(path = "register/register_referrals.html")]
struct ReferralsPage {
    chrome: Chrome,
    form: FormState,
    partners: Vec<String>,
    rows: Vec<ReferralRow>,
    pager: Pager,
    can_import: bool,
    total_in_register: i64,
}

impl ReferralsPage {
    fn subject_is(&self, s: &str) -> bool {
        self.form.value("subject_type") == s
    }
}

pub async fn referrals(
    State(state): State<AppState>,
    page: ViewPage,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let mut form = FormState::default();
    let text = |k: &str| field(&pairs, k).chars().take(100).collect::<String>();
    let mut q = ReferralQuery {
        search: text("search"),
        subject_type: text("subject_type"),
        partner: text("partner"),
        officer: text("officer"),
        ..Default::default()
    };
    form.set("search", q.search.clone());
    form.set("subject_type", q.subject_type.clone());
    form.set("partner", q.partner.clone());
    form.set("officer", q.officer.clone());
    q.from = date_filter(&mut form, "from", &text("from"), "first day");
    q.to = date_filter(&mut form, "to", &text("to"), "last day");
    let base = encode_query(&[
        ("search", &q.search),
        ("from", form.value("from")),
        ("to", form.value("to")),
        ("subject_type", &q.subject_type),
        ("partner", &q.partner),
        ("officer", &q.officer),
    ]);
    let page_no = field(&pairs, "page").parse().ok();
    let (total, _) = register::search_referrals(&state.store, &q, 0, 0).await?;
    let pager = Pager::new(page_no, PER_PAGE, total, base.clone());
    let (_, rows) = register::search_referrals(&state.store, &q, PER_PAGE, pager.offset()).await?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "register.list",
            format!(
                "Viewed the referrals list ({} of {total} shown)",
                rows.len()
            ),
        )
        .after(&serde_json::json!({ "filters": base, "page": pager.page })),
    )
    .await?;
    let (_, total_in_register) = register::counts(&state.store).await?;
    let errors = form.has_errors();
    html(&ReferralsPage {
        chrome: Chrome::new(
            &state,
            "Referrals",
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        )
        .with_errors(errors),
        form,
        partners: register::partners(&state.store).await?,
        rows: rows.into_iter().map(ReferralRow::from).collect(),
        pager,
        can_import: page.user.can(Capability::RegisterImport),
        total_in_register,
    })
}

struct OutcomeView {
    o: RecordedOutcome,
    label: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "register/register_referral.html")]
struct ReferralPage {
    chrome: Chrome,
    r: Referral,
    submitted: String,
    subject: &'static str,
    incident_href: String,
    incident_known: bool,
    narrative_lines: Vec<String>,
    people: Vec<NamedPerson>,
    outcomes: Vec<OutcomeView>,
}

pub async fn referral(
    State(state): State<AppState>,
    page: ViewPage,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let r = register::referral(&state.store, &reference)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "referral.view",
            format!("Viewed referral {}", r.referral_ref),
        )
        .on("referral", &r.referral_ref),
    )
    .await?;
    let people = register::people_named_in(&state.store, &r.referral_ref).await?;
    let outcomes = register::outcomes_of(&state.store, &r.referral_ref)
        .await?
        .into_iter()
        .map(|o| OutcomeView {
            label: PartnerOutcome::from_stored(&o.outcome)
                .map_or_else(|| o.outcome.clone(), |x| x.label().to_string()),
            decided: format_datetime_long(&o.decided_at),
            o,
        })
        .collect();
    let incident_known = !r.incident_ref.is_empty()
        && register::incident(&state.store, &r.incident_ref)
            .await?
            .is_some();
    html(&ReferralPage {
        chrome: Chrome::new(
            &state,
            format!("Referral {}", r.referral_ref),
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        ),
        submitted: format_datetime_long(&r.submitted_at),
        subject: if r.subject_type == "child" {
            "Child"
        } else {
            "Adult"
        },
        incident_href: format!("/register/incidents/{}", path_segment(&r.incident_ref)),
        incident_known,
        narrative_lines: r.narrative.lines().map(str::to_string).collect(),
        people,
        outcomes,
        r,
    })
}

struct IncidentRow {
    href: String,
    i: Incident,
    reported: String,
}

impl From<Incident> for IncidentRow {
    fn from(i: Incident) -> Self {
        IncidentRow {
            href: format!("/register/incidents/{}", path_segment(&i.incident_ref)),
            reported: format_datetime_long(&i.reported_at),
            i,
        }
    }
}

#[derive(Template)]
#[template(path = "register/register_incidents.html")]
struct IncidentsPage {
    chrome: Chrome,
    form: FormState,
    areas: Vec<String>,
    rows: Vec<IncidentRow>,
    pager: Pager,
    can_import: bool,
    total_in_register: i64,
}

impl IncidentsPage {
    fn flag_is(&self, s: &str) -> bool {
        self.form.value("flag") == s
    }
}

pub async fn incidents(
    State(state): State<AppState>,
    page: ViewPage,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let mut form = FormState::default();
    let text = |k: &str| field(&pairs, k).chars().take(100).collect::<String>();
    let mut q = IncidentQuery {
        search: text("search"),
        flag: text("flag"),
        area: text("area"),
        officer: text("officer"),
        ..Default::default()
    };
    form.set("search", q.search.clone());
    form.set("flag", q.flag.clone());
    form.set("area", q.area.clone());
    form.set("officer", q.officer.clone());
    q.from = date_filter(&mut form, "from", &text("from"), "first day");
    q.to = date_filter(&mut form, "to", &text("to"), "last day");
    let base = encode_query(&[
        ("search", &q.search),
        ("from", form.value("from")),
        ("to", form.value("to")),
        ("flag", &q.flag),
        ("area", &q.area),
        ("officer", &q.officer),
    ]);
    let page_no = field(&pairs, "page").parse().ok();
    let (total, _) = register::search_incidents(&state.store, &q, 0, 0).await?;
    let pager = Pager::new(page_no, PER_PAGE, total, base.clone());
    let (_, rows) = register::search_incidents(&state.store, &q, PER_PAGE, pager.offset()).await?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "register.list",
            format!(
                "Viewed the incidents list ({} of {total} shown)",
                rows.len()
            ),
        )
        .after(&serde_json::json!({ "filters": base, "page": pager.page })),
    )
    .await?;
    let (total_in_register, _) = register::counts(&state.store).await?;
    let errors = form.has_errors();
    html(&IncidentsPage {
        chrome: Chrome::new(
            &state,
            "Incidents",
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        )
        .with_errors(errors),
        form,
        areas: register::areas(&state.store).await?,
        rows: rows.into_iter().map(IncidentRow::from).collect(),
        pager,
        can_import: page.user.can(Capability::RegisterImport),
        total_in_register,
    })
}

#[derive(Template)]
#[template(path = "register/register_incident.html")]
struct IncidentPage {
    chrome: Chrome,
    i: Incident,
    reported: String,
    referrals: Vec<ReferralRow>,
}

pub async fn incident(
    State(state): State<AppState>,
    page: ViewPage,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let i = register::incident(&state.store, &reference)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "incident.view",
            format!("Viewed incident {}", i.incident_ref),
        )
        .on("incident", &i.incident_ref),
    )
    .await?;
    let referrals = register::referrals_of_incident(&state.store, &i.incident_ref)
        .await?
        .into_iter()
        .map(ReferralRow::from)
        .collect();
    html(&IncidentPage {
        chrome: Chrome::new(
            &state,
            format!("Incident {}", i.incident_ref),
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        ),
        reported: format_datetime_long(&i.reported_at),
        referrals,
        i,
    })
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn references_are_safe_in_a_path() {
        assert_eq!(path_segment("INC-2024/17 a"), "INC-2024%2F17%20a");
        assert_eq!(path_segment("PPN_1.2~x"), "PPN_1.2~x");
        assert_eq!(path_segment("Café"), "Caf%C3%A9");
    }
}
