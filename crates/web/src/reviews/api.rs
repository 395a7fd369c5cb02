//! Quarterly referral quality reviews in the JSON API: open a review with its reproducible sample,
//! set the panel, grade, record agreed grades, read the summary. The same store calls and the
//! same refusals as the pages.

use crate::auth::{cap, Api, CurrentUser};
use crate::error::json_body as body;
use crate::error::ApiError;
use crate::error::Path;
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::people::parse_date;
use mashboard_domain::review_summary;
use mashboard_domain::sampling::Seed;
use mashboard_store::reviews::{self, NewGrade, NewReview, Review, Strata};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.post(
        "/api/v1/quality-reviews",
        A(QualityReviewManage),
        post(create),
    )
    .get("/api/v1/quality-reviews", A(QualityReviews), get(list))
    .put(
        "/api/v1/quality-reviews/{id}/panel",
        A(QualityReviewManage),
        put(set_panel),
    )
    .post(
        "/api/v1/quality-reviews/{id}/grades",
        A(QualityReviews),
        post(grade),
    )
    .post(
        "/api/v1/quality-reviews/{id}/agreed-grades",
        A(QualityReviewManage),
        post(agreed),
    )
    .get(
        "/api/v1/quality-reviews/{id}/summary",
        A(QualityReviews),
        get(summary),
    )
}

#[derive(OpenApi)]
#[openapi(
    paths(create, list, set_panel, grade, agreed, summary),
    components(schemas(
        NewReviewJson,
        DrawJson,
        ReviewJson,
        ReviewList,
        PanelJson,
        GradeJson,
        SummaryJson
    ))
)]
pub struct ReviewsDoc;

/// Whether this user runs reviews (sees every review and every grade).
pub(crate) fn manages(user: &CurrentUser) -> bool {
    user.can(Capability::QualityReviewManage)
}

/// The review if this user may see it: managers see all, graders the reviews they sit on.
pub(crate) async fn visible_review(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Option<Review>, mashboard_store::StoreError> {
    let Some(r) = reviews::get(&state.store, id).await? else {
        return Ok(None);
    };
    if manages(user) || reviews::is_on_panel(&state.store, id, user.id).await? {
        Ok(Some(r))
    } else {
        Ok(None)
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewReviewJson {
    /// `YYYY-MM-DD` (or `dd/mm/yyyy`), inclusive.
    pub period_start: String,
    /// `YYYY-MM-DD` (or `dd/mm/yyyy`), inclusive.
    pub period_end: String,
    /// Default 10.
    pub sample_size: Option<i64>,
    /// A recorded seed re-draws the same sample over the same frame; omit for a fresh one.
    #[schema(value_type = Option<u64>)]
    pub seed: Option<serde_json::Value>,
    /// '', 'subject_type', 'partner' or 'department'.
    pub strata: Option<String>,
    pub title: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DrawJson {
    pub id: i64,
    pub seed: u64,
    pub frame_size: usize,
    pub draw_no: i64,
    /// Referral references in draw order.
    pub sample: Vec<String>,
}

fn date(raw: &str, what: &str) -> Result<String, ApiError> {
    parse_date(raw)
        .map(|d| d.to_string())
        .map_err(|m| ApiError::BadRequest(format!("{what}: {m}")))
}

/// Opens a review and draws its sample from the referrals submitted in the period.
#[utoipa::path(post, path = "/api/v1/quality-reviews", request_body = NewReviewJson, security(("bearer" = [])),
    responses((status = 201, body = DrawJson), (status = 400)))]
pub async fn create(
    State(state): State<AppState>,
    api: Api<cap::QualityReviewManage>,
    req: Result<Json<NewReviewJson>, JsonRejection>,
) -> Result<(StatusCode, Json<DrawJson>), ApiError> {
    let b = body(req)?;
    let period_start = date(&b.period_start, "period_start")?;
    let period_end = date(&b.period_end, "period_end")?;
    let size = b.sample_size.unwrap_or(10);
    if size < 1 {
        return Err(ApiError::BadRequest(
            "sample_size must be at least 1".into(),
        ));
    }
    let seed = Seed::parse_optional(&crate::form::json_text(b.seed.as_ref()).unwrap_or_default())
        .map_err(ApiError::BadRequest)?
        .map(Seed::value);
    let strata = match b.strata.as_deref() {
        None => Strata::None,
        Some(s) => Strata::parse(s).ok_or_else(|| {
            ApiError::BadRequest(
                "strata must be '', 'subject_type', 'partner' or 'department'".into(),
            )
        })?,
    };
    let out = reviews::create(
        &state.store,
        &api.user.actor(),
        api.user.id,
        &NewReview {
            title: b.title.unwrap_or_default(),
            period_start,
            period_end,
            sample_size: size as usize,
            strata,
            seed,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(DrawJson {
            id: out.review_id,
            seed: out.seed,
            frame_size: out.frame_size,
            draw_no: out.draw_no,
            sample: out.sample,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ReviewJson {
    pub id: i64,
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    /// grading, moderation or closed.
    pub status: String,
    pub sample_size: i64,
    pub owner: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewList {
    pub items: Vec<ReviewJson>,
}

/// The reviews the caller may see: all of them for those who run reviews, otherwise the ones
/// whose panel the caller sits on.
#[utoipa::path(get, path = "/api/v1/quality-reviews", security(("bearer" = [])), responses((status = 200, body = ReviewList)))]
pub async fn list(
    State(state): State<AppState>,
    api: Api<cap::QualityReviews>,
) -> Result<Json<ReviewList>, ApiError> {
    let rows = if manages(&api.user) {
        reviews::list_all(&state.store).await?
    } else {
        reviews::list_for_grader(&state.store, api.user.id).await?
    };
    Ok(Json(ReviewList {
        items: rows
            .into_iter()
            .map(|r| ReviewJson {
                id: r.id,
                title: r.title,
                period_start: r.period_start,
                period_end: r.period_end,
                status: r.status,
                sample_size: r.sample_size,
                owner: r.owner_username,
            })
            .collect(),
    }))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct PanelJson {
    pub usernames: Vec<String>,
}

/// Sets the grading panel (senior leaders and partner reviewers).
#[utoipa::path(put, path = "/api/v1/quality-reviews/{id}/panel", request_body = PanelJson, security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = PanelJson), (status = 400), (status = 404)))]
pub async fn set_panel(
    State(state): State<AppState>,
    api: Api<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    req: Result<Json<PanelJson>, JsonRejection>,
) -> Result<Json<PanelJson>, ApiError> {
    let b = body(req)?;
    reviews::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let panel = reviews::set_panel(&state.store, &api.user.actor(), id, &b.usernames).await?;
    Ok(Json(PanelJson {
        usernames: panel.into_iter().map(|m| m.username).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct GradeJson {
    pub referral_ref: String,
    /// 1 (very poor) to 4 (excellent).
    pub grade: i64,
    pub comment: Option<String>,
    /// Criterion scores by criterion code, each 1–4.
    pub criteria: Option<BTreeMap<String, i64>>,
}

async fn new_grade(state: &AppState, b: GradeJson) -> Result<NewGrade, ApiError> {
    let mut scores = Vec::new();
    if let Some(c) = b.criteria {
        let rubric = reviews::rubric(&state.store).await?;
        for (code, score) in c {
            let crit = rubric.iter().find(|r| r.code == code).ok_or_else(|| {
                ApiError::BadRequest(format!("\"{code}\" is not a criterion of the rubric"))
            })?;
            scores.push((crit.id, score));
        }
    }
    Ok(NewGrade {
        referral_ref: b.referral_ref,
        grade: b.grade,
        comment: b.comment.unwrap_or_default(),
        scores,
    })
}

/// Records (or changes, until the review closes) the caller's own grade for a sampled referral.
#[utoipa::path(post, path = "/api/v1/quality-reviews/{id}/grades", request_body = GradeJson, security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 201), (status = 400), (status = 403), (status = 404)))]
pub async fn grade(
    State(state): State<AppState>,
    api: Api<cap::QualityReviews>,
    Path(id): Path<i64>,
    req: Result<Json<GradeJson>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let b = body(req)?;
    let review = reviews::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !reviews::is_on_panel(&state.store, id, api.user.id).await? {
        return Err(if manages(&api.user) {
            ApiError::BadRequest(format!(
                "{} is not on the panel of this review; only its graders grade",
                api.user.username
            ))
        } else {
            ApiError::Forbidden
        });
    }
    let g = new_grade(&state, b).await?;
    let grade_id =
        reviews::grade(&state.store, &api.user.actor(), review.id, api.user.id, &g).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"id": grade_id, "referral_ref": g.referral_ref, "grade": g.grade})),
    ))
}

/// Records the panel's agreed (moderated) grade for a referral: the review's owner only.
#[utoipa::path(post, path = "/api/v1/quality-reviews/{id}/agreed-grades", request_body = GradeJson, security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 201), (status = 400), (status = 403), (status = 404)))]
pub async fn agreed(
    State(state): State<AppState>,
    api: Api<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    req: Result<Json<GradeJson>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let b = body(req)?;
    let review = reviews::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if review.owner_user_id != api.user.id
        && !api
            .user
            .roles
            .contains(&mashboard_domain::Role::Administrator)
    {
        return Err(ApiError::Forbidden);
    }
    let g = new_grade(&state, b).await?;
    reviews::set_agreed(&state.store, &api.user.actor(), id, &g).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"referral_ref": g.referral_ref, "grade": g.grade})),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct SummaryJson {
    /// Referrals with an agreed grade.
    pub n: usize,
    /// Sampled referrals still without an agreed grade.
    pub pending: usize,
    /// Agreed grades by grade: {"1": .., "2": .., "3": .., "4": ..}.
    pub counts: BTreeMap<String, u64>,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// Student-t 95% interval for the mean of agreed grades; null with fewer than two.
    pub mean_ci95: Option<[f64; 2]>,
    /// Over the graders' individual grades; null when undefined.
    pub krippendorff_alpha_ordinal: Option<f64>,
    /// Why alpha is null, when it is.
    pub alpha_note: Option<String>,
    pub disagreements: usize,
}

/// Figures of a review, from its individual and agreed grades.
pub(crate) async fn compute_summary(
    state: &AppState,
    review_id: i64,
) -> Result<review_summary::ReviewSummary, mashboard_store::StoreError> {
    let sample = reviews::sample(&state.store, review_id).await?;
    let grades = reviews::grades(&state.store, review_id).await?;
    let agreed = reviews::agreed(&state.store, review_id).await?;
    let in_sample = |rid: i64| sample.iter().any(|s| s.referral_id == rid);
    let finals: Vec<u8> = agreed
        .iter()
        .filter(|a| in_sample(a.referral_id))
        .map(|a| a.grade as u8)
        .collect();
    let individual: Vec<Vec<u8>> = sample
        .iter()
        .map(|s| {
            grades
                .iter()
                .filter(|g| g.referral_id == s.referral_id)
                .map(|g| g.grade as u8)
                .collect()
        })
        .collect();
    Ok(review_summary::summarise(
        &finals,
        sample.len() - finals.len(),
        &individual,
    ))
}

/// The review's summary. Graders see it once they have submitted their own grades.
#[utoipa::path(get, path = "/api/v1/quality-reviews/{id}/summary", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = SummaryJson), (status = 404)))]
pub async fn summary(
    State(state): State<AppState>,
    api: Api<cap::QualityReviews>,
    Path(id): Path<i64>,
) -> Result<Json<SummaryJson>, ApiError> {
    visible_review(&state, &api.user, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !manages(&api.user) && !reviews::has_submitted(&state.store, id, api.user.id).await? {
        return Err(ApiError::Conflict(
            "Submit your own grades first: until then you cannot see the panel's".into(),
        ));
    }
    let s = compute_summary(&state, id).await?;
    Ok(Json(SummaryJson {
        n: s.n,
        pending: s.pending,
        counts: (1..=4).map(|g| (g.to_string(), s.counts[g - 1])).collect(),
        mean: s.mean,
        median: s.median,
        mean_ci95: s.mean_ci95.map(|i| [i.lo, i.hi]),
        krippendorff_alpha_ordinal: s.alpha.value(),
        alpha_note: match &s.alpha {
            mashboard_domain::stats::Alpha::Undefined { reason } => Some(reason.clone()),
            _ => None,
        },
        disagreements: s.disagreements,
    }))
}
