//! What waits for one person, in numbers, for their home page. Read-only counts; the pages that
//! list the items themselves apply their own scope and record their own views.

use crate::{Result, Store};

/// Open reviews (still being graded) whose panel this account sits on and whose grades it has
/// not yet submitted.
pub async fn reviews_to_grade(store: &Store, user_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM quality_review_panel p JOIN quality_reviews q ON q.id = p.review_id
         WHERE p.user_id = $1 AND p.submitted_at IS NULL AND q.status = 'grading'",
    )
    .bind(user_id)
    .fetch_one(store.pool())
    .await?)
}

/// Incidents of the current sample of open compliance audits this account owns or is assigned
/// to that have no finding yet.
pub async fn findings_to_record(store: &Store, user_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM compliance_audits a
         JOIN compliance_audit_draws d ON d.audit_id = a.id
          AND d.draw_no = (SELECT MAX(d2.draw_no) FROM compliance_audit_draws d2 WHERE d2.audit_id = a.id)
         JOIN compliance_audit_sample s ON s.draw_id = d.id
         WHERE a.status = 'open'
           AND (a.owner_user_id = $1
                OR EXISTS (SELECT 1 FROM compliance_audit_auditors x
                           WHERE x.audit_id = a.id AND x.user_id = $1))
           AND NOT EXISTS (SELECT 1 FROM compliance_findings f
                           WHERE f.audit_id = a.id AND f.incident_id = s.incident_id)",
    )
    .bind(user_id)
    .fetch_one(store.pool())
    .await?)
}

/// Sessions still to come (not delivered or cancelled) that this person is a trainer on.
pub async fn sessions_to_lead(store: &Store, person_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM session_trainers t JOIN training_sessions s ON s.id = t.session_id
         WHERE t.person_id = $1 AND s.status IN ('planned', 'open', 'full') AND s.starts_at >= $2",
    )
    .bind(person_id)
    .bind(crate::now_text())
    .fetch_one(store.pool())
    .await?)
}

/// Open items on the missing-referral queue.
pub async fn missing_referrals_open(store: &Store) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM missing_referrals WHERE outcome IS NULL")
            .fetch_one(store.pool())
            .await?,
    )
}
