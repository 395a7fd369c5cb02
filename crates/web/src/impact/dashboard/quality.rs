//! Referral quality: each quarterly review's agreed grades, their mean and its interval, and
//! the XmR chart of the means.

use super::cells::{figure, int, num, signal_of, text};
use super::{Figure, Table};
use mashboard_domain::impact::dashboard::Dashboard;

pub(super) fn quality(d: &Dashboard) -> Figure {
    let qy = &d.quality;
    figure(
        "quality",
        "Referral quality: each quarterly review's mean grade",
        &qy.chart,
        "XmR chart of the mean agreed grade of each quarterly referral quality review (grades 1 to 4); higher is better.",
        Table {
            caption: "Each review's grades, mean and 95% interval".into(),
            header: vec![
                "Review",
                "From",
                "To",
                "Grade 1",
                "Grade 2",
                "Grade 3",
                "Grade 4",
                "n",
                "Mean",
                "95% CI low",
                "95% CI high",
                "Imported",
                "Signal",
            ],
            rows: qy
                .reviews
                .iter()
                .map(|rv| {
                    let (lo, hi) = match rv.mean_ci95 {
                        Some([lo, hi]) => (num(Some(lo), 2), num(Some(hi), 2)),
                        None => (text(""), text("")),
                    };
                    let label = mashboard_domain::impact::dashboard::period_label(
                        &rv.period_start,
                        &rv.period_end,
                    );
                    vec![
                        text(&rv.title),
                        text(&rv.period_start),
                        text(&rv.period_end),
                        int(rv.counts["1"]),
                        int(rv.counts["2"]),
                        int(rv.counts["3"]),
                        int(rv.counts["4"]),
                        int(rv.n),
                        num(rv.mean, 2),
                        lo,
                        hi,
                        text(if rv.imported { "Imported" } else { "" }),
                        signal_of(&qy.chart, &label),
                    ]
                })
                .collect(),
        },
    )
}
