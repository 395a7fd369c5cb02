//! Sign in and sign out.

use crate::auth::{csrf_token, MaybeUser, SESSION_AUTH_AT, SESSION_CSRF, SESSION_USER};
use crate::error::AppError;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use mashboard_store::accounts::{self, SignIn};
use mashboard_store::audit::{self, Actor, Event};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    form: FormState,
    next: String,
    demo_accounts: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only same-site paths may be a destination after sign-in.
fn safe_next(next: &str) -> String {
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.starts_with("/login")
    {
        next.to_string()
    } else {
        "/".to_string()
    }
}

fn demo_accounts(state: &AppState) -> Vec<(&'static str, &'static str)> {
    if state.config.demo {
        mashboard_domain::demo::demo_accounts()
            .into_iter()
            .map(|a| (a.username, a.description))
            .collect()
    } else {
        Vec::new()
    }
}

pub async fn show(
    State(state): State<AppState>,
    who: MaybeUser,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    if who.user.is_some() {
        return Ok(Redirect::to(&safe_next(&q.next)).into_response());
    }
    let page = LoginPage {
        chrome: Chrome::new(&state, "Sign in", None, &who.csrf, "/login"),
        form: FormState::default(),
        next: safe_next(&q.next),
        demo_accounts: demo_accounts(&state),
    };
    html(&page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    session: Session,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("username", f.username.trim());
    if f.username.trim().is_empty() {
        form.add_error("username", "Enter your username");
    }
    if f.password.is_empty() {
        form.add_error("password", "Enter your password");
    }
    if !form.has_errors() {
        match accounts::sign_in(&state.store, &f.username, &f.password).await? {
            SignIn::Ok(account) => {
                // A new session id on sign-in, so a planted cookie cannot ride along.
                session
                    .cycle_id()
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                session
                    .insert(SESSION_USER, account.id)
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                session
                    .insert(
                        SESSION_AUTH_AT,
                        time::OffsetDateTime::now_utc().unix_timestamp(),
                    )
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let _ = session.remove::<String>(SESSION_CSRF).await;
                return Ok(Redirect::to(&safe_next(&f.next)).into_response());
            }
            SignIn::Refused => {
                form.add_error("username", "Enter a correct username and password");
            }
            SignIn::Locked { until } => {
                let london = until.to_offset(time::UtcOffset::UTC);
                form.add_error(
                    "username",
                    format!(
                        "Too many failed attempts to sign in. Try again after {:02}:{:02} UTC, or ask an administrator to unlock the account",
                        london.hour(),
                        london.minute()
                    ),
                );
            }
        }
    }
    let csrf = csrf_token(&session).await;
    let page = LoginPage {
        chrome: Chrome::new(&state, "Sign in", None, &csrf, "/login").with_errors(true),
        form,
        next: safe_next(&f.next),
        demo_accounts: demo_accounts(&state),
    };
    html(&page)
}

pub async fn logout(State(state): State<AppState>, who: MaybeUser) -> Result<Response, AppError> {
    if let Some(user) = &who.user {
        audit::record(
            &state.store,
            &Actor::user(user.id, &user.username),
            Event::new("sign_out", "Signed out").on("account", &user.username),
        )
        .await?;
    }
    // Deletes the session from the database: the old cookie is worthless from now on.
    who.session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Redirect::to("/login").into_response())
}
