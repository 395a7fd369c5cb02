//! GET /learning/checks: the knowledge checks.

use super::*;

// ---------------------------------------------------------------------------------------------
// List and editor

#[derive(Template)]
#[template(path = "learning/checks_list.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) checks: Vec<CheckSummary>,
    pub(super) videos: Vec<Module>,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    let checks = checks::list(&state.store).await?;
    let videos = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| m.kind == "recorded_video")
        .collect();
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Knowledge checks",
            Some(&page.user),
            &page.csrf,
            "/training/checks",
        ),
        checks,
        videos,
    })
}
