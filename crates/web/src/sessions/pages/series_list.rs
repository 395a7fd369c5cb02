//! The list of session series: GET/POST /sessions/series.

use super::*;

// ---------------------------------------------------------------------------------------------
// Series

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
