//! The senior leaders' impact dashboard as one value: the series the store counts, turned into
//! rates with their intervals, SPC charts with their signals in words, yearly compliance against
//! the target and the training effect. [`figures`] is pure; the store's
//! `impact::dashboard` gathers the series and calls it, and the result serialises whole (an
//! evaluation report can freeze it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use super::effect::{estimate_effect, estimate_effect_by_group, Referral, TrainingEffect};
use super::spc::{p_chart, p_prime_chart, xmr_chart, ChartKind, Improvement, RatePoint, SpcChart};
use super::spc::{SpcOptions, ValuePoint};
use crate::audits::YEARLY_TARGET;
use crate::stats::{summarise, wilson};

/// 95 % intervals everywhere.
pub const CONFIDENCE: f64 = 0.95;

/// What the page says under the training effect about the audit outcome.
pub const AUDIT_OUTCOME_NOT_ASKED: &str = "The same for the audit outcome is not asked: ten \
    graded referrals a quarter cannot carry an officer-level estimate.";

/// One compliance audit's counts (done in mashboard, or imported from before it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditPeriod {
    pub title: String,
    /// `YYYY-MM-DD`
    pub period_start: String,
    pub period_end: String,
    pub examined: u64,
    pub required: u64,
    pub completed_when_required: u64,
    pub not_required: u64,
    pub completed_when_not_required: u64,
    pub imported: bool,
}

/// One quarterly review's agreed grades (1 to 4), counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewPeriod {
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    pub counts: [u64; 4],
    pub imported: bool,
}

/// One calendar quarter of referrals and incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarterCounts {
    /// "2024 Q1"
    pub quarter: String,
    pub referrals: u64,
    /// With the decision of the agency it went to.
    pub with_decision: u64,
    /// Decided in the accepted group (assessment, s47, s42, early help).
    pub accepted: u64,
    /// Decided no further action or returned for more information.
    pub rejected_or_returned: u64,
    /// Incidents that needed a referral (a child involved, domestic abuse, an adult at risk).
    pub incidents_needing: u64,
}

/// Training coverage of one group at the end of one quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoveragePoint {
    pub quarter: String,
    /// `department` or `cohort`
    pub by: &'static str,
    pub group: String,
    /// People in the group then (started by the quarter's end, not yet left).
    pub people: u64,
    /// Of them, trained in the module by the quarter's end.
    pub trained: u64,
}

/// The missing-referral queue at the end of one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueuePoint {
    /// `YYYY-MM-DD`, the month's last day.
    pub on: String,
    pub open: u64,
    pub mean_age_days: Option<f64>,
    pub oldest_days: Option<i64>,
}

/// Who led the session that gave an officer their first completion of the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainerKind {
    MashTeam,
    OtherTrainer,
    NoSession,
}

impl TrainerKind {
    pub fn label(self) -> &'static str {
        match self {
            TrainerKind::MashTeam => "Led by a MASH team member",
            TrainerKind::OtherTrainer => "Led by another trainer",
            TrainerKind::NoSession => "Completed without a session",
        }
    }
}

/// One referral for the training effect, as the store finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectRow {
    pub officer_id: i64,
    pub submitted_on: Date,
    /// The agency's decision was no further action or returned for more information.
    pub outcome: bool,
    /// The officer's first completion of the module (any version), if any.
    pub trained_on: Option<Date>,
    pub trainer_kind: Option<TrainerKind>,
}

/// Everything the store counts for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Series {
    pub audits: Vec<AuditPeriod>,
    pub reviews: Vec<ReviewPeriod>,
    pub quarters: Vec<QuarterCounts>,
    pub coverage: Vec<CoveragePoint>,
    pub queue: Vec<QueuePoint>,
}

/// A chart with its signals in words, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartFigure {
    #[serde(flatten)]
    pub chart: Option<SpcChart>,
    /// Each special-cause signal in plain words.
    pub signals: Vec<String>,
    /// The Anhøj runs analysis in words, when it finds non-random variation.
    pub runs: Option<String>,
    /// Why there is no chart (too few points).
    pub none_because: Option<String>,
}

impl ChartFigure {
    fn of(result: Result<SpcChart, super::spc::SpcError>) -> ChartFigure {
        match result {
            Ok(chart) => ChartFigure {
                signals: chart.signals.iter().map(|s| s.text.clone()).collect(),
                runs: chart.anhoej.describe(),
                chart: Some(chart),
                none_because: None,
            },
            Err(e) => ChartFigure {
                chart: None,
                signals: Vec::new(),
                runs: None,
                none_because: Some(e.to_string()),
            },
        }
    }

    /// "Special cause: …; …" or "No signal: …", the one sentence a reader needs.
    pub fn verdict(&self) -> String {
        if let Some(why) = &self.none_because {
            return format!("No chart: {why}.");
        }
        let mut s = if self.signals.is_empty() {
            "No signal: every change here is within what the process does by chance (common \
             cause variation, noise)."
                .to_string()
        } else {
            format!("Signal: {}.", self.signals.join("; "))
        };
        if let Some(r) = &self.runs {
            s.push_str(&format!(" The runs analysis also finds {r}."));
        }
        s
    }
}

/// A rate with its n and 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RateFigure {
    pub x: u64,
    pub n: u64,
    pub rate: Option<f64>,
    pub ci95: Option<[f64; 2]>,
}

impl RateFigure {
    pub fn of(x: u64, n: u64) -> RateFigure {
        RateFigure {
            x,
            n,
            rate: (n > 0).then(|| x as f64 / n as f64),
            ci95: if x <= n {
                wilson(x, n, CONFIDENCE).map(|i| [i.lo, i.hi])
            } else {
                None
            },
        }
    }

    /// "64.6% (95% CI 56.1% to 72.3%), 84 of 130".
    pub fn text(&self) -> String {
        match (self.rate, self.ci95) {
            (Some(r), Some([lo, hi])) => format!(
                "{} (95% CI {} to {}), {} of {}",
                pct(r),
                pct(lo),
                pct(hi),
                self.x,
                self.n
            ),
            (Some(r), None) => format!("{}, {} of {}", pct(r), self.x, self.n),
            _ => "no figure (nothing to count)".into(),
        }
    }
}

/// A percentage to one decimal place.
pub fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

/// One quarter of relevant referrals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelevantQuarter {
    pub quarter: String,
    pub accepted: u64,
    pub incidents_needing: u64,
    /// Accepted referrals per 1,000 incidents that needed one, with its 95 % interval.
    pub per_1000: Option<f64>,
    pub per_1000_ci95: Option<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relevant {
    pub quarters: Vec<RelevantQuarter>,
    /// p chart of accepted referrals per incident that needed one (higher is better).
    pub chart: ChartFigure,
}

/// One review with its distribution and its mean with a Student-t interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewFigure {
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    pub imported: bool,
    pub counts: BTreeMap<String, u64>,
    pub n: u64,
    pub mean: Option<f64>,
    pub mean_ci95: Option<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    pub reviews: Vec<ReviewFigure>,
    /// XmR chart of the reviews' means (higher is better).
    pub chart: ChartFigure,
}

/// One quarter of partner decisions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeQuarter {
    pub quarter: String,
    pub referrals: u64,
    pub with_decision: u64,
    pub accepted: u64,
    pub rejected_or_returned: u64,
    /// Rejected or returned among those with a decision.
    pub share: RateFigure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcomes {
    pub quarters: Vec<OutcomeQuarter>,
    /// p chart of the rejected-or-returned share (lower is better).
    pub chart: ChartFigure,
}

/// One audit with its compliance and over-referral.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditFigure {
    #[serde(flatten)]
    pub period: AuditPeriod,
    pub compliance: RateFigure,
    pub over_referral: RateFigure,
}

/// One year's audits against the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearFigure {
    pub examined: u64,
    pub required: u64,
    pub completed_when_required: u64,
    pub compliance: Option<f64>,
    pub compliance_ci95: Option<[f64; 2]>,
    pub not_required: u64,
    pub completed_when_not_required: u64,
    pub over_referral: Option<f64>,
    pub over_referral_ci95: Option<[f64; 2]>,
    /// The yearly target of incidents examined.
    pub target: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    pub periods: Vec<AuditFigure>,
    /// p (or p′) chart of each audit's compliance (higher is better).
    pub chart: ChartFigure,
    /// By the year each audit period starts in.
    pub years: BTreeMap<String, YearFigure>,
}

/// Coverage with its share and interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageFigure {
    #[serde(flatten)]
    pub point: CoveragePoint,
    pub share: RateFigure,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Training {
    pub module: String,
    pub coverage: Vec<CoverageFigure>,
    pub queue: Vec<QueuePoint>,
}

/// The effect for one kind of lead trainer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindEffect {
    pub kind: TrainerKind,
    /// The kind's words (`TrainerKind::label`; filled in again when read back).
    #[serde(skip_deserializing)]
    pub label: &'static str,
    #[serde(flatten)]
    pub effect: TrainingEffect,
    /// Why this group has no estimate, in words.
    pub none_because: Option<String>,
}

/// The training effect with its split by who led the training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectFigure {
    pub module: String,
    #[serde(flatten)]
    pub effect: TrainingEffect,
    /// Why there is no estimate, in words.
    pub none_because: Option<String>,
    pub by_trainer_kind: Vec<KindEffect>,
    /// What is not asked, and why.
    #[serde(skip_deserializing, default = "audit_outcome_not_asked")]
    pub not_asked: &'static str,
}

fn audit_outcome_not_asked() -> &'static str {
    AUDIT_OUTCOME_NOT_ASKED
}

/// Every figure of the dashboard for one period (and department, when chosen).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub from: String,
    pub to: String,
    pub department: Option<String>,
    pub relevant: Relevant,
    pub quality: Quality,
    pub outcomes: Outcomes,
    pub compliance: Compliance,
    pub training: Training,
    pub effect: EffectFigure,
}

/// The calendar quarter of a date as the dashboard labels it: "2024 Q3".
pub fn quarter_label(d: Date) -> String {
    format!("{} Q{}", d.year(), (u8::from(d.month()) - 1) / 3 + 1)
}

/// Quarters as consecutive integers, `year * 4 + q − 1`.
pub fn quarter_index(d: Date) -> i32 {
    d.year() * 4 + i32::from((u8::from(d.month()) - 1) / 3)
}

/// The first day of a quarter index.
pub fn quarter_start(index: i32) -> Date {
    let year = index.div_euclid(4);
    let month = Month::try_from((index.rem_euclid(4) * 3 + 1) as u8).expect("a month");
    Date::from_calendar_date(year, month, 1).expect("a first of the month")
}

/// The compliance chart: each audit's share of incidents needing a form that had one.
pub fn compliance(audits: &[AuditPeriod], kind: ChartKind) -> Compliance {
    let periods: Vec<AuditFigure> = audits
        .iter()
        .map(|a| AuditFigure {
            compliance: RateFigure::of(a.completed_when_required, a.required),
            over_referral: RateFigure::of(a.completed_when_not_required, a.not_required),
            period: a.clone(),
        })
        .collect();
    let points: Vec<RatePoint> = audits
        .iter()
        .filter(|a| a.required > 0)
        .map(|a| RatePoint {
            label: period_label(&a.period_start, &a.period_end),
            numerator: a.completed_when_required as f64,
            denominator: a.required as f64,
        })
        .collect();
    let chart = ChartFigure::of(match kind {
        ChartKind::PPrime => p_prime_chart(&points, Improvement::Increase, &SpcOptions::default()),
        _ => p_chart(&points, Improvement::Increase, &SpcOptions::default()),
    });
    let mut sums: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    for a in audits {
        let year = a.period_start.get(..4).unwrap_or("").to_string();
        let s = sums.entry(year).or_default();
        s[0] += a.examined;
        s[1] += a.required;
        s[2] += a.completed_when_required;
        s[3] += a.not_required;
        s[4] += a.completed_when_not_required;
    }
    let years = sums
        .into_iter()
        .map(|(y, s)| {
            let c = RateFigure::of(s[2], s[1]);
            let o = RateFigure::of(s[4], s[3]);
            (
                y,
                YearFigure {
                    examined: s[0],
                    required: s[1],
                    completed_when_required: s[2],
                    compliance: c.rate,
                    compliance_ci95: c.ci95,
                    not_required: s[3],
                    completed_when_not_required: s[4],
                    over_referral: o.rate,
                    over_referral_ci95: o.ci95,
                    target: YEARLY_TARGET,
                },
            )
        })
        .collect();
    Compliance {
        periods,
        chart,
        years,
    }
}

/// "Jan–Feb 2024" style label of a period from its ISO dates ("2024-01-01 to 2024-02-29" when
/// the dates cannot be read).
pub fn period_label(start: &str, end: &str) -> String {
    let month = |s: &str| -> Option<(i32, u8)> {
        let y = s.get(..4)?.parse().ok()?;
        let m = s.get(5..7)?.parse().ok()?;
        Some((y, m))
    };
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match (month(start), month(end)) {
        (Some((y1, m1)), Some((y2, m2))) if (1..=12).contains(&m1) && (1..=12).contains(&m2) => {
            let (a, b) = (NAMES[usize::from(m1) - 1], NAMES[usize::from(m2) - 1]);
            if (y1, m1) == (y2, m2) {
                format!("{a} {y1}")
            } else if y1 == y2 {
                format!("{a}–{b} {y1}")
            } else {
                format!("{a} {y1}–{b} {y2}")
            }
        }
        _ => format!("{start} to {end}"),
    }
}

/// The reviews: distributions, means with Student-t intervals, and the XmR chart of the means.
pub fn quality(reviews: &[ReviewPeriod]) -> Quality {
    let figures: Vec<ReviewFigure> = reviews
        .iter()
        .map(|r| {
            let values: Vec<f64> = r
                .counts
                .iter()
                .enumerate()
                .flat_map(|(g, &c)| std::iter::repeat_n(g as f64 + 1.0, c as usize))
                .collect();
            let summary = summarise(&values, CONFIDENCE);
            ReviewFigure {
                title: r.title.clone(),
                period_start: r.period_start.clone(),
                period_end: r.period_end.clone(),
                imported: r.imported,
                counts: (1..=4).map(|g| (g.to_string(), r.counts[g - 1])).collect(),
                n: values.len() as u64,
                mean: summary.as_ref().map(|s| s.mean),
                mean_ci95: summary
                    .as_ref()
                    .and_then(|s| s.mean_ci)
                    .map(|i| [i.lo, i.hi]),
            }
        })
        .collect();
    let points: Vec<ValuePoint> = figures
        .iter()
        .filter_map(|f| {
            Some(ValuePoint {
                label: period_label(&f.period_start, &f.period_end),
                value: f.mean?,
            })
        })
        .collect();
    Quality {
        reviews: figures,
        chart: ChartFigure::of(xmr_chart(
            &points,
            Improvement::Increase,
            &SpcOptions::default(),
        )),
    }
}

/// Partner decisions per quarter and the p chart of the rejected-or-returned share.
pub fn outcomes(quarters: &[QuarterCounts]) -> Outcomes {
    let rows: Vec<OutcomeQuarter> = quarters
        .iter()
        .map(|q| OutcomeQuarter {
            quarter: q.quarter.clone(),
            referrals: q.referrals,
            with_decision: q.with_decision,
            accepted: q.accepted,
            rejected_or_returned: q.rejected_or_returned,
            share: RateFigure::of(q.rejected_or_returned, q.with_decision),
        })
        .collect();
    let points: Vec<RatePoint> = quarters
        .iter()
        .filter(|q| q.with_decision > 0)
        .map(|q| RatePoint {
            label: q.quarter.clone(),
            numerator: q.rejected_or_returned as f64,
            denominator: q.with_decision as f64,
        })
        .collect();
    Outcomes {
        quarters: rows,
        chart: ChartFigure::of(p_chart(
            &points,
            Improvement::Decrease,
            &SpcOptions::default(),
        )),
    }
}

/// Accepted referrals per quarter and per 1,000 incidents that needed one.
pub fn relevant(quarters: &[QuarterCounts]) -> Relevant {
    let rows: Vec<RelevantQuarter> = quarters
        .iter()
        .map(|q| {
            let r = RateFigure::of(q.accepted, q.incidents_needing);
            RelevantQuarter {
                quarter: q.quarter.clone(),
                accepted: q.accepted,
                incidents_needing: q.incidents_needing,
                per_1000: r.rate.map(|v| v * 1000.0),
                per_1000_ci95: r.ci95.map(|[lo, hi]| [lo * 1000.0, hi * 1000.0]),
            }
        })
        .collect();
    let points: Vec<RatePoint> = quarters
        .iter()
        .filter(|q| q.incidents_needing > 0 && q.accepted <= q.incidents_needing)
        .map(|q| RatePoint {
            label: q.quarter.clone(),
            numerator: q.accepted as f64,
            denominator: q.incidents_needing as f64,
        })
        .collect();
    Relevant {
        quarters: rows,
        chart: ChartFigure::of(p_chart(
            &points,
            Improvement::Increase,
            &SpcOptions::default(),
        )),
    }
}

/// The training effect (and its split by who led the training) from the store's rows.
pub fn effect(module: &str, rows: &[EffectRow]) -> EffectFigure {
    let referrals: Vec<Referral> = rows
        .iter()
        .map(|r| {
            let trained_quarter = r.trained_on.map(quarter_index);
            let quarter = quarter_index(r.submitted_on);
            Referral {
                officer_id: r.officer_id,
                quarter,
                trained_quarter,
                outcome: r.outcome,
                before_training_day: r
                    .trained_on
                    .is_some_and(|t| trained_quarter == Some(quarter) && r.submitted_on < t),
            }
        })
        .collect();
    // Each officer has one training date on every row, so this cannot fail; an error would be a
    // bug in the store's rows, and says so as the reason.
    let (effect, none_because) = match estimate_effect(&referrals) {
        Ok(e) => {
            let reason = e.reason.clone();
            (e, reason)
        }
        Err(err) => return broken(module, err.to_string()),
    };
    let kinds: BTreeMap<i64, TrainerKind> = rows
        .iter()
        .filter_map(|r| r.trainer_kind.map(|k| (r.officer_id, k)))
        .collect();
    let by_trainer_kind = match estimate_effect_by_group(&referrals, |r| {
        r.trained_quarter.and(kinds.get(&r.officer_id).copied())
    }) {
        Ok(groups) => groups
            .into_iter()
            .map(|g| KindEffect {
                kind: g.group,
                label: g.group.label(),
                none_because: g
                    .effect
                    .reason
                    .clone()
                    .map(|r| format!("{}: too few to tell. {r}", g.group.label())),
                effect: g.effect,
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    EffectFigure {
        module: module.to_string(),
        effect,
        none_because,
        by_trainer_kind,
        not_asked: AUDIT_OUTCOME_NOT_ASKED,
    }
}

fn broken(module: &str, why: String) -> EffectFigure {
    let effect = estimate_effect(&[]).expect("no rows cannot clash");
    EffectFigure {
        module: module.to_string(),
        effect,
        none_because: Some(format!("No estimate: {why}")),
        by_trainer_kind: Vec::new(),
        not_asked: AUDIT_OUTCOME_NOT_ASKED,
    }
}

/// Coverage with shares and intervals.
pub fn coverage(points: &[CoveragePoint]) -> Vec<CoverageFigure> {
    points
        .iter()
        .map(|p| CoverageFigure {
            share: RateFigure::of(p.trained, p.people),
            point: p.clone(),
        })
        .collect()
}

/// Every figure of the dashboard.
pub fn figures(
    from: Date,
    to: Date,
    department: Option<String>,
    module: &str,
    series: &Series,
    effect_rows: &[EffectRow],
    chart: ChartKind,
) -> Dashboard {
    Dashboard {
        from: iso(from),
        to: iso(to),
        department,
        relevant: relevant(&series.quarters),
        quality: quality(&series.reviews),
        outcomes: outcomes(&series.quarters),
        compliance: compliance(&series.audits, chart),
        training: Training {
            module: module.to_string(),
            coverage: coverage(&series.coverage),
            queue: series.queue.clone(),
        },
        effect: effect(module, effect_rows),
    }
}

/// `YYYY-MM-DD`
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(start: &str, end: &str, req: u64, done: u64) -> AuditPeriod {
        AuditPeriod {
            title: String::new(),
            period_start: start.into(),
            period_end: end.into(),
            examined: req + 10,
            required: req,
            completed_when_required: done,
            not_required: 10,
            completed_when_not_required: 1,
            imported: false,
        }
    }

    #[test]
    fn yearly_compliance_adds_up_the_audits_of_each_year() {
        let c = compliance(
            &[
                audit("2022-01-01", "2022-02-28", 60, 40),
                audit("2022-03-01", "2022-04-30", 70, 44),
                audit("2023-01-01", "2023-02-28", 143, 99),
            ],
            ChartKind::P,
        );
        let y = &c.years["2022"];
        assert_eq!((y.required, y.completed_when_required), (130, 84));
        assert_eq!(pct(y.compliance.unwrap()), "64.6%");
        assert_eq!(y.target, 200);
        assert_eq!(pct(c.years["2023"].compliance.unwrap()), "69.2%");
        let [lo, hi] = y.compliance_ci95.unwrap();
        assert!(lo < 0.646 && 0.646 < hi);
        assert_eq!(c.chart.chart.as_ref().unwrap().points.len(), 3);
        assert_eq!(c.periods[0].period.period_start, "2022-01-01");
    }

    #[test]
    fn a_review_mean_is_the_honest_mean_of_its_grades() {
        let q = quality(&[
            ReviewPeriod {
                title: "October 2024".into(),
                period_start: "2024-07-01".into(),
                period_end: "2024-09-30".into(),
                counts: [1, 3, 4, 1],
                imported: true,
            },
            ReviewPeriod {
                title: "March 2025".into(),
                period_start: "2024-12-01".into(),
                period_end: "2025-02-28".into(),
                counts: [0, 4, 2, 3],
                imported: false,
            },
        ]);
        let r = &q.reviews[0];
        assert_eq!(r.n, 9);
        assert!((r.mean.unwrap() - 23.0 / 9.0).abs() < 1e-12);
        assert_eq!(r.counts["3"], 4);
        let [lo, hi] = r.mean_ci95.unwrap();
        assert!(lo < 2.56 && hi > 2.56);
        // Two points: a provisional XmR chart.
        let chart = q.chart.chart.as_ref().unwrap();
        assert_eq!(chart.points.len(), 2);
        assert!(!chart.warnings.is_empty());
    }

    #[test]
    fn one_point_gives_no_chart_and_says_why() {
        let o = outcomes(&[QuarterCounts {
            quarter: "2024 Q1".into(),
            referrals: 10,
            with_decision: 8,
            accepted: 4,
            rejected_or_returned: 2,
            incidents_needing: 20,
        }]);
        assert!(o.chart.chart.is_none());
        assert!(o
            .chart
            .verdict()
            .starts_with("No chart: A chart needs at least 2 points"));
        assert_eq!(
            o.quarters[0].share.text(),
            "25.0% (95% CI 7.1% to 59.1%), 2 of 8"
        );
    }

    #[test]
    fn quarters_count_from_the_year() {
        let d = Date::from_calendar_date(2024, Month::August, 3).unwrap();
        assert_eq!(quarter_label(d), "2024 Q3");
        assert_eq!(quarter_start(quarter_index(d)), date(2024, 7, 1));
        assert_eq!(period_label("2024-01-01", "2024-02-29"), "Jan–Feb 2024");
        assert_eq!(
            period_label("2024-12-01", "2025-01-31"),
            "Dec 2024–Jan 2025"
        );
    }

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap()
    }

    #[test]
    fn a_referral_before_the_training_day_in_its_quarter_is_not_treated() {
        let row = |officer_id, on: Date, trained_on| EffectRow {
            officer_id,
            submitted_on: on,
            outcome: true,
            trained_on,
            trainer_kind: trained_on.map(|_| TrainerKind::MashTeam),
        };
        let rows = vec![
            row(1, date(2022, 5, 1), Some(date(2022, 5, 10))),
            row(1, date(2022, 5, 20), Some(date(2022, 5, 10))),
            row(2, date(2022, 5, 1), None),
        ];
        let e = effect("FL-PPN", &rows);
        assert_eq!(e.effect.descriptive.trained_before.n, 1);
        assert_eq!(e.effect.descriptive.trained_after.n, 1);
        assert_eq!(e.effect.descriptive.never_trained.n, 1);
        assert!(e.none_because.as_deref().unwrap().contains("at least 20"));
        assert_eq!(e.by_trainer_kind.len(), 1);
        assert!(e.by_trainer_kind[0]
            .none_because
            .as_deref()
            .unwrap()
            .starts_with("Led by a MASH team member: too few to tell."));
    }
}
