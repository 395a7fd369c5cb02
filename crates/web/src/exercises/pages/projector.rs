//! The projector view of a run, for the room's screen.

use super::*;

// ----- projector -----

#[derive(Template)]
#[template(path = "exercises/exercise_projector.html")]
pub struct ProjectorPage {
    pub chrome: Chrome,
    pub run: Run,
    pub clock: String,
    pub stage: Option<StageView>,
    pub stage_count: usize,
}

pub async fn projector(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let (run, sc) = load_run(&state, id).await?;
    let latest = ex::releases(&state.store, id)
        .await?
        .into_iter()
        .rfind(|r| r.team_id.is_none());
    html(&ProjectorPage {
        chrome: Chrome::new(
            &state,
            format!("Projector: {}", run.title),
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        clock: elapsed(&run),
        stage: latest.and_then(|r| sc.stage(r.stage).map(stage_view)),
        stage_count: sc.stages.len(),
        run,
    })
}

pub async fn projector_events(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    live_only(&state, id).await?;
    Ok(live::stream(&state, id, Audience::Projector))
}
