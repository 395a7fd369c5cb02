//! What the dashboard, its downloads and its JSON twins read from the query string: the period
//! (`from`, `to`), the department, the compliance chart (`p` or `p_prime`) and the training
//! module (`FL-PPN` unless chosen). Missing values take their defaults; wrong ones are named.
//! Whose figures is the reader's, not the query's: a line manager sees their own team's, and a
//! department in their query is set aside (`Wanted::set_aside`), never widening the scope.

use crate::auth::CurrentUser;
use crate::view::FormState;
use mashboard_domain::access::{impact_scope, ImpactScope};
use mashboard_domain::impact::dashboard::iso;
use mashboard_domain::impact::ChartKind;
use mashboard_domain::people::parse_date;
use mashboard_store::impact::{Filter, Scope};
use time::{Date, Month};

/// The module the training effect is about unless another is chosen.
pub(crate) const DEFAULT_MODULE: &str = "FL-PPN";

/// A checked request.
pub(crate) struct Wanted {
    pub filter: Filter,
    pub chart: ChartKind,
    pub module: String,
    /// The department a line manager's query asked for, which their team's figures replace.
    pub set_aside: Option<String>,
}

/// Whose figures the reader may see: `Some(None)` the force or any department, `Some(Some(id))`
/// only the team of the line manager with this person id, `None` nobody's (a line manager's
/// account linked to no person has no team).
pub(crate) fn team_of(user: &CurrentUser) -> Option<Option<i64>> {
    match impact_scope(&user.roles, user.person_id) {
        ImpactScope::Force => Some(None),
        ImpactScope::Team { manager_person_id } => Some(Some(manager_person_id)),
        ImpactScope::Nobody => None,
    }
}

/// The period from 1 January four years ago to today.
pub(crate) fn default_from(today: Date) -> Date {
    Date::from_calendar_date(today.year() - 4, Month::January, 1).expect("1 January")
}

/// Reads the query for a reader who sees the force (`team` None) or only the team of this line
/// manager. The form keeps what was typed and the errors, by field.
pub(crate) fn read(
    pairs: &[(String, String)],
    today: Date,
    team: Option<i64>,
) -> (Option<Wanted>, FormState) {
    let mut form = FormState::default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().chars().take(200).collect::<String>())
            .unwrap_or_default()
    };
    for k in ["from", "to", "chart", "module"] {
        form.set(k, get(k));
    }
    // A line manager's department is set aside, not kept in the form.
    let asked = Some(get("department")).filter(|d| !d.is_empty());
    let (department, set_aside) = if team.is_some() {
        (None, asked)
    } else {
        form.set("department", asked.clone().unwrap_or_default());
        (asked, None)
    };
    let date = |form: &mut FormState, k: &str, label: &str, default: Date| {
        let raw = form.value(k).to_string();
        if raw.is_empty() {
            return Some(default);
        }
        match parse_date(&raw) {
            Ok(d) => Some(d),
            Err(m) => {
                form.add_error(k, format!("{label}: {m}"));
                None
            }
        }
    };
    let from = date(&mut form, "from", "Period from", default_from(today));
    let to = date(&mut form, "to", "Period to", today);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            form.add_error(
                "to",
                "Period to: the end of the period must be on or after its start",
            );
        }
    }
    let chart = match form.value("chart") {
        "" | "p" => Some(ChartKind::P),
        "p_prime" => Some(ChartKind::PPrime),
        other => {
            let other = other.to_string();
            form.add_error(
                "chart",
                format!("Compliance chart: \"{other}\" is not a chart here; choose p or p_prime"),
            );
            None
        }
    };
    let module = match form.value("module") {
        "" => DEFAULT_MODULE.to_string(),
        m => m.to_string(),
    };
    if form.has_errors() {
        return (None, form);
    }
    let (Some(from), Some(to), Some(chart)) = (from, to, chart) else {
        return (None, form);
    };
    form.set("from", iso(from));
    form.set("to", iso(to));
    form.set("module", module.clone());
    let scope = match (team, department) {
        (Some(manager), _) => Scope::Team(manager),
        (None, Some(d)) => Scope::Department(d),
        (None, None) => Scope::Force,
    };
    (
        Some(Wanted {
            filter: Filter { from, to, scope },
            chart,
            module,
            set_aside,
        }),
        form,
    )
}

/// The query string that asks for the same figures again (for download links).
pub(crate) fn query_of(w: &Wanted) -> String {
    let mut pairs = vec![
        ("from", iso(w.filter.from)),
        ("to", iso(w.filter.to)),
        ("module", w.module.clone()),
    ];
    if w.chart == ChartKind::PPrime {
        pairs.push(("chart", "p_prime".into()));
    }
    if let Some(d) = w.filter.department() {
        pairs.push(("department", d));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
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
    fn defaults_and_errors_by_field() {
        let today = date!(2026 - 12 - 06);
        let (w, form) = read(&[], today, None);
        let w = w.unwrap();
        assert!(!form.has_errors());
        assert_eq!((w.filter.from, w.filter.to), (date!(2022 - 01 - 01), today));
        assert_eq!((w.chart, w.module.as_str()), (ChartKind::P, "FL-PPN"));
        let (w, form) = read(
            &pairs(&[
                ("from", "2024-05-01"),
                ("to", "2024-01-01"),
                ("chart", "pie"),
            ]),
            today,
            None,
        );
        assert!(w.is_none());
        assert!(form.error("to").unwrap().contains("on or after its start"));
        assert!(form.error("chart").unwrap().contains("\"pie\""));
        let (w, _) = read(&pairs(&[("department", "Response")]), today, None);
        assert_eq!(
            w.unwrap().filter.scope,
            Scope::Department("Response".into())
        );
        // A line manager's department is set aside: their team's figures, never the department's.
        let (w, form) = read(&pairs(&[("department", "Response")]), today, Some(7));
        let w = w.unwrap();
        assert_eq!(w.filter.scope, Scope::Team(7));
        assert_eq!(w.set_aside.as_deref(), Some("Response"));
        assert_eq!(form.value("department"), "");
        assert!(!query_of(&w).contains("department"));
    }
}
