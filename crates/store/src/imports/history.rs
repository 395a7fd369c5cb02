//! The history kinds' writes: past audits and reviews into `audit_history` and `review_history`,
//! one row per period, all or nothing, idempotent (the same period again updates its row, or
//! leaves it when nothing changed).

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store};
use mashboard_domain::imports::mapping::Layout;
use mashboard_domain::imports::{HistoryFile, HistoryKind};
use serde::Serialize;

/// What an import did, or on a dry run would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistoryReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub dry_run: bool,
}

impl HistoryReport {
    pub fn summary(&self) -> String {
        format!(
            "{} new, {} changed, {} already up to date",
            self.created, self.updated, self.unchanged
        )
    }
}

fn columns(kind: HistoryKind) -> &'static [&'static str] {
    match kind {
        HistoryKind::Audit => &[
            "examined",
            "required",
            "completed_when_required",
            "not_required",
            "completed_when_not_required",
        ],
        HistoryKind::Review => &["grade_1", "grade_2", "grade_3", "grade_4"],
    }
}

/// Writes every period of a file that has no row errors (the caller refuses one that has), in
/// one transaction; a dry run rolls it back.
pub async fn import_history(
    store: &Store,
    actor: &Actor,
    file: &HistoryFile,
    dry_run: bool,
    source: &str,
) -> Result<HistoryReport> {
    let kind = file.kind;
    let table = kind.name();
    let cols = columns(kind);
    let mut report = HistoryReport {
        dry_run,
        ..Default::default()
    };
    let now = now_text();
    let mut tx = store.begin().await?;
    for (_, p) in &file.periods {
        let start = p.period_start.to_string();
        let end = p.period_end.to_string();
        let existing: Option<Vec<i64>> = {
            let sql = format!(
                "SELECT {} FROM {table} WHERE period_start = $1 AND period_end = $2",
                cols.join(", ")
            );
            let row: Option<sqlx::any::AnyRow> = sqlx::query(&sql)
                .bind(&start)
                .bind(&end)
                .fetch_optional(&mut *tx)
                .await?;
            match row {
                None => None,
                Some(r) => {
                    use sqlx::Row;
                    let mut v = Vec::new();
                    for i in 0..cols.len() {
                        v.push(r.try_get::<i64, _>(i)?);
                    }
                    Some(v)
                }
            }
        };
        match existing {
            Some(old) if old == p.counts => report.unchanged += 1,
            Some(_) => {
                let sets: Vec<String> = cols
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c} = ${}", i + 1))
                    .collect();
                let n = cols.len();
                let sql = format!(
                    "UPDATE {table} SET {}, imported_at = ${}, imported_by = ${} WHERE period_start = ${} AND period_end = ${}",
                    sets.join(", "),
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4
                );
                let mut q = sqlx::query(&sql);
                for c in &p.counts {
                    q = q.bind(*c);
                }
                q.bind(&now)
                    .bind(actor.user_id)
                    .bind(&start)
                    .bind(&end)
                    .execute(&mut *tx)
                    .await?;
                report.updated += 1;
            }
            None => {
                let n = cols.len();
                let places: Vec<String> = (1..=n + 4).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {table} (period_start, period_end, {}, imported_at, imported_by) VALUES ({})",
                    cols.join(", "),
                    places.join(", ")
                );
                let mut q = sqlx::query(&sql).bind(&start).bind(&end);
                for c in &p.counts {
                    q = q.bind(*c);
                }
                q.bind(&now).bind(actor.user_id).execute(&mut *tx).await?;
                report.created += 1;
            }
        }
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            match kind {
                HistoryKind::Audit => "audit_history.import",
                HistoryKind::Review => "review_history.import",
            },
            format!(
                "Imported {} from {source}: {}",
                kind.label().to_lowercase(),
                report.summary()
            ),
        )
        .after(&report),
    )
    .await?;
    super::finish(tx, dry_run, true).await?;
    Ok(report)
}

/// Every imported period of a kind, oldest first: (start, end, counts).
pub async fn periods(store: &Store, kind: HistoryKind) -> Result<Vec<(String, String, Vec<i64>)>> {
    use sqlx::Row;
    let cols = columns(kind);
    let sql = format!(
        "SELECT period_start, period_end, {} FROM {} ORDER BY period_start, period_end",
        cols.join(", "),
        kind.name()
    );
    let rows = sqlx::query(&sql).fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for r in rows {
        let mut counts = Vec::new();
        for i in 0..cols.len() {
            counts.push(r.try_get::<i64, _>(i + 2)?);
        }
        out.push((r.try_get(0)?, r.try_get(1)?, counts));
    }
    Ok(out)
}
