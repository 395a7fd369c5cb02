//! The module catalogue: every module with its review state, filtered.

#[allow(unused_imports)]
use super::*;

#[derive(Template)]
#[template(path = "catalogue/catalogue_list.html")]
pub(super) struct ListPage {
    chrome: Chrome,
    rows: Vec<ModuleView>,
    cpd: Vec<ModuleView>,
    status: String,
    kind: String,
    needs_review: bool,
    mine: bool,
    no_person: bool,
    kinds: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    /// No module at all, in any state: offer the starter catalogue.
    catalogue_empty: bool,
    /// After adding the starter catalogue: what was added, in words.
    starter_added: Option<String>,
}

impl ListPage {
    fn status_is(&self, s: &str) -> bool {
        self.status == s
    }
    fn warn_days(&self) -> i64 {
        DEFAULT_REVIEW_WARN_DAYS
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::CatalogueView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let status = match field(&pairs, "status").as_str() {
        s @ ("draft" | "retired" | "all") => s.to_string(),
        _ => "live".to_string(),
    };
    let kind = field(&pairs, "kind")
        .parse::<ModuleKind>()
        .map(|k| k.as_str().to_string())
        .unwrap_or_default();
    let needs_review = !field(&pairs, "review").is_empty();
    let mine = !field(&pairs, "mine").is_empty();
    let me = page.user.person_id;
    let today = today();
    let all = catalogue::modules(&state.store, true).await?;
    let catalogue_empty = all.is_empty();
    let count = |name: &str| field(&pairs, name).parse::<usize>().ok();
    let starter_added = count("starter_modules").map(|modules| {
        let programmes = count("starter_programmes").unwrap_or(0);
        let kept = count("starter_kept").unwrap_or(0);
        let mut text = format!(
            "The starter catalogue has been added: {modules} {} and {programmes} role {}.",
            if modules == 1 { "module" } else { "modules" },
            if programmes == 1 {
                "programme"
            } else {
                "programmes"
            }
        );
        if kept > 0 {
            text.push_str(&format!(
                " {kept} with a code already in your catalogue {} kept as {}.",
                if kept == 1 { "was" } else { "were" },
                if kept == 1 { "it was" } else { "they were" }
            ));
        }
        text
    });
    let (cpd, rows): (Vec<ModuleView>, Vec<ModuleView>) = all
        .into_iter()
        .filter(|m| status == "all" || m.status == status)
        .filter(|m| kind.is_empty() || m.kind == kind)
        .filter(|m| !mine || (me.is_some() && m.owner_person_id == me))
        .map(|m| ModuleView::of(m, today))
        .filter(|v| !needs_review || v.needs_review())
        .partition(|v| v.m.cpd_topic);
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Training modules",
            Some(&page.user),
            &page.csrf,
            "/training/modules",
        ),
        rows,
        cpd,
        status,
        kind,
        needs_review,
        mine,
        no_person: me.is_none(),
        kinds: ModuleKind::ALL.map(|k| (k.as_str(), k.label())).to_vec(),
        can_manage: page.user.can(Capability::TrainingManage),
        catalogue_empty,
        starter_added,
    })
}

// ---------------------------------------------------------------------------------------------
