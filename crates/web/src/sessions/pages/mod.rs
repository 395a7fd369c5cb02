//! Session pages: the list (upcoming and past), scheduling and changing a session, a session's
//! page (details in UK time, trainers, audience, bookings and waitlist, enrolment forms,
//! invitation download, cancel and deliver), series and their progress, co-trainer delivery
//! hours, a line manager's team bookings, and the bulk booking used by the coverage page.

mod enrol;
mod form;
mod list;
mod series_list;
mod series_show;
mod show;
mod team;
mod trainers;
use self::{
    enrol::*, form::*, list::*, series_list::*, series_show::*, show::*, team::*, trainers::*,
};

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::{field, fields, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::sessions::{self as dom, SessionMode, SessionStatus};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::delivery::enrolment::{self, Booking, EnrolReport, PersonBooking, Target};
use mashboard_store::delivery::sessions::{
    self, AttendanceRow, AudienceRow, NewSession, Series, SeriesProgress, Session, SessionError,
    SessionFilter, SessionPatch, Trainer, TrainerHours,
};
use mashboard_store::training::{catalogue, programmes};
use mashboard_store::{people, StoreError};

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{SessionsBrowse, SessionsManage, TeamBooking};
    t.get("/sessions", P(SessionsBrowse), get(list))
        .get("/sessions/new", P(SessionsManage), get(new_form))
        .post("/sessions/new", P(SessionsManage), post(create))
        .get("/sessions/series", P(SessionsBrowse), get(series_list))
        .post("/sessions/series", P(SessionsManage), post(series_create))
        .get("/sessions/series/{id}", P(SessionsBrowse), get(series_show))
        .get("/sessions/trainers", P(SessionsManage), get(trainers_page))
        .get("/sessions/team", P(TeamBooking), get(team))
        .post("/sessions/team/book", P(TeamBooking), post(team_book))
        .post(
            "/sessions/team/withdraw",
            P(TeamBooking),
            post(team_withdraw),
        )
        .post(
            "/sessions/team/enrol-many",
            P(TeamBooking),
            post(team_enrol_many),
        )
        .post("/sessions/enrol-many", P(SessionsManage), post(enrol_many))
        .get("/sessions/{id}", P(SessionsBrowse), get(show))
        .get("/sessions/{id}/edit", P(SessionsManage), get(edit_form))
        .post("/sessions/{id}/edit", P(SessionsManage), post(update))
        .post("/sessions/{id}/cancel", P(SessionsManage), post(cancel))
        .post("/sessions/{id}/deliver", P(SessionsManage), post(deliver))
        .post("/sessions/{id}/enrol", P(SessionsManage), post(enrol))
        .post("/sessions/{id}/withdraw", P(SessionsManage), post(withdraw))
        .post(
            "/sessions/{id}/withdraw-me",
            P(SessionsBrowse),
            post(withdraw_me),
        )
        .get("/sessions/{id}/invite.ics", P(SessionsBrowse), get(invite))
}

type Pairs = Vec<(String, String)>;

fn query(raw: Option<&str>) -> Pairs {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn status_class(status: &str) -> &'static str {
    match status {
        "open" => "govuk-tag--green",
        "full" => "govuk-tag--orange",
        "delivered" => "govuk-tag--blue",
        "cancelled" => "govuk-tag--red",
        _ => "govuk-tag--grey",
    }
}

/// A session row as the pages show it.
pub(crate) struct SessionView {
    pub id: i64,
    pub name: String,
    pub module: String,
    pub series: String,
    pub when: String,
    pub place: String,
    pub mode: &'static str,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub capacity: i64,
    pub enrolled: i64,
    pub waitlist: i64,
}

impl From<&Session> for SessionView {
    fn from(s: &Session) -> Self {
        SessionView {
            id: s.id,
            name: s.name().to_string(),
            module: format!("{} v{}", s.module_code, s.module_version),
            series: s.series_name.clone().unwrap_or_default(),
            when: s.when(),
            place: s.place(),
            mode: s.mode().label(),
            status_label: s.status().label(),
            status_class: status_class(&s.status),
            capacity: s.capacity,
            enrolled: s.enrolled_count,
            waitlist: s.waitlist_count,
        }
    }
}

async fn must_get(state: &AppState, id: i64) -> Result<Session, AppError> {
    sessions::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn refusal(e: SessionError) -> AppError {
    match e {
        SessionError::Invalid(errs) => AppError::BadRequest(
            errs.into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        SessionError::Conflict(m) => AppError::BadRequest(m),
        SessionError::NotFound(_) => AppError::NotFound,
        SessionError::Store(e) => e.into(),
    }
}

/// A person's bookings for the My training page.
pub(crate) async fn my_bookings(
    state: &AppState,
    user: &CurrentUser,
) -> Result<Vec<PersonBooking>, StoreError> {
    match user.person_id {
        Some(me) => enrolment::of_person(&state.store, me).await,
        None => Ok(Vec::new()),
    }
}
