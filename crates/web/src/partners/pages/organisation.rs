//! One partner organisation: its details, contacts, modules it provides and sessions.

use super::*;

#[derive(Template)]
#[template(path = "partners/partners_org.html")]
pub(super) struct OrgPage {
    pub(super) chrome: Chrome,
    pub(super) org: PartnerOrg,
    pub(super) kind_label: String,
    pub(super) kinds: Vec<OrgKind>,
    pub(super) contacts: Vec<Contact>,
    pub(super) sessions: Vec<SessionRow>,
    pub(super) modules: Vec<PartnerModule>,
    /// Catalogue modules that no partner provides, for "set provider".
    pub(super) others: Vec<(i64, String)>,
    pub(super) module_kinds: Vec<ModuleKind>,
    pub(super) org_form: FormState,
    pub(super) contact_form: FormState,
    pub(super) module_form: FormState,
    pub(super) banner: String,
}

impl OrgPage {
    fn kind_selected(&self, k: &OrgKind) -> bool {
        self.org_form.value("kind") == k.as_str()
    }
    fn errors(&self) -> FormState {
        let mut all = FormState::default();
        for f in [&self.org_form, &self.contact_form, &self.module_form] {
            for (k, v) in &f.errors {
                all.add_error(k, v.clone());
            }
        }
        all
    }
}

pub(crate) struct SessionRow {
    pub id: i64,
    pub title: String,
    pub when: String,
    pub direction: &'static str,
    pub raw_direction: String,
    pub partner_org_id: Option<i64>,
    pub status: String,
    pub external: i64,
}

pub(super) fn direction_label(d: &str) -> &'static str {
    match d {
        "to_partners" => "Police to partners",
        "from_partner" => "Partner to police",
        _ => "Police internal",
    }
}

impl From<SessionBrief> for SessionRow {
    fn from(s: SessionBrief) -> Self {
        SessionRow {
            id: s.id,
            title: if s.title.trim().is_empty() {
                format!("{} {}", s.module_code, s.module_title)
            } else {
                s.title
            },
            when: mashboard_domain::sessions::london_date_of_stored(&s.starts_at)
                .unwrap_or_else(|| s.starts_at.chars().take(10).collect()),
            direction: direction_label(&s.direction),
            raw_direction: s.direction,
            partner_org_id: s.partner_org_id,
            status: s.status,
            external: s.external_attendees,
        }
    }
}

#[derive(Default)]
pub(super) struct OrgForms {
    pub(super) org: FormState,
    pub(super) contact: FormState,
    pub(super) module: FormState,
}

impl OrgForms {
    /// The organisation's own form, as typed; the others empty.
    fn org(org: FormState) -> Self {
        OrgForms {
            org,
            ..Default::default()
        }
    }
    /// The new contact's form, as typed; the others empty.
    fn contact(contact: FormState) -> Self {
        OrgForms {
            contact,
            ..Default::default()
        }
    }
    /// The module form, as typed; the others empty.
    fn module(module: FormState) -> Self {
        OrgForms {
            module,
            ..Default::default()
        }
    }
}

pub(super) async fn render_org(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    id: i64,
    forms: Option<OrgForms>,
    banner: String,
) -> Result<Response, AppError> {
    let org = partners::org(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let contacts = partners::contacts(&state.store, id).await?;
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "partner_org.view",
            format!("Viewed partner organisation {}", org.name),
        )
        .on("partner_org", id.to_string()),
    )
    .await?;
    let sessions = partners::sessions_of_org(&state.store, id)
        .await?
        .into_iter()
        .map(SessionRow::from)
        .collect();
    let modules = partners::partner_modules(&state.store, Some(id), true).await?;
    let provided: std::collections::HashSet<i64> =
        partners::partner_modules(&state.store, None, true)
            .await?
            .iter()
            .map(|m| m.id)
            .collect();
    let others = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| !provided.contains(&m.id))
        .map(|m| (m.id, format!("{} {}", m.code, m.title)))
        .collect();
    let forms = forms.unwrap_or_else(|| {
        let mut org_form = FormState::default();
        org_form.set("name", org.name.clone());
        org_form.set("kind", org.kind.clone());
        org_form.set("notes", org.notes.clone());
        org_form.set("active", if org.active { "yes" } else { "no" });
        OrgForms::org(org_form)
    });
    let has = forms.org.has_errors() || forms.contact.has_errors() || forms.module.has_errors();
    html(&OrgPage {
        chrome: Chrome::new(state, org.name.clone(), Some(user), csrf, "/partners")
            .with_errors(has),
        kind_label: OrgKind::label_of(&org.kind),
        org,
        kinds: OrgKind::ALL.to_vec(),
        contacts,
        sessions,
        modules,
        others,
        module_kinds: ModuleKind::ALL.to_vec(),
        org_form: forms.org,
        contact_form: forms.contact,
        module_form: forms.module,
        banner,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    render_org(
        &state,
        &page.user,
        &page.csrf,
        id,
        None,
        saved_banner(raw.as_deref()),
    )
    .await
}

/// The organisation's page again, showing what was typed in one of its forms and why it was
/// refused.
async fn refused(
    state: &AppState,
    page: &Page<crate::auth::cap::PartnersManage>,
    id: i64,
    forms: OrgForms,
) -> Result<Response, AppError> {
    render_org(
        state,
        &page.user,
        &page.csrf,
        id,
        Some(forms),
        String::new(),
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let names = ["name", "kind", "notes", "active"];
    let active = field(&pairs, "active") != "no";
    let result = match org_draft(&pairs).validate() {
        Ok(input) => partners::update_org(&state.store, &page.user.actor(), id, &input, active)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) | StoreError::Invalid(m) => Err(m),
                other => Ok(other),
            }),
        Err(errors) => {
            let org = form_from(&pairs, &names, &errors);
            return refused(&state, &page, id, OrgForms::org(org)).await;
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/partners/{id}?saved=updated")).into_response()),
        Err(Err(m)) => {
            let mut org = form_from(&pairs, &names, &[]);
            org.add_error("name", m);
            refused(&state, &page, id, OrgForms::org(org)).await
        }
        Err(Ok(e)) => Err(e.into()),
    }
}

pub async fn add_contact(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let draft = ContactDraft {
        name: field(&pairs, "contact_name"),
        job_title: field(&pairs, "job_title"),
        email: field(&pairs, "contact_email"),
        phone: field(&pairs, "phone"),
    };
    match draft.validate() {
        Ok(c) => {
            partners::add_contact(&state.store, &page.user.actor(), id, &c).await?;
            Ok(Redirect::to(&format!("/partners/{id}?saved=contact")).into_response())
        }
        Err(errors) => {
            let renamed: Vec<FieldError> = errors
                .into_iter()
                .map(|e| FieldError {
                    field: match e.field {
                        "name" => "contact_name",
                        "email" => "contact_email",
                        f => f,
                    },
                    message: e.message,
                })
                .collect();
            let contact = form_from(
                &pairs,
                &["contact_name", "job_title", "contact_email", "phone"],
                &renamed,
            );
            refused(&state, &page, id, OrgForms::contact(contact)).await
        }
    }
}

pub async fn remove_contact(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    Path((id, cid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let cid = path_id(&cid)?;
    let c = partners::contact(&state.store, cid)
        .await?
        .filter(|c| c.org_id == id)
        .ok_or(AppError::NotFound)?;
    partners::remove_contact(&state.store, &page.user.actor(), c.id).await?;
    Ok(Redirect::to(&format!("/partners/{id}?saved=removed")).into_response())
}

/// Sets this partner as the provider of an existing module, or stops it providing one.
pub async fn set_module_provider(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    partners::org(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = page.user.actor();
    if let Ok(mid) = field(&pairs, "remove_module_id").parse::<i64>() {
        let mine = partners::partner_modules(&state.store, Some(id), true).await?;
        if !mine.iter().any(|m| m.id == mid) {
            return Err(AppError::NotFound);
        }
        partners::set_provider(&state.store, &actor, mid, None).await?;
        return Ok(Redirect::to(&format!("/partners/{id}?saved=module")).into_response());
    }
    match field(&pairs, "module_id").parse::<i64>() {
        Ok(mid) => {
            partners::set_provider(&state.store, &actor, mid, Some(id)).await?;
            Ok(Redirect::to(&format!("/partners/{id}?saved=module")).into_response())
        }
        Err(_) => {
            let mut module = FormState::default();
            module.add_error("module_id", "Choose a module from the catalogue");
            refused(&state, &page, id, OrgForms::module(module)).await
        }
    }
}

/// Adds a new catalogue module provided by this partner.
pub async fn new_module(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    partners::org(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let names = [
        "code",
        "title",
        "summary",
        "module_kind",
        "duration_minutes",
        "external_link",
    ];
    let mut form = form_from(&pairs, &names, &[]);
    let code = form.value("code").to_ascii_uppercase();
    if code.is_empty() {
        form.add_error("code", "Enter a code for the module, for example P-THRESH");
    } else if code.len() > 20
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        form.add_error(
            "code",
            "The code must be 20 letters, digits or hyphens or fewer",
        );
    }
    let title = form.value("title").to_string();
    if title.is_empty() {
        form.add_error("title", "Enter the module's title");
    } else if title.chars().count() > 200 {
        form.add_error("title", "The title must be 200 characters or fewer");
    }
    let kind = match form.value("module_kind").parse::<ModuleKind>() {
        Ok(k) => Some(k),
        Err(_) => {
            form.add_error("module_kind", "Select how the module is delivered");
            None
        }
    };
    let minutes = match form.value("duration_minutes") {
        "" => 0,
        raw => match raw.parse::<i64>() {
            Ok(m) if (0..=10_000).contains(&m) => m,
            _ => {
                form.add_error(
                    "duration_minutes",
                    "Enter the length in minutes as a whole number, for example 90",
                );
                0
            }
        },
    };
    let link = form.value("external_link").to_string();
    if !(link.is_empty() || link.starts_with("https://") || link.starts_with("http://")) {
        form.add_error(
            "external_link",
            "Enter the link as a web address starting with https://, or leave it blank",
        );
    }
    if form.has_errors() {
        return refused(&state, &page, id, OrgForms::module(form)).await;
    }
    let input = ModuleInput {
        code: code.clone(),
        title,
        summary: form.value("summary").to_string(),
        kind: kind.map(|k| k.as_str()).unwrap_or("face_to_face").into(),
        external_link: (!link.is_empty()).then_some(link),
        duration_minutes: minutes,
        status: "live".into(),
        ..Default::default()
    };
    match partners::create_partner_module(&state.store, &page.user.actor(), id, &input, "1.0").await
    {
        Ok(_) => Ok(Redirect::to(&format!("/partners/{id}?saved=module")).into_response()),
        Err(StoreError::Conflict(m)) | Err(StoreError::Invalid(m)) => {
            let mut module = form;
            module.add_error("code", m);
            refused(&state, &page, id, OrgForms::module(module)).await
        }
        Err(e) => Err(e.into()),
    }
}
