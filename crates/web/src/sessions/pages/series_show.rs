//! One series and its progress: GET /sessions/series/{id}.

use super::*;

#[derive(Template)]
#[template(path = "sessions/series_show.html")]
pub(super) struct SeriesPage {
    pub(super) chrome: Chrome,
    pub(super) series: Series,
    pub(super) progress: SeriesProgress,
    pub(super) sessions: Vec<SessionView>,
    pub(super) manage: bool,
}

pub async fn series_show(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let series = sessions::series(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let list = sessions::list(
        &state.store,
        &SessionFilter {
            series_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    html(&SeriesPage {
        chrome: Chrome::new(
            &state,
            series.name.clone(),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        progress: sessions::series_progress(&state.store, id).await?,
        series,
        sessions: list.iter().map(SessionView::from).collect(),
        manage: page.user.can(Capability::SessionsManage),
    })
}
