//! The module catalogue and role programmes: browse modules and their review state, add and
//! change modules, publish new versions, mark reviews, record changes in legislation or guidance
//! (and see who trained on the affected modules), and set what each role profile requires.
//!
//! The rules (review state, versions, due and renewal rules) are the domain's; these pages read
//! forms, ask the domain whether the values make sense, and call the store, which audits writes.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::{field, path_id};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::{format_date_long, parse_date, StaffNumber};
use mashboard_domain::training::{
    add_months, format_minutes, format_version, next_version, parse_version, review_state, DueRule,
    ModuleKind, ModuleStatus, RenewalRule, ReviewState, DEFAULT_REVIEW_WARN_DAYS, MAX_DUE_DAYS,
    MAX_RENEWAL_MONTHS,
};
use mashboard_store::audit::{self, Event};
use mashboard_store::people;
use mashboard_store::training::catalogue::{self, Module, ModuleInput, Tag, TrainedPerson};
use mashboard_store::training::programmes::{self, Profile};
use mashboard_store::StoreError;
use std::collections::BTreeMap;
use time::Date;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{CatalogueView as View, TrainingManage as Manage};
    t.get("/training/modules", P(View), get(list))
        .get("/training/modules/new", P(Manage), get(new_form))
        .post("/training/modules/new", P(Manage), post(create))
        .get("/training/modules/{id}", P(View), get(show))
        .get("/training/modules/{id}/edit", P(Manage), get(edit_form))
        .post("/training/modules/{id}/edit", P(Manage), post(update))
        .post("/training/modules/{id}/publish", P(Manage), post(publish))
        .post("/training/modules/{id}/reviewed", P(Manage), post(reviewed))
        .get("/training/guidance", P(Manage), get(guidance))
        .post("/training/guidance", P(Manage), post(record_change))
        .get("/training/guidance/{id}", P(Manage), get(guidance_tag))
        .get("/training/profiles", P(Manage), get(profiles_list))
        .post("/training/profiles", P(Manage), post(create_profile))
        .get("/training/profiles/{id}", P(Manage), get(profile_page))
        .post("/training/profiles/{id}/items", P(Manage), post(set_item))
        .post(
            "/training/profiles/{id}/items/{module_id}/remove",
            P(Manage),
            post(remove_item),
        )
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn today() -> Date {
    mashboard_store::training::today()
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A date as typed in forms: 27/03/2024.
fn uk(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year())
}

/// A stored date (or instant) as pages show it: "1 March 2024".
fn long_date(stored: &str) -> String {
    let day = stored.get(..10).unwrap_or(stored);
    parse_date(day)
        .map(format_date_long)
        .unwrap_or_else(|_| stored.to_string())
}

/// A stored date as a form value: "27/03/2024".
fn uk_text(stored: Option<&str>) -> String {
    stored
        .and_then(|s| parse_date(s).ok())
        .map(uk)
        .unwrap_or_default()
}

/// Replaces the first ISO date in a stored sentence with its long form.
fn with_long_dates(text: &str) -> String {
    for (i, _) in text.char_indices() {
        if let Some(candidate) = text.get(i..i + 10) {
            if candidate.as_bytes()[4] == b'-' {
                if let Ok(d) = parse_date(candidate) {
                    return format!("{}{}{}", &text[..i], format_date_long(d), &text[i + 10..]);
                }
            }
        }
    }
    text.to_string()
}

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default()
}

fn form_of(pairs: &[(String, String)], names: &[&str]) -> FormState {
    let mut f = FormState::default();
    for n in names {
        f.set(n, field(pairs, n));
    }
    f
}

/// A required date in a form, or an error on the field.
fn date_field(form: &mut FormState, name: &str, what: &str, required: bool) -> Option<Date> {
    let raw = form.value(name).trim().to_string();
    if raw.is_empty() {
        if required {
            form.add_error(name, format!("Enter {what}, for example 27/03/2024"));
        }
        return None;
    }
    match parse_date(&raw) {
        Ok(d) => Some(d),
        Err(m) => {
            form.add_error(name, format!("{} {m}", capitalise(what)));
            None
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn check_length(form: &mut FormState, name: &str, what: &str, max: usize) {
    if form.value(name).chars().count() > max {
        form.add_error(
            name,
            format!("{} must be {max} characters or fewer", capitalise(what)),
        );
    }
}

fn status_class(s: &str) -> &'static str {
    match s {
        "live" => "govuk-tag--green",
        "draft" => "govuk-tag--yellow",
        _ => "govuk-tag--grey",
    }
}

/// A module as every table shows it, with its review state worked out by the domain.
pub struct ModuleView {
    pub m: Module,
    pub kind: String,
    pub status: String,
    pub status_class: &'static str,
    pub review: ReviewState,
    pub review_by: String,
    pub last_reviewed: String,
    pub flag: Option<String>,
    pub duration: String,
}

impl ModuleView {
    fn of(m: Module, today: Date) -> ModuleView {
        let review = review_state(
            m.review_by.as_deref().and_then(|d| parse_date(d).ok()),
            today,
            DEFAULT_REVIEW_WARN_DAYS,
        );
        ModuleView {
            kind: m
                .kind
                .parse::<ModuleKind>()
                .map(|k| k.label().to_string())
                .unwrap_or_else(|_| m.kind.clone()),
            status: m
                .status
                .parse::<ModuleStatus>()
                .map(|s| s.label().to_string())
                .unwrap_or_else(|_| m.status.clone()),
            status_class: status_class(&m.status),
            review,
            review_by: m.review_by.as_deref().map(long_date).unwrap_or_default(),
            last_reviewed: m
                .last_reviewed_on
                .as_deref()
                .map(long_date)
                .unwrap_or_default(),
            flag: m.guidance_flag.as_deref().map(with_long_dates),
            duration: u32::try_from(m.duration_minutes)
                .map(format_minutes)
                .unwrap_or_default(),
            m,
        }
    }

    /// Overdue or due soon for review: the tag every table shows next to the date.
    pub fn review_warning(&self) -> bool {
        matches!(self.review, ReviewState::Overdue | ReviewState::DueSoon)
    }

    pub fn needs_review(&self) -> bool {
        self.review_warning() || self.flag.is_some()
    }
}

fn saved_message(raw: Option<&str>, messages: &[(&str, &'static str)]) -> Option<&'static str> {
    let saved = field(&query_pairs(raw), "saved");
    messages.iter().find(|(k, _)| *k == saved).map(|(_, m)| *m)
}

// ---------------------------------------------------------------------------------------------
// The catalogue

#[derive(Template)]
#[template(path = "catalogue/catalogue_list.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<ModuleView>,
    cpd: Vec<ModuleView>,
    status: String,
    kind: String,
    needs_review: bool,
    mine: bool,
    no_person: bool,
    kinds: Vec<(&'static str, &'static str)>,
    can_manage: bool,
}

impl ListPage {
    fn status_is(&self, s: &str) -> bool {
        self.status == s
    }
    fn warn_days(&self) -> i64 {
        DEFAULT_REVIEW_WARN_DAYS
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::CatalogueView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let status = match field(&pairs, "status").as_str() {
        s @ ("draft" | "retired" | "all") => s.to_string(),
        _ => "live".to_string(),
    };
    let kind = field(&pairs, "kind")
        .parse::<ModuleKind>()
        .map(|k| k.as_str().to_string())
        .unwrap_or_default();
    let needs_review = !field(&pairs, "review").is_empty();
    let mine = !field(&pairs, "mine").is_empty();
    let me = page.user.person_id;
    let today = today();
    let (cpd, rows): (Vec<ModuleView>, Vec<ModuleView>) = catalogue::modules(&state.store, true)
        .await?
        .into_iter()
        .filter(|m| status == "all" || m.status == status)
        .filter(|m| kind.is_empty() || m.kind == kind)
        .filter(|m| !mine || (me.is_some() && m.owner_person_id == me))
        .map(|m| ModuleView::of(m, today))
        .filter(|v| !needs_review || v.needs_review())
        .partition(|v| v.m.cpd_topic);
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Training modules",
            Some(&page.user),
            &page.csrf,
            "/training/modules",
        ),
        rows,
        cpd,
        status,
        kind,
        needs_review,
        mine,
        no_person: me.is_none(),
        kinds: ModuleKind::ALL.map(|k| (k.as_str(), k.label())).to_vec(),
        can_manage: page.user.can(Capability::TrainingManage),
    })
}

// ---------------------------------------------------------------------------------------------
// Adding and changing a module

const MODULE_FIELDS: [&str; 13] = [
    "code",
    "title",
    "summary",
    "kind",
    "external_link",
    "duration_minutes",
    "owner_staff_number",
    "status",
    "version",
    "last_reviewed_on",
    "review_by",
    "tags",
    "cpd_topic",
];

#[derive(Template)]
#[template(path = "catalogue/catalogue_module_form.html")]
struct ModuleForm {
    chrome: Chrome,
    form: FormState,
    /// The module being changed, or `None` when adding one.
    editing: Option<(i64, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    tag_hint: String,
}

async fn render_module_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    editing: Option<(i64, String)>,
) -> Result<Response, AppError> {
    let title = match &editing {
        Some((_, code)) => format!("Change module {code}"),
        None => "Add a module".to_string(),
    };
    let tags = catalogue::tags(&state.store).await?;
    let tag_hint = if tags.is_empty() {
        "Separate tags with semicolons, for example Care Act 2014 s42; DARA. No tags exist yet."
            .to_string()
    } else {
        format!(
            "The legislation or guidance this module relies on, separated by semicolons. Tags in use: {}.",
            tags.iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    let has_errors = form.has_errors();
    html(&ModuleForm {
        chrome: Chrome::new(state, title, Some(user), csrf, "/training/modules")
            .with_errors(has_errors),
        form,
        editing,
        kinds: ModuleKind::ALL.map(|k| (k.as_str(), k.label())).to_vec(),
        statuses: ModuleStatus::ALL.map(|s| (s.as_str(), s.label())).to_vec(),
        tag_hint,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("version", "1.0");
    form.set("status", "draft");
    render_module_form(&state, &page.user, &page.csrf, form, None).await
}

/// Checks a module form. `editing` leaves out the code and the version, which are not changed
/// here. Returns the input and the (normalised) first version when everything is right.
async fn validate_module(
    state: &AppState,
    form: &mut FormState,
    editing: bool,
) -> Result<Option<(ModuleInput, String)>, AppError> {
    let code = form.value("code").trim().to_ascii_uppercase();
    if !editing {
        if code.is_empty() {
            form.add_error("code", "Enter a code for the module, for example MASH-IND");
        } else if code.chars().count() > 30
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            form.add_error(
                "code",
                "The code must be 30 characters or fewer, using letters, numbers and hyphens only",
            );
        }
    }
    let title = form.value("title").trim().to_string();
    if title.is_empty() {
        form.add_error("title", "Enter the title of the module");
    } else {
        check_length(form, "title", "the title", 200);
    }
    let summary = form.value("summary").trim().to_string();
    if summary.is_empty() {
        form.add_error("summary", "Enter a summary of what the module covers");
    } else {
        check_length(form, "summary", "the summary", 4000);
    }
    let kind = form.value("kind").parse::<ModuleKind>().ok();
    if kind.is_none() {
        form.add_error("kind", "Select how the module is delivered");
    }
    let link = form.value("external_link").trim().to_string();
    if link.is_empty() {
        if kind == Some(ModuleKind::ELearning) {
            form.add_error(
                "external_link",
                "Enter the link to the e-learning package, starting with https://",
            );
        }
    } else {
        let lower = link.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        let host_ok = rest.is_some_and(|r| {
            let host = r.split(['/', '?', '#']).next().unwrap_or("");
            !host.is_empty() && host.contains('.')
        });
        if !host_ok || link.chars().any(char::is_whitespace) || link.len() > 500 {
            form.add_error(
                "external_link",
                "Enter the link as a full web address starting with https:// or http://, for example https://learning.example.org/course",
            );
        }
    }
    let duration_raw = form.value("duration_minutes").trim().to_string();
    let duration = if duration_raw.is_empty() {
        form.add_error(
            "duration_minutes",
            "Enter the expected duration in minutes, for example 90",
        );
        None
    } else {
        match duration_raw.parse::<i64>() {
            Ok(n) if (1..=6000).contains(&n) => Some(n),
            Ok(_) => {
                form.add_error(
                    "duration_minutes",
                    "The expected duration must be between 1 and 6000 minutes",
                );
                None
            }
            Err(_) => {
                form.add_error(
                    "duration_minutes",
                    "Enter the expected duration as a whole number of minutes, for example 90",
                );
                None
            }
        }
    };
    let owner_raw = form.value("owner_staff_number").trim().to_string();
    let mut owner = None;
    if !owner_raw.is_empty() {
        match StaffNumber::parse(&owner_raw) {
            Err(m) => form.add_error("owner_staff_number", m),
            Ok(sn) => match people::get(&state.store, sn.as_str()).await? {
                None => form.add_error(
                    "owner_staff_number",
                    format!("No one in the directory has staff number {sn}"),
                ),
                Some(p) if !p.active => form.add_error(
                    "owner_staff_number",
                    format!(
                        "{} ({sn}) has left the force; choose a current owner",
                        p.name
                    ),
                ),
                Some(p) => owner = Some(p.id),
            },
        }
    }
    let status = form.value("status").parse::<ModuleStatus>().ok();
    if status.is_none() {
        form.add_error("status", "Select the status of the module");
    }
    let mut version = String::new();
    if !editing {
        match parse_version(form.value("version")) {
            Ok((major, minor)) => version = format_version(major, minor),
            Err(m) => form.add_error("version", m),
        }
    }
    let last_reviewed = date_field(form, "last_reviewed_on", "the date last reviewed", false);
    if last_reviewed.is_some_and(|d| d > today()) {
        form.add_error(
            "last_reviewed_on",
            "The date last reviewed must be today or in the past",
        );
    }
    let review_by = date_field(form, "review_by", "the review-by date", false);
    if let (Some(r), Some(b)) = (last_reviewed, review_by) {
        if b <= r {
            form.add_error(
                "review_by",
                "The review-by date must be after the date last reviewed",
            );
        }
    }
    // Tags: match existing names whatever their case, so "dara" joins "DARA".
    let existing: Vec<Tag> = catalogue::tags(&state.store).await?;
    let mut tags: Vec<String> = Vec::new();
    for raw in form.value("tags").split(';') {
        let t = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.is_empty() {
            continue;
        }
        let name = existing
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case(&t))
            .map(|e| e.name.clone())
            .unwrap_or(t);
        if !tags.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
            tags.push(name);
        }
    }
    if tags.iter().any(|t| t.chars().count() > 100) {
        form.add_error("tags", "Each tag must be 100 characters or fewer");
    }
    let cpd_topic = !form.value("cpd_topic").is_empty();
    if form.has_errors() {
        return Ok(None);
    }
    let (Some(kind), Some(duration), Some(status)) = (kind, duration, status) else {
        return Ok(None);
    };
    Ok(Some((
        ModuleInput {
            code,
            title,
            summary,
            kind: kind.as_str().to_string(),
            external_link: (!link.is_empty()).then_some(link),
            duration_minutes: duration,
            owner_person_id: owner,
            status: status.as_str().to_string(),
            last_reviewed_on: last_reviewed.map(iso),
            review_by: review_by.map(iso),
            tags,
            cpd_topic,
        },
        version,
    )))
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = form_of(&pairs, &MODULE_FIELDS);
    let Some((input, version)) = validate_module(&state, &mut form, false).await? else {
        return render_module_form(&state, &page.user, &page.csrf, form, None).await;
    };
    match catalogue::create_module(&state.store, &page.user.actor(), &input, &version).await {
        Ok(m) => {
            Ok(Redirect::to(&format!("/training/modules/{}?saved=created", m.id)).into_response())
        }
        Err(StoreError::Conflict(msg)) => {
            form.add_error("code", msg);
            render_module_form(&state, &page.user, &page.csrf, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn find_module(state: &AppState, raw_id: &str) -> Result<Module, AppError> {
    catalogue::module(&state.store, path_id(raw_id)?)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let owner_sn = match m.owner_person_id {
        Some(pid) => people::get_by_id(&state.store, pid)
            .await?
            .map(|p| p.staff_number)
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut form = FormState::default();
    form.set("title", &m.title);
    form.set("summary", &m.summary);
    form.set("kind", &m.kind);
    form.set("external_link", m.external_link.clone().unwrap_or_default());
    form.set("duration_minutes", m.duration_minutes.to_string());
    form.set("owner_staff_number", owner_sn);
    form.set("status", &m.status);
    form.set("last_reviewed_on", uk_text(m.last_reviewed_on.as_deref()));
    form.set("review_by", uk_text(m.review_by.as_deref()));
    form.set("tags", m.tag_list().join("; "));
    form.set("cpd_topic", if m.cpd_topic { "yes" } else { "" });
    render_module_form(&state, &page.user, &page.csrf, form, Some((m.id, m.code))).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let mut form = form_of(&pairs, &MODULE_FIELDS);
    let editing = Some((m.id, m.code.clone()));
    let Some((mut input, _)) = validate_module(&state, &mut form, true).await? else {
        return render_module_form(&state, &page.user, &page.csrf, form, editing).await;
    };
    input.code = m.code.clone();
    catalogue::update_module(&state.store, &page.user.actor(), m.id, &input).await?;
    Ok(Redirect::to(&format!("/training/modules/{}?saved=changed", m.id)).into_response())
}

// ---------------------------------------------------------------------------------------------
// One module: details, versions, publishing and reviews

pub struct VersionView {
    pub version: String,
    pub published: String,
    pub by: String,
    pub note: String,
    pub trained: i64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_module.html")]
struct ModulePage {
    chrome: Chrome,
    v: ModuleView,
    owner_sn: Option<String>,
    tags: Vec<(Option<i64>, String)>,
    versions: Vec<VersionView>,
    can_manage: bool,
    publish: FormState,
    reviewed: FormState,
    saved: Option<&'static str>,
}

impl ModulePage {
    fn version_hint(&self) -> String {
        format!(
            "Later than the current version {}, written as MAJOR.MINOR",
            self.v.m.version
        )
    }
}

fn publish_defaults(m: &Module) -> FormState {
    let today = today();
    let mut f = FormState::default();
    f.set("version", next_version(&m.version));
    f.set("change_note", "");
    f.set("publish_reviewed_on", uk(today));
    f.set("publish_review_by", uk(add_months(today, 12)));
    f
}

fn reviewed_defaults() -> FormState {
    let today = today();
    let mut f = FormState::default();
    f.set("reviewed_on", uk(today));
    f.set("next_review_by", uk(add_months(today, 12)));
    f
}

async fn render_module(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    m: Module,
    publish: Option<FormState>,
    reviewed: Option<FormState>,
    saved: Option<&'static str>,
) -> Result<Response, AppError> {
    let can_manage = user.can(Capability::TrainingManage);
    let versions = catalogue::versions(&state.store, m.id)
        .await?
        .into_iter()
        .map(|v| VersionView {
            current: v.version == m.version,
            published: long_date(&v.published_at),
            version: v.version,
            by: v.published_by,
            note: v.change_note,
            trained: v.trained,
        })
        .collect();
    let all_tags = catalogue::tags(&state.store).await?;
    let tags = m
        .tag_list()
        .into_iter()
        .map(|name| {
            (
                all_tags.iter().find(|t| t.name == name).map(|t| t.id),
                name.to_string(),
            )
        })
        .collect();
    let owner_sn = match m.owner_person_id {
        Some(pid) => people::get_by_id(&state.store, pid)
            .await?
            .map(|p| p.staff_number),
        None => None,
    };
    let has_errors = publish.as_ref().is_some_and(FormState::has_errors)
        || reviewed.as_ref().is_some_and(FormState::has_errors);
    let publish = publish.unwrap_or_else(|| publish_defaults(&m));
    let reviewed = reviewed.unwrap_or_else(reviewed_defaults);
    html(&ModulePage {
        chrome: Chrome::new(
            state,
            m.title.clone(),
            Some(user),
            csrf,
            "/training/modules",
        )
        .with_errors(has_errors),
        v: ModuleView::of(m, today()),
        owner_sn,
        tags,
        versions,
        can_manage,
        publish,
        reviewed,
        saved,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::CatalogueView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let saved = saved_message(
        raw.as_deref(),
        &[
            ("created", "The module has been added."),
            ("changed", "The module has been saved."),
            (
                "published",
                "The new version has been published. The earlier versions are kept below.",
            ),
            ("reviewed", "The module has been marked as reviewed."),
            (
                "reviewed-flagged",
                "The module has been marked as reviewed, but the review was before the latest change in guidance, so it is still flagged.",
            ),
        ],
    );
    render_module(&state, &page.user, &page.csrf, m, None, None, saved).await
}

pub async fn publish(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let mut form = form_of(
        &pairs,
        &[
            "version",
            "change_note",
            "publish_reviewed_on",
            "publish_review_by",
        ],
    );
    let mut version = String::new();
    match parse_version(form.value("version")) {
        Err(msg) => form.add_error("version", msg),
        Ok(new) => {
            version = format_version(new.0, new.1);
            if let Ok(current) = parse_version(&m.version) {
                if new <= current {
                    form.add_error(
                        "version",
                        format!(
                            "The new version must be later than the current version {}, for example {}",
                            m.version,
                            next_version(&m.version)
                        ),
                    );
                }
            }
        }
    }
    let note = form.value("change_note").trim().to_string();
    if note.is_empty() {
        form.add_error("change_note", "Enter what changed in this version");
    } else {
        check_length(&mut form, "change_note", "the change note", 2000);
    }
    let reviewed_on = date_field(
        &mut form,
        "publish_reviewed_on",
        "the date the content was reviewed",
        true,
    );
    if reviewed_on.is_some_and(|d| d > today()) {
        form.add_error(
            "publish_reviewed_on",
            "The date reviewed must be today or in the past",
        );
    }
    let review_by = date_field(
        &mut form,
        "publish_review_by",
        "the next review-by date",
        true,
    );
    if let (Some(r), Some(b)) = (reviewed_on, review_by) {
        if b <= r {
            form.add_error(
                "publish_review_by",
                "The next review-by date must be after the date reviewed",
            );
        }
    }
    let (Some(reviewed_on), Some(review_by)) = (reviewed_on, review_by) else {
        return render_module(&state, &page.user, &page.csrf, m, Some(form), None, None).await;
    };
    if form.has_errors() {
        return render_module(&state, &page.user, &page.csrf, m, Some(form), None, None).await;
    }
    match catalogue::publish_version(
        &state.store,
        &page.user.actor(),
        m.id,
        &version,
        &note,
        &iso(reviewed_on),
        Some(&iso(review_by)),
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/training/modules/{}?saved=published", m.id)).into_response(),
        ),
        Err(StoreError::Conflict(msg)) => {
            form.add_error("version", msg);
            render_module(&state, &page.user, &page.csrf, m, Some(form), None, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn reviewed(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let mut form = form_of(&pairs, &["reviewed_on", "next_review_by"]);
    let reviewed_on = date_field(&mut form, "reviewed_on", "the date reviewed", true);
    if reviewed_on.is_some_and(|d| d > today()) {
        form.add_error(
            "reviewed_on",
            "The date reviewed must be today or in the past",
        );
    }
    let review_by = date_field(&mut form, "next_review_by", "the next review-by date", true);
    if let (Some(r), Some(b)) = (reviewed_on, review_by) {
        if b <= r {
            form.add_error(
                "next_review_by",
                "The next review-by date must be after the date reviewed",
            );
        }
    }
    let (Some(reviewed_on), Some(review_by)) = (reviewed_on, review_by) else {
        return render_module(&state, &page.user, &page.csrf, m, None, Some(form), None).await;
    };
    if form.has_errors() {
        return render_module(&state, &page.user, &page.csrf, m, None, Some(form), None).await;
    }
    let input = ModuleInput {
        code: m.code.clone(),
        title: m.title.clone(),
        summary: m.summary.clone(),
        kind: m.kind.clone(),
        external_link: m.external_link.clone(),
        duration_minutes: m.duration_minutes,
        owner_person_id: m.owner_person_id,
        status: m.status.clone(),
        last_reviewed_on: Some(iso(reviewed_on)),
        review_by: Some(iso(review_by)),
        tags: m.tag_list().into_iter().map(str::to_string).collect(),
        cpd_topic: m.cpd_topic,
    };
    let after = catalogue::update_module(&state.store, &page.user.actor(), m.id, &input).await?;
    // A review before the latest change in guidance does not clear its flag: say so.
    let saved = if after.guidance_flag.is_some() {
        "reviewed-flagged"
    } else {
        "reviewed"
    };
    Ok(Redirect::to(&format!("/training/modules/{}?saved={saved}", m.id)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Changes in legislation and guidance

pub struct TagView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub modules: i64,
    pub last_change: String,
}

impl TagView {
    fn of(t: Tag) -> TagView {
        TagView {
            id: t.id,
            name: t.name,
            description: t.description,
            modules: t.modules,
            last_change: t
                .last_change
                .as_deref()
                .map(with_long_dates)
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_guidance.html")]
struct GuidancePage {
    chrome: Chrome,
    tags: Vec<TagView>,
    form: FormState,
}

impl GuidancePage {
    fn tag_selected(&self, id: &i64) -> bool {
        self.form.value("tag_id") == id.to_string()
    }
}

async fn render_guidance(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let tags = catalogue::tags(&state.store)
        .await?
        .into_iter()
        .map(TagView::of)
        .collect();
    let has_errors = form.has_errors();
    html(&GuidancePage {
        chrome: Chrome::new(
            state,
            "Legislation and guidance",
            Some(user),
            csrf,
            "/training/guidance",
        )
        .with_errors(has_errors),
        tags,
        form,
    })
}

pub async fn guidance(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("changed_on", uk(today()));
    render_guidance(&state, &page.user, &page.csrf, form).await
}

pub struct TrainedView {
    pub module_id: Option<i64>,
    pub module_code: String,
    pub module_title: String,
    pub staff_number: String,
    pub name: String,
    pub version: String,
    pub current_version: bool,
    pub completed_on: String,
    pub profiles: String,
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_guidance_tag.html")]
struct GuidanceTagPage {
    chrome: Chrome,
    tag: TagView,
    /// The change just recorded, when this page answers the form.
    recorded: Option<String>,
    modules: Vec<ModuleView>,
    people: Vec<TrainedView>,
    /// Role profiles held now by the people listed, with how many of them hold each.
    roles: Vec<(String, usize)>,
}

async fn render_guidance_tag(
    state: &AppState,
    page: &Page<cap::TrainingManage>,
    tag_id: i64,
    trained: Vec<TrainedPerson>,
    recorded: Option<String>,
) -> Result<Response, AppError> {
    let tag = catalogue::tags(&state.store)
        .await?
        .into_iter()
        .find(|t| t.id == tag_id)
        .ok_or(AppError::NotFound)?;
    let today = today();
    let modules: Vec<ModuleView> = catalogue::modules(&state.store, true)
        .await?
        .into_iter()
        .filter(|m| m.tag_list().contains(&tag.name.as_str()))
        .map(|m| ModuleView::of(m, today))
        .collect();
    let mut roles: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: Vec<&str> = Vec::new();
    for t in &trained {
        if seen.contains(&t.staff_number.as_str()) {
            continue;
        }
        seen.push(&t.staff_number);
        for p in t.profiles.split(';').filter(|p| !p.trim().is_empty()) {
            *roles.entry(p.trim().to_string()).or_default() += 1;
        }
    }
    let people = trained
        .iter()
        .map(|t| {
            let module = modules.iter().find(|v| v.m.code == t.module_code);
            TrainedView {
                module_id: module.map(|v| v.m.id),
                module_code: t.module_code.clone(),
                module_title: t.module_title.clone(),
                staff_number: t.staff_number.clone(),
                name: t.name.clone(),
                current_version: module.is_some_and(|v| v.m.version == t.module_version),
                version: t.module_version.clone(),
                completed_on: long_date(&t.completed_on),
                profiles: t
                    .profiles
                    .split(';')
                    .filter(|p| !p.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    // The list names people: viewing it is recorded, like viewing the people list.
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "guidance.view",
            format!(
                "Viewed who trained on modules tagged {} ({} records)",
                tag.name,
                trained.len()
            ),
        )
        .on("guidance", &tag.name),
    )
    .await?;
    html(&GuidanceTagPage {
        chrome: Chrome::new(
            state,
            tag.name.clone(),
            Some(&page.user),
            &page.csrf,
            "/training/guidance",
        ),
        tag: TagView::of(tag),
        recorded,
        modules,
        people,
        roles: roles.into_iter().collect(),
    })
}

pub async fn record_change(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = form_of(&pairs, &["tag_id", "changed_on", "note"]);
    let tags = catalogue::tags(&state.store).await?;
    let tag = form
        .value("tag_id")
        .parse::<i64>()
        .ok()
        .and_then(|id| tags.iter().find(|t| t.id == id));
    if tag.is_none() {
        form.add_error(
            "tag_id",
            "Select the legislation or guidance that has changed",
        );
    }
    let changed_on = date_field(&mut form, "changed_on", "the date it changed", true);
    let note = form.value("note").trim().to_string();
    if note.is_empty() {
        form.add_error("note", "Enter what changed");
    } else {
        check_length(&mut form, "note", "what changed", 2000);
    }
    let (Some(tag), Some(changed_on), false) = (tag, changed_on, form.has_errors()) else {
        return render_guidance(&state, &page.user, &page.csrf, form).await;
    };
    let tag_id = tag.id;
    let trained = catalogue::record_guidance_change(
        &state.store,
        &page.user.actor(),
        tag_id,
        &iso(changed_on),
        &note,
    )
    .await?;
    let recorded = format!(
        "Recorded a change on {}: {note}",
        format_date_long(changed_on)
    );
    render_guidance_tag(&state, &page, tag_id, trained, Some(recorded)).await
}

pub async fn guidance_tag(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    if !catalogue::tags(&state.store)
        .await?
        .iter()
        .any(|t| t.id == id)
    {
        return Err(AppError::NotFound);
    }
    let trained = catalogue::trained_on_tag(&state.store, id).await?;
    render_guidance_tag(&state, &page, id, trained, None).await
}

// ---------------------------------------------------------------------------------------------
// Role profiles and their programmes

#[derive(Template)]
#[template(path = "catalogue/catalogue_profiles.html")]
struct ProfilesPage {
    chrome: Chrome,
    rows: Vec<Profile>,
    form: FormState,
}

async fn render_profiles(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let has_errors = form.has_errors();
    html(&ProfilesPage {
        chrome: Chrome::new(
            state,
            "Role profiles",
            Some(user),
            csrf,
            "/training/profiles",
        )
        .with_errors(has_errors),
        rows: programmes::profiles(&state.store).await?,
        form,
    })
}

pub async fn profiles_list(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    render_profiles(&state, &page.user, &page.csrf, FormState::default()).await
}

pub async fn create_profile(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = form_of(&pairs, &["profile_code", "profile_name", "description"]);
    let code = form.value("profile_code").trim().to_ascii_uppercase();
    if code.is_empty() {
        form.add_error(
            "profile_code",
            "Enter a code for the role profile, for example MASH-RES",
        );
    } else if code.chars().count() > 30
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        form.add_error(
            "profile_code",
            "The code must be 30 characters or fewer, using letters, numbers and hyphens only",
        );
    }
    let name = form.value("profile_name").trim().to_string();
    if name.is_empty() {
        form.add_error("profile_name", "Enter the name of the role profile");
    } else {
        check_length(&mut form, "profile_name", "the name", 200);
    }
    check_length(&mut form, "description", "the description", 2000);
    if form.has_errors() {
        return render_profiles(&state, &page.user, &page.csrf, form).await;
    }
    let description = form.value("description").trim().to_string();
    match programmes::create_profile(&state.store, &page.user.actor(), &code, &name, &description)
        .await
    {
        Ok(id) => {
            Ok(Redirect::to(&format!("/training/profiles/{id}?saved=created")).into_response())
        }
        Err(StoreError::Conflict(msg)) => {
            form.add_error("profile_code", msg);
            render_profiles(&state, &page.user, &page.csrf, form).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct ItemView {
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    pub due: String,
    pub renewal: String,
    /// The module as the catalogue shows it (for its review state), if it is still there.
    pub module: Option<ModuleView>,
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_profile.html")]
struct ProfilePage {
    chrome: Chrome,
    p: Profile,
    items: Vec<ItemView>,
    /// Live modules that can be added: (id, code, title).
    options: Vec<(i64, String, String)>,
    form: FormState,
    saved: Option<&'static str>,
}

impl ProfilePage {
    fn checked(&self, name: &str, value: &str) -> bool {
        self.form.value(name) == value
    }
    fn module_selected(&self, id: &i64) -> bool {
        self.form.value("module_id") == id.to_string()
    }
}

const ITEM_FIELDS: [&str; 8] = [
    "module_id",
    "due_kind",
    "due_days",
    "due_date",
    "renewal_kind",
    "renewal_months",
    "window_from",
    "window_to",
];

fn item_defaults() -> FormState {
    let mut f = FormState::default();
    f.set("due_kind", "days");
    f.set("renewal_kind", "none");
    f
}

/// The form filled in with a programme item's current rules, to change them.
fn item_form(module_id: i64, due: &str, renewal: &str) -> FormState {
    let mut f = FormState::default();
    f.set("module_id", module_id.to_string());
    match DueRule::parse(due) {
        Ok(DueRule::ByDate(d)) => {
            f.set("due_kind", "date");
            f.set("due_date", uk(d));
        }
        Ok(DueRule::WithinDays(n)) => {
            f.set("due_kind", "days");
            f.set("due_days", n.to_string());
        }
        Err(_) => f.set("due_kind", "days"),
    }
    match RenewalRule::parse(renewal) {
        Ok(RenewalRule::Rolling { months }) => {
            f.set("renewal_kind", "rolling");
            f.set("renewal_months", months.to_string());
        }
        Ok(RenewalRule::AnnualWindow { from, to }) => {
            f.set("renewal_kind", "window");
            f.set(
                "window_from",
                format!("{:02}/{:02}", from.1, u8::from(from.0)),
            );
            f.set("window_to", format!("{:02}/{:02}", to.1, u8::from(to.0)));
        }
        _ => f.set("renewal_kind", "none"),
    }
    f
}

async fn render_profile(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    p: Profile,
    form: Option<FormState>,
    saved: Option<&'static str>,
) -> Result<Response, AppError> {
    let today = today();
    let modules = catalogue::modules(&state.store, true).await?;
    let items = programmes::items(&state.store, p.id)
        .await?
        .into_iter()
        .map(|i| ItemView {
            due: DueRule::parse(&i.due_rule)
                .map(|r| r.describe())
                .unwrap_or_else(|_| i.due_rule.clone()),
            renewal: RenewalRule::parse(&i.renewal_rule)
                .map(|r| r.describe())
                .unwrap_or_else(|_| i.renewal_rule.clone()),
            module: modules
                .iter()
                .find(|m| m.id == i.module_id)
                .cloned()
                .map(|m| ModuleView::of(m, today)),
            module_id: i.module_id,
            module_code: i.module_code,
            module_title: i.module_title,
        })
        .collect();
    let options = modules
        .into_iter()
        .filter(|m| m.status == ModuleStatus::Live.as_str())
        .map(|m| (m.id, m.code, m.title))
        .collect();
    let has_errors = form.as_ref().is_some_and(FormState::has_errors);
    html(&ProfilePage {
        chrome: Chrome::new(
            state,
            p.name.clone(),
            Some(user),
            csrf,
            "/training/profiles",
        )
        .with_errors(has_errors),
        p,
        items,
        options,
        form: form.unwrap_or_else(item_defaults),
        saved,
    })
}

async fn find_profile(state: &AppState, raw_id: &str) -> Result<Profile, AppError> {
    programmes::profile(&state.store, path_id(raw_id)?)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn profile_page(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p = find_profile(&state, &id).await?;
    let saved = saved_message(
        raw.as_deref(),
        &[
            (
                "created",
                "The role profile has been added. Now add its modules.",
            ),
            ("item", "The programme has been saved."),
            ("removed", "The module has been removed from the programme."),
        ],
    );
    // "Change" links fill the form with a module's current rules.
    let change = field(&query_pairs(raw.as_deref()), "change")
        .parse::<i64>()
        .ok();
    let form = match change {
        Some(module_id) => programmes::items(&state.store, p.id)
            .await?
            .into_iter()
            .find(|i| i.module_id == module_id)
            .map(|i| item_form(i.module_id, &i.due_rule, &i.renewal_rule)),
        None => None,
    };
    render_profile(&state, &page.user, &page.csrf, p, form, saved).await
}

/// "01/04" or "1/4" as (month, day); only the shape is checked here, the domain checks the day.
fn day_month(raw: &str) -> Option<(u8, u8)> {
    let (d, m) = raw.trim().split_once('/')?;
    let ok = |s: &str| !s.is_empty() && s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit());
    if !ok(d) || !ok(m) {
        return None;
    }
    Some((m.parse().ok()?, d.parse().ok()?))
}

/// Reads the due and renewal parts of the form into the stored rules, checked by the domain.
fn build_rules(form: &mut FormState) -> Option<(String, String)> {
    let due = match form.value("due_kind") {
        "days" => {
            let raw = form.value("due_days").trim().to_string();
            if raw.is_empty() {
                form.add_error(
                    "due_days",
                    "Enter the number of days after starting the role, for example 90",
                );
                None
            } else if !raw.chars().all(|c| c.is_ascii_digit()) {
                form.add_error(
                    "due_days",
                    "Enter the number of days as a whole number, for example 90",
                );
                None
            } else {
                match DueRule::parse(&format!("days:{raw}")) {
                    Ok(r) => Some(r),
                    Err(_) => {
                        form.add_error(
                            "due_days",
                            format!("The number of days must be {MAX_DUE_DAYS} or fewer"),
                        );
                        None
                    }
                }
            }
        }
        "date" => match date_field(form, "due_date", "the date it is due by", true) {
            Some(d) => match DueRule::parse(&format!("date:{}", iso(d))) {
                Ok(r) => Some(r),
                Err(m) => {
                    form.add_error("due_date", m);
                    None
                }
            },
            None => None,
        },
        _ => {
            form.add_error("due_kind", "Select when the module is due");
            None
        }
    };
    let renewal = match form.value("renewal_kind") {
        "none" => Some(RenewalRule::None),
        "rolling" => {
            let raw = form.value("renewal_months").trim().to_string();
            if raw.is_empty() || !raw.chars().all(|c| c.is_ascii_digit()) {
                form.add_error(
                    "renewal_months",
                    "Enter how many months after completing it the module must be renewed, for example 12",
                );
                None
            } else {
                match RenewalRule::parse(&format!("rolling:{raw}")) {
                    Ok(r) => Some(r),
                    Err(_) => {
                        form.add_error(
                            "renewal_months",
                            format!(
                                "The number of months must be between 1 and {MAX_RENEWAL_MONTHS}"
                            ),
                        );
                        None
                    }
                }
            }
        }
        "window" => {
            // Each bound is read for its shape here and checked as a real day by the domain.
            let mut bound = |name: &str, which: &str, example: &str| -> Option<String> {
                let checked = day_month(form.value(name))
                    .map(|(m, d)| format!("{m:02}-{d:02}"))
                    .filter(|md| RenewalRule::parse(&format!("window:{md}..{md}")).is_ok());
                if checked.is_none() {
                    form.add_error(
                        name,
                        format!("Enter the {which} day of the window as a real day and month, for example {example}"),
                    );
                }
                checked
            };
            let from = bound("window_from", "first", "01/04");
            let to = bound("window_to", "last", "30/06");
            match (from, to) {
                (Some(f), Some(t)) => match RenewalRule::parse(&format!("window:{f}..{t}")) {
                    Ok(r) => Some(r),
                    Err(m) => {
                        form.add_error("window_to", m);
                        None
                    }
                },
                _ => None,
            }
        }
        _ => {
            form.add_error("renewal_kind", "Select how often the module is renewed");
            None
        }
    };
    Some((due?.encode(), renewal?.encode()))
}

pub async fn set_item(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let p = find_profile(&state, &id).await?;
    let mut form = form_of(&pairs, &ITEM_FIELDS);
    let live: Vec<i64> = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| m.status == ModuleStatus::Live.as_str())
        .map(|m| m.id)
        .collect();
    let module_id = form
        .value("module_id")
        .parse::<i64>()
        .ok()
        .filter(|id| live.contains(id));
    if module_id.is_none() {
        form.add_error("module_id", "Select a live module from the catalogue");
    }
    let rules = build_rules(&mut form);
    let (Some(module_id), Some((due, renewal)), false) = (module_id, rules, form.has_errors())
    else {
        return render_profile(&state, &page.user, &page.csrf, p, Some(form), None).await;
    };
    match programmes::set_item(
        &state.store,
        &page.user.actor(),
        p.id,
        module_id,
        &due,
        &renewal,
    )
    .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/training/profiles/{}?saved=item", p.id)).into_response())
        }
        Err(StoreError::Invalid(msg)) => {
            form.add_error("module_id", msg);
            render_profile(&state, &page.user, &page.csrf, p, Some(form), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_item(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path((id, module_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = find_profile(&state, &id).await?;
    let module_id = path_id(&module_id)?;
    programmes::remove_item(&state.store, &page.user.actor(), p.id, module_id).await?;
    Ok(Redirect::to(&format!("/training/profiles/{}?saved=removed", p.id)).into_response())
}
