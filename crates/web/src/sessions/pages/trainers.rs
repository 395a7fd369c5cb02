//! Co-trainer delivery hours: GET /sessions/trainers.

use super::*;

#[derive(Template)]
#[template(path = "sessions/sessions_trainers.html")]
pub(super) struct TrainersPage {
    pub(super) chrome: Chrome,
    pub(super) rows: Vec<TrainerHours>,
}

pub async fn trainers_page(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
) -> Result<Response, AppError> {
    let rows = sessions::trainer_hours(&state.store).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new("session.trainer_hours", "Viewed co-trainer delivery hours"),
    )
    .await?;
    html(&TrainersPage {
        chrome: Chrome::new(
            &state,
            "Trainer delivery hours",
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        rows,
    })
}
