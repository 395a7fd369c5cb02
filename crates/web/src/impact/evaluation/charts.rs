//! The report's three charts, drawn again from the figures the report keeps (so a published
//! report draws the charts it was published with): each review's mean grade (XmR), each audit's
//! compliance (p chart) and each quarter's share of referrals rejected or returned (p chart).

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
