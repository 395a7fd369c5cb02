//! What every page shares: the header, the role navigation, form errors, paging.

use crate::auth::CurrentUser;
use crate::AppState;
use askama::Template;
use mashboard_domain::access::Capability;

pub use crate::list_pages::{page_start, PageLinks};

#[derive(Debug, Clone)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    /// The page is in this section (`aria-current="true"`)…
    pub current: bool,
    /// …or is the section's own page (`aria-current="page"`).
    pub here: bool,
}

/// One link on a section's landing page: the name of the page it leads to (its heading), where
/// it is, who may open it and a line saying what it is for.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    pub label: &'static str,
    pub href: &'static str,
    pub cap: Capability,
    pub text: &'static str,
}

/// A part of the service in the navigation, with its landing page and the pages below it.
///
/// This is data, not imports of capabilities: the paths and headings of the pages, and the
/// capability each needs. `gate` is the capability that guards the landing page; its roles are
/// exactly the roles that may open at least one of the tasks (a test checks this), so a role
/// sees a section in the navigation if and only if it may open its landing page.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    pub label: &'static str,
    pub href: &'static str,
    pub gate: Capability,
    pub intro: &'static str,
    pub tasks: &'static [Task],
}

const fn task(
    label: &'static str,
    href: &'static str,
    cap: Capability,
    text: &'static str,
) -> Task {
    Task {
        label,
        href,
        cap,
        text,
    }
}

/// The sections of the service, in navigation order (after Home).
pub const SECTIONS: [Section; 5] = {
    use Capability::*;
    [
        Section {
            label: "Training",
            href: "/training",
            gate: CatalogueView,
            intro: "Training plans, sign-offs, CPD, the compliance matrix and the module catalogue.",
            tasks: &[
                task("Your training", "/my/training", OwnTraining, "Your training plan, what is due and your completions."),
                task("Your CPD", "/my/cpd", OwnTraining, "Log your continuing professional development and see what was verified."),
                task("Waiting for your sign-off", "/sign-offs", SignOff, "Training records waiting for your signature as mentor or line manager."),
                task("CPD to verify", "/cpd/review", CpdReview, "CPD your team has logged, waiting for you to verify or return it."),
                task("Compliance matrix", "/training/matrix", TrainingRecords, "Who is in date, due, overdue or expired on each required module, with exports."),
                task("Training reminders", "/training/reminders", TrainingRecords, "Training due soon or overdue for the people you look after."),
                task("Training modules", "/training/modules", CatalogueView, "Every module, its version, review date and the guidance it depends on."),
                task("Role profiles", "/training/profiles", TrainingManage, "The programme of modules each MASH role must complete."),
                task("Legislation and guidance", "/training/guidance", TrainingManage, "Record a change in legislation or guidance and see the modules it affects."),
                task("CPD by team", "/training/cpd", TrainingManage, "The CPD logged across the force, by team and topic."),
                task("Import training records", "/training/import", TrainingManage, "Bring completions or CPD in from a spreadsheet."),
            ],
        },
        Section {
            label: "Delivery",
            href: "/delivery",
            gate: ExercisesTake,
            intro: "Training sessions, attachment days, coverage, knowledge checks, partners and exercises.",
            tasks: &[
                task("Training sessions", "/sessions", SessionsBrowse, "Scheduled sessions: book yourself, or run them."),
                task("Session series", "/sessions/series", SessionsBrowse, "Sessions that repeat, such as each intake's input."),
                task("Your team's sessions", "/sessions/team", TeamBooking, "Book the people you line-manage on sessions."),
                task("Trainer delivery hours", "/sessions/trainers", SessionsManage, "The hours each trainer and subject-matter expert delivered."),
                task("MASH attachment days", "/attachment-days", SessionsBrowse, "Attachment days for officers in their second year."),
                task("Book your team on attachment days", "/attachment-days/team", TeamBooking, "Book the people you line-manage who are eligible."),
                task("Coverage", "/coverage", CoverageView, "How much of each group has had the training it must have."),
                task("Knowledge checks", "/training/checks", TrainingManage, "Questions before and after a session, and the learning gain."),
                task("Exercises", "/exercises", ExercisesTake, "Paper-feed exercises and mock strategy meetings."),
                task("Partner organisations", "/partners", PartnersManage, "Partner agencies, their contacts and the training they attend."),
                task("Training from partner agencies", "/partner-training", SessionsBrowse, "Training partner agencies offer the police."),
            ],
        },
        Section {
            label: "Quality",
            href: "/quality",
            gate: SignedIn,
            intro: "Referral quality reviews, incident compliance audits, the register and partner outcomes.",
            tasks: &[
                task("Referral quality reviews", "/quality/reviews", QualityReviews, "Quarterly reviews of sampled referrals, graded by a panel."),
                task("Grading rubric", "/quality/rubric", QualityReviewManage, "The criteria a panel grades referrals against."),
                task("Compliance audits", "/compliance/audits", ComplianceAudits, "Incidents sampled at random: was a referral needed, and was it made?"),
                task("Missing referrals", "/register/missing", MissingReferrals, "Incidents that needed a referral and have none yet."),
                task("Referrals", "/register/referrals", RegisterView, "The referrals sent to partner agencies."),
                task("Incidents", "/register/incidents", RegisterView, "The incidents in the register."),
                task("Import the register", "/register/import", RegisterImport, "Bring incidents, referrals or outcomes in from the records system."),
                task("Partner outcomes", "/register/outcomes", OutcomesRecord, "What partner agencies did with the referrals they received."),
                task("Partner outcome rates", "/register/outcomes/rates", OutcomesRecord, "How often referrals were accepted, rejected or caused further work."),
                task("Feedback on referrals", "/my/feedback", OwnFeedback, "What quality reviews said about referrals you sent."),
            ],
        },
        Section {
            label: "Impact",
            href: "/impact",
            gate: Impact,
            intro: "Whether the training is working: honest charts of the figures, and your own data charted the same way.",
            tasks: &[
                task("Evaluation reports", "/impact/evaluation", EvaluationReports, "Is the training working? Kirkpatrick levels 1 to 4 for a period, published as PDF for the chief officers."),
                task("Chart your own data", "/impact/chart", Impact, "Upload a spreadsheet of periods and see which changes are signals and which are noise."),
                task("Training in date", "/training/summary", TrainingSummary, "The share of people in date on their training, by role profile and department."),
                task("Incident compliance", "/compliance", ComplianceSummary, "The share of incidents needing a referral that had one, year on year."),
                task("Delivery reports", "/delivery/reports", DeliveryReports, "Session feedback, learning gain and trainer results."),
                task("Training exchanged with partners", "/partners/exchange", DeliveryReports, "Training given to and received from partner agencies, by quarter."),
            ],
        },
        Section {
            label: "Administration",
            href: "/admin",
            gate: PeopleBrowse,
            intro: "People, accounts and the audit trail.",
            tasks: &[
                task("People", "/people", PeopleBrowse, "Find people in the directory, see their team, line manager and mentor."),
                task("Import people", "/people/import", PeopleImport, "Bring the directory up to date from an HR export (CSV or Excel)."),
                task("Accounts", "/admin/users", AccountsManage, "Create accounts, change roles, lift lock-outs and issue API tokens."),
                task("Audit trail", "/admin/audit", AuditRead, "See who signed in, viewed or changed what, and export it."),
            ],
        },
    ]
};

/// Pages below a section that are not on its landing page (they are reached from one that is).
const BELOW: [(&str, &str); 2] = [("/completions", "/my/training"), ("/cpd", "/cpd/review")];

/// Whether `path` is `prefix` or below it (`/coverage/3` is below `/coverage`, `/coverages` is
/// not).
fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
}

/// The section a page belongs to, and the task (landing page link) it is or sits below: the
/// task whose path is the longest prefix of the page's path. A landing page is its own
/// section with no task.
pub fn place_of(path: &str) -> Option<(&'static Section, Option<&'static Task>)> {
    let path = path.split('?').next().unwrap_or(path);
    if let Some(s) = SECTIONS.iter().find(|s| s.href == path) {
        return Some((s, None));
    }
    let mut best: Option<(&'static Section, &'static Task)> = None;
    for s in SECTIONS.iter() {
        for t in s.tasks {
            if under(path, t.href) && best.is_none_or(|(_, b)| t.href.len() > b.href.len()) {
                best = Some((s, t));
            }
        }
    }
    if best.is_none() {
        let alias = BELOW.iter().find(|(prefix, _)| under(path, prefix));
        if let Some((_, href)) = alias {
            best = SECTIONS
                .iter()
                .flat_map(|s| s.tasks.iter().map(move |t| (s, t)))
                .find(|(_, t)| t.href == *href);
        }
    }
    match best {
        Some((s, t)) => Some((s, Some(t))),
        None => SECTIONS
            .iter()
            .find(|s| under(path, s.href))
            .map(|s| (s, None)),
    }
}

/// The navigation a user sees: Home and the sections their roles can use, at most six.
pub fn nav_for(user: &CurrentUser, current: &str) -> Vec<NavItem> {
    let path = current.split('?').next().unwrap_or(current);
    let section = place_of(path).map(|(s, _)| s.href);
    let home = NavItem {
        label: "Home",
        href: "/",
        current: path == "/",
        here: path == "/",
    };
    std::iter::once(home)
        .chain(
            SECTIONS
                .iter()
                .filter(|s| user.can(s.gate))
                .map(|s| NavItem {
                    label: s.label,
                    href: s.href,
                    current: section == Some(s.href),
                    here: path == s.href,
                }),
        )
        .collect()
}

/// The tasks of a section this user may open.
pub fn tasks_for(user: &CurrentUser, section: &Section) -> Vec<Task> {
    section
        .tasks
        .iter()
        .filter(|t| user.can(t.cap))
        .copied()
        .collect()
}

/// One step of the breadcrumbs above a page.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub label: String,
    pub href: String,
}

/// The breadcrumbs of a page, from its path and title: Home, its section, and the page on the
/// section's landing page it sits below (unless that is this page). Only links the user may open.
pub fn breadcrumbs_for(user: &CurrentUser, current: &str, title: &str) -> Vec<Crumb> {
    let Some((section, task)) = place_of(current) else {
        return Vec::new();
    };
    let crumb = |label: &str, href: &str| Crumb {
        label: label.to_string(),
        href: href.to_string(),
    };
    let mut out = vec![crumb("Home", "/")];
    if task.is_some() && user.can(section.gate) {
        out.push(crumb(section.label, section.href));
    }
    if let Some(t) = task {
        if t.label != title && user.can(t.cap) {
            out.push(crumb(t.label, t.href));
        }
    }
    out
}

/// The frame around every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub user: Option<CurrentUser>,
    pub nav: Vec<NavItem>,
    /// Links to the pages above this one (Home, section, page); empty on Home and on pages in
    /// no section. `base.html` shows them above the content unless the template puts a back
    /// link there instead.
    pub breadcrumbs: Vec<Crumb>,
    pub csrf: String,
    pub force_name: String,
    pub demo: bool,
    pub has_errors: bool,
    pub stylesheet: &'static str,
    pub script: &'static str,
    pub favicon: &'static str,
}

impl Chrome {
    pub fn new(
        state: &AppState,
        title: impl Into<String>,
        user: Option<&CurrentUser>,
        csrf: &str,
        current: &str,
    ) -> Chrome {
        let title = title.into();
        Chrome {
            nav: user.map(|u| nav_for(u, current)).unwrap_or_default(),
            breadcrumbs: user
                .map(|u| breadcrumbs_for(u, current, &title))
                .unwrap_or_default(),
            title,
            user: user.cloned(),
            csrf: csrf.to_string(),
            force_name: state.config.force_name.clone(),
            demo: state.config.demo,
            has_errors: false,
            stylesheet: crate::assets::stylesheet(),
            script: crate::assets::script(),
            favicon: crate::assets::favicon(),
        }
    }

    pub fn with_errors(mut self, has: bool) -> Chrome {
        self.has_errors = has;
        self
    }

    /// Replaces the breadcrumbs worked out from the path (an empty list shows none).
    pub fn with_breadcrumbs(mut self, crumbs: Vec<Crumb>) -> Chrome {
        self.breadcrumbs = crumbs;
        self
    }

    pub fn roles_text(&self) -> String {
        self.user
            .as_ref()
            .map(|u| {
                u.roles
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

/// A form's submitted values and the errors found in them, in the order of the form.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub values: Vec<(String, String)>,
    pub errors: Vec<(String, String)>,
}

impl FormState {
    pub fn value(&self, field: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.values.push((field.to_string(), value.into()));
    }
    pub fn add_error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push((field.to_string(), message.into()));
    }
}

/// Paging for long lists.
#[derive(Debug, Clone)]
pub struct Pager {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    /// The query string without `page`, to build links.
    pub base_query: String,
}

impl Pager {
    pub fn new(page: Option<i64>, per_page: i64, total: i64, base_query: String) -> Pager {
        let last = ((total + per_page - 1) / per_page).max(1);
        Pager {
            page: page.unwrap_or(1).clamp(1, last),
            per_page,
            total,
            base_query,
        }
    }
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
    pub fn last(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
    pub fn first_shown(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            self.offset() + 1
        }
    }
    pub fn last_shown(&self) -> i64 {
        (self.offset() + self.per_page).min(self.total)
    }
    pub fn href(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = *page.borrow();
        if self.base_query.is_empty() {
            format!("?page={page}")
        } else {
            format!("?{}&page={page}", self.base_query)
        }
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.last()
    }
    pub fn prev(&self) -> i64 {
        self.page - 1
    }
    pub fn next(&self) -> i64 {
        self.page + 1
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub body: String,
}

impl ErrorPage {
    pub fn new(title: &str, body: &str) -> ErrorPage {
        ErrorPage {
            chrome: Chrome {
                title: title.to_string(),
                user: None,
                nav: Vec::new(),
                breadcrumbs: Vec::new(),
                csrf: String::new(),
                force_name: "mashboard".into(),
                demo: false,
                has_errors: false,
                stylesheet: crate::assets::stylesheet(),
                script: crate::assets::script(),
                favicon: crate::assets::favicon(),
            },
            body: body.to_string(),
        }
    }
    pub fn render_html(&self) -> String {
        self.render().unwrap_or_else(|_| {
            format!(
                "<!DOCTYPE html><title>{0}</title><h1>{0}</h1>",
                self.chrome.title
            )
        })
    }
}

/// Renders a template as an HTML response that is never cached (pages hold personal data).
pub fn html<T: Template>(t: &T) -> Result<axum::response::Response, crate::error::AppError> {
    use axum::response::IntoResponse;
    let body = t.render()?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::response::Html(body),
    )
        .into_response())
}

/// A stored date (`YYYY-MM-DD`) in words, e.g. "6 December 2026" (the stored text when it cannot
/// be read).
pub(crate) fn date_text(raw: &str) -> String {
    mashboard_domain::people::parse_date(raw)
        .map(mashboard_domain::people::format_date_long)
        .unwrap_or_else(|_| raw.to_string())
}

/// A stored instant (RFC 3339) as pages show it: UK time in words, "6 December 2026 at 2:05pm"
/// (the stored text when it cannot be read).
pub(crate) fn instant_text(raw: &str) -> String {
    mashboard_domain::training::instant_in_words(raw).unwrap_or_else(|| raw.to_string())
}

/// The UK date of a stored instant or date, in words: "6 December 2026" (the stored text when it
/// cannot be read).
pub(crate) fn day_text(raw: &str) -> String {
    mashboard_domain::training::stored_date_in_words(raw).unwrap_or_else(|| raw.to_string())
}

/// A stored local time as pages show it (the stored text when it cannot be read).
pub(crate) fn local_time_text(raw: &str) -> String {
    mashboard_domain::queue::parse_local_time(raw)
        .map(mashboard_domain::queue::format_local_time_long)
        .unwrap_or_else(|_| raw.to_string())
}

/// Text made safe to put in one segment of a URL path: everything but the unreserved characters
/// of RFC 3986 is percent-encoded.
pub(crate) fn path_segment(s: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, RESERVED).to_string()
}

#[cfg(test)]
mod tests {
    use super::place_of;

    fn section_and_task(path: &str) -> (Option<&'static str>, Option<&'static str>) {
        match place_of(path) {
            Some((s, t)) => (Some(s.label), t.map(|t| t.href)),
            None => (None, None),
        }
    }

    #[test]
    fn a_page_belongs_to_the_task_with_the_longest_path_it_starts_with() {
        assert_eq!(section_and_task("/training"), (Some("Training"), None));
        assert_eq!(
            section_and_task("/training/matrix?department=X"),
            (Some("Training"), Some("/training/matrix"))
        );
        assert_eq!(
            section_and_task("/training/checks/4/take"),
            (Some("Delivery"), Some("/training/checks"))
        );
        assert_eq!(
            section_and_task("/compliance/audits/3"),
            (Some("Quality"), Some("/compliance/audits"))
        );
        assert_eq!(
            section_and_task("/compliance"),
            (Some("Impact"), Some("/compliance"))
        );
        assert_eq!(
            section_and_task("/sessions/team"),
            (Some("Delivery"), Some("/sessions/team"))
        );
        assert_eq!(
            section_and_task("/sessions/12"),
            (Some("Delivery"), Some("/sessions"))
        );
        assert_eq!(
            section_and_task("/completions/9"),
            (Some("Training"), Some("/my/training"))
        );
        assert_eq!(
            section_and_task("/people/S1/training"),
            (Some("Administration"), Some("/people"))
        );
        // Not below a task: a prefix of the same letters is not a parent.
        assert_eq!(section_and_task("/sessionsx"), (None, None));
        assert_eq!(section_and_task("/"), (None, None));
        assert_eq!(section_and_task("/account"), (None, None));
    }
}
