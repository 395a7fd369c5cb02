//! The CPD log and its verification by line managers: routes, and the views of entries and
//! totals that the screens share.

mod mine;
mod queue;
mod trainer;

#[allow(unused_imports)]
use mine::*;
#[allow(unused_imports)]
use queue::*;
#[allow(unused_imports)]
use trainer::*;

use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::form::{path_id, raw_field};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::training::{format_minutes, parse_hours, CpdKind};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::training::catalogue::{self, Module};
use mashboard_store::training::cpd::{self, CpdEntry, NewCpd, TeamTotal, YearTotal};
use mashboard_store::training::{reports, today};
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{CpdReview, OwnTraining, TrainingManage};
    t.get("/my/cpd", P(OwnTraining), get(mine))
        .post("/my/cpd", P(OwnTraining), post(log))
        .get("/cpd/review", P(CpdReview), get(queue))
        .post("/cpd/{id}/review", P(CpdReview), post(review))
        .get("/training/cpd", P(TrainingManage), get(trainer))
        .post("/cpd/{id}/map", P(TrainingManage), post(map))
}

pub(super) const MAX_TOPIC: usize = 200;
pub(super) const MAX_LEARNING: usize = 5000;
pub(super) const MAX_URL: usize = 500;
pub(super) const MAX_COMMENT: usize = 2000;
pub(super) const TRAINER_LIST: i64 = 100;

/// The words for a stored CPD status.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "Awaiting verification",
        "verified" => "Verified",
        "returned" => "Returned",
        _ => "Unknown",
    }
}

/// The GOV.UK tag colour for a stored CPD status (the words are always shown too).
pub fn status_class(status: &str) -> &'static str {
    match status {
        "submitted" => "govuk-tag--blue",
        "verified" => "govuk-tag--green",
        "returned" => "govuk-tag--orange",
        _ => "govuk-tag--grey",
    }
}

/// A CPD entry as the pages show it.
pub(crate) struct EntryView {
    pub id: i64,
    pub person_name: String,
    pub staff_number: String,
    pub topic: String,
    pub done_on: String,
    pub time: String,
    pub kind: String,
    pub learning: String,
    pub evidence_url: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub review_comment: String,
    pub reviewed_by: String,
    pub counts_for_module_id: Option<i64>,
    pub counts_for_module: String,
}

impl EntryView {
    fn counts_for(&self, module_id: impl std::borrow::Borrow<i64>) -> bool {
        self.counts_for_module_id == Some(*module_id.borrow())
    }
}

impl From<CpdEntry> for EntryView {
    fn from(e: CpdEntry) -> Self {
        EntryView {
            id: e.id,
            done_on: parse_date(&e.done_on)
                .map(format_date_long)
                .unwrap_or_else(|_| e.done_on.clone()),
            time: format_minutes(u32::try_from(e.minutes).unwrap_or(0)),
            kind: e
                .kind
                .parse::<CpdKind>()
                .map(|k| k.label().to_string())
                .unwrap_or_else(|_| e.kind.clone()),
            status_label: status_label(&e.status),
            status_class: status_class(&e.status),
            person_name: e.person_name,
            staff_number: e.staff_number,
            topic: e.topic,
            learning: e.learning,
            evidence_url: e.evidence_url,
            review_comment: e.review_comment,
            reviewed_by: e.reviewed_by.unwrap_or_default(),
            counts_for_module_id: e.counts_for_module_id,
            counts_for_module: e.counts_for_module.unwrap_or_default(),
        }
    }
}

/// Hours per year as the pages show them.
pub(crate) struct YearView {
    pub year: String,
    pub verified: String,
    pub submitted: String,
    pub entries: i64,
}

impl From<YearTotal> for YearView {
    fn from(t: YearTotal) -> Self {
        let time = |m: i64| match u32::try_from(m) {
            Ok(m) if m > 0 => format_minutes(m),
            _ => "None".to_string(),
        };
        YearView {
            year: t.year,
            verified: time(t.verified_minutes),
            submitted: time(t.submitted_minutes),
            entries: t.entries,
        }
    }
}

pub(super) fn query_has(raw: Option<&str>, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = raw
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

// ---------------------------------------------------------------------------------------------
