//! The accounts list and a new account (`/admin/users`, `/admin/users/new`).

use super::admin_shared::*;
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::form::raw_field;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use mashboard_domain::accounts::{check_password, check_username};
use mashboard_domain::people::StaffNumber;
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::{people, StoreError};

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------

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
    audit_trail::record(
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

#[cfg(test)]
mod tests {
    use super::*;

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
