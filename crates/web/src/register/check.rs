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
    let (Some(kind), Some(pending)) = (kind, state.uploads.get(&upload, page.user.id)) else {
        return expired(&state, &page, kind);
    };
    let bytes = Arc::clone(&pending.bytes);
    if field(&pairs, "action") == "check" {
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
    let head = match read_head(kind, &bytes).await? {
        Ok(h) => h,
        Err(problem) => return file_error(&state, &page, Some(kind), problem.to_string()),
    };
    let (mapping, saved_as) = match mapping_step(
        &state.store,
        &page.user.actor(),
        kind,
        &head.headers,
        &pairs,
    )
    .await?
    {
        Step::Form(step) => {
            let name = pending.file_name.clone();
            return mapping_page(&state, &page, kind, upload, name, &head, step).await;
        }
        Step::Ready { mapping, saved_as } => (mapping, saved_as),
    };
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
    let Some(pending) = state.uploads.take(&upload, page.user.id) else {
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
