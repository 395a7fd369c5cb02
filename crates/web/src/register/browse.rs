//! Browsing the register: referrals and incidents with filters and pages, one page per record.

use super::*;

pub(super) use crate::form::query_pairs;

/// A date filter as typed (31/03/2024 or 2024-03-31): the stored form, or an error.
pub(super) fn date_filter(form: &mut FormState, name: &str, raw: &str, label: &str) -> String {
    form.set(name, raw);
    if raw.is_empty() {
        return String::new();
    }
    match parse_date(raw) {
        Ok(d) => d.to_string(),
        Err(_) => {
            form.add_error(
                name,
                format!("Enter the {label} as a date, such as 31/03/2024"),
            );
            String::new()
        }
    }
}

pub(super) fn encode_query(pairs: &[(&str, &str)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .copied()
        .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

pub(super) struct ReferralRow {
    href: String,
    r: ReferralSummary,
    submitted: String,
    incident_href: String,
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
    let pairs = query_pairs(raw.as_deref());
    let mut form = FormState::default();
    let text = |k: &str| field(&pairs, k).chars().take(100).collect::<String>();
    let mut q = ReferralQuery {
        search: text("search"),
        subject_type: text("subject_type"),
        partner: text("partner"),
        officer: text("officer"),
        ..Default::default()
    };
    form.set("search", q.search.clone());
    form.set("subject_type", q.subject_type.clone());
    form.set("partner", q.partner.clone());
    form.set("officer", q.officer.clone());
    q.from = date_filter(&mut form, "from", &text("from"), "first day");
    q.to = date_filter(&mut form, "to", &text("to"), "last day");
    let base = encode_query(&[
        ("search", &q.search),
        ("from", form.value("from")),
        ("to", form.value("to")),
        ("subject_type", &q.subject_type),
        ("partner", &q.partner),
        ("officer", &q.officer),
    ]);
    let page_no = field(&pairs, "page").parse().ok();
    let (total, _) = register::search_referrals(&state.store, &q, 0, 0).await?;
    let pager = Pager::new(page_no, PER_PAGE, total, base.clone());
    let (_, rows) = register::search_referrals(&state.store, &q, PER_PAGE, pager.offset()).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "register.list",
            format!(
                "Viewed the referrals list ({} of {total} shown)",
                rows.len()
            ),
        )
        .after(&serde_json::json!({ "filters": base, "page": pager.page })),
    )
    .await?;
    let (_, total_in_register) = register::counts(&state.store).await?;
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

pub(super) struct OutcomeView {
    o: RecordedOutcome,
    label: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "register/register_referral.html")]
pub(super) struct ReferralPage {
    chrome: Chrome,
    r: Referral,
    submitted: String,
    subject: &'static str,
    incident_href: String,
    incident_known: bool,
    narrative_lines: Vec<String>,
    people: Vec<NamedPerson>,
    outcomes: Vec<OutcomeView>,
}

pub(super) async fn referral(
    State(state): State<AppState>,
    page: ViewPage,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let r = register::referral(&state.store, &reference)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "referral.view",
            format!("Viewed referral {}", r.referral_ref),
        )
        .on("referral", &r.referral_ref),
    )
    .await?;
    let people = register::people_named_in(&state.store, &r.referral_ref).await?;
    let outcomes = register::outcomes_of(&state.store, &r.referral_ref)
        .await?
        .into_iter()
        .map(|o| OutcomeView {
            label: PartnerOutcome::from_stored(&o.outcome)
                .map_or_else(|| o.outcome.clone(), |x| x.label().to_string()),
            decided: format_datetime_long(&o.decided_at),
            o,
        })
        .collect();
    let incident_known = !r.incident_ref.is_empty()
        && register::incident(&state.store, &r.incident_ref)
            .await?
            .is_some();
    html(&ReferralPage {
        chrome: Chrome::new(
            &state,
            format!("Referral {}", r.referral_ref),
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        ),
        submitted: format_datetime_long(&r.submitted_at),
        subject: if r.subject_type == "child" {
            "Child"
        } else {
            "Adult"
        },
        incident_href: format!("/register/incidents/{}", path_segment(&r.incident_ref)),
        incident_known,
        narrative_lines: r.narrative.lines().map(str::to_string).collect(),
        people,
        outcomes,
        r,
    })
}

pub(super) struct IncidentRow {
    href: String,
    i: Incident,
    reported: String,
}

impl From<Incident> for IncidentRow {
    fn from(i: Incident) -> Self {
        IncidentRow {
            href: format!("/register/incidents/{}", path_segment(&i.incident_ref)),
            reported: format_datetime_long(&i.reported_at),
            i,
        }
    }
}

#[derive(Template)]
#[template(path = "register/register_incidents.html")]
pub(super) struct IncidentsPage {
    chrome: Chrome,
    form: FormState,
    areas: Vec<String>,
    rows: Vec<IncidentRow>,
    pager: Pager,
    can_import: bool,
    total_in_register: i64,
}

impl IncidentsPage {
    fn flag_is(&self, s: &str) -> bool {
        self.form.value("flag") == s
    }
}

pub(super) async fn incidents(
    State(state): State<AppState>,
    page: ViewPage,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let mut form = FormState::default();
    let text = |k: &str| field(&pairs, k).chars().take(100).collect::<String>();
    let mut q = IncidentQuery {
        search: text("search"),
        flag: text("flag"),
        area: text("area"),
        officer: text("officer"),
        ..Default::default()
    };
    form.set("search", q.search.clone());
    form.set("flag", q.flag.clone());
    form.set("area", q.area.clone());
    form.set("officer", q.officer.clone());
    q.from = date_filter(&mut form, "from", &text("from"), "first day");
    q.to = date_filter(&mut form, "to", &text("to"), "last day");
    let base = encode_query(&[
        ("search", &q.search),
        ("from", form.value("from")),
        ("to", form.value("to")),
        ("flag", &q.flag),
        ("area", &q.area),
        ("officer", &q.officer),
    ]);
    let page_no = field(&pairs, "page").parse().ok();
    let (total, _) = register::search_incidents(&state.store, &q, 0, 0).await?;
    let pager = Pager::new(page_no, PER_PAGE, total, base.clone());
    let (_, rows) = register::search_incidents(&state.store, &q, PER_PAGE, pager.offset()).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "register.list",
            format!(
                "Viewed the incidents list ({} of {total} shown)",
                rows.len()
            ),
        )
        .after(&serde_json::json!({ "filters": base, "page": pager.page })),
    )
    .await?;
    let (total_in_register, _) = register::counts(&state.store).await?;
    let errors = form.has_errors();
    html(&IncidentsPage {
        chrome: Chrome::new(
            &state,
            "Incidents",
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        )
        .with_errors(errors),
        form,
        areas: register::areas(&state.store).await?,
        rows: rows.into_iter().map(IncidentRow::from).collect(),
        pager,
        can_import: page.user.can(Capability::RegisterImport),
        total_in_register,
    })
}

#[derive(Template)]
#[template(path = "register/register_incident.html")]
pub(super) struct IncidentPage {
    chrome: Chrome,
    i: Incident,
    reported: String,
    referrals: Vec<ReferralRow>,
}

pub(super) async fn incident(
    State(state): State<AppState>,
    page: ViewPage,
    Path(reference): Path<String>,
) -> Result<Response, AppError> {
    let i = register::incident(&state.store, &reference)
        .await?
        .ok_or(AppError::NotFound)?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "incident.view",
            format!("Viewed incident {}", i.incident_ref),
        )
        .on("incident", &i.incident_ref),
    )
    .await?;
    let referrals = register::referrals_of_incident(&state.store, &i.incident_ref)
        .await?
        .into_iter()
        .map(ReferralRow::from)
        .collect();
    html(&IncidentPage {
        chrome: Chrome::new(
            &state,
            format!("Incident {}", i.incident_ref),
            Some(&page.user),
            &page.csrf,
            "/register/referrals",
        ),
        reported: format_datetime_long(&i.reported_at),
        referrals,
        i,
    })
}
