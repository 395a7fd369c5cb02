//! Writing a knowledge check: creating, editing and its questions.

use super::*;

#[derive(Template)]
#[template(path = "learning/checks_form.html")]
pub(super) struct FormPage {
    pub(super) chrome: Chrome,
    pub(super) form: FormState,
    pub(super) modules: Vec<Module>,
    pub(super) check: Option<Check>,
    pub(super) question: FormState,
    pub(super) option_rows: Vec<usize>,
    pub(super) saved: String,
}

impl FormPage {
    fn module_selected(&self, id: &i64) -> bool {
        self.form.value("module_id") == id.to_string()
    }
    fn option_value(&self, i: &usize) -> String {
        self.question.value(&format!("option_{i}")).to_string()
    }
    fn option_correct(&self, i: &usize) -> bool {
        !self.question.value(&format!("correct_{i}")).is_empty()
    }
}

/// Reads the check's form; `modules` are the ids of the catalogue's modules, retired ones
/// included (a module that is not one of them is refused, not left to the database).
pub(super) fn read_check(
    pairs: &[(String, String)],
    modules: &[i64],
) -> Result<CheckInput, FormState> {
    let mut form = FormState::default();
    for n in ["title", "description", "module_id", "pass_mark", "active"] {
        form.set(n, raw_field(pairs, n).trim());
    }
    let title = form.value("title").to_string();
    if title.is_empty() {
        form.add_error("title", "Enter the check's title");
    } else if title.chars().count() > 200 {
        form.add_error("title", "The title must be 200 characters or fewer");
    }
    let description = form.value("description").to_string();
    if description.chars().count() > 2000 {
        form.add_error(
            "description",
            "The description must be 2000 characters or fewer",
        );
    }
    let module_id = match form.value("module_id") {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(v) if modules.contains(&v) => Some(v),
            _ => {
                form.add_error("module_id", "Choose a module from the list");
                None
            }
        },
    };
    let pass = match rules::parse_pass_mark(form.value("pass_mark")) {
        Ok(v) => v,
        Err(m) => {
            form.add_error("pass_mark", m);
            0
        }
    };
    if form.has_errors() {
        return Err(form);
    }
    Ok(CheckInput {
        module_id,
        title,
        description,
        pass_mark_pct: pass,
        active: !form.value("active").is_empty(),
    })
}

/// The ids of every module of the catalogue, retired ones included.
async fn module_ids(state: &AppState) -> Result<Vec<i64>, AppError> {
    Ok(catalogue::modules(&state.store, true)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

pub(super) async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    check: Option<Check>,
    question: FormState,
    saved: String,
) -> Result<Response, AppError> {
    let modules = catalogue::modules(&state.store, false).await?;
    let title = match &check {
        Some(c) => c.summary.title.clone(),
        None => "New knowledge check".to_string(),
    };
    let errors = form.has_errors() || question.has_errors();
    html(&FormPage {
        chrome: Chrome::new(state, title, Some(user), csrf, "/training/checks").with_errors(errors),
        form,
        modules,
        check,
        question,
        option_rows: (1..=OPTION_ROWS).collect(),
        saved,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("pass_mark", "80");
    form.set("active", "1");
    if let Some(m) = query(raw.as_deref(), "module") {
        form.set("module_id", m);
    }
    render_form(
        &state,
        &page.user,
        &page.csrf,
        form,
        None,
        FormState::default(),
        String::new(),
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input = match read_check(&pairs, &module_ids(&state).await?) {
        Ok(i) => i,
        Err(form) => {
            return render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                None,
                FormState::default(),
                String::new(),
            )
            .await
        }
    };
    let id = checks::create(&state.store, &page.user.actor(), &input, &[]).await?;
    Ok(Redirect::to(&format!("/training/checks/{id}?saved=created")).into_response())
}

pub(super) fn check_form(c: &CheckSummary) -> FormState {
    let mut form = FormState::default();
    form.set("title", c.title.clone());
    form.set("description", c.description.clone());
    form.set(
        "module_id",
        c.module_id.map(|m| m.to_string()).unwrap_or_default(),
    );
    form.set("pass_mark", c.pass_mark_pct.to_string());
    form.set("active", if c.active { "1" } else { "" });
    form
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let check = checks::get(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let saved = match query(raw.as_deref(), "saved").as_deref() {
        Some("created") => "The check has been created. Add its questions below.",
        Some("details") => "The check's details have been saved.",
        Some("question") => "The question has been added.",
        Some("removed") => "The question has been removed.",
        _ => "",
    }
    .to_string();
    let mut question = FormState::default();
    question.set("kind", "single");
    render_form(
        &state,
        &page.user,
        &page.csrf,
        check_form(&check.summary),
        Some(check),
        question,
        saved,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let check = checks::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    match read_check(&pairs, &module_ids(&state).await?) {
        Ok(input) => {
            checks::update(&state.store, &page.user.actor(), id, &input).await?;
            Ok(Redirect::to(&format!("/training/checks/{id}?saved=details")).into_response())
        }
        Err(form) => {
            let mut question = FormState::default();
            question.set("kind", "single");
            render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                Some(check),
                question,
                String::new(),
            )
            .await
        }
    }
}

/// Reads the "add a question" form: the draft, or the form with its errors.
pub(super) fn read_question(pairs: &[(String, String)]) -> Result<QuestionDraft, FormState> {
    let mut form = FormState::default();
    for n in ["text", "kind", "explanation"] {
        form.set(n, raw_field(pairs, n).trim());
    }
    for i in 1..=OPTION_ROWS {
        form.set(
            &format!("option_{i}"),
            raw_field(pairs, &format!("option_{i}")).trim(),
        );
        form.set(
            &format!("correct_{i}"),
            raw_field(pairs, &format!("correct_{i}")),
        );
    }
    let kind = QuestionKind::parse(form.value("kind"));
    if kind.is_none() {
        form.add_error("kind", "Choose whether one answer or several are correct");
    }
    let options: Vec<OptionDraft> = (1..=OPTION_ROWS)
        .filter(|i| !form.value(&format!("option_{i}")).is_empty())
        .map(|i| OptionDraft {
            text: form.value(&format!("option_{i}")).to_string(),
            correct: !form.value(&format!("correct_{i}")).is_empty(),
        })
        .collect();
    let draft = QuestionDraft {
        text: form.value("text").to_string(),
        kind: kind.unwrap_or(QuestionKind::Single),
        explanation: form.value("explanation").to_string(),
        options,
    };
    for e in rules::validate_question(1, &draft) {
        let msg = e
            .strip_prefix("Question 1: ")
            .or_else(|| e.strip_prefix("Question 1, "))
            .unwrap_or(&e);
        let mut msg = msg.to_string();
        if let Some(first) = msg.get(0..1) {
            msg = first.to_uppercase() + &msg[1..];
        }
        let target = if msg.contains("enter the question") || msg.contains("Enter the question") {
            "text"
        } else if msg.contains("explanation") {
            "explanation"
        } else {
            "option_1"
        };
        form.add_error(target, msg);
    }
    if form.has_errors() {
        Err(form)
    } else {
        Ok(draft)
    }
}

pub async fn add_question(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let check = checks::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let draft = match read_question(&pairs) {
        Ok(d) => d,
        Err(q) => {
            let form = check_form(&check.summary);
            return render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                Some(check),
                q,
                String::new(),
            )
            .await;
        }
    };
    match checks::add_question(&state.store, &page.user.actor(), id, &draft).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/training/checks/{id}?saved=question#add")).into_response())
        }
        Err(mashboard_store::StoreError::Conflict(m))
        | Err(mashboard_store::StoreError::Invalid(m)) => {
            let mut q = FormState::default();
            for (k, v) in &pairs {
                if k != "csrf_token" {
                    q.set(k, v.clone());
                }
            }
            q.add_error("text", m);
            let form = check_form(&check.summary);
            render_form(
                &state,
                &page.user,
                &page.csrf,
                form,
                Some(check),
                q,
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_question(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path((id, qid)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    checks::remove_question(&state.store, &page.user.actor(), id, path_id(&qid)?).await?;
    Ok(Redirect::to(&format!("/training/checks/{id}?saved=removed")).into_response())
}
