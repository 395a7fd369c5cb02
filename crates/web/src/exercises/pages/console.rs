//! The facilitator's console of a run: releasing stages, notes, the meeting, actions, facilitators and ending it.

use super::*;

// ----- console -----

pub struct ReleaseLine {
    pub stage: i64,
    pub title: String,
    pub to: String,
    pub at: String,
    pub since: String,
}

pub struct AnswerCell {
    pub team_id: i64,
    pub team: String,
    pub text: String,
    pub released: bool,
}

pub struct QuestionBlock {
    pub id: i64,
    pub text: String,
    pub model_answer: String,
    pub answers: Vec<AnswerCell>,
}

pub struct StageBlock {
    pub stage: i64,
    pub title: String,
    pub questions: Vec<QuestionBlock>,
}

pub struct NoteLine {
    pub at: String,
    pub since: String,
    pub about: String,
    pub note: String,
    pub author: String,
}

#[derive(Template)]
#[template(path = "exercises/exercise_console.html")]
pub struct ConsolePage {
    pub chrome: Chrome,
    pub run: Run,
    pub scenario: Scenario,
    pub clock: String,
    pub teams: Vec<Team>,
    pub next_stage: i64,
    pub releases: Vec<ReleaseLine>,
    pub blocks: Vec<StageBlock>,
    pub notes: Vec<NoteLine>,
    pub meeting: ex::Meeting,
    pub actions: Vec<ex::Action>,
    pub facilitators: Vec<ex::Facilitator>,
    /// Whether this user may name or remove co-facilitators (the creator, administrators and
    /// the MASH trainer).
    pub manage_facilitators: bool,
    pub form: FormState,
    pub done: Option<String>,
}

pub(super) struct RunData {
    pub(super) run: Run,
    pub(super) scenario: Scenario,
    pub(super) teams: Vec<Team>,
    pub(super) releases: Vec<ex::ReleaseRow>,
    pub(super) answers: Vec<ex::AnswerRow>,
    pub(super) notes: Vec<ex::Note>,
    pub(super) meeting: ex::Meeting,
    pub(super) actions: Vec<ex::Action>,
}

pub(super) async fn run_data(state: &AppState, id: i64) -> Result<RunData, AppError> {
    let (run, scenario) = load_run(state, id).await?;
    Ok(RunData {
        teams: ex::teams(&state.store, id).await?,
        releases: ex::releases(&state.store, id).await?,
        answers: ex::answers(&state.store, id).await?,
        notes: ex::notes(&state.store, id).await?,
        meeting: ex::meeting(&state.store, id).await?.unwrap_or_default(),
        actions: ex::actions(&state.store, id).await?,
        run,
        scenario,
    })
}

impl RunData {
    pub(super) fn release_lines(&self) -> Vec<ReleaseLine> {
        self.releases
            .iter()
            .map(|r| ReleaseLine {
                stage: r.stage,
                title: self
                    .scenario
                    .stage(r.stage)
                    .map(|s| s.title.clone())
                    .unwrap_or_default(),
                to: r.team_name.clone().unwrap_or_else(|| "All teams".into()),
                at: clock_at(&r.released_at),
                since: since_start(&self.run, &r.released_at),
            })
            .collect()
    }

    /// Every stage released to anyone (or every stage, for the debrief), each question with each
    /// team's answer.
    pub(super) fn blocks(&self, all_stages: bool) -> Vec<StageBlock> {
        let rel = ex::as_rules(&self.releases);
        let released: BTreeSet<i64> = self.releases.iter().map(|r| r.stage).collect();
        self.scenario
            .stages
            .iter()
            .filter(|s| all_stages || released.contains(&s.stage))
            .map(|s| StageBlock {
                stage: s.stage,
                title: s.title.clone(),
                questions: s
                    .questions
                    .iter()
                    .map(|q| QuestionBlock {
                        id: q.id,
                        text: q.text.clone(),
                        model_answer: q.model_answer.clone(),
                        answers: self
                            .teams
                            .iter()
                            .map(|t| AnswerCell {
                                team_id: t.id,
                                team: t.name.clone(),
                                text: self
                                    .answers
                                    .iter()
                                    .find(|a| a.team_id == t.id && a.question_id == q.id)
                                    .map(|a| a.text.clone())
                                    .unwrap_or_default(),
                                released: rules::is_released(&rel, t.id, s.stage),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    pub(super) fn note_lines(&self) -> Vec<NoteLine> {
        self.notes
            .iter()
            .map(|n| NoteLine {
                at: clock_at(&n.at),
                since: since_start(&self.run, &n.at),
                about: match (n.stage, &n.team_name) {
                    (Some(s), Some(t)) => format!("Stage {s}, {t}"),
                    (Some(s), None) => format!("Stage {s}"),
                    (None, Some(t)) => t.clone(),
                    (None, None) => String::new(),
                },
                note: n.note.clone(),
                author: n.author.clone(),
            })
            .collect()
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    pub(super) done: Option<String>,
}

pub(super) fn done_text(key: Option<&str>) -> Option<String> {
    Some(
        match key? {
            "released" => "Stage released.",
            "note" => "Note added.",
            "meeting" => "Strategy meeting record saved.",
            "action" => "Action added.",
            "ended" => "The run has ended. Team codes no longer work.",
            "facilitator" => "Co-facilitator added.",
            "facilitator_removed" => "Co-facilitator removed.",
            _ => return None,
        }
        .to_string(),
    )
}

pub(super) async fn render_console(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    form: FormState,
    done: Option<String>,
) -> Result<Response, AppError> {
    let d = run_data(state, id).await?;
    let facilitators = ex::facilitators(&state.store, id).await?;
    let manage_facilitators =
        ex::may_manage_facilitators(&state.store, user.run_scope(), id).await?;
    let next_stage = rules::next_stage(&ex::as_rules(&d.releases), d.scenario.stages.len() as i64)
        .unwrap_or(d.scenario.stages.len() as i64);
    let has_errors = form.has_errors();
    html(&ConsolePage {
        chrome: Chrome::new(
            state,
            format!("Console: {}", d.run.title),
            Some(user),
            csrf,
            "/exercises",
        )
        .with_errors(has_errors),
        clock: elapsed(&d.run),
        releases: d.release_lines(),
        blocks: d.blocks(false),
        notes: d.note_lines(),
        next_stage,
        facilitators,
        manage_facilitators,
        form,
        done,
        run: d.run,
        scenario: d.scenario,
        teams: d.teams,
        meeting: d.meeting,
        actions: d.actions,
    })
}

pub async fn console(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    // The console shows the teams' members and their answers, as the debrief does.
    ex::record_view(&state.store, &page.user.actor(), id, "console").await?;
    render_console(
        &state,
        &page.user,
        &page.csrf,
        id,
        FormState::default(),
        done_text(q.done.as_deref()),
    )
    .await
}

pub async fn console_events(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    live_only(&state, id).await?;
    Ok(live::stream(&state, id, Audience::Facilitator))
}

/// Runs a console action; a refusal comes back as the console with the error beside its form.
pub(super) async fn console_action<F, Fut>(
    state: &AppState,
    page: &Page<cap::ExercisesFacilitate>,
    id: i64,
    field_name: &str,
    done: &str,
    f: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), mashboard_store::StoreError>>,
{
    facilitated(state, &page.user, id).await?;
    match f().await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/exercises/runs/{id}/console?done={done}#{field_name}"
        ))
        .into_response()),
        Err(mashboard_store::StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.add_error(field_name, m);
            let mut r = render_console(state, &page.user, &page.csrf, id, form, None).await?;
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn release(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let stage: i64 = field_str(&pairs, "stage").parse().unwrap_or(0);
    let team: Option<i64> = field_str(&pairs, "team").parse().ok();
    console_action(&state, &page, id, "stage", "released", || async {
        live::do_release(&state, &page.user, id, stage, team)
            .await
            .map(|_| ())
    })
    .await
}

pub async fn add_note(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let stage: Option<i64> = field_str(&pairs, "note_stage").parse().ok();
    let team: Option<i64> = field_str(&pairs, "note_team").parse().ok();
    let text = field_str(&pairs, "note").to_string();
    console_action(&state, &page, id, "note", "note", || async {
        let n = ex::add_note(&state.store, &page.user.actor(), id, stage, team, &text).await?;
        live::publish(
            &state,
            id,
            "note",
            serde_json::json!({"note": n.note, "at": n.at}),
        );
        Ok(())
    })
    .await
}

pub async fn save_meeting(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    console_action(&state, &page, id, "agencies_present", "meeting", || async {
        ex::save_meeting(
            &state.store,
            &page.user.actor(),
            id,
            field_str(&pairs, "agencies_present"),
            field_str(&pairs, "information_shared"),
            field_str(&pairs, "decisions"),
        )
        .await?;
        live::publish(&state, id, "meeting", serde_json::Value::Null);
        Ok(())
    })
    .await
}

pub async fn add_action(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    console_action(&state, &page, id, "action", "action", || async {
        ex::add_action(
            &state.store,
            &page.user.actor(),
            id,
            field_str(&pairs, "action"),
            field_str(&pairs, "owner"),
            field_str(&pairs, "due"),
        )
        .await?;
        live::publish(&state, id, "meeting", serde_json::Value::Null);
        Ok(())
    })
    .await
}

pub async fn end_run(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    console_action(&state, &page, id, "end", "ended", || async {
        let at = ex::end_run(&state.store, &page.user.actor(), id).await?;
        live::publish(&state, id, "ended", serde_json::json!({"at": at}));
        Ok(())
    })
    .await
}

pub async fn add_facilitator(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    if !ex::may_manage_facilitators(&state.store, page.user.run_scope(), id).await? {
        return Err(AppError::Forbidden);
    }
    let username = field_str(&pairs, "co_facilitator").trim().to_string();
    console_action(
        &state,
        &page,
        id,
        "co_facilitator",
        "facilitator",
        || async { ex::add_facilitator(&state.store, &page.user.actor(), id, &username).await },
    )
    .await
}

pub async fn remove_facilitator(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    if !ex::may_manage_facilitators(&state.store, page.user.run_scope(), id).await? {
        return Err(AppError::Forbidden);
    }
    console_action(
        &state,
        &page,
        id,
        "co_facilitator",
        "facilitator_removed",
        || async {
            match ex::remove_facilitator(&state.store, &page.user.actor(), id, user_id).await {
                Err(mashboard_store::StoreError::NotFound(m)) => {
                    Err(mashboard_store::StoreError::Invalid(m))
                }
                other => other,
            }
        },
    )
    .await
}
