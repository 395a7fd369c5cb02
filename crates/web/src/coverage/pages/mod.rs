//! Coverage of delivery requirements in the browser: the requirements with their headline
//! figures as of any day, one requirement's breakdown (by department, team, cohort, rank and
//! role profile) with filters and the list of untrained people (booked or not) that a trainer or
//! line manager can book onto a session in one step, CSV and Excel exports, and the form that
//! creates or edits a requirement.
//!
//! Scope: trainers and administrators see everyone; a line manager sees only the people they
//! line-manage (names included); a senior leader sees the figures for everyone but no names
//! (no untrained list, exports of figures only). Every view that names people is audited.

mod export;
mod form;
mod list;
mod show;
use self::{export::*, form::*, list::*, show::*};

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::{workbook, Sheet, XCell};
use crate::form::{field_str, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::{Capability, PeopleScope};
use mashboard_domain::coverage::{
    Clause, CountsAs, Dimension, Filter, Rule, Standing, Tally, TrainedHow, Transferees,
};
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::Role;
use mashboard_store::delivery::coverage::{self as store, Report, Requirement, RequirementInput};
use mashboard_store::training::{catalogue, today};
use mashboard_store::{Store, StoreError};
use std::collections::HashSet;
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{CoverageView as View, SessionsManage as Manage};
    t.get("/coverage", P(View), get(list))
        .get("/coverage/new", P(Manage), get(new_form))
        .post("/coverage/new", P(Manage), post(create))
        .get("/coverage/{id}", P(View), get(show))
        .get("/coverage/{id}/export.csv", P(View), get(export_csv))
        .get("/coverage/{id}/export.xlsx", P(View), get(export_xlsx))
        .get("/coverage/{id}/edit", P(Manage), get(edit_form))
        .post("/coverage/{id}/edit", P(Manage), post(update))
        .post("/coverage/{id}/active", P(Manage), post(set_active))
}

// ---------------------------------------------------------------------------------------------
// Scope, shared with the API

/// How much of the force a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ViewerScope {
    /// Everyone, with names (trainers, administrators).
    All,
    /// Only the people they line-manage, with names.
    LineReports,
    /// Everyone's figures, nobody's name (senior leaders).
    FiguresOnly,
}

pub(crate) struct Scope {
    pub kind: ViewerScope,
    pub names: bool,
    only: Option<HashSet<i64>>,
}

impl Scope {
    /// The filter for this viewer, on top of a page's own filters.
    pub(crate) fn filter(&self, mut f: Filter) -> Filter {
        f.only = self.only.clone();
        f
    }
}

pub(crate) async fn viewer_scope(store: &Store, user: &CurrentUser) -> Result<Scope, StoreError> {
    if user.people_scope() == PeopleScope::All {
        return Ok(Scope {
            kind: ViewerScope::All,
            names: true,
            only: None,
        });
    }
    if user.roles.contains(&Role::LineManager) {
        let only = match user.person_id {
            Some(me) => store::line_reports(store, me).await?,
            None => HashSet::new(),
        };
        return Ok(Scope {
            kind: ViewerScope::LineReports,
            names: true,
            only: Some(only),
        });
    }
    Ok(Scope {
        kind: ViewerScope::FiguresOnly,
        names: false,
        only: None,
    })
}

/// `as_of` from a query: empty means today; ISO or UK style.
pub(crate) fn parse_as_of(raw: Option<&str>) -> Result<Date, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(today()),
        Some(s) => parse_date(s),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn pairs_of(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

async fn load_requirement(state: &AppState, id: &str) -> Result<Requirement, AppError> {
    store::requirement(&state.store, path_id(id)?)
        .await?
        .ok_or(AppError::NotFound)
}

fn iso(d: Date) -> String {
    d.to_string()
}

/// One row of a breakdown table.
struct GroupRow {
    name: String,
    required: usize,
    trained: usize,
    booked: usize,
    untrained: usize,
    percent: String,
    /// Link to the same page filtered to this group (empty for role profiles).
    href: String,
}

struct Breakdown {
    key: &'static str,
    label: &'static str,
    rows: Vec<GroupRow>,
}

struct HowRow {
    label: &'static str,
    count: usize,
}

struct UntrainedRow {
    staff_number: String,
    name: String,
    department: String,
    team: String,
    cohort: String,
    rank: String,
    booked: String,
}

struct SessionChoice {
    id: i64,
    label: String,
}
