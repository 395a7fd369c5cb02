//! Step 4: committing a checked import.

#[allow(unused_imports)]
use super::*;

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
    let Some(pending) = state.uploads.take(&upload, page.user.id) else {
        return expired(&state, &page, Some(kind));
    };
    let read = Arc::clone(&pending.bytes);
    let sheet = match off_thread(move || read_sheet(kind, &read)).await? {
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
