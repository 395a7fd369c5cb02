//! Uploading a Teams attendance report: GET/POST /sessions/{id}/teams-report → preview
//! (nothing written) → commit.

use super::*;

#[derive(Template)]
#[template(path = "attendance/attendance_teams_upload.html")]
struct UploadPage {
    chrome: Chrome,
    session: SessionFacts,
    form: FormState,
    reports: Vec<ReportRow>,
}

pub(super) async fn upload_page(
    state: &AppState,
    page: &TrainerPage,
    s: SessionFacts,
    form: FormState,
) -> Result<Response, AppError> {
    let reports = teams::reports(&state.store, s.id).await?;
    let errors = form.has_errors();
    html(&UploadPage {
        chrome: Chrome::new(
            state,
            format!("Upload a Teams attendance report: {}", s.display_title()),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        )
        .with_errors(errors),
        session: s,
        form,
        reports,
    })
}

pub async fn upload_form(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    upload_page(&state, &page, s, FormState::default()).await
}

#[derive(Template)]
#[template(path = "attendance/attendance_teams_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    session: SessionFacts,
    file_name: String,
    upload: String,
    p: Preview,
}

pub async fn upload(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The upload could not be read: {e}"))
    };
    while let Some(f) = multipart.next_field().await.map_err(unreadable)? {
        if f.name() == Some("file") {
            let name = f.file_name().unwrap_or("").to_string();
            let bytes = f.bytes().await.map_err(unreadable)?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let mut form = FormState::default();
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        form.add_error("file", "Select the attendance report downloaded from Teams");
        return upload_page(&state, &page, s, form).await;
    };
    let file_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let p = match teams::preview(&state.store, id, &bytes).await {
        Ok(p) => p,
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            form.add_error("file", m);
            return upload_page(&state, &page, s, form).await;
        }
        Err(e) => return Err(e.into()),
    };
    let key = match state.uploads.put(page.user.id, &file_name, bytes) {
        Ok(key) => key,
        Err(full) => {
            form.add_error("file", full.to_string());
            return upload_page(&state, &page, s, form).await;
        }
    };
    html(&PreviewPage {
        chrome: Chrome::new(
            &state,
            format!("Check the Teams report: {}", s.display_title()),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        session: s,
        file_name,
        upload: key,
        p,
    })
}

pub async fn commit(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let key = field(&pairs, "upload");
    let pending = state
        .uploads
        .get(&key, page.user.id)
        .map(|u| (u.file_name, u.bytes));
    let Some((file_name, bytes)) = pending else {
        let mut form = FormState::default();
        form.add_error(
            "file",
            "The uploaded file has expired (files are kept for 30 minutes). Upload it again.",
        );
        return upload_page(&state, &page, s, form).await;
    };
    match teams::commit(&state.store, &page.user.actor(), id, &file_name, &bytes).await {
        Ok(c) => {
            state.uploads.remove(&key);
            let done = if c.committed { "committed" } else { "same" };
            Ok(Redirect::to(&format!("/sessions/{id}/attendance?done={done}")).into_response())
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut form = FormState::default();
            form.add_error("file", m);
            upload_page(&state, &page, s, form).await
        }
        Err(e) => Err(e.into()),
    }
}
