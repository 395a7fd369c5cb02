//! GET/POST /sessions/{id}/team: a line manager books and withdraws the people they manage.

use super::*;

pub(super) fn manager_id(user: &CurrentUser) -> Result<i64, AppError> {
    user.person_id.ok_or_else(|| {
        AppError::BadRequest(
            "Your account is not linked to a person in the directory, so you have no team to book"
                .into(),
        )
    })
}

pub async fn team_enrol_many(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let me = manager_id(&page.user)?;
    bulk(
        &state,
        &page.user,
        &page.session,
        &pairs,
        Some(me),
        "/sessions/team",
    )
    .await
}

#[derive(Template)]
#[template(path = "sessions/sessions_team.html")]
pub(super) struct TeamPage {
    pub(super) chrome: Chrome,
    pub(super) linked: bool,
    pub(super) members: Vec<(String, String)>,
    pub(super) bookings: Vec<PersonBooking>,
    pub(super) upcoming: Vec<SessionView>,
    pub(super) report: Option<EnrolReport>,
    pub(super) saved: String,
    pub(super) people_links: bool,
}

pub async fn team(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = query(raw.as_deref());
    let (members, bookings) = match page.user.person_id {
        Some(me) => (
            enrolment::team_members(&state.store, me).await?,
            enrolment::of_team(&state.store, me).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    if !bookings.is_empty() {
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new("session.team_view", "Viewed their team's session bookings"),
        )
        .await?;
    }
    let upcoming = sessions::list(
        &state.store,
        &SessionFilter {
            upcoming: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let report = if field(&q, "enrolled").is_empty() {
        None
    } else {
        page.session
            .remove::<String>(REPORT_KEY)
            .await
            .ok()
            .flatten()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map(|v| EnrolReport {
                enrolled: serde_json::from_value(v["enrolled"].clone()).unwrap_or_default(),
                waitlisted: serde_json::from_value(v["waitlisted"].clone()).unwrap_or_default(),
                skipped: Vec::new(),
                emails_queued: 0,
                without_email: 0,
            })
    };
    html(&TeamPage {
        chrome: Chrome::new(
            &state,
            "Your team's sessions",
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        linked: page.user.person_id.is_some(),
        people_links: page.user.can(Capability::PeopleBrowse),
        members,
        bookings,
        upcoming: upcoming
            .iter()
            .filter(|s| s.status().takes_bookings())
            .map(SessionView::from)
            .collect(),
        report,
        saved: saved_text(&field(&q, "saved")),
    })
}

pub async fn team_book(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let me = manager_id(&page.user)?;
    bulk(
        &state,
        &page.user,
        &page.session,
        &pairs,
        Some(me),
        "/sessions/team",
    )
    .await
}

pub async fn team_withdraw(
    State(state): State<AppState>,
    page: Page<cap::TeamBooking>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let me = manager_id(&page.user)?;
    let id: i64 = field(&pairs, "session_id")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    enrolment::withdraw(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "staff_number"),
        Some(me),
    )
    .await
    .map_err(refusal)?;
    Ok(see_other("/sessions/team?saved=withdrawn"))
}
