//! One referral: what was shared, who was named, and each partner's decision.

use super::*;

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
