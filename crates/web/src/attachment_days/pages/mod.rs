//! MASH attachment days: second-year officers book a day themselves (or their line manager
//! books them), the trainer schedules days, marks attendance (which records the day's module as
//! completed in the officer's plan), adds partner participants and starts the exercise run.
//! Every refusal says why in plain words; every view of a list of people is audited.

mod day;
mod list;
mod new;
mod team;
use self::{day::*, list::*, new::*, team::*};
// The API schedules a day with the same checks as the form.
pub(crate) use self::new::{check_new_day, DayDraft};

use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::form::{field, path_id, query_value};
use crate::partners::{active_orgs, guest_draft, guest_form};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::attachment_days::{check_capacity, DayStatus};
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::learning::attachment_days::{
    self, AttachmentDay, BookError, Booking, NewDay, Officer, Participant,
};
use mashboard_store::partners::PartnerOrg;
use mashboard_store::training::today;
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{SessionsBrowse, SessionsManage, TeamBooking};
    t.get("/attachment-days", P(SessionsBrowse), get(list))
        .post(
            "/attachment-days/{id}/book",
            P(SessionsBrowse),
            post(book_self),
        )
        .post(
            "/attachment-days/{id}/withdraw",
            P(SessionsBrowse),
            post(withdraw_self),
        )
        .get("/attachment-days/new", P(SessionsManage), get(new_form))
        .post("/attachment-days/new", P(SessionsManage), post(create))
        .get("/attachment-days/team", P(TeamBooking), get(team))
        .post("/attachment-days/team", P(TeamBooking), post(team_action))
        .get("/attachment-days/{id}", P(SessionsManage), get(show))
        .post(
            "/attachment-days/{id}/bookings",
            P(SessionsManage),
            post(manage_booking),
        )
        .post(
            "/attachment-days/{id}/attendance",
            P(SessionsManage),
            post(attendance),
        )
        .post(
            "/attachment-days/{id}/partners",
            P(SessionsManage),
            post(partners_action),
        )
        .post("/attachment-days/{id}/edit", P(SessionsManage), post(edit))
        .post(
            "/attachment-days/{id}/cancel",
            P(SessionsManage),
            post(cancel),
        )
}

fn banner_for(raw: Option<&str>) -> String {
    match query_value(raw, "saved").as_deref() {
        Some("booked") => "The booking has been made.".into(),
        Some("withdrawn") => "The booking has been withdrawn.".into(),
        Some("created") => "The attachment day has been scheduled.".into(),
        Some("marked") => "Attendance has been recorded.".into(),
        Some("partner") => "The partner participants have been changed.".into(),
        Some("updated") => "The day has been changed.".into(),
        Some("cancelled") => "The day has been cancelled.".into(),
        _ => String::new(),
    }
}

fn long(day: &str) -> String {
    parse_date(day)
        .map(format_date_long)
        .unwrap_or_else(|_| day.to_string())
}

fn status_label(s: &str) -> &'static str {
    DayStatus::parse(s).map(|d| d.label()).unwrap_or("Unknown")
}

fn booking_label(s: &str) -> &'static str {
    match s {
        "booked" => "Booked",
        "withdrawn" => "Withdrawn",
        "attended" => "Attended",
        "absent" => "Absent",
        _ => "Unknown",
    }
}

fn refusal(e: BookError) -> Result<String, AppError> {
    match e {
        BookError::Refused { message, .. } => Ok(message),
        BookError::Store(StoreError::Invalid(m)) | BookError::Store(StoreError::Conflict(m)) => {
            Ok(m)
        }
        BookError::Store(other) => Err(other.into()),
    }
}

fn store_refusal(e: StoreError) -> Result<String, AppError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}
