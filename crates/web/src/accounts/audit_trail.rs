//! The audit trail: browse, filter and export as CSV (`/admin/audit`); views and exports are
//! recorded in the trail too.

use super::admin_shared::*;
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::export::csv_safe;
use crate::form::raw_field;
use crate::view::{html, Chrome, FormState};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mashboard_domain::people::parse_date;
use mashboard_store::audit_trail::{self, AuditEvent, AuditFilter, Event};
use mashboard_store::keyset::{Page as TrailPage, PageStart};

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

/// One event as the trail page shows it.
struct EventView {
    at: String,
    actor: String,
    action: String,
    record: String,
    summary: String,
    before: Option<String>,
    after: Option<String>,
}

/// Stored JSON, re-serialised compactly (or as stored when it does not parse).
fn json_text(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() || raw == "null" {
        return None;
    }
    Some(
        serde_json::from_str::<serde_json::Value>(raw)
            .map(|v| v.to_string())
            .unwrap_or_else(|_| raw.to_string()),
    )
}

impl From<AuditEvent> for EventView {
    fn from(e: AuditEvent) -> Self {
        let record = match (&e.entity, &e.entity_key) {
            (Some(ent), Some(key)) => format!("{ent} {key}"),
            (None, Some(key)) => key.clone(),
            (Some(ent), None) => ent.clone(),
            (None, None) => String::new(),
        };
        EventView {
            at: when_exact(&e.at),
            before: json_text(e.before_json.as_deref()),
            after: json_text(e.after_json.as_deref()),
            actor: e.actor,
            action: e.action,
            record,
            summary: e.summary,
        }
    }
}

/// The filter as submitted, checked; the dates in it are ISO when there are no errors.
struct AuditQuery {
    form: FormState,
    filter: AuditFilter,
    /// Where the page starts: `older=ID` (the next page) or `newer=ID` (the previous one).
    start: PageStart,
}

impl AuditQuery {
    fn parse(raw: Option<&str>) -> AuditQuery {
        let pairs: Vec<(String, String)> = raw
            .and_then(|r| serde_urlencoded::from_str(r).ok())
            .unwrap_or_default();
        let get = |k: &str| -> String {
            raw_field(&pairs, k)
                .trim()
                .chars()
                .take(MAX_FILTER)
                .collect::<String>()
        };
        let mut form = FormState::default();
        for k in ["actor", "action", "entity_key", "from", "to"] {
            form.set(k, get(k));
        }
        let mut date = |name: &str, words: &str| -> String {
            let v = get(name);
            if v.is_empty() {
                return v;
            }
            match parse_date(&v) {
                Ok(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
                Err(_) => {
                    form.add_error(
                        name,
                        format!(
                            "The {words} date must be a real date, for example 2024-03-31 or 31/03/2024"
                        ),
                    );
                    String::new()
                }
            }
        };
        let from = date("from", "from");
        let to = date("to", "to");
        if !from.is_empty() && !to.is_empty() && to < from {
            form.add_error(
                "to",
                "The to date must be the same as or after the from date",
            );
        }
        AuditQuery {
            filter: AuditFilter {
                actor: get("actor"),
                action: get("action"),
                entity_key: get("entity_key"),
                from,
                to,
            },
            // The trail is newest first: older events come after an event, newer ones before.
            start: match (get("older").parse::<i64>(), get("newer").parse::<i64>()) {
                (Ok(id), _) => PageStart::After(id.to_string()),
                (_, Ok(id)) => PageStart::Before(id.to_string()),
                _ => PageStart::First,
            },
            form,
        }
    }

    /// The filter as a query string (dates in ISO form), without the page.
    fn query_string(&self) -> String {
        let f = &self.filter;
        let pairs: Vec<(&str, &str)> = [
            ("actor", f.actor.as_str()),
            ("action", &f.action),
            ("entity_key", &f.entity_key),
            ("from", &f.from),
            ("to", &f.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "accounts/admin_audit.html")]
struct AuditPage {
    chrome: Chrome,
    form: FormState,
    rows: Vec<EventView>,
    /// The links to the newer and the older page, where there are events beyond this one.
    newer_href: Option<String>,
    older_href: Option<String>,
    /// The first page (newest events) is shown.
    newest: bool,
    csv_href: String,
    filtered: bool,
}

/// `/admin/audit` with the filter and a page start.
fn trail_href(qs: &str, start: &str) -> String {
    match (qs.is_empty(), start.is_empty()) {
        (true, true) => "/admin/audit".into(),
        (true, false) => format!("/admin/audit?{start}"),
        (false, true) => format!("/admin/audit?{qs}"),
        (false, false) => format!("/admin/audit?{qs}&{start}"),
    }
}

pub async fn audit_trail(
    State(state): State<AppState>,
    page: Page<cap::AuditRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = AuditQuery::parse(raw.as_deref());
    let qs = q.query_string();
    let trail = if q.form.has_errors() {
        TrailPage::default()
    } else {
        let trail = audit_trail::page(&state.store, &q.filter, AUDIT_PER_PAGE, &q.start).await?;
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "audit.view",
                format!("Viewed the audit trail ({} events shown)", trail.rows.len()),
            )
            .after(&serde_json::json!({
                "filters": qs,
                "from_id": trail.rows.first().map(|e| e.id),
                "to_id": trail.rows.last().map(|e| e.id),
            })),
        )
        .await?;
        trail
    };
    let newer_href = match (trail.has_previous, trail.rows.first()) {
        (true, Some(e)) => Some(trail_href(&qs, &format!("newer={}", e.id))),
        _ => None,
    };
    let older_href = match (trail.has_next, trail.rows.last()) {
        (true, Some(e)) => Some(trail_href(&qs, &format!("older={}", e.id))),
        _ => None,
    };
    let has_errors = q.form.has_errors();
    html(&AuditPage {
        chrome: Chrome::new(
            &state,
            "Audit trail",
            Some(&page.user),
            &page.csrf,
            "/admin/audit",
        )
        .with_errors(has_errors),
        csv_href: if qs.is_empty() {
            "/admin/audit.csv".to_string()
        } else {
            format!("/admin/audit.csv?{qs}")
        },
        filtered: !qs.is_empty(),
        newest: q.start == PageStart::First || !trail.has_previous,
        form: q.form,
        rows: trail.rows.into_iter().map(EventView::from).collect(),
        newer_href,
        older_href,
    })
}

pub async fn audit_csv(
    State(state): State<AppState>,
    page: Page<cap::AuditRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = AuditQuery::parse(raw.as_deref());
    if q.form.has_errors() {
        let words: Vec<&str> = q.form.errors.iter().map(|(_, m)| m.as_str()).collect();
        return Err(AppError::BadRequest(format!(
            "{}. Go back to the audit trail and correct the filter.",
            words.join(". ")
        )));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    out.write_record([
        "id",
        "at",
        "actor",
        "action",
        "entity",
        "entity_key",
        "summary",
        "before",
        "after",
    ])
    .map_err(csv_err)?;
    // Newest first, a chunk at a time, each chunk starting below the last id written (events
    // recorded during the export are newer than the first chunk, so they are not in it).
    let mut start = PageStart::First;
    let mut written = 0usize;
    loop {
        let chunk = audit_trail::page(&state.store, &q.filter, EXPORT_CHUNK, &start).await?;
        for e in &chunk.rows {
            let id = e.id.to_string();
            let cells = [
                id.as_str(),
                &e.at,
                &e.actor,
                &e.action,
                e.entity.as_deref().unwrap_or(""),
                e.entity_key.as_deref().unwrap_or(""),
                &e.summary,
                e.before_json.as_deref().unwrap_or(""),
                e.after_json.as_deref().unwrap_or(""),
            ];
            out.write_record(cells.iter().map(|c| csv_safe(c).into_owned()))
                .map_err(csv_err)?;
            written += 1;
        }
        match chunk.rows.last() {
            Some(last) if chunk.has_next => start = PageStart::After(last.id.to_string()),
            _ => break,
        }
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "audit.export",
            format!("Exported {written} audit events as CSV"),
        )
        .after(&serde_json::json!({ "filters": q.query_string() })),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-trail.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        assert_eq!(csv_safe("Signed in"), "Signed in");
        assert_eq!(csv_safe(""), "");
    }

    #[test]
    fn audit_dates_are_checked_and_made_iso() {
        let q = AuditQuery::parse(Some("from=01%2F03%2F2024&to=2024-03-31&actor=+bob+"));
        assert!(!q.form.has_errors());
        assert_eq!(q.filter.from, "2024-03-01");
        assert_eq!(q.filter.to, "2024-03-31");
        assert_eq!(q.filter.actor, "bob");
        let q = AuditQuery::parse(Some("from=31%2F02%2F2024&to=2023-01-01"));
        assert!(q.form.error("from").is_some());
        let q = AuditQuery::parse(Some("from=2024-02-01&to=2024-01-01"));
        assert!(q.form.error("to").is_some());
    }
}
