//! A report as a tagged PDF (headings as headings, tables as tables, text that can be selected
//! and read aloud) and as an Excel workbook with one sheet per table. Both are written from the
//! report's kept figures, so a published report downloads unchanged.

use super::report::text::{num, num_ci, pct, pct_ci, points_ci};
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::export::{download, PdfWriter, XLSX};
use crate::view::date_text;
use crate::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use mashboard_domain::evaluation::{points, Report};
use mashboard_store::evaluation::ReportRow;

pub(crate) use super::report_workbook::xlsx;

fn file_name(row: &ReportRow, ext: &str) -> String {
    format!("evaluation-report-{}.{ext}", row.id)
}

pub(super) fn status_line(row: &ReportRow) -> String {
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
        match (&ev.svg, ev.none_because) {
            (Some(svg), _) => {
                w.figure(&svg.desc, &super::super::svg::drawing(svg));
                w.gap(4.0);
            }
            (None, Some(why)) => w.line(false, 9.0, &format!("No chart: {why}.")),
            (None, None) => {}
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

/// Every figure of a report as JSON, for a reader signed in with the browser: the same document
/// the API gives (`GET /api/v1/evaluation-reports/{id}`), which asks for a token instead.
pub async fn json_download(
    State(state): State<AppState>,
    _page: Page<cap::EvaluationReports>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let row = super::find(&state.store, &id).await?;
    let name = file_name(&row, "json");
    let body = serde_json::to_vec_pretty(&super::api::ReportJson::from(row))
        .map_err(|e| AppError::Internal(format!("{e:?}")))?;
    Ok(download("application/json", &name, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::pdf_text;

    /// The alternative text of the PDF's first figure (a UTF-16 hex string, as krilla writes
    /// text that is not plain ASCII).
    fn figure_alt(pdf: &[u8]) -> Option<String> {
        let at = pdf.windows(9).position(|w| w == b"/S/Figure")?;
        let rest = &pdf[at..];
        let start = rest.windows(5).position(|w| w == b"/Alt<")? + 5;
        let end = start + rest[start..].iter().position(|&b| b == b'>')?;
        let hex = std::str::from_utf8(&rest[start..end]).ok()?;
        let units: Vec<u16> = (0..hex.len() / 4)
            .filter_map(|i| u16::from_str_radix(&hex[4 * i..4 * i + 4], 16).ok())
            .collect();
        Some(
            String::from_utf16_lossy(&units)
                .trim_start_matches('\u{feff}')
                .to_string(),
        )
    }

    #[test]
    fn the_pdf_draws_the_event_study_as_a_chart_beside_its_table() {
        let row = super::super::report_workbook::tests::row_with_event_study();
        let bytes = pdf("Test Constabulary", &row);
        let text = pdf_text(&bytes);
        // The chart: a figure whose alternative text says every quarter in words…
        let alt = figure_alt(&bytes).expect("the PDF has a figure with alternative text");
        assert!(alt.starts_with("Each quarter before and after"), "{alt}");
        assert!(alt.contains("−1 (reference): 0 by definition"), "{alt}");
        assert!(
            alt.contains("+2: 2.0 points (95% interval −1.9 to 5.9)"),
            "{alt}"
        );
        assert!(alt.contains("+3: no estimate"), "{alt}");
        // …under the chart's title, with its axis labels drawn as text a reader can select.
        let title = text
            .find("ActualText(Event study: the change")
            .expect("the title");
        let label = text
            .find("ActualText(+4 or later)")
            .expect("the last place's label");
        let table = text
            .find("ActualText(Quarters from training)")
            .expect("the table");
        assert!(title < label && label < table, "title, chart, then table");
        for l in ["ActualText(+1)", "ActualText(+2)", "ActualText(0)"] {
            assert!(text.contains(l), "{l}");
        }
        // A report whose event study has no estimate says why instead of drawing a chart.
        let mut none = row.clone();
        if let Some(e) = none.report.effect.as_mut() {
            for p in &mut e.event_study {
                p.estimate = None;
            }
        }
        let bytes = pdf("Test Constabulary", &none);
        assert!(figure_alt(&bytes).is_none());
        assert!(pdf_text(&bytes).contains("No chart: the event study has no estimate"));
    }
}
