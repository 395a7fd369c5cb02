//! The home page: what this user can do, by role.

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::view::{html, tasks_for, Chrome, Task, SECTIONS};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use mashboard_domain::access::Capability;
use mashboard_domain::reminders::{digest_for, sections, Digest, SectionKind};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::training::{plans::DUE_SOON_DAYS, today};

/// Something waiting for the reader: how many, what, and where to deal with it.
pub struct Waiting {
    pub text: String,
    pub href: &'static str,
}

/// A section of the navigation with the tasks the reader may open in it.
pub struct SectionTasks {
    pub label: &'static str,
    pub href: &'static str,
    pub tasks: Vec<Task>,
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    chrome: Chrome,
    waiting: Vec<Waiting>,
    sections: Vec<SectionTasks>,
    people_count: Option<i64>,
    /// The user's own reminder digest: what the daily e-mail says, for everyone, e-mail or not.
    reminders: Vec<ReminderSection>,
}

/// A section of the user's digest, with its link when the user may open that page.
struct ReminderSection {
    heading: String,
    lines: Vec<String>,
    link: Option<(&'static str, &'static str)>,
}

/// "1 review" or "3 reviews".
fn count_of(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn capability_for(kind: SectionKind) -> Capability {
    match kind {
        SectionKind::Own => Capability::OwnTraining,
        SectionKind::Team | SectionKind::Force => Capability::TrainingRecords,
        SectionKind::SignOffs => Capability::SignOff,
        SectionKind::Cpd => Capability::CpdReview,
    }
}

/// The session key that remembers which sign-in has already landed on the dashboard.
const LANDED: &str = "impact_landed_at";

/// A senior leader's first page after signing in is the impact dashboard: the visit to `/` that
/// the sign-in page sends them to (its `Referer` is the sign-in page; the service sends
/// same-origin referrers) takes them there, once per sign-in; later visits (the Home link) show
/// this page. Without a referrer (a privacy setting) they simply see this page.
async fn lands_on_impact(
    u: &CurrentUser,
    session: &tower_sessions::Session,
    headers: &axum::http::HeaderMap,
) -> bool {
    let from_sign_in = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .is_some_and(|path| path == "/login" || path.starts_with("/login?"));
    if !(from_sign_in
        && u.roles
            .contains(&mashboard_domain::roles::Role::SeniorLeader)
        && u.can(Capability::Impact))
    {
        return false;
    }
    let signed_in_at: Option<i64> = session
        .get(crate::auth::SESSION_AUTH_AT)
        .await
        .ok()
        .flatten();
    let landed: Option<i64> = session.get(LANDED).await.ok().flatten();
    if signed_in_at.is_none() || landed == signed_in_at {
        return false;
    }
    session.insert(LANDED, signed_in_at).await.is_ok()
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::SignedIn>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let u = &page.user;
    if lands_on_impact(u, &page.session, &headers).await {
        return Ok(Redirect::to("/impact").into_response());
    }
    let by_section = SECTIONS
        .iter()
        .map(|s| SectionTasks {
            label: s.label,
            href: s.href,
            tasks: tasks_for(u, s),
        })
        .filter(|s| !s.tasks.is_empty())
        .collect();
    let people_count = if u.can(Capability::PeopleBrowse)
        && u.people_scope() == mashboard_domain::access::PeopleScope::All
    {
        Some(mashboard_store::people::count(&state.store).await?)
    } else {
        None
    };
    let notices = crate::matrix::notice_count(&state, u).await?;
    let digest = match u.person_id {
        Some(person_id) => {
            let inputs =
                mashboard_store::reminders::gather_for(&state.store, today(), person_id).await?;
            digest_for(&inputs, person_id)
        }
        None => None,
    };
    let waiting = waiting_for(&state, u, digest.as_ref(), notices).await?;
    let reminders: Vec<ReminderSection> = digest
        .as_ref()
        .map(|d| sections(d, DUE_SOON_DAYS))
        .unwrap_or_default()
        .into_iter()
        .map(|s| ReminderSection {
            link: u
                .can(capability_for(s.kind))
                .then(|| (s.kind.path(), s.kind.link_text())),
            heading: s.heading,
            lines: s.lines,
        })
        .collect();
    // The digest names the user's own people when it lists their training, sign-offs or CPD.
    if let Some(d) =
        digest.filter(|d| !(d.team.is_empty() && d.sign_offs.is_empty() && d.cpd.is_empty()))
    {
        audit_trail::record(
            &state.store,
            &u.actor(),
            Event::new(
                "reminders.home_view",
                format!(
                    "Viewed their reminders on the home page: {}",
                    d.counts().describe()
                ),
            ),
        )
        .await?;
    }
    html(&HomePage {
        chrome: Chrome::new(&state, "Home", Some(u), &page.csrf, "/"),
        waiting,
        sections: by_section,
        people_count,
        reminders,
    })
}

/// What waits for this reader, by role, with counts; only what is not zero.
async fn waiting_for(
    state: &AppState,
    u: &CurrentUser,
    digest: Option<&Digest>,
    notices: usize,
) -> Result<Vec<Waiting>, AppError> {
    use mashboard_store::waiting;
    let store = &state.store;
    let mut out = Vec::new();
    let mut add = |count: i64, text: String, href: &'static str| {
        if count > 0 {
            out.push(Waiting { text, href });
        }
    };
    if u.can(Capability::QualityReviews) {
        let n = waiting::reviews_to_grade(store, u.id).await?;
        add(
            n,
            format!(
                "{} to grade",
                count_of(n, "referral quality review", "referral quality reviews")
            ),
            "/quality/reviews",
        );
    }
    if let Some(d) = digest {
        if u.can(Capability::SignOff) {
            let n = d.sign_offs.len() as i64;
            add(
                n,
                format!(
                    "{} waiting for your sign-off",
                    count_of(n, "training record", "training records")
                ),
                "/sign-offs",
            );
        }
        if u.can(Capability::CpdReview) {
            let n = d.cpd.len() as i64;
            add(
                n,
                format!("{} to verify", count_of(n, "CPD entry", "CPD entries")),
                "/cpd/review",
            );
        }
        if u.can(Capability::OwnTraining) {
            let n = d.own.len() as i64;
            add(
                n,
                format!(
                    "{} of your own due soon or out of date",
                    count_of(n, "training item", "training items")
                ),
                "/my/training",
            );
        }
    }
    if u.can(Capability::TrainingRecords) {
        let n = notices as i64;
        add(
            n,
            format!(
                "{} due soon or out of date among the people you look after",
                count_of(n, "training item", "training items")
            ),
            "/training/reminders",
        );
    }
    if u.can(Capability::ComplianceAudits) {
        let n = waiting::findings_to_record(store, u.id).await?;
        add(
            n,
            format!(
                "{} in your compliance audits without a finding",
                count_of(n, "sampled incident", "sampled incidents")
            ),
            "/compliance/audits",
        );
    }
    if u.can(Capability::MissingReferrals) {
        let n = waiting::missing_referrals_open(store).await?;
        add(
            n,
            format!(
                "{} open on the missing-referral queue",
                count_of(n, "incident", "incidents")
            ),
            "/register/missing",
        );
    }
    if let (true, Some(person_id)) = (u.can(Capability::SessionsBrowse), u.person_id) {
        let n = waiting::sessions_to_lead(store, person_id).await?;
        add(
            n,
            format!(
                "{} to come that you are training on",
                count_of(n, "session", "sessions")
            ),
            "/sessions",
        );
    }
    Ok(out)
}
