//! Anhøj's runs rules: an unusually long run on one side of the centre line, or unusually few
//! crossings of it, signal non-random variation (Anhøj & Olesen 2014).
//!
//! Points exactly on their centre line are dropped; `n_useful` is the rest. Then
//! `longest_run_max = round(log2(n_useful)) + 3` and `n_crossings_min` is the smallest `c` with
//! `P(X ≤ c) ≥ 0.05` for `X ~ Binomial(n_useful − 1, ½)`. With no useful point (`n_useful = 0`)
//! neither limit exists: both are `None` (JSON null) and there is no signal. One useful point
//! gives a run of 1 against a maximum of 3 and 0 crossings against a minimum of 0: no signal.

use serde::Serialize;
use statrs::distribution::{Binomial, DiscreteCDF};

/// The runs analysis of one chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Anhoej {
    pub n_useful: usize,
    pub longest_run: usize,
    pub longest_run_max: Option<usize>,
    pub n_crossings: usize,
    pub n_crossings_min: Option<usize>,
    pub runs_signal: bool,
}

/// Tail probability below which too few crossings are a signal.
const CROSSINGS_ALPHA: f64 = 0.05;

/// Runs analysis of `(value, centre)` pairs in time order.
pub fn runs_analysis(points: impl IntoIterator<Item = (f64, f64)>) -> Anhoej {
    let sides: Vec<bool> = points
        .into_iter()
        .filter(|(y, cl)| y != cl)
        .map(|(y, cl)| y > cl)
        .collect();
    let n_useful = sides.len();
    let n_crossings = sides.windows(2).filter(|w| w[0] != w[1]).count();
    let longest_run = longest_run(&sides);
    let longest_run_max = (n_useful > 0).then(|| ((n_useful as f64).log2().round() as usize) + 3);
    let n_crossings_min = n_useful.checked_sub(1).and_then(min_crossings);
    let too_long = longest_run_max.is_some_and(|max| longest_run > max);
    let too_few = n_crossings_min.is_some_and(|min| n_crossings < min);
    Anhoej {
        n_useful,
        longest_run,
        longest_run_max,
        n_crossings,
        n_crossings_min,
        runs_signal: too_long || too_few,
    }
}

impl Anhoej {
    /// The runs signal in plain words for a page, or `None` when there is none.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(max) = self.longest_run_max.filter(|&m| self.longest_run > m) {
            parts.push(format!(
                "the longest run of points on one side of the centre line is {}, more than the \
                 {max} expected by chance",
                self.longest_run
            ));
        }
        if let Some(min) = self.n_crossings_min.filter(|&m| self.n_crossings < m) {
            parts.push(format!(
                "the points cross the centre line {} times, fewer than the {min} expected by chance",
                self.n_crossings
            ));
        }
        (!parts.is_empty()).then(|| format!("non-random variation: {}", parts.join("; ")))
    }
}

fn longest_run(sides: &[bool]) -> usize {
    let (mut best, mut current) = (0, 0);
    for (i, s) in sides.iter().enumerate() {
        current = if i > 0 && sides[i - 1] == *s {
            current + 1
        } else {
            1
        };
        best = best.max(current);
    }
    best
}

/// The 5th percentile of Binomial(trials, ½): the smallest `c` with `P(X ≤ c) ≥ 0.05`.
fn min_crossings(trials: usize) -> Option<usize> {
    let dist = Binomial::new(0.5, trials as u64).ok()?;
    // The CDF rises with c, so bisect on [0, trials]; P(X ≤ trials) = 1.
    let (mut lo, mut hi) = (0u64, trials as u64);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if dist.cdf(mid) >= CROSSINGS_ALPHA {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    usize::try_from(lo).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around_zero(values: &[f64]) -> Anhoej {
        runs_analysis(values.iter().map(|&v| (v, 0.0)))
    }

    #[test]
    fn no_useful_point_gives_no_limits_and_no_signal() {
        let a = around_zero(&[0.0, 0.0, 0.0]);
        assert_eq!(a.n_useful, 0);
        assert_eq!(a.longest_run, 0);
        assert_eq!(a.longest_run_max, None);
        assert_eq!(a.n_crossings_min, None);
        assert!(!a.runs_signal);
    }

    #[test]
    fn one_useful_point_has_no_signal() {
        let a = around_zero(&[0.0, 2.0, 0.0]);
        assert_eq!((a.n_useful, a.longest_run, a.n_crossings), (1, 1, 0));
        assert_eq!((a.longest_run_max, a.n_crossings_min), (Some(3), Some(0)));
        assert!(!a.runs_signal);
    }

    #[test]
    fn points_on_the_centre_are_dropped_before_counting_runs() {
        // + + 0 + − − : the zero does not break the run of three pluses.
        let a = around_zero(&[1.0, 1.0, 0.0, 1.0, -1.0, -1.0]);
        assert_eq!((a.n_useful, a.longest_run, a.n_crossings), (5, 3, 1));
    }

    #[test]
    fn crossing_minimum_matches_published_table() {
        // Anhøj & Olesen 2014, table 1: n = 10 → 2, 20 → 6, 30 → 10 (min crossings).
        assert_eq!(min_crossings(9), Some(2));
        assert_eq!(min_crossings(19), Some(6));
        assert_eq!(min_crossings(29), Some(10));
    }

    #[test]
    fn long_run_signals() {
        let mut v = vec![1.0; 9];
        v.extend([-1.0, 1.0, -1.0]);
        let a = around_zero(&v);
        // 12 useful points: max run round(3.58) + 3 = 7; the run of 9 is too long.
        assert_eq!(a.longest_run_max, Some(7));
        assert!(a.runs_signal);
        assert_eq!(
            a.describe().as_deref(),
            Some(
                "non-random variation: the longest run of points on one side of the centre line \
                 is 9, more than the 7 expected by chance"
            )
        );
        assert_eq!(around_zero(&[1.0, -1.0, 1.0]).describe(), None);
    }
}
