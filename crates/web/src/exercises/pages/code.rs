//! Joining a run by code, for a team without an account, and saving its answers.

use super::*;

// ----- team code (shared screen) -----

#[derive(Template)]
#[template(path = "exercises/exercise_code.html")]
pub struct CodePage {
    pub chrome: Chrome,
    pub form: FormState,
}

pub async fn code_form(
    State(state): State<AppState>,
    who: MaybeUser,
) -> Result<Response, AppError> {
    html(&CodePage {
        chrome: Chrome::new(
            &state,
            "Join your exercise team",
            who.user.as_ref(),
            &who.csrf,
            "",
        ),
        form: FormState::default(),
    })
}

pub async fn code_submit(
    State(state): State<AppState>,
    who: MaybeUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let code = field_str(&pairs, "code");
    if let Some(c) = rules::normalise_code(code) {
        if ex::team_for_code(&state.store, &c).await?.is_some() {
            who.session
                .insert(SESSION_CODE, &c)
                .await
                .map_err(|e| AppError::Internal(format!("session: {e}")))?;
            return Ok(Redirect::to("/exercise/team").into_response());
        }
    }
    let mut form = FormState::default();
    form.set("code", code);
    form.add_error(
        "code",
        if code.trim().is_empty() {
            "Enter your team's code."
        } else {
            "That code does not open a live exercise. Check it with the facilitator: codes have 8 letters and numbers and stop working when the exercise ends."
        },
    );
    let mut r = html(&CodePage {
        chrome: Chrome::new(
            &state,
            "Join your exercise team",
            who.user.as_ref(),
            &who.csrf,
            "",
        )
        .with_errors(true),
        form,
    })?;
    *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(r)
}

/// The (run, team) this browser session's code opens, while the run is live.
pub(super) async fn code_team_of(
    state: &AppState,
    who: &MaybeUser,
) -> Result<Option<(i64, i64)>, AppError> {
    let code: Option<String> = who.session.get(SESSION_CODE).await.ok().flatten();
    match code {
        Some(c) => Ok(ex::team_for_code(&state.store, &c).await?),
        None => Ok(None),
    }
}

pub async fn code_team(
    State(state): State<AppState>,
    who: MaybeUser,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let Some((run_id, team_id)) = code_team_of(&state, &who).await? else {
        return Ok(Redirect::to("/exercise").into_response());
    };
    render_team(
        &state,
        who.user.as_ref(),
        &who.csrf,
        run_id,
        team_id,
        "/exercise/team".into(),
        q.saved.is_some(),
        FormState::default(),
        &[],
    )
    .await
}

pub async fn code_save(
    State(state): State<AppState>,
    who: MaybeUser,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some((run_id, team_id)) = code_team_of(&state, &who).await? else {
        if wants_json(&headers) {
            return Ok((
                axum::http::StatusCode::FORBIDDEN,
                Json(serde_json::json!({"error": "ended", "message": "This exercise has ended or the code no longer works: nothing was saved."})),
            )
                .into_response());
        }
        return Err(AppError::BadRequest(
            "This exercise has ended or your team's code no longer works, so the answer was not saved.".into(),
        ));
    };
    let team = ex::teams(&state.store, run_id)
        .await?
        .into_iter()
        .find(|t| t.id == team_id)
        .map(|t| t.name)
        .unwrap_or_default();
    let actor = Actor {
        user_id: None,
        name: format!("team code ({team})"),
    };
    save_team_answers(
        &state,
        who.user.as_ref(),
        &who.csrf,
        &actor,
        run_id,
        team_id,
        "/exercise/team".into(),
        &headers,
        &pairs,
    )
    .await
}

pub async fn code_events(
    State(state): State<AppState>,
    who: MaybeUser,
) -> Result<Response, AppError> {
    let Some((run_id, team_id)) = code_team_of(&state, &who).await? else {
        return Err(AppError::NotFound);
    };
    Ok(live::stream(&state, run_id, Audience::Team(team_id)))
}
