//! What page and API share: a series of points, checked, and the chart the domain draws from it.

use mashboard_domain::impact::{
    p_chart, p_prime_chart, run_chart, xmr_chart, ChartKind, Improvement, RatePoint, SpcChart,
    SpcError, SpcOptions, ValuePoint,
};

/// The most points one chart takes (a chart of more says nothing a reader can see).
pub(crate) const MAX_POINTS: usize = 1_000;

/// One point as given: a rate (numerator and denominator) or a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Given {
    Rate {
        label: String,
        numerator: f64,
        denominator: f64,
    },
    Value {
        label: String,
        value: f64,
    },
}

impl Given {
    pub(crate) fn label(&self) -> &str {
        match self {
            Given::Rate { label, .. } | Given::Value { label, .. } => label,
        }
    }
}

/// Whether a chart plots rates (p, p′) or values (XmR, run).
pub(crate) fn wants_rates(kind: ChartKind) -> bool {
    matches!(kind, ChartKind::P | ChartKind::PPrime)
}

/// The chart of `points`, with the limits set by the points up to `baseline_to` (a label) and
/// recalculated from each label in `recalculate_at`. Errors are in words, naming the point.
pub(crate) fn chart(
    kind: ChartKind,
    improvement: Improvement,
    points: &[Given],
    baseline_to: Option<&str>,
    recalculate_at: &[String],
) -> Result<SpcChart, String> {
    if points.len() > MAX_POINTS {
        return Err(format!(
            "A chart takes at most {MAX_POINTS} points; this one has {}",
            points.len()
        ));
    }
    let index_of = |label: &str, what: &str| {
        points
            .iter()
            .position(|p| p.label() == label)
            .ok_or_else(|| format!("{what}: no point is labelled \"{label}\""))
    };
    let mut options = SpcOptions::default();
    if let Some(label) = baseline_to.map(str::trim).filter(|l| !l.is_empty()) {
        let last = index_of(label, "Limits from the points up to")?;
        options.baseline = Some(0..last + 1);
    }
    for label in recalculate_at
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
    {
        options
            .recalc_from
            .push(index_of(label, "Recalculate the limits from")?);
    }
    options.recalc_from.sort_unstable();
    options.recalc_from.dedup();
    let result = if wants_rates(kind) {
        let mut rates = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            match p {
                Given::Rate {
                    label,
                    numerator,
                    denominator,
                } => rates.push(RatePoint {
                    label: label.clone(),
                    numerator: *numerator,
                    denominator: *denominator,
                }),
                Given::Value { label, .. } => {
                    return Err(format!(
                        "Point {} ({label}): a {} chart needs a numerator and a denominator",
                        i + 1,
                        chart_name(kind)
                    ))
                }
            }
        }
        match kind {
            ChartKind::P => p_chart(&rates, improvement, &options),
            _ => p_prime_chart(&rates, improvement, &options),
        }
    } else {
        let mut values = Vec::with_capacity(points.len());
        for (i, p) in points.iter().enumerate() {
            match p {
                Given::Value { label, value } => values.push(ValuePoint {
                    label: label.clone(),
                    value: *value,
                }),
                Given::Rate { label, .. } => {
                    return Err(format!(
                        "Point {} ({label}): a {} chart needs one value per point",
                        i + 1,
                        chart_name(kind)
                    ))
                }
            }
        }
        match kind {
            ChartKind::Xmr => xmr_chart(&values, improvement, &options),
            _ => run_chart(&values, improvement, &options),
        }
    };
    result.map_err(|e: SpcError| e.to_string())
}

/// The chart's name in words.
pub(crate) fn chart_name(kind: ChartKind) -> &'static str {
    match kind {
        ChartKind::P => "p",
        ChartKind::PPrime => "p′ (Laney)",
        ChartKind::Xmr => "XmR",
        ChartKind::Run => "run",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(label: &str, n: f64, d: f64) -> Given {
        Given::Rate {
            label: label.into(),
            numerator: n,
            denominator: d,
        }
    }

    #[test]
    fn a_rate_chart_refuses_values_and_names_the_point() {
        let points = vec![
            rate("Q1", 5.0, 10.0),
            Given::Value {
                label: "Q2".into(),
                value: 3.0,
            },
        ];
        let e = chart(ChartKind::P, Improvement::Increase, &points, None, &[]).unwrap_err();
        assert!(e.starts_with("Point 2 (Q2)"), "{e}");
    }

    #[test]
    fn limits_from_a_baseline_are_found_by_label() {
        let points: Vec<Given> = (1..=8)
            .map(|i| rate(&format!("Q{i}"), i as f64, 20.0))
            .collect();
        let whole = chart(ChartKind::P, Improvement::Increase, &points, None, &[]).unwrap();
        let base = chart(
            ChartKind::P,
            Improvement::Increase,
            &points,
            Some("Q4"),
            &[],
        )
        .unwrap();
        // The first four points have a lower rate, so frozen limits sit lower.
        assert!(base.points[7].cl < whole.points[7].cl);
        let e = chart(
            ChartKind::P,
            Improvement::Increase,
            &points,
            Some("Q9"),
            &[],
        )
        .unwrap_err();
        assert!(e.contains("no point is labelled \"Q9\""), "{e}");
    }
}
