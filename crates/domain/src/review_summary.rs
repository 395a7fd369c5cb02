//! The figures on a quality review's result page, from its grades. Pure: the store hands over
//! the grades, this computes what a reader sees, so every figure can be recomputed by hand from
//! the exported grades.
//!
//! A referral's final grade is its agreed (moderated) grade; `n` counts referrals that have one,
//! `pending` those without. Mean, median and the Student-t 95% interval are over final grades;
//! Krippendorff's alpha (ordinal) is over the graders' individual grades.

use crate::stats::{self, Alpha, Interval};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewSummary {
    pub n: usize,
    pub pending: usize,
    /// Final grades 1, 2, 3, 4.
    pub counts: [u64; 4],
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub sd: Option<f64>,
    pub mean_ci95: Option<Interval>,
    pub alpha: Alpha,
    /// How many referrals had at least two individual grades (the units alpha is computed on).
    pub units_with_two_grades: usize,
    /// Referrals whose graders disagreed by more than one grade.
    pub disagreements: usize,
}

/// `final_grades`: the agreed grade of each referral that has one. `individual`: for each
/// sampled referral, the graders' grades. `pending`: sampled referrals without an agreed grade.
pub fn summarise(final_grades: &[u8], pending: usize, individual: &[Vec<u8>]) -> ReviewSummary {
    let values: Vec<f64> = final_grades.iter().map(|g| *g as f64).collect();
    let s = stats::summarise(&values, 0.95);
    ReviewSummary {
        n: final_grades.len(),
        pending,
        counts: stats::grade_counts(final_grades),
        mean: s.as_ref().map(|s| s.mean),
        median: s.as_ref().map(|s| s.median),
        sd: s.as_ref().and_then(|s| s.sd),
        mean_ci95: s.as_ref().and_then(|s| s.mean_ci),
        alpha: stats::krippendorff_alpha_ordinal(individual),
        units_with_two_grades: individual.iter().filter(|u| u.len() >= 2).count(),
        disagreements: individual.iter().filter(|u| beyond_one_grade(u)).count(),
    }
}

/// Graders of one referral disagree by more than one grade (a 2 and a 4): moderation must look
/// at it.
pub fn beyond_one_grade(grades: &[u8]) -> bool {
    match (grades.iter().min(), grades.iter().max()) {
        (Some(lo), Some(hi)) => hi - lo >= 2,
        _ => false,
    }
}

/// How to read an alpha value, in words (Krippendorff's own rule of thumb: 0.8 and above is
/// reliable, 0.667 to 0.8 allows tentative conclusions, below that agreement is too low).
pub fn read_alpha(alpha: &Alpha) -> String {
    match alpha {
        Alpha::Defined { value } if *value >= 0.8 => "graders agreed well".into(),
        Alpha::Defined { value } if *value >= 0.667 => {
            "graders agreed moderately: treat comparisons with care".into()
        }
        Alpha::Defined { .. } => {
            "graders agreed poorly: the grades depend on who graded; discuss the rubric".into()
        }
        Alpha::Undefined { reason } => format!("cannot be computed: {reason}"),
    }
}

/// `count` as a whole percentage of `total`, rounded to the nearest (halves up): 6 of 7 is 86%,
/// not the 85% that integer division gives. Nothing of nothing is 0%.
pub fn percent_of(count: u64, total: u64) -> u64 {
    if total == 0 {
        return 0;
    }
    // In u128: `count * 200` overflows u64 for counts above 9 × 10^16.
    ((u128::from(count) * 200 + u128::from(total)) / (u128::from(total) * 2)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_april_2022_review_averages_2_4_with_its_interval() {
        // 1 × grade 1, 5 × 2, 3 × 3, 1 × 4 (PRODUCT.md).
        let grades = [1, 2, 2, 2, 2, 2, 3, 3, 3, 4];
        let s = summarise(&grades, 0, &[]);
        assert_eq!(s.n, 10);
        assert_eq!(s.counts, [1, 5, 3, 1]);
        assert!((s.mean.unwrap() - 2.4).abs() < 1e-12);
        assert_eq!(s.median, Some(2.0));
        let ci = s.mean_ci95.unwrap();
        // scipy: stats.t.interval(0.95, 9, loc=2.4, scale=sem) = (1.796758..., 3.003241...)
        assert!((ci.lo - 1.796_758_09).abs() < 1e-6, "{ci:?}");
        assert!((ci.hi - 3.003_241_91).abs() < 1e-6, "{ci:?}");
    }

    #[test]
    fn pending_referrals_do_not_count_and_no_grades_means_no_figures() {
        let s = summarise(&[], 10, &[]);
        assert_eq!((s.n, s.pending), (0, 10));
        assert_eq!(s.mean, None);
        assert_eq!(s.mean_ci95, None);
        assert!(matches!(s.alpha, Alpha::Undefined { .. }));
        assert!(read_alpha(&s.alpha).starts_with("cannot be computed"));
    }

    #[test]
    fn disagreement_beyond_one_grade_is_counted() {
        let s = summarise(&[3, 3], 0, &[vec![2, 4], vec![3, 4], vec![3]]);
        assert_eq!(s.disagreements, 1);
        assert_eq!(s.units_with_two_grades, 2);
        assert!(!beyond_one_grade(&[3]));
        assert!(!beyond_one_grade(&[]));
        assert!(beyond_one_grade(&[1, 2, 3]));
    }

    #[test]
    fn percentages_round_to_the_nearest() {
        assert_eq!(super::percent_of(6, 7), 86);
        assert_eq!(super::percent_of(1, 8), 13);
        // Counts too large for `count * 200` in u64 still give their share.
        assert_eq!(super::percent_of(u64::MAX / 2, u64::MAX), 50);
        assert_eq!(super::percent_of(0, 1 << 63), 0);
        assert_eq!(super::percent_of(1, 3), 33);
        assert_eq!(super::percent_of(0, 0), 0);
        assert_eq!(super::percent_of(7, 7), 100);
    }
}
