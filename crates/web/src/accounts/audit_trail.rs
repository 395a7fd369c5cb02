//! The audit trail: browse, filter and export as CSV (`/admin/audit`); views and exports are
//! recorded in the trail too.

use super::admin_shared::*;
use crate::auth::{cap, Page};
use crate::error::AppError;
use crate::export::csv_safe;
use crate::form::raw_field;
use crate::view::{html, Chrome, FormState, Pager};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mashboard_domain::people::parse_date;
use mashboard_store::audit_trail::{self, AuditEvent, AuditFilter, Event};

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
    page: Option<i64>,
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
            page: get("page").parse().ok(),
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
    pager: Pager,
    csv_href: String,
    filtered: bool,
}

pub async fn audit_trail(
    State(state): State<AppState>,
    page: Page<cap::AuditRead>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let q = AuditQuery::parse(raw.as_deref());
    let qs = q.query_string();
    let (pager, rows) = if q.form.has_errors() {
        (Pager::new(None, AUDIT_PER_PAGE, 0, qs.clone()), Vec::new())
    } else {
        let (total, _) = audit_trail::list(&state.store, &q.filter, 0, 0).await?;
        let pager = Pager::new(q.page, AUDIT_PER_PAGE, total, qs.clone());
        let (_, rows) =
            audit_trail::list(&state.store, &q.filter, AUDIT_PER_PAGE, pager.offset()).await?;
        audit_trail::record(
            &state.store,
            &page.user.actor(),
            Event::new(
                "audit.view",
                format!(
                    "Viewed the audit trail ({} of {total} events shown)",
                    rows.len()
                ),
            )
            .after(&serde_json::json!({ "filters": qs, "page": pager.page })),
        )
        .await?;
        (pager, rows)
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
        form: q.form,
        rows: rows.into_iter().map(EventView::from).collect(),
        pager,
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
    // Newest first, in chunks. The trail only grows, at the newest end, so events recorded
    // during the export push already-written rows into the next chunk: skip those by id.
    let mut offset = 0;
    let mut last_id: Option<i64> = None;
    let mut written = 0usize;
    loop {
        let (_, rows) = audit_trail::list(&state.store, &q.filter, EXPORT_CHUNK, offset).await?;
        let n = rows.len() as i64;
        for e in rows {
            if last_id.is_some_and(|l| e.id >= l) {
                continue;
            }
            last_id = Some(e.id);
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
        if n < EXPORT_CHUNK {
            break;
        }
        offset += EXPORT_CHUNK;
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
