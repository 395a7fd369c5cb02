//! The CPD log: a person logs what they did and learned; their named line manager verifies it
//! or returns it with a comment; the trainer sees totals per team and year and counts an entry
//! against a programme module. The store enforces who may review; these pages read forms, check
//! them, and show the store's refusals as GOV.UK errors.

use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::form::{path_id, raw_field};
use crate::routes::{Access, Table};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::people::{format_date_long, parse_date};
use mashboard_domain::training::{format_minutes, parse_hours, CpdKind};
use mashboard_store::audit::{self, Event};
use mashboard_store::training::catalogue::{self, Module};
use mashboard_store::training::cpd::{self, CpdEntry, NewCpd, TeamTotal, YearTotal};
use mashboard_store::training::{reports, today};
use mashboard_store::StoreError;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{CpdReview, OwnTraining, TrainingManage};
    t.get("/my/cpd", P(OwnTraining), get(mine))
        .post("/my/cpd", P(OwnTraining), post(log))
        .get("/cpd/review", P(CpdReview), get(queue))
        .post("/cpd/{id}/review", P(CpdReview), post(review))
        .get("/training/cpd", P(TrainingManage), get(trainer))
        .post("/cpd/{id}/map", P(TrainingManage), post(map))
}

const MAX_TOPIC: usize = 200;
const MAX_LEARNING: usize = 5000;
const MAX_URL: usize = 500;
const MAX_COMMENT: usize = 2000;
const TRAINER_LIST: i64 = 100;

/// The words for a stored CPD status.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "Awaiting verification",
        "verified" => "Verified",
        "returned" => "Returned",
        _ => "Unknown",
    }
}

/// The GOV.UK tag colour for a stored CPD status (the words are always shown too).
pub fn status_class(status: &str) -> &'static str {
    match status {
        "submitted" => "govuk-tag--blue",
        "verified" => "govuk-tag--green",
        "returned" => "govuk-tag--orange",
        _ => "govuk-tag--grey",
    }
}

/// A CPD entry as the pages show it.
pub(crate) struct EntryView {
    pub id: i64,
    pub person_name: String,
    pub staff_number: String,
    pub topic: String,
    pub done_on: String,
    pub time: String,
    pub kind: String,
    pub learning: String,
    pub evidence_url: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub review_comment: String,
    pub reviewed_by: String,
    pub counts_for_module_id: Option<i64>,
    pub counts_for_module: String,
}

impl EntryView {
    fn counts_for(&self, module_id: impl std::borrow::Borrow<i64>) -> bool {
        self.counts_for_module_id == Some(*module_id.borrow())
    }
}

impl From<CpdEntry> for EntryView {
    fn from(e: CpdEntry) -> Self {
        EntryView {
            id: e.id,
            done_on: parse_date(&e.done_on)
                .map(format_date_long)
                .unwrap_or_else(|_| e.done_on.clone()),
            time: format_minutes(u32::try_from(e.minutes).unwrap_or(0)),
            kind: e
                .kind
                .parse::<CpdKind>()
                .map(|k| k.label().to_string())
                .unwrap_or_else(|_| e.kind.clone()),
            status_label: status_label(&e.status),
            status_class: status_class(&e.status),
            person_name: e.person_name,
            staff_number: e.staff_number,
            topic: e.topic,
            learning: e.learning,
            evidence_url: e.evidence_url,
            review_comment: e.review_comment,
            reviewed_by: e.reviewed_by.unwrap_or_default(),
            counts_for_module_id: e.counts_for_module_id,
            counts_for_module: e.counts_for_module.unwrap_or_default(),
        }
    }
}

/// Hours per year as the pages show them.
pub(crate) struct YearView {
    pub year: String,
    pub verified: String,
    pub submitted: String,
    pub entries: i64,
}

impl From<YearTotal> for YearView {
    fn from(t: YearTotal) -> Self {
        let time = |m: i64| match u32::try_from(m) {
            Ok(m) if m > 0 => format_minutes(m),
            _ => "None".to_string(),
        };
        YearView {
            year: t.year,
            verified: time(t.verified_minutes),
            submitted: time(t.submitted_minutes),
            entries: t.entries,
        }
    }
}

fn query_has(raw: Option<&str>, key: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = raw
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

// ---------------------------------------------------------------------------------------------
// My CPD

#[derive(Template)]
#[template(path = "cpd/cpd_mine.html")]
struct MinePage {
    chrome: Chrome,
    linked: bool,
    entries: Vec<EntryView>,
    totals: Vec<YearView>,
    form: FormState,
    kinds: Vec<CpdKind>,
    saved: bool,
}

impl MinePage {
    fn kind_checked(&self, k: &CpdKind) -> bool {
        self.form.value("kind") == k.as_str()
    }
}

async fn render_mine(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    form: FormState,
    saved: bool,
) -> Result<Response, AppError> {
    let (entries, totals) = match user.person_id {
        Some(id) => (
            cpd::of_person(&state.store, id)
                .await?
                .into_iter()
                .map(EntryView::from)
                .collect(),
            cpd::totals_of(&state.store, id)
                .await?
                .into_iter()
                .map(YearView::from)
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let has_errors = form.has_errors();
    html(&MinePage {
        chrome: Chrome::new(state, "Your CPD", Some(user), csrf, "/my/cpd").with_errors(has_errors),
        linked: user.person_id.is_some(),
        entries,
        totals,
        form,
        kinds: CpdKind::ALL.to_vec(),
        saved,
    })
}

pub async fn mine(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let saved = query_has(raw.as_deref(), "saved").is_some();
    render_mine(&state, &page.user, &page.csrf, FormState::default(), saved).await
}

/// Checks the "Log CPD" form: the entry to store, or the form with its errors.
fn read_cpd(
    pairs: &[(String, String)],
    person_id: i64,
    today: time::Date,
) -> Result<NewCpd, FormState> {
    let mut form = FormState::default();
    let names = [
        "topic",
        "done_on",
        "time_spent",
        "kind",
        "learning",
        "evidence_url",
    ];
    for n in names {
        form.set(n, raw_field(pairs, n).trim());
    }
    let topic = form.value("topic").to_string();
    if topic.is_empty() {
        form.add_error("topic", "Enter the topic of the CPD");
    } else if topic.chars().count() > MAX_TOPIC {
        form.add_error(
            "topic",
            format!("The topic must be {MAX_TOPIC} characters or fewer"),
        );
    }
    let done_on = match form.value("done_on") {
        "" => {
            form.add_error("done_on", "Enter the date you did the CPD");
            None
        }
        raw => match parse_date(raw) {
            Err(m) => {
                form.add_error("done_on", m);
                None
            }
            Ok(d) if d > today => {
                form.add_error("done_on", "The date must be today or in the past");
                None
            }
            Ok(d) => Some(d),
        },
    };
    let minutes = match parse_hours(form.value("time_spent")) {
        Ok(m) => Some(m),
        Err(m) => {
            form.add_error("time_spent", m);
            None
        }
    };
    let kind = match form.value("kind") {
        "" => {
            form.add_error("kind", "Select the kind of CPD");
            None
        }
        raw => match raw.parse::<CpdKind>() {
            Ok(k) => Some(k),
            Err(_) => {
                form.add_error("kind", "Select the kind of CPD from the list");
                None
            }
        },
    };
    let learning = form.value("learning").to_string();
    if learning.is_empty() {
        form.add_error("learning", "Enter what you learned");
    } else if learning.chars().count() > MAX_LEARNING {
        form.add_error(
            "learning",
            format!("What you learned must be {MAX_LEARNING} characters or fewer"),
        );
    }
    let url = form.value("evidence_url").to_string();
    if !url.is_empty() {
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.chars().any(char::is_whitespace)
            || url.len() < 10
        {
            form.add_error(
                "evidence_url",
                "Enter the evidence link as a web address starting with https://, or leave it blank",
            );
        } else if url.len() > MAX_URL {
            form.add_error(
                "evidence_url",
                format!("The evidence link must be {MAX_URL} characters or fewer"),
            );
        }
    }
    match (done_on, minutes, kind) {
        (Some(d), Some(m), Some(k)) if !form.has_errors() => Ok(NewCpd {
            person_id,
            topic,
            done_on: format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
            minutes: i64::from(m),
            kind: k.as_str().to_string(),
            learning,
            evidence_url: url,
        }),
        _ => Err(form),
    }
}

pub async fn log(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let Some(person_id) = page.user.person_id else {
        // The page explains this instead of showing the form.
        return render_mine(&state, &page.user, &page.csrf, FormState::default(), false).await;
    };
    let entry = match read_cpd(&pairs, person_id, today()) {
        Ok(e) => e,
        Err(form) => return render_mine(&state, &page.user, &page.csrf, form, false).await,
    };
    match cpd::log(&state.store, &page.user.actor(), &entry).await {
        Ok(_) => Ok(Redirect::to("/my/cpd?saved=1").into_response()),
        Err(StoreError::Invalid(m)) => {
            let mut form = FormState::default();
            for (k, v) in &pairs {
                if k != "csrf_token" {
                    form.set(k, v.trim());
                }
            }
            form.add_error("topic", m);
            render_mine(&state, &page.user, &page.csrf, form, false).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The line manager's queue

#[derive(Template)]
#[template(path = "cpd/cpd_review.html")]
struct QueuePage {
    chrome: Chrome,
    linked: bool,
    entries: Vec<EntryView>,
    /// The entry whose form came back with errors, and its form.
    failed: Option<i64>,
    form: FormState,
    done: Option<&'static str>,
}

impl QueuePage {
    fn error(&self, id: &i64, name: &str) -> Option<&str> {
        if self.failed == Some(*id) {
            self.form.error(&format!("{name}-{id}"))
        } else {
            None
        }
    }
    fn value(&self, id: &i64, name: &str) -> &str {
        if self.failed == Some(*id) {
            self.form.value(&format!("{name}-{id}"))
        } else {
            ""
        }
    }
}

async fn render_queue(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    failed: Option<i64>,
    form: FormState,
    done: Option<&'static str>,
) -> Result<Response, AppError> {
    let entries: Vec<EntryView> = match user.person_id {
        Some(id) => cpd::review_queue(&state.store, id)
            .await?
            .into_iter()
            .map(EntryView::from)
            .collect(),
        None => Vec::new(),
    };
    audit::record(
        &state.store,
        &user.actor(),
        Event::new(
            "cpd.queue_view",
            format!("Viewed the CPD review queue ({} entries)", entries.len()),
        ),
    )
    .await?;
    let has_errors = form.has_errors();
    html(&QueuePage {
        chrome: Chrome::new(state, "CPD to verify", Some(user), csrf, "/cpd/review")
            .with_errors(has_errors),
        linked: user.person_id.is_some(),
        entries,
        failed,
        form,
        done,
    })
}

pub async fn queue(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::CpdReview>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let done = match query_has(raw.as_deref(), "done").as_deref() {
        Some("verified") => Some("The CPD has been verified."),
        Some("returned") => Some("The CPD has been returned with your comment."),
        _ => None,
    };
    render_queue(
        &state,
        &page.user,
        &page.csrf,
        None,
        FormState::default(),
        done,
    )
    .await
}

pub async fn review(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::CpdReview>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    let decision = raw_field(&pairs, "decision");
    let comment = raw_field(&pairs, "comment").trim().to_string();
    let (dkey, ckey) = (format!("decision-{id}"), format!("comment-{id}"));
    let mut form = FormState::default();
    form.set(&dkey, decision.as_str());
    form.set(&ckey, comment.as_str());
    let verify = match decision.as_str() {
        "verify" => Some(true),
        "return" => Some(false),
        _ => {
            form.add_error(&dkey, "Select whether to verify or return this CPD");
            None
        }
    };
    if verify == Some(false) && comment.is_empty() {
        form.add_error(
            &ckey,
            "Enter a comment saying why you are returning this CPD, so they can put it right",
        );
    }
    if comment.chars().count() > MAX_COMMENT {
        form.add_error(
            &ckey,
            format!("The comment must be {MAX_COMMENT} characters or fewer"),
        );
    }
    let Some(verify) = verify.filter(|_| !form.has_errors()) else {
        return render_queue(&state, &page.user, &page.csrf, Some(id), form, None).await;
    };
    match cpd::review(
        &state.store,
        &page.user.actor(),
        page.user.person_id,
        id,
        verify,
        &comment,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(if verify {
            "/cpd/review?done=verified"
        } else {
            "/cpd/review?done=returned"
        })
        .into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            // Refused (not their person's CPD, or already reviewed): say so at the top.
            let mut form = FormState::default();
            form.add_error("queue", m);
            render_queue(&state, &page.user, &page.csrf, None, form, None).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The trainer's view

pub(crate) struct TeamView {
    pub year: String,
    pub department: String,
    pub team: String,
    pub people: i64,
    pub verified: String,
}

impl From<TeamTotal> for TeamView {
    fn from(t: TeamTotal) -> Self {
        TeamView {
            year: t.year,
            department: t
                .department
                .unwrap_or_else(|| "No department recorded".into()),
            team: t.team.unwrap_or_default(),
            people: t.people,
            verified: format_minutes(u32::try_from(t.verified_minutes).unwrap_or(0)),
        }
    }
}

#[derive(Template)]
#[template(path = "cpd/cpd_trainer.html")]
struct TrainerPage {
    chrome: Chrome,
    teams: Vec<TeamView>,
    entries: Vec<EntryView>,
    modules: Vec<Module>,
    show_all: bool,
    saved: bool,
}

pub async fn trainer(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingManage>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let show_all = query_has(raw.as_deref(), "show").as_deref() == Some("all");
    let saved = query_has(raw.as_deref(), "saved").is_some();
    let teams: Vec<TeamView> = cpd::team_totals(&state.store)
        .await?
        .into_iter()
        .map(TeamView::from)
        .collect();
    let entries: Vec<EntryView> = reports::recent_cpd(&state.store, !show_all, TRAINER_LIST)
        .await?
        .into_iter()
        .map(EntryView::from)
        .collect();
    let modules = catalogue::modules(&state.store, false)
        .await?
        .into_iter()
        .filter(|m| !m.cpd_topic)
        .collect();
    audit::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "cpd.team_view",
            format!(
                "Viewed CPD totals by team and {} CPD entries",
                entries.len()
            ),
        ),
    )
    .await?;
    html(&TrainerPage {
        chrome: Chrome::new(
            &state,
            "CPD by team",
            Some(&page.user),
            &page.csrf,
            "/training/cpd",
        ),
        teams,
        entries,
        modules,
        show_all,
        saved,
    })
}

pub async fn map(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingManage>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = path_id(&id)?;
    cpd::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let raw = raw_field(&pairs, "module_id");
    let module_id = match raw.trim() {
        "" => None,
        v => {
            let mid: i64 = v.parse().map_err(|_| {
                AppError::BadRequest("Choose a module from the list, then save.".into())
            })?;
            catalogue::module(&state.store, mid).await?.ok_or_else(|| {
                AppError::BadRequest(
                    "That module is not in the catalogue. Go back and choose one from the list."
                        .into(),
                )
            })?;
            Some(mid)
        }
    };
    cpd::map_to_module(&state.store, &page.user.actor(), id, module_id).await?;
    Ok(Redirect::to("/training/cpd?saved=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_good_entry_is_read() {
        let e = read_cpd(
            &pairs(&[
                ("topic", " Stalking "),
                ("done_on", "01/03/2024"),
                ("time_spent", "1:30"),
                ("kind", "course"),
                ("learning", "Risk factors"),
                ("evidence_url", "https://example.org/cert"),
            ]),
            7,
            date!(2025 - 01 - 01),
        )
        .unwrap();
        assert_eq!(e.topic, "Stalking");
        assert_eq!(e.done_on, "2024-03-01");
        assert_eq!(e.minutes, 90);
        assert_eq!(e.kind, "course");
        assert_eq!(e.person_id, 7);
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let form = read_cpd(
            &pairs(&[
                ("done_on", "2030-01-01"),
                ("time_spent", "lots"),
                ("evidence_url", "javascript:alert(1)"),
            ]),
            7,
            date!(2025 - 01 - 01),
        )
        .unwrap_err();
        let fields: Vec<&str> = form.errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "topic",
                "done_on",
                "time_spent",
                "kind",
                "learning",
                "evidence_url"
            ]
        );
        assert_eq!(form.value("time_spent"), "lots");
    }

    #[test]
    fn statuses_have_words_and_colours() {
        assert_eq!(status_label("returned"), "Returned");
        assert_eq!(status_class("verified"), "govuk-tag--green");
        assert_eq!(status_label("odd"), "Unknown");
    }
}
