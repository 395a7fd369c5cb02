//! The missing-referral queue for MASH staff: incidents that look as if they needed a referral
//! and have none within the window, with the queue's size and age, a form to close each item
//! ("referral now made", "not required, because …", "escalated"), a "Check now" button, and the
//! rules (for the trainer and administrators).

use crate::auth::{cap, CurrentUser, Page};
use crate::error::AppError;
use crate::form::raw_field;
use crate::list_pages::{page_start, PageLinks};
use crate::routes::{Access, Table};
use crate::view::{date_text, local_time_text, path_segment};
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use mashboard_domain::access::Capability;
use mashboard_domain::queue::{rules_label, CloseOutcome, Rule, Rules};
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::keyset::PageStart;
use mashboard_store::queue::{self, QueueItem, QueueStats};
use mashboard_store::StoreError;
use time::OffsetDateTime;

pub(crate) fn routes(t: Table) -> Table {
    use Access::Page as P;
    use Capability::{MissingReferrals, RegisterImport};
    t.get("/register/missing", P(MissingReferrals), get(show))
        .post(
            "/register/missing/refresh",
            P(MissingReferrals),
            post(check_now),
        )
        .post(
            "/register/missing/{id}/close",
            P(MissingReferrals),
            post(close),
        )
        // Changing the rules is for those who run the register: the trainer and administrators.
        .post(
            "/register/missing/rules",
            P(RegisterImport),
            post(save_rules),
        )
}

const PER_PAGE: i64 = 50;
const RECENTLY_CLOSED: i64 = 20;

fn days_text(d: i64) -> String {
    if d == 1 {
        "1 day".into()
    } else {
        format!("{d} days")
    }
}

/// A queue item as the page shows it.
pub(crate) struct ItemView {
    pub id: i64,
    pub incident_ref: String,
    pub reported: String,
    pub rules: String,
    pub category: String,
    pub area: String,
    pub age: String,
    pub queued: String,
    pub referral_ref: Option<String>,
    pub referral_href: String,
    pub outcome: String,
    pub reason: String,
    pub closed_by: String,
    pub closed: String,
}

impl ItemView {
    fn new(i: QueueItem, now: OffsetDateTime) -> ItemView {
        ItemView {
            id: i.id,
            age: days_text(i.age_days(now)),
            reported: local_time_text(&i.reported_at),
            rules: rules_label(&i.rule),
            queued: date_text(i.queued_at.get(..10).unwrap_or(&i.queued_at)),
            referral_href: i
                .referral_ref
                .as_deref()
                .map(|r| format!("/register/referrals/{}/outcomes", path_segment(r)))
                .unwrap_or_default(),
            referral_ref: i.referral_ref,
            outcome: i
                .outcome
                .as_deref()
                .and_then(CloseOutcome::parse)
                .map(|o| o.label().to_string())
                .unwrap_or_default(),
            reason: i.reason,
            closed_by: i.closed_by.unwrap_or_default(),
            closed: i
                .closed_at
                .as_deref()
                .map(|c| date_text(c.get(..10).unwrap_or(c)))
                .unwrap_or_default(),
            incident_ref: i.incident_ref,
            category: i.category,
            area: i.area,
        }
    }
}

/// The queue's figures as the page shows them.
pub(crate) struct StatsView {
    pub open: i64,
    pub oldest: String,
    pub median: String,
    pub closed_total: i64,
    pub closed: Vec<(&'static str, i64)>,
}

impl From<QueueStats> for StatsView {
    fn from(s: QueueStats) -> Self {
        StatsView {
            open: s.open,
            oldest: s
                .oldest_days
                .map(|d| format!("{} since the incident was reported", days_text(d)))
                .unwrap_or_else(|| "–".into()),
            median: match s.median_days {
                None => "–".into(),
                Some(m) if m.fract() == 0.0 => days_text(m as i64),
                Some(m) => format!("{m:.1} days"),
            },
            closed_total: s.closed_last_30_days_total(),
            closed: s
                .closed_last_30_days
                .iter()
                .map(|(o, n)| (o.label(), *n))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "queue/queue_page.html")]
struct QueuePage {
    chrome: Chrome,
    rules_text: String,
    rules: Rules,
    all_rules: Vec<Rule>,
    can_edit_rules: bool,
    stats: StatsView,
    items: Vec<ItemView>,
    closed: Vec<ItemView>,
    links: PageLinks,
    outcomes: Vec<CloseOutcome>,
    /// The item whose close form came back with errors, and its form.
    failed: Option<i64>,
    form: FormState,
    done: Option<String>,
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
    fn open_details(&self, id: &i64) -> bool {
        self.failed == Some(*id)
    }
    fn rule_on(&self, r: &Rule) -> bool {
        if self.form.error("window_hours").is_some() || self.form.error("rules").is_some() {
            self.form
                .values
                .iter()
                .any(|(k, v)| k == "rule" && v == r.as_str())
        } else {
            self.rules.is_on(*r)
        }
    }
    fn window_value(&self) -> String {
        if self.form.error("window_hours").is_some() || self.form.error("rules").is_some() {
            self.form.value("window_hours").to_string()
        } else {
            self.rules.window_hours.to_string()
        }
    }
}

#[derive(Default)]
struct Extras {
    failed: Option<i64>,
    form: FormState,
    done: Option<String>,
    /// Where the list of open items starts (`after=` or `before=` an incident reference).
    start: PageStart,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    csrf: &str,
    extras: Extras,
) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let rules = queue::rules(&state.store).await?;
    let stats = queue::stats(&state.store, now).await?;
    let shown = queue::open_page(&state.store, &extras.start, PER_PAGE).await?;
    let links = PageLinks::of("/register/missing", "", &shown, |i| i.incident_ref.as_str());
    let first_ref = shown.rows.first().map(|i| i.incident_ref.clone());
    let last_ref = shown.rows.last().map(|i| i.incident_ref.clone());
    let items = shown.rows;
    let closed = queue::closed_since(
        &state.store,
        now - time::Duration::days(30),
        RECENTLY_CLOSED,
    )
    .await?;
    audit_trail::record(
        &state.store,
        &user.actor(),
        Event::new(
            "missing.view",
            format!(
                "Viewed the missing-referral queue ({} of {} open items shown)",
                items.len(),
                stats.open
            ),
        )
        .after(&serde_json::json!({"first": first_ref, "last": last_ref})),
    )
    .await?;
    let has_errors = extras.form.has_errors();
    html(&QueuePage {
        chrome: Chrome::new(
            state,
            "Missing referrals",
            Some(user),
            csrf,
            "/register/missing",
        )
        .with_errors(has_errors),
        rules_text: rules.describe(),
        rules,
        all_rules: Rule::ALL.to_vec(),
        can_edit_rules: user.can(Capability::RegisterImport),
        stats: stats.into(),
        items: items.into_iter().map(|i| ItemView::new(i, now)).collect(),
        closed: closed.into_iter().map(|i| ItemView::new(i, now)).collect(),
        links,
        outcomes: CloseOutcome::ALL.to_vec(),
        failed: extras.failed,
        form: extras.form,
        done: extras.done,
    })
}

fn done_message(pairs: &[(String, String)]) -> Option<String> {
    match raw_field(pairs, "done").as_str() {
        "closed" => Some(format!(
            "Incident {} has been closed on the queue.",
            raw_field(pairs, "incident")
        )),
        "checked" => {
            let added: u64 = raw_field(pairs, "added").parse().unwrap_or(0);
            let cleared: u64 = raw_field(pairs, "cleared").parse().unwrap_or(0);
            let mut m = match added {
                0 => "Checked: no incidents were added to the queue.".to_string(),
                1 => "Checked: 1 incident was added to the queue.".to_string(),
                n => format!("Checked: {n} incidents were added to the queue."),
            };
            if cleared > 0 {
                m.push_str(&format!(
                    " {cleared} closed because a referral made in time is now on the register."
                ));
            }
            Some(m)
        }
        "rules" => Some("The rules have been saved. They apply from the next check.".into()),
        _ => None,
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::MissingReferrals>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let pairs: Vec<(String, String)> = raw
        .as_deref()
        .and_then(|r| serde_urlencoded::from_str(r).ok())
        .unwrap_or_default();
    let extras = Extras {
        done: done_message(&pairs),
        start: page_start(&pairs),
        ..Default::default()
    };
    render(&state, &page.user, &page.csrf, extras).await
}

pub async fn check_now(
    State(state): State<AppState>,
    page: Page<cap::MissingReferrals>,
) -> Result<Response, AppError> {
    let r = queue::refresh_by(&state.store, &page.user.actor(), OffsetDateTime::now_utc()).await?;
    Ok(Redirect::to(&format!(
        "/register/missing?done=checked&added={}&cleared={}",
        r.added, r.closed_in_time
    ))
    .into_response())
}

pub async fn close(
    State(state): State<AppState>,
    page: Page<cap::MissingReferrals>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let item = queue::get(&state.store, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let outcome = raw_field(&pairs, "outcome");
    let reason = raw_field(&pairs, "reason");
    let (okey, rkey) = (format!("outcome-{id}"), format!("reason-{id}"));
    let mut form = FormState::default();
    form.set(&okey, outcome.trim());
    form.set(&rkey, reason.trim());
    if let Err(e) = CloseOutcome::check(&outcome, &reason) {
        {
            use mashboard_domain::queue::CloseError;
            let key = if e == CloseError::NoOutcome {
                &okey
            } else {
                &rkey
            };
            form.add_error(key, e.to_string());
            let extras = Extras {
                failed: Some(id),
                form,
                ..Default::default()
            };
            return render(&state, &page.user, &page.csrf, extras).await;
        }
    }
    match queue::close(&state.store, &page.user.actor(), id, &outcome, &reason).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/register/missing?done=closed&incident={}",
            path_segment(&item.incident_ref)
        ))
        .into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            let mut form = FormState::default();
            form.add_error("queue", m);
            render(
                &state,
                &page.user,
                &page.csrf,
                Extras {
                    form,
                    ..Default::default()
                },
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn save_rules(
    State(state): State<AppState>,
    page: Page<cap::RegisterImport>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let mut form = FormState::default();
    let mut rules = Rules {
        children_involved: false,
        domestic_abuse: false,
        adult_at_risk: false,
        window_hours: 0,
    };
    for (k, v) in &pairs {
        if k == "rule" {
            form.set("rule", v.as_str());
            if let Some(r) = Rule::parse(v) {
                rules.set(r, true);
            }
        }
    }
    let window = raw_field(&pairs, "window_hours");
    form.set("window_hours", window.trim());
    match Rules::parse_window(&window) {
        Ok(h) => rules.window_hours = h,
        Err(m) => form.add_error("window_hours", m),
    }
    if form.has_errors() {
        return render(
            &state,
            &page.user,
            &page.csrf,
            Extras {
                form,
                ..Default::default()
            },
        )
        .await;
    }
    queue::set_rules(&state.store, &page.user.actor(), &rules).await?;
    Ok(Redirect::to("/register/missing?done=rules").into_response())
}
