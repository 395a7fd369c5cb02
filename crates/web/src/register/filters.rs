//! What the two register lists share: reading their filters from the query string (with the
//! date fields checked the GOV.UK way), the query that pages keep, and the audited view.

use super::*;

/// The filters of a register list as typed: the form to show them back with any errors, the
/// values for the store's query, the query string the page links keep and where the page
/// starts (`after=`/`before=` a reference; an old `page=N` is the first page).
pub(super) struct ListFilters {
    pub(super) form: FormState,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) base: String,
    pub(super) start: PageStart,
}

impl ListFilters {
    /// Reads `search`, the `from` and `to` dates and the list's own text `fields`; each value
    /// is cut at 100 characters.
    pub(super) fn read(raw: Option<&str>, fields: &[&str]) -> ListFilters {
        let pairs = query_pairs(raw);
        let text = |k: &str| field(&pairs, k).chars().take(100).collect::<String>();
        let mut form = FormState::default();
        for name in std::iter::once(&"search").chain(fields) {
            form.set(name, text(name));
        }
        let from = date_filter(&mut form, "from", &text("from"), "first day");
        let to = date_filter(&mut form, "to", &text("to"), "last day");
        let kept: Vec<(&str, &str)> = ["search", "from", "to"]
            .iter()
            .chain(fields)
            .map(|k| (*k, form.value(k)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        ListFilters {
            base: serde_urlencoded::to_string(kept).unwrap_or_default(),
            start: page_start(&pairs),
            from,
            to,
            form,
        }
    }

    /// A text filter's value as typed.
    pub(super) fn text(&self, name: &str) -> String {
        self.form.value(name).to_string()
    }

    /// Records in the audit trail that `user` viewed a page of the list, from the reference
    /// `first` to `last`.
    pub(super) async fn record_view(
        &self,
        state: &AppState,
        page: &ViewPage,
        what: &str,
        shown: usize,
        matching: Count,
        (first, last): (Option<&str>, Option<&str>),
    ) -> Result<(), AppError> {
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "register.list",
                format!(
                    "Viewed the {what} list ({shown} of {} shown)",
                    matching.words()
                ),
            )
            .after(&serde_json::json!({ "filters": self.base, "from": first, "to": last })),
        )
        .await?;
        Ok(())
    }
}

/// A date filter as typed (31/03/2024 or 2024-03-31): the stored form, or an error.
fn date_filter(form: &mut FormState, name: &str, raw: &str, label: &str) -> String {
    form.set(name, raw);
    if raw.is_empty() {
        return String::new();
    }
    match parse_date(raw) {
        Ok(d) => d.to_string(),
        Err(_) => {
            form.add_error(
                name,
                format!("Enter the {label} as a date, such as 31/03/2024"),
            );
            String::new()
        }
    }
}
