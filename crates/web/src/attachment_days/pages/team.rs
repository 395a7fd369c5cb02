//! A line manager's view of their team's attachment days.

use super::*;

// ---------------------------------------------------------------------------------------------
// A line manager's team

pub(crate) struct TeamCell {
    pub person_id: i64,
    pub booked: bool,
    pub can_book: bool,
    pub why_not: String,
}

pub(crate) struct TeamDay {
    pub id: i64,
    pub day: String,
    pub places_left: i64,
    pub cells: Vec<TeamCell>,
}

#[derive(Template)]
#[template(path = "attachment_days/attachment_team.html")]
pub(super) struct TeamPage {
    pub(super) chrome: Chrome,
    pub(super) people: Vec<Officer>,
    pub(super) days: Vec<TeamDay>,
    pub(super) form: FormState,
    pub(super) banner: String,
}

impl TeamPage {
    fn name_of(&self, id: &i64) -> String {
        self.people
            .iter()
            .find(|p| p.id == *id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }
}

pub(super) async fn render_team(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    banner: String,
) -> Result<Response, AppError> {
    let people = match user.person_id {
        Some(me) => attachment_days::team_of(&state.store, me).await?,
        None => Vec::new(),
    };
    let now = today();
    let from = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let days = attachment_days::days(&state.store, Some(&from)).await?;
    let mut out = Vec::new();
    for d in days.iter().filter(|d| d.status() != DayStatus::Cancelled) {
        let bookings = attachment_days::bookings(&state.store, d.id).await?;
        let cells = people
            .iter()
            .map(|p| {
                let booked = bookings
                    .iter()
                    .any(|b| b.person_id == p.id && b.status == "booked");
                let (can_book, why_not) = match mine_for(d, Some(p), booked, now) {
                    Mine::CanBook => (true, String::new()),
                    Mine::Cannot(m) => (false, m),
                    _ => (false, String::new()),
                };
                TeamCell {
                    person_id: p.id,
                    booked,
                    can_book,
                    why_not,
                }
            })
            .collect();
        out.push(TeamDay {
            id: d.id,
            day: long(&d.day),
            places_left: d.places_left(),
            cells,
        });
    }
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "attachment_team.view",
            "Viewed their team's attachment-day eligibility",
        ),
    )
    .await?;
    let has = form.has_errors();
    html(&TeamPage {
        chrome: Chrome::new(
            state,
            "Book your team on attachment days",
            Some(user),
            csrf,
            "/attachment-days",
        )
        .with_errors(has),
        people,
        days: out,
        form,
        banner,
    })
}

pub async fn team(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TeamBooking>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    render_team(
        &state,
        &page.user,
        &page.csrf,
        FormState::default(),
        banner_for(raw.as_deref()),
    )
    .await
}

/// Books or withdraws someone in the manager's own team; anyone else is refused.
pub async fn team_action(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TeamBooking>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let day_id: i64 = field(&pairs, "day_id")
        .parse()
        .map_err(|_| AppError::BadRequest("Choose an attachment day".into()))?;
    let person_id: i64 = field(&pairs, "person_id")
        .parse()
        .map_err(|_| AppError::BadRequest("Choose a person in your team".into()))?;
    let me = page.user.person_id.ok_or(AppError::Forbidden)?;
    let person = attachment_days::officer(&state.store, person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if person.line_manager_id != Some(me) {
        return Err(AppError::Forbidden);
    }
    attachment_days::day(&state.store, day_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = page.user.actor();
    let result = if field(&pairs, "action") == "withdraw" {
        attachment_days::withdraw(&state.store, &actor, day_id, person_id)
            .await
            .map(|_| "withdrawn")
            .map_err(BookError::Store)
    } else {
        attachment_days::book(&state.store, &actor, day_id, person_id, today())
            .await
            .map(|_| "booked")
    };
    match result {
        Ok(what) => {
            Ok(Redirect::to(&format!("/attachment-days/team?saved={what}")).into_response())
        }
        Err(e) => {
            let mut form = FormState::default();
            form.add_error(&format!("day-{day_id}"), refusal(e)?);
            render_team(&state, &page.user, &page.csrf, form, String::new()).await
        }
    }
}
