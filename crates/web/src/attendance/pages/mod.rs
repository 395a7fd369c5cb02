//! A session's attendance register and its Teams attendance reports, for trainers:
//!
//! - `GET /sessions/{id}/attendance`: the register (a mark and minutes per person, the "not in
//!   report" flag), "mark everyone not yet marked as attended", whether attendees may leave the
//!   Teams report, and the report participants still to resolve by hand.
//! - `POST /sessions/{id}/attendance`: saves the changed marks, all or nothing.
//! - `GET /sessions/{id}/teams-report` → upload → preview (nothing written) → commit.

mod register;
mod teams_remove;
mod teams_upload;
use self::{register::*, teams_remove::*, teams_upload::*};

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::field;
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::attendance::{check_mark, Status};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::delivery::attendance::{self, RegisterRow, SessionFacts};
use mashboard_store::delivery::teams::{self, ExternalAttendee, Preview, ReportRow, UnmatchedRow};
use mashboard_store::{people, StoreError};
use serde::Deserialize;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::SessionsManage as Manage;
    t.get("/sessions/{id}/attendance", P(Manage), get(register_page))
        .post("/sessions/{id}/attendance", P(Manage), post(save))
        .post("/sessions/{id}/attendance/all", P(Manage), post(mark_all))
        .post(
            "/sessions/{id}/attendance/opt-out",
            P(Manage),
            post(opt_out),
        )
        .post(
            "/sessions/{id}/attendance/unmatched/{uid}",
            P(Manage),
            post(resolve),
        )
        .get("/sessions/{id}/teams-report", P(Manage), get(upload_form))
        .post("/sessions/{id}/teams-report", P(Manage), post(upload))
        .post(
            "/sessions/{id}/teams-report/commit",
            P(Manage),
            post(commit),
        )
        .get(
            "/sessions/{id}/teams-report/{report_id}/remove",
            P(Manage),
            get(remove_confirm),
        )
        .post(
            "/sessions/{id}/teams-report/{report_id}/remove",
            P(Manage),
            post(remove_report),
        )
}

type TrainerPage = Page<cap::SessionsManage>;

async fn session(state: &AppState, id: i64) -> Result<SessionFacts, AppError> {
    attendance::session(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)
}
