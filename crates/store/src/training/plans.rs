//! Training plans: what a person must complete (the programme items of their open role
//! assignments), each with its state worked out by the domain rules as of a given day.

use crate::{Result, Store};
use mashboard_domain::training::{
    item_status, CompletionFacts, DueRule, ItemFacts, ItemState, RenewalRule,
};
use serde::Serialize;
use time::Date;

/// One required module in a person's plan, with the facts and what they mean today.
#[derive(Debug, Clone, Serialize)]
pub struct PlanItem {
    pub person_id: i64,
    pub module_id: i64,
    pub module_code: String,
    pub module_title: String,
    /// The module's current version.
    pub module_version: String,
    pub profile_name: String,
    pub role_started_on: String,
    pub due_rule: String,
    pub renewal_rule: String,
    pub latest_completion_id: Option<i64>,
    pub latest_completed_on: Option<String>,
    /// The version the person last trained on.
    pub latest_version: Option<String>,
    pub latest_status: Option<String>,
    pub latest_source: Option<String>,
    pub state: ItemState,
}

#[derive(sqlx::FromRow)]
struct Row {
    person_id: i64,
    module_id: i64,
    module_code: String,
    module_title: String,
    module_version: String,
    profile_name: String,
    role_started_on: String,
    due_rule: String,
    renewal_rule: String,
    latest_completion_id: Option<i64>,
    latest_completed_on: Option<String>,
    latest_version: Option<String>,
    latest_status: Option<String>,
    latest_source: Option<String>,
    last_signed_off_on: Option<String>,
}

const PLAN_SQL: &str = "SELECT a.person_id, i.module_id, m.code AS module_code, m.title AS module_title, m.version AS module_version,
        r.name AS profile_name, a.started_on AS role_started_on, i.due_rule, i.renewal_rule,
        c.id AS latest_completion_id, c.completed_on AS latest_completed_on, c.module_version AS latest_version,
        c.status AS latest_status, c.source AS latest_source,
        (SELECT MAX(c3.completed_on) FROM completions c3 WHERE c3.person_id = a.person_id AND c3.module_id = i.module_id
            AND c3.status = 'signed_off') AS last_signed_off_on
    FROM assignments a
    JOIN role_profiles r ON r.id = a.profile_id
    JOIN programme_items i ON i.profile_id = a.profile_id
    JOIN modules m ON m.id = i.module_id
    JOIN people p ON p.id = a.person_id
    LEFT JOIN completions c ON c.id = (
        SELECT c2.id FROM completions c2 WHERE c2.person_id = a.person_id AND c2.module_id = i.module_id
        ORDER BY c2.completed_on DESC, c2.id DESC LIMIT 1)
    WHERE a.ended_on IS NULL";

/// How many days ahead counts as "due soon".
pub const DUE_SOON_DAYS: i64 = 30;

fn state_of(r: &Row, today: Date) -> ItemState {
    let start = super::parse_date_text(&r.role_started_on).unwrap_or(today);
    let due = DueRule::parse(&r.due_rule).unwrap_or(DueRule::WithinDays(0));
    let renewal = RenewalRule::parse(&r.renewal_rule).unwrap_or(RenewalRule::None);
    let latest = r
        .latest_completed_on
        .as_deref()
        .and_then(super::parse_date_text)
        .map(|completed_on| CompletionFacts {
            completed_on,
            signed_off: r.latest_status.as_deref() == Some("signed_off"),
        });
    let last_signed_off_on = r
        .last_signed_off_on
        .as_deref()
        .and_then(super::parse_date_text);
    item_status(
        &ItemFacts {
            role_started_on: start,
            due,
            renewal,
            latest,
            last_signed_off_on,
            in_progress: false,
        },
        today,
        DUE_SOON_DAYS,
    )
}

fn into_items(rows: Vec<Row>, today: Date) -> Vec<PlanItem> {
    // A module required by two of a person's profiles appears once: the earliest-started wins.
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|r| seen.insert((r.person_id, r.module_id)))
        .map(|r| {
            let state = state_of(&r, today);
            PlanItem {
                person_id: r.person_id,
                module_id: r.module_id,
                module_code: r.module_code,
                module_title: r.module_title,
                module_version: r.module_version,
                profile_name: r.profile_name,
                role_started_on: r.role_started_on,
                due_rule: r.due_rule,
                renewal_rule: r.renewal_rule,
                latest_completion_id: r.latest_completion_id,
                latest_completed_on: r.latest_completed_on,
                latest_version: r.latest_version,
                latest_status: r.latest_status,
                latest_source: r.latest_source,
                state,
            }
        })
        .collect()
}

/// A person's plan as of `today`, by module title.
pub async fn plan_of(store: &Store, person_id: i64, today: Date) -> Result<Vec<PlanItem>> {
    let rows = sqlx::query_as::<_, Row>(&format!(
        "{PLAN_SQL} AND a.person_id = $1 ORDER BY m.title, a.started_on"
    ))
    .bind(person_id)
    .fetch_all(store.pool())
    .await?;
    Ok(into_items(rows, today))
}

/// The plans of the active people in `people_sql` (a parenthesised subquery of person ids that
/// binds `person_id` as `$1`), as of `today`, in the order of [`all_plans`].
pub async fn plans_among(
    store: &Store,
    people_sql: &str,
    person_id: i64,
    today: Date,
) -> Result<Vec<PlanItem>> {
    let rows = sqlx::query_as::<_, Row>(&format!(
        "{PLAN_SQL} AND p.active = 1 AND a.person_id IN {people_sql}
         ORDER BY p.name, a.person_id, m.title, a.started_on"
    ))
    .bind(person_id)
    .fetch_all(store.pool())
    .await?;
    Ok(into_items(rows, today))
}

/// The plans of everyone with an open assignment (the compliance matrix), as of `today`.
pub async fn all_plans(store: &Store, today: Date) -> Result<Vec<PlanItem>> {
    let rows = sqlx::query_as::<_, Row>(&format!(
        "{PLAN_SQL} AND p.active = 1 ORDER BY p.name, a.person_id, m.title, a.started_on"
    ))
    .fetch_all(store.pool())
    .await?;
    Ok(into_items(rows, today))
}
