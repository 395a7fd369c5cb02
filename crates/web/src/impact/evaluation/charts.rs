//! The report's three charts, drawn again from the figures the report keeps (so a published
//! report draws the charts it was published with): each review's mean grade (XmR), each audit's
//! compliance (p chart) and each quarter's share of referrals rejected or returned (p chart);
//! and the training effect's event study with its table.

use super::super::event_study::{self, relative_words, signed_points, Coefficient};
use super::super::svg::{self, Svg};
use mashboard_domain::evaluation::Report;
use mashboard_domain::impact::{
    p_chart, xmr_chart, Improvement, RatePoint, SpcChart, SpcOptions, ValuePoint,
};

/// A drawn chart with what it shows in words.
pub(crate) struct Drawn {
    pub heading: &'static str,
    pub svg: Svg,
    pub signals: Vec<String>,
    pub runs: Option<String>,
    pub warnings: Vec<String>,
}

fn drawn(heading: &'static str, id: &str, chart: SpcChart) -> Drawn {
    let signals: Vec<String> = chart.signals.iter().map(|s| s.text.clone()).collect();
    let desc = if signals.is_empty() {
        format!("{heading}. No signal: every change is within what the process does by chance.")
    } else {
        format!("{heading}. {}.", signals.join("; "))
    };
    Drawn {
        heading,
        svg: svg::draw(&chart, heading, &desc, id),
        runs: chart.anhoej.describe(),
        warnings: chart.warnings.clone(),
        signals,
    }
}

/// The charts a report has enough points for (at least two each).
pub(crate) fn of(r: &Report) -> Vec<Drawn> {
    let mut out = Vec::new();
    let means: Vec<ValuePoint> = r
        .reviews
        .iter()
        .filter_map(|v| {
            v.mean.map(|m| ValuePoint {
                label: v.period_start.clone(),
                value: m,
            })
        })
        .collect();
    if let Ok(c) = xmr_chart(&means, Improvement::Increase, &SpcOptions::default()) {
        out.push(drawn("Mean grade of each quarterly review", "ev-grades", c));
    }
    let audits: Vec<RatePoint> = r
        .audits
        .iter()
        .filter(|a| a.required > 0)
        .map(|a| RatePoint {
            label: a.period_start.clone(),
            numerator: a.completed_when_required as f64,
            denominator: a.required as f64,
        })
        .collect();
    if let Ok(c) = p_chart(&audits, Improvement::Increase, &SpcOptions::default()) {
        out.push(drawn(
            "Compliance: incidents needing a referral that had one, each audit",
            "ev-compliance",
            c,
        ));
    }
    let quarters: Vec<RatePoint> = r
        .quarters
        .iter()
        .filter(|q| q.with_decision > 0)
        .map(|q| RatePoint {
            label: q.quarter.clone(),
            numerator: q.rejected_or_returned as f64,
            denominator: q.with_decision as f64,
        })
        .collect();
    if let Ok(c) = p_chart(&quarters, Improvement::Decrease, &SpcOptions::default()) {
        out.push(drawn(
            "Referrals rejected or returned by partners, each quarter",
            "ev-rejected",
            c,
        ));
    }
    out
}

/// The event study as the report shows it: the chart (or why there is none) and a row of words
/// for each quarter from training, the reference included.
pub(crate) struct EventStudy {
    pub svg: Option<Svg>,
    pub none_because: Option<&'static str>,
    /// Quarters from training, estimate, standard error, 95% interval.
    pub rows: Vec<[String; 4]>,
}

/// The report's event study, when it keeps one.
pub(crate) fn event_study(r: &Report) -> Option<EventStudy> {
    let e = r.effect.as_ref()?;
    if e.event_study.is_empty() {
        return None;
    }
    let mut coefs: Vec<Coefficient> = e
        .event_study
        .iter()
        .map(|p| Coefficient {
            quarter: p.relative_quarter,
            estimate: p.estimate,
            se: p.se,
        })
        .collect();
    let (svg, none_because) = match event_study::chart(&coefs, "ev-event-study") {
        Ok(svg) => (Some(svg), None),
        Err(why) => (None, Some(why)),
    };
    coefs.push(Coefficient {
        quarter: -1,
        estimate: None,
        se: None,
    });
    coefs.sort_by_key(|c| c.quarter);
    let rows = coefs
        .iter()
        .map(|c| {
            if c.quarter == -1 {
                return [
                    relative_words(-1),
                    "0 by definition".into(),
                    String::new(),
                    String::new(),
                ];
            }
            [
                relative_words(c.quarter),
                c.estimate
                    .map(signed_points)
                    .unwrap_or_else(|| "No estimate".into()),
                c.se.map(|s| format!("{s:.4}")).unwrap_or_default(),
                c.ci95()
                    .map(|[lo, hi]| format!("{} to {}", signed_points(lo), signed_points(hi)))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    Some(EventStudy {
        svg,
        none_because,
        rows,
    })
}
