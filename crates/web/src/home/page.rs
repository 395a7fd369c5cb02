//! The home page: what this user can do, by role.

use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::view::{html, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mashboard_domain::access::Capability;
use mashboard_domain::reminders::{digest_for, sections, SectionKind};
use mashboard_store::audit::{self, Event};
use mashboard_store::training::{plans::DUE_SOON_DAYS, today};

pub struct Card {
    pub title: &'static str,
    pub href: &'static str,
    pub text: &'static str,
}

#[derive(Template)]
#[template(path = "home/home.html")]
struct HomePage {
    chrome: Chrome,
    cards: Vec<Card>,
    people_count: Option<i64>,
    /// Training items due soon or out of date among the people this user looks after.
    notices: usize,
    /// The user's own reminder digest: what the daily e-mail says, for everyone, e-mail or not.
    reminders: Vec<ReminderSection>,
}

/// A section of the user's digest, with its link when the user may open that page.
struct ReminderSection {
    heading: String,
    lines: Vec<String>,
    link: Option<(&'static str, &'static str)>,
}

fn capability_for(kind: SectionKind) -> Capability {
    match kind {
        SectionKind::Own => Capability::OwnTraining,
        SectionKind::Team | SectionKind::Force => Capability::TrainingRecords,
        SectionKind::SignOffs => Capability::SignOff,
        SectionKind::Cpd => Capability::CpdReview,
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page<cap::SignedIn>,
) -> Result<Response, AppError> {
    let u = &page.user;
    let all = [
        (
            Capability::OwnTraining,
            Card {
                title: "My training",
                href: "/my/training",
                text: "Your training plan, what is due, your completions and your CPD.",
            },
        ),
        (
            Capability::SignOff,
            Card {
                title: "Sign-offs",
                href: "/sign-offs",
                text: "Training records waiting for your signature as mentor or line manager.",
            },
        ),
        (
            Capability::CpdReview,
            Card {
                title: "CPD to verify",
                href: "/cpd/review",
                text: "CPD your team has logged, waiting for you to verify or return it.",
            },
        ),
        (
            Capability::TrainingRecords,
            Card {
                title: "Training matrix",
                href: "/training/matrix",
                text:
                    "Who is in date, due, overdue or expired on each required module, with exports.",
            },
        ),
        (
            Capability::TrainingRecords,
            Card {
                title: "Reminders",
                href: "/training/reminders",
                text: "Training due soon or overdue for the people you look after.",
            },
        ),
        (
            Capability::TrainingSummary,
            Card {
                title: "Training summary",
                href: "/training/summary",
                text:
                    "The share of people in date on their training, by role profile and department.",
            },
        ),
        (
            Capability::CatalogueView,
            Card {
                title: "Module catalogue",
                href: "/training/modules",
                text: "Every module, its version, review date and the guidance it depends on.",
            },
        ),
        (
            Capability::PeopleBrowse,
            Card {
                title: "People",
                href: "/people",
                text: "Find people in the directory, see their team, line manager and mentor.",
            },
        ),
        (
            Capability::PeopleEdit,
            Card {
                title: "Add a person",
                href: "/people/new",
                text: "Add an officer or member of staff to the directory by hand.",
            },
        ),
        (
            Capability::PeopleImport,
            Card {
                title: "Import people",
                href: "/people/import",
                text: "Bring the directory up to date from an HR export (CSV or Excel).",
            },
        ),
        (
            Capability::AccountsManage,
            Card {
                title: "Accounts",
                href: "/admin/users",
                text: "Create accounts, change roles, lift lock-outs and issue API tokens.",
            },
        ),
        (
            Capability::AuditRead,
            Card {
                title: "Audit trail",
                href: "/admin/audit",
                text: "See who signed in, viewed or changed what, and export it.",
            },
        ),
        (
            Capability::SignedIn,
            Card {
                title: "Your account",
                href: "/account",
                text: "Your roles, your record in the directory, and your password.",
            },
        ),
    ];
    let cards = all
        .into_iter()
        .filter(|(c, _)| u.can(*c))
        .map(|(_, card)| card)
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
            let inputs = mashboard_store::reminders::gather(&state.store, today()).await?;
            digest_for(&inputs, person_id)
        }
        None => None,
    };
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
        audit::record(
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
        cards,
        people_count,
        notices,
        reminders,
    })
}
