//! A section's landing page: its tasks, each a link named after the page it leads to.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::view::{html, tasks_for, Chrome, Section, Task, SECTIONS};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

#[derive(Template)]
#[template(path = "sections/section.html")]
struct SectionPage {
    chrome: Chrome,
    intro: &'static str,
    tasks: Vec<Task>,
}

fn section(href: &str) -> &'static Section {
    SECTIONS
        .iter()
        .find(|s| s.href == href)
        .expect("every landing page is a section")
}

fn render(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    href: &str,
) -> Result<Response, AppError> {
    let s = section(href);
    let tasks = tasks_for(user, s);
    if tasks.is_empty() {
        // The gate equals the union of the tasks' capabilities, so this does not happen; if it
        // ever did, an empty page would be no use to anyone.
        return Err(AppError::NotFound);
    }
    html(&SectionPage {
        chrome: Chrome::new(state, s.label, Some(user), csrf, s.href),
        intro: s.intro,
        tasks,
    })
}

pub async fn training(
    State(state): State<AppState>,
    page: Page<cap::CatalogueView>,
) -> Result<Response, AppError> {
    render(&state, &page.user, &page.csrf, "/training")
}

pub async fn delivery(
    State(state): State<AppState>,
    page: Page<cap::ExercisesTake>,
) -> Result<Response, AppError> {
    render(&state, &page.user, &page.csrf, "/delivery")
}

pub async fn quality(
    State(state): State<AppState>,
    page: Page<cap::SignedIn>,
) -> Result<Response, AppError> {
    render(&state, &page.user, &page.csrf, "/quality")
}

pub async fn admin(
    State(state): State<AppState>,
    page: Page<cap::PeopleBrowse>,
) -> Result<Response, AppError> {
    render(&state, &page.user, &page.csrf, "/admin")
}

#[cfg(test)]
mod tests {
    use crate::routes::{route_table, Access};
    use crate::view::SECTIONS;
    use mashboard_domain::roles::Role;

    #[test]
    fn a_landing_page_is_open_to_exactly_the_roles_with_a_task_in_its_section() {
        let table = route_table();
        for s in SECTIONS {
            let route = table
                .iter()
                .find(|r| r.path == s.href && r.method == axum::http::Method::GET)
                .unwrap_or_else(|| panic!("{} has a route", s.href));
            assert_eq!(route.access, Access::Page(s.gate), "{}", s.href);
            for role in Role::ALL {
                let any = s.tasks.iter().any(|t| t.cap.allows(&[role]));
                assert_eq!(s.gate.allows(&[role]), any, "{role:?} on {}", s.href);
            }
        }
    }

    #[test]
    fn every_task_is_a_page_in_the_route_table_with_its_capability() {
        let table = route_table();
        for s in SECTIONS {
            for t in s.tasks {
                let route = table
                    .iter()
                    .find(|r| r.path == t.href && r.method == axum::http::Method::GET)
                    .unwrap_or_else(|| panic!("{} has a route", t.href));
                assert_eq!(route.access, Access::Page(t.cap), "{}", t.href);
            }
        }
    }
}
