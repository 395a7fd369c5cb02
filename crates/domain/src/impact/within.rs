//! The two-way within transformation: removing officer and calendar-quarter means from a column
//! by alternating projections, so that regressions need no dummy matrix.
//!
//! Subtracting officer means and then quarter means, repeated, converges to the residual of the
//! column on officer and quarter dummies (with the intercept, which both sets span). By the
//! Frisch–Waugh–Lovell theorem, regressing demeaned outcomes on demeaned regressors then gives
//! the same coefficients and residuals as the full dummy regression.

use foldhash::{HashMap, HashMapExt};

/// Stop when the largest quarter mean left after an officer pass is below this.
const TOLERANCE: f64 = 1e-12;
/// Give up after this many passes (a panel this slow to converge is badly connected). The
/// 200,000-referral benchmark needs about 10 passes and the sparse reference panels about 50;
/// the cap bounds the time an unusual panel can take.
const MAX_PASSES: usize = 10_000;

/// Each row's officer and quarter as dense indices, with the group sizes.
#[derive(Debug, Clone)]
pub(crate) struct Panel {
    pub(crate) officer: Vec<usize>,
    quarter: Vec<usize>,
    officer_rows: Vec<f64>,
    quarter_rows: Vec<f64>,
}

impl Panel {
    /// Index rows by officer id and quarter; indices follow first appearance (officers) and
    /// calendar order (quarters).
    pub(crate) fn new(officer_ids: &[i64], quarters: &[i32]) -> Panel {
        let officer = dense(officer_ids.iter().copied());
        let mut calendar: Vec<i32> = quarters.to_vec();
        calendar.sort_unstable();
        calendar.dedup();
        let quarter: Vec<usize> = quarters
            .iter()
            .map(|q| calendar.binary_search(q).unwrap_or(0))
            .collect();
        let officer_rows = counts(&officer);
        let quarter_rows = counts(&quarter);
        Panel {
            officer,
            quarter,
            officer_rows,
            quarter_rows,
        }
    }

    pub(crate) fn officers(&self) -> usize {
        self.officer_rows.len()
    }

    pub(crate) fn quarters(&self) -> usize {
        self.quarter_rows.len()
    }

    pub(crate) fn rows(&self) -> usize {
        self.officer.len()
    }

    /// Demean `column` in place on both sets of fixed effects. Returns the passes it took, or
    /// `None` if it did not converge within [`MAX_PASSES`] passes.
    pub(crate) fn demean(&self, column: &mut [f64]) -> Option<usize> {
        let mut officer_sums = vec![0.0; self.officers()];
        let mut quarter_sums = vec![0.0; self.quarters()];
        for pass in 1..=MAX_PASSES {
            subtract_means(column, &self.officer, &self.officer_rows, &mut officer_sums);
            let largest =
                subtract_means(column, &self.quarter, &self.quarter_rows, &mut quarter_sums);
            if largest < TOLERANCE {
                return Some(pass);
            }
        }
        None
    }
}

/// Subtract each group's mean from its rows; returns the largest absolute mean removed.
fn subtract_means(column: &mut [f64], group: &[usize], rows: &[f64], sums: &mut [f64]) -> f64 {
    sums.fill(0.0);
    for (v, &g) in column.iter().zip(group) {
        sums[g] += v;
    }
    let mut largest = 0.0f64;
    for (s, &n) in sums.iter_mut().zip(rows) {
        *s /= n;
        largest = largest.max(s.abs());
    }
    for (v, &g) in column.iter_mut().zip(group) {
        *v -= sums[g];
    }
    largest
}

/// Dense indices 0.. for ids, in order of first appearance.
fn dense(ids: impl Iterator<Item = i64>) -> Vec<usize> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    ids.map(|id| {
        let next = index.len();
        *index.entry(id).or_insert(next)
    })
    .collect()
}

/// Rows per group, as f64 for dividing.
fn counts(group: &[usize]) -> Vec<f64> {
    let size = group.iter().max().map_or(0, |&m| m + 1);
    let mut n = vec![0.0; size];
    group.iter().for_each(|&g| n[g] += 1.0);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demeaned_column_has_zero_officer_and_quarter_means() {
        // Unbalanced: officer 7 appears in two quarters, officer 9 in three.
        let panel = Panel::new(&[7, 7, 9, 9, 9, 4], &[1, 2, 1, 2, 3, 3]);
        let mut col = vec![1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        assert!(panel.demean(&mut col).is_some());
        let mut by_officer = [0.0; 3];
        let mut by_quarter = [0.0; 3];
        for (i, v) in col.iter().enumerate() {
            by_officer[panel.officer[i]] += v;
            by_quarter[panel.quarter[i]] += v;
        }
        assert!(by_officer
            .iter()
            .chain(&by_quarter)
            .all(|s| s.abs() < 1e-11));
    }
}
