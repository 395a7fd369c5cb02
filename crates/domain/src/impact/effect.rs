//! The training effect: difference in differences with officer and calendar-quarter fixed
//! effects (two-way fixed effects), an event study around each officer's training quarter,
//! descriptive rates, and the plain-words caveats that go with them.
//!
//! Model: `outcome ~ treated + C(officer) + C(quarter)` by OLS, with standard errors clustered
//! by officer (CRV1: the sandwich times `G/(G−1)·(N−1)/(N−K)`, `K = 1 + 1 + (officers−1) +
//! (quarters−1)`), a normal 95 % interval and a two-sided normal p-value: the same numbers as
//! statsmodels' `ols(...).fit(cov_type="cluster", cov_kwds={"groups": officer})` (checked in
//! `fixture_tests` against `tests/make_effect_fixtures.py`). The fixed effects are removed by
//! the within transformation (`within`), then the Frisch–Waugh–Lovell theorem gives the
//! coefficient and the full model's residuals from the demeaned columns.
//!
//! A referral counts as after training (`treated`) from the officer's training quarter on:
//! relative quarter 0 is the training quarter.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::within::Panel;
use crate::stats::{normal_critical, two_sided_normal_p};

/// One referral, as the store supplies it: who made it, in which quarter, the officer's
/// training quarter (the same on every row of an officer; `None` if never trained) and whether
/// the outcome of interest happened. Quarters are consecutive integers (e.g. `year * 4 + q − 1`),
/// so that `quarter − trained_quarter` counts quarters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Referral {
    pub officer_id: i64,
    pub quarter: i32,
    pub trained_quarter: Option<i32>,
    pub outcome: bool,
    /// Submitted in the training quarter but before the day of the officer's first completion:
    /// not yet treated (the rule is the date, not the quarter). Always false when the store
    /// supplies quarters only.
    pub before_training_day: bool,
}

impl Referral {
    /// Quarters since the officer's training quarter (negative before); `None` if never trained.
    pub fn relative_quarter(&self) -> Option<i32> {
        self.trained_quarter.map(|t| self.quarter - t)
    }

    /// Made on or after the day the officer was trained: from the training quarter on, except
    /// the referrals of the training quarter made before the day itself.
    pub fn treated(&self) -> bool {
        self.relative_quarter()
            .is_some_and(|r| r > 0 || (r == 0 && !self.before_training_day))
    }
}

/// Counts of what went into the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub referrals: usize,
    pub officers: usize,
    pub officers_trained: usize,
    pub officers_never_trained: usize,
    pub quarters: usize,
}

/// A share with the number of referrals it is out of (`rate` is `None` when `n` is 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub n: usize,
    pub rate: Option<f64>,
}

/// Outcome rates without any model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Descriptive {
    pub trained_before: Rate,
    pub trained_after: Rate,
    pub never_trained: Rate,
}

/// One event-study coefficient: the difference from the quarter before training (−1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventCoefficient {
    pub relative_quarter: i32,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
}

/// Event-study coefficients for relative quarters −4 (and earlier), −3, −2, 0, 1, 2, 3 and 4
/// (and later); −1 is the reference. Serialises as `{"-4": {"estimate", "se"}, …, "4": …}`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventStudy {
    pub coefficients: Vec<EventCoefficient>,
}

impl Serialize for EventStudy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Entry {
            estimate: Option<f64>,
            se: Option<f64>,
        }
        let mut map = serializer.serialize_map(Some(self.coefficients.len()))?;
        for c in &self.coefficients {
            let entry = Entry {
                estimate: c.estimate,
                se: c.se,
            };
            map.serialize_entry(&c.relative_quarter.to_string(), &entry)?;
        }
        map.end()
    }
}

/// Reads back what [`EventStudy`]'s `Serialize` writes, in the order written.
impl<'de> Deserialize<'de> for EventStudy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Entry {
            estimate: Option<f64>,
            se: Option<f64>,
        }
        struct Coefficients;
        impl<'de> Visitor<'de> for Coefficients {
            type Value = EventStudy;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("event-study coefficients by relative quarter")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventStudy, A::Error> {
                let mut coefficients = Vec::new();
                while let Some((key, entry)) = map.next_entry::<String, Entry>()? {
                    let relative_quarter = key.parse().map_err(|_| {
                        serde::de::Error::custom(format!("not a relative quarter: {key}"))
                    })?;
                    coefficients.push(EventCoefficient {
                        relative_quarter,
                        estimate: entry.estimate,
                        se: entry.se,
                    });
                }
                Ok(EventStudy { coefficients })
            }
        }
        deserializer.deserialize_map(Coefficients)
    }
}

/// The training effect on the outcome rate (a difference in proportion, e.g. 0.05 = five
/// percentage points). Without an estimate, `reason` says why in plain words (it is also the
/// first caveat, so the JSON carries it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingEffect {
    pub counts: Counts,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    pub event_study: EventStudy,
    pub descriptive: Descriptive,
    pub caveats: Vec<String>,
    #[serde(skip)]
    pub reason: Option<String>,
}

/// The estimate for one group (e.g. one lead-trainer kind).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupEffect<G> {
    pub group: G,
    pub effect: TrainingEffect,
}

/// Referrals that cannot be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EffectError {
    #[error("Officer {officer_id} has two different training quarters ({first} and {second}) on their referrals; each officer needs one")]
    TwoTrainingQuarters {
        officer_id: i64,
        first: String,
        second: String,
    },
}

/// Fewest trained officers for an estimate.
pub const MIN_TRAINED_OFFICERS: usize = 20;
/// Fewest never-trained officers for an estimate.
pub const MIN_NEVER_TRAINED_OFFICERS: usize = 10;
/// The event-study window: relative quarters beyond it are pooled into its ends.
const WINDOW: i32 = 4;
/// The reference relative quarter (the one before training).
const REFERENCE: i32 = -1;

const CAVEATS: [&str; 4] = [
    "Training was not randomised: trained and untrained officers may differ in ways the \
     comparison does not remove.",
    "Who was trained first was chosen, not left to chance, so early and late trainees may differ.",
    "When officers are trained at different times and the effect changes over time, the single \
     two-way fixed effects estimate can be biased; the event study shows the effect quarter by \
     quarter for that reason.",
    "Each officer's referrals are grouped for the uncertainty (clustered standard errors), so \
     officers with many referrals do not count as many independent pieces of evidence.",
];

/// Estimate the training effect from referral rows.
pub fn estimate_effect(referrals: &[Referral]) -> Result<TrainingEffect, EffectError> {
    let counts = count(referrals)?;
    let descriptive = describe(referrals);
    let mut caveats: Vec<String> = CAVEATS.iter().map(|c| c.to_string()).collect();
    let mut effect = TrainingEffect {
        counts,
        estimate: None,
        se: None,
        ci95: None,
        p_value: None,
        event_study: empty_event_study(),
        descriptive,
        caveats: Vec::new(),
        reason: too_few(&counts),
    };
    if effect.reason.is_none() {
        fit(referrals, &mut effect);
    }
    if let Some(reason) = &effect.reason {
        caveats.insert(0, reason.clone());
    }
    caveats.append(&mut effect.caveats);
    effect.caveats = caveats;
    Ok(effect)
}

/// Estimate the effect separately for each group. `group_of` gives a trained officer's group
/// (e.g. the kind of lead trainer); rows where it returns `None` (the never-trained comparison
/// officers) go into every group. A group too small for an estimate says so in its `reason`.
pub fn estimate_effect_by_group<G: Ord + Clone>(
    referrals: &[Referral],
    group_of: impl Fn(&Referral) -> Option<G>,
) -> Result<Vec<GroupEffect<G>>, EffectError> {
    let labelled: Vec<(Option<G>, Referral)> =
        referrals.iter().map(|r| (group_of(r), *r)).collect();
    let mut groups: Vec<G> = labelled.iter().filter_map(|(g, _)| g.clone()).collect();
    groups.sort();
    groups.dedup();
    groups
        .into_iter()
        .map(|group| {
            let rows: Vec<Referral> = labelled
                .iter()
                .filter(|(g, _)| g.as_ref().is_none_or(|g| *g == group))
                .map(|(_, r)| *r)
                .collect();
            let effect = estimate_effect(&rows)?;
            Ok(GroupEffect { group, effect })
        })
        .collect()
}

/// Count officers and quarters, checking each officer has one training quarter.
fn count(referrals: &[Referral]) -> Result<Counts, EffectError> {
    let mut officers: std::collections::BTreeMap<i64, Option<i32>> = Default::default();
    for r in referrals {
        let seen = *officers.entry(r.officer_id).or_insert(r.trained_quarter);
        if seen != r.trained_quarter {
            let [first, second] =
                [seen, r.trained_quarter].map(|q| q.map_or("never".to_string(), |q| q.to_string()));
            return Err(EffectError::TwoTrainingQuarters {
                officer_id: r.officer_id,
                first,
                second,
            });
        }
    }
    let mut quarters: Vec<i32> = referrals.iter().map(|r| r.quarter).collect();
    quarters.sort_unstable();
    quarters.dedup();
    let trained = officers.values().filter(|t| t.is_some()).count();
    Ok(Counts {
        referrals: referrals.len(),
        officers: officers.len(),
        officers_trained: trained,
        officers_never_trained: officers.len() - trained,
        quarters: quarters.len(),
    })
}

/// The plain reason there is no estimate, if the data are too few.
fn too_few(counts: &Counts) -> Option<String> {
    if counts.officers_trained < MIN_TRAINED_OFFICERS {
        Some(format!(
            "No estimate: {} trained officers made referrals here, and at least \
             {MIN_TRAINED_OFFICERS} are needed.",
            counts.officers_trained
        ))
    } else if counts.officers_never_trained < MIN_NEVER_TRAINED_OFFICERS {
        Some(format!(
            "No estimate: {} officers who were never trained made referrals here, and at least \
             {MIN_NEVER_TRAINED_OFFICERS} are needed to compare with.",
            counts.officers_never_trained
        ))
    } else {
        None
    }
}

fn describe(referrals: &[Referral]) -> Descriptive {
    let rate = |keep: &dyn Fn(&Referral) -> bool| {
        let (n, yes) = referrals
            .iter()
            .filter(|r| keep(r))
            .fold((0usize, 0usize), |(n, y), r| {
                (n + 1, y + usize::from(r.outcome))
            });
        Rate {
            n,
            rate: (n > 0).then(|| yes as f64 / n as f64),
        }
    };
    Descriptive {
        trained_before: rate(&|r| r.trained_quarter.is_some() && !r.treated()),
        trained_after: rate(&|r| r.treated()),
        never_trained: rate(&|r| r.trained_quarter.is_none()),
    }
}

/// The event-study slots, in order, with no values.
fn empty_event_study() -> EventStudy {
    EventStudy {
        coefficients: event_quarters()
            .map(|relative_quarter| EventCoefficient {
                relative_quarter,
                estimate: None,
                se: None,
            })
            .collect(),
    }
}

/// −4, −3, −2, 0, 1, 2, 3, 4.
fn event_quarters() -> impl Iterator<Item = i32> {
    (-WINDOW..=WINDOW).filter(|&q| q != REFERENCE)
}

/// Fit both models and fill in `effect`; any failure becomes its `reason`.
fn fit(referrals: &[Referral], effect: &mut TrainingEffect) {
    let ids: Vec<i64> = referrals.iter().map(|r| r.officer_id).collect();
    let quarters: Vec<i32> = referrals.iter().map(|r| r.quarter).collect();
    let panel = Panel::new(&ids, &quarters);
    let mut y: Vec<f64> = referrals
        .iter()
        .map(|r| f64::from(u8::from(r.outcome)))
        .collect();
    if panel.demean(&mut y).is_none() {
        effect.reason = Some(NOT_CONVERGED.to_string());
        return;
    }
    let treated = column(referrals, |r| r.treated());
    match regress(&panel, &y, vec![treated]) {
        Ok(fit) => {
            let (b, se) = (fit.coefficients[0], fit.se[0]);
            let z = normal_critical(0.95).unwrap_or(1.959_963_984_540_054);
            effect.estimate = Some(b);
            effect.se = Some(se);
            effect.ci95 = Some([b - z * se, b + z * se]);
            effect.p_value = if se > 0.0 {
                two_sided_normal_p(b / se)
            } else {
                None
            };
        }
        Err(reason) => {
            effect.reason = Some(reason.to_string());
            return;
        }
    }
    match event_study(referrals, &panel, &y) {
        Ok(study) => effect.event_study = study,
        Err(_) => effect.caveats.push(EVENT_STUDY_FAILED.to_string()),
    }
}

const EVENT_STUDY_FAILED: &str = "The event study could not be estimated: the quarters before and \
                                  after training cannot be told apart from who the officer is and \
                                  which quarter it was.";

const NOT_CONVERGED: &str =
    "No estimate: the officers and quarters are too loosely connected for the model to settle.";

/// The event-study model; columns with no referrals stay empty (`None`).
fn event_study(
    referrals: &[Referral],
    panel: &Panel,
    y: &[f64],
) -> Result<EventStudy, &'static str> {
    let mut study = empty_event_study();
    let present: Vec<usize> = event_quarters()
        .enumerate()
        .filter(|&(_, q)| referrals.iter().any(|r| event_bin(r) == Some(q)))
        .map(|(slot, _)| slot)
        .collect();
    let columns = present
        .iter()
        .map(|&slot| {
            let q = study.coefficients[slot].relative_quarter;
            column(referrals, |r| event_bin(r) == Some(q))
        })
        .collect();
    let fit = regress(panel, y, columns)?;
    for (k, &slot) in present.iter().enumerate() {
        study.coefficients[slot].estimate = Some(fit.coefficients[k]);
        study.coefficients[slot].se = Some(fit.se[k]);
    }
    Ok(study)
}

/// A referral's event-study quarter, pooled into ±4; `None` for the never-trained.
fn event_bin(r: &Referral) -> Option<i32> {
    r.relative_quarter().map(|q| q.clamp(-WINDOW, WINDOW))
}

fn column(referrals: &[Referral], indicator: impl Fn(&Referral) -> bool) -> Vec<f64> {
    referrals
        .iter()
        .map(|r| f64::from(u8::from(indicator(r))))
        .collect()
}

/// Coefficients and clustered standard errors of the regressors.
struct Fit {
    coefficients: Vec<f64>,
    se: Vec<f64>,
}

/// Regress demeaned `y` on the given regressor columns (demeaned here) with officer-clustered
/// CRV1 standard errors, `K = 1 + k + (officers−1) + (quarters−1)`.
fn regress(panel: &Panel, y: &[f64], mut columns: Vec<Vec<f64>>) -> Result<Fit, &'static str> {
    // Variation left after demeaning is judged against the raw column's size.
    let raw_scale = columns.iter().map(|c| dot(c, c)).fold(0.0, f64::max);
    for c in &mut columns {
        if panel.demean(c).is_none() {
            return Err(NOT_CONVERGED);
        }
    }
    let k = columns.len();
    let xtx = gram(&columns, &columns);
    let xty: Vec<f64> = columns.iter().map(|c| dot(c, y)).collect();
    let inverse = invert_spd(&xtx, raw_scale).ok_or(COLLINEAR)?;
    let beta: Vec<f64> = (0..k).map(|i| dot(&inverse[i], &xty)).collect();
    let meat = cluster_meat(panel, y, &columns, &beta);
    let (n, g) = (panel.rows() as f64, panel.officers() as f64);
    let params = (k + panel.officers() + panel.quarters() - 1) as f64;
    if g < 2.0 || n <= params {
        return Err(
            "No estimate: there are not enough referrals for the number of officers and quarters.",
        );
    }
    let factor = g / (g - 1.0) * (n - 1.0) / (n - params);
    let se = (0..k)
        .map(|i| {
            let v: f64 = (0..k)
                .flat_map(|a| (0..k).map(move |b| (a, b)))
                .map(|(a, b)| inverse[i][a] * meat[a][b] * inverse[b][i])
                .sum();
            (v.max(0.0) * factor).sqrt()
        })
        .collect();
    Ok(Fit {
        coefficients: beta,
        se,
    })
}

const COLLINEAR: &str = "No estimate: training cannot be told apart from who the officer is and \
                         which quarter it was (for example, no trained officer made referrals both \
                         before and after training).";

/// `Σ_g s_g s_gᵀ` with `s_g = Σ_{i∈g} x̃_i e_i` and `e = ỹ − X̃β`, the full model's residuals.
fn cluster_meat(panel: &Panel, y: &[f64], columns: &[Vec<f64>], beta: &[f64]) -> Vec<Vec<f64>> {
    let k = columns.len();
    let mut scores = vec![vec![0.0; k]; panel.officers()];
    for (i, &g) in panel.officer.iter().enumerate() {
        let fitted: f64 = columns.iter().zip(beta).map(|(c, b)| c[i] * b).sum();
        let e = y[i] - fitted;
        for (s, c) in scores[g].iter_mut().zip(columns) {
            *s += c[i] * e;
        }
    }
    let mut meat = vec![vec![0.0; k]; k];
    for s in &scores {
        for a in 0..k {
            for b in 0..k {
                meat[a][b] += s[a] * s[b];
            }
        }
    }
    meat
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn gram(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    a.iter()
        .map(|x| b.iter().map(|y| dot(x, y)).collect())
        .collect()
}

/// Inverse of a small symmetric positive-definite matrix by Gauss–Jordan elimination with
/// partial pivoting; `None` when a pivot is below 1e-10 × `scale` (numerically singular).
fn invert_spd(m: &[Vec<f64>], scale: f64) -> Option<Vec<Vec<f64>>> {
    let k = m.len();
    let mut a: Vec<Vec<f64>> = m.to_vec();
    let mut inv: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for col in 0..k {
        let pivot = (col..k).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        // NaN fails the comparison too, so it counts as singular.
        let usable = a[pivot][col].abs() > 1e-10 * scale;
        if !usable {
            return None;
        }
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let p = a[col][col];
        a[col].iter_mut().for_each(|v| *v /= p);
        inv[col].iter_mut().for_each(|v| *v /= p);
        for row in 0..k {
            if row != col {
                let f = a[row][col];
                for j in 0..k {
                    a[row][j] -= f * a[col][j];
                    inv[row][j] -= f * inv[col][j];
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `trained` officers trained in quarter 4 + (i % 3), `never` never trained; officer `i`
    /// makes one referral in each of quarters 0..8 whose outcome follows a fixed pattern.
    fn panel(trained: i64, never: i64) -> Vec<Referral> {
        let mut rows = Vec::new();
        for i in 0..trained + never {
            let trained_quarter = (i < trained).then(|| 4 + (i % 3) as i32);
            for q in 0..8 {
                rows.push(Referral {
                    officer_id: 500 + i,
                    quarter: q,
                    trained_quarter,
                    outcome: (i + i64::from(q)) % 3 == 0,
                    before_training_day: false,
                });
            }
        }
        rows
    }

    #[test]
    fn relative_quarter_counts_from_the_training_quarter() {
        let r = Referral {
            officer_id: 1,
            quarter: 8093,
            trained_quarter: Some(8093),
            outcome: true,
            before_training_day: false,
        };
        assert_eq!((r.relative_quarter(), r.treated()), (Some(0), true));
        let early = Referral {
            before_training_day: true,
            ..r
        };
        assert_eq!(
            (early.relative_quarter(), early.treated()),
            (Some(0), false)
        );
        let before = Referral { quarter: 8091, ..r };
        assert_eq!(
            (before.relative_quarter(), before.treated()),
            (Some(-2), false)
        );
        let never = Referral {
            trained_quarter: None,
            ..r
        };
        assert_eq!((never.relative_quarter(), never.treated()), (None, false));
    }

    #[test]
    fn too_few_trained_officers_gives_no_estimate_and_says_why() {
        let effect = estimate_effect(&panel(19, 12)).expect("valid");
        assert_eq!(effect.estimate, None);
        let reason = effect.reason.clone().expect("a reason");
        assert!(reason.contains("19 trained officers"), "{reason}");
        assert_eq!(effect.caveats[0], reason);
        let json = serde_json::to_value(&effect).expect("serialises");
        assert!(json["estimate"].is_null() && json["ci95"].is_null());
        assert!(json["event_study"]["4"]["se"].is_null());
        assert_eq!(json["counts"]["officers_trained"], 19);
    }

    #[test]
    fn too_few_never_trained_officers_gives_no_estimate() {
        let effect = estimate_effect(&panel(25, 9)).expect("valid");
        assert!(effect
            .reason
            .is_some_and(|r| r.contains("9 officers who were never trained")));
    }

    #[test]
    fn enough_officers_give_an_estimate_with_all_parts() {
        let effect = estimate_effect(&panel(20, 10)).expect("valid");
        assert_eq!(effect.reason, None);
        let json = serde_json::to_value(&effect).expect("serialises");
        let keys: Vec<&str> = json
            .as_object()
            .map_or(vec![], |o| o.keys().map(|k| k.as_str()).collect());
        assert_eq!(
            keys,
            [
                "caveats",
                "ci95",
                "counts",
                "descriptive",
                "estimate",
                "event_study",
                "p_value",
                "se"
            ]
        );
        let event: Vec<&str> = json["event_study"]
            .as_object()
            .map_or(vec![], |o| o.keys().map(|k| k.as_str()).collect());
        assert_eq!(event.len(), 8);
        assert!(json["event_study"]["-1"].is_null());
        assert!(json["event_study"]["-4"]["estimate"].is_number());
        assert_eq!(json["descriptive"]["never_trained"]["n"], 80);
        assert_eq!(effect.caveats.len(), CAVEATS.len());
        let ci = effect.ci95.unwrap_or([0.0, 0.0]);
        assert!(ci[0] < ci[1]);
        assert!(effect.p_value.is_some_and(|p| (0.0..=1.0).contains(&p)));
    }

    #[test]
    fn training_that_never_varies_within_an_officer_gives_no_estimate() {
        let rows: Vec<Referral> = panel(25, 12)
            .into_iter()
            .filter(|r| r.trained_quarter.is_none() || r.treated())
            .collect();
        let effect = estimate_effect(&rows).expect("valid");
        assert_eq!(effect.reason.as_deref(), Some(COLLINEAR));
        assert_eq!(effect.estimate, None);
    }

    #[test]
    fn an_officer_with_two_training_quarters_is_refused() {
        let mut rows = panel(20, 10);
        rows[3].trained_quarter = Some(7);
        let err = estimate_effect(&rows).map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err(
                "Officer 500 has two different training quarters (4 and 7) on their referrals; \
                 each officer needs one"
                    .into()
            )
        );
    }

    #[test]
    fn groups_share_the_never_trained_and_small_groups_say_so() {
        let rows = panel(30, 12);
        // Officers 500..520 were trained by a "police" lead, 520..530 by a "social care" lead.
        let results = estimate_effect_by_group(&rows, |r| {
            r.trained_quarter.map(|_| {
                if r.officer_id < 520 {
                    "police"
                } else {
                    "social care"
                }
            })
        })
        .expect("valid");
        let groups: Vec<&str> = results.iter().map(|g| g.group).collect();
        assert_eq!(groups, ["police", "social care"]);
        assert_eq!(results[0].effect.counts.officers_never_trained, 12);
        assert_eq!(results[1].effect.counts.officers_never_trained, 12);
        assert_eq!(results[0].effect.reason, None);
        assert!(results[1]
            .effect
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("10 trained officers")));
    }

    #[test]
    fn no_referrals_gives_no_estimate() {
        let effect = estimate_effect(&[]).expect("valid");
        assert_eq!(effect.counts.referrals, 0);
        assert!(effect.reason.is_some());
        assert_eq!(effect.descriptive.trained_after.rate, None);
    }
}
