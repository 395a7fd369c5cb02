//! The CPD log: a person records what they did and learned; their line manager verifies it or
//! returns it with a comment; the trainer can count it against a programme module.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CpdEntry {
    pub id: i64,
    pub person_id: i64,
    pub staff_number: String,
    pub person_name: String,
    pub topic: String,
    pub done_on: String,
    pub minutes: i64,
    pub kind: String,
    pub learning: String,
    pub evidence_url: String,
    pub status: String,
    pub review_comment: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub counts_for_module_id: Option<i64>,
    pub counts_for_module: Option<String>,
    pub source: String,
    pub line_manager_id: Option<i64>,
}

const SELECT_CPD: &str = "SELECT e.id, e.person_id, p.staff_number, p.name AS person_name, e.topic, e.done_on, e.minutes, e.kind,
        e.learning, e.evidence_url, e.status, e.review_comment, e.reviewed_by, e.reviewed_at, e.counts_for_module_id,
        m.title AS counts_for_module, e.source, p.line_manager_id
    FROM cpd_entries e JOIN people p ON p.id = e.person_id LEFT JOIN modules m ON m.id = e.counts_for_module_id";

#[derive(Debug, Clone)]
pub struct NewCpd {
    pub person_id: i64,
    pub topic: String,
    pub done_on: String,
    pub minutes: i64,
    pub kind: String,
    pub learning: String,
    pub evidence_url: String,
}

pub async fn log(store: &Store, actor: &Actor, e: &NewCpd) -> Result<CpdEntry> {
    let mut tx = store.begin().await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO cpd_entries (person_id, topic, done_on, minutes, kind, learning, evidence_url, status, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', 'recorded', $8) RETURNING id",
    )
    .bind(e.person_id)
    .bind(e.topic.trim())
    .bind(&e.done_on)
    .bind(e.minutes)
    .bind(&e.kind)
    .bind(e.learning.trim())
    .bind(e.evidence_url.trim())
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "cpd.log",
            format!(
                "Logged CPD \"{}\" on {} ({} minutes)",
                e.topic.trim(),
                e.done_on,
                e.minutes
            ),
        )
        .on("cpd", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    get(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("CPD entry vanished".into()))
}

pub async fn get(store: &Store, id: i64) -> Result<Option<CpdEntry>> {
    Ok(
        sqlx::query_as::<_, CpdEntry>(&format!("{SELECT_CPD} WHERE e.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn of_person(store: &Store, person_id: i64) -> Result<Vec<CpdEntry>> {
    Ok(sqlx::query_as::<_, CpdEntry>(&format!(
        "{SELECT_CPD} WHERE e.person_id = $1 ORDER BY e.done_on DESC, e.id DESC"
    ))
    .bind(person_id)
    .fetch_all(store.pool())
    .await?)
}

/// CPD waiting for this line manager: submitted entries of the people they manage.
pub async fn review_queue(store: &Store, manager_person_id: i64) -> Result<Vec<CpdEntry>> {
    Ok(sqlx::query_as::<_, CpdEntry>(&format!(
        "{SELECT_CPD} WHERE e.status = 'submitted' AND p.line_manager_id = $1 AND p.id <> $1 ORDER BY e.done_on, e.id"
    ))
    .bind(manager_person_id)
    .fetch_all(store.pool())
    .await?)
}

/// The line manager verifies (`verify = true`) or returns an entry with a comment.
pub async fn review(
    store: &Store,
    actor: &Actor,
    reviewer_person_id: Option<i64>,
    id: i64,
    verify: bool,
    comment: &str,
) -> Result<CpdEntry> {
    let e = get(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such CPD entry".into()))?;
    if reviewer_person_id.is_none()
        || e.line_manager_id != reviewer_person_id
        || reviewer_person_id == Some(e.person_id)
    {
        return Err(StoreError::Invalid(
            "Only this person's named line manager can verify or return their CPD".into(),
        ));
    }
    if e.status != "submitted" {
        return Err(StoreError::Invalid(
            "This entry has already been reviewed".into(),
        ));
    }
    if !verify && comment.trim().is_empty() {
        return Err(StoreError::Invalid(
            "Say why you are returning this entry, so they can put it right".into(),
        ));
    }
    let status = if verify { "verified" } else { "returned" };
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE cpd_entries SET status = $1, review_comment = $2, reviewed_by = $3, reviewed_at = $4 WHERE id = $5")
        .bind(status)
        .bind(comment.trim())
        .bind(&actor.name)
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            if verify { "cpd.verify" } else { "cpd.return" },
            format!(
                "{} CPD \"{}\" of {}",
                if verify { "Verified" } else { "Returned" },
                e.topic,
                e.staff_number
            ),
        )
        .on("cpd", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    get(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("CPD entry vanished".into()))
}

/// The trainer counts a CPD entry against a programme module (or clears that with `None`).
pub async fn map_to_module(
    store: &Store,
    actor: &Actor,
    id: i64,
    module_id: Option<i64>,
) -> Result<()> {
    let e = get(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such CPD entry".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE cpd_entries SET counts_for_module_id = $1 WHERE id = $2")
        .bind(module_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "cpd.map",
            format!(
                "Counted CPD \"{}\" of {} against module {:?}",
                e.topic, e.staff_number, module_id
            ),
        )
        .on("cpd", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Hours of CPD per year for one person (verified and submitted separately).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct YearTotal {
    pub year: String,
    pub verified_minutes: i64,
    pub submitted_minutes: i64,
    pub entries: i64,
}

pub async fn totals_of(store: &Store, person_id: i64) -> Result<Vec<YearTotal>> {
    Ok(sqlx::query_as::<_, YearTotal>(
        "SELECT SUBSTR(done_on, 1, 4) AS year,
            CAST(COALESCE(SUM(CASE WHEN status = 'verified' THEN minutes ELSE 0 END), 0) AS BIGINT) AS verified_minutes,
            CAST(COALESCE(SUM(CASE WHEN status = 'submitted' THEN minutes ELSE 0 END), 0) AS BIGINT) AS submitted_minutes,
            COUNT(*) AS entries
         FROM cpd_entries WHERE person_id = $1 GROUP BY SUBSTR(done_on, 1, 4) ORDER BY year DESC",
    )
    .bind(person_id)
    .fetch_all(store.pool())
    .await?)
}

/// Hours of verified CPD per team and year.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TeamTotal {
    pub department: Option<String>,
    pub team: Option<String>,
    pub year: String,
    pub people: i64,
    pub verified_minutes: i64,
}

pub async fn team_totals(store: &Store) -> Result<Vec<TeamTotal>> {
    Ok(sqlx::query_as::<_, TeamTotal>(
        "SELECT p.department, p.team, SUBSTR(e.done_on, 1, 4) AS year, COUNT(DISTINCT e.person_id) AS people,
            CAST(COALESCE(SUM(CASE WHEN e.status = 'verified' THEN e.minutes ELSE 0 END), 0) AS BIGINT) AS verified_minutes
         FROM cpd_entries e JOIN people p ON p.id = e.person_id
         GROUP BY p.department, p.team, SUBSTR(e.done_on, 1, 4)
         ORDER BY year DESC, p.department, p.team",
    )
    .fetch_all(store.pool())
    .await?)
}
