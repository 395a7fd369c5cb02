//! The people directory: browse and filter, view (audited), add and edit (with history).

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::view::{html, page_start, Chrome, FormState, PageLinks};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use mashboard_domain::access::{Capability, PeopleScope};
use mashboard_domain::people::PersonDraft;
use mashboard_domain::Role;
use mashboard_store::audit_trail::{self, AuditEvent, Event};
use mashboard_store::keyset::{Count, PageStart};
use mashboard_store::people::{self, Facets, ListedPerson, PeopleQuery, Person, SaveError, Status};

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "people/people_list.html")]
struct ListPage {
    chrome: Chrome,
    q: PeopleQuery,
    facets: Facets,
    roles: Vec<Role>,
    rows: Vec<ListedPerson>,
    /// How many people match, up to the directory's cap.
    matching: Count,
    links: PageLinks,
    can_add: bool,
    scoped: bool,
}

impl ListPage {
    fn status_is(&self, s: &str) -> bool {
        matches!(
            (s, self.q.status),
            ("active", Status::Active) | ("left", Status::Left) | ("all", Status::All)
        )
    }
}

/// The filters and where the page starts (`after=`/`before=` a staff number; an old `page=N`
/// is the first page).
fn parse_query(raw: Option<&str>) -> (PeopleQuery, PageStart) {
    let pairs = crate::form::query_pairs(raw);
    let get = |k: &str| crate::form::field(&pairs, k);
    let status = match get("status").as_str() {
        "left" => Status::Left,
        "all" => Status::All,
        _ => Status::Active,
    };
    let q = PeopleQuery {
        search: get("search").chars().take(100).collect(),
        department: get("department"),
        team: get("team"),
        rank: get("rank"),
        role: get("role"),
        cohort: get("cohort"),
        status,
    };
    (q, page_start(&pairs))
}

fn query_string(q: &PeopleQuery) -> String {
    let status = match q.status {
        Status::Active => "",
        Status::Left => "left",
        Status::All => "all",
    };
    let pairs: Vec<(&str, &str)> = [
        ("search", q.search.as_str()),
        ("department", &q.department),
        ("team", &q.team),
        ("rank", &q.rank),
        ("role", &q.role),
        ("cohort", &q.cohort),
        ("status", status),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::PeopleBrowse>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (q, start) = parse_query(raw.as_deref());
    let scope = page.user.people_scope();
    let (shown, matching) =
        people::page_and_count(&state.store, &q, scope, &start, PER_PAGE).await?;
    let filters = query_string(&q);
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "people.list",
            format!(
                "Viewed the people list ({} of {} shown)",
                shown.rows.len(),
                matching.words()
            ),
        )
        .after(&serde_json::json!({
            "filters": filters,
            "from": shown.rows.first().map(|p| &p.staff_number),
            "to": shown.rows.last().map(|p| &p.staff_number),
        })),
    )
    .await?;
    let links = PageLinks::of("/people", &filters, &shown, |p| p.staff_number.as_str());
    html(&ListPage {
        chrome: Chrome::new(&state, "People", Some(&page.user), &page.csrf, "/people"),
        facets: people::facets(&state.store).await?,
        roles: Role::ALL.to_vec(),
        rows: shown.rows,
        matching,
        links,
        can_add: page.user.can(Capability::PeopleEdit),
        scoped: scope != PeopleScope::All,
        q,
    })
}

#[derive(Template)]
#[template(path = "people/person.html")]
struct PersonPage {
    chrome: Chrome,
    p: Person,
    can_edit: bool,
    history: Vec<AuditEvent>,
    show_history: bool,
    saved: bool,
    can_see_training: bool,
}

async fn visible_person(
    state: &AppState,
    user: &CurrentUser,
    staff_number: &str,
) -> Result<Person, AppError> {
    let p = people::get(&state.store, staff_number)
        .await?
        .ok_or(AppError::NotFound)?;
    // Outside a user's scope a person does not exist for them (no hint that the number is real).
    if !people::in_scope(&p, user.people_scope()) {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

#[derive(serde::Deserialize, Default)]
pub struct Saved {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::PeopleBrowse>,
    Path(staff_number): Path<String>,
    axum::extract::Query(s): axum::extract::Query<Saved>,
) -> Result<Response, AppError> {
    let p = visible_person(&state, &page.user, &staff_number).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "person.view",
            format!("Viewed the record of {}", p.staff_number),
        )
        .on("person", &p.staff_number),
    )
    .await?;
    let show_history =
        page.user.can(Capability::PeopleEdit) || page.user.can(Capability::AuditRead);
    let history = if show_history {
        audit_trail::changes_to(&state.store, "person", &p.staff_number).await?
    } else {
        Vec::new()
    };
    html(&PersonPage {
        chrome: Chrome::new(
            &state,
            p.name.clone(),
            Some(&page.user),
            &page.csrf,
            "/people",
        ),
        can_edit: page.user.can(Capability::PeopleEdit),
        history,
        show_history,
        saved: s.saved.is_some(),
        can_see_training: page.user.can(Capability::TrainingRecords),
        p,
    })
}

#[derive(Template)]
#[template(path = "people/person_form.html")]
struct PersonForm {
    chrome: Chrome,
    form: FormState,
    /// `None` when adding someone new.
    editing: Option<String>,
    roles: Vec<Role>,
}

impl PersonForm {
    fn role_checked(&self, role: &Role) -> bool {
        self.form
            .value("roles")
            .split(';')
            .any(|r| r.trim() == role.as_str())
    }
    fn active(&self) -> bool {
        self.form.value("status") != "left"
    }
}

fn draft_form(d: &PersonDraft, active: bool) -> FormState {
    let mut f = FormState::default();
    for (k, v) in [
        ("staff_number", &d.staff_number),
        ("name", &d.name),
        ("rank", &d.rank),
        ("department", &d.department),
        ("team", &d.team),
        ("roles", &d.roles),
        ("start_date", &d.start_date),
        ("cohort", &d.cohort),
        ("line_manager_staff_number", &d.line_manager_staff_number),
        ("mentor_staff_number", &d.mentor_staff_number),
        ("email", &d.email),
    ] {
        f.set(k, v.as_str());
    }
    f.set("status", if active { "active" } else { "left" });
    f
}

/// Reads the person form (checkbox roles come as repeated fields).
fn read_form(pairs: &[(String, String)]) -> (PersonDraft, bool) {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let roles: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "roles")
        .map(|(_, v)| v.as_str())
        .collect();
    (
        PersonDraft {
            staff_number: get("staff_number"),
            name: get("name"),
            rank: get("rank"),
            department: get("department"),
            team: get("team"),
            roles: roles.join(";"),
            start_date: get("start_date"),
            cohort: get("cohort"),
            line_manager_staff_number: get("line_manager_staff_number"),
            mentor_staff_number: get("mentor_staff_number"),
            email: get("email"),
        },
        get("status") != "left",
    )
}

fn render_form(
    state: &AppState,
    page: &Page<cap::PeopleEdit>,
    form: FormState,
    editing: Option<String>,
) -> Result<Response, AppError> {
    let title = match &editing {
        Some(sn) => format!("Change the record of {sn}"),
        None => "Add a person".to_string(),
    };
    let has_errors = form.has_errors();
    html(&PersonForm {
        chrome: Chrome::new(state, title, Some(&page.user), &page.csrf, "/people")
            .with_errors(has_errors),
        form,
        editing,
        roles: Role::ALL.to_vec(),
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::PeopleEdit>,
) -> Result<Response, AppError> {
    render_form(
        &state,
        &page,
        draft_form(&PersonDraft::default(), true),
        None,
    )
}

fn with_errors(
    mut form: FormState,
    errors: Vec<mashboard_domain::people::FieldError>,
) -> FormState {
    for e in errors {
        form.add_error(e.field, e.message);
    }
    form
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::PeopleEdit>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (draft, _) = read_form(&pairs);
    let form = draft_form(&draft, true);
    let input = match draft.validate() {
        Ok(i) => i,
        Err(errors) => return render_form(&state, &page, with_errors(form, errors), None),
    };
    match people::create(&state.store, &page.user.actor(), &input).await {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}?saved=1", p.staff_number)).into_response()),
        Err(SaveError::Invalid(errors)) => {
            render_form(&state, &page, with_errors(form, errors), None)
        }
        Err(SaveError::Store(e)) => Err(e.into()),
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page<cap::PeopleEdit>,
    Path(staff_number): Path<String>,
) -> Result<Response, AppError> {
    let p = visible_person(&state, &page.user, &staff_number).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "person.view",
            format!("Opened the record of {} to edit it", p.staff_number),
        )
        .on("person", &p.staff_number),
    )
    .await?;
    let draft = p
        .as_input()
        .map(|i| i.to_draft())
        .unwrap_or_else(|| PersonDraft {
            staff_number: p.staff_number.clone(),
            name: p.name.clone(),
            ..Default::default()
        });
    render_form(
        &state,
        &page,
        draft_form(&draft, p.active),
        Some(p.staff_number),
    )
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::PeopleEdit>,
    Path(staff_number): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let p = visible_person(&state, &page.user, &staff_number).await?;
    let (mut draft, active) = read_form(&pairs);
    // The staff number is the key imports match on; it is shown, not edited.
    draft.staff_number = p.staff_number.clone();
    let form = draft_form(&draft, active);
    let input = match draft.validate() {
        Ok(i) => i,
        Err(errors) => {
            return render_form(
                &state,
                &page,
                with_errors(form, errors),
                Some(p.staff_number),
            )
        }
    };
    match people::update(
        &state.store,
        &page.user.actor(),
        &p.staff_number,
        &input,
        active,
    )
    .await
    {
        Ok(p) => Ok(Redirect::to(&format!("/people/{}?saved=1", p.staff_number)).into_response()),
        Err(SaveError::Invalid(errors)) => render_form(
            &state,
            &page,
            with_errors(form, errors),
            Some(p.staff_number),
        ),
        Err(SaveError::Store(e)) => Err(e.into()),
    }
}
