//! Training sessions and series: scheduling, trainers, enrolment, waitlists, invitations.

mod api;
mod pages;

pub(crate) use pages::my_bookings;

use crate::routes::Table;
use mashboard_store::audit_trail::Actor;
use mashboard_store::delivery::enrolment::{self, EnrolReport, Skipped, Target};
use mashboard_store::delivery::sessions::SessionError;
use mashboard_store::Store;

pub(crate) fn routes(t: Table) -> Table {
    let t = pages::routes(t);
    api::routes(t)
}

/// This capability's part of the OpenAPI document.
pub(crate) fn api_doc() -> utoipa::openapi::OpenApi {
    <api::SessionsDoc as utoipa::OpenApi>::openapi()
}

/// Books the people of the cohorts in a new session's audience, as the enrol screen does: within
/// capacity, the rest on the waitlist, one report for all the cohorts (a cohort that books nobody
/// is a skipped line naming it). `None` when the audience names no cohort. The schedule page and
/// `POST /api/v1/sessions` both book this way.
async fn book_cohorts(
    store: &Store,
    actor: &Actor,
    session_id: i64,
    audience: &[(String, String)],
) -> Result<Option<EnrolReport>, SessionError> {
    let cohorts: Vec<&str> = audience
        .iter()
        .filter(|(kind, _)| kind == "cohort")
        .map(|(_, name)| name.as_str())
        .collect();
    if cohorts.is_empty() {
        return Ok(None);
    }
    let mut all = EnrolReport::default();
    for cohort in cohorts {
        let target = Target::Cohort(cohort.to_string());
        match enrolment::enrol_target(store, actor, session_id, &target, None).await {
            Ok(r) => {
                all.enrolled.extend(r.enrolled);
                all.waitlisted.extend(r.waitlisted);
                all.skipped.extend(r.skipped);
                all.emails_queued += r.emails_queued;
                all.without_email += r.without_email;
            }
            Err(SessionError::Invalid(errs)) => {
                all.skipped.extend(errs.into_iter().map(|e| Skipped {
                    staff_number: format!("Cohort {cohort}"),
                    reason: e.message,
                }));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Some(all))
}
