//! Training plans, completions and their two-party sign-off, as pages and through the API.
//! Routes live here with what the screens share.

mod api;
mod assign;
mod completion;
mod plan;
mod queue;
mod record;

#[allow(unused_imports)]
use assign::*;
#[allow(unused_imports)]
use completion::*;
#[allow(unused_imports)]
use plan::*;
#[allow(unused_imports)]
use queue::*;
#[allow(unused_imports)]
use record::*;

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::FirstValues;
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use mashboard_domain::access::Capability;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::signoff::{self, SignOffFacts};
use mashboard_domain::training::CompletionMode;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people::{self, Person};
use mashboard_store::training::catalogue::{self, Module};
use mashboard_store::training::completions::{
    self, Completion, NewCompletion, SignOff, SignOffError,
};
use mashboard_store::training::plans::{self, PlanItem};
use mashboard_store::training::programmes::{self, Assignment, Profile};
use mashboard_store::training::today;
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    api::routes(page_routes(t))
}

/// A plan item as JSON, shared with the matrix API.
pub(crate) use api::PlanItemJson;

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::PlansDoc as utoipa::OpenApi>::openapi()
}

fn page_routes(t: Table) -> Table {
    use Access::Page;
    use Capability::*;
    t.get("/my/training", Page(OwnTraining), get(my_training))
        .post(
            "/my/training/completions",
            Page(OwnTraining),
            post(record_own),
        )
        .get(
            "/people/{staff_number}/training",
            Page(TrainingRecords),
            get(person_training),
        )
        .post(
            "/people/{staff_number}/training/completions",
            Page(TrainingManage),
            post(record_for),
        )
        .post(
            "/people/{staff_number}/training/assign",
            Page(TrainingManage),
            post(assign),
        )
        .post(
            "/people/{staff_number}/training/assignments/{id}/end",
            Page(TrainingManage),
            post(end_assignment),
        )
        .get("/completions/{id}", Page(OwnTraining), get(completion))
        .post("/completions/{id}/sign-off", Page(SignOff), post(sign_off))
        .post(
            "/completions/{id}/reopen",
            Page(TrainingManage),
            post(reopen),
        )
        .get("/sign-offs", Page(SignOff), get(queue))
}

/// A stored instant as pages show it: in Europe/London time, in words.
pub(super) fn when(stored: &str) -> String {
    mashboard_domain::training::instant_in_words(stored).unwrap_or_else(|| stored.to_string())
}

/// The London day of a stored instant or date, in words.
pub(super) fn day(stored: &str) -> String {
    mashboard_domain::training::stored_date_in_words(stored).unwrap_or_else(|| stored.to_string())
}

/// Dates as people read them; anything unreadable is shown as stored.
pub fn long(d: &str) -> String {
    parse_date(d)
        .map(format_date_long)
        .unwrap_or_else(|_| d.to_string())
}
