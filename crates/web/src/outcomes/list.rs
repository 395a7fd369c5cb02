//! The list of referrals with their partner outcomes.

use super::*;

#[derive(Template)]
#[template(path = "outcomes/outcomes_list.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) viewer_is_partner: bool,
    pub(super) no_agency: bool,
    pub(super) agency: String,
    pub(super) form: FormState,
    pub(super) partners: Vec<String>,
    pub(super) rows: Vec<ReferralView>,
    /// How many referrals match the filters (up to a cap).
    pub(super) matching: Count,
    pub(super) links: PageLinks,
}

impl ListPage {
    fn has_outcome_is(&self, v: &str) -> bool {
        self.form.value("has_outcome") == v
    }
    fn partner_is(&self, p: &str) -> bool {
        same_agency(self.form.value("partner"), p)
    }
}

pub(super) async fn outcomes_by_ref(
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

pub(super) async fn list(
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
    let start = page_start(&pairs);
    let (matching, shown) = if viewer.lacks_agency() || form.has_errors() {
        (Count::default(), KeysetPage::default())
    } else {
        let shown = outcomes::referrals_page(&state.store, &q, &start, PER_PAGE).await?;
        (outcomes::referrals_count(&state.store, &q).await?, shown)
    };
    let links = PageLinks::of("/register/outcomes", &base_query, &shown, |r| {
        r.referral_ref.as_str()
    });
    let first_ref = shown.rows.first().map(|r| r.referral_ref.clone());
    let last_ref = shown.rows.last().map(|r| r.referral_ref.clone());
    let rows = shown.rows;
    let with_outcomes = outcomes_by_ref(&state, &rows, &viewer).await?;
    let rows: Vec<ReferralView> = rows
        .into_iter()
        .zip(with_outcomes)
        .map(|(r, (_, o))| ReferralView::new(r, o))
        .collect();
    if !viewer.lacks_agency() {
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "outcomes.list",
                format!(
                    "Viewed referrals for partner outcomes ({} of {} shown)",
                    rows.len(),
                    matching.words()
                ),
            )
            .after(&serde_json::json!({
                "filters": base_query,
                "first": first_ref,
                "last": last_ref,
            })),
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
        matching,
        links,
    })
}
