//! Statistics for referral quality assurance: intervals for rates and averages, a comparison of
//! two rates, and agreement between graders.
//!
//! Every function here is pure and total: it never panics and never returns NaN. Where a
//! statistic does not exist for the data (no observations, no variation) the result says so
//! (`None`, or [`Alpha::Undefined`] with a reason in plain words), so a page can show "not
//! enough data" rather than a misleading number.
//!
//! `confidence` is the two-sided coverage, e.g. `0.95`. A value outside the open interval (0, 1)
//! (or NaN) cannot give an interval: functions that return an interval return `None` for it.
//!
//! The results are checked against scipy, statsmodels and the `krippendorff` Python package by
//! the tests in `crates/domain/tests/suite/stats_reference.rs` (fixtures made by
//! `tests/make_stats_fixtures.py`).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use statrs::function::gamma::checked_gamma_ur;

/// A closed interval `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    /// Whether `x` lies in the interval (ends included).
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }
}

/// `1 - confidence` when `confidence` is usable, i.e. finite and strictly between 0 and 1.
fn alpha_level(confidence: f64) -> Option<f64> {
    (confidence.is_finite() && confidence > 0.0 && confidence < 1.0).then_some(1.0 - confidence)
}

/// The two-sided standard normal critical value `z = Φ⁻¹(1 − α/2)` with `α = 1 − confidence`.
/// Computed as `−Φ⁻¹(α/2)` so that small `α` keeps its precision.
pub(crate) fn normal_critical(confidence: f64) -> Option<f64> {
    let alpha = alpha_level(confidence)?;
    let z = -Normal::standard().inverse_cdf(alpha / 2.0);
    (z.is_finite() && z >= 0.0).then_some(z)
}

/// Above this many degrees of freedom the t quantile comes from the Cornish–Fisher expansion.
const T_EXPANSION_DF: f64 = 1000.0;

/// The two-sided Student-t critical value `t = F⁻¹(1 − α/2; df)` for `df ≥ 1`.
///
/// statrs 0.18's `StudentsT::inverse_cdf` matches scipy to about 1e-12 (relative) for
/// 2 ≤ df ≤ 1000 and confidence from 0.1 to 1 − 1e-12 (below 0.1, where t is near 0, only to
/// about 1e-7 absolute), but loses accuracy at larger df (1e-8 at df = 5000, 7 % at
/// df = 10⁷) and does not return at all near df = 10⁸. So:
/// * `df = 1` (Cauchy): `t = 1/tan(πα/2)`, exact;
/// * `2 ≤ df ≤ 1000`: statrs, computed as `−F⁻¹(α/2)` so that small `α` keeps its precision;
/// * `df > 1000`: the Cornish–Fisher expansion of t in powers of 1/df (Abramowitz & Stegun
///   1964, 26.7.5), `t = z + g₁(z)/ν + g₂(z)/ν² + g₃(z)/ν³ + g₄(z)/ν⁴` with `z` the normal
///   quantile; its error is O(ν⁻⁵), below 1e-12 relative for α ≥ 1e-6 at ν > 1000.
fn t_critical(confidence: f64, df: f64) -> Option<f64> {
    let alpha = alpha_level(confidence)?;
    if df.is_nan() || df < 1.0 {
        return None;
    }
    let t = if df == 1.0 {
        1.0 / (std::f64::consts::FRAC_PI_2 * alpha).tan()
    } else if df <= T_EXPANSION_DF {
        -StudentsT::new(0.0, 1.0, df).ok()?.inverse_cdf(alpha / 2.0)
    } else {
        let z = normal_critical(confidence)?;
        let z2 = z * z;
        let g1 = z * (z2 + 1.0) / 4.0;
        let g2 = z * ((5.0 * z2 + 16.0) * z2 + 3.0) / 96.0;
        let g3 = z * (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) / 384.0;
        let g4 = z * ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) / 92160.0;
        z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df
    };
    (t.is_finite() && t >= 0.0).then_some(t)
}

/// Wilson score interval for `successes` of `n` (Wilson 1927, "Probable inference, the law of
/// succession, and statistical inference", JASA 22:209–212).
///
/// With `p̂ = x/n` and `z = Φ⁻¹(1 − α/2)`:
///
/// ```text
/// centre    = (p̂ + z²/(2n)) / (1 + z²/n)
/// halfwidth = z · sqrt(p̂(1 − p̂)/n + z²/(4n²)) / (1 + z²/n)
/// ```
///
/// The interval is `centre ± halfwidth`, clipped to [0, 1] against rounding; for `x = 0` the
/// lower end is exactly 0 and for `x = n` the upper end is exactly 1. Unlike the textbook
/// `p̂ ± z·sqrt(p̂(1 − p̂)/n)` it behaves well for small `n` and for proportions of 0 or 1.
///
/// `None` when `n == 0`, when `successes > n`, or when `confidence` is not in (0, 1).
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let z = normal_critical(confidence)?;
    let nf = n as f64;
    let p = successes as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    let lo = if successes == 0 {
        0.0
    } else {
        (centre - half).clamp(0.0, 1.0)
    };
    let hi = if successes == n {
        1.0
    } else {
        (centre + half).clamp(0.0, 1.0)
    };
    Some(Interval { lo, hi })
}

/// Two independent proportions, `a` (e.g. last year) and `b` (e.g. this year), compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProportionComparison {
    pub a: f64,
    pub b: f64,
    /// `b − a`.
    pub difference: f64,
    /// Newcombe hybrid score interval for `b − a` (Newcombe 1998, method 10).
    pub difference_ci: Interval,
    /// Pooled two-proportion z statistic for `b − a`; `None` when undefined.
    pub z: Option<f64>,
    /// Two-sided p-value of the pooled z test; `None` when undefined (pooled proportion 0 or 1).
    pub p_value: Option<f64>,
}

/// Compare `x_a` of `n_a` with `x_b` of `n_b`.
///
/// **Interval for the difference** `d = p̂_b − p̂_a`: Newcombe's hybrid score interval
/// (Newcombe 1998, "Interval estimation for the difference between independent proportions:
/// comparison of eleven methods", Statistics in Medicine 17:873–890, method 10). With
/// `[l_a, u_a]` and `[l_b, u_b]` the [`wilson`] intervals of each proportion:
///
/// ```text
/// lower = d − sqrt((p̂_b − l_b)² + (u_a − p̂_a)²)
/// upper = d + sqrt((u_b − p̂_b)² + (p̂_a − l_a)²)
/// ```
///
/// **Test of no difference**: the pooled two-proportion z test,
/// `p̄ = (x_a + x_b)/(n_a + n_b)`, `z = (p̂_b − p̂_a) / sqrt(p̄(1 − p̄)(1/n_a + 1/n_b))`,
/// two-sided `p = 2·(1 − Φ(|z|)) = erfc(|z|/√2)`. When `p̄` is 0 or 1 (both groups all
/// successes, or all failures) the standard error is 0 and `z` and `p_value` are `None`.
///
/// `None` when `n_a == 0` or `n_b == 0`, when a count exceeds its total, or when `confidence`
/// is not in (0, 1).
pub fn compare_proportions(
    x_a: u64,
    n_a: u64,
    x_b: u64,
    n_b: u64,
    confidence: f64,
) -> Option<ProportionComparison> {
    let ci_a = wilson(x_a, n_a, confidence)?;
    let ci_b = wilson(x_b, n_b, confidence)?;
    let (na, nb) = (n_a as f64, n_b as f64);
    let a = x_a as f64 / na;
    let b = x_b as f64 / nb;
    let difference = b - a;
    let lower = difference - ((b - ci_b.lo).powi(2) + (ci_a.hi - a).powi(2)).sqrt();
    let upper = difference + ((ci_b.hi - b).powi(2) + (a - ci_a.lo).powi(2)).sqrt();
    let difference_ci = Interval {
        lo: lower.max(-1.0),
        hi: upper.min(1.0),
    };

    // Sums in f64: u64 counts near u64::MAX must not overflow.
    let pooled = (x_a as f64 + x_b as f64) / (na + nb);
    let (z, p_value) = if pooled > 0.0 && pooled < 1.0 {
        let se = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
        let z = difference / se;
        if z.is_finite() && se > 0.0 {
            (Some(z), two_sided_normal_p(z))
        } else {
            (None, None)
        }
    } else {
        (None, None)
    };
    Some(ProportionComparison {
        a,
        b,
        difference,
        difference_ci,
        z,
        p_value,
    })
}

/// Two-sided normal tail probability `2·(1 − Φ(|z|)) = erfc(|z|/√2) = Q(½, z²/2)`, with `Q`
/// the regularised upper incomplete gamma function (statrs's `erfc` is only good to ~1e-10
/// relative here; its `gamma_ur` matches scipy to ~1e-15).
pub(crate) fn two_sided_normal_p(z: f64) -> Option<f64> {
    let x = z * z / 2.0;
    if x == 0.0 {
        Some(1.0)
    } else if x > 800.0 {
        // Q(½, 800) ≈ 1e-349: below the smallest f64.
        Some(0.0)
    } else {
        let p = checked_gamma_ur(0.5, x).ok()?;
        p.is_finite().then(|| p.clamp(0.0, 1.0))
    }
}

/// Sum with Neumaier's compensation, so long samples lose no precision to rounding.
fn compensated_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        carry += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    sum + carry
}

/// Summary of a sample of numbers (e.g. the grades of one review).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanSummary {
    pub n: usize,
    pub mean: f64,
    pub median: f64,
    /// Sample standard deviation (divisor `n − 1`); `None` when `n < 2`.
    pub sd: Option<f64>,
    /// Student-t interval for the mean; `None` when `n < 2`.
    pub mean_ci: Option<Interval>,
}

/// Mean, median, sample SD and Student-t interval for the mean.
///
/// ```text
/// mean = Σx/n        sd = sqrt(Σ(x − mean)²/(n − 1))
/// interval = mean ± t(1 − α/2; n − 1) · sd/√n
/// ```
///
/// (Student 1908, "The probable error of a mean", Biometrika 6:1–25.) The median of an even
/// number of values is the average of the middle two. `sd` and `mean_ci` are `None` when
/// `n < 2`; when `sd == 0` the interval is `[mean, mean]`; `mean_ci` is also `None` when
/// `confidence` is not in (0, 1).
///
/// `None` when `values` is empty or holds a non-finite value (NaN or infinity), which would
/// make every figure meaningless, or when the sum overflows f64 (values near ±1.8e308); `sd`
/// and `mean_ci` are likewise `None` if the spread overflows.
pub fn summarise(values: &[f64], confidence: f64) -> Option<MeanSummary> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = values.len();
    let nf = n as f64;
    let mean = compensated_sum(values.iter().copied()) / nf;
    // Finite values whose sum overflows (e.g. near f64::MAX) give no usable mean.
    if !mean.is_finite() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        // Halve first so two huge values cannot overflow.
        sorted[n / 2 - 1] / 2.0 + sorted[n / 2] / 2.0
    };
    let (sd, mean_ci) = if n >= 2 {
        let ss = compensated_sum(values.iter().map(|v| (v - mean).powi(2)));
        let sd = (ss / (nf - 1.0)).sqrt();
        if !sd.is_finite() {
            (None, None)
        } else if sd == 0.0 {
            let ci = alpha_level(confidence).map(|_| Interval { lo: mean, hi: mean });
            (Some(sd), ci)
        } else {
            let ci = t_critical(confidence, nf - 1.0).and_then(|t| {
                let half = t * sd / nf.sqrt();
                let ci = Interval {
                    lo: mean - half,
                    hi: mean + half,
                };
                (ci.lo.is_finite() && ci.hi.is_finite()).then_some(ci)
            });
            (Some(sd), ci)
        }
    } else {
        (None, None)
    };
    Some(MeanSummary {
        n,
        mean,
        median,
        sd,
        mean_ci,
    })
}

/// Krippendorff's alpha, or why it cannot be computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alpha {
    Defined { value: f64 },
    Undefined { reason: String },
}

impl Alpha {
    /// The value when defined.
    pub fn value(&self) -> Option<f64> {
        match self {
            Alpha::Defined { value } => Some(*value),
            Alpha::Undefined { .. } => None,
        }
    }
}

/// The coincidence matrix of Krippendorff (2011) over the values that occur in pairable units.
struct Coincidences {
    /// The distinct values present in pairable units, ascending.
    values: Vec<u8>,
    /// `o[c][k]`, indexed like `values`.
    o: Vec<Vec<f64>>,
    /// `n_c = Σ_k o[c][k]`, the number of pairable values equal to `values[c]`.
    n_c: Vec<f64>,
    /// `n = Σ n_c`, the number of pairable values.
    n: f64,
}

fn coincidences(units: &[Vec<u8>]) -> Coincidences {
    let pairable = || units.iter().filter(|u| u.len() >= 2);
    let mut present = [false; 256];
    for unit in pairable() {
        for &v in unit {
            present[v as usize] = true;
        }
    }
    let values: Vec<u8> = (0..=255u8).filter(|v| present[*v as usize]).collect();
    let mut index = [0usize; 256];
    for (i, v) in values.iter().enumerate() {
        index[*v as usize] = i;
    }
    let size = values.len();
    let mut o = vec![vec![0.0; size]; size];
    let mut counts = vec![0.0f64; size];
    for unit in pairable() {
        counts.iter_mut().for_each(|c| *c = 0.0);
        for &v in unit {
            counts[index[v as usize]] += 1.0;
        }
        let m_u = unit.len() as f64;
        for c in 0..size {
            if counts[c] == 0.0 {
                continue;
            }
            for k in 0..size {
                let pairs = if c == k {
                    counts[c] * (counts[c] - 1.0)
                } else {
                    counts[c] * counts[k]
                };
                o[c][k] += pairs / (m_u - 1.0);
            }
        }
    }
    let n_c: Vec<f64> = o.iter().map(|row| row.iter().sum()).collect();
    let n = n_c.iter().sum();
    Coincidences { values, o, n_c, n }
}

fn alpha_from(units: &[Vec<u8>], distance: impl Fn(&Coincidences, usize, usize) -> f64) -> Alpha {
    let co = coincidences(units);
    if co.n < 2.0 {
        return Alpha::Undefined {
            reason: "No item was graded by two or more graders, so there is nothing to compare \
                     and agreement cannot be measured."
                .to_string(),
        };
    }
    if co.values.len() < 2 {
        return Alpha::Undefined {
            reason: format!(
                "Every grade given to items graded by two or more graders was {}, so there is no \
                 variation against which to judge agreement.",
                co.values[0]
            ),
        };
    }
    let size = co.values.len();
    let (mut observed, mut expected) = (0.0, 0.0);
    for c in 0..size {
        for k in 0..size {
            if c == k {
                continue;
            }
            let d = distance(&co, c, k);
            observed += co.o[c][k] * d;
            expected += co.n_c[c] * co.n_c[k] * d;
        }
    }
    // alpha = 1 − D_o/D_e with D_o = Σ o_ck δ²_ck / n and D_e = Σ n_c n_k δ²_ck / (n(n − 1)).
    let value = 1.0 - (co.n - 1.0) * observed / expected;
    if expected > 0.0 && value.is_finite() {
        Alpha::Defined { value }
    } else {
        Alpha::Undefined {
            reason: "The grades show no variation against which to judge agreement.".to_string(),
        }
    }
}

/// Krippendorff's alpha with the ordinal metric (Krippendorff 2011, "Computing Krippendorff's
/// Alpha-Reliability", Annenberg School for Communication, University of Pennsylvania).
///
/// `units[i]` holds the values the graders gave item `i`, in any order; missing grades are
/// simply absent, and who gave which grade does not matter. Items with fewer than two values
/// are not pairable and are ignored. From the pairable items `u` with `m_u` values, of which
/// `n_uc` equal `c`:
///
/// ```text
/// coincidences  o_ck = Σ_u n_uc (n_uk − [c = k]) / (m_u − 1)
/// marginals     n_c  = Σ_k o_ck,   n = Σ_c n_c
/// ordinal δ²_ck = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²
/// alpha = 1 − D_o/D_e = 1 − (n − 1) · Σ_{c≠k} o_ck δ²_ck / Σ_{c≠k} n_c n_k δ²_ck
/// ```
///
/// The ordinal distance is computed from the coincidence-matrix marginals `n_g`. A value that
/// nobody gave (or gave only on unpairable items) has `n_g = 0` and adds nothing to any
/// distance, so the result is the same whether the scale is taken as the values observed or as
/// the full 1–4 grade scale (the reference fixtures pass `value_domain=[1, 2, 3, 4]` to the
/// Python `krippendorff` package and check that the observed-values domain gives the same).
///
/// [`Alpha::Undefined`] when no item has two values, or when all the pairable values are the
/// same (expected disagreement 0).
pub fn krippendorff_alpha_ordinal(units: &[Vec<u8>]) -> Alpha {
    alpha_from(units, |co, c, k| {
        let (lo, hi) = (c.min(k), c.max(k));
        let between: f64 = co.n_c[lo..=hi].iter().sum();
        (between - (co.n_c[c] + co.n_c[k]) / 2.0).powi(2)
    })
}

/// Krippendorff's alpha with the nominal metric (`δ_ck = 0` when `c = k`, else 1); otherwise
/// the same computation and contract as [`krippendorff_alpha_ordinal`].
pub fn krippendorff_alpha_nominal(units: &[Vec<u8>]) -> Alpha {
    alpha_from(units, |_, c, k| if c == k { 0.0 } else { 1.0 })
}

/// How many of `grades` are 1, 2, 3 and 4 (index 0 holds the count of 1s). Values outside
/// 1..=4 are not counted.
pub fn grade_counts(grades: &[u8]) -> [u64; 4] {
    let mut counts = [0u64; 4];
    for &g in grades {
        if (1..=4).contains(&g) {
            counts[(g - 1) as usize] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(counts: [u64; 4]) -> Vec<f64> {
        (0..4)
            .flat_map(|i| std::iter::repeat_n((i + 1) as f64, counts[i] as usize))
            .collect()
    }

    #[test]
    fn t_critical_is_finite_and_ordered_for_every_df_and_confidence() {
        let confidences = [
            1e-300,
            1e-6,
            0.01,
            0.5,
            0.8,
            0.9,
            0.95,
            0.99,
            0.999,
            1.0 - 1e-12,
        ];
        let z: Vec<f64> = confidences
            .iter()
            .map(|c| normal_critical(*c).unwrap())
            .collect();
        let dfs = (1..=1100)
            .map(f64::from)
            .chain([1e4, 1e5, 1e6, 1e8, 1e12, 1e300]);
        for df in dfs {
            let t: Vec<f64> = confidences
                .iter()
                .map(|c| t_critical(*c, df).unwrap_or_else(|| panic!("df {df}, {c}")))
                .collect();
            for i in 0..t.len() {
                // Heavier tails than the normal, and more confidence → wider. (Below
                // confidence 0.1, where t is tiny, statrs is only good to ~1e-7 absolute.)
                let slack = if confidences[i] < 0.1 {
                    1e-6
                } else {
                    1e-12 * z[i]
                };
                assert!(t[i] >= z[i] - slack, "df {df}: t {} < z {}", t[i], z[i]);
                if i > 0 {
                    assert!(t[i] >= t[i - 1], "df {df}: not increasing at {i}: {t:?}");
                }
            }
        }
        assert_eq!(t_critical(0.95, 0.0), None);
        assert_eq!(t_critical(0.95, f64::NAN), None);
        // Student's own table: t(0.975; 1) = 12.706, t(0.975; 10) = 2.228, t(0.995; 30) = 2.750.
        assert_eq!(format!("{:.3}", t_critical(0.95, 1.0).unwrap()), "12.706");
        assert_eq!(format!("{:.3}", t_critical(0.95, 10.0).unwrap()), "2.228");
        assert_eq!(format!("{:.3}", t_critical(0.99, 30.0).unwrap()), "2.750");
        // The two methods meet at the switch-over.
        let below = t_critical(0.95, T_EXPANSION_DF).unwrap();
        let above = t_critical(0.95, T_EXPANSION_DF + 1.0).unwrap();
        assert!(below > above && below - above < 1e-5, "{below} {above}");
    }

    #[test]
    fn wilson_contains_estimate_and_stays_in_unit_range() {
        for n in [1u64, 2, 3, 10, 37, 200, 10_000] {
            for x in 0..=n.min(40) {
                for conf in [0.5, 0.8, 0.9, 0.95, 0.99, 0.999] {
                    let ci = wilson(x, n, conf).unwrap();
                    let p = x as f64 / n as f64;
                    assert!(ci.contains(p), "{x}/{n} at {conf}: {ci:?}");
                    assert!(0.0 <= ci.lo && ci.hi <= 1.0, "{x}/{n}: {ci:?}");
                    assert!(ci.lo < ci.hi, "{x}/{n}: {ci:?}");
                }
            }
        }
    }

    #[test]
    fn wilson_is_symmetric_about_a_half() {
        for n in [1u64, 2, 7, 10, 200] {
            for x in 0..=n {
                let ci = wilson(x, n, 0.95).unwrap();
                let mirror = wilson(n - x, n, 0.95).unwrap();
                assert!((ci.lo - (1.0 - mirror.hi)).abs() < 1e-12);
                assert!((ci.hi - (1.0 - mirror.lo)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn wilson_narrows_with_more_data_and_widens_with_more_confidence() {
        let width = |ci: Interval| ci.hi - ci.lo;
        assert!(width(wilson(50, 100, 0.95).unwrap()) < width(wilson(5, 10, 0.95).unwrap()));
        assert!(width(wilson(5, 10, 0.99).unwrap()) > width(wilson(5, 10, 0.95).unwrap()));
    }

    #[test]
    fn wilson_refuses_what_has_no_interval() {
        assert_eq!(wilson(0, 0, 0.95), None);
        assert_eq!(wilson(3, 2, 0.95), None);
        for conf in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            assert_eq!(wilson(1, 2, conf), None, "confidence {conf}");
        }
        let ci = wilson(0, 5, 0.95).unwrap();
        assert_eq!(ci.lo, 0.0);
        let ci = wilson(5, 5, 0.95).unwrap();
        assert_eq!(ci.hi, 1.0);
        // Extreme but valid inputs stay finite.
        let ci = wilson(u64::MAX / 2, u64::MAX, 0.95).unwrap();
        assert!(ci.lo.is_finite() && ci.hi.is_finite() && ci.contains(0.5));
    }

    #[test]
    fn comparison_interval_contains_difference_and_mirrors() {
        for (x_a, n_a, x_b, n_b) in [
            (128u64, 198u64, 137u64, 198u64),
            (0, 1, 1, 1),
            (3, 10, 7, 12),
            (10, 10, 10, 10),
            (0, 10, 0, 10),
            (1, 2, 1, 2),
        ] {
            let c = compare_proportions(x_a, n_a, x_b, n_b, 0.95).unwrap();
            assert!(c.difference_ci.contains(c.difference), "{c:?}");
            assert!(-1.0 <= c.difference_ci.lo && c.difference_ci.hi <= 1.0);
            let m = compare_proportions(x_b, n_b, x_a, n_a, 0.95).unwrap();
            assert!((c.difference + m.difference).abs() < 1e-15);
            assert!((c.difference_ci.lo + m.difference_ci.hi).abs() < 1e-12);
            assert!((c.difference_ci.hi + m.difference_ci.lo).abs() < 1e-12);
            assert_eq!(c.z.map(|z| -z), m.z);
            assert_eq!(c.p_value, m.p_value);
        }
    }

    #[test]
    fn comparison_test_is_undefined_only_without_variation() {
        let all = compare_proportions(20, 20, 9, 9, 0.95).unwrap();
        assert_eq!((all.z, all.p_value), (None, None));
        let none = compare_proportions(0, 20, 0, 9, 0.95).unwrap();
        assert_eq!((none.z, none.p_value), (None, None));
        let same = compare_proportions(5, 10, 5, 10, 0.95).unwrap();
        assert_eq!(same.z, Some(0.0));
        assert_eq!(same.p_value, Some(1.0));
        assert_eq!(compare_proportions(1, 0, 1, 2, 0.95), None);
        assert_eq!(compare_proportions(1, 2, 0, 0, 0.95), None);
        assert_eq!(compare_proportions(1, 2, 1, 2, 1.0), None);
    }

    #[test]
    fn normal_p_value_is_total_and_monotone() {
        assert_eq!(two_sided_normal_p(0.0), Some(1.0));
        assert_eq!(two_sided_normal_p(-1e300), Some(0.0));
        assert_eq!(two_sided_normal_p(f64::INFINITY), Some(0.0));
        let p = two_sided_normal_p(normal_critical(0.95).unwrap()).unwrap();
        assert!((p - 0.05).abs() < 1e-15, "{p}");
        let mut last = 1.0;
        for i in 1..=4000 {
            let p = two_sided_normal_p(i as f64 / 100.0).unwrap();
            assert!(p <= last && p >= 0.0, "z {}: {p}", i as f64 / 100.0);
            last = p;
        }
        let huge = compare_proportions(0, u64::MAX, u64::MAX, u64::MAX, 0.95).unwrap();
        assert_eq!(huge.p_value, Some(0.0));
    }

    #[test]
    fn summary_of_published_review() {
        // April 2022: grades 1, 5, 3, 1 of 1..4 → mean 2.4, as published.
        let s = summarise(&expand([1, 5, 3, 1]), 0.95).unwrap();
        assert_eq!(s.n, 10);
        assert!((s.mean - 2.4).abs() < 1e-12);
        assert_eq!(s.median, 2.0);
        let ci = s.mean_ci.unwrap();
        assert!(ci.contains(s.mean));
        assert!(((ci.lo + ci.hi) / 2.0 - s.mean).abs() < 1e-12);
    }

    #[test]
    fn summary_edge_cases() {
        assert_eq!(summarise(&[], 0.95), None);
        assert_eq!(summarise(&[1.0, f64::NAN], 0.95), None);
        assert_eq!(summarise(&[1.0, f64::INFINITY], 0.95), None);
        assert_eq!(summarise(&[f64::MAX, f64::MAX], 0.95), None);
        let one = summarise(&[3.0], 0.95).unwrap();
        assert_eq!(
            (one.mean, one.median, one.sd, one.mean_ci),
            (3.0, 3.0, None, None)
        );
        let flat = summarise(&[3.0, 3.0, 3.0], 0.95).unwrap();
        assert_eq!(flat.sd, Some(0.0));
        assert_eq!(flat.mean_ci, Some(Interval { lo: 3.0, hi: 3.0 }));
        let bad_conf = summarise(&[1.0, 2.0], 1.0).unwrap();
        assert_eq!(bad_conf.mean_ci, None);
        assert_eq!(bad_conf.sd, Some(std::f64::consts::FRAC_1_SQRT_2));
        let even = summarise(&[4.0, 1.0, 3.0, 2.0], 0.95).unwrap();
        assert_eq!(even.median, 2.5);
    }

    #[test]
    fn alpha_perfect_agreement_is_one_and_order_of_grades_is_irrelevant() {
        let units = vec![vec![1, 1], vec![2, 2, 2], vec![4, 4], vec![3, 3]];
        assert_eq!(krippendorff_alpha_ordinal(&units).value(), Some(1.0));
        assert_eq!(krippendorff_alpha_nominal(&units).value(), Some(1.0));
        let a = vec![vec![1, 2], vec![3, 4, 4], vec![2, 2], vec![1, 4]];
        let b = vec![vec![2, 1], vec![4, 3, 4], vec![2, 2], vec![4, 1]];
        assert_eq!(
            krippendorff_alpha_ordinal(&a),
            krippendorff_alpha_ordinal(&b)
        );
        assert_eq!(
            krippendorff_alpha_nominal(&a),
            krippendorff_alpha_nominal(&b)
        );
    }

    #[test]
    fn alpha_ignores_unpairable_units() {
        let base = vec![vec![1, 2], vec![3, 3], vec![2, 2], vec![4, 3]];
        let mut more = base.clone();
        more.push(vec![4]);
        more.push(vec![]);
        assert_eq!(
            krippendorff_alpha_ordinal(&base),
            krippendorff_alpha_ordinal(&more)
        );
    }

    #[test]
    fn ordinal_alpha_punishes_wide_disagreement_more_than_nominal() {
        // Adjacent-grade disagreements hurt ordinal alpha less than 1-vs-4 disagreements.
        let near = vec![
            vec![1, 2],
            vec![2, 2],
            vec![3, 4],
            vec![4, 4],
            vec![1, 1],
            vec![3, 3],
        ];
        let far = vec![
            vec![1, 4],
            vec![2, 2],
            vec![3, 4],
            vec![4, 4],
            vec![1, 1],
            vec![3, 3],
        ];
        let o_near = krippendorff_alpha_ordinal(&near).value().unwrap();
        let o_far = krippendorff_alpha_ordinal(&far).value().unwrap();
        assert!(o_far < o_near, "{o_far} !< {o_near}");
    }

    #[test]
    fn alpha_undefined_cases_explain_themselves() {
        for units in [
            vec![],
            vec![vec![3]],
            vec![vec![1], vec![4], vec![]],
            vec![vec![3, 3], vec![3, 3, 3], vec![1]],
        ] {
            for alpha in [
                krippendorff_alpha_ordinal(&units),
                krippendorff_alpha_nominal(&units),
            ] {
                match alpha {
                    Alpha::Undefined { reason } => assert!(!reason.is_empty()),
                    Alpha::Defined { value } => panic!("{units:?} gave {value}"),
                }
            }
        }
    }

    #[test]
    fn alpha_serialises_with_kind_tag() {
        let v = serde_json::to_value(Alpha::Defined { value: 0.5 }).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "defined", "value": 0.5}));
        let v = serde_json::to_value(Alpha::Undefined { reason: "x".into() }).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "undefined", "reason": "x"}));
    }

    #[test]
    fn grade_counts_counts_one_to_four_only() {
        assert_eq!(
            grade_counts(&[1, 2, 2, 3, 4, 4, 4, 0, 5, 255]),
            [1, 2, 1, 3]
        );
        assert_eq!(grade_counts(&[]), [0; 4]);
    }
}
