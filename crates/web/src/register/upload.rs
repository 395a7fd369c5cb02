//! Register import step 1: choose what the file holds and upload it. The steps after are the
//! one import pipeline's (`crate::imports`), with this page's kinds in `kinds.rs`.

use super::*;
use mashboard_domain::imports::mapping::Layout;

pub(super) struct KindChoice {
    value: &'static str,
    id: &'static str,
    label: &'static str,
    hint: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "register/register_import_form.html")]
pub(super) struct FormPage {
    chrome: Chrome,
    form: FormState,
    kinds: Vec<KindChoice>,
}

pub(super) fn form_page(
    state: &AppState,
    page: &ImportPage,
    form: FormState,
) -> Result<Response, AppError> {
    let errors = form.has_errors();
    let chosen = form.value("kind").to_string();
    let kinds = RegisterFile::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| KindChoice {
            value: k.value(),
            id: [
                "kind",
                "kind-referrals",
                "kind-outcomes",
                "kind-people",
                "kind-audit-history",
                "kind-review-history",
            ][i],
            label: k.label(),
            hint: format!("Columns: {}", k.canonical_header().replace(',', ", ")),
            checked: chosen == k.value(),
        })
        .collect();
    html(&FormPage {
        chrome: import_chrome(state, page, "Import the register", errors),
        form,
        kinds,
    })
}

pub(super) async fn form(
    State(state): State<AppState>,
    page: ImportPage,
) -> Result<Response, AppError> {
    form_page(&state, &page, FormState::default())
}
