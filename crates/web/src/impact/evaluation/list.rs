//! `/impact/evaluation`: the evaluation reports, and (for the trainer) a form to start one.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::field;
use crate::view::{date_text, html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_store::evaluation::{self, ReportRow};
use mashboard_store::training::today;

#[derive(Template)]
#[template(path = "impact/evaluation_list.html")]
struct ListPage {
    chrome: Chrome,
    reports: Vec<ReportRow>,
    can_manage: bool,
    form: FormState,
}

impl ListPage {
    fn when(&self, raw: &str) -> String {
        date_text(raw)
    }
}

async fn render(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let reports = evaluation::list(&state.store).await?;
    html(&ListPage {
        chrome: Chrome::new(
            state,
            "Evaluation reports",
            Some(user),
            csrf,
            "/impact/evaluation",
        )
        .with_errors(form.has_errors()),
        reports,
        can_manage: user.can(Capability::TrainingManage),
        form,
    })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::EvaluationReports>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    let t = today();
    form.set(
        "title",
        format!(
            "Evaluation of safeguarding training to {}",
            date_text(&t.to_string())
        ),
    );
    form.set("from", "2022-01-01");
    form.set("to", t.to_string());
    render(&state, &page.user, &page.csrf, form).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    for name in ["title", "from", "to"] {
        form.set(name, field(&pairs, name));
    }
    let title = field(&pairs, "title");
    if title.trim().is_empty() {
        form.add_error("title", "Enter a title for the report");
    } else if title.chars().count() > 200 {
        form.add_error("title", "The title must be 200 characters or fewer");
    }
    let period = super::period(&field(&pairs, "from"), &field(&pairs, "to"));
    if let Err(errors) = &period {
        for (name, message) in errors {
            form.add_error(name, message.clone());
        }
    }
    let (Ok((from, to)), false) = (period, form.has_errors()) else {
        return render(&state, &page.user, &page.csrf, form).await;
    };
    let facts = evaluation::facts(&state.store, &title, from, to, today()).await?;
    let id = evaluation::create(&state.store, &page.user.actor(), &facts).await?;
    Ok(Redirect::to(&format!("/impact/evaluation/{id}")).into_response())
}
