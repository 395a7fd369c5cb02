//! One audit: its sample, progress, redraw, auditors and closing.

use super::*;

/// A sampled incident as the tables and the finding page show it.
pub(super) struct SampleView {
    pub position: i64,
    pub incident_ref: String,
    pub reported: String,
    pub category: String,
    pub area: String,
    pub flags: Vec<&'static str>,
    pub officer: String,
    pub department: String,
    /// "PPN-1 submitted 10 February 2025 at 9am" for each linked referral.
    pub referrals: Vec<String>,
    pub finding: Option<String>,
    pub note: String,
    pub recorded: String,
}

/// A finding in words: "Required (child involved); completed; on time".
pub(super) fn finding_words(f: &Finding) -> String {
    let mut parts = Vec::new();
    match f.required_reason.filter(|_| f.form_required) {
        Some(r) => parts.push(format!("Required ({})", reason_short(r))),
        None => parts.push("Not required".to_string()),
    }
    parts.push(if f.form_completed {
        "completed".into()
    } else {
        "not completed".into()
    });
    if f.form_completed {
        parts.push(
            match f.on_time {
                Some(true) => "on time",
                Some(false) => "late",
                None => "timing not known",
            }
            .into(),
        );
    }
    parts.join("; ")
}

pub(super) fn reason_short(r: RequiredReason) -> &'static str {
    match r {
        RequiredReason::Child => "child involved",
        RequiredReason::AdultAtRisk => "adult at risk",
        RequiredReason::Other => "other reason",
    }
}

impl SampleView {
    pub(super) fn of(s: &SampledIncident) -> SampleView {
        let mut flags = Vec::new();
        if s.children_involved {
            flags.push("Children involved");
        }
        if s.adult_at_risk {
            flags.push("Adult at risk");
        }
        if s.domestic_abuse {
            flags.push("Domestic abuse");
        }
        SampleView {
            position: s.position,
            incident_ref: s.incident_ref.clone(),
            reported: when(&s.reported_at),
            category: s.category.clone(),
            area: s.area.clone(),
            flags,
            officer: match &s.officer_name {
                Some(n) if !s.officer_staff_number.is_empty() => {
                    format!("{n} ({})", s.officer_staff_number)
                }
                Some(n) => n.clone(),
                None => s.officer_staff_number.clone(),
            },
            department: s.department.clone(),
            referrals: s
                .referrals
                .iter()
                .map(|r| format!("{} submitted {}", r.referral_ref, when(&r.submitted_at)))
                .collect(),
            finding: s.finding.as_ref().map(|f| finding_words(&f.finding())),
            note: s
                .finding
                .as_ref()
                .map(|f| f.note.clone())
                .unwrap_or_default(),
            recorded: s
                .finding
                .as_ref()
                .map(|f| format!("{} on {}", f.recorded_by, long_date(&f.recorded_at)))
                .unwrap_or_default(),
        }
    }
}

pub(super) struct DrawView {
    pub draw_no: i64,
    pub seed: String,
    pub frame_size: i64,
    pub reason: String,
    pub by: String,
    pub at: String,
    pub current: bool,
}

pub(super) struct EligibleView {
    pub username: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Default)]
pub(super) struct AuditForms {
    redraw: FormState,
    auditors: FormState,
    close: FormState,
}

#[derive(Template)]
#[template(path = "audits/audits_show.html")]
pub(super) struct AuditPage {
    chrome: Chrome,
    a: AuditRow,
    period: String,
    status: &'static str,
    status_class: &'static str,
    rows: Vec<SampleView>,
    draws: Vec<DrawView>,
    auditors: Vec<AuditorRow>,
    eligible: Vec<EligibleView>,
    may_manage: bool,
    may_record: bool,
    next_to_do: Option<i64>,
    forms: AuditForms,
    saved: Option<&'static str>,
}

impl AuditPage {
    fn to_do(&self) -> i64 {
        self.a.sampled - self.a.done
    }
    fn auditor_names(&self) -> String {
        if self.auditors.is_empty() {
            "None assigned yet".into()
        } else {
            self.auditors
                .iter()
                .map(|a| match &a.person_name {
                    Some(n) => format!("{} ({n})", a.username),
                    None => a.username.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

pub(super) fn saved_message(raw: Option<&str>) -> Option<&'static str> {
    match field(&query_pairs(raw), "saved").as_str() {
        "created" => Some("Audit opened and its sample drawn"),
        "redrawn" => Some("Sample drawn again; the earlier draw is kept in the history below"),
        "auditors" => Some("Auditors saved"),
        "closed" => Some("Audit closed"),
        "finding" => Some("Finding saved"),
        "all-done" => Some("Finding saved: every incident in the sample now has a finding"),
        _ => None,
    }
}

pub(super) async fn render_audit(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    a: AuditRow,
    forms: AuditForms,
    saved: Option<&'static str>,
) -> Result<Response, AppError> {
    let sample = audits::sample(&state.store, &user.actor(), &a).await?;
    let rows: Vec<SampleView> = sample.iter().map(SampleView::of).collect();
    let draws = audits::draws(&state.store, a.id)
        .await?
        .into_iter()
        .map(|d| DrawView {
            current: d.draw_no == a.draw_no,
            draw_no: d.draw_no,
            seed: d.seed,
            frame_size: d.frame_size,
            reason: d.reason,
            by: d.drawn_by,
            at: long_date(&d.drawn_at),
        })
        .collect();
    let auditors = audits::auditors(&state.store, a.id).await?;
    let manage = may_manage(&a, user);
    let eligible = if manage && a.is_open() {
        audits::eligible_auditors(&state.store)
            .await?
            .into_iter()
            .map(|e| EligibleView {
                checked: auditors.iter().any(|x| x.user_id == e.user_id),
                label: match &e.person_name {
                    Some(n) => format!("{n} ({})", e.username),
                    None => e.username.clone(),
                },
                username: e.username,
            })
            .collect()
    } else {
        Vec::new()
    };
    let next_to_do = rows
        .iter()
        .find(|r| r.finding.is_none())
        .map(|r| r.position);
    let has_errors =
        forms.redraw.has_errors() || forms.auditors.has_errors() || forms.close.has_errors();
    let (status, status_class) = status_label(&a);
    html(&AuditPage {
        chrome: Chrome::new(
            state,
            a.title.clone(),
            Some(user),
            csrf,
            "/compliance/audits",
        )
        .with_errors(has_errors),
        period: period_text(&a),
        status,
        status_class,
        may_record: may_record(&a, user),
        may_manage: manage,
        rows,
        draws,
        auditors,
        eligible,
        next_to_do,
        forms,
        saved,
        a,
    })
}

pub(super) async fn show(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    render_audit(
        &state,
        &page.user,
        &page.csrf,
        a,
        AuditForms::default(),
        saved_message(raw.as_deref()),
    )
    .await
}

pub(super) async fn redraw(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let mut forms = AuditForms {
        redraw: form_of(&pairs, &["reason", "redraw_seed"]),
        ..Default::default()
    };
    let f = &mut forms.redraw;
    if f.value("reason").is_empty() {
        f.add_error("reason", "Say why the sample is being drawn again");
    } else if f.value("reason").chars().count() > 1000 {
        f.add_error("reason", "The reason must be 1000 characters or fewer");
    }
    let seed = if f.value("redraw_seed").is_empty() {
        None
    } else {
        match Seed::parse(f.value("redraw_seed")).map(Seed::value) {
            Ok(s) => Some(s),
            Err(m) => {
                f.add_error("redraw_seed", format!("Seed: {m}"));
                None
            }
        }
    };
    if !f.has_errors() {
        let reason = f.value("reason").to_string();
        match audits::redraw(
            &state.store,
            &page.user.actor(),
            &viewer(&page.user),
            a.id,
            &reason,
            seed,
        )
        .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/compliance/audits/{}?saved=redrawn", a.id))
                        .into_response(),
                )
            }
            Err(AuditError::Invalid(m) | AuditError::Conflict(m)) => {
                forms.redraw.add_error("reason", m)
            }
            Err(e) => return audit_error(e),
        }
    }
    render_audit(&state, &page.user, &page.csrf, a, forms, None).await
}

pub(super) async fn set_auditors(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let names: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "auditors")
        .map(|(_, v)| v.clone())
        .collect();
    match audits::set_auditors(
        &state.store,
        &page.user.actor(),
        &viewer(&page.user),
        a.id,
        &names,
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/compliance/audits/{}?saved=auditors", a.id)).into_response(),
        ),
        Err(AuditError::Invalid(m)) => {
            let mut forms = AuditForms::default();
            forms.auditors.add_error("auditors", m);
            render_audit(&state, &page.user, &page.csrf, a, forms, None).await
        }
        Err(e) => audit_error(e),
    }
}

pub(super) async fn close(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    match audits::close(&state.store, &page.user.actor(), &viewer(&page.user), a.id).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/compliance/audits/{}?saved=closed", a.id)).into_response())
        }
        Err(e) => audit_error(e),
    }
}
