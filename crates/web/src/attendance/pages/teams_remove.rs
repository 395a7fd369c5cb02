//! Removing a committed Teams report: GET/POST /sessions/{id}/teams-report/{report_id}/remove.

use super::*;

#[derive(Template)]
#[template(path = "attendance/attendance_teams_remove.html")]
struct RemovePage {
    chrome: Chrome,
    session: SessionFacts,
    report: ReportRow,
    others: usize,
}

/// Asks before removing a committed report, saying what will happen to the register.
pub async fn remove_confirm(
    State(state): State<AppState>,
    page: TrainerPage,
    Path((id, report_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    let reports = teams::reports(&state.store, id).await?;
    let others = reports.len().saturating_sub(1);
    let report = reports
        .into_iter()
        .find(|r| r.id == report_id)
        .ok_or(AppError::NotFound)?;
    html(&RemovePage {
        chrome: Chrome::new(
            &state,
            format!("Remove a Teams report: {}", s.display_title()),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        session: s,
        report,
        others,
    })
}

pub async fn remove_report(
    State(state): State<AppState>,
    page: TrainerPage,
    Path((id, report_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let s = session(&state, id).await?;
    match teams::remove_report(&state.store, &page.user.actor(), id, report_id).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/sessions/{id}/attendance?done=removed")).into_response())
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut form = FormState::default();
            form.add_error("file", format!("The report was not removed. {m}"));
            upload_page(&state, &page, s, form).await
        }
        Err(e) => Err(e.into()),
    }
}
