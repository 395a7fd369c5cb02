//! A chart drawn on the server as SVG: the points, the centre line, the limits and the 2-sigma
//! lines, with each point's signal shown by its shape and in words as well as by colour, a title
//! and a description for screen readers. No script is needed to see it.

use mashboard_domain::impact::{ChartKind, PointType, SpcChart};

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 72.0;

/// A line of the chart: the centre, a limit or a 2-sigma line, as polylines (one for each stretch
/// where its value stays the same, so a recalculation is a step).
pub(crate) struct Line {
    pub stroke: &'static str,
    pub dash: &'static str,
    pub width: &'static str,
    pub polylines: Vec<String>,
}

pub(crate) struct Mark {
    pub x: String,
    pub y: String,
    /// "circle", "up" (triangle) or "down" (triangle), "square".
    pub shape: &'static str,
    pub fill: &'static str,
    /// The path of a triangle or square marker.
    pub path: String,
    pub words: String,
}

pub(crate) struct Tick {
    pub y: String,
    pub text: String,
}

pub(crate) struct XLabel {
    pub x: String,
    pub y: String,
    pub text: String,
}

/// Everything the template needs, in pixels as text.
pub(crate) struct Svg {
    pub id: String,
    pub width: String,
    pub height: String,
    pub title: String,
    pub desc: String,
    pub plot_left: String,
    pub plot_right: String,
    pub plot_top: String,
    pub plot_bottom: String,
    pub series: String,
    pub lines: Vec<Line>,
    pub marks: Vec<Mark>,
    pub ticks: Vec<Tick>,
    pub x_labels: Vec<XLabel>,
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

/// A value as the chart's axis shows it: a percentage for rates.
pub(crate) fn value_text(kind: ChartKind, v: f64) -> String {
    match kind {
        ChartKind::P | ChartKind::PPrime => format!("{:.1}%", v * 100.0),
        _ => {
            if (v - v.round()).abs() < 1e-9 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        }
    }
}

/// Draws `chart` under `title`; `id` keeps the title and description ids unique on the page.
pub(crate) fn draw(chart: &SpcChart, title: &str, desc: &str, id: &str) -> Svg {
    let n = chart.points.len();
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for p in &chart.points {
        for v in [Some(p.y), Some(p.cl), p.lcl, p.ucl].into_iter().flatten() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        lo = 0.0;
        hi = 1.0;
    }
    if (hi - lo).abs() < 1e-12 {
        hi += 1.0;
        lo -= 1.0;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = if n > 1 { plot_w / (n - 1) as f64 } else { 0.0 };
    let x = |i: usize| {
        if n > 1 {
            LEFT + step * i as f64
        } else {
            LEFT + plot_w / 2.0
        }
    };
    let y = |v: f64| TOP + plot_h * (hi - v) / (hi - lo);

    let line = |_kind: &'static str,
                stroke: &'static str,
                dash: &'static str,
                width: &'static str,
                get: &dyn Fn(usize) -> Option<f64>| {
        let mut polylines = Vec::new();
        let mut i = 0;
        while i < n {
            let Some(v) = get(i) else {
                i += 1;
                continue;
            };
            let mut j = i;
            while j + 1 < n && get(j + 1).is_some_and(|w| (w - v).abs() < 1e-12) {
                j += 1;
            }
            let half = if n > 1 { step / 2.0 } else { plot_w / 2.0 };
            let (x0, x1) = ((x(i) - half).max(LEFT), (x(j) + half).min(LEFT + plot_w));
            polylines.push(format!("{},{} {},{}", px(x0), px(y(v)), px(x1), px(y(v))));
            i = j + 1;
        }
        Line {
            stroke,
            dash,
            width,
            polylines,
        }
    };
    let pts = &chart.points;
    let mut lines = vec![line("Centre line", "#0b0c0c", "", "2", &|i| {
        Some(pts[i].cl)
    })];
    if pts.iter().any(|p| p.ucl.is_some()) {
        lines.push(line("Upper limit", "#505a5f", "6 4", "1.5", &|i| {
            pts[i].ucl
        }));
        lines.push(line("Lower limit", "#505a5f", "6 4", "1.5", &|i| {
            pts[i].lcl
        }));
        lines.push(line("Upper 2-sigma line", "#b1b4b6", "2 3", "1", &|i| {
            pts[i].ucl_2sigma
        }));
        lines.push(line("Lower 2-sigma line", "#b1b4b6", "2 3", "1", &|i| {
            pts[i].lcl_2sigma
        }));
    }
    let series = pts
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{},{}", px(x(i)), px(y(p.y))))
        .collect::<Vec<_>>()
        .join(" ");
    let marks = pts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (cx, cy) = (x(i), y(p.y));
            let (shape, fill, path, what) = match p.point_type {
                PointType::SpecialCauseImprovement => (
                    "up",
                    "#1d70b8",
                    format!(
                        "M{},{} L{},{} L{},{} Z",
                        px(cx),
                        px(cy - 7.0),
                        px(cx + 6.5),
                        px(cy + 5.0),
                        px(cx - 6.5),
                        px(cy + 5.0)
                    ),
                    "special cause: improvement",
                ),
                PointType::SpecialCauseConcern => (
                    "square",
                    "#f47738",
                    format!("M{},{} h11 v11 h-11 Z", px(cx - 5.5), px(cy - 5.5)),
                    "special cause: concern",
                ),
                PointType::CommonCause => ("circle", "#505a5f", String::new(), "common cause"),
            };
            Mark {
                x: px(cx),
                y: px(cy),
                shape,
                fill,
                path,
                words: format!("{}: {} ({what})", p.label, value_text(chart.chart, p.y)),
            }
        })
        .collect();
    let ticks = (0..=4)
        .map(|k| {
            let v = lo + (hi - lo) * k as f64 / 4.0;
            Tick {
                y: px(y(v)),
                text: value_text(chart.chart, v),
            }
        })
        .collect();
    let every = n.div_ceil(16).max(1);
    let x_labels = pts
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i + 1 == n)
        .map(|(i, p)| XLabel {
            x: px(x(i)),
            y: px(TOP + plot_h + 14.0),
            text: p.label.chars().take(14).collect(),
        })
        .collect();
    Svg {
        id: id.to_string(),
        width: px(WIDTH),
        height: px(HEIGHT),
        title: title.to_string(),
        desc: desc.to_string(),
        plot_left: px(LEFT),
        plot_right: px(LEFT + plot_w),
        plot_top: px(TOP),
        plot_bottom: px(TOP + plot_h),
        series,
        lines,
        marks,
        ticks,
        x_labels,
    }
}
