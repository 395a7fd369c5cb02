//! A chart drawn on the server as SVG: the points, the centre line, the limits and the 2-sigma
//! lines, with each point's signal shown by its shape and in words as well as by colour, a title
//! and a description for screen readers. No script is needed to see it.

use crate::export::drawing::{self, Drawing, Pen, Shape};
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
    /// "circle", "up" (triangle), "square" or "diamond".
    pub shape: &'static str,
    pub fill: &'static str,
    /// The path of a triangle, square or diamond marker (from `outline`).
    pub path: String,
    /// The corners of that marker (none for a circle).
    pub outline: Vec<(f64, f64)>,
    pub words: String,
}

impl Mark {
    /// A marker at (`cx`, `cy`): a circle without corners, else the shape through them.
    fn new(
        (cx, cy): (f64, f64),
        shape: &'static str,
        fill: &'static str,
        outline: Vec<(f64, f64)>,
        words: String,
    ) -> Mark {
        let path = if outline.is_empty() {
            String::new()
        } else {
            let corners: Vec<String> = outline
                .iter()
                .map(|&(x, y)| format!("{},{}", px(x), px(y)))
                .collect();
            format!("M{} Z", corners.join(" L"))
        };
        Mark {
            x: px(cx),
            y: px(cy),
            shape,
            fill,
            path,
            outline,
            words,
        }
    }
}

/// The value axis: the range shown (padded beyond the values) and where a value falls.
struct Scale {
    lo: f64,
    hi: f64,
}

impl Scale {
    /// A range over `lo`..`hi` (widened by `flat` each way when it is a single value), with 8%
    /// to spare at each end.
    fn over(lo: f64, hi: f64, flat: f64) -> Scale {
        let (mut lo, mut hi) = (lo, hi);
        if (hi - lo).abs() < 1e-12 {
            hi += flat;
            lo -= flat;
        }
        let pad = (hi - lo) * 0.08;
        Scale {
            lo: lo - pad,
            hi: hi + pad,
        }
    }

    fn y(&self, v: f64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (self.hi - v) / (self.hi - self.lo)
    }

    /// Five ticks from the bottom of the range to the top.
    fn ticks(&self, text: &dyn Fn(f64) -> String) -> Vec<Tick> {
        (0..=4)
            .map(|k| {
                let v = self.lo + (self.hi - self.lo) * k as f64 / 4.0;
                Tick {
                    y: px(self.y(v)),
                    text: text(v),
                }
            })
            .collect()
    }
}

/// What every chart has around its plot: the size, title, description and plot edges.
fn framed(id: &str, title: &str, desc: &str) -> Svg {
    Svg {
        id: id.to_string(),
        width: px(WIDTH),
        height: px(HEIGHT),
        title: title.to_string(),
        desc: desc.to_string(),
        plot_left: px(LEFT),
        plot_right: px(WIDTH - RIGHT),
        plot_top: px(TOP),
        plot_bottom: px(HEIGHT - BOTTOM),
        series: String::new(),
        lines: Vec::new(),
        marks: Vec::new(),
        ticks: Vec::new(),
        x_labels: Vec::new(),
    }
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
    let scale = Scale::over(lo, hi, 1.0);
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
    let y = |v: f64| scale.y(v);

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
            let (shape, fill, outline, what) = match p.point_type {
                PointType::SpecialCauseImprovement => (
                    "up",
                    "#1d70b8",
                    vec![(cx, cy - 7.0), (cx + 6.5, cy + 5.0), (cx - 6.5, cy + 5.0)],
                    "special cause: improvement",
                ),
                PointType::SpecialCauseConcern => (
                    "square",
                    "#f47738",
                    vec![
                        (cx - 5.5, cy - 5.5),
                        (cx + 5.5, cy - 5.5),
                        (cx + 5.5, cy + 5.5),
                        (cx - 5.5, cy + 5.5),
                    ],
                    "special cause: concern",
                ),
                PointType::CommonCause => ("circle", "#505a5f", Vec::new(), "common cause"),
            };
            Mark::new(
                (cx, cy),
                shape,
                fill,
                outline,
                format!("{}: {} ({what})", p.label, value_text(chart.chart, p.y)),
            )
        })
        .collect();
    let ticks = scale.ticks(&|v| value_text(chart.chart, v));
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
        series,
        lines,
        marks,
        ticks,
        x_labels,
        ..framed(id, title, desc)
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
    let scale = Scale::over(lo, hi, 0.01);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    // Each place sits in the middle of its own slot, so the first and last bars are not cut.
    let slot = plot_w / n.max(1) as f64;
    let x = |i: usize| LEFT + slot * (i as f64 + 0.5);
    let y = |v: f64| scale.y(v);
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
                Mark::new(
                    (cx, cy),
                    "diamond",
                    "#ffffff",
                    vec![
                        (cx, cy - 7.0),
                        (cx + 7.0, cy),
                        (cx, cy + 7.0),
                        (cx - 7.0, cy),
                    ],
                    format!("{}: {} by definition (the reference)", p.label, text(v)),
                )
            } else {
                Mark::new(
                    (cx, cy),
                    "circle",
                    "#1d70b8",
                    Vec::new(),
                    format!("{}: {}{interval}", p.label, text(v)),
                )
            })
        })
        .collect();
    let ticks = scale.ticks(text);
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
        lines,
        marks,
        ticks,
        x_labels,
        ..framed(id, title, desc)
    }
}

/// The chart as a drawing for a PDF: what `templates/impact/spc_chart.svg` draws, shape for
/// shape (grid and ticks, axes, lines, the series, the markers and the labels).
pub(crate) fn drawing(svg: &Svg) -> Drawing {
    let num = |t: &str| t.parse::<f32>().unwrap_or(0.0);
    let points = |t: &str| -> Vec<(f32, f32)> {
        t.split_whitespace()
            .filter_map(|xy| {
                let (x, y) = xy.split_once(',')?;
                Some((num(x), num(y)))
            })
            .collect()
    };
    let line = |points: Vec<(f32, f32)>, colour: &str, width: f32, dash: &str| Shape::Path {
        points,
        stroke: Some(Pen {
            colour: drawing::rgb(colour),
            width,
            dash: dash.split_whitespace().map(num).collect(),
        }),
        fill: None,
        closed: false,
    };
    let (left, right) = (num(&svg.plot_left), num(&svg.plot_right));
    let (top, bottom) = (num(&svg.plot_top), num(&svg.plot_bottom));
    let mut shapes = Vec::new();
    for t in &svg.ticks {
        let y = num(&t.y);
        shapes.push(line(vec![(left, y), (right, y)], "#f3f2f1", 1.0, ""));
        shapes.push(Shape::Text {
            x: left - 6.0,
            y: y + 4.0,
            size: 12.0,
            text: t.text.clone(),
            ends_at_x: true,
            rotate: 0.0,
        });
    }
    shapes.push(line(vec![(left, top), (left, bottom)], "#0b0c0c", 1.0, ""));
    shapes.push(line(
        vec![(left, bottom), (right, bottom)],
        "#0b0c0c",
        1.0,
        "",
    ));
    for l in &svg.lines {
        for p in &l.polylines {
            shapes.push(line(points(p), l.stroke, num(l.width), l.dash));
        }
    }
    if !svg.series.is_empty() {
        shapes.push(line(points(&svg.series), "#505a5f", 1.5, ""));
    }
    for m in &svg.marks {
        let outline: Vec<(f32, f32)> = if m.outline.is_empty() {
            drawing::circle(num(&m.x), num(&m.y), 4.5)
        } else {
            m.outline
                .iter()
                .map(|&(x, y)| (x as f32, y as f32))
                .collect()
        };
        shapes.push(Shape::Path {
            points: outline,
            stroke: (m.shape != "circle").then(|| Pen {
                colour: (0x0b, 0x0c, 0x0c),
                width: 1.0,
                dash: Vec::new(),
            }),
            fill: Some(drawing::rgb(m.fill)),
            closed: true,
        });
    }
    for l in &svg.x_labels {
        shapes.push(Shape::Text {
            x: num(&l.x),
            y: num(&l.y),
            size: 11.0,
            text: l.text.clone(),
            ends_at_x: true,
            rotate: -40.0,
        });
    }
    Drawing {
        width: num(&svg.width),
        height: num(&svg.height),
        shapes,
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

        // The same chart for a PDF: the ticks and the places' labels, the hollow diamond with
        // its four corners, and the interval bars.
        let d = drawing(&svg);
        let texts = d.texts();
        assert_eq!(texts.len(), 5 + 4);
        assert!(texts.contains(&"−1 (reference)"));
        let white = d.shapes.iter().filter(|s| {
            matches!(s, Shape::Path { fill: Some((255, 255, 255)), points, closed: true, .. } if points.len() == 4)
        });
        assert_eq!(white.count(), 1);
        assert_eq!((d.width, d.height), (760.0, 340.0));
    }
}
