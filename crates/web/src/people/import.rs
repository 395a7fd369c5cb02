//! Importing an HR export into the directory, through the one import pipeline
//! (`crate::imports`): this file holds only the upload form and what is particular to people.
//! A file with the standard header is checked straight away; one whose header names at least
//! two of the fields some other way goes to the column mapping.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::imports::{audit_check, Checked, File, Head, ImportKinds, Report};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mashboard_domain::imports::mapping::{suggest_mapping, Mapping};
use mashboard_domain::imports::{
    check_people_header, parse_people_mapped, read_table, FileProblem, People, PEOPLE_COLUMNS,
};
use mashboard_store::audit_trail::Actor;
use mashboard_store::people::{self, ImportError};
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "people/import_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
    columns: String,
}

pub async fn form(
    State(state): State<AppState>,
    page: Page<cap::PeopleImport>,
) -> Result<Response, AppError> {
    PeopleImports::upload_form(&state, &page, FormState::default())
}

const ACTIONS: (&str, &str) = ("people.import_rejected", "people.import_preview");

/// The people import's one kind of file.
pub struct PeopleImports;

impl ImportKinds for PeopleImports {
    type Cap = cap::PeopleImport;
    type Kind = People;
    const BASE: &'static str = "/people/import";
    const NO_FILE: &'static str = "Select a CSV or Excel file";
    const DONE_LINKS: &'static [(&'static str, &'static str)] = &[("/people", "Go to people")];

    fn kind(_: &str) -> Option<People> {
        Some(People)
    }
    fn kind_value(_: People) -> &'static str {
        "people"
    }
    fn kind_label(_: People) -> &'static str {
        "People"
    }
    fn rejected_action(_: People) -> &'static str {
        ACTIONS.0
    }

    fn chrome(state: &AppState, page: &Page<cap::PeopleImport>, title: &str) -> Chrome {
        Chrome::new(state, title, Some(&page.user), &page.csrf, "/people/import")
    }

    fn upload_form(
        state: &AppState,
        page: &Page<cap::PeopleImport>,
        form: FormState,
    ) -> Result<Response, AppError> {
        let errors = form.has_errors();
        html(&FormPage {
            chrome: Self::chrome(state, page, "Import people").with_errors(errors),
            form,
            columns: PEOPLE_COLUMNS.join(","),
        })
    }

    fn head(_: People, bytes: &[u8]) -> Result<Head, FileProblem> {
        let table = read_table(bytes)?;
        let suggested = suggest_mapping(People, &table.headers);
        // Only a header that names at least two of the fields some other way is matched by
        // hand; any other is checked as it is, and the check says what is missing.
        let missing = matches!(
            check_people_header(&table.headers),
            Err(FileProblem::MissingColumns(_))
        );
        let direct = (!missing || suggested.pairs().len() < 2).then(Mapping::default);
        Ok(Head {
            intro: format!(
                "This file's header is not the standard layout ({}), so say which of its columns holds each thing. We have filled in our best guess (read as {}). Nothing is saved until you have seen what the import would do.",
                PEOPLE_COLUMNS.join(", "),
                table.encoding
            ),
            sample: table.rows.into_iter().take(3).collect(),
            headers: table.headers,
            suggested,
            direct,
        })
    }

    async fn check(
        state: &AppState,
        actor: &Actor,
        _: People,
        file: &File,
        mapping: &Mapping,
        commit: bool,
    ) -> Result<Checked, AppError> {
        let read = Arc::clone(&file.bytes);
        let owned = (!mapping.is_empty()).then(|| mapping.clone());
        let parsed =
            crate::imports::off_thread(move || parse_people_mapped(&read, owned.as_ref())).await?;
        let parsed = match parsed {
            Ok(p) => p,
            Err(problem) => {
                let problem = problem.to_string();
                let event = mashboard_store::audit_trail::Event::new(
                    ACTIONS.0,
                    format!("Rejected people file {}: {problem}", file.name),
                );
                mashboard_store::audit_trail::record(&state.store, actor, event).await?;
                return Ok(Checked::File(problem));
            }
        };
        let error_rows: BTreeSet<usize> = parsed.errors.iter().map(|e| e.row).collect();
        let mut report = Report {
            encoding: parsed.encoding.to_string(),
            rows_read: parsed.people.len() + error_rows.len(),
            columns: if mapping.is_empty() {
                Vec::new()
            } else {
                mapping
                    .pairs()
                    .iter()
                    .map(|(f, h)| {
                        let label = mashboard_domain::imports::mapping::Layout::field(People, f)
                            .map_or(*f, |f| f.label);
                        (label.to_string(), h.clone())
                    })
                    .collect()
            },
            ignored_columns: parsed.ignored_columns.clone(),
            errors: parsed.errors.clone(),
            noun: ("person", "people"),
            ..Default::default()
        };
        if report.errors.is_empty() {
            let source = &file.name;
            match people::import_file(&state.store, actor, &parsed, !commit, source).await {
                Ok(r) => {
                    report.created = r.created.len() as u64;
                    report.updated = r.updated.len() as u64;
                    report.unchanged = r.unchanged as u64;
                    for (names, what) in [(&r.created, "Added"), (&r.updated, "Changed")] {
                        if !names.is_empty() && names.len() <= 20 {
                            report.notes.push(format!("{what}: {}", names.join(", ")));
                        }
                    }
                }
                Err(ImportError::Rows(e)) => report.errors = e,
                Err(ImportError::Store(e)) => return Err(e.into()),
            }
        }
        report.errors.sort_by_key(|e| e.row);
        report.error_count = report.errors.len();
        let summary = (!commit).then(|| report.summary());
        audit_check(
            state,
            actor,
            ACTIONS,
            "people",
            &file.name,
            &report.errors,
            summary,
        )
        .await?;
        Ok(Checked::Report(Box::new(report)))
    }
}
