//! The attendance register of a session: attended, partly attended (with minutes), absent or
//! excused, marked one by one, in bulk, or from a Teams report (`delivery::teams`).
//!
//! Marking someone "attended" records a completion of the session's module (at the session's
//! version, face to face or virtual) with `completions.session_id` set, so their training-plan
//! item shows it. Changing the mark away from "attended" removes the completion this session
//! created, unless it has been signed off (then the change is refused). Every change is audited
//! in the same transaction.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, parse_instant, Result, Store, StoreError};
use mashboard_domain::attendance::{check_mark, london_date, Status, DEFAULT_SHARE_PCT};
use serde::Serialize;
use sqlx::AnyConnection;

/// What the register needs to know about a session.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionFacts {
    pub id: i64,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub module_version: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub mode: String,
    pub status: String,
    pub attended_share_pct: Option<i64>,
    pub report_opt_out: i64,
}

impl SessionFacts {
    /// Planned length in seconds.
    pub fn seconds(&self) -> i64 {
        match (parse_instant(&self.starts_at), parse_instant(&self.ends_at)) {
            (Some(a), Some(b)) => (b - a).whole_seconds().max(0),
            _ => 0,
        }
    }
    pub fn minutes(&self) -> i64 {
        self.seconds() / 60
    }
    pub fn share_pct(&self) -> i64 {
        self.attended_share_pct.unwrap_or(DEFAULT_SHARE_PCT)
    }
    pub fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }
    /// The session's date in Europe/London, `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        parse_instant(&self.starts_at)
            .map(|t| london_date(t).to_string())
            .unwrap_or_else(|| self.starts_at.chars().take(10).collect())
    }
    /// When the session starts, in UK time in words ("Tuesday 15 July 2025 at 9am").
    pub fn when(&self) -> String {
        mashboard_domain::sessions::display_stored(&self.starts_at)
    }
    pub fn display_title(&self) -> String {
        if self.title.trim().is_empty() {
            self.module_title.clone()
        } else {
            self.title.clone()
        }
    }
    fn completion_mode(&self) -> &'static str {
        if self.mode == "teams" {
            "virtual"
        } else {
            "face_to_face"
        }
    }
}

pub async fn session(store: &Store, id: i64) -> Result<Option<SessionFacts>> {
    Ok(sqlx::query_as::<_, SessionFacts>(
        "SELECT s.id, s.module_id, m.code AS module_code, m.title AS module_title, s.module_version, s.title,
                s.starts_at, s.ends_at, s.mode, s.status, s.attended_share_pct, s.report_opt_out
         FROM training_sessions s JOIN modules m ON m.id = s.module_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?)
}

/// The session, or a plain "not found".
pub async fn session_or_404(store: &Store, id: i64) -> Result<SessionFacts> {
    session(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no session {id}")))
}

/// One line of the register: everyone enrolled, plus anyone else with a mark (walk-ins).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RegisterRow {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub department: Option<String>,
    /// 'enrolled', 'waitlisted', 'withdrawn' or '' (not enrolled: a walk-in).
    pub enrolment: String,
    pub status: Option<String>,
    pub minutes: Option<i64>,
    pub source: Option<String>,
    pub not_in_report: i64,
    pub completion_id: Option<i64>,
    pub completion_status: Option<String>,
}

impl RegisterRow {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_deref().and_then(|s| Status::parse(s).ok()) {
            Some(s) => s.label(),
            None => "Not marked",
        }
    }
}

/// The register, enrolled people first, then walk-ins, by name.
pub async fn register(store: &Store, session_id: i64) -> Result<Vec<RegisterRow>> {
    Ok(sqlx::query_as::<_, RegisterRow>(
        "SELECT p.id AS person_id, p.staff_number, p.name, p.department,
                COALESCE(e.status, '') AS enrolment, a.status, a.minutes, a.source,
                COALESCE(a.not_in_report, 0) AS not_in_report, a.completion_id, c.status AS completion_status
         FROM people p
         LEFT JOIN session_enrolments e ON e.person_id = p.id AND e.session_id = $1
         LEFT JOIN session_attendance a ON a.person_id = p.id AND a.session_id = $1
         LEFT JOIN completions c ON c.id = a.completion_id
         WHERE e.status = 'enrolled' OR a.id IS NOT NULL
         ORDER BY CASE WHEN e.status = 'enrolled' THEN 0 ELSE 1 END, p.name, p.staff_number",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

/// Who a register entry changed, for the caller to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarkOutcome {
    pub changed: bool,
    pub completion_recorded: Option<i64>,
    pub completion_removed: Option<i64>,
    pub enrolled: bool,
}

/// How a mark came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Register,
    TeamsReport,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Register => "register",
            Source::TeamsReport => "teams_report",
        }
    }
}

#[derive(sqlx::FromRow)]
struct Existing {
    id: i64,
    status: Option<String>,
    minutes: Option<i64>,
    completion_id: Option<i64>,
}

/// Marks one person on the register (an enrolled person, or a walk-in). Refuses a cancelled
/// session, and a change away from "attended" when the completion it made is signed off.
pub async fn mark(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    person_id: i64,
    status: Status,
    minutes: Option<i64>,
) -> Result<MarkOutcome> {
    let s = session_or_404(store, session_id).await?;
    let mut tx = store.begin().await?;
    let out = mark_on(
        &mut tx,
        actor,
        &s,
        person_id,
        status,
        minutes,
        Source::Register,
    )
    .await?;
    deliver_on(&mut tx, actor, &s).await?;
    tx.commit().await?;
    Ok(out)
}

/// Marks several people in one transaction: all or nothing.
pub async fn mark_many(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    marks: &[(i64, Status, Option<i64>)],
) -> Result<usize> {
    let s = session_or_404(store, session_id).await?;
    let mut tx = store.begin().await?;
    let mut changed = 0;
    for (person_id, status, minutes) in marks {
        let o = mark_on(
            &mut tx,
            actor,
            &s,
            *person_id,
            *status,
            *minutes,
            Source::Register,
        )
        .await?;
        if o.changed {
            changed += 1;
        }
    }
    deliver_on(&mut tx, actor, &s).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Marks everyone enrolled as attended (keeping marks already made), in one transaction.
pub async fn mark_all_attended(store: &Store, actor: &Actor, session_id: i64) -> Result<usize> {
    let rows = register(store, session_id).await?;
    let marks: Vec<(i64, Status, Option<i64>)> = rows
        .iter()
        .filter(|r| r.enrolment == "enrolled" && r.status.is_none())
        .map(|r| (r.person_id, Status::Attended, None))
        .collect();
    mark_many(store, actor, session_id, &marks).await
}

/// Sets whether attendees may leave the Teams report (then missing people are flagged, never
/// marked absent).
pub async fn set_report_opt_out(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    allowed: bool,
) -> Result<()> {
    let s = session_or_404(store, session_id).await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE training_sessions SET report_opt_out = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(allowed))
        .bind(now_text())
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "session.report_opt_out",
            format!(
                "Attendees {} leave the Teams report of session {session_id}",
                if allowed { "may" } else { "may not" }
            ),
        )
        .on("session", session_id.to_string())
        .before(&serde_json::json!({"report_opt_out": s.report_opt_out == 1}))
        .after(&serde_json::json!({"report_opt_out": allowed})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A session whose start has passed becomes "delivered" once its register holds a mark.
pub(crate) async fn deliver_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    s: &SessionFacts,
) -> Result<()> {
    if s.cancelled() || s.status == "delivered" || s.starts_at > now_text() {
        return Ok(());
    }
    sqlx::query("UPDATE training_sessions SET status = 'delivered', updated_at = $1 WHERE id = $2 AND status <> 'cancelled'")
        .bind(now_text())
        .bind(s.id)
        .execute(&mut *conn)
        .await?;
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            "session.delivered",
            format!("Session {} marked delivered (register taken)", s.id),
        )
        .on("session", s.id.to_string())
        .before(&serde_json::json!({"status": s.status}))
        .after(&serde_json::json!({"status": "delivered"})),
    )
    .await
}

/// The core of every mark, on the caller's transaction.
pub(crate) async fn mark_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    s: &SessionFacts,
    person_id: i64,
    status: Status,
    minutes: Option<i64>,
    source: Source,
) -> Result<MarkOutcome> {
    if s.cancelled() {
        return Err(StoreError::Conflict(format!(
            "Session {} is cancelled: its register cannot be marked",
            s.id
        )));
    }
    // A report's minutes are what Teams measured: a meeting that overran is not an error.
    let limit = match source {
        Source::Register => s.minutes(),
        Source::TeamsReport => 0,
    };
    let minutes = check_mark(status, minutes, limit).map_err(StoreError::Invalid)?;
    let (sn, name): (String, String) =
        sqlx::query_as("SELECT staff_number, name FROM people WHERE id = $1")
            .bind(person_id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| {
                StoreError::NotFound("There is no such person in the directory".into())
            })?;
    let enrolled: Option<String> = sqlx::query_scalar(
        "SELECT status FROM session_enrolments WHERE session_id = $1 AND person_id = $2",
    )
    .bind(s.id)
    .bind(person_id)
    .fetch_optional(&mut *conn)
    .await?;
    let enrolled = enrolled.as_deref() == Some("enrolled");
    let existing: Option<Existing> = sqlx::query_as(
        "SELECT id, status, minutes, completion_id FROM session_attendance WHERE session_id = $1 AND person_id = $2",
    )
    .bind(s.id)
    .bind(person_id)
    .fetch_optional(&mut *conn)
    .await?;
    let mut out = MarkOutcome {
        changed: true,
        completion_recorded: None,
        completion_removed: None,
        enrolled,
    };
    if let Some(e) = &existing {
        if e.status.as_deref() == Some(status.as_str()) && e.minutes == minutes {
            out.changed = false;
            // Still make sure an attended mark has its completion (e.g. after a removal).
            if status != Status::Attended || e.completion_id.is_some() {
                return Ok(out);
            }
        }
    }
    let mut completion_id = existing.as_ref().and_then(|e| e.completion_id);
    if status == Status::Attended && completion_id.is_none() {
        let id = record_completion_on(conn, actor, s, person_id, &sn).await?;
        completion_id = Some(id);
        out.completion_recorded = Some(id);
        out.changed = true;
    } else if status != Status::Attended {
        if let Some(cid) = completion_id {
            remove_completion_on(conn, actor, s, cid, &sn, &name).await?;
            completion_id = None;
            out.completion_removed = Some(cid);
        }
    }
    let now = now_text();
    match &existing {
        Some(e) => {
            sqlx::query(
                "UPDATE session_attendance SET status = $1, minutes = $2, source = $3, not_in_report = 0,
                        completion_id = $4, recorded_by = $5, recorded_at = $6 WHERE id = $7",
            )
            .bind(status.as_str())
            .bind(minutes)
            .bind(source.as_str())
            .bind(completion_id)
            .bind(&actor.name)
            .bind(&now)
            .bind(e.id)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO session_attendance (session_id, person_id, status, minutes, source, not_in_report, completion_id,
                        recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8)",
            )
            .bind(s.id)
            .bind(person_id)
            .bind(status.as_str())
            .bind(minutes)
            .bind(source.as_str())
            .bind(completion_id)
            .bind(&actor.name)
            .bind(&now)
            .execute(&mut *conn)
            .await?;
        }
    }
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            "attendance.mark",
            format!(
                "Marked {sn} {} at session {}{}{}",
                status.label().to_lowercase(),
                s.id,
                minutes.map(|m| format!(" ({m} minutes)")).unwrap_or_default(),
                if enrolled { "" } else { " (not enrolled: walk-in)" }
            ),
        )
        .on("session_attendance", format!("{}:{sn}", s.id))
        .before(&existing.as_ref().map(|e| serde_json::json!({"status": e.status, "minutes": e.minutes})))
        .after(&serde_json::json!({"status": status.as_str(), "minutes": minutes, "source": source.as_str()})),
    )
    .await?;
    Ok(out)
}

/// Clears a mark that came from Teams reports no longer on the session (a report was removed):
/// the status and minutes go, and so does the completion the mark made (refused, with the
/// reason, when it has been signed off).
pub(crate) async fn clear_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    s: &SessionFacts,
    person_id: i64,
) -> Result<()> {
    let existing: Option<Existing> = sqlx::query_as(
        "SELECT id, status, minutes, completion_id FROM session_attendance WHERE session_id = $1 AND person_id = $2",
    )
    .bind(s.id)
    .bind(person_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(e) = existing else {
        return Ok(());
    };
    let (sn, name): (String, String) =
        sqlx::query_as("SELECT staff_number, name FROM people WHERE id = $1")
            .bind(person_id)
            .fetch_one(&mut *conn)
            .await?;
    if let Some(cid) = e.completion_id {
        remove_completion_on(conn, actor, s, cid, &sn, &name).await?;
    }
    sqlx::query(
        "UPDATE session_attendance SET status = NULL, minutes = NULL, completion_id = NULL, source = 'teams_report',
                recorded_by = $1, recorded_at = $2 WHERE id = $3",
    )
    .bind(&actor.name)
    .bind(now_text())
    .bind(e.id)
    .execute(&mut *conn)
    .await?;
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            "attendance.clear",
            format!(
                "Cleared {sn}'s mark at session {}: the Teams report it came from was removed",
                s.id
            ),
        )
        .on("session_attendance", format!("{}:{sn}", s.id))
        .before(&serde_json::json!({"status": e.status, "minutes": e.minutes}))
        .after(&serde_json::json!({"status": null, "minutes": null})),
    )
    .await
}

/// Flags an enrolled person as missing from an uploaded Teams report (keeps any mark).
pub(crate) async fn flag_not_in_report_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    session_id: i64,
    person_id: i64,
) -> Result<()> {
    let updated = sqlx::query(
        "UPDATE session_attendance SET not_in_report = 1 WHERE session_id = $1 AND person_id = $2",
    )
    .bind(session_id)
    .bind(person_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO session_attendance (session_id, person_id, status, minutes, source, not_in_report, recorded_by, recorded_at)
             VALUES ($1, $2, NULL, NULL, 'teams_report', 1, $3, $4)",
        )
        .bind(session_id)
        .bind(person_id)
        .bind(&actor.name)
        .bind(now_text())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn record_completion_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    s: &SessionFacts,
    person_id: i64,
    sn: &str,
) -> Result<i64> {
    // Reuse a completion this session already made for the person (never two).
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM completions WHERE person_id = $1 AND session_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(person_id)
    .bind(s.id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let trainer: Option<String> = sqlx::query_scalar(
        "SELECT p.name FROM session_trainers t JOIN people p ON p.id = t.person_id
         WHERE t.session_id = $1 ORDER BY t.lead DESC, t.id LIMIT 1",
    )
    .bind(s.id)
    .fetch_optional(&mut *conn)
    .await?;
    let now = now_text();
    let date = s.date();
    let mode = s.completion_mode();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, trainer, notes, evidence_url,
            status, source, recorded_by, created_at, updated_at, session_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '', 'awaiting_sign_off', 'recorded', $8, $9, $9, $10) RETURNING id",
    )
    .bind(person_id)
    .bind(s.module_id)
    .bind(&s.module_version)
    .bind(&date)
    .bind(mode)
    .bind(trainer.unwrap_or_default())
    .bind(format!("Attended session {}: {}", s.id, s.display_title()))
    .bind(&actor.name)
    .bind(&now)
    .bind(s.id)
    .fetch_one(&mut *conn)
    .await?;
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            "completion.record",
            format!(
                "Recorded {} v{} completed on {date} for {sn} (attended session {})",
                s.module_code, s.module_version, s.id
            ),
        )
        .on("completion", id.to_string())
        .after(&serde_json::json!({"staff_number": sn, "module": s.module_code, "version": s.module_version,
            "completed_on": date, "mode": mode, "session_id": s.id})),
    )
    .await?;
    Ok(id)
}

async fn remove_completion_on(
    conn: &mut AnyConnection,
    actor: &Actor,
    s: &SessionFacts,
    completion_id: i64,
    sn: &str,
    name: &str,
) -> Result<()> {
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT status, session_id FROM completions WHERE id = $1")
            .bind(completion_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((status, made_by)) = row else {
        return Ok(());
    };
    if made_by != Some(s.id) {
        // Not this session's: leave it, just unlink.
        return Ok(());
    }
    if status == "signed_off" {
        return Err(StoreError::Conflict(format!(
            "{name}'s completion of {} from this session has been signed off, so the mark cannot change from attended. Reopen the completion in their training record first.",
            s.module_code
        )));
    }
    let signatures: Vec<(String, String)> = sqlx::query_as(
        "SELECT capacity, signer_name FROM sign_offs WHERE completion_id = $1 ORDER BY id",
    )
    .bind(completion_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("UPDATE session_attendance SET completion_id = NULL WHERE completion_id = $1")
        .bind(completion_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM sign_offs WHERE completion_id = $1")
        .bind(completion_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM completions WHERE id = $1")
        .bind(completion_id)
        .execute(&mut *conn)
        .await?;
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            "completion.remove",
            format!(
                "Removed {sn}'s completion of {} for session {} (attendance changed from attended)",
                s.module_code, s.id
            ),
        )
        .on("completion", completion_id.to_string())
        .before(
            &serde_json::json!({"staff_number": sn, "module": s.module_code, "status": status,
            "session_id": s.id, "signatures": signatures}),
        ),
    )
    .await
}
