//! Adding and changing a module: the form, its checks against the domain's rules, saving.

#[allow(unused_imports)]
use super::*;

pub(super) const MODULE_FIELDS: [&str; 13] = [
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
pub(super) struct ModuleForm {
    chrome: Chrome,
    form: FormState,
    /// The module being changed, or `None` when adding one.
    editing: Option<(i64, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    tag_hint: String,
}

pub(super) async fn render_module_form(
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
pub(super) async fn validate_module(
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

pub(super) async fn find_module(state: &AppState, raw_id: &str) -> Result<Module, AppError> {
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
