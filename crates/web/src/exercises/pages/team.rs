//! A team's page in a run: the released stages and the team's answers.

use super::*;

// ----- team pages -----

pub struct TeamQuestion {
    pub id: i64,
    pub text: String,
    pub answer: String,
}

pub struct TeamStage {
    pub stage: i64,
    pub title: String,
    pub briefing: Vec<String>,
    pub attachments: Vec<(String, Vec<String>)>,
    pub questions: Vec<TeamQuestion>,
}

#[derive(Template)]
#[template(path = "exercises/exercise_team.html")]
pub struct TeamPage {
    pub chrome: Chrome,
    pub run: Run,
    pub team: String,
    pub stages: Vec<TeamStage>,
    pub action: String,
    pub events: String,
    pub saved: bool,
    pub form: FormState,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    pub(super) saved: Option<String>,
}

pub(super) async fn team_stages(
    state: &AppState,
    run_id: i64,
    team_id: i64,
    sc: &Scenario,
    overrides: &[(String, String)],
) -> Result<Vec<TeamStage>, AppError> {
    let rel = ex::as_rules(&ex::releases(&state.store, run_id).await?);
    let visible = rules::visible_stages(&rel, team_id);
    let answers = ex::answers(&state.store, run_id).await?;
    Ok(sc
        .stages
        .iter()
        .filter(|s| visible.contains(&s.stage))
        .map(|s| TeamStage {
            stage: s.stage,
            title: s.title.clone(),
            briefing: paras(&s.briefing),
            attachments: s
                .attachments
                .iter()
                .map(|a| (a.title.clone(), paras(&a.body)))
                .collect(),
            questions: s
                .questions
                .iter()
                .map(|q| {
                    let key = format!("q{}", q.id);
                    let typed = overrides
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, v)| v.clone());
                    TeamQuestion {
                        id: q.id,
                        text: q.text.clone(),
                        answer: typed.unwrap_or_else(|| {
                            answers
                                .iter()
                                .find(|a| a.team_id == team_id && a.question_id == q.id)
                                .map(|a| a.text.clone())
                                .unwrap_or_default()
                        }),
                    }
                })
                .collect(),
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn render_team(
    state: &AppState,
    user: Option<&CurrentUser>,
    csrf: &str,
    run_id: i64,
    team_id: i64,
    base: String,
    saved: bool,
    form: FormState,
    overrides: &[(String, String)],
) -> Result<Response, AppError> {
    let (run, sc) = load_run(state, run_id).await?;
    let team = ex::teams(&state.store, run_id)
        .await?
        .into_iter()
        .find(|t| t.id == team_id)
        .ok_or(AppError::NotFound)?;
    let stages = team_stages(state, run_id, team_id, &sc, overrides).await?;
    let has_errors = form.has_errors();
    html(&TeamPage {
        chrome: Chrome::new(
            state,
            format!("{}: {}", team.name, run.title),
            user,
            csrf,
            "/exercises",
        )
        .with_errors(has_errors),
        run,
        team: team.name,
        stages,
        events: format!("{base}/events"),
        action: base,
        saved,
        form,
    })
}

/// The team a signed-in user may open: the run's facilitators any team of it, others only their
/// own.
pub(super) async fn team_access(
    state: &AppState,
    user: &CurrentUser,
    run_id: i64,
    team_id: i64,
) -> Result<(), AppError> {
    let teams = ex::teams(&state.store, run_id).await?;
    if !teams.iter().any(|t| t.id == team_id) {
        return Err(AppError::NotFound);
    }
    if ex::may_facilitate(&state.store, user.run_scope(), run_id).await? {
        return Ok(());
    }
    match ex::member_team(&state.store, run_id, user.person_id, user.id).await? {
        Some(t) if t == team_id => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

pub async fn team_page(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
    Path((id, team_id)): Path<(i64, i64)>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    team_access(&state, &page.user, id, team_id).await?;
    render_team(
        &state,
        Some(&page.user),
        &page.csrf,
        id,
        team_id,
        format!("/exercises/runs/{id}/teams/{team_id}"),
        q.saved.is_some(),
        FormState::default(),
        &[],
    )
    .await
}

pub async fn team_events(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
    Path((id, team_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    team_access(&state, &page.user, id, team_id).await?;
    live_only(&state, id).await?;
    Ok(live::stream(&state, id, Audience::Team(team_id)))
}

/// Saves the answers in a team's form: every `q<ID>` field (an autosave sends one). Answers the
/// JSON `{"saved": time}` to a script, or redirects back (or shows the errors) for a plain form.
#[allow(clippy::too_many_arguments)]
pub(super) async fn save_team_answers(
    state: &AppState,
    user: Option<&CurrentUser>,
    csrf: &str,
    actor: &Actor,
    run_id: i64,
    team_id: i64,
    base: String,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<Response, AppError> {
    let existing = ex::answers(&state.store, run_id).await?;
    let mut form = FormState::default();
    let mut last = String::new();
    for (k, v) in pairs {
        let Some(qid) = k.strip_prefix('q').and_then(|n| n.parse::<i64>().ok()) else {
            continue;
        };
        let had = existing
            .iter()
            .any(|a| a.team_id == team_id && a.question_id == qid);
        if !had && v.trim().is_empty() {
            continue;
        }
        match live::do_answer(state, actor, run_id, team_id, qid, v).await {
            Ok(a) => last = a.updated_at,
            Err(mashboard_store::StoreError::Invalid(m)) => form.add_error(k, m),
            Err(e) => return Err(e.into()),
        }
    }
    if wants_json(headers) {
        return Ok(if form.has_errors() {
            (
                axum::http::StatusCode::BAD_REQUEST,
                Json(serde_json::json!({"error": "bad_request", "message": form.errors.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ")})),
            )
                .into_response()
        } else {
            Json(serde_json::json!({"saved": if last.is_empty() { String::new() } else { clock_at(&last) }}))
                .into_response()
        });
    }
    if form.has_errors() {
        let mut r =
            render_team(state, user, csrf, run_id, team_id, base, false, form, pairs).await?;
        *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return Ok(r);
    }
    Ok(Redirect::to(&format!("{base}?saved=1")).into_response())
}

pub async fn team_save(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
    Path((id, team_id)): Path<(i64, i64)>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    team_access(&state, &page.user, id, team_id).await?;
    save_team_answers(
        &state,
        Some(&page.user),
        &page.csrf,
        &page.user.actor(),
        id,
        team_id,
        format!("/exercises/runs/{id}/teams/{team_id}"),
        &headers,
        &pairs,
    )
    .await
}
