//! /api/v1/sessions/{id}/enrol, /withdraw and /invite.ics: enrolment through the API.

use super::*;

#[derive(Deserialize, ToSchema)]
pub struct EnrolJson {
    pub staff_numbers: Option<Vec<String>>,
    pub cohort: Option<String>,
    pub department: Option<String>,
    /// A role profile code: people with an open assignment of it.
    pub role_profile: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SkippedJson {
    pub staff_number: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct EnrolResultJson {
    pub enrolled: Vec<String>,
    pub waitlisted: Vec<String>,
    pub skipped: Vec<SkippedJson>,
    /// Invitations queued for e-mail.
    pub emails_queued: usize,
    /// People enrolled who have no e-mail address (no invitation sent).
    pub without_email: usize,
}

pub(super) fn enrol_json(r: EnrolReport) -> EnrolResultJson {
    EnrolResultJson {
        enrolled: r.enrolled,
        waitlisted: r.waitlisted,
        skipped: r
            .skipped
            .into_iter()
            .map(|s| SkippedJson {
                staff_number: s.staff_number,
                reason: s.reason,
            })
            .collect(),
        emails_queued: r.emails_queued,
        without_email: r.without_email,
    }
}

/// Books people: `{"staff_numbers": [...]}`, `{"cohort"}`, `{"department"}` or
/// `{"role_profile"}`. Places first, then the waitlist; people already booked, unknown or gone
/// are skipped with a reason. A request whose every person is already booked is a 409 and
/// changes nothing.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/enrolments", params(("id" = i64, Path)), request_body = EnrolJson, security(("bearer" = [])),
    responses((status = 200, body = EnrolResultJson), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn enrol(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path(id): Path<i64>,
    req: Result<Json<EnrolJson>, JsonRejection>,
) -> Result<Json<EnrolResultJson>, ApiError> {
    let b = body(req)?;
    let given = [
        b.staff_numbers.is_some(),
        b.cohort.is_some(),
        b.department.is_some(),
        b.role_profile.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        return Err(bad(
            "Send exactly one of staff_numbers (a list), cohort, department or role_profile",
        ));
    }
    let target = if let Some(v) = b.staff_numbers {
        Target::StaffNumbers(v)
    } else if let Some(c) = b.cohort {
        Target::Cohort(c)
    } else if let Some(d) = b.department {
        Target::Department(d)
    } else {
        Target::RoleProfile(b.role_profile.unwrap_or_default())
    };
    // A request that would only repeat bookings is refused before anything is written.
    if let Target::StaffNumbers(list) = &target {
        let booked: Vec<String> = enrolment::bookings(&state.store, id)
            .await?
            .into_iter()
            .filter(|b| b.status != "withdrawn")
            .map(|b| b.staff_number.to_ascii_uppercase())
            .collect();
        let listed: Vec<&String> = list.iter().filter(|s| !s.trim().is_empty()).collect();
        if !listed.is_empty()
            && listed
                .iter()
                .all(|s| booked.contains(&s.trim().to_ascii_uppercase()))
        {
            let names: Vec<&str> = listed.iter().map(|s| s.trim()).collect();
            let skipped: Vec<_> = names
                .iter()
                .map(|s| serde_json::json!({"staff_number": s, "reason": "already booked on this session"}))
                .collect();
            let mut extra = serde_json::Map::new();
            extra.insert("skipped".into(), serde_json::Value::Array(skipped));
            return Err(ApiError::Said {
                status: StatusCode::CONFLICT,
                code: "conflict",
                message: format!(
                    "{} already booked on this session (enrolled or on the waitlist); nothing was changed",
                    if names.len() == 1 {
                        format!("{} is", names[0])
                    } else {
                        format!("{} are", names.join(", "))
                    }
                ),
                extra,
            });
        }
    }
    let r = enrolment::enrol_target(&state.store, &api.user.actor(), id, &target, None).await?;
    Ok(Json(enrol_json(r)))
}

#[derive(Serialize, ToSchema)]
pub struct WithdrawnJson {
    pub withdrawn: String,
    /// Staff numbers moved from the waitlist into the freed place.
    pub promoted: Vec<String>,
}

/// Withdraws a person; the first on the waitlist takes the place.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}/enrolments/{staff_number}", params(("id" = i64, Path), ("staff_number" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = WithdrawnJson), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    api: Api<cap::SessionsManage>,
    Path((id, staff_number)): Path<(i64, String)>,
) -> Result<Json<WithdrawnJson>, ApiError> {
    let w = enrolment::withdraw(&state.store, &api.user.actor(), id, &staff_number, None).await?;
    Ok(Json(WithdrawnJson {
        withdrawn: w.staff_number,
        promoted: w.promoted,
    }))
}

/// The session's iCalendar invitation (`text/calendar`); once cancelled, the cancellation.
/// Those who run sessions get every enrolled person as ATTENDEE; anyone else only themself.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/invite.ics", params(("id" = i64, Path)), security(("bearer" = [])),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = crate::error::Problem)))]
pub async fn invite(
    State(state): State<AppState>,
    api: Api<cap::SessionsBrowse>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    ics_response(&state, &api.user, id).await
}

/// The `.ics` for a user (shared with the session page).
pub(crate) async fn ics_response(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> Result<Response, ApiError> {
    let text = if user.can(Capability::SessionsManage) {
        outbox::session_ics(&state.store, id).await?
    } else {
        outbox::person_ics(&state.store, id, user.person_id).await?
    }
    .ok_or(ApiError::NotFound)?;
    let method = if text.contains("\r\nMETHOD:CANCEL\r\n") {
        "CANCEL"
    } else {
        "REQUEST"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                format!("text/calendar; charset=utf-8; method={method}"),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"session-{id}.ics\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        text,
    )
        .into_response())
}
