//! Partner outcomes and the missing-referral queue in the JSON API. The same rules as the pages:
//! a partner reviewer's token records outcomes for its own agency only.

use super::Viewer;
use crate::auth::{cap, Api};
use crate::error::ApiError;
use crate::error::{Path, Query};
use crate::routes::{Access, Table};
use crate::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Json;
use mashboard_domain::access::Capability;
use mashboard_domain::outcomes::{Outcome, Source};
use mashboard_domain::people::parse_date;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::keyset::PageStart;
use mashboard_store::outcomes::{self, same_agency, NewOutcome, OutcomeRecord};
use mashboard_store::queue;
use mashboard_store::training::today;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{OpenApi, ToSchema};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Api as A;
    use Capability::*;
    t.get(
        "/api/v1/missing-referrals",
        A(MissingReferrals),
        get(missing_referrals),
    )
    .post(
        "/api/v1/referrals/{referral_ref}/outcomes",
        A(OutcomesRecord),
        post(record_outcome),
    )
}

#[derive(Serialize, ToSchema)]
pub struct MissingReferralJson {
    pub id: i64,
    pub incident_ref: String,
    /// The force's clock, `YYYY-MM-DDTHH:MM:SS`.
    pub reported_at: String,
    /// The rules that put it on the queue: children_involved, domestic_abuse, adult_at_risk.
    pub rules: Vec<String>,
    /// When it was put on the queue (RFC 3339, UTC).
    pub queued_at: String,
    /// Whole days since the incident was reported.
    pub age_days: i64,
    /// A referral linked to the incident since (made after the deadline), if any.
    pub late_referral_ref: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MissingReferralsPage {
    /// Open items in all.
    pub total: i64,
    pub items: Vec<MissingReferralJson>,
    /// Pass as `after` for the next page; `null` on the last page. Opaque: send it back as given.
    pub next: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many to return: 1 to 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many to skip: 0 to 1000000000; default 0. Deep pages are quicker with `after`, and
    /// items queued or closed while you read move later pages by offset (one may be skipped or
    /// repeated); they do not move pages read with `after`.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<i64>,
    /// The page just after the one whose `next` this is (opaque: send it back as given). Not
    /// with an `offset` above 0.
    #[param(min_length = 1, max_length = 200)]
    pub after: Option<String>,
}

const AFTER_PROBLEM: &str = "must be the next of an earlier page, sent back as given";

/// Open items on the missing-referral queue, oldest incident first (the incident's id breaking
/// a tie). Walk the pages with `after`, each page's `next`, until `next` is `null`: each open
/// item comes once, however the queue changes meanwhile. `offset` still works.
#[utoipa::path(get, path = "/api/v1/missing-referrals", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = MissingReferralsPage), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn missing_referrals(
    State(state): State<AppState>,
    api: Api<cap::MissingReferrals>,
    Query(p): Query<PageParams>,
) -> Result<Json<MissingReferralsPage>, ApiError> {
    let (limit, offset) = crate::error::page_window(p.limit, p.offset)?;
    let now = OffsetDateTime::now_utc();
    let (total, items, next) = match p.after {
        None => {
            // By offset: the old way, kept for callers that use it.
            let (total, items) = queue::open_items(&state.store, limit, offset).await?;
            let more = offset + (items.len() as i64) < total;
            let next = items
                .last()
                .filter(|_| more)
                .map(|i| i.incident_ref.clone());
            (total, items, next)
        }
        Some(_) if offset > 0 => {
            return Err(ApiError::fields([(
                "after",
                "cannot be used with an offset above 0",
            )]))
        }
        Some(after) => {
            // The cursor is the reference of the last incident shown; one with control
            // characters, or one longer than any reference, names nothing.
            if after.is_empty() || after.len() > 200 || after.chars().any(char::is_control) {
                return Err(ApiError::fields([("after", AFTER_PROBLEM)]));
            }
            let page = queue::open_page(&state.store, &PageStart::After(after), limit).await?;
            if page.start_unknown {
                return Err(ApiError::fields([("after", AFTER_PROBLEM)]));
            }
            let next = page
                .rows
                .last()
                .filter(|_| page.has_next)
                .map(|i| i.incident_ref.clone());
            (queue::open_count(&state.store).await?, page.rows, next)
        }
    };
    audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "missing.view",
            format!(
                "Read the missing-referral queue through the API ({} of {total})",
                items.len()
            ),
        ),
    )
    .await?;
    Ok(Json(MissingReferralsPage {
        total,
        items: items
            .into_iter()
            .map(|i| MissingReferralJson {
                age_days: i.age_days(now),
                id: i.id,
                incident_ref: i.incident_ref,
                reported_at: i.reported_at,
                rules: i
                    .rule
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                queued_at: i.queued_at,
                late_referral_ref: i.referral_ref,
            })
            .collect(),
        next,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewOutcomeJson {
    /// The partner agency; a partner reviewer's token may name only its own agency.
    pub partner: String,
    /// accepted_assessment, accepted_s47, accepted_s42, early_help, advice_signpost,
    /// no_further_action or returned_more_information.
    pub outcome: String,
    pub reason: Option<String>,
    /// `YYYY-MM-DD` or `dd/mm/yyyy`; today when left out.
    pub decided_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OutcomeJson {
    pub referral_ref: String,
    pub partner: String,
    pub outcome: String,
    pub reason: String,
    pub decided_at: String,
    /// mash, partner or import
    pub source: String,
    pub recorded_by: String,
    pub updated_at: String,
}

impl From<OutcomeRecord> for OutcomeJson {
    fn from(o: OutcomeRecord) -> Self {
        OutcomeJson {
            referral_ref: o.referral_ref,
            partner: o.partner,
            outcome: o.outcome,
            reason: o.reason,
            decided_at: o.decided_at,
            source: o.source,
            recorded_by: o.recorded_by,
            updated_at: o.updated_at,
        }
    }
}

/// Records (or replaces) one partner's outcome of a referral: 201 when new, 200 when it
/// replaces the partner's earlier outcome.
#[utoipa::path(post, path = "/api/v1/referrals/{referral_ref}/outcomes", request_body = NewOutcomeJson, security(("bearer" = [])),
    params(("referral_ref" = String, Path, description = "The referral's reference")),
    responses((status = 201, body = OutcomeJson), (status = 200, body = OutcomeJson), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn record_outcome(
    State(state): State<AppState>,
    api: Api<cap::OutcomesRecord>,
    Path(referral_ref): Path<String>,
    req: Result<Json<NewOutcomeJson>, JsonRejection>,
) -> Result<(StatusCode, Json<OutcomeJson>), ApiError> {
    let b = req.map(|Json(v)| v).map_err(|e| {
        ApiError::BadRequest(format!(
            "The request body is not valid JSON for this call: {}",
            e.body_text()
        ))
    })?;
    let viewer = Viewer::of(&state, &api.user).await?;
    let r = outcomes::referral(&state.store, &referral_ref)
        .await?
        .ok_or(ApiError::NotFound)?;
    let source = match &viewer {
        Viewer::Mash => Source::Mash,
        Viewer::Partner(None) => return Err(ApiError::Forbidden),
        Viewer::Partner(Some(agency)) => {
            if !same_agency(&r.partner, agency) {
                // Not sent to their agency: as if it did not exist.
                return Err(ApiError::NotFound);
            }
            if !same_agency(&b.partner, agency) {
                return Err(ApiError::Forbidden);
            }
            Source::Partner
        }
    };
    let outcome: Outcome = b
        .outcome
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("outcome: {e}")))?;
    let decided = match b.decided_at.as_deref().map(str::trim) {
        None | Some("") => today(),
        Some(raw) => {
            parse_date(raw).map_err(|e| ApiError::BadRequest(format!("decided_at: {e}")))?
        }
    };
    if decided > today() {
        return Err(ApiError::BadRequest(
            "decided_at: must be today or in the past".into(),
        ));
    }
    let existed = outcomes::of_referral(&state.store, &r.referral_ref)
        .await?
        .iter()
        .any(|o| same_agency(&o.partner, &b.partner));
    let saved = outcomes::record(
        &state.store,
        &api.user.actor(),
        &NewOutcome {
            referral_ref: r.referral_ref,
            partner: b.partner,
            outcome,
            reason: b.reason.unwrap_or_default(),
            decided_at: decided.to_string(),
            source,
        },
    )
    .await?;
    crate::impact::warm_effect_after_write(&state);
    Ok((
        if existed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        Json(saved.into()),
    ))
}

/// This capability's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(missing_referrals, record_outcome),
    components(schemas(MissingReferralJson, MissingReferralsPage, NewOutcomeJson, OutcomeJson))
)]
pub struct OutcomesDoc;
