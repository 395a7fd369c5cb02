//! Training coverage over time (force line and by department and cohort) and the
//! missing-referral queue's size and age at the end of each month, as run charts.

use super::cells::{figure, int, num, rate_row, run_figure, text};
use super::{Figure, Table};
use crate::export::XCell;
use mashboard_domain::impact::dashboard::{pct, Dashboard, RateFigure};
use mashboard_domain::impact::{Improvement, ValuePoint};

/// The coverage chart, the table by department and cohort, and the queue chart.
pub(super) fn coverage(d: &Dashboard) -> (Figure, Table, Figure) {
    let mut force: std::collections::BTreeMap<&str, (u64, u64)> = Default::default();
    for cv in d
        .training
        .coverage
        .iter()
        .filter(|c| c.point.by == "department")
    {
        let t = force.entry(cv.point.quarter.as_str()).or_default();
        t.0 += cv.point.people;
        t.1 += cv.point.trained;
    }
    let mut quarters: Vec<&str> = d
        .training
        .coverage
        .iter()
        .map(|c| c.point.quarter.as_str())
        .collect();
    quarters.dedup();
    let coverage_points: Vec<ValuePoint> = quarters
        .iter()
        .filter_map(|q| {
            let (n, t) = force.get(q)?;
            (*n > 0).then(|| ValuePoint {
                label: q.to_string(),
                value: *t as f64 / *n as f64,
            })
        })
        .collect();
    let coverage_chart = run_figure(coverage_points, Improvement::Increase);
    let coverage_rows: Vec<Vec<(String, XCell)>> = quarters
        .iter()
        .filter_map(|q| {
            let (n, t) = force.get(q)?;
            let r = RateFigure::of(*t, *n);
            let [s, lo, hi] = rate_row(&r);
            Some(vec![text(*q), int(*n), int(*t), s, lo, hi])
        })
        .collect();
    let mut cov_fig = figure(
        "coverage_force",
        "Training coverage over time",
        &coverage_chart,
        &format!(
            "Run chart of the share of people in the departments shown trained in {} by the end of each quarter, against its median; higher is better.",
            d.training.module
        ),
        Table {
            caption: format!("People trained in {} by the end of each quarter", d.training.module),
            header: vec!["Quarter", "People", "Trained", "Share", "95% CI low", "95% CI high"],
            rows: coverage_rows,
        },
    );
    if let Some(s) = cov_fig.svg.as_mut() {
        // The run chart's values are shares.
        for t in s.ticks.iter_mut() {
            if let Ok(v) = t.text.parse::<f64>() {
                t.text = pct(v);
            }
        }
    }
    let coverage = Table {
        caption: format!(
            "Coverage of {} by department and cohort, each quarter",
            d.training.module
        ),
        header: vec![
            "Quarter",
            "By",
            "Group",
            "People",
            "Trained",
            "Share",
            "95% CI low",
            "95% CI high",
        ],
        rows: d
            .training
            .coverage
            .iter()
            .map(|cv| {
                let [s, lo, hi] = rate_row(&cv.share);
                vec![
                    text(&cv.point.quarter),
                    text(cv.point.by),
                    text(&cv.point.group),
                    int(cv.point.people),
                    int(cv.point.trained),
                    s,
                    lo,
                    hi,
                ]
            })
            .collect(),
    };
    let queue_points: Vec<ValuePoint> = d
        .training
        .queue
        .iter()
        .map(|q| ValuePoint {
            label: q.on.get(..7).unwrap_or(&q.on).to_string(),
            value: q.open as f64,
        })
        .collect();
    let queue_chart = run_figure(queue_points, Improvement::Decrease);
    let queue = figure(
        "queue",
        "Missing-referral queue: items open at the end of each month",
        &queue_chart,
        "Run chart of the number of incidents waiting on the missing-referral queue at the end of each month, against its median; lower is better.",
        Table {
            caption: "The missing-referral queue at the end of each month".into(),
            header: vec!["On", "Open", "Mean age (days)", "Oldest (days)"],
            rows: d
                .training
                .queue
                .iter()
                .map(|q| {
                    vec![
                        text(&q.on),
                        int(q.open),
                        num(q.mean_age_days, 1),
                        match q.oldest_days {
                            Some(v) => (v.to_string(), XCell::Number(v as f64)),
                            None => text(""),
                        },
                    ]
                })
                .collect(),
        },
    );
    (cov_fig, coverage, queue)
}
