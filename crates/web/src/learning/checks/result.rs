//! The result of a knowledge check, and completing a recording when it is passed.

use super::*;

#[derive(Template)]
#[template(path = "learning/checks_result.html")]
pub(super) struct ResultPage {
    pub(super) chrome: Chrome,
    pub(super) attempt: checks::Attempt,
    pub(super) check: Check,
    pub(super) pass_mark: i64,
    pub(super) answers: BTreeMap<i64, BTreeSet<i64>>,
    pub(super) right: BTreeSet<i64>,
    pub(super) watch_module: Option<i64>,
}

impl ResultPage {
    fn picked(&self, q: &i64, o: &i64) -> bool {
        self.answers.get(q).is_some_and(|a| a.contains(o))
    }
    fn is_right(&self, q: &i64) -> bool {
        self.right.contains(q)
    }
}

pub async fn result(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let attempt = checks::attempt(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only the person's own attempts.
    if Some(attempt.person_id) != page.user.person_id {
        return Err(AppError::NotFound);
    }
    let check = checks::get(&state.store, attempt.check_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let answers = checks::attempt_answers(&state.store, attempt.id).await?;
    let right = checks::attempt_marks(&state.store, attempt.id).await?;
    let watch_module = match check.summary.module_id {
        Some(m) => catalogue::module(&state.store, m)
            .await?
            .filter(|m| m.kind == "recorded_video")
            .map(|m| m.id),
        None => None,
    };
    html(&ResultPage {
        chrome: Chrome::new(
            &state,
            format!("Your result: {}", check.summary.title),
            Some(&page.user),
            &page.csrf,
            "/my/training",
        ),
        pass_mark: check.summary.pass_mark_pct,
        right,
        attempt,
        check,
        answers,
        watch_module,
    })
}

/// Records the completion of a recorded-video module once the person has confirmed watching it
/// and passed its check (or it has no check), unless a completion is already recorded.
pub(super) async fn complete_recording_if_done(
    state: &AppState,
    user: &CurrentUser,
    module_id: i64,
    person_id: i64,
) -> Result<bool, AppError> {
    let Some(module) = catalogue::module(&state.store, module_id).await? else {
        return Ok(false);
    };
    if module.kind != "recorded_video" {
        return Ok(false);
    }
    if videos::watched_at(&state.store, module_id, person_id)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    let check = checks::for_module(&state.store, module_id).await?;
    let note = match &check {
        Some(c) if c.questions > 0 => {
            if !checks::has_passed(&state.store, person_id, c.id).await? {
                return Ok(false);
            }
            format!(
                "Watched the recording and passed the knowledge check \"{}\".",
                c.title
            )
        }
        _ => "Watched the recording.".to_string(),
    };
    if videos::completion_of(&state.store, module_id, person_id)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    completions::record(
        &state.store,
        &user.actor(),
        &NewCompletion {
            person_id,
            module_id,
            module_version: None,
            completed_on: date_text(today()),
            mode: "recording".into(),
            trainer: String::new(),
            notes: note,
            evidence_url: String::new(),
        },
    )
    .await?;
    Ok(true)
}
