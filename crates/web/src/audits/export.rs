//! Compliance exports (CSV and Excel) from which every figure can be recomputed.

use super::*;

/// Stops a spreadsheet from reading a cell as a formula (as the audit-trail export does).
pub(super) fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub(super) fn cell_csv(c: &XCell) -> String {
    match c {
        XCell::Text(s) => csv_safe(s),
        XCell::Number(n) => n.to_string(),
        XCell::Date(Some(d)) => iso(*d),
        XCell::Date(None) => String::new(),
    }
}

pub(super) fn text(s: impl Into<String>) -> XCell {
    XCell::Text(s.into())
}

pub(super) fn num(n: u64) -> XCell {
    XCell::Number(n as f64)
}

pub(super) fn opt(p: Option<f64>) -> XCell {
    p.map(XCell::Number).unwrap_or(XCell::Text(String::new()))
}

pub(super) const FINDING_HEADER: [&str; 16] = [
    "Audit",
    "Audit title",
    "Incident reference",
    "Reported on",
    "Year",
    "Quarter",
    "Form required",
    "Why required",
    "Subject group",
    "Form completed",
    "On time",
    "Counts towards compliance (required)",
    "Compliant (required and completed)",
    "Counts towards over-referral (not required)",
    "Over-referred (not required but completed)",
    "Provisional (the audit is still open)",
];

pub(super) fn finding_cells(r: &CountedFinding) -> Vec<XCell> {
    let f = r.finding.finding();
    let date = parse_date(&r.reported_on).ok();
    let flag = |b: bool| num(u64::from(b));
    vec![
        num(r.audit_id.max(0) as u64),
        text(&r.audit_title),
        text(&r.incident_ref),
        XCell::Date(date),
        date.map(|d| num(d.year().max(0) as u64))
            .unwrap_or(XCell::Text(String::new())),
        text(date.map(|d| Quarter::of(d).to_string()).unwrap_or_default()),
        text(if f.form_required { "Yes" } else { "No" }),
        text(f.required_reason.map(|r| r.as_str()).unwrap_or("")),
        text(f.subject().as_str()),
        text(if f.form_completed { "Yes" } else { "No" }),
        text(match (f.form_completed, f.on_time) {
            (false, _) => "",
            (true, Some(true)) => "Yes",
            (true, Some(false)) => "No",
            (true, None) => "Not known",
        }),
        flag(f.form_required),
        flag(f.form_required && f.form_completed),
        flag(!f.form_required),
        flag(!f.form_required && f.form_completed),
        text(if r.audit_open { "Yes" } else { "No" }),
    ]
}

pub(super) const ROLLUP_HEADER: [&str; 18] = [
    "Grouping",
    "Group",
    "Examined",
    "Required",
    "Completed when required",
    "Compliance",
    "Compliance 95% CI low (Wilson)",
    "Compliance 95% CI high (Wilson)",
    "Not required",
    "Completed when not required",
    "Over-referral",
    "Over-referral 95% CI low (Wilson)",
    "Over-referral 95% CI high (Wilson)",
    "On time",
    "Late",
    "Timing not known",
    "Provisional (counts findings from an audit still open)",
    "Findings from audits still open",
];

pub(super) fn rollup_cells(grouping: &str, group: String, r: &RollUp) -> Vec<XCell> {
    vec![
        text(grouping),
        text(group),
        num(r.examined),
        num(r.required),
        num(r.completed_when_required),
        opt(r.compliance),
        opt(r.compliance_ci95.map(|i| i.lo)),
        opt(r.compliance_ci95.map(|i| i.hi)),
        num(r.not_required),
        num(r.completed_when_not_required),
        opt(r.over_referral),
        opt(r.over_referral_ci95.map(|i| i.lo)),
        opt(r.over_referral_ci95.map(|i| i.hi)),
        num(r.on_time),
        num(r.late),
        num(r.on_time_unknown),
        text(if r.provisional() { "Yes" } else { "No" }),
        num(r.provisional_findings),
    ]
}

pub(super) fn rollup_rows(b: &Breakdown) -> Vec<Vec<XCell>> {
    let mut rows = vec![rollup_cells("All", "All findings".into(), &b.overall)];
    for (y, r) in &b.by_year {
        rows.push(rollup_cells("Year", y.to_string(), r));
    }
    for (q, r) in &b.by_quarter {
        rows.push(rollup_cells("Quarter", q.to_string(), r));
    }
    for (s, r) in &b.by_subject {
        let s: &Subject = s;
        rows.push(rollup_cells("Subject", s.as_str().to_string(), r));
    }
    rows
}

pub(super) const COMPARE_HEADER: [&str; 12] = [
    "From year",
    "To year",
    "Compliant (from)",
    "Required (from)",
    "Compliant (to)",
    "Required (to)",
    "Difference (to minus from)",
    "Difference 95% CI low (Newcombe)",
    "Difference 95% CI high (Newcombe)",
    "z (pooled)",
    "p-value (two-sided)",
    "Provisional (either year counts findings from an audit still open)",
];

pub(super) fn compare_rows(b: &Breakdown) -> Vec<Vec<XCell>> {
    b.by_year
        .windows(2)
        .map(|w| {
            let ((ya, a), (yb, bb)) = (&w[0], &w[1]);
            let c = audit_rules::compare(a, bb);
            vec![
                text(ya.to_string()),
                text(yb.to_string()),
                num(a.completed_when_required),
                num(a.required),
                num(bb.completed_when_required),
                num(bb.required),
                opt(c.as_ref().map(|c| c.difference)),
                opt(c.as_ref().map(|c| c.difference_ci.lo)),
                opt(c.as_ref().map(|c| c.difference_ci.hi)),
                opt(c.as_ref().and_then(|c| c.z)),
                opt(c.as_ref().and_then(|c| c.p_value)),
                text(if a.provisional() || bb.provisional() {
                    "Yes"
                } else {
                    "No"
                }),
            ]
        })
        .collect()
}

pub(super) async fn export_data(
    state: &AppState,
    user: &CurrentUser,
    raw: Option<&str>,
    what: &str,
) -> Result<(Period, Vec<CountedFinding>, Breakdown), AppError> {
    let pairs = query_pairs(raw);
    let mut form = form_of(&pairs, &["from", "to"]);
    let (period, filtered) = summary_period(&mut form);
    if form.has_errors() {
        let words: Vec<&str> = form.errors.iter().map(|(_, m)| m.as_str()).collect();
        return Err(AppError::BadRequest(format!(
            "{}. Go back to the compliance page and correct the dates.",
            words.join(". ")
        )));
    }
    let rows = audits::counted_findings(&state.store, &period).await?;
    let b = audit_rules::breakdown(&audits::audited(&rows));
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "compliance.export",
            format!(
                "Exported incident compliance findings as {what} ({} findings{})",
                rows.len(),
                if filtered {
                    format!(", {}", period.text())
                } else {
                    String::new()
                }
            ),
        ),
    )
    .await?;
    Ok((period, rows, b))
}

pub(super) fn download(content_type: &'static str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub(super) fn csv_bytes(header: &[&str], rows: &[Vec<XCell>]) -> Result<Vec<u8>, AppError> {
    let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(csv_err)?;
    for r in rows {
        out.write_record(r.iter().map(cell_csv)).map_err(csv_err)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

pub(super) async fn export_csv(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (_, rows, _) = export_data(&state, &page.user, raw.as_deref(), "CSV").await?;
    let cells: Vec<Vec<XCell>> = rows.iter().map(finding_cells).collect();
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("compliance-findings-{}.csv", iso(today())),
        csv_bytes(&FINDING_HEADER, &cells)?,
    ))
}

pub(super) async fn rollup_csv(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (_, _, b) = export_data(&state, &page.user, raw.as_deref(), "CSV roll-up").await?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("compliance-rollup-{}.csv", iso(today())),
        csv_bytes(&ROLLUP_HEADER, &rollup_rows(&b))?,
    ))
}

pub(super) async fn export_xlsx(
    State(state): State<AppState>,
    page: Page<cap::ComplianceSummary>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (_, rows, b) = export_data(&state, &page.user, raw.as_deref(), "Excel").await?;
    let sheets = [
        Sheet {
            name: "Findings",
            header: FINDING_HEADER.to_vec(),
            rows: rows.iter().map(finding_cells).collect(),
        },
        Sheet {
            name: "Roll-up",
            header: ROLLUP_HEADER.to_vec(),
            rows: rollup_rows(&b),
        },
        Sheet {
            name: "Year on year",
            header: COMPARE_HEADER.to_vec(),
            rows: compare_rows(&b),
        },
    ];
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("compliance-{}.xlsx", iso(today())),
        workbook(&sheets)?,
    ))
}
