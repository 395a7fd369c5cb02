//! Session feedback and the delivery reports.
//!
//! After a session, each person recorded as attending (fully or partly) gives one short
//! feedback form. Trainers and senior leaders see the results per session, per module and per
//! trainer (n, means and the distribution of each rating), and the learning gain of every
//! knowledge check set before and after sessions (with n), as pages and CSV.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::export::csv_safe;
use crate::form::{path_id, raw_field};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::checks::{format_gain, format_mean, Gain};
use mashboard_domain::feedback::{self as rules, FeedbackSummary, Ratings, RATINGS};
use mashboard_store::learning::checks::{self, GainRow};
use mashboard_store::learning::feedback::{self, FeedbackRow, NewFeedback, SessionInfo};
use std::collections::BTreeMap;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{DeliveryReports, OwnTraining};
    t.get("/sessions/{id}/feedback", P(OwnTraining), get(form))
        .post("/sessions/{id}/feedback", P(OwnTraining), post(submit))
        .get(
            "/sessions/{id}/feedback/results",
            P(DeliveryReports),
            get(session_results),
        )
        .get("/delivery/reports", P(DeliveryReports), get(reports))
        .get(
            "/delivery/reports/feedback.csv",
            P(DeliveryReports),
            get(feedback_csv),
        )
        .get(
            "/delivery/reports/learning-gain.csv",
            P(DeliveryReports),
            get(gain_csv),
        )
}

fn day(instant: &str) -> &str {
    instant.get(0..10).unwrap_or(instant)
}

// ---------------------------------------------------------------------------------------------
// The feedback form

#[derive(Template)]
#[template(path = "learning/feedback_form.html")]
struct FormPage {
    chrome: Chrome,
    session: SessionInfo,
    form: FormState,
    /// Why the form is not offered, if it is not.
    refusal: String,
    submitted_at: Option<String>,
    thanks: bool,
    questions: Vec<(&'static str, &'static str)>,
    scale: Vec<i64>,
}

impl FormPage {
    fn checked(&self, name: &&str, v: &i64) -> bool {
        self.form.value(name) == v.to_string()
    }
    fn day(&self) -> &str {
        day(&self.session.starts_at)
    }
}

async fn render_form(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    session: SessionInfo,
    form: FormState,
    thanks: bool,
) -> Result<Response, AppError> {
    let (refusal, submitted_at) = match user.person_id {
        None => ("Your account is not linked to a person in the directory, so you cannot give feedback here. Ask an administrator to link your account to your staff number.".to_string(), None),
        Some(p) => {
            let status = feedback::attendance_of(&state.store, session.id, p).await?;
            let at = feedback::submitted_at(&state.store, session.id, p).await?;
            if !feedback::may_give_feedback(status.as_deref()) {
                ("Feedback is for people recorded as attending this session. If you were there, ask the trainer to mark your attendance first.".to_string(), at)
            } else {
                (String::new(), at)
            }
        }
    };
    let errors = form.has_errors();
    html(&FormPage {
        chrome: Chrome::new(
            state,
            format!("Feedback: {}", session.name()),
            Some(user),
            csrf,
            "/my/training",
        )
        .with_errors(errors),
        session,
        form,
        refusal,
        submitted_at,
        thanks,
        questions: RATINGS.to_vec(),
        scale: (1..=5).collect(),
    })
}

pub async fn form(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let session = feedback::session(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let thanks = raw.as_deref().is_some_and(|r| r.contains("thanks"));
    render_form(
        &state,
        &page.user,
        &page.csrf,
        session,
        FormState::default(),
        thanks,
    )
    .await
}

fn read_form(pairs: &[(String, String)]) -> Result<(Ratings, String, String), FormState> {
    let mut form = FormState::default();
    let mut values = [0i64; 4];
    for (i, (name, label)) in RATINGS.iter().enumerate() {
        let raw = raw_field(pairs, name);
        form.set(name, raw.trim());
        match rules::parse_rating(label, &raw) {
            Ok(v) => values[i] = v,
            Err(m) => form.add_error(name, m),
        }
    }
    form.set("went_well", raw_field(pairs, "went_well").trim());
    form.set("improve", raw_field(pairs, "improve").trim());
    let went_well = rules::check_comment("What went well", form.value("went_well"));
    let improve = rules::check_comment("What could be better", form.value("improve"));
    if let Err(m) = &went_well {
        form.add_error("went_well", m.clone());
    }
    if let Err(m) = &improve {
        form.add_error("improve", m.clone());
    }
    match (went_well, improve) {
        (Ok(w), Ok(i)) if !form.has_errors() => Ok((
            Ratings {
                overall: values[0],
                relevance: values[1],
                delivery: values[2],
                confidence: values[3],
            },
            w,
            i,
        )),
        _ => Err(form),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page<cap::OwnTraining>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let session = feedback::session(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory, so you cannot give feedback here.".into(),
        ));
    };
    let (ratings, went_well, improve) = match read_form(&pairs) {
        Ok(v) => v,
        Err(form) => {
            return render_form(&state, &page.user, &page.csrf, session, form, false).await
        }
    };
    feedback::submit(
        &state.store,
        &page.user.actor(),
        &NewFeedback {
            session_id: session.id,
            person_id,
            ratings,
            went_well,
            improve,
            submitted_at: None,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/sessions/{}/feedback?thanks=1", session.id)).into_response())
}

// ---------------------------------------------------------------------------------------------
// Summaries

/// One group's feedback as the tables show it.
pub(crate) struct GroupView {
    pub label: String,
    pub detail: String,
    pub link: String,
    pub n: usize,
    pub attendees: Option<i64>,
    pub means: Vec<String>,
    pub distributions: Vec<String>,
}

fn group_view(label: String, detail: String, link: String, s: &FeedbackSummary) -> GroupView {
    GroupView {
        label,
        detail,
        link,
        n: s.n,
        attendees: None,
        means: s.ratings.iter().map(|r| r.mean_text()).collect(),
        distributions: s.ratings.iter().map(|r| r.distribution_text()).collect(),
    }
}

pub(crate) struct GainView {
    pub check: String,
    pub session: String,
    pub session_id: Option<i64>,
    pub n: usize,
    pub pre: String,
    pub post: String,
    pub gain: String,
    pub pre_only: usize,
    pub post_only: usize,
}

fn gain_view(r: &GainRow) -> GainView {
    let g: &Gain = &r.gain;
    GainView {
        check: r.check_title.clone(),
        session: if r.session_title.is_empty() {
            String::new()
        } else {
            format!("{} ({})", r.session_title, day(&r.session_starts_at))
        },
        session_id: r.session_id,
        n: g.n_paired,
        pre: format_mean(g.mean_pre),
        post: format_mean(g.mean_post),
        gain: format_gain(g.mean_gain),
        pre_only: g.pre_only,
        post_only: g.post_only,
    }
}

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

const SHORT_LABELS: [&str; 4] = ["Overall", "Relevance", "Delivery", "Confidence"];

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

#[derive(Template)]
#[template(path = "learning/delivery_reports_session.html")]
struct SessionResultsPage {
    chrome: Chrome,
    session: SessionInfo,
    labels: Vec<&'static str>,
    summary: Vec<GroupView>,
    n: usize,
    attendees: i64,
    comments: Vec<(String, String)>,
    gains: Vec<GainView>,
}

pub async fn session_results(
    State(state): State<AppState>,
    page: Page<cap::DeliveryReports>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let session = feedback::session(&state.store, path_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = feedback::rows_for_session(&state.store, session.id).await?;
    let s = rules::summarise_all(&rows.iter().map(|r| r.ratings()).collect::<Vec<_>>());
    let mut summary = group_view(session.name().to_string(), String::new(), String::new(), &s);
    let attendees = feedback::attendees(&state.store, session.id).await?;
    summary.attendees = Some(attendees);
    let (_, per_session) = checks::gains(&state.store).await?;
    html(&SessionResultsPage {
        chrome: Chrome::new(
            &state,
            format!("Feedback on {}", session.name()),
            Some(&page.user),
            &page.csrf,
            "/delivery/reports",
        ),
        labels: SHORT_LABELS.to_vec(),
        n: summary.n,
        attendees,
        summary: vec![summary],
        comments: rows
            .iter()
            .filter(|r| !r.went_well.is_empty() || !r.improve.is_empty())
            .map(|r| (r.went_well.clone(), r.improve.clone()))
            .collect(),
        gains: per_session
            .iter()
            .filter(|g| g.session_id == Some(session.id))
            .map(gain_view)
            .collect(),
        session,
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
