//! Review exports (CSV and Excel): one row per grade, individual and agreed, so every figure
//! can be recomputed.

use super::*;

pub(super) const EXPORT_HEADER: [&str; 10] = [
    "Review",
    "Referral",
    "Submitted",
    "Subject",
    "Officer staff number",
    "Kind",
    "Grader",
    "Grade",
    "Comment",
    "Criterion scores",
];

/// One criterion score in the export: "voice=3", or "voice=n/a" where it did not apply.
fn score_cell(code: &str, score: Option<CriterionScore>) -> String {
    format!(
        "{code}={}",
        score
            .map(CriterionScore::short)
            .unwrap_or_else(|| "?".into())
    )
}

pub(super) async fn export_rows(
    state: &AppState,
    id: i64,
) -> Result<(Review, Vec<Vec<XCell>>), AppError> {
    let review = reviews::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sample = reviews::sample(&state.store, id).await?;
    let grades = reviews::grades(&state.store, id).await?;
    let scores = reviews::scores(&state.store, id).await?;
    let agreed = reviews::agreed(&state.store, id).await?;
    let agreed_scores = reviews::agreed_scores(&state.store, id).await?;
    let t = |s: &str| XCell::Text(s.to_string());
    let mut rows = Vec::new();
    for s in &sample {
        for g in grades.iter().filter(|g| g.referral_id == s.referral_id) {
            let sc: Vec<String> = scores
                .iter()
                .filter(|x| x.grade_id == g.id)
                .map(|x| score_cell(&x.criterion_code, x.criterion_score()))
                .collect();
            rows.push(vec![
                t(&review.title),
                t(&s.referral_ref),
                t(s.submitted_at.get(..10).unwrap_or("")),
                t(&s.subject_type),
                t(&s.officer_staff_number),
                t("individual"),
                t(&g.grader_username),
                XCell::Number(g.grade as f64),
                t(&g.comment),
                t(&sc.join("; ")),
            ]);
        }
        if let Some(a) = agreed.iter().find(|a| a.referral_id == s.referral_id) {
            let sc: Vec<String> = agreed_scores
                .iter()
                .filter(|x| x.referral_id == s.referral_id)
                .map(|x| score_cell(&x.criterion_code, x.criterion_score()))
                .collect();
            rows.push(vec![
                t(&review.title),
                t(&s.referral_ref),
                t(s.submitted_at.get(..10).unwrap_or("")),
                t(&s.subject_type),
                t(&s.officer_staff_number),
                t("agreed"),
                t(&a.recorded_by),
                XCell::Number(a.grade as f64),
                t(&a.comment),
                t(&sc.join("; ")),
            ]);
        }
    }
    Ok((review, rows))
}

pub(super) async fn audit_export(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    kind: &str,
) -> Result<(), AppError> {
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "quality_review.export",
            format!("Exported review {id} as {kind}"),
        )
        .on("quality_review", id.to_string()),
    )
    .await?;
    Ok(())
}

pub(super) async fn export_csv(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, rows) = export_rows(&state, id).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(EXPORT_HEADER)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    for r in &rows {
        w.write_record(r.iter().map(|c| c.csv()))
            .map_err(|e| AppError::Internal(e.to_string()))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audit_export(&state, &page.user, id, "CSV").await?;
    let _ = csv_safe("");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"quality-review-{id}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

pub(super) async fn export_xlsx(
    State(state): State<AppState>,
    page: Page<cap::QualityReviewManage>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, rows) = export_rows(&state, id).await?;
    let s = reviews::summary(&state.store, id).await?;
    let (figures, _) = reviews::criterion_figures(&state.store, id).await?;
    let summary_rows = vec![
        vec![
            XCell::Text("Referrals with an agreed grade".into()),
            XCell::Number(s.n as f64),
        ],
        vec![
            XCell::Text("Pending".into()),
            XCell::Number(s.pending as f64),
        ],
        vec![
            XCell::Text("Grade 1".into()),
            XCell::Number(s.counts[0] as f64),
        ],
        vec![
            XCell::Text("Grade 2".into()),
            XCell::Number(s.counts[1] as f64),
        ],
        vec![
            XCell::Text("Grade 3".into()),
            XCell::Number(s.counts[2] as f64),
        ],
        vec![
            XCell::Text("Grade 4".into()),
            XCell::Number(s.counts[3] as f64),
        ],
        vec![
            XCell::Text("Mean".into()),
            s.mean
                .map(XCell::Number)
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("Median".into()),
            s.median
                .map(XCell::Number)
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("95% CI low (Student t)".into()),
            s.mean_ci95
                .map(|i| XCell::Number(i.lo))
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("95% CI high (Student t)".into()),
            s.mean_ci95
                .map(|i| XCell::Number(i.hi))
                .unwrap_or(XCell::Text(String::new())),
        ],
        vec![
            XCell::Text("Krippendorff's alpha (ordinal)".into()),
            s.alpha
                .value()
                .map(XCell::Number)
                .unwrap_or(XCell::Text(read_alpha(&s.alpha))),
        ],
    ];
    let num = |x: usize| XCell::Number(x as f64);
    let criteria_rows = figures
        .iter()
        .map(|w| {
            vec![
                XCell::Text(w.code.clone()),
                num(w.counts[0]),
                num(w.counts[1]),
                num(w.counts[2]),
                num(w.counts[3]),
                num(w.scored),
                w.mean
                    .map(XCell::Number)
                    .unwrap_or(XCell::Text(String::new())),
                num(w.weak),
                num(w.not_applicable),
            ]
        })
        .collect();
    let bytes = workbook(&[
        Sheet {
            name: "Grades",
            header: EXPORT_HEADER.to_vec(),
            rows,
        },
        Sheet {
            name: "Summary",
            header: vec!["Figure", "Value"],
            rows: summary_rows,
        },
        Sheet {
            name: "Criteria",
            header: vec![
                "Criterion",
                "Scored 1",
                "Scored 2",
                "Scored 3",
                "Scored 4",
                "Scored (not applicable left out)",
                "Mean score",
                "Weak (1 or 2)",
                "Not applicable",
            ],
            rows: criteria_rows,
        },
    ])?;
    audit_export(&state, &page.user, id, "XLSX").await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"quality-review-{id}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
