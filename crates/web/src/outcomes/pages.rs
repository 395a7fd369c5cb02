//! Partner outcomes: MASH staff (and the trainer and administrators) record what each partner
//! agency did with a referral; a partner reviewer records outcomes for their own agency only and
//! sees only the referrals sent to it, without the narrative (partners read narratives only in
//! the pseudonymised quality-review view). The rates page reports relevant, no-further-action
//! and returned-for-more-information shares by partner and subject type.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::raw_field;
use crate::routes::{Access, Table};
use crate::view::{date_text, local_time_text, path_segment};
use crate::view::{html, Chrome, FormState, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::outcomes::{Outcome, Proportion, Rates, Source};
use mashboard_domain::people::parse_date;
use mashboard_store::audit::{self, Event};
use mashboard_store::quality::outcomes::{
    self, same_agency, NamedRates, NewOutcome, OutcomeRecord, ReferralBrief, ReferralQuery,
};
use mashboard_store::training::today;
use mashboard_store::{accounts, StoreError};
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
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

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

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

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Template)]
#[template(path = "outcomes/outcomes_list.html")]
struct ListPage {
    chrome: Chrome,
    viewer_is_partner: bool,
    no_agency: bool,
    agency: String,
    form: FormState,
    partners: Vec<String>,
    rows: Vec<ReferralView>,
    pager: Pager,
}

impl ListPage {
    fn has_outcome_is(&self, v: &str) -> bool {
        self.form.value("has_outcome") == v
    }
    fn partner_is(&self, p: &str) -> bool {
        same_agency(self.form.value("partner"), p)
    }
}

async fn outcomes_by_ref(
    state: &AppState,
    rows: &[ReferralBrief],
    viewer: &Viewer,
) -> Result<Vec<(String, Vec<OutcomeView>)>, AppError> {
    let refs: Vec<String> = rows.iter().map(|r| r.referral_ref.clone()).collect();
    let all = outcomes::of_referrals(&state.store, &refs).await?;
    Ok(refs
        .into_iter()
        .map(|r| {
            let mine = all
                .iter()
                .filter(|o| o.referral_ref == r)
                .filter(|o| match viewer.agency() {
                    Some(a) => same_agency(&o.partner, &a),
                    None => true,
                })
                .cloned()
                .map(OutcomeView::from)
                .collect();
            (r, mine)
        })
        .collect())
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::OutcomesRecord>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let viewer = Viewer::of(&state, &page.user).await?;
    let pairs = query_pairs(raw.as_deref());
    let (from, to, form) = period(&pairs);
    let has_outcome = match form.value("has_outcome") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let q = ReferralQuery {
        from,
        to,
        partner: if viewer.is_partner() {
            String::new()
        } else {
            form.value("partner").to_string()
        },
        has_outcome,
        agency: viewer.agency(),
    };
    let base_query = serde_urlencoded::to_string(
        ["from", "to", "partner", "has_outcome"]
            .iter()
            .map(|k| (*k, form.value(k)))
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    let page_no = raw_field(&pairs, "page").parse().ok();
    let (pager, rows) = if viewer.lacks_agency() || form.has_errors() {
        (Pager::new(None, PER_PAGE, 0, base_query), Vec::new())
    } else {
        let (total, _) = outcomes::referrals(&state.store, &q, 0, 0).await?;
        let pager = Pager::new(page_no, PER_PAGE, total, base_query);
        let (_, rows) = outcomes::referrals(&state.store, &q, PER_PAGE, pager.offset()).await?;
        (pager, rows)
    };
    let with_outcomes = outcomes_by_ref(&state, &rows, &viewer).await?;
    let rows: Vec<ReferralView> = rows
        .into_iter()
        .zip(with_outcomes)
        .map(|(r, (_, o))| ReferralView::new(r, o))
        .collect();
    if !viewer.lacks_agency() {
        audit::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "outcomes.list",
                format!(
                    "Viewed referrals for partner outcomes ({} of {} shown)",
                    rows.len(),
                    pager.total
                ),
            )
            .after(&serde_json::json!({ "filters": pager.base_query, "page": pager.page })),
        )
        .await?;
    }
    let partners = if viewer.is_partner() {
        Vec::new()
    } else {
        outcomes::partners(&state.store).await?
    };
    let has_errors = form.has_errors();
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Partner outcomes",
            Some(&page.user),
            &page.csrf,
            "/register/outcomes",
        )
        .with_errors(has_errors),
        viewer_is_partner: viewer.is_partner(),
        no_agency: viewer.lacks_agency(),
        agency: viewer.agency().unwrap_or_default(),
        form,
        partners,
        rows,
        pager,
    })
}

// ---------------------------------------------------------------------------------------------
// One referral: its outcomes and the form

#[derive(Template)]
#[template(path = "outcomes/outcomes_referral.html")]
struct ReferralPage {
    chrome: Chrome,
    r: ReferralView,
    incident_ref: String,
    viewer_is_partner: bool,
    agency: String,
    form: FormState,
    all_outcomes: Vec<Outcome>,
    saved: bool,
    can_see_register: bool,
}

impl ReferralPage {
    fn outcome_checked(&self, o: &Outcome) -> bool {
        self.form.value("outcome") == o.as_str()
    }
}

async fn render_referral(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    viewer: &Viewer,
    r: ReferralBrief,
    form: FormState,
    saved: bool,
) -> Result<Response, AppError> {
    let incident_ref = r.incident_ref.clone();
    let outcomes = outcomes_by_ref(state, std::slice::from_ref(&r), viewer)
        .await?
        .pop()
        .map(|(_, o)| o)
        .unwrap_or_default();
    let has_errors = form.has_errors();
    let title = format!("Outcomes of referral {}", r.referral_ref);
    html(&ReferralPage {
        chrome: Chrome::new(state, title, Some(user), csrf, "/register/outcomes")
            .with_errors(has_errors),
        r: ReferralView::new(r, outcomes),
        incident_ref,
        viewer_is_partner: viewer.is_partner(),
        agency: viewer.agency().unwrap_or_default(),
        form,
        all_outcomes: Outcome::ALL.to_vec(),
        saved,
        can_see_register: user.can(Capability::RegisterView),
    })
}

/// The referral if this viewer may see it; otherwise a 404 that gives nothing away.
async fn visible_referral(
    state: &AppState,
    viewer: &Viewer,
    referral_ref: &str,
) -> Result<ReferralBrief, AppError> {
    let r = outcomes::referral(&state.store, referral_ref)
        .await?
        .ok_or(AppError::NotFound)?;
    if viewer.sees(&r) {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}

fn default_form(r: &ReferralBrief, viewer: &Viewer) -> FormState {
    let mut form = FormState::default();
    let d = today();
    form.set(
        "decided_at",
        format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year()),
    );
    form.set(
        "partner",
        viewer.agency().unwrap_or_else(|| r.partner.clone()),
    );
    form
}

/// A page explaining that a partner reviewer's account has no agency yet.
async fn no_agency_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
) -> Result<Response, AppError> {
    html(&ListPage {
        chrome: Chrome::new(
            state,
            "Partner outcomes",
            Some(user),
            csrf,
            "/register/outcomes",
        ),
        viewer_is_partner: true,
        no_agency: true,
        agency: String::new(),
        form: FormState::default(),
        partners: Vec::new(),
        rows: Vec::new(),
        pager: Pager::new(None, PER_PAGE, 0, String::new()),
    })
}

pub async fn form(
    State(state): State<AppState>,
    page: Page<cap::OutcomesRecord>,
    Path(referral_ref): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let viewer = Viewer::of(&state, &page.user).await?;
    if viewer.lacks_agency() {
        return no_agency_page(&state, &page.user, &page.csrf).await;
    }
    let r = visible_referral(&state, &viewer, &referral_ref).await?;
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "referral.outcomes_view",
            format!("Viewed the partner outcomes of referral {}", r.referral_ref),
        )
        .on("referral", &r.referral_ref),
    )
    .await?;
    let saved = query_pairs(raw.as_deref())
        .iter()
        .any(|(k, _)| k == "saved");
    let form = default_form(&r, &viewer);
    render_referral(&state, &page.user, &page.csrf, &viewer, r, form, saved).await
}

/// Checks the outcome form: the outcome to record, or the form with its errors.
fn read_outcome(
    pairs: &[(String, String)],
    referral_ref: &str,
    partner: &str,
    source: Source,
    today: Date,
) -> Result<NewOutcome, FormState> {
    let mut form = FormState::default();
    for n in ["partner", "outcome", "reason", "decided_at"] {
        form.set(n, raw_field(pairs, n).trim());
    }
    if partner.trim().is_empty() {
        form.add_error("partner", "Enter the partner agency the outcome is from");
    } else if partner.chars().count() > outcomes::MAX_PARTNER {
        form.add_error(
            "partner",
            format!(
                "The partner agency must be {} characters or fewer",
                outcomes::MAX_PARTNER
            ),
        );
    }
    let outcome = match form.value("outcome") {
        "" => {
            form.add_error("outcome", "Select the partner's outcome");
            None
        }
        raw => match raw.parse::<Outcome>() {
            Ok(o) => Some(o),
            Err(_) => {
                form.add_error("outcome", "Select the partner's outcome from the list");
                None
            }
        },
    };
    let decided = match form.value("decided_at") {
        "" => {
            form.add_error("decided_at", "Enter the date the partner decided");
            None
        }
        raw => match parse_date(raw) {
            Err(m) => {
                form.add_error("decided_at", m);
                None
            }
            Ok(d) if d > today => {
                form.add_error(
                    "decided_at",
                    "The decision date must be today or in the past",
                );
                None
            }
            Ok(d) => Some(d),
        },
    };
    if form.value("reason").chars().count() > outcomes::MAX_REASON {
        form.add_error(
            "reason",
            format!(
                "The reason must be {} characters or fewer",
                outcomes::MAX_REASON
            ),
        );
    }
    match (outcome, decided) {
        (Some(outcome), Some(d)) if !form.has_errors() => Ok(NewOutcome {
            referral_ref: referral_ref.to_string(),
            partner: partner.trim().to_string(),
            outcome,
            reason: form.value("reason").to_string(),
            decided_at: d.to_string(),
            source,
        }),
        _ => Err(form),
    }
}

pub async fn save(
    State(state): State<AppState>,
    page: Page<cap::OutcomesRecord>,
    Path(referral_ref): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let viewer = Viewer::of(&state, &page.user).await?;
    if viewer.lacks_agency() {
        return no_agency_page(&state, &page.user, &page.csrf).await;
    }
    let r = visible_referral(&state, &viewer, &referral_ref).await?;
    let (partner, source) = match viewer.agency() {
        Some(agency) => {
            // A partner reviewer records for their own agency only: a form naming another
            // agency is refused outright.
            let asked = raw_field(&pairs, "partner");
            if !asked.trim().is_empty() && !same_agency(&asked, &agency) {
                return Err(AppError::Forbidden);
            }
            (agency, Source::Partner)
        }
        None => (raw_field(&pairs, "partner"), Source::Mash),
    };
    let new = match read_outcome(&pairs, &r.referral_ref, &partner, source, today()) {
        Ok(n) => n,
        Err(mut form) => {
            if viewer.is_partner() {
                form.set("partner", partner);
            }
            return render_referral(&state, &page.user, &page.csrf, &viewer, r, form, false).await;
        }
    };
    match outcomes::record(&state.store, &page.user.actor(), &new).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/register/referrals/{}/outcomes?saved=1",
            path_segment(&r.referral_ref)
        ))
        .into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut form = FormState::default();
            for n in ["partner", "outcome", "reason", "decided_at"] {
                form.set(n, raw_field(&pairs, n).trim());
            }
            form.add_error("outcome", m);
            render_referral(&state, &page.user, &page.csrf, &viewer, r, form, false).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Rates

/// One row of a rates table.
pub(crate) struct RateRow {
    pub name: String,
    pub n: u64,
    pub relevant: Proportion,
    pub nfa: Proportion,
    pub returned: Proportion,
}

impl RateRow {
    fn new(name: String, r: &Rates) -> RateRow {
        RateRow {
            name,
            n: r.n,
            relevant: r.relevant,
            nfa: r.no_further_action,
            returned: r.returned,
        }
    }
}

fn rows_of(named: Vec<NamedRates>, label: fn(&str) -> String) -> Vec<RateRow> {
    named
        .into_iter()
        .map(|n| RateRow::new(label(&n.name), &n.rates))
        .collect()
}

pub(crate) struct RateTable {
    pub caption: &'static str,
    /// The heading of the first column.
    pub first: &'static str,
    pub rows: Vec<RateRow>,
}

#[derive(Template)]
#[template(path = "outcomes/outcomes_rates.html")]
struct RatesPage {
    chrome: Chrome,
    no_agency: bool,
    agency: String,
    form: FormState,
    shown: bool,
    tables: Vec<RateTable>,
    referrals: i64,
    with_outcome: i64,
    outcomes: u64,
    unrecognised: i64,
}

pub async fn rates(
    State(state): State<AppState>,
    page: Page<cap::OutcomesRecord>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let viewer = Viewer::of(&state, &page.user).await?;
    let pairs = query_pairs(raw.as_deref());
    let (from, to, form) = period(&pairs);
    let report = if viewer.lacks_agency() || form.has_errors() {
        None
    } else {
        Some(outcomes::rates(&state.store, from, to, viewer.agency().as_deref()).await?)
    };
    let has_errors = form.has_errors();
    let chrome = Chrome::new(
        &state,
        "Partner outcome rates",
        Some(&page.user),
        &page.csrf,
        "/register/outcomes",
    )
    .with_errors(has_errors);
    let shown = report.is_some();
    let (tables, referrals, with_outcome, outcomes, unrecognised) = match report {
        None => (Vec::new(), 0, 0, 0, 0),
        Some(r) => (
            vec![
                RateTable {
                    caption: "Overall",
                    first: "Outcomes",
                    rows: vec![RateRow::new("All partners".into(), &r.overall)],
                },
                RateTable {
                    caption: "By partner",
                    first: "Partner",
                    rows: rows_of(r.by_partner, |s| s.to_string()),
                },
                RateTable {
                    caption: "By subject",
                    first: "Subject",
                    rows: rows_of(r.by_subject, subject_label),
                },
            ],
            r.referrals,
            r.referrals_with_outcome,
            r.overall.n,
            r.unrecognised,
        ),
    };
    html(&RatesPage {
        chrome,
        no_agency: viewer.lacks_agency(),
        agency: viewer.agency().unwrap_or_default(),
        form,
        shown,
        tables,
        referrals,
        with_outcome,
        outcomes,
        unrecognised,
    })
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
