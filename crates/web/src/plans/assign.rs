//! Assigning a person to a role profile, and ending an assignment.

#[allow(unused_imports)]
use super::*;

#[derive(serde::Deserialize, Default)]
pub struct AssignForm {
    #[serde(default)]
    profile_id: String,
    #[serde(default)]
    started_on: String,
}

pub async fn assign(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(staff_number): Path<String>,
    FirstValues(f): FirstValues<AssignForm>,
) -> Result<Response, AppError> {
    let person = visible_person(&state, &page.user, &staff_number).await?;
    let mut form = FormState::default();
    form.set("profile_id", f.profile_id.trim());
    form.set("started_on", f.started_on.trim());
    let profile_id = f.profile_id.trim().parse::<i64>().ok();
    if profile_id.is_none() {
        form.add_error("profile_id", "Choose a role profile");
    }
    let started = match parse_date(&f.started_on) {
        Ok(d) => Some(d),
        Err(_) if f.started_on.trim().is_empty() => {
            form.add_error("started_on", "Enter the date they started the role");
            None
        }
        Err(e) => {
            form.add_error("started_on", format!("Date started: {e}"));
            None
        }
    };
    if let (Some(pid), Some(d), false) = (profile_id, started, form.has_errors()) {
        match programmes::assign(
            &state.store,
            &page.user.actor(),
            person.id,
            pid,
            &d.to_string(),
        )
        .await
        {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/people/{}/training?saved=assigned",
                    person.staff_number
                ))
                .into_response())
            }
            Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
                form.add_error("profile_id", m)
            }
            Err(e) => return Err(e.into()),
        }
    }
    render_plan(
        &state,
        &page.user,
        &page.csrf,
        person,
        PlanView {
            own: false,
            form: FormState::default(),
            assign_form: form,
            saved: None,
        },
    )
    .await
}

pub async fn end_assignment(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path((staff_number, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let person = visible_person(&state, &page.user, &staff_number).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let mine = programmes::assignments_of(&state.store, person.id)
        .await?
        .iter()
        .any(|a| a.id == id && a.ended_on.is_none());
    if !mine {
        return Err(AppError::NotFound);
    }
    programmes::end_assignment(&state.store, &page.user.actor(), id, &today().to_string()).await?;
    Ok(Redirect::to(&format!(
        "/people/{}/training?saved=ended",
        person.staff_number
    ))
    .into_response())
}
