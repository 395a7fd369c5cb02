//! The evaluation report (Kirkpatrick's four levels): what the trainer shows the chief officers
//! to answer "is the training working?". Pure: the store hands over the facts for a period, this
//! module works out every figure, the plain-words answer and its caveats. A published report
//! keeps the [`Report`] it was given, as JSON, so what was shown can be shown again unchanged.
//!
//! - Level 1, reaction: session feedback per module, with n and a Student-t interval.
//! - Level 2, learning: knowledge checks taken before and after a session, the paired gain with
//!   its Student-t interval and n.
//! - Level 3, behaviour: referral quality (each quarterly review's grades) and compliance (each
//!   year's audits), before and after the programme began.
//! - Level 4, results: partner decisions per quarter and the training effect on rejected or
//!   returned referrals (trained against not yet trained officers).

use crate::checks::PhaseScore;
use crate::feedback::Ratings;
use crate::stats::{compare_proportions, summarise, wilson};
use serde::{Deserialize, Serialize};

const CONFIDENCE: f64 = 0.95;

/// Session feedback for one module (level 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReactionFigure {
    pub module_code: String,
    pub module_title: String,
    pub sessions: usize,
    /// Feedback forms.
    pub n: usize,
    /// Mean "overall" rating (1–5) with its 95% interval.
    pub overall_mean: Option<f64>,
    pub overall_ci95: Option<[f64; 2]>,
    pub relevance_mean: Option<f64>,
    pub delivery_mean: Option<f64>,
    pub confidence_mean: Option<f64>,
    /// How many gave 1, 2, 3, 4 and 5 overall.
    pub overall_distribution: [usize; 5],
}

/// Feedback forms of one module, as the store supplies them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleFeedback {
    pub module_code: String,
    pub module_title: String,
    pub sessions: usize,
    pub forms: Vec<Ratings>,
}

/// Knowledge-check gain for one check (level 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningFigure {
    pub check_title: String,
    /// People with both a before and an after score.
    pub n_paired: usize,
    pub mean_pre: Option<f64>,
    pub mean_post: Option<f64>,
    /// Mean of each person's after − before, in percentage points, with its paired interval.
    pub mean_gain: Option<f64>,
    pub gain_ci95: Option<[f64; 2]>,
    pub pre_only: usize,
    pub post_only: usize,
}

/// One quarterly review's agreed grades (live or imported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewFigure {
    pub period_start: String,
    pub period_end: String,
    /// Agreed grades 1 (very poor) to 4.
    pub counts: [u64; 4],
    pub n: u64,
    pub mean: Option<f64>,
    pub mean_ci95: Option<[f64; 2]>,
    pub imported: bool,
}

/// One review as the store supplies it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewInput {
    pub period_start: String,
    pub period_end: String,
    pub counts: [u64; 4],
    pub imported: bool,
}

/// One year's compliance from the audits (live and imported).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearFigure {
    pub year: i32,
    pub examined: u64,
    pub required: u64,
    pub completed_when_required: u64,
    pub compliance: Option<f64>,
    pub compliance_ci95: Option<[f64; 2]>,
    /// Includes an audit that is still open: the figure may change.
    pub provisional: bool,
}

/// One year as the store supplies it.
#[derive(Debug, Clone, PartialEq)]
pub struct YearInput {
    pub year: i32,
    pub examined: u64,
    pub required: u64,
    pub completed_when_required: u64,
    pub provisional: bool,
}

/// Partner decisions in one quarter (level 4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterFigure {
    pub quarter: String,
    pub referrals: u64,
    pub with_decision: u64,
    pub accepted: u64,
    pub rejected_or_returned: u64,
    /// rejected_or_returned / with_decision, with its Wilson interval.
    pub rejected_share: Option<f64>,
    pub rejected_ci95: Option<[f64; 2]>,
}

/// The training effect as the report keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectFigure {
    pub module_code: String,
    pub referrals: usize,
    pub officers_trained: usize,
    pub officers_never_trained: usize,
    /// Change in the share rejected or returned (e.g. −0.05 = five points fewer).
    pub estimate: Option<f64>,
    pub ci95: Option<[f64; 2]>,
    pub p_value: Option<f64>,
    /// Why there is no estimate, when there is none.
    pub reason: Option<String>,
    pub caveats: Vec<String>,
    /// The event study (the parallel-trends check), quarter by quarter; reports published
    /// before it was kept have none.
    #[serde(default)]
    pub event_study: Vec<EventPoint>,
}

/// One event-study coefficient as a report keeps it: quarters from the officer's training
/// quarter (−4 and earlier pooled into −4, +4 and later into +4; −1 is the reference and has
/// none), the estimated difference from −1 and its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EventPoint {
    pub relative_quarter: i32,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
}

/// One audit period's compliance: the incidents that needed a referral and had one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditFigure {
    pub period_start: String,
    pub period_end: String,
    pub required: u64,
    pub completed_when_required: u64,
    pub imported: bool,
}

/// A before/after comparison of two shares (level 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeforeAfter {
    pub before: Option<f64>,
    pub before_n: u64,
    pub after: Option<f64>,
    pub after_n: u64,
    /// after − before with its 95% interval.
    pub difference: Option<f64>,
    pub difference_ci95: Option<[f64; 2]>,
}

/// The answer to "is it working?", in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub headline: String,
    pub findings: Vec<String>,
    pub caveats: Vec<String>,
}

/// Everything a report shows. Built once; a published report keeps it unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    pub period_from: String,
    pub period_to: String,
    /// When the figures were worked out (RFC 3339, UTC).
    pub generated_at: String,
    pub answer: Answer,
    pub reviews: Vec<ReviewFigure>,
    /// Each audit period (live and imported): the compliance chart's data.
    pub audits: Vec<AuditFigure>,
    pub years: Vec<YearFigure>,
    pub reaction: Vec<ReactionFigure>,
    pub learning: Vec<LearningFigure>,
    /// The day the programme began (the first completion of the frontline module), if any.
    pub programme_began: Option<String>,
    pub reviews_before_after: Option<BeforeAfterMeans>,
    pub compliance_before_after: Option<BeforeAfter>,
    pub quarters: Vec<QuarterFigure>,
    pub effect: Option<EffectFigure>,
}

/// Mean grades before and after the programme began.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeforeAfterMeans {
    pub before_mean: Option<f64>,
    pub before_ci95: Option<[f64; 2]>,
    pub before_n: u64,
    pub after_mean: Option<f64>,
    pub after_ci95: Option<[f64; 2]>,
    pub after_n: u64,
}

/// The facts for one report, as the store gathers them.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub title: String,
    pub period_from: String,
    pub period_to: String,
    pub generated_at: String,
    pub feedback: Vec<ModuleFeedback>,
    /// (check title, every before/after attempt of it).
    pub checks: Vec<(String, Vec<PhaseScore>)>,
    pub reviews: Vec<ReviewInput>,
    pub years: Vec<YearInput>,
    pub audit_periods: Vec<AuditFigure>,
    pub quarters: Vec<(String, u64, u64, u64, u64)>,
    pub programme_began: Option<String>,
    pub effect: Option<EffectFigure>,
}

fn pair(i: Option<crate::stats::Interval>) -> Option<[f64; 2]> {
    i.map(|i| [i.lo, i.hi])
}

/// Level 1 for one module.
pub fn reaction(m: &ModuleFeedback) -> ReactionFigure {
    let mean_of = |f: fn(&Ratings) -> i64| {
        let v: Vec<f64> = m.forms.iter().map(|r| f(r) as f64).collect();
        summarise(&v, CONFIDENCE)
    };
    let overall = mean_of(|r| r.overall);
    let mut distribution = [0usize; 5];
    for r in &m.forms {
        if (1..=5).contains(&r.overall) {
            distribution[(r.overall - 1) as usize] += 1;
        }
    }
    ReactionFigure {
        module_code: m.module_code.clone(),
        module_title: m.module_title.clone(),
        sessions: m.sessions,
        n: m.forms.len(),
        overall_mean: overall.as_ref().map(|s| s.mean),
        overall_ci95: overall.and_then(|s| pair(s.mean_ci)),
        relevance_mean: mean_of(|r| r.relevance).map(|s| s.mean),
        delivery_mean: mean_of(|r| r.delivery).map(|s| s.mean),
        confidence_mean: mean_of(|r| r.confidence).map(|s| s.mean),
        overall_distribution: distribution,
    }
}

/// Level 2 for one check.
pub fn learning(check_title: &str, attempts: &[PhaseScore]) -> LearningFigure {
    let gain = crate::checks::learning_gain(attempts);
    let diffs: Vec<f64> = crate::checks::paired_scores(attempts)
        .into_iter()
        .map(|(b, a)| (a - b) as f64)
        .collect();
    LearningFigure {
        check_title: check_title.to_string(),
        n_paired: gain.n_paired,
        mean_pre: gain.mean_pre,
        mean_post: gain.mean_post,
        mean_gain: gain.mean_gain,
        gain_ci95: summarise(&diffs, CONFIDENCE).and_then(|s| pair(s.mean_ci)),
        pre_only: gain.pre_only,
        post_only: gain.post_only,
    }
}

/// The grades 1–4 behind `counts`, one value each.
fn grade_values(counts: &[u64; 4]) -> Vec<f64> {
    counts
        .iter()
        .enumerate()
        .flat_map(|(i, c)| std::iter::repeat_n((i + 1) as f64, *c as usize))
        .collect()
}

/// One review's mean grade with its Student-t interval.
pub fn review(r: &ReviewInput) -> ReviewFigure {
    let s = summarise(&grade_values(&r.counts), CONFIDENCE);
    ReviewFigure {
        period_start: r.period_start.clone(),
        period_end: r.period_end.clone(),
        counts: r.counts,
        n: r.counts.iter().sum(),
        mean: s.as_ref().map(|s| s.mean),
        mean_ci95: s.and_then(|s| pair(s.mean_ci)),
        imported: r.imported,
    }
}

/// One year's compliance with its Wilson interval.
pub fn year(y: &YearInput) -> YearFigure {
    YearFigure {
        year: y.year,
        examined: y.examined,
        required: y.required,
        completed_when_required: y.completed_when_required,
        compliance: (y.required > 0).then(|| y.completed_when_required as f64 / y.required as f64),
        compliance_ci95: pair(wilson(y.completed_when_required, y.required, CONFIDENCE)),
        provisional: y.provisional,
    }
}

fn quarter(
    (quarter, referrals, with_decision, accepted, rejected): &(String, u64, u64, u64, u64),
) -> QuarterFigure {
    QuarterFigure {
        quarter: quarter.clone(),
        referrals: *referrals,
        with_decision: *with_decision,
        accepted: *accepted,
        rejected_or_returned: *rejected,
        rejected_share: (*with_decision > 0).then(|| *rejected as f64 / *with_decision as f64),
        rejected_ci95: pair(wilson(*rejected, *with_decision, CONFIDENCE)),
    }
}

/// A percentage to the nearest whole number ("88%").
pub fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Percentage points with a sign ("+23 points", "−4.2 points"); one decimal under ten.
pub fn points(diff: f64) -> String {
    let v = diff * 100.0;
    let sign = if v < 0.0 { "−" } else { "+" };
    if v.abs() < 10.0 {
        format!("{sign}{:.1} points", v.abs())
    } else {
        format!("{sign}{:.0} points", v.abs())
    }
}

fn grade_mean_before_after(reviews: &[ReviewInput], began: &str) -> BeforeAfterMeans {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for r in reviews {
        let target = if r.period_start.as_str() < began {
            &mut before
        } else {
            &mut after
        };
        target.extend(grade_values(&r.counts));
    }
    let b = summarise(&before, CONFIDENCE);
    let a = summarise(&after, CONFIDENCE);
    BeforeAfterMeans {
        before_mean: b.as_ref().map(|s| s.mean),
        before_ci95: b.and_then(|s| pair(s.mean_ci)),
        before_n: before.len() as u64,
        after_mean: a.as_ref().map(|s| s.mean),
        after_ci95: a.and_then(|s| pair(s.mean_ci)),
        after_n: after.len() as u64,
    }
}

fn compliance_before_after(periods: &[AuditFigure], began: &str) -> BeforeAfter {
    let (mut nb, mut xb, mut na, mut xa) = (0u64, 0u64, 0u64, 0u64);
    for a in periods {
        let (required, completed) = (&a.required, &a.completed_when_required);
        if a.period_end.as_str() < began {
            nb += required;
            xb += completed;
        } else {
            na += required;
            xa += completed;
        }
    }
    let c = compare_proportions(xb, nb, xa, na, CONFIDENCE);
    BeforeAfter {
        before: (nb > 0).then(|| xb as f64 / nb as f64),
        before_n: nb,
        after: (na > 0).then(|| xa as f64 / na as f64),
        after_n: na,
        difference: c.as_ref().map(|c| c.difference),
        difference_ci95: c.map(|c| [c.difference_ci.lo, c.difference_ci.hi]),
    }
}

/// Builds the whole report from the facts.
pub fn build(f: &Facts) -> Report {
    let reviews: Vec<ReviewFigure> = f.reviews.iter().map(review).collect();
    let years: Vec<YearFigure> = f.years.iter().map(year).collect();
    let quarters: Vec<QuarterFigure> = f.quarters.iter().map(quarter).collect();
    let reviews_before_after = f
        .programme_began
        .as_deref()
        .map(|b| grade_mean_before_after(&f.reviews, b));
    let compliance_before_after = f
        .programme_began
        .as_deref()
        .map(|b| compliance_before_after(&f.audit_periods, b));
    let mut report = Report {
        title: f.title.clone(),
        period_from: f.period_from.clone(),
        period_to: f.period_to.clone(),
        generated_at: f.generated_at.clone(),
        answer: Answer {
            headline: String::new(),
            findings: Vec::new(),
            caveats: Vec::new(),
        },
        reviews,
        audits: f.audit_periods.clone(),
        years,
        reaction: f.feedback.iter().map(reaction).collect(),
        learning: f.checks.iter().map(|(t, a)| learning(t, a)).collect(),
        programme_began: f.programme_began.clone(),
        reviews_before_after,
        compliance_before_after,
        quarters,
        effect: f.effect.clone(),
    };
    report.answer = answer(&report);
    report
}

fn interval_text(ci: Option<[f64; 2]>, fmt: fn(f64) -> String) -> String {
    match ci {
        Some([lo, hi]) => format!("95% interval {} to {}", fmt(lo), fmt(hi)),
        None => "no interval: too few to tell".to_string(),
    }
}

/// The answer to "is it working?" from the figures, with its caveats.
pub fn answer(r: &Report) -> Answer {
    let mut findings = Vec::new();
    let mut caveats = Vec::new();
    let headline = match &r.effect {
        Some(e) => match (e.estimate, e.ci95) {
            (Some(est), Some([lo, hi])) if hi < 0.0 => format!(
                "Yes, on this evidence: after training, officers' referrals were rejected or returned by partners less often than those of officers not yet trained ({}, {}).",
                points(est),
                interval_text(Some([lo, hi]), points)
            ),
            (Some(est), Some([lo, hi])) if lo > 0.0 => format!(
                "No: after training, officers' referrals were rejected or returned more often than those of officers not yet trained ({}, {}).",
                points(est),
                interval_text(Some([lo, hi]), points)
            ),
            (Some(est), ci) => format!(
                "Not shown yet: the change in referrals rejected or returned after training ({}) is within what chance alone would give ({}).",
                points(est),
                interval_text(ci, points)
            ),
            _ => format!(
                "Not yet known: {}",
                e.reason
                    .clone()
                    .unwrap_or_else(|| "there is no estimate of the training effect.".into())
            ),
        },
        None => "Not yet known: there are no referrals with partner decisions in this period to compare trained and untrained officers.".to_string(),
    };
    let full_years: Vec<&YearFigure> = r.years.iter().filter(|y| y.required > 0).collect();
    if let (Some(first), Some(last)) = (full_years.first(), full_years.last()) {
        if first.year != last.year {
            let c = compare_proportions(
                first.completed_when_required,
                first.required,
                last.completed_when_required,
                last.required,
                CONFIDENCE,
            );
            if let (Some(a), Some(b), Some(c)) = (first.compliance, last.compliance, c) {
                let noise = c.difference_ci.lo <= 0.0 && c.difference_ci.hi >= 0.0;
                findings.push(format!(
                    "Compliance (a referral made when one was needed) was {} in {} ({} incidents needing one) and {} in {} ({}): {}, {}{}.",
                    percent(a),
                    first.year,
                    first.required,
                    percent(b),
                    last.year,
                    last.required,
                    points(c.difference),
                    interval_text(Some([c.difference_ci.lo, c.difference_ci.hi]), points),
                    if noise { "; this could be chance" } else { "; more than chance alone would give" }
                ));
            }
        }
    }
    if let Some(ba) = &r.reviews_before_after {
        if let (Some(b), Some(a)) = (ba.before_mean, ba.after_mean) {
            findings.push(format!(
                "The mean grade of sampled referrals was {b:.2} before the programme began ({} referrals) and {a:.2} after ({} referrals).",
                ba.before_n, ba.after_n
            ));
        }
    }
    for rv in &r.reviews {
        if let (Some(m), Some([lo, hi])) = (rv.mean, rv.mean_ci95) {
            if hi - lo > 1.0 {
                caveats.push(format!(
                    "The review of {} to {} graded {} referrals: its mean of {m:.2} could lie anywhere from {lo:.2} to {hi:.2}, so a change between two reviews of less than about {:.1} can be chance.",
                    rv.period_start,
                    rv.period_end,
                    rv.n,
                    (hi - lo) / 2.0
                ));
                break;
            }
        }
    }
    if r.years.iter().any(|y| y.provisional) {
        caveats.push(
            "A yearly compliance figure includes an audit that is still open: it is provisional and may change."
                .to_string(),
        );
    }
    if let Some(e) = &r.effect {
        caveats.extend(e.caveats.iter().cloned());
    }
    caveats.push(
        "Ten graded referrals a quarter cannot carry an officer-level estimate, so the training effect is measured on partner decisions, not on grades."
            .to_string(),
    );
    Answer {
        headline,
        findings,
        caveats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Phase;

    fn score(person: i64, phase: Phase, pct: i64, at: &str) -> PhaseScore {
        PhaseScore {
            person_id: person,
            phase,
            score_pct: pct,
            submitted_at: at.into(),
        }
    }

    #[test]
    fn learning_gain_has_a_paired_student_t_interval() {
        // Gains 10, 20 and 30: mean 20, sd 10, t(0.975; 2) = 4.302652729911275 (scipy).
        let a = vec![
            score(1, Phase::Pre, 50, "2026-01-01T10:00"),
            score(1, Phase::Post, 60, "2026-01-01T12:00"),
            score(2, Phase::Pre, 40, "2026-01-01T10:00"),
            score(2, Phase::Post, 60, "2026-01-01T12:00"),
            score(3, Phase::Pre, 30, "2026-01-01T10:00"),
            // An earlier after-score is replaced by the last one.
            score(3, Phase::Post, 35, "2026-01-01T11:00"),
            score(3, Phase::Post, 60, "2026-01-01T12:00"),
            score(4, Phase::Pre, 90, "2026-01-01T10:00"),
        ];
        let l = learning("Referral check", &a);
        assert_eq!(l.n_paired, 3);
        assert_eq!(l.pre_only, 1);
        assert_eq!(l.mean_gain, Some(20.0));
        let half = 4.302652729911275 * 10.0 / 3f64.sqrt();
        let [lo, hi] = l.gain_ci95.unwrap();
        assert!((lo - (20.0 - half)).abs() < 1e-9 && (hi - (20.0 + half)).abs() < 1e-9);
    }

    #[test]
    fn a_review_mean_and_interval_come_from_its_grade_counts() {
        // Grades 2,2,3,3,3,3,4,4,4,1: mean 2.9.
        let r = review(&ReviewInput {
            period_start: "2024-10-01".into(),
            period_end: "2024-12-31".into(),
            counts: [1, 2, 4, 3],
            imported: true,
        });
        assert_eq!(r.n, 10);
        assert!((r.mean.unwrap() - 2.9).abs() < 1e-12);
        let [lo, hi] = r.mean_ci95.unwrap();
        assert!(lo < 2.9 && hi > 2.9 && hi - lo > 1.0, "{lo} {hi}");
    }

    fn facts(effect: Option<EffectFigure>) -> Facts {
        Facts {
            title: "Test".into(),
            period_from: "2022-01-01".into(),
            period_to: "2025-12-31".into(),
            generated_at: "2026-01-01T00:00:00Z".into(),
            feedback: vec![],
            checks: vec![],
            reviews: vec![],
            years: vec![
                YearInput {
                    year: 2022,
                    examined: 300,
                    required: 96,
                    completed_when_required: 62,
                    provisional: false,
                },
                YearInput {
                    year: 2025,
                    examined: 300,
                    required: 100,
                    completed_when_required: 88,
                    provisional: true,
                },
            ],
            audit_periods: vec![],
            quarters: vec![],
            programme_began: None,
            effect,
        }
    }

    fn effect(estimate: f64, ci: [f64; 2]) -> EffectFigure {
        EffectFigure {
            module_code: "FL-PPN".into(),
            referrals: 1000,
            officers_trained: 40,
            officers_never_trained: 20,
            estimate: Some(estimate),
            ci95: Some(ci),
            p_value: Some(0.01),
            reason: None,
            caveats: vec!["Training was not randomised.".into()],
            event_study: Vec::new(),
        }
    }

    #[test]
    fn a_report_published_before_the_event_study_was_kept_still_reads() {
        let mut e = effect(-0.06, [-0.10, -0.02]);
        e.event_study = vec![EventPoint {
            relative_quarter: -2,
            estimate: Some(0.01),
            se: Some(0.02),
        }];
        let mut json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["event_study"][0]["relative_quarter"], -2);
        json.as_object_mut().unwrap().remove("event_study");
        let old: EffectFigure = serde_json::from_value(json).unwrap();
        assert!(old.event_study.is_empty());
        assert_eq!(old.estimate, Some(-0.06));
    }

    #[test]
    fn the_answer_says_yes_only_when_the_interval_excludes_no_change() {
        let yes = build(&facts(Some(effect(-0.06, [-0.10, -0.02]))));
        assert!(
            yes.answer.headline.starts_with("Yes"),
            "{}",
            yes.answer.headline
        );
        assert!(yes.answer.headline.contains("−6.0 points"));
        let unclear = build(&facts(Some(effect(-0.03, [-0.08, 0.02]))));
        assert!(unclear.answer.headline.starts_with("Not shown yet"));
        let worse = build(&facts(Some(effect(0.05, [0.01, 0.09]))));
        assert!(worse.answer.headline.starts_with("No:"));
        let none = build(&facts(None));
        assert!(none.answer.headline.starts_with("Not yet known"));
        // Compliance from 64.6% to 88%, more than chance; the open audit is flagged.
        assert!(
            yes.answer.findings[0].contains("65% in 2022")
                && yes.answer.findings[0].contains("88% in 2025")
                && yes.answer.findings[0].contains("more than chance"),
            "{:?}",
            yes.answer.findings
        );
        assert!(yes.answer.caveats.iter().any(|c| c.contains("provisional")));
        assert!(yes
            .answer
            .caveats
            .iter()
            .any(|c| c.contains("not randomised")));
    }

    #[test]
    fn a_report_survives_the_json_it_is_frozen_in() {
        let r = build(&facts(Some(effect(-0.06, [-0.10, -0.02]))));
        let json = serde_json::to_string(&r).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }
}
