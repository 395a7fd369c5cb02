//! One piece of legislation or guidance: its changes and who trained on the modules it affects.

#[allow(unused_imports)]
use super::*;

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
pub(super) struct GuidanceTagPage {
    chrome: Chrome,
    tag: TagView,
    /// The change just recorded, when this page answers the form.
    recorded: Option<String>,
    modules: Vec<ModuleView>,
    people: Vec<TrainedView>,
    /// Role profiles held now by the people listed, with how many of them hold each.
    roles: Vec<(String, usize)>,
}

pub(super) async fn render_guidance_tag(
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
    audit_trail::record(
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
