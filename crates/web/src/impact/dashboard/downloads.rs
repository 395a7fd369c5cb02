//! `GET /impact/data/{table}.csv|.xlsx`: one chart's data (or the yearly compliance, or coverage
//! by department and cohort) for the same query as the page, and for the same reader: a line
//! manager downloads their own team's figures only.

use super::{figures_for, view};
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::export::{self, Sheet, XCell};
use crate::form::query_pairs;
use crate::impact::period;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use mashboard_store::impact;
use mashboard_store::training::today;

pub async fn download(
    State(state): State<AppState>,
    page: Page<cap::Impact>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let team = period::team_of(&page.user).ok_or(AppError::Forbidden)?;
    let (key, ext) = name.rsplit_once('.').ok_or(AppError::NotFound)?;
    if !matches!(ext, "csv" | "xlsx") {
        return Err(AppError::NotFound);
    }
    let (wanted, form) = period::read(&query_pairs(raw.as_deref()), today(), team);
    let Some(w) = wanted else {
        let message = form
            .errors
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(AppError::BadRequest(message));
    };
    if !impact::module_exists(&state.store, &w.module).await? {
        return Err(AppError::BadRequest(format!(
            "No module in the catalogue has the code \"{}\"",
            w.module
        )));
    }
    let d = figures_for(&state, &w).await?;
    let shown = view(&d, &w);
    let table = match key {
        "years" => shown.years,
        "coverage" => shown.coverage,
        _ => {
            shown
                .figures
                .into_iter()
                .find(|f| f.key == key)
                .ok_or(AppError::NotFound)?
                .table
        }
    };
    let rows: Vec<Vec<XCell>> = table
        .rows
        .into_iter()
        .map(|r| r.into_iter().map(|(_, c)| c).collect())
        .collect();
    let file = format!("impact-{key}-{}-to-{}", d.from, d.to);
    if ext == "csv" {
        let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&table.header).map_err(csv_err)?;
        for r in &rows {
            w.write_record(r.iter().map(XCell::csv)).map_err(csv_err)?;
        }
        let body = w
            .into_inner()
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
        Ok(export::download(
            "text/csv; charset=utf-8",
            &format!("{file}.csv"),
            body,
        ))
    } else {
        let body = export::workbook(&[Sheet {
            name: "Data",
            header: table.header,
            rows,
        }])?;
        Ok(export::download(
            export::XLSX,
            &format!("{file}.xlsx"),
            body,
        ))
    }
}
