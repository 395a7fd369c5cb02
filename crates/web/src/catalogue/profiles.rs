//! Role profiles: the list, and adding one.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "catalogue/catalogue_profiles.html")]
pub(super) struct ProfilesPage {
    chrome: Chrome,
    rows: Vec<Profile>,
    form: FormState,
}

pub(super) async fn render_profiles(
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
