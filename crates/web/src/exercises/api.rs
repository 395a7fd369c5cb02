//! Exercise runs in the JSON API (scenarios, runs, releases, answers, the live event stream), and
//! the live-event hub that the pages' Server-Sent Events streams share.

use crate::auth::{cap, Api, CurrentUser};
use crate::error::json_body as body;
use crate::error::ApiError;
use crate::error::Path;
use crate::live::LiveEvent;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_store::exercises::{self as ex, NewPartner, NewRun, NewTeam};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;
use utoipa::{OpenApi, ToSchema};

/// Who is watching a stream: decides which events it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Everything.
    Facilitator,
    /// Releases to all teams and the end of the run; no answers.
    Projector,
    /// Releases to all teams or to this team, and the end of the run.
    Team(i64),
}

impl Audience {
    pub fn sees(self, e: &LiveEvent) -> bool {
        if e.kind == "resync" {
            return true;
        }
        match self {
            Audience::Facilitator => true,
            Audience::Projector => {
                e.kind == "ended" || (e.kind == "release" && e.team_id.is_none())
            }
            Audience::Team(t) => {
                e.kind == "ended"
                    || (e.kind == "release" && (e.team_id.is_none() || e.team_id == Some(t)))
            }
        }
    }
}

/// A Server-Sent Events stream of a run's events for one audience, with keep-alive comments.
/// The stream ends after the run ends. A viewer who falls behind gets a `resync` event (the page
/// reloads its live parts).
pub fn stream(state: &AppState, run_id: i64, audience: Audience) -> Response {
    let rx = state.exercise_hub.subscribe(run_id);
    let s = futures_util::stream::unfold((rx, false), move |(mut rx, done)| async move {
        if done {
            return None;
        }
        loop {
            match rx.recv().await {
                Ok(e) if audience.sees(&e) => {
                    let ended = e.kind == "ended";
                    let ev = SseEvent::default()
                        .event(e.kind)
                        .data(serde_json::to_string(&e).unwrap_or_default());
                    return Some((Ok::<_, Infallible>(ev), (rx, ended)));
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let ev = SseEvent::default().event("resync").data("{}");
                    return Some((Ok(ev), (rx, false)));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let mut r = Sse::new(s)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    r
}

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.get(
        "/api/v1/exercise-scenarios",
        A(ExercisesFacilitate),
        get(scenarios),
    )
    .post(
        "/api/v1/exercise-runs",
        A(ExercisesFacilitate),
        post(create),
    )
    .get(
        "/api/v1/exercise-runs/{id}",
        A(ExercisesFacilitate),
        get(show),
    )
    .get(
        "/api/v1/exercise-runs/{id}/events",
        A(ExercisesFacilitate),
        get(events),
    )
    .post(
        "/api/v1/exercise-runs/{id}/release",
        A(ExercisesFacilitate),
        post(release),
    )
    .post(
        "/api/v1/exercise-runs/{id}/answers",
        A(ExercisesTake),
        post(answer),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(scenarios, create, show, events, release, answer),
    components(schemas(
        ScenarioList,
        ScenarioJson,
        StageJson,
        QuestionJson,
        NewRunJson,
        NewTeamJson,
        PartnerJson,
        RunCreatedJson,
        TeamCodeJson,
        RunJson,
        ReleaseJson,
        AnswerJson
    ))
)]
pub struct ExercisesDoc;

#[derive(Serialize, ToSchema)]
pub struct QuestionJson {
    pub id: i64,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct StageJson {
    /// Numbered from 1.
    pub stage: i64,
    pub title: String,
    pub strategy_meeting: bool,
    pub questions: Vec<QuestionJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ScenarioJson {
    pub id: i64,
    pub title: String,
    pub stages: Vec<StageJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ScenarioList {
    pub items: Vec<ScenarioJson>,
}

/// Exercise scenarios with their stages and questions (model answers are on the pages only).
#[utoipa::path(get, path = "/api/v1/exercise-scenarios", security(("bearer" = [])),
    responses((status = 200, body = ScenarioList)))]
pub async fn scenarios(
    State(state): State<AppState>,
    _api: Api<cap::ExercisesFacilitate>,
) -> Result<Json<ScenarioList>, ApiError> {
    ex::ensure_scenarios(&state.store).await?;
    let mut items = Vec::new();
    for s in ex::list_scenarios(&state.store).await? {
        let Some(sc) = ex::scenario(&state.store, s.id).await? else {
            continue;
        };
        items.push(ScenarioJson {
            id: sc.id,
            title: sc.title,
            stages: sc
                .stages
                .into_iter()
                .map(|st| StageJson {
                    stage: st.stage,
                    title: st.title,
                    strategy_meeting: st.strategy_meeting,
                    questions: st
                        .questions
                        .into_iter()
                        .map(|q| QuestionJson {
                            id: q.id,
                            text: q.text,
                        })
                        .collect(),
                })
                .collect(),
        });
    }
    Ok(Json(ScenarioList { items }))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = ExercisePartnerJson)]
pub struct PartnerJson {
    pub name: String,
    pub organisation: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewTeamJson {
    pub name: String,
    /// Staff numbers.
    #[serde(default)]
    pub members: Vec<String>,
    /// Partner participants without accounts.
    #[serde(default)]
    pub partners: Vec<PartnerJson>,
    /// Accounts without a directory record (partner reviewers), by username.
    #[serde(default)]
    pub usernames: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct NewRunJson {
    pub scenario_id: i64,
    pub teams: Vec<NewTeamJson>,
    pub title: Option<String>,
    pub attachment_day_id: Option<i64>,
    /// Accounts (usernames) who facilitate the run with you; only the run's facilitators,
    /// administrators and the MASH trainer can open it.
    #[serde(default)]
    pub co_facilitators: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TeamCodeJson {
    pub id: i64,
    pub name: String,
    /// The team's code for a shared screen (works while the run is live).
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RunCreatedJson {
    pub id: i64,
    pub teams: Vec<TeamCodeJson>,
}

/// Starts a live run with its teams; each team gets a code for a shared screen.
#[utoipa::path(post, path = "/api/v1/exercise-runs", request_body = NewRunJson, security(("bearer" = [])),
    responses((status = 201, body = RunCreatedJson), (status = 400, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<cap::ExercisesFacilitate>,
    req: Result<Json<NewRunJson>, JsonRejection>,
) -> Result<(StatusCode, Json<RunCreatedJson>), ApiError> {
    let req = body(req)?;
    ex::ensure_scenarios(&state.store).await?;
    let new = NewRun {
        scenario_id: req.scenario_id,
        title: req.title.unwrap_or_default(),
        attachment_day_id: req.attachment_day_id,
        teams: req
            .teams
            .into_iter()
            .map(|t| NewTeam {
                name: t.name,
                members: t.members,
                partners: t
                    .partners
                    .into_iter()
                    .map(|p| NewPartner {
                        name: p.name,
                        organisation: p.organisation,
                    })
                    .collect(),
                usernames: t.usernames,
            })
            .collect(),
        started_at: None,
        co_facilitators: req.co_facilitators,
    };
    let mut rng = rand::rngs::OsRng;
    let (id, teams) = ex::create_run(&state.store, &api.user.actor(), &new, &mut rng).await?;
    Ok((
        StatusCode::CREATED,
        Json(RunCreatedJson {
            id,
            teams: teams
                .into_iter()
                .map(|t| TeamCodeJson {
                    id: t.id,
                    name: t.name,
                    code: t.code,
                })
                .collect(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RunJson {
    pub id: i64,
    pub scenario_id: i64,
    pub title: String,
    /// `live` or `ended`.
    pub status: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// Usernames of those who facilitate the run: its creator first, then co-facilitators.
    pub facilitators: Vec<String>,
    pub teams: Vec<TeamCodeJson>,
    /// `{"stage","team"}` (team `null`: all teams), in order.
    pub releases: Vec<serde_json::Value>,
    /// `{"team","stage","question","text","updated_at"}`.
    pub answers: Vec<serde_json::Value>,
}

/// The run if this user facilitates it (or may open every run); otherwise a 404 as for a run
/// that does not exist, so that a run's existence is not revealed.
async fn facilitated_run(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<ex::Run, ApiError> {
    if !ex::may_facilitate(&state.store, user.run_scope(), id).await? {
        return Err(ApiError::NotFound);
    }
    ex::run(&state.store, id).await?.ok_or(ApiError::NotFound)
}

/// A run: its teams, releases and answers so far (its facilitators only).
#[utoipa::path(get, path = "/api/v1/exercise-runs/{id}", params(("id" = i64, Path, description = "The run's id")), security(("bearer" = [])),
    responses((status = 200, body = RunJson), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    api: Api<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Json<RunJson>, ApiError> {
    let run = facilitated_run(&state, &api.user, id).await?;
    let teams = ex::teams(&state.store, id).await?;
    let name = |tid: i64| {
        teams
            .iter()
            .find(|t| t.id == tid)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    };
    let releases = ex::releases(&state.store, id)
        .await?
        .into_iter()
        .map(|r| serde_json::json!({"stage": r.stage, "team": r.team_name, "released_at": r.released_at}))
        .collect();
    let answers = ex::answers(&state.store, id)
        .await?
        .into_iter()
        .map(|a| serde_json::json!({"team": name(a.team_id), "stage": a.stage, "question": a.question_id, "text": a.text, "updated_at": a.updated_at}))
        .collect();
    ex::record_view(&state.store, &api.user.actor(), id, "answers").await?;
    Ok(Json(RunJson {
        id: run.id,
        scenario_id: run.scenario_id,
        title: run.title,
        status: run.status,
        started_at: run.started_at,
        ended_at: run.ended_at,
        facilitators: ex::facilitators(&state.store, id)
            .await?
            .into_iter()
            .map(|f| f.username)
            .collect(),
        teams: teams
            .into_iter()
            .map(|t| TeamCodeJson {
                id: t.id,
                name: t.name,
                code: t.code,
            })
            .collect(),
        releases,
        answers,
    }))
}

/// The run's live events as Server-Sent Events: `release`, `answer`, `note`, `meeting`, `ended`
/// (each `data` is JSON with `kind`, `run_id`, `team_id`, `stage`, `data`).
#[utoipa::path(get, path = "/api/v1/exercise-runs/{id}/events", params(("id" = i64, Path, description = "The run's id")), security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn events(
    State(state): State<AppState>,
    api: Api<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let run = facilitated_run(&state, &api.user, id).await?;
    if !run.live() {
        return Err(ApiError::Conflict(
            "This exercise run has ended: there are no more events.".into(),
        ));
    }
    Ok(stream(&state, id, Audience::Facilitator))
}

#[derive(Deserialize, ToSchema)]
pub struct ReleaseJson {
    pub stage: i64,
    /// A team's name; omit to release to all teams.
    pub team: Option<String>,
}

/// Releases a stage to all teams, or to one team by name.
#[utoipa::path(post, path = "/api/v1/exercise-runs/{id}/release", params(("id" = i64, Path, description = "The run's id")), request_body = ReleaseJson, security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value), (status = 400, body = crate::error::Problem)))]
pub async fn release(
    State(state): State<AppState>,
    api: Api<cap::ExercisesFacilitate>,
    Path(id): Path<i64>,
    req: Result<Json<ReleaseJson>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    facilitated_run(&state, &api.user, id).await?;
    let req = body(req)?;
    let team_id =
        match req.team.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(name) => Some(ex::team_by_name(&state.store, id, name).await?.ok_or_else(
                || ApiError::BadRequest(format!("This run has no team called \"{name}\".")),
            )?),
        };
    do_release(&state, &api.user, id, req.stage, team_id).await?;
    Ok(Json(
        serde_json::json!({"stage": req.stage, "team": req.team}),
    ))
}

/// Releases and tells every open stream.
pub(crate) async fn do_release(
    state: &AppState,
    user: &CurrentUser,
    run_id: i64,
    stage: i64,
    team_id: Option<i64>,
) -> Result<ex::ReleaseRow, mashboard_store::StoreError> {
    let r = ex::release(&state.store, &user.actor(), run_id, stage, team_id).await?;
    state.exercise_hub.publish(LiveEvent {
        kind: "release",
        run_id,
        team_id,
        stage: Some(stage),
        data: serde_json::json!({"team": r.team_name, "released_at": r.released_at}),
    });
    Ok(r)
}

/// Saves an answer and tells the facilitator's streams.
pub(crate) async fn do_answer(
    state: &AppState,
    actor: &mashboard_store::audit_trail::Actor,
    run_id: i64,
    team_id: i64,
    question_id: i64,
    text: &str,
) -> Result<ex::AnswerRow, mashboard_store::StoreError> {
    let a = ex::save_answer(&state.store, actor, run_id, team_id, question_id, text).await?;
    state.exercise_hub.publish(LiveEvent {
        kind: "answer",
        run_id,
        team_id: Some(team_id),
        stage: Some(a.stage),
        data: serde_json::json!({"question": question_id, "text": a.text, "updated_at": a.updated_at}),
    });
    Ok(a)
}

#[derive(Deserialize, ToSchema)]
pub struct AnswerJson {
    /// The team's name.
    pub team: String,
    pub stage: i64,
    /// The question's id (from `GET /api/v1/exercise-scenarios`).
    pub question: i64,
    pub text: String,
}

/// Saves a team's answer. The run's facilitators may answer for any team, others only for their own team;
/// a stage not yet released to the team is refused and nothing is written.
#[utoipa::path(post, path = "/api/v1/exercise-runs/{id}/answers", params(("id" = i64, Path, description = "The run's id")), request_body = AnswerJson, security(("bearer" = [])),
    responses((status = 200, body = serde_json::Value), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn answer(
    State(state): State<AppState>,
    api: Api<cap::ExercisesTake>,
    Path(id): Path<i64>,
    req: Result<Json<AnswerJson>, JsonRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let req = body(req)?;
    let run = ex::run(&state.store, id).await?.ok_or(ApiError::NotFound)?;
    let facilitator = ex::may_facilitate(&state.store, api.user.run_scope(), id).await?;
    let mine = ex::member_team(&state.store, id, api.user.person_id, api.user.id).await?;
    if !facilitator && mine.is_none() {
        return Err(ApiError::NotFound);
    }
    let team_id = ex::team_by_name(&state.store, id, &req.team)
        .await?
        .ok_or_else(|| {
            ApiError::BadRequest(format!("This run has no team called \"{}\".", req.team))
        })?;
    if !facilitator && mine != Some(team_id) {
        return Err(ApiError::Forbidden);
    }
    let sc = ex::scenario(&state.store, run.scenario_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    match sc.question(req.question) {
        Some(q) if q.stage == req.stage => {}
        Some(q) => {
            return Err(ApiError::BadRequest(format!(
                "Question {} belongs to stage {}, not stage {}.",
                req.question, q.stage, req.stage
            )))
        }
        None => {
            return Err(ApiError::BadRequest(format!(
                "Question {} is not part of this exercise.",
                req.question
            )))
        }
    }
    let a = do_answer(
        &state,
        &api.user.actor(),
        id,
        team_id,
        req.question,
        &req.text,
    )
    .await?;
    Ok(Json(
        serde_json::json!({"team": req.team, "stage": a.stage, "question": a.question_id, "updated_at": a.updated_at}),
    ))
}

/// Tells every stream of a run that something else changed (notes, meeting, end).
pub(crate) fn publish(state: &AppState, run_id: i64, kind: &'static str, data: serde_json::Value) {
    state.exercise_hub.publish(LiveEvent {
        kind,
        run_id,
        team_id: None,
        stage: None,
        data,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &'static str, team: Option<i64>) -> LiveEvent {
        LiveEvent {
            kind,
            run_id: 1,
            team_id: team,
            stage: Some(1),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn a_team_stream_carries_only_its_own_releases() {
        let t = Audience::Team(5);
        assert!(t.sees(&ev("release", None)));
        assert!(t.sees(&ev("release", Some(5))));
        assert!(!t.sees(&ev("release", Some(6))));
        assert!(!t.sees(&ev("answer", Some(5))));
        assert!(t.sees(&ev("ended", None)));
        assert!(!Audience::Projector.sees(&ev("answer", Some(5))));
        assert!(!Audience::Projector.sees(&ev("release", Some(5))));
        assert!(Audience::Facilitator.sees(&ev("note", None)));
        assert!(t.sees(&ev("resync", None)));
    }
}
