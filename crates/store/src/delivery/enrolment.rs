//! Enrolment: book people on a session (by staff number, cohort, department or role profile)
//! into a place or onto the waitlist, withdraw them (the first on the waitlist then takes the
//! place), and the bookings a person or a line manager's team holds. Each change is audited and
//! its e-mails queued in the same transaction.

use super::outbox::{self, MailKind, Queued, Recipient};
use super::sessions::{get_on, lock, Session, SessionError};
use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::sessions::{self as dom, Placement, Waiting};
use serde::Serialize;
use sqlx::AnyConnection;

/// Who to book.
#[derive(Debug, Clone)]
pub enum Target {
    StaffNumbers(Vec<String>),
    Cohort(String),
    Department(String),
    /// People with an open assignment of this role profile (by code).
    RoleProfile(String),
    /// Directory ids (for seeding and internal callers).
    People(Vec<i64>),
}

impl Target {
    pub fn describe(&self) -> String {
        match self {
            Target::StaffNumbers(v) => format!("{} staff number(s)", v.len()),
            Target::Cohort(c) => format!("cohort {c}"),
            Target::Department(d) => format!("department {d}"),
            Target::RoleProfile(r) => format!("role profile {r}"),
            Target::People(v) => format!("{} people", v.len()),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    pub staff_number: String,
    pub reason: String,
}

/// What a booking did: staff numbers enrolled, waitlisted and skipped with a reason.
#[derive(Debug, Clone, Serialize, Default)]
pub struct EnrolReport {
    pub enrolled: Vec<String>,
    pub waitlisted: Vec<String>,
    pub skipped: Vec<Skipped>,
    pub emails_queued: usize,
    pub without_email: usize,
}

impl EnrolReport {
    /// True when every skip is because the person is already booked (and nothing else happened).
    pub fn only_duplicates(&self) -> bool {
        self.enrolled.is_empty()
            && self.waitlisted.is_empty()
            && !self.skipped.is_empty()
            && self.skipped.iter().all(|s| s.reason.starts_with("already"))
    }
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} enrolled, {} on the waitlist, {} skipped",
            self.enrolled.len(),
            self.waitlisted.len(),
            self.skipped.len()
        );
        if self.without_email > 0 {
            s.push_str(&format!(
                "; {} without an e-mail address were not sent an invitation",
                self.without_email
            ));
        }
        s
    }
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    staff_number: String,
    name: String,
    email: Option<String>,
    active: i64,
    left_on: Option<String>,
    line_manager_id: Option<i64>,
}

const CANDIDATE: &str =
    "SELECT id, staff_number, name, email, active, left_on, line_manager_id FROM people";

/// Books people on a session. `manager`: when `Some(person_id)`, only that line manager's direct
/// reports may be booked; anyone else is skipped.
pub async fn enrol_target(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    target: &Target,
    manager: Option<i64>,
) -> std::result::Result<EnrolReport, SessionError> {
    let mut tx = store.begin().await?;
    if !lock(&mut tx, session_id).await? {
        return Err(SessionError::NotFound(format!(
            "There is no session {session_id}"
        )));
    }
    let s = get_on(&mut tx, session_id)
        .await?
        .expect("locked row exists");
    if !s.status().takes_bookings() {
        return Err(SessionError::Conflict(format!(
            "This session is {}; nobody can be booked on it",
            s.status().label().to_lowercase()
        )));
    }
    let mut report = EnrolReport::default();
    // Resolve the target to candidates, in a stable order.
    let mut cands: Vec<Candidate> = Vec::new();
    match target {
        Target::StaffNumbers(list) => {
            let mut seen: Vec<String> = Vec::new();
            for raw in list {
                let sn = raw.trim();
                if sn.is_empty() {
                    continue;
                }
                if seen.iter().any(|x| x.eq_ignore_ascii_case(sn)) {
                    report.skipped.push(Skipped {
                        staff_number: sn.into(),
                        reason: "already listed earlier in this request".into(),
                    });
                    continue;
                }
                seen.push(sn.to_string());
                let c: Option<Candidate> = sqlx::query_as(&format!(
                    "{CANDIDATE} WHERE UPPER(staff_number) = UPPER($1)"
                ))
                .bind(sn)
                .fetch_optional(&mut *tx)
                .await?;
                match c {
                    Some(c) => cands.push(c),
                    None => report.skipped.push(Skipped {
                        staff_number: sn.into(),
                        reason: "no one in the directory has this staff number".into(),
                    }),
                }
            }
            if cands.is_empty() && report.skipped.is_empty() {
                return Err(super::sessions::invalid(
                    "staff_numbers",
                    "Give at least one staff number",
                ));
            }
        }
        Target::People(ids) => {
            for id in ids {
                let c: Option<Candidate> = sqlx::query_as(&format!("{CANDIDATE} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(c) = c {
                    cands.push(c);
                }
            }
        }
        Target::Cohort(v) | Target::Department(v) => {
            let col = if matches!(target, Target::Cohort(_)) {
                "cohort"
            } else {
                "department"
            };
            if v.trim().is_empty() {
                return Err(super::sessions::invalid(col, format!("Choose a {col}")));
            }
            cands = sqlx::query_as(&format!(
                "{CANDIDATE} WHERE LOWER({col}) = LOWER($1) ORDER BY name, staff_number"
            ))
            .bind(v.trim())
            .fetch_all(&mut *tx)
            .await?;
            if cands.is_empty() {
                return Err(super::sessions::invalid(
                    col,
                    format!("Nobody in the directory is in the {col} \"{}\"", v.trim()),
                ));
            }
        }
        Target::RoleProfile(code) => {
            let today = &now_text()[..10];
            cands = sqlx::query_as(&format!(
                "{CANDIDATE} WHERE id IN (SELECT a.person_id FROM assignments a JOIN role_profiles r ON r.id = a.profile_id
                    WHERE LOWER(r.code) = LOWER($1) AND (a.ended_on IS NULL OR a.ended_on >= $2))
                 ORDER BY name, staff_number"
            ))
            .bind(code.trim())
            .bind(today)
            .fetch_all(&mut *tx)
            .await?;
            if cands.is_empty() {
                return Err(super::sessions::invalid(
                    "role_profile",
                    format!(
                        "Nobody has an open assignment of the role profile \"{}\"",
                        code.trim()
                    ),
                ));
            }
        }
    }
    let mut enrolled_now = s.enrolled_count;
    let mut next_pos = next_position(&mut tx, session_id).await?;
    let mut invite: Vec<Recipient> = Vec::new();
    let now = now_text();
    for c in cands {
        if let Some(m) = manager {
            if c.line_manager_id != Some(m) {
                report.skipped.push(Skipped {
                    staff_number: c.staff_number,
                    reason: "not one of your direct reports".into(),
                });
                continue;
            }
        }
        if c.active == 0 || c.left_on.is_some() {
            report.skipped.push(Skipped {
                staff_number: c.staff_number,
                reason: "has left the force or is inactive".into(),
            });
            continue;
        }
        let existing: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, status FROM session_enrolments WHERE session_id = $1 AND person_id = $2",
        )
        .bind(session_id)
        .bind(c.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((_, st)) = &existing {
            if st == "enrolled" || st == "waitlisted" {
                report.skipped.push(Skipped {
                    staff_number: c.staff_number,
                    reason: if st == "enrolled" {
                        "already enrolled on this session".into()
                    } else {
                        "already on the waitlist of this session".into()
                    },
                });
                continue;
            }
        }
        let placement = dom::place(s.capacity, enrolled_now);
        let status = match placement {
            Placement::Enrolled => "enrolled",
            Placement::Waitlisted => "waitlisted",
        };
        let position = next_pos;
        next_pos += 1;
        match existing {
            Some((eid, _)) => {
                sqlx::query(
                    "UPDATE session_enrolments SET status = $1, position = $2, booked_by = $3, updated_at = $4, withdrawn_at = NULL WHERE id = $5",
                )
                .bind(status)
                .bind(position)
                .bind(&actor.name)
                .bind(&now)
                .bind(eid)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO session_enrolments (session_id, person_id, status, position, booked_by, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(session_id)
                .bind(c.id)
                .bind(status)
                .bind(position)
                .bind(&actor.name)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            }
        }
        match placement {
            Placement::Enrolled => {
                enrolled_now += 1;
                report.enrolled.push(c.staff_number.clone());
                invite.push(Recipient {
                    person_id: c.id,
                    name: c.name,
                    email: c.email,
                });
            }
            Placement::Waitlisted => report.waitlisted.push(c.staff_number.clone()),
        }
    }
    set_status(&mut tx, &s, enrolled_now).await?;
    let s = get_on(&mut tx, session_id)
        .await?
        .expect("locked row exists");
    let q = outbox::queue(&mut tx, &s, MailKind::Invitation, &invite).await?;
    report.emails_queued = q.queued;
    report.without_email = q.without_email;
    if !report.enrolled.is_empty() || !report.waitlisted.is_empty() {
        audit_trail::record_on(
            &mut tx,
            actor,
            Event::new(
                "session.enrol",
                format!(
                    "Booked {} on session {session_id}: {}",
                    target.describe(),
                    report.summary()
                ),
            )
            .on("session", session_id.to_string())
            .after(&serde_json::json!({
                "enrolled": report.enrolled, "waitlisted": report.waitlisted, "skipped": report.skipped,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Books people by directory id (for seeding and internal callers).
pub async fn enrol(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    people: &[i64],
) -> std::result::Result<EnrolReport, SessionError> {
    enrol_target(
        store,
        actor,
        session_id,
        &Target::People(people.to_vec()),
        None,
    )
    .await
}

async fn next_position(conn: &mut AnyConnection, session_id: i64) -> Result<i64> {
    let max: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(MAX(position) AS BIGINT) FROM session_enrolments WHERE session_id = $1",
    )
    .bind(session_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(max.unwrap_or(0) + 1)
}

async fn set_status(conn: &mut AnyConnection, s: &Session, enrolled: i64) -> Result<()> {
    let status = s.status().with_places(s.capacity, enrolled);
    if status.as_str() != s.status {
        sqlx::query("UPDATE training_sessions SET status = $1 WHERE id = $2")
            .bind(status.as_str())
            .bind(s.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Everyone holding a place, for the updates and cancellations.
pub(crate) async fn enrolled_people(
    conn: &mut AnyConnection,
    session_id: i64,
) -> Result<Vec<Recipient>> {
    let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT p.id, p.name, p.email FROM session_enrolments e JOIN people p ON p.id = e.person_id
         WHERE e.session_id = $1 AND e.status = 'enrolled' ORDER BY p.name, p.id",
    )
    .bind(session_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(person_id, name, email)| Recipient {
            person_id,
            name,
            email,
        })
        .collect())
}

/// Moves people from the waitlist into free places in order; queues their invitations. Returns
/// the staff numbers promoted. Runs inside the caller's transaction (the session locked).
pub(crate) async fn promote(
    conn: &mut AnyConnection,
    actor: &Actor,
    session_id: i64,
) -> Result<(Vec<String>, Queued)> {
    let s = get_on(conn, session_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("session vanished".into()))?;
    if !s.status().takes_bookings() {
        return Ok((Vec::new(), Queued::default()));
    }
    let waiting: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, position FROM session_enrolments WHERE session_id = $1 AND status = 'waitlisted'",
    )
    .bind(session_id)
    .fetch_all(&mut *conn)
    .await?;
    let w: Vec<Waiting> = waiting
        .into_iter()
        .map(|(id, position)| Waiting {
            position,
            enrolment_id: id,
        })
        .collect();
    let ids = dom::promotions(s.capacity, s.enrolled_count, &w);
    let mut promoted = Vec::new();
    let mut recips = Vec::new();
    let now = now_text();
    for id in &ids {
        sqlx::query(
            "UPDATE session_enrolments SET status = 'enrolled', updated_at = $1 WHERE id = $2",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
        let (pid, sn, name, email): (i64, String, String, Option<String>) = sqlx::query_as(
            "SELECT p.id, p.staff_number, p.name, p.email FROM session_enrolments e JOIN people p ON p.id = e.person_id WHERE e.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        promoted.push(sn);
        recips.push(Recipient {
            person_id: pid,
            name,
            email,
        });
    }
    set_status(conn, &s, s.enrolled_count + ids.len() as i64).await?;
    let s = get_on(conn, session_id).await?.expect("session exists");
    let q = outbox::queue(conn, &s, MailKind::Invitation, &recips).await?;
    if !promoted.is_empty() {
        audit_trail::record_on(
            conn,
            actor,
            Event::new(
                "session.promote",
                format!(
                    "Moved {} from the waitlist to a place on session {session_id}",
                    promoted.len()
                ),
            )
            .on("session", session_id.to_string())
            .after(&serde_json::json!({"promoted": promoted})),
        )
        .await?;
    }
    Ok((promoted, q))
}

/// What a withdrawal did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Withdrawn {
    pub staff_number: String,
    /// Who moved from the waitlist into the freed place.
    pub promoted: Vec<String>,
}

/// Withdraws a person (by staff number) from a session; the first on the waitlist takes the
/// freed place. `manager`: as in [`enrol_target`]; `only_self`: the person withdrawing themself.
pub async fn withdraw(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    staff_number: &str,
    manager: Option<i64>,
) -> std::result::Result<Withdrawn, SessionError> {
    let mut tx = store.begin().await?;
    if !lock(&mut tx, session_id).await? {
        return Err(SessionError::NotFound(format!(
            "There is no session {session_id}"
        )));
    }
    let s = get_on(&mut tx, session_id)
        .await?
        .expect("locked row exists");
    type Row = (i64, String, i64, String, Option<String>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT e.id, e.status, p.id, p.name, p.email, p.line_manager_id FROM session_enrolments e
         JOIN people p ON p.id = e.person_id
         WHERE e.session_id = $1 AND UPPER(p.staff_number) = UPPER($2)",
    )
    .bind(session_id)
    .bind(staff_number.trim())
    .fetch_optional(&mut *tx)
    .await?;
    let Some((eid, status, pid, name, email, lm)) = row else {
        return Err(SessionError::NotFound(format!(
            "{} is not booked on this session",
            staff_number.trim()
        )));
    };
    if let Some(m) = manager {
        if lm != Some(m) {
            return Err(SessionError::NotFound(format!(
                "{} is not booked on this session",
                staff_number.trim()
            )));
        }
    }
    if status == "withdrawn" {
        return Err(SessionError::Conflict(format!(
            "{} has already been withdrawn from this session",
            staff_number.trim()
        )));
    }
    if !s.status().takes_bookings() {
        return Err(SessionError::Conflict(format!(
            "This session is {}; bookings can no longer change",
            s.status().label().to_lowercase()
        )));
    }
    let now = now_text();
    sqlx::query(
        "UPDATE session_enrolments SET status = 'withdrawn', withdrawn_at = $1, updated_at = $1 WHERE id = $2",
    )
    .bind(&now)
    .bind(eid)
    .execute(&mut *tx)
    .await?;
    if status == "enrolled" {
        let s2 = get_on(&mut tx, session_id)
            .await?
            .expect("locked row exists");
        set_status(&mut tx, &s, s2.enrolled_count).await?;
        let s2 = get_on(&mut tx, session_id)
            .await?
            .expect("locked row exists");
        outbox::queue(
            &mut tx,
            &s2,
            MailKind::Withdrawal,
            &[Recipient {
                person_id: pid,
                name,
                email,
            }],
        )
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "session.withdraw",
            format!("Withdrew {} from session {session_id}", staff_number.trim()),
        )
        .on("session", session_id.to_string())
        .before(&serde_json::json!({"staff_number": staff_number.trim(), "status": status}))
        .after(&serde_json::json!({"staff_number": staff_number.trim(), "status": "withdrawn"})),
    )
    .await?;
    let (promoted, _) = promote(&mut tx, actor, session_id).await?;
    tx.commit().await?;
    Ok(Withdrawn {
        staff_number: staff_number.trim().to_string(),
        promoted,
    })
}

/// One booking on a session.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Booking {
    pub id: i64,
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub department: Option<String>,
    pub team: Option<String>,
    pub email: Option<String>,
    pub line_manager_id: Option<i64>,
    pub status: String,
    pub position: i64,
    pub booked_by: String,
    pub created_at: String,
}

/// A session's bookings: enrolled by name, then the waitlist in order, then withdrawn.
pub async fn bookings(store: &Store, session_id: i64) -> Result<Vec<Booking>> {
    Ok(sqlx::query_as::<_, Booking>(
        "SELECT e.id, e.person_id, p.staff_number, p.name, p.department, p.team, p.email, p.line_manager_id, e.status,
            e.position, e.booked_by, e.created_at
         FROM session_enrolments e JOIN people p ON p.id = e.person_id WHERE e.session_id = $1
         ORDER BY CASE e.status WHEN 'enrolled' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END,
            CASE WHEN e.status = 'enrolled' THEN 0 ELSE e.position END, p.name, e.id",
    )
    .bind(session_id)
    .fetch_all(store.pool())
    .await?)
}

/// A booking seen from the person's side.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonBooking {
    pub session_id: i64,
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub status: String,
    pub module_title: String,
    pub title: String,
    pub starts_at: String,
    pub ends_at: String,
    pub mode: String,
    pub venue: String,
    pub session_status: String,
}

impl PersonBooking {
    pub fn when(&self) -> String {
        match dom::from_store(&self.starts_at) {
            Some(t) => dom::display_london(t),
            None => self.starts_at.clone(),
        }
    }
    pub fn name_of_session(&self) -> &str {
        if self.title.trim().is_empty() {
            &self.module_title
        } else {
            &self.title
        }
    }
    pub fn can_withdraw(&self) -> bool {
        (self.status == "enrolled" || self.status == "waitlisted")
            && ["planned", "open", "full"].contains(&self.session_status.as_str())
    }
}

const PERSON_BOOKING: &str = "SELECT s.id AS session_id, p.id AS person_id, p.staff_number, p.name, e.status, m.title AS module_title,
        s.title, s.starts_at, s.ends_at, s.mode, s.venue, s.status AS session_status
    FROM session_enrolments e JOIN people p ON p.id = e.person_id
    JOIN training_sessions s ON s.id = e.session_id JOIN modules m ON m.id = s.module_id";

/// A person's bookings (not withdrawn ones), soonest first.
pub async fn of_person(store: &Store, person_id: i64) -> Result<Vec<PersonBooking>> {
    Ok(sqlx::query_as::<_, PersonBooking>(&format!(
        "{PERSON_BOOKING} WHERE e.person_id = $1 AND e.status <> 'withdrawn' ORDER BY s.starts_at DESC, s.id"
    ))
    .bind(person_id)
    .fetch_all(store.pool())
    .await?)
}

/// The bookings of a line manager's direct reports.
pub async fn of_team(store: &Store, manager_id: i64) -> Result<Vec<PersonBooking>> {
    Ok(sqlx::query_as::<_, PersonBooking>(&format!(
        "{PERSON_BOOKING} WHERE p.line_manager_id = $1 AND e.status <> 'withdrawn' ORDER BY s.starts_at DESC, p.name"
    ))
    .bind(manager_id)
    .fetch_all(store.pool())
    .await?)
}

/// A line manager's direct reports who are still with the force: `(staff_number, name)`.
pub async fn team_members(store: &Store, manager_id: i64) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT staff_number, name FROM people WHERE line_manager_id = $1 AND active = 1 AND left_on IS NULL ORDER BY name",
    )
    .bind(manager_id)
    .fetch_all(store.pool())
    .await?)
}
