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

/// People with the force whose records make up the digests of `scope`.
const AROUND: &str =
    "(SELECT id FROM people WHERE id = $1 OR line_manager_id = $1 OR mentor_id = $1)";

/// Whose records a gather reads: the whole force (the e-mail run), or what one person's own
/// digest is built from (the home page).
#[derive(Clone, Copy)]
enum Scope {
    Force,
    /// The person, the people they manage and the people they mentor.
    Around(i64),
}

impl Scope {
    /// A condition on the person column `column` (empty for the force); binds `$1`.
    fn only(self, column: &str) -> String {
        match self {
            Scope::Force => String::new(),
            Scope::Around(_) => format!(" AND {column} IN {AROUND}"),
        }
    }

    fn bind<'q, O>(
        self,
        q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        match self {
            Scope::Force => q,
            Scope::Around(id) => q.bind(id),
        }
    }
}

/// Everything the digests of `today` are built from. Only people still with the force appear;
/// a MASH trainer is anyone whose directory roles say so, or whose enabled account holds the
/// role.
pub async fn gather(store: &Store, today: Date) -> Result<Inputs> {
    gather_scoped(store, today, Scope::Force).await
}

/// What the digest of one person is built from: the same digest as [`gather`]'s for them
/// (`mashboard_domain::reminders::digest_for`), read from their own records and those of the
/// people they manage or mentor instead of the whole force's, so a home page costs the same in
/// a force of 200 or 20,000. A MASH trainer's digest also summarises the whole force, so theirs
/// is read whole.
pub async fn gather_for(store: &Store, today: Date, person_id: i64) -> Result<Inputs> {
    let inputs = gather_scoped(store, today, Scope::Around(person_id)).await?;
    if inputs
        .people
        .iter()
        .any(|p| p.id == person_id && p.is_trainer)
    {
        return gather(store, today).await;
    }
    Ok(inputs)
}

async fn gather_scoped(store: &Store, today: Date, scope: Scope) -> Result<Inputs> {
    let people = scope
        .bind(sqlx::query_as::<_, PersonRow>(&format!(
            "SELECT p.id, p.staff_number, p.name, p.email, p.line_manager_id, p.mentor_id,
            CASE WHEN p.roles LIKE '%;mash_trainer;%' OR EXISTS (
                SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id
                WHERE u.person_id = p.id AND u.disabled = 0 AND r.role = 'mash_trainer')
            THEN 1 ELSE 0 END AS is_trainer
         FROM people p WHERE p.active = 1{} ORDER BY p.id",
            scope.only("p.id")
        )))
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

    let items = match scope {
        Scope::Force => plans::all_plans(store, today).await?,
        Scope::Around(id) => plans::plans_among(store, AROUND, id, today).await?,
    }
    .into_iter()
    .map(|i| DueItem {
        person_id: i.person_id,
        module_code: i.module_code,
        module_title: i.module_title,
        status: i.state.status,
        due_on: i.state.due_on,
    })
    .collect();

    let pending_rows = scope
        .bind(sqlx::query_as::<_, PendingRow>(&format!(
            "SELECT c.id, c.person_id, m.title AS module_title, c.completed_on
         FROM completions c JOIN people p ON p.id = c.person_id JOIN modules m ON m.id = c.module_id
         WHERE c.status <> 'signed_off' AND p.active = 1{}
         ORDER BY c.completed_on, c.id",
            scope.only("c.person_id")
        )))
        .fetch_all(store.pool())
        .await?;
    let mut signed: HashMap<i64, Vec<(Capacity, Option<i64>)>> = HashMap::new();
    for s in scope
        .bind(sqlx::query_as::<_, SignatureRow>(&format!(
            "SELECT s.completion_id, s.capacity, s.signer_person_id
         FROM sign_offs s JOIN completions c ON c.id = s.completion_id
         WHERE c.status <> 'signed_off' AND s.cleared_at IS NULL{}
         ORDER BY s.id",
            scope.only("c.person_id")
        )))
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
    let submitted_cpd = scope
        .bind(sqlx::query_as::<_, (i64, i64)>(&format!(
            "SELECT e.person_id, COUNT(*) FROM cpd_entries e JOIN people p ON p.id = e.person_id
         WHERE e.status = 'submitted' AND p.active = 1{} GROUP BY e.person_id ORDER BY e.person_id",
            scope.only("e.person_id")
        )))
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
    // Asked every minute while `serve` runs: read from the action's index (migration 34), whose
    // comparison on PostgreSQL is byte by byte ("C"), not a walk through the whole trail.
    let sql = match store.backend() {
        crate::Backend::Postgres => {
            "SELECT MAX(at) FROM audit_events WHERE action COLLATE \"C\" = 'reminders.run'"
        }
        crate::Backend::Sqlite => "SELECT MAX(at) FROM audit_events WHERE action = 'reminders.run'",
    };
    let at = sqlx::query_scalar::<_, Option<String>>(sql)
        .fetch_one(store.pool())
        .await?;
    Ok(at.as_deref().and_then(parse_instant).map(|t| t.date()))
}
