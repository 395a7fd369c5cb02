//! One module: details, versions, publishing a new version and marking a review.

#[allow(unused_imports)]
use super::*;

pub struct VersionView {
    pub version: String,
    pub published: String,
    pub by: String,
    pub note: String,
    pub trained: i64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "catalogue/catalogue_module.html")]
pub(super) struct ModulePage {
    chrome: Chrome,
    v: ModuleView,
    owner_sn: Option<String>,
    tags: Vec<(Option<i64>, String)>,
    versions: Vec<VersionView>,
    can_manage: bool,
    publish: FormState,
    reviewed: FormState,
    saved: Option<&'static str>,
}

impl ModulePage {
    fn version_hint(&self) -> String {
        format!(
            "Later than the current version {}, written as MAJOR.MINOR",
            self.v.m.version
        )
    }
}

pub(super) fn publish_defaults(m: &Module) -> FormState {
    let today = today();
    let mut f = FormState::default();
    f.set("version", next_version(&m.version));
    f.set("change_note", "");
    f.set("publish_reviewed_on", uk(today));
    f.set("publish_review_by", uk(add_months(today, 12)));
    f
}

pub(super) fn reviewed_defaults() -> FormState {
    let today = today();
    let mut f = FormState::default();
    f.set("reviewed_on", uk(today));
    f.set("next_review_by", uk(add_months(today, 12)));
    f
}

pub(super) async fn render_module(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    m: Module,
    publish: Option<FormState>,
    reviewed: Option<FormState>,
    saved: Option<&'static str>,
) -> Result<Response, AppError> {
    let can_manage = user.can(Capability::TrainingManage);
    let versions = catalogue::versions(&state.store, m.id)
        .await?
        .into_iter()
        .map(|v| VersionView {
            current: v.version == m.version,
            published: long_date(&v.published_at),
            version: v.version,
            by: v.published_by,
            note: v.change_note,
            trained: v.trained,
        })
        .collect();
    let all_tags = catalogue::tags(&state.store).await?;
    let tags = m
        .tag_list()
        .into_iter()
        .map(|name| {
            (
                all_tags.iter().find(|t| t.name == name).map(|t| t.id),
                name.to_string(),
            )
        })
        .collect();
    let owner_sn = match m.owner_person_id {
        Some(pid) => people::get_by_id(&state.store, pid)
            .await?
            .map(|p| p.staff_number),
        None => None,
    };
    let has_errors = publish.as_ref().is_some_and(FormState::has_errors)
        || reviewed.as_ref().is_some_and(FormState::has_errors);
    let publish = publish.unwrap_or_else(|| publish_defaults(&m));
    let reviewed = reviewed.unwrap_or_else(reviewed_defaults);
    html(&ModulePage {
        chrome: Chrome::new(
            state,
            m.title.clone(),
            Some(user),
            csrf,
            "/training/modules",
        )
        .with_errors(has_errors),
        v: ModuleView::of(m, today()),
        owner_sn,
        tags,
        versions,
        can_manage,
        publish,
        reviewed,
        saved,
    })
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::CatalogueView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let saved = saved_message(
        raw.as_deref(),
        &[
            ("created", "The module has been added."),
            ("changed", "The module has been saved."),
            (
                "published",
                "The new version has been published. The earlier versions are kept below.",
            ),
            ("reviewed", "The module has been marked as reviewed."),
            (
                "reviewed-flagged",
                "The module has been marked as reviewed, but the review was before the latest change in guidance, so it is still flagged.",
            ),
        ],
    );
    render_module(&state, &page.user, &page.csrf, m, None, None, saved).await
}

pub async fn publish(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let mut form = form_of(
        &pairs,
        &[
            "version",
            "change_note",
            "publish_reviewed_on",
            "publish_review_by",
        ],
    );
    let mut version = String::new();
    match parse_version(form.value("version")) {
        Err(msg) => form.add_error("version", msg),
        Ok(new) => {
            version = format_version(new.0, new.1);
            if let Ok(current) = parse_version(&m.version) {
                if new <= current {
                    form.add_error(
                        "version",
                        format!(
                            "The new version must be later than the current version {}, for example {}",
                            m.version,
                            next_version(&m.version)
                        ),
                    );
                }
            }
        }
    }
    let note = form.value("change_note").trim().to_string();
    if note.is_empty() {
        form.add_error("change_note", "Enter what changed in this version");
    } else {
        check_length(&mut form, "change_note", "the change note", 2000);
    }
    let reviewed_on = date_field(
        &mut form,
        "publish_reviewed_on",
        "the date the content was reviewed",
        true,
    );
    if reviewed_on.is_some_and(|d| d > today()) {
        form.add_error(
            "publish_reviewed_on",
            "The date reviewed must be today or in the past",
        );
    }
    let review_by = date_field(
        &mut form,
        "publish_review_by",
        "the next review-by date",
        true,
    );
    if let (Some(r), Some(b)) = (reviewed_on, review_by) {
        if b <= r {
            form.add_error(
                "publish_review_by",
                "The next review-by date must be after the date reviewed",
            );
        }
    }
    let (Some(reviewed_on), Some(review_by)) = (reviewed_on, review_by) else {
        return render_module(&state, &page.user, &page.csrf, m, Some(form), None, None).await;
    };
    if form.has_errors() {
        return render_module(&state, &page.user, &page.csrf, m, Some(form), None, None).await;
    }
    match catalogue::publish_version(
        &state.store,
        &page.user.actor(),
        m.id,
        &version,
        &note,
        &iso(reviewed_on),
        Some(&iso(review_by)),
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/training/modules/{}?saved=published", m.id)).into_response(),
        ),
        Err(StoreError::Conflict(msg)) => {
            form.add_error("version", msg);
            render_module(&state, &page.user, &page.csrf, m, Some(form), None, None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn reviewed(
    State(state): State<AppState>,
    page: Page<cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let m = find_module(&state, &id).await?;
    let mut form = form_of(&pairs, &["reviewed_on", "next_review_by"]);
    let reviewed_on = date_field(&mut form, "reviewed_on", "the date reviewed", true);
    if reviewed_on.is_some_and(|d| d > today()) {
        form.add_error(
            "reviewed_on",
            "The date reviewed must be today or in the past",
        );
    }
    let review_by = date_field(&mut form, "next_review_by", "the next review-by date", true);
    if let (Some(r), Some(b)) = (reviewed_on, review_by) {
        if b <= r {
            form.add_error(
                "next_review_by",
                "The next review-by date must be after the date reviewed",
            );
        }
    }
    let (Some(reviewed_on), Some(review_by)) = (reviewed_on, review_by) else {
        return render_module(&state, &page.user, &page.csrf, m, None, Some(form), None).await;
    };
    if form.has_errors() {
        return render_module(&state, &page.user, &page.csrf, m, None, Some(form), None).await;
    }
    let input = ModuleInput {
        code: m.code.clone(),
        title: m.title.clone(),
        summary: m.summary.clone(),
        kind: m.kind.clone(),
        external_link: m.external_link.clone(),
        duration_minutes: m.duration_minutes,
        owner_person_id: m.owner_person_id,
        status: m.status.clone(),
        last_reviewed_on: Some(iso(reviewed_on)),
        review_by: Some(iso(review_by)),
        tags: m.tag_list().into_iter().map(str::to_string).collect(),
        cpd_topic: m.cpd_topic,
    };
    let after = catalogue::update_module(&state.store, &page.user.actor(), m.id, &input).await?;
    // A review before the latest change in guidance does not clear its flag: say so.
    let saved = if after.guidance_flag.is_some() {
        "reviewed-flagged"
    } else {
        "reviewed"
    };
    Ok(Redirect::to(&format!("/training/modules/{}?saved={saved}", m.id)).into_response())
}

// ---------------------------------------------------------------------------------------------
