//! Enrolling, withdrawing and inviting people to a session, one at a time or in bulk.

use super::*;

pub(super) async fn keep_report(page_session: &tower_sessions::Session, r: &EnrolReport) {
    if let Ok(text) = serde_json::to_string(r) {
        let _ = page_session.insert(REPORT_KEY, text).await;
    }
}

pub async fn enrol(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let by = field(&pairs, "by");
    let target = match by.as_str() {
        "cohort" => Target::Cohort(field(&pairs, "cohort")),
        "department" => Target::Department(field(&pairs, "department")),
        "role_profile" => Target::RoleProfile(field(&pairs, "role_profile")),
        _ => Target::StaffNumbers(fields(&pairs, "staff_numbers")),
    };
    match enrolment::enrol_target(&state.store, &page.user.actor(), id, &target, None).await {
        Ok(r) => {
            keep_report(&page.session, &r).await;
            Ok(see_other(&format!(
                "/sessions/{id}?saved=enrolled#bookings"
            )))
        }
        Err(SessionError::Invalid(errs)) => {
            let mut form = FormState::default();
            for e in errs {
                let f = match e.field {
                    "staff_numbers" | "cohort" | "department" | "role_profile" => e.field,
                    _ => "staff_numbers",
                };
                form.add_error(f, e.message);
            }
            render_show(
                &state,
                &page.user,
                &page.session,
                &page.csrf,
                id,
                String::new(),
                form,
            )
            .await
        }
        Err(e) => Err(refusal(e)),
    }
}

pub async fn withdraw(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    enrolment::withdraw(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "staff_number"),
        None,
    )
    .await
    .map_err(refusal)?;
    Ok(see_other(&format!(
        "/sessions/{id}?saved=withdrawn#bookings"
    )))
}

pub async fn withdraw_me(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let Some(sn) = page.user.staff_number.clone() else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory".into(),
        ));
    };
    enrolment::withdraw(&state.store, &page.user.actor(), id, &sn, None)
        .await
        .map_err(refusal)?;
    let back = local_path(&field(&pairs, "return_to")).unwrap_or_else(|| format!("/sessions/{id}"));
    Ok(see_other(&with_query(&back, "saved=withdrawn")))
}

pub async fn invite(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    match crate::sessions::api::ics_response(&state, &page.user, id).await {
        Ok(r) => Ok(r),
        Err(_) => Err(AppError::NotFound),
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk booking (from the coverage page) and the line manager's team

/// A path on this site (`/…`, never `//host`), for redirects after a form.
pub(super) fn local_path(raw: &str) -> Option<String> {
    let r = raw.trim();
    (r.starts_with('/') && !r.starts_with("//") && !r.contains('\\') && !r.contains(['\r', '\n']))
        .then(|| r.to_string())
}

pub(super) fn with_query(path: &str, q: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    match path.split_once('#') {
        Some((p, frag)) => format!("{p}{sep}{q}#{frag}"),
        None => format!("{path}{sep}{q}"),
    }
}

pub(super) async fn bulk(
    state: &AppState,
    user: &CurrentUser,
    session: &tower_sessions::Session,
    pairs: &[(String, String)],
    manager: Option<i64>,
    default_back: &str,
) -> Result<Response, AppError> {
    let id: i64 = field(pairs, "session_id")
        .parse()
        .map_err(|_| AppError::BadRequest("Choose a session to book people on".into()))?;
    let back = local_path(&field(pairs, "return_to")).unwrap_or_else(|| default_back.to_string());
    let sns: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "staff_number")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect();
    if sns.is_empty() {
        // Back to the page that sent the list (the coverage page keeps its filters), which
        // shows the error summary; without one, a plain refusal.
        if back != default_back {
            return Ok(see_other(&with_query(&back, "book_error=nobody")));
        }
        return Err(AppError::BadRequest(
            "Choose at least one person to book".into(),
        ));
    }
    let r = enrolment::enrol_target(
        &state.store,
        &user.actor(),
        id,
        &Target::StaffNumbers(sns),
        manager,
    )
    .await
    .map_err(refusal)?;
    keep_report(session, &r).await;
    Ok(see_other(&with_query(
        &back,
        &format!(
            "booked_session={id}&enrolled={}&waitlisted={}&skipped={}",
            r.enrolled.len(),
            r.waitlisted.len(),
            r.skipped.len()
        ),
    )))
}

pub async fn enrol_many(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let id = field(&pairs, "session_id");
    bulk(
        &state,
        &page.user,
        &page.session,
        &pairs,
        None,
        &format!("/sessions/{id}"),
    )
    .await
}
