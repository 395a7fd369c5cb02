//! A session's attendance register and its Teams attendance reports, for trainers:
//!
//! - `GET /sessions/{id}/attendance`: the register (a mark and minutes per person, the "not in
//!   report" flag), "mark everyone not yet marked as attended", whether attendees may leave the
//!   Teams report, and the report participants still to resolve by hand.
//! - `POST /sessions/{id}/attendance`: saves the changed marks, all or nothing.
//! - `GET /sessions/{id}/teams-report` → upload → preview (nothing written) → commit.

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

/// A register line as the form shows it.
struct Line {
    row: RegisterRow,
    status: String,
    minutes: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "attendance/attendance_register.html")]
struct RegisterPage {
    chrome: Chrome,
    session: SessionFacts,
    lines: Vec<Line>,
    unmatched: Vec<UnmatchedRow>,
    externals: Vec<ExternalAttendee>,
    /// How many Teams reports are committed for the session.
    reports: usize,
    form: FormState,
    banner: String,
    statuses: Vec<(&'static str, &'static str)>,
}

impl RegisterPage {
    fn open_unmatched(&self) -> usize {
        self.unmatched
            .iter()
            .filter(|u| u.resolution == "open")
            .count()
    }
    /// Enrolled people without a mark, or missing from a report: whom a participant may be.
    fn choices(&self) -> Vec<(&str, &str)> {
        self.lines
            .iter()
            .filter(|l| l.row.status.is_none() || l.row.not_in_report == 1)
            .map(|l| (l.row.staff_number.as_str(), l.row.name.as_str()))
            .collect()
    }
    fn not_in_report(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.row.not_in_report == 1)
            .count()
    }
}

#[derive(Deserialize)]
pub struct Flash {
    done: Option<String>,
}

fn banner_of(done: Option<&str>) -> String {
    match done {
        Some("saved") => "The register has been saved.".into(),
        Some("all") => "Everyone not yet marked is now marked as attended.".into(),
        Some("optout") => "The Teams report setting has been saved.".into(),
        Some("resolved") => "The participant has been resolved.".into(),
        Some("committed") => "The Teams report has been recorded on the register.".into(),
        Some("removed") => {
            "The Teams report has been removed and the register worked out again from the reports left. Marks you made by hand are unchanged.".into()
        }
        Some("same") => {
            "This Teams report had already been uploaded for this session: nothing changed.".into()
        }
        _ => String::new(),
    }
}

async fn render_register(
    state: &AppState,
    page: &TrainerPage,
    s: SessionFacts,
    form: FormState,
    submitted: Option<&[(String, String)]>,
    banner: String,
) -> Result<Response, AppError> {
    let rows = attendance::register(&state.store, s.id).await?;
    let lines = rows
        .into_iter()
        .map(|row| {
            let key = row.person_id.to_string();
            let (status, minutes) = match submitted {
                Some(p) => (
                    field(p, &format!("status-{key}")),
                    field(p, &format!("minutes-{key}")),
                ),
                None => (
                    row.status.clone().unwrap_or_default(),
                    row.minutes.map(|m| m.to_string()).unwrap_or_default(),
                ),
            };
            let error = form.error(&format!("status-{key}")).map(str::to_string);
            Line {
                row,
                status,
                minutes,
                error,
            }
        })
        .collect();
    let unmatched = teams::unmatched(&state.store, s.id).await?;
    let externals = teams::external_attendees(&state.store, s.id).await?;
    let reports = teams::reports(&state.store, s.id).await?.len();
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "attendance.view",
            format!("Viewed the register of session {}", s.id),
        )
        .on("session", s.id.to_string()),
    )
    .await?;
    let errors = form.has_errors();
    html(&RegisterPage {
        chrome: Chrome::new(
            state,
            format!("Register: {}", s.display_title()),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        )
        .with_errors(errors),
        session: s,
        lines,
        unmatched,
        externals,
        reports,
        form,
        banner,
        statuses: Status::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
    })
}

pub async fn register_page(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
    Query(flash): Query<Flash>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    render_register(
        &state,
        &page,
        s,
        FormState::default(),
        None,
        banner_of(flash.done.as_deref()),
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let rows = attendance::register(&state.store, id).await?;
    let mut form = FormState::default();
    let mut marks = Vec::new();
    for r in &rows {
        let key = r.person_id.to_string();
        let status_text = field(&pairs, &format!("status-{key}"));
        let minutes_text = field(&pairs, &format!("minutes-{key}"));
        if status_text.is_empty() {
            continue; // not marked: left as it is
        }
        let status = match Status::parse(&status_text) {
            Ok(st) => st,
            Err(m) => {
                form.add_error(&format!("status-{key}"), format!("{}: {m}", r.name));
                continue;
            }
        };
        let minutes = if minutes_text.is_empty() {
            None
        } else {
            match minutes_text.parse::<i64>() {
                Ok(m) => Some(m),
                Err(_) => {
                    form.add_error(
                        &format!("status-{key}"),
                        format!("{}: minutes must be a whole number, like 90", r.name),
                    );
                    continue;
                }
            }
        };
        let minutes = match check_mark(status, minutes, s.minutes()) {
            Ok(m) => m,
            Err(m) => {
                form.add_error(&format!("status-{key}"), format!("{}: {m}", r.name));
                continue;
            }
        };
        if r.status.as_deref() == Some(status.as_str()) && r.minutes == minutes {
            continue;
        }
        marks.push((r.person_id, status, minutes));
    }
    if !form.has_errors() {
        match attendance::mark_many(&state.store, &page.user.actor(), id, &marks).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/sessions/{id}/attendance?done=saved")).into_response(),
                )
            }
            Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
                form.add_error("register", format!("{m} Nothing was saved."));
            }
            Err(e) => return Err(e.into()),
        }
    }
    render_register(&state, &page, s, form, Some(&pairs), String::new()).await
}

pub async fn mark_all(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    session(&state, id).await?;
    attendance::mark_all_attended(&state.store, &page.user.actor(), id).await?;
    Ok(Redirect::to(&format!("/sessions/{id}/attendance?done=all")).into_response())
}

pub async fn opt_out(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    session(&state, id).await?;
    let allowed = field(&pairs, "report_opt_out") == "1";
    attendance::set_report_opt_out(&state.store, &page.user.actor(), id, allowed).await?;
    Ok(Redirect::to(&format!("/sessions/{id}/attendance?done=optout")).into_response())
}

pub async fn resolve(
    State(state): State<AppState>,
    page: TrainerPage,
    Path((id, uid)): Path<(i64, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let actor = page.user.actor();
    let action = field(&pairs, "action");
    let mut form = FormState::default();
    let key = format!("unmatched-{uid}");
    let result = match action.as_str() {
        "person" => {
            let typed = field(&pairs, &format!("staff_number-{uid}"));
            let sn = if typed.is_empty() {
                field(&pairs, &format!("pick-{uid}"))
            } else {
                typed
            };
            if sn.is_empty() {
                form.add_error(
                    &key,
                    "Enter the staff number of the person this participant is",
                );
                Ok(())
            } else {
                match people::get(&state.store, &sn).await? {
                    Some(p) => teams::resolve_to_person(&state.store, &actor, id, uid, p.id).await,
                    None => {
                        form.add_error(&key, format!("There is nobody with staff number {sn}"));
                        Ok(())
                    }
                }
            }
        }
        "external" => {
            let org = field(&pairs, &format!("organisation-{uid}"));
            teams::resolve_external(&state.store, &actor, id, uid, &org).await
        }
        "dismiss" => teams::dismiss(&state.store, &actor, id, uid).await,
        _ => {
            form.add_error(&key, "Choose what to do with this participant");
            Ok(())
        }
    };
    match result {
        Ok(()) if !form.has_errors() => {
            return Ok(
                Redirect::to(&format!("/sessions/{id}/attendance?done=resolved")).into_response(),
            )
        }
        Ok(()) => {}
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => form.add_error(&key, m),
        Err(e) => return Err(e.into()),
    }
    render_register(&state, &page, s, form, None, String::new()).await
}

// ---------------------------------------------------------------- Teams report upload

#[derive(Template)]
#[template(path = "attendance/attendance_teams_upload.html")]
struct UploadPage {
    chrome: Chrome,
    session: SessionFacts,
    form: FormState,
    reports: Vec<ReportRow>,
}

async fn upload_page(
    state: &AppState,
    page: &TrainerPage,
    s: SessionFacts,
    form: FormState,
) -> Result<Response, AppError> {
    let reports = teams::reports(&state.store, s.id).await?;
    let errors = form.has_errors();
    html(&UploadPage {
        chrome: Chrome::new(
            state,
            format!("Upload a Teams attendance report: {}", s.display_title()),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        )
        .with_errors(errors),
        session: s,
        form,
        reports,
    })
}

pub async fn upload_form(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    upload_page(&state, &page, s, FormState::default()).await
}

#[derive(Template)]
#[template(path = "attendance/attendance_teams_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    session: SessionFacts,
    file_name: String,
    upload: String,
    p: Preview,
}

pub async fn upload(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("The upload could not be read: {e}"))
    };
    while let Some(f) = multipart.next_field().await.map_err(unreadable)? {
        if f.name() == Some("file") {
            let name = f.file_name().unwrap_or("").to_string();
            let bytes = f.bytes().await.map_err(unreadable)?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let mut form = FormState::default();
    let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        form.add_error("file", "Select the attendance report downloaded from Teams");
        return upload_page(&state, &page, s, form).await;
    };
    let file_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    let p = match teams::preview(&state.store, id, &bytes).await {
        Ok(p) => p,
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            form.add_error("file", m);
            return upload_page(&state, &page, s, form).await;
        }
        Err(e) => return Err(e.into()),
    };
    let key = match state.uploads.put(page.user.id, &file_name, bytes) {
        Ok(key) => key,
        Err(full) => {
            form.add_error("file", full.to_string());
            return upload_page(&state, &page, s, form).await;
        }
    };
    html(&PreviewPage {
        chrome: Chrome::new(
            &state,
            format!("Check the Teams report: {}", s.display_title()),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        session: s,
        file_name,
        upload: key,
        p,
    })
}

pub async fn commit(
    State(state): State<AppState>,
    page: TrainerPage,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let key = field(&pairs, "upload");
    let pending = state
        .uploads
        .get(&key, page.user.id)
        .map(|u| (u.file_name, u.bytes));
    let Some((file_name, bytes)) = pending else {
        let mut form = FormState::default();
        form.add_error(
            "file",
            "The uploaded file has expired (files are kept for 30 minutes). Upload it again.",
        );
        return upload_page(&state, &page, s, form).await;
    };
    match teams::commit(&state.store, &page.user.actor(), id, &file_name, &bytes).await {
        Ok(c) => {
            state.uploads.remove(&key);
            let done = if c.committed { "committed" } else { "same" };
            Ok(Redirect::to(&format!("/sessions/{id}/attendance?done={done}")).into_response())
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut form = FormState::default();
            form.add_error("file", m);
            upload_page(&state, &page, s, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "attendance/attendance_teams_remove.html")]
struct RemovePage {
    chrome: Chrome,
    session: SessionFacts,
    report: ReportRow,
    others: usize,
}

/// Asks before removing a committed report, saying what will happen to the register.
pub async fn remove_confirm(
    State(state): State<AppState>,
    page: TrainerPage,
    Path((id, report_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let reports = teams::reports(&state.store, id).await?;
    let others = reports.len().saturating_sub(1);
    let report = reports
        .into_iter()
        .find(|r| r.id == report_id)
        .ok_or(AppError::NotFound)?;
    html(&RemovePage {
        chrome: Chrome::new(
            &state,
            format!("Remove a Teams report: {}", s.display_title()),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        session: s,
        report,
        others,
    })
}

pub async fn remove_report(
    State(state): State<AppState>,
    page: TrainerPage,
    Path((id, report_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    match teams::remove_report(&state.store, &page.user.actor(), id, report_id).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/sessions/{id}/attendance?done=removed")).into_response())
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut form = FormState::default();
            form.add_error("file", format!("The report was not removed. {m}"));
            upload_page(&state, &page, s, form).await
        }
        Err(e) => Err(e.into()),
    }
}
