//! Recording a completion, one's own or for a person.

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize, Default)]
pub struct CompletionForm {
    #[serde(default)]
    module_id: String,
    #[serde(default)]
    completed_on: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    trainer: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    evidence_url: String,
}

/// Checks a completion form; returns the new completion or the form with its errors.
pub(super) fn check_completion(
    person_id: i64,
    f: &CompletionForm,
) -> Result<NewCompletion, FormState> {
    let mut form = FormState::default();
    for (k, v) in [
        ("module_id", &f.module_id),
        ("completed_on", &f.completed_on),
        ("mode", &f.mode),
        ("trainer", &f.trainer),
        ("notes", &f.notes),
        ("evidence_url", &f.evidence_url),
    ] {
        form.set(k, v.trim());
    }
    let module_id = f.module_id.trim().parse::<i64>().ok();
    if module_id.is_none() {
        form.add_error("module_id", "Choose the module you completed");
    }
    let date = if f.completed_on.trim().is_empty() {
        form.add_error("completed_on", "Enter the date you completed it");
        None
    } else {
        match parse_date(&f.completed_on) {
            Ok(d) if d > today() => {
                form.add_error(
                    "completed_on",
                    "The date you completed it must be today or in the past",
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                form.add_error("completed_on", format!("Date completed: {e}"));
                None
            }
        }
    };
    if f.mode.parse::<CompletionMode>().is_err() {
        form.add_error("mode", "Choose how it was delivered");
    }
    if f.trainer.chars().count() > 200 {
        form.add_error("trainer", "Trainer must be 200 characters or fewer");
    }
    if f.notes.chars().count() > 2000 {
        form.add_error("notes", "Notes must be 2,000 characters or fewer");
    }
    let url = f.evidence_url.trim();
    if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
        form.add_error(
            "evidence_url",
            "Evidence link must start with https:// or http://",
        );
    } else if url.chars().count() > 500 {
        form.add_error(
            "evidence_url",
            "Evidence link must be 500 characters or fewer",
        );
    }
    if form.has_errors() {
        return Err(form);
    }
    Ok(NewCompletion {
        person_id,
        module_id: module_id.unwrap_or_default(),
        module_version: None,
        completed_on: date.map(|d| d.to_string()).unwrap_or_default(),
        mode: f.mode.trim().to_string(),
        trainer: f.trainer.trim().to_string(),
        notes: f.notes.trim().to_string(),
        evidence_url: url.to_string(),
    })
}

pub(super) async fn record_and_redirect(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    person: Person,
    own: bool,
    f: CompletionForm,
    back: String,
) -> Result<Response, AppError> {
    match check_completion(person.id, &f) {
        Err(form) => {
            render_plan(
                state,
                user,
                csrf,
                person,
                PlanView {
                    own,
                    form,
                    assign_form: FormState::default(),
                    saved: None,
                },
            )
            .await
        }
        Ok(c) => match completions::record(&state.store, &user.actor(), &c).await {
            Ok(_) => Ok(Redirect::to(&back).into_response()),
            Err(StoreError::Invalid(m)) => {
                let mut form = check_completion(person.id, &f).err().unwrap_or_default();
                form.values = vec![
                    ("completed_on".into(), f.completed_on.clone()),
                    ("mode".into(), f.mode.clone()),
                ];
                form.add_error("module_id", m);
                render_plan(
                    state,
                    user,
                    csrf,
                    person,
                    PlanView {
                        own,
                        form,
                        assign_form: FormState::default(),
                        saved: None,
                    },
                )
                .await
            }
            Err(e) => Err(e.into()),
        },
    }
}

pub async fn record_own(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    FirstValues(f): FirstValues<CompletionForm>,
) -> Result<Response, AppError> {
    let Some(person) = own_person(&state, &page.user).await? else {
        return Err(AppError::BadRequest("Your account is not linked to a person in the directory, so it has no training record.".into()));
    };
    record_and_redirect(
        &state,
        &page.user,
        &page.csrf,
        person,
        true,
        f,
        "/my/training?saved=completion".into(),
    )
    .await
}

pub async fn record_for(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(staff_number): Path<String>,
    FirstValues(f): FirstValues<CompletionForm>,
) -> Result<Response, AppError> {
    let person = visible_person(&state, &page.user, &staff_number).await?;
    let back = format!("/people/{}/training?saved=completion", person.staff_number);
    record_and_redirect(&state, &page.user, &page.csrf, person, false, f, back).await
}
