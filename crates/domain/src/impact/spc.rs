//! Statistical process control charts (p, Laney p′, XmR, run) with limits that can be frozen on
//! a baseline or recalculated from chosen points; the signal rules live in `rules`.
//!
//! Definitions (NHS England "Making Data Count" for XmR; Laney 2002 for p′):
//! * p: `cl = Σy/Σn`, `sd_i = √(cl(1−cl)/n_i)`, limits `cl ± 3·sd_i`, 2-sigma lines
//!   `cl ± 2·sd_i`, clipped to [0, 1].
//! * p′: `z_i = (p_i − cl)/sd_i`, `σz = mean|z_i − z_{i−1}| / 1.128` (every moving range, no
//!   screening), limits `cl ± 3·sd_i·σz`, 2-sigma lines `cl ± 2·sd_i·σz`, clipped to [0, 1].
//! * XmR: `cl = mean`; moving ranges `|y_i − y_{i−1}|`, those ≥ 3.267 × their mean dropped and
//!   the rest averaged (`MRbar`); limits `cl ± 2.66·MRbar`, 2-sigma lines `cl ± (2/3)·2.66·MRbar`.
//! * run: `cl = median`, no limits.
//!
//! A chart is split into segments at each `recalc_from` point; each segment's lines come from its
//! own points, except the first segment's, which come from `baseline` when one is given. The
//! rules run within each segment (a recalculation starts a new chart); the runs analysis
//! ([`Anhoej`]) looks at every point against its own centre line.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::anhoej::{runs_analysis, Anhoej};
use super::rules::{apply_rules, Signal};

/// Which chart (`"p"`, `"p_prime"`, `"xmr"`, `"run"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    P,
    PPrime,
    Xmr,
    Run,
}

/// Which way is better for the measure (`"increase"`, `"decrease"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Improvement {
    Increase,
    Decrease,
}

/// What a point shows, after the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointType {
    SpecialCauseImprovement,
    SpecialCauseConcern,
    CommonCause,
}

/// One period of a rate: `numerator` cases out of `denominator` (e.g. referrals judged
/// appropriate out of referrals reviewed).
#[derive(Debug, Clone, PartialEq)]
pub struct RatePoint {
    pub label: String,
    pub numerator: f64,
    pub denominator: f64,
}

/// One period of a value (e.g. days from incident to referral).
#[derive(Debug, Clone, PartialEq)]
pub struct ValuePoint {
    pub label: String,
    pub value: f64,
}

/// Where the lines come from.
///
/// * `baseline`: the points (0-based, end exclusive) whose values set the first segment's lines,
///   e.g. `Some(0..4)` for "limits from the 2022 quarters"; `None` uses the whole first segment.
///   It must lie inside the first segment.
/// * `recalc_from`: 0-based indices, strictly increasing, from which the lines are recalculated
///   (a step change): points before the first use the first set, points from `r` use lines from
///   the points of `r` up to the next recalculation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpcOptions {
    pub baseline: Option<Range<usize>>,
    pub recalc_from: Vec<usize>,
}

/// One plotted point with its lines and the rules it is part of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpcPoint {
    pub label: String,
    pub y: f64,
    pub cl: f64,
    pub lcl: Option<f64>,
    pub ucl: Option<f64>,
    pub lcl_2sigma: Option<f64>,
    pub ucl_2sigma: Option<f64>,
    pub outside_limits: bool,
    pub close_to_limits: bool,
    pub part_of_7_point_shift: bool,
    pub part_of_7_point_trend: bool,
    pub part_of_2_in_3: bool,
    pub point_type: PointType,
}

/// A finished chart. `centre` is the centre line in force at the last point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpcChart {
    pub chart: ChartKind,
    pub centre: f64,
    pub points: Vec<SpcPoint>,
    pub anhoej: Anhoej,
    pub warnings: Vec<String>,
    /// Which way is better (not serialised: the page already knows it).
    #[serde(skip)]
    pub improvement: Improvement,
    /// Each special-cause signal in plain words (not serialised; see [`Signal`]).
    #[serde(skip)]
    pub signals: Vec<Signal>,
}

/// Why a chart cannot be drawn. Points are numbered from 1 in messages, as a reader counts them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpcError {
    #[error("A chart needs at least 2 points; this one has {0}")]
    TooFewPoints(usize),
    #[error("Point {number} ({label}): the {what} is not a number")]
    NotFinite {
        number: usize,
        label: String,
        what: &'static str,
    },
    #[error("Point {number} ({label}): the {what} is negative")]
    Negative {
        number: usize,
        label: String,
        what: &'static str,
    },
    #[error("Point {number} ({label}): the denominator is 0; a rate needs at least one case")]
    ZeroDenominator { number: usize, label: String },
    #[error(
        "Point {number} ({label}): the numerator {numerator} is more than the denominator {denominator}"
    )]
    NumeratorAboveDenominator {
        number: usize,
        label: String,
        numerator: f64,
        denominator: f64,
    },
    #[error("The baseline must be points inside the first part of the chart (points 1 to {first_part_end}); points {start} to {end} were asked for")]
    BadBaseline {
        start: usize,
        end: usize,
        first_part_end: usize,
    },
    #[error("Recalculation points must be increasing and between point 2 and point {points}; got point {number}")]
    BadRecalculation { number: usize, points: usize },
    #[error(
        "The lines from point {first} to point {last} need at least 2 points to calculate from"
    )]
    TooFewForLines { first: usize, last: usize },
}

/// A segment of the chart: the points it draws and the points its lines are calculated from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) points: Range<usize>,
    pub(crate) basis: Range<usize>,
}

/// The lines for one point.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lines {
    cl: f64,
    limits: Option<Band>,
}

/// Limits and 2-sigma lines (absent on run charts).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Band {
    lcl: f64,
    ucl: f64,
    lcl_2sigma: f64,
    ucl_2sigma: f64,
}

/// Laney's constant d₂ for moving ranges of two.
const D2: f64 = 1.128;
/// Making Data Count's screening factor for moving ranges (D₄ for n = 2).
const MR_SCREEN: f64 = 3.267;
/// 3/d₂: XmR's multiplier of MRbar for the limits.
const XMR_LIMIT: f64 = 2.66;
/// Fewer points than this give XmR limits that Making Data Count calls provisional.
const XMR_SETTLED_POINTS: usize = 13;

/// p chart of rates.
pub fn p_chart(
    points: &[RatePoint],
    improvement: Improvement,
    options: &SpcOptions,
) -> Result<SpcChart, SpcError> {
    rate_chart(points, improvement, options, false)
}

/// Laney p′ chart of rates: a p chart whose limits are widened (or narrowed) by the variation
/// between periods, for large denominators where a p chart flags nearly every point.
pub fn p_prime_chart(
    points: &[RatePoint],
    improvement: Improvement,
    options: &SpcOptions,
) -> Result<SpcChart, SpcError> {
    rate_chart(points, improvement, options, true)
}

/// XmR (individuals) chart of values.
pub fn xmr_chart(
    points: &[ValuePoint],
    improvement: Improvement,
    options: &SpcOptions,
) -> Result<SpcChart, SpcError> {
    let ys = checked_values(points)?;
    let segments = segments(ys.len(), options)?;
    let mut warnings = Vec::new();
    let mut lines = Vec::with_capacity(ys.len());
    for segment in &segments {
        let basis = &ys[segment.basis.clone()];
        if basis.len() < XMR_SETTLED_POINTS {
            warnings.push(provisional_warning(segment, basis.len()));
        }
        let seg_lines = xmr_lines(basis);
        lines.extend(segment.points.clone().map(|_| seg_lines));
    }
    let labels = points.iter().map(|p| p.label.clone());
    Ok(finish(
        ChartKind::Xmr,
        labels,
        &ys,
        &lines,
        &segments,
        improvement,
        warnings,
    ))
}

/// Run chart of values: the median as centre, no limits; only the shift and trend rules apply.
pub fn run_chart(
    points: &[ValuePoint],
    improvement: Improvement,
    options: &SpcOptions,
) -> Result<SpcChart, SpcError> {
    let ys = checked_values(points)?;
    let segments = segments(ys.len(), options)?;
    let mut lines = Vec::with_capacity(ys.len());
    for segment in &segments {
        let cl = median(&ys[segment.basis.clone()]);
        lines.extend(segment.points.clone().map(|_| Lines { cl, limits: None }));
    }
    let labels = points.iter().map(|p| p.label.clone());
    Ok(finish(
        ChartKind::Run,
        labels,
        &ys,
        &lines,
        &segments,
        improvement,
        Vec::new(),
    ))
}

/// The p and p′ charts: validate, split, compute each segment's lines, apply the rules.
fn rate_chart(
    points: &[RatePoint],
    improvement: Improvement,
    options: &SpcOptions,
    laney: bool,
) -> Result<SpcChart, SpcError> {
    check_rates(points)?;
    let segments = segments(points.len(), options)?;
    let mut lines = Vec::with_capacity(points.len());
    let mut warnings = Vec::new();
    for segment in &segments {
        let seg_lines = rate_lines(points, segment, laney);
        if seg_lines
            .iter()
            .all(|l| l.limits.is_some_and(|b| b.lcl == b.ucl))
        {
            warnings.push(format!(
                "Points {} to {}: the points the limits come from show no variation, so the \
                 limits sit on the centre line",
                segment.points.start + 1,
                segment.points.end
            ));
        }
        lines.extend(seg_lines);
    }
    let ys: Vec<f64> = points.iter().map(|p| p.numerator / p.denominator).collect();
    let kind = if laney {
        ChartKind::PPrime
    } else {
        ChartKind::P
    };
    let labels = points.iter().map(|p| p.label.clone());
    Ok(finish(
        kind,
        labels,
        &ys,
        &lines,
        &segments,
        improvement,
        warnings,
    ))
}

/// Assemble the points, apply the rules and the runs analysis.
fn finish(
    chart: ChartKind,
    labels: impl Iterator<Item = String>,
    ys: &[f64],
    lines: &[Lines],
    segments: &[Segment],
    improvement: Improvement,
    warnings: Vec<String>,
) -> SpcChart {
    let mut points: Vec<SpcPoint> = labels
        .zip(ys.iter().zip(lines))
        .map(|(label, (&y, l))| SpcPoint {
            label,
            y,
            cl: l.cl,
            lcl: l.limits.map(|b| b.lcl),
            ucl: l.limits.map(|b| b.ucl),
            lcl_2sigma: l.limits.map(|b| b.lcl_2sigma),
            ucl_2sigma: l.limits.map(|b| b.ucl_2sigma),
            outside_limits: false,
            close_to_limits: false,
            part_of_7_point_shift: false,
            part_of_7_point_trend: false,
            part_of_2_in_3: false,
            point_type: PointType::CommonCause,
        })
        .collect();
    let ranges: Vec<Range<usize>> = segments.iter().map(|s| s.points.clone()).collect();
    let signals = apply_rules(&mut points, &ranges, improvement);
    let anhoej = runs_analysis(points.iter().map(|p| (p.y, p.cl)));
    SpcChart {
        chart,
        centre: points.last().map_or(f64::NAN, |p| p.cl),
        points,
        anhoej,
        warnings,
        improvement,
        signals,
    }
}

/// The lines of every point of one segment of a p or p′ chart.
fn rate_lines(points: &[RatePoint], segment: &Segment, laney: bool) -> Vec<Lines> {
    let basis = &points[segment.basis.clone()];
    let cl = basis.iter().map(|p| p.numerator).sum::<f64>()
        / basis.iter().map(|p| p.denominator).sum::<f64>();
    let sd = |n: f64| (cl * (1.0 - cl) / n).sqrt();
    let sigma_z = if laney { laney_sigma_z(basis, cl) } else { 1.0 };
    points[segment.points.clone()]
        .iter()
        .map(|p| {
            let s = sd(p.denominator) * sigma_z;
            let clip = |v: f64| v.clamp(0.0, 1.0);
            Lines {
                cl,
                limits: Some(Band {
                    lcl: clip(cl - 3.0 * s),
                    ucl: clip(cl + 3.0 * s),
                    lcl_2sigma: clip(cl - 2.0 * s),
                    ucl_2sigma: clip(cl + 2.0 * s),
                }),
            }
        })
        .collect()
}

/// Laney's σz: the average moving range of the z-scores over d₂. A z-score with no spread
/// (centre line 0 or 1, where every point equals it) counts as 0.
fn laney_sigma_z(basis: &[RatePoint], cl: f64) -> f64 {
    let z: Vec<f64> = basis
        .iter()
        .map(|p| {
            let sd = (cl * (1.0 - cl) / p.denominator).sqrt();
            if sd > 0.0 {
                (p.numerator / p.denominator - cl) / sd
            } else {
                0.0
            }
        })
        .collect();
    mean(z.windows(2).map(|w| (w[1] - w[0]).abs())) / D2
}

/// The lines of an XmR chart from its basis values (at least 2, checked by `segments`).
fn xmr_lines(basis: &[f64]) -> Lines {
    let cl = mean(basis.iter().copied());
    let mr: Vec<f64> = basis.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    let mr_mean = mean(mr.iter().copied());
    let kept = mr.iter().copied().filter(|&m| m < MR_SCREEN * mr_mean);
    // With every moving range 0 nothing is below 3.267 × 0: there is no variation at all.
    let mr_bar = if mr_mean > 0.0 { mean(kept) } else { 0.0 };
    let half = XMR_LIMIT * mr_bar;
    Lines {
        cl,
        limits: Some(Band {
            lcl: cl - half,
            ucl: cl + half,
            lcl_2sigma: cl - half * 2.0 / 3.0,
            ucl_2sigma: cl + half * 2.0 / 3.0,
        }),
    }
}

fn provisional_warning(segment: &Segment, basis_points: usize) -> String {
    format!(
        "The limits for points {} to {} come from {basis_points} points; with fewer than \
         {XMR_SETTLED_POINTS} they are provisional",
        segment.points.start + 1,
        segment.points.end
    )
}

/// Mean of a non-empty iterator (0 for an empty one, which callers rule out).
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Median of a non-empty slice of finite values.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Split the chart into segments and check the options against the number of points.
pub(crate) fn segments(n: usize, options: &SpcOptions) -> Result<Vec<Segment>, SpcError> {
    if n < 2 {
        return Err(SpcError::TooFewPoints(n));
    }
    let mut starts = vec![0];
    for &r in &options.recalc_from {
        let previous = starts.last().copied().unwrap_or(0);
        if r <= previous || r >= n {
            return Err(SpcError::BadRecalculation {
                number: r + 1,
                points: n,
            });
        }
        starts.push(r);
    }
    let ends = starts.iter().skip(1).copied().chain([n]);
    let mut segments: Vec<Segment> = starts
        .iter()
        .zip(ends)
        .map(|(&s, e)| Segment {
            points: s..e,
            basis: s..e,
        })
        .collect();
    if let (Some(b), Some(first)) = (&options.baseline, segments.first_mut()) {
        if b.start >= b.end || b.end > first.points.end {
            return Err(SpcError::BadBaseline {
                start: b.start + 1,
                end: b.end,
                first_part_end: first.points.end,
            });
        }
        first.basis = b.clone();
    }
    match segments.iter().find(|s| s.basis.len() < 2) {
        Some(s) => Err(SpcError::TooFewForLines {
            first: s.points.start + 1,
            last: s.points.end,
        }),
        None => Ok(segments),
    }
}

fn check_rates(points: &[RatePoint]) -> Result<(), SpcError> {
    for (i, p) in points.iter().enumerate() {
        let (number, label) = (i + 1, p.label.clone());
        for (what, v) in [("numerator", p.numerator), ("denominator", p.denominator)] {
            if !v.is_finite() {
                return Err(SpcError::NotFinite {
                    number,
                    label,
                    what,
                });
            }
            if v < 0.0 {
                return Err(SpcError::Negative {
                    number,
                    label,
                    what,
                });
            }
        }
        if p.denominator == 0.0 {
            return Err(SpcError::ZeroDenominator { number, label });
        }
        if p.numerator > p.denominator {
            return Err(SpcError::NumeratorAboveDenominator {
                number,
                label,
                numerator: p.numerator,
                denominator: p.denominator,
            });
        }
    }
    Ok(())
}

fn checked_values(points: &[ValuePoint]) -> Result<Vec<f64>, SpcError> {
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.value.is_finite() {
                Ok(p.value)
            } else {
                Err(SpcError::NotFinite {
                    number: i + 1,
                    label: p.label.clone(),
                    what: "value",
                })
            }
        })
        .collect()
}
