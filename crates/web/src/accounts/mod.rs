//! Accounts: signing in and out, one's own account and password, administering users and
//! their roles and tokens, and the audit trail page; `/api/v1/me`.

mod account;
mod admin;
mod api;
mod login;

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
        .get("/admin/users", Page(AccountsManage), get(admin::users))
        .get(
            "/admin/users/new",
            Page(AccountsManage),
            get(admin::new_user_form),
        )
        .post(
            "/admin/users/new",
            Page(AccountsManage),
            post(admin::create_user),
        )
        .get(
            "/admin/users/{username}",
            Page(AccountsManage),
            get(admin::user),
        )
        .post(
            "/admin/users/{username}/roles",
            Page(AccountsManage),
            post(admin::set_roles),
        )
        .post(
            "/admin/users/{username}/disable",
            Page(AccountsManage),
            post(admin::disable),
        )
        .post(
            "/admin/users/{username}/enable",
            Page(AccountsManage),
            post(admin::enable),
        )
        .post(
            "/admin/users/{username}/unlock",
            Page(AccountsManage),
            post(admin::unlock),
        )
        .post(
            "/admin/users/{username}/partner-agency",
            Page(AccountsManage),
            post(admin::set_partner_agency),
        )
        .post(
            "/admin/users/{username}/password",
            Page(AccountsManage),
            post(admin::set_password),
        )
        .post(
            "/admin/users/{username}/tokens",
            Page(AccountsManage),
            post(admin::create_token),
        )
        .post(
            "/admin/users/{username}/tokens/{id}/revoke",
            Page(AccountsManage),
            post(admin::revoke_token),
        )
        .get("/admin/audit", Page(AuditRead), get(admin::audit_trail))
        .get("/admin/audit.csv", Page(AuditRead), get(admin::audit_csv))
        .get("/api/v1/me", Api(SignedIn), get(api::me))
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::AccountsDoc as utoipa::OpenApi>::openapi()
}
