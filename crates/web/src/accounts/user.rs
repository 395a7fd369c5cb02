//! One account: its roles, lock, password, partner agency and API tokens (`/admin/users/{username}`).

use super::admin_shared::*;
use crate::auth::{cap, keep_session, Page};
use crate::error::AppError;
use crate::form::raw_field;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use mashboard_domain::accounts::check_password;
use mashboard_domain::Role;
use mashboard_store::accounts::{self, Account, TokenInfo};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::StoreError;
use serde::Deserialize;

struct TokenView {
    id: i64,
    label: String,
    created: String,
    last_used: Option<String>,
    revoked: Option<String>,
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> Self {
        TokenView {
            id: t.id,
            created: when(&t.created_at),
            last_used: t.last_used_at.as_deref().map(when),
            revoked: t.revoked_at.as_deref().map(when),
            label: t.label,
        }
    }
}

/// A token just created, shown once.
struct NewToken {
    label: String,
    token: String,
}

#[derive(Template)]
#[template(path = "accounts/admin_user.html")]
struct UserPage {
    chrome: Chrome,
    a: AccountView,
    /// One form state for the page's forms; their field names differ.
    form: FormState,
    /// The roles ticked in the roles form.
    checked: Vec<Role>,
    all_roles: Vec<Role>,
    tokens: Vec<TokenView>,
    new_token: Option<NewToken>,
    done: Option<&'static str>,
    is_self: bool,
    /// Partner agencies named on referrals, to match a partner reviewer's agency to.
    partner_names: Vec<String>,
}

impl UserPage {
    fn role_checked(&self, role: &Role) -> bool {
        self.checked.contains(role)
    }
    fn live_tokens(&self) -> usize {
        self.tokens.iter().filter(|t| t.revoked.is_none()).count()
    }
}

async fn account_or_404(state: &AppState, username: &str) -> Result<Account, AppError> {
    accounts::by_username(&state.store, username)
        .await?
        .ok_or(AppError::NotFound)
}

struct Extras {
    form: FormState,
    checked: Option<Vec<Role>>,
    new_token: Option<NewToken>,
    done: Option<&'static str>,
}

impl Extras {
    fn none() -> Extras {
        Extras {
            form: FormState::default(),
            checked: None,
            new_token: None,
            done: None,
        }
    }
    fn errors(form: FormState) -> Extras {
        Extras {
            form,
            ..Extras::none()
        }
    }
}

async fn render_user(
    state: &AppState,
    page: &Page<cap::AccountsManage>,
    account: Account,
    extras: Extras,
) -> Result<Response, AppError> {
    let tokens = accounts::tokens_of(&state.store, account.id)
        .await?
        .into_iter()
        .map(TokenView::from)
        .collect();
    let is_self = account.id == page.user.id;
    let checked = extras.checked.unwrap_or_else(|| account.roles.clone());
    let a = AccountView::load(state, account).await?;
    let partner_names = if a.is_partner || a.partner_agency.is_some() {
        mashboard_store::outcomes::partners(&state.store).await?
    } else {
        Vec::new()
    };
    let has_errors = extras.form.has_errors();
    html(&UserPage {
        chrome: Chrome::new(
            state,
            format!("Account {}", a.username),
            Some(&page.user),
            &page.csrf,
            "/admin/users",
        )
        .with_errors(has_errors),
        a,
        form: extras.form,
        checked,
        all_roles: Role::ALL.to_vec(),
        tokens,
        new_token: extras.new_token,
        done: extras.done,
        is_self,
        partner_names,
    })
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

fn done_message(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "created" => "The account has been created.",
        "roles" => "The roles have been saved.",
        "disabled" => {
            "The account has been disabled, signed out everywhere and its API tokens revoked."
        }
        "enabled" => "The account has been enabled.",
        "unlocked" => "The sign-in lock has been lifted.",
        "password" => "The password has been changed and the account signed out everywhere.",
        "own_password" => {
            "Your password has been changed and you have been signed out of every other device."
        }
        "revoked" => "The API token has been revoked.",
        "agency" => "The partner agency has been saved.",
        _ => return None,
    })
}

fn back_to(username: &str, done: &str) -> Response {
    Redirect::to(&format!("/admin/users/{username}?done={done}")).into_response()
}

pub async fn user(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "account.view",
            format!("Viewed the account {}", account.username),
        )
        .on("account", &account.username),
    )
    .await?;
    let extras = Extras {
        done: done_message(q.done.as_deref()),
        ..Extras::none()
    };
    render_user(&state, &page, account, extras).await
}

pub async fn set_roles(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    let roles = ticked_roles(&pairs);
    let mut form = FormState::default();
    if roles.is_empty() {
        form.add_error("roles", "Select at least one role");
    } else if account.id == page.user.id && !roles.contains(&Role::Administrator) {
        form.add_error(
            "roles",
            "You cannot remove the administrator role from your own account. Ask another administrator to do it",
        );
    }
    if !form.has_errors() {
        match accounts::set_roles(&state.store, &page.user.actor(), &account.username, &roles).await
        {
            Ok(a) => return Ok(back_to(&a.username, "roles")),
            Err(StoreError::Invalid(m)) => form.add_error("roles", m),
            Err(e) => return Err(e.into()),
        }
    }
    let extras = Extras {
        checked: Some(roles),
        ..Extras::errors(form)
    };
    render_user(&state, &page, account, extras).await
}

async fn set_disabled(
    state: AppState,
    page: Page<cap::AccountsManage>,
    username: String,
    disabled: bool,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    if disabled && account.id == page.user.id {
        let mut form = FormState::default();
        form.add_error(
            "disable",
            "You cannot disable your own account. Ask another administrator to do it",
        );
        return render_user(&state, &page, account, Extras::errors(form)).await;
    }
    let a = accounts::set_disabled(
        &state.store,
        &page.user.actor(),
        &account.username,
        disabled,
    )
    .await?;
    Ok(back_to(
        &a.username,
        if disabled { "disabled" } else { "enabled" },
    ))
}

pub async fn disable(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    set_disabled(state, page, username, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    set_disabled(state, page, username, false).await
}

pub async fn unlock(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    accounts::unlock(&state.store, &page.user.actor(), &account.username).await?;
    Ok(back_to(&account.username, "unlocked"))
}

pub async fn set_password(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    let password = raw_field(&pairs, "new_password");
    let confirm = raw_field(&pairs, "confirm_password");
    let mut form = FormState::default();
    if password.is_empty() {
        form.add_error("new_password", "Enter a new password");
    } else if let Err(m) = check_password(&password, &account.username) {
        form.add_error("new_password", m);
    } else if password != confirm {
        form.add_error("confirm_password", "The passwords do not match");
    }
    if !form.has_errors() {
        let is_self = account.id == page.user.id;
        // A reset ends every session of the account; an administrator resetting their own
        // password keeps this session, as on their own account page.
        let changed = if is_self {
            accounts::change_own_password(
                &state.store,
                &page.user.actor(),
                &account.username,
                &password,
            )
            .await
            .map(Some)
        } else {
            accounts::set_password(
                &state.store,
                &page.user.actor(),
                &account.username,
                &password,
            )
            .await
            .map(|()| None)
        };
        match changed {
            Ok(Some(generation)) => {
                keep_session(&page.session, generation).await?;
                return Ok(back_to(&account.username, "own_password"));
            }
            Ok(None) => return Ok(back_to(&account.username, "password")),
            Err(StoreError::Invalid(m)) => form.add_error("new_password", m),
            Err(e) => return Err(e.into()),
        }
    }
    render_user(&state, &page, account, Extras::errors(form)).await
}

/// Sets (or clears) a partner reviewer's agency: they then see and record outcomes for the
/// referrals sent to that agency only.
pub async fn set_partner_agency(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    let agency = raw_field(&pairs, "partner_agency").trim().to_string();
    let mut form = FormState::default();
    form.set("partner_agency", agency.as_str());
    if agency.chars().count() > accounts::MAX_PARTNER_AGENCY {
        form.add_error(
            "partner_agency",
            format!(
                "The partner agency must be {} characters or fewer",
                accounts::MAX_PARTNER_AGENCY
            ),
        );
    } else {
        match accounts::set_partner_agency(
            &state.store,
            &page.user.actor(),
            &account.username,
            Some(&agency),
        )
        .await
        {
            Ok(a) => return Ok(back_to(&a.username, "agency")),
            Err(StoreError::Invalid(m)) => form.add_error("partner_agency", m),
            Err(e) => return Err(e.into()),
        }
    }
    render_user(&state, &page, account, Extras::errors(form)).await
}

/// Creates an API token and shows it on the page this once (no redirect: it is never stored).
pub async fn create_token(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path(username): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    let label = raw_field(&pairs, "label").trim().to_string();
    let mut form = FormState::default();
    form.set("label", label.as_str());
    if label.is_empty() {
        form.add_error("label", "Enter a label for the token");
    } else if label.chars().count() > MAX_TOKEN_LABEL {
        form.add_error(
            "label",
            format!("The label must be {MAX_TOKEN_LABEL} characters or fewer"),
        );
    } else if account.disabled {
        form.add_error(
            "tokens",
            "This account is disabled. Enable it before creating a token",
        );
    }
    if form.has_errors() {
        return render_user(&state, &page, account, Extras::errors(form)).await;
    }
    match accounts::create_token(&state.store, &page.user.actor(), &account.username, &label).await
    {
        Ok(token) => {
            let extras = Extras {
                new_token: Some(NewToken { label, token }),
                ..Extras::none()
            };
            render_user(&state, &page, account, extras).await
        }
        Err(StoreError::Invalid(m)) => {
            form.add_error("tokens", m);
            render_user(&state, &page, account, Extras::errors(form)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Path((username, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let account = account_or_404(&state, &username).await?;
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    match accounts::revoke_token(&state.store, &page.user.actor(), account.id, id).await {
        Ok(()) => Ok(back_to(&account.username, "revoked")),
        Err(StoreError::NotFound(_)) => {
            let mut form = FormState::default();
            form.add_error(
                "tokens",
                "That token does not exist or has already been revoked",
            );
            render_user(&state, &page, account, Extras::errors(form)).await
        }
        Err(e) => Err(e.into()),
    }
}
