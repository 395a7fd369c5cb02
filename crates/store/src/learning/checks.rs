//! Knowledge checks: question banks, attempts with their answers, and learning gain.
//!
//! A check's questions can be changed only until someone has taken it (answers point at the
//! questions); after that, an editor makes a new check. Every attempt is audited.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::checks::{
    self, Gain, MarkingKey, Phase, PhaseScore, QuestionDraft, QuestionKind,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CheckSummary {
    pub id: i64,
    pub module_id: Option<i64>,
    pub module_code: Option<String>,
    pub module_title: Option<String>,
    pub title: String,
    pub description: String,
    pub pass_mark_pct: i64,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    pub questions: i64,
    pub attempts: i64,
}

const SELECT_SUMMARY: &str = "SELECT k.id, k.module_id, m.code AS module_code, m.title AS module_title, k.title,
        k.description, k.pass_mark_pct, k.active,
        CAST((SELECT COUNT(*) FROM check_questions q WHERE q.check_id = k.id) AS BIGINT) AS questions,
        CAST((SELECT COUNT(*) FROM check_attempts a WHERE a.check_id = k.id) AS BIGINT) AS attempts
    FROM knowledge_checks k LEFT JOIN modules m ON m.id = k.module_id";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CheckOption {
    pub id: i64,
    pub question_id: i64,
    pub position: i64,
    pub text: String,
    #[sqlx(try_from = "crate::Flag")]
    pub correct: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub id: i64,
    pub position: i64,
    pub text: String,
    pub kind: String,
    pub explanation: String,
    pub options: Vec<CheckOption>,
}

impl Question {
    pub fn is_multiple(&self) -> bool {
        self.kind == "multiple"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub summary: CheckSummary,
    pub questions: Vec<Question>,
}

/// The fields of a check other than its questions.
#[derive(Debug, Clone)]
pub struct CheckInput {
    pub module_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub pass_mark_pct: i64,
    pub active: bool,
}

fn check_input(c: &CheckInput) -> Result<()> {
    if c.title.trim().is_empty() {
        return Err(StoreError::Invalid("Enter the check's title".into()));
    }
    if c.title.chars().count() > 200 {
        return Err(StoreError::Invalid(
            "The title must be 200 characters or fewer".into(),
        ));
    }
    if !(1..=100).contains(&c.pass_mark_pct) {
        return Err(StoreError::Invalid(
            "The pass mark must be from 1 to 100".into(),
        ));
    }
    Ok(())
}

pub async fn list(store: &Store) -> Result<Vec<CheckSummary>> {
    Ok(
        sqlx::query_as::<_, CheckSummary>(&format!("{SELECT_SUMMARY} ORDER BY k.title, k.id"))
            .fetch_all(store.pool())
            .await?,
    )
}

pub async fn summary(store: &Store, id: i64) -> Result<Option<CheckSummary>> {
    Ok(
        sqlx::query_as::<_, CheckSummary>(&format!("{SELECT_SUMMARY} WHERE k.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The active check linked to a module (the newest, if more than one).
pub async fn for_module(store: &Store, module_id: i64) -> Result<Option<CheckSummary>> {
    Ok(sqlx::query_as::<_, CheckSummary>(&format!(
        "{SELECT_SUMMARY} WHERE k.module_id = $1 AND k.active = 1 ORDER BY k.id DESC"
    ))
    .bind(module_id)
    .fetch_optional(store.pool())
    .await?)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<Check>> {
    let Some(summary) = summary(store, id).await? else {
        return Ok(None);
    };
    let qs: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT id, position, text, kind, explanation FROM check_questions WHERE check_id = $1 ORDER BY position, id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let opts: Vec<CheckOption> = sqlx::query_as(
        "SELECT o.id, o.question_id, o.position, o.text, o.correct FROM check_options o
           JOIN check_questions q ON q.id = o.question_id WHERE q.check_id = $1 ORDER BY o.position, o.id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let questions = qs
        .into_iter()
        .map(|(qid, position, text, kind, explanation)| Question {
            id: qid,
            position,
            text,
            kind,
            explanation,
            options: opts
                .iter()
                .filter(|o| o.question_id == qid)
                .cloned()
                .collect(),
        })
        .collect();
    Ok(Some(Check { summary, questions }))
}

async fn insert_question(
    tx: &mut sqlx::AnyConnection,
    check_id: i64,
    position: i64,
    q: &QuestionDraft,
) -> Result<i64> {
    let qid: i64 = sqlx::query_scalar(
        "INSERT INTO check_questions (check_id, position, text, kind, explanation) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(check_id)
    .bind(position)
    .bind(q.text.trim())
    .bind(q.kind.as_str())
    .bind(q.explanation.trim())
    .fetch_one(&mut *tx)
    .await?;
    for (i, o) in q.options.iter().enumerate() {
        sqlx::query(
            "INSERT INTO check_options (question_id, position, text, correct) VALUES ($1, $2, $3, $4)",
        )
        .bind(qid)
        .bind(i as i64 + 1)
        .bind(o.text.trim())
        .bind(i64::from(o.correct))
        .execute(&mut *tx)
        .await?;
    }
    Ok(qid)
}

fn check_questions(questions: &[QuestionDraft], first: usize) -> Result<()> {
    let errors: Vec<String> = questions
        .iter()
        .enumerate()
        .flat_map(|(i, q)| checks::validate_question(first + i, q))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors.join("; ")))
    }
}

/// Creates a check with its questions (possibly none yet) in one transaction.
pub async fn create(
    store: &Store,
    actor: &Actor,
    input: &CheckInput,
    questions: &[QuestionDraft],
) -> Result<i64> {
    check_input(input)?;
    check_questions(questions, 1)?;
    let mut tx = store.begin().await?;
    let now = now_text();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO knowledge_checks (module_id, title, description, pass_mark_pct, active, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(input.module_id)
    .bind(input.title.trim())
    .bind(input.description.trim())
    .bind(input.pass_mark_pct)
    .bind(i64::from(input.active))
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    for (i, q) in questions.iter().enumerate() {
        insert_question(&mut tx, id, i as i64 + 1, q).await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "check.create",
            format!("Created knowledge check \"{}\"", input.title.trim()),
        )
        .on("knowledge_check", id.to_string())
        .after(
            &serde_json::json!({"title": input.title.trim(), "pass_mark_pct": input.pass_mark_pct,
            "module_id": input.module_id, "questions": questions.len()}),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a check's title, description, pass mark, module or whether it is in use.
pub async fn update(store: &Store, actor: &Actor, id: i64, input: &CheckInput) -> Result<()> {
    check_input(input)?;
    let before = summary(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("no such check".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE knowledge_checks SET module_id = $1, title = $2, description = $3, pass_mark_pct = $4, active = $5,
            updated_at = $6 WHERE id = $7",
    )
    .bind(input.module_id)
    .bind(input.title.trim())
    .bind(input.description.trim())
    .bind(input.pass_mark_pct)
    .bind(i64::from(input.active))
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("check.update", format!("Changed knowledge check \"{}\"", input.title.trim()))
            .on("knowledge_check", id.to_string())
            .before(&serde_json::json!({"title": before.title, "pass_mark_pct": before.pass_mark_pct, "module_id": before.module_id, "active": before.active}))
            .after(&serde_json::json!({"title": input.title.trim(), "pass_mark_pct": input.pass_mark_pct, "module_id": input.module_id, "active": input.active})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn refuse_if_taken(store: &Store, check_id: i64) -> Result<()> {
    let taken: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM check_attempts WHERE check_id = $1",
    )
    .bind(check_id)
    .fetch_one(store.pool())
    .await?;
    if taken > 0 {
        return Err(StoreError::Conflict(format!(
            "This check has already been taken {taken} time(s), so its questions cannot change (scores would no longer compare). Make a new check instead, and stop using this one."
        )));
    }
    Ok(())
}

/// Adds a question at the end of the check.
pub async fn add_question(
    store: &Store,
    actor: &Actor,
    check_id: i64,
    q: &QuestionDraft,
) -> Result<i64> {
    let s = summary(store, check_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("no such check".into()))?;
    check_questions(std::slice::from_ref(q), s.questions as usize + 1)?;
    refuse_if_taken(store, check_id).await?;
    let mut tx = store.begin().await?;
    let next: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM check_questions WHERE check_id = $1",
    )
    .bind(check_id)
    .fetch_one(&mut *tx)
    .await?;
    let qid = insert_question(&mut tx, check_id, next, q).await?;
    sqlx::query("UPDATE knowledge_checks SET updated_at = $1 WHERE id = $2")
        .bind(now_text())
        .bind(check_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("check.question.add", format!("Added a question to \"{}\"", s.title))
            .on("knowledge_check", check_id.to_string())
            .after(&serde_json::json!({"question": q.text.trim(), "kind": q.kind.as_str(), "options": q.options.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(qid)
}

/// Removes a question (only while nobody has taken the check).
pub async fn remove_question(
    store: &Store,
    actor: &Actor,
    check_id: i64,
    question_id: i64,
) -> Result<()> {
    let s = summary(store, check_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("no such check".into()))?;
    refuse_if_taken(store, check_id).await?;
    let text: String =
        sqlx::query_scalar("SELECT text FROM check_questions WHERE id = $1 AND check_id = $2")
            .bind(question_id)
            .bind(check_id)
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| StoreError::NotFound("no such question".into()))?;
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM check_options WHERE question_id = $1")
        .bind(question_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM check_questions WHERE id = $1")
        .bind(question_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "check.question.remove",
            format!("Removed a question from \"{}\"", s.title),
        )
        .on("knowledge_check", check_id.to_string())
        .before(&serde_json::json!({"question": text})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an attempt scored, with each question's result.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptResult {
    pub attempt_id: i64,
    pub correct: i64,
    pub total: i64,
    pub score_pct: i64,
    pub passed: bool,
    pub pass_mark_pct: i64,
    /// Question id → whether it was right.
    pub per_question: Vec<(i64, bool)>,
}

/// A person's attempt as submitted.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub check_id: i64,
    pub person_id: i64,
    pub session_id: Option<i64>,
    pub phase: Phase,
    pub started_at: String,
    /// Question id → chosen option ids.
    pub answers: BTreeMap<i64, BTreeSet<i64>>,
    /// When it was submitted: `None` is now (a historic time is for demo data and imports).
    pub submitted_at: Option<String>,
}

/// Marks and records an attempt, with its answers and an audit event, in one transaction.
pub async fn submit_attempt(store: &Store, actor: &Actor, a: &NewAttempt) -> Result<AttemptResult> {
    let check = get(store, a.check_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("no such check".into()))?;
    if check.questions.is_empty() {
        return Err(StoreError::Invalid(
            "This check has no questions yet, so it cannot be taken".into(),
        ));
    }
    if !check.summary.active {
        return Err(StoreError::Invalid(
            "This check is no longer in use. Ask the trainer which check to take.".into(),
        ));
    }
    if let Some(sid) = a.session_id {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM training_sessions WHERE id = $1")
                .bind(sid)
                .fetch_optional(store.pool())
                .await?;
        if exists.is_none() {
            return Err(StoreError::Invalid(
                "The session given does not exist".into(),
            ));
        }
    }
    let keys: Vec<MarkingKey> = check
        .questions
        .iter()
        .map(|q| MarkingKey {
            question_id: q.id,
            kind: QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::Single),
            correct: q
                .options
                .iter()
                .filter(|o| o.correct)
                .map(|o| o.id)
                .collect(),
            options: q.options.iter().map(|o| o.id).collect(),
        })
        .collect();
    let s = checks::score(&keys, &a.answers, check.summary.pass_mark_pct);
    let sn: String = sqlx::query_scalar("SELECT staff_number FROM people WHERE id = $1")
        .bind(a.person_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::Invalid("No such person".into()))?;
    let mut tx = store.begin().await?;
    let now = a.submitted_at.clone().unwrap_or_else(now_text);
    let started = if a.started_at.is_empty() || a.started_at > now {
        now.clone()
    } else {
        a.started_at.clone()
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO check_attempts (check_id, person_id, session_id, phase, correct, total, score_pct, passed, started_at, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(a.check_id)
    .bind(a.person_id)
    .bind(a.session_id)
    .bind(a.phase.as_str())
    .bind(s.correct)
    .bind(s.total)
    .bind(s.pct)
    .bind(i64::from(s.passed))
    .bind(&started)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    for (qid, ok) in &s.per_question {
        let chosen = a
            .answers
            .get(qid)
            .map(|c| {
                c.iter()
                    .map(|o| o.to_string())
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO check_attempt_answers (attempt_id, question_id, chosen, correct) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(qid)
        .bind(&chosen)
        .bind(i64::from(*ok))
        .execute(&mut *tx)
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "check.attempt",
            format!(
                "{sn} took \"{}\" ({}): {}% ({})",
                check.summary.title,
                a.phase.as_str(),
                s.pct,
                if s.passed { "passed" } else { "not passed" }
            ),
        )
        .on("check_attempt", id.to_string())
        .after(&serde_json::json!({"staff_number": sn, "check_id": a.check_id, "phase": a.phase.as_str(),
            "session_id": a.session_id, "score_pct": s.pct, "passed": s.passed})),
    )
    .await?;
    tx.commit().await?;
    Ok(AttemptResult {
        attempt_id: id,
        correct: s.correct,
        total: s.total,
        score_pct: s.pct,
        passed: s.passed,
        pass_mark_pct: check.summary.pass_mark_pct,
        per_question: s.per_question,
    })
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Attempt {
    pub id: i64,
    pub check_id: i64,
    pub check_title: String,
    pub person_id: i64,
    pub session_id: Option<i64>,
    pub phase: String,
    pub correct: i64,
    pub total: i64,
    pub score_pct: i64,
    #[sqlx(try_from = "crate::Flag")]
    pub passed: bool,
    pub started_at: String,
    pub submitted_at: String,
}

const SELECT_ATTEMPT: &str =
    "SELECT a.id, a.check_id, k.title AS check_title, a.person_id, a.session_id, a.phase,
        a.correct, a.total, a.score_pct, a.passed, a.started_at, a.submitted_at
    FROM check_attempts a JOIN knowledge_checks k ON k.id = a.check_id";

pub async fn attempt(store: &Store, id: i64) -> Result<Option<Attempt>> {
    Ok(
        sqlx::query_as::<_, Attempt>(&format!("{SELECT_ATTEMPT} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The chosen option ids of each question of an attempt.
pub async fn attempt_answers(
    store: &Store,
    attempt_id: i64,
) -> Result<BTreeMap<i64, BTreeSet<i64>>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT question_id, chosen FROM check_attempt_answers WHERE attempt_id = $1",
    )
    .bind(attempt_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(q, c)| (q, c.split(';').filter_map(|x| x.parse().ok()).collect()))
        .collect())
}

/// Which questions of an attempt were answered correctly, as marked when it was submitted.
pub async fn attempt_marks(store: &Store, attempt_id: i64) -> Result<BTreeSet<i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT question_id, correct FROM check_attempt_answers WHERE attempt_id = $1",
    )
    .bind(attempt_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, ok)| *ok != 0)
        .map(|(q, _)| q)
        .collect())
}

pub async fn attempts_of(store: &Store, person_id: i64, check_id: i64) -> Result<Vec<Attempt>> {
    Ok(sqlx::query_as::<_, Attempt>(&format!(
        "{SELECT_ATTEMPT} WHERE a.person_id = $1 AND a.check_id = $2 ORDER BY a.submitted_at DESC, a.id DESC"
    ))
    .bind(person_id)
    .bind(check_id)
    .fetch_all(store.pool())
    .await?)
}

/// Whether the person has passed the check.
pub async fn has_passed(store: &Store, person_id: i64, check_id: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM check_attempts WHERE person_id = $1 AND check_id = $2 AND passed = 1",
    )
    .bind(person_id)
    .bind(check_id)
    .fetch_one(store.pool())
    .await?;
    Ok(n > 0)
}

/// Learning gain per check and session: every session (or none) where a check was set before
/// or after it.
#[derive(Debug, Clone)]
pub struct GainRow {
    pub check_id: i64,
    pub check_title: String,
    pub session_id: Option<i64>,
    pub session_title: String,
    pub session_starts_at: String,
    pub gain: Gain,
}

async fn phase_scores(store: &Store) -> Result<Vec<(i64, Option<i64>, PhaseScore)>> {
    let rows: Vec<(i64, Option<i64>, i64, String, i64, String)> = sqlx::query_as(
        "SELECT check_id, session_id, person_id, phase, score_pct, submitted_at FROM check_attempts
          WHERE phase IN ('pre', 'post') ORDER BY check_id, session_id, person_id",
    )
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(c, s, p, ph, pct, at)| {
            (
                c,
                s,
                PhaseScore {
                    person_id: p,
                    phase: Phase::parse(&ph).unwrap_or(Phase::Standalone),
                    score_pct: pct,
                    submitted_at: at,
                },
            )
        })
        .collect())
}

/// Gain per check (all sessions together; `session_id` None) and per check and session.
pub async fn gains(store: &Store) -> Result<(Vec<GainRow>, Vec<GainRow>)> {
    let scores = phase_scores(store).await?;
    let titles: BTreeMap<i64, String> =
        sqlx::query_as::<_, (i64, String)>("SELECT id, title FROM knowledge_checks")
            .fetch_all(store.pool())
            .await?
            .into_iter()
            .collect();
    let sessions: BTreeMap<i64, (String, String)> = sqlx::query_as::<_, (i64, String, String, String)>(
        "SELECT s.id, s.title, m.title, s.starts_at FROM training_sessions s JOIN modules m ON m.id = s.module_id
          WHERE s.id IN (SELECT session_id FROM check_attempts WHERE session_id IS NOT NULL)",
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|(id, t, mt, at)| (id, (if t.is_empty() { mt } else { t }, at)))
    .collect();
    let mut by_check: BTreeMap<i64, Vec<PhaseScore>> = BTreeMap::new();
    let mut by_session: BTreeMap<(i64, i64), Vec<PhaseScore>> = BTreeMap::new();
    for (c, s, p) in scores {
        if let Some(s) = s {
            by_session.entry((c, s)).or_default().push(p.clone());
        }
        by_check.entry(c).or_default().push(p);
    }
    let title = |c: &i64| titles.get(c).cloned().unwrap_or_default();
    let per_check = by_check
        .iter()
        .map(|(c, v)| GainRow {
            check_id: *c,
            check_title: title(c),
            session_id: None,
            session_title: String::new(),
            session_starts_at: String::new(),
            gain: checks::learning_gain(v),
        })
        .collect();
    let mut per_session: Vec<GainRow> = by_session
        .iter()
        .map(|((c, s), v)| {
            let (st, at) = sessions.get(s).cloned().unwrap_or_default();
            GainRow {
                check_id: *c,
                check_title: title(c),
                session_id: Some(*s),
                session_title: st,
                session_starts_at: at,
                gain: checks::learning_gain(v),
            }
        })
        .collect();
    per_session.sort_by(|a, b| a.session_starts_at.cmp(&b.session_starts_at));
    Ok((per_check, per_session))
}
