//! `GET /impact`: the dashboard page. A line manager sees their own team's figures and no
//! department choice; a department in their query is set aside and the page says so.

use super::{figures_for, view, Shown};
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::query_pairs;
use crate::impact::period;
use crate::view::{html, tasks_for, Chrome, FormState, Task, SECTIONS};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use mashboard_store::impact;
use mashboard_store::training::today;

#[derive(Template)]
#[template(path = "impact/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    form: FormState,
    /// The departments to choose from; empty for a line manager, who sees their team.
    departments: Vec<String>,
    team: bool,
    shown: Option<Shown>,
    tasks: Vec<Task>,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::Impact>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let team = period::team_of(&page.user).ok_or(AppError::Forbidden)?;
    let (wanted, mut form) = period::read(&query_pairs(raw.as_deref()), today(), team);
    let mut shown = None;
    if let Some(w) = wanted {
        if impact::module_exists(&state.store, &w.module).await? {
            let d = figures_for(&state, &w).await?;
            shown = Some(view(&d, &w));
        } else {
            form.add_error(
                "module",
                format!(
                    "Training module: no module in the catalogue has the code \"{}\"",
                    w.module
                ),
            );
        }
    }
    let section = SECTIONS
        .iter()
        .find(|s| s.href == "/impact")
        .expect("the Impact section");
    let errors = form.has_errors();
    let departments = if team.is_some() {
        Vec::new()
    } else {
        impact::departments(&state.store).await?
    };
    html(&DashboardPage {
        chrome: Chrome::new(&state, "Impact", Some(&page.user), &page.csrf, "/impact")
            .with_errors(errors),
        form,
        departments,
        team: team.is_some(),
        shown,
        tasks: tasks_for(&page.user, section),
    })
}
