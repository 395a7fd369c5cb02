//! The event study of the training effect as a chart and a table, for the dashboard and the
//! evaluation report: for each quarter from −4 (and earlier) to +4 (and later) relative to an
//! officer's training quarter, the estimated difference in the share of referrals rejected or
//! returned from the quarter before training (−1, the reference, zero by definition), with its
//! 95% interval. Flat before 0 supports the comparison; it is the parallel-trends check.

use super::svg::{self, Estimate, Svg};

/// One coefficient: quarters from training, its estimate and standard error (either may be
/// missing when no referral fell in that quarter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Coefficient {
    pub quarter: i32,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
}

impl Coefficient {
    /// The normal-based 95% interval.
    pub fn ci95(&self) -> Option<[f64; 2]> {
        let (e, s) = (self.estimate?, self.se?);
        Some([e - 1.96 * s, e + 1.96 * s])
    }
}

/// The chart's title.
pub(crate) const TITLE: &str =
    "Event study: the change in the share rejected or returned, by quarters from training";

/// The places on the chart, −4 to +4, with −1 as the reference.
fn estimates(coefficients: &[Coefficient]) -> Vec<Estimate> {
    (-4..=4)
        .map(|q| {
            if q == -1 {
                return Estimate {
                    label: axis_label(q),
                    value: Some(0.0),
                    ci95: None,
                    reference: true,
                };
            }
            let c = coefficients.iter().find(|c| c.quarter == q);
            Estimate {
                label: axis_label(q),
                value: c.and_then(|c| c.estimate),
                ci95: c.and_then(Coefficient::ci95),
                reference: false,
            }
        })
        .collect()
}

/// The chart, or why there is none.
pub(crate) fn chart(coefficients: &[Coefficient], id: &str) -> Result<Svg, &'static str> {
    let drawn = coefficients.iter().filter(|c| c.estimate.is_some()).count();
    if drawn == 0 {
        return Err("the event study has no estimate for any quarter, so there is nothing to draw");
    }
    let places = estimates(coefficients);
    let said: Vec<String> = places
        .iter()
        .map(|p| match (p.reference, p.value, p.ci95) {
            (true, _, _) => format!("{}: 0 by definition", p.label),
            (false, Some(v), Some([lo, hi])) => format!(
                "{}: {} points (95% interval {} to {})",
                p.label,
                signed_points(v),
                signed_points(lo),
                signed_points(hi)
            ),
            (false, Some(v), None) => format!("{}: {} points", p.label, signed_points(v)),
            (false, None, _) => format!("{}: no estimate", p.label),
        })
        .collect();
    let desc = format!(
        "Each quarter before and after an officer's training quarter, the estimated difference in percentage points in the share of referrals rejected or returned, measured from the quarter before training (−1, the reference), with bars at the 95% interval and a line at zero; a dashed line marks where training falls. Points before training close to zero mean trained officers were not already moving apart from the others. {}.",
        said.join("; ")
    );
    // The dashed line falls between −1 (place 3) and 0 (place 4).
    Ok(svg::draw_estimates(
        &places,
        Some(3),
        TITLE,
        &desc,
        id,
        &signed_points,
    ))
}

/// The label on the chart's axis: "−4 or earlier", "−1 (reference)", "+2", "+4 or later".
fn axis_label(q: i32) -> String {
    match q {
        q if q <= -4 => "−4 or earlier".into(),
        -1 => "−1 (reference)".into(),
        q if q < 0 => format!("−{}", -q),
        0 => "0".into(),
        q if q >= 4 => "+4 or later".into(),
        q => format!("+{q}"),
    }
}

/// Quarters from training in words for tables (no leading minus sign, which a spreadsheet
/// would read as a formula).
pub(crate) fn relative_words(q: i32) -> String {
    match q {
        -1 => "1 before (the reference)".into(),
        q if q <= -4 => "4 or more before".into(),
        q if q < 0 => format!("{} before", -q),
        0 => "0 (the training quarter)".into(),
        q if q >= 4 => "4 or more after".into(),
        q => format!("{q} after"),
    }
}

/// A proportion difference in percentage points with its sign: "−4.2".
pub(crate) fn signed_points(v: f64) -> String {
    let p = v * 100.0;
    if p < -0.05 {
        format!("−{:.1}", -p)
    } else {
        format!("{:.1}", p.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coef(quarter: i32, estimate: Option<f64>) -> Coefficient {
        Coefficient {
            quarter,
            estimate,
            se: estimate.map(|_| 0.02),
        }
    }

    #[test]
    fn the_chart_has_nine_places_with_the_reference_marked_and_says_each_in_words() {
        let coefs: Vec<Coefficient> = [-4, -3, -2, 0, 1, 2, 3, 4]
            .into_iter()
            .map(|q| coef(q, (q != 3).then_some(q as f64 / 100.0)))
            .collect();
        let svg = chart(&coefs, "ev").unwrap();
        assert_eq!(svg.x_labels.len(), 9);
        assert_eq!(svg.x_labels[3].text, "−1 (reference)");
        assert_eq!(svg.x_labels[0].text, "−4 or earlier");
        assert_eq!(svg.x_labels[8].text, "+4 or later");
        // Seven estimates and the reference; +3 has none.
        assert_eq!(svg.marks.len(), 8);
        assert!(svg.desc.contains("+3: no estimate"), "{}", svg.desc);
        assert!(svg.desc.contains("−1 (reference): 0 by definition"));
        assert!(
            svg.desc
                .contains("+2: 2.0 points (95% interval −1.9 to 5.9)"),
            "{}",
            svg.desc
        );
        assert_eq!(svg.title, TITLE);
    }

    #[test]
    fn no_estimate_at_all_gives_no_chart_and_says_why() {
        let coefs: Vec<Coefficient> = [-4, 0, 4].into_iter().map(|q| coef(q, None)).collect();
        assert!(chart(&coefs, "ev")
            .err()
            .unwrap()
            .contains("nothing to draw"));
    }

    #[test]
    fn points_carry_their_sign_and_zero_has_none() {
        assert_eq!(signed_points(-0.042), "−4.2");
        assert_eq!(signed_points(0.05), "5.0");
        assert_eq!(signed_points(-0.0001), "0.0");
    }
}
