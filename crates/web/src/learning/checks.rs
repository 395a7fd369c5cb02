//! Knowledge checks and recorded videos.
//!
//! Trainers write question banks (`/training/checks…`) and give a recorded-video module its
//! recording (`/training/modules/{id}/video`: a link to the force's video host, or an mp4/webm
//! file kept under the data directory by a random key and served with HTTP range requests).
//! People take a check before or after a session, or on its own, and see their score with each
//! question's explanation. A transferee watches the recording, confirms it, passes the module's
//! check, and the completion is recorded for their plan.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::{path_id, raw_field};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::checks::{self as rules, OptionDraft, Phase, QuestionDraft, QuestionKind};
use mashboard_store::learning::checks::{self, Check, CheckInput, CheckSummary, NewAttempt};
use mashboard_store::learning::videos::{self, Source};
use mashboard_store::training::catalogue::{self, Module};
use mashboard_store::training::completions::{self, NewCompletion};
use mashboard_store::training::today;
use std::collections::{BTreeMap, BTreeSet};
use tower_sessions::Session;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{OwnTraining, TrainingManage};
    t.get("/training/checks", P(TrainingManage), get(list))
        .get("/training/checks/new", P(TrainingManage), get(new_form))
        .post("/training/checks/new", P(TrainingManage), post(create))
        .get("/training/checks/{id}", P(TrainingManage), get(edit))
        .post("/training/checks/{id}", P(TrainingManage), post(update))
        .post(
            "/training/checks/{id}/questions",
            P(TrainingManage),
            post(add_question),
        )
        .post(
            "/training/checks/{id}/questions/{qid}/remove",
            P(TrainingManage),
            post(remove_question),
        )
        .get("/training/checks/{id}/take", P(OwnTraining), get(take))
        .post("/training/checks/{id}/take", P(OwnTraining), post(submit))
        .get("/training/attempts/{id}", P(OwnTraining), get(result))
        .get(
            "/training/modules/{id}/video",
            P(TrainingManage),
            get(video_form),
        )
        .post_large(
            "/training/modules/{id}/video",
            P(TrainingManage),
            post(video_upload),
        )
        .get("/training/modules/{id}/watch", P(OwnTraining), get(watch))
        .post(
            "/training/modules/{id}/watch",
            P(OwnTraining),
            post(confirm_watch),
        )
        .get(
            "/training/modules/{id}/video/file",
            P(OwnTraining),
            get(video_file),
        )
}

pub const OPTION_ROWS: usize = 6;
const SESSION_STARTED: &str = "check_started";

fn query(raw: Option<&str>, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = raw
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn date_text(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

// ---------------------------------------------------------------------------------------------
// List and editor

#[derive(Template)]
#[template(path = "learning/checks_list.html")]
struct ListPage {
    chrome: Chrome,
    checks: Vec<CheckSummary>,
    videos: Vec<Module>,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    let checks = checks::list(&state.store).await?;
    let videos = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| m.kind == "recorded_video")
        .collect();
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Knowledge checks",
            Some(&page.user),
            &page.csrf,
            "/training/checks",
        ),
        checks,
        videos,
    })
}

#[derive(Template)]
#[template(path = "learning/checks_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
    modules: Vec<Module>,
    check: Option<Check>,
    question: FormState,
    option_rows: Vec<usize>,
    saved: String,
}

impl FormPage {
    fn module_selected(&self, id: &i64) -> bool {
        self.form.value("module_id") == id.to_string()
    }
    fn option_value(&self, i: &usize) -> String {
        self.question.value(&format!("option_{i}")).to_string()
    }
    fn option_correct(&self, i: &usize) -> bool {
        !self.question.value(&format!("correct_{i}")).is_empty()
    }
}

fn read_check(pairs: &[(String, String)]) -> Result<CheckInput, FormState> {
    let mut form = FormState::default();
    for n in ["title", "description", "module_id", "pass_mark", "active"] {
        form.set(n, raw_field(pairs, n).trim());
    }
    let title = form.value("title").to_string();
    if title.is_empty() {
        form.add_error("title", "Enter the check's title");
    } else if title.chars().count() > 200 {
        form.add_error("title", "The title must be 200 characters or fewer");
    }
    let description = form.value("description").to_string();
    if description.chars().count() > 2000 {
        form.add_error(
            "description",
            "The description must be 2000 characters or fewer",
        );
    }
    let module_id = match form.value("module_id") {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                form.add_error("module_id", "Choose a module from the list");
                None
            }
        },
    };
    let pass = match rules::parse_pass_mark(form.value("pass_mark")) {
        Ok(v) => v,
        Err(m) => {
            form.add_error("pass_mark", m);
            0
        }
    };
    if form.has_errors() {
        return Err(form);
    }
    Ok(CheckInput {
        module_id,
        title,
        description,
        pass_mark_pct: pass,
        active: !form.value("active").is_empty(),
    })
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    check: Option<Check>,
    question: FormState,
    saved: String,
) -> Result<Response, AppError> {
    let modules = catalogue::modules(&state.store, false).await?;
    let title = match &check {
        Some(c) => c.summary.title.clone(),
        None => "New knowledge check".to_string(),
    };
    let errors = form.has_errors() || question.has_errors();
    html(&FormPage {
        chrome: Chrome::new(state, title, Some(user), csrf, "/training/checks").with_errors(errors),
        form,
        modules,
        check,
        question,
        option_rows: (1..=OPTION_ROWS).collect(),
        saved,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("pass_mark", "80");
    form.set("active", "1");
    if let Some(m) = query(raw.as_deref(), "module") {
        form.set("module_id", m);
    }
    render_form(
        &state,
        &page.user,
        &page.csrf,
        form,
        None,
        FormState::default(),
        String::new(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input = match read_check(&pairs) {
        Ok(i) => i,
        Err(form) => {
            return render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                None,
                FormState::default(),
                String::new(),
            )
            .await
        }
    };
    let id = checks::create(&state.store, &page.user.actor(), &input, &[]).await?;
    Ok(Redirect::to(&format!("/training/checks/{id}?saved=created")).into_response())
}

fn check_form(c: &CheckSummary) -> FormState {
    let mut form = FormState::default();
    form.set("title", c.title.clone());
    form.set("description", c.description.clone());
    form.set(
        "module_id",
        c.module_id.map(|m| m.to_string()).unwrap_or_default(),
    );
    form.set("pass_mark", c.pass_mark_pct.to_string());
    form.set("active", if c.active { "1" } else { "" });
    form
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let check = checks::get(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let saved = match query(raw.as_deref(), "saved").as_deref() {
        Some("created") => "The check has been created. Add its questions below.",
        Some("details") => "The check's details have been saved.",
        Some("question") => "The question has been added.",
        Some("removed") => "The question has been removed.",
        _ => "",
    }
    .to_string();
    let mut question = FormState::default();
    question.set("kind", "single");
    render_form(
        &state,
        &page.user,
        &page.csrf,
        check_form(&check.summary),
        Some(check),
        question,
        saved,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let check = checks::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match read_check(&pairs) {
        Ok(input) => {
            checks::update(&state.store, &page.user.actor(), id, &input).await?;
            Ok(Redirect::to(&format!("/training/checks/{id}?saved=details")).into_response())
        }
        Err(form) => {
            let mut question = FormState::default();
            question.set("kind", "single");
            render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                Some(check),
                question,
                String::new(),
            )
            .await
        }
    }
}

/// Reads the "add a question" form: the draft, or the form with its errors.
fn read_question(pairs: &[(String, String)]) -> Result<QuestionDraft, FormState> {
    let mut form = FormState::default();
    for n in ["text", "kind", "explanation"] {
        form.set(n, raw_field(pairs, n).trim());
    }
    for i in 1..=OPTION_ROWS {
        form.set(
            &format!("option_{i}"),
            raw_field(pairs, &format!("option_{i}")).trim(),
        );
        form.set(
            &format!("correct_{i}"),
            raw_field(pairs, &format!("correct_{i}")),
        );
    }
    let kind = QuestionKind::parse(form.value("kind"));
    if kind.is_none() {
        form.add_error("kind", "Choose whether one answer or several are correct");
    }
    let options: Vec<OptionDraft> = (1..=OPTION_ROWS)
        .filter(|i| !form.value(&format!("option_{i}")).is_empty())
        .map(|i| OptionDraft {
            text: form.value(&format!("option_{i}")).to_string(),
            correct: !form.value(&format!("correct_{i}")).is_empty(),
        })
        .collect();
    let draft = QuestionDraft {
        text: form.value("text").to_string(),
        kind: kind.unwrap_or(QuestionKind::Single),
        explanation: form.value("explanation").to_string(),
        options,
    };
    for e in rules::validate_question(1, &draft) {
        let msg = e
            .strip_prefix("Question 1: ")
            .or_else(|| e.strip_prefix("Question 1, "))
            .unwrap_or(&e);
        let mut msg = msg.to_string();
        if let Some(first) = msg.get(0..1) {
            msg = first.to_uppercase() + &msg[1..];
        }
        let target = if msg.contains("enter the question") || msg.contains("Enter the question") {
            "text"
        } else if msg.contains("explanation") {
            "explanation"
        } else {
            "option_1"
        };
        form.add_error(target, msg);
    }
    if form.has_errors() {
        Err(form)
    } else {
        Ok(draft)
    }
}

pub async fn add_question(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let check = checks::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let draft = match read_question(&pairs) {
        Ok(d) => d,
        Err(q) => {
            let form = check_form(&check.summary);
            return render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                Some(check),
                q,
                String::new(),
            )
            .await;
        }
    };
    match checks::add_question(&state.store, &page.user.actor(), id, &draft).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/training/checks/{id}?saved=question#add")).into_response())
        }
        Err(mashboard_store::StoreError::Conflict(m))
        | Err(mashboard_store::StoreError::Invalid(m)) => {
            let mut q = FormState::default();
            for (k, v) in &pairs {
                if k != "csrf_token" {
                    q.set(k, v.clone());
                }
            }
            q.add_error("text", m);
            let form = check_form(&check.summary);
            render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                Some(check),
                q,
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_question(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path((id, qid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    checks::remove_question(&state.store, &page.user.actor(), id, path_id(&qid)?).await?;
    Ok(Redirect::to(&format!("/training/checks/{id}?saved=removed")).into_response())
}

// ---------------------------------------------------------------------------------------------
// Taking a check

#[derive(Template)]
#[template(path = "learning/checks_take.html")]
struct TakePage {
    chrome: Chrome,
    check: Check,
    phase: &'static str,
    phase_label: &'static str,
    session_id: Option<i64>,
    session_name: String,
    chosen: BTreeSet<(i64, i64)>,
    form: FormState,
    previous: Vec<checks::Attempt>,
}

impl TakePage {
    fn is_chosen(&self, q: &i64, o: &i64) -> bool {
        self.chosen.contains(&(*q, *o))
    }
    fn q_error(&self, q: &i64) -> Option<&str> {
        self.form.error(&format!("q{q}"))
    }
}

struct TakeContext {
    phase: Phase,
    session_id: Option<i64>,
    session_name: String,
}

async fn take_context(
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
async fn render_take(
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

fn linked_person(user: &CurrentUser) -> Result<i64, AppError> {
    user.person_id.ok_or_else(|| {
        AppError::BadRequest(
            "Your account is not linked to a person in the directory, so your results cannot be recorded. Ask an administrator to link your account to your staff number.".into(),
        )
    })
}

async fn usable_check(state: &AppState, id: i64) -> Result<Check, AppError> {
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

#[derive(Template)]
#[template(path = "learning/checks_result.html")]
struct ResultPage {
    chrome: Chrome,
    attempt: checks::Attempt,
    check: Check,
    pass_mark: i64,
    answers: BTreeMap<i64, BTreeSet<i64>>,
    right: BTreeSet<i64>,
    watch_module: Option<i64>,
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
async fn complete_recording_if_done(
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

// ---------------------------------------------------------------------------------------------
// Recorded videos

#[derive(Template)]
#[template(path = "learning/video_upload.html")]
struct VideoFormPage {
    chrome: Chrome,
    module: Module,
    video: Option<videos::Video>,
    form: FormState,
    saved: bool,
    max_size: String,
    check: Option<CheckSummary>,
}

async fn recorded_module(state: &AppState, id: &str) -> Result<Module, AppError> {
    let m = catalogue::module(&state.store, path_id(id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.kind != "recorded_video" {
        return Err(AppError::NotFound);
    }
    Ok(m)
}

async fn render_video_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    module: Module,
    form: FormState,
    saved: bool,
) -> Result<Response, AppError> {
    let video = videos::get(&state.store, module.id).await?;
    let check = checks::for_module(&state.store, module.id).await?;
    let errors = form.has_errors();
    html(&VideoFormPage {
        chrome: Chrome::new(
            state,
            format!("Recording for {}", module.title),
            Some(user),
            csrf,
            "/training/checks",
        )
        .with_errors(errors),
        module,
        video,
        form,
        saved,
        max_size: crate::csrf::size_text(state.config.max_video_bytes),
        check,
    })
}

pub async fn video_form(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let module = recorded_module(&state, &id).await?;
    let mut form = FormState::default();
    if let Some(v) = videos::get(&state.store, module.id).await? {
        form.set("external_url", v.external_url.unwrap_or_default());
    }
    let saved = query(raw.as_deref(), "saved").is_some();
    render_video_form(&state, &page.user, &page.csrf, module, form, saved).await
}

/// What kind of video the bytes are, from their first bytes (never from the file name alone).
pub fn sniff_video(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some(("video/mp4", "mp4"));
    }
    if bytes.len() >= 4 && bytes[0..4] == [0x1A, 0x45, 0xDF, 0xA3] {
        return Some(("video/webm", "webm"));
    }
    None
}

fn check_url(url: &str) -> Result<(), String> {
    if !url.starts_with("https://") || url.chars().any(char::is_whitespace) || url.len() < 12 {
        return Err(
            "Enter the link to the recording as a web address starting with https://".into(),
        );
    }
    if url.len() > 500 {
        return Err("The link must be 500 characters or fewer".into());
    }
    Ok(())
}

/// How long an upload may stall (no bytes arriving) before it is abandoned.
const UPLOAD_STALL: std::time::Duration = std::time::Duration::from_secs(120);

/// A file on disk that is removed when dropped unless kept: a failed, refused or abandoned
/// upload (even a browser going away mid-stream, which drops the handler) leaves nothing behind.
struct Upload {
    path: std::path::PathBuf,
    keep: bool,
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// What became of the form's file field.
enum Received {
    /// No file chosen.
    Nothing,
    Empty,
    NotVideo,
    TooBig,
    /// The upload stopped before the end (the connection dropped or stalled).
    Broken,
    /// The file is on disk under its final key, not yet recorded.
    Saved {
        file: Upload,
        key: String,
        name: String,
        content_type: &'static str,
        size: u64,
    },
}

/// Streams the file field to a temporary file inside the data directory, checking its first
/// bytes (MP4 or WebM) and its size as it goes, then renames it to its random key. Never holds
/// more than one chunk in memory.
async fn receive_video(
    state: &AppState,
    field: &mut axum::extract::multipart::Field<'_>,
    max: u64,
) -> Result<Received, std::io::Error> {
    use tokio::io::AsyncWriteExt;
    let name = field.file_name().unwrap_or_default().to_string();
    let dir = state.config.data_dir.join("videos");
    tokio::fs::create_dir_all(&dir).await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut upload = Upload {
        path: dir.join(format!(".upload-{id}.part")),
        keep: false,
    };
    let mut out = tokio::fs::File::create(&upload.path).await?;
    let mut head: Vec<u8> = Vec::with_capacity(16);
    let mut kind = None;
    let mut size = 0u64;
    loop {
        let chunk = match tokio::time::timeout(UPLOAD_STALL, field.chunk()).await {
            Ok(Ok(Some(c))) => c,
            Ok(Ok(None)) => break,
            Ok(Err(_)) | Err(_) => return Ok(Received::Broken),
        };
        size += chunk.len() as u64;
        if size > max {
            return Ok(Received::TooBig);
        }
        if kind.is_none() {
            head.extend_from_slice(&chunk[..chunk.len().min(16 - head.len().min(16))]);
            if head.len() >= 12 {
                match sniff_video(&head) {
                    Some(k) => kind = Some(k),
                    None => return Ok(Received::NotVideo),
                }
            }
        }
        out.write_all(&chunk).await?;
    }
    if size == 0 {
        return Ok(if name.is_empty() {
            Received::Nothing
        } else {
            Received::Empty
        });
    }
    let Some((content_type, ext)) = kind.or_else(|| sniff_video(&head)) else {
        return Ok(Received::NotVideo);
    };
    out.flush().await?;
    out.sync_all().await?;
    drop(out);
    let key = format!("videos/{id}.{ext}");
    let path = state.config.data_dir.join(&key);
    tokio::fs::rename(&upload.path, &path).await?;
    upload.path = path;
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    Ok(Received::Saved {
        file: upload,
        key,
        name,
        content_type,
        size,
    })
}

/// Reads the rest of a form we stopped reading, for a while, so the browser sees our answer
/// rather than a reset connection.
fn drain(mut multipart: Multipart) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while let Ok(Some(mut f)) = multipart.next_field().await {
                while let Ok(Some(_)) = f.chunk().await {}
            }
        })
        .await;
    });
}

pub async fn video_upload(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let module = recorded_module(&state, &id).await?;
    let max = state.config.max_video_bytes;
    let mut url = String::new();
    let mut received = Received::Nothing;
    let mut broken = false;
    loop {
        let mut f = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                broken = true;
                break;
            }
        };
        match f.name() {
            Some("external_url") => {
                let mut text = Vec::new();
                while let Ok(Some(chunk)) = f.chunk().await {
                    if text.len() + chunk.len() > 4096 {
                        break;
                    }
                    text.extend_from_slice(&chunk);
                }
                url = String::from_utf8_lossy(&text).trim().to_string();
            }
            Some("file") if matches!(received, Received::Nothing) => {
                received = match receive_video(&state, &mut f, max).await {
                    Ok(r) => r,
                    Err(e) => {
                        let id = crate::error::log_internal(&format!("video write: {e}"));
                        return Err(AppError::BadRequest(format!(
                            "The video could not be saved on the server (reference {id}). Ask an administrator to check the data directory and the free space on its disk. Nothing was saved."
                        )));
                    }
                };
                if !matches!(
                    received,
                    Received::Saved { .. } | Received::Nothing | Received::Empty
                ) {
                    break;
                }
            }
            _ => {}
        }
    }
    let mut form = FormState::default();
    form.set("external_url", url.clone());
    let mut file = None;
    let source = match received {
        Received::TooBig => {
            drain(multipart);
            form.add_error(
                "file",
                format!(
                    "The file is too large: it must be {} or smaller. For a longer recording, put it on the force's video host and give the link instead.",
                    crate::csrf::size_text(max)
                ),
            );
            None
        }
        Received::NotVideo => {
            drain(multipart);
            form.add_error("file", "The file must be an MP4 or WebM video");
            None
        }
        Received::Broken => {
            form.add_error(
                "file",
                "The upload stopped before the whole file arrived, so nothing was saved. Check the connection and choose the file again.",
            );
            None
        }
        Received::Empty => {
            form.add_error("file", "The selected file is empty");
            None
        }
        Received::Saved {
            file: upload,
            key,
            name,
            content_type,
            size,
        } => {
            file = Some(upload);
            Some(Source::File {
                file_name: name,
                content_type: content_type.into(),
                size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
                storage_key: key,
            })
        }
        Received::Nothing if broken => {
            form.add_error(
                "file",
                "The upload stopped before the whole form arrived, so nothing was saved. Try again.",
            );
            None
        }
        Received::Nothing if !url.is_empty() => match check_url(&url) {
            Ok(()) => Some(Source::External { url: url.clone() }),
            Err(m) => {
                form.add_error("external_url", m);
                None
            }
        },
        Received::Nothing => {
            form.add_error(
                "external_url",
                "Give the link to the recording on the force's video host, or choose a video file to upload",
            );
            None
        }
    };
    let Some(source) = source else {
        return render_video_form(&state, &page.user, &page.csrf, module, form, false).await;
    };
    // One transaction records the file; if it fails, the guard removes the file.
    let old = videos::set(&state.store, &page.user.actor(), module.id, &source).await?;
    if let Some(mut f) = file {
        f.keep = true;
    }
    if let Some(old) = old.filter(|k| !k.contains("..")) {
        let _ = tokio::fs::remove_file(state.config.data_dir.join(old)).await;
    }
    Ok(Redirect::to(&format!("/training/modules/{}/video?saved=1", module.id)).into_response())
}

#[derive(Template)]
#[template(path = "learning/video_watch.html")]
struct WatchPage {
    chrome: Chrome,
    module: Module,
    video: Option<videos::Video>,
    watched_at: Option<String>,
    check: Option<CheckSummary>,
    passed: bool,
    best: Option<i64>,
    completed_on: Option<String>,
    just_completed: bool,
}

pub async fn watch(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let person_id = linked_person(&page.user)?;
    let module = recorded_module(&state, &id).await?;
    let video = videos::get(&state.store, module.id).await?;
    let watched_at = videos::watched_at(&state.store, module.id, person_id).await?;
    let check = checks::for_module(&state.store, module.id)
        .await?
        .filter(|c| c.questions > 0);
    let (passed, best) = match &check {
        Some(c) => {
            let a = checks::attempts_of(&state.store, person_id, c.id).await?;
            (
                a.iter().any(|a| a.passed),
                a.iter().map(|a| a.score_pct).max(),
            )
        }
        None => (false, None),
    };
    let completed_on = videos::completion_of(&state.store, module.id, person_id)
        .await?
        .map(|(_, d)| d);
    html(&WatchPage {
        chrome: Chrome::new(
            &state,
            module.title.clone(),
            Some(&page.user),
            &page.csrf,
            "/my/training",
        ),
        module,
        video,
        watched_at,
        check,
        passed,
        best,
        completed_on,
        just_completed: query(raw.as_deref(), "completed").is_some(),
    })
}

pub async fn confirm_watch(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let person_id = linked_person(&page.user)?;
    let module = recorded_module(&state, &id).await?;
    if videos::get(&state.store, module.id).await?.is_none() {
        return Err(AppError::BadRequest(
            "This module has no recording yet, so watching it cannot be confirmed. Ask the trainer."
                .into(),
        ));
    }
    videos::confirm_watch(&state.store, &page.user.actor(), module.id, person_id).await?;
    let done = complete_recording_if_done(&state, &page.user, module.id, person_id).await?;
    let target = if done {
        format!("/training/modules/{}/watch?completed=1", module.id)
    } else {
        format!("/training/modules/{}/watch", module.id)
    };
    Ok(Redirect::to(&target).into_response())
}

/// The uploaded recording, with range requests (206 Partial Content) so players can seek.
pub async fn video_file(
    State(state): State<AppState>,
    _page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    use tower::ServiceExt;
    let module = recorded_module(&state, &id).await?;
    let video = videos::get(&state.store, module.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(key) = video.storage_key.filter(|k| !k.contains("..")) else {
        return Err(AppError::NotFound);
    };
    let path = state.config.data_dir.join(&key);
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Err(AppError::NotFound);
    }
    let res = tower_http::services::ServeFile::new(&path)
        .oneshot(request)
        .await
        .map_err(|e| AppError::Internal(format!("video: {e}")))?;
    let mut res = res.map(axum::body::Body::new).into_response();
    let h = res.headers_mut();
    if let Some(ct) = video
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        h.insert(header::CONTENT_TYPE, ct);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    Ok(res)
}
