//! GET/POST /exercises/runs/{id}/end: ending a run, which cannot be undone, asks first.

use super::*;

#[derive(Template)]
#[template(path = "exercises/exercise_end.html")]
pub struct EndPage {
    pub chrome: Chrome,
    pub run: Run,
    pub teams: usize,
}

/// Says what ending the run will do, with the button that does it.
pub async fn end_confirm(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let (run, _) = load_run(&state, id).await?;
    if !run.live() {
        return Ok(Redirect::to(&format!("/exercises/runs/{id}/console")).into_response());
    }
    let teams = ex::teams(&state.store, id).await?.len();
    html(&EndPage {
        chrome: Chrome::new(
            &state,
            format!("End the run: {}", run.title),
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        run,
        teams,
    })
}
