//! Quarterly referral quality reviews: a reproducible sample of the referrals submitted in a
//! period, a panel of graders who grade blind, moderation into an agreed grade, and feedback to
//! the submitting officers. Every draw is kept; individual grades are kept beside agreed ones.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::reviews::{CriterionScore, ReviewReader};
use mashboard_domain::sampling::{self, FrameItem, Method};
use mashboard_domain::Role;
use rand::RngCore;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a sample may be stratified by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strata {
    None,
    SubjectType,
    Partner,
    Department,
}

impl Strata {
    pub const ALL: [Strata; 4] = [
        Strata::None,
        Strata::SubjectType,
        Strata::Partner,
        Strata::Department,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Strata::None => "",
            Strata::SubjectType => "subject_type",
            Strata::Partner => "partner",
            Strata::Department => "department",
        }
    }
    pub fn parse(s: &str) -> Option<Strata> {
        Strata::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
    pub fn label(self) -> &'static str {
        match self {
            Strata::None => "No strata (simple random sample)",
            Strata::SubjectType => "Child or adult",
            Strata::Partner => "Partner agency",
            Strata::Department => "Officer's department",
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Review {
    pub id: i64,
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    pub sample_size: i64,
    pub strata: String,
    pub status: String,
    pub owner_user_id: i64,
    pub owner_username: String,
    pub created_at: String,
    pub closed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Draw {
    pub id: i64,
    pub draw_no: i64,
    pub seed: String,
    pub frame_size: i64,
    pub reason: String,
    pub drawn_by: String,
    pub drawn_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SampleItem {
    pub position: i64,
    pub referral_id: i64,
    pub referral_ref: String,
    pub incident_ref: String,
    pub submitted_at: String,
    pub subject_type: String,
    pub category: String,
    pub officer_grade: String,
    pub partner: String,
    pub narrative: String,
    pub stratum: String,
    pub officer_staff_number: String,
    pub officer_person_id: Option<i64>,
    pub officer_name: Option<String>,
    pub officer_line_manager_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PanelMember {
    pub user_id: i64,
    pub username: String,
    pub partner_agency: Option<String>,
    pub submitted_at: Option<String>,
    pub graded: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct GradeRow {
    pub id: i64,
    pub referral_id: i64,
    pub referral_ref: String,
    pub grader_user_id: i64,
    pub grader_username: String,
    pub grade: i64,
    pub comment: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ScoreRow {
    pub grade_id: i64,
    pub criterion_id: i64,
    pub criterion_code: String,
    /// 1 to 4; `None` is "not applicable".
    pub score: Option<i64>,
}

impl ScoreRow {
    pub fn criterion_score(&self) -> Option<CriterionScore> {
        CriterionScore::from_stored(self.score)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AgreedRow {
    pub referral_id: i64,
    pub referral_ref: String,
    pub grade: i64,
    pub comment: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AgreedScore {
    pub referral_id: i64,
    pub criterion_id: i64,
    pub criterion_code: String,
    /// 1 to 4; `None` is "not applicable".
    pub score: Option<i64>,
}

impl AgreedScore {
    pub fn criterion_score(&self) -> Option<CriterionScore> {
        CriterionScore::from_stored(self.score)
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Criterion {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub descriptor: String,
    pub position: i64,
    pub module_id: Option<i64>,
    pub module_title: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NamedInReferral {
    pub role: String,
    pub name: String,
    pub date_of_birth: Option<String>,
    pub address: String,
    pub area: String,
}

/// A new review as the trainer asks for it.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    pub sample_size: usize,
    pub strata: Strata,
    pub seed: Option<u64>,
}

/// What a draw produced.
#[derive(Debug, Clone, Serialize)]
pub struct DrawOutcome {
    pub review_id: i64,
    pub draw_no: i64,
    pub seed: u64,
    pub frame_size: usize,
    pub sample: Vec<String>,
}

const SELECT_REVIEW: &str =
    "SELECT q.id, q.title, q.period_start, q.period_end, q.sample_size, q.strata, q.status,
        q.owner_user_id, u.username AS owner_username, q.created_at, q.closed_at
    FROM quality_reviews q JOIN users u ON u.id = q.owner_user_id";

pub async fn get(store: &Store, id: i64) -> Result<Option<Review>> {
    Ok(
        sqlx::query_as::<_, Review>(&format!("{SELECT_REVIEW} WHERE q.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Every review, newest period first.
pub async fn list_all(store: &Store) -> Result<Vec<Review>> {
    Ok(sqlx::query_as::<_, Review>(&format!(
        "{SELECT_REVIEW} ORDER BY q.period_start DESC, q.id DESC"
    ))
    .fetch_all(store.pool())
    .await?)
}

/// The reviews whose panel this user sits on.
pub async fn list_for_grader(store: &Store, user_id: i64) -> Result<Vec<Review>> {
    Ok(sqlx::query_as::<_, Review>(&format!(
        "{SELECT_REVIEW} WHERE q.id IN (SELECT review_id FROM quality_review_panel WHERE user_id = $1)
         ORDER BY q.period_start DESC, q.id DESC"
    ))
    .bind(user_id)
    .fetch_all(store.pool())
    .await?)
}

/// A review and what the reader is to it; the domain's `ReviewReader` says what they may see.
#[derive(Debug, Clone)]
pub struct ReviewAccess {
    pub review: Review,
    pub reader: ReviewReader,
}

/// The review if this user may see it (`None` otherwise, as if it did not exist): those who run
/// reviews see all, graders the reviews whose panel they sit on. The one visibility query for
/// pages and API alike.
pub async fn visible(
    store: &Store,
    review_id: i64,
    user_id: i64,
    roles: &[Role],
) -> Result<Option<ReviewAccess>> {
    let Some(review) = get(store, review_id).await? else {
        return Ok(None);
    };
    let panel: Option<Option<String>> = sqlx::query_scalar(
        "SELECT submitted_at FROM quality_review_panel WHERE review_id = $1 AND user_id = $2",
    )
    .bind(review_id)
    .bind(user_id)
    .fetch_optional(store.pool())
    .await?;
    let reader = ReviewReader {
        owner: review.owner_user_id == user_id,
        on_panel: panel.is_some(),
        submitted: matches!(panel, Some(Some(_))),
        ..ReviewReader::of_roles(roles)
    };
    Ok(reader
        .may_see_review()
        .then_some(ReviewAccess { review, reader }))
}

/// The reviews this user may see: all of them for those who run reviews, otherwise the ones
/// whose panel they sit on.
pub async fn list_visible(store: &Store, user_id: i64, roles: &[Role]) -> Result<Vec<Review>> {
    if ReviewReader::of_roles(roles).runs_reviews {
        list_all(store).await
    } else {
        list_for_grader(store, user_id).await
    }
}

pub async fn is_on_panel(store: &Store, review_id: i64, user_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM quality_review_panel WHERE review_id = $1 AND user_id = $2",
    )
    .bind(review_id)
    .bind(user_id)
    .fetch_one(store.pool())
    .await?;
    Ok(n > 0)
}

fn day_after(date: &str) -> Result<String> {
    let d = mashboard_domain::people::parse_date(date)
        .map_err(|_| StoreError::Invalid(format!("\"{date}\" is not a date")))?;
    Ok(d.next_day().unwrap_or(d).to_string())
}

/// Method 1's frame: referrals submitted in the period (both days inclusive), in reference order,
/// with the stratum each falls in.
async fn frame(
    store: &Store,
    start: &str,
    end: &str,
    strata: Strata,
) -> Result<Vec<(i64, String, String)>> {
    let stratum = match strata {
        Strata::None => "''",
        Strata::SubjectType => "r.subject_type",
        Strata::Partner => "r.partner",
        Strata::Department => "COALESCE(p.department, '')",
    };
    Ok(sqlx::query_as::<_, (i64, String, String)>(&format!(
        "SELECT r.id, r.referral_ref, {stratum} FROM referrals r LEFT JOIN people p ON p.id = r.officer_person_id
         WHERE r.submitted_at >= $1 AND r.submitted_at < $2 ORDER BY r.referral_ref"
    ))
    .bind(start)
    .bind(day_after(end)?)
    .fetch_all(store.pool())
    .await?)
}

/// How many referrals a period holds (to tell the trainer before they draw).
pub async fn frame_size(store: &Store, start: &str, end: &str) -> Result<usize> {
    let mut conn = store.pool().acquire().await?;
    let counts = crate::draw_frame::count(
        &mut conn,
        store.backend(),
        &frame_spec(Strata::None),
        start,
        &day_after(end)?,
    )
    .await?;
    Ok(counts.values().sum())
}

/// The referrals a review's sample is drawn from, for drawing by position (method 2).
/// Every stratum but the officer's department (which a person's record holds, and can change
/// without the referral changing) has per-day counts (migration 23).
pub(crate) fn frame_spec(strata: Strata) -> crate::draw_frame::FrameSpec<'static> {
    use crate::draw_frame::DayCounts;
    let (from, counts) = match strata {
        Strata::Department => (
            "referrals r LEFT JOIN people p ON p.id = r.officer_person_id",
            None,
        ),
        Strata::None => (
            "referrals r",
            Some(DayCounts {
                table: "referral_day_subject_counts",
                stratum: None,
            }),
        ),
        Strata::SubjectType => (
            "referrals r",
            Some(DayCounts {
                table: "referral_day_subject_counts",
                stratum: Some("subject_type"),
            }),
        ),
        Strata::Partner => (
            "referrals r",
            Some(DayCounts {
                table: "referral_day_partner_counts",
                stratum: Some("partner"),
            }),
        ),
    };
    crate::draw_frame::FrameSpec {
        from,
        time: "r.submitted_at",
        key: "r.referral_ref",
        id: "r.id",
        stratum: stratum_sql(strata),
        counts,
    }
}

fn stratum_sql(strata: Strata) -> Option<&'static str> {
    match strata {
        Strata::None => None,
        Strata::SubjectType => Some("r.subject_type"),
        Strata::Partner => Some("r.partner"),
        Strata::Department => Some("COALESCE(p.department, '')"),
    }
}

/// The sample `method` draws for a review with `seed`: the frame's size and the drawn
/// (id, reference, stratum) in draw order. Method 1 (every draw made before migration 18) reads
/// the whole frame in reference order; method 2 counts it and fetches the drawn rows only.
async fn select(
    store: &Store,
    conn: &mut sqlx::AnyConnection,
    method: Method,
    review: &Review,
    seed: u64,
) -> Result<(usize, Vec<(i64, String, String)>)> {
    let strata = Strata::parse(&review.strata).unwrap_or(Strata::None);
    let size = review.sample_size as usize;
    match method {
        Method::FrameWhole => {
            let rows = frame(store, &review.period_start, &review.period_end, strata).await?;
            let items: Vec<FrameItem<'_>> = rows
                .iter()
                .map(|(_, key, stratum)| FrameItem { key, stratum })
                .collect();
            let drawn = if strata == Strata::None {
                sampling::draw(&items, size, seed)
            } else {
                sampling::draw_stratified(&items, size, seed)
            }
            .map_err(|e| StoreError::Invalid(capitalise(&e.to_string())))?;
            Ok((
                rows.len(),
                drawn
                    .into_iter()
                    .map(|d| (rows[d.index].0, rows[d.index].1.clone(), d.stratum))
                    .collect(),
            ))
        }
        Method::ByPosition => {
            let drawn = crate::draw_frame::draw(
                conn,
                store.backend(),
                &frame_spec(strata),
                &review.period_start,
                &day_after(&review.period_end)?,
                size,
                seed,
            )
            .await?
            .map_err(|e| StoreError::Invalid(capitalise(&e.to_string())))?;
            Ok((drawn.frame_size, drawn.rows))
        }
    }
}

/// The sample a review's draw gives when drawn again today from its recorded seed, by the
/// method it was drawn with (referral references in draw order): the same as the recorded
/// sample unless the period's referrals have changed since.
pub async fn sample_again(store: &Store, review_id: i64, draw_no: i64) -> Result<Vec<String>> {
    let Some(review) = get(store, review_id).await? else {
        return Err(StoreError::Invalid(format!(
            "there is no review {review_id}"
        )));
    };
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT seed, method FROM quality_review_draws WHERE review_id = $1 AND draw_no = $2",
    )
    .bind(review_id)
    .bind(draw_no)
    .fetch_optional(store.pool())
    .await?;
    let Some((seed, method)) = row else {
        return Err(StoreError::Invalid(format!(
            "review {review_id} has no draw {draw_no}"
        )));
    };
    let (seed, method) = crate::draw_frame::recorded_draw(&seed, method)?;
    let mut conn = store.pool().acquire().await?;
    let (_, rows) = select(store, &mut conn, method, &review, seed).await?;
    Ok(rows.into_iter().map(|(_, r, _)| r).collect())
}

fn fresh_seed() -> u64 {
    // Seeds are shown to people and typed back in; keep them to 9 digits so they read easily.
    rand::rngs::OsRng.next_u64() % 1_000_000_000
}

async fn draw_into(
    store: &Store,
    tx: &mut sqlx::AnyConnection,
    actor: &Actor,
    review: &Review,
    seed: Option<u64>,
    reason: &str,
) -> Result<DrawOutcome> {
    let seed = seed.unwrap_or_else(fresh_seed);
    let method = Method::CURRENT;
    let (frame_size, drawn) = select(store, tx, method, review, seed).await?;
    // The next draw number and the draw in one statement (one round trip, not two).
    let (draw_id, draw_no): (i64, i64) = sqlx::query_as(
        "INSERT INTO quality_review_draws (review_id, draw_no, seed, frame_size, reason, drawn_by, drawn_at, method)
         SELECT CAST($1 AS BIGINT), CAST(COALESCE(MAX(draw_no), 0) + 1 AS BIGINT), $2, CAST($3 AS BIGINT), $4, $5, $6,
                CAST($7 AS BIGINT)
         FROM quality_review_draws WHERE review_id = $1
         RETURNING id, draw_no",
    )
    .bind(review.id)
    .bind(seed.to_string())
    .bind(frame_size as i64)
    .bind(reason)
    .bind(&actor.name)
    .bind(now_text())
    .bind(method.number())
    .fetch_one(&mut *tx)
    .await?;
    crate::draw_frame::write_sample(
        tx,
        "INSERT INTO quality_review_sample (draw_id, position, referral_id, stratum) VALUES",
        draw_id,
        &drawn,
        2,
        |q, (referral_id, _, stratum)| q.bind(*referral_id).bind(stratum.as_str()),
    )
    .await?;
    let sample: Vec<String> = drawn.iter().map(|(_, key, _)| key.clone()).collect();
    audit_trail::record_on(
        tx,
        actor,
        Event::new(
            "quality_review.draw",
            format!(
                "Drew sample {draw_no} of review {} ({} of {} referrals, seed {seed})",
                review.id,
                sample.len(),
                frame_size
            ),
        )
        .on("quality_review", review.id.to_string())
        .after(&serde_json::json!({"draw_no": draw_no, "seed": seed.to_string(), "frame_size": frame_size, "sample": sample, "reason": reason})),
    )
    .await?;
    Ok(DrawOutcome {
        review_id: review.id,
        draw_no,
        seed,
        frame_size,
        sample,
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Opens a review and draws its first sample, all or nothing.
pub async fn create(
    store: &Store,
    actor: &Actor,
    owner_user_id: i64,
    new: &NewReview,
) -> Result<DrawOutcome> {
    if new.period_end < new.period_start {
        return Err(StoreError::Invalid(
            "The period must end on or after the day it starts".into(),
        ));
    }
    let title = if new.title.trim().is_empty() {
        format!(
            "Referral quality review {} to {}",
            new.period_start, new.period_end
        )
    } else {
        new.title.trim().to_string()
    };
    ensure_rubric(store).await?;
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO quality_reviews (title, period_start, period_end, sample_size, strata, status, owner_user_id, created_at)
         VALUES ($1, $2, $3, $4, $5, 'grading', $6, $7) RETURNING id",
    )
    .bind(&title)
    .bind(&new.period_start)
    .bind(&new.period_end)
    .bind(new.sample_size as i64)
    .bind(new.strata.as_str())
    .bind(owner_user_id)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("quality_review.create", format!("Opened review {id}: {title}"))
            .on("quality_review", id.to_string())
            .after(&serde_json::json!({"title": title, "period_start": new.period_start, "period_end": new.period_end, "sample_size": new.sample_size, "strata": new.strata.as_str()})),
    )
    .await?;
    let review = Review {
        id,
        title,
        period_start: new.period_start.clone(),
        period_end: new.period_end.clone(),
        sample_size: new.sample_size as i64,
        strata: new.strata.as_str().to_string(),
        status: "grading".into(),
        owner_user_id,
        owner_username: actor.name.clone(),
        created_at: now_text(),
        closed_at: None,
    };
    let out = draw_into(store, &mut tx, actor, &review, new.seed, "").await?;
    tx.commit().await?;
    Ok(out)
}

/// Draws again (the old draw is kept). Needs a reason, and only before anyone has graded.
pub async fn redraw(
    store: &Store,
    actor: &Actor,
    review_id: i64,
    reason: &str,
    seed: Option<u64>,
) -> Result<DrawOutcome> {
    let review = get(store, review_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such review".into()))?;
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "Enter the reason for drawing the sample again".into(),
        ));
    }
    let graded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM quality_grades WHERE review_id = $1")
            .bind(review_id)
            .fetch_one(store.pool())
            .await?;
    if graded > 0 {
        return Err(StoreError::Conflict(format!(
            "Grading has started ({graded} grades recorded), so the sample can no longer be drawn again; open a new review instead"
        )));
    }
    let mut tx = store.begin().await?;
    let out = draw_into(store, &mut tx, actor, &review, seed, reason.trim()).await?;
    tx.commit().await?;
    Ok(out)
}

pub async fn draws(store: &Store, review_id: i64) -> Result<Vec<Draw>> {
    Ok(sqlx::query_as::<_, Draw>(
        "SELECT id, draw_no, seed, frame_size, reason, drawn_by, drawn_at FROM quality_review_draws
         WHERE review_id = $1 ORDER BY draw_no",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

/// The current (latest) draw's referrals, in draw order.
pub async fn sample(store: &Store, review_id: i64) -> Result<Vec<SampleItem>> {
    Ok(sqlx::query_as::<_, SampleItem>(
        "SELECT s.position, r.id AS referral_id, r.referral_ref, r.incident_ref, r.submitted_at, r.subject_type, r.category,
                r.officer_grade, r.partner, r.narrative, s.stratum, r.officer_staff_number, r.officer_person_id,
                p.name AS officer_name, p.line_manager_id AS officer_line_manager_id
         FROM quality_review_sample s
         JOIN referrals r ON r.id = s.referral_id
         LEFT JOIN people p ON p.id = r.officer_person_id
         WHERE s.draw_id = (SELECT id FROM quality_review_draws WHERE review_id = $1 ORDER BY draw_no DESC LIMIT 1)
         ORDER BY s.position",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

/// People named in a referral (for the pseudonymised view).
pub async fn named_in(store: &Store, referral_ref: &str) -> Result<Vec<NamedInReferral>> {
    Ok(sqlx::query_as::<_, NamedInReferral>(
        "SELECT role, name, date_of_birth, address, area FROM referral_people WHERE referral_ref = $1 ORDER BY id",
    )
    .bind(referral_ref)
    .fetch_all(store.pool())
    .await?)
}

/// Users who may sit on a panel: senior leaders and partner reviewers, enabled.
pub async fn eligible_graders(store: &Store) -> Result<Vec<(i64, String, String)>> {
    Ok(sqlx::query_as::<_, (i64, String, String)>(
        "SELECT u.id, u.username, MIN(ur.role) FROM users u JOIN user_roles ur ON ur.user_id = u.id
         WHERE ur.role IN ('senior_leader', 'partner_reviewer') AND u.disabled = 0
         GROUP BY u.id, u.username ORDER BY u.username",
    )
    .fetch_all(store.pool())
    .await?)
}

pub async fn panel(store: &Store, review_id: i64) -> Result<Vec<PanelMember>> {
    Ok(sqlx::query_as::<_, PanelMember>(
        "SELECT pm.user_id, u.username, u.partner_agency, pm.submitted_at,
                CAST((SELECT COUNT(*) FROM quality_grades g WHERE g.review_id = pm.review_id AND g.grader_user_id = pm.user_id) AS BIGINT) AS graded
         FROM quality_review_panel pm JOIN users u ON u.id = pm.user_id
         WHERE pm.review_id = $1 ORDER BY u.username",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

async fn open_review(store: &Store, review_id: i64) -> Result<Review> {
    let r = get(store, review_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such review".into()))?;
    if r.status == "closed" {
        return Err(StoreError::Conflict(
            "This review is closed; its grades can no longer change".into(),
        ));
    }
    Ok(r)
}

/// Sets the panel by username. Graders must be senior leaders or partner reviewers; a grader who
/// has graded cannot be taken off (their grades are part of the record).
pub async fn set_panel(
    store: &Store,
    actor: &Actor,
    review_id: i64,
    usernames: &[String],
) -> Result<Vec<PanelMember>> {
    open_review(store, review_id).await?;
    let eligible = eligible_graders(store).await?;
    let mut ids = Vec::new();
    for name in usernames {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        match eligible.iter().find(|(_, u, _)| u == name) {
            Some((id, _, _)) => {
                if !ids.contains(id) {
                    ids.push(*id)
                }
            }
            None => {
                return Err(StoreError::Invalid(format!(
                    "{name} cannot grade: a panel is made of senior leaders and partner reviewers with an enabled account"
                )))
            }
        }
    }
    let current = panel(store, review_id).await?;
    for m in &current {
        if !ids.contains(&m.user_id) && m.graded > 0 {
            return Err(StoreError::Conflict(format!(
                "{} has already graded {} referrals and stays on the panel",
                m.username, m.graded
            )));
        }
    }
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM quality_review_panel WHERE review_id = $1")
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
    let now = now_text();
    for id in &ids {
        let submitted = current
            .iter()
            .find(|m| m.user_id == *id)
            .and_then(|m| m.submitted_at.clone());
        sqlx::query(
            "INSERT INTO quality_review_panel (review_id, user_id, added_at, submitted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(review_id)
        .bind(id)
        .bind(&now)
        .bind(submitted)
        .execute(&mut *tx)
        .await?;
    }
    let before: Vec<&str> = current.iter().map(|m| m.username.as_str()).collect();
    let after: Vec<&str> = eligible
        .iter()
        .filter(|(id, _, _)| ids.contains(id))
        .map(|(_, u, _)| u.as_str())
        .collect();
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "quality_review.panel",
            format!("Set the panel of review {review_id}"),
        )
        .on("quality_review", review_id.to_string())
        .before(&before)
        .after(&after),
    )
    .await?;
    tx.commit().await?;
    panel(store, review_id).await
}

/// A grader's grade for one sampled referral.
#[derive(Debug, Clone)]
pub struct NewGrade {
    pub referral_ref: String,
    pub grade: i64,
    pub comment: String,
    /// (criterion id, score 1–4 or not applicable)
    pub scores: Vec<(i64, CriterionScore)>,
}

/// Scores as the audit trail records them: criterion id and score, `null` for not applicable.
fn scores_json(scores: &[(i64, CriterionScore)]) -> serde_json::Value {
    scores
        .iter()
        .map(|(id, s)| serde_json::json!([id, s.stored()]))
        .collect()
}

async fn sampled_referral(store: &Store, review_id: i64, referral_ref: &str) -> Result<i64> {
    sample(store, review_id)
        .await?
        .into_iter()
        .find(|s| s.referral_ref == referral_ref)
        .map(|s| s.referral_id)
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "Referral {referral_ref} is not in this review's sample"
            ))
        })
}

fn check_grade(g: i64, what: &str) -> Result<()> {
    if !(1..=4).contains(&g) {
        return Err(StoreError::Invalid(format!(
            "{what} must be 1 (very poor), 2, 3 or 4 (excellent); got {g}"
        )));
    }
    Ok(())
}

async fn check_scores(store: &Store, scores: &[(i64, CriterionScore)]) -> Result<()> {
    let criteria = rubric(store).await?;
    for (cid, score) in scores {
        let c = criteria
            .iter()
            .find(|c| c.id == *cid)
            .ok_or_else(|| StoreError::Invalid(format!("Criterion {cid} is not in the rubric")))?;
        if let CriterionScore::Score(g) = score {
            check_grade(i64::from(*g), &format!("The score for \"{}\"", c.title))?;
        }
    }
    Ok(())
}

/// The checks a grade and an agreed grade both pass (the grade and its criterion scores on the
/// scale, the referral in the current sample): the sampled referral's id.
async fn checked_referral(store: &Store, review_id: i64, g: &NewGrade, what: &str) -> Result<i64> {
    check_grade(g.grade, what)?;
    check_scores(store, &g.scores).await?;
    sampled_referral(store, review_id, &g.referral_ref).await
}

/// How the audit trail records a grade or an agreed grade: what was recorded and, when it
/// replaced one, the grade and comment before.
fn grade_event(
    action: &'static str,
    summary: String,
    review_id: i64,
    g: &NewGrade,
    before: Option<(i64, &str)>,
) -> Event {
    let ev = Event::new(action, summary)
        .on("referral", &g.referral_ref)
        .after(&serde_json::json!({"review": review_id, "grade": g.grade, "comment": g.comment.trim(), "scores": scores_json(&g.scores)}));
    match before {
        Some((grade, comment)) => {
            ev.before(&serde_json::json!({"grade": grade, "comment": comment}))
        }
        None => ev,
    }
}

/// Records (or changes) a grader's grade. The grader must be on the panel and the review open.
pub async fn grade(
    store: &Store,
    actor: &Actor,
    review_id: i64,
    grader_user_id: i64,
    g: &NewGrade,
) -> Result<i64> {
    open_review(store, review_id).await?;
    if !is_on_panel(store, review_id, grader_user_id).await? {
        return Err(StoreError::Invalid(
            "Only the review's panel can grade its referrals".into(),
        ));
    }
    let referral_id = checked_referral(store, review_id, g, "The grade").await?;
    let before: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, grade, comment FROM quality_grades WHERE review_id = $1 AND referral_id = $2 AND grader_user_id = $3",
    )
    .bind(review_id)
    .bind(referral_id)
    .bind(grader_user_id)
    .fetch_optional(store.pool())
    .await?;
    let now = now_text();
    let mut tx = store.begin().await?;
    let id = match &before {
        Some((id, _, _)) => {
            sqlx::query(
                "UPDATE quality_grades SET grade = $1, comment = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(g.grade)
            .bind(g.comment.trim())
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            *id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO quality_grades (review_id, referral_id, grader_user_id, grade, comment, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(review_id)
            .bind(referral_id)
            .bind(grader_user_id)
            .bind(g.grade)
            .bind(g.comment.trim())
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    sqlx::query("DELETE FROM quality_criterion_scores WHERE grade_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for (cid, score) in &g.scores {
        sqlx::query(
            "INSERT INTO quality_criterion_scores (grade_id, criterion_id, score) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(cid)
        .bind(score.stored())
        .execute(&mut *tx)
        .await?;
    }
    let ev = grade_event(
        "quality_review.grade",
        format!(
            "Graded referral {} in review {review_id}: {}",
            g.referral_ref, g.grade
        ),
        review_id,
        g,
        before
            .as_ref()
            .map(|(_, grade, comment)| (*grade, comment.as_str())),
    );
    audit_trail::record_on(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// A grader says they have finished: every sampled referral must carry their grade. From then on
/// they can see the others' grades.
pub async fn submit(store: &Store, actor: &Actor, review_id: i64, user_id: i64) -> Result<()> {
    open_review(store, review_id).await?;
    if !is_on_panel(store, review_id, user_id).await? {
        return Err(StoreError::Invalid(
            "Only the review's panel can submit grades".into(),
        ));
    }
    let sample = sample(store, review_id).await?;
    let mine = grades(store, review_id).await?;
    let missing: Vec<&str> = sample
        .iter()
        .filter(|s| {
            !mine
                .iter()
                .any(|g| g.referral_id == s.referral_id && g.grader_user_id == user_id)
        })
        .map(|s| s.referral_ref.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(StoreError::Invalid(format!(
            "Grade every referral before you submit; still to grade: {}",
            missing.join(", ")
        )));
    }
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE quality_review_panel SET submitted_at = $1 WHERE review_id = $2 AND user_id = $3 AND submitted_at IS NULL",
    )
    .bind(now_text())
    .bind(review_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "quality_review.submit",
            format!("Submitted grades for review {review_id}"),
        )
        .on("quality_review", review_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn has_submitted(store: &Store, review_id: i64, user_id: i64) -> Result<bool> {
    let at: Option<Option<String>> = sqlx::query_scalar(
        "SELECT submitted_at FROM quality_review_panel WHERE review_id = $1 AND user_id = $2",
    )
    .bind(review_id)
    .bind(user_id)
    .fetch_optional(store.pool())
    .await?;
    Ok(matches!(at, Some(Some(_))))
}

/// Every individual grade in the review (callers decide who may see which).
pub async fn grades(store: &Store, review_id: i64) -> Result<Vec<GradeRow>> {
    Ok(sqlx::query_as::<_, GradeRow>(
        "SELECT g.id, g.referral_id, r.referral_ref, g.grader_user_id, u.username AS grader_username, g.grade, g.comment, g.updated_at
         FROM quality_grades g JOIN referrals r ON r.id = g.referral_id JOIN users u ON u.id = g.grader_user_id
         WHERE g.review_id = $1 ORDER BY r.referral_ref, u.username",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

pub async fn scores(store: &Store, review_id: i64) -> Result<Vec<ScoreRow>> {
    Ok(sqlx::query_as::<_, ScoreRow>(
        "SELECT s.grade_id, s.criterion_id, c.code AS criterion_code, s.score
         FROM quality_criterion_scores s JOIN quality_grades g ON g.id = s.grade_id JOIN rubric_criteria c ON c.id = s.criterion_id
         WHERE g.review_id = $1 ORDER BY s.grade_id, c.position",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

/// The panel's moderated grade for a referral (recorded by the review's owner).
pub async fn set_agreed(store: &Store, actor: &Actor, review_id: i64, g: &NewGrade) -> Result<()> {
    open_review(store, review_id).await?;
    let referral_id = checked_referral(store, review_id, g, "The agreed grade").await?;
    let before: Option<(i64, String)> = sqlx::query_as(
        "SELECT grade, comment FROM quality_agreed_grades WHERE review_id = $1 AND referral_id = $2",
    )
    .bind(review_id)
    .bind(referral_id)
    .fetch_optional(store.pool())
    .await?;
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM quality_agreed_grades WHERE review_id = $1 AND referral_id = $2")
        .bind(review_id)
        .bind(referral_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO quality_agreed_grades (review_id, referral_id, grade, comment, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(review_id)
    .bind(referral_id)
    .bind(g.grade)
    .bind(g.comment.trim())
    .bind(&actor.name)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    if !g.scores.is_empty() {
        sqlx::query(
            "DELETE FROM quality_agreed_criteria WHERE review_id = $1 AND referral_id = $2",
        )
        .bind(review_id)
        .bind(referral_id)
        .execute(&mut *tx)
        .await?;
        for (cid, score) in &g.scores {
            sqlx::query(
                "INSERT INTO quality_agreed_criteria (review_id, referral_id, criterion_id, score) VALUES ($1, $2, $3, $4)",
            )
            .bind(review_id)
            .bind(referral_id)
            .bind(cid)
            .bind(score.stored())
            .execute(&mut *tx)
            .await?;
        }
    }
    let ev = grade_event(
        "quality_review.agree",
        format!(
            "Agreed grade {} for referral {} in review {review_id}",
            g.grade, g.referral_ref
        ),
        review_id,
        g,
        before
            .as_ref()
            .map(|(grade, comment)| (*grade, comment.as_str())),
    );
    audit_trail::record_on(&mut tx, actor, ev).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn agreed(store: &Store, review_id: i64) -> Result<Vec<AgreedRow>> {
    Ok(sqlx::query_as::<_, AgreedRow>(
        "SELECT a.referral_id, r.referral_ref, a.grade, a.comment, a.recorded_by, a.recorded_at
         FROM quality_agreed_grades a JOIN referrals r ON r.id = a.referral_id
         WHERE a.review_id = $1 ORDER BY r.referral_ref",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

pub async fn agreed_scores(store: &Store, review_id: i64) -> Result<Vec<AgreedScore>> {
    Ok(sqlx::query_as::<_, AgreedScore>(
        "SELECT a.referral_id, a.criterion_id, c.code AS criterion_code, a.score
         FROM quality_agreed_criteria a JOIN rubric_criteria c ON c.id = a.criterion_id
         WHERE a.review_id = $1 ORDER BY a.referral_id, c.position",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

/// The figures of a review (the domain's `review_summary`) from its individual and agreed
/// grades, for the result page, the exports and the API alike.
pub async fn summary(
    store: &Store,
    review_id: i64,
) -> Result<mashboard_domain::review_summary::ReviewSummary> {
    let sample = sample(store, review_id).await?;
    let grades = grades(store, review_id).await?;
    let agreed = agreed(store, review_id).await?;
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
    Ok(mashboard_domain::review_summary::summarise(
        &finals,
        sample.len() - finals.len(),
        &individual,
    ))
}

/// Each criterion's figures over a review (the domain's `weakest_criteria`): the agreed
/// criterion scores where the panel recorded any, else the graders' own. "Not applicable" is
/// counted apart and left out of the figures.
pub async fn criterion_figures(
    store: &Store,
    review_id: i64,
) -> Result<(Vec<mashboard_domain::reviews::CriterionWeakness>, bool)> {
    let agreed = agreed_scores(store, review_id).await?;
    let from_agreed = !agreed.is_empty();
    let pairs: Vec<(String, CriterionScore)> = if from_agreed {
        agreed
            .into_iter()
            .filter_map(|s| s.criterion_score().map(|c| (s.criterion_code, c)))
            .collect()
    } else {
        scores(store, review_id)
            .await?
            .into_iter()
            .filter_map(|s| s.criterion_score().map(|c| (s.criterion_code, c)))
            .collect()
    };
    Ok((
        mashboard_domain::reviews::weakest_criteria(&pairs),
        from_agreed,
    ))
}

/// Moves a review on: grading → moderation → closed (and back from moderation to grading).
pub async fn set_status(store: &Store, actor: &Actor, review_id: i64, to: &str) -> Result<()> {
    let r = get(store, review_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such review".into()))?;
    let allowed = matches!(
        (r.status.as_str(), to),
        ("grading", "moderation") | ("moderation", "grading") | ("moderation", "closed")
    );
    if !allowed {
        return Err(StoreError::Conflict(format!(
            "A review that is {} cannot move to {to}",
            r.status
        )));
    }
    if to == "closed" {
        let sample = sample(store, review_id).await?;
        let agreed = agreed(store, review_id).await?;
        let pending = sample.len() - agreed.len().min(sample.len());
        if pending > 0 {
            return Err(StoreError::Conflict(format!(
                "Record an agreed grade for every referral before closing ({pending} still without one)"
            )));
        }
    }
    let mut tx = store.begin().await?;
    let closed_at = (to == "closed").then(now_text);
    sqlx::query("UPDATE quality_reviews SET status = $1, closed_at = $2 WHERE id = $3")
        .bind(to)
        .bind(closed_at)
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "quality_review.status",
            format!("Review {review_id} moved from {} to {to}", r.status),
        )
        .on("quality_review", review_id.to_string())
        .before(&r.status)
        .after(&to),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- Rubric ----

pub async fn rubric(store: &Store) -> Result<Vec<Criterion>> {
    Ok(sqlx::query_as::<_, Criterion>(
        "SELECT c.id, c.code, c.title, c.descriptor, c.position, c.module_id, m.title AS module_title, c.active
         FROM rubric_criteria c LEFT JOIN modules m ON m.id = c.module_id ORDER BY c.position, c.id",
    )
    .fetch_all(store.pool())
    .await?)
}

/// Puts the default rubric of the domain in place if the force has none yet.
pub async fn ensure_rubric(store: &Store) -> Result<usize> {
    let criteria: Vec<(&str, &str, &str, Option<&str>)> = mashboard_domain::reviews::DEFAULT_RUBRIC
        .iter()
        .map(|c| (c.code, c.title, c.descriptor, c.module_code))
        .collect();
    seed_rubric(store, &criteria).await
}

/// Puts the default rubric in place if the force has none yet. `criteria` is (code, title,
/// descriptor, module code).
pub async fn seed_rubric(
    store: &Store,
    criteria: &[(&str, &str, &str, Option<&str>)],
) -> Result<usize> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rubric_criteria")
        .fetch_one(store.pool())
        .await?;
    if n > 0 {
        return Ok(0);
    }
    let mut tx = store.begin().await?;
    for (i, (code, title, descriptor, module)) in criteria.iter().enumerate() {
        let module_id: Option<i64> = match module {
            Some(m) => {
                sqlx::query_scalar("SELECT id FROM modules WHERE code = $1")
                    .bind(m)
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => None,
        };
        sqlx::query(
            "INSERT INTO rubric_criteria (code, title, descriptor, position, module_id, active) VALUES ($1, $2, $3, $4, $5, 1)",
        )
        .bind(code)
        .bind(title)
        .bind(descriptor)
        .bind(i as i64 + 1)
        .bind(module_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(criteria.len())
}

/// Edits a criterion: its words, its linked module and whether it is in use.
pub async fn update_criterion(
    store: &Store,
    actor: &Actor,
    id: i64,
    title: &str,
    descriptor: &str,
    module_id: Option<i64>,
    active: bool,
) -> Result<()> {
    if title.trim().is_empty() {
        return Err(StoreError::Invalid("Enter the criterion's title".into()));
    }
    let before = rubric(store)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| StoreError::NotFound("No such criterion".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE rubric_criteria SET title = $1, descriptor = $2, module_id = $3, active = $4 WHERE id = $5",
    )
    .bind(title.trim())
    .bind(descriptor.trim())
    .bind(module_id)
    .bind(active as i64)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("rubric.update", format!("Changed rubric criterion {}", before.code))
            .on("rubric_criterion", &before.code)
            .before(&serde_json::json!({"title": before.title, "descriptor": before.descriptor, "module_id": before.module_id, "active": before.active}))
            .after(&serde_json::json!({"title": title.trim(), "descriptor": descriptor.trim(), "module_id": module_id, "active": active})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a criterion at the end of the rubric.
pub async fn add_criterion(
    store: &Store,
    actor: &Actor,
    title: &str,
    descriptor: &str,
) -> Result<i64> {
    if title.trim().is_empty() {
        return Err(StoreError::Invalid("Enter the criterion's title".into()));
    }
    let pos: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM rubric_criteria",
    )
    .fetch_one(store.pool())
    .await?;
    let code = format!("custom-{pos}");
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO rubric_criteria (code, title, descriptor, position, active) VALUES ($1, $2, $3, $4, 1) RETURNING id",
    )
    .bind(&code)
    .bind(title.trim())
    .bind(descriptor.trim())
    .bind(pos)
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "rubric.add",
            format!("Added rubric criterion {}", title.trim()),
        )
        .on("rubric_criterion", &code),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

// ---- Feedback and the learning loop ----

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Feedback {
    pub review_id: i64,
    pub review_title: String,
    pub referral_ref: String,
    pub submitted_at: String,
    pub subject_type: String,
    pub grade: i64,
    pub comment: String,
    pub officer_person_id: i64,
    pub officer_name: String,
    pub referral_id: i64,
}

/// Feedback from closed reviews on the referrals these officers submitted.
pub async fn feedback_for(store: &Store, person_ids: &[i64]) -> Result<Vec<Feedback>> {
    if person_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = person_ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    Ok(sqlx::query_as::<_, Feedback>(&format!(
        "SELECT q.id AS review_id, q.title AS review_title, r.referral_ref, r.submitted_at, r.subject_type, a.grade, a.comment,
                r.officer_person_id, p.name AS officer_name, r.id AS referral_id
         FROM quality_agreed_grades a
         JOIN quality_reviews q ON q.id = a.review_id
         JOIN referrals r ON r.id = a.referral_id
         JOIN people p ON p.id = r.officer_person_id
         WHERE q.status = 'closed' AND r.officer_person_id IN ({list})
         ORDER BY q.period_start DESC, r.referral_ref"
    ))
    .fetch_all(store.pool())
    .await?)
}

/// Agreed criterion scores for one referral in one review: (criterion title, score, `None`
/// for not applicable).
pub async fn agreed_scores_for(
    store: &Store,
    review_id: i64,
    referral_id: i64,
) -> Result<Vec<(String, Option<i64>)>> {
    Ok(sqlx::query_as::<_, (String, Option<i64>)>(
        "SELECT c.title, a.score FROM quality_agreed_criteria a JOIN rubric_criteria c ON c.id = a.criterion_id
         WHERE a.review_id = $1 AND a.referral_id = $2 ORDER BY c.position",
    )
    .bind(review_id)
    .bind(referral_id)
    .fetch_all(store.pool())
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Recommendation {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub staff_number: String,
    pub criterion_id: i64,
    pub criterion_title: String,
    pub module_id: Option<i64>,
    pub module_title: Option<String>,
    pub status: String,
}

pub async fn recommendations(store: &Store, review_id: i64) -> Result<Vec<Recommendation>> {
    Ok(sqlx::query_as::<_, Recommendation>(
        "SELECT q.id, q.person_id, p.name AS person_name, p.staff_number, q.criterion_id, c.title AS criterion_title,
                q.module_id, m.title AS module_title, q.status
         FROM quality_recommendations q JOIN people p ON p.id = q.person_id
         JOIN rubric_criteria c ON c.id = q.criterion_id LEFT JOIN modules m ON m.id = q.module_id
         WHERE q.review_id = $1 ORDER BY c.position, p.name",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?)
}

/// Records a recommendation for every officer whose referral the panel agreed was weak (score
/// 1 or 2) on a criterion; idempotent.
pub async fn recommend_from_weak(store: &Store, actor: &Actor, review_id: i64) -> Result<usize> {
    let weak: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT DISTINCT r.officer_person_id, a.criterion_id, c.module_id
         FROM quality_agreed_criteria a JOIN referrals r ON r.id = a.referral_id JOIN rubric_criteria c ON c.id = a.criterion_id
         WHERE a.review_id = $1 AND a.score <= 2 AND r.officer_person_id IS NOT NULL",
    )
    .bind(review_id)
    .fetch_all(store.pool())
    .await?;
    let mut added = 0;
    let mut tx = store.begin().await?;
    for (person, criterion, module) in weak {
        let exists: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM quality_recommendations WHERE review_id = $1 AND person_id = $2 AND criterion_id = $3",
        )
        .bind(review_id)
        .bind(person)
        .bind(criterion)
        .fetch_one(&mut *tx)
        .await?;
        if exists > 0 {
            continue;
        }
        sqlx::query(
            "INSERT INTO quality_recommendations (review_id, person_id, criterion_id, module_id, status, created_by, created_at)
             VALUES ($1, $2, $3, $4, 'recommended', $5, $6)",
        )
        .bind(review_id)
        .bind(person)
        .bind(criterion)
        .bind(module)
        .bind(&actor.name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        added += 1;
    }
    if added > 0 {
        audit_trail::record_on(
            &mut tx,
            actor,
            Event::new(
                "quality_review.recommend",
                format!("Recommended training for {added} weak criteria in review {review_id}"),
            )
            .on("quality_review", review_id.to_string()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(added)
}

/// Assigns each recommended module in one step: the person goes on a one-module refresher
/// profile ("Refresher: <module>"), so the module appears in their training plan, due in 60 days.
/// One transaction with its audit event: a failure part-way assigns nothing. Idempotent: a
/// recommendation already assigned is left alone.
pub async fn assign_recommendations(
    store: &Store,
    actor: &Actor,
    review_id: i64,
    today: &str,
) -> Result<usize> {
    use crate::training::programmes;
    let mut tx = store.begin().await?;
    let recs: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT module_id, person_id, id FROM quality_recommendations
         WHERE review_id = $1 AND status = 'recommended' AND module_id IS NOT NULL
         ORDER BY module_id, person_id, id",
    )
    .bind(review_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut by_module: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
    for (module_id, person, id) in recs {
        by_module.entry(module_id).or_default().push((person, id));
    }
    let mut assigned = 0;
    let mut officers = std::collections::BTreeSet::new();
    for (module_id, recs) in by_module {
        let (code, title): (String, String) =
            sqlx::query_as("SELECT code, title FROM modules WHERE id = $1")
                .bind(module_id)
                .fetch_one(&mut *tx)
                .await?;
        let profile_code = format!("REFRESHER-{code}").to_ascii_uppercase();
        let profile_id = match programmes::profile_by_code_on(&mut tx, &profile_code).await? {
            Some(p) => p.id,
            None => {
                let id = programmes::create_profile_on(
                    &mut tx,
                    actor,
                    &profile_code,
                    &format!("Refresher: {title}"),
                    "Assigned from a referral quality review where a referral was weak on what this module teaches.",
                )
                .await?;
                programmes::set_item_on(
                    &mut tx,
                    actor,
                    id,
                    module_id,
                    &mashboard_domain::training::DueRule::WithinDays(60).encode(),
                    &mashboard_domain::training::RenewalRule::None.encode(),
                )
                .await?;
                id
            }
        };
        for (person, id) in recs {
            if officers.insert((module_id, person)) {
                match programmes::assign_on(&mut tx, actor, person, profile_id, today).await {
                    Ok(_) | Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            sqlx::query("UPDATE quality_recommendations SET status = 'assigned' WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            assigned += 1;
        }
    }
    if assigned > 0 {
        let people: std::collections::BTreeSet<i64> = officers.iter().map(|(_, p)| *p).collect();
        audit_trail::record_on(
            &mut tx,
            actor,
            Event::new(
                "quality_review.assign",
                format!(
                    "Assigned the recommended training of review {review_id}: {assigned} recommendations, {} officers",
                    people.len()
                ),
            )
            .on("quality_review", review_id.to_string()),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(assigned)
}

/// The people a person line-manages (to show a manager their team's feedback).
pub async fn reports_of(store: &Store, manager_person_id: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM people WHERE line_manager_id = $1 ORDER BY id")
            .bind(manager_person_id)
            .fetch_all(store.pool())
            .await?,
    )
}

// ---- History ----

/// When a review's steps happened, for a history written after the fact (the demo seeds years of
/// reviews in one go): the review and its draws `opened`, the panel added then, grades and
/// submissions `graded`, agreed grades and the closing `closed` (a review still open keeps no
/// closing time). Instants are storage text (RFC 3339 UTC). Audited; the trail keeps when it
/// was written.
pub async fn set_history_dates(
    store: &Store,
    actor: &Actor,
    review_id: i64,
    opened: &str,
    graded: &str,
    closed: Option<&str>,
) -> Result<()> {
    let r = get(store, review_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such review".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE quality_reviews SET created_at = $1, closed_at = $2 WHERE id = $3")
        .bind(opened)
        .bind(closed.filter(|_| r.status == "closed"))
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE quality_review_draws SET drawn_at = $1 WHERE review_id = $2")
        .bind(opened)
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE quality_review_panel SET added_at = $1 WHERE review_id = $2")
        .bind(opened)
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE quality_review_panel SET submitted_at = $1
         WHERE review_id = $2 AND submitted_at IS NOT NULL",
    )
    .bind(graded)
    .bind(review_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE quality_grades SET created_at = $1, updated_at = $1 WHERE review_id = $2")
        .bind(graded)
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE quality_agreed_grades SET recorded_at = $1 WHERE review_id = $2")
        .bind(closed.unwrap_or(graded))
        .bind(review_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "quality_review.history_dates",
            format!("Review {review_id} dated as opened {opened}"),
        )
        .on("quality_review", review_id.to_string())
        .after(&(opened, graded, closed)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
