//! Quarterly referral quality reviews in the JSON API: open a review with its reproducible sample,
//! set the panel, grade, record agreed grades, read the summary. The same store calls and the
//! same refusals as the pages.

use crate::auth::{cap, Api};
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
use mashboard_domain::reviews::CriterionScore;
use mashboard_domain::sampling::Seed;
use mashboard_store::reviews::{self, NewGrade, NewReview, Strata};
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
        SummaryJson,
        CriterionJson
    ))
)]
pub struct ReviewsDoc;

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
    let rows = reviews::list_visible(&state.store, api.user.id, &api.user.roles).await?;
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
    /// Criterion scores by criterion code: each 1–4, or `"na"` (also `null`) where the
    /// criterion does not apply to this referral; "not applicable" is left out of that
    /// criterion's figures.
    #[schema(value_type = Option<BTreeMap<String, serde_json::Value>>)]
    pub criteria: Option<BTreeMap<String, serde_json::Value>>,
}

/// A criterion score as the JSON gives it: 1 to 4, "na" (or "n/a", "not applicable") or null.
fn json_score(code: &str, v: &serde_json::Value) -> Result<CriterionScore, ApiError> {
    let parsed = match v {
        serde_json::Value::Null => Some(CriterionScore::NotApplicable),
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|g| CriterionScore::parse(&g.to_string())),
        serde_json::Value::String(t) => CriterionScore::parse(t),
        _ => None,
    };
    parsed.ok_or_else(|| {
        ApiError::BadRequest(format!(
            "criteria.{code}: give a score from 1 to 4, or \"na\" where the criterion does not apply"
        ))
    })
}

async fn new_grade(state: &AppState, b: GradeJson) -> Result<NewGrade, ApiError> {
    let mut scores = Vec::new();
    if let Some(c) = b.criteria {
        let rubric = reviews::rubric(&state.store).await?;
        for (code, score) in c {
            let crit = rubric.iter().find(|r| r.code == code).ok_or_else(|| {
                ApiError::BadRequest(format!("\"{code}\" is not a criterion of the rubric"))
            })?;
            scores.push((crit.id, json_score(&code, &score)?));
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
    let access = reviews::visible(&state.store, id, api.user.id, &api.user.roles)
        .await?
        .ok_or(ApiError::NotFound)?;
    let review = access.review;
    if !access.reader.on_panel {
        return Err(if access.reader.runs_reviews {
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
    let access = reviews::visible(&state.store, id, api.user.id, &api.user.roles)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !access.reader.may_record_agreed() {
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
    /// Each criterion's figures (agreed criterion scores where recorded, else the graders'):
    /// "not applicable" is counted apart and left out of the rest.
    pub criteria: Vec<CriterionJson>,
}

#[derive(Serialize, ToSchema)]
pub struct CriterionJson {
    pub code: String,
    /// Scores of 1, 2, 3 and 4.
    pub counts: [usize; 4],
    /// Scores given (not applicable left out).
    pub scored: usize,
    /// Mean score; null when nothing was scored.
    pub mean: Option<f64>,
    /// Scores of 1 or 2.
    pub weak: usize,
    /// Referrals for which the criterion was marked not applicable.
    pub not_applicable: usize,
}

/// The review's summary. Graders see it once they have submitted their own grades.
#[utoipa::path(get, path = "/api/v1/quality-reviews/{id}/summary", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = SummaryJson), (status = 404)))]
pub async fn summary(
    State(state): State<AppState>,
    api: Api<cap::QualityReviews>,
    Path(id): Path<i64>,
) -> Result<Json<SummaryJson>, ApiError> {
    let access = reviews::visible(&state.store, id, api.user.id, &api.user.roles)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !access.reader.may_see_panel_grades() {
        return Err(ApiError::Conflict(
            "Submit your own grades first: until then you cannot see the panel's".into(),
        ));
    }
    let s = reviews::summary(&state.store, id).await?;
    let (figures, _) = reviews::criterion_figures(&state.store, id).await?;
    Ok(Json(SummaryJson {
        criteria: figures
            .into_iter()
            .map(|w| CriterionJson {
                code: w.code,
                counts: w.counts,
                scored: w.scored,
                mean: w.mean,
                weak: w.weak,
                not_applicable: w.not_applicable,
            })
            .collect(),
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
