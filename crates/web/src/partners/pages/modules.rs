//! The modules partners provide.

use super::*;

// ---------------------------------------------------------------------------------------------
// Partner-provided modules

#[derive(Template)]
#[template(path = "partners/partners_modules.html")]
pub(super) struct ModulesPage {
    pub(super) chrome: Chrome,
    pub(super) modules: Vec<PartnerModule>,
    pub(super) manage: bool,
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

pub(super) async fn render_modules(
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
