//! GET/POST /partners: the partner organisations, grouped by kind, and adding one.

use super::*;

// ---------------------------------------------------------------------------------------------
// Organisations

pub(crate) struct KindGroup {
    pub label: &'static str,
    pub orgs: Vec<PartnerOrg>,
}

#[derive(Template)]
#[template(path = "partners/partners_list.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) groups: Vec<KindGroup>,
    pub(super) kinds: Vec<OrgKind>,
    pub(super) form: FormState,
    pub(super) banner: String,
}

impl ListPage {
    fn kind_checked(&self, k: &OrgKind) -> bool {
        self.form.value("kind") == k.as_str()
    }
}

pub(super) async fn render_list(
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

pub(super) fn org_draft(pairs: &[(String, String)]) -> OrgDraft {
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
