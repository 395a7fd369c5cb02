//! The training figures without names: percentage in date by role profile and by department.

use super::load;
use crate::auth::Page;
use crate::error::AppError;
use crate::view::{html, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mashboard_domain::access::PeopleScope;
use mashboard_domain::people::format_date_long;
use mashboard_store::audit::{self, Event};
use mashboard_store::training::matrix::Rate;

#[derive(Template)]
#[template(path = "matrix/matrix_summary.html")]
struct SummaryPage {
    chrome: Chrome,
    by_profile: Vec<Rate>,
    by_department: Vec<Rate>,
    overall: Rate,
    today: String,
}

pub async fn summary(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingSummary>,
) -> Result<Response, AppError> {
    // Aggregates of everyone: no names are shown, so the directory scope does not apply.
    let data = load(&state, PeopleScope::All).await?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.summary_view",
            "Viewed the training figures by role profile and department",
        ),
    )
    .await?;
    html(&SummaryPage {
        chrome: Chrome::new(
            &state,
            "Training in date",
            Some(&page.user),
            &page.csrf,
            "/training/summary",
        ),
        by_profile: data.by_profile(),
        by_department: data.by_department(),
        overall: data.overall(),
        today: format_date_long(data.today),
    })
}
