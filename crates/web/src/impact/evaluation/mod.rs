//! The evaluation report (Kirkpatrick levels 1–4): the trainer starts a report for a period,
//! refreshes its figures while it is a draft and publishes it, which freezes it; everyone with
//! the impact capability reads it as a printable page, a tagged PDF, an Excel workbook (one sheet
//! per table) or JSON. The figures are the domain's (`mashboard_domain::evaluation`), gathered
//! by the store (`mashboard_store::evaluation`).

pub(super) mod api;
pub(super) mod charts;
pub(super) mod downloads;
pub(super) mod list;
pub(super) mod report;
mod report_workbook;

use crate::error::AppError;
use mashboard_domain::people::parse_date;
use mashboard_store::evaluation::{self, ReportRow};
use mashboard_store::Store;

/// The report with this id (from the path), or 404.
pub(super) async fn find(store: &Store, raw_id: &str) -> Result<ReportRow, AppError> {
    let id = crate::form::path_id(raw_id)?;
    evaluation::get(store, id).await?.ok_or(AppError::NotFound)
}

/// A period's dates from a form or request, each checked: (from, to), or the errors by field.
pub(super) fn period(
    from: &str,
    to: &str,
) -> Result<(time::Date, time::Date), Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let f = match parse_date(from.trim()) {
        Ok(d) => Some(d),
        Err(_) if from.trim().is_empty() => {
            errors.push(("from", "Enter the first day the report covers".to_string()));
            None
        }
        Err(e) => {
            errors.push(("from", format!("The first day: {e}")));
            None
        }
    };
    let t = match parse_date(to.trim()) {
        Ok(d) => Some(d),
        Err(_) if to.trim().is_empty() => {
            errors.push(("to", "Enter the last day the report covers".to_string()));
            None
        }
        Err(e) => {
            errors.push(("to", format!("The last day: {e}")));
            None
        }
    };
    if let (Some(f), Some(t)) = (f, t) {
        if t < f {
            errors.push((
                "to",
                "The last day must be on or after the first day".to_string(),
            ));
        }
        if t > mashboard_store::training::today() {
            errors.push((
                "to",
                "The last day must be today or in the past".to_string(),
            ));
        }
        if errors.is_empty() {
            return Ok((f, t));
        }
    }
    Err(errors)
}
