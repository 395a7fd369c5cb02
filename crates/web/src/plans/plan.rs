//! A training plan: one's own or a person's, with their role-profile assignments.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "plans/training_plan.html")]
pub(super) struct PlanPage {
    chrome: Chrome,
    person: Person,
    own: bool,
    items: Vec<PlanItem>,
    history: Vec<Completion>,
    assignments: Vec<Assignment>,
    profiles: Vec<Profile>,
    modules: Vec<Module>,
    modes: Vec<CompletionMode>,
    can_manage: bool,
    can_record: bool,
    record_action: String,
    form: FormState,
    assign_form: FormState,
    saved: Option<&'static str>,
    bookings: Vec<mashboard_store::delivery::enrolment::PersonBooking>,
    /// Sessions attended in the last 90 days whose feedback form is still to fill in.
    feedback_due: Vec<mashboard_store::learning::feedback::SessionInfo>,
}

impl PlanPage {
    fn long(&self, d: &str) -> String {
        long(d)
    }
    fn since_text(&self, i: &PlanItem) -> String {
        i.state
            .overdue_since
            .map(|d| format!("since {}", format_date_long(d)))
            .unwrap_or_default()
    }
    fn due_text(&self, i: &PlanItem) -> String {
        match (i.state.expires_on, i.state.due_on) {
            (Some(d), _) => format!("Expires {}", format_date_long(d)),
            (None, Some(d)) => format!("Due {}", format_date_long(d)),
            (None, None) => "No renewal".into(),
        }
    }
    fn mode_checked(&self, m: &CompletionMode) -> bool {
        self.form.value("mode") == m.as_str()
    }
    fn module_selected(&self, id: &i64) -> bool {
        self.form.value("module_id") == id.to_string()
    }
}

#[derive(serde::Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    pub(super) saved: Option<String>,
}

pub(super) fn saved_message(s: &Saved) -> Option<&'static str> {
    match s.saved.as_deref() {
        Some("completion") => Some("The completion has been recorded. It now needs sign-off by the named mentor and line manager."),
        Some("assigned") => Some("The person has been assigned to the role profile; their plan now includes its modules."),
        Some("ended") => Some("The assignment has ended. Completions are kept."),
        _ => None,
    }
}

pub(super) struct PlanView {
    pub(super) own: bool,
    pub(super) form: FormState,
    pub(super) assign_form: FormState,
    pub(super) saved: Option<&'static str>,
}

pub(super) async fn render_plan(
    state: &AppState,
    page_user: &CurrentUser,
    csrf: &str,
    person: Person,
    v: PlanView,
) -> Result<Response, AppError> {
    let items = plans::plan_of(&state.store, person.id, today()).await?;
    let history = completions::of_person(&state.store, person.id).await?;
    let assignments = programmes::assignments_of(&state.store, person.id).await?;
    let can_manage = page_user.can(Capability::TrainingManage);
    let profiles = if can_manage {
        programmes::profiles(&state.store).await?
    } else {
        Vec::new()
    };
    let modules = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| m.status == "live")
        .collect();
    audit_trail::record(
        &state.store,
        &page_user.actor(),
        Event::new(
            "training.view",
            format!("Viewed the training record of {}", person.staff_number),
        )
        .on("person", &person.staff_number),
    )
    .await?;
    let (title, current, record_action) = if v.own {
        (
            "Your training".to_string(),
            "/my/training",
            "/my/training/completions".to_string(),
        )
    } else {
        (
            format!("Training: {}", person.name),
            "/training/matrix",
            format!("/people/{}/training/completions", person.staff_number),
        )
    };
    let has_errors = v.form.has_errors() || v.assign_form.has_errors();
    let bookings = match v.own {
        true => crate::sessions::my_bookings(state, page_user).await?,
        false => Vec::new(),
    };
    let feedback_due = match (v.own, page_user.person_id) {
        (true, Some(me)) => {
            let cutoff = time::OffsetDateTime::now_utc().date() - time::Duration::days(90);
            mashboard_store::learning::feedback::attended_by(&state.store, me)
                .await?
                .into_iter()
                .filter(|(s, done)| !done && s.starts_at.as_str() >= cutoff.to_string().as_str())
                .map(|(s, _)| s)
                .collect()
        }
        _ => Vec::new(),
    };
    html(&PlanPage {
        bookings,
        feedback_due,
        chrome: Chrome::new(state, title, Some(page_user), csrf, current).with_errors(has_errors),
        own: v.own,
        items,
        history,
        assignments,
        profiles,
        modules,
        modes: CompletionMode::ALL.to_vec(),
        can_record: v.own || can_manage,
        can_manage,
        record_action,
        form: v.form,
        assign_form: v.assign_form,
        saved: v.saved,
        person,
    })
}

pub(super) async fn own_person(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Option<Person>, AppError> {
    Ok(match user.person_id {
        Some(id) => people::get_by_id(&state.store, id).await?,
        None => None,
    })
}

#[derive(Template)]
#[template(path = "plans/training_unlinked.html")]
pub(super) struct Unlinked {
    chrome: Chrome,
}

pub async fn my_training(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    axum::extract::Query(s): axum::extract::Query<Saved>,
) -> Result<Response, AppError> {
    let Some(person) = own_person(&state, &page.user).await? else {
        return html(&Unlinked {
            chrome: Chrome::new(
                &state,
                "Your training",
                Some(&page.user),
                &page.csrf,
                "/my/training",
            ),
        });
    };
    render_plan(
        &state,
        &page.user,
        &page.csrf,
        person,
        PlanView {
            own: true,
            form: FormState::default(),
            assign_form: FormState::default(),
            saved: saved_message(&s),
        },
    )
    .await
}

pub(super) async fn visible_person(
    state: &AppState,
    user: &CurrentUser,
    staff_number: &str,
) -> Result<Person, AppError> {
    let p = people::get(&state.store, staff_number)
        .await?
        .ok_or(AppError::NotFound)?;
    if !user.may_see_training_of(&p) {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

pub async fn person_training(
    State(state): State<AppState>,
    page: Page<cap::TrainingRecords>,
    Path(staff_number): Path<String>,
    axum::extract::Query(s): axum::extract::Query<Saved>,
) -> Result<Response, AppError> {
    let person = visible_person(&state, &page.user, &staff_number).await?;
    let own = page.user.person_id == Some(person.id);
    render_plan(
        &state,
        &page.user,
        &page.csrf,
        person,
        PlanView {
            own,
            form: FormState::default(),
            assign_form: FormState::default(),
            saved: saved_message(&s),
        },
    )
    .await
}
