//! What the dashboard, its downloads and its JSON twins read from the query string: the period
//! (`from`, `to`), the department, the compliance chart (`p` or `p_prime`) and the training
//! module (`FL-PPN` unless chosen). Missing values take their defaults; wrong ones are named.

use crate::view::FormState;
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
}

/// The period from 1 January four years ago to today.
pub(crate) fn default_from(today: Date) -> Date {
    Date::from_calendar_date(today.year() - 4, Month::January, 1).expect("1 January")
}

/// Reads the query. The form keeps what was typed and the errors, by field.
pub(crate) fn read(pairs: &[(String, String)], today: Date) -> (Option<Wanted>, FormState) {
    let mut form = FormState::default();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().chars().take(200).collect::<String>())
            .unwrap_or_default()
    };
    for k in ["from", "to", "department", "chart", "module"] {
        form.set(k, get(k));
    }
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
    let department = Some(form.value("department").to_string()).filter(|d| !d.is_empty());
    if form.has_errors() {
        return (None, form);
    }
    let (Some(from), Some(to), Some(chart)) = (from, to, chart) else {
        return (None, form);
    };
    form.set("from", iso(from));
    form.set("to", iso(to));
    form.set("module", module.clone());
    let scope = department.map_or(Scope::Force, Scope::Department);
    (
        Some(Wanted {
            filter: Filter { from, to, scope },
            chart,
            module,
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
        let (w, form) = read(&[], today);
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
        );
        assert!(w.is_none());
        assert!(form.error("to").unwrap().contains("on or after its start"));
        assert!(form.error("chart").unwrap().contains("\"pie\""));
        let (w, _) = read(&pairs(&[("department", "Response")]), today);
        assert_eq!(
            w.unwrap().filter.scope,
            Scope::Department("Response".into())
        );
    }
}
