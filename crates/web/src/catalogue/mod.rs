//! The module catalogue, role programmes and guidance changes: routes and what the screens share
//! (dates in words, form helpers, a module as every table shows it).

mod guidance;
mod guidance_tag;
mod list;
mod module;
mod module_form;
mod profiles;
mod programme;
mod starter;

#[allow(unused_imports)]
use guidance::*;
#[allow(unused_imports)]
use guidance_tag::*;
#[allow(unused_imports)]
use list::*;
#[allow(unused_imports)]
use module::*;
#[allow(unused_imports)]
use module_form::*;
#[allow(unused_imports)]
use profiles::*;
#[allow(unused_imports)]
use programme::*;

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::{field, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::{format_date_long, parse_date, StaffNumber};
use mashboard_domain::training::{
    add_months, format_minutes, format_version, next_version, parse_version, review_state, DueRule,
    ModuleKind, ModuleStatus, RenewalRule, ReviewState, DEFAULT_REVIEW_WARN_DAYS, MAX_DUE_DAYS,
    MAX_RENEWAL_MONTHS,
};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people;
use mashboard_store::training::catalogue::{self, Module, ModuleInput, Tag, TrainedPerson};
use mashboard_store::training::programmes::{self, Profile};
use mashboard_store::StoreError;
use std::collections::BTreeMap;
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{CatalogueView as View, TrainingManage as Manage};
    t.get("/training/modules", P(View), get(list))
        .post("/training/modules/starter", P(Manage), post(starter::add))
        .get("/training/modules/new", P(Manage), get(new_form))
        .post("/training/modules/new", P(Manage), post(create))
        .get("/training/modules/{id}", P(View), get(show))
        .get("/training/modules/{id}/edit", P(Manage), get(edit_form))
        .post("/training/modules/{id}/edit", P(Manage), post(update))
        .post("/training/modules/{id}/publish", P(Manage), post(publish))
        .post("/training/modules/{id}/reviewed", P(Manage), post(reviewed))
        .get("/training/guidance", P(Manage), get(guidance))
        .post("/training/guidance", P(Manage), post(record_change))
        .get("/training/guidance/{id}", P(Manage), get(guidance_tag))
        .get("/training/profiles", P(Manage), get(profiles_list))
        .post("/training/profiles", P(Manage), post(create_profile))
        .get("/training/profiles/{id}", P(Manage), get(profile_page))
        .post("/training/profiles/{id}/items", P(Manage), post(set_item))
        .get(
            "/training/profiles/{id}/items/{module_id}/remove",
            P(Manage),
            get(confirm_remove_item),
        )
        .post(
            "/training/profiles/{id}/items/{module_id}/remove",
            P(Manage),
            post(remove_item),
        )
}

// ---------------------------------------------------------------------------------------------
// Small helpers

pub(super) fn today() -> Date {
    mashboard_store::training::today()
}

pub(super) fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A date as typed in forms: 27/03/2024.
pub(super) fn uk(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// A stored date (or instant) as pages show it: "1 March 2024".
pub(super) fn long_date(stored: &str) -> String {
    mashboard_domain::training::stored_date_in_words(stored).unwrap_or_else(|| stored.to_string())
}

/// A stored date as a form value: "27/03/2024".
pub(super) fn uk_text(stored: Option<&str>) -> String {
    stored
        .and_then(|s| parse_date(s).ok())
        .map(uk)
        .unwrap_or_default()
}

/// Replaces the first ISO date in a stored sentence with its long form.
pub(super) fn with_long_dates(text: &str) -> String {
    for (i, _) in text.char_indices() {
        if let Some(candidate) = text.get(i..i + 10) {
            if candidate.as_bytes()[4] == b'-' {
                if let Ok(d) = parse_date(candidate) {
                    return format!("{}{}{}", &text[..i], format_date_long(d), &text[i + 10..]);
                }
            }
        }
    }
    text.to_string()
}

pub(super) use crate::form::query_pairs;

pub(super) fn form_of(pairs: &[(String, String)], names: &[&str]) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, field(pairs, n));
    }
    f
}

/// A required date in a form, or an error on the field.
pub(super) fn date_field(
    form: &mut FormState,
    name: &str,
    what: &str,
    required: bool,
) -> Option<Date> {
    let raw = form.value(name).trim().to_string();
    if raw.is_empty() {
        if required {
            form.add_error(name, format!("Enter {what}, for example 27/03/2024"));
        }
        return None;
    }
    match parse_date(&raw) {
        Ok(d) => Some(d),
        Err(m) => {
            form.add_error(name, format!("{} {m}", capitalise(what)));
            None
        }
    }
}

pub(super) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn check_length(form: &mut FormState, name: &str, what: &str, max: usize) {
    if form.value(name).chars().count() > max {
        form.add_error(
            name,
            format!("{} must be {max} characters or fewer", capitalise(what)),
        );
    }
}

pub(super) fn status_class(s: &str) -> &'static str {
    match s {
        "live" => "govuk-tag--green",
        "draft" => "govuk-tag--yellow",
        _ => "govuk-tag--grey",
    }
}

/// A module as every table shows it, with its review state worked out by the domain.
pub struct ModuleView {
    pub m: Module,
    pub kind: String,
    pub status: String,
    pub status_class: &'static str,
    pub review: ReviewState,
    pub review_by: String,
    pub last_reviewed: String,
    pub flag: Option<String>,
    pub duration: String,
}

impl ModuleView {
    fn of(m: Module, today: Date) -> ModuleView {
        let review = review_state(
            m.review_by.as_deref().and_then(|d| parse_date(d).ok()),
            today,
            DEFAULT_REVIEW_WARN_DAYS,
        );
        ModuleView {
            kind: m
                .kind
                .parse::<ModuleKind>()
                .map(|k| k.label().to_string())
                .unwrap_or_else(|_| m.kind.clone()),
            status: m
                .status
                .parse::<ModuleStatus>()
                .map(|s| s.label().to_string())
                .unwrap_or_else(|_| m.status.clone()),
            status_class: status_class(&m.status),
            review,
            review_by: m.review_by.as_deref().map(long_date).unwrap_or_default(),
            last_reviewed: m
                .last_reviewed_on
                .as_deref()
                .map(long_date)
                .unwrap_or_default(),
            flag: m.guidance_flag.as_deref().map(with_long_dates),
            duration: u32::try_from(m.duration_minutes)
                .map(format_minutes)
                .unwrap_or_default(),
            m,
        }
    }

    /// Overdue or due soon for review: the tag every table shows next to the date.
    pub fn review_warning(&self) -> bool {
        matches!(self.review, ReviewState::Overdue | ReviewState::DueSoon)
    }

    pub fn needs_review(&self) -> bool {
        self.review_warning() || self.flag.is_some()
    }
}

pub(super) fn saved_message(
    raw: Option<&str>,
    messages: &[(&str, &'static str)],
) -> Option<&'static str> {
    let saved = field(&query_pairs(raw), "saved");
    messages.iter().find(|(k, _)| *k == saved).map(|(_, m)| *m)
}
