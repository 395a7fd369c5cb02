//! The e-mail outbox: invitations, updates and cancellations, one row per recipient (so no
//! address is ever visible to another), written in the transaction of the change that causes
//! them. The command line sends them (`mashboard outbox send`, and a loop in `serve`).

use super::sessions::{get_on, trainers_on, Session};
use crate::{now_text, Result, Store};
use mashboard_domain::ics::{self, Invitation, Method, Party};
use mashboard_domain::sessions::SessionMode;
use serde::Serialize;
use sqlx::AnyConnection;

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A new place (booking or promotion from the waitlist): METHOD:REQUEST.
    Invitation,
    /// Time or place changed: METHOD:REQUEST with a higher SEQUENCE.
    Update,
    /// The session is cancelled: METHOD:CANCEL.
    Cancellation,
    /// The person was withdrawn: METHOD:CANCEL to them alone.
    Withdrawal,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Invitation => "invitation",
            MailKind::Update => "update",
            MailKind::Cancellation => "cancellation",
            MailKind::Withdrawal => "withdrawal",
        }
    }
    fn method(self) -> Method {
        match self {
            MailKind::Invitation | MailKind::Update => Method::Request,
            MailKind::Cancellation | MailKind::Withdrawal => Method::Cancel,
        }
    }
}

/// Someone to write to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub person_id: i64,
    pub name: String,
    pub email: Option<String>,
}

/// How many messages were queued, and how many people had no address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Queued {
    pub queued: usize,
    pub without_email: usize,
}

fn usable(email: &Option<String>) -> Option<String> {
    email
        .as_deref()
        .map(str::trim)
        .filter(|e| e.contains('@') && !e.contains(char::is_whitespace))
        .map(str::to_string)
}

/// The invitation for a session as it stands, listing `attendees`.
pub fn invitation(
    s: &Session,
    organizer: Option<Party>,
    attendees: Vec<Party>,
    method: Method,
) -> Invitation {
    let teams = s.mode() == SessionMode::Teams;
    let mut description = format!("{} ({} v{}).", s.name(), s.module_code, s.module_version);
    if teams {
        description.push_str(&format!("\nJoin on Microsoft Teams: {}", s.join_url));
    } else {
        description.push_str(&format!("\nWhere: {}", s.place()));
    }
    if let Some(r) = s
        .cancel_reason
        .as_deref()
        .filter(|_| method == Method::Cancel)
    {
        description.push_str(&format!("\nCancelled: {r}"));
    }
    Invitation {
        method,
        uid: s.ics_uid.clone(),
        sequence: s.ics_sequence,
        stamp: time::OffsetDateTime::now_utc(),
        starts: s.starts(),
        ends: s.ends(),
        summary: s.name().to_string(),
        location: s.place(),
        description,
        url: if teams && !s.join_url.is_empty() {
            Some(s.join_url.clone())
        } else {
            None
        },
        organizer,
        attendees,
    }
}

async fn organizer(conn: &mut AnyConnection, session_id: i64) -> Result<Option<Party>> {
    let t = trainers_on(conn, session_id).await?;
    Ok(t.into_iter().find_map(|t| {
        usable(&t.email).map(|email| Party {
            name: t.name,
            email,
        })
    }))
}

fn words(s: &Session, kind: MailKind, name: &str) -> (String, String) {
    let what = s.name();
    let when = s.when();
    let place = match s.mode() {
        SessionMode::Teams => format!("on Microsoft Teams: {}", s.join_url),
        SessionMode::InPerson => format!("at {}", s.place()),
    };
    match kind {
        MailKind::Invitation => (
            format!("Invitation: {what}, {when}"),
            format!(
                "Dear {name},\n\nYou have a place on {what}, {when} (UK time), {place}.\n\nThe calendar invitation is attached; accept it to add the session to your calendar.\n"
            ),
        ),
        MailKind::Update => (
            format!("Updated: {what}, {when}"),
            format!(
                "Dear {name},\n\nThe session {what} has changed. It is now {when} (UK time), {place}.\n\nThe attached invitation updates your calendar.\n"
            ),
        ),
        MailKind::Cancellation => (
            format!("Cancelled: {what}, {when}"),
            format!(
                "Dear {name},\n\nThe session {what}, {when}, is cancelled{}.\n\nThe attachment removes it from your calendar.\n",
                s.cancel_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ),
        MailKind::Withdrawal => (
            format!("Withdrawn: {what}, {when}"),
            format!(
                "Dear {name},\n\nYou are no longer booked on {what}, {when}.\n\nThe attachment removes it from your calendar.\n"
            ),
        ),
    }
}

/// Queues one message per recipient with an address; people without one are counted.
pub(crate) async fn queue(
    conn: &mut AnyConnection,
    s: &Session,
    kind: MailKind,
    people: &[Recipient],
) -> Result<Queued> {
    let mut q = Queued::default();
    if people.is_empty() {
        return Ok(q);
    }
    let org = organizer(conn, s.id).await?;
    let now = now_text();
    for p in people {
        let Some(email) = usable(&p.email) else {
            q.without_email += 1;
            continue;
        };
        let inv = invitation(
            s,
            org.clone(),
            vec![Party {
                name: p.name.clone(),
                email: email.clone(),
            }],
            kind.method(),
        );
        let (subject, body) = words(s, kind, &p.name);
        sqlx::query(
            "INSERT INTO mail_outbox (kind, session_id, person_id, to_address, subject, body_text, ics, ics_method, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(kind.as_str())
        .bind(s.id)
        .bind(p.person_id)
        .bind(&email)
        .bind(&subject)
        .bind(&body)
        .bind(ics::render(&inv))
        .bind(kind.method().as_str())
        .bind(&now)
        .execute(&mut *conn)
        .await?;
        q.queued += 1;
    }
    Ok(q)
}

/// The session's invitation for download: every enrolled person with an address as ATTENDEE;
/// once cancelled, the cancellation (METHOD:CANCEL, same UID, higher SEQUENCE).
pub async fn session_ics(store: &Store, session_id: i64) -> Result<Option<String>> {
    ics_for(store, session_id, None).await
}

/// The invitation as one person may download it: only they are listed, if they hold a place.
pub async fn person_ics(
    store: &Store,
    session_id: i64,
    person_id: Option<i64>,
) -> Result<Option<String>> {
    ics_for(store, session_id, Some(person_id)).await
}

async fn ics_for(
    store: &Store,
    session_id: i64,
    only: Option<Option<i64>>,
) -> Result<Option<String>> {
    let mut conn = store.pool().acquire().await?;
    let Some(s) = get_on(&mut conn, session_id).await? else {
        return Ok(None);
    };
    let org = organizer(&mut conn, session_id).await?;
    let people = super::enrolment::enrolled_people(&mut conn, session_id).await?;
    let attendees = people
        .into_iter()
        .filter(|p| only.is_none_or(|o| o == Some(p.person_id)))
        .filter_map(|p| {
            usable(&p.email).map(|email| Party {
                name: p.name,
                email,
            })
        })
        .collect();
    let method = if s.status == "cancelled" {
        Method::Cancel
    } else {
        Method::Request
    };
    Ok(Some(ics::render(&invitation(&s, org, attendees, method))))
}

/// One message waiting to go.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Pending {
    pub id: i64,
    pub kind: String,
    pub session_id: Option<i64>,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub ics: Option<String>,
    pub ics_method: Option<String>,
    pub attempts: i64,
}

/// Messages not yet sent that have failed fewer than `max_attempts` times, oldest first.
pub async fn pending(store: &Store, max_attempts: i64, limit: i64) -> Result<Vec<Pending>> {
    Ok(sqlx::query_as::<_, Pending>(
        "SELECT id, kind, session_id, to_address, subject, body_text, ics, ics_method, attempts FROM mail_outbox
         WHERE sent_at IS NULL AND attempts < $1 ORDER BY id LIMIT $2",
    )
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

pub async fn mark_sent(store: &Store, id: i64) -> Result<()> {
    sqlx::query("UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2")
        .bind(now_text())
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Records a failed attempt (the error holds no address: the caller words it).
pub async fn mark_failed(store: &Store, id: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Counts for the outbox: `(pending, sent, failed at least once and unsent)`.
pub async fn counts(store: &Store) -> Result<(i64, i64, i64)> {
    let row: (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN sent_at IS NULL AND attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM mail_outbox",
    )
    .fetch_one(store.pool())
    .await?;
    Ok(row)
}

/// Messages queued for one session, for tests and the session page: `(kind, to, ics_method)`.
pub async fn of_session(
    store: &Store,
    session_id: i64,
) -> Result<Vec<(String, String, Option<String>)>> {
    Ok(sqlx::query_as(
        "SELECT kind, to_address, ics_method FROM mail_outbox WHERE session_id = $1 ORDER BY id",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}
