//! Importing the team's training and CPD spreadsheets, read by
//! `mashboard_domain::training_import`, and the column mappings saved for next time.
//!
//! Both imports are all or nothing, in one transaction: the directory and catalogue checks (is
//! there such a person, such a module, such a version?) come back as row errors beside the
//! file's own, and if there are any, nothing is written. A dry run does the whole import inside
//! the transaction and rolls it back, so its report is exactly what a real run would do.
//!
//! Re-importing is idempotent: every record carries an import key
//! ([`TrainingRow::import_key`], [`CpdRow::import_key`]); a row whose record exists is updated
//! if the file says something different, and otherwise left alone. A record changed in
//! mashboard since it was imported (a completion reopened or signed there, a CPD entry
//! verified or returned there) is skipped, so a spreadsheet never overwrites work done in the
//! system. Historic sign-offs are stored as imported signatures, never as signed in mashboard.

use crate::audit_trail::{self, Actor, Event};
use crate::training::catalogue;
use crate::training::completions::{self, ImportedCompletion, Upsert};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::imports::RowError;
use mashboard_domain::people::format_date_long;
use mashboard_domain::training_import::{CpdRow, Parsed, TrainingRow};
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::HashMap;

pub use crate::people::ImportError;

/// The comment kept on a CPD entry imported as verified.
pub const IMPORTED_REVIEW_COMMENT: &str = "Verified before it was imported from a spreadsheet";

/// What happened, or on a dry run would happen, to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    /// Changed in mashboard since it was imported; the file does not overwrite it.
    Skipped,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Created => "New",
            Outcome::Updated => "Changed",
            Outcome::Unchanged => "Already up to date",
            Outcome::Skipped => "Skipped",
        }
    }

    /// The GOV.UK tag colour (the words are always shown too).
    pub fn tag_class(self) -> &'static str {
        match self {
            Outcome::Created => "govuk-tag--green",
            Outcome::Updated => "govuk-tag--blue",
            Outcome::Unchanged => "govuk-tag--grey",
            Outcome::Skipped => "govuk-tag--orange",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowOutcome {
    pub row: usize,
    pub staff_number: String,
    pub person_name: String,
    /// The module ("MASH-IND MASH induction") or the CPD topic.
    pub what: String,
    /// The date completed or done, `YYYY-MM-DD`.
    pub on: String,
    pub outcome: Outcome,
    /// The status it has, or why it was skipped.
    pub note: String,
}

/// What an import did, or would do on a dry run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    /// Every row, in file order.
    pub rows: Vec<RowOutcome>,
    pub dry_run: bool,
}

impl ImportReport {
    fn push(&mut self, r: RowOutcome) {
        match r.outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Skipped => self.skipped += 1,
        }
        self.rows.push(r);
    }

    /// "4 new, 0 changed, 0 already up to date, 0 skipped".
    pub fn summary(&self) -> String {
        format!(
            "{} new, {} changed, {} already up to date, {} skipped",
            self.created, self.updated, self.unchanged, self.skipped
        )
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Everyone in the directory: staff number → (id, name).
async fn directory(store: &Store) -> Result<HashMap<String, (i64, String)>> {
    let rows: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, staff_number, name FROM people")
            .fetch_all(store.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, sn, name)| (sn.to_uppercase(), (id, name)))
        .collect())
}

fn unknown_person(row: usize, column: Option<String>, sn: &str) -> RowError {
    RowError {
        row,
        column,
        reason: format!(
            "No one in the directory has staff number {sn}. Add them to the directory first, or correct the number"
        ),
    }
}

/// The errors of the file and of the store together, by row (each row has one or the other).
fn all_errors<T>(parsed: &Parsed<T>, mut found: Vec<RowError>) -> Vec<RowError> {
    let mut errors = parsed.errors.clone();
    errors.append(&mut found);
    errors.sort_by_key(|e| e.row);
    errors
}

struct ModuleRef {
    id: i64,
    code: String,
    title: String,
    version: String,
    retired: bool,
}

/// Finds a module by code, or else by exact title (case and spacing aside).
fn find_module<'a>(
    modules: &'a [ModuleRef],
    written: &str,
) -> std::result::Result<&'a ModuleRef, String> {
    let wanted = squash(written);
    if let Some(m) = modules.iter().find(|m| m.code.to_lowercase() == wanted) {
        return Ok(m);
    }
    let titled: Vec<&ModuleRef> = modules
        .iter()
        .filter(|m| squash(&m.title) == wanted)
        .collect();
    let live: Vec<&ModuleRef> = titled.iter().copied().filter(|m| !m.retired).collect();
    match (titled.as_slice(), live.as_slice()) {
        ([], _) => Err(format!(
            "No module in the catalogue has the code or title \"{written}\""
        )),
        ([only], _) | (_, [only]) => Ok(only),
        (many, _) => Err(format!(
            "More than one module is called \"{written}\"; give its code instead ({})",
            many.iter()
                .map(|m| m.code.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A completion row resolved against the directory and the catalogue.
struct ResolvedCompletion<'a> {
    row: usize,
    record: &'a TrainingRow,
    person_id: i64,
    person_name: String,
    module: &'a ModuleRef,
    version: String,
}

/// Imports completions from a parsed training spreadsheet, all or nothing (see the module
/// docs). `source` names the file for the audit trail.
pub async fn import_training(
    store: &Store,
    actor: &Actor,
    parsed: &Parsed<TrainingRow>,
    dry_run: bool,
    source: &str,
) -> std::result::Result<ImportReport, ImportError> {
    let people = directory(store).await?;
    let modules: Vec<ModuleRef> = catalogue::modules(store, true)
        .await?
        .into_iter()
        .map(|m| ModuleRef {
            id: m.id,
            retired: m.status == "retired",
            code: m.code,
            title: m.title,
            version: m.version,
        })
        .collect();
    let versions: Vec<(i64, String)> =
        sqlx::query_as("SELECT module_id, version FROM module_versions ORDER BY id")
            .fetch_all(store.pool())
            .await
            .map_err(StoreError::from)?;

    let mut found = Vec::new();
    let mut resolved = Vec::new();
    let mut first_use: HashMap<(i64, i64, time::Date), usize> = HashMap::new();
    for (row, r) in &parsed.records {
        let row = *row;
        let person = people.get(r.staff_number.as_str());
        if person.is_none() {
            found.push(unknown_person(
                row,
                parsed.column("staff_number"),
                r.staff_number.as_str(),
            ));
        }
        let module = match find_module(&modules, &r.module) {
            Ok(m) => Some(m),
            Err(reason) => {
                found.push(RowError {
                    row,
                    column: parsed.column("module"),
                    reason,
                });
                None
            }
        };
        let (Some((person_id, person_name)), Some(module)) = (person, module) else {
            continue;
        };
        let version = r.version.clone().unwrap_or_else(|| module.version.clone());
        let known: Vec<&str> = versions
            .iter()
            .filter(|(id, _)| *id == module.id)
            .map(|(_, v)| v.as_str())
            .collect();
        if !known.contains(&version.as_str()) {
            found.push(RowError {
                row,
                column: parsed.column("version"),
                reason: format!(
                    "{} has no version {version}; its versions are {}",
                    module.code,
                    known.join(", ")
                ),
            });
            continue;
        }
        // The same module written once by code and once by title is still the same row.
        match first_use.get(&(*person_id, module.id, r.completed_on)) {
            Some(first) => {
                found.push(RowError {
                    row,
                    column: None,
                    reason: format!(
                        "This repeats row {first}: {} completing {} on {} is already in the file. Delete one of the two rows",
                        r.staff_number,
                        module.code,
                        format_date_long(r.completed_on)
                    ),
                });
                continue;
            }
            None => {
                first_use.insert((*person_id, module.id, r.completed_on), row);
            }
        }
        resolved.push(ResolvedCompletion {
            row,
            record: r,
            person_id: *person_id,
            person_name: person_name.clone(),
            module,
            version,
        });
    }
    if !parsed.errors.is_empty() || !found.is_empty() {
        return Err(ImportError::Rows(all_errors(parsed, found)));
    }

    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    let mut tx = store.begin().await.map_err(StoreError::from)?;
    for c in &resolved {
        let outcome = write_completion(&mut tx, actor, c).await?;
        report.push(outcome);
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "training.import_file",
            format!(
                "Imported training records from {source}: {}",
                report.summary()
            ),
        )
        .after(&serde_json::json!({
            "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "skipped": report.skipped,
        })),
    )
    .await?;
    crate::imports::finish(tx, dry_run, true).await?;
    Ok(report)
}

fn sign_off_note(mentor: bool, manager: bool) -> &'static str {
    match (mentor, manager) {
        (true, true) => "Signed off (both signatures imported)",
        (true, false) => "Awaiting sign-off (mentor's signature imported)",
        (false, true) => "Awaiting sign-off (line manager's signature imported)",
        (false, false) => "Awaiting sign-off",
    }
}

/// Writes one completion through [`completions::upsert_imported`], and brings the trainer,
/// notes and imported signatures up to date when only those changed (which it does not look at).
async fn write_completion(
    conn: &mut AnyConnection,
    actor: &Actor,
    c: &ResolvedCompletion<'_>,
) -> Result<RowOutcome> {
    let r = c.record;
    let key = r.import_key(&c.module.code);
    let mut outcome = RowOutcome {
        row: c.row,
        staff_number: r.staff_number.to_string(),
        person_name: c.person_name.clone(),
        what: format!("{} {}", c.module.code, c.module.title),
        on: r.completed_on.to_string(),
        outcome: Outcome::Unchanged,
        note: sign_off_note(r.mentor_signed.is_some(), r.manager_signed.is_some()).into(),
    };
    let existing: Option<(i64, String)> =
        sqlx::query_as("SELECT id, status FROM completions WHERE import_key = $1")
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((id, status)) = &existing {
        let signed_here: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sign_offs WHERE completion_id = $1 AND imported = 0",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        if status == "reopened" || signed_here > 0 {
            outcome.outcome = Outcome::Skipped;
            outcome.note = "Reopened or signed in mashboard since it was imported, so the spreadsheet does not overwrite it".into();
            return Ok(outcome);
        }
    }
    let imported = ImportedCompletion {
        person_id: c.person_id,
        module_id: c.module.id,
        module_version: c.version.clone(),
        completed_on: r.completed_on.to_string(),
        mode: r.mode.as_str().to_string(),
        trainer: r.trainer.clone(),
        notes: r.notes.clone(),
        mentor_signed_by: r.mentor_signed.clone(),
        manager_signed_by: r.manager_signed.clone(),
        import_key: key.clone(),
    };
    let (id, what) = completions::upsert_imported(conn, actor, &imported).await?;
    outcome.outcome = match what {
        Upsert::Created => Outcome::Created,
        Upsert::Updated => Outcome::Updated,
        Upsert::Unchanged => {
            if refresh_details(conn, actor, id, &imported).await? {
                Outcome::Updated
            } else {
                Outcome::Unchanged
            }
        }
    };
    Ok(outcome)
}

/// Updates the trainer, the notes and the imported signatures of an imported completion when
/// the file now says something else. Returns whether anything changed.
async fn refresh_details(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    c: &ImportedCompletion,
) -> Result<bool> {
    let (trainer, notes): (String, String) =
        sqlx::query_as("SELECT trainer, notes FROM completions WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let mut signs: Vec<(String, String)> = sqlx::query_as(
        "SELECT capacity, signer_name FROM sign_offs WHERE completion_id = $1 AND imported = 1 AND cleared_at IS NULL",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    signs.sort();
    let mut wanted: Vec<(String, String)> = [
        ("line_manager", &c.manager_signed_by),
        ("mentor", &c.mentor_signed_by),
    ]
    .into_iter()
    .filter_map(|(cap, by)| by.as_ref().map(|b| (cap.to_string(), b.clone())))
    .collect();
    wanted.sort();
    if trainer == c.trainer && notes == c.notes && signs == wanted {
        return Ok(false);
    }
    let now = now_text();
    sqlx::query("UPDATE completions SET trainer = $1, notes = $2, updated_at = $3 WHERE id = $4")
        .bind(&c.trainer)
        .bind(&c.notes)
        .bind(&now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if signs != wanted {
        sqlx::query("DELETE FROM sign_offs WHERE completion_id = $1 AND imported = 1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        for (capacity, by) in &wanted {
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
            "completion.reimport",
            format!(
                "Re-imported completion {} (trainer, notes or signatures changed)",
                c.import_key
            ),
        )
        .on("completion", id.to_string())
        .before(&serde_json::json!({"trainer": trainer, "notes": notes, "signatures": signs}))
        .after(&serde_json::json!({"trainer": c.trainer, "notes": c.notes, "signatures": wanted})),
    )
    .await?;
    Ok(true)
}

/// Imports CPD entries from a parsed CPD spreadsheet, all or nothing (see the module docs).
/// An entry with a "verified by" is imported as verified by that person, with
/// [`IMPORTED_REVIEW_COMMENT`]; the others wait for the line manager as usual.
pub async fn import_cpd(
    store: &Store,
    actor: &Actor,
    parsed: &Parsed<CpdRow>,
    dry_run: bool,
    source: &str,
) -> std::result::Result<ImportReport, ImportError> {
    let people = directory(store).await?;
    let mut found = Vec::new();
    let mut resolved = Vec::new();
    for (row, r) in &parsed.records {
        match people.get(r.staff_number.as_str()) {
            None => found.push(unknown_person(
                *row,
                parsed.column("staff_number"),
                r.staff_number.as_str(),
            )),
            Some((id, name)) => resolved.push((*row, r, *id, name.clone())),
        }
    }
    if !parsed.errors.is_empty() || !found.is_empty() {
        return Err(ImportError::Rows(all_errors(parsed, found)));
    }
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    let mut tx = store.begin().await.map_err(StoreError::from)?;
    for (row, r, person_id, person_name) in resolved {
        let outcome = upsert_cpd(&mut tx, actor, person_id, r).await?;
        report.push(RowOutcome {
            row,
            staff_number: r.staff_number.to_string(),
            person_name,
            what: r.topic.clone(),
            on: r.done_on.to_string(),
            note: match (outcome, &r.verified_by) {
                (Outcome::Skipped, _) => {
                    "Verified or returned in mashboard since it was imported, so the spreadsheet does not overwrite it".into()
                }
                (_, Some(by)) => format!("Verified (by {by}, before import)"),
                (_, None) => "Awaiting verification by the line manager".into(),
            },
            outcome,
        });
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "cpd.import_file",
            format!("Imported CPD from {source}: {}", report.summary()),
        )
        .after(&serde_json::json!({
            "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "skipped": report.skipped,
        })),
    )
    .await?;
    crate::imports::finish(tx, dry_run, true).await?;
    Ok(report)
}

/// Records (or, by its import key, updates) an imported CPD entry, with its audit event.
async fn upsert_cpd(
    conn: &mut AnyConnection,
    actor: &Actor,
    person_id: i64,
    r: &CpdRow,
) -> Result<Outcome> {
    type Existing = (
        i64,
        String,
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
    );
    let key = r.import_key();
    let (status, reviewed_by, comment) = match &r.verified_by {
        Some(by) => ("verified", Some(by.clone()), IMPORTED_REVIEW_COMMENT),
        None => ("submitted", None, ""),
    };
    let minutes = i64::from(r.minutes);
    let existing: Option<Existing> = sqlx::query_as(
        "SELECT id, topic, minutes, kind, learning, evidence_url, status, reviewed_by, review_comment
         FROM cpd_entries WHERE import_key = $1",
    )
    .bind(&key)
    .fetch_optional(&mut *conn)
    .await?;
    let now = now_text();
    let reviewed_at = reviewed_by.as_ref().map(|_| now.clone());
    let after = serde_json::json!({
        "staff_number": r.staff_number.as_str(), "topic": r.topic, "done_on": r.done_on.to_string(),
        "minutes": minutes, "kind": r.kind.as_str(), "status": status, "verified_by": reviewed_by,
    });
    if let Some((.., old_status, _, old_comment)) = &existing {
        if old_status != "submitted" && old_comment != IMPORTED_REVIEW_COMMENT {
            return Ok(Outcome::Skipped);
        }
    }
    let (id, outcome) = match existing {
        Some((id, topic, m, kind, learning, evidence, old_status, old_by, _)) => {
            if topic == r.topic
                && m == minutes
                && kind == r.kind.as_str()
                && learning == r.learning
                && evidence == r.evidence_url
                && old_status == status
                && old_by == reviewed_by
            {
                return Ok(Outcome::Unchanged);
            }
            sqlx::query(
                "UPDATE cpd_entries SET topic = $1, minutes = $2, kind = $3, learning = $4, evidence_url = $5,
                    status = $6, reviewed_by = $7, reviewed_at = $8, review_comment = $9 WHERE id = $10",
            )
            .bind(&r.topic)
            .bind(minutes)
            .bind(r.kind.as_str())
            .bind(&r.learning)
            .bind(&r.evidence_url)
            .bind(status)
            .bind(&reviewed_by)
            .bind(&reviewed_at)
            .bind(comment)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            (id, Outcome::Updated)
        }
        None => {
            let id = sqlx::query_scalar::<_, i64>(
                "INSERT INTO cpd_entries (person_id, topic, done_on, minutes, kind, learning, evidence_url, status,
                    review_comment, reviewed_by, reviewed_at, source, import_key, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'imported', $12, $13) RETURNING id",
            )
            .bind(person_id)
            .bind(&r.topic)
            .bind(r.done_on.to_string())
            .bind(minutes)
            .bind(r.kind.as_str())
            .bind(&r.learning)
            .bind(&r.evidence_url)
            .bind(status)
            .bind(comment)
            .bind(&reviewed_by)
            .bind(&reviewed_at)
            .bind(&key)
            .bind(&now)
            .fetch_one(&mut *conn)
            .await?;
            (id, Outcome::Created)
        }
    };
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            if outcome == Outcome::Created {
                "cpd.import"
            } else {
                "cpd.reimport"
            },
            format!("Imported CPD entry {key} ({status})"),
        )
        .on("cpd", id.to_string())
        .after(&after),
    )
    .await?;
    Ok(outcome)
}

// Saved mappings: the one store of every import's (`crate::imports`).
pub use crate::imports::{mapping, mappings, save_mapping, SavedMapping};
