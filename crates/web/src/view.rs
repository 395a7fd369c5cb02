//! What every page shares: the header, the role navigation, form errors, paging.

use crate::auth::CurrentUser;
use crate::AppState;
use askama::Template;
use mashboard_domain::access::Capability;

#[derive(Debug, Clone)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// The navigation a user sees: only what their roles can open.
pub fn nav_for(user: &CurrentUser, current: &str) -> Vec<NavItem> {
    let items: [(&str, &str, Capability); 25] = [
        ("Home", "/", Capability::SignedIn),
        ("My training", "/my/training", Capability::OwnTraining),
        ("Sign-offs", "/sign-offs", Capability::SignOff),
        ("People", "/people", Capability::PeopleBrowse),
        (
            "Training matrix",
            "/training/matrix",
            Capability::TrainingRecords,
        ),
        (
            "Training summary",
            "/training/summary",
            Capability::TrainingSummary,
        ),
        ("Catalogue", "/training/modules", Capability::CatalogueView),
        ("Sessions", "/sessions", Capability::SessionsBrowse),
        (
            "Attachment days",
            "/attachment-days",
            Capability::SessionsBrowse,
        ),
        ("Coverage", "/coverage", Capability::CoverageView),
        (
            "Knowledge checks",
            "/training/checks",
            Capability::TrainingManage,
        ),
        (
            "Delivery reports",
            "/delivery/reports",
            Capability::DeliveryReports,
        ),
        ("Exercises", "/exercises", Capability::ExercisesTake),
        ("Partners", "/partners", Capability::PartnersManage),
        (
            "Quality reviews",
            "/quality/reviews",
            Capability::QualityReviews,
        ),
        (
            "Compliance audits",
            "/compliance/audits",
            Capability::ComplianceAudits,
        ),
        ("Compliance", "/compliance", Capability::ComplianceSummary),
        ("Referrals", "/register/referrals", Capability::RegisterView),
        (
            "Partner outcomes",
            "/register/outcomes",
            Capability::OutcomesRecord,
        ),
        (
            "Missing referrals",
            "/register/missing",
            Capability::MissingReferrals,
        ),
        ("Referral feedback", "/my/feedback", Capability::OwnFeedback),
        ("Import people", "/people/import", Capability::PeopleImport),
        ("Accounts", "/admin/users", Capability::AccountsManage),
        ("Audit trail", "/admin/audit", Capability::AuditRead),
        ("Your account", "/account", Capability::SignedIn),
    ];
    items
        .into_iter()
        .filter(|(_, _, cap)| user.can(*cap))
        .map(|(label, href, _)| NavItem {
            label,
            href,
            current: href == current,
        })
        .collect()
}

/// The frame around every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub user: Option<CurrentUser>,
    pub nav: Vec<NavItem>,
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
        Chrome {
            title: title.into(),
            nav: user.map(|u| nav_for(u, current)).unwrap_or_default(),
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

/// A stored local time as pages show it (the stored text when it cannot be read).
pub(crate) fn local_time_text(raw: &str) -> String {
    mashboard_domain::missing::parse_local_time(raw)
        .map(mashboard_domain::missing::format_local_time_long)
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
