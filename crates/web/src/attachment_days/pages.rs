//! MASH attachment days: second-year officers book a day themselves (or their line manager
//! books them), the trainer schedules days, marks attendance (which records the day's module as
//! completed in the officer's plan), adds partner participants and starts the exercise run.
//! Every refusal says why in plain words; every view of a list of people is audited.

use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::form::{field, path_id, query_value};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::attachment::{check_capacity, DayStatus};
use mashboard_domain::partners::ExternalDraft;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_store::audit::{self, Event};
use mashboard_store::learning::attachment::{
    self, AttachmentDay, BookError, Booking, NewDay, Officer, Participant,
};
use mashboard_store::partners::{self, PartnerOrg};
use mashboard_store::training::today;
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{SessionsBrowse, SessionsManage, TeamBooking};
    t.get("/attachment-days", P(SessionsBrowse), get(list))
        .post(
            "/attachment-days/{id}/book",
            P(SessionsBrowse),
            post(book_self),
        )
        .post(
            "/attachment-days/{id}/withdraw",
            P(SessionsBrowse),
            post(withdraw_self),
        )
        .get("/attachment-days/new", P(SessionsManage), get(new_form))
        .post("/attachment-days/new", P(SessionsManage), post(create))
        .get("/attachment-days/team", P(TeamBooking), get(team))
        .post("/attachment-days/team", P(TeamBooking), post(team_action))
        .get("/attachment-days/{id}", P(SessionsManage), get(show))
        .post(
            "/attachment-days/{id}/bookings",
            P(SessionsManage),
            post(manage_booking),
        )
        .post(
            "/attachment-days/{id}/attendance",
            P(SessionsManage),
            post(attendance),
        )
        .post(
            "/attachment-days/{id}/partners",
            P(SessionsManage),
            post(partners_action),
        )
        .post("/attachment-days/{id}/edit", P(SessionsManage), post(edit))
        .post(
            "/attachment-days/{id}/cancel",
            P(SessionsManage),
            post(cancel),
        )
}

fn banner_for(raw: Option<&str>) -> String {
    match query_value(raw, "saved").as_deref() {
        Some("booked") => "The booking has been made.".into(),
        Some("withdrawn") => "The booking has been withdrawn.".into(),
        Some("created") => "The attachment day has been scheduled.".into(),
        Some("marked") => "Attendance has been recorded.".into(),
        Some("partner") => "The partner participants have been changed.".into(),
        Some("updated") => "The day has been changed.".into(),
        Some("cancelled") => "The day has been cancelled.".into(),
        _ => String::new(),
    }
}

fn long(day: &str) -> String {
    parse_date(day)
        .map(format_date_long)
        .unwrap_or_else(|_| day.to_string())
}

fn status_label(s: &str) -> &'static str {
    DayStatus::parse(s).map(|d| d.label()).unwrap_or("Unknown")
}

fn booking_label(s: &str) -> &'static str {
    match s {
        "booked" => "Booked",
        "withdrawn" => "Withdrawn",
        "attended" => "Attended",
        "absent" => "Absent",
        _ => "Unknown",
    }
}

fn refusal(e: BookError) -> Result<String, AppError> {
    match e {
        BookError::Refused { message, .. } => Ok(message),
        BookError::Store(StoreError::Invalid(m)) | BookError::Store(StoreError::Conflict(m)) => {
            Ok(m)
        }
        BookError::Store(other) => Err(other.into()),
    }
}

fn store_refusal(e: StoreError) -> Result<String, AppError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        other => Err(other.into()),
    }
}

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
struct ListPage {
    chrome: Chrome,
    days: Vec<DayRow>,
    mine: Vec<MyBooking>,
    manage: bool,
    team: bool,
    form: FormState,
    banner: String,
}

fn mine_for(d: &AttachmentDay, me: Option<&Officer>, booked: bool, today: time::Date) -> Mine {
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

async fn render_list(
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
    let days = attachment::days(&state.store, Some(&from)).await?;
    let me = match user.person_id {
        Some(id) => attachment::officer(&state.store, id).await?,
        None => None,
    };
    let my_bookings = match &me {
        Some(m) => attachment::bookings_of(&state.store, m.id).await?,
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
    attachment::day(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match attachment::book(&state.store, &page.user.actor(), id, person_id, today()).await {
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
    match attachment::withdraw(&state.store, &page.user.actor(), id, person_id).await {
        Ok(_) => Ok(Redirect::to("/attachment-days?saved=withdrawn").into_response()),
        Err(e) => {
            let m = store_refusal(e)?;
            let mut form = FormState::default();
            form.add_error(&format!("day-{id}"), m);
            render_list(&state, &page.user, &page.csrf, form, String::new()).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scheduling a day

#[derive(Template)]
#[template(path = "attachment_days/attachment_new.html")]
struct NewPage {
    chrome: Chrome,
    form: FormState,
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("capacity", "8");
    html(&NewPage {
        chrome: Chrome::new(
            &state,
            "Schedule an attachment day",
            Some(&page.user),
            &page.csrf,
            "/attachment-days",
        ),
        form,
    })
}

/// A new day as typed (in a form or a JSON request).
pub(crate) struct DayDraft<'a> {
    pub day: &'a str,
    pub capacity: &'a str,
    pub location: &'a str,
    /// The facilitator's staff number, or empty.
    pub facilitator: &'a str,
    pub notes: &'a str,
}

/// Checks a new day: a date today or later, a capacity, a facilitator in the directory, a
/// place of at most 200 characters. Every problem is returned at once, by field.
pub(crate) async fn check_new_day(
    store: &mashboard_store::Store,
    d: &DayDraft<'_>,
) -> Result<Result<NewDay, Vec<(&'static str, String)>>, AppError> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let day = match d.day.trim() {
        "" => {
            errors.push(("day", "Enter the date of the day".into()));
            None
        }
        raw => match parse_date(raw) {
            Ok(day) if day < today() => {
                errors.push(("day", "The date must be today or in the future".into()));
                None
            }
            Ok(day) => Some(day),
            Err(m) => {
                errors.push(("day", m.to_string()));
                None
            }
        },
    };
    let capacity = check_capacity(d.capacity, 0)
        .map_err(|m| errors.push(("capacity", m)))
        .ok();
    let facilitator = match d.facilitator.trim() {
        "" => None,
        sn => match attachment::officer_by_staff_number(store, sn).await? {
            Some(o) => Some(o.id),
            None => {
                errors.push((
                    "facilitator",
                    format!("No one in the directory has staff number {sn}"),
                ));
                None
            }
        },
    };
    if d.location.trim().chars().count() > 200 {
        errors.push((
            "location",
            "The place must be 200 characters or fewer".into(),
        ));
    }
    match (day, capacity) {
        (Some(day), Some(capacity)) if errors.is_empty() => Ok(Ok(NewDay {
            day,
            capacity,
            location: d.location.trim().to_string(),
            facilitator_person_id: facilitator,
            module_id: None,
            notes: d.notes.trim().to_string(),
        })),
        _ => Ok(Err(errors)),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    for n in ["day", "capacity", "location", "facilitator", "notes"] {
        form.set(n, field(&pairs, n));
    }
    let draft = DayDraft {
        day: form.value("day"),
        capacity: form.value("capacity"),
        location: form.value("location"),
        facilitator: form.value("facilitator"),
        notes: form.value("notes"),
    };
    let checked = check_new_day(&state.store, &draft).await?;
    let new_day = match checked {
        Ok(d) => d,
        Err(errors) => {
            for (name, message) in errors {
                form.add_error(name, message);
            }
            return render_new(&state, &page, form);
        }
    };
    let d = attachment::create_day(&state.store, &page.user.actor(), &new_day).await?;
    Ok(Redirect::to(&format!("/attachment-days/{}?saved=created", d.id)).into_response())
}

fn render_new(
    state: &AppState,
    page: &Page<crate::auth::cap::SessionsManage>,
    form: FormState,
) -> Result<Response, AppError> {
    let has = form.has_errors();
    html(&NewPage {
        chrome: Chrome::new(
            state,
            "Schedule an attachment day",
            Some(&page.user),
            &page.csrf,
            "/attachment-days",
        )
        .with_errors(has),
        form,
    })
}

// ---------------------------------------------------------------------------------------------
// One day: bookings, attendance, partner participants

#[derive(Template)]
#[template(path = "attachment_days/attachment_day.html")]
struct DayPage {
    chrome: Chrome,
    d: AttachmentDay,
    day_long: String,
    status: &'static str,
    bookings: Vec<Booking>,
    participants: Vec<Participant>,
    orgs: Vec<PartnerOrg>,
    can_mark: bool,
    form: FormState,
    banner: String,
}

impl DayPage {
    fn label(&self, s: &str) -> &'static str {
        booking_label(s)
    }
    fn org_of(&self, p: &Participant) -> String {
        p.organisation_shown().to_string()
    }
}

async fn render_day(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    form: FormState,
    banner: String,
) -> Result<Response, AppError> {
    let d = attachment::day(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let bookings = attachment::bookings(&state.store, id).await?;
    let participants = attachment::participants(&state.store, id).await?;
    audit::record(
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
        orgs: partners::orgs(&state.store)
            .await?
            .into_iter()
            .filter(|o| o.active)
            .collect(),
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

async fn day_error(
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
        return match attachment::withdraw(&state.store, &actor, id, pid).await {
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
    let Some(o) = attachment::officer_by_staff_number(&state.store, &sn).await? else {
        return day_error(
            &state,
            &page,
            id,
            "staff_number",
            format!("No one in the directory has staff number {sn}"),
        )
        .await;
    };
    match attachment::book(&state.store, &actor, id, o.id, today()).await {
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
    match attachment::mark(&state.store, &page.user.actor(), id, pid, attended, today()).await {
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
        attachment::remove_participant(&state.store, &actor, id, pid).await?;
        return Ok(done);
    }
    if let Ok(pid) = field(&pairs, "mark").parse::<i64>() {
        let status = match field(&pairs, "status").as_str() {
            "attended" => Some(true),
            "absent" => Some(false),
            _ => None,
        };
        attachment::mark_participant(&state.store, &actor, id, pid, status).await?;
        return Ok(done);
    }
    let draft = ExternalDraft {
        name: field(&pairs, "name"),
        organisation: field(&pairs, "organisation"),
        partner_org_id: field(&pairs, "partner_org_id").parse().ok(),
        email: field(&pairs, "email"),
    };
    match draft.validate() {
        Ok(x) => match attachment::add_participant(&state.store, &actor, id, &x).await {
            Ok(_) => Ok(done),
            Err(e) => day_error(&state, &page, id, "name", store_refusal(e)?).await,
        },
        Err(errors) => {
            let mut form = FormState::default();
            for n in ["name", "organisation", "partner_org_id", "email"] {
                form.set(n, field(&pairs, n));
            }
            for e in errors {
                form.add_error(e.field, e.message);
            }
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
    let d = attachment::day(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let capacity = match check_capacity(&field(&pairs, "capacity"), d.booked as u32) {
        Ok(c) => c,
        Err(m) => return day_error(&state, &page, id, "capacity", m).await,
    };
    match attachment::update_day(
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
    match attachment::cancel_day(
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
struct TeamPage {
    chrome: Chrome,
    people: Vec<Officer>,
    days: Vec<TeamDay>,
    form: FormState,
    banner: String,
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

async fn render_team(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    banner: String,
) -> Result<Response, AppError> {
    let people = match user.person_id {
        Some(me) => attachment::team_of(&state.store, me).await?,
        None => Vec::new(),
    };
    let now = today();
    let from = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let days = attachment::days(&state.store, Some(&from)).await?;
    let mut out = Vec::new();
    for d in days.iter().filter(|d| d.status() != DayStatus::Cancelled) {
        let bookings = attachment::bookings(&state.store, d.id).await?;
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
    audit::record(
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
    let person = attachment::officer(&state.store, person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if person.line_manager_id != Some(me) {
        return Err(AppError::Forbidden);
    }
    attachment::day(&state.store, day_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = page.user.actor();
    let result = if field(&pairs, "action") == "withdraw" {
        attachment::withdraw(&state.store, &actor, day_id, person_id)
            .await
            .map(|_| "withdrawn")
            .map_err(BookError::Store)
    } else {
        attachment::book(&state.store, &actor, day_id, person_id, today())
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
