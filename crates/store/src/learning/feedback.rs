//! Session feedback: one form per attendee (attended or partly attended), and the rows the
//! delivery reports summarise per session, module and trainer.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::feedback::Ratings;
use serde::Serialize;

/// What the feedback pages show about a session.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: i64,
    pub title: String,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub status: String,
}

impl SessionInfo {
    /// The session's title, or its module's when it has none.
    pub fn name(&self) -> &str {
        if self.title.is_empty() {
            &self.module_title
        } else {
            &self.title
        }
    }
}

pub async fn session(store: &Store, id: i64) -> Result<Option<SessionInfo>> {
    Ok(sqlx::query_as::<_, SessionInfo>(
        "SELECT s.id, s.title, s.module_id, m.code AS module_code, m.title AS module_title, s.starts_at, s.ends_at, s.status
           FROM training_sessions s JOIN modules m ON m.id = s.module_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

/// The person's attendance status at the session, if any was recorded.
pub async fn attendance_of(
    store: &Store,
    session_id: i64,
    person_id: i64,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT status FROM session_attendance WHERE session_id = $1 AND person_id = $2",
    )
    .bind(session_id)
    .bind(person_id)
    .fetch_optional(store.pool())
    .await?
    .flatten())
}

/// Whether that attendance status lets a person give feedback.
pub fn may_give_feedback(status: Option<&str>) -> bool {
    matches!(status, Some("attended") | Some("partly_attended"))
}

/// When the person gave feedback on the session, if they have.
pub async fn submitted_at(
    store: &Store,
    session_id: i64,
    person_id: i64,
) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT submitted_at FROM session_feedback WHERE session_id = $1 AND person_id = $2",
    )
    .bind(session_id)
    .bind(person_id)
    .fetch_optional(store.pool())
    .await?)
}

#[derive(Debug, Clone)]
pub struct NewFeedback {
    pub session_id: i64,
    pub person_id: i64,
    pub ratings: Ratings,
    pub went_well: String,
    pub improve: String,
    /// `None` is now; a historic instant is for demo data.
    pub submitted_at: Option<String>,
}

/// Records a feedback form. Refused (Invalid) for someone not recorded as attending, and
/// (Conflict) for a second form from the same person.
pub async fn submit(store: &Store, actor: &Actor, f: &NewFeedback) -> Result<i64> {
    let s = session(store, f.session_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("no such session".into()))?;
    for v in [
        f.ratings.overall,
        f.ratings.relevance,
        f.ratings.delivery,
        f.ratings.confidence,
    ] {
        if !(1..=5).contains(&v) {
            return Err(StoreError::Invalid(
                "Each rating must be from 1 to 5".into(),
            ));
        }
    }
    let status = attendance_of(store, f.session_id, f.person_id).await?;
    if !may_give_feedback(status.as_deref()) {
        return Err(StoreError::Invalid(
            "Feedback is for people recorded as attending this session. If you were there, ask the trainer to mark your attendance first.".into(),
        ));
    }
    if submitted_at(store, f.session_id, f.person_id)
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict(
            "You have already given feedback on this session. Each person gives feedback once."
                .into(),
        ));
    }
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO session_feedback (session_id, person_id, overall, relevance, delivery, confidence, went_well, improve, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(f.session_id)
    .bind(f.person_id)
    .bind(f.ratings.overall)
    .bind(f.ratings.relevance)
    .bind(f.ratings.delivery)
    .bind(f.ratings.confidence)
    .bind(f.went_well.trim())
    .bind(f.improve.trim())
    .bind(f.submitted_at.clone().unwrap_or_else(now_text))
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "feedback.submit",
            format!("Gave feedback on the session \"{}\" ({})", s.name(), s.starts_at),
        )
        .on("session_feedback", id.to_string())
        .after(&serde_json::json!({"session_id": f.session_id, "overall": f.ratings.overall,
            "relevance": f.ratings.relevance, "delivery": f.ratings.delivery, "confidence": f.ratings.confidence})),
    )
    .await?;
    tx.commit().await.map_err(|_| {
        StoreError::Conflict("You have already given feedback on this session.".into())
    })?;
    Ok(id)
}

/// One feedback form with what the reports group it by. Comments are not attributed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FeedbackRow {
    pub session_id: i64,
    pub session_title: String,
    pub starts_at: String,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub overall: i64,
    pub relevance: i64,
    pub delivery: i64,
    pub confidence: i64,
    pub went_well: String,
    pub improve: String,
}

impl FeedbackRow {
    pub fn ratings(&self) -> Ratings {
        Ratings {
            overall: self.overall,
            relevance: self.relevance,
            delivery: self.delivery,
            confidence: self.confidence,
        }
    }
    pub fn session_name(&self) -> &str {
        if self.session_title.is_empty() {
            &self.module_title
        } else {
            &self.session_title
        }
    }
}

const SELECT_ROWS: &str = "SELECT f.session_id, s.title AS session_title, s.starts_at, s.module_id, m.code AS module_code,
        m.title AS module_title, f.overall, f.relevance, f.delivery, f.confidence, f.went_well, f.improve
    FROM session_feedback f JOIN training_sessions s ON s.id = f.session_id JOIN modules m ON m.id = s.module_id";

pub async fn rows(store: &Store) -> Result<Vec<FeedbackRow>> {
    Ok(sqlx::query_as::<_, FeedbackRow>(&format!(
        "{SELECT_ROWS} ORDER BY s.starts_at, f.session_id, f.id"
    ))
    .fetch_all(store.pool())
    .await?)
}

pub async fn rows_for_session(store: &Store, session_id: i64) -> Result<Vec<FeedbackRow>> {
    Ok(sqlx::query_as::<_, FeedbackRow>(&format!(
        "{SELECT_ROWS} WHERE f.session_id = $1 ORDER BY f.id"
    ))
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

/// Trainers of every session that has feedback: (session id, person id, name, lead).
pub async fn trainers(store: &Store) -> Result<Vec<(i64, i64, String, bool)>> {
    let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT t.session_id, t.person_id, p.name, t.lead FROM session_trainers t JOIN people p ON p.id = t.person_id
          WHERE t.session_id IN (SELECT session_id FROM session_feedback) ORDER BY p.name, t.person_id",
    )
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, p, n, l)| (s, p, n, l != 0))
        .collect())
}

/// How many people attended (fully or partly) a session: the denominator for response rates.
pub async fn attendees(store: &Store, session_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM session_attendance WHERE session_id = $1 AND status IN ('attended', 'partly_attended')",
    )
    .bind(session_id)
    .fetch_one(store.pool())
    .await?)
}

/// Sessions the person attended, with whether they have given feedback yet.
pub async fn attended_by(store: &Store, person_id: i64) -> Result<Vec<(SessionInfo, bool)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        session: SessionInfo,
        given: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.id, s.title, s.module_id, m.code AS module_code, m.title AS module_title, s.starts_at, s.ends_at, s.status,
                CAST(CASE WHEN EXISTS (SELECT 1 FROM session_feedback f WHERE f.session_id = s.id AND f.person_id = a.person_id)
                     THEN 1 ELSE 0 END AS BIGINT) AS given
           FROM session_attendance a JOIN training_sessions s ON s.id = a.session_id JOIN modules m ON m.id = s.module_id
          WHERE a.person_id = $1 AND a.status IN ('attended', 'partly_attended') ORDER BY s.starts_at DESC",
    )
    .bind(person_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.session, r.given != 0))
        .collect())
}
