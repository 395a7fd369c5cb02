//! Reminder digests: gathers what `mashboard_domain::reminders` builds them from (active
//! people, their plan items as of a day, completions waiting for sign-off, CPD waiting to be
//! verified) and records in the audit trail each digest sent and each run.
//!
//! The audit trail keeps who a digest went to (person id and staff number) and its counts, never
//! the address or the lines it held.

use crate::audit_trail::{self, Actor, Event};
use crate::training::plans;
use crate::{parse_instant, Result, Store};
use mashboard_domain::reminders::{Digest, DueItem, Inputs, PendingCompletion, Person};
use mashboard_domain::signoff::Capacity;
use serde::Serialize;
use std::collections::HashMap;
use time::Date;

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    staff_number: String,
    name: String,
    email: Option<String>,
    line_manager_id: Option<i64>,
    mentor_id: Option<i64>,
    is_trainer: i64,
}

#[derive(sqlx::FromRow)]
struct PendingRow {
    id: i64,
    person_id: i64,
    module_title: String,
    completed_on: String,
}

#[derive(sqlx::FromRow)]
struct SignatureRow {
    completion_id: i64,
    capacity: String,
    signer_person_id: Option<i64>,
}

/// Everything the digests of `today` are built from. Only people still with the force appear;
/// a MASH trainer is anyone whose directory roles say so, or whose enabled account holds the
/// role.
pub async fn gather(store: &Store, today: Date) -> Result<Inputs> {
    let people = sqlx::query_as::<_, PersonRow>(
        "SELECT p.id, p.staff_number, p.name, p.email, p.line_manager_id, p.mentor_id,
            CASE WHEN p.roles LIKE '%;mash_trainer;%' OR EXISTS (
                SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id
                WHERE u.person_id = p.id AND u.disabled = 0 AND r.role = 'mash_trainer')
            THEN 1 ELSE 0 END AS is_trainer
         FROM people p WHERE p.active = 1 ORDER BY p.id",
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|r| Person {
        id: r.id,
        staff_number: r.staff_number,
        name: r.name,
        email: r.email,
        line_manager_id: r.line_manager_id,
        mentor_id: r.mentor_id,
        is_trainer: r.is_trainer != 0,
    })
    .collect();

    let items = plans::all_plans(store, today)
        .await?
        .into_iter()
        .map(|i| DueItem {
            person_id: i.person_id,
            module_code: i.module_code,
            module_title: i.module_title,
            status: i.state.status,
            due_on: i.state.due_on,
        })
        .collect();

    let pending_rows = sqlx::query_as::<_, PendingRow>(
        "SELECT c.id, c.person_id, m.title AS module_title, c.completed_on
         FROM completions c JOIN people p ON p.id = c.person_id JOIN modules m ON m.id = c.module_id
         WHERE c.status <> 'signed_off' AND p.active = 1
         ORDER BY c.completed_on, c.id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut signed: HashMap<i64, Vec<(Capacity, Option<i64>)>> = HashMap::new();
    for s in sqlx::query_as::<_, SignatureRow>(
        "SELECT s.completion_id, s.capacity, s.signer_person_id
         FROM sign_offs s JOIN completions c ON c.id = s.completion_id
         WHERE c.status <> 'signed_off' AND s.cleared_at IS NULL
         ORDER BY s.id",
    )
    .fetch_all(store.pool())
    .await?
    {
        if let Some(capacity) = Capacity::parse(&s.capacity) {
            signed
                .entry(s.completion_id)
                .or_default()
                .push((capacity, s.signer_person_id));
        }
    }
    let pending = pending_rows
        .into_iter()
        .filter_map(|r| {
            Some(PendingCompletion {
                person_id: r.person_id,
                module_title: r.module_title,
                completed_on: crate::training::parse_date_text(&r.completed_on)?,
                signed: signed.remove(&r.id).unwrap_or_default(),
            })
        })
        .collect();

    // Counted per person (an index-only count, `cpd_entries_status_person`): one row per person
    // however many entries wait, so a home page does not slow down as someone logs CPD.
    let submitted_cpd = sqlx::query_as::<_, (i64, i64)>(
        "SELECT e.person_id, COUNT(*) FROM cpd_entries e JOIN people p ON p.id = e.person_id
         WHERE e.status = 'submitted' AND p.active = 1 GROUP BY e.person_id ORDER BY e.person_id",
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|(person_id, n)| (person_id, usize::try_from(n).unwrap_or(0)))
    .collect();

    Ok(Inputs {
        people,
        items,
        pending,
        submitted_cpd,
    })
}

/// How a digest left mashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Handed to the mail server.
    Sent,
    /// Written to a file (`reminders send --to-dir`), for checking before going live.
    WrittenToFile,
}

/// Records one digest in the audit trail: the recipient and the counts, no address or lines.
pub async fn record_digest(
    store: &Store,
    actor: &Actor,
    digest: &Digest,
    delivery: Delivery,
) -> Result<()> {
    let staff_number = &digest.recipient.staff_number;
    let (action, verb) = match delivery {
        Delivery::Sent => ("reminders.digest_sent", "Sent"),
        Delivery::WrittenToFile => ("reminders.digest_written", "Wrote to a file"),
    };
    let counts = digest.counts();
    audit_trail::record(
        store,
        actor,
        Event::new(
            action,
            format!(
                "{verb} the reminder digest of {staff_number}: {}",
                counts.describe()
            ),
        )
        // Not "person": sending a reminder is not a change to the person's record.
        .on("reminder", staff_number.as_str())
        .after(&serde_json::json!({
            "recipient_person_id": digest.recipient.person_id,
            "delivery": delivery,
            "counts": counts,
        })),
    )
    .await
}

/// What one run did, in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub sent: usize,
    pub failed: usize,
    pub no_address: usize,
}

/// Records a run that sent digests by e-mail. The daily schedule reads it back
/// ([`last_run_on`]) so that a day's digests go once, whoever started them.
pub async fn record_run(store: &Store, actor: &Actor, summary: RunSummary) -> Result<()> {
    audit_trail::record(
        store,
        actor,
        Event::new(
            "reminders.run",
            format!(
                "Sent reminder digests: {} sent, {} failed, {} people with something due have no e-mail address",
                summary.sent, summary.failed, summary.no_address
            ),
        )
        .after(&summary),
    )
    .await
}

/// The day (UTC) of the last run recorded by [`record_run`], if any.
pub async fn last_run_on(store: &Store) -> Result<Option<Date>> {
    let at = sqlx::query_scalar::<_, Option<String>>(
        "SELECT MAX(at) FROM audit_events WHERE action = 'reminders.run'",
    )
    .fetch_one(store.pool())
    .await?;
    Ok(at.as_deref().and_then(parse_instant).map(|t| t.date()))
}
