//! Partner training exchange: partner organisations and their contacts, partner-provided
//! modules, external attendees at sessions, and the quarterly summary of training exchanged
//! each way (with CSV and Excel exports). Views of contacts and attendees are audited.

mod exchange;
mod external;
mod list;
mod modules;
mod organisation;
pub(crate) use self::external::{active_orgs, guest_draft, guest_form};
use self::{exchange::*, external::*, list::*, modules::*, organisation::*};

use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::export::{workbook, Sheet, XCell};
use crate::form::{field, path_id, query_value};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::partners::{
    ContactDraft, ExchangeCell, ExchangeSummary, ExternalDraft, ExternalStatus, FieldError,
    OrgDraft, OrgKind,
};
use mashboard_domain::training::ModuleKind;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::partners::{
    self, Contact, ExchangeSession, ExternalAttendee, PartnerModule, PartnerOrg, SessionBrief,
};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{DeliveryReports, PartnersManage, SessionsBrowse, SessionsManage};
    t.get("/partners", P(PartnersManage), get(list))
        .post("/partners", P(PartnersManage), post(create))
        .get("/partners/modules", P(PartnersManage), get(modules))
        .get("/partner-training", P(SessionsBrowse), get(modules_browse))
        .get("/partners/exchange", P(DeliveryReports), get(exchange))
        .get(
            "/partners/exchange.csv",
            P(DeliveryReports),
            get(exchange_csv),
        )
        .get(
            "/partners/exchange.xlsx",
            P(DeliveryReports),
            get(exchange_xlsx),
        )
        .get("/partners/{id}", P(PartnersManage), get(show))
        .post("/partners/{id}", P(PartnersManage), post(update))
        .post(
            "/partners/{id}/contacts",
            P(PartnersManage),
            post(add_contact),
        )
        .post(
            "/partners/{id}/contacts/{cid}/remove",
            P(PartnersManage),
            post(remove_contact),
        )
        .post(
            "/partners/{id}/modules",
            P(PartnersManage),
            post(set_module_provider),
        )
        .post(
            "/partners/{id}/modules/new",
            P(PartnersManage),
            post(new_module),
        )
        .get("/sessions/{id}/external", P(SessionsManage), get(external))
        .post(
            "/sessions/{id}/external",
            P(SessionsManage),
            post(add_external),
        )
        .post(
            "/sessions/{id}/external/{xid}",
            P(SessionsManage),
            post(mark_external),
        )
        .post(
            "/sessions/{id}/direction",
            P(SessionsManage),
            post(set_direction),
        )
        .post(
            "/sessions/{id}/external/{xid}/remove",
            P(SessionsManage),
            post(remove_external),
        )
}

fn form_from(pairs: &[(String, String)], names: &[&str], errors: &[FieldError]) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, field(pairs, n));
    }
    for e in errors {
        f.add_error(e.field, e.message.clone());
    }
    f
}

fn saved_banner(raw: Option<&str>) -> String {
    match query_value(raw, "saved").as_deref() {
        Some("created") => "The organisation has been added.".into(),
        Some("updated") => "The organisation has been changed.".into(),
        Some("contact") => "The contact has been added.".into(),
        Some("removed") => "The contact has been removed.".into(),
        Some("module") => "The partner's modules have been changed.".into(),
        Some("added") => "The attendee has been added.".into(),
        Some("marked") => "Attendance has been recorded.".into(),
        Some("gone") => "The attendee has been removed.".into(),
        Some("direction") => "Who the session is for or by has been saved.".into(),
        _ => String::new(),
    }
}
