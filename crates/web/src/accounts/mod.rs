//! Accounts: signing in and out, one's own account and password, administering users and
//! their roles and tokens, and the audit trail page; `/api/v1/me`.

mod account;
mod admin_shared;
mod api;
mod audit_trail;
mod login;
mod user;
mod users;

use crate::routes::{Access, Table};
use axum::routing::{get, post};
use mashboard_domain::access::Capability::{AccountsManage, AuditRead, SignedIn};

pub(crate) fn routes(t: Table) -> Table {
    use Access::{Api, Page, Public};
    t.get("/login", Public, get(login::show))
        .post("/login", Public, post(login::submit))
        .post("/logout", Public, post(login::logout))
        .get("/account", Page(SignedIn), get(account::show))
        .post(
            "/account/password",
            Page(SignedIn),
            post(account::change_password),
        )
        .post(
            "/account/sign-out-others",
            Page(SignedIn),
            post(account::sign_out_others),
        )
        .get("/admin/users", Page(AccountsManage), get(users::users))
        .get(
            "/admin/users/new",
            Page(AccountsManage),
            get(users::new_user_form),
        )
        .post(
            "/admin/users/new",
            Page(AccountsManage),
            post(users::create_user),
        )
        .get(
            "/admin/users/{username}",
            Page(AccountsManage),
            get(user::user),
        )
        .post(
            "/admin/users/{username}/roles",
            Page(AccountsManage),
            post(user::set_roles),
        )
        .post(
            "/admin/users/{username}/disable",
            Page(AccountsManage),
            post(user::disable),
        )
        .post(
            "/admin/users/{username}/enable",
            Page(AccountsManage),
            post(user::enable),
        )
        .post(
            "/admin/users/{username}/unlock",
            Page(AccountsManage),
            post(user::unlock),
        )
        .post(
            "/admin/users/{username}/partner-agency",
            Page(AccountsManage),
            post(user::set_partner_agency),
        )
        .post(
            "/admin/users/{username}/password",
            Page(AccountsManage),
            post(user::set_password),
        )
        .post(
            "/admin/users/{username}/tokens",
            Page(AccountsManage),
            post(user::create_token),
        )
        .post(
            "/admin/users/{username}/tokens/{id}/revoke",
            Page(AccountsManage),
            post(user::revoke_token),
        )
        .get(
            "/admin/audit",
            Page(AuditRead),
            get(audit_trail::audit_trail),
        )
        .get(
            "/admin/audit.csv",
            Page(AuditRead),
            get(audit_trail::audit_csv),
        )
        .get("/api/v1/me", Api(SignedIn), get(api::me))
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::AccountsDoc as utoipa::OpenApi>::openapi()
}
