//! Watching a recorded video and confirming it was watched.

use super::*;

#[derive(Template)]
#[template(path = "learning/video_watch.html")]
pub(super) struct WatchPage {
    pub(super) chrome: Chrome,
    pub(super) module: Module,
    pub(super) video: Option<videos::Video>,
    pub(super) watched_at: Option<String>,
    pub(super) check: Option<CheckSummary>,
    pub(super) passed: bool,
    pub(super) best: Option<i64>,
    pub(super) completed_on: Option<String>,
    pub(super) just_completed: bool,
}

pub async fn watch(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let person_id = linked_person(&page.user)?;
    let module = recorded_module(&state, &id).await?;
    let video = videos::get(&state.store, module.id).await?;
    let watched_at = videos::watched_at(&state.store, module.id, person_id).await?;
    let check = checks::for_module(&state.store, module.id)
        .await?
        .filter(|c| c.questions > 0);
    let (passed, best) = match &check {
        Some(c) => {
            let a = checks::attempts_of(&state.store, person_id, c.id).await?;
            (
                a.iter().any(|a| a.passed),
                a.iter().map(|a| a.score_pct).max(),
            )
        }
        None => (false, None),
    };
    let completed_on = videos::completion_of(&state.store, module.id, person_id)
        .await?
        .map(|(_, d)| d);
    html(&WatchPage {
        chrome: Chrome::new(
            &state,
            module.title.clone(),
            Some(&page.user),
            &page.csrf,
            "/my/training",
        ),
        module,
        video,
        watched_at,
        check,
        passed,
        best,
        completed_on,
        just_completed: query(raw.as_deref(), "completed").is_some(),
    })
}

pub async fn confirm_watch(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let person_id = linked_person(&page.user)?;
    let module = recorded_module(&state, &id).await?;
    if videos::get(&state.store, module.id).await?.is_none() {
        return Err(AppError::BadRequest(
            "This module has no recording yet, so watching it cannot be confirmed. Ask the trainer."
                .into(),
        ));
    }
    videos::confirm_watch(&state.store, &page.user.actor(), module.id, person_id).await?;
    let done = complete_recording_if_done(&state, &page.user, module.id, person_id).await?;
    let target = if done {
        format!("/training/modules/{}/watch?completed=1", module.id)
    } else {
        format!("/training/modules/{}/watch", module.id)
    };
    Ok(Redirect::to(&target).into_response())
}

/// The uploaded recording, with range requests (206 Partial Content) so players can seek.
pub async fn video_file(
    State(state): State<AppState>,
    _page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    use tower::ServiceExt;
    let module = recorded_module(&state, &id).await?;
    let video = videos::get(&state.store, module.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(key) = video.storage_key.filter(|k| !k.contains("..")) else {
        return Err(AppError::NotFound);
    };
    let path = state.config.data_dir.join(&key);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Err(AppError::NotFound);
    }
    let res = tower_http::services::ServeFile::new(&path)
        .oneshot(request)
        .await
        .map_err(|e| AppError::Internal(format!("video: {e}")))?;
    let mut res = res.map(axum::body::Body::new).into_response();
    let h = res.headers_mut();
    if let Some(ct) = video
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        h.insert(header::CONTENT_TYPE, ct);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    Ok(res)
}
