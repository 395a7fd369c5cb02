//! `/impact/chart`: chart your own data. An analyst uploads a CSV or Excel file of periods (a
//! label with a numerator and a denominator, or a label and a value), picks the chart and which
//! way is better, and gets the chart drawn on the server, its signals in words and its table.

use super::input::{self, Given};
use super::svg::{self, Svg};
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use mashboard_domain::impact::{ChartKind, Improvement, PointType, SpcChart};
use mashboard_domain::imports::{normalise_header, read_table};

#[derive(Template)]
#[template(path = "impact/chart.html")]
struct ChartPage {
    chrome: Chrome,
    form: FormState,
    result: Option<Drawn>,
}

/// A drawn chart with everything the page says about it.
struct Drawn {
    heading: String,
    svg: Svg,
    signals: Vec<String>,
    runs: Option<String>,
    warnings: Vec<String>,
    rates: bool,
    rows: Vec<Row>,
}

struct Row {
    label: String,
    numerator: String,
    denominator: String,
    y: String,
    cl: String,
    lcl: String,
    ucl: String,
    signal: &'static str,
}

fn chrome(state: &AppState, page: &Page<cap::Impact>, errors: bool) -> Chrome {
    Chrome::new(
        state,
        "Chart your own data",
        Some(&page.user),
        &page.csrf,
        "/impact/chart",
    )
    .with_errors(errors)
}

pub async fn form(
    State(state): State<AppState>,
    page: Page<cap::Impact>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    form.set("chart", "p");
    form.set("improvement", "increase");
    html(&ChartPage {
        chrome: chrome(&state, &page, false),
        form,
        result: None,
    })
}

pub async fn draw(
    State(state): State<AppState>,
    page: Page<cap::Impact>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
        match name.as_str() {
            "file" => file = Some(bytes.to_vec()),
            "chart" | "improvement" | "baseline_to" | "recalculate_at" => {
                form.set(&name, String::from_utf8_lossy(&bytes).trim().to_string())
            }
            _ => {}
        }
    }
    let kind = match form.value("chart") {
        "p" => Some(ChartKind::P),
        "p_prime" => Some(ChartKind::PPrime),
        "xmr" => Some(ChartKind::Xmr),
        "run" => Some(ChartKind::Run),
        _ => None,
    };
    let improvement = match form.value("improvement") {
        "increase" => Some(Improvement::Increase),
        "decrease" => Some(Improvement::Decrease),
        _ => None,
    };
    if kind.is_none() {
        form.add_error("chart", "Choose a chart");
    }
    if improvement.is_none() {
        form.add_error("improvement", "Choose which way is better");
    }
    let bytes = file.filter(|b| !b.is_empty());
    if bytes.is_none() {
        form.add_error("file", "Select a CSV or Excel file");
    }
    let (Some(kind), Some(improvement), Some(bytes)) = (kind, improvement, bytes) else {
        return html(&ChartPage {
            chrome: chrome(&state, &page, true),
            form,
            result: None,
        });
    };
    let parsed = tokio::task::spawn_blocking(move || read_points(&bytes, kind))
        .await
        .map_err(|e| AppError::Internal(format!("chart file reader: {e}")))?;
    let points = match parsed {
        Ok(points) => points,
        Err(message) => {
            form.add_error("file", message);
            return html(&ChartPage {
                chrome: chrome(&state, &page, true),
                form,
                result: None,
            });
        }
    };
    let baseline = form.value("baseline_to").to_string();
    let recalc: Vec<String> = form
        .value("recalculate_at")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let chart = match input::chart(kind, improvement, &points, Some(&baseline), &recalc) {
        Ok(c) => c,
        Err(message) => {
            let field = if message.starts_with("Limits from") {
                "baseline_to"
            } else if message.starts_with("Recalculate") {
                "recalculate_at"
            } else {
                "file"
            };
            form.add_error(field, message);
            return html(&ChartPage {
                chrome: chrome(&state, &page, true),
                form,
                result: None,
            });
        }
    };
    let result = drawn(&chart, &points, kind, improvement);
    html(&ChartPage {
        chrome: chrome(&state, &page, false),
        form,
        result: Some(result),
    })
}

fn drawn(chart: &SpcChart, points: &[Given], kind: ChartKind, improvement: Improvement) -> Drawn {
    let better = match improvement {
        Improvement::Increase => "higher is better",
        Improvement::Decrease => "lower is better",
    };
    let heading = format!(
        "{} chart of {} points ({better})",
        capitalised(input::chart_name(kind)),
        chart.points.len()
    );
    let signals: Vec<String> = chart.signals.iter().map(|s| s.text.clone()).collect();
    let desc = if signals.is_empty() {
        format!(
            "{heading}. Every point is common cause variation: no signal by the Making Data Count rules."
        )
    } else {
        format!("{heading}. {}.", signals.join("; "))
    };
    let svg = svg::draw(chart, &heading, &desc, "own-chart");
    let rates = input::wants_rates(kind);
    let text = |v: Option<f64>| v.map(|v| svg::value_text(kind, v)).unwrap_or_default();
    let rows = chart
        .points
        .iter()
        .zip(points)
        .map(|(p, given)| {
            let (numerator, denominator) = match given {
                Given::Rate {
                    numerator,
                    denominator,
                    ..
                } => (numerator.to_string(), denominator.to_string()),
                Given::Value { .. } => (String::new(), String::new()),
            };
            Row {
                label: p.label.clone(),
                numerator,
                denominator,
                y: svg::value_text(kind, p.y),
                cl: svg::value_text(kind, p.cl),
                lcl: text(p.lcl),
                ucl: text(p.ucl),
                signal: match p.point_type {
                    PointType::SpecialCauseImprovement => "Special cause: improvement",
                    PointType::SpecialCauseConcern => "Special cause: concern",
                    PointType::CommonCause => "Common cause",
                },
            }
        })
        .collect();
    Drawn {
        heading,
        svg,
        signals,
        runs: chart.anhoej.describe(),
        warnings: chart.warnings.clone(),
        rates,
        rows,
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The points of an uploaded table: a `label` (or `period`) column and either `numerator` and
/// `denominator` (p and p′ charts) or `value` (XmR and run charts). Every problem names its row
/// and column.
fn read_points(bytes: &[u8], kind: ChartKind) -> Result<Vec<Given>, String> {
    let table = read_table(bytes).map_err(|e| e.to_string())?;
    let headers: Vec<String> = table.headers.iter().map(|h| normalise_header(h)).collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let label = col(&["label", "period", "quarter", "month"]).ok_or(
        "The file has no label column: the first row must name the columns, for example label,numerator,denominator or label,value",
    )?;
    let rates = input::wants_rates(kind);
    let wanted: &[&str] = if rates {
        &["numerator", "denominator"]
    } else {
        &["value"]
    };
    let mut cols = Vec::new();
    for w in wanted {
        cols.push(col(&[w]).ok_or_else(|| {
            format!(
                "The file has no {w} column, which a {} chart needs: the columns must be label,{}",
                input::chart_name(kind),
                wanted.join(",")
            )
        })?);
    }
    if table.rows.is_empty() {
        return Err("The file has a header but no rows: add one row per period under it".into());
    }
    let mut points = Vec::with_capacity(table.rows.len());
    let mut problems = Vec::new();
    for (row, cells) in &table.rows {
        let cell = |i: usize| cells.get(i).map(|s| s.trim()).unwrap_or_default();
        let name = cell(label).to_string();
        if name.is_empty() {
            problems.push(format!("Row {row}, column label: the label is empty"));
            continue;
        }
        let mut numbers = Vec::new();
        for (w, &i) in wanted.iter().zip(&cols) {
            match cell(i).replace(',', "").parse::<f64>() {
                Ok(v) if v.is_finite() => numbers.push(v),
                _ => problems.push(format!(
                    "Row {row}, column {w}: \"{}\" is not a number",
                    cell(i)
                )),
            }
        }
        if numbers.len() != wanted.len() {
            continue;
        }
        points.push(if rates {
            Given::Rate {
                label: name,
                numerator: numbers[0],
                denominator: numbers[1],
            }
        } else {
            Given::Value {
                label: name,
                value: numbers[0],
            }
        });
    }
    if !problems.is_empty() {
        let more = problems.len().saturating_sub(5);
        let mut message = problems.into_iter().take(5).collect::<Vec<_>>().join("; ");
        if more > 0 {
            message.push_str(&format!("; and {more} more"));
        }
        return Err(message);
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_of_rates_is_read_and_bad_cells_are_named() {
        let ok = read_points(
            b"Quarter,Numerator,Denominator\n2024 Q1,5,10\n2024 Q2,\"1,200\",2000\n",
            ChartKind::P,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(
            ok[1],
            Given::Rate {
                label: "2024 Q2".into(),
                numerator: 1200.0,
                denominator: 2000.0
            }
        );
        let e =
            read_points(b"label,numerator,denominator\nQ1,five,10\n", ChartKind::P).unwrap_err();
        assert_eq!(e, "Row 2, column numerator: \"five\" is not a number");
        let e = read_points(b"label,numerator\nQ1,5\n", ChartKind::P).unwrap_err();
        assert!(e.contains("no denominator column"), "{e}");
        let e = read_points(b"label,value\n", ChartKind::Xmr).unwrap_err();
        assert!(e.contains("no rows"), "{e}");
    }
}
