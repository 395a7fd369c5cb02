//! GET /exercises: the scenarios and runs, and one scenario's stages.

use super::*;

// ----- index and scenario -----

pub struct RunLink {
    pub title: String,
    pub started: String,
    pub live: bool,
    pub href: String,
    pub team: String,
    pub id: i64,
}

#[derive(Template)]
#[template(path = "exercises/exercise_index.html")]
pub struct IndexPage {
    pub chrome: Chrome,
    pub facilitator: bool,
    /// Whether this user reaches every run (administrators and the MASH trainer).
    pub every_run: bool,
    pub scenarios: Vec<ex::ScenarioSummary>,
    pub runs: Vec<RunLink>,
}

pub async fn index(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
) -> Result<Response, AppError> {
    let facilitator = page.user.can(Capability::ExercisesFacilitate);
    let (scenarios, runs) = if facilitator {
        ex::ensure_scenarios(&state.store).await?;
        let runs = ex::list_runs_for(&state.store, page.user.run_scope())
            .await?
            .into_iter()
            .map(|r| RunLink {
                href: format!("/exercises/runs/{}/console", r.id),
                started: day_of(&r.started_at),
                live: r.live(),
                title: r.title,
                team: String::new(),
                id: r.id,
            })
            .collect();
        (ex::list_scenarios(&state.store).await?, runs)
    } else {
        let runs = ex::runs_for_member(&state.store, page.user.person_id, page.user.id)
            .await?
            .into_iter()
            .map(|(r, tid, tname)| RunLink {
                href: format!("/exercises/runs/{}/teams/{tid}", r.id),
                started: day_of(&r.started_at),
                live: r.live(),
                title: r.title,
                team: tname,
                id: r.id,
            })
            .collect();
        (Vec::new(), runs)
    };
    html(&IndexPage {
        chrome: Chrome::new(
            &state,
            "Exercises",
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        facilitator,
        every_run: page.user.run_scope() == mashboard_domain::access::RunScope::Every,
        scenarios,
        runs,
    })
}

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
