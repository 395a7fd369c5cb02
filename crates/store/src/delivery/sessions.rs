//! Training sessions and series: create, change (time, place, capacity), cancel, deliver;
//! trainers and co-trainer hours; audiences; series progress. Every change is audited in its
//! own transaction, together with the e-mails it causes (see [`super::outbox`]).

use super::enrolment;
use super::outbox::{self, MailKind};
use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::sessions::{
    self as dom, FieldError, Instant, SessionCheck, SessionMode, SessionStatus,
};
use serde::Serialize;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Why a session change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// One message per field, in form order.
    #[error("{}", .0.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    NotFound(String),
    /// The session's state forbids it (e.g. changing a cancelled session).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SessionError {
    fn from(e: sqlx::Error) -> Self {
        SessionError::Store(e.into())
    }
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> SessionError {
    SessionError::Invalid(vec![FieldError {
        field,
        message: message.into(),
    }])
}

/// A session as stored, with its module, series and counts.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Session {
    pub id: i64,
    pub series_id: Option<i64>,
    pub series_name: Option<String>,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub module_version: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub mode: String,
    pub venue: String,
    pub room: String,
    pub join_url: String,
    pub capacity: i64,
    pub status: String,
    pub cancel_reason: Option<String>,
    pub ics_uid: String,
    pub ics_sequence: i64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub enrolled_count: i64,
    pub waitlist_count: i64,
}

impl Session {
    pub fn starts(&self) -> Instant {
        dom::from_store(&self.starts_at).unwrap_or(Instant::UNIX_EPOCH)
    }
    pub fn ends(&self) -> Instant {
        dom::from_store(&self.ends_at).unwrap_or(Instant::UNIX_EPOCH)
    }
    pub fn mode(&self) -> SessionMode {
        SessionMode::parse(&self.mode).unwrap_or(SessionMode::InPerson)
    }
    pub fn status(&self) -> SessionStatus {
        SessionStatus::parse(&self.status).unwrap_or(SessionStatus::Planned)
    }
    /// The heading people see: the session's own title, else the module's.
    pub fn name(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.module_title
        } else {
            &self.title
        }
    }
    /// "Venue, room", or "Microsoft Teams".
    pub fn place(&self) -> String {
        match self.mode() {
            SessionMode::Teams => "Microsoft Teams".into(),
            SessionMode::InPerson => {
                let mut p = self.venue.trim().to_string();
                if !self.room.trim().is_empty() {
                    if !p.is_empty() {
                        p.push_str(", ");
                    }
                    p.push_str(self.room.trim());
                }
                p
            }
        }
    }
    pub fn when(&self) -> String {
        dom::display_london_span(self.starts(), self.ends())
    }
    pub fn minutes(&self) -> i64 {
        dom::duration_minutes(self.starts(), self.ends())
    }
    pub fn is_upcoming(&self) -> bool {
        self.ends_at.as_str() >= now_text().as_str()
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "module": self.module_code, "version": self.module_version, "title": self.title,
            "starts_at": self.starts_at, "ends_at": self.ends_at, "mode": self.mode,
            "venue": self.venue, "room": self.room, "join_url": self.join_url,
            "capacity": self.capacity, "status": self.status, "sequence": self.ics_sequence,
        })
    }
}

const SELECT_SESSION: &str = "SELECT s.id, s.series_id, ser.name AS series_name, s.module_id, m.code AS module_code,
        m.title AS module_title, s.module_version, s.title, s.starts_at, s.ends_at, s.mode, s.venue, s.room,
        s.join_url, s.capacity, s.status, s.cancel_reason, s.ics_uid, s.ics_sequence, s.created_by,
        s.created_at, s.updated_at,
        CAST((SELECT COUNT(*) FROM session_enrolments e WHERE e.session_id = s.id AND e.status = 'enrolled') AS BIGINT) AS enrolled_count,
        CAST((SELECT COUNT(*) FROM session_enrolments e WHERE e.session_id = s.id AND e.status = 'waitlisted') AS BIGINT) AS waitlist_count
    FROM training_sessions s JOIN modules m ON m.id = s.module_id
    LEFT JOIN session_series ser ON ser.id = s.series_id";

pub async fn get(store: &Store, id: i64) -> Result<Option<Session>> {
    let mut conn = store.pool().acquire().await?;
    get_on(&mut conn, id).await
}

pub(crate) async fn get_on(conn: &mut AnyConnection, id: i64) -> Result<Option<Session>> {
    Ok(
        sqlx::query_as::<_, Session>(&format!("{SELECT_SESSION} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Filters for the session list; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub module_id: Option<i64>,
    pub series_id: Option<i64>,
    pub status: Option<String>,
    /// `Some(true)`: only sessions not yet ended; `Some(false)`: only past ones.
    pub upcoming: Option<bool>,
}

/// Sessions, upcoming ones soonest first and past ones latest first.
pub async fn list(store: &Store, f: &SessionFilter) -> Result<Vec<Session>> {
    let mut sql = format!("{SELECT_SESSION} WHERE 1 = 1");
    let mut ints: Vec<i64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    // Binds in order: ints first, then texts, numbered as they are pushed.
    let mut order: Vec<bool> = Vec::new();
    if let Some(m) = f.module_id {
        sql.push_str(&format!(" AND s.module_id = ${}", next()));
        ints.push(m);
        order.push(true);
    }
    if let Some(s) = f.series_id {
        sql.push_str(&format!(" AND s.series_id = ${}", next()));
        ints.push(s);
        order.push(true);
    }
    if let Some(st) = f.status.as_deref().filter(|s| !s.is_empty()) {
        sql.push_str(&format!(" AND s.status = ${}", next()));
        texts.push(st.to_string());
        order.push(false);
    }
    match f.upcoming {
        Some(true) => {
            sql.push_str(&format!(
                " AND s.ends_at >= ${} ORDER BY s.starts_at, s.id",
                next()
            ));
            texts.push(now_text());
            order.push(false);
        }
        Some(false) => {
            sql.push_str(&format!(
                " AND s.ends_at < ${} ORDER BY s.starts_at DESC, s.id DESC",
                next()
            ));
            texts.push(now_text());
            order.push(false);
        }
        None => sql.push_str(" ORDER BY s.starts_at DESC, s.id DESC"),
    }
    let mut q = sqlx::query_as::<_, Session>(&sql);
    let (mut i, mut t) = (ints.into_iter(), texts.into_iter());
    for is_int in order {
        if is_int {
            q = q.bind(i.next());
        } else {
            q = q.bind(t.next());
        }
    }
    Ok(q.fetch_all(store.pool()).await?)
}

/// A new session. Trainers are usernames or staff numbers; the first is the lead.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub series_id: Option<i64>,
    pub module_id: i64,
    pub title: String,
    pub starts_at: Instant,
    pub ends_at: Instant,
    pub mode: SessionMode,
    pub venue: String,
    pub room: String,
    pub join_url: String,
    pub capacity: i64,
    pub trainers: Vec<String>,
    /// `(kind, value)`: kind `cohort`, `department`, `role_profile` or `person`.
    pub audience: Vec<(String, String)>,
    /// `Planned` or `Open` (default open).
    pub status: SessionStatus,
}

/// A person who can train, resolved from a username (through their account) or staff number.
pub(crate) async fn resolve_trainer(
    conn: &mut AnyConnection,
    raw: &str,
) -> Result<Option<(i64, String)>> {
    let raw = raw.trim();
    let by_user: Option<(i64, String)> = sqlx::query_as(
        "SELECT p.id, p.name FROM users u JOIN people p ON p.id = u.person_id WHERE LOWER(u.username) = LOWER($1)",
    )
    .bind(raw)
    .fetch_optional(&mut *conn)
    .await?;
    if by_user.is_some() {
        return Ok(by_user);
    }
    Ok(
        sqlx::query_as("SELECT id, name FROM people WHERE UPPER(staff_number) = UPPER($1)")
            .bind(raw)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

async fn set_trainers(
    conn: &mut AnyConnection,
    session_id: i64,
    trainers: &[String],
) -> std::result::Result<Vec<String>, SessionError> {
    let mut seen = Vec::new();
    let mut names = Vec::new();
    for (i, t) in trainers.iter().filter(|t| !t.trim().is_empty()).enumerate() {
        let Some((pid, name)) = resolve_trainer(conn, t).await? else {
            return Err(invalid(
                "trainers",
                format!(
                    "Trainer \"{}\" is neither a user name with a directory record nor a staff number",
                    t.trim()
                ),
            ));
        };
        if seen.contains(&pid) {
            continue;
        }
        seen.push(pid);
        names.push(name);
        sqlx::query(
            "INSERT INTO session_trainers (session_id, person_id, lead) VALUES ($1, $2, $3)",
        )
        .bind(session_id)
        .bind(pid)
        .bind(i64::from(i == 0))
        .execute(&mut *conn)
        .await?;
    }
    Ok(names)
}

async fn set_audience(
    conn: &mut AnyConnection,
    session_id: i64,
    audience: &[(String, String)],
) -> std::result::Result<(), SessionError> {
    sqlx::query("DELETE FROM session_audience WHERE session_id = $1")
        .bind(session_id)
        .execute(&mut *conn)
        .await?;
    let mut seen = Vec::new();
    for (kind, value) in audience {
        let kind = kind.trim();
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if !["cohort", "department", "role_profile", "person"].contains(&kind) {
            return Err(invalid(
                "audience",
                format!("\"{kind}\" is not an audience kind; use cohort, department, role_profile or person"),
            ));
        }
        if seen.contains(&(kind, value)) {
            continue;
        }
        seen.push((kind, value));
        sqlx::query("INSERT INTO session_audience (session_id, kind, value) VALUES ($1, $2, $3)")
            .bind(session_id)
            .bind(kind)
            .bind(value)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn check(n: &NewSession, enrolled: i64) -> std::result::Result<(), SessionError> {
    let errs = dom::validate(&SessionCheck {
        starts: n.starts_at,
        ends: n.ends_at,
        mode: n.mode,
        venue: &n.venue,
        join_url: &n.join_url,
        capacity: n.capacity,
        enrolled,
    });
    if errs.is_empty() {
        Ok(())
    } else {
        Err(SessionError::Invalid(errs))
    }
}

/// Schedules a session; returns it as stored.
pub async fn create(
    store: &Store,
    actor: &Actor,
    n: &NewSession,
) -> std::result::Result<Session, SessionError> {
    check(n, 0)?;
    let mut tx = store.begin().await?;
    let module: Option<(String, String)> =
        sqlx::query_as("SELECT code, version FROM modules WHERE id = $1")
            .bind(n.module_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((code, version)) = module else {
        return Err(invalid(
            "module_id",
            format!(
                "There is no module with id {} in the catalogue",
                n.module_id
            ),
        ));
    };
    if let Some(sid) = n.series_id {
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM session_series WHERE id = $1")
            .bind(sid)
            .fetch_optional(&mut *tx)
            .await?;
        if ok.is_none() {
            return Err(invalid(
                "series_id",
                format!("There is no series with id {sid}"),
            ));
        }
    }
    let now = now_text();
    let uid = format!("session-{:032x}@mashboard", rand::random::<u128>());
    let status = match n.status {
        SessionStatus::Planned => "planned",
        _ => "open",
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO training_sessions (series_id, module_id, module_version, title, starts_at, ends_at, mode, venue, room,
            join_url, capacity, status, ics_uid, ics_sequence, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15, $15) RETURNING id",
    )
    .bind(n.series_id)
    .bind(n.module_id)
    .bind(&version)
    .bind(n.title.trim())
    .bind(dom::store_text(n.starts_at))
    .bind(dom::store_text(n.ends_at))
    .bind(n.mode.as_str())
    .bind(n.venue.trim())
    .bind(n.room.trim())
    .bind(n.join_url.trim())
    .bind(n.capacity)
    .bind(status)
    .bind(&uid)
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    let trainers = set_trainers(&mut tx, id, &n.trainers).await?;
    set_audience(&mut tx, id, &n.audience).await?;
    let s = get_on(&mut tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("session vanished".into()))?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "session.create",
            format!("Scheduled {code} v{version} for {}", s.when()),
        )
        .on("session", id.to_string())
        .after(&serde_json::json!({"session": s.snapshot(), "trainers": trainers, "audience": n.audience})),
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// A change to a session: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct SessionPatch {
    pub title: Option<String>,
    pub starts_at: Option<Instant>,
    pub ends_at: Option<Instant>,
    pub mode: Option<SessionMode>,
    pub venue: Option<String>,
    pub room: Option<String>,
    pub join_url: Option<String>,
    pub capacity: Option<i64>,
    pub series_id: Option<Option<i64>>,
    /// Replaces the trainers when given.
    pub trainers: Option<Vec<String>>,
    /// Replaces the audience when given.
    pub audience: Option<Vec<(String, String)>>,
}

/// What a change did.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub session: Session,
    /// Time or place changed, so the SEQUENCE rose and updates were queued.
    pub rescheduled: bool,
    /// Staff numbers moved from the waitlist to a place because capacity grew.
    pub promoted: Vec<String>,
    pub emails_queued: usize,
    pub without_email: usize,
}

/// Takes the session's row lock (PostgreSQL) or the write lock (SQLite) before reading counts,
/// so two bookings never take the same last place.
pub(crate) async fn lock(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let n = sqlx::query("UPDATE training_sessions SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Changes time, place, capacity, title, trainers or audience. A change of time or place raises
/// the SEQUENCE and queues an update to everyone enrolled; more capacity promotes from the
/// waitlist in order.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: i64,
    p: &SessionPatch,
) -> std::result::Result<Changed, SessionError> {
    let mut tx = store.begin().await?;
    if !lock(&mut tx, id).await? {
        return Err(SessionError::NotFound(format!("There is no session {id}")));
    }
    let before = get_on(&mut tx, id)
        .await?
        .ok_or_else(|| SessionError::NotFound(format!("There is no session {id}")))?;
    if !before.status().takes_bookings() {
        return Err(SessionError::Conflict(format!(
            "This session is {}; it can no longer be changed",
            before.status().label().to_lowercase()
        )));
    }
    let n = NewSession {
        series_id: p.series_id.unwrap_or(before.series_id),
        module_id: before.module_id,
        title: p.title.clone().unwrap_or_else(|| before.title.clone()),
        starts_at: p.starts_at.unwrap_or(before.starts()),
        ends_at: p.ends_at.unwrap_or(before.ends()),
        mode: p.mode.unwrap_or(before.mode()),
        venue: p.venue.clone().unwrap_or_else(|| before.venue.clone()),
        room: p.room.clone().unwrap_or_else(|| before.room.clone()),
        join_url: p
            .join_url
            .clone()
            .unwrap_or_else(|| before.join_url.clone()),
        capacity: p.capacity.unwrap_or(before.capacity),
        trainers: Vec::new(),
        audience: Vec::new(),
        status: before.status(),
    };
    check(&n, before.enrolled_count)?;
    let starts = dom::store_text(n.starts_at);
    let ends = dom::store_text(n.ends_at);
    let rescheduled = starts != before.starts_at
        || ends != before.ends_at
        || n.mode.as_str() != before.mode
        || n.venue.trim() != before.venue
        || n.room.trim() != before.room
        || n.join_url.trim() != before.join_url;
    let sequence = before.ics_sequence + i64::from(rescheduled);
    let status = before
        .status()
        .with_places(n.capacity, before.enrolled_count);
    sqlx::query(
        "UPDATE training_sessions SET series_id = $1, title = $2, starts_at = $3, ends_at = $4, mode = $5, venue = $6,
            room = $7, join_url = $8, capacity = $9, status = $10, ics_sequence = $11, updated_at = $12
         WHERE id = $13",
    )
    .bind(n.series_id)
    .bind(n.title.trim())
    .bind(&starts)
    .bind(&ends)
    .bind(n.mode.as_str())
    .bind(n.venue.trim())
    .bind(n.room.trim())
    .bind(n.join_url.trim())
    .bind(n.capacity)
    .bind(status.as_str())
    .bind(sequence)
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if let Some(t) = &p.trainers {
        sqlx::query("DELETE FROM session_trainers WHERE session_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        set_trainers(&mut tx, id, t).await?;
    }
    if let Some(a) = &p.audience {
        set_audience(&mut tx, id, a).await?;
    }
    let mut queued = 0;
    let mut without = 0;
    if rescheduled {
        let people = enrolment::enrolled_people(&mut tx, id).await?;
        let s = get_on(&mut tx, id).await?.expect("locked row exists");
        let r = outbox::queue(&mut tx, &s, MailKind::Update, &people).await?;
        queued += r.queued;
        without += r.without_email;
    }
    let promoted = enrolment::promote(&mut tx, actor, id).await?;
    queued += promoted.1.queued;
    without += promoted.1.without_email;
    let after = get_on(&mut tx, id).await?.expect("locked row exists");
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "session.update",
            if rescheduled {
                format!("Changed session {id} ({}); updates queued", after.when())
            } else {
                format!("Changed session {id}")
            },
        )
        .on("session", id.to_string())
        .before(&before.snapshot())
        .after(&serde_json::json!({"session": after.snapshot(), "promoted": promoted.0})),
    )
    .await?;
    tx.commit().await?;
    Ok(Changed {
        session: after,
        rescheduled,
        promoted: promoted.0,
        emails_queued: queued,
        without_email: without,
    })
}

/// Cancels a session with a reason: the SEQUENCE rises and everyone enrolled is sent the
/// cancellation.
pub async fn cancel(
    store: &Store,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> std::result::Result<Changed, SessionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(invalid("reason", "Enter why the session is cancelled"));
    }
    let mut tx = store.begin().await?;
    if !lock(&mut tx, id).await? {
        return Err(SessionError::NotFound(format!("There is no session {id}")));
    }
    let before = get_on(&mut tx, id).await?.expect("locked row exists");
    match before.status() {
        SessionStatus::Cancelled => {
            return Err(SessionError::Conflict(
                "This session is already cancelled".into(),
            ))
        }
        SessionStatus::Delivered => {
            return Err(SessionError::Conflict(
                "This session has been delivered; it cannot be cancelled".into(),
            ))
        }
        _ => {}
    }
    sqlx::query(
        "UPDATE training_sessions SET status = 'cancelled', cancel_reason = $1, ics_sequence = ics_sequence + 1, updated_at = $2 WHERE id = $3",
    )
    .bind(reason)
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let s = get_on(&mut tx, id).await?.expect("locked row exists");
    let people = enrolment::enrolled_people(&mut tx, id).await?;
    let r = outbox::queue(&mut tx, &s, MailKind::Cancellation, &people).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "session.cancel",
            format!("Cancelled session {id}: {reason}"),
        )
        .on("session", id.to_string())
        .before(&before.snapshot())
        .after(&s.snapshot()),
    )
    .await?;
    tx.commit().await?;
    Ok(Changed {
        session: s,
        rescheduled: false,
        promoted: Vec::new(),
        emails_queued: r.queued,
        without_email: r.without_email,
    })
}

/// Marks a session delivered (it must have started).
pub async fn mark_delivered(
    store: &Store,
    actor: &Actor,
    id: i64,
) -> std::result::Result<Session, SessionError> {
    let mut tx = store.begin().await?;
    if !lock(&mut tx, id).await? {
        return Err(SessionError::NotFound(format!("There is no session {id}")));
    }
    let before = get_on(&mut tx, id).await?.expect("locked row exists");
    if before.status() == SessionStatus::Cancelled {
        return Err(SessionError::Conflict(
            "A cancelled session cannot be marked delivered".into(),
        ));
    }
    if before.status() == SessionStatus::Delivered {
        return Err(SessionError::Conflict(
            "This session is already marked delivered".into(),
        ));
    }
    if before.starts_at.as_str() > now_text().as_str() {
        return Err(SessionError::Conflict(
            "This session has not started yet; mark it delivered once it has taken place".into(),
        ));
    }
    sqlx::query("UPDATE training_sessions SET status = 'delivered', updated_at = $1 WHERE id = $2")
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("session.deliver", format!("Marked session {id} delivered"))
            .on("session", id.to_string())
            .before(&serde_json::json!({"status": before.status}))
            .after(&serde_json::json!({"status": "delivered"})),
    )
    .await?;
    let s = get_on(&mut tx, id).await?.expect("locked row exists");
    tx.commit().await?;
    Ok(s)
}

/// A trainer of a session.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Trainer {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub email: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub lead: bool,
}

pub async fn trainers(store: &Store, session_id: i64) -> Result<Vec<Trainer>> {
    let mut conn = store.pool().acquire().await?;
    trainers_on(&mut conn, session_id).await
}

pub(crate) async fn trainers_on(conn: &mut AnyConnection, session_id: i64) -> Result<Vec<Trainer>> {
    Ok(sqlx::query_as::<_, Trainer>(
        "SELECT p.id AS person_id, p.staff_number, p.name, p.email, t.lead FROM session_trainers t
         JOIN people p ON p.id = t.person_id WHERE t.session_id = $1 ORDER BY t.lead DESC, p.name",
    )
    .bind(session_id)
    .fetch_all(conn)
    .await?)
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AudienceRow {
    pub kind: String,
    pub value: String,
}

pub async fn audience(store: &Store, session_id: i64) -> Result<Vec<AudienceRow>> {
    Ok(sqlx::query_as::<_, AudienceRow>(
        "SELECT kind, value FROM session_audience WHERE session_id = $1 ORDER BY kind, value",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

/// A person's attendance at a session (filled in by the register and Teams reports).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttendanceRow {
    pub staff_number: String,
    pub name: String,
    pub status: Option<String>,
    pub minutes: Option<i64>,
}

pub async fn attendance(store: &Store, session_id: i64) -> Result<Vec<AttendanceRow>> {
    Ok(sqlx::query_as::<_, AttendanceRow>(
        "SELECT p.staff_number, p.name, a.status, a.minutes FROM session_attendance a
         JOIN people p ON p.id = a.person_id WHERE a.session_id = $1 ORDER BY p.staff_number",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

/// One trainer's delivery in one London calendar year.
#[derive(Debug, Clone, Serialize)]
pub struct TrainerHours {
    pub staff_number: String,
    pub name: String,
    pub year: i32,
    pub sessions: i64,
    pub lead_sessions: i64,
    pub minutes: i64,
}

impl TrainerHours {
    pub fn hours(&self) -> String {
        format!("{}h {:02}m", self.minutes / 60, self.minutes % 60)
    }
}

/// Delivery hours per trainer and year: the sum of the lengths of delivered sessions.
pub async fn trainer_hours(store: &Store) -> Result<Vec<TrainerHours>> {
    let rows: Vec<(String, String, i64, String, String)> = sqlx::query_as(
        "SELECT p.staff_number, p.name, t.lead, s.starts_at, s.ends_at FROM session_trainers t
         JOIN people p ON p.id = t.person_id JOIN training_sessions s ON s.id = t.session_id
         WHERE s.status = 'delivered'",
    )
    .fetch_all(store.pool())
    .await?;
    let mut acc: BTreeMap<(String, i32), TrainerHours> = BTreeMap::new();
    for (sn, name, lead, starts, ends) in rows {
        let (Some(s), Some(e)) = (dom::from_store(&starts), dom::from_store(&ends)) else {
            continue;
        };
        let year = dom::london_year(s);
        let h = acc
            .entry((sn.clone(), year))
            .or_insert_with(|| TrainerHours {
                staff_number: sn,
                name,
                year,
                sessions: 0,
                lead_sessions: 0,
                minutes: 0,
            });
        h.sessions += 1;
        h.lead_sessions += i64::from(lead != 0);
        h.minutes += dom::duration_minutes(s, e);
    }
    let mut out: Vec<TrainerHours> = acc.into_values().collect();
    out.sort_by(|a, b| b.year.cmp(&a.year).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// A programme of sessions.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Series {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub module_id: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    pub sessions: i64,
    pub delivered: i64,
}

const SELECT_SERIES: &str = "SELECT ser.id, ser.name, ser.description, ser.module_id, ser.created_by, ser.created_at,
    CAST((SELECT COUNT(*) FROM training_sessions s WHERE s.series_id = ser.id AND s.status <> 'cancelled') AS BIGINT) AS sessions,
    CAST((SELECT COUNT(*) FROM training_sessions s WHERE s.series_id = ser.id AND s.status = 'delivered') AS BIGINT) AS delivered
    FROM session_series ser";

pub async fn all_series(store: &Store) -> Result<Vec<Series>> {
    Ok(
        sqlx::query_as::<_, Series>(&format!("{SELECT_SERIES} ORDER BY ser.name"))
            .fetch_all(store.pool())
            .await?,
    )
}

pub async fn series(store: &Store, id: i64) -> Result<Option<Series>> {
    Ok(
        sqlx::query_as::<_, Series>(&format!("{SELECT_SERIES} WHERE ser.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Creates a series; the name must be new.
pub async fn create_series(
    store: &Store,
    actor: &Actor,
    name: &str,
    description: &str,
    module_id: Option<i64>,
) -> std::result::Result<i64, SessionError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "Enter a name for the series"));
    }
    let mut tx = store.begin().await?;
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM session_series WHERE LOWER(name) = LOWER($1)")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Err(invalid(
            "name",
            format!("There is already a series called \"{name}\""),
        ));
    }
    if let Some(m) = module_id {
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM modules WHERE id = $1")
            .bind(m)
            .fetch_optional(&mut *tx)
            .await?;
        if ok.is_none() {
            return Err(invalid(
                "module_id",
                format!("There is no module with id {m}"),
            ));
        }
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO session_series (name, description, module_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(description.trim())
    .bind(module_id)
    .bind(&actor.name)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("series.create", format!("Created series \"{name}\""))
            .on("series", id.to_string())
            .after(&serde_json::json!({"name": name, "description": description.trim(), "module_id": module_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames or re-describes a series.
pub async fn update_series(
    store: &Store,
    actor: &Actor,
    id: i64,
    name: &str,
    description: &str,
) -> std::result::Result<(), SessionError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "Enter a name for the series"));
    }
    let Some(before) = series(store, id).await? else {
        return Err(SessionError::NotFound(format!("There is no series {id}")));
    };
    let mut tx = store.begin().await?;
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM session_series WHERE LOWER(name) = LOWER($1) AND id <> $2",
    )
    .bind(name)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        return Err(invalid(
            "name",
            format!("There is already a series called \"{name}\""),
        ));
    }
    sqlx::query("UPDATE session_series SET name = $1, description = $2 WHERE id = $3")
        .bind(name)
        .bind(description.trim())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("series.update", format!("Changed series \"{name}\""))
            .on("series", id.to_string())
            .before(&serde_json::json!({"name": before.name, "description": before.description}))
            .after(&serde_json::json!({"name": name, "description": description.trim()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A series' progress in one department.
#[derive(Debug, Clone, Serialize, Default)]
pub struct DepartmentProgress {
    pub department: String,
    pub enrolled: i64,
    pub attended: i64,
}

/// A series' progress.
#[derive(Debug, Clone, Serialize, Default)]
pub struct SeriesProgress {
    pub sessions: i64,
    pub delivered: i64,
    pub planned: i64,
    pub cancelled: i64,
    pub enrolled: i64,
    pub attended: i64,
    pub by_department: Vec<DepartmentProgress>,
}

/// Sessions delivered and still planned, people enrolled and attended, per department.
/// Attendance is read from the register (`session_attendance`), status `attended` or
/// `partly_attended` counting as attended.
pub async fn series_progress(store: &Store, id: i64) -> Result<SeriesProgress> {
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, CAST(COUNT(*) AS BIGINT) FROM training_sessions WHERE series_id = $1 GROUP BY status",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    let mut p = SeriesProgress::default();
    for (status, n) in counts {
        match status.as_str() {
            "delivered" => p.delivered += n,
            "cancelled" => p.cancelled += n,
            _ => p.planned += n,
        }
        if status != "cancelled" {
            p.sessions += n;
        }
    }
    let rows: Vec<(Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT p.department,
            CAST(SUM(CASE WHEN e.status = 'enrolled' THEN 1 ELSE 0 END) AS BIGINT),
            CAST(SUM(CASE WHEN a.status IN ('attended', 'partly_attended') THEN 1 ELSE 0 END) AS BIGINT)
         FROM training_sessions s
         JOIN session_enrolments e ON e.session_id = s.id
         JOIN people p ON p.id = e.person_id
         LEFT JOIN session_attendance a ON a.session_id = s.id AND a.person_id = e.person_id
         WHERE s.series_id = $1 AND s.status <> 'cancelled'
         GROUP BY p.department ORDER BY p.department",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    for (dept, enrolled, attended) in rows {
        p.enrolled += enrolled;
        p.attended += attended;
        p.by_department.push(DepartmentProgress {
            department: dept.unwrap_or_else(|| "(no department)".into()),
            enrolled,
            attended,
        });
    }
    Ok(p)
}
