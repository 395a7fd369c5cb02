//! The referrals list: filters, pages, one row per referral.

use super::*;

pub(super) struct ReferralRow {
    pub(super) href: String,
    pub(super) r: ReferralSummary,
    pub(super) submitted: String,
    pub(super) incident_href: String,
}

impl From<ReferralSummary> for ReferralRow {
    fn from(r: ReferralSummary) -> Self {
        ReferralRow {
            href: format!("/register/referrals/{}", path_segment(&r.referral_ref)),
            incident_href: if r.incident_ref.is_empty() {
                String::new()
            } else {
                format!("/register/incidents/{}", path_segment(&r.incident_ref))
            },
            submitted: format_datetime_long(&r.submitted_at),
            r,
        }
    }
}

#[derive(Template)]
#[template(path = "register/register_referrals.html")]
pub(super) struct ReferralsPage {
    chrome: Chrome,
    form: FormState,
    partners: Vec<String>,
    rows: Vec<ReferralRow>,
    /// How many match the filters, and how many the register holds (each up to a cap).
    matching: Count,
    in_register: Count,
    links: PageLinks,
    can_import: bool,
}

pub(super) async fn referrals(
    State(state): State<AppState>,
    page: ViewPage,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let f = ListFilters::read(raw.as_deref(), &["subject_type", "partner", "officer"]);
    let q = ReferralQuery {
        search: f.text("search"),
        subject_type: f.text("subject_type"),
        partner: f.text("partner"),
        officer: f.text("officer"),
        from: f.from.clone(),
        to: f.to.clone(),
    };
    let shown = register::referrals_page(&state.store, &q, &f.start, PER_PAGE).await?;
    let matching = register::referrals_count(&state.store, &q).await?;
    let in_register = if q == ReferralQuery::default() {
        matching
    } else {
        register::referrals_count(&state.store, &ReferralQuery::default()).await?
    };
    let refs = (
        shown.rows.first().map(|r| r.referral_ref.as_str()),
        shown.rows.last().map(|r| r.referral_ref.as_str()),
    );
    f.record_view(&state, &page, "referrals", shown.rows.len(), matching, refs)
        .await?;
    let links = PageLinks::of("/register/referrals", &f.base, &shown, |r| {
        r.referral_ref.as_str()
    });
    let form = f.form;
    let errors = form.has_errors();
    html(&ReferralsPage {
        chrome: Chrome::new(
            &state,
            "Referrals",
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        )
        .with_errors(errors),
        form,
        partners: register::partners(&state.store).await?,
        rows: shown.rows.into_iter().map(ReferralRow::from).collect(),
        matching,
        in_register,
        links,
        can_import: page.user.can(Capability::RegisterImport),
    })
}
