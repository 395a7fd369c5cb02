//! Creating and changing a requirement, and switching it on or off.

use super::*;

// ---------------------------------------------------------------------------------------------
// Create and edit

/// Fields of one clause in the form.
pub(super) const CLAUSE_FIELDS: [(&str, &str); 8] = [
    ("ranks", "Ranks"),
    ("profiles", "Role profile codes"),
    ("departments", "Departments"),
    ("cohort_prefixes", "Cohorts starting with"),
    ("cohort_contains", "Cohorts containing"),
    ("started_from", "Started on or after"),
    ("started_to", "Started on or before"),
    ("in_post_on", "In post on"),
];

pub(super) struct ClauseView {
    pub(super) n: usize,
    pub(super) fields: Vec<(String, &'static str, String)>,
    pub(super) transferees: String,
}

pub(super) struct ModuleChoice {
    pub(super) id: i64,
    pub(super) label: String,
    pub(super) counts_as: String,
}

#[derive(Template)]
#[template(path = "coverage/coverage_form.html")]
pub(super) struct FormPage {
    pub(super) chrome: Chrome,
    pub(super) form: FormState,
    pub(super) id: Option<i64>,
    pub(super) clauses: Vec<ClauseView>,
    pub(super) modules: Vec<ModuleChoice>,
    pub(super) transferee_options: Vec<(&'static str, &'static str)>,
    pub(super) counts_options: Vec<(&'static str, &'static str)>,
    pub(super) active: bool,
}

pub(super) fn join(v: &[String]) -> String {
    v.join(", ")
}

pub(super) fn date_text(d: Option<Date>) -> String {
    d.map(|d| format!("{:02}/{:02}/{:04}", d.day(), u8::from(d.month()), d.year()))
        .unwrap_or_default()
}

/// The form's values for a stored requirement.
pub(super) fn form_of_requirement(r: &Requirement) -> Vec<(String, String)> {
    let mut v = vec![
        ("code".to_string(), r.code.clone()),
        ("name".to_string(), r.name.clone()),
        ("description".to_string(), r.description.clone()),
    ];
    for (i, c) in r.rule.clauses.iter().enumerate() {
        let p = |f: &str| format!("c{i}_{f}");
        v.push((p("ranks"), join(&c.ranks)));
        v.push((p("profiles"), join(&c.role_profiles)));
        v.push((p("departments"), join(&c.departments)));
        v.push((p("cohort_prefixes"), join(&c.cohort_prefixes)));
        v.push((p("cohort_contains"), join(&c.cohort_contains)));
        v.push((p("started_from"), date_text(c.started_from)));
        v.push((p("started_to"), date_text(c.started_to)));
        v.push((p("in_post_on"), date_text(c.in_post_on)));
        v.push((p("transferees"), c.transferees.as_str().to_string()));
    }
    for m in &r.modules {
        v.push((
            format!("m{}", m.module_id),
            m.counts_as.as_str().to_string(),
        ));
    }
    v
}

pub(super) fn clause_count(pairs: &[(String, String)]) -> usize {
    pairs
        .iter()
        .filter_map(|(k, _)| {
            k.strip_prefix('c')?
                .split_once('_')?
                .0
                .parse::<usize>()
                .ok()
        })
        .max()
        .map_or(0, |m| m + 1)
}

pub(super) async fn render_form(
    state: &AppState,
    page: &Page<cap::SessionsManage>,
    id: Option<i64>,
    active: bool,
    pairs: &[(String, String)],
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    for (k, v) in pairs {
        form.set(k, v.clone());
    }
    form.errors = errors;
    // The clauses given, and one more blank one to add.
    let n = (clause_count(pairs) + 1).min(8);
    let clauses = (0..n)
        .map(|i| ClauseView {
            n: i + 1,
            fields: CLAUSE_FIELDS
                .iter()
                .map(|(f, label)| {
                    let name = format!("c{i}_{f}");
                    let value = form.value(&name).to_string();
                    (name, *label, value)
                })
                .collect(),
            transferees: form.value(&format!("c{i}_transferees")).to_string(),
        })
        .collect();
    let modules = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .map(|m| ModuleChoice {
            id: m.id,
            counts_as: form.value(&format!("m{}", m.id)).to_string(),
            label: format!("{}: {}", m.code, m.title),
        })
        .collect();
    let title = if id.is_some() {
        "Change a coverage requirement"
    } else {
        "Add a coverage requirement"
    };
    let has_errors = form.has_errors();
    html(&FormPage {
        chrome: Chrome::new(state, title, Some(&page.user), &page.csrf, "/coverage")
            .with_errors(has_errors),
        form,
        id,
        clauses,
        modules,
        transferee_options: Transferees::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        counts_options: CountsAs::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        active,
    })
}

pub(super) fn list_of(s: &str) -> Vec<String> {
    s.split([',', ';', '\n'])
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// Reads the form; errors name the field.
pub(super) fn read_form(pairs: &[(String, String)]) -> (RequirementInput, Vec<(String, String)>) {
    let mut errors = Vec::new();
    let mut clauses = Vec::new();
    for i in 0..clause_count(pairs) {
        let f = |name: &str| field_str(pairs, &format!("c{i}_{name}")).to_string();
        let mut date = |name: &str, label: &str| -> Option<Date> {
            let raw = f(name);
            if raw.is_empty() {
                return None;
            }
            match parse_date(&raw) {
                Ok(d) => Some(d),
                Err(m) => {
                    errors.push((
                        format!("c{i}_{name}"),
                        format!("Clause {}, {}: {m}", i + 1, label.to_lowercase()),
                    ));
                    None
                }
            }
        };
        let clause = Clause {
            ranks: list_of(&f("ranks")),
            role_profiles: list_of(&f("profiles")),
            departments: list_of(&f("departments")),
            cohort_prefixes: list_of(&f("cohort_prefixes")),
            cohort_contains: list_of(&f("cohort_contains")),
            started_from: date("started_from", "Started on or after"),
            started_to: date("started_to", "Started on or before"),
            in_post_on: date("in_post_on", "In post on"),
            transferees: Transferees::parse(&f("transferees")).unwrap_or_default(),
        };
        // A clause left blank (the spare one) is not a clause.
        if !clause.is_empty() {
            clauses.push(clause);
        }
    }
    let mut modules = Vec::new();
    for (k, v) in pairs {
        if let Some(id) = k.strip_prefix('m').and_then(|s| s.parse::<i64>().ok()) {
            if let Some(c) = CountsAs::parse(v) {
                modules.push((id, c));
            }
        }
    }
    (
        RequirementInput {
            code: field_str(pairs, "code").to_string(),
            name: field_str(pairs, "name").to_string(),
            description: field_str(pairs, "description").to_string(),
            rule: Rule { clauses },
            modules,
        },
        errors,
    )
}

/// Which field a store refusal is about, for the error summary link.
pub(super) fn field_of(message: &str) -> &'static str {
    let m = message.to_lowercase();
    if m.contains("code") {
        "code"
    } else if m.contains("name for") {
        "name"
    } else if m.contains("module") {
        "modules"
    } else {
        "c0_ranks"
    }
}

pub(super) async fn save(
    state: &AppState,
    page: &Page<cap::SessionsManage>,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let (input, errors) = read_form(&pairs);
    let active = match id {
        Some(id) => {
            store::requirement(&state.store, id)
                .await?
                .ok_or(AppError::NotFound)?
                .active
        }
        None => true,
    };
    if !errors.is_empty() {
        return render_form(state, page, id, active, &pairs, errors).await;
    }
    let actor = page.user.actor();
    let result = match id {
        Some(id) => store::update_requirement(&state.store, &actor, id, &input)
            .await
            .map(|_| id),
        None => store::create_requirement(&state.store, &actor, &input).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/coverage/{id}")).into_response()),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            let f = field_of(&m);
            render_form(state, page, id, active, &pairs, vec![(f.to_string(), m)]).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
) -> Result<Response, AppError> {
    render_form(&state, &page, None, true, &[], Vec::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    save(&state, &page, None, pairs).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let req = load_requirement(&state, &id).await?;
    let pairs = form_of_requirement(&req);
    render_form(&state, &page, Some(req.id), req.active, &pairs, Vec::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    save(&state, &page, Some(id), pairs).await
}

pub async fn set_active(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let req = load_requirement(&state, &id).await?;
    let active = field_str(&pairs, "active") == "1";
    store::set_active(&state.store, &page.user.actor(), req.id, active).await?;
    Ok(Redirect::to(&format!("/coverage/{}", req.id)).into_response())
}
