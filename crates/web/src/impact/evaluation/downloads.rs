//! A report as a tagged PDF (headings as headings, tables as tables, text that can be selected
//! and read aloud) and as an Excel workbook with one sheet per table. Both are written from the
//! report's kept figures, so a published report downloads unchanged.

use super::report::text::{num, num_ci, pct, pct_ci, points_ci};
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::export::{download, workbook, PdfWriter, Sheet, XCell, XLSX};
use crate::view::date_text;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use mashboard_domain::evaluation::{points, Report};
use mashboard_store::evaluation::ReportRow;

fn file_name(row: &ReportRow, ext: &str) -> String {
    format!("evaluation-report-{}.{ext}", row.id)
}

fn status_line(row: &ReportRow) -> String {
    match (&row.published_at, row.is_published()) {
        (Some(at), true) => format!(
            "Published on {}. These figures are frozen: they are exactly what was published.",
            crate::view::local_time_text(at)
        ),
        _ => format!(
            "Draft: figures worked out on {}; they may change before the report is published.",
            crate::view::local_time_text(&row.report.generated_at)
        ),
    }
}

/// The PDF of a report.
pub(crate) fn pdf(force: &str, row: &ReportRow) -> Vec<u8> {
    let r: &Report = &row.report;
    let mut w = PdfWriter::new(format!("{force} - {}", row.title));
    w.line(true, 16.0, &row.title);
    w.line(
        false,
        9.0,
        &format!(
            "{force}. Evaluation report for {} to {}. {}",
            date_text(&r.period_from),
            date_text(&r.period_to),
            status_line(row)
        ),
    );
    w.gap(8.0);
    w.line(true, 12.0, "Is the training working?");
    w.line(false, 10.0, &r.answer.headline);
    for f in &r.answer.findings {
        w.line(false, 9.0, &format!("• {f}"));
    }
    w.line(true, 12.0, "What these figures cannot show");
    for c in &r.answer.caveats {
        w.line(false, 9.0, &format!("• {c}"));
    }
    w.gap(8.0);
    w.line(true, 12.0, "Overall impact");
    if !r.reviews.is_empty() {
        let rows: Vec<(Vec<String>, String)> = r
            .reviews
            .iter()
            .map(|v| {
                (
                    vec![
                        format!(
                            "{} to {}{}",
                            date_text(&v.period_start),
                            date_text(&v.period_end),
                            if v.imported { " (imported)" } else { "" }
                        ),
                        v.counts[0].to_string(),
                        v.counts[1].to_string(),
                        v.counts[2].to_string(),
                        v.counts[3].to_string(),
                        v.n.to_string(),
                        num(&v.mean),
                        num_ci(&v.mean_ci95),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[150.0, 40.0, 40.0, 40.0, 40.0, 35.0, 50.0, 80.0],
            &[
                "Review",
                "Grade 1",
                "Grade 2",
                "Grade 3",
                "Grade 4",
                "n",
                "Mean",
                "95% interval",
            ],
            &rows,
        );
        w.gap(6.0);
    }
    if !r.years.is_empty() {
        let rows: Vec<(Vec<String>, String)> = r
            .years
            .iter()
            .map(|y| {
                (
                    vec![
                        format!(
                            "{}{}",
                            y.year,
                            if y.provisional { " (provisional)" } else { "" }
                        ),
                        y.examined.to_string(),
                        y.required.to_string(),
                        y.completed_when_required.to_string(),
                        pct(&y.compliance),
                        pct_ci(&y.compliance_ci95),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[80.0, 70.0, 80.0, 60.0, 70.0, 110.0],
            &[
                "Year",
                "Examined",
                "Needing a referral",
                "With one",
                "Compliance",
                "95% interval",
            ],
            &rows,
        );
    }
    w.gap(8.0);
    w.line(true, 12.0, "Level 1: reaction");
    if r.reaction.is_empty() {
        w.line(false, 9.0, "No session feedback in this period.");
    } else {
        let rows: Vec<(Vec<String>, String)> = r
            .reaction
            .iter()
            .map(|f| {
                (
                    vec![
                        format!("{} ({})", f.module_title, f.module_code),
                        f.sessions.to_string(),
                        f.n.to_string(),
                        num(&f.overall_mean),
                        num_ci(&f.overall_ci95),
                        num(&f.relevance_mean),
                        num(&f.delivery_mean),
                        num(&f.confidence_mean),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[150.0, 45.0, 40.0, 45.0, 75.0, 50.0, 50.0, 55.0],
            &[
                "Module",
                "Sessions",
                "Forms",
                "Overall",
                "95% interval",
                "Relevance",
                "Delivery",
                "Confidence",
            ],
            &rows,
        );
    }
    w.gap(8.0);
    w.line(true, 12.0, "Level 2: learning");
    if r.learning.is_empty() {
        w.line(
            false,
            9.0,
            "No knowledge checks taken before and after a session in this period.",
        );
    } else {
        let rows: Vec<(Vec<String>, String)> = r
            .learning
            .iter()
            .map(|l| {
                (
                    vec![
                        l.check_title.clone(),
                        l.n_paired.to_string(),
                        num(&l.mean_pre),
                        num(&l.mean_post),
                        num(&l.mean_gain),
                        num_ci(&l.gain_ci95),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[170.0, 60.0, 55.0, 55.0, 55.0, 110.0],
            &[
                "Check",
                "People (n)",
                "Before",
                "After",
                "Gain",
                "95% interval",
            ],
            &rows,
        );
    }
    w.gap(8.0);
    w.line(true, 12.0, "Level 3: behaviour");
    match &r.programme_began {
        Some(began) => {
            w.line(
                false,
                9.0,
                &format!("The frontline programme began on {}.", date_text(began)),
            );
            if let Some(g) = &r.reviews_before_after {
                w.line(
                    false,
                    9.0,
                    &format!(
                        "Mean grade of sampled referrals: {} before ({} referrals; 95% interval {}) and {} after ({} referrals; 95% interval {}).",
                        num(&g.before_mean),
                        g.before_n,
                        num_ci(&g.before_ci95),
                        num(&g.after_mean),
                        g.after_n,
                        num_ci(&g.after_ci95)
                    ),
                );
            }
            if let Some(c) = &r.compliance_before_after {
                w.line(
                    false,
                    9.0,
                    &format!(
                        "Compliance: {} before ({} incidents needing a referral) and {} after ({}); the difference is {} (95% interval {}).",
                        pct(&c.before),
                        c.before_n,
                        pct(&c.after),
                        c.after_n,
                        c.difference.map(points).unwrap_or_else(|| "–".into()),
                        points_ci(&c.difference_ci95)
                    ),
                );
            }
        }
        None => w.line(
            false,
            9.0,
            "Nobody has completed the frontline referral input yet, so there is no before and after.",
        ),
    }
    w.gap(8.0);
    w.line(true, 12.0, "Level 4: results");
    if !r.quarters.is_empty() {
        let rows: Vec<(Vec<String>, String)> = r
            .quarters
            .iter()
            .map(|q| {
                (
                    vec![
                        q.quarter.clone(),
                        q.referrals.to_string(),
                        q.with_decision.to_string(),
                        q.accepted.to_string(),
                        q.rejected_or_returned.to_string(),
                        pct(&q.rejected_share),
                        pct_ci(&q.rejected_ci95),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[60.0, 60.0, 70.0, 60.0, 80.0, 80.0, 100.0],
            &[
                "Quarter",
                "Referrals",
                "With a decision",
                "Accepted",
                "Rejected or returned",
                "Share",
                "95% interval",
            ],
            &rows,
        );
    }
    if let Some(e) = &r.effect {
        w.line(
            true,
            12.0,
            &format!(
                "Training effect ({}): trained against not yet trained officers",
                e.module_code
            ),
        );
        let text = match e.estimate {
            Some(est) => format!(
                "Change in the share of referrals rejected or returned after an officer's training: {} (95% interval {}), from {} referrals by {} trained and {} never-trained officers.",
                points(est),
                points_ci(&e.ci95),
                e.referrals,
                e.officers_trained,
                e.officers_never_trained
            ),
            None => format!(
                "No estimate: {}",
                e.reason.clone().unwrap_or_else(|| "too few referrals to tell.".into())
            ),
        };
        w.line(false, 9.0, &text);
    }
    if let Some(ev) = super::charts::event_study(r) {
        w.gap(6.0);
        w.line(true, 11.0, super::super::event_study::TITLE);
        w.line(
            false,
            9.0,
            "Each quarter before and after an officer's training quarter: the estimated difference in percentage points in the share of referrals rejected or returned, measured from the quarter before training (the reference, zero by definition), with its standard error and 95% interval. Estimates close to zero before training mean trained officers were not already moving apart from the others (the parallel-trends check).",
        );
        if let Some(why) = ev.none_because {
            w.line(false, 9.0, &format!("No chart: {why}."));
        }
        let rows: Vec<(Vec<String>, String)> = ev
            .rows
            .iter()
            .map(|cells| (cells.to_vec(), String::new()))
            .collect();
        w.table(
            &[150.0, 110.0, 90.0, 150.0],
            &[
                "Quarters from training",
                "Estimate (points)",
                "Standard error",
                "95% interval (points)",
            ],
            &rows,
        );
    }
    w.finish(&row.title)
}

/// The event study's sheet: every quarter from training, −4 (and earlier) to +4 (and later),
/// the reference (−1) included with its 0; estimates and intervals as proportions like the
/// other sheets (−0.05 is five points fewer).
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

pub async fn pdf_download(
    State(state): State<AppState>,
    _page: Page<cap::EvaluationReports>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let row = super::find(&state.store, &id).await?;
    let body = pdf(&state.config.force_name, &row);
    Ok(download("application/pdf", &file_name(&row, "pdf"), body))
}

pub async fn xlsx_download(
    State(state): State<AppState>,
    _page: Page<cap::EvaluationReports>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let row = super::find(&state.store, &id).await?;
    let body = xlsx(&row)?;
    Ok(download(XLSX, &file_name(&row, "xlsx"), body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use mashboard_domain::evaluation::{build, EffectFigure, EventPoint, Facts};

    fn row_with_event_study() -> ReportRow {
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
