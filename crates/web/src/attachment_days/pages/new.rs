//! GET/POST /attachment-days/new: scheduling a day.

use super::*;

// ---------------------------------------------------------------------------------------------
// Scheduling a day

#[derive(Template)]
#[template(path = "attachment_days/attachment_new.html")]
pub(super) struct NewPage {
    pub(super) chrome: Chrome,
    pub(super) form: FormState,
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("capacity", "8");
    html(&NewPage {
        chrome: Chrome::new(
            &state,
            "Schedule an attachment day",
            Some(&page.user),
            &page.csrf,
            "/attachment-days",
        ),
        form,
    })
}

/// A new day as typed (in a form or a JSON request).
pub(crate) struct DayDraft<'a> {
    pub day: &'a str,
    pub capacity: &'a str,
    pub location: &'a str,
    /// The facilitator's staff number, or empty.
    pub facilitator: &'a str,
    pub notes: &'a str,
}

/// Checks a new day: a date today or later, a capacity, a facilitator in the directory, a
/// place of at most 200 characters. Every problem is returned at once, by field.
pub(crate) async fn check_new_day(
    store: &mashboard_store::Store,
    d: &DayDraft<'_>,
) -> Result<Result<NewDay, Vec<(&'static str, String)>>, AppError> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let day = match d.day.trim() {
        "" => {
            errors.push(("day", "Enter the date of the day".into()));
            None
        }
        raw => match parse_date(raw) {
            Ok(day) if day < today() => {
                errors.push(("day", "The date must be today or in the future".into()));
                None
            }
            Ok(day) => Some(day),
            Err(m) => {
                errors.push(("day", m.to_string()));
                None
            }
        },
    };
    let capacity = check_capacity(d.capacity, 0)
        .map_err(|m| errors.push(("capacity", m)))
        .ok();
    let facilitator = match d.facilitator.trim() {
        "" => None,
        sn => match attachment_days::officer_by_staff_number(store, sn).await? {
            Some(o) => Some(o.id),
            None => {
                errors.push((
                    "facilitator",
                    format!("No one in the directory has staff number {sn}"),
                ));
                None
            }
        },
    };
    if d.location.trim().chars().count() > 200 {
        errors.push((
            "location",
            "The place must be 200 characters or fewer".into(),
        ));
    }
    match (day, capacity) {
        (Some(day), Some(capacity)) if errors.is_empty() => Ok(Ok(NewDay {
            day,
            capacity,
            location: d.location.trim().to_string(),
            facilitator_person_id: facilitator,
            module_id: None,
            notes: d.notes.trim().to_string(),
        })),
        _ => Ok(Err(errors)),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    for n in ["day", "capacity", "location", "facilitator", "notes"] {
        form.set(n, field(&pairs, n));
    }
    let draft = DayDraft {
        day: form.value("day"),
        capacity: form.value("capacity"),
        location: form.value("location"),
        facilitator: form.value("facilitator"),
        notes: form.value("notes"),
    };
    let checked = check_new_day(&state.store, &draft).await?;
    let new_day = match checked {
        Ok(d) => d,
        Err(errors) => {
            for (name, message) in errors {
                form.add_error(name, message);
            }
            return render_new(&state, &page, form);
        }
    };
    let d = attachment_days::create_day(&state.store, &page.user.actor(), &new_day).await?;
    Ok(Redirect::to(&format!("/attachment-days/{}?saved=created", d.id)).into_response())
}

pub(super) fn render_new(
    state: &AppState,
    page: &Page<crate::auth::cap::SessionsManage>,
    form: FormState,
) -> Result<Response, AppError> {
    let has = form.has_errors();
    html(&NewPage {
        chrome: Chrome::new(
            state,
            "Schedule an attachment day",
            Some(&page.user),
            &page.csrf,
            "/attachment-days",
        )
        .with_errors(has),
        form,
    })
}
