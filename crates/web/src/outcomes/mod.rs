//! Partner outcomes of referrals and their rates.

mod api;
mod list;
mod rates;
mod referral;

pub(crate) fn routes(t: Table) -> Table {
    let t = page_routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::OutcomesDoc as utoipa::OpenApi>::openapi()
}

use list::*;
use rates::*;
use referral::*;

// The pages' shared imports and helpers; each screen's file takes them with `use super::*`.
// Partner outcomes: MASH staff (and the trainer and administrators) record what each partner
// agency did with a referral; a partner reviewer records outcomes for their own agency only and
// sees only the referrals sent to it, without the narrative (partners read narratives only in
// the pseudonymised quality-review view). The rates page reports relevant, no-further-action
// and returned-for-more-information shares by partner and subject type.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::raw_field;
use crate::list_pages::{page_start, PageLinks};
use crate::routes::{Access, Table};
use crate::view::{date_text, local_time_text, path_segment};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::outcomes::{Outcome, Proportion, Rates, Source};
use mashboard_domain::people::parse_date;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::keyset::{Count, Page as KeysetPage};
use mashboard_store::outcomes::{
    self, same_agency, NamedRates, NewOutcome, OutcomeRecord, ReferralBrief, ReferralQuery,
};
use mashboard_store::training::today;
use mashboard_store::{accounts, StoreError};
use time::Date;

fn page_routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::OutcomesRecord;
    t.get("/register/outcomes", P(OutcomesRecord), get(list))
        .get("/register/outcomes/rates", P(OutcomesRecord), get(rates))
        .get(
            "/register/referrals/{referral_ref}/outcomes",
            P(OutcomesRecord),
            get(form),
        )
        .post(
            "/register/referrals/{referral_ref}/outcomes",
            P(OutcomesRecord),
            post(save),
        )
}

const PER_PAGE: i64 = 50;

fn subject_label(s: &str) -> String {
    match s {
        "child" => "Child".into(),
        "adult" => "Adult".into(),
        other => other.to_string(),
    }
}

/// Whose view this is: MASH (every referral, any partner) or a partner reviewer (their own
/// agency's referrals only; `None` when no agency is set on their account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Viewer {
    Mash,
    Partner(Option<String>),
}

impl Viewer {
    pub(crate) async fn of(state: &AppState, user: &CurrentUser) -> Result<Viewer, StoreError> {
        // Those who may read the register (MASH staff, the trainer, administrators) see all.
        if user.can(Capability::RegisterView) {
            return Ok(Viewer::Mash);
        }
        Ok(Viewer::Partner(
            accounts::partner_agency(&state.store, user.id).await?,
        ))
    }
    /// The agency a partner reviewer is narrowed to (`None` for MASH).
    fn agency(&self) -> Option<String> {
        match self {
            Viewer::Mash => None,
            Viewer::Partner(a) => a.clone(),
        }
    }
    fn is_partner(&self) -> bool {
        matches!(self, Viewer::Partner(_))
    }
    fn lacks_agency(&self) -> bool {
        matches!(self, Viewer::Partner(None))
    }
    /// Whether this viewer may see a referral.
    fn sees(&self, r: &ReferralBrief) -> bool {
        match self {
            Viewer::Mash => true,
            Viewer::Partner(Some(a)) => same_agency(&r.partner, a),
            Viewer::Partner(None) => false,
        }
    }
}

/// A referral as the outcome pages show it: no narrative.
pub(crate) struct ReferralView {
    pub referral_ref: String,
    pub href: String,
    /// The referral on the register (MASH only).
    pub register_href: String,
    pub submitted: String,
    pub subject: String,
    pub category: String,
    pub partner: String,
    pub outcomes: Vec<OutcomeView>,
}

impl ReferralView {
    fn new(r: ReferralBrief, outcomes: Vec<OutcomeView>) -> ReferralView {
        ReferralView {
            href: format!(
                "/register/referrals/{}/outcomes",
                path_segment(&r.referral_ref)
            ),
            register_href: format!("/register/referrals/{}", path_segment(&r.referral_ref)),
            submitted: local_time_text(&r.submitted_at),
            subject: subject_label(&r.subject_type),
            category: r.category,
            partner: r.partner,
            referral_ref: r.referral_ref,
            outcomes,
        }
    }
}

pub(crate) struct OutcomeView {
    pub partner: String,
    pub label: String,
    pub reason: String,
    pub decided: String,
    pub source: &'static str,
    pub recorded_by: String,
}

impl From<OutcomeRecord> for OutcomeView {
    fn from(o: OutcomeRecord) -> Self {
        OutcomeView {
            label: o.outcome_label(),
            source: o.source_label(),
            decided: date_text(&o.decided_at),
            partner: o.partner,
            reason: o.reason,
            recorded_by: o.recorded_by,
        }
    }
}

/// Reads a filter date; an error names the field.
fn filter_date(form: &mut FormState, name: &str, label: &str) -> Option<Date> {
    let raw = form.value(name).to_string();
    if raw.is_empty() {
        return None;
    }
    match parse_date(&raw) {
        Ok(d) => Some(d),
        Err(m) => {
            form.add_error(name, format!("{label}: {m}"));
            None
        }
    }
}

use crate::form::query_pairs;

/// The period filter shared by the list and the rates page: (from, to, the form with errors).
fn period(pairs: &[(String, String)]) -> (Option<Date>, Option<Date>, FormState) {
    let mut form = FormState::default();
    for n in ["from", "to", "partner", "has_outcome"] {
        form.set(
            n,
            raw_field(pairs, n)
                .trim()
                .chars()
                .take(200)
                .collect::<String>(),
        );
    }
    let from = filter_date(&mut form, "from", "Submitted from");
    let to = filter_date(&mut form, "to", "Submitted to");
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            form.add_error("to", "The end of the period must be on or after its start");
        }
    }
    (from, to, form)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn references_are_safe_path_segments() {
        assert_eq!(path_segment("PPN-2024.1_a~"), "PPN-2024.1_a~");
        assert_eq!(path_segment("PPN/24 7"), "PPN%2F24%207");
    }

    #[test]
    fn a_good_outcome_is_read_and_every_problem_is_named() {
        let n = read_outcome(
            &pairs(&[
                ("outcome", "no_further_action"),
                ("decided_at", "04/03/2024"),
                ("reason", " Below threshold "),
            ]),
            "R1",
            " Health ",
            Source::Mash,
            date!(2025 - 01 - 01),
        )
        .unwrap();
        assert_eq!(n.partner, "Health");
        assert_eq!(n.decided_at, "2024-03-04");
        assert_eq!(n.reason, "Below threshold");
        assert_eq!(n.outcome, Outcome::NoFurtherAction);
        let form = read_outcome(
            &pairs(&[("outcome", "maybe"), ("decided_at", "2030-01-01")]),
            "R1",
            "",
            Source::Mash,
            date!(2025 - 01 - 01),
        )
        .unwrap_err();
        let fields: Vec<&str> = form.errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["partner", "outcome", "decided_at"]);
    }

    #[test]
    fn periods_are_checked() {
        let (f, t, form) = period(&pairs(&[("from", "01/02/2024"), ("to", "2024-02-29")]));
        assert_eq!(
            (f, t),
            (Some(date!(2024 - 02 - 01)), Some(date!(2024 - 02 - 29)))
        );
        assert!(!form.has_errors());
        let (_, _, form) = period(&pairs(&[("from", "01/03/2024"), ("to", "01/02/2024")]));
        assert!(form.error("to").is_some());
        let (_, _, form) = period(&pairs(&[("from", "soon")]));
        assert!(form.error("from").unwrap().starts_with("Submitted from"));
    }
}
