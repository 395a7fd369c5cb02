//! Making Data Count's special-cause rules (outside the limits, 7-point trend, two in three
//! close to a limit, 7-point shift), each point's type, and each signal in plain words.
//!
//! The rules look at one segment at a time (see `spc`), each point against its own lines:
//! * outside: strictly above the upper limit or below the lower;
//! * close to the limits: strictly beyond the 2-sigma line but not outside the limit;
//! * shift: 7 or more consecutive points strictly on one side of the centre line (a point on the
//!   line breaks the run); every point of the run is part of it;
//! * trend: 7 or more consecutive points each strictly higher (or lower) than the one before (a
//!   tie breaks it); every point of the run is part of it;
//! * two in three: 3 consecutive points all on one side of the centre line, at least 2 of them
//!   close to the limits; those close points are part of it.
//!
//! A point's type comes from the first rule it is part of in the order outside, trend, two in
//! three, shift. A point at the peak of a rising and then a falling trend takes the direction of
//! the earlier trend.

use std::ops::Range;

use serde::Serialize;

use super::spc::{Improvement, PointType, SpcPoint};

/// A special-cause rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    OutsideLimits,
    Trend,
    TwoInThree,
    Shift,
}

/// One special-cause signal for a page: the points it covers (0-based, inclusive) and its words,
/// e.g. "special cause: improvement, 7 points above the centre line (2022 Q1 to 2023 Q3)".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub rule: Rule,
    pub point_type: PointType,
    pub first: usize,
    pub last: usize,
    pub text: String,
}

/// High or low: above the centre line, or a rising trend, is high.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    High,
    Low,
}

/// Points in a run needed for a shift or a trend.
const RUN: usize = 7;

/// Apply every rule to every segment; returns the signals in order of their first point.
pub(crate) fn apply_rules(
    points: &mut [SpcPoint],
    segments: &[Range<usize>],
    improvement: Improvement,
) -> Vec<Signal> {
    let mut signals = Vec::new();
    for segment in segments {
        if let Some(part) = points.get_mut(segment.clone()) {
            signals.extend(apply_segment(part, segment.start, improvement));
        }
    }
    signals.sort_by_key(|s| (s.first, s.rule));
    signals
}

/// Directions found by each rule for one point.
#[derive(Debug, Clone, Copy, Default)]
struct Found {
    outside: Option<Dir>,
    trend: Option<Dir>,
    two_in_three: Option<Dir>,
    shift: Option<Dir>,
}

fn apply_segment(points: &mut [SpcPoint], offset: usize, improvement: Improvement) -> Vec<Signal> {
    let mut found = vec![Found::default(); points.len()];
    let mut signals = Vec::new();
    let sides: Vec<Option<Dir>> = points.iter().map(side).collect();
    let words = Words {
        points,
        offset,
        improvement,
    };

    for (i, p) in points.iter().enumerate() {
        found[i].outside = outside(p);
        if let Some(dir) = found[i].outside {
            signals.push(words.signal(Rule::OutsideLimits, dir, i..i + 1));
        }
    }
    for (run, dir) in runs(&steps(points)) {
        // Steps a..b are between points a−1 and b.
        let pts = run.start - 1..run.end;
        if pts.len() >= RUN {
            pts.clone().for_each(|i| {
                found[i].trend.get_or_insert(dir);
            });
            signals.push(words.signal(Rule::Trend, dir, pts));
        }
    }
    let close: Vec<bool> = points.iter().map(close_to_limits).collect();
    for group in two_in_three(&sides, &close) {
        group.0.clone().filter(|&i| close[i]).for_each(|i| {
            found[i].two_in_three = Some(group.1);
        });
        signals.push(words.signal(Rule::TwoInThree, group.1, group.0));
    }
    for (run, dir) in runs(&sides) {
        if run.len() >= RUN {
            run.clone().for_each(|i| found[i].shift = Some(dir));
            signals.push(words.signal(Rule::Shift, dir, run));
        }
    }

    for ((p, f), c) in points.iter_mut().zip(&found).zip(close) {
        p.outside_limits = f.outside.is_some();
        p.close_to_limits = c;
        p.part_of_7_point_trend = f.trend.is_some();
        p.part_of_2_in_3 = f.two_in_three.is_some();
        p.part_of_7_point_shift = f.shift.is_some();
        p.point_type = [f.outside, f.trend, f.two_in_three, f.shift]
            .into_iter()
            .flatten()
            .next()
            .map_or(PointType::CommonCause, |d| point_type(d, improvement));
    }
    signals
}

fn point_type(dir: Dir, improvement: Improvement) -> PointType {
    match (dir, improvement) {
        (Dir::High, Improvement::Increase) | (Dir::Low, Improvement::Decrease) => {
            PointType::SpecialCauseImprovement
        }
        _ => PointType::SpecialCauseConcern,
    }
}

/// Which side of its centre line a point lies; `None` on the line.
fn side(p: &SpcPoint) -> Option<Dir> {
    if p.y > p.cl {
        Some(Dir::High)
    } else if p.y < p.cl {
        Some(Dir::Low)
    } else {
        None
    }
}

fn outside(p: &SpcPoint) -> Option<Dir> {
    if p.ucl.is_some_and(|u| p.y > u) {
        Some(Dir::High)
    } else if p.lcl.is_some_and(|l| p.y < l) {
        Some(Dir::Low)
    } else {
        None
    }
}

/// Strictly beyond the 2-sigma line and not beyond the limit.
fn close_to_limits(p: &SpcPoint) -> bool {
    let upper = matches!((p.ucl_2sigma, p.ucl), (Some(s), Some(u)) if p.y > s && p.y <= u);
    let lower = matches!((p.lcl_2sigma, p.lcl), (Some(s), Some(l)) if p.y < s && p.y >= l);
    upper || lower
}

/// The step into each point from the one before (index 0 has none): up, down or a tie.
fn steps(points: &[SpcPoint]) -> Vec<Option<Dir>> {
    let mut steps = vec![None; points.len()];
    for i in 1..points.len() {
        let (a, b) = (points[i - 1].y, points[i].y);
        steps[i] = if b > a {
            Some(Dir::High)
        } else if b < a {
            Some(Dir::Low)
        } else {
            None
        };
    }
    steps
}

/// Maximal runs of equal, present values.
fn runs(values: &[Option<Dir>]) -> Vec<(Range<usize>, Dir)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < values.len() {
        match values[i] {
            Some(d) => {
                let start = i;
                while i < values.len() && values[i] == Some(d) {
                    i += 1;
                }
                out.push((start..i, d));
            }
            None => i += 1,
        }
    }
    out
}

/// Groups of points flagged by the two-in-three rule: each window of 3 points on one side with
/// at least 2 close to the limits; overlapping or touching windows on the same side merge.
fn two_in_three(sides: &[Option<Dir>], close: &[bool]) -> Vec<(Range<usize>, Dir)> {
    let mut groups: Vec<(Range<usize>, Dir)> = Vec::new();
    for w in 0..sides.len().saturating_sub(2) {
        let Some(dir) = sides[w] else { continue };
        let same_side = sides[w + 1] == Some(dir) && sides[w + 2] == Some(dir);
        if !same_side || close[w..w + 3].iter().filter(|&&c| c).count() < 2 {
            continue;
        }
        // Trim the window to its first and last close point.
        let first = (w..w + 3).find(|&i| close[i]).unwrap_or(w);
        let last = (w..w + 3).rev().find(|&i| close[i]).unwrap_or(w + 2);
        match groups.last_mut() {
            Some((range, d)) if *d == dir && first <= range.end => range.end = last + 1,
            _ => groups.push((first..last + 1, dir)),
        }
    }
    groups
}

/// What the signal texts need to know.
struct Words<'a> {
    points: &'a [SpcPoint],
    offset: usize,
    improvement: Improvement,
}

impl Words<'_> {
    /// A signal over `range` (indices within the segment).
    fn signal(&self, rule: Rule, dir: Dir, range: Range<usize>) -> Signal {
        let point_type = point_type(dir, self.improvement);
        let kind = match point_type {
            PointType::SpecialCauseImprovement => "improvement",
            _ => "concern",
        };
        let (first, last) = (range.start, range.end.saturating_sub(1).max(range.start));
        let n = last - first + 1;
        let high = dir == Dir::High;
        let what = match rule {
            Rule::OutsideLimits => {
                let limit = if high {
                    "above the upper"
                } else {
                    "below the lower"
                };
                format!(
                    "point {} ({}) {limit} limit",
                    self.number(first),
                    self.label(first)
                )
            }
            Rule::Shift => {
                let where_ = if high { "above" } else { "below" };
                format!(
                    "{n} points {where_} the centre line ({})",
                    self.span(first, last)
                )
            }
            Rule::Trend => {
                let way = if high { "higher" } else { "lower" };
                format!(
                    "{n} points each {way} than the one before ({})",
                    self.span(first, last)
                )
            }
            Rule::TwoInThree => {
                let limit = if high { "upper" } else { "lower" };
                format!(
                    "2 or more of 3 points in a row close to the {limit} limit ({})",
                    self.span(first, last)
                )
            }
        };
        Signal {
            rule,
            point_type,
            first: first + self.offset,
            last: last + self.offset,
            text: format!("special cause: {kind}, {what}"),
        }
    }

    fn number(&self, i: usize) -> usize {
        i + self.offset + 1
    }

    fn label(&self, i: usize) -> &str {
        self.points.get(i).map_or("", |p| p.label.as_str())
    }

    fn span(&self, first: usize, last: usize) -> String {
        format!("{} to {}", self.label(first), self.label(last))
    }
}
