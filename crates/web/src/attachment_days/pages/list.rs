//! GET /attachment-days: the days, and an officer booking or withdrawing themself.

use super::*;

// ---------------------------------------------------------------------------------------------
// The list: upcoming days, and booking oneself

pub(crate) struct DayRow {
    pub id: i64,
    pub day: String,
    pub location: String,
    pub capacity: i64,
    pub places_left: i64,
    pub status: &'static str,
    /// For the signed-in person: "booked", "eligible", or why not.
    pub mine: Mine,
}

pub(crate) enum Mine {
    NotLinked,
    Booked,
    CanBook,
    Cannot(String),
}

impl DayRow {
    fn is_booked(&self) -> bool {
        matches!(self.mine, Mine::Booked)
    }
    fn can_book(&self) -> bool {
        matches!(self.mine, Mine::CanBook)
    }
    fn why_not(&self) -> &str {
        match &self.mine {
            Mine::Cannot(m) => m,
            _ => "",
        }
    }
}

pub(crate) struct MyBooking {
    pub day: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "attachment_days/attachment_list.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) days: Vec<DayRow>,
    pub(super) mine: Vec<MyBooking>,
    pub(super) manage: bool,
    pub(super) team: bool,
    pub(super) form: FormState,
    pub(super) banner: String,
    /// Why an officer past their second year cannot book, and what to do instead.
    pub(super) overdue: Option<String>,
}

/// For an officer whose second year of service has ended without an attachment day: why no day
/// can be booked here, and the next step.
pub(super) fn overdue_text(me: &Officer, booked: bool, today: time::Date) -> Option<String> {
    if booked {
        return None;
    }
    match me.eligibility(today) {
        Err(mashboard_domain::attachment_days::Ineligible::PastSecondYear { eligible_until }) => Some(format!(
            "Your attachment day is overdue. Days are booked in the second year of service, and yours ended on {}, so the days listed here cannot be booked online. Contact the MASH training team (the MASH trainer) to arrange a catch-up place on a day, and let your line manager know.",
            mashboard_domain::people::format_date_long(eligible_until)
        )),
        _ => None,
    }
}

pub(super) fn mine_for(
    d: &AttachmentDay,
    me: Option<&Officer>,
    booked: bool,
    today: time::Date,
) -> Mine {
    let Some(me) = me else {
        return Mine::NotLinked;
    };
    if booked {
        return Mine::Booked;
    }
    let Some(date) = d.date() else {
        return Mine::Cannot("The day's date is not readable".into());
    };
    if let Err(why) = me.eligibility(date) {
        return Mine::Cannot(why.message(&me.name));
    }
    match d.status() {
        DayStatus::Cancelled => Mine::Cannot("The day has been cancelled".into()),
        DayStatus::Held => Mine::Cannot("The day has taken place".into()),
        _ if date < today => Mine::Cannot("The day has taken place".into()),
        _ if d.places_left() == 0 => Mine::Cannot("The day is full".into()),
        _ => Mine::CanBook,
    }
}

pub(super) async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    banner: String,
) -> Result<Response, AppError> {
    let now = today();
    let from = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let days = attachment_days::days(&state.store, Some(&from)).await?;
    let me = match user.person_id {
        Some(id) => attachment_days::officer(&state.store, id).await?,
        None => None,
    };
    let my_bookings = match &me {
        Some(m) => attachment_days::bookings_of(&state.store, m.id).await?,
        None => Vec::new(),
    };
    let rows = days
        .iter()
        .filter(|d| d.status() != DayStatus::Cancelled)
        .map(|d| {
            let booked = my_bookings
                .iter()
                .any(|b| b.day_id == d.id && b.status == "booked");
            DayRow {
                id: d.id,
                day: long(&d.day),
                location: d.location.clone(),
                capacity: d.capacity,
                places_left: d.places_left(),
                status: status_label(&d.status),
                mine: mine_for(d, me.as_ref(), booked, now),
            }
        })
        .collect();
    let has = form.has_errors();
    let overdue = me.as_ref().and_then(|m| {
        let booked = my_bookings.iter().any(|b| b.status != "withdrawn");
        overdue_text(m, booked, now)
    });
    html(&ListPage {
        chrome: Chrome::new(
            state,
            "MASH attachment days",
            Some(user),
            csrf,
            "/attachment-days",
        )
        .with_errors(has),
        days: rows,
        mine: my_bookings
            .iter()
            .filter(|b| b.status != "withdrawn")
            .map(|b| MyBooking {
                day: long(&b.day),
                status: booking_label(&b.status),
            })
            .collect(),
        manage: user.can(Capability::SessionsManage),
        team: user.can(Capability::TeamBooking),
        form,
        banner,
        overdue,
    })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsBrowse>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    render_list(
        &state,
        &page.user,
        &page.csrf,
        FormState::default(),
        banner_for(raw.as_deref()),
    )
    .await
}

pub async fn book_self(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsBrowse>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory, so you cannot book. Ask an administrator to link it.".into(),
        ));
    };
    attachment_days::day(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match attachment_days::book(&state.store, &page.user.actor(), id, person_id, today()).await {
        Ok(_) => Ok(Redirect::to("/attachment-days?saved=booked").into_response()),
        Err(e) => {
            let m = refusal(e)?;
            let mut form = FormState::default();
            form.add_error(&format!("day-{id}"), m);
            render_list(&state, &page.user, &page.csrf, form, String::new()).await
        }
    }
}

pub async fn withdraw_self(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsBrowse>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::NotFound);
    };
    match attachment_days::withdraw(&state.store, &page.user.actor(), id, person_id).await {
        Ok(_) => Ok(Redirect::to("/attachment-days?saved=withdrawn").into_response()),
        Err(e) => {
            let m = store_refusal(e)?;
            let mut form = FormState::default();
            form.add_error(&format!("day-{id}"), m);
            render_list(&state, &page.user, &page.csrf, form, String::new()).await
        }
    }
}
