//! One attachment day: its bookings, attendance, partners, editing and cancelling it.

use super::*;

// ---------------------------------------------------------------------------------------------
// One day: bookings, attendance, partner participants

#[derive(Template)]
#[template(path = "attachment_days/attachment_day.html")]
pub(super) struct DayPage {
    pub(super) chrome: Chrome,
    pub(super) d: AttachmentDay,
    pub(super) day_long: String,
    pub(super) status: &'static str,
    pub(super) bookings: Vec<Booking>,
    pub(super) participants: Vec<Participant>,
    pub(super) orgs: Vec<PartnerOrg>,
    pub(super) can_mark: bool,
    pub(super) form: FormState,
    pub(super) banner: String,
}

impl DayPage {
    fn label(&self, s: &str) -> &'static str {
        booking_label(s)
    }
    fn org_of(&self, p: &Participant) -> String {
        p.organisation_shown().to_string()
    }
}

pub(super) async fn render_day(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    form: FormState,
    banner: String,
) -> Result<Response, AppError> {
    let d = attachment_days::day(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let bookings = attachment_days::bookings(&state.store, id).await?;
    let participants = attachment_days::participants(&state.store, id).await?;
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "attachment_day.view",
            format!("Viewed the bookings of the attachment day on {}", d.day),
        )
        .on("attachment_day", id.to_string()),
    )
    .await?;
    let has = form.has_errors();
    html(&DayPage {
        chrome: Chrome::new(
            state,
            format!("Attachment day, {}", long(&d.day)),
            Some(user),
            csrf,
            "/attachment-days",
        )
        .with_errors(has),
        day_long: long(&d.day),
        status: status_label(&d.status),
        can_mark: d.date().is_some_and(|x| x <= today()) && d.status() != DayStatus::Cancelled,
        d,
        bookings,
        participants,
        orgs: active_orgs(state).await?,
        form,
        banner,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    render_day(
        &state,
        &page.user,
        &page.csrf,
        id,
        FormState::default(),
        banner_for(raw.as_deref()),
    )
    .await
}

pub(super) async fn day_error(
    state: &AppState,
    page: &Page<crate::auth::cap::SessionsManage>,
    id: i64,
    field_name: &str,
    message: String,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.add_error(field_name, message);
    render_day(state, &page.user, &page.csrf, id, form, String::new()).await
}

/// Books someone by staff number, or withdraws a booking (`withdraw` = person id).
pub async fn manage_booking(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let actor = page.user.actor();
    if let Ok(pid) = field(&pairs, "withdraw").parse::<i64>() {
        return match attachment_days::withdraw(&state.store, &actor, id, pid).await {
            Ok(_) => {
                Ok(Redirect::to(&format!("/attachment-days/{id}?saved=withdrawn")).into_response())
            }
            Err(e) => day_error(&state, &page, id, "staff_number", store_refusal(e)?).await,
        };
    }
    let sn = field(&pairs, "staff_number");
    if sn.is_empty() {
        return day_error(
            &state,
            &page,
            id,
            "staff_number",
            "Enter the staff number of the officer to book".into(),
        )
        .await;
    }
    let Some(o) = attachment_days::officer_by_staff_number(&state.store, &sn).await? else {
        return day_error(
            &state,
            &page,
            id,
            "staff_number",
            format!("No one in the directory has staff number {sn}"),
        )
        .await;
    };
    match attachment_days::book(&state.store, &actor, id, o.id, today()).await {
        Ok(_) => Ok(Redirect::to(&format!("/attachment-days/{id}?saved=booked")).into_response()),
        Err(e) => day_error(&state, &page, id, "staff_number", refusal(e)?).await,
    }
}

pub async fn attendance(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let pid: i64 = field(&pairs, "person_id")
        .parse()
        .map_err(|_| AppError::BadRequest("Choose a booked officer".into()))?;
    let attended = match field(&pairs, "status").as_str() {
        "attended" => true,
        "absent" => false,
        _ => {
            return day_error(
                &state,
                &page,
                id,
                "attendance",
                "Choose attended or absent".into(),
            )
            .await
        }
    };
    match attachment_days::mark(&state.store, &page.user.actor(), id, pid, attended, today()).await
    {
        Ok(_) => Ok(Redirect::to(&format!("/attachment-days/{id}?saved=marked")).into_response()),
        Err(e) => day_error(&state, &page, id, "attendance", store_refusal(e)?).await,
    }
}

/// Adds, marks or removes a partner participant.
pub async fn partners_action(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let actor = page.user.actor();
    let done = Redirect::to(&format!("/attachment-days/{id}?saved=partner")).into_response();
    if let Ok(pid) = field(&pairs, "remove").parse::<i64>() {
        attachment_days::remove_participant(&state.store, &actor, id, pid).await?;
        return Ok(done);
    }
    if let Ok(pid) = field(&pairs, "mark").parse::<i64>() {
        let status = match field(&pairs, "status").as_str() {
            "attended" => Some(true),
            "absent" => Some(false),
            _ => None,
        };
        attachment_days::mark_participant(&state.store, &actor, id, pid, status).await?;
        return Ok(done);
    }
    match guest_draft(&pairs).validate() {
        Ok(x) => match attachment_days::add_participant(&state.store, &actor, id, &x).await {
            Ok(_) => Ok(done),
            Err(e) => day_error(&state, &page, id, "name", store_refusal(e)?).await,
        },
        Err(errors) => {
            let form = guest_form(&pairs, &errors);
            render_day(&state, &page.user, &page.csrf, id, form, String::new()).await
        }
    }
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let d = attachment_days::day(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let capacity = match check_capacity(&field(&pairs, "capacity"), d.booked as u32) {
        Ok(c) => c,
        Err(m) => return day_error(&state, &page, id, "capacity", m).await,
    };
    match attachment_days::update_day(
        &state.store,
        &page.user.actor(),
        id,
        capacity,
        &field(&pairs, "location"),
        &field(&pairs, "notes"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/attachment-days/{id}?saved=updated")).into_response()),
        Err(e) => day_error(&state, &page, id, "capacity", store_refusal(e)?).await,
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    match attachment_days::cancel_day(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "reason"),
    )
    .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/attachment-days/{id}?saved=cancelled")).into_response())
        }
        Err(e) => day_error(&state, &page, id, "reason", store_refusal(e)?).await,
    }
}
