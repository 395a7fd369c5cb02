//! GET/POST /sessions/new and /sessions/{id}/edit: scheduling a session and changing it.

use super::*;

// ---------------------------------------------------------------------------------------------
// Schedule and change

#[derive(Template)]
#[template(path = "sessions/sessions_form.html")]
pub(super) struct FormPage {
    pub(super) chrome: Chrome,
    pub(super) form: FormState,
    /// None: a new session.
    pub(super) id: Option<i64>,
    pub(super) module_label: String,
    pub(super) modules: Vec<(i64, String)>,
    pub(super) series: Vec<(i64, String)>,
}

impl FormPage {
    fn selected(&self, name: &str, id: &i64) -> bool {
        self.form.value(name) == id.to_string()
    }
    fn mode_checked(&self, mode: &str) -> bool {
        self.form.value("mode") == mode
    }
}

pub(super) async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    id: Option<i64>,
    module_label: String,
) -> Result<Response, AppError> {
    let title = if id.is_some() {
        "Change a session"
    } else {
        "Schedule a session"
    };
    let has = form.has_errors();
    html(&FormPage {
        chrome: Chrome::new(state, title, Some(user), csrf, "/sessions").with_errors(has),
        form,
        id,
        module_label,
        modules: catalogue::modules(&state.store, false)
            .await?
            .into_iter()
            .map(|m| (m.id, format!("{} ({}, v{})", m.title, m.code, m.version)))
            .collect(),
        series: sessions::all_series(&state.store)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect(),
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = query(raw.as_deref());
    let mut form = FormState::default();
    form.set("mode", "in_person");
    form.set("capacity", "20");
    form.set("start_time", "09:00");
    form.set("end_time", "12:00");
    form.set("series_id", field(&q, "series_id"));
    form.set("module_id", field(&q, "module_id"));
    form.set("trainers", page.user.username.clone());
    render_form(&state, &page.user, &page.csrf, form, None, String::new()).await
}

pub(super) const FORM_FIELDS: [&str; 16] = [
    "module_id",
    "series_id",
    "title",
    "date",
    "start_time",
    "end_time",
    "mode",
    "venue",
    "room",
    "join_url",
    "capacity",
    "trainers",
    "cohorts",
    "departments",
    "role_profiles",
    "people",
];

/// Reads the schedule form: the session, or the form with its errors.
pub(super) fn read_form(pairs: &[(String, String)], new: bool) -> Result<NewSession, FormState> {
    let mut form = FormState::default();
    for n in FORM_FIELDS {
        form.set(n, field(pairs, n));
    }
    let module_id = if new {
        match form.value("module_id").parse::<i64>() {
            Ok(m) => m,
            Err(_) => {
                form.add_error("module_id", "Choose the module the session delivers");
                0
            }
        }
    } else {
        0
    };
    let series_id = form.value("series_id").parse::<i64>().ok();
    let mut when = |name: &str, time: &str| -> Option<dom::Instant> {
        let date = form.value("date").to_string();
        let t = form.value(time).to_string();
        if date.is_empty() {
            if name == "start_time" {
                form.add_error("date", "Enter the date of the session");
            }
            return None;
        }
        if t.is_empty() {
            form.add_error(
                time,
                format!(
                    "Enter the {} time",
                    if name == "start_time" { "start" } else { "end" }
                ),
            );
            return None;
        }
        match dom::parse_london(&date, &t) {
            Ok(ts) => Some(ts),
            Err(e) => {
                let f = if e.contains("is not a date") {
                    "date"
                } else {
                    time
                };
                if form.error(f).is_none() {
                    form.add_error(f, e);
                }
                None
            }
        }
    };
    let starts = when("start_time", "start_time");
    let ends = when("end_time", "end_time");
    let mode = SessionMode::parse(form.value("mode")).ok();
    if mode.is_none() {
        form.add_error("mode", "Choose in person or Microsoft Teams");
    }
    let capacity = match form.value("capacity").parse::<i64>() {
        Ok(c) => Some(c),
        Err(_) => {
            form.add_error(
                "capacity",
                "Enter the number of places as a whole number, like 20",
            );
            None
        }
    };
    let trainers = fields(pairs, "trainers");
    if trainers.is_empty() {
        form.add_error(
            "trainers",
            "Enter at least the lead trainer's user name or staff number",
        );
    }
    let mut audience = Vec::new();
    for (name, kind) in [
        ("cohorts", "cohort"),
        ("departments", "department"),
        ("role_profiles", "role_profile"),
        ("people", "person"),
    ] {
        for v in form
            .value(name)
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            audience.push((kind.to_string(), v.to_string()));
        }
    }
    if form.has_errors() {
        return Err(form);
    }
    let (Some(starts_at), Some(ends_at), Some(mode), Some(capacity)) =
        (starts, ends, mode, capacity)
    else {
        return Err(form);
    };
    Ok(NewSession {
        series_id,
        module_id,
        title: form.value("title").to_string(),
        starts_at,
        ends_at,
        mode,
        venue: form.value("venue").to_string(),
        room: form.value("room").to_string(),
        join_url: form.value("join_url").to_string(),
        capacity,
        trainers,
        audience,
        status: SessionStatus::Open,
    })
}

pub(super) fn form_of(pairs: &[(String, String)]) -> FormState {
    let mut form = FormState::default();
    for n in FORM_FIELDS {
        form.set(n, field(pairs, n));
    }
    form
}

/// The store's refusals onto the form's fields.
pub(super) fn store_errors(form: &mut FormState, e: SessionError) -> Result<(), AppError> {
    match e {
        SessionError::Invalid(errs) => {
            for e in errs {
                let f = match e.field {
                    "ends_at" => "end_time",
                    "starts_at" => "start_time",
                    "location" => "venue",
                    "audience" => "cohorts",
                    other => other,
                };
                form.add_error(f, e.message);
            }
            Ok(())
        }
        SessionError::Conflict(m) => Err(AppError::BadRequest(m)),
        SessionError::NotFound(_) => Err(AppError::NotFound),
        SessionError::Store(e) => Err(e.into()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let n = match read_form(&pairs, true) {
        Ok(n) => n,
        Err(form) => {
            return render_form(&state, &page.user, &page.csrf, form, None, String::new()).await
        }
    };
    match sessions::create(&state.store, &page.user.actor(), &n).await {
        Ok(s) => {
            let booked =
                crate::sessions::book_cohorts(&state.store, &page.user.actor(), s.id, &n.audience)
                    .await
                    .map_err(refusal)?;
            let Some(report) = booked else {
                return Ok(see_other(&format!("/sessions/{}?saved=created", s.id)));
            };
            keep_report(&page.session, &report).await;
            Ok(see_other(&format!(
                "/sessions/{}?saved=created_enrolled#bookings",
                s.id
            )))
        }
        Err(e) => {
            let mut form = form_of(&pairs);
            store_errors(&mut form, e)?;
            render_form(&state, &page.user, &page.csrf, form, None, String::new()).await
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let s = must_get(&state, id).await?;
    let mut form = FormState::default();
    let (date, start) = dom::london_fields(s.starts());
    let (_, end) = dom::london_fields(s.ends());
    let trainers = sessions::trainers(&state.store, id).await?;
    let audience = sessions::audience(&state.store, id).await?;
    let aud = |kind: &str| {
        audience
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.value.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    form.set(
        "series_id",
        s.series_id.map(|x| x.to_string()).unwrap_or_default(),
    );
    form.set("title", s.title.clone());
    form.set("date", date);
    form.set("start_time", start);
    form.set("end_time", end);
    form.set("mode", s.mode.clone());
    form.set("venue", s.venue.clone());
    form.set("room", s.room.clone());
    form.set("join_url", s.join_url.clone());
    form.set("capacity", s.capacity.to_string());
    form.set(
        "trainers",
        trainers
            .iter()
            .map(|t| t.staff_number.clone())
            .collect::<Vec<_>>()
            .join(", "),
    );
    form.set("cohorts", aud("cohort"));
    form.set("departments", aud("department"));
    form.set("role_profiles", aud("role_profile"));
    form.set("people", aud("person"));
    let label = format!(
        "{} ({} v{})",
        s.module_title, s.module_code, s.module_version
    );
    render_form(&state, &page.user, &page.csrf, form, Some(id), label).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let s = must_get(&state, id).await?;
    let label = format!(
        "{} ({} v{})",
        s.module_title, s.module_code, s.module_version
    );
    let n = match read_form(&pairs, false) {
        Ok(n) => n,
        Err(form) => {
            return render_form(&state, &page.user, &page.csrf, form, Some(id), label).await
        }
    };
    let p = SessionPatch {
        title: Some(n.title),
        starts_at: Some(n.starts_at),
        ends_at: Some(n.ends_at),
        mode: Some(n.mode),
        venue: Some(n.venue),
        room: Some(n.room),
        join_url: Some(n.join_url),
        capacity: Some(n.capacity),
        series_id: Some(n.series_id),
        trainers: Some(n.trainers),
        audience: Some(n.audience),
    };
    match sessions::update(&state.store, &page.user.actor(), id, &p).await {
        Ok(c) => Ok(see_other(&format!(
            "/sessions/{id}?saved={}",
            if c.rescheduled {
                "rescheduled"
            } else {
                "changed"
            }
        ))),
        Err(e) => {
            let mut form = form_of(&pairs);
            store_errors(&mut form, e)?;
            render_form(&state, &page.user, &page.csrf, form, Some(id), label).await
        }
    }
}
