//! Your account: roles, your own record in the directory, changing your password (which signs
//! out every other device) and signing out every other device.

use crate::auth::{cap, keep_session, Page};
use crate::error::AppError;
use crate::form::FirstValues;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use mashboard_domain::accounts::check_password;
use mashboard_store::accounts;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people::{self, Person};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    chrome: Chrome,
    person: Option<Person>,
    form: FormState,
    /// What was just done, for the success banner.
    done: Option<&'static str>,
}

async fn render(
    state: &AppState,
    page: &Page<cap::SignedIn>,
    form: FormState,
    done: Option<&'static str>,
) -> Result<Response, AppError> {
    let person = match page.user.person_id {
        Some(id) => people::get_by_id(&state.store, id).await?,
        None => None,
    };
    if let Some(p) = &person {
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new("person.view", "Viewed their own record").on("person", &p.staff_number),
        )
        .await?;
    }
    let has_errors = form.has_errors();
    html(&AccountPage {
        chrome: Chrome::new(
            state,
            "Your account",
            Some(&page.user),
            &page.csrf,
            "/account",
        )
        .with_errors(has_errors),
        person,
        form,
        done,
    })
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    changed: Option<String>,
    #[serde(default)]
    signed_out: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::SignedIn>,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, AppError> {
    let done = if q.changed.is_some() {
        Some("Your password has been changed. You have been signed out of every other device.")
    } else if q.signed_out.is_some() {
        Some("You have been signed out of every other device.")
    } else {
        None
    };
    render(&state, &page, FormState::default(), done).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    page: Page<cap::SignedIn>,
    FirstValues(f): FirstValues<PasswordForm>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    if f.current_password.is_empty() {
        form.add_error("current_password", "Enter your current password");
    } else if !accounts::check_current_password(
        &state.store,
        &page.user.username,
        &f.current_password,
    )
    .await?
    {
        form.add_error("current_password", "Your current password is not correct");
    }
    if let Err(m) = check_password(&f.new_password, &page.user.username) {
        form.add_error("new_password", m);
    } else if f.new_password != f.confirm_password {
        form.add_error("confirm_password", "The new passwords do not match");
    }
    if form.has_errors() {
        return render(&state, &page, form, None).await;
    }
    // Every session of the account ends but this one, which takes the new generation.
    let generation = accounts::change_own_password(
        &state.store,
        &page.user.actor(),
        &page.user.username,
        &f.new_password,
    )
    .await?;
    keep_session(&page.session, generation).await?;
    Ok(Redirect::to("/account?changed=1").into_response())
}

/// "Sign out of every other device": every session of the account ends but this one (audited).
pub async fn sign_out_others(
    State(state): State<AppState>,
    page: Page<cap::SignedIn>,
) -> Result<Response, AppError> {
    let generation = accounts::end_sessions(&state.store, &page.user.actor(), page.user.id).await?;
    keep_session(&page.session, generation).await?;
    Ok(Redirect::to("/account?signed_out=1").into_response())
}
