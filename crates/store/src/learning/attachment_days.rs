//! MASH attachment days: the days with their capacity, bookings by the officer or their line
//! manager (eligibility and capacity checked by `mashboard_domain::attachment_days`), withdrawals,
//! attendance (attended records a completion of the day's module in the same transaction),
//! and partner participants who attend without accounts.

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::attachment_days::{
    self as rules, BookingRefusal, DayFacts, DayStatus, Ineligible, OfficerFacts,
};
use mashboard_domain::partners::ExternalInput;
use serde::Serialize;
use sqlx::AnyConnection;
use time::Date;

/// The catalogue module an attended day completes unless the day names another.
pub const DEFAULT_MODULE: &str = "FL-ATTACH";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AttachmentDay {
    pub id: i64,
    pub day: String,
    pub capacity: i64,
    pub location: String,
    pub facilitator_person_id: Option<i64>,
    pub facilitator_name: Option<String>,
    pub module_id: Option<i64>,
    pub module_code: Option<String>,
    pub status: String,
    pub cancel_reason: Option<String>,
    pub notes: String,
    /// Places taken: booked, attended or absent (withdrawn bookings free their place).
    pub booked: i64,
    pub attended: i64,
    pub partners: i64,
}

impl AttachmentDay {
    pub fn date(&self) -> Option<Date> {
        crate::training::parse_date_text(&self.day)
    }
    pub fn status(&self) -> DayStatus {
        DayStatus::parse(&self.status).unwrap_or(DayStatus::Open)
    }
    pub fn places_left(&self) -> i64 {
        (self.capacity - self.booked).max(0)
    }
    fn facts(&self) -> Option<DayFacts> {
        Some(DayFacts {
            day: self.date()?,
            capacity: u32::try_from(self.capacity).unwrap_or(0),
            booked: u32::try_from(self.booked).unwrap_or(0),
            status: self.status(),
        })
    }
}

const SELECT_DAY: &str = "SELECT d.id, d.day, d.capacity, d.location, d.facilitator_person_id, f.name AS facilitator_name,
        d.module_id, m.code AS module_code, d.status, d.cancel_reason, d.notes,
        CAST((SELECT COUNT(*) FROM attachment_bookings b WHERE b.day_id = d.id AND b.status <> 'withdrawn') AS BIGINT) AS booked,
        CAST((SELECT COUNT(*) FROM attachment_bookings b WHERE b.day_id = d.id AND b.status = 'attended') AS BIGINT) AS attended,
        CAST((SELECT COUNT(*) FROM attachment_partner_participants p WHERE p.day_id = d.id) AS BIGINT) AS partners
    FROM attachment_days d LEFT JOIN people f ON f.id = d.facilitator_person_id
    LEFT JOIN modules m ON m.id = d.module_id";

/// Days on or after `from` (every day when `None`), earliest first.
pub async fn days(store: &Store, from: Option<&str>) -> Result<Vec<AttachmentDay>> {
    Ok(sqlx::query_as::<_, AttachmentDay>(&format!(
        "{SELECT_DAY} WHERE d.day >= $1 ORDER BY d.day, d.id"
    ))
    .bind(from.unwrap_or("0000-01-01"))
    .fetch_all(store.pool())
    .await?)
}

pub async fn day(store: &Store, id: i64) -> Result<Option<AttachmentDay>> {
    Ok(
        sqlx::query_as::<_, AttachmentDay>(&format!("{SELECT_DAY} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// A new day as a checked form supplies it.
#[derive(Debug, Clone)]
pub struct NewDay {
    pub day: Date,
    pub capacity: u32,
    pub location: String,
    pub facilitator_person_id: Option<i64>,
    /// `None`: the FL-ATTACH module of the catalogue (if it exists).
    pub module_id: Option<i64>,
    pub notes: String,
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub async fn create_day(store: &Store, actor: &Actor, d: &NewDay) -> Result<AttachmentDay> {
    let module_id = match d.module_id {
        Some(id) => Some(id),
        None => {
            sqlx::query_scalar::<_, i64>("SELECT id FROM modules WHERE code = $1")
                .bind(DEFAULT_MODULE)
                .fetch_optional(store.pool())
                .await?
        }
    };
    let mut tx = store.begin().await?;
    let now = now_text();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO attachment_days (day, capacity, location, facilitator_person_id, module_id, status, notes,
            created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $8) RETURNING id",
    )
    .bind(date_text(d.day))
    .bind(i64::from(d.capacity))
    .bind(&d.location)
    .bind(d.facilitator_person_id)
    .bind(module_id)
    .bind(&d.notes)
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attachment_day.create",
            format!("Scheduled an attachment day on {}", date_text(d.day)),
        )
        .on("attachment_day", id.to_string())
        .after(&serde_json::json!({"day": date_text(d.day), "capacity": d.capacity, "location": d.location, "facilitator_person_id": d.facilitator_person_id, "module_id": module_id})),
    )
    .await?;
    tx.commit().await?;
    day(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("day vanished".into()))
}

/// Changes a day's capacity, place or notes; a capacity below the people booked is refused.
pub async fn update_day(
    store: &Store,
    actor: &Actor,
    id: i64,
    capacity: u32,
    location: &str,
    notes: &str,
) -> Result<AttachmentDay> {
    let before = day(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such attachment day".into()))?;
    let mut tx = store.begin().await?;
    lock_day(&mut tx, id).await?;
    let booked = booked_on(&mut tx, id).await?;
    if i64::from(capacity) < booked {
        return Err(StoreError::Invalid(format!(
            "The number of places cannot be fewer than the {booked} people already booked"
        )));
    }
    let status = rules::status_after(before.status(), capacity, booked as u32);
    sqlx::query(
        "UPDATE attachment_days SET capacity = $1, location = $2, notes = $3, status = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(i64::from(capacity))
    .bind(location)
    .bind(notes)
    .bind(status.as_str())
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("attachment_day.update", format!("Changed the attachment day on {}", before.day))
            .on("attachment_day", id.to_string())
            .before(&serde_json::json!({"capacity": before.capacity, "location": before.location, "notes": before.notes}))
            .after(&serde_json::json!({"capacity": capacity, "location": location, "notes": notes})),
    )
    .await?;
    tx.commit().await?;
    day(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("day vanished".into()))
}

pub async fn cancel_day(
    store: &Store,
    actor: &Actor,
    id: i64,
    reason: &str,
) -> Result<AttachmentDay> {
    let before = day(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such attachment day".into()))?;
    if reason.trim().is_empty() {
        return Err(StoreError::Invalid(
            "Enter the reason the day is cancelled".into(),
        ));
    }
    if before.attended > 0 {
        return Err(StoreError::Invalid(
            "The day cannot be cancelled: attendance has already been recorded".into(),
        ));
    }
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE attachment_days SET status = 'cancelled', cancel_reason = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(reason.trim())
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attachment_day.cancel",
            format!("Cancelled the attachment day on {}", before.day),
        )
        .on("attachment_day", id.to_string())
        .after(&serde_json::json!({"reason": reason.trim(), "bookings": before.booked})),
    )
    .await?;
    tx.commit().await?;
    day(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("day vanished".into()))
}

/// Takes the day's row for writing first, so two bookings of the last place cannot both pass
/// the capacity check (a row lock on PostgreSQL, the write lock on SQLite).
async fn lock_day(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let n = sqlx::query("UPDATE attachment_days SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound("No such attachment day".into()));
    }
    Ok(())
}

async fn booked_on(conn: &mut AnyConnection, id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM attachment_bookings WHERE day_id = $1 AND status <> 'withdrawn'",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?)
}

// ---------------------------------------------------------------------------------------------
// People and eligibility

/// What the directory says about a person, for eligibility and scoping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Officer {
    pub id: i64,
    pub staff_number: String,
    pub name: String,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub start_date: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    pub active: bool,
    pub left_on: Option<String>,
    pub line_manager_id: Option<i64>,
}

impl Officer {
    pub fn facts(&self) -> OfficerFacts<'_> {
        OfficerFacts {
            name: &self.name,
            rank: self.rank.as_deref(),
            start_date: self
                .start_date
                .as_deref()
                .and_then(crate::training::parse_date_text),
            active: self.active,
            left_on: self
                .left_on
                .as_deref()
                .and_then(crate::training::parse_date_text),
        }
    }
    /// Whether this person may attend a day held on `day`.
    pub fn eligibility(&self, day: Date) -> std::result::Result<(), Ineligible> {
        rules::eligibility(&self.facts(), day)
    }
}

const SELECT_OFFICER: &str =
    "SELECT id, staff_number, name, rank, department, team, start_date, active, left_on,
        line_manager_id FROM people";

pub async fn officer(store: &Store, person_id: i64) -> Result<Option<Officer>> {
    Ok(
        sqlx::query_as::<_, Officer>(&format!("{SELECT_OFFICER} WHERE id = $1"))
            .bind(person_id)
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn officer_by_staff_number(store: &Store, sn: &str) -> Result<Option<Officer>> {
    Ok(
        sqlx::query_as::<_, Officer>(&format!("{SELECT_OFFICER} WHERE staff_number = $1"))
            .bind(sn.trim())
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The people a line manager manages directly (still serving), by name.
pub async fn team_of(store: &Store, manager_person_id: i64) -> Result<Vec<Officer>> {
    Ok(sqlx::query_as::<_, Officer>(&format!(
        "{SELECT_OFFICER} WHERE line_manager_id = $1 AND active = 1 ORDER BY name, staff_number"
    ))
    .bind(manager_person_id)
    .fetch_all(store.pool())
    .await?)
}

// ---------------------------------------------------------------------------------------------
// Bookings

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Booking {
    pub id: i64,
    pub day_id: i64,
    pub day: String,
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub rank: Option<String>,
    pub team: Option<String>,
    pub status: String,
    pub booked_by: String,
    pub completion_id: Option<i64>,
    pub updated_at: String,
}

const SELECT_BOOKING: &str = "SELECT b.id, b.day_id, d.day, b.person_id, p.staff_number, p.name, p.rank, p.team,
        b.status, b.booked_by, b.completion_id, b.updated_at
    FROM attachment_bookings b JOIN people p ON p.id = b.person_id JOIN attachment_days d ON d.id = b.day_id";

/// A day's bookings (withdrawn ones last), by name.
pub async fn bookings(store: &Store, day_id: i64) -> Result<Vec<Booking>> {
    Ok(sqlx::query_as::<_, Booking>(&format!(
        "{SELECT_BOOKING} WHERE b.day_id = $1
         ORDER BY CASE WHEN b.status = 'withdrawn' THEN 1 ELSE 0 END, p.name, b.id"
    ))
    .bind(day_id)
    .fetch_all(store.pool())
    .await?)
}

/// A person's bookings, newest day first.
pub async fn bookings_of(store: &Store, person_id: i64) -> Result<Vec<Booking>> {
    Ok(sqlx::query_as::<_, Booking>(&format!(
        "{SELECT_BOOKING} WHERE b.person_id = $1 ORDER BY d.day DESC, b.id DESC"
    ))
    .bind(person_id)
    .fetch_all(store.pool())
    .await?)
}

async fn booking_of(store: &Store, day_id: i64, person_id: i64) -> Result<Option<Booking>> {
    Ok(sqlx::query_as::<_, Booking>(&format!(
        "{SELECT_BOOKING} WHERE b.day_id = $1 AND b.person_id = $2"
    ))
    .bind(day_id)
    .bind(person_id)
    .fetch_optional(store.pool())
    .await?)
}

/// Why a booking or a change to one did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The rules said no; the message names the person and the reason.
    #[error("{message}")]
    Refused {
        refusal: BookingRefusal,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for BookError {
    fn from(e: sqlx::Error) -> Self {
        BookError::Store(e.into())
    }
}

impl From<BookError> for StoreError {
    fn from(e: BookError) -> Self {
        match e {
            BookError::Refused { message, .. } => StoreError::Invalid(message),
            BookError::Store(s) => s,
        }
    }
}

/// Books a person on a day, as of `today`: the person must be eligible on the day, the day
/// open, in the future and not full, and the person not booked already. A withdrawn booking is
/// booked again. Who may book whom (self or own team) is checked by the caller.
pub async fn book(
    store: &Store,
    actor: &Actor,
    day_id: i64,
    person_id: i64,
    today: Date,
) -> std::result::Result<Booking, BookError> {
    let person = officer(store, person_id)
        .await?
        .ok_or_else(|| StoreError::Invalid("No such person in the directory".into()))?;
    let mut tx = store.begin().await?;
    lock_day(&mut tx, day_id).await?;
    let d = sqlx::query_as::<_, AttachmentDay>(&format!("{SELECT_DAY} WHERE d.id = $1"))
        .bind(day_id)
        .fetch_one(&mut *tx)
        .await?;
    let existing: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, status FROM attachment_bookings WHERE day_id = $1 AND person_id = $2",
    )
    .bind(day_id)
    .bind(person_id)
    .fetch_optional(&mut *tx)
    .await?;
    let facts = d
        .facts()
        .ok_or_else(|| StoreError::Invalid("The day's date is not readable".into()))?;
    let already = existing.as_ref().is_some_and(|(_, s)| s != "withdrawn");
    if let Err(refusal) = rules::check_booking(&facts, &person.facts(), already, today) {
        let message = refusal.message(&person.name);
        return Err(BookError::Refused { refusal, message });
    }
    let now = now_text();
    let booking_id = match existing {
        Some((id, _)) => {
            sqlx::query(
                "UPDATE attachment_bookings SET status = 'booked', booked_by = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(&actor.name)
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO attachment_bookings (day_id, person_id, status, booked_by, created_at, updated_at)
                 VALUES ($1, $2, 'booked', $3, $4, $4) RETURNING id",
            )
            .bind(day_id)
            .bind(person_id)
            .bind(&actor.name)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let status = rules::status_after(facts.status, facts.capacity, facts.booked + 1);
    set_status(&mut tx, day_id, status).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attachment.book",
            format!("Booked {} on the attachment day on {}", person.staff_number, d.day),
        )
        .on("attachment_booking", booking_id.to_string())
        .after(&serde_json::json!({"staff_number": person.staff_number, "day": d.day, "day_id": day_id})),
    )
    .await?;
    tx.commit().await?;
    Ok(booking_of(store, day_id, person_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("booking vanished".into()))?)
}

async fn set_status(conn: &mut AnyConnection, day_id: i64, status: DayStatus) -> Result<()> {
    sqlx::query("UPDATE attachment_days SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now_text())
        .bind(day_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Withdraws a booking before the day; the place frees up.
pub async fn withdraw(
    store: &Store,
    actor: &Actor,
    day_id: i64,
    person_id: i64,
) -> Result<Booking> {
    let b = booking_of(store, day_id, person_id)
        .await?
        .filter(|b| b.status == "booked")
        .ok_or_else(|| StoreError::Invalid("There is no booking to withdraw".into()))?;
    let mut tx = store.begin().await?;
    lock_day(&mut tx, day_id).await?;
    sqlx::query(
        "UPDATE attachment_bookings SET status = 'withdrawn', updated_at = $1 WHERE id = $2",
    )
    .bind(now_text())
    .bind(b.id)
    .execute(&mut *tx)
    .await?;
    let (status, capacity): (String, i64) =
        sqlx::query_as("SELECT status, capacity FROM attachment_days WHERE id = $1")
            .bind(day_id)
            .fetch_one(&mut *tx)
            .await?;
    let booked = booked_on(&mut tx, day_id).await?;
    let next = rules::status_after(
        DayStatus::parse(&status).unwrap_or(DayStatus::Open),
        u32::try_from(capacity).unwrap_or(0),
        u32::try_from(booked).unwrap_or(0),
    );
    set_status(&mut tx, day_id, next).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attachment.withdraw",
            format!(
                "Withdrew {} from the attachment day on {}",
                b.staff_number, b.day
            ),
        )
        .on("attachment_booking", b.id.to_string())
        .before(&serde_json::json!({"status": b.status}))
        .after(&serde_json::json!({"status": "withdrawn"})),
    )
    .await?;
    tx.commit().await?;
    booking_of(store, day_id, person_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("booking vanished".into()))
}

/// Marks a booked person attended or absent, on or after the day. Attended records a
/// completion of the day's module (once) in the same transaction, so it shows in their plan.
/// Changing attended back to absent removes that completion if nobody has signed it yet;
/// otherwise it is refused.
pub async fn mark(
    store: &Store,
    actor: &Actor,
    day_id: i64,
    person_id: i64,
    attended: bool,
    today: Date,
) -> Result<Booking> {
    let d = day(store, day_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such attachment day".into()))?;
    if d.status() == DayStatus::Cancelled {
        return Err(StoreError::Invalid(
            "The day was cancelled, so attendance cannot be recorded".into(),
        ));
    }
    if d.date().is_some_and(|day| day > today) {
        return Err(StoreError::Invalid(
            "Attendance can be recorded on or after the day, not before".into(),
        ));
    }
    let b = booking_of(store, day_id, person_id)
        .await?
        .filter(|b| b.status != "withdrawn")
        .ok_or_else(|| StoreError::Invalid("Only people booked on the day can be marked".into()))?;
    let new_status = if attended { "attended" } else { "absent" };
    if b.status == new_status {
        return Ok(b);
    }
    let mut tx = store.begin().await?;
    let mut completion_id = b.completion_id;
    if attended && completion_id.is_none() {
        let module_id = d.module_id.ok_or_else(|| {
            StoreError::Invalid(format!(
                "The day has no module to record as completed; add the {DEFAULT_MODULE} module to the catalogue"
            ))
        })?;
        completion_id = Some(record_completion(&mut tx, actor, &b, &d, module_id).await?);
    } else if !attended {
        if let Some(cid) = completion_id {
            let (status,): (String,) =
                sqlx::query_as("SELECT status FROM completions WHERE id = $1")
                    .bind(cid)
                    .fetch_one(&mut *tx)
                    .await?;
            let signs: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM sign_offs WHERE completion_id = $1",
            )
            .bind(cid)
            .fetch_one(&mut *tx)
            .await?;
            if status != "awaiting_sign_off" || signs > 0 {
                return Err(StoreError::Invalid(format!(
                    "{} cannot be marked absent: their completion of the day has already been signed, so it is part of their record. Ask the training lead to reopen it first",
                    b.name
                )));
            }
            sqlx::query("UPDATE attachment_bookings SET completion_id = NULL WHERE id = $1")
                .bind(b.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM completions WHERE id = $1")
                .bind(cid)
                .execute(&mut *tx)
                .await?;
            audit_trail::record_on(
                &mut tx,
                actor,
                Event::new(
                    "completion.remove",
                    format!(
                        "Removed the attachment-day completion of {} (marked absent)",
                        b.staff_number
                    ),
                )
                .on("completion", cid.to_string()),
            )
            .await?;
            completion_id = None;
        }
    }
    sqlx::query(
        "UPDATE attachment_bookings SET status = $1, completion_id = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(new_status)
    .bind(completion_id)
    .bind(now_text())
    .bind(b.id)
    .execute(&mut *tx)
    .await?;
    if d.date().is_some_and(|day| day <= today) && d.status() != DayStatus::Held {
        set_status(&mut tx, day_id, DayStatus::Held).await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attachment.attendance",
            format!(
                "Marked {} {new_status} at the attachment day on {}",
                b.staff_number, d.day
            ),
        )
        .on("attachment_booking", b.id.to_string())
        .before(&serde_json::json!({"status": b.status}))
        .after(&serde_json::json!({"status": new_status, "completion_id": completion_id})),
    )
    .await?;
    tx.commit().await?;
    booking_of(store, day_id, person_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("booking vanished".into()))
}

/// Records the completion of the day's module for an attended booking, in the caller's
/// transaction, the same way `training::completions::record` does (awaiting sign-off).
async fn record_completion(
    conn: &mut AnyConnection,
    actor: &Actor,
    b: &Booking,
    d: &AttachmentDay,
    module_id: i64,
) -> Result<i64> {
    let (code, version): (String, String) =
        sqlx::query_as("SELECT code, version FROM modules WHERE id = $1")
            .bind(module_id)
            .fetch_one(&mut *conn)
            .await?;
    let now = now_text();
    let trainer = d.facilitator_name.clone().unwrap_or_default();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, trainer, notes, evidence_url,
            status, source, recorded_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'face_to_face', $5, $6, '', 'awaiting_sign_off', 'recorded', $7, $8, $8) RETURNING id",
    )
    .bind(b.person_id)
    .bind(module_id)
    .bind(&version)
    .bind(&d.day)
    .bind(&trainer)
    .bind(format!("MASH attachment day on {}", d.day))
    .bind(&actor.name)
    .bind(&now)
    .fetch_one(&mut *conn)
    .await?;
    audit_trail::record_on(
        conn,
        actor,
        Event::new(
            "completion.record",
            format!("Recorded {code} v{version} completed on {} for {}", d.day, b.staff_number),
        )
        .on("completion", id.to_string())
        .after(&serde_json::json!({"staff_number": b.staff_number, "module": code, "version": version, "completed_on": d.day, "mode": "face_to_face", "attachment_day": d.id})),
    )
    .await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Partner participants (no accounts)

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Participant {
    pub id: i64,
    pub day_id: i64,
    pub name: String,
    pub organisation: String,
    pub partner_org_id: Option<i64>,
    pub partner_name: Option<String>,
    pub email: Option<String>,
    pub status: Option<String>,
}

impl Participant {
    pub fn organisation_shown(&self) -> &str {
        crate::partners::guest_organisation(self.partner_name.as_deref(), &self.organisation)
    }
}

const SELECT_PARTICIPANT: &str =
    "SELECT p.id, p.day_id, p.name, p.organisation, p.partner_org_id, o.name AS partner_name,
        p.email, p.status
    FROM attachment_partner_participants p LEFT JOIN partner_orgs o ON o.id = p.partner_org_id";

pub async fn participants(store: &Store, day_id: i64) -> Result<Vec<Participant>> {
    Ok(sqlx::query_as::<_, Participant>(&format!(
        "{SELECT_PARTICIPANT} WHERE p.day_id = $1 ORDER BY p.name, p.id"
    ))
    .bind(day_id)
    .fetch_all(store.pool())
    .await?)
}

async fn participant(store: &Store, id: i64) -> Result<Option<Participant>> {
    Ok(
        sqlx::query_as::<_, Participant>(&format!("{SELECT_PARTICIPANT} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn add_participant(
    store: &Store,
    actor: &Actor,
    day_id: i64,
    x: &ExternalInput,
) -> Result<Participant> {
    let d = day(store, day_id)
        .await?
        .ok_or_else(|| StoreError::NotFound("No such attachment day".into()))?;
    if d.status() == DayStatus::Cancelled {
        return Err(StoreError::Invalid(
            "The day has been cancelled, so no one can be added to it".into(),
        ));
    }
    crate::partners::check_partner(store, x).await?;
    if participants(store, day_id).await?.iter().any(|p| {
        p.name.eq_ignore_ascii_case(&x.name)
            && p.partner_org_id == x.partner_org_id
            && p.organisation.eq_ignore_ascii_case(&x.organisation)
    }) {
        return Err(StoreError::Conflict(format!(
            "{} is already on this day's list",
            x.name
        )));
    }
    let id = crate::partners::insert_guest(
        store,
        actor,
        crate::partners::GuestList::AttachmentDay,
        day_id,
        x,
        Event::new(
            "attachment_partner.add",
            format!(
                "Added a partner participant to the attachment day on {}",
                d.day
            ),
        )
        .on("attachment_day", day_id.to_string()),
    )
    .await?;
    participant(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("participant vanished".into()))
}

/// Marks a partner participant attended or absent (or clears it).
pub async fn mark_participant(
    store: &Store,
    actor: &Actor,
    day_id: i64,
    id: i64,
    attended: Option<bool>,
) -> Result<Participant> {
    let before = participant(store, id)
        .await?
        .filter(|p| p.day_id == day_id)
        .ok_or_else(|| StoreError::NotFound("No such participant on this day".into()))?;
    let status = attended.map(|a| if a { "attended" } else { "absent" });
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE attachment_partner_participants SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "attachment_partner.attendance",
            "Marked a partner participant's attendance",
        )
        .on("attachment_day", day_id.to_string())
        .before(&serde_json::json!({"id": id, "status": before.status}))
        .after(&serde_json::json!({"id": id, "status": status})),
    )
    .await?;
    tx.commit().await?;
    participant(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("participant vanished".into()))
}

pub async fn remove_participant(
    store: &Store,
    actor: &Actor,
    day_id: i64,
    id: i64,
) -> Result<Participant> {
    let before = participant(store, id)
        .await?
        .filter(|p| p.day_id == day_id)
        .ok_or_else(|| StoreError::NotFound("No such participant on this day".into()))?;
    crate::partners::delete_guest(
        store,
        actor,
        crate::partners::GuestList::AttachmentDay,
        id,
        Event::new("attachment_partner.remove", "Removed a partner participant")
            .on("attachment_day", day_id.to_string())
            .before(&before),
    )
    .await?;
    Ok(before)
}
