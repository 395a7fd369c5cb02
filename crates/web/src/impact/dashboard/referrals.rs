//! Relevant referrals (accepted by the partner, per 1,000 incidents that needed one) and the
//! referrals a partner rejected or returned for more information, each by quarter.

use super::cells::{figure, int, num, rate_row, signal_of, text};
use super::{Figure, Table};
use mashboard_domain::impact::dashboard::Dashboard;

/// Relevant referrals: accepted by the partner, per incident that needed one, by quarter.
pub(super) fn relevant(d: &Dashboard) -> Figure {
    let r = &d.relevant;
    figure(
        "relevant",
        "Relevant referrals: accepted by the partner, per incident that needed one",
        &r.chart,
        "p chart of referrals accepted by the partner agency per incident that needed a referral (a child involved, domestic abuse or an adult at risk), by quarter; higher is better.",
        Table {
            caption: "Relevant referrals by quarter".into(),
            header: vec![
                "Quarter",
                "Accepted referrals",
                "Incidents that needed one",
                "Per 1,000 incidents",
                "95% CI low (per 1,000)",
                "95% CI high (per 1,000)",
                "Signal",
            ],
            rows: r
                .quarters
                .iter()
                .map(|q| {
                    let (lo, hi) = match q.per_1000_ci95 {
                        Some([lo, hi]) => (num(Some(lo), 1), num(Some(hi), 1)),
                        None => (text(""), text("")),
                    };
                    vec![
                        text(&q.quarter),
                        int(q.accepted),
                        int(q.incidents_needing),
                        num(q.per_1000, 1),
                        lo,
                        hi,
                        signal_of(&r.chart, &q.quarter),
                    ]
                })
                .collect(),
        },
    )
}

/// Rejected or further work: the share decided no further action or returned, by quarter.
pub(super) fn rejected(d: &Dashboard) -> Figure {
    let o = &d.outcomes;
    figure(
        "outcomes",
        "Rejected or further work: no further action or returned for more information",
        &o.chart,
        "p chart of the share of referrals whose partner agency decided no further action or returned them for more information, by quarter; lower is better.",
        Table {
            caption: "Partner decisions by quarter".into(),
            header: vec![
                "Quarter",
                "Referrals",
                "With the partner's decision",
                "Accepted",
                "Rejected or returned",
                "Share rejected or returned",
                "95% CI low",
                "95% CI high",
                "Signal",
            ],
            rows: o
                .quarters
                .iter()
                .map(|q| {
                    let [s, lo, hi] = rate_row(&q.share);
                    vec![
                        text(&q.quarter),
                        int(q.referrals),
                        int(q.with_decision),
                        int(q.accepted),
                        int(q.rejected_or_returned),
                        s,
                        lo,
                        hi,
                        signal_of(&o.chart, &q.quarter),
                    ]
                })
                .collect(),
        },
    )
}
