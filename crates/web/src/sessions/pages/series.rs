//! Session series (GET/POST /sessions/series…) and the trainers page.

use super::*;

// ---------------------------------------------------------------------------------------------
// Series and trainers

#[derive(Template)]
#[template(path = "sessions/series_list.html")]
pub(super) struct SeriesListPage {
    pub(super) chrome: Chrome,
    pub(super) series: Vec<Series>,
    pub(super) manage: bool,
    pub(super) form: FormState,
    pub(super) modules: Vec<(i64, String)>,
}

pub(super) async fn render_series_list(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let has = form.has_errors();
    html(&SeriesListPage {
        chrome: Chrome::new(state, "Session series", Some(user), csrf, "/sessions")
            .with_errors(has),
        series: sessions::all_series(&state.store).await?,
        manage: user.can(Capability::SessionsManage),
        form,
        modules: catalogue::modules(&state.store, false)
            .await?
            .into_iter()
            .map(|m| (m.id, format!("{} ({})", m.title, m.code)))
            .collect(),
    })
}

pub async fn series_list(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
) -> Result<Response, AppError> {
    render_series_list(&state, &page.user, &page.csrf, FormState::default()).await
}

pub async fn series_create(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
    Form(pairs): Form<Pairs>,
) -> Result<Response, AppError> {
    let module_id = field(&pairs, "module_id").parse().ok();
    match sessions::create_series(
        &state.store,
        &page.user.actor(),
        &field(&pairs, "name"),
        &field(&pairs, "description"),
        module_id,
    )
    .await
    {
        Ok(id) => Ok(see_other(&format!("/sessions/series/{id}"))),
        Err(SessionError::Invalid(errs)) => {
            let mut form = FormState::default();
            form.set("name", field(&pairs, "name"));
            form.set("description", field(&pairs, "description"));
            for e in errs {
                form.add_error(e.field, e.message);
            }
            render_series_list(&state, &page.user, &page.csrf, form).await
        }
        Err(e) => Err(refusal(e)),
    }
}

#[derive(Template)]
#[template(path = "sessions/series_show.html")]
pub(super) struct SeriesPage {
    pub(super) chrome: Chrome,
    pub(super) series: Series,
    pub(super) progress: SeriesProgress,
    pub(super) sessions: Vec<SessionView>,
    pub(super) manage: bool,
}

pub async fn series_show(
    State(state): State<AppState>,
    page: Page<cap::SessionsBrowse>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let series = sessions::series(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let list = sessions::list(
        &state.store,
        &SessionFilter {
            series_id: Some(id),
            ..Default::default()
        },
    )
    .await?;
    html(&SeriesPage {
        chrome: Chrome::new(
            &state,
            series.name.clone(),
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        progress: sessions::series_progress(&state.store, id).await?,
        series,
        sessions: list.iter().map(SessionView::from).collect(),
        manage: page.user.can(Capability::SessionsManage),
    })
}

#[derive(Template)]
#[template(path = "sessions/sessions_trainers.html")]
pub(super) struct TrainersPage {
    pub(super) chrome: Chrome,
    pub(super) rows: Vec<TrainerHours>,
}

pub async fn trainers_page(
    State(state): State<AppState>,
    page: Page<cap::SessionsManage>,
) -> Result<Response, AppError> {
    let rows = sessions::trainer_hours(&state.store).await?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new("session.trainer_hours", "Viewed co-trainer delivery hours"),
    )
    .await?;
    html(&TrainersPage {
        chrome: Chrome::new(
            &state,
            "Trainer delivery hours",
            Some(&page.user),
            &page.csrf,
            "/sessions",
        ),
        rows,
    })
}
