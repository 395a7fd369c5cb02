//! Changes in legislation and guidance, and who trained on the modules they affect.

#[allow(unused_imports)]
use super::*;

pub struct TagView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub modules: i64,
    pub last_change: String,
}

impl TagView {
    pub(super) fn of(t: Tag) -> TagView {
        TagView {
            id: t.id,
            name: t.name,
            description: t.description,
            modules: t.modules,
            last_change: t
                .last_change
                .as_deref()
                .map(with_long_dates)
                .unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_guidance.html")]
pub(super) struct GuidancePage {
    chrome: Chrome,
    tags: Vec<TagView>,
    form: FormState,
}

impl GuidancePage {
    fn tag_selected(&self, id: &i64) -> bool {
        self.form.value("tag_id") == id.to_string()
    }
}

pub(super) async fn render_guidance(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
) -> Result<Response, AppError> {
    let tags = catalogue::tags(&state.store)
        .await?
        .into_iter()
        .map(TagView::of)
        .collect();
    let has_errors = form.has_errors();
    html(&GuidancePage {
        chrome: Chrome::new(
            state,
            "Legislation and guidance",
            Some(user),
            csrf,
            "/training/guidance",
        )
        .with_errors(has_errors),
        tags,
        form,
    })
}

pub async fn guidance(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("changed_on", uk(today()));
    render_guidance(&state, &page.user, &page.csrf, form).await
}

pub async fn record_change(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = form_of(&pairs, &["tag_id", "changed_on", "note"]);
    let tags = catalogue::tags(&state.store).await?;
    let tag = form
        .value("tag_id")
        .parse::<i64>()
        .ok()
        .and_then(|id| tags.iter().find(|t| t.id == id));
    if tag.is_none() {
        form.add_error(
            "tag_id",
            "Select the legislation or guidance that has changed",
        );
    }
    let changed_on = date_field(&mut form, "changed_on", "the date it changed", true);
    let note = form.value("note").trim().to_string();
    if note.is_empty() {
        form.add_error("note", "Enter what changed");
    } else {
        check_length(&mut form, "note", "what changed", 2000);
    }
    let (Some(tag), Some(changed_on), false) = (tag, changed_on, form.has_errors()) else {
        return render_guidance(&state, &page.user, &page.csrf, form).await;
    };
    let tag_id = tag.id;
    let trained = catalogue::record_guidance_change(
        &state.store,
        &page.user.actor(),
        tag_id,
        &iso(changed_on),
        &note,
    )
    .await?;
    let recorded = format!(
        "Recorded a change on {}: {note}",
        format_date_long(changed_on)
    );
    render_guidance_tag(&state, &page, tag_id, trained, Some(recorded)).await
}
