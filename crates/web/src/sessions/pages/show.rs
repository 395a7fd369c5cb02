//! GET /sessions/{id}: one session with its trainers and bookings; cancelling and delivering it.

use super::*;

// ---------------------------------------------------------------------------------------------
// A session's page

pub(crate) struct BookingView {
    pub staff_number: String,
    pub name: String,
    pub department: String,
    pub has_email: bool,
    pub booked_by: String,
}

impl From<&Booking> for BookingView {
    fn from(b: &Booking) -> Self {
        BookingView {
            staff_number: b.staff_number.clone(),
            name: b.name.clone(),
            department: b.department.clone().unwrap_or_default(),
            has_email: b.email.as_deref().is_some_and(|e| e.contains('@')),
            booked_by: b.booked_by.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "sessions/sessions_show.html")]
pub(super) struct ShowPage {
    pub(super) chrome: Chrome,
    pub(super) s: SessionView,
    pub(super) module_title: String,
    pub(super) join_url: String,
    pub(super) teams: bool,
    pub(super) cancel_reason: String,
    pub(super) sequence: i64,
    /// Each trainer, and whether their name links to their page for this reader.
    pub(super) trainers: Vec<(Trainer, bool)>,
    pub(super) audience: Vec<AudienceRow>,
    pub(super) enrolled: Vec<BookingView>,
    pub(super) waitlist: Vec<BookingView>,
    pub(super) attendance: Vec<AttendanceRow>,
    pub(super) manage: bool,
    pub(super) open: bool,
    /// The signed-in person's own booking status, if any.
    pub(super) mine: Option<String>,
    pub(super) saved: String,
    pub(super) report: Option<EnrolReport>,
    pub(super) cohorts: Vec<String>,
    pub(super) departments: Vec<String>,
    pub(super) profiles: Vec<(String, String)>,
    pub(super) form: FormState,
    /// Whether the bookings' names link to the person's page (shown to those who manage
    /// sessions; linked when the reader may open everyone's).
    pub(super) people_links: bool,
}

pub(super) const REPORT_KEY: &str = "sessions.enrol_report";

pub(super) fn saved_text(code: &str) -> String {
    match code {
        "created" => "The session has been scheduled.".into(),
        "created_enrolled" => {
            "The session has been scheduled and the people of the chosen cohorts booked on it."
                .into()
        }
        "changed" => "The session has been changed.".into(),
        "rescheduled" => {
            "The session has been changed. Everyone enrolled will be sent the updated invitation."
                .into()
        }
        "cancelled" => {
            "The session has been cancelled. Everyone enrolled will be sent the cancellation."
                .into()
        }
        "delivered" => "The session has been marked delivered.".into(),
        "withdrawn" => "The booking has been withdrawn.".into(),
        "enrolled" => "Bookings made.".into(),
        _ => String::new(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let q = query(raw.as_deref());
    render_show(
        &state,
        &page.user,
        &page.session,
        &page.csrf,
        id,
        field(&q, "saved"),
        FormState::default(),
    )
    .await
}

pub(super) async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    tsession: &tower_sessions::Session,
    csrf: &str,
    id: i64,
    saved: String,
    form: FormState,
) -> Result<Response, AppError> {
    let s = must_get(state, id).await?;
    let manage = user.can(Capability::SessionsManage);
    let bookings = enrolment::bookings(&state.store, id).await?;
    let mine = user.person_id.and_then(|me| {
        bookings
            .iter()
            .find(|b| b.person_id == me && b.status != "withdrawn")
            .map(|b| b.status.clone())
    });
    let (enrolled, waitlist, attendance) = if manage {
        (
            bookings
                .iter()
                .filter(|b| b.status == "enrolled")
                .map(BookingView::from)
                .collect(),
            bookings
                .iter()
                .filter(|b| b.status == "waitlisted")
                .map(BookingView::from)
                .collect(),
            sessions::attendance(&state.store, id).await?,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    if manage && !bookings.is_empty() {
        audit_trail::record(
            &state.store,
            &user.actor(),
            Event::new(
                "session.view",
                format!("Viewed the bookings of session {id}"),
            )
            .on("session", id.to_string()),
        )
        .await?;
    }
    let report: Option<EnrolReport> = tsession
        .remove::<String>(REPORT_KEY)
        .await
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .map(|v| EnrolReport {
            enrolled: serde_json::from_value(v["enrolled"].clone()).unwrap_or_default(),
            waitlisted: serde_json::from_value(v["waitlisted"].clone()).unwrap_or_default(),
            skipped: v["skipped"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| enrolment::Skipped {
                            staff_number: x["staff_number"].as_str().unwrap_or("").into(),
                            reason: x["reason"].as_str().unwrap_or("").into(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            emails_queued: v["emails_queued"].as_u64().unwrap_or(0) as usize,
            without_email: v["without_email"].as_u64().unwrap_or(0) as usize,
        });
    let facets = if manage {
        people::facets(&state.store).await?
    } else {
        Default::default()
    };
    let profiles = if manage {
        programmes::profiles(&state.store)
            .await?
            .into_iter()
            .map(|p| (p.code, p.name))
            .collect()
    } else {
        Vec::new()
    };
    let has = form.has_errors();
    html(&ShowPage {
        chrome: Chrome::new(state, s.name().to_string(), Some(user), csrf, "/sessions")
            .with_errors(has),
        s: SessionView::from(&s),
        module_title: format!(
            "{} ({} v{})",
            s.module_title, s.module_code, s.module_version
        ),
        join_url: s.join_url.clone(),
        teams: s.mode() == SessionMode::Teams,
        cancel_reason: s.cancel_reason.clone().unwrap_or_default(),
        sequence: s.ics_sequence,
        trainers: linked_trainers(state, user, id).await?,
        audience: sessions::audience(&state.store, id).await?,
        enrolled,
        waitlist,
        attendance,
        manage,
        open: s.status().takes_bookings(),
        mine,
        saved: saved_text(&saved),
        report,
        cohorts: facets.cohorts,
        departments: facets.departments,
        profiles,
        form,
        people_links: user.may_open_everyone(),
    })
}

/// A session's trainers, each with whether their name links to their page for `user`: every
/// reader of the session sees who trains it, but a mentor or line manager may open only their
/// own people's pages (a link to anyone else's would answer "not found").
async fn linked_trainers(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Vec<(Trainer, bool)>, AppError> {
    let mut out = Vec::new();
    for t in sessions::trainers(&state.store, id).await? {
        let link = user.may_open_person(&state.store, t.person_id).await?;
        out.push((t, link));
    }
    Ok(out)
}

pub async fn cancel(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let reason = field(&pairs, "reason");
    match sessions::cancel(&state.store, &page.user.actor(), id, &reason).await {
        Ok(_) => Ok(see_other(&format!("/sessions/{id}?saved=cancelled"))),
        Err(SessionError::Invalid(errs)) => {
            let mut form = FormState::default();
            for e in errs {
                form.add_error(e.field, e.message);
            }
            render_show(
                &state,
                &page.user,
                &page.session,
                &page.csrf,
                id,
                String::new(),
                form,
            )
            .await
        }
        Err(e) => Err(refusal(e)),
    }
}

pub async fn deliver(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    sessions::mark_delivered(&state.store, &page.user.actor(), id)
        .await
        .map_err(refusal)?;
    Ok(see_other(&format!("/sessions/{id}?saved=delivered")))
}
