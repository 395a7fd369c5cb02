//! Compliance: each audit's share of incidents needing a form that had one (p or p′ chart),
//! over-referral beside it, and the yearly figures against the target of 200 examined.

use super::cells::{ci, figure, int, rate_row, share, signal_of, text};
use super::{Figure, Table};
use mashboard_domain::impact::dashboard::Dashboard;
use mashboard_domain::impact::ChartKind;

/// The compliance chart of each audit, and the table of the yearly figures.
pub(super) fn compliance(d: &Dashboard, chart: ChartKind) -> (Figure, Table) {
    let c = &d.compliance;
    let chart_name = if chart == ChartKind::PPrime {
        "Laney p′ chart"
    } else {
        "p chart"
    };
    let figure = figure(
        "compliance",
        "Compliance: incidents needing a form that had one, each audit",
        &c.chart,
        &format!("{chart_name} of each compliance audit's share of incidents needing a referral form that had one; higher is better."),
        Table {
            caption: "Each audit's compliance and over-referral".into(),
            header: vec![
                "Audit",
                "From",
                "To",
                "Examined",
                "Needed a form",
                "Had one",
                "Compliance",
                "95% CI low",
                "95% CI high",
                "Needed no form",
                "Had one anyway",
                "Over-referral",
                "95% CI low",
                "95% CI high",
                "Imported",
                "Signal",
            ],
            rows: c
                .periods
                .iter()
                .map(|a| {
                    let p = &a.period;
                    let [cs, clo, chi] = rate_row(&a.compliance);
                    let [os, olo, ohi] = rate_row(&a.over_referral);
                    let label = mashboard_domain::impact::dashboard::period_label(
                        &p.period_start,
                        &p.period_end,
                    );
                    vec![
                        text(&p.title),
                        text(&p.period_start),
                        text(&p.period_end),
                        int(p.examined),
                        int(p.required),
                        int(p.completed_when_required),
                        cs,
                        clo,
                        chi,
                        int(p.not_required),
                        int(p.completed_when_not_required),
                        os,
                        olo,
                        ohi,
                        text(if p.imported { "Imported" } else { "" }),
                        signal_of(&c.chart, &label),
                    ]
                })
                .collect(),
        },
    );
    let years = Table {
        caption: "Compliance by year, against the target of 200 incidents examined a year".into(),
        header: vec![
            "Year",
            "Examined",
            "Target",
            "Needed a form",
            "Had one",
            "Compliance",
            "95% CI low",
            "95% CI high",
            "Over-referral",
        ],
        rows: c
            .years
            .iter()
            .map(|(y, f)| {
                let [lo, hi] = ci(f.compliance_ci95);
                vec![
                    text(y),
                    int(f.examined),
                    int(f.target),
                    int(f.required),
                    int(f.completed_when_required),
                    share(f.compliance),
                    lo,
                    hi,
                    share(f.over_referral),
                ]
            })
            .collect(),
    };
    (figure, years)
}
