//! Sign in and sign out.

use crate::auth::{
    csrf_token, MaybeUser, SESSION_AUTH_AT, SESSION_CSRF, SESSION_GENERATION, SESSION_USER,
};
use crate::error::AppError;
use crate::form::FirstValues;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use mashboard_store::accounts::{self, SignIn};
use mashboard_store::audit_trail::{self, Actor, Event};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template)]
#[template(path = "accounts/login.html")]
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

/// Where to go after signing in: only a path on this site. `next` is read the way a browser
/// would read it (the WHATWG URL parser: tabs and newlines dropped, backslashes as slashes, dot
/// segments resolved), so `/\t/evil.example`, which a browser turns into `//evil.example`, is
/// seen for what it is. Anything that leaves this origin, or leads back to the sign-in page,
/// goes home. The result is the parser's own serialisation, so it never holds a control
/// character that could break the `Location` header.
fn safe_next(next: &str) -> String {
    const HOME: &str = "/";
    if !next.starts_with('/') {
        return HOME.to_string();
    }
    let Ok(base) = url::Url::parse("http://mashboard.invalid/") else {
        return HOME.to_string();
    };
    let Ok(target) = base.join(next) else {
        return HOME.to_string();
    };
    if target.origin() != base.origin() || target.path().starts_with("/login") {
        return HOME.to_string();
    }
    let mut out = target.path().to_string();
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    out
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
    connected: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    session: Session,
    FirstValues(f): FirstValues<LoginForm>,
) -> Result<Response, AppError> {
    // Failed attempts are counted per account and per place, so that someone else's guesses
    // from elsewhere do not make the account's owner wait.
    let source = connected.map(|axum::Extension(c)| c.0.ip().to_string());
    let mut form = FormState::default();
    form.set("username", f.username.trim());
    if f.username.trim().is_empty() {
        form.add_error("username", "Enter your username");
    }
    if f.password.is_empty() {
        form.add_error("password", "Enter your password");
    }
    if !form.has_errors() {
        match accounts::sign_in_from(&state.store, &f.username, &f.password, source.as_deref())
            .await?
        {
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
                    .insert(SESSION_GENERATION, account.session_generation)
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
                let at = mashboard_domain::sessions::london_clock(until);
                form.add_error(
                    "username",
                    format!(
                        "Too many failed attempts to sign in from here. Wait until {at} (UK time) and try again with the right password. If you have forgotten it, ask an administrator to set a new one; they can also lift the wait at once"
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
        audit_trail::record(
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

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn a_path_on_this_site_is_kept_with_its_query() {
        assert_eq!(safe_next("/people?q=smith"), "/people?q=smith");
        assert_eq!(safe_next("/reviews/3/grade"), "/reviews/3/grade");
    }

    #[test]
    fn anything_that_a_browser_would_take_off_site_goes_home() {
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            "https://evil.example/",
            "evil.example",
            "javascript:alert(1)",
            "/login",
            "/login?next=//evil.example",
            "/./login",
            "",
        ] {
            assert_eq!(safe_next(evil), "/", "{evil:?}");
        }
    }

    #[test]
    fn control_characters_never_reach_the_location_header() {
        for raw in [
            "/people\x7f",
            "/a\r\nSet-Cookie: x=1",
            "/a\u{0}b",
            "/caf\u{e9}",
        ] {
            let out = safe_next(raw);
            assert!(
                axum::http::HeaderValue::from_str(&out).is_ok(),
                "{raw:?} gave {out:?}"
            );
            assert!(out.bytes().all(|b| (0x21..0x7f).contains(&b)), "{out:?}");
        }
    }
}
