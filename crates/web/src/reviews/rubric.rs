//! The rubric (GET and POST /quality/rubric): the criteria graders grade against.

use super::*;

#[derive(Template)]
#[template(path = "reviews/rubric.html")]
pub(super) struct RubricPage {
    chrome: Chrome,
    criteria: Vec<Criterion>,
    modules: Vec<(i64, String)>,
    form: FormState,
    done: Option<String>,
}

impl RubricPage {
    fn linked(&self, c: &Criterion, module: &i64) -> bool {
        c.module_id == Some(*module)
    }
}

pub(super) async fn render_rubric(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    done: Option<String>,
) -> Result<Response, AppError> {
    reviews::ensure_rubric(&state.store).await?;
    let criteria = reviews::rubric(&state.store).await?;
    let modules = mashboard_store::training::catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .map(|m| (m.id, m.title))
        .collect();
    let has_errors = form.has_errors();
    html(&RubricPage {
        chrome: Chrome::new(
            state,
            "Grading rubric",
            Some(user),
            csrf,
            "/quality/reviews",
        )
        .with_errors(has_errors),
        criteria,
        modules,
        form,
        done,
    })
}

pub(super) async fn rubric_page(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    render_rubric(
        &state,
        &page.user,
        &page.csrf,
        FormState::default(),
        query(raw.as_deref(), "done"),
    )
    .await
}

pub(super) async fn rubric_save(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    // A module that is not in the catalogue is refused here, not left to the database.
    let module = match field(&pairs, "module_id").as_str() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(m)
                if mashboard_store::training::catalogue::module(&state.store, m)
                    .await?
                    .is_some() =>
            {
                Some(m)
            }
            _ => {
                let mut form = FormState::default();
                form.add_error(&format!("module-{id}"), "Choose the module from the list");
                return render_rubric(&state, &page.user, &page.csrf, form, None).await;
            }
        },
    };
    match reviews::update_criterion(
        &state.store,
        &page.user.actor(),
        id,
        &field(&pairs, "title"),
        &field(&pairs, "descriptor"),
        module,
        field(&pairs, "active") == "1",
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/quality/rubric?done=Criterion+saved").into_response()),
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.add_error(&format!("title-{id}"), m);
            render_rubric(&state, &page.user, &page.csrf, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn rubric_add(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    match reviews::add_criterion(
        &state.store,
        &page.user.actor(),
        &field(&pairs, "title"),
        &field(&pairs, "descriptor"),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/quality/rubric?done=Criterion+added").into_response()),
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            form.set("title", field(&pairs, "title"));
            form.set("descriptor", field(&pairs, "descriptor"));
            form.add_error("title", m);
            render_rubric(&state, &page.user, &page.csrf, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}
