//! `copy-db`: moves every record from one database to another (SQLite to PostgreSQL when a
//! force outgrows the embedded database), table by table in dependency order, keeping ids, in
//! one transaction on the target. Sessions and sign-in throttles are transient and not copied.

use crate::{Backend, Result, Store, StoreError};
use serde::Serialize;
use sqlx::{Column, Row};

/// Tables in an order where every foreign key points at a table already copied, with the
/// columns that point back into the same table (filled in a second pass).
pub const TABLES: &[(&str, &[&str])] = &[
    ("settings", &[]),
    ("people", &["line_manager_id", "mentor_id"]),
    ("users", &[]),
    ("user_roles", &[]),
    ("api_tokens", &[]),
    ("audit_events", &[]),
    ("partner_orgs", &[]),
    ("partner_contacts", &[]),
    ("modules", &[]),
    ("module_versions", &[]),
    ("guidance_tags", &[]),
    ("module_tags", &[]),
    ("guidance_changes", &[]),
    ("role_profiles", &[]),
    ("programme_items", &[]),
    ("assignments", &[]),
    ("session_series", &[]),
    ("training_sessions", &[]),
    ("completions", &[]),
    ("sign_offs", &[]),
    ("cpd_entries", &[]),
    ("import_mappings", &[]),
    ("incidents", &[]),
    ("referrals", &[]),
    ("referral_people", &[]),
    ("referral_outcomes", &[]),
    ("rubric_criteria", &[]),
    ("quality_reviews", &[]),
    ("quality_review_draws", &[]),
    ("quality_review_sample", &[]),
    ("quality_review_panel", &[]),
    ("quality_grades", &[]),
    ("quality_criterion_scores", &[]),
    ("quality_agreed_grades", &[]),
    ("quality_agreed_criteria", &[]),
    ("quality_recommendations", &[]),
    ("compliance_audits", &[]),
    ("compliance_audit_draws", &[]),
    ("compliance_audit_sample", &[]),
    ("compliance_audit_auditors", &[]),
    ("compliance_findings", &[]),
    ("audit_history", &[]),
    ("review_history", &[]),
    ("missing_referrals", &[]),
    ("queue_refresh_state", &[]),
    ("impact_monthly", &[]),
    ("evaluation_reports", &[]),
    ("session_trainers", &[]),
    ("session_audience", &[]),
    ("session_enrolments", &[]),
    ("session_attendance", &[]),
    ("session_external_attendees", &[]),
    ("teams_reports", &[]),
    ("teams_report_unmatched", &[]),
    ("mail_outbox", &[]),
    ("coverage_requirements", &[]),
    ("coverage_requirement_modules", &[]),
    ("module_videos", &[]),
    ("video_watches", &[]),
    ("knowledge_checks", &[]),
    ("check_questions", &[]),
    ("check_options", &[]),
    ("check_attempts", &[]),
    ("check_attempt_answers", &[]),
    ("session_feedback", &[]),
    ("attachment_days", &[]),
    ("attachment_bookings", &[]),
    ("attachment_partner_participants", &[]),
    ("exercise_scenarios", &[]),
    ("exercise_stages", &[]),
    ("exercise_attachments", &[]),
    ("exercise_questions", &[]),
    ("exercise_runs", &[]),
    ("exercise_teams", &[]),
    ("exercise_team_members", &[]),
    ("exercise_releases", &[]),
    ("exercise_answers", &[]),
    ("exercise_notes", &[]),
    ("exercise_meetings", &[]),
    ("exercise_actions", &[]),
    ("exercise_run_facilitators", &[]),
    ("teams_report_times", &[]),
];

/// Rows copied, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub tables: Vec<(String, usize)>,
}

impl CopyReport {
    pub fn rows(&self, table: &str) -> usize {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

/// One cell, as the portable schema stores it: integers and text only.
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Int(i64),
    Text(String),
}

fn cell(row: &sqlx::any::AnyRow, i: usize) -> Result<Cell> {
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return Ok(v.map(Cell::Int).unwrap_or(Cell::Null));
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return Ok(v.map(Cell::Text).unwrap_or(Cell::Null));
    }
    Err(StoreError::Invalid(format!(
        "column {} holds a value that is neither a number nor text",
        row.columns()[i].name()
    )))
}

fn has_id(table: &str) -> bool {
    !matches!(
        table,
        "settings"
            | "user_roles"
            | "module_tags"
            | "quality_review_sample"
            | "quality_review_panel"
            | "quality_criterion_scores"
            | "quality_agreed_grades"
            | "quality_agreed_criteria"
            | "compliance_audit_sample"
            | "compliance_audit_auditors"
            | "impact_monthly"
    )
}

/// The integer columns of a table, as the target database declares them (a NULL must be bound
/// with the column's type on PostgreSQL).
async fn integer_columns(store: &Store, table: &str) -> Result<Vec<String>> {
    let sql = match store.backend() {
        Backend::Sqlite => "SELECT name FROM pragma_table_info($1) WHERE UPPER(type) LIKE '%INT%'",
        Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = $1 AND data_type IN ('bigint', 'integer')"
        }
    };
    Ok(sqlx::query_scalar::<_, String>(sql)
        .bind(table)
        .fetch_all(store.pool())
        .await?)
}

/// Copies everything from `from` into `to`, which must be migrated and empty.
pub async fn copy(from: &Store, to: &Store) -> Result<CopyReport> {
    for (table, _) in TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(to.pool())
            .await?;
        if n > 0 && *table != "settings" {
            return Err(StoreError::Invalid(format!(
                "the target database is not empty ({table} has {n} rows); copy-db only fills a new, empty database"
            )));
        }
    }
    let mut report = CopyReport::default();
    let mut tx = to.begin().await?;
    sqlx::query("DELETE FROM settings")
        .execute(&mut *tx)
        .await?;
    for (table, self_refs) in TABLES {
        let order = if has_id(table) { "id" } else { "1" };
        let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .fetch_all(from.pool())
            .await?;
        let ints = integer_columns(to, table).await?;
        let mut copied = 0;
        let mut second_pass: Vec<(i64, Vec<Cell>)> = Vec::new();
        for row in &rows {
            // Not the columns PostgreSQL computes itself (it refuses a value for them).
            let (names, at): (Vec<String>, Vec<usize>) = row
                .columns()
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    !crate::register::POSTGRES_GENERATED_COLUMNS.contains(&(*table, c.name()))
                })
                .map(|(i, c)| (c.name().to_string(), i))
                .unzip();
            let mut cells = Vec::with_capacity(names.len());
            for i in at {
                cells.push(cell(row, i)?);
            }
            let mut later = Vec::new();
            for (i, name) in names.iter().enumerate() {
                if self_refs.contains(&name.as_str()) {
                    later.push(cells[i].clone());
                    cells[i] = Cell::Null;
                }
            }
            if !self_refs.is_empty() {
                if let Some(Cell::Int(id)) = names
                    .iter()
                    .position(|n| n == "id")
                    .map(|i| cells[i].clone())
                {
                    second_pass.push((id, later));
                }
            }
            let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({})",
                names.join(", "),
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for (c, name) in cells.into_iter().zip(&names) {
                q = match c {
                    Cell::Null if ints.contains(name) => q.bind(None::<i64>),
                    Cell::Null => q.bind(None::<String>),
                    Cell::Int(v) => q.bind(v),
                    Cell::Text(v) => q.bind(v),
                };
            }
            q.execute(&mut *tx).await?;
            copied += 1;
        }
        for (id, values) in second_pass {
            let sets: Vec<String> = self_refs
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect();
            let sql = format!(
                "UPDATE {table} SET {} WHERE id = ${}",
                sets.join(", "),
                self_refs.len() + 1
            );
            let mut q = sqlx::query(&sql);
            for v in values {
                q = match v {
                    Cell::Int(v) => q.bind(Some(v)),
                    _ => q.bind(None::<i64>),
                };
            }
            q.bind(id).execute(&mut *tx).await?;
        }
        if to.backend() == Backend::Postgres && has_id(table) {
            // Explicit ids do not move PostgreSQL's identity counters; move them past the copy.
            sqlx::query(&format!(
                "SELECT CAST(setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false) AS BIGINT)"
            ))
            .execute(&mut *tx)
            .await?;
        }
        report.tables.push((table.to_string(), copied));
    }
    tx.commit().await?;
    Ok(report)
}
