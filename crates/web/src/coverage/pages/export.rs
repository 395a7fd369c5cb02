//! The coverage report's CSV and XLSX downloads.

use super::*;

// ---------------------------------------------------------------------------------------------
// Exports

pub(super) const PEOPLE_HEADER: [&str; 12] = [
    "Staff number",
    "Name",
    "Department",
    "Team",
    "Cohort",
    "Rank",
    "Role profiles",
    "Transferee",
    "Status",
    "Trained on",
    "How",
    "Booked session starts",
];

pub(super) const GROUP_HEADER: [&str; 7] = [
    "Grouped by",
    "Group",
    "Required",
    "Trained",
    "Booked",
    "Untrained",
    "Percent trained",
];

pub(super) fn text(s: impl Into<String>) -> XCell {
    XCell::Text(s.into())
}

pub(super) fn people_rows(report: &Report) -> Vec<Vec<XCell>> {
    let mut outcomes: Vec<_> = report.coverage.outcomes.iter().collect();
    outcomes.sort_by(|a, b| {
        let (pa, pb) = (&report.people[a.person], &report.people[b.person]);
        (&pa.department, &pa.team, &pa.name).cmp(&(&pb.department, &pb.team, &pb.name))
    });
    outcomes
        .into_iter()
        .map(|o| {
            let p = &report.people[o.person];
            let (status, on, how, booked) = match o.standing {
                Standing::Trained { on, how } => ("Trained", Some(on), how.label(), None),
                Standing::Booked { starts_on, .. } => ("Booked", None, "", Some(starts_on)),
                Standing::Untrained => ("Untrained", None, "", None),
            };
            vec![
                text(&p.staff_number),
                text(&p.name),
                text(p.department.clone().unwrap_or_default()),
                text(p.team.clone().unwrap_or_default()),
                text(p.cohort.clone().unwrap_or_default()),
                text(p.rank.clone().unwrap_or_default()),
                text(o.profiles.join("; ")),
                text(if o.transferee { "Yes" } else { "No" }),
                text(status),
                XCell::Date(on),
                text(how),
                XCell::Date(booked),
            ]
        })
        .collect()
}

pub(super) fn group_rows(report: &Report) -> Vec<Vec<XCell>> {
    let mut rows = vec![vec![
        text("Everyone counted"),
        text(""),
        XCell::Number(report.coverage.total.required as f64),
        XCell::Number(report.coverage.total.trained as f64),
        XCell::Number(report.coverage.total.booked as f64),
        XCell::Number(report.coverage.total.untrained() as f64),
        match report.coverage.total.percent() {
            Some(p) => XCell::Number(f64::from(p)),
            None => text(""),
        },
    ]];
    for d in Dimension::ALL {
        for (name, t) in report.coverage.breakdown(d) {
            rows.push(vec![
                text(d.label()),
                text(name),
                XCell::Number(t.required as f64),
                XCell::Number(t.trained as f64),
                XCell::Number(t.booked as f64),
                XCell::Number(t.untrained() as f64),
                match t.percent() {
                    Some(p) => XCell::Number(f64::from(p)),
                    None => text(""),
                },
            ]);
        }
    }
    rows
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
        out.write_record(r.iter().map(XCell::csv))
            .map_err(csv_err)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

pub(super) async fn export_report(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    raw: Option<&str>,
    what: &str,
) -> Result<(Requirement, Report, bool, Date), AppError> {
    let req = load_requirement(state, id).await?;
    let q = read_query(raw);
    if let Some((_, m)) = q.form.errors.first() {
        return Err(AppError::BadRequest(format!(
            "The date to count as of: {m}"
        )));
    }
    let scope = viewer_scope(&state.store, user).await?;
    let report = store::compute(&state.store, &req, q.as_of, &scope.filter(q.filter)).await?;
    if scope.names {
        store::record_view(
            &state.store,
            &user.actor(),
            &req,
            what,
            report.coverage.outcomes.len(),
        )
        .await?;
    }
    Ok((req, report, scope.names, q.as_of))
}

pub(super) fn file_stem(req: &Requirement, as_of: Date) -> String {
    let code: String = req
        .code
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("coverage-{code}-{}", iso(as_of))
}

pub async fn export_csv(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (req, report, names, as_of) =
        export_report(&state, &page.user, &id, raw.as_deref(), "a CSV export").await?;
    let body = if names {
        csv_bytes(&PEOPLE_HEADER, &people_rows(&report))?
    } else {
        csv_bytes(&GROUP_HEADER, &group_rows(&report))?
    };
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("{}.csv", file_stem(&req, as_of)),
        body,
    ))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    page: Page<cap::CoverageView>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let (req, report, names, as_of) =
        export_report(&state, &page.user, &id, raw.as_deref(), "an Excel export").await?;
    let mut sheets = vec![Sheet {
        name: "Figures",
        header: GROUP_HEADER.to_vec(),
        rows: group_rows(&report),
    }];
    if names {
        sheets.push(Sheet {
            name: "People",
            header: PEOPLE_HEADER.to_vec(),
            rows: people_rows(&report),
        });
    }
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{}.xlsx", file_stem(&req, as_of)),
        workbook(&sheets)?,
    ))
}
