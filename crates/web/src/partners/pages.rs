//! Partner training exchange: partner organisations and their contacts, partner-provided
//! modules, external attendees at sessions, and the quarterly summary of training exchanged
//! each way (with CSV and Excel exports). Views of contacts and attendees are audited.

use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::export::{workbook, Sheet, XCell};
use crate::form::{field, path_id, query_value};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::partners::{
    ContactDraft, ExchangeCell, ExchangeSummary, ExternalDraft, ExternalStatus, FieldError,
    OrgDraft, OrgKind,
};
use mashboard_domain::training::ModuleKind;
use mashboard_store::audit::{self, Event};
use mashboard_store::partners::{
    self, Contact, ExchangeSession, ExternalAttendee, PartnerModule, PartnerOrg, SessionBrief,
};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{DeliveryReports, PartnersManage, SessionsBrowse, SessionsManage};
    t.get("/partners", P(PartnersManage), get(list))
        .post("/partners", P(PartnersManage), post(create))
        .get("/partners/modules", P(PartnersManage), get(modules))
        .get("/partner-training", P(SessionsBrowse), get(modules_browse))
        .get("/partners/exchange", P(DeliveryReports), get(exchange))
        .get(
            "/partners/exchange.csv",
            P(DeliveryReports),
            get(exchange_csv),
        )
        .get(
            "/partners/exchange.xlsx",
            P(DeliveryReports),
            get(exchange_xlsx),
        )
        .get("/partners/{id}", P(PartnersManage), get(show))
        .post("/partners/{id}", P(PartnersManage), post(update))
        .post(
            "/partners/{id}/contacts",
            P(PartnersManage),
            post(add_contact),
        )
        .post(
            "/partners/{id}/contacts/{cid}/remove",
            P(PartnersManage),
            post(remove_contact),
        )
        .post(
            "/partners/{id}/modules",
            P(PartnersManage),
            post(set_module_provider),
        )
        .post(
            "/partners/{id}/modules/new",
            P(PartnersManage),
            post(new_module),
        )
        .get("/sessions/{id}/external", P(SessionsManage), get(external))
        .post(
            "/sessions/{id}/external",
            P(SessionsManage),
            post(add_external),
        )
        .post(
            "/sessions/{id}/external/{xid}",
            P(SessionsManage),
            post(mark_external),
        )
        .post(
            "/sessions/{id}/direction",
            P(SessionsManage),
            post(set_direction),
        )
        .post(
            "/sessions/{id}/external/{xid}/remove",
            P(SessionsManage),
            post(remove_external),
        )
}

fn form_from(pairs: &[(String, String)], names: &[&str], errors: &[FieldError]) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, field(pairs, n));
    }
    for e in errors {
        f.add_error(e.field, e.message.clone());
    }
    f
}

fn saved_banner(raw: Option<&str>) -> String {
    match query_value(raw, "saved").as_deref() {
        Some("created") => "The organisation has been added.".into(),
        Some("updated") => "The organisation has been changed.".into(),
        Some("contact") => "The contact has been added.".into(),
        Some("removed") => "The contact has been removed.".into(),
        Some("module") => "The partner's modules have been changed.".into(),
        Some("added") => "The attendee has been added.".into(),
        Some("marked") => "Attendance has been recorded.".into(),
        Some("gone") => "The attendee has been removed.".into(),
        Some("direction") => "Who the session is for or by has been saved.".into(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Organisations

pub(crate) struct KindGroup {
    pub label: &'static str,
    pub orgs: Vec<PartnerOrg>,
}

#[derive(Template)]
#[template(path = "partners/partners_list.html")]
struct ListPage {
    chrome: Chrome,
    groups: Vec<KindGroup>,
    kinds: Vec<OrgKind>,
    form: FormState,
    banner: String,
}

impl ListPage {
    fn kind_checked(&self, k: &OrgKind) -> bool {
        self.form.value("kind") == k.as_str()
    }
}

async fn render_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    banner: String,
) -> Result<Response, AppError> {
    let all = partners::orgs(&state.store).await?;
    let groups = OrgKind::ALL
        .iter()
        .map(|k| KindGroup {
            label: k.label(),
            orgs: all
                .iter()
                .filter(|o| o.kind == k.as_str())
                .cloned()
                .collect(),
        })
        .filter(|g| !g.orgs.is_empty())
        .collect();
    let has = form.has_errors();
    html(&ListPage {
        chrome: Chrome::new(
            state,
            "Partner organisations",
            Some(user),
            csrf,
            "/partners",
        )
        .with_errors(has),
        groups,
        kinds: OrgKind::ALL.to_vec(),
        form,
        banner,
    })
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let banner = saved_banner(raw.as_deref());
    render_list(&state, &page.user, &page.csrf, FormState::default(), banner).await
}

fn org_draft(pairs: &[(String, String)]) -> OrgDraft {
    OrgDraft {
        name: field(pairs, "name"),
        kind: field(pairs, "kind"),
        notes: field(pairs, "notes"),
    }
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let names = ["name", "kind", "notes"];
    let input = match org_draft(&pairs).validate() {
        Ok(i) => i,
        Err(errors) => {
            let form = form_from(&pairs, &names, &errors);
            return render_list(&state, &page.user, &page.csrf, form, String::new()).await;
        }
    };
    match partners::create_org(&state.store, &page.user.actor(), &input).await {
        Ok(o) => Ok(Redirect::to(&format!("/partners/{}?saved=created", o.id)).into_response()),
        Err(StoreError::Conflict(m)) | Err(StoreError::Invalid(m)) => {
            let mut form = form_from(&pairs, &names, &[]);
            form.add_error("name", m);
            render_list(&state, &page.user, &page.csrf, form, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "partners/partners_org.html")]
struct OrgPage {
    chrome: Chrome,
    org: PartnerOrg,
    kind_label: String,
    kinds: Vec<OrgKind>,
    contacts: Vec<Contact>,
    sessions: Vec<SessionRow>,
    modules: Vec<PartnerModule>,
    /// Catalogue modules that no partner provides, for "set provider".
    others: Vec<(i64, String)>,
    module_kinds: Vec<ModuleKind>,
    org_form: FormState,
    contact_form: FormState,
    module_form: FormState,
    banner: String,
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

fn direction_label(d: &str) -> &'static str {
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

struct OrgForms {
    org: FormState,
    contact: FormState,
    module: FormState,
}

async fn render_org(
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
    audit::record(
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
        OrgForms {
            org: org_form,
            contact: FormState::default(),
            module: FormState::default(),
        }
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

fn empty_forms() -> OrgForms {
    OrgForms {
        org: FormState::default(),
        contact: FormState::default(),
        module: FormState::default(),
    }
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
            let mut forms = empty_forms();
            forms.org = form_from(&pairs, &names, &errors);
            return render_org(
                &state,
                &page.user,
                &page.csrf,
                id,
                Some(forms),
                String::new(),
            )
            .await;
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/partners/{id}?saved=updated")).into_response()),
        Err(Err(m)) => {
            let mut forms = empty_forms();
            forms.org = form_from(&pairs, &names, &[]);
            forms.org.add_error("name", m);
            render_org(
                &state,
                &page.user,
                &page.csrf,
                id,
                Some(forms),
                String::new(),
            )
            .await
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
            let mut forms = empty_forms();
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
            forms.contact = form_from(
                &pairs,
                &["contact_name", "job_title", "contact_email", "phone"],
                &renamed,
            );
            render_org(
                &state,
                &page.user,
                &page.csrf,
                id,
                Some(forms),
                String::new(),
            )
            .await
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
            let mut forms = empty_forms();
            forms
                .module
                .add_error("module_id", "Choose a module from the catalogue");
            render_org(
                &state,
                &page.user,
                &page.csrf,
                id,
                Some(forms),
                String::new(),
            )
            .await
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
        let mut forms = empty_forms();
        forms.module = form;
        return render_org(
            &state,
            &page.user,
            &page.csrf,
            id,
            Some(forms),
            String::new(),
        )
        .await;
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
            let mut forms = empty_forms();
            forms.module = form;
            forms.module.add_error("code", m);
            render_org(
                &state,
                &page.user,
                &page.csrf,
                id,
                Some(forms),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Partner-provided modules

#[derive(Template)]
#[template(path = "partners/partners_modules.html")]
struct ModulesPage {
    chrome: Chrome,
    modules: Vec<PartnerModule>,
    manage: bool,
}

impl ModulesPage {
    fn kind_label(&self, k: &str) -> String {
        k.parse::<ModuleKind>()
            .map(|k| k.label().to_string())
            .unwrap_or_else(|_| k.to_string())
    }
    fn provider_kind(&self, k: &str) -> String {
        OrgKind::label_of(k)
    }
}

async fn render_modules(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    manage: bool,
) -> Result<Response, AppError> {
    let modules = partners::partner_modules(&state.store, None, false).await?;
    html(&ModulesPage {
        chrome: Chrome::new(
            state,
            "Training from partner agencies",
            Some(user),
            csrf,
            if manage { "/partners" } else { "/sessions" },
        ),
        modules,
        manage,
    })
}

pub async fn modules(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::PartnersManage>,
) -> Result<Response, AppError> {
    render_modules(&state, &page.user, &page.csrf, true).await
}

pub async fn modules_browse(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::SessionsBrowse>,
) -> Result<Response, AppError> {
    let manage = page.user.can(Capability::PartnersManage);
    render_modules(&state, &page.user, &page.csrf, manage).await
}

// ---------------------------------------------------------------------------------------------
// The quarterly exchange summary

pub(crate) struct QuarterRow {
    pub label: String,
    pub to: ExchangeCell,
    pub from: ExchangeCell,
}

#[derive(Template)]
#[template(path = "partners/partners_exchange.html")]
struct ExchangePage {
    chrome: Chrome,
    year: i32,
    years: Vec<i32>,
    rows: Vec<QuarterRow>,
    total: QuarterRow,
    sessions: Vec<ExchangeSession>,
}

impl ExchangePage {
    fn orgs(&self, s: &ExchangeSession) -> String {
        s.organisations.join(", ")
    }
    fn dir(&self, s: &ExchangeSession) -> &'static str {
        s.direction.label()
    }
}

fn year_of(raw: Option<&str>) -> Result<i32, AppError> {
    match query_value(raw, "year") {
        None => Ok(mashboard_store::training::today().year()),
        Some(y) if y.trim().is_empty() => Ok(mashboard_store::training::today().year()),
        Some(y) => match y.trim().parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Ok(y),
            _ => Err(AppError::BadRequest(format!(
                "\"{y}\" is not a year; choose a year such as 2024"
            ))),
        },
    }
}

fn quarter_rows(s: &ExchangeSummary) -> (Vec<QuarterRow>, QuarterRow) {
    let rows = s
        .quarters
        .iter()
        .map(|q| QuarterRow {
            label: format!(
                "Q{} ({})",
                q.quarter,
                [
                    "January to March",
                    "April to June",
                    "July to September",
                    "October to December"
                ][usize::from(q.quarter - 1)]
            ),
            to: q.to_partners.clone(),
            from: q.from_partners.clone(),
        })
        .collect();
    let total = QuarterRow {
        label: format!("{} total", s.year),
        to: s.to_partners.clone(),
        from: s.from_partners.clone(),
    };
    (rows, total)
}

pub async fn exchange(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::DeliveryReports>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let year = year_of(raw.as_deref())?;
    let (sessions, summary) = partners::exchange(&state.store, year).await?;
    let (rows, total) = quarter_rows(&summary);
    let this = mashboard_store::training::today().year();
    html(&ExchangePage {
        chrome: Chrome::new(
            &state,
            format!("Training exchanged with partners in {year}"),
            Some(&page.user),
            &page.csrf,
            "/partners",
        ),
        year,
        years: (2020..=this + 1).rev().collect(),
        rows,
        total,
        sessions,
    })
}

const SUMMARY_HEADER: [&str; 9] = [
    "Year",
    "Quarter",
    "Direction",
    "Sessions",
    "Attendees",
    "Completions outside sessions",
    "Organisations",
    "Organisation names",
    "Period",
];

fn summary_rows(s: &ExchangeSummary) -> Vec<Vec<XCell>> {
    let mut out = Vec::new();
    let mut push = |q: String, dir: &str, c: &ExchangeCell, period: String| {
        out.push(vec![
            XCell::Number(f64::from(s.year)),
            XCell::Text(q),
            XCell::Text(dir.to_string()),
            XCell::Number(f64::from(c.sessions)),
            XCell::Number(f64::from(c.attendees)),
            XCell::Number(f64::from(c.completions)),
            XCell::Number(f64::from(c.organisations)),
            XCell::Text(c.organisation_names.join("; ")),
            XCell::Text(period),
        ]);
    };
    for q in &s.quarters {
        let period = mashboard_domain::partners::quarter_bounds(s.year, q.quarter)
            .map(|(a, b)| format!("{a} to {b}"))
            .unwrap_or_default();
        push(
            format!("Q{}", q.quarter),
            "Police to partners",
            &q.to_partners,
            period.clone(),
        );
        push(
            format!("Q{}", q.quarter),
            "Partners to police",
            &q.from_partners,
            period,
        );
    }
    push(
        "Year".into(),
        "Police to partners",
        &s.to_partners,
        String::new(),
    );
    push(
        "Year".into(),
        "Partners to police",
        &s.from_partners,
        String::new(),
    );
    out
}

const SESSION_HEADER: [&str; 6] = [
    "Date",
    "Direction",
    "Session",
    "Module",
    "Organisations",
    "Attendees",
];

fn session_rows(sessions: &[ExchangeSession]) -> Vec<Vec<XCell>> {
    sessions
        .iter()
        .map(|s| {
            vec![
                XCell::Date(mashboard_domain::people::parse_date(&s.day).ok()),
                XCell::Text(s.direction.label().into()),
                XCell::Text(s.title.clone()),
                XCell::Text(s.module_code.clone()),
                XCell::Text(s.organisations.join("; ")),
                XCell::Number(f64::from(s.attendees)),
            ]
        })
        .collect()
}

fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub async fn exchange_csv(
    State(state): State<AppState>,
    _page: Page<crate::auth::cap::DeliveryReports>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let year = year_of(raw.as_deref())?;
    let (_, summary) = partners::exchange(&state.store, year).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    w.write_record(SUMMARY_HEADER).map_err(err)?;
    for row in summary_rows(&summary) {
        w.write_record(row.iter().map(|c| c.csv())).map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    // XCell::csv guards every text cell against formula injection (matrix::csv_safe).
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("partner-exchange-{year}.csv"),
        body,
    ))
}

pub async fn exchange_xlsx(
    State(state): State<AppState>,
    _page: Page<crate::auth::cap::DeliveryReports>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let year = year_of(raw.as_deref())?;
    let (sessions, summary) = partners::exchange(&state.store, year).await?;
    let body = workbook(&[
        Sheet {
            name: "Summary",
            header: SUMMARY_HEADER.to_vec(),
            rows: summary_rows(&summary),
        },
        Sheet {
            name: "Sessions",
            header: SESSION_HEADER.to_vec(),
            rows: session_rows(&sessions),
        },
    ])?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("partner-exchange-{year}.xlsx"),
        body,
    ))
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
struct ExternalPage {
    chrome: Chrome,
    session: SessionRow,
    rows: Vec<ExternalRow>,
    orgs: Vec<PartnerOrg>,
    statuses: Vec<ExternalStatus>,
    form: FormState,
    banner: String,
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

async fn render_external(
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
    audit::record(
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
        orgs: partners::orgs(&state.store)
            .await?
            .into_iter()
            .filter(|o| o.active)
            .collect(),
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
    let names = ["name", "organisation", "partner_org_id", "email"];
    let org_raw = field(&pairs, "partner_org_id");
    let draft = ExternalDraft {
        name: field(&pairs, "name"),
        organisation: field(&pairs, "organisation"),
        partner_org_id: org_raw.parse().ok(),
        email: field(&pairs, "email"),
    };
    let input = match draft.validate() {
        Ok(i) => i,
        Err(errors) => {
            let form = form_from(&pairs, &names, &errors);
            return render_external(&state, &page.user, &page.csrf, id, form, String::new()).await;
        }
    };
    match partners::add_external(&state.store, &page.user.actor(), id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/sessions/{id}/external?saved=added")).into_response()),
        Err(StoreError::Conflict(m)) | Err(StoreError::Invalid(m)) => {
            let mut form = form_from(&pairs, &names, &[]);
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
