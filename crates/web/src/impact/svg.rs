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

/// One estimate with its 95% interval on a chart of estimates (the event study).
pub(crate) struct Estimate {
    pub label: String,
    /// No estimate for this place: nothing is drawn there, the place on the axis stays.
    pub value: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    /// The reference the others are measured from (zero by definition): drawn as a hollow
    /// diamond, with no interval.
    pub reference: bool,
}

/// Draws estimates with their 95% intervals as bars, a zero line across, and a dashed line
/// before the first place after `boundary_after` (e.g. between the quarter before training
/// and the training quarter). `text` writes a value for the axis and the point's words.
pub(crate) fn draw_estimates(
    points: &[Estimate],
    boundary_after: Option<usize>,
    title: &str,
    desc: &str,
    id: &str,
    text: &dyn Fn(f64) -> String,
) -> Svg {
    let n = points.len();
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for p in points {
        for v in p.value.into_iter().chain(p.ci95.into_iter().flatten()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if (hi - lo).abs() < 1e-12 {
        hi += 0.01;
        lo -= 0.01;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    // Each place sits in the middle of its own slot, so the first and last bars are not cut.
    let slot = plot_w / n.max(1) as f64;
    let x = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let y = |v: f64| TOP + plot_h * (hi - v) / (hi - lo);
    let mut lines = vec![Line {
        stroke: "#0b0c0c",
        dash: "",
        width: "1.5",
        polylines: vec![format!(
            "{},{} {},{}",
            px(LEFT),
            px(y(0.0)),
            px(LEFT + plot_w),
            px(y(0.0))
        )],
    }];
    if let Some(b) = boundary_after.filter(|b| b + 1 < n) {
        let bx = (x(b) + x(b + 1)) / 2.0;
        lines.push(Line {
            stroke: "#505a5f",
            dash: "6 4",
            width: "1",
            polylines: vec![format!(
                "{},{} {},{}",
                px(bx),
                px(TOP),
                px(bx),
                px(TOP + plot_h)
            )],
        });
    }
    let bars = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let [a, b] = p.ci95?;
            let (cx, ya, yb) = (x(i), y(a), y(b));
            Some(format!(
                "{l},{ya} {r},{ya} {c},{ya} {c},{yb} {l},{yb} {r},{yb}",
                l = px(cx - 6.0),
                r = px(cx + 6.0),
                c = px(cx),
                ya = px(ya),
                yb = px(yb)
            ))
        })
        .collect();
    lines.push(Line {
        stroke: "#1d70b8",
        dash: "",
        width: "2",
        polylines: bars,
    });
    let marks = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let v = p.value?;
            let (cx, cy) = (x(i), y(v));
            let interval = p
                .ci95
                .map(|[a, b]| format!(", 95% interval {} to {}", text(a), text(b)))
                .unwrap_or_default();
            Some(if p.reference {
                Mark {
                    x: px(cx),
                    y: px(cy),
                    shape: "diamond",
                    fill: "#ffffff",
                    path: format!(
                        "M{},{} L{},{} L{},{} L{},{} Z",
                        px(cx),
                        px(cy - 7.0),
                        px(cx + 7.0),
                        px(cy),
                        px(cx),
                        px(cy + 7.0),
                        px(cx - 7.0),
                        px(cy)
                    ),
                    words: format!("{}: {} by definition (the reference)", p.label, text(v)),
                }
            } else {
                Mark {
                    x: px(cx),
                    y: px(cy),
                    shape: "circle",
                    fill: "#1d70b8",
                    path: String::new(),
                    words: format!("{}: {}{interval}", p.label, text(v)),
                }
            })
        })
        .collect();
    let ticks = (0..=4)
        .map(|k| {
            let v = lo + (hi - lo) * k as f64 / 4.0;
            Tick {
                y: px(y(v)),
                text: text(v),
            }
        })
        .collect();
    let x_labels = points
        .iter()
        .enumerate()
        .map(|(i, p)| XLabel {
            x: px(x(i)),
            y: px(TOP + plot_h + 14.0),
            text: p.label.chars().take(16).collect(),
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
        series: String::new(),
        lines,
        marks,
        ticks,
        x_labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(label: &str, value: Option<f64>, reference: bool) -> Estimate {
        Estimate {
            label: label.into(),
            value,
            ci95: value.filter(|_| !reference).map(|v| [v - 0.1, v + 0.1]),
            reference,
        }
    }

    #[test]
    fn estimates_are_drawn_with_their_bars_a_zero_line_and_a_hollow_reference() {
        let points = [
            est("−2", Some(0.02), false),
            est("−1 (reference)", Some(0.0), true),
            est("0", None, false),
            est("+1", Some(-0.05), false),
        ];
        let svg = draw_estimates(&points, Some(1), "T", "D", "ev", &|v| format!("{v:.2}"));
        // Zero line, boundary line, and one bar for each estimate with an interval.
        assert_eq!(svg.lines.len(), 3);
        assert_eq!(svg.lines[2].polylines.len(), 2);
        // A mark for each estimate (the empty place has none), the reference hollow.
        assert_eq!(svg.marks.len(), 3);
        assert_eq!(svg.marks[1].fill, "#ffffff");
        assert!(svg.marks[1].words.contains("the reference"));
        assert!(svg.marks[2].words.contains("95% interval -0.15 to 0.05"));
        // Every place keeps its label, the empty one included.
        assert_eq!(svg.x_labels.len(), 4);
        assert!(svg.series.is_empty());
    }
}
