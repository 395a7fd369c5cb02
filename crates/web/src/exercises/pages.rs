//! The exercise runner's pages: scenarios, starting a run, the facilitator console, the projector
//! view, each team's page (signed in, or on a shared screen opened with the team's code), and the
//! printable debrief with CSV and PDF exports. Every page works without JavaScript by reloading;
//! `app.js` adds live updates (Server-Sent Events) and answers that save as they are typed.

use crate::auth::{cap, CurrentUser, MaybeUser, Page};
use crate::error::AppError;
use crate::exercises::api::{self as live, Audience};
use crate::form::field_str;
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use mashboard_domain::access::Capability;
use mashboard_domain::exercises as rules;
use mashboard_store::audit::Actor;
use mashboard_store::exercises::{self as ex, NewPartner, NewRun, NewTeam, Run, Scenario, Team};
use serde::Deserialize;
use std::collections::BTreeSet;

const SESSION_CODE: &str = "exercise_team_code";

pub(crate) fn routes(t: Table) -> Table {
    use Access::{Page as P, Public};
    use Capability::{ExercisesFacilitate as F, ExercisesTake as T};
    t.get("/exercises", P(T), get(index))
        .get("/exercises/scenarios/{id}", P(F), get(scenario_page))
        .get("/exercises/runs/new", P(F), get(new_form))
        .post("/exercises/runs/new", P(F), post(create))
        .get("/exercises/runs/{id}/console", P(F), get(console))
        .get(
            "/exercises/runs/{id}/console/events",
            P(F),
            get(console_events),
        )
        .post("/exercises/runs/{id}/release", P(F), post(release))
        .post("/exercises/runs/{id}/notes", P(F), post(add_note))
        .post("/exercises/runs/{id}/meeting", P(F), post(save_meeting))
        .post("/exercises/runs/{id}/actions", P(F), post(add_action))
        .post("/exercises/runs/{id}/end", P(F), post(end_run))
        .post(
            "/exercises/runs/{id}/facilitators",
            P(F),
            post(add_facilitator),
        )
        .post(
            "/exercises/runs/{id}/facilitators/{user_id}/remove",
            P(F),
            post(remove_facilitator),
        )
        .get("/exercises/runs/{id}/projector", P(F), get(projector))
        .get(
            "/exercises/runs/{id}/projector/events",
            P(F),
            get(projector_events),
        )
        .get("/exercises/runs/{id}/teams/{team_id}", P(T), get(team_page))
        .post(
            "/exercises/runs/{id}/teams/{team_id}",
            P(T),
            post(team_save),
        )
        .get(
            "/exercises/runs/{id}/teams/{team_id}/events",
            P(T),
            get(team_events),
        )
        .get("/exercises/runs/{id}/debrief", P(F), get(debrief))
        .get("/exercises/runs/{id}/debrief.csv", P(F), get(debrief_csv))
        .get("/exercises/runs/{id}/debrief.pdf", P(F), get(debrief_pdf))
        .get("/exercise", Public, get(code_form))
        .post("/exercise", Public, post(code_submit))
        .get("/exercise/team", Public, get(code_team))
        .post("/exercise/team", Public, post(code_save))
        .get("/exercise/team/events", Public, get(code_events))
}

// ----- helpers -----

/// Text as paragraphs (one per line), so briefings and logs keep their lines without markup.
fn paras(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// An instant as the force's wall-clock time of day, e.g. "14:05".
fn clock_at(instant: &str) -> String {
    mashboard_store::parse_instant(instant)
        .map(rules::uk_clock)
        .unwrap_or_default()
}

/// The day of an instant, as pages show dates.
fn day_of(instant: &str) -> String {
    crate::view::date_text(instant.get(..10).unwrap_or(instant))
}

fn since_start(run: &Run, instant: &str) -> String {
    let (Some(a), Some(b)) = (
        mashboard_store::parse_instant(&run.started_at),
        mashboard_store::parse_instant(instant),
    ) else {
        return String::new();
    };
    rules::clock_text((b - a).whole_seconds())
}

fn elapsed(run: &Run) -> String {
    let end = run
        .ended_at
        .clone()
        .unwrap_or_else(mashboard_store::now_text);
    since_start(run, &end)
}

async fn load_run(state: &AppState, id: i64) -> Result<(Run, Scenario), AppError> {
    let run = ex::run(&state.store, id).await?.ok_or(AppError::NotFound)?;
    let sc = ex::scenario(&state.store, run.scenario_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((run, sc))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Only the run's facilitators (its creator and named co-facilitators) and administrators and the
/// MASH trainer may open a run as facilitator; anyone else gets a 404, as for a run that does
/// not exist, so a run's existence is not revealed.
pub(crate) async fn facilitated(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<(), AppError> {
    if ex::may_facilitate(&state.store, user.run_scope(), id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Streams are for live runs only (an ended run has nothing more to say).
async fn live_only(state: &AppState, id: i64) -> Result<(), AppError> {
    match ex::run(&state.store, id).await? {
        Some(r) if r.live() => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

// ----- index and scenario -----

pub struct RunLink {
    pub title: String,
    pub started: String,
    pub live: bool,
    pub href: String,
    pub team: String,
    pub id: i64,
}

#[derive(Template)]
#[template(path = "exercises/exercise_index.html")]
pub struct IndexPage {
    pub chrome: Chrome,
    pub facilitator: bool,
    /// Whether this user reaches every run (administrators and the MASH trainer).
    pub every_run: bool,
    pub scenarios: Vec<ex::ScenarioSummary>,
    pub runs: Vec<RunLink>,
}

pub async fn index(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
) -> Result<Response, AppError> {
    let facilitator = page.user.can(Capability::ExercisesFacilitate);
    let (scenarios, runs) = if facilitator {
        ex::ensure_scenarios(&state.store).await?;
        let runs = ex::list_runs_for(&state.store, page.user.run_scope())
            .await?
            .into_iter()
            .map(|r| RunLink {
                href: format!("/exercises/runs/{}/console", r.id),
                started: day_of(&r.started_at),
                live: r.live(),
                title: r.title,
                team: String::new(),
                id: r.id,
            })
            .collect();
        (ex::list_scenarios(&state.store).await?, runs)
    } else {
        let runs = ex::runs_for_member(&state.store, page.user.person_id, page.user.id)
            .await?
            .into_iter()
            .map(|(r, tid, tname)| RunLink {
                href: format!("/exercises/runs/{}/teams/{tid}", r.id),
                started: day_of(&r.started_at),
                live: r.live(),
                title: r.title,
                team: tname,
                id: r.id,
            })
            .collect();
        (Vec::new(), runs)
    };
    html(&IndexPage {
        chrome: Chrome::new(
            &state,
            "Exercises",
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        facilitator,
        every_run: page.user.run_scope() == mashboard_domain::access::RunScope::Every,
        scenarios,
        runs,
    })
}

/// A stage as pages show it, lines split into paragraphs.
pub struct StageView {
    pub stage: i64,
    pub title: String,
    pub briefing: Vec<String>,
    pub attachments: Vec<(String, Vec<String>)>,
    pub notes: Vec<String>,
    pub strategy_meeting: bool,
    /// (text, model answer)
    pub questions: Vec<(String, Vec<String>)>,
}

fn stage_view(s: &ex::Stage) -> StageView {
    StageView {
        stage: s.stage,
        title: s.title.clone(),
        briefing: paras(&s.briefing),
        attachments: s
            .attachments
            .iter()
            .map(|a| (a.title.clone(), paras(&a.body)))
            .collect(),
        notes: paras(&s.facilitator_notes),
        strategy_meeting: s.strategy_meeting,
        questions: s
            .questions
            .iter()
            .map(|q| (q.text.clone(), paras(&q.model_answer)))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "exercises/exercise_scenario.html")]
pub struct ScenarioPage {
    pub chrome: Chrome,
    pub title: String,
    pub summary: String,
    pub stages: Vec<StageView>,
}

pub async fn scenario_page(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let scenario = ex::scenario(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    html(&ScenarioPage {
        chrome: Chrome::new(
            &state,
            scenario.title.clone(),
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        title: scenario.title.clone(),
        summary: scenario.summary.clone(),
        stages: scenario.stages.iter().map(stage_view).collect(),
    })
}

// ----- new run -----

pub struct TeamSlot {
    pub n: usize,
    pub name: String,
    pub members: String,
    pub partners: String,
    pub usernames: String,
}

#[derive(Template)]
#[template(path = "exercises/exercise_new.html")]
pub struct NewPage {
    pub chrome: Chrome,
    pub form: FormState,
    pub scenarios: Vec<ex::ScenarioSummary>,
    pub scenario_id: i64,
    pub title: String,
    pub co_facilitators: String,
    pub attachment_day: String,
    pub slots: Vec<TeamSlot>,
    pub more_href: String,
}

#[derive(Deserialize)]
pub struct NewQuery {
    attachment_day: Option<String>,
    teams: Option<usize>,
}

fn slots(n: usize) -> Vec<TeamSlot> {
    (1..=n)
        .map(|n| TeamSlot {
            n,
            name: format!("Team {n}"),
            members: String::new(),
            partners: String::new(),
            usernames: String::new(),
        })
        .collect()
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    ex::ensure_scenarios(&state.store).await?;
    let scenarios = ex::list_scenarios(&state.store).await?;
    let n = q.teams.unwrap_or(2).clamp(1, 12);
    let day = q.attachment_day.unwrap_or_default();
    html(&NewPage {
        chrome: Chrome::new(
            &state,
            "Start an exercise run",
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        form: FormState::default(),
        scenario_id: scenarios.first().map(|s| s.id).unwrap_or_default(),
        scenarios,
        title: String::new(),
        co_facilitators: String::new(),
        more_href: format!(
            "/exercises/runs/new?teams={}{}",
            (n + 2).min(12),
            if day.is_empty() {
                String::new()
            } else {
                format!("&attachment_day={day}")
            }
        ),
        attachment_day: day,
        slots: slots(n),
    })
}

/// Splits a box of staff numbers or usernames (one a line, or separated by commas or spaces).
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Partner participants, one a line as "Name, Organisation".
fn partner_lines(s: &str, team: &str) -> Result<Vec<NewPartner>, String> {
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, org)) = line.split_once(',') else {
            return Err(format!(
                "{team}, partner participants line {}: write the name, a comma, then the organisation (for example \"Sam Lee, Eastbrook children's services\").",
                i + 1
            ));
        };
        if name.trim().is_empty() || org.trim().is_empty() {
            return Err(format!(
                "{team}, partner participants line {}: give both the name and the organisation.",
                i + 1
            ));
        }
        out.push(NewPartner {
            name: name.trim().into(),
            organisation: org.trim().into(),
        });
    }
    Ok(out)
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    ex::ensure_scenarios(&state.store).await?;
    let scenarios = ex::list_scenarios(&state.store).await?;
    let mut form = FormState::default();
    let scenario_id: i64 = field_str(&pairs, "scenario_id").parse().unwrap_or(0);
    if !scenarios.iter().any(|s| s.id == scenario_id) {
        form.add_error("scenario_id", "Choose the scenario to run.");
    }
    let day_text = field_str(&pairs, "attachment_day").trim().to_string();
    let attachment_day_id = if day_text.is_empty() {
        None
    } else {
        match day_text.parse::<i64>() {
            Ok(d) => Some(d),
            Err(_) => {
                form.add_error("attachment_day", "The attachment day must be a number.");
                None
            }
        }
    };
    let n = field_str(&pairs, "slots")
        .parse::<usize>()
        .unwrap_or(2)
        .clamp(1, 12);
    let mut slots_back = Vec::new();
    let mut teams = Vec::new();
    for i in 1..=n {
        let slot = TeamSlot {
            n: i,
            name: field_str(&pairs, &format!("team{i}_name")).to_string(),
            members: field_str(&pairs, &format!("team{i}_members")).to_string(),
            partners: field_str(&pairs, &format!("team{i}_partners")).to_string(),
            usernames: field_str(&pairs, &format!("team{i}_usernames")).to_string(),
        };
        let empty = slot.name.trim().is_empty()
            && slot.members.trim().is_empty()
            && slot.partners.trim().is_empty()
            && slot.usernames.trim().is_empty();
        if !empty {
            let label = if slot.name.trim().is_empty() {
                format!("Team {i}")
            } else {
                slot.name.trim().to_string()
            };
            match partner_lines(&slot.partners, &label) {
                Ok(partners) => teams.push(NewTeam {
                    name: slot.name.clone(),
                    members: tokens(&slot.members),
                    partners,
                    usernames: tokens(&slot.usernames),
                }),
                Err(m) => form.add_error(&format!("team{i}_partners"), m),
            }
        }
        slots_back.push(slot);
    }
    if teams.is_empty() && !form.has_errors() {
        form.add_error("team1_name", "Add at least one team.");
    }
    let title = field_str(&pairs, "title").to_string();
    let co_facilitators = field_str(&pairs, "co_facilitators").to_string();
    if !form.has_errors() {
        let new = NewRun {
            scenario_id,
            title: title.clone(),
            attachment_day_id,
            teams,
            started_at: None,
            co_facilitators: tokens(&co_facilitators),
        };
        let mut rng = rand::rngs::OsRng;
        match ex::create_run(&state.store, &page.user.actor(), &new, &mut rng).await {
            Ok((id, _)) => {
                return Ok(Redirect::to(&format!("/exercises/runs/{id}/console")).into_response())
            }
            Err(mashboard_store::StoreError::Invalid(m)) if m.starts_with("Co-facilitators") => {
                form.add_error("co_facilitators", m)
            }
            Err(mashboard_store::StoreError::Invalid(m)) => form.add_error("team1_name", m),
            Err(e) => return Err(e.into()),
        }
    }
    html(&NewPage {
        chrome: Chrome::new(
            &state,
            "Start an exercise run",
            Some(&page.user),
            &page.csrf,
            "/exercises",
        )
        .with_errors(true),
        form,
        scenarios,
        scenario_id,
        title,
        co_facilitators,
        attachment_day: day_text,
        more_href: format!("/exercises/runs/new?teams={}", (n + 2).min(12)),
        slots: slots_back,
    })
}

// ----- console -----

pub struct ReleaseLine {
    pub stage: i64,
    pub title: String,
    pub to: String,
    pub at: String,
    pub since: String,
}

pub struct AnswerCell {
    pub team_id: i64,
    pub team: String,
    pub text: String,
    pub released: bool,
}

pub struct QuestionBlock {
    pub id: i64,
    pub text: String,
    pub model_answer: String,
    pub answers: Vec<AnswerCell>,
}

pub struct StageBlock {
    pub stage: i64,
    pub title: String,
    pub questions: Vec<QuestionBlock>,
}

pub struct NoteLine {
    pub at: String,
    pub since: String,
    pub about: String,
    pub note: String,
    pub author: String,
}

#[derive(Template)]
#[template(path = "exercises/exercise_console.html")]
pub struct ConsolePage {
    pub chrome: Chrome,
    pub run: Run,
    pub scenario: Scenario,
    pub clock: String,
    pub teams: Vec<Team>,
    pub next_stage: i64,
    pub releases: Vec<ReleaseLine>,
    pub blocks: Vec<StageBlock>,
    pub notes: Vec<NoteLine>,
    pub meeting: ex::Meeting,
    pub actions: Vec<ex::Action>,
    pub facilitators: Vec<ex::Facilitator>,
    /// Whether this user may name or remove co-facilitators (the creator, administrators and
    /// the MASH trainer).
    pub manage_facilitators: bool,
    pub form: FormState,
    pub done: Option<String>,
}

struct RunData {
    run: Run,
    scenario: Scenario,
    teams: Vec<Team>,
    releases: Vec<ex::ReleaseRow>,
    answers: Vec<ex::AnswerRow>,
    notes: Vec<ex::Note>,
    meeting: ex::Meeting,
    actions: Vec<ex::Action>,
}

async fn run_data(state: &AppState, id: i64) -> Result<RunData, AppError> {
    let (run, scenario) = load_run(state, id).await?;
    Ok(RunData {
        teams: ex::teams(&state.store, id).await?,
        releases: ex::releases(&state.store, id).await?,
        answers: ex::answers(&state.store, id).await?,
        notes: ex::notes(&state.store, id).await?,
        meeting: ex::meeting(&state.store, id).await?.unwrap_or_default(),
        actions: ex::actions(&state.store, id).await?,
        run,
        scenario,
    })
}

impl RunData {
    fn release_lines(&self) -> Vec<ReleaseLine> {
        self.releases
            .iter()
            .map(|r| ReleaseLine {
                stage: r.stage,
                title: self
                    .scenario
                    .stage(r.stage)
                    .map(|s| s.title.clone())
                    .unwrap_or_default(),
                to: r.team_name.clone().unwrap_or_else(|| "All teams".into()),
                at: clock_at(&r.released_at),
                since: since_start(&self.run, &r.released_at),
            })
            .collect()
    }

    /// Every stage released to anyone (or every stage, for the debrief), each question with each
    /// team's answer.
    fn blocks(&self, all_stages: bool) -> Vec<StageBlock> {
        let rel = ex::as_rules(&self.releases);
        let released: BTreeSet<i64> = self.releases.iter().map(|r| r.stage).collect();
        self.scenario
            .stages
            .iter()
            .filter(|s| all_stages || released.contains(&s.stage))
            .map(|s| StageBlock {
                stage: s.stage,
                title: s.title.clone(),
                questions: s
                    .questions
                    .iter()
                    .map(|q| QuestionBlock {
                        id: q.id,
                        text: q.text.clone(),
                        model_answer: q.model_answer.clone(),
                        answers: self
                            .teams
                            .iter()
                            .map(|t| AnswerCell {
                                team_id: t.id,
                                team: t.name.clone(),
                                text: self
                                    .answers
                                    .iter()
                                    .find(|a| a.team_id == t.id && a.question_id == q.id)
                                    .map(|a| a.text.clone())
                                    .unwrap_or_default(),
                                released: rules::is_released(&rel, t.id, s.stage),
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    fn note_lines(&self) -> Vec<NoteLine> {
        self.notes
            .iter()
            .map(|n| NoteLine {
                at: clock_at(&n.at),
                since: since_start(&self.run, &n.at),
                about: match (n.stage, &n.team_name) {
                    (Some(s), Some(t)) => format!("Stage {s}, {t}"),
                    (Some(s), None) => format!("Stage {s}"),
                    (None, Some(t)) => t.clone(),
                    (None, None) => String::new(),
                },
                note: n.note.clone(),
                author: n.author.clone(),
            })
            .collect()
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_text(key: Option<&str>) -> Option<String> {
    Some(
        match key? {
            "released" => "Stage released.",
            "note" => "Note added.",
            "meeting" => "Strategy meeting record saved.",
            "action" => "Action added.",
            "ended" => "The run has ended. Team codes no longer work.",
            "facilitator" => "Co-facilitator added.",
            "facilitator_removed" => "Co-facilitator removed.",
            _ => return None,
        }
        .to_string(),
    )
}

async fn render_console(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    form: FormState,
    done: Option<String>,
) -> Result<Response, AppError> {
    let d = run_data(state, id).await?;
    let facilitators = ex::facilitators(&state.store, id).await?;
    let manage_facilitators =
        ex::may_manage_facilitators(&state.store, user.run_scope(), id).await?;
    let next_stage = rules::next_stage(&ex::as_rules(&d.releases), d.scenario.stages.len() as i64)
        .unwrap_or(d.scenario.stages.len() as i64);
    let has_errors = form.has_errors();
    html(&ConsolePage {
        chrome: Chrome::new(
            state,
            format!("Console: {}", d.run.title),
            Some(user),
            csrf,
            "/exercises",
        )
        .with_errors(has_errors),
        clock: elapsed(&d.run),
        releases: d.release_lines(),
        blocks: d.blocks(false),
        notes: d.note_lines(),
        next_stage,
        facilitators,
        manage_facilitators,
        form,
        done,
        run: d.run,
        scenario: d.scenario,
        teams: d.teams,
        meeting: d.meeting,
        actions: d.actions,
    })
}

pub async fn console(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    render_console(
        &state,
        &page.user,
        &page.csrf,
        id,
        FormState::default(),
        done_text(q.done.as_deref()),
    )
    .await
}

pub async fn console_events(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    live_only(&state, id).await?;
    Ok(live::stream(&state, id, Audience::Facilitator))
}

/// Runs a console action; a refusal comes back as the console with the error beside its form.
async fn console_action<F, Fut>(
    state: &AppState,
    page: &Page<cap::ExercisesFacilitate>,
    id: i64,
    field_name: &str,
    done: &str,
    f: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), mashboard_store::StoreError>>,
{
    facilitated(state, &page.user, id).await?;
    match f().await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/exercises/runs/{id}/console?done={done}#{field_name}"
        ))
        .into_response()),
        Err(mashboard_store::StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.add_error(field_name, m);
            let mut r = render_console(state, &page.user, &page.csrf, id, form, None).await?;
            *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn release(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let stage: i64 = field_str(&pairs, "stage").parse().unwrap_or(0);
    let team: Option<i64> = field_str(&pairs, "team").parse().ok();
    console_action(&state, &page, id, "stage", "released", || async {
        live::do_release(&state, &page.user, id, stage, team)
            .await
            .map(|_| ())
    })
    .await
}

pub async fn add_note(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let stage: Option<i64> = field_str(&pairs, "note_stage").parse().ok();
    let team: Option<i64> = field_str(&pairs, "note_team").parse().ok();
    let text = field_str(&pairs, "note").to_string();
    console_action(&state, &page, id, "note", "note", || async {
        let n = ex::add_note(&state.store, &page.user.actor(), id, stage, team, &text).await?;
        live::publish(
            &state,
            id,
            "note",
            serde_json::json!({"note": n.note, "at": n.at}),
        );
        Ok(())
    })
    .await
}

pub async fn save_meeting(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    console_action(&state, &page, id, "agencies_present", "meeting", || async {
        ex::save_meeting(
            &state.store,
            &page.user.actor(),
            id,
            field_str(&pairs, "agencies_present"),
            field_str(&pairs, "information_shared"),
            field_str(&pairs, "decisions"),
        )
        .await?;
        live::publish(&state, id, "meeting", serde_json::Value::Null);
        Ok(())
    })
    .await
}

pub async fn add_action(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    console_action(&state, &page, id, "action", "action", || async {
        ex::add_action(
            &state.store,
            &page.user.actor(),
            id,
            field_str(&pairs, "action"),
            field_str(&pairs, "owner"),
            field_str(&pairs, "due"),
        )
        .await?;
        live::publish(&state, id, "meeting", serde_json::Value::Null);
        Ok(())
    })
    .await
}

pub async fn end_run(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    console_action(&state, &page, id, "end", "ended", || async {
        let at = ex::end_run(&state.store, &page.user.actor(), id).await?;
        live::publish(&state, id, "ended", serde_json::json!({"at": at}));
        Ok(())
    })
    .await
}

pub async fn add_facilitator(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    if !ex::may_manage_facilitators(&state.store, page.user.run_scope(), id).await? {
        return Err(AppError::Forbidden);
    }
    let username = field_str(&pairs, "co_facilitator").trim().to_string();
    console_action(
        &state,
        &page,
        id,
        "co_facilitator",
        "facilitator",
        || async { ex::add_facilitator(&state.store, &page.user.actor(), id, &username).await },
    )
    .await
}

pub async fn remove_facilitator(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path((id, user_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    if !ex::may_manage_facilitators(&state.store, page.user.run_scope(), id).await? {
        return Err(AppError::Forbidden);
    }
    console_action(
        &state,
        &page,
        id,
        "co_facilitator",
        "facilitator_removed",
        || async {
            match ex::remove_facilitator(&state.store, &page.user.actor(), id, user_id).await {
                Err(mashboard_store::StoreError::NotFound(m)) => {
                    Err(mashboard_store::StoreError::Invalid(m))
                }
                other => other,
            }
        },
    )
    .await
}

// ----- projector -----

#[derive(Template)]
#[template(path = "exercises/exercise_projector.html")]
pub struct ProjectorPage {
    pub chrome: Chrome,
    pub run: Run,
    pub clock: String,
    pub stage: Option<StageView>,
    pub stage_count: usize,
}

pub async fn projector(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let (run, sc) = load_run(&state, id).await?;
    let latest = ex::releases(&state.store, id)
        .await?
        .into_iter()
        .rfind(|r| r.team_id.is_none());
    html(&ProjectorPage {
        chrome: Chrome::new(
            &state,
            format!("Projector: {}", run.title),
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        clock: elapsed(&run),
        stage: latest.and_then(|r| sc.stage(r.stage).map(stage_view)),
        stage_count: sc.stages.len(),
        run,
    })
}

pub async fn projector_events(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    live_only(&state, id).await?;
    Ok(live::stream(&state, id, Audience::Projector))
}

// ----- team pages -----

pub struct TeamQuestion {
    pub id: i64,
    pub text: String,
    pub answer: String,
}

pub struct TeamStage {
    pub stage: i64,
    pub title: String,
    pub briefing: Vec<String>,
    pub attachments: Vec<(String, Vec<String>)>,
    pub questions: Vec<TeamQuestion>,
}

#[derive(Template)]
#[template(path = "exercises/exercise_team.html")]
pub struct TeamPage {
    pub chrome: Chrome,
    pub run: Run,
    pub team: String,
    pub stages: Vec<TeamStage>,
    pub action: String,
    pub events: String,
    pub saved: bool,
    pub form: FormState,
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

async fn team_stages(
    state: &AppState,
    run_id: i64,
    team_id: i64,
    sc: &Scenario,
    overrides: &[(String, String)],
) -> Result<Vec<TeamStage>, AppError> {
    let rel = ex::as_rules(&ex::releases(&state.store, run_id).await?);
    let visible = rules::visible_stages(&rel, team_id);
    let answers = ex::answers(&state.store, run_id).await?;
    Ok(sc
        .stages
        .iter()
        .filter(|s| visible.contains(&s.stage))
        .map(|s| TeamStage {
            stage: s.stage,
            title: s.title.clone(),
            briefing: paras(&s.briefing),
            attachments: s
                .attachments
                .iter()
                .map(|a| (a.title.clone(), paras(&a.body)))
                .collect(),
            questions: s
                .questions
                .iter()
                .map(|q| {
                    let key = format!("q{}", q.id);
                    let typed = overrides
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, v)| v.clone());
                    TeamQuestion {
                        id: q.id,
                        text: q.text.clone(),
                        answer: typed.unwrap_or_else(|| {
                            answers
                                .iter()
                                .find(|a| a.team_id == team_id && a.question_id == q.id)
                                .map(|a| a.text.clone())
                                .unwrap_or_default()
                        }),
                    }
                })
                .collect(),
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
async fn render_team(
    state: &AppState,
    user: Option<&CurrentUser>,
    csrf: &str,
    run_id: i64,
    team_id: i64,
    base: String,
    saved: bool,
    form: FormState,
    overrides: &[(String, String)],
) -> Result<Response, AppError> {
    let (run, sc) = load_run(state, run_id).await?;
    let team = ex::teams(&state.store, run_id)
        .await?
        .into_iter()
        .find(|t| t.id == team_id)
        .ok_or(AppError::NotFound)?;
    let stages = team_stages(state, run_id, team_id, &sc, overrides).await?;
    let has_errors = form.has_errors();
    html(&TeamPage {
        chrome: Chrome::new(
            state,
            format!("{}: {}", team.name, run.title),
            user,
            csrf,
            "/exercises",
        )
        .with_errors(has_errors),
        run,
        team: team.name,
        stages,
        events: format!("{base}/events"),
        action: base,
        saved,
        form,
    })
}

/// The team a signed-in user may open: the run's facilitators any team of it, others only their
/// own.
async fn team_access(
    state: &AppState,
    user: &CurrentUser,
    run_id: i64,
    team_id: i64,
) -> Result<(), AppError> {
    let teams = ex::teams(&state.store, run_id).await?;
    if !teams.iter().any(|t| t.id == team_id) {
        return Err(AppError::NotFound);
    }
    if ex::may_facilitate(&state.store, user.run_scope(), run_id).await? {
        return Ok(());
    }
    match ex::member_team(&state.store, run_id, user.person_id, user.id).await? {
        Some(t) if t == team_id => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

pub async fn team_page(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
    Path((id, team_id)): Path<(i64, i64)>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    team_access(&state, &page.user, id, team_id).await?;
    render_team(
        &state,
        Some(&page.user),
        &page.csrf,
        id,
        team_id,
        format!("/exercises/runs/{id}/teams/{team_id}"),
        q.saved.is_some(),
        FormState::default(),
        &[],
    )
    .await
}

pub async fn team_events(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
    Path((id, team_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    team_access(&state, &page.user, id, team_id).await?;
    live_only(&state, id).await?;
    Ok(live::stream(&state, id, Audience::Team(team_id)))
}

/// Saves the answers in a team's form: every `q<ID>` field (an autosave sends one). Answers the
/// JSON `{"saved": time}` to a script, or redirects back (or shows the errors) for a plain form.
#[allow(clippy::too_many_arguments)]
async fn save_team_answers(
    state: &AppState,
    user: Option<&CurrentUser>,
    csrf: &str,
    actor: &Actor,
    run_id: i64,
    team_id: i64,
    base: String,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<Response, AppError> {
    let existing = ex::answers(&state.store, run_id).await?;
    let mut form = FormState::default();
    let mut last = String::new();
    for (k, v) in pairs {
        let Some(qid) = k.strip_prefix('q').and_then(|n| n.parse::<i64>().ok()) else {
            continue;
        };
        let had = existing
            .iter()
            .any(|a| a.team_id == team_id && a.question_id == qid);
        if !had && v.trim().is_empty() {
            continue;
        }
        match live::do_answer(state, actor, run_id, team_id, qid, v).await {
            Ok(a) => last = a.updated_at,
            Err(mashboard_store::StoreError::Invalid(m)) => form.add_error(k, m),
            Err(e) => return Err(e.into()),
        }
    }
    if wants_json(headers) {
        return Ok(if form.has_errors() {
            (
                axum::http::StatusCode::BAD_REQUEST,
                Json(serde_json::json!({"error": "bad_request", "message": form.errors.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ")})),
            )
                .into_response()
        } else {
            Json(serde_json::json!({"saved": if last.is_empty() { String::new() } else { clock_at(&last) }}))
                .into_response()
        });
    }
    if form.has_errors() {
        let mut r =
            render_team(state, user, csrf, run_id, team_id, base, false, form, pairs).await?;
        *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        return Ok(r);
    }
    Ok(Redirect::to(&format!("{base}?saved=1")).into_response())
}

pub async fn team_save(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
    Path((id, team_id)): Path<(i64, i64)>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    team_access(&state, &page.user, id, team_id).await?;
    save_team_answers(
        &state,
        Some(&page.user),
        &page.csrf,
        &page.user.actor(),
        id,
        team_id,
        format!("/exercises/runs/{id}/teams/{team_id}"),
        &headers,
        &pairs,
    )
    .await
}

// ----- team code (shared screen) -----

#[derive(Template)]
#[template(path = "exercises/exercise_code.html")]
pub struct CodePage {
    pub chrome: Chrome,
    pub form: FormState,
}

pub async fn code_form(
    State(state): State<AppState>,
    who: MaybeUser,
) -> Result<Response, AppError> {
    html(&CodePage {
        chrome: Chrome::new(
            &state,
            "Join your exercise team",
            who.user.as_ref(),
            &who.csrf,
            "",
        ),
        form: FormState::default(),
    })
}

pub async fn code_submit(
    State(state): State<AppState>,
    who: MaybeUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let code = field_str(&pairs, "code");
    if let Some(c) = rules::normalise_code(code) {
        if ex::team_for_code(&state.store, &c).await?.is_some() {
            who.session
                .insert(SESSION_CODE, &c)
                .await
                .map_err(|e| AppError::Internal(format!("session: {e}")))?;
            return Ok(Redirect::to("/exercise/team").into_response());
        }
    }
    let mut form = FormState::default();
    form.set("code", code);
    form.add_error(
        "code",
        if code.trim().is_empty() {
            "Enter your team's code."
        } else {
            "That code does not open a live exercise. Check it with the facilitator: codes have 8 letters and numbers and stop working when the exercise ends."
        },
    );
    let mut r = html(&CodePage {
        chrome: Chrome::new(
            &state,
            "Join your exercise team",
            who.user.as_ref(),
            &who.csrf,
            "",
        )
        .with_errors(true),
        form,
    })?;
    *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(r)
}

/// The (run, team) this browser session's code opens, while the run is live.
async fn code_team_of(state: &AppState, who: &MaybeUser) -> Result<Option<(i64, i64)>, AppError> {
    let code: Option<String> = who.session.get(SESSION_CODE).await.ok().flatten();
    match code {
        Some(c) => Ok(ex::team_for_code(&state.store, &c).await?),
        None => Ok(None),
    }
}

pub async fn code_team(
    State(state): State<AppState>,
    who: MaybeUser,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let Some((run_id, team_id)) = code_team_of(&state, &who).await? else {
        return Ok(Redirect::to("/exercise").into_response());
    };
    render_team(
        &state,
        who.user.as_ref(),
        &who.csrf,
        run_id,
        team_id,
        "/exercise/team".into(),
        q.saved.is_some(),
        FormState::default(),
        &[],
    )
    .await
}

pub async fn code_save(
    State(state): State<AppState>,
    who: MaybeUser,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some((run_id, team_id)) = code_team_of(&state, &who).await? else {
        if wants_json(&headers) {
            return Ok((
                axum::http::StatusCode::FORBIDDEN,
                Json(serde_json::json!({"error": "ended", "message": "This exercise has ended or the code no longer works: nothing was saved."})),
            )
                .into_response());
        }
        return Err(AppError::BadRequest(
            "This exercise has ended or your team's code no longer works, so the answer was not saved.".into(),
        ));
    };
    let team = ex::teams(&state.store, run_id)
        .await?
        .into_iter()
        .find(|t| t.id == team_id)
        .map(|t| t.name)
        .unwrap_or_default();
    let actor = Actor {
        user_id: None,
        name: format!("team code ({team})"),
    };
    save_team_answers(
        &state,
        who.user.as_ref(),
        &who.csrf,
        &actor,
        run_id,
        team_id,
        "/exercise/team".into(),
        &headers,
        &pairs,
    )
    .await
}

pub async fn code_events(
    State(state): State<AppState>,
    who: MaybeUser,
) -> Result<Response, AppError> {
    let Some((run_id, team_id)) = code_team_of(&state, &who).await? else {
        return Err(AppError::NotFound);
    };
    Ok(live::stream(&state, run_id, Audience::Team(team_id)))
}

// ----- debrief -----

#[derive(Template)]
#[template(path = "exercises/exercise_debrief.html")]
pub struct DebriefPage {
    pub chrome: Chrome,
    pub run: Run,
    pub scenario_title: String,
    pub duration: String,
    pub teams: Vec<Team>,
    pub releases: Vec<ReleaseLine>,
    pub blocks: Vec<StageBlock>,
    pub notes: Vec<NoteLine>,
    pub meeting: ex::Meeting,
    pub actions: Vec<ex::Action>,
}

pub async fn debrief(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let d = run_data(&state, id).await?;
    ex::record_view(&state.store, &page.user.actor(), id, "debrief").await?;
    html(&DebriefPage {
        chrome: Chrome::new(
            &state,
            format!("Debrief: {}", d.run.title),
            Some(&page.user),
            &page.csrf,
            "/exercises",
        ),
        scenario_title: d.scenario.title.clone(),
        duration: elapsed(&d.run),
        releases: d.release_lines(),
        blocks: d.blocks(true),
        notes: d.note_lines(),
        run: d.run,
        teams: d.teams,
        meeting: d.meeting,
        actions: d.actions,
    })
}

fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The debrief as rows: section, stage, question, team, text, model answer, time.
fn debrief_rows(d: &RunData) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    for r in d.release_lines() {
        rows.push([
            "release".into(),
            r.stage.to_string(),
            r.title,
            r.to,
            String::new(),
            String::new(),
            r.since,
        ]);
    }
    for b in d.blocks(true) {
        for q in b.questions {
            for a in q.answers {
                rows.push([
                    "answer".into(),
                    b.stage.to_string(),
                    q.text.clone(),
                    a.team,
                    a.text,
                    q.model_answer.clone(),
                    String::new(),
                ]);
            }
        }
    }
    for n in d.note_lines() {
        rows.push([
            "observer note".into(),
            String::new(),
            n.about,
            n.author,
            n.note,
            String::new(),
            n.since,
        ]);
    }
    let m = &d.meeting;
    for (label, v) in [
        ("agencies present", &m.agencies_present),
        ("information shared", &m.information_shared),
        ("decisions", &m.decisions),
    ] {
        rows.push([
            "strategy meeting".into(),
            String::new(),
            label.into(),
            String::new(),
            v.clone(),
            String::new(),
            String::new(),
        ]);
    }
    for a in &d.actions {
        rows.push([
            "action".into(),
            String::new(),
            a.action.clone(),
            a.owner.clone(),
            a.due.clone(),
            String::new(),
            String::new(),
        ]);
    }
    rows
}

pub async fn debrief_csv(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let d = run_data(&state, id).await?;
    ex::record_view(&state.store, &page.user.actor(), id, "debrief (CSV)").await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "section",
        "stage",
        "item",
        "team or owner",
        "text",
        "model answer",
        "time since start",
    ];
    w.write_record(header)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    for r in debrief_rows(&d) {
        w.write_record(r.iter().map(|c| crate::export::csv_safe(c).into_owned()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("exercise-debrief-{id}.csv"),
        bytes,
    ))
}

pub async fn debrief_pdf(
    State(state): State<AppState>,
    page: Page<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    facilitated(&state, &page.user, id).await?;
    let d = run_data(&state, id).await?;
    ex::record_view(&state.store, &page.user.actor(), id, "debrief (PDF)").await?;
    let mut w = crate::export::PdfWriter::new(format!("Exercise debrief: {}", d.run.title));
    w.line(true, 16.0, &format!("Debrief: {}", d.run.title));
    w.line(false, 10.0, &format!("Scenario: {}", d.scenario.title));
    w.line(
        false,
        10.0,
        &format!(
            "Started {} - {}",
            day_of(&d.run.started_at),
            if d.run.live() {
                "still live".to_string()
            } else {
                format!("lasted {}", elapsed(&d.run))
            }
        ),
    );
    let team_list: Vec<String> = d
        .teams
        .iter()
        .map(|t| {
            format!(
                "{} ({})",
                t.name,
                t.members
                    .iter()
                    .map(|m| if m.organisation.is_empty() {
                        m.name.clone()
                    } else {
                        format!("{}, {}", m.name, m.organisation)
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
        .collect();
    w.line(false, 10.0, &format!("Teams: {}", team_list.join(" | ")));
    w.gap(8.0);
    w.line(true, 13.0, "Timeline");
    for r in d.release_lines() {
        w.line(
            false,
            10.0,
            &format!(
                "{}  Stage {} ({}) released to {}",
                r.since, r.stage, r.title, r.to
            ),
        );
    }
    for b in d.blocks(true) {
        w.gap(8.0);
        w.line(true, 13.0, &format!("Stage {}: {}", b.stage, b.title));
        for q in b.questions {
            w.gap(4.0);
            w.line(true, 10.0, &q.text);
            w.line(false, 9.0, &format!("Model answer: {}", q.model_answer));
            for a in q.answers {
                let t = if a.text.is_empty() {
                    "(no answer)".to_string()
                } else {
                    a.text
                };
                w.line(false, 9.0, &format!("{}: {}", a.team, t));
            }
        }
    }
    w.gap(8.0);
    w.line(true, 13.0, "Observer notes");
    for n in d.note_lines() {
        w.line(
            false,
            9.0,
            &format!("{} {} ({}): {}", n.since, n.about, n.author, n.note),
        );
    }
    w.gap(8.0);
    w.line(true, 13.0, "Strategy meeting");
    w.line(
        false,
        9.0,
        &format!("Agencies present: {}", d.meeting.agencies_present),
    );
    w.line(
        false,
        9.0,
        &format!("Information shared: {}", d.meeting.information_shared),
    );
    w.line(false, 9.0, &format!("Decisions: {}", d.meeting.decisions));
    for a in &d.actions {
        w.line(
            false,
            9.0,
            &format!(
                "Action: {} - owner {}{}",
                a.action,
                a.owner,
                if a.due.is_empty() {
                    String::new()
                } else {
                    format!(", by {}", a.due)
                }
            ),
        );
    }
    let bytes = w.finish(&format!("Exercise debrief: {}", d.run.title));
    Ok(download(
        "application/pdf",
        &format!("exercise-debrief-{id}.pdf"),
        bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_lines_need_a_name_and_an_organisation() {
        let p = partner_lines("Sam Lee, Eastbrook children's services\n\n", "Red").unwrap();
        assert_eq!(p[0].organisation, "Eastbrook children's services");
        assert!(partner_lines("Sam Lee", "Red")
            .unwrap_err()
            .contains("line 1"));
        assert_eq!(tokens("E1, E2\nE3"), vec!["E1", "E2", "E3"]);
    }
}
