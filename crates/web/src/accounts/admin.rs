//! Administration: accounts (create, roles, disable and enable, lock-outs, passwords, API
//! tokens) and the audit trail (browse, filter, export as CSV). Every change is recorded in the
//! audit trail by the store, in the same transaction; views and exports are recorded here.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::raw_field;
use crate::view::{html, Chrome, FormState, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use mashboard_domain::accounts::{check_password, check_username};
use mashboard_domain::people::{format_date_long, parse_date, StaffNumber};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, Account, NewAccount, TokenInfo};
use mashboard_store::audit::{self, AuditEvent, AuditFilter, Event};
use mashboard_store::{parse_instant, people, StoreError};
use serde::Deserialize;
use time::OffsetDateTime;

const AUDIT_PER_PAGE: i64 = 100;
const EXPORT_CHUNK: i64 = 1000;
const MAX_FILTER: usize = 100;
const MAX_TOKEN_LABEL: usize = 100;

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// A stored instant as people read it: `1 March 2024 at 14:05`.
fn when(at: &str) -> String {
    match parse_instant(at) {
        Some(t) => format!(
            "{} at {:02}:{:02}",
            format_date_long(t.date()),
            t.hour(),
            t.minute()
        ),
        None => at.to_string(),
    }
}

/// A stored instant to the second, for the audit trail: `2024-03-01 14:05:33`.
fn when_exact(at: &str) -> String {
    at.get(..19).unwrap_or(at).replace('T', " ")
}

fn hh_mm(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The roles ticked in a form, in the order of `Role::ALL`.
fn ticked_roles(pairs: &[(String, String)]) -> Vec<Role> {
    let mut roles: Vec<Role> = pairs
        .iter()
        .filter(|(k, _)| k == "roles")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

fn role_names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

fn role_in(list: &str, role: &Role) -> bool {
    list.split(';').any(|r| r.trim() == role.as_str())
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

/// An account as the pages show it.
struct AccountView {
    username: String,
    roles: Vec<Role>,
    person_name: Option<String>,
    staff_number: Option<String>,
    disabled: bool,
    /// `HH:MM` (UTC) when the username is locked out.
    locked_until: Option<String>,
    created: String,
    last_sign_in: Option<String>,
    /// A partner reviewer's agency.
    partner_agency: Option<String>,
    is_partner: bool,
}

impl AccountView {
    async fn load(state: &AppState, a: Account) -> Result<AccountView, AppError> {
        let locked_until = accounts::locked_until(&state.store, &a.username)
            .await?
            .map(hh_mm);
        let partner_agency = accounts::partner_agency(&state.store, a.id).await?;
        Ok(AccountView {
            partner_agency,
            is_partner: a.roles.contains(&Role::PartnerReviewer),
            locked_until,
            created: when(&a.created_at),
            last_sign_in: a.last_sign_in_at.as_deref().map(when),
            username: a.username,
            roles: a.roles,
            person_name: a.person_name,
            staff_number: a.staff_number,
            disabled: a.disabled,
        })
    }
}

#[derive(Template)]
#[template(path = "accounts/admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    rows: Vec<AccountView>,
}

pub async fn users(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
) -> Result<Response, AppError> {
    let list = accounts::list(&state.store).await?;
    let mut rows = Vec::with_capacity(list.len());
    for a in list {
        rows.push(AccountView::load(&state, a).await?);
    }
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "account.list",
            format!("Viewed the list of accounts ({} shown)", rows.len()),
        ),
    )
    .await?;
    html(&UsersPage {
        chrome: Chrome::new(
            &state,
            "Accounts",
            Some(&page.user),
            &page.csrf,
            "/admin/users",
        ),
        rows,
    })
}

#[derive(Template)]
#[template(path = "accounts/admin_user_new.html")]
struct NewUserPage {
    chrome: Chrome,
    form: FormState,
    roles: Vec<Role>,
}

impl NewUserPage {
    fn role_checked(&self, role: &Role) -> bool {
        role_in(self.form.value("roles"), role)
    }
}

fn render_new(
    state: &AppState,
    page: &Page<cap::AccountsManage>,
    form: FormState,
) -> Result<Response, AppError> {
    let has_errors = form.has_errors();
    html(&NewUserPage {
        chrome: Chrome::new(
            state,
            "Create an account",
            Some(&page.user),
            &page.csrf,
            "/admin/users",
        )
        .with_errors(has_errors),
        form,
        roles: Role::ALL.to_vec(),
    })
}

pub async fn new_user_form(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
) -> Result<Response, AppError> {
    render_new(&state, &page, FormState::default())
}

/// Which field of the new-account form a message from the store is about.
fn field_for(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("staff number") || m.contains("person") {
        "staff_number"
    } else if m.contains("password") {
        "password"
    } else if m.contains("role") {
        "roles"
    } else {
        "username"
    }
}

pub async fn create_user(
    State(state): State<AppState>,
    page: Page<cap::AccountsManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let raw_username = raw_field(&pairs, "username");
    let raw_staff = raw_field(&pairs, "staff_number");
    let password = raw_field(&pairs, "password");
    let confirm = raw_field(&pairs, "confirm_password");
    let roles = ticked_roles(&pairs);

    let mut form = FormState::default();
    form.set("username", raw_username.trim());
    form.set("roles", role_names(&roles));
    form.set("staff_number", raw_staff.trim());
    // Passwords are never sent back to the browser.

    let username = match check_username(&raw_username) {
        Ok(u) if u == "new" => {
            form.add_error(
                "username",
                "The username new is reserved. Choose another username",
            );
            None
        }
        Ok(u) => {
            if accounts::by_username(&state.store, &u).await?.is_some() {
                form.add_error(
                    "username",
                    format!("There is already an account called {u}"),
                );
                None
            } else {
                Some(u)
            }
        }
        Err(m) => {
            let m = if raw_username.trim().is_empty() {
                "Enter a username".to_string()
            } else {
                m
            };
            form.add_error("username", m);
            None
        }
    };
    if roles.is_empty() {
        form.add_error("roles", "Select at least one role");
    }
    let staff_number = if raw_staff.trim().is_empty() {
        None
    } else {
        match StaffNumber::parse(&raw_staff) {
            Err(m) => {
                form.add_error("staff_number", m);
                None
            }
            Ok(sn) => {
                if people::get(&state.store, sn.as_str()).await?.is_none() {
                    form.add_error(
                        "staff_number",
                        format!("No one in the directory has staff number {sn}"),
                    );
                } else if let Some(other) = accounts::list(&state.store)
                    .await?
                    .into_iter()
                    .find(|a| a.staff_number.as_deref() == Some(sn.as_str()))
                {
                    form.add_error(
                        "staff_number",
                        format!(
                            "The person with staff number {sn} already has an account ({})",
                            other.username
                        ),
                    );
                }
                Some(sn)
            }
        }
    };
    let name_for_rules = username
        .clone()
        .unwrap_or_else(|| raw_username.trim().to_ascii_lowercase());
    if password.is_empty() {
        form.add_error("password", "Enter a password");
    } else if let Err(m) = check_password(&password, &name_for_rules) {
        form.add_error("password", m);
    } else if password != confirm {
        form.add_error("confirm_password", "The passwords do not match");
    }
    let Some(username) = username.filter(|_| !form.has_errors()) else {
        return render_new(&state, &page, form);
    };

    let created = accounts::create(
        &state.store,
        &page.user.actor(),
        NewAccount {
            username: &username,
            roles: &roles,
            staff_number: staff_number.as_ref(),
            password: Some(&password),
        },
    )
    .await;
    match created {
        Ok(a) => {
            Ok(Redirect::to(&format!("/admin/users/{}?done=created", a.username)).into_response())
        }
        Err(StoreError::Invalid(m)) => {
            form.add_error(field_for(&m), m);
            render_new(&state, &page, form)
        }
        Err(StoreError::Conflict(m)) => {
            // Either the username was taken meanwhile or the person gained an account.
            let taken = accounts::by_username(&state.store, &username)
                .await?
                .is_some();
            if taken {
                form.add_error(
                    "username",
                    format!("There is already an account called {username}"),
                );
            } else if staff_number.is_some() {
                form.add_error("staff_number", "That person already has an account");
            } else {
                form.add_error("username", m);
            }
            render_new(&state, &page, form)
        }
        Err(e) => Err(e.into()),
    }
}

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
        mashboard_store::quality::outcomes::partners(&state.store).await?
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
        "disabled" => "The account has been disabled and its API tokens revoked.",
        "enabled" => "The account has been enabled.",
        "unlocked" => "The sign-in lock has been lifted.",
        "password" => "The password has been changed.",
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
    audit::record(
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
        match accounts::set_password(
            &state.store,
            &page.user.actor(),
            &account.username,
            &password,
        )
        .await
        {
            Ok(()) => return Ok(back_to(&account.username, "password")),
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

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

/// One event as the trail page shows it.
struct EventView {
    at: String,
    actor: String,
    action: String,
    record: String,
    summary: String,
    before: Option<String>,
    after: Option<String>,
}

/// Stored JSON, re-serialised compactly (or as stored when it does not parse).
fn json_text(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() || raw == "null" {
        return None;
    }
    Some(
        serde_json::from_str::<serde_json::Value>(raw)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| raw.to_string()),
    )
}

impl From<AuditEvent> for EventView {
    fn from(e: AuditEvent) -> Self {
        let record = match (&e.entity, &e.entity_key) {
            (Some(ent), Some(key)) => format!("{ent} {key}"),
            (None, Some(key)) => key.clone(),
            (Some(ent), None) => ent.clone(),
            (None, None) => String::new(),
        };
        EventView {
            at: when_exact(&e.at),
            before: json_text(e.before_json.as_deref()),
            after: json_text(e.after_json.as_deref()),
            actor: e.actor,
            action: e.action,
            record,
            summary: e.summary,
        }
    }
}

/// The filter as submitted, checked; the dates in it are ISO when there are no errors.
struct AuditQuery {
    form: FormState,
    filter: AuditFilter,
    page: Option<i64>,
}

impl AuditQuery {
    fn parse(raw: Option<&str>) -> AuditQuery {
        let pairs: Vec<(String, String)> = raw
            .and_then(|r| serde_urlencoded::from_str(r).ok())
            .unwrap_or_default();
        let get = |k: &str| -> String {
            raw_field(&pairs, k)
                .trim()
                .chars()
                .take(MAX_FILTER)
                .collect::<String>()
        };
        let mut form = FormState::default();
        for k in ["actor", "action", "entity_key", "from", "to"] {
            form.set(k, get(k));
        }
        let mut date = |name: &str, words: &str| -> String {
            let v = get(name);
            if v.is_empty() {
                return v;
            }
            match parse_date(&v) {
                Ok(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
                Err(_) => {
                    form.add_error(
                        name,
                        format!(
                            "The {words} date must be a real date, for example 2024-03-31 or 31/03/2024"
                        ),
                    );
                    String::new()
                }
            }
        };
        let from = date("from", "from");
        let to = date("to", "to");
        if !from.is_empty() && !to.is_empty() && to < from {
            form.add_error(
                "to",
                "The to date must be the same as or after the from date",
            );
        }
        AuditQuery {
            filter: AuditFilter {
                actor: get("actor"),
                action: get("action"),
                entity_key: get("entity_key"),
                from,
                to,
            },
            page: get("page").parse().ok(),
            form,
        }
    }

    /// The filter as a query string (dates in ISO form), without the page.
    fn query_string(&self) -> String {
        let f = &self.filter;
        let pairs: Vec<(&str, &str)> = [
            ("actor", f.actor.as_str()),
            ("action", &f.action),
            ("entity_key", &f.entity_key),
            ("from", &f.from),
            ("to", &f.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "accounts/admin_audit.html")]
struct AuditPage {
    chrome: Chrome,
    form: FormState,
    rows: Vec<EventView>,
    pager: Pager,
    csv_href: String,
    filtered: bool,
}

pub async fn audit_trail(
    State(state): State<AppState>,
    page: Page<cap::AuditRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = AuditQuery::parse(raw.as_deref());
    let qs = q.query_string();
    let (pager, rows) = if q.form.has_errors() {
        (Pager::new(None, AUDIT_PER_PAGE, 0, qs.clone()), Vec::new())
    } else {
        let (total, _) = audit::list(&state.store, &q.filter, 0, 0).await?;
        let pager = Pager::new(q.page, AUDIT_PER_PAGE, total, qs.clone());
        let (_, rows) =
            audit::list(&state.store, &q.filter, AUDIT_PER_PAGE, pager.offset()).await?;
        audit::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "audit.view",
                format!(
                    "Viewed the audit trail ({} of {total} events shown)",
                    rows.len()
                ),
            )
            .after(&serde_json::json!({ "filters": qs, "page": pager.page })),
        )
        .await?;
        (pager, rows)
    };
    let has_errors = q.form.has_errors();
    html(&AuditPage {
        chrome: Chrome::new(
            &state,
            "Audit trail",
            Some(&page.user),
            &page.csrf,
            "/admin/audit",
        )
        .with_errors(has_errors),
        csv_href: if qs.is_empty() {
            "/admin/audit.csv".to_string()
        } else {
            format!("/admin/audit.csv?{qs}")
        },
        filtered: !qs.is_empty(),
        form: q.form,
        rows: rows.into_iter().map(EventView::from).collect(),
        pager,
    })
}

/// Stops a spreadsheet from reading a cell as a formula.
fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

pub async fn audit_csv(
    State(state): State<AppState>,
    page: Page<cap::AuditRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = AuditQuery::parse(raw.as_deref());
    if q.form.has_errors() {
        let words: Vec<&str> = q.form.errors.iter().map(|(_, m)| m.as_str()).collect();
        return Err(AppError::BadRequest(format!(
            "{}. Go back to the audit trail and correct the filter.",
            words.join(". ")
        )));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    out.write_record([
        "id",
        "at",
        "actor",
        "action",
        "entity",
        "entity_key",
        "summary",
        "before",
        "after",
    ])
    .map_err(csv_err)?;
    // Newest first, in chunks. The trail only grows, at the newest end, so events recorded
    // during the export push already-written rows into the next chunk: skip those by id.
    let mut offset = 0;
    let mut last_id: Option<i64> = None;
    let mut written = 0usize;
    loop {
        let (_, rows) = audit::list(&state.store, &q.filter, EXPORT_CHUNK, offset).await?;
        let n = rows.len() as i64;
        for e in rows {
            if last_id.is_some_and(|l| e.id >= l) {
                continue;
            }
            last_id = Some(e.id);
            let id = e.id.to_string();
            let cells = [
                id.as_str(),
                &e.at,
                &e.actor,
                &e.action,
                e.entity.as_deref().unwrap_or(""),
                e.entity_key.as_deref().unwrap_or(""),
                &e.summary,
                e.before_json.as_deref().unwrap_or(""),
                e.after_json.as_deref().unwrap_or(""),
            ];
            out.write_record(cells.iter().map(|c| csv_safe(c).into_owned()))
                .map_err(csv_err)?;
            written += 1;
        }
        if n < EXPORT_CHUNK {
            break;
        }
        offset += EXPORT_CHUNK;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "audit.export",
            format!("Exported {written} audit events as CSV"),
        )
        .after(&serde_json::json!({ "filters": q.query_string() })),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-trail.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        assert_eq!(csv_safe("Signed in"), "Signed in");
        assert_eq!(csv_safe(""), "");
    }

    #[test]
    fn audit_dates_are_checked_and_made_iso() {
        let q = AuditQuery::parse(Some("from=01%2F03%2F2024&to=2024-03-31&actor=+bob+"));
        assert!(!q.form.has_errors());
        assert_eq!(q.filter.from, "2024-03-01");
        assert_eq!(q.filter.to, "2024-03-31");
        assert_eq!(q.filter.actor, "bob");
        let q = AuditQuery::parse(Some("from=31%2F02%2F2024&to=2023-01-01"));
        assert!(q.form.error("from").is_some());
        let q = AuditQuery::parse(Some("from=2024-02-01&to=2024-01-01"));
        assert!(q.form.error("to").is_some());
    }

    #[test]
    fn store_messages_land_on_the_right_field() {
        assert_eq!(
            field_for("No one in the directory has staff number 99"),
            "staff_number"
        );
        assert_eq!(
            field_for("Password must be at least 12 characters"),
            "password"
        );
        assert_eq!(
            field_for("Username must be between 3 and 64 characters"),
            "username"
        );
        assert_eq!(field_for("Give the account at least one role"), "roles");
    }
}
