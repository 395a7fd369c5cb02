//! The people directory through the JSON API: `/api/v1/people`.

use crate::auth::{cap, Api};
use crate::error::ApiError;
use crate::error::{Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use mashboard_domain::access::PeopleScope;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::keyset::PageStart;
use mashboard_store::people::{self, PeopleQuery, Person, Status};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct PersonJson {
    pub staff_number: String,
    pub name: String,
    pub rank: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub roles: Vec<String>,
    /// `YYYY-MM-DD`
    pub start_date: Option<String>,
    pub cohort: Option<String>,
    pub line_manager_staff_number: Option<String>,
    pub mentor_staff_number: Option<String>,
    /// Where reminder digests go; `null` when not recorded.
    pub email: Option<String>,
    pub active: bool,
    pub left_on: Option<String>,
}

impl From<Person> for PersonJson {
    fn from(p: Person) -> Self {
        PersonJson {
            roles: p
                .role_list()
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            staff_number: p.staff_number,
            name: p.name,
            rank: p.rank,
            department: p.department,
            team: p.team,
            start_date: p.start_date,
            cohort: p.cohort,
            line_manager_staff_number: p.line_manager_staff_number,
            mentor_staff_number: p.mentor_staff_number,
            email: p.email,
            active: p.active,
            left_on: p.left_on,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PeoplePage {
    /// How many people match the filters, in all.
    pub total: i64,
    pub items: Vec<PersonJson>,
    /// Pass as `after` for the next page; `null` on the last page.
    pub next_after: Option<String>,
    /// Pass as `before` for the page before this one; `null` on the first page.
    pub previous_before: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleParams {
    /// Part of a name or staff number.
    pub search: Option<String>,
    pub department: Option<String>,
    pub team: Option<String>,
    pub cohort: Option<String>,
    /// `active` (default), `left` or `all`.
    pub status: Option<String>,
    /// How many to return: 1 to 500; default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// How many to skip: 0 to 1000000000; default 0. Deep pages are quicker with `after`.
    #[param(minimum = 0, maximum = 1_000_000_000)]
    pub offset: Option<i64>,
    /// The page after the person with this staff number, in the list's order (by name, then
    /// staff number): the `next_after` of the page before. Not with `offset` or `before`.
    pub after: Option<String>,
    /// The page before the person with this staff number: the `previous_before` of the page
    /// after. Not with `offset` or `after`.
    pub before: Option<String>,
}

/// People in the directory, within the caller's scope, by name then staff number. Walk the pages
/// with `after` (each page's `next_after`) and `before` (its `previous_before`); `offset` still
/// works.
#[utoipa::path(get, path = "/api/v1/people", params(PeopleParams), security(("bearer" = [])),
    responses((status = 200, body = PeoplePage), (status = 400, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn people(
    State(state): State<AppState>,
    api: Api<cap::PeopleBrowse>,
    Query(p): Query<PeopleParams>,
) -> Result<Json<PeoplePage>, ApiError> {
    let status = match p.status.as_deref() {
        None | Some("") | Some("active") => Status::Active,
        Some("left") => Status::Left,
        Some("all") => Status::All,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "status must be active, left or all, not \"{other}\""
            )))
        }
    };
    let (limit, offset) = crate::error::page_window(p.limit, p.offset)?;
    let scope = api.user.people_scope();
    let start = page_start(&state, &p, offset, scope).await?;
    let q = PeopleQuery {
        search: p.search.unwrap_or_default(),
        department: p.department.unwrap_or_default(),
        team: p.team.unwrap_or_default(),
        cohort: p.cohort.unwrap_or_default(),
        status,
        ..Default::default()
    };
    let (total, rows, next_after, previous_before) = match start {
        // An offset: the old way, kept for callers that use it.
        None => {
            let (total, rows) = people::search(&state.store, &q, scope, limit, offset).await?;
            let more = offset + (rows.len() as i64) < total;
            let next = rows.last().filter(|_| more).map(|r| r.staff_number.clone());
            let previous = rows
                .first()
                .filter(|_| offset > 0)
                .map(|r| r.staff_number.clone());
            (total, rows, next, previous)
        }
        Some(start) => {
            let shown = people::page(&state.store, &q, scope, &start, limit).await?;
            let total = people::count_all(&state.store, &q, scope).await?;
            let next = shown
                .rows
                .last()
                .filter(|_| shown.has_next)
                .map(|r| r.staff_number.clone());
            let previous = shown
                .rows
                .first()
                .filter(|_| shown.has_previous)
                .map(|r| r.staff_number.clone());
            (total, shown.rows, next, previous)
        }
    };
    audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "people.list",
            format!("Listed people through the API ({} of {total})", rows.len()),
        ),
    )
    .await?;
    Ok(Json(PeoplePage {
        total,
        items: rows.into_iter().map(PersonJson::from).collect(),
        next_after,
        previous_before,
    }))
}

/// Where the page starts: `None` for an offset past the first row, else a keyset start. A
/// staff number given as `after` or `before` must be someone the caller may see (so the answer
/// says nothing of anyone else).
async fn page_start(
    state: &AppState,
    p: &PeopleParams,
    offset: i64,
    scope: PeopleScope,
) -> Result<Option<PageStart>, ApiError> {
    fn given(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let (after, before) = (given(&p.after), given(&p.before));
    let mut problems = Vec::new();
    if after.is_some() && before.is_some() {
        problems.push(("before", "give after or before, not both"));
    }
    if offset > 0 && (after.is_some() || before.is_some()) {
        problems.push(("offset", "give offset or after/before, not both"));
    }
    if !problems.is_empty() {
        return Err(ApiError::fields(problems));
    }
    let (field, staff_number) = match (after, before) {
        (Some(a), _) => ("after", a),
        (_, Some(b)) => ("before", b),
        _ if offset > 0 => return Ok(None),
        _ => return Ok(Some(PageStart::First)),
    };
    let known = if staff_number.chars().any(char::is_control) {
        None
    } else {
        people::get(&state.store, staff_number)
            .await?
            .filter(|person| people::in_scope(person, scope))
    };
    let Some(person) = known else {
        return Err(ApiError::fields(vec![(
            field,
            "must be the staff number of someone in the list (a next_after or previous_before)",
        )]));
    };
    Ok(Some(if field == "after" {
        PageStart::After(person.staff_number)
    } else {
        PageStart::Before(person.staff_number)
    }))
}

/// One person's record (the view is audited).
#[utoipa::path(get, path = "/api/v1/people/{staff_number}", security(("bearer" = [])),
    params(("staff_number" = String, Path, description = "Staff or collar number")),
    responses((status = 200, body = PersonJson), (status = 404, body = crate::error::Problem), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn person(
    State(state): State<AppState>,
    api: Api<cap::PeopleBrowse>,
    Path(staff_number): Path<String>,
) -> Result<Json<PersonJson>, ApiError> {
    let p = people::get(&state.store, &staff_number)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !people::in_scope(&p, api.user.people_scope()) {
        return Err(ApiError::NotFound);
    }
    audit_trail::record(
        &state.store,
        &api.user.actor(),
        Event::new(
            "person.view",
            format!("Viewed the record of {} through the API", p.staff_number),
        )
        .on("person", &p.staff_number),
    )
    .await?;
    Ok(Json(p.into()))
}

/// The people API's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(paths(people, person), components(schemas(PersonJson, PeoplePage)))]
pub struct PeopleDoc;
