//! Completions and their two-party sign-off. A signed-off completion is locked: it is never
//! updated, only reopened with a reason, which clears (but keeps) its signatures.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::signoff::{self, Capacity, SignOffFacts};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Completion {
    pub id: i64,
    pub person_id: i64,
    pub staff_number: String,
    pub person_name: String,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub module_version: String,
    pub completed_on: String,
    pub mode: String,
    pub trainer: String,
    pub notes: String,
    pub evidence_url: String,
    pub status: String,
    pub source: String,
    pub recorded_by: String,
    pub created_at: String,
    pub mentor_id: Option<i64>,
    pub line_manager_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SignOff {
    pub id: i64,
    pub capacity: String,
    pub signer_person_id: Option<i64>,
    pub signer_name: String,
    pub comment: String,
    pub signed_at: String,
    #[sqlx(try_from = "crate::Flag")]
    pub imported: bool,
    pub cleared_at: Option<String>,
    pub cleared_reason: Option<String>,
}

const SELECT_COMPLETION: &str = "SELECT c.id, c.person_id, p.staff_number, p.name AS person_name, c.module_id, m.code AS module_code,
        m.title AS module_title, c.module_version, c.completed_on, c.mode, c.trainer, c.notes, c.evidence_url, c.status,
        c.source, c.recorded_by, c.created_at, p.mentor_id, p.line_manager_id
    FROM completions c JOIN people p ON p.id = c.person_id JOIN modules m ON m.id = c.module_id";

pub async fn get(store: &Store, id: i64) -> Result<Option<Completion>> {
    Ok(
        sqlx::query_as::<_, Completion>(&format!("{SELECT_COMPLETION} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn of_person(store: &Store, person_id: i64) -> Result<Vec<Completion>> {
    Ok(sqlx::query_as::<_, Completion>(&format!(
        "{SELECT_COMPLETION} WHERE c.person_id = $1 ORDER BY c.completed_on DESC, c.id DESC"
    ))
    .bind(person_id)
    .fetch_all(store.pool())
    .await?)
}

/// Every signature ever given on a completion, oldest first (cleared ones included).
pub async fn sign_offs(store: &Store, completion_id: i64) -> Result<Vec<SignOff>> {
    Ok(sqlx::query_as::<_, SignOff>(
        "SELECT id, capacity, signer_person_id, signer_name, comment, signed_at, imported, cleared_at, cleared_reason
         FROM sign_offs WHERE completion_id = $1 ORDER BY id",
    )
    .bind(completion_id)
    .fetch_all(store.pool())
    .await?)
}

/// A completion as the person or the trainer records it.
#[derive(Debug, Clone)]
pub struct NewCompletion {
    pub person_id: i64,
    pub module_id: i64,
    /// `None` records the module's current version.
    pub module_version: Option<String>,
    pub completed_on: String,
    pub mode: String,
    pub trainer: String,
    pub notes: String,
    pub evidence_url: String,
}

pub async fn record(store: &Store, actor: &Actor, c: &NewCompletion) -> Result<Completion> {
    let (code, current): (String, String) =
        sqlx::query_as("SELECT code, version FROM modules WHERE id = $1")
            .bind(c.module_id)
            .fetch_optional(store.pool())
            .await?
            .ok_or_else(|| StoreError::Invalid("Choose a module from the catalogue".into()))?;
    let version = c
        .module_version
        .clone()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or(current);
    let known: Option<i64> =
        sqlx::query_scalar("SELECT id FROM module_versions WHERE module_id = $1 AND version = $2")
            .bind(c.module_id)
            .bind(&version)
            .fetch_optional(store.pool())
            .await?;
    if known.is_none() {
        return Err(StoreError::Invalid(format!(
            "{code} has no version {version}"
        )));
    }
    let sn: String = sqlx::query_scalar("SELECT staff_number FROM people WHERE id = $1")
        .bind(c.person_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::Invalid("No such person".into()))?;
    let mut tx = store.begin().await?;
    let now = now_text();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, trainer, notes, evidence_url,
            status, source, recorded_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting_sign_off', 'recorded', $9, $10, $10) RETURNING id",
    )
    .bind(c.person_id)
    .bind(c.module_id)
    .bind(&version)
    .bind(&c.completed_on)
    .bind(&c.mode)
    .bind(&c.trainer)
    .bind(&c.notes)
    .bind(&c.evidence_url)
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("completion.record", format!("Recorded {code} v{version} completed on {} for {sn}", c.completed_on))
            .on("completion", id.to_string())
            .after(&serde_json::json!({"staff_number": sn, "module": code, "version": version, "completed_on": c.completed_on, "mode": c.mode})),
    )
    .await?;
    tx.commit().await?;
    get(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("completion vanished".into()))
}

fn live(signs: &[SignOff]) -> Vec<(Capacity, Option<i64>)> {
    signs
        .iter()
        .filter(|s| s.cleared_at.is_none())
        .filter_map(|s| Capacity::parse(&s.capacity).map(|c| (c, s.signer_person_id)))
        .collect()
}

/// Why a sign-off did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SignOffError {
    #[error("{0}")]
    Refused(#[from] signoff::Refusal),
    #[error("Enter a comment with your sign-off")]
    NoComment,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SignOffError {
    fn from(e: sqlx::Error) -> Self {
        SignOffError::Store(e.into())
    }
}

/// Signs a completion as the signer's capacity (mentor or line manager, from the directory now).
pub async fn sign(
    store: &Store,
    actor: &Actor,
    signer_person_id: Option<i64>,
    completion_id: i64,
    comment: &str,
) -> std::result::Result<Completion, SignOffError> {
    let c = get(store, completion_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such completion".into()))?;
    let signs = sign_offs(store, completion_id).await?;
    let facts = SignOffFacts {
        subject_person_id: c.person_id,
        mentor_id: c.mentor_id,
        line_manager_id: c.line_manager_id,
        signed: live(&signs),
        locked: c.status == "signed_off",
    };
    let capacity = signoff::capacity_for(signer_person_id, &facts)?;
    if comment.trim().is_empty() {
        return Err(SignOffError::NoComment);
    }
    let signer_name: String = match signer_person_id {
        Some(id) => {
            sqlx::query_scalar("SELECT name FROM people WHERE id = $1")
                .bind(id)
                .fetch_one(store.pool())
                .await?
        }
        None => actor.name.clone(),
    };
    let mut signed = facts.signed.clone();
    signed.push((capacity, signer_person_id));
    let done = signoff::fully_signed(&signed);
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO sign_offs (completion_id, capacity, signer_person_id, signer_name, comment, signed_at, imported)
         VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(completion_id)
    .bind(capacity.as_str())
    .bind(signer_person_id)
    .bind(&signer_name)
    .bind(comment.trim())
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    if done {
        sqlx::query("UPDATE completions SET status = 'signed_off', updated_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(completion_id)
            .execute(&mut *tx)
            .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "completion.sign_off",
            format!(
                "Signed off {} for {} as {}{}",
                c.module_code,
                c.staff_number,
                capacity.label().to_lowercase(),
                if done { "; now fully signed off" } else { "" }
            ),
        )
        .on("completion", completion_id.to_string())
        .after(&serde_json::json!({"capacity": capacity.as_str(), "comment": comment.trim()})),
    )
    .await?;
    tx.commit().await?;
    Ok(get(store, completion_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("completion vanished".into()))?)
}

/// Reopens a completion: its signatures are cleared (kept in history) and it waits for both
/// signatures again.
pub async fn reopen(
    store: &Store,
    actor: &Actor,
    completion_id: i64,
    reason: &str,
) -> Result<Completion> {
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "Enter the reason for reopening this record".into(),
        ));
    }
    let c = get(store, completion_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such completion".into()))?;
    let mut tx = store.begin().await?;
    let now = now_text();
    sqlx::query("UPDATE sign_offs SET cleared_at = $1, cleared_reason = $2 WHERE completion_id = $3 AND cleared_at IS NULL")
        .bind(&now)
        .bind(reason.trim())
        .bind(completion_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE completions SET status = 'reopened', updated_at = $1 WHERE id = $2")
        .bind(&now)
        .bind(completion_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "completion.reopen",
            format!(
                "Reopened {} for {}: {}",
                c.module_code,
                c.staff_number,
                reason.trim()
            ),
        )
        .on("completion", completion_id.to_string())
        .before(&serde_json::json!({"status": c.status})),
    )
    .await?;
    tx.commit().await?;
    get(store, completion_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("completion vanished".into()))
}

/// What waits for a mentor's or line manager's signature: completions of their people that
/// lack their capacity's signature.
pub async fn queue_for(
    store: &Store,
    signer_person_id: i64,
) -> Result<Vec<(Completion, &'static str)>> {
    let rows = sqlx::query_as::<_, Completion>(&format!(
        "{SELECT_COMPLETION} WHERE c.status <> 'signed_off' AND (p.mentor_id = $1 OR p.line_manager_id = $1) AND p.id <> $1
         ORDER BY c.completed_on, c.id"
    ))
    .bind(signer_person_id)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for c in rows {
        let signs = sign_offs(store, c.id).await?;
        let facts = SignOffFacts {
            subject_person_id: c.person_id,
            mentor_id: c.mentor_id,
            line_manager_id: c.line_manager_id,
            signed: live(&signs),
            locked: false,
        };
        if let Ok(cap) = signoff::capacity_for(Some(signer_person_id), &facts) {
            out.push((c, cap.label()));
        }
    }
    Ok(out)
}

/// A historic completion from a spreadsheet, with the signatures the spreadsheet recorded.
/// Its signatures are marked as imported (not signed in mashboard) and count towards sign-off.
#[derive(Debug, Clone)]
pub struct ImportedCompletion {
    pub person_id: i64,
    pub module_id: i64,
    pub module_version: String,
    pub completed_on: String,
    pub mode: String,
    pub trainer: String,
    pub notes: String,
    /// Who signed, as the spreadsheet says, in each capacity.
    pub mentor_signed_by: Option<String>,
    pub manager_signed_by: Option<String>,
    /// Stable key so a re-import updates instead of duplicating (e.g. "training:S1:MASH-IND:2024-01-05").
    pub import_key: String,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Updated,
    Unchanged,
}

/// Records (or, by its import key, updates) an imported completion inside a transaction.
pub async fn upsert_imported(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    c: &ImportedCompletion,
) -> Result<(i64, Upsert)> {
    let status = if c.mentor_signed_by.is_some() && c.manager_signed_by.is_some() {
        "signed_off"
    } else {
        "awaiting_sign_off"
    };
    let existing: Option<(i64, String, String, String, String)> = sqlx::query_as(
        "SELECT id, module_version, completed_on, mode, status FROM completions WHERE import_key = $1",
    )
    .bind(&c.import_key)
    .fetch_optional(&mut *conn)
    .await?;
    let now = now_text();
    let (id, what) = match existing {
        Some((id, v, on, mode, st))
            if v == c.module_version && on == c.completed_on && mode == c.mode && st == status =>
        {
            (id, Upsert::Unchanged)
        }
        Some((id, ..)) => {
            sqlx::query("UPDATE completions SET module_version = $1, completed_on = $2, mode = $3, trainer = $4, notes = $5, status = $6, updated_at = $7 WHERE id = $8")
                .bind(&c.module_version)
                .bind(&c.completed_on)
                .bind(&c.mode)
                .bind(&c.trainer)
                .bind(&c.notes)
                .bind(status)
                .bind(&now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM sign_offs WHERE completion_id = $1 AND imported = 1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            (id, Upsert::Updated)
        }
        None => {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, trainer, notes, evidence_url,
                    status, source, import_key, recorded_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, 'imported', $9, $10, $11, $11) RETURNING id",
            )
            .bind(c.person_id)
            .bind(c.module_id)
            .bind(&c.module_version)
            .bind(&c.completed_on)
            .bind(&c.mode)
            .bind(&c.trainer)
            .bind(&c.notes)
            .bind(status)
            .bind(&c.import_key)
            .bind(&actor.name)
            .bind(&now)
            .fetch_one(&mut *conn)
            .await?;
            (id, Upsert::Created)
        }
    };
    if what != Upsert::Unchanged {
        for (capacity, by) in [
            ("mentor", &c.mentor_signed_by),
            ("line_manager", &c.manager_signed_by),
        ] {
            if let Some(by) = by {
                sqlx::query(
                    "INSERT INTO sign_offs (completion_id, capacity, signer_person_id, signer_name, comment, signed_at, imported)
                     VALUES ($1, $2, NULL, $3, 'Imported from a spreadsheet', $4, 1)",
                )
                .bind(id)
                .bind(capacity)
                .bind(by)
                .bind(&now)
                .execute(&mut *conn)
                .await?;
            }
        }
        audit_trail::record_on(
            conn,
            actor,
            Event::new(
                if what == Upsert::Created {
                    "completion.import"
                } else {
                    "completion.reimport"
                },
                format!("Imported completion {} ({})", c.import_key, status),
            )
            .on("completion", id.to_string()),
        )
        .await?;
    }
    Ok((id, what))
}
