//! Teams attendance reports: preview (no writes), commit (one transaction), and hand resolution
//! of participants that matched nobody.
//!
//! The same file uploaded again for the same session (same SHA-256) changes nothing and says so.
//! A session may have several different reports (a meeting that dropped and was restarted): each
//! person's minutes are the sum over all of them (`teams_report_times`) and the mark is worked
//! out again from the sum. A committed report can be removed; the rest are summed again.
//! A hand mark made on the register is kept when a report is committed or removed (a report
//! never overrides the trainer). Enrolled people missing from every report are flagged "not in
//! report".

use super::attendance::{
    self, clear_on, deliver_on, flag_not_in_report_on, mark_on, SessionFacts, Source,
};
use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, parse_instant, Result, Store, StoreError};
use mashboard_domain::attendance::{
    add_report, match_report, normalise_name, status_for, sum_times, summed_mark, Candidate,
    Matching, Summed,
};
use mashboard_domain::teams_report::{self, Report};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// What a report would do (or did) to a session's register.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub session_id: i64,
    pub sha256: String,
    pub layout: &'static str,
    pub title: Option<String>,
    pub participants: usize,
    pub session_minutes: i64,
    pub share_pct: i64,
    /// This report's own matching; `not_in_report` lists the enrolled people missing from this
    /// report and from every report already committed.
    pub matching: Matching,
    /// One line per matched person (same order): minutes and mark before this report, this
    /// report's minutes, and the minutes and mark from the sum of all the session's reports.
    pub summed: Vec<Summed>,
    /// How many different reports of this session are already committed (not counting this
    /// same file, if it was uploaded before).
    pub reports_committed: usize,
    /// Staff numbers whose hand mark on the register the report will not change.
    pub kept: Vec<String>,
    /// The id of the earlier upload of this same file, if any.
    pub already_uploaded: Option<i64>,
    /// The session's trainers found in the report, left out of matching and completions
    /// (e.g. "Sam Lee (lead trainer)").
    pub trainers_left_out: Vec<String>,
    /// Plain-words notes for the trainer (e.g. the meeting length differs from the session).
    pub notes: Vec<String>,
}

/// The result of a commit.
#[derive(Debug, Clone, Serialize)]
pub struct Committed {
    pub preview: Preview,
    /// False when the same report had already been committed (nothing changed).
    pub committed: bool,
    pub report_id: i64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Parses the file and turns a parse failure into a plain-words refusal.
pub fn parse(bytes: &[u8]) -> Result<Report> {
    teams_report::parse(bytes).map_err(|e| StoreError::Invalid(e.to_string()))
}

#[derive(sqlx::FromRow)]
struct CandRow {
    id: i64,
    staff_number: String,
    name: String,
    email: Option<String>,
}

async fn candidates(store: &Store, s: &SessionFacts, report: &Report) -> Result<Vec<Candidate>> {
    let enrolled: Vec<CandRow> = sqlx::query_as(
        "SELECT p.id, p.staff_number, p.name, p.email FROM session_enrolments e JOIN people p ON p.id = e.person_id
         WHERE e.session_id = $1 AND e.status = 'enrolled' ORDER BY p.name, p.staff_number",
    )
    .bind(s.id)
    .fetch_all(store.pool())
    .await?;
    let mut out: Vec<Candidate> = enrolled
        .into_iter()
        .map(|r| Candidate {
            person_id: r.id,
            staff_number: r.staff_number,
            name: r.name,
            email: r.email,
            enrolled: true,
        })
        .collect();
    // Walk-ins: anyone in the directory whose address is in the report.
    let emails: Vec<String> = report
        .participants
        .iter()
        .filter_map(|p| p.email.as_ref().map(|e| e.trim().to_lowercase()))
        .collect();
    for chunk in emails.chunks(200) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, staff_number, name, email FROM people WHERE LOWER(email) IN ({})",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, CandRow>(&sql);
        for e in chunk {
            q = q.bind(e);
        }
        for r in q.fetch_all(store.pool()).await? {
            if !out.iter().any(|c| c.person_id == r.id) {
                out.push(Candidate {
                    person_id: r.id,
                    staff_number: r.staff_number,
                    name: r.name,
                    email: r.email,
                    enrolled: false,
                });
            }
        }
    }
    Ok(out)
}

/// Refuses a report for a cancelled session, or for one that has not started yet (its
/// completions would be dated in the future, which the register's own form refuses too).
fn reportable(s: &SessionFacts) -> Result<()> {
    if s.cancelled() {
        return Err(StoreError::Conflict(format!(
            "Session {} is cancelled: a Teams report cannot be recorded against it",
            s.id
        )));
    }
    if parse_instant(&s.starts_at).is_some_and(|t| t > time::OffsetDateTime::now_utc()) {
        return Err(StoreError::Invalid(format!(
            "Session {} has not happened yet (it is on {}): upload its Teams report after the session",
            s.id,
            s.date()
        )));
    }
    Ok(())
}

/// The session's trainers (lead and co-trainers): person id, name and whether they lead.
async fn trainers(store: &Store, session_id: i64) -> Result<Vec<(i64, String, bool)>> {
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT p.id, p.name, t.lead FROM session_trainers t JOIN people p ON p.id = t.person_id
         WHERE t.session_id = $1 ORDER BY t.lead DESC, p.name",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, n, l)| (id, n, l == 1)).collect())
}

/// Works out what the report would do, writing nothing.
pub async fn preview(store: &Store, session_id: i64, bytes: &[u8]) -> Result<Preview> {
    let s = attendance::session_or_404(store, session_id).await?;
    reportable(&s)?;
    let report = parse(bytes)?;
    preview_parsed(store, &s, &report, sha256_hex(bytes)).await
}

async fn preview_parsed(
    store: &Store,
    s: &SessionFacts,
    report: &Report,
    sha256: String,
) -> Result<Preview> {
    let cands = candidates(store, s, report).await?;
    let mut matching = match_report(report, &cands, s.seconds(), s.share_pct());
    // Trainers teach the session; they do not attend it: no mark, no completion, no flag.
    let trainers = trainers(store, s.id).await?;
    let is_trainer = |pid: i64| trainers.iter().any(|t| t.0 == pid);
    let trainer_names: Vec<String> = trainers.iter().map(|t| normalise_name(&t.1)).collect();
    let mut trainers_left_out: Vec<String> = Vec::new();
    for (pid, name, lead) in &trainers {
        let in_report = matching.matched.iter().any(|m| m.person_id == *pid)
            || matching
                .unmatched
                .iter()
                .any(|u| normalise_name(&u.name) == normalise_name(name));
        if in_report {
            trainers_left_out.push(format!(
                "{name} ({})",
                if *lead { "lead trainer" } else { "co-trainer" }
            ));
        }
    }
    matching.matched.retain(|m| !is_trainer(m.person_id));
    matching
        .unmatched
        .retain(|u| !trainer_names.contains(&normalise_name(&u.name)));
    let trainer_numbers: Vec<String> = cands
        .iter()
        .filter(|c| is_trainer(c.person_id))
        .map(|c| c.staff_number.clone())
        .collect();
    matching
        .not_in_report
        .retain(|sn| !trainer_numbers.contains(sn));
    let earlier_rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT t.person_id, t.seconds FROM teams_report_times t JOIN teams_reports r ON r.id = t.report_id
         WHERE r.session_id = $1 AND r.sha256 <> $2",
    )
    .bind(s.id)
    .bind(&sha256)
    .fetch_all(store.pool())
    .await?;
    let earlier = sum_times(&earlier_rows);
    let summed = add_report(&earlier, &matching.matched, s.seconds(), s.share_pct());
    if !earlier.is_empty() {
        let in_earlier: Vec<String> = cands
            .iter()
            .filter(|c| earlier.contains_key(&c.person_id))
            .map(|c| c.staff_number.clone())
            .collect();
        matching.not_in_report.retain(|sn| !in_earlier.contains(sn));
    }
    let hand: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT p.staff_number, a.status FROM session_attendance a JOIN people p ON p.id = a.person_id
         WHERE a.session_id = $1 AND a.source = 'register' AND a.status IS NOT NULL",
    )
    .bind(s.id)
    .fetch_all(store.pool())
    .await?;
    let kept = matching
        .matched
        .iter()
        .filter(|m| hand.iter().any(|(sn, _)| *sn == m.staff_number))
        .map(|m| m.staff_number.clone())
        .collect();
    let already_uploaded: Option<i64> =
        sqlx::query_scalar("SELECT id FROM teams_reports WHERE session_id = $1 AND sha256 = $2")
            .bind(s.id)
            .bind(&sha256)
            .fetch_optional(store.pool())
            .await?;
    let mut notes = Vec::new();
    if !trainers_left_out.is_empty() {
        notes.push(format!(
            "Left out: {}. Trainers teach the session; they are not attendees, so the report gives them no mark and no completion.",
            trainers_left_out.join(", ")
        ));
    }
    if let (Some(a), Some(b)) = (report.start, report.end) {
        let meeting = (b - a).whole_minutes();
        let planned = s.minutes();
        if planned > 0 && (meeting - planned).abs() > 15 {
            notes.push(format!(
                "The meeting lasted {meeting} minutes but the session was planned for {planned}; marks use the planned length."
            ));
        }
        let date = a.date().to_string();
        if date != s.date() {
            notes.push(format!(
                "The report is for a meeting on {date}, but the session is on {}. Check it is the right report.",
                s.date()
            ));
        }
    }
    if s.mode != "teams" {
        notes.push(
            "This session is recorded as in person, not on Teams: check it is the right session."
                .into(),
        );
    }
    let others: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_reports WHERE session_id = $1 AND sha256 <> $2",
    )
    .bind(s.id)
    .bind(&sha256)
    .fetch_one(store.pool())
    .await?;
    if others > 0 && already_uploaded.is_none() {
        notes.push(format!(
            "This report will be added to the {others} {} already committed for this session: each person's minutes become the sum of all the reports, and the marks are worked out again from the sum (\"before\" and \"after\" below).",
            if others == 1 { "report" } else { "reports" }
        ));
    }
    if already_uploaded.is_some() {
        notes.push("This report has already been uploaded for this session: committing it again changes nothing.".into());
    }
    Ok(Preview {
        session_id: s.id,
        sha256,
        layout: report.layout.as_str(),
        title: report.title.clone(),
        participants: report.participants.len(),
        session_minutes: s.minutes(),
        share_pct: s.share_pct(),
        matching,
        summed,
        reports_committed: others as usize,
        kept,
        already_uploaded,
        trainers_left_out,
        notes,
    })
}

/// Records the report: marks matched people, flags enrolled people missing from it, keeps the
/// unmatched for hand resolution. All in one transaction; the same file again changes nothing.
pub async fn commit(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    file_name: &str,
    bytes: &[u8],
) -> Result<Committed> {
    let s = attendance::session_or_404(store, session_id).await?;
    reportable(&s)?;
    let report = parse(bytes)?;
    let preview = preview_parsed(store, &s, &report, sha256_hex(bytes)).await?;
    if let Some(id) = preview.already_uploaded {
        return Ok(Committed {
            preview,
            committed: false,
            report_id: id,
        });
    }
    let mut tx = store.begin().await?;
    let now = now_text();
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO teams_reports (session_id, sha256, file_name, layout, participants, uploaded_by, uploaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(s.id)
    .bind(&preview.sha256)
    .bind(file_name.chars().take(200).collect::<String>())
    .bind(preview.layout)
    .bind(preview.participants as i64)
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await;
    let report_id = match inserted {
        Ok(id) => id,
        Err(e) if crate::is_unique_violation(&e) => {
            // Uploaded at the same moment by someone else: the same file, nothing to do.
            drop(tx);
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM teams_reports WHERE session_id = $1 AND sha256 = $2",
            )
            .bind(s.id)
            .bind(&preview.sha256)
            .fetch_one(store.pool())
            .await?;
            return Ok(Committed {
                preview,
                committed: false,
                report_id: id,
            });
        }
        Err(e) => return Err(e.into()),
    };
    for m in &preview.matching.matched {
        sqlx::query(
            "INSERT INTO teams_report_times (report_id, person_id, seconds, joins, matched_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(report_id)
        .bind(m.person_id)
        .bind(m.seconds)
        .bind(i64::from(m.joins))
        .bind(m.matched_by)
        .execute(&mut *tx)
        .await?;
    }
    for u in &preview.matching.unmatched {
        sqlx::query(
            "INSERT INTO teams_report_unmatched (report_id, name, email, minutes, resolution) VALUES ($1, $2, $3, $4, 'open')",
        )
        .bind(report_id)
        .bind(&u.name)
        .bind(&u.email)
        .bind(u.minutes)
        .execute(&mut *tx)
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attendance.teams_report",
            format!(
                "Recorded a Teams report for session {}: {} matched, {} unmatched, {} not in report",
                s.id,
                preview.matching.matched.len(),
                preview.matching.unmatched.len(),
                preview.matching.not_in_report.len()
            ),
        )
        .on("session", s.id.to_string())
        .after(&serde_json::json!({
            "report_id": report_id,
            "sha256": preview.sha256,
            "reports_before": preview.reports_committed,
            "matched": preview.matching.matched.iter().zip(&preview.summed).map(|(m, t)| serde_json::json!({"staff_number": m.staff_number, "report_minutes": m.minutes, "minutes": t.minutes, "status": t.status})).collect::<Vec<_>>(),
            "not_in_report": preview.matching.not_in_report,
            "kept": preview.kept,
        })),
    )
    .await?;
    apply_times_on(&mut tx, actor, &s).await?;
    deliver_on(&mut tx, actor, &s).await?;
    tx.commit().await?;
    Ok(Committed {
        preview,
        committed: true,
        report_id,
    })
}

/// A person's in-meeting seconds summed over all the session's committed reports.
async fn person_seconds_on(
    conn: &mut AnyConnection,
    session_id: i64,
    person_id: i64,
) -> Result<i64> {
    let total: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(t.seconds) AS BIGINT) FROM teams_report_times t JOIN teams_reports r ON r.id = t.report_id
         WHERE r.session_id = $1 AND t.person_id = $2",
    )
    .bind(session_id)
    .bind(person_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(total.unwrap_or(0))
}

/// Brings the register in line with the sum of the session's committed reports: each person in
/// any report gets the minutes of all of them and the mark the sum earns; a mark that came only
/// from reports no longer there is cleared (its completion removed, refused if signed off);
/// enrolled people in no report are flagged "not in report" (no flags when no report is left).
/// Hand marks made on the register are never changed.
async fn apply_times_on(conn: &mut AnyConnection, actor: &Actor, s: &SessionFacts) -> Result<()> {
    let reports: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM teams_reports WHERE session_id = $1",
    )
    .bind(s.id)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT t.person_id, t.seconds FROM teams_report_times t JOIN teams_reports r ON r.id = t.report_id
         WHERE r.session_id = $1",
    )
    .bind(s.id)
    .fetch_all(&mut *conn)
    .await?;
    let sums = sum_times(&rows);
    let marks: Vec<(i64, Option<String>, String)> = sqlx::query_as(
        "SELECT person_id, status, source FROM session_attendance WHERE session_id = $1",
    )
    .bind(s.id)
    .fetch_all(&mut *conn)
    .await?;
    let hand = |pid: i64| {
        marks
            .iter()
            .any(|(p, st, src)| *p == pid && st.is_some() && src == "register")
    };
    for (&pid, &seconds) in &sums {
        if hand(pid) {
            continue;
        }
        let (minutes, status) = summed_mark(seconds, s.seconds(), s.share_pct());
        mark_on(
            conn,
            actor,
            s,
            pid,
            status,
            Some(minutes),
            Source::TeamsReport,
        )
        .await?;
    }
    for (pid, status, source) in &marks {
        if status.is_some() && source == "teams_report" && !sums.contains_key(pid) {
            clear_on(conn, actor, s, *pid).await?;
        }
    }
    // A walk-in whose only mark came from a removed report leaves the register.
    sqlx::query(
        "DELETE FROM session_attendance WHERE session_id = $1 AND status IS NULL AND completion_id IS NULL
           AND person_id NOT IN (SELECT person_id FROM session_enrolments WHERE session_id = $1 AND status = 'enrolled')",
    )
    .bind(s.id)
    .execute(&mut *conn)
    .await?;
    if reports == 0 {
        sqlx::query(
            "DELETE FROM session_attendance WHERE session_id = $1 AND status IS NULL AND completion_id IS NULL",
        )
        .bind(s.id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE session_attendance SET not_in_report = 0 WHERE session_id = $1")
            .bind(s.id)
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "UPDATE session_attendance SET not_in_report = 0 WHERE session_id = $1 AND person_id IN
           (SELECT t.person_id FROM teams_report_times t JOIN teams_reports r ON r.id = t.report_id WHERE r.session_id = $1)",
    )
    .bind(s.id)
    .execute(&mut *conn)
    .await?;
    let enrolled: Vec<i64> = sqlx::query_scalar(
        "SELECT person_id FROM session_enrolments WHERE session_id = $1 AND status = 'enrolled'",
    )
    .bind(s.id)
    .fetch_all(&mut *conn)
    .await?;
    for pid in enrolled.into_iter().filter(|p| !sums.contains_key(p)) {
        flag_not_in_report_on(conn, actor, s.id, pid).await?;
    }
    Ok(())
}

/// A committed report of a session, as the upload page lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub file_name: String,
    pub layout: String,
    pub participants: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

/// Removes a committed report: its times, its participants still to resolve, and the report
/// itself; then the register is summed again from the reports left (hand marks untouched). One
/// transaction, audited; refused (nothing changed) if a completion it made has been signed off.
pub async fn remove_report(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    report_id: i64,
) -> Result<()> {
    let s = attendance::session_or_404(store, session_id).await?;
    if s.cancelled() {
        return Err(StoreError::Conflict(format!(
            "Session {session_id} is cancelled: its register cannot change"
        )));
    }
    let r: Option<ReportRow> = sqlx::query_as(
        "SELECT id, file_name, layout, participants, uploaded_by, uploaded_at FROM teams_reports
         WHERE id = $1 AND session_id = $2",
    )
    .bind(report_id)
    .bind(session_id)
    .fetch_optional(store.pool())
    .await?;
    let Some(r) = r else {
        return Err(StoreError::NotFound(format!(
            "Session {session_id} has no Teams report {report_id}"
        )));
    };
    let mut tx = store.begin().await?;
    let sha: String = sqlx::query_scalar("SELECT sha256 FROM teams_reports WHERE id = $1")
        .bind(r.id)
        .fetch_one(&mut *tx)
        .await?;
    for sql in [
        "DELETE FROM teams_report_times WHERE report_id = $1",
        "DELETE FROM teams_report_unmatched WHERE report_id = $1",
        "DELETE FROM teams_reports WHERE id = $1",
    ] {
        sqlx::query(sql).bind(r.id).execute(&mut *tx).await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attendance.teams_report_remove",
            format!(
                "Removed Teams report {} ({}) from session {}; the register was summed again from the reports left",
                r.id, r.file_name, s.id
            ),
        )
        .on("session", s.id.to_string())
        .before(&serde_json::json!({"report_id": r.id, "sha256": sha, "file_name": r.file_name,
            "participants": r.participants, "uploaded_by": r.uploaded_by, "uploaded_at": r.uploaded_at})),
    )
    .await?;
    apply_times_on(&mut tx, actor, &s).await?;
    tx.commit().await?;
    Ok(())
}

/// A participant waiting for the trainer.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct UnmatchedRow {
    pub id: i64,
    pub report_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub minutes: i64,
    pub resolution: String,
    pub person_id: Option<i64>,
}

/// The session's unmatched participants, open ones first.
pub async fn unmatched(store: &Store, session_id: i64) -> Result<Vec<UnmatchedRow>> {
    Ok(sqlx::query_as::<_, UnmatchedRow>(
        "SELECT u.id, u.report_id, u.name, u.email, u.minutes, u.resolution, u.person_id
         FROM teams_report_unmatched u JOIN teams_reports r ON r.id = u.report_id
         WHERE r.session_id = $1
         ORDER BY CASE WHEN u.resolution = 'open' THEN 0 ELSE 1 END, u.name, u.id",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

/// The committed reports of a session, newest first.
pub async fn reports(store: &Store, session_id: i64) -> Result<Vec<ReportRow>> {
    Ok(sqlx::query_as(
        "SELECT id, file_name, layout, participants, uploaded_by, uploaded_at FROM teams_reports
         WHERE session_id = $1 ORDER BY uploaded_at DESC, id DESC",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

async fn open_unmatched(store: &Store, session_id: i64, id: i64) -> Result<UnmatchedRow> {
    let u = unmatched(store, session_id)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| {
            StoreError::NotFound("That participant is not in this session's reports".into())
        })?;
    if u.resolution != "open" {
        return Err(StoreError::Conflict(format!(
            "{} has already been resolved",
            u.name
        )));
    }
    Ok(u)
}

async fn close_unmatched(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    u: &UnmatchedRow,
    resolution: &str,
    person_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "UPDATE teams_report_unmatched SET resolution = $1, person_id = $2, resolved_by = $3, resolved_at = $4 WHERE id = $5",
    )
    .bind(resolution)
    .bind(person_id)
    .bind(&actor.name)
    .bind(now_text())
    .bind(u.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Matches an unmatched participant to a person by hand: marks them from the report's minutes.
pub async fn resolve_to_person(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    unmatched_id: i64,
    person_id: i64,
) -> Result<()> {
    let s = attendance::session_or_404(store, session_id).await?;
    let u = open_unmatched(store, session_id, unmatched_id).await?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO teams_report_times (report_id, person_id, seconds, joins, matched_by) VALUES ($1, $2, $3, 1, 'hand')",
    )
    .bind(u.report_id)
    .bind(person_id)
    .bind(u.minutes * 60)
    .execute(&mut *tx)
    .await?;
    // Matching by hand is the trainer's own act: the person is marked from their summed time
    // even over an earlier hand mark (as before reports were summed).
    let seconds = person_seconds_on(&mut tx, s.id, person_id).await?;
    let (minutes, status) = summed_mark(seconds, s.seconds(), s.share_pct());
    mark_on(
        &mut tx,
        actor,
        &s,
        person_id,
        status,
        Some(minutes),
        Source::TeamsReport,
    )
    .await?;
    close_unmatched(&mut tx, actor, &u, "matched", Some(person_id)).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attendance.unmatched_resolve",
            format!(
                "Matched a Teams participant of session {} to a person by hand",
                s.id
            ),
        )
        .on("teams_report_unmatched", u.id.to_string())
        .after(&serde_json::json!({"resolution": "matched", "person_id": person_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records an unmatched participant as an external attendee (partner staff, guests).
pub async fn resolve_external(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    unmatched_id: i64,
    organisation: &str,
) -> Result<()> {
    let s = attendance::session_or_404(store, session_id).await?;
    let u = open_unmatched(store, session_id, unmatched_id).await?;
    let status = status_for(u.minutes * 60, s.seconds(), s.share_pct());
    let mut tx = store.begin().await?;
    let now = now_text();
    sqlx::query(
        "INSERT INTO session_external_attendees (session_id, name, organisation, email, status, minutes, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(s.id)
    .bind(&u.name)
    .bind(organisation.trim())
    .bind(&u.email)
    .bind(status.as_str())
    .bind(u.minutes)
    .bind(&actor.name)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    close_unmatched(&mut tx, actor, &u, "external", None).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attendance.unmatched_resolve",
            format!("Recorded a Teams participant of session {} as an external attendee", s.id),
        )
        .on("teams_report_unmatched", u.id.to_string())
        .after(&serde_json::json!({"resolution": "external", "name": u.name, "organisation": organisation.trim(),
            "status": status.as_str(), "minutes": u.minutes})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Dismisses an unmatched participant (e.g. the trainer's second device).
pub async fn dismiss(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    unmatched_id: i64,
) -> Result<()> {
    let u = open_unmatched(store, session_id, unmatched_id).await?;
    let mut tx = store.begin().await?;
    close_unmatched(&mut tx, actor, &u, "dismissed", None).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attendance.unmatched_resolve",
            format!("Dismissed a Teams participant of session {session_id}"),
        )
        .on("teams_report_unmatched", u.id.to_string())
        .after(&serde_json::json!({"resolution": "dismissed"})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An attendee without a directory record (partner staff, guests) on a session.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExternalAttendee {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub email: Option<String>,
    pub status: Option<String>,
    pub minutes: Option<i64>,
}

/// The session's external attendees, by name.
pub async fn external_attendees(store: &Store, session_id: i64) -> Result<Vec<ExternalAttendee>> {
    Ok(sqlx::query_as::<_, ExternalAttendee>(
        "SELECT id, name, organisation, email, status, minutes FROM session_external_attendees
         WHERE session_id = $1 ORDER BY name, id",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}
