//! Training records in the JSON API: plans, completions, sign-offs, reopening, and CPD (the
//! matrix is the matrix capability's). The same rules as the pages: the same store calls and the same refusals.

use crate::auth::{cap, Api, CurrentUser};
use crate::error::ApiError;
use crate::error::Path;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::people::parse_date;
use mashboard_domain::signoff::Refusal;
use mashboard_domain::training::{parse_hours, CompletionMode, CpdKind};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people::{self, Person};
use mashboard_store::training::completions::{self, Completion, NewCompletion, SignOffError};
use mashboard_store::training::cpd::{self, NewCpd};
use mashboard_store::training::plans::{self, PlanItem};
use mashboard_store::training::today;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.get("/api/v1/me/training-plan", A(OwnTraining), get(my_plan))
        .get(
            "/api/v1/people/{staff_number}/training-plan",
            A(TrainingRecords),
            get(person_plan),
        )
        .post(
            "/api/v1/completions",
            A(OwnTraining),
            post(create_completion),
        )
        .get("/api/v1/completions/{id}", A(OwnTraining), get(completion))
        .post("/api/v1/completions/{id}/sign-offs", A(SignOff), post(sign))
        .post(
            "/api/v1/completions/{id}/reopen",
            A(TrainingManage),
            post(reopen),
        )
        .get("/api/v1/me/cpd", A(OwnTraining), get(my_cpd))
        .post("/api/v1/cpd", A(OwnTraining), post(log_cpd))
}

#[derive(Serialize, ToSchema)]
pub struct PlanItemJson {
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    /// The module's current version.
    pub module_version: String,
    pub profile: String,
    /// not_started, in_progress, awaiting_sign_off, signed_off, due_soon, overdue or expired.
    pub status: String,
    pub due_on: Option<String>,
    pub expires_on: Option<String>,
    pub overdue_since: Option<String>,
    pub in_date: bool,
    pub latest_completion_id: Option<i64>,
    pub latest_completed_on: Option<String>,
    pub latest_version: Option<String>,
}

impl From<PlanItem> for PlanItemJson {
    fn from(i: PlanItem) -> Self {
        PlanItemJson {
            module_id: i.module_id,
            module_code: i.module_code,
            module_title: i.module_title,
            module_version: i.module_version,
            profile: i.profile_name,
            status: i.state.status.as_str().to_string(),
            due_on: i.state.due_on.map(|d| d.to_string()),
            expires_on: i.state.expires_on.map(|d| d.to_string()),
            overdue_since: i.state.overdue_since.map(|d| d.to_string()),
            in_date: i.state.in_date,
            latest_completion_id: i.latest_completion_id,
            latest_completed_on: i.latest_completed_on,
            latest_version: i.latest_version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PlanJson {
    pub staff_number: String,
    pub items: Vec<PlanItemJson>,
}

async fn own_person(state: &AppState, user: &CurrentUser) -> Result<Person, ApiError> {
    let Some(id) = user.person_id else {
        return Err(ApiError::BadRequest(
            "This token's account is not linked to a person in the directory".into(),
        ));
    };
    people::get_by_id(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)
}

async fn plan_json(
    state: &AppState,
    user: &CurrentUser,
    p: Person,
) -> Result<Json<PlanJson>, ApiError> {
    let items = plans::plan_of(&state.store, p.id, today()).await?;
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "training.view",
            format!(
                "Read the training plan of {} through the API",
                p.staff_number
            ),
        )
        .on("person", &p.staff_number),
    )
    .await?;
    Ok(Json(PlanJson {
        staff_number: p.staff_number,
        items: items.into_iter().map(PlanItemJson::from).collect(),
    }))
}

/// The caller's own training plan.
#[utoipa::path(get, path = "/api/v1/me/training-plan", security(("bearer" = [])), responses((status = 200, body = PlanJson), (status = 400, description = "This token's account is not linked to a person in the directory", body = crate::error::Problem)))]
pub async fn my_plan(
    State(state): State<AppState>,
    api: Api<cap::OwnTraining>,
) -> Result<Json<PlanJson>, ApiError> {
    let p = own_person(&state, &api.user).await?;
    plan_json(&state, &api.user, p).await
}

async fn visible(
    state: &AppState,
    user: &CurrentUser,
    staff_number: &str,
) -> Result<Person, ApiError> {
    let p = people::get(&state.store, staff_number)
        .await?
        .ok_or(ApiError::NotFound)?;
    if user.may_see_training_of(&p) {
        Ok(p)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Someone's training plan (within the caller's scope).
#[utoipa::path(get, path = "/api/v1/people/{staff_number}/training-plan", security(("bearer" = [])),
    params(("staff_number" = String, Path)), responses((status = 200, body = PlanJson), (status = 404)))]
pub async fn person_plan(
    State(state): State<AppState>,
    api: Api<cap::TrainingRecords>,
    Path(sn): Path<String>,
) -> Result<Json<PlanJson>, ApiError> {
    let p = visible(&state, &api.user, &sn).await?;
    plan_json(&state, &api.user, p).await
}

#[derive(Deserialize, ToSchema)]
pub struct NewCompletionJson {
    pub staff_number: String,
    pub module_id: i64,
    /// `YYYY-MM-DD` or `dd/mm/yyyy`.
    pub completed_on: String,
    /// face_to_face, virtual, e_learning, recording, mentoring, on_the_job or other.
    pub mode: String,
    pub notes: Option<String>,
    pub trainer: Option<String>,
    pub evidence_url: Option<String>,
    pub module_version: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignOffJson {
    pub by: String,
    /// mentor or line_manager
    pub capacity: String,
    pub comment: String,
    pub at: String,
    pub imported: bool,
    /// Set when the record was reopened: the signature no longer counts.
    pub cleared_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CompletionJson {
    pub id: i64,
    /// awaiting_sign_off, signed_off (both capacities signed) or reopened.
    pub status: String,
    pub staff_number: String,
    pub module_id: i64,
    pub module_code: String,
    pub module_version: String,
    pub completed_on: String,
    pub mode: String,
    pub source: String,
    pub sign_offs: Vec<SignOffJson>,
}

async fn completion_json(state: &AppState, id: i64) -> Result<CompletionJson, ApiError> {
    let c = completions::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let signs = completions::sign_offs(&state.store, id).await?;
    Ok(CompletionJson {
        id: c.id,
        status: c.status,
        staff_number: c.staff_number,
        module_id: c.module_id,
        module_code: c.module_code,
        module_version: c.module_version,
        completed_on: c.completed_on,
        mode: c.mode,
        source: c.source,
        sign_offs: signs
            .into_iter()
            .map(|s| SignOffJson {
                by: s.signer_name,
                capacity: s.capacity,
                comment: s.comment,
                at: s.signed_at,
                imported: s.imported,
                cleared_at: s.cleared_at,
            })
            .collect(),
    })
}

/// Records a completion: for yourself, or (trainers) for anyone.
#[utoipa::path(post, path = "/api/v1/completions", request_body = NewCompletionJson, security(("bearer" = [])),
    responses((status = 201, body = CompletionJson), (status = 400), (status = 403)))]
pub async fn create_completion(
    State(state): State<AppState>,
    api: Api<cap::OwnTraining>,
    req: Result<Json<NewCompletionJson>, JsonRejection>,
) -> Result<(StatusCode, Json<CompletionJson>), ApiError> {
    let b = crate::error::json_body(req)?;
    let p = people::get(&state.store, &b.staff_number)
        .await?
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "No one in the directory has staff number {}",
                b.staff_number
            ))
        })?;
    let own = api.user.person_id == Some(p.id);
    if !own && !api.user.can(Capability::TrainingManage) {
        return Err(ApiError::Forbidden);
    }
    let completed_on = parse_date(&b.completed_on)
        .map_err(|e| ApiError::BadRequest(format!("completed_on: {e}")))?;
    if completed_on > today() {
        return Err(ApiError::BadRequest(
            "completed_on: must be today or in the past".into(),
        ));
    }
    let mode: CompletionMode = b
        .mode
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("mode: {e}")))?;
    let c = completions::record(
        &state.store,
        &api.user.actor(),
        &NewCompletion {
            person_id: p.id,
            module_id: b.module_id,
            module_version: b.module_version,
            completed_on: completed_on.to_string(),
            mode: mode.as_str().into(),
            trainer: b.trainer.unwrap_or_default(),
            notes: b.notes.unwrap_or_default(),
            evidence_url: b.evidence_url.unwrap_or_default(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(completion_json(&state, c.id).await?),
    ))
}

async fn visible_completion(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Completion, ApiError> {
    let c = completions::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let subject = people::get_by_id(&state.store, c.person_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if user.may_see_completion(&c, &subject) {
        Ok(c)
    } else {
        Err(ApiError::NotFound)
    }
}

/// A completion with its signatures.
#[utoipa::path(get, path = "/api/v1/completions/{id}", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CompletionJson), (status = 404)))]
pub async fn completion(
    State(state): State<AppState>,
    api: Api<cap::OwnTraining>,
    Path(id): Path<String>,
) -> Result<Json<CompletionJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let c = visible_completion(&state, &api.user, id).await?;
    audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "completion.view",
            format!(
                "Read the completion of {} by {} through the API",
                c.module_code, c.staff_number
            ),
        )
        .on("completion", id.to_string()),
    )
    .await?;
    Ok(Json(completion_json(&state, id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct CommentJson {
    pub comment: Option<String>,
    pub reason: Option<String>,
}

/// Signs off a completion as the token's user: their named mentor or line manager only.
#[utoipa::path(post, path = "/api/v1/completions/{id}/sign-offs", request_body = CommentJson, security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 201, body = CompletionJson), (status = 403), (status = 409)))]
pub async fn sign(
    State(state): State<AppState>,
    api: Api<cap::SignOff>,
    Path(id): Path<String>,
    req: Result<Json<CommentJson>, JsonRejection>,
) -> Result<(StatusCode, Json<CompletionJson>), ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let b = crate::error::json_body(req)?;
    match completions::sign(
        &state.store,
        &api.user.actor(),
        api.user.person_id,
        id,
        b.comment.as_deref().unwrap_or(""),
    )
    .await
    {
        Ok(_) => Ok((
            StatusCode::CREATED,
            Json(completion_json(&state, id).await?),
        )),
        Err(SignOffError::Refused(Refusal::NotNamed | Refusal::OwnRecord)) => {
            Err(ApiError::Forbidden)
        }
        Err(SignOffError::Refused(r)) => Err(ApiError::Conflict(r.to_string())),
        Err(SignOffError::NoComment) => Err(ApiError::BadRequest(
            "comment: enter a comment with your sign-off".into(),
        )),
        Err(SignOffError::Store(e)) => Err(e.into()),
    }
}

/// Reopens a signed-off completion; the reason is required.
#[utoipa::path(post, path = "/api/v1/completions/{id}/reopen", request_body = CommentJson, security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = CompletionJson), (status = 400)))]
pub async fn reopen(
    State(state): State<AppState>,
    api: Api<cap::TrainingManage>,
    Path(id): Path<String>,
    req: Result<Json<CommentJson>, JsonRejection>,
) -> Result<Json<CompletionJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let b = crate::error::json_body(req)?;
    completions::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    completions::reopen(
        &state.store,
        &api.user.actor(),
        id,
        b.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(completion_json(&state, id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct CpdJson {
    pub id: i64,
    pub topic: String,
    pub done_on: String,
    pub minutes: i64,
    pub kind: String,
    pub learning: String,
    pub status: String,
    pub review_comment: String,
}

/// The caller's CPD log.
#[utoipa::path(get, path = "/api/v1/me/cpd", security(("bearer" = [])), responses((status = 200, body = [CpdJson]), (status = 400, description = "This token's account is not linked to a person in the directory", body = crate::error::Problem)))]
pub async fn my_cpd(
    State(state): State<AppState>,
    api: Api<cap::OwnTraining>,
) -> Result<Json<Vec<CpdJson>>, ApiError> {
    let p = own_person(&state, &api.user).await?;
    Ok(Json(
        cpd::of_person(&state.store, p.id)
            .await?
            .into_iter()
            .map(|e| CpdJson {
                id: e.id,
                topic: e.topic,
                done_on: e.done_on,
                minutes: e.minutes,
                kind: e.kind,
                learning: e.learning,
                status: e.status,
                review_comment: e.review_comment,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewCpdJson {
    pub topic: String,
    pub done_on: String,
    /// e.g. "1.5", "1:30", "90m"
    pub hours: String,
    /// course, e_learning, reading, session_delivered, shadowing, conference or other
    pub kind: String,
    pub learning: String,
    pub evidence_url: Option<String>,
}

/// Logs CPD for the caller; it waits for their line manager to verify it.
#[utoipa::path(post, path = "/api/v1/cpd", request_body = NewCpdJson, security(("bearer" = [])), responses((status = 201, body = CpdJson), (status = 400)))]
pub async fn log_cpd(
    State(state): State<AppState>,
    api: Api<cap::OwnTraining>,
    req: Result<Json<NewCpdJson>, JsonRejection>,
) -> Result<(StatusCode, Json<CpdJson>), ApiError> {
    let b = crate::error::json_body(req)?;
    let p = own_person(&state, &api.user).await?;
    if b.topic.trim().is_empty() || b.topic.chars().count() > 200 {
        return Err(ApiError::BadRequest(
            "topic: enter a topic of 200 characters or fewer".into(),
        ));
    }
    if b.learning.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "learning: say what you learned".into(),
        ));
    }
    let done_on =
        parse_date(&b.done_on).map_err(|e| ApiError::BadRequest(format!("done_on: {e}")))?;
    if done_on > today() {
        return Err(ApiError::BadRequest(
            "done_on: must be today or in the past".into(),
        ));
    }
    let minutes = parse_hours(&b.hours).map_err(|e| ApiError::BadRequest(format!("hours: {e}")))?;
    let kind: CpdKind = b
        .kind
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("kind: {e}")))?;
    let e = cpd::log(
        &state.store,
        &api.user.actor(),
        &NewCpd {
            person_id: p.id,
            topic: b.topic,
            done_on: done_on.to_string(),
            minutes: i64::from(minutes),
            kind: kind.as_str().into(),
            learning: b.learning,
            evidence_url: b.evidence_url.unwrap_or_default(),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CpdJson {
            id: e.id,
            topic: e.topic,
            done_on: e.done_on,
            minutes: e.minutes,
            kind: e.kind,
            learning: e.learning,
            status: e.status,
            review_comment: e.review_comment,
        }),
    ))
}

/// This capability's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(
        my_plan,
        person_plan,
        create_completion,
        completion,
        sign,
        reopen,
        my_cpd,
        log_cpd
    ),
    components(schemas(
        PlanJson,
        PlanItemJson,
        NewCompletionJson,
        CompletionJson,
        SignOffJson,
        CommentJson,
        CpdJson,
        NewCpdJson
    ))
)]
pub struct PlansDoc;
