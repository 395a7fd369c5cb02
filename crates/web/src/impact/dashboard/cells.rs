//! The pieces every section of the dashboard is built from: a table's cells (text for people,
//! a value for spreadsheets), a chart drawn with its verdict, and a run chart of a simple series.

use super::{Figure, Table};
use crate::export::XCell;
use crate::impact::svg::{self, Svg};
use mashboard_domain::impact::dashboard::{pct, ChartFigure, RateFigure};
use mashboard_domain::impact::{run_chart, Improvement, PointType, SpcOptions, ValuePoint};

/// What the shapes and lines of a statistical process control chart mean.
pub(super) const SPC_LEGEND: &str = "Circles: common cause variation (noise). Triangles: special cause, improvement. Squares: special cause, concern. Solid line: centre; dashed lines: limits; dotted lines: 2-sigma lines.";

pub(super) fn text(s: impl Into<String>) -> (String, XCell) {
    let s = s.into();
    (s.clone(), XCell::Text(s))
}

pub(super) fn int(n: u64) -> (String, XCell) {
    (n.to_string(), XCell::Number(n as f64))
}

pub(super) fn share(r: Option<f64>) -> (String, XCell) {
    match r {
        Some(v) => (pct(v), XCell::Number(v)),
        None => (String::new(), XCell::Text(String::new())),
    }
}

pub(super) fn ci(ci: Option<[f64; 2]>) -> [(String, XCell); 2] {
    match ci {
        Some([lo, hi]) => [(pct(lo), XCell::Number(lo)), (pct(hi), XCell::Number(hi))],
        None => [text(""), text("")],
    }
}

pub(super) fn num(v: Option<f64>, places: usize) -> (String, XCell) {
    match v {
        Some(v) => (format!("{v:.places$}"), XCell::Number(v)),
        None => text(""),
    }
}

pub(super) fn signal_of(chart: &ChartFigure, label: &str) -> (String, XCell) {
    let t = chart
        .chart
        .as_ref()
        .and_then(|c| c.points.iter().find(|p| p.label == label))
        .map(|p| match p.point_type {
            PointType::SpecialCauseImprovement => "Special cause: improvement",
            PointType::SpecialCauseConcern => "Special cause: concern",
            PointType::CommonCause => "Common cause (noise)",
        })
        .unwrap_or("Not charted");
    text(t)
}

pub(super) fn rate_row(r: &RateFigure) -> [(String, XCell); 3] {
    let [lo, hi] = ci(r.ci95);
    [share(r.rate), lo, hi]
}

pub(super) fn drawn(
    chart: &ChartFigure,
    key: &'static str,
    title: &str,
    what: &str,
) -> Option<Svg> {
    let c = chart.chart.as_ref()?;
    let desc = format!("{what} {}", chart.verdict());
    Some(svg::draw(c, title, &desc, key))
}

pub(super) fn figure(
    key: &'static str,
    heading: &'static str,
    chart: &ChartFigure,
    what: &str,
    table: Table,
) -> Figure {
    Figure {
        key,
        heading,
        svg: drawn(chart, key, heading, what),
        legend: SPC_LEGEND,
        verdict: chart.verdict(),
        warnings: chart
            .chart
            .as_ref()
            .map(|c| c.warnings.clone())
            .unwrap_or_default(),
        table,
    }
}

/// A run chart (median centre, no limits) of a simple series, for coverage and the queue.
pub(super) fn run_figure(points: Vec<ValuePoint>, improvement: Improvement) -> ChartFigure {
    let result = run_chart(&points, improvement, &SpcOptions::default());
    match result {
        Ok(chart) => ChartFigure {
            signals: chart.signals.iter().map(|s| s.text.clone()).collect(),
            runs: chart.anhoej.describe(),
            chart: Some(chart),
            none_because: None,
        },
        Err(e) => ChartFigure {
            chart: None,
            signals: Vec::new(),
            runs: None,
            none_because: Some(e.to_string()),
        },
    }
}
