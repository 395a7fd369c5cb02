//! GET /exercises: the scenarios and runs.

use super::*;

// ----- index -----

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
