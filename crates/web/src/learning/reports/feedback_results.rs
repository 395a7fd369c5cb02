//! One session's feedback results: GET /sessions/{id}/feedback/results.

use super::*;

#[derive(Template)]
#[template(path = "learning/delivery_reports_session.html")]
struct SessionResultsPage {
    chrome: Chrome,
    session: SessionInfo,
    labels: Vec<&'static str>,
    summary: Vec<GroupView>,
    n: usize,
    attendees: i64,
    comments: Vec<(String, String)>,
    gains: Vec<GainView>,
}

pub async fn session_results(
    State(state): State<AppState>,
    page: Page<cap::DeliveryReports>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = feedback::session(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = feedback::rows_for_session(&state.store, session.id).await?;
    let s = rules::summarise_all(&rows.iter().map(|r| r.ratings()).collect::<Vec<_>>());
    let mut summary = group_view(session.name().to_string(), String::new(), String::new(), &s);
    let attendees = feedback::attendees(&state.store, session.id).await?;
    summary.attendees = Some(attendees);
    let (_, per_session) = checks::gains(&state.store).await?;
    html(&SessionResultsPage {
        chrome: Chrome::new(
            &state,
            format!("Feedback on {}", session.name()),
            Some(&page.user),
            &page.csrf,
            "/delivery/reports",
        ),
        labels: SHORT_LABELS.to_vec(),
        n: summary.n,
        attendees,
        summary: vec![summary],
        comments: rows
            .iter()
            .filter(|r| !r.went_well.is_empty() || !r.improve.is_empty())
            .map(|r| (r.went_well.clone(), r.improve.clone()))
            .collect(),
        gains: per_session
            .iter()
            .filter(|g| g.session_id == Some(session.id))
            .map(gain_view)
            .collect(),
        session,
    })
}
