//! The compliance matrix page: people by required modules, or a list of items, filtered and
//! paged, with the rates by role profile above it.

use super::{build, load, query_pairs, scope_of, status_choices, Filters, Line, Matrix, Rows};
use crate::auth::Page;
use crate::error::AppError;
use crate::view::{html, Chrome, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use mashboard_domain::access::PeopleScope;
use mashboard_domain::people::format_date_long;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people;
use mashboard_store::training::matrix::Rate;

const MATRIX_PER_PAGE: i64 = 100;
const LIST_PER_PAGE: i64 = 250;

#[derive(Template)]
#[template(path = "matrix/matrix_page.html")]
struct MatrixPage {
    chrome: Chrome,
    f: Filters,
    list_view: bool,
    facets: people::Facets,
    profiles: Vec<(String, String)>,
    modules: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    rates: Vec<Rate>,
    overall: Rate,
    people: usize,
    items: usize,
    matrix: Matrix,
    lines: Vec<Line>,
    pager: Pager,
    scoped: bool,
    query: String,
    today: String,
}

impl MatrixPage {
    fn view_href(&self, list: bool) -> String {
        let mut pairs = self.f.pairs();
        if list {
            pairs.push(("view", "list"));
        }
        let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
        if q.is_empty() {
            "/training/matrix".into()
        } else {
            format!("/training/matrix?{q}")
        }
    }
    fn download_href(&self, ext: &str) -> String {
        if self.query.is_empty() {
            format!("/training/matrix.{ext}")
        } else {
            format!("/training/matrix.{ext}?{}", self.query)
        }
    }
}

pub async fn matrix(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs = query_pairs(raw.as_deref());
    let f = Filters::from_pairs(&pairs);
    let list_view = pairs.iter().any(|(k, v)| k == "view" && v == "list");
    let page_no: Option<i64> = pairs
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok());
    let scope = scope_of(&page.user);
    let data = load(&state, scope).await?;
    let built = build(&data, &f);
    let query = f.query_string();
    let base = if list_view {
        if query.is_empty() {
            "view=list".to_string()
        } else {
            format!("{query}&view=list")
        }
    } else {
        query.clone()
    };
    let (matrix, lines, pager) = if list_view {
        let pager = Pager::new(page_no, LIST_PER_PAGE, built.lines.len() as i64, base);
        let lines: Vec<Line> = built
            .lines
            .iter()
            .skip(pager.offset() as usize)
            .take(LIST_PER_PAGE as usize)
            .cloned()
            .collect();
        (
            Matrix {
                columns: Vec::new(),
                rows: Vec::new(),
            },
            lines,
            pager,
        )
    } else {
        let mut m = built.matrix(&data);
        let pager = Pager::new(page_no, MATRIX_PER_PAGE, m.rows.len() as i64, base);
        m.rows = m
            .rows
            .into_iter()
            .skip(pager.offset() as usize)
            .take(MATRIX_PER_PAGE as usize)
            .collect();
        (m, Vec::new(), pager)
    };
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "matrix.view",
            format!(
                "Viewed the compliance matrix ({} people, {} items; {})",
                built.people,
                built.lines.len(),
                f.describe()
            ),
        )
        .after(&serde_json::json!({ "filters": query, "view": if list_view { "list" } else { "matrix" }, "page": pager.page })),
    )
    .await?;
    html(&MatrixPage {
        chrome: Chrome::new(
            &state,
            "Compliance matrix",
            Some(&page.user),
            &page.csrf,
            "/training/matrix",
        ),
        list_view,
        facets: people::facets(&state.store).await?,
        profiles: data.profiles(),
        modules: data.modules(),
        statuses: status_choices(),
        rates: data.by_profile(),
        overall: data.overall(),
        people: built.people,
        items: built.lines.len(),
        matrix,
        lines,
        pager,
        scoped: scope != PeopleScope::All,
        query,
        today: format_date_long(data.today),
        f,
    })
}
