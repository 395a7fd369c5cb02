//! Register import steps 3 and 4: check (a dry run) and import, all or nothing.

use super::*;

#[derive(Template)]
#[template(path = "register/register_import_preview.html")]
pub(super) struct PreviewPage {
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

pub(super) fn noun(kind: RegisterKind) -> &'static str {
    match kind {
        RegisterKind::Incidents => "incidents",
        RegisterKind::Referrals => "referrals",
        RegisterKind::Outcomes => "outcomes",
        RegisterKind::ReferralPeople => "people named in referrals",
    }
}

/// Runs the import (a dry run unless `commit`) and shows its report.
#[allow(clippy::too_many_arguments)]
pub(super) async fn check_and_show(
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
pub(super) async fn check_and_show_saved(
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

pub(super) async fn preview(
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
pub(super) fn order_errors(kind: RegisterKind, form: FormState) -> FormState {
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

pub(super) async fn commit(
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
