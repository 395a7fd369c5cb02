//! One incident and the referrals made from it.

use super::*;

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
