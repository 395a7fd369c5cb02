//! Training records pages: a person's plan (theirs, or someone's they may see), recording a
//! completion, the completion record with its two-party sign-off, and the sign-off queue.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::signoff::{self, SignOffFacts};
use mashboard_domain::training::CompletionMode;
use mashboard_store::audit::{self, Event};
use mashboard_store::people::{self, Person};
use mashboard_store::training::catalogue::{self, Module};
use mashboard_store::training::completions::{
    self, Completion, NewCompletion, SignOff, SignOffError,
};
use mashboard_store::training::plans::{self, PlanItem};
use mashboard_store::training::programmes::{self, Assignment, Profile};
use mashboard_store::training::today;
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page;
    use Capability::*;
    t.get("/my/training", Page(OwnTraining), get(my_training))
        .post(
            "/my/training/completions",
            Page(OwnTraining),
            post(record_own),
        )
        .get(
            "/people/{staff_number}/training",
            Page(TrainingRecords),
            get(person_training),
        )
        .post(
            "/people/{staff_number}/training/completions",
            Page(TrainingManage),
            post(record_for),
        )
        .post(
            "/people/{staff_number}/training/assign",
            Page(TrainingManage),
            post(assign),
        )
        .post(
            "/people/{staff_number}/training/assignments/{id}/end",
            Page(TrainingManage),
            post(end_assignment),
        )
        .get("/completions/{id}", Page(OwnTraining), get(completion))
        .post("/completions/{id}/sign-off", Page(SignOff), post(sign_off))
        .post(
            "/completions/{id}/reopen",
            Page(TrainingManage),
            post(reopen),
        )
        .get("/sign-offs", Page(SignOff), get(queue))
}

/// Dates as people read them; anything unreadable is shown as stored.
pub fn long(d: &str) -> String {
    parse_date(d)
        .map(format_date_long)
        .unwrap_or_else(|_| d.to_string())
}

#[derive(Template)]
#[template(path = "plans/training_plan.html")]
struct PlanPage {
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
    saved: Option<String>,
}

fn saved_message(s: &Saved) -> Option<&'static str> {
    match s.saved.as_deref() {
        Some("completion") => Some("The completion has been recorded. It now needs sign-off by the named mentor and line manager."),
        Some("assigned") => Some("The person has been assigned to the role profile; their plan now includes its modules."),
        Some("ended") => Some("The assignment has ended. Completions are kept."),
        _ => None,
    }
}

struct PlanView {
    own: bool,
    form: FormState,
    assign_form: FormState,
    saved: Option<&'static str>,
}

async fn render_plan(
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
    audit::record(
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

async fn own_person(state: &AppState, user: &CurrentUser) -> Result<Option<Person>, AppError> {
    Ok(match user.person_id {
        Some(id) => people::get_by_id(&state.store, id).await?,
        None => None,
    })
}

#[derive(Template)]
#[template(path = "plans/training_unlinked.html")]
struct Unlinked {
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

async fn visible_person(
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
fn check_completion(person_id: i64, f: &CompletionForm) -> Result<NewCompletion, FormState> {
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

async fn record_and_redirect(
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
    Form(f): Form<CompletionForm>,
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
    Form(f): Form<CompletionForm>,
) -> Result<Response, AppError> {
    let person = visible_person(&state, &page.user, &staff_number).await?;
    let back = format!("/people/{}/training?saved=completion", person.staff_number);
    record_and_redirect(&state, &page.user, &page.csrf, person, false, f, back).await
}

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
    Form(f): Form<AssignForm>,
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

#[derive(Template)]
#[template(path = "plans/completion.html")]
struct CompletionPage {
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
}

impl QueuePage {
    fn long(&self, d: &str) -> String {
        long(d)
    }
}

async fn visible_completion(
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

fn facts(c: &Completion, signs: &[SignOff]) -> SignOffFacts {
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

async fn render_completion(
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
    Form(f): Form<CommentForm>,
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

fn refused(r: signoff::Refusal) -> AppError {
    match r {
        signoff::Refusal::NotNamed | signoff::Refusal::OwnRecord => AppError::Forbidden,
        other => AppError::BadRequest(other.to_string()),
    }
}

pub async fn reopen(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
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

#[derive(Template)]
#[template(path = "plans/signoff_queue.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<(Completion, &'static str)>,
    linked: bool,
}

pub async fn queue(
    State(state): State<AppState>,
    page: Page<cap::SignOff>,
) -> Result<Response, AppError> {
    let items = match page.user.person_id {
        Some(pid) => completions::queue_for(&state.store, pid).await?,
        None => Vec::new(),
    };
    html(&QueuePage {
        chrome: Chrome::new(
            &state,
            "Waiting for your sign-off",
            Some(&page.user),
            &page.csrf,
            "/sign-offs",
        ),
        linked: page.user.person_id.is_some(),
        items,
    })
}
