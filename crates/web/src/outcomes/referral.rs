//! One referral: its outcomes and the form to record one.

use super::*;

#[derive(Template)]
#[template(path = "outcomes/outcomes_referral.html")]
pub(super) struct ReferralPage {
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

pub(super) async fn render_referral(
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
pub(super) async fn visible_referral(
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

pub(super) fn default_form(r: &ReferralBrief, viewer: &Viewer) -> FormState {
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
pub(super) async fn no_agency_page(
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
        matching: Count::default(),
        links: PageLinks::default(),
    })
}

pub(super) async fn form(
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
    audit_trail::record(
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
pub(super) fn read_outcome(
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

pub(super) async fn save(
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
        Ok(_) => {
            crate::impact::warm_effect_after_write(&state);
            Ok(Redirect::to(&format!(
                "/register/referrals/{}/outcomes?saved=1",
                path_segment(&r.referral_ref)
            ))
            .into_response())
        }
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
