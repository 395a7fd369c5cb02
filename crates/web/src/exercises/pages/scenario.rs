//! GET /exercises/scenarios/{id}: one scenario's stages.

use super::*;

// ----- scenario -----

/// A stage as pages show it, lines split into paragraphs.
pub struct StageView {
    pub stage: i64,
    pub title: String,
    pub briefing: Vec<String>,
    pub attachments: Vec<(String, Vec<String>)>,
    pub notes: Vec<String>,
    pub strategy_meeting: bool,
    /// (text, model answer)
    pub questions: Vec<(String, Vec<String>)>,
}

pub(super) fn stage_view(s: &ex::Stage) -> StageView {
    StageView {
        stage: s.stage,
        title: s.title.clone(),
        briefing: paras(&s.briefing),
        attachments: s
            .attachments
            .iter()
            .map(|a| (a.title.clone(), paras(&a.body)))
            .collect(),
        notes: paras(&s.facilitator_notes),
        strategy_meeting: s.strategy_meeting,
        questions: s
            .questions
            .iter()
            .map(|q| (q.text.clone(), paras(&q.model_answer)))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "exercises/exercise_scenario.html")]
pub struct ScenarioPage {
    pub chrome: Chrome,
    pub title: String,
    pub summary: String,
    pub stages: Vec<StageView>,
}

pub async fn scenario_page(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scenario = ex::scenario(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    html(&ScenarioPage {
        chrome: Chrome::new(
            &state,
            scenario.title.clone(),
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        title: scenario.title.clone(),
        summary: scenario.summary.clone(),
        stages: scenario.stages.iter().map(stage_view).collect(),
    })
}
