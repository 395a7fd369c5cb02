//! GET /coverage: the training requirements and how far each is met.

use super::*;

// ---------------------------------------------------------------------------------------------
// The list

pub(super) struct RequirementRow {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) who: Vec<String>,
    pub(super) modules: String,
    pub(super) total: Tally,
    pub(super) percent: String,
}

#[derive(Template)]
#[template(path = "coverage/coverage_list.html")]
pub(super) struct ListPage {
    pub(super) chrome: Chrome,
    pub(super) form: FormState,
    pub(super) as_of_long: String,
    pub(super) as_of_query: String,
    pub(super) rows: Vec<RequirementRow>,
    pub(super) retired: Vec<RequirementRow>,
    pub(super) manage: bool,
    pub(super) scope_note: String,
}

pub(super) fn scope_note(kind: ViewerScope) -> String {
    match kind {
        ViewerScope::All => String::new(),
        ViewerScope::LineReports => {
            "These figures count only the people you line-manage.".into()
        }
        ViewerScope::FiguresOnly => {
            "You see the figures for the whole force; lists of named people are for trainers and line managers.".into()
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = pairs_of(raw.as_deref());
    let mut form = FormState::default();
    form.set("as_of", field_str(&pairs, "as_of"));
    let as_of = match parse_as_of(Some(field_str(&pairs, "as_of"))) {
        Ok(d) => d,
        Err(m) => {
            form.add_error("as_of", m);
            today()
        }
    };
    let manage = page.user.can(Capability::SessionsManage);
    let scope = viewer_scope(&state.store, &page.user).await?;
    let all = store::requirements(&state.store, manage).await?;
    let mut rows = Vec::new();
    let mut retired = Vec::new();
    for r in &all {
        let total = if r.active {
            store::compute(&state.store, r, as_of, &scope.filter(Filter::default()))
                .await?
                .coverage
                .total
        } else {
            Tally::default()
        };
        let row = RequirementRow {
            id: r.id,
            name: r.name.clone(),
            who: r.rule.describe(),
            modules: r
                .modules
                .iter()
                .map(|m| format!("{} ({})", m.code, m.counts_as.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
            percent: total.percent_text(),
            total,
        };
        if r.active {
            rows.push(row);
        } else {
            retired.push(row);
        }
    }
    let has_errors = form.has_errors();
    let as_of_query = if field_str(&pairs, "as_of").is_empty() || has_errors {
        String::new()
    } else {
        format!("?as_of={}", iso(as_of))
    };
    html(&ListPage {
        chrome: Chrome::new(
            &state,
            "Coverage",
            Some(&page.user),
            &page.csrf,
            "/coverage",
        )
        .with_errors(has_errors),
        form,
        as_of_long: format_date_long(as_of),
        as_of_query,
        rows,
        retired,
        manage,
        scope_note: scope_note(scope.kind),
    })
}
