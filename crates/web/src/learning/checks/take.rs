//! Taking a knowledge check and submitting the answers.

use super::*;

// ---------------------------------------------------------------------------------------------
// Taking a check

#[derive(Template)]
#[template(path = "learning/checks_take.html")]
pub(super) struct TakePage {
    pub(super) chrome: Chrome,
    pub(super) check: Check,
    pub(super) phase: &'static str,
    pub(super) phase_label: &'static str,
    pub(super) session_id: Option<i64>,
    pub(super) session_name: String,
    pub(super) chosen: BTreeSet<(i64, i64)>,
    pub(super) form: FormState,
    pub(super) previous: Vec<checks::Attempt>,
}

impl TakePage {
    fn is_chosen(&self, q: &i64, o: &i64) -> bool {
        self.chosen.contains(&(*q, *o))
    }
    fn q_error(&self, q: &i64) -> Option<&str> {
        self.form.error(&format!("q{q}"))
    }
}

pub(super) struct TakeContext {
    pub(super) phase: Phase,
    pub(super) session_id: Option<i64>,
    pub(super) session_name: String,
}

pub(super) async fn take_context(
    state: &AppState,
    phase: Option<String>,
    session: Option<String>,
) -> Result<TakeContext, AppError> {
    let phase = Phase::parse(phase.as_deref().unwrap_or("standalone"))
        .ok_or_else(|| AppError::BadRequest("The phase must be pre, post or standalone".into()))?;
    let session_id = match session.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<i64>().map_err(|_| {
            AppError::BadRequest("The session in the link is not a session number".into())
        })?),
    };
    let session_name = match session_id {
        Some(sid) => {
            let s = mashboard_store::learning::feedback::session(&state.store, sid)
                .await?
                .ok_or_else(|| {
                    AppError::BadRequest("The session in the link does not exist".into())
                })?;
            format!("{} ({})", s.name(), s.starts_at.get(0..10).unwrap_or(""))
        }
        None => String::new(),
    };
    if phase != Phase::Standalone && session_id.is_none() {
        return Err(AppError::BadRequest(
            "A check taken before or after a session needs the session in the link (…&session=ID)"
                .into(),
        ));
    }
    Ok(TakeContext {
        phase,
        session_id,
        session_name,
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn render_take(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    check: Check,
    ctx: TakeContext,
    chosen: BTreeSet<(i64, i64)>,
    form: FormState,
) -> Result<Response, AppError> {
    let previous = match user.person_id {
        Some(p) => checks::attempts_of(&state.store, p, check.summary.id).await?,
        None => Vec::new(),
    };
    let errors = form.has_errors();
    html(&TakePage {
        chrome: Chrome::new(
            state,
            check.summary.title.clone(),
            Some(user),
            csrf,
            "/my/training",
        )
        .with_errors(errors),
        check,
        phase: ctx.phase.as_str(),
        phase_label: ctx.phase.label(),
        session_id: ctx.session_id,
        session_name: ctx.session_name,
        chosen,
        form,
        previous,
    })
}

pub(super) fn linked_person(user: &CurrentUser) -> Result<i64, AppError> {
    user.person_id.ok_or_else(|| {
        AppError::BadRequest(
            "Your account is not linked to a person in the directory, so your results cannot be recorded. Ask an administrator to link your account to your staff number.".into(),
        )
    })
}

pub(super) async fn usable_check(state: &AppState, id: i64) -> Result<Check, AppError> {
    let check = checks::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !check.summary.active || check.questions.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(check)
}

pub async fn take(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    session: Session,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    linked_person(&page.user)?;
    let check = usable_check(&state, path_id(&id)?).await?;
    let ctx = take_context(
        &state,
        query(raw.as_deref(), "phase"),
        query(raw.as_deref(), "session"),
    )
    .await?;
    let _ = session
        .insert(
            &format!("{SESSION_STARTED}_{}", check.summary.id),
            mashboard_store::now_text(),
        )
        .await;
    render_take(
        &state,
        &page.user,
        &page.csrf,
        check,
        ctx,
        BTreeSet::new(),
        FormState::default(),
    )
    .await
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    session: Session,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let person_id = linked_person(&page.user)?;
    let check = usable_check(&state, path_id(&id)?).await?;
    let ctx = take_context(
        &state,
        Some(raw_field(&pairs, "phase")),
        Some(raw_field(&pairs, "session")),
    )
    .await?;
    let mut answers: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut chosen = BTreeSet::new();
    for q in &check.questions {
        let name = format!("q{}", q.id);
        for (k, v) in &pairs {
            if *k == name {
                if let Ok(o) = v.parse::<i64>() {
                    answers.entry(q.id).or_default().insert(o);
                    chosen.insert((q.id, o));
                }
            }
        }
    }
    let mut form = FormState::default();
    for (i, q) in check.questions.iter().enumerate() {
        if answers.get(&q.id).is_none_or(|a| a.is_empty()) {
            form.add_error(&format!("q{}", q.id), format!("Answer question {}", i + 1));
        }
    }
    if form.has_errors() {
        return render_take(&state, &page.user, &page.csrf, check, ctx, chosen, form).await;
    }
    let key = format!("{SESSION_STARTED}_{}", check.summary.id);
    let started: Option<String> = session.remove(&key).await.ok().flatten();
    let result = checks::submit_attempt(
        &state.store,
        &page.user.actor(),
        &NewAttempt {
            check_id: check.summary.id,
            person_id,
            session_id: ctx.session_id,
            phase: ctx.phase,
            started_at: started.unwrap_or_default(),
            answers,
            submitted_at: None,
        },
    )
    .await?;
    if result.passed {
        if let Some(module_id) = check.summary.module_id {
            complete_recording_if_done(&state, &page.user, module_id, person_id).await?;
        }
    }
    Ok(Redirect::to(&format!("/training/attempts/{}", result.attempt_id)).into_response())
}
