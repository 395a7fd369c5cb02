//! The compliance matrix as CSV and Excel: the same rows as the page, from the same builder.

use super::{build, iso, load, query_pairs, scope_of, Built, Data, Filters, Line};
use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::export::{download, workbook, Sheet, XCell, XLSX};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::training::matrix::Rate;
use time::Date;

const LINE_HEADER: [&str; 19] = [
    "Staff number",
    "Name",
    "Department",
    "Team",
    "Cohort",
    "Line manager",
    "Role profiles",
    "Module code",
    "Module",
    "Status",
    "In date",
    "Due",
    "Expires",
    "Overdue since",
    "Last completed",
    "Version completed",
    "Current version",
    "Status code",
    "Checked on",
];

pub(super) fn text(s: impl Into<String>) -> XCell {
    XCell::Text(s.into())
}

fn line_cells(l: &Line, today: Date) -> Vec<XCell> {
    vec![
        text(&l.staff_number),
        text(&l.name),
        text(&l.department),
        text(&l.team),
        text(&l.cohort),
        text(&l.line_manager),
        text(&l.profiles),
        text(&l.module_code),
        text(&l.module_title),
        text(l.label()),
        text(if l.in_date { "Yes" } else { "No" }),
        XCell::Date(l.due_on),
        XCell::Date(l.expires_on),
        XCell::Date(l.overdue_since),
        XCell::Date(l.last_completed),
        text(&l.version_done),
        text(&l.current_version),
        text(l.status.as_str()),
        XCell::Date(Some(today)),
    ]
}

async fn export_data(
    state: &AppState,
    user: &CurrentUser,
    raw: Option<&str>,
    format: &str,
) -> Result<(Data, Filters, Built), AppError> {
    let f = Filters::from_pairs(&query_pairs(raw));
    let data = load(state, scope_of(user)).await?;
    let built = build(&data, &f);
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "matrix.export",
            format!(
                "Exported the compliance matrix as {format} ({} people, {} items; {})",
                built.people,
                built.lines.len(),
                f.describe()
            ),
        )
        .after(&serde_json::json!({ "filters": f.query_string(), "format": format })),
    )
    .await?;
    Ok((data, f, built))
}

pub async fn matrix_csv(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (data, _, built) = export_data(&state, &page.user, raw.as_deref(), "CSV").await?;
    let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(LINE_HEADER).map_err(csv_err)?;
    for l in &built.lines {
        out.write_record(line_cells(l, data.today).iter().map(XCell::csv))
            .map_err(csv_err)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("training-matrix-{}.csv", iso(Some(data.today))),
        body,
    ))
}

fn rate_sheet(name: &'static str, first: &'static str, rates: &[Rate]) -> Sheet {
    Sheet {
        name,
        header: vec![
            first,
            "People",
            "Required items",
            "In date",
            "Percentage in date",
            "Overdue or expired",
            "Due soon",
        ],
        rows: rates
            .iter()
            .map(|r| {
                vec![
                    text(&r.label),
                    XCell::Number(r.people as f64),
                    XCell::Number(r.required as f64),
                    XCell::Number(r.in_date as f64),
                    match r.percent_in_date() {
                        Some(p) => XCell::Number(f64::from(p)),
                        None => text(""),
                    },
                    XCell::Number(r.out_of_date as f64),
                    XCell::Number(r.due_soon as f64),
                ]
            })
            .collect(),
    }
}

pub async fn matrix_xlsx(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (data, f, built) = export_data(&state, &page.user, raw.as_deref(), "Excel").await?;
    let about = Sheet {
        name: "About",
        header: vec!["Item", "Value"],
        rows: vec![
            vec![text("Report"), text("Compliance matrix")],
            vec![text("Checked on"), XCell::Date(Some(data.today))],
            vec![text("Exported by"), text(&page.user.username)],
            vec![text("Filters"), text(f.describe())],
            vec![text("People"), XCell::Number(built.people as f64)],
            vec![text("Items"), XCell::Number(built.lines.len() as f64)],
            vec![
                text("In date"),
                text("A signed-off completion that has not expired. Only signed-off work counts."),
            ],
        ],
    };
    let body = workbook(&[
        Sheet {
            name: "Training items",
            header: LINE_HEADER.to_vec(),
            rows: built
                .lines
                .iter()
                .map(|l| line_cells(l, data.today))
                .collect(),
        },
        rate_sheet("By role profile", "Role profile", &data.by_profile()),
        about,
    ])?;
    Ok(download(
        XLSX,
        &format!("training-matrix-{}.xlsx", iso(Some(data.today))),
        body,
    ))
}
