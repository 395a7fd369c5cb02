//! Training reminders: what the people a user may see have due soon or out of date, by person
//! and by line manager, and the count behind the in-app notice.

use super::{load, scope_of, Data, Line, Rows};
use crate::auth::{CurrentUser, Page};
use crate::error::AppError;
use crate::view::{html, Chrome};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use mashboard_domain::access::{Capability, PeopleScope};
use mashboard_domain::training::ItemStatus;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::training::plans;
use std::collections::{BTreeMap, HashMap};

/// What one person owes.
pub(crate) struct Owing {
    pub person_id: i64,
    pub staff_number: String,
    pub name: String,
    pub line_manager: String,
    pub lines: Vec<Line>,
}

impl Owing {
    fn out_of_date(&self) -> usize {
        self.lines.iter().filter(|l| l.out_of_date()).count()
    }
}

/// What the people of one line manager owe.
pub(crate) struct ManagerOwing {
    pub manager: String,
    pub people: usize,
    pub out_of_date: usize,
    pub due_soon: usize,
}

/// Items due soon or out of date (overdue or expired), most urgent first within each person.
pub(super) fn reminder_lines(data: &Data) -> Vec<Line> {
    data.items
        .iter()
        .filter(|i| {
            matches!(
                i.state.status,
                ItemStatus::DueSoon | ItemStatus::Overdue | ItemStatus::Expired
            )
        })
        .filter_map(|i| data.line(i))
        .collect()
}

pub(super) fn group_reminders(data: &Data, lines: Vec<Line>) -> (Vec<Owing>, Vec<ManagerOwing>) {
    let mut owing: Vec<Owing> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    for l in lines {
        let i = *at.entry(l.person_id).or_insert_with(|| {
            owing.push(Owing {
                person_id: l.person_id,
                staff_number: l.staff_number.clone(),
                name: l.name.clone(),
                line_manager: l.line_manager.clone(),
                lines: Vec::new(),
            });
            owing.len() - 1
        });
        owing[i].lines.push(l);
    }
    for o in &mut owing {
        o.lines.sort_by_key(|l| {
            (
                !l.out_of_date(),
                l.overdue_since.or(l.due_on).or(l.expires_on),
            )
        });
    }
    let mut managers: BTreeMap<String, ManagerOwing> = BTreeMap::new();
    for o in &owing {
        let person = data.people.get(&o.person_id);
        let manager = match person.and_then(|p| p.line_manager_name.clone()) {
            Some(name) => {
                let sn = person
                    .and_then(|p| p.line_manager_staff_number.clone())
                    .unwrap_or_default();
                format!("{name} ({sn})")
            }
            None => "No line manager recorded".into(),
        };
        let m = managers
            .entry(manager.clone())
            .or_insert_with(|| ManagerOwing {
                manager,
                people: 0,
                out_of_date: 0,
                due_soon: 0,
            });
        m.people += 1;
        m.out_of_date += o.out_of_date();
        m.due_soon += o.lines.len() - o.out_of_date();
    }
    (owing, managers.into_values().collect())
}

#[derive(Template)]
#[template(path = "matrix/matrix_reminders.html")]
struct RemindersPage {
    chrome: Chrome,
    owing: Vec<Owing>,
    managers: Vec<ManagerOwing>,
    total: usize,
    out_of_date: usize,
    due_soon: usize,
    scoped: bool,
    due_soon_days: i64,
}

/// How many items the people a user may see have due soon or out of date: the in-app notice
/// count (for the home page or the navigation).
pub async fn notice_count(state: &AppState, user: &CurrentUser) -> Result<usize, AppError> {
    if !user.can(Capability::TrainingRecords) {
        return Ok(0);
    }
    let data = load(state, scope_of(user)).await?;
    Ok(reminder_lines(&data).len())
}

pub async fn reminders(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::TrainingRecords>,
) -> Result<Response, AppError> {
    let scope = scope_of(&page.user);
    let data = load(&state, scope).await?;
    let lines = reminder_lines(&data);
    let total = lines.len();
    let out_of_date = lines.iter().filter(|l| l.out_of_date()).count();
    let (owing, managers) = group_reminders(&data, lines);
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.reminders_view",
            format!(
                "Viewed training reminders ({total} items for {} people)",
                owing.len()
            ),
        ),
    )
    .await?;
    html(&RemindersPage {
        chrome: Chrome::new(
            &state,
            "Training reminders",
            Some(&page.user),
            &page.csrf,
            "/training/reminders",
        ),
        owing,
        managers,
        total,
        out_of_date,
        due_soon: total - out_of_date,
        scoped: scope != PeopleScope::All,
        due_soon_days: plans::DUE_SOON_DAYS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_group_by_person_and_manager() {
        let d = super::super::tests::data();
        let lines = reminder_lines(&d);
        assert_eq!(lines.len(), 2);
        let (owing, managers) = group_reminders(&d, lines);
        assert_eq!(owing.len(), 2);
        assert_eq!(managers.len(), 1);
        assert_eq!(managers[0].manager, "Manager M9 (M9)");
        assert_eq!((managers[0].out_of_date, managers[0].due_soon), (1, 1));
    }
}
