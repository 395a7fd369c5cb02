//! Training given by or to partners outside our sessions.

use super::*;

// ---------------------------------------------------------------------------------------------
// The form for someone from outside the force: a session's external attendee here, an
// attachment day's partner participant in `attachment_days`.

/// The guest form's fields.
const GUEST_FIELDS: [&str; 4] = ["name", "organisation", "partner_org_id", "email"];

/// The guest form, read into the domain's draft (which holds the rules).
pub(crate) fn guest_draft(pairs: &[(String, String)]) -> ExternalDraft {
    ExternalDraft {
        name: field(pairs, "name"),
        organisation: field(pairs, "organisation"),
        partner_org_id: field(pairs, "partner_org_id").parse().ok(),
        email: field(pairs, "email"),
    }
}

/// The guest form again, as typed, with the rules' refusals.
pub(crate) fn guest_form(pairs: &[(String, String)], errors: &[FieldError]) -> FormState {
    form_from(pairs, &GUEST_FIELDS, errors)
}

/// The partner organisations a guest may be chosen from: the active ones.
pub(crate) async fn active_orgs(state: &AppState) -> Result<Vec<PartnerOrg>, AppError> {
    Ok(partners::orgs(&state.store)
        .await?
        .into_iter()
        .filter(|o| o.active)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// External attendees at a session

pub(crate) struct ExternalRow {
    pub a: ExternalAttendee,
    pub organisation: String,
    pub status_label: &'static str,
}

#[derive(Template)]
#[template(path = "partners/partners_external.html")]
pub(super) struct ExternalPage {
    pub(super) chrome: Chrome,
    pub(super) session: SessionRow,
    pub(super) rows: Vec<ExternalRow>,
    pub(super) orgs: Vec<PartnerOrg>,
    pub(super) statuses: Vec<ExternalStatus>,
    pub(super) form: FormState,
    pub(super) banner: String,
}

impl ExternalPage {
    fn is_direction(&self, d: &str) -> bool {
        self.session.raw_direction == d
    }
    fn direction_org(&self, id: &i64) -> bool {
        self.session.partner_org_id == Some(*id)
    }
    fn org_selected(&self, id: &i64) -> bool {
        self.form.value("partner_org_id") == id.to_string()
    }
    fn is_status(&self, r: &ExternalRow, s: &ExternalStatus) -> bool {
        r.a.status.as_deref() == Some(s.as_str())
    }
}

pub(super) async fn render_external(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    form: FormState,
    banner: String,
) -> Result<Response, AppError> {
    let s = partners::session_brief(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let list = partners::external_attendees(&state.store, id).await?;
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "session_external.view",
            format!("Viewed the external attendees of session {id}"),
        )
        .on("session", id.to_string()),
    )
    .await?;
    let rows = list
        .into_iter()
        .map(|a| ExternalRow {
            organisation: a.organisation_shown().to_string(),
            status_label: a
                .status
                .as_deref()
                .and_then(ExternalStatus::parse)
                .map(|s| s.label())
                .unwrap_or("Not marked"),
            a,
        })
        .collect();
    let has = form.has_errors();
    html(&ExternalPage {
        chrome: Chrome::new(state, "External attendees", Some(user), csrf, "/sessions")
            .with_errors(has),
        session: SessionRow::from(s),
        rows,
        orgs: active_orgs(state).await?,
        statuses: ExternalStatus::ALL.to_vec(),
        form,
        banner,
    })
}

pub async fn external(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    render_external(
        &state,
        &page.user,
        &page.csrf,
        id,
        FormState::default(),
        saved_banner(raw.as_deref()),
    )
    .await
}

pub async fn add_external(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let input = match guest_draft(&pairs).validate() {
        Ok(i) => i,
        Err(errors) => {
            let form = guest_form(&pairs, &errors);
            return render_external(&state, &page.user, &page.csrf, id, form, String::new()).await;
        }
    };
    match partners::add_external(&state.store, &page.user.actor(), id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}/external?saved=added")).into_response()),
        Err(StoreError::Conflict(m)) | Err(StoreError::Invalid(m)) => {
            let mut form = guest_form(&pairs, &[]);
            form.add_error("name", m);
            render_external(&state, &page.user, &page.csrf, id, form, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets who the session is for (partner staff) or by (a partner), for the exchange summary.
pub async fn set_direction(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let direction = field(&pairs, "direction");
    let org = field(&pairs, "direction_org_id").parse::<i64>().ok();
    match partners::set_direction(&state.store, &page.user.actor(), id, &direction, org).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/sessions/{id}/external?saved=direction")).into_response())
        }
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.add_error("direction", m);
            render_external(&state, &page.user, &page.csrf, id, form, String::new()).await
        }
        Err(StoreError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

pub async fn mark_external(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path((id, xid)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let xid = path_id(&xid)?;
    let raw = field(&pairs, "status");
    let status = if raw.is_empty() {
        None
    } else {
        Some(ExternalStatus::parse(&raw).ok_or_else(|| {
            AppError::BadRequest("Choose attended, partly attended, absent or excused".into())
        })?)
    };
    let minutes = match field(&pairs, "minutes").as_str() {
        "" => None,
        m => Some(m.parse::<i64>().map_err(|_| {
            AppError::BadRequest("Enter the minutes attended as a whole number".into())
        })?),
    };
    match partners::mark_external(&state.store, &page.user.actor(), id, xid, status, minutes).await
    {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}/external?saved=marked")).into_response()),
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.add_error("name", m);
            render_external(&state, &page.user, &page.csrf, id, form, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_external(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsManage>,
    Path((id, xid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let xid = path_id(&xid)?;
    partners::remove_external(&state.store, &page.user.actor(), id, xid).await?;
    Ok(Redirect::to(&format!("/sessions/{id}/external?saved=gone")).into_response())
}
