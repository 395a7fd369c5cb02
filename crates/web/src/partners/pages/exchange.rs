//! The training exchange with partners by quarter, and its CSV and XLSX downloads.

use super::*;

// ---------------------------------------------------------------------------------------------
// The quarterly exchange summary

pub(crate) struct QuarterRow {
    pub label: String,
    pub to: ExchangeCell,
    pub from: ExchangeCell,
}

#[derive(Template)]
#[template(path = "partners/partners_exchange.html")]
pub(super) struct ExchangePage {
    pub(super) chrome: Chrome,
    pub(super) year: i32,
    pub(super) years: Vec<i32>,
    pub(super) rows: Vec<QuarterRow>,
    pub(super) total: QuarterRow,
    pub(super) sessions: Vec<ExchangeSession>,
}

impl ExchangePage {
    fn orgs(&self, s: &ExchangeSession) -> String {
        s.organisations.join(", ")
    }
    fn dir(&self, s: &ExchangeSession) -> &'static str {
        s.direction.label()
    }
}

pub(super) fn year_of(raw: Option<&str>) -> Result<i32, AppError> {
    match query_value(raw, "year") {
        None => Ok(mashboard_store::training::today().year()),
        Some(y) if y.trim().is_empty() => Ok(mashboard_store::training::today().year()),
        Some(y) => match y.trim().parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Ok(y),
            _ => Err(AppError::BadRequest(format!(
                "\"{y}\" is not a year; choose a year such as 2024"
            ))),
        },
    }
}

pub(super) fn quarter_rows(s: &ExchangeSummary) -> (Vec<QuarterRow>, QuarterRow) {
    let rows = s
        .quarters
        .iter()
        .map(|q| QuarterRow {
            label: format!(
                "Q{} ({})",
                q.quarter,
                [
                    "January to March",
                    "April to June",
                    "July to September",
                    "October to December"
                ][usize::from(q.quarter - 1)]
            ),
            to: q.to_partners.clone(),
            from: q.from_partners.clone(),
        })
        .collect();
    let total = QuarterRow {
        label: format!("{} total", s.year),
        to: s.to_partners.clone(),
        from: s.from_partners.clone(),
    };
    (rows, total)
}

pub async fn exchange(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::DeliveryReports>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let year = year_of(raw.as_deref())?;
    let (sessions, summary) = partners::exchange(&state.store, year).await?;
    let (rows, total) = quarter_rows(&summary);
    let this = mashboard_store::training::today().year();
    html(&ExchangePage {
        chrome: Chrome::new(
            &state,
            format!("Training exchanged with partners in {year}"),
            Some(&page.user),
            &page.csrf,
            "/partners",
        ),
        year,
        years: (2020..=this + 1).rev().collect(),
        rows,
        total,
        sessions,
    })
}

pub(super) const SUMMARY_HEADER: [&str; 9] = [
    "Year",
    "Quarter",
    "Direction",
    "Sessions",
    "Attendees",
    "Completions outside sessions",
    "Organisations",
    "Organisation names",
    "Period",
];

pub(super) fn summary_rows(s: &ExchangeSummary) -> Vec<Vec<XCell>> {
    let mut out = Vec::new();
    let mut push = |q: String, dir: &str, c: &ExchangeCell, period: String| {
        out.push(vec![
            XCell::Number(f64::from(s.year)),
            XCell::Text(q),
            XCell::Text(dir.to_string()),
            XCell::Number(f64::from(c.sessions)),
            XCell::Number(f64::from(c.attendees)),
            XCell::Number(f64::from(c.completions)),
            XCell::Number(f64::from(c.organisations)),
            XCell::Text(c.organisation_names.join("; ")),
            XCell::Text(period),
        ]);
    };
    for q in &s.quarters {
        let period = mashboard_domain::partners::quarter_bounds(s.year, q.quarter)
            .map(|(a, b)| format!("{a} to {b}"))
            .unwrap_or_default();
        push(
            format!("Q{}", q.quarter),
            "Police to partners",
            &q.to_partners,
            period.clone(),
        );
        push(
            format!("Q{}", q.quarter),
            "Partners to police",
            &q.from_partners,
            period,
        );
    }
    push(
        "Year".into(),
        "Police to partners",
        &s.to_partners,
        String::new(),
    );
    push(
        "Year".into(),
        "Partners to police",
        &s.from_partners,
        String::new(),
    );
    out
}

pub(super) const SESSION_HEADER: [&str; 6] = [
    "Date",
    "Direction",
    "Session",
    "Module",
    "Organisations",
    "Attendees",
];

pub(super) fn session_rows(sessions: &[ExchangeSession]) -> Vec<Vec<XCell>> {
    sessions
        .iter()
        .map(|s| {
            vec![
                XCell::Date(mashboard_domain::people::parse_date(&s.day).ok()),
                XCell::Text(s.direction.label().into()),
                XCell::Text(s.title.clone()),
                XCell::Text(s.module_code.clone()),
                XCell::Text(s.organisations.join("; ")),
                XCell::Number(f64::from(s.attendees)),
            ]
        })
        .collect()
}

pub(super) fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub async fn exchange_csv(
    State(state): State<AppState>,
    _page: Page<crate::auth::cap::DeliveryReports>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let year = year_of(raw.as_deref())?;
    let (_, summary) = partners::exchange(&state.store, year).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    w.write_record(SUMMARY_HEADER).map_err(err)?;
    for row in summary_rows(&summary) {
        w.write_record(row.iter().map(|c| c.csv())).map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    // XCell::csv guards every text cell against formula injection (matrix::csv_safe).
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("partner-exchange-{year}.csv"),
        body,
    ))
}

pub async fn exchange_xlsx(
    State(state): State<AppState>,
    _page: Page<crate::auth::cap::DeliveryReports>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let year = year_of(raw.as_deref())?;
    let (sessions, summary) = partners::exchange(&state.store, year).await?;
    let body = workbook(&[
        Sheet {
            name: "Summary",
            header: SUMMARY_HEADER.to_vec(),
            rows: summary_rows(&summary),
        },
        Sheet {
            name: "Sessions",
            header: SESSION_HEADER.to_vec(),
            rows: session_rows(&sessions),
        },
    ])?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("partner-exchange-{year}.xlsx"),
        body,
    ))
}
