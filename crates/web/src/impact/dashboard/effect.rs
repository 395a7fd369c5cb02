//! The training effect: trained officers against those not yet trained (officer and quarter
//! fixed effects), the event study drawn as a chart with its table, the rates without a model,
//! the split by who led the training, the caveats, and the answer to "is it working?".

use super::cells::{num, text};
use super::{Figure, Table};
use crate::export::XCell;
use crate::impact::event_study::{self, relative_words, signed_points, Coefficient};
use mashboard_domain::impact::dashboard::{Dashboard, RateFigure, TrainerKind};

/// The words around the training effect's chart.
pub(crate) struct EffectView {
    pub module: String,
    pub estimate: Option<String>,
    pub none_because: Option<String>,
    pub descriptive: Vec<String>,
    pub by_kind: Vec<String>,
    pub caveats: Vec<String>,
    pub not_asked: &'static str,
}

/// The event study's coefficients as the chart reads them.
fn coefficients(d: &Dashboard) -> Vec<Coefficient> {
    d.effect
        .effect
        .event_study
        .coefficients
        .iter()
        .map(|c| Coefficient {
            quarter: c.relative_quarter,
            estimate: c.estimate,
            se: c.se,
        })
        .collect()
}

/// A difference in percentage points, and the proportion for spreadsheets.
fn points(v: Option<f64>) -> (String, XCell) {
    match v {
        Some(v) => (signed_points(v), XCell::Number(v)),
        None => text(""),
    }
}

/// The event study's table: every quarter from training, the reference included.
fn event_table(coefs: &[Coefficient]) -> Table {
    let reference = Coefficient {
        quarter: -1,
        estimate: Some(0.0),
        se: None,
    };
    let mut all: Vec<Coefficient> = coefs.to_vec();
    if !all.iter().any(|c| c.quarter == -1) {
        all.push(reference);
    }
    all.sort_by_key(|c| c.quarter);
    Table {
        caption: "Event study: the change from the quarter before training, in percentage points"
            .into(),
        header: vec![
            "Quarters from training",
            "Estimate (points)",
            "Standard error",
            "95% CI low (points)",
            "95% CI high (points)",
        ],
        rows: all
            .iter()
            .map(|c| {
                if c.quarter == -1 {
                    return vec![
                        text(relative_words(-1)),
                        ("0 by definition".into(), XCell::Number(0.0)),
                        text(""),
                        text(""),
                        text(""),
                    ];
                }
                let (lo, hi) = match c.ci95() {
                    Some([lo, hi]) => (points(Some(lo)), points(Some(hi))),
                    None => (text(""), text("")),
                };
                let estimate = match c.estimate {
                    Some(_) => points(c.estimate),
                    None => text("No estimate"),
                };
                vec![
                    text(relative_words(c.quarter)),
                    estimate,
                    num(c.se, 4),
                    lo,
                    hi,
                ]
            })
            .collect(),
    }
}

/// The training effect's figure (the event study), the words around it, and the answer to "is
/// it working?".
pub(super) fn effect(d: &Dashboard) -> (Figure, EffectView, String) {
    let e = &d.effect;
    let estimate = match (e.effect.estimate, e.effect.ci95, e.effect.p_value) {
        (Some(est), Some([lo, hi]), Some(p)) => Some(format!(
            "{} percentage points (95% CI {} to {}; p = {p:.3})",
            signed_points(est),
            signed_points(lo),
            signed_points(hi)
        )),
        _ => None,
    };
    let coefs = coefficients(d);
    let chart = event_study::chart(&coefs, "event_study");
    let verdict = match &chart {
        Ok(_) => "Read the points before 0: close to zero, the trained officers were not already moving apart from the others before training.".to_string(),
        Err(why) => format!("No chart: {why}."),
    };
    let figure = Figure {
        key: "event_study",
        heading: "The training effect: trained officers against those not yet trained",
        svg: chart.ok(),
        legend: "Circles: each quarter's estimate, with a bar across its 95% interval. Hollow diamond: the quarter before training (−1), the reference, zero by definition. Solid line: zero (no difference); dashed line: where training falls.",
        verdict,
        warnings: Vec::new(),
        table: event_table(&coefs),
    };
    let rate_text = |label: &str, r: &mashboard_domain::impact::Rate| match r.rate {
        Some(v) => {
            let n = r.n as u64;
            let x = (v * r.n as f64).round() as u64;
            format!("{label}: {}", RateFigure::of(x, n).text())
        }
        None => format!("{label}: no referrals"),
    };
    let desc = &e.effect.descriptive;
    let effect = EffectView {
        module: e.module.clone(),
        estimate,
        none_because: e.none_because.clone(),
        descriptive: vec![
            rate_text("Trained officers, before their training", &desc.trained_before),
            rate_text("Trained officers, after their training", &desc.trained_after),
            rate_text("Officers never trained", &desc.never_trained),
        ],
        by_kind: e
            .by_trainer_kind
            .iter()
            .map(|k| match (&k.none_because, k.effect.estimate, k.effect.ci95) {
                (None, Some(est), Some([lo, hi])) => format!(
                    "{}: {} percentage points (95% CI {} to {}), {} officers trained this way",
                    k.label,
                    signed_points(est),
                    signed_points(lo),
                    signed_points(hi),
                    k.effect.counts.officers_trained
                ),
                (Some(why), _, _) => why.clone(),
                _ => format!("{}: no estimate", k.label),
            })
            .chain(
                [TrainerKind::MashTeam, TrainerKind::OtherTrainer, TrainerKind::NoSession]
                    .into_iter()
                    .filter(|kind| !e.by_trainer_kind.iter().any(|k| k.kind == *kind))
                    .map(|kind| {
                        format!(
                            "{}: no officer who made referrals in this period was trained this way, so there is nothing to tell.",
                            kind.label()
                        )
                    }),
            )
            .collect(),
        caveats: e.effect.caveats.clone(),
        not_asked: e.not_asked,
    };
    let answer = match (&effect.estimate, e.effect.estimate) {
        (Some(text), Some(est)) => format!(
            "For officers after their {} training, the share of referrals a partner decided no further action or returned for more information changed by {text}, compared with officers not yet trained. {}",
            e.module,
            if e.effect.ci95.is_some_and(|[lo, hi]| hi < 0.0 || lo > 0.0) {
                if est < 0.0 { "The interval is below zero: a reduction." } else { "The interval is above zero: an increase." }
            } else {
                "The interval includes zero: the data cannot tell a change from chance."
            }
        ),
        _ => e
            .none_because
            .clone()
            .unwrap_or_else(|| "No estimate of the training effect.".into()),
    };
    (figure, effect, answer)
}
