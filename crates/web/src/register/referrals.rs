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
    pager: Pager,
    can_import: bool,
    total_in_register: i64,
}

impl ReferralsPage {
    fn subject_is(&self, s: &str) -> bool {
        self.form.value("subject_type") == s
    }
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
    let (total, _) = register::search_referrals(&state.store, &q, 0, 0).await?;
    let pager = Pager::new(f.page, PER_PAGE, total, f.base.clone());
    let (_, rows) = register::search_referrals(&state.store, &q, PER_PAGE, pager.offset()).await?;
    f.record_view(&state, &page, "referrals", rows.len(), total, &pager)
        .await?;
    let (_, total_in_register) = register::counts(&state.store).await?;
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
        rows: rows.into_iter().map(ReferralRow::from).collect(),
        pager,
        can_import: page.user.can(Capability::RegisterImport),
        total_in_register,
    })
}
