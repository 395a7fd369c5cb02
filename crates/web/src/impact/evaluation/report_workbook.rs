//! A report as an Excel workbook with one sheet per table, written from the report's kept
//! figures, so a published report downloads unchanged.

use super::downloads::status_line;
use crate::error::AppError;
use crate::export::{workbook, Sheet, XCell};
use mashboard_domain::evaluation::Report;
use mashboard_store::evaluation::ReportRow;

fn event_study_rows(r: &Report) -> Vec<Vec<XCell>> {
    use super::super::event_study::{relative_words, Coefficient};
    let Some(e) = r.effect.as_ref().filter(|e| !e.event_study.is_empty()) else {
        return Vec::new();
    };
    (-4..=4)
        .map(|q| {
            let words = XCell::Text(relative_words(q));
            let number = XCell::Number(f64::from(q));
            if q == -1 {
                return vec![
                    words,
                    number,
                    XCell::Number(0.0),
                    opt(None),
                    opt(None),
                    opt(None),
                ];
            }
            let p = e.event_study.iter().find(|p| p.relative_quarter == q);
            let c = Coefficient {
                quarter: q,
                estimate: p.and_then(|p| p.estimate),
                se: p.and_then(|p| p.se),
            };
            vec![
                words,
                number,
                opt(c.estimate),
                opt(c.se),
                lo(c.ci95()),
                hi(c.ci95()),
            ]
        })
        .collect()
}

fn opt(v: Option<f64>) -> XCell {
    v.map(XCell::Number)
        .unwrap_or_else(|| XCell::Text(String::new()))
}

fn lo(v: Option<[f64; 2]>) -> XCell {
    opt(v.map(|[l, _]| l))
}

fn hi(v: Option<[f64; 2]>) -> XCell {
    opt(v.map(|[_, h]| h))
}

fn n(v: u64) -> XCell {
    XCell::Number(v as f64)
}

/// The workbook of a report: one sheet per table.
pub(crate) fn xlsx(row: &ReportRow) -> Result<Vec<u8>, AppError> {
    let r = &row.report;
    let t = |s: &str| XCell::Text(s.to_string());
    let mut answer = vec![
        vec![t("Title"), t(&row.title)],
        vec![
            t("Period"),
            t(&format!("{} to {}", r.period_from, r.period_to)),
        ],
        vec![t("Status"), t(&status_line(row))],
        vec![t("Is the training working?"), t(&r.answer.headline)],
    ];
    answer.extend(r.answer.findings.iter().map(|f| vec![t("Finding"), t(f)]));
    answer.extend(r.answer.caveats.iter().map(|c| vec![t("Caveat"), t(c)]));
    let sheets = vec![
        Sheet {
            name: "Answer",
            header: vec!["What", "Text"],
            rows: answer,
        },
        Sheet {
            name: "Reviews",
            header: vec![
                "Start", "End", "Imported", "Grade 1", "Grade 2", "Grade 3", "Grade 4", "n",
                "Mean", "95% low", "95% high",
            ],
            rows: r
                .reviews
                .iter()
                .map(|v| {
                    vec![
                        t(&v.period_start),
                        t(&v.period_end),
                        t(if v.imported { "yes" } else { "no" }),
                        n(v.counts[0]),
                        n(v.counts[1]),
                        n(v.counts[2]),
                        n(v.counts[3]),
                        n(v.n),
                        opt(v.mean),
                        lo(v.mean_ci95),
                        hi(v.mean_ci95),
                    ]
                })
                .collect(),
        },
        Sheet {
            name: "Audits",
            header: vec!["Start", "End", "Imported", "Needing a referral", "With one"],
            rows: r
                .audits
                .iter()
                .map(|a| {
                    vec![
                        t(&a.period_start),
                        t(&a.period_end),
                        t(if a.imported { "yes" } else { "no" }),
                        n(a.required),
                        n(a.completed_when_required),
                    ]
                })
                .collect(),
        },
        Sheet {
            name: "Compliance by year",
            header: vec![
                "Year",
                "Provisional",
                "Examined",
                "Needing a referral",
                "With one",
                "Compliance",
                "95% low",
                "95% high",
            ],
            rows: r
                .years
                .iter()
                .map(|y| {
                    vec![
                        XCell::Number(f64::from(y.year)),
                        t(if y.provisional { "yes" } else { "no" }),
                        n(y.examined),
                        n(y.required),
                        n(y.completed_when_required),
                        opt(y.compliance),
                        lo(y.compliance_ci95),
                        hi(y.compliance_ci95),
                    ]
                })
                .collect(),
        },
        Sheet {
            name: "L1 reaction",
            header: vec![
                "Module code",
                "Module",
                "Sessions",
                "Forms",
                "Overall",
                "95% low",
                "95% high",
                "Relevance",
                "Delivery",
                "Confidence",
            ],
            rows: r
                .reaction
                .iter()
                .map(|f| {
                    vec![
                        t(&f.module_code),
                        t(&f.module_title),
                        n(f.sessions as u64),
                        n(f.n as u64),
                        opt(f.overall_mean),
                        lo(f.overall_ci95),
                        hi(f.overall_ci95),
                        opt(f.relevance_mean),
                        opt(f.delivery_mean),
                        opt(f.confidence_mean),
                    ]
                })
                .collect(),
        },
        Sheet {
            name: "L2 learning",
            header: vec![
                "Check",
                "People with both",
                "Before",
                "After",
                "Gain",
                "95% low",
                "95% high",
                "Before only",
                "After only",
            ],
            rows: r
                .learning
                .iter()
                .map(|l| {
                    vec![
                        t(&l.check_title),
                        n(l.n_paired as u64),
                        opt(l.mean_pre),
                        opt(l.mean_post),
                        opt(l.mean_gain),
                        lo(l.gain_ci95),
                        hi(l.gain_ci95),
                        n(l.pre_only as u64),
                        n(l.post_only as u64),
                    ]
                })
                .collect(),
        },
        Sheet {
            name: "L4 partner decisions",
            header: vec![
                "Quarter",
                "Referrals",
                "With a decision",
                "Accepted",
                "Rejected or returned",
                "Share",
                "95% low",
                "95% high",
            ],
            rows: r
                .quarters
                .iter()
                .map(|q| {
                    vec![
                        t(&q.quarter),
                        n(q.referrals),
                        n(q.with_decision),
                        n(q.accepted),
                        n(q.rejected_or_returned),
                        opt(q.rejected_share),
                        lo(q.rejected_ci95),
                        hi(q.rejected_ci95),
                    ]
                })
                .collect(),
        },
        Sheet {
            name: "L4 training effect",
            header: vec![
                "Module",
                "Referrals",
                "Officers trained",
                "Officers never trained",
                "Estimate",
                "95% low",
                "95% high",
                "p-value",
                "No estimate because",
            ],
            rows: r
                .effect
                .iter()
                .map(|e| {
                    vec![
                        t(&e.module_code),
                        n(e.referrals as u64),
                        n(e.officers_trained as u64),
                        n(e.officers_never_trained as u64),
                        opt(e.estimate),
                        lo(e.ci95),
                        hi(e.ci95),
                        opt(e.p_value),
                        t(e.reason.as_deref().unwrap_or("")),
                    ]
                })
                .collect(),
        },
        Sheet {
            name: "L4 event study",
            header: vec![
                "Quarters from training",
                "Relative quarter",
                "Estimate",
                "Standard error",
                "95% low",
                "95% high",
            ],
            rows: event_study_rows(r),
        },
    ];
    workbook(&sheets)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use mashboard_domain::evaluation::{build, EffectFigure, EventPoint, Facts};

    /// A draft report whose event study has an estimate in every quarter but +3.
    pub(crate) fn row_with_event_study() -> ReportRow {
        let points: Vec<EventPoint> = [-4, -3, -2, 0, 1, 2, 3, 4]
            .into_iter()
            .map(|q| EventPoint {
                relative_quarter: q,
                estimate: (q != 3).then_some(q as f64 / 100.0),
                se: (q != 3).then_some(0.02),
            })
            .collect();
        let facts = Facts {
            title: "Evaluation".into(),
            period_from: "2022-01-01".into(),
            period_to: "2024-12-31".into(),
            generated_at: "2025-01-02T10:00:00Z".into(),
            feedback: Vec::new(),
            checks: Vec::new(),
            reviews: Vec::new(),
            years: Vec::new(),
            audit_periods: Vec::new(),
            quarters: Vec::new(),
            programme_began: None,
            effect: Some(EffectFigure {
                module_code: "FL-PPN".into(),
                referrals: 4000,
                officers_trained: 40,
                officers_never_trained: 12,
                estimate: Some(-0.05),
                ci95: Some([-0.08, -0.02]),
                p_value: Some(0.001),
                reason: None,
                caveats: Vec::new(),
                event_study: points,
            }),
        };
        ReportRow {
            id: 7,
            title: "Evaluation".into(),
            period_from: "2022-01-01".into(),
            period_to: "2024-12-31".into(),
            status: "draft".into(),
            created_at: "2025-01-02T10:00:00Z".into(),
            updated_at: "2025-01-02T10:00:00Z".into(),
            published_at: None,
            published_by: None,
            report: build(&facts),
        }
    }

    #[test]
    fn the_workbook_has_the_event_study_quarter_by_quarter_with_its_intervals() {
        let bytes = xlsx(&row_with_event_study()).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("L4 event study").unwrap();
        let rows: Vec<&[Data]> = sheet.rows().collect();
        assert_eq!(rows.len(), 10, "a header and nine quarters");
        assert_eq!(rows[0][0], Data::String("Quarters from training".into()));
        let num = |r: usize, c: usize| match &rows[r][c] {
            Data::Float(v) => Some(*v),
            Data::Int(v) => Some(*v as f64),
            _ => None,
        };
        // −4 first, the reference (−1) with its 0 and nothing else, +3 with no estimate.
        assert_eq!(rows[1][0], Data::String("4 or more before".into()));
        assert_eq!(num(1, 1), Some(-4.0));
        assert_eq!(rows[4][0], Data::String("1 before (the reference)".into()));
        assert_eq!((num(4, 2), num(4, 3)), (Some(0.0), None));
        let plus2 = 1 + 6;
        assert_eq!(num(plus2, 1), Some(2.0));
        assert_eq!(num(plus2, 2), Some(0.02));
        assert_eq!(num(plus2, 3), Some(0.02));
        assert!((num(plus2, 4).unwrap() - (0.02 - 1.96 * 0.02)).abs() < 1e-12);
        assert!((num(plus2, 5).unwrap() - (0.02 + 1.96 * 0.02)).abs() < 1e-12);
        assert_eq!((num(8, 1), num(8, 2)), (Some(3.0), None), "+3 has none");
    }

    #[test]
    fn a_report_kept_before_the_event_study_has_an_empty_sheet() {
        let mut row = row_with_event_study();
        if let Some(e) = row.report.effect.as_mut() {
            e.event_study.clear();
        }
        let bytes = xlsx(&row).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("L4 event study").unwrap();
        assert_eq!(sheet.rows().count(), 1, "the header only");
    }
}
