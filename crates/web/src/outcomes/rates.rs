//! Outcome rates by partner and subject type.

use super::*;

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

pub(super) fn rows_of(named: Vec<NamedRates>, label: fn(&str) -> String) -> Vec<RateRow> {
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
pub(super) struct RatesPage {
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

pub(super) async fn rates(
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
