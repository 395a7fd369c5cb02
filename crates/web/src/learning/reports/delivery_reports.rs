//! The delivery reports: GET /delivery/reports (feedback per session, module and trainer, and
//! the learning gain of knowledge checks) and their CSV downloads.

use super::*;

struct Grouped {
    sessions: Vec<GroupView>,
    modules: Vec<GroupView>,
    trainers: Vec<GroupView>,
}

fn group(rows: &[FeedbackRow], trainers: &[(i64, i64, String, bool)]) -> Grouped {
    let mut by_session: BTreeMap<(String, i64), Vec<&FeedbackRow>> = BTreeMap::new();
    let mut by_module: BTreeMap<(String, i64), Vec<&FeedbackRow>> = BTreeMap::new();
    let mut by_trainer: BTreeMap<(String, i64), Vec<&FeedbackRow>> = BTreeMap::new();
    for r in rows {
        by_session
            .entry((r.starts_at.clone(), r.session_id))
            .or_default()
            .push(r);
        by_module
            .entry((r.module_code.clone(), r.module_id))
            .or_default()
            .push(r);
    }
    for (sid, pid, name, _) in trainers {
        for r in rows.iter().filter(|r| r.session_id == *sid) {
            by_trainer.entry((name.clone(), *pid)).or_default().push(r);
        }
    }
    let summary = |v: &[&FeedbackRow]| {
        rules::summarise_all(&v.iter().map(|r| r.ratings()).collect::<Vec<_>>())
    };
    Grouped {
        sessions: by_session
            .iter()
            .rev()
            .map(|((at, sid), v)| {
                group_view(
                    v[0].session_name().to_string(),
                    format!("{} · {}", day(at), v[0].module_code),
                    format!("/sessions/{sid}/feedback/results"),
                    &summary(v),
                )
            })
            .collect(),
        modules: by_module
            .iter()
            .map(|((code, _), v)| {
                let sessions = v
                    .iter()
                    .map(|r| r.session_id)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len();
                group_view(
                    format!("{code}: {}", v[0].module_title),
                    format!("{sessions} session(s)"),
                    String::new(),
                    &summary(v),
                )
            })
            .collect(),
        trainers: by_trainer
            .iter()
            .map(|((name, _), v)| {
                let sessions = v
                    .iter()
                    .map(|r| r.session_id)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len();
                group_view(
                    name.clone(),
                    format!("{sessions} session(s)"),
                    String::new(),
                    &summary(v),
                )
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "learning/delivery_reports.html")]
struct ReportsPage {
    chrome: Chrome,
    labels: Vec<&'static str>,
    sessions: Vec<GroupView>,
    modules: Vec<GroupView>,
    trainers: Vec<GroupView>,
    gain_checks: Vec<GainView>,
    gain_sessions: Vec<GainView>,
    total: usize,
}

pub async fn reports(
    State(state): State<AppState>,
    page: Page<cap::DeliveryReports>,
) -> Result<Response, AppError> {
    let rows = feedback::rows(&state.store).await?;
    let trainers = feedback::trainers(&state.store).await?;
    let g = group(&rows, &trainers);
    let (per_check, per_session) = checks::gains(&state.store).await?;
    html(&ReportsPage {
        chrome: Chrome::new(
            &state,
            "Delivery reports",
            Some(&page.user),
            &page.csrf,
            "/delivery/reports",
        ),
        labels: SHORT_LABELS.to_vec(),
        total: rows.len(),
        sessions: g.sessions,
        modules: g.modules,
        trainers: g.trainers,
        gain_checks: per_check.iter().map(gain_view).collect(),
        gain_sessions: per_session.iter().map(gain_view).collect(),
    })
}

fn csv_response(name: &str, rows: Vec<Vec<String>>) -> Result<Response, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(r.iter().map(|c| csv_safe(c).into_owned()))
            .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub async fn feedback_csv(
    State(state): State<AppState>,
    _page: Page<cap::DeliveryReports>,
) -> Result<Response, AppError> {
    let rows = feedback::rows(&state.store).await?;
    let trainers = feedback::trainers(&state.store).await?;
    let g = group(&rows, &trainers);
    let mut out = vec![{
        let mut h = vec![
            "group".to_string(),
            "name".into(),
            "detail".into(),
            "n".into(),
        ];
        for l in SHORT_LABELS {
            h.push(format!("{} mean", l.to_lowercase()));
            h.push(format!("{} distribution (1-5)", l.to_lowercase()));
        }
        h
    }];
    for (kind, list) in [
        ("session", &g.sessions),
        ("module", &g.modules),
        ("trainer", &g.trainers),
    ] {
        for v in list {
            let mut r = vec![
                kind.to_string(),
                v.label.clone(),
                v.detail.clone(),
                v.n.to_string(),
            ];
            for (m, d) in v.means.iter().zip(&v.distributions) {
                r.push(m.clone());
                r.push(d.clone());
            }
            out.push(r);
        }
    }
    csv_response("session-feedback.csv", out)
}

pub async fn gain_csv(
    State(state): State<AppState>,
    _page: Page<cap::DeliveryReports>,
) -> Result<Response, AppError> {
    let (per_check, per_session) = checks::gains(&state.store).await?;
    let mut out = vec![vec![
        "check".to_string(),
        "session".into(),
        "n paired".into(),
        "mean pre %".into(),
        "mean post %".into(),
        "mean gain (points)".into(),
        "pre only".into(),
        "post only".into(),
    ]];
    for r in per_check.iter().chain(per_session.iter()) {
        let v = gain_view(r);
        let g = &r.gain;
        out.push(vec![
            v.check,
            if v.session.is_empty() {
                "All sessions".into()
            } else {
                v.session
            },
            g.n_paired.to_string(),
            v.pre,
            v.post,
            g.mean_gain.map(|x| format!("{x:.1}")).unwrap_or_default(),
            g.pre_only.to_string(),
            g.post_only.to_string(),
        ]);
    }
    csv_response("learning-gain.csv", out)
}
