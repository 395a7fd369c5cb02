//! One completion: its sign-offs, signing, and reopening.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "plans/completion.html")]
pub(super) struct CompletionPage {
    chrome: Chrome,
    c: Completion,
    signs: Vec<SignOff>,
    /// The capacity the viewer may sign in now, or why not (shown only to mentors/managers).
    may_sign: Option<&'static str>,
    refusal: Option<String>,
    can_reopen: bool,
    form: FormState,
    saved: Option<&'static str>,
}

impl CompletionPage {
    fn long(&self, d: &str) -> String {
        long(d)
    }
    /// How it was done, in words ("Face to face"), not its code.
    fn mode_label(&self, code: &str) -> String {
        code.parse::<mashboard_domain::training::CompletionMode>()
            .map(|m| m.label().to_string())
            .unwrap_or_else(|_| code.to_string())
    }
}

pub(super) async fn visible_completion(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<Completion, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let c = completions::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let subject = people::get_by_id(&state.store, c.person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.may_see_completion(&c, &subject) {
        Ok(c)
    } else {
        Err(AppError::NotFound)
    }
}

pub(super) fn facts(c: &Completion, signs: &[SignOff]) -> SignOffFacts {
    SignOffFacts {
        subject_person_id: c.person_id,
        mentor_id: c.mentor_id,
        line_manager_id: c.line_manager_id,
        signed: signs
            .iter()
            .filter(|s| s.cleared_at.is_none())
            .filter_map(|s| {
                signoff::Capacity::parse(&s.capacity).map(|cap| (cap, s.signer_person_id))
            })
            .collect(),
        locked: c.status == "signed_off",
    }
}

pub(super) async fn render_completion(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    c: Completion,
    form: FormState,
    saved: Option<&'static str>,
) -> Result<Response, AppError> {
    let signs = completions::sign_offs(&state.store, c.id).await?;
    let (may_sign, refusal) = if user.can(Capability::SignOff) {
        match signoff::capacity_for(user.person_id, &facts(&c, &signs)) {
            Ok(cap) => (Some(cap.label()), None),
            Err(r) => (None, Some(r.to_string())),
        }
    } else {
        (None, None)
    };
    let has_errors = form.has_errors();
    html(&CompletionPage {
        chrome: Chrome::new(
            state,
            format!("{}: {}", c.module_title, c.person_name),
            Some(user),
            csrf,
            "/my/training",
        )
        .with_errors(has_errors),
        can_reopen: user.can(Capability::TrainingManage)
            && c.status != "reopened"
            && !signs.iter().all(|s| s.cleared_at.is_some()),
        c,
        signs,
        may_sign,
        refusal,
        form,
        saved,
    })
}

pub async fn completion(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    axum::extract::Query(s): axum::extract::Query<Saved>,
) -> Result<Response, AppError> {
    let c = visible_completion(&state, &page.user, &id).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "completion.view",
            format!(
                "Viewed the completion of {} by {}",
                c.module_code, c.staff_number
            ),
        )
        .on("completion", c.id.to_string()),
    )
    .await?;
    let saved = match s.saved.as_deref() {
        Some("signed") => Some("Your sign-off has been recorded."),
        Some("reopened") => Some(
            "The record has been reopened. Its signatures are cleared and kept in its history.",
        ),
        _ => None,
    };
    render_completion(
        &state,
        &page.user,
        &page.csrf,
        c,
        FormState::default(),
        saved,
    )
    .await
}

#[derive(serde::Deserialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reason: String,
}

pub async fn sign_off(
    State(state): State<AppState>,
    page: Page<cap::SignOff>,
    Path(id): Path<String>,
    FirstValues(f): FirstValues<CommentForm>,
) -> Result<Response, AppError> {
    let c = visible_completion(&state, &page.user, &id).await?;
    let mut form = FormState::default();
    form.set("comment", f.comment.trim());
    if f.comment.chars().count() > 2000 {
        form.add_error("comment", "Comment must be 2,000 characters or fewer");
    } else {
        match completions::sign(
            &state.store,
            &page.user.actor(),
            page.user.person_id,
            c.id,
            &f.comment,
        )
        .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/completions/{}?saved=signed", c.id)).into_response()
                )
            }
            Err(SignOffError::NoComment) => {
                form.add_error("comment", "Enter a comment with your sign-off")
            }
            Err(SignOffError::Refused(r)) => return Err(refused(r)),
            Err(SignOffError::Store(e)) => return Err(e.into()),
        }
    }
    render_completion(&state, &page.user, &page.csrf, c, form, None).await
}

pub(super) fn refused(r: signoff::Refusal) -> AppError {
    match r {
        signoff::Refusal::NotNamed | signoff::Refusal::OwnRecord => AppError::Forbidden,
        other => AppError::BadRequest(other.to_string()),
    }
}

pub async fn reopen(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    FirstValues(f): FirstValues<CommentForm>,
) -> Result<Response, AppError> {
    let c = visible_completion(&state, &page.user, &id).await?;
    if f.reason.trim().is_empty() || f.reason.chars().count() > 2000 {
        let mut form = FormState::default();
        form.add_error(
            "reason",
            if f.reason.trim().is_empty() {
                "Enter the reason for reopening this record"
            } else {
                "Reason must be 2,000 characters or fewer"
            },
        );
        return render_completion(&state, &page.user, &page.csrf, c, form, None).await;
    }
    completions::reopen(&state.store, &page.user.actor(), c.id, &f.reason).await?;
    Ok(Redirect::to(&format!("/completions/{}?saved=reopened", c.id)).into_response())
}
