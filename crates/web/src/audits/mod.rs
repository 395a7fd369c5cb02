//! Incident compliance audits: sampling, findings, yearly figures against the target.

mod api;
mod export;
mod incident;
mod list;
mod referral;
mod show;
mod summary;

pub(crate) fn routes(t: Table) -> Table {
    let t = page_routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::AuditsDoc as utoipa::OpenApi>::openapi()
}

use export::*;
use incident::*;
use list::*;
use referral::*;
use show::*;
use summary::*;

// The pages' shared imports and helpers; each screen's file takes them with `use super::*`.
// Bi-monthly incident compliance audits in the browser: the list of audits with a form to open
// one (its random sample drawn at once), the audit page (the sample with what helps the
// auditor decide, progress, redraw, auditors, close), one page per sampled incident with the
// findings form, and the compliance summary (by year against the target of 200, by quarter, by
// subject, year on year) with CSV and Excel exports from which every figure can be recomputed.
//
// The rules and the figures are the domain's (`mashboard_domain::audits`); the store keeps
// them and audits every change and every view of an audit's incidents.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::{workbook, Sheet, XCell};
use crate::form::{field, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, path_segment, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::audits::{
    self as audit_rules, percent, Breakdown, Finding, Period, Quarter, RequiredReason, RollUp,
    Subject, TargetProgress, DEFAULT_SAMPLE_SIZE,
};
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::sampling::Seed;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::audits::{
    self, AuditError, AuditRow, AuditorRow, CountedFinding, FindingInput, NewAudit, SampledIncident,
};
use mashboard_store::training::today;
use time::Date;

fn page_routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{ComplianceAudits as Audits, ComplianceSummary as Summary};
    t.get("/compliance/audits", P(Audits), get(list))
        .post("/compliance/audits", P(Audits), post(create))
        .get("/compliance/audits/{id}", P(Audits), get(show))
        .get(
            "/compliance/audits/{id}/sample/{position}",
            P(Audits),
            get(incident_page),
        )
        .post(
            "/compliance/audits/{id}/sample/{position}",
            P(Audits),
            post(save_finding),
        )
        .get(
            "/compliance/audits/{id}/referrals/{referral_ref}",
            P(Audits),
            get(referral_page),
        )
        .post("/compliance/audits/{id}/redraw", P(Audits), post(redraw))
        .post(
            "/compliance/audits/{id}/auditors",
            P(Audits),
            post(set_auditors),
        )
        .post("/compliance/audits/{id}/close", P(Audits), post(close))
        .get("/compliance", P(Summary), get(summary))
        .get("/compliance/export.csv", P(Summary), get(export_csv))
        .get("/compliance/rollup.csv", P(Summary), get(rollup_csv))
        .get("/compliance/export.xlsx", P(Summary), get(export_xlsx))
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn uk(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

fn long_date(stored: &str) -> String {
    let day = stored.get(..10).unwrap_or(stored);
    parse_date(day)
        .map(format_date_long)
        .unwrap_or_else(|_| stored.to_string())
}

/// A stored local time ("2025-02-01T10:05:00") as pages show it: "1 February 2025 at 10:05".
fn when(stored: &str) -> String {
    match mashboard_domain::queue::parse_local_time(stored) {
        Ok(t) if stored.len() > 10 => mashboard_domain::queue::format_local_time_long(t),
        _ => long_date(stored),
    }
}

use crate::form::query_pairs;

fn form_of(pairs: &[(String, String)], names: &[&str]) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, field(pairs, n));
    }
    f
}

fn date_field(form: &mut FormState, name: &str, what: &str) -> Option<Date> {
    let raw = form.value(name).trim().to_string();
    if raw.is_empty() {
        form.add_error(name, format!("Enter {what}, for example 31/03/2025"));
        return None;
    }
    match parse_date(&raw) {
        Ok(d) => Some(d),
        Err(m) => {
            let mut c = what.chars();
            let what = match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            };
            form.add_error(name, format!("{what}: {m}"));
            None
        }
    }
}

fn viewer(user: &CurrentUser) -> audits::Viewer {
    crate::audits::api::viewer(user)
}

/// A refusal page with the store's words and a fitting status.
fn refusal(status: StatusCode, message: String) -> Response {
    let mut r = AppError::BadRequest(message).into_response();
    *r.status_mut() = status;
    r
}

fn audit_error(e: AuditError) -> Result<Response, AppError> {
    match e {
        AuditError::NotFound(_) => Err(AppError::NotFound),
        AuditError::Refused(m) => Ok(refusal(StatusCode::FORBIDDEN, m)),
        AuditError::Conflict(m) => Ok(refusal(StatusCode::CONFLICT, m)),
        AuditError::Invalid(m) => Ok(refusal(StatusCode::BAD_REQUEST, m)),
        AuditError::Store(e) => Err(e.into()),
    }
}

impl From<AuditError> for AppError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::NotFound(_) => AppError::NotFound,
            AuditError::Refused(_) => AppError::Forbidden,
            AuditError::Invalid(m) | AuditError::Conflict(m) => AppError::BadRequest(m),
            AuditError::Store(e) => e.into(),
        }
    }
}

async fn visible_audit(
    state: &AppState,
    user: &CurrentUser,
    raw_id: &str,
) -> Result<AuditRow, AppError> {
    audits::get(&state.store, &viewer(user), path_id(raw_id)?)
        .await?
        .ok_or(AppError::NotFound)
}

/// What this user is to this audit; the domain's `AuditReader` says what they may do.
fn reader(a: &AuditRow, user: &CurrentUser) -> audit_rules::AuditReader {
    a.reader(&viewer(user))
}

fn status_label(a: &AuditRow) -> (&'static str, &'static str) {
    if a.is_open() {
        ("Open", "govuk-tag--blue")
    } else {
        ("Closed", "govuk-tag--grey")
    }
}

fn period_text(a: &AuditRow) -> String {
    format!(
        "{} to {}",
        long_date(&a.period_start),
        long_date(&a.period_end)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        assert_eq!(csv_safe("INC-1"), "INC-1");
        assert_eq!(cell_csv(&XCell::Number(-0.25)), "-0.25", "numbers are ours");
    }

    #[test]
    fn local_times_read_as_dates_and_times() {
        assert_eq!(when("2025-02-01T10:05:00"), "1 February 2025 at 10:05am");
        assert_eq!(when("2025-02-01"), "1 February 2025");
    }

    #[test]
    fn findings_read_in_words() {
        let f = Finding {
            form_required: true,
            required_reason: Some(RequiredReason::AdultAtRisk),
            form_completed: true,
            on_time: None,
        };
        assert_eq!(
            finding_words(&f),
            "Required (adult at risk); completed; timing not known"
        );
        let f = Finding {
            form_required: false,
            required_reason: None,
            form_completed: false,
            on_time: None,
        };
        assert_eq!(finding_words(&f), "Not required; not completed");
    }
}
