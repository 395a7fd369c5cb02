//! The training and CPD kinds of import: their upload form, reading a sheet (the header may sit
//! under rows of titles), and their row rules and writes (domain `training_import`, store
//! `training_import`).

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::imports::{
    audit_check, off_thread, Checked, File, Head, ImportKinds, Outcome, Report, RowView, Rows,
    MAX_ROWS_SHOWN,
};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::response::Response;
use mashboard_domain::imports::mapping::{suggest_mapping, Mapping};
use mashboard_domain::imports::FileProblem;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::training_import::{parse_cpd, parse_training, read_sheet, ImportKind};
use mashboard_store::audit_trail::Actor;
use mashboard_store::training_import::{self, ImportError, RowOutcome};
use std::sync::Arc;

#[derive(Template)]
#[template(path = "training_import/training_import_form.html")]
struct FormPage {
    chrome: Chrome,
    form: FormState,
}

impl FormPage {
    fn kind_is(&self, kind: &str) -> bool {
        self.form.value("kind") == kind
    }
}

fn actions(kind: ImportKind) -> (&'static str, &'static str) {
    match kind {
        ImportKind::Training => ("training.import_rejected", "training.import_preview"),
        ImportKind::Cpd => ("cpd.import_rejected", "cpd.import_preview"),
    }
}

fn row_view(o: &RowOutcome) -> RowView {
    RowView {
        row: o.row,
        cells: vec![
            format!("{} ({})", o.person_name, o.staff_number),
            o.what.clone(),
            parse_date(&o.on)
                .map(format_date_long)
                .unwrap_or_else(|_| o.on.clone()),
        ],
        outcome: Some(Outcome {
            label: o.outcome.label(),
            class: o.outcome.tag_class(),
            note: o.note.clone(),
        }),
    }
}

pub struct TrainingImports;

impl ImportKinds for TrainingImports {
    type Cap = cap::TrainingManage;
    type Kind = ImportKind;
    const BASE: &'static str = "/training/import";
    const NO_FILE: &'static str = "Select a CSV or Excel file";

    fn kind(value: &str) -> Option<ImportKind> {
        value.parse().ok()
    }
    fn kind_value(kind: ImportKind) -> &'static str {
        kind.as_str()
    }
    fn kind_label(kind: ImportKind) -> &'static str {
        kind.label()
    }
    fn rejected_action(kind: ImportKind) -> &'static str {
        actions(kind).0
    }

    fn chrome(state: &AppState, page: &Page<cap::TrainingManage>, title: &str) -> Chrome {
        Chrome::new(
            state,
            title,
            Some(&page.user),
            &page.csrf,
            "/training/import",
        )
    }

    fn upload_form(
        state: &AppState,
        page: &Page<cap::TrainingManage>,
        form: FormState,
    ) -> Result<Response, AppError> {
        let errors = form.has_errors();
        html(&FormPage {
            chrome: Self::chrome(state, page, "Import training records").with_errors(errors),
            form,
        })
    }

    fn head(kind: ImportKind, bytes: &[u8]) -> Result<Head, FileProblem> {
        let sheet = read_sheet(kind, bytes)?;
        let rows = sheet.rows.len();
        let above = match sheet.skipped_above {
            0 => String::new(),
            1 => " under 1 row of titles or notes".into(),
            n => format!(" under {n} rows of titles or notes"),
        };
        Ok(Head {
            intro: format!(
                "We found the header row{above}, and {rows} {} of data under it (read as {}). Check which column holds each thing: we have filled in our best guess. Nothing is saved until you have seen what the import would do.",
                if rows == 1 { "row" } else { "rows" },
                sheet.encoding
            ),
            suggested: suggest_mapping(kind, &sheet.headers),
            sample: sheet.rows.into_iter().take(3).collect(),
            headers: sheet.headers,
            direct: None,
        })
    }

    async fn check(
        state: &AppState,
        actor: &Actor,
        kind: ImportKind,
        file: &File,
        mapping: &Mapping,
        commit: bool,
    ) -> Result<Checked, AppError> {
        let read = Arc::clone(&file.bytes);
        let sheet = match off_thread(move || read_sheet(kind, &read)).await? {
            Ok(s) => s,
            Err(problem) => return Ok(Checked::File(problem.to_string())),
        };
        let today = mashboard_store::training::today();
        let mapping_errors = |e: Vec<mashboard_domain::training_import::MappingError>| {
            Checked::Mapping(
                e.into_iter()
                    .map(|e| (format!("map_{}", e.field), e.message))
                    .collect(),
            )
        };
        let name = &file.name;
        let (parts, result) = match kind {
            ImportKind::Training => match parse_training(&sheet, mapping, today) {
                Err(e) => return Ok(mapping_errors(e)),
                Ok(p) => {
                    let r =
                        training_import::import_training(&state.store, actor, &p, !commit, name)
                            .await;
                    ((p.columns, p.ignored_columns, p.notes, p.warnings), r)
                }
            },
            ImportKind::Cpd => match parse_cpd(&sheet, mapping, today) {
                Err(e) => return Ok(mapping_errors(e)),
                Ok(p) => {
                    let r =
                        training_import::import_cpd(&state.store, actor, &p, !commit, name).await;
                    ((p.columns, p.ignored_columns, p.notes, p.warnings), r)
                }
            },
        };
        let (columns, ignored_columns, notes, warnings) = parts;
        let mut report = Report {
            encoding: sheet.encoding.to_string(),
            rows_read: sheet.rows.len(),
            columns: columns
                .into_iter()
                .map(|(f, h)| (kind.field(f).map_or(f, |f| f.label).to_string(), h))
                .collect(),
            ignored_columns,
            notes,
            warning_count: warnings.len(),
            warnings,
            noun: match kind {
                ImportKind::Training => ("new completion", "new completions"),
                ImportKind::Cpd => ("new CPD entry", "new CPD entries"),
            },
            skipped_means: "will be skipped: changed in mashboard since an earlier import",
            ..Default::default()
        };
        match result {
            Ok(r) => {
                report.created = r.created as u64;
                report.updated = r.updated as u64;
                report.unchanged = r.unchanged as u64;
                report.skipped = r.skipped as u64;
                report.rows = Rows {
                    headers: vec![
                        "Person",
                        match kind {
                            ImportKind::Training => "Module",
                            ImportKind::Cpd => "Topic",
                        },
                        "Date",
                        "Result",
                    ],
                    rows: r.rows.iter().take(MAX_ROWS_SHOWN).map(row_view).collect(),
                    hidden: r.rows.len().saturating_sub(MAX_ROWS_SHOWN),
                };
            }
            Err(ImportError::Rows(rows)) => report.errors = rows,
            Err(ImportError::Store(e)) => return Err(e.into()),
        }
        report.error_count = report.errors.len();
        let summary = (!commit).then(|| report.summary());
        let what = kind.as_str();
        audit_check(
            state,
            actor,
            actions(kind),
            what,
            name,
            &report.errors,
            summary,
        )
        .await?;
        Ok(Checked::Report(Box::new(report)))
    }
}
