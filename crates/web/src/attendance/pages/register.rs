//! The register: GET/POST /sessions/{id}/attendance, marking everyone, the Teams report
//! setting and resolving report participants by hand.

use super::*;

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
