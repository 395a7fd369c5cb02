//! The feedback form: GET/POST /sessions/{id}/feedback, one per person recorded as attending.

use super::*;

// ---------------------------------------------------------------------------------------------
// The feedback form

#[derive(Template)]
#[template(path = "learning/feedback_form.html")]
struct FormPage {
    chrome: Chrome,
    session: SessionInfo,
    form: FormState,
    /// Why the form is not offered, if it is not.
    refusal: String,
    submitted_at: Option<String>,
    thanks: bool,
    questions: Vec<(&'static str, &'static str)>,
    scale: Vec<i64>,
}

impl FormPage {
    fn checked(&self, name: &&str, v: &i64) -> bool {
        self.form.value(name) == v.to_string()
    }
    fn day(&self) -> &str {
        day(&self.session.starts_at)
    }
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    session: SessionInfo,
    form: FormState,
    thanks: bool,
) -> Result<Response, AppError> {
    let (refusal, submitted_at) = match user.person_id {
        None => ("Your account is not linked to a person in the directory, so you cannot give feedback here. Ask an administrator to link your account to your staff number.".to_string(), None),
        Some(p) => {
            let status = feedback::attendance_of(&state.store, session.id, p).await?;
            let at = feedback::submitted_at(&state.store, session.id, p).await?;
            if !feedback::may_give_feedback(status.as_deref()) {
                ("Feedback is for people recorded as attending this session. If you were there, ask the trainer to mark your attendance first.".to_string(), at)
            } else {
                (String::new(), at)
            }
        }
    };
    let errors = form.has_errors();
    html(&FormPage {
        chrome: Chrome::new(
            state,
            format!("Feedback: {}", session.name()),
            Some(user),
            csrf,
            "/my/training",
        )
        .with_errors(errors),
        session,
        form,
        refusal,
        submitted_at,
        thanks,
        questions: RATINGS.to_vec(),
        scale: (1..=5).collect(),
    })
}

pub async fn form(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let session = feedback::session(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let thanks = raw.as_deref().is_some_and(|r| r.contains("thanks"));
    render_form(
        &state,
        &page.user,
        &page.csrf,
        session,
        FormState::default(),
        thanks,
    )
    .await
}

fn read_form(pairs: &[(String, String)]) -> Result<(Ratings, String, String), FormState> {
    let mut form = FormState::default();
    let mut values = [0i64; 4];
    for (i, (name, label)) in RATINGS.iter().enumerate() {
        let raw = raw_field(pairs, name);
        form.set(name, raw.trim());
        match rules::parse_rating(label, &raw) {
            Ok(v) => values[i] = v,
            Err(m) => form.add_error(name, m),
        }
    }
    form.set("went_well", raw_field(pairs, "went_well").trim());
    form.set("improve", raw_field(pairs, "improve").trim());
    let went_well = rules::check_comment("What went well", form.value("went_well"));
    let improve = rules::check_comment("What could be better", form.value("improve"));
    if let Err(m) = &went_well {
        form.add_error("went_well", m.clone());
    }
    if let Err(m) = &improve {
        form.add_error("improve", m.clone());
    }
    match (went_well, improve) {
        (Ok(w), Ok(i)) if !form.has_errors() => Ok((
            Ratings {
                overall: values[0],
                relevance: values[1],
                delivery: values[2],
                confidence: values[3],
            },
            w,
            i,
        )),
        _ => Err(form),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = feedback::session(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory, so you cannot give feedback here.".into(),
        ));
    };
    let (ratings, went_well, improve) = match read_form(&pairs) {
        Ok(v) => v,
        Err(form) => {
            return render_form(&state, &page.user, &page.csrf, session, form, false).await
        }
    };
    feedback::submit(
        &state.store,
        &page.user.actor(),
        &NewFeedback {
            session_id: session.id,
            person_id,
            ratings,
            went_well,
            improve,
            submitted_at: None,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/sessions/{}/feedback?thanks=1", session.id)).into_response())
}
