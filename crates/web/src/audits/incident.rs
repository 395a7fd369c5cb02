//! One sampled incident and its finding (the findings form).

use super::*;

#[derive(Template)]
#[template(path = "audits/audits_incident.html")]
pub(super) struct IncidentPage {
    chrome: Chrome,
    a: AuditRow,
    s: SampleView,
    form: FormState,
    may_record: bool,
    prev: Option<i64>,
    next: Option<i64>,
    saved: Option<String>,
    yes_no: Options,
    reasons: Options,
    timings: Options,
}

type Options = Vec<(&'static str, &'static str)>;

pub(super) fn yes_no_options() -> Options {
    vec![("yes", "Yes"), ("no", "No")]
}

pub(super) fn reason_options() -> Options {
    RequiredReason::ALL
        .iter()
        .map(|r| (r.as_str(), r.label()))
        .collect()
}

pub(super) fn timing_options() -> Options {
    vec![
        ("yes", "Yes, on time"),
        ("no", "No, late"),
        ("unknown", "Cannot tell"),
    ]
}

pub(super) const FINDING_FIELDS: [&str; 6] = [
    "incident_ref",
    "form_required",
    "required_reason",
    "form_completed",
    "on_time",
    "note",
];

pub(super) fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub(super) async fn render_incident(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    a: AuditRow,
    position: i64,
    form: Option<FormState>,
    saved: Option<String>,
) -> Result<Response, AppError> {
    let refs = audits::current_sample_refs(&state.store, &a).await?;
    let idx = usize::try_from(position - 1).map_err(|_| AppError::NotFound)?;
    let reference = refs.get(idx).ok_or(AppError::NotFound)?;
    let s = audits::sampled_incident(&state.store, &user.actor(), &a, reference)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = form.unwrap_or_else(|| {
        let mut f = FormState::default();
        f.set("incident_ref", &s.incident_ref);
        if let Some(r) = &s.finding {
            f.set("form_required", yes_no(r.form_required));
            f.set(
                "required_reason",
                r.required_reason.clone().unwrap_or_default(),
            );
            f.set("form_completed", yes_no(r.form_completed));
            f.set(
                "on_time",
                match (r.form_completed, r.on_time) {
                    (false, _) => "",
                    (true, Some(true)) => "yes",
                    (true, Some(false)) => "no",
                    (true, None) => "unknown",
                },
            );
            f.set("note", &r.note);
        }
        f
    });
    let has_errors = form.has_errors();
    let n = refs.len() as i64;
    html(&IncidentPage {
        chrome: Chrome::new(
            state,
            format!("Incident {} – {}", s.incident_ref, a.title),
            Some(user),
            csrf,
            "/compliance/audits",
        )
        .with_errors(has_errors),
        may_record: reader(&a, user).may_record() && a.is_open(),
        prev: (position > 1).then_some(position - 1),
        next: (position < n).then_some(position + 1),
        s: SampleView::of(a.id, &s),
        form,
        saved,
        a,
        yes_no: yes_no_options(),
        reasons: reason_options(),
        timings: timing_options(),
    })
}

pub(super) async fn incident_page(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path((id, position)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let position = path_id(&position)?;
    let saved = {
        let r = field(&query_pairs(raw.as_deref()), "saved");
        (!r.is_empty()).then(|| format!("Finding for incident {r} saved"))
    };
    render_incident(&state, &page.user, &page.csrf, a, position, None, saved).await
}

/// Reads the findings form. The page shows every question, so an answer to a question that does
/// not apply (a reason when no form was required, timing when none was completed) is ignored,
/// as the hints say.
pub(super) fn read_finding(form: &mut FormState) -> Option<Finding> {
    let required = match form.value("form_required") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            form.add_error(
                "form_required",
                "Say whether an information-sharing form was required for this incident",
            );
            None
        }
    };
    let reason = match (required, form.value("required_reason")) {
        (Some(true), "") => {
            form.add_error(
                "required_reason",
                "Say why a form was required: a child was involved, an adult at risk, or another reason",
            );
            None
        }
        (Some(true), r) => match r.parse::<RequiredReason>() {
            Ok(r) => Some(r),
            Err(m) => {
                form.add_error("required_reason", m);
                None
            }
        },
        _ => None,
    };
    let completed = match form.value("form_completed") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            form.add_error(
                "form_completed",
                "Say whether an information-sharing form was completed",
            );
            None
        }
    };
    let on_time = match (completed, form.value("on_time")) {
        (Some(true), "yes") => Some(true),
        (Some(true), "no") => Some(false),
        (Some(true), "unknown") => None,
        (Some(true), _) => {
            form.add_error(
                "on_time",
                "Say whether the form was completed on time, or that you cannot tell",
            );
            None
        }
        _ => None,
    };
    if form.value("note").chars().count() > 2000 {
        form.add_error("note", "The note must be 2000 characters or fewer");
    }
    if form.has_errors() {
        return None;
    }
    let f = Finding {
        form_required: required?,
        required_reason: reason,
        form_completed: completed?,
        on_time,
    };
    if let Err(e) = f.validate() {
        form.add_error(e.field, e.message);
        return None;
    }
    Some(f)
}

pub(super) async fn save_finding(
    State(state): State<AppState>,
    page: Page<cap::ComplianceAudits>,
    Path((id, position)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let a = visible_audit(&state, &page.user, &id).await?;
    let position = path_id(&position)?;
    let mut form = form_of(&pairs, &FINDING_FIELDS);
    let Some(finding) = read_finding(&mut form) else {
        return render_incident(
            &state,
            &page.user,
            &page.csrf,
            a,
            position,
            Some(form),
            None,
        )
        .await;
    };
    let reference = form.value("incident_ref").to_string();
    match audits::record_finding(
        &state.store,
        &page.user.actor(),
        &viewer(&page.user),
        a.id,
        &FindingInput {
            incident_ref: reference.clone(),
            finding,
            note: form.value("note").to_string(),
        },
    )
    .await
    {
        Ok(_) => {
            // On to the next incident still to do, or back to the audit when all are done.
            let after = audits::get(&state.store, &viewer(&page.user), a.id)
                .await?
                .ok_or(AppError::NotFound)?;
            let progress = audits::progress(&state.store, &after).await?;
            let n = progress.len() as i64;
            let next = (1..=n)
                .map(|k| (position - 1 + k) % n + 1)
                .find(|p| !progress[(*p - 1) as usize].1);
            let encoded: String =
                serde_urlencoded::to_string([("saved", reference.as_str())]).unwrap_or_default();
            Ok(match next {
                Some(p) => {
                    Redirect::to(&format!("/compliance/audits/{}/sample/{p}?{encoded}", a.id))
                }
                None => Redirect::to(&format!("/compliance/audits/{}?saved=all-done", a.id)),
            }
            .into_response())
        }
        Err(AuditError::Invalid(m)) => {
            let (field, message) = match m.split_once(": ") {
                Some((f, rest)) if FINDING_FIELDS.contains(&f) => (f.to_string(), rest.to_string()),
                _ => ("form_required".to_string(), m),
            };
            let field = if field == "incident_ref" {
                "form_required".to_string()
            } else {
                field
            };
            form.add_error(&field, message);
            render_incident(
                &state,
                &page.user,
                &page.csrf,
                a,
                position,
                Some(form),
                None,
            )
            .await
        }
        Err(e) => audit_error(e),
    }
}
