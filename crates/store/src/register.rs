//! The incident and referral register: imports of records-management exports (read by
//! `mashboard_domain::register`), saved column mappings, and the lookups the register pages and
//! API use.
//!
//! ## Imports
//!
//! An import runs in one transaction and is all or nothing. Rows are streamed from the file and
//! written in batches of multi-row upserts (`INSERT … ON CONFLICT (ref) DO UPDATE … WHERE` a
//! column differs), so memory stays flat and a re-import of the same file changes nothing. The
//! first bad row stops the writing, but the file is read to the end so that every problem can
//! be reported (the first [`MAX_REPORTED`], and how many there were); then the transaction is
//! rolled back. A dry run does everything and rolls back, so its report is what a real run
//! would do.
//!
//! Officers are linked to the people directory by staff number. An officer who is not in the
//! directory is not an error: the row is imported unlinked, with a warning. Outcomes and people
//! named in referrals must belong to a referral already in the register.
//!
//! Counts: `created` is how many rows the table gained, `updated` the rows the upserts changed
//! beyond those, `unchanged` the rest (and, for outcomes, `skipped` those recorded in mashboard
//! by MASH staff or a partner, which an import never overwrites).
//!
//! One audit event records each import, dry run or rejection (kind, file, counts), not one per
//! row.
//!
//! ## Speed
//!
//! The import writes on a native connection of its own, not through the generic `Any` pool
//! (which binds every value through a generic layer): on SQLite a `SqliteConnection` with an
//! 8 MiB page cache (for this connection only), multi-row upserts as prepared statements, and,
//! into an empty table, the secondary indexes dropped and built again by sorting at the end of
//! the same transaction (with 2 MiB of sorting memory: smaller runs sort faster), the per-row
//! day-count trigger suspended and the days counted in one pass, the dashboard's roll-up
//! counted again whole and (on both databases) the missing-referral queue built by one pass
//! over the table (`queue_after_first_load`). On SQLite the keys met so far in the file (a
//! reference given twice is refused) are kept in a temporary table on disk rather than by the
//! reader in memory (a million took ~35 MB), and on a re-import each batch first drops the
//! rows the register already holds exactly so (`Writer::drop_unchanged`): an unchanged file
//! is only read, with no month looked up and no upsert. On PostgreSQL a `PgConnection` that
//! `COPY`s incidents and referrals into a temporary table (5,000 rows a `COPY`) and, at the end, finds the rows new or changed with
//! one join, the months they touch with one query, and writes them with one
//! `INSERT … SELECT … ON CONFLICT` (an unchanged file: nothing written, no month counted
//! again); into an empty table, its UNIQUE constraints, foreign keys and day-count trigger are
//! dropped too and the rows are `COPY`d straight into the table, the constraints added back
//! (checked whole) and the indexes built with 256 MB of `maintenance_work_mem`. A re-import
//! whose file proves large (a sixteenth of the table's rows or more, or estimated so from its
//! length after its first batch) fetches the table's compared values once and from then on
//! sends only the rows new or changed (`stored_rows.rs`): an unchanged file is then mostly only
//! read.
//! Each phase's time is logged at debug level (`MASHBOARD_LOG=mashboard_store::register=debug`;
//! `PHASES=1 scripts/bench` prints them).
//! The file is parsed while the database works (SQLite on its own worker thread, PostgreSQL
//! in its server), through a channel two batches deep, so memory stays flat. `scripts/bench`
//! measures it beside `sqlite3 .import`, `psql \copy` and pandas.

use crate::audit_trail::{self, Actor, Event};
use crate::keyset::{self, Count, PageStart};
use crate::{now_text, Backend, Result, Store, StoreError};
use mashboard_domain::imports::RowError;
use mashboard_domain::register::{repeat_error, unique_key, Record, RegisterKind, RegisterReader};
use serde::Serialize;
use sqlx::{PgConnection, SqliteConnection};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::Read;

/// A first load into an empty table of at least this many rows counts the dashboard's whole
/// roll-up again instead of its rows' months one by one.
const FULL_RECOUNT_ROWS: u64 = 10_000;
/// Rows written per statement.
pub const BATCH_ROWS: usize = 1000;
/// Errors and warnings listed in a report (the counts cover them all).
pub const MAX_REPORTED: usize = 100;
/// Good rows shown in a preview.
pub const PREVIEW_ROWS: usize = 10;

/// One good row, for the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewRow {
    pub row: usize,
    pub reference: String,
    pub summary: String,
}

/// What an import did (or, on a dry run or a rejection, would have done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisterReport {
    pub kind: RegisterKind,
    pub file_name: String,
    /// How the text was read ("UTF-8", "Windows-1252", …).
    pub encoding: &'static str,
    /// Data rows read (blank rows not counted).
    pub rows_read: usize,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Outcomes recorded in mashboard, which the file does not overwrite.
    pub skipped: u64,
    /// The first [`MAX_REPORTED`] problems, by row.
    pub errors: Vec<RowError>,
    pub error_count: usize,
    /// The first [`MAX_REPORTED`] warnings (officers not in the directory).
    pub warnings: Vec<RowError>,
    pub warning_count: usize,
    pub first_rows: Vec<PreviewRow>,
    pub ignored_columns: Vec<String>,
    pub dry_run: bool,
}

impl RegisterReport {
    fn new(kind: RegisterKind, file_name: &str, dry_run: bool) -> RegisterReport {
        RegisterReport {
            kind,
            file_name: file_name.to_string(),
            encoding: "UTF-8",
            rows_read: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            skipped: 0,
            errors: Vec::new(),
            error_count: 0,
            warnings: Vec::new(),
            warning_count: 0,
            first_rows: Vec::new(),
            ignored_columns: Vec::new(),
            dry_run,
        }
    }

    /// True when the file was refused (nothing was written).
    pub fn rejected(&self) -> bool {
        self.error_count > 0
    }

    /// "3 new, 1 changed, 20 already up to date".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} new, {} changed, {} already up to date",
            self.created, self.updated, self.unchanged
        );
        if self.kind == RegisterKind::Outcomes {
            s.push_str(&format!(", {} kept as recorded in mashboard", self.skipped));
        }
        s
    }

    /// Counts a problem and keeps it if it is among the [`MAX_REPORTED`] first by row (problems
    /// arrive nearly in row order: some are found while reading, some while writing).
    fn error(&mut self, e: RowError) {
        self.error_count += 1;
        self.errors.push(e);
        if self.errors.len() >= 2 * MAX_REPORTED {
            self.keep_first_errors();
        }
    }

    /// Keeps the [`MAX_REPORTED`] first problems by row (a row's own in the order found).
    fn keep_first_errors(&mut self) {
        self.errors.sort_by_key(|e| e.row);
        self.errors.truncate(MAX_REPORTED);
    }

    fn warning(&mut self, e: RowError) {
        self.warning_count += 1;
        if self.warnings.len() < MAX_REPORTED {
            self.warnings.push(e);
        }
    }

    fn counts_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.as_str(), "file": self.file_name, "rows": self.rows_read,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "skipped": self.skipped, "errors": self.error_count, "warnings": self.warning_count,
        })
    }
}

fn table(kind: RegisterKind) -> &'static str {
    match kind {
        RegisterKind::Incidents => "incidents",
        RegisterKind::Referrals => "referrals",
        RegisterKind::Outcomes => "referral_outcomes",
        RegisterKind::ReferralPeople => "referral_people",
    }
}

/// `(…), (…)`: `rows` tuples of `width` parameters, with `tail` (fixed SQL such as
/// `'import'`) appended to each. PostgreSQL gets `$1, $2, …`; SQLite gets anonymous `?`, which
/// it binds in constant time (it looks numbered ones up by name, which makes a statement with
/// thousands of parameters quadratic). This is the one place the register import writes SQL
/// per database; the statements are otherwise the same text.
fn values(backend: Backend, rows: usize, width: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(rows * (width * 7 + tail.len() + 4));
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
                Backend::Sqlite => sql.push('?'),
            }
            n += 1;
        }
        if !tail.is_empty() {
            sql.push_str(", ");
            sql.push_str(tail);
        }
        sql.push(')');
    }
    sql
}

/// Parameters per row of each kind: its written columns, but an outcome's `source`, which is
/// fixed SQL (`'import'`, see [`upsert_sql`]).
fn width(kind: RegisterKind) -> usize {
    let columns = written_columns(kind).len();
    if kind == RegisterKind::Outcomes {
        columns - 1
    } else {
        columns
    }
}

/// The columns an import writes into each kind's table, in the order each row's values are
/// bound (`bind_pending!`), copied (`copy_row`) and staged: the one list that the upsert's
/// columns and updates and `COPY`'s columns are made from.
fn written_columns(kind: RegisterKind) -> &'static [&'static str] {
    match kind {
        RegisterKind::Incidents => &[
            "incident_ref",
            "reported_at",
            "category",
            "area",
            "children_involved",
            "adult_at_risk",
            "domestic_abuse",
            "officer_staff_number",
            "officer_person_id",
            "department",
            "imported_at",
            "updated_at",
            "children_involved_count",
        ],
        RegisterKind::Referrals => &[
            "referral_ref",
            "incident_ref",
            "submitted_at",
            "subject_type",
            "category",
            "officer_grade",
            "officer_staff_number",
            "officer_person_id",
            "partner",
            "narrative",
            "imported_at",
            "updated_at",
        ],
        RegisterKind::Outcomes => &[
            "referral_ref",
            "partner",
            "outcome",
            "reason",
            "decided_at",
            "recorded_by",
            "updated_at",
            "source",
        ],
        RegisterKind::ReferralPeople => &[
            "referral_ref",
            "role",
            "name",
            "date_of_birth",
            "address",
            "area",
        ],
    }
}

/// Each kind's key (its upsert's conflict target), and the other written columns a row already
/// stored keeps when it is written again: when it was first imported, where an outcome came from.
fn kept_on_conflict(kind: RegisterKind) -> (&'static str, &'static [&'static str]) {
    match kind {
        RegisterKind::Incidents => ("incident_ref", &["imported_at"]),
        RegisterKind::Referrals => ("referral_ref", &["imported_at"]),
        RegisterKind::Outcomes => ("referral_ref, partner", &["source"]),
        RegisterKind::ReferralPeople => ("referral_ref, name", &[]),
    }
}

fn upsert_sql(backend: Backend, kind: RegisterKind, rows: usize) -> String {
    let tail = if kind == RegisterKind::Outcomes {
        "'import'"
    } else {
        ""
    };
    upsert_from(
        kind,
        &format!("VALUES {}", values(backend, rows, width(kind), tail)),
    )
}

/// The columns compared to tell whether a stored incident or referral differs from its row in a
/// file: those compared as they are, and those where none (NULL) counts as the value given.
#[allow(clippy::type_complexity)]
fn compared_columns(
    kind: RegisterKind,
) -> (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
) {
    match kind {
        RegisterKind::Incidents => (
            &[
                "reported_at",
                "category",
                "area",
                "children_involved",
                "adult_at_risk",
                "domestic_abuse",
                "officer_staff_number",
                "department",
            ],
            &[
                ("officer_person_id", "0"),
                ("children_involved_count", "-1"),
            ],
        ),
        RegisterKind::Referrals => (
            &[
                "incident_ref",
                "submitted_at",
                "subject_type",
                "category",
                "officer_grade",
                "officer_staff_number",
                "partner",
                "narrative",
            ],
            &[("officer_person_id", "0")],
        ),
        RegisterKind::Outcomes | RegisterKind::ReferralPeople => (&[], &[]),
    }
}

/// When a stored incident or referral (`old`) differs from its row in a file (`new`): only
/// then does the upsert write it (and move `updated_at`). Empty for the other kinds.
fn changed(kind: RegisterKind, old: &str, new: &str) -> String {
    let (equal, optional) = compared_columns(kind);
    let mut terms: Vec<String> = equal
        .iter()
        .map(|c| format!("{old}.{c} <> {new}.{c}"))
        .collect();
    terms.extend(
        optional
            .iter()
            .map(|(c, none)| format!("COALESCE({old}.{c}, {none}) <> COALESCE({new}.{c}, {none})")),
    );
    terms.join(" OR ")
}

/// The rows staged on PostgreSQL that the upsert must look at: those new to the register or
/// changed. An unchanged row left in would still lock its stored row (a write to each of its
/// pages): re-importing 1,000,000 unchanged incidents took 10.5 s that way, 4.2 s with this
/// join first (under load).
fn staged_changes(kind: RegisterKind) -> String {
    let (table, reference) = match kind {
        RegisterKind::Incidents => ("incidents", "incident_ref"),
        RegisterKind::Referrals => ("referrals", "referral_ref"),
        RegisterKind::Outcomes | RegisterKind::ReferralPeople => {
            return format!("SELECT * FROM {STAGED}")
        }
    };
    format!(
        "SELECT s.* FROM {STAGED} s LEFT JOIN {table} t ON t.{reference} = s.{reference}
         WHERE t.id IS NULL OR {}",
        changed(kind, "t", "s")
    )
}

/// The upsert of each kind, taking its rows from `source` (`VALUES …` or a `SELECT`): a row
/// already stored is written again (every written column but those it keeps) only when it
/// differs.
fn upsert_from(kind: RegisterKind, values: &str) -> String {
    let columns = written_columns(kind);
    let (key, kept) = kept_on_conflict(kind);
    let updated: Vec<String> = columns
        .iter()
        .filter(|c| !key.split(", ").any(|k| k == **c) && !kept.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let differs = match kind {
        RegisterKind::Incidents | RegisterKind::Referrals => changed(kind, table(kind), "excluded"),
        RegisterKind::Outcomes => "referral_outcomes.source = 'import' AND (referral_outcomes.outcome <> excluded.outcome
                OR referral_outcomes.reason <> excluded.reason
                OR referral_outcomes.decided_at <> excluded.decided_at)"
            .to_string(),
        RegisterKind::ReferralPeople => "referral_people.role <> excluded.role
                OR COALESCE(referral_people.date_of_birth, '') <> COALESCE(excluded.date_of_birth, '')
                OR referral_people.address <> excluded.address OR referral_people.area <> excluded.area"
            .to_string(),
    };
    format!(
        "INSERT INTO {} ({})
             {values}
             ON CONFLICT ({key}) DO UPDATE SET {}
             WHERE {differs}",
        table(kind),
        columns.join(", "),
        updated.join(", "),
    )
}

/// A good row waiting to be written, with its officer's person id looked up.
struct Pending {
    row: usize,
    record: Record,
    officer_id: Option<i64>,
}

/// The officer's staff number as stored ("" for none).
fn officer(sn: &Option<mashboard_domain::people::StaffNumber>) -> &str {
    sn.as_ref().map_or("", |s| s.as_str())
}

/// What the writing side of an import asks of its connection. Implemented twice from one text
/// ([`writer_impl!`]): for the generic driver (PostgreSQL) and for a native SQLite connection,
/// which binds values straight into prepared statements without the generic layer.
trait Writer: Send {
    /// How many rows the kind's table holds.
    fn count_rows(&mut self, kind: RegisterKind) -> impl Future<Output = Result<i64>> + Send;
    /// Upserts a batch in one statement (the full-batch text is made once per import);
    /// returns the rows inserted or changed.
    fn upsert_batch(
        &mut self,
        full_sql: &str,
        backend: Backend,
        kind: RegisterKind,
        batch: &[Pending],
        now: &str,
        recorded_by: &str,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Writes a batch: upserts it, or stages it to be written by [`Writer::finish_writes`]
    /// (PostgreSQL: `COPY`s it straight into the table when `unconstrained`, as for
    /// [`Writer::finish_writes`]). Returns the rows inserted or changed by this batch.
    #[allow(clippy::too_many_arguments)]
    fn write_batch(
        &mut self,
        full_sql: &str,
        backend: Backend,
        kind: RegisterKind,
        batch: &[Pending],
        now: &str,
        recorded_by: &str,
        _unconstrained: bool,
    ) -> impl Future<Output = Result<u64>> + Send {
        self.upsert_batch(full_sql, backend, kind, batch, now, recorded_by)
    }
    /// The register's incidents or referrals as a re-import compares them, held on this side
    /// (`stored_rows.rs`; PostgreSQL, where a large re-import then sends on only the rows new
    /// or changed: [`drop_stored_unchanged`]). `rows`: about how many the table holds. `None`
    /// where not done.
    fn stored_rows(
        &mut self,
        _kind: RegisterKind,
        _rows: usize,
    ) -> impl Future<Output = Result<Option<crate::stored_rows::StoredRows>>> + Send {
        async { Ok(None) }
    }
    /// Writes what [`Writer::write_batch`] staged, once every batch is in; returns the rows
    /// inserted or changed. `unconstrained`: the table was empty and its droppable constraints
    /// are dropped for the load ([`Writer::drop_secondary_indexes`]). Where the months the
    /// import touches are found here rather than batch by batch ([`Writer::months_at_finish`]),
    /// adds them to `months` (the rows' months before, when `look_up`, and after).
    fn finish_writes(
        &mut self,
        _kind: RegisterKind,
        _unconstrained: bool,
        _look_up: bool,
        _months: &mut std::collections::BTreeSet<String>,
    ) -> impl Future<Output = Result<u64>> + Send {
        async { Ok(0) }
    }
    /// True where [`Writer::finish_writes`] finds the months of the dashboard's roll-up that
    /// the import touches, in one set-based statement over what it staged, instead of a
    /// look-up per batch (PostgreSQL's incidents and referrals).
    fn months_at_finish(&self, _kind: RegisterKind) -> bool {
        false
    }
    /// Prepares to write (after `BEGIN`): on PostgreSQL, makes the staging table; on SQLite,
    /// the table of the keys met so far ([`Writer::repeats`]).
    fn begin_writes(&mut self, _kind: RegisterKind) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
    /// Drops from a batch of incidents or referrals the rows the register already holds
    /// exactly as the file gives them (on SQLite, when the table was not empty): they need no
    /// write and their months no look-up, so a re-import of an unchanged file only reads. Where
    /// not done (PostgreSQL, whose one upsert joins the staged rows first: `staged_changes`),
    /// the upsert's own comparison leaves them as they are all the same.
    fn drop_unchanged(
        &mut self,
        _kind: RegisterKind,
        _batch: &mut Vec<Pending>,
        _now: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }
    /// Before a load into an empty table of incidents, drops the trigger that counts them by
    /// day (`incident_day_counts`), returning the statement that makes it again (SQLite; the
    /// caller counts the days in one pass). `None` where nothing was dropped.
    fn suspend_day_counts(
        &mut self,
        _kind: RegisterKind,
    ) -> impl Future<Output = Result<Option<String>>> + Send {
        async { Ok(None) }
    }
    /// Where the database, not the reader, keeps the keys met so far in the file (SQLite: in a
    /// temporary table on disk, so that a million keys do not take ~35 MB of memory): notes
    /// this batch's keys and returns each row whose key an earlier row used, as (position in
    /// the batch, the earlier row). Empty where the reader checks (PostgreSQL).
    fn repeats(
        &mut self,
        _batch: &[Pending],
    ) -> impl Future<Output = Result<Vec<(usize, usize)>>> + Send {
        async { Ok(Vec::new()) }
    }
    /// Which of these referral references are in the register.
    fn known_referrals(
        &mut self,
        refs: &[&str],
    ) -> impl Future<Output = Result<HashSet<String>>> + Send;
    /// Outcomes (referral, partner) in this batch already recorded in mashboard rather than
    /// imported: the file does not overwrite them.
    fn recorded_here(
        &mut self,
        batch: &[Pending],
    ) -> impl Future<Output = Result<HashSet<(String, String)>>> + Send;
    /// Records the import's audit event in its transaction.
    fn audit(&mut self, actor: &Actor, event: Event) -> impl Future<Output = Result<()>> + Send;
    /// Drops the table's secondary indexes, returning the statements that build them again
    /// (a bulk load into an empty table, then one sort per index, beats a million random
    /// index inserts: on PostgreSQL with its default 128 MB of shared buffers, 137 s against
    /// 12 s for the insert and 18 s for the seven sorts, measured on 1,000,000 incidents).
    /// Both engines' DDL is transactional, so a refused or failed load leaves them as they were.
    fn drop_secondary_indexes(
        &mut self,
        kind: RegisterKind,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// Runs one statement.
    fn run(&mut self, sql: &str) -> impl Future<Output = Result<()>> + Send;
    /// Runs one statement with these text parameters; returns the rows it changed.
    fn execute_texts(
        &mut self,
        sql: &str,
        texts: &[&str],
    ) -> impl Future<Output = Result<u64>> + Send;
    /// The months (`YYYY-MM`) the named rows are in now (`impact::months_of`).
    fn months_of(
        &mut self,
        rows: crate::impact::Rows,
        refs: &[&str],
        out: &mut std::collections::BTreeSet<String>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Counts every month of the dashboard's roll-up again (`impact::refresh_all_rollups`).
    fn refresh_all_rollups(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Counts these months of the dashboard's roll-up again (`impact::refresh_rollups`).
    fn refresh_rollups(
        &mut self,
        months: &std::collections::BTreeSet<String>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Binds a row's values to a query, in the order of its kind's upsert ([`width`] of them).
macro_rules! bind_pending {
    ($q:expr, $p:expr, $now:expr, $recorded_by:expr) => {
        match &$p.record {
            Record::Incident(r) => $q
                .bind(r.incident_ref.as_str())
                .bind(r.reported_at.as_str())
                .bind(r.category.as_str())
                .bind(r.area.as_str())
                .bind(i64::from(r.children_involved))
                .bind(i64::from(r.adult_at_risk))
                .bind(i64::from(r.domestic_abuse))
                .bind(officer(&r.officer_staff_number))
                .bind($p.officer_id)
                .bind(r.department.as_str())
                .bind($now)
                .bind($now)
                .bind(r.children_count),
            Record::Referral(r) => $q
                .bind(r.referral_ref.as_str())
                .bind(r.incident_ref.as_str())
                .bind(r.submitted_at.as_str())
                .bind(r.subject_type.as_str())
                .bind(r.category.as_str())
                .bind(r.officer_grade.as_str())
                .bind(officer(&r.officer_staff_number))
                .bind($p.officer_id)
                .bind(r.partner.as_str())
                .bind(r.narrative.as_str())
                .bind($now)
                .bind($now),
            Record::Outcome(r) => $q
                .bind(r.referral_ref.as_str())
                .bind(r.partner.as_str())
                .bind(r.outcome.as_str())
                .bind(r.reason.as_str())
                .bind(r.decided_at.as_str())
                .bind($recorded_by)
                .bind($now),
            Record::Person(r) => $q
                .bind(r.referral_ref.as_str())
                .bind(r.role.as_str())
                .bind(r.name.as_str())
                .bind(r.date_of_birth.as_deref())
                .bind(r.address.as_str())
                .bind(r.area.as_str()),
        }
    };
}

macro_rules! writer_impl {
    ($conn:ty, $audit:path, $rollups:ident, { $($indexes:tt)* }) => {
        impl Writer for $conn {
            async fn months_of(
                &mut self,
                rows: crate::impact::Rows,
                refs: &[&str],
                out: &mut std::collections::BTreeSet<String>,
            ) -> Result<()> {
                crate::impact::rollups::$rollups::months_of(self, rows, refs, out).await
            }
            async fn refresh_all_rollups(&mut self) -> Result<()> {
                crate::impact::rollups::$rollups::refresh_all_rollups(self).await
            }
            async fn refresh_rollups(
                &mut self,
                months: &std::collections::BTreeSet<String>,
            ) -> Result<()> {
                crate::impact::rollups::$rollups::refresh_rollups(self, months).await
            }
            async fn count_rows(&mut self, kind: RegisterKind) -> Result<i64> {
                Ok(sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {}", table(kind)))
                    .fetch_one(&mut *self)
                    .await?)
            }

            async fn upsert_batch(
                &mut self,
                full_sql: &str,
                backend: Backend,
                kind: RegisterKind,
                batch: &[Pending],
                now: &str,
                recorded_by: &str,
            ) -> Result<u64> {
                if batch.is_empty() {
                    return Ok(0);
                }
                let partial;
                let sql = if batch.len() == BATCH_ROWS {
                    full_sql
                } else {
                    partial = upsert_sql(backend, kind, batch.len());
                    partial.as_str()
                };
                let mut q = sqlx::query(sql);
                for p in batch {
                    q = bind_pending!(q, p, now, recorded_by);
                }
                Ok(q.execute(&mut *self).await?.rows_affected())
            }

            async fn known_referrals(&mut self, refs: &[&str]) -> Result<HashSet<String>> {
                let mut known = HashSet::new();
                for chunk in refs.chunks(500) {
                    let placeholders: Vec<String> =
                        (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "SELECT referral_ref FROM referrals WHERE referral_ref IN ({})",
                        placeholders.join(", ")
                    );
                    let mut q = sqlx::query_scalar::<_, String>(&sql);
                    for r in chunk {
                        q = q.bind(*r);
                    }
                    known.extend(q.fetch_all(&mut *self).await?);
                }
                Ok(known)
            }

            async fn recorded_here(
                &mut self,
                batch: &[Pending],
            ) -> Result<HashSet<(String, String)>> {
                let mut found = HashSet::new();
                let refs: Vec<&str> = batch.iter().map(|p| p.record.reference()).collect();
                for chunk in refs.chunks(500) {
                    let placeholders: Vec<String> =
                        (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "SELECT referral_ref, partner FROM referral_outcomes WHERE source <> 'import' AND referral_ref IN ({})",
                        placeholders.join(", ")
                    );
                    let mut q = sqlx::query_as::<_, (String, String)>(&sql);
                    for r in chunk {
                        q = q.bind(*r);
                    }
                    found.extend(q.fetch_all(&mut *self).await?);
                }
                Ok(found)
            }

            async fn audit(&mut self, actor: &Actor, event: Event) -> Result<()> {
                $audit(self, actor, event).await
            }

            $($indexes)*

            async fn run(&mut self, sql: &str) -> Result<()> {
                sqlx::query(sql).execute(&mut *self).await?;
                Ok(())
            }

            async fn execute_texts(&mut self, sql: &str, texts: &[&str]) -> Result<u64> {
                let mut q = sqlx::query(sql);
                for t in texts {
                    q = q.bind(*t);
                }
                Ok(q.execute(&mut *self).await?.rows_affected())
            }
        }
    };
}

writer_impl!(
    PgConnection,
    audit_trail::record_on_postgres,
    native_postgres,
    {
        async fn drop_secondary_indexes(&mut self, kind: RegisterKind) -> Result<Vec<String>> {
            // Indexes behind constraints (the primary key; UNIQUE, which the upsert needs) stay.
            // Dropping an index locks the table against every other reader until the import
            // commits: only ever done for a first load, into a table that is still empty.
            let found: Vec<(String, String)> =
                sqlx::query_as(crate::bulk_load::POSTGRES_SECONDARY_INDEXES)
                    .bind(table(kind))
                    .fetch_all(&mut *self)
                    .await?;
            // The rows go in by `COPY` (`write_batch`): with the UNIQUE constraints and the
            // foreign keys in place, each row is also a random insert into the unique index and
            // a look-up in the referenced table, one by one (measured on 1,000,000 incidents
            // under load: 13.2 s with both; 4.8 s without, then 1.1 s to build the unique index
            // by sorting and 0.3 s to check the foreign key in one join). The reader has
            // already refused a file that names a row twice, and adding each back checks the
            // whole table, so a load that broke one fails and rolls back.
            // (Only for the kinds staged so: the others upsert batch by batch, ON CONFLICT.)
            let constraints: Vec<(String, String, String)> = if copy_columns(kind).is_some() {
                sqlx::query_as(crate::bulk_load::POSTGRES_DROPPABLE_CONSTRAINTS)
                    .bind(table(kind))
                    .fetch_all(&mut *self)
                    .await?
            } else {
                Vec::new()
            };
            let mut unique = Vec::new();
            let mut foreign = Vec::new();
            for (name, kind_code, definition) in constraints {
                let quoted = format!("\"{}\"", name.replace('"', "\"\""));
                sqlx::query(&format!(
                    "ALTER TABLE {} DROP CONSTRAINT {quoted}",
                    table(kind)
                ))
                .execute(&mut *self)
                .await?;
                let add = format!(
                    "ALTER TABLE {} ADD CONSTRAINT {quoted} {definition}",
                    table(kind)
                );
                if kind_code == "u" {
                    unique.push(add);
                } else {
                    foreign.push(add);
                }
            }
            let indexes = drop_indexes(self, found).await?;
            // Unique constraints first (their indexes), the other indexes, then the foreign keys.
            Ok(unique.into_iter().chain(indexes).chain(foreign).collect())
        }

        async fn suspend_day_counts(&mut self, kind: RegisterKind) -> Result<Option<String>> {
            if kind != RegisterKind::Incidents {
                return Ok(None);
            }
            // A trigger per statement, but it keeps every inserted row in a transition table
            // to count them: counted in one pass at the end instead, as on SQLite.
            let sql: Option<String> = sqlx::query_scalar(crate::bulk_load::POSTGRES_TRIGGER)
                .bind("incidents")
                .bind("incident_day_counts_insert")
                .fetch_optional(&mut *self)
                .await?;
            if sql.is_some() {
                self.run("DROP TRIGGER incident_day_counts_insert ON incidents")
                    .await?;
            }
            Ok(sql)
        }

        fn months_at_finish(&self, kind: RegisterKind) -> bool {
            copy_columns(kind).is_some()
        }

        async fn begin_writes(&mut self, kind: RegisterKind) -> Result<()> {
            if let Some(columns) = copy_columns(kind) {
                sqlx::query(&format!(
                    "CREATE TEMPORARY TABLE {STAGED} ON COMMIT DROP AS SELECT {columns} FROM {} WITH NO DATA",
                    table(kind)
                ))
                .execute(&mut *self)
                .await?;
            }
            Ok(())
        }

        async fn write_batch(
            &mut self,
            full_sql: &str,
            backend: Backend,
            kind: RegisterKind,
            batch: &[Pending],
            now: &str,
            recorded_by: &str,
            unconstrained: bool,
        ) -> Result<u64> {
            let Some(columns) = copy_columns(kind) else {
                return self
                    .upsert_batch(full_sql, backend, kind, batch, now, recorded_by)
                    .await;
            };
            if batch.is_empty() {
                return Ok(0);
            }
            let mut data = Vec::with_capacity(batch.len() * 160);
            for p in batch {
                copy_row(&mut data, p, now);
            }
            // Into an empty table whose unique constraints are dropped for the load (see
            // `drop_secondary_indexes`), every row is new: straight in, rather than staged and
            // moved by an `INSERT … SELECT` at the end (1,000,000 incidents: `COPY` into the
            // staging table 1.2 s, then the move 2.0 s). The reader has already refused a file
            // that names a row twice, and adding the constraint back checks the whole table.
            let statement = if unconstrained {
                format!("COPY {} ({columns}) FROM STDIN", table(kind))
            } else {
                format!("COPY {STAGED} FROM STDIN")
            };
            let mut copy = self.copy_in_raw(&statement).await?;
            copy.send(data).await?;
            let copied = copy.finish().await?;
            Ok(if unconstrained { copied } else { 0 })
        }

        async fn stored_rows(
            &mut self,
            kind: RegisterKind,
            rows: usize,
        ) -> Result<Option<crate::stored_rows::StoredRows>> {
            use futures_util::TryStreamExt;
            let Some(select) = compared_select(kind) else {
                return Ok(None);
            };
            let mut stored = crate::stored_rows::StoredRows::with_capacity(rows);
            let mut lines = self
                .copy_out_raw(&format!("COPY ({select}) TO STDOUT"))
                .await?;
            // A message holds whole lines (one, as PostgreSQL sends them); a line split
            // across messages all the same is put together first.
            let mut partial: Vec<u8> = Vec::new();
            let mut whole = true;
            while let Some(data) = lines.try_next().await? {
                let mut rest: &[u8] = &data;
                while let Some(end) = rest.iter().position(|&b| b == b'\n') {
                    let held = if partial.is_empty() {
                        stored.add_line(&rest[..end])
                    } else {
                        partial.extend_from_slice(&rest[..end]);
                        let held = stored.add_line(&partial);
                        partial.clear();
                        held
                    };
                    whole &= held;
                    rest = &rest[end + 1..];
                }
                partial.extend_from_slice(rest);
            }
            // Too many to hold (never at the sizes met): compared on the server, as before.
            Ok(whole.then_some(stored))
        }

        async fn finish_writes(
            &mut self,
            kind: RegisterKind,
            unconstrained: bool,
            look_up: bool,
            months: &mut std::collections::BTreeSet<String>,
        ) -> Result<u64> {
            if copy_columns(kind).is_none() {
                return Ok(0);
            }
            let (date, reference) = match kind {
                RegisterKind::Incidents => ("reported_at", "incident_ref"),
                _ => ("submitted_at", "referral_ref"),
            };
            let written = if unconstrained {
                // Already in the empty table (`write_batch`), every row new. After a large load
                // the whole roll-up is counted again (`import_on`): no months needed.
                let loaded: i64 = sqlx::query_scalar(&format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT {FULL_RECOUNT_ROWS}) AS t",
                    table(kind)
                ))
                .fetch_one(&mut *self)
                .await?;
                if loaded as u64 >= FULL_RECOUNT_ROWS {
                    return Ok(0);
                }
                table(kind)
            } else {
                // Only the rows new or changed, found in one join, kept for the months and the
                // upsert: on a re-import of an unchanged file, none.
                // The join hashes the register's rows in `work_mem`, 4 MB by default: 1,000,000
                // incidents take about 165 MB, so it spilled them to disk in 32 batches. With
                // room for them all the join took 2.8–3.4 s against 3.3–4.5 s (measured in turn
                // under load). The server's memory, for this statement only.
                self.run("SET LOCAL work_mem = '256MB'").await?;
                // A temporary table has no statistics until analyzed: the planner took 65,000
                // staged rows (a large re-import's, before it compares on this side) for
                // 41,000 and hashed all 1,000,000 incidents to join them, 748 ms; analyzed
                // (220 ms), a merge join through the unique index took 102 ms (under load).
                // A small file's few rows are then looked up by the index rather than by
                // reading the whole register.
                self.run(&format!("ANALYZE {STAGED}")).await?;
                sqlx::query(&format!(
                    "CREATE TEMPORARY TABLE {CHANGES} ON COMMIT DROP AS {}",
                    staged_changes(kind)
                ))
                .execute(&mut *self)
                .await?;
                self.run("SET LOCAL work_mem TO DEFAULT").await?;
                CHANGES
            };
            // The months the rows are in after and (when `look_up`) before, and for incidents
            // the months of the referrals made from them (`impact::months_of`, set-based).
            let mut sql = format!("SELECT DISTINCT substr({date}, 1, 7) FROM {written}");
            if look_up {
                sql.push_str(&format!(
                    " UNION SELECT substr(t.{date}, 1, 7) FROM {written} c
                      JOIN {} t ON t.{reference} = c.{reference}",
                    table(kind)
                ));
                if kind == RegisterKind::Incidents {
                    sql.push_str(&format!(
                        " UNION SELECT substr(r.submitted_at, 1, 7) FROM {written} c
                          JOIN referrals r ON r.incident_ref = c.incident_ref"
                    ));
                }
            }
            months.extend(
                sqlx::query_scalar::<_, String>(&sql)
                    .fetch_all(&mut *self)
                    .await?,
            );
            if unconstrained {
                return Ok(0);
            }
            let sql = upsert_from(kind, &format!("SELECT * FROM {CHANGES}"));
            Ok(sqlx::query(&sql).execute(&mut *self).await?.rows_affected())
        }
    }
);

/// On SQLite, the keys met so far in the file, each with the row it was first on (a
/// temporary table of the import's own connection; see [`Writer::repeats`]).
const SEEN: &str = "temp.register_import_keys";

/// On PostgreSQL, incidents and referrals go by `COPY … FROM STDIN` into this temporary table
/// (dropped at the end of the transaction), then into the register by one upsert.
const STAGED: &str = "register_import_rows";

/// On PostgreSQL, the staged rows new to the register or changed (`staged_changes`), which
/// the upsert writes and whose months the dashboard's roll-up counts again.
const CHANGES: &str = "register_import_changes";

/// The columns staged for a kind, in the order of its upsert (`None`: not staged).
fn copy_columns(kind: RegisterKind) -> Option<String> {
    match kind {
        RegisterKind::Incidents | RegisterKind::Referrals => Some(written_columns(kind).join(", ")),
        RegisterKind::Outcomes | RegisterKind::ReferralPeople => None,
    }
}

/// One row in `COPY`'s text format: tab between columns, `\N` for none, and backslash,
/// tab, line feed and carriage return escaped.
fn copy_row(out: &mut Vec<u8>, p: &Pending, now: &str) {
    fn text(out: &mut Vec<u8>, s: &str) {
        for &b in s.as_bytes() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
        out.push(b'\t');
    }
    fn number(out: &mut Vec<u8>, n: Option<i64>) {
        match n {
            Some(n) => out.extend_from_slice(n.to_string().as_bytes()),
            None => out.extend_from_slice(b"\\N"),
        }
        out.push(b'\t');
    }
    match &p.record {
        Record::Incident(r) => {
            text(out, r.incident_ref.as_str());
            text(out, r.reported_at.as_str());
            text(out, r.category.as_str());
            text(out, r.area.as_str());
            number(out, Some(i64::from(r.children_involved)));
            number(out, Some(i64::from(r.adult_at_risk)));
            number(out, Some(i64::from(r.domestic_abuse)));
            text(out, officer(&r.officer_staff_number));
            number(out, p.officer_id);
            text(out, r.department.as_str());
            text(out, now);
            text(out, now);
            number(out, r.children_count);
        }
        Record::Referral(r) => {
            text(out, r.referral_ref.as_str());
            text(out, r.incident_ref.as_str());
            text(out, r.submitted_at.as_str());
            text(out, r.subject_type.as_str());
            text(out, r.category.as_str());
            text(out, r.officer_grade.as_str());
            text(out, officer(&r.officer_staff_number));
            number(out, p.officer_id);
            text(out, r.partner.as_str());
            text(out, r.narrative.as_str());
            text(out, now);
            text(out, now);
        }
        Record::Outcome(_) | Record::Person(_) => return,
    }
    // The last column's tab becomes the line's end.
    out.pop();
    out.push(b'\n');
}

/// On PostgreSQL, the register's incidents or referrals as a large re-import compares them on
/// this side ([`Writer::stored_rows`]): the reference, then each column `changed` compares
/// ([`compared_columns`], in its order; none (NULL) as the value it counts as), each row one
/// line of `COPY`'s text format, as [`compared_line`] writes a row of the file. `None` for the
/// kinds not compared.
fn compared_select(kind: RegisterKind) -> Option<String> {
    let reference = match kind {
        RegisterKind::Incidents => "incident_ref",
        RegisterKind::Referrals => "referral_ref",
        RegisterKind::Outcomes | RegisterKind::ReferralPeople => return None,
    };
    let (equal, optional) = compared_columns(kind);
    let mut columns = vec![reference.to_string()];
    columns.extend(equal.iter().map(|c| c.to_string()));
    columns.extend(
        optional
            .iter()
            .map(|(c, none)| format!("COALESCE({c}, {none})")),
    );
    Some(format!(
        "SELECT {} FROM {}",
        columns.join(", "),
        table(kind)
    ))
}

/// A row of the file as [`compared_select`] gives a stored row, into `out` (emptied first):
/// the same columns in the same order, each written as `COPY`'s text output writes it (text
/// escaped, numbers in decimal). A value written otherwise than the server writes it only
/// makes an unchanged row count as changed: it is then compared again on the server.
fn compared_line(out: &mut Vec<u8>, p: &Pending) {
    use crate::stored_rows::copy_out_text;
    fn number(out: &mut Vec<u8>, n: i64) {
        out.push(b'\t');
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
    let text = |out: &mut Vec<u8>, s: &str| {
        out.push(b'\t');
        copy_out_text(out, s);
    };
    out.clear();
    match &p.record {
        Record::Incident(r) => {
            // `compared_columns`: reported_at, category, area, children_involved,
            // adult_at_risk, domestic_abuse, officer_staff_number, department; then
            // officer_person_id (none: 0) and children_involved_count (none: -1).
            copy_out_text(out, r.incident_ref.as_str());
            text(out, r.reported_at.as_str());
            text(out, r.category.as_str());
            text(out, r.area.as_str());
            number(out, i64::from(r.children_involved));
            number(out, i64::from(r.adult_at_risk));
            number(out, i64::from(r.domestic_abuse));
            text(out, officer(&r.officer_staff_number));
            text(out, r.department.as_str());
            number(out, p.officer_id.unwrap_or(0));
            number(out, r.children_count.unwrap_or(-1));
        }
        Record::Referral(r) => {
            // incident_ref, submitted_at, subject_type, category, officer_grade,
            // officer_staff_number, partner, narrative; then officer_person_id (none: 0).
            copy_out_text(out, r.referral_ref.as_str());
            text(out, r.incident_ref.as_str());
            text(out, r.submitted_at.as_str());
            text(out, r.subject_type.as_str());
            text(out, r.category.as_str());
            text(out, r.officer_grade.as_str());
            text(out, officer(&r.officer_staff_number));
            text(out, r.partner.as_str());
            text(out, r.narrative.as_str());
            number(out, p.officer_id.unwrap_or(0));
        }
        // Not compared (`compared_select`): never asked.
        Record::Outcome(_) | Record::Person(_) => {}
    }
}

/// Drops from a batch the rows `stored` holds exactly as the file gives them (see
/// `stored_rows.rs`); the rest go on to be staged and compared again on the server.
fn drop_stored_unchanged(stored: &crate::stored_rows::StoredRows, batch: &mut Vec<Pending>) {
    let mut line = Vec::with_capacity(256);
    batch.retain(|p| {
        compared_line(&mut line, p);
        !stored.unchanged(&line)
    });
}

/// A re-import on PostgreSQL fetches the register's rows to compare on this side
/// ([`Writer::stored_rows`]) once the file has given, or is estimated from its length after
/// its first batch to hold ([`RegisterReader::estimated_rows`]), at least this share (1/n) of
/// the rows the table holds: a large file, most likely a whole export again. Fetching costs
/// about a quarter of what staging and joining the same number of rows does (1,000,000
/// incidents: ~0.5 s against ~2 s), so a file smaller than this share is compared on the
/// server only, as before, and the rows before the fetch are in any case (with the estimate,
/// one batch rather than a sixteenth of the table).
const COMPARE_HERE_SHARE: usize = 16;

/// The most register rows a re-import fetches to compare on this side: about 47 MB a million
/// (`stored_rows.rs`), so at most about 190 MB. A larger register (a region's, over years) is
/// compared on the server only, as a smaller file is: memory that grows with the register,
/// not with the file, is kept within what one server process can spare.
const COMPARE_HERE_MAX_ROWS: usize = 4_000_000;

/// Whether a re-import fetches the register's rows to compare on this side, having written
/// `seen` rows so far of a file estimated at `estimated` rows (0 when not known) into a
/// register of `before` rows ([`COMPARE_HERE_SHARE`], [`COMPARE_HERE_MAX_ROWS`]).
fn compare_here(seen: usize, estimated: usize, before: usize) -> bool {
    before <= COMPARE_HERE_MAX_ROWS
        && seen.max(estimated).saturating_mul(COMPARE_HERE_SHARE) >= before
}

/// The values [`Writer::drop_unchanged`] binds for each row on SQLite, in the order of
/// [`bind_compared!`]: the reference, then every column `changed` compares
/// ([`compared_columns`]), and nothing else (the import's timestamps are not compared: two
/// texts a row fewer to copy and bind). `None` for the kinds not compared.
fn sqlite_compared_values(kind: RegisterKind) -> Option<&'static str> {
    match kind {
        RegisterKind::Incidents => Some(
            "incident_ref, reported_at, category, area, children_involved, adult_at_risk, domestic_abuse,
             officer_staff_number, department, officer_person_id, children_involved_count",
        ),
        RegisterKind::Referrals => Some(
            "referral_ref, incident_ref, submitted_at, subject_type, category, officer_grade,
             officer_staff_number, partner, narrative, officer_person_id",
        ),
        RegisterKind::Outcomes | RegisterKind::ReferralPeople => None,
    }
}

/// Binds a row's compared values to a query, in the order of [`sqlite_compared_values`].
macro_rules! bind_compared {
    ($q:expr, $p:expr) => {
        match &$p.record {
            Record::Incident(r) => $q
                .bind(r.incident_ref.as_str())
                .bind(r.reported_at.as_str())
                .bind(r.category.as_str())
                .bind(r.area.as_str())
                .bind(i64::from(r.children_involved))
                .bind(i64::from(r.adult_at_risk))
                .bind(i64::from(r.domestic_abuse))
                .bind(officer(&r.officer_staff_number))
                .bind(r.department.as_str())
                .bind($p.officer_id)
                .bind(r.children_count),
            Record::Referral(r) => $q
                .bind(r.referral_ref.as_str())
                .bind(r.incident_ref.as_str())
                .bind(r.submitted_at.as_str())
                .bind(r.subject_type.as_str())
                .bind(r.category.as_str())
                .bind(r.officer_grade.as_str())
                .bind(officer(&r.officer_staff_number))
                .bind(r.partner.as_str())
                .bind(r.narrative.as_str())
                .bind($p.officer_id),
            // Not compared (`sqlite_compared_values`): never asked.
            Record::Outcome(_) | Record::Person(_) => $q,
        }
    };
}

writer_impl!(
    SqliteConnection,
    audit_trail::record_on_sqlite,
    native_sqlite,
    {
        async fn begin_writes(&mut self, _kind: RegisterKind) -> Result<()> {
            // In the import's transaction: gone again with a rollback, and with the connection.
            sqlx::query(&format!(
                "CREATE TEMPORARY TABLE IF NOT EXISTS {SEEN} (key TEXT PRIMARY KEY, row BIGINT NOT NULL) WITHOUT ROWID"
            ))
            .execute(&mut *self)
            .await?;
            Ok(())
        }

        async fn suspend_day_counts(&mut self, kind: RegisterKind) -> Result<Option<String>> {
            if kind != RegisterKind::Incidents {
                return Ok(None);
            }
            let sql: Option<String> = sqlx::query_scalar(crate::bulk_load::SQLITE_TRIGGER)
                .bind("incident_day_counts_insert")
                .fetch_optional(&mut *self)
                .await?;
            if sql.is_some() {
                self.run("DROP TRIGGER incident_day_counts_insert").await?;
            }
            Ok(sql)
        }

        async fn drop_unchanged(
            &mut self,
            kind: RegisterKind,
            batch: &mut Vec<Pending>,
            _now: &str,
        ) -> Result<()> {
            let (Some(columns), reference) = (sqlite_compared_values(kind), kind.fields()[0].key)
            else {
                return Ok(());
            };
            if batch.is_empty() {
                return Ok(());
            }
            // The batch's rows as a table of the values compared (not the import's timestamps),
            // each looked up by its reference (the batch outside, the register's unique index
            // inside). What comes back is the rows to write: new, or differing in some value
            // (`changed` not false, as the upsert's `WHERE` would take it). Asking for the
            // unchanged rows instead sent a million references back from the connection's
            // worker thread on a re-import of an unchanged file, a row at a time; this way
            // none. Re-importing 1,000,000 unchanged incidents, measured in turn on 2 shared
            // cores: this step 2.1 s against 4.2 s, the whole command 4.1 s against 6.1 s.
            // (Binding each row's compared values as one length-prefixed text instead,
            // 2 values a row rather than 13, was measured slower: 12.1 s against 5.9 s for
            // 1,000,000 incidents under load, SQLite's string building costing more than the
            // binding it saved.)
            let sql = format!(
                "WITH v ({columns}) AS (VALUES {})
                 SELECT v.{reference} FROM v LEFT JOIN {table} t ON t.{reference} = v.{reference}
                 WHERE t.{reference} IS NULL OR ({}) IS NOT 0",
                values(Backend::Sqlite, batch.len(), columns.split(',').count(), ""),
                changed(kind, "t", "v"),
                table = table(kind),
            );
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for p in batch.iter() {
                q = bind_compared!(q, p);
            }
            let to_write: HashSet<String> = q.fetch_all(&mut *self).await?.into_iter().collect();
            if to_write.len() < batch.len() {
                batch.retain(|p| to_write.contains(p.record.reference()));
            }
            Ok(())
        }

        async fn repeats(&mut self, batch: &[Pending]) -> Result<Vec<(usize, usize)>> {
            if batch.is_empty() {
                return Ok(Vec::new());
            }
            let keys: Vec<String> = batch.iter().map(|p| unique_key(&p.record)).collect();
            // Each new key is noted with its row; a key met before (in an earlier batch or
            // higher up this one) keeps its first row.
            let sql = format!(
                "INSERT INTO {SEEN} (key, row) VALUES {} ON CONFLICT (key) DO NOTHING",
                values(Backend::Sqlite, batch.len(), 2, "")
            );
            let mut q = sqlx::query(&sql);
            for (key, p) in keys.iter().zip(batch) {
                q = q.bind(key.as_str()).bind(p.row as i64);
            }
            let noted = q.execute(&mut *self).await?.rows_affected();
            if noted == batch.len() as u64 {
                return Ok(Vec::new());
            }
            // Rare: some key was met before. Which, and on which row first?
            let mut first: HashMap<String, i64> = HashMap::new();
            for chunk in keys.chunks(500) {
                let sql = format!(
                    "SELECT key, row FROM {SEEN} WHERE key IN ({})",
                    vec!["?"; chunk.len()].join(", ")
                );
                let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
                for key in chunk {
                    q = q.bind(key.as_str());
                }
                first.extend(q.fetch_all(&mut *self).await?);
            }
            Ok(keys
                .iter()
                .zip(batch)
                .enumerate()
                .filter_map(|(i, (key, p))| match first.get(key) {
                    Some(&row) if row != p.row as i64 => Some((i, row as usize)),
                    _ => None,
                })
                .collect())
        }

        async fn drop_secondary_indexes(&mut self, kind: RegisterKind) -> Result<Vec<String>> {
            // Indexes SQLite made for UNIQUE constraints have no SQL and stay: the upsert needs them.
            let found: Vec<(String, String)> =
                sqlx::query_as(crate::bulk_load::SQLITE_SECONDARY_INDEXES)
                    .bind(table(kind))
                    .fetch_all(&mut *self)
                    .await?;
            drop_indexes(self, found).await
        }
    }
);

/// Drops each `(name, definition)` index found, returning the definitions that build them again
/// ([`Writer::drop_secondary_indexes`] finds them, each engine in its own catalogue).
async fn drop_indexes<W: Writer>(
    conn: &mut W,
    found: Vec<(String, String)>,
) -> Result<Vec<String>> {
    let mut rebuild = Vec::with_capacity(found.len());
    for (name, sql) in found {
        conn.run(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
            .await?;
        rebuild.push(sql);
    }
    Ok(rebuild)
}

/// Checks a batch of outcomes or people against the referrals in the register (a row for an
/// unknown referral is an error) and, for outcomes, drops those recorded in mashboard. Returns
/// the errors and how many were dropped.
async fn check_batch<W: Writer>(
    conn: &mut W,
    kind: RegisterKind,
    batch: &mut Vec<Pending>,
) -> Result<(Vec<RowError>, u64)> {
    if !matches!(kind, RegisterKind::Outcomes | RegisterKind::ReferralPeople) || batch.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let refs: Vec<&str> = batch.iter().map(|p| p.record.reference()).collect();
    let known = conn.known_referrals(&refs).await?;
    let mut unknown = Vec::new();
    batch.retain(|p| {
        let ok = known.contains(p.record.reference());
        if !ok {
            unknown.push(RowError {
                row: p.row,
                column: Some("referral_ref".into()),
                reason: format!(
                    "There is no referral {} in the register. Import the referrals first, or correct the reference",
                    p.record.reference()
                ),
            });
        }
        ok
    });
    let mut skipped = 0;
    if kind == RegisterKind::Outcomes && !batch.is_empty() {
        let kept = conn.recorded_here(batch).await?;
        if !kept.is_empty() {
            let before = batch.len();
            batch.retain(|p| match &p.record {
                Record::Outcome(o) => !kept.contains(&(o.referral_ref.clone(), o.partner.clone())),
                _ => true,
            });
            skipped = (before - batch.len()) as u64;
        }
    }
    Ok((unknown, skipped))
}

/// Adds to `out` the months of the dashboard's roll-ups that writing this batch changes: the
/// rows' months before (incidents: and the months of referrals made from them; looked up only
/// when `look_up`) and after.
async fn touched_months<W: Writer>(
    conn: &mut W,
    kind: RegisterKind,
    batch: &[Pending],
    look_up: bool,
    out: &mut std::collections::BTreeSet<String>,
) -> Result<()> {
    use crate::impact::{month_of, Rows};
    let rows = match kind {
        RegisterKind::Incidents => Rows::Incidents,
        RegisterKind::Referrals | RegisterKind::Outcomes => Rows::Referrals,
        RegisterKind::ReferralPeople => return Ok(()),
    };
    if look_up {
        let refs: Vec<&str> = batch.iter().map(|p| p.record.reference()).collect();
        conn.months_of(rows, &refs, out).await?;
    }
    for p in batch {
        let new = match &p.record {
            Record::Incident(r) => month_of(r.reported_at.as_str()),
            Record::Referral(r) => month_of(r.submitted_at.as_str()),
            _ => None,
        };
        out.extend(new);
    }
    Ok(())
}

/// Builds the missing-referral queue in the import's transaction, after a load of incidents
/// into an empty table: what `queue::refresh` would then do, in one statement that reads the
/// table once in storage order (the refresh, planned for a register that changes a little at a
/// time, reads it through the `reported_at` index and looks each row up, which is seconds of
/// random reads at a million rows). With no incidents before, there was no queue (its items
/// name incidents) and no open item to close, so every incident that matches the rules, has
/// passed its window and has no referral within it joins the queue. Records what was looked at
/// as the refresh does (`queue_refresh_state`), and its audit event. Returns how many joined.
async fn queue_after_first_load<W: Writer>(
    conn: &mut W,
    backend: Backend,
    rules: &mashboard_domain::queue::Rules,
    stamp: &str,
) -> Result<u64> {
    use mashboard_domain::queue::format_local_time;
    let now = time::OffsetDateTime::now_utc();
    let queued_at = now_text();
    let cutoff = format_local_time(crate::queue::local_now(now) - rules.window());
    // As the refresh does: later refreshes look again at rows changed from a few minutes
    // before this one.
    let changed_since = crate::instant_text(now - time::Duration::minutes(5));
    let enabled = rules.enabled();
    let added = if enabled.is_empty() {
        0
    } else {
        let flags: Vec<String> = enabled
            .iter()
            .map(|r| format!("i.{} = 1", r.as_str()))
            .collect();
        let names: Vec<String> = enabled
            .iter()
            .map(|r| format!("CASE WHEN i.{0} = 1 THEN ',{0}' ELSE '' END", r.as_str()))
            .collect();
        let deadline = crate::queue::deadline_sql(backend, rules.window_hours);
        // Nearly every row passes `reported_at < cutoff`: on SQLite read the table, not the index.
        let scan = match backend {
            Backend::Sqlite => " NOT INDEXED",
            Backend::Postgres => "",
        };
        let (names, flags) = (names.join(" || "), flags.join(" OR "));
        let from = format!(
            "FROM incidents i{scan}
             WHERE i.reported_at < $2 AND ({flags})
               AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.incident_ref = i.incident_ref
                   AND SUBSTR(r.submitted_at, 1, 19) <= {deadline})"
        );
        // (On PostgreSQL a `SELECT`'s rows changed are the rows it returned.)
        let queue_empty = backend == Backend::Postgres
            && conn
                .execute_texts("SELECT 1 FROM missing_referrals LIMIT 1", &[])
                .await?
                == 0;
        if queue_empty {
            let select = format!(
                "SELECT i.id, i.department, i.officer_person_id, SUBSTR({names}, 2) AS rule {from}"
            );
            queue_into_empty_postgres(conn, &select, &queued_at, &cutoff).await?
        } else {
            let sql = format!(
                "INSERT INTO missing_referrals (incident_id, rule, queued_at)
             SELECT i.id, SUBSTR({names}, 2), $1 {from}
             ON CONFLICT (incident_id) DO NOTHING"
            );
            conn.execute_texts(&sql, &[&queued_at, &cutoff]).await?
        }
    };
    // Every incident is stamped `stamp` by this load and was examined just now: the next
    // refresh passes them over (`queue::refresh`), where `changed_since` alone would have it
    // examine the whole table again if it ran within a few minutes (a re-import, say).
    conn.execute_texts(
        "INSERT INTO queue_refresh_state (id, rules, cutoff, changed_since, examined_stamp)
         VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, cutoff = excluded.cutoff,
            changed_since = excluded.changed_since, examined_stamp = excluded.examined_stamp",
        &[&rules.encode(), &cutoff, &changed_since, stamp],
    )
    .await?;
    if added > 0 {
        conn.audit(
            &Actor::system(),
            Event::new(
                "missing.refresh",
                format!(
                    "Checked for missing referrals: {added} incident(s) added to the queue, 0 closed because an in-time referral is now on the register"
                ),
            )
            .after(&serde_json::json!({
                "added": added,
                "closed_in_time": 0,
                "rules": rules.encode(),
            })),
        )
        .await?;
    }
    Ok(added)
}

/// The triggers on PostgreSQL that act on each insert into the missing-referral queue: the check
/// that each item names an incident (migration 23), and the counts by department and by officer
/// of the items queued and closed each day (migrations 26 and 31).
/// [`queue_into_empty_postgres`] does their work itself; a trigger added to the queue must be
/// added there too (the store's tests list them).
pub const QUEUE_INSERT_TRIGGERS: [&str; 3] = [
    "missing_referrals_incident_insert",
    "queue_day_counts_insert",
    "queue_officer_day_counts_insert",
];

/// The queue's build after a first load on PostgreSQL, into an empty queue: the items `select`
/// finds (its columns `id, department, officer_person_id, rule`; `$2` the cutoff) are queued at
/// `$1`, and the day counts by department and by officer get them, in one statement that reads
/// the incidents once. With the queue's insert triggers in force, each of them joined the
/// items written (a transition table of every one) to the incidents again, and the insert
/// looked each item up for a conflict: at 1,000,000 incidents (474,762 queued, measured in
/// turn under load) 18.8 s that way, 6.2–8.0 s this way. The items come from the incidents
/// themselves, so each names one; into an empty queue nothing conflicts. The triggers are
/// disabled for this statement only, inside the import's transaction (a rejected or failed
/// import leaves them as they were); that locks the queue against other writers until the
/// commit, as the load's dropped indexes already lock the incidents they must read. Returns
/// how many were queued.
async fn queue_into_empty_postgres<W: Writer>(
    conn: &mut W,
    select: &str,
    queued_at: &str,
    cutoff: &str,
) -> Result<u64> {
    for trigger in QUEUE_INSERT_TRIGGERS {
        conn.run(&format!(
            "ALTER TABLE missing_referrals DISABLE TRIGGER {trigger}"
        ))
        .await?;
    }
    // As the triggers count: the queued day is the first ten characters of `queued_at`, an open
    // item's closed day is '', officers only when linked; each count changed once, in key order.
    let sql = format!(
        "WITH q AS MATERIALIZED ({select}),
         by_department AS (
             INSERT INTO queue_day_counts (department, queued_day, closed_day, n)
             SELECT department, substr($1, 1, 10), '', COUNT(*) FROM q
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
             ON CONFLICT (department, queued_day, closed_day)
                 DO UPDATE SET n = queue_day_counts.n + EXCLUDED.n),
         by_officer AS (
             INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
             SELECT officer_person_id, substr($1, 1, 10), '', COUNT(*) FROM q
             WHERE officer_person_id IS NOT NULL
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
             ON CONFLICT (officer_id, queued_day, closed_day)
                 DO UPDATE SET n = queue_officer_day_counts.n + EXCLUDED.n)
         INSERT INTO missing_referrals (incident_id, rule, queued_at)
         SELECT id, rule, $1 FROM q"
    );
    let added = conn.execute_texts(&sql, &[queued_at, cutoff]).await?;
    for trigger in QUEUE_INSERT_TRIGGERS {
        conn.run(&format!(
            "ALTER TABLE missing_referrals ENABLE TRIGGER {trigger}"
        ))
        .await?;
    }
    Ok(added)
}

/// Everyone in the directory by staff number (upper case) → person id.
async fn directory(store: &Store) -> Result<HashMap<String, i64>> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, staff_number FROM people")
        .fetch_all(store.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, sn)| (sn.to_uppercase(), id))
        .collect())
}

/// SQLite's page cache for the import's own connection (8 MiB; the pool's connections keep
/// SQLite's 2 MiB default). Rows are appended or met in the order of the file, so the pages in
/// use at any moment are few; a larger cache mostly delays writing them, and counts against the
/// import's memory (the whole process is to stay under 64 MB for a million incidents). Its
/// temporary tables (the keys met so far, [`SEEN`]) and sorts go to files, with SQLite's
/// default 2 MiB cache of their own.
const IMPORT_CACHE_KIB: i64 = 8 * 1024;
/// The same connection's page cache, and so its sorting memory, while it builds indexes again
/// after a load into an empty table. Smaller sorted runs, merged, cost less time as well as
/// less memory (measured with `sqlite3` building the seven incident indexes over 1,000,000
/// rows: 8 MiB, 8.2 s of CPU and 21 MB; 2 MiB, 4.7 s and 9 MB; 1 MiB about the same as 2).
/// (SQLite's multi-threaded sorter, `PRAGMA threads = 2` on this connection, was measured and
/// left off: on 2 shared cores the seven index builds after a load of 1,000,000 incidents took
/// 8.2 s against 5.8 s without, and the import's peak memory rose from 62 to 65 MiB, past the
/// 64 MB it is to stay under; `sqlite3` alone, on cores busy with other work, built them in
/// 23 s against 30 s but with more processor time.)
const SORT_CACHE_KIB: i64 = 2 * 1024;

/// A native SQLite connection of its own for an import, to the store's database file: values
/// are bound straight into prepared statements, without the generic driver's layer. Only this
/// connection gets the larger page cache; like the pool's, it runs in WAL mode with
/// `synchronous = NORMAL`, foreign keys on and the same busy timeout.
async fn sqlite_import_connection(store: &Store) -> Result<SqliteConnection> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::ConnectOptions;
    let file = store
        .url()
        .sqlite_path()
        .ok_or_else(|| StoreError::Invalid("not a SQLite database".into()))?;
    let options = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(10))
        .pragma("cache_size", format!("-{IMPORT_CACHE_KIB}"))
        .pragma("temp_store", "FILE");
    Ok(options.connect().await?)
}

/// Rows per batch where [`Writer::months_at_finish`] (PostgreSQL's incidents and referrals):
/// each batch is one `COPY` into the staging table and asks nothing else of the database, so
/// fewer, larger batches save round trips (1,000 of them took 4.4 s of 1,000,000 incidents).
const COPY_BATCH_ROWS: usize = 5000;

/// How long each phase of an import took, logged at debug level (`MASHBOARD_LOG=
/// mashboard_store::register=debug`): names and milliseconds only, never a row's data.
struct Phases {
    kind: &'static str,
    last: std::time::Instant,
}

impl Phases {
    fn new(kind: RegisterKind) -> Phases {
        Phases {
            kind: kind.as_str(),
            last: std::time::Instant::now(),
        }
    }

    /// Logs the time since the last lap as `phase`.
    fn lap(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        log_phase(self.kind, phase, now - self.last);
        self.last = now;
    }
}

fn log_phase(kind: &str, phase: &str, took: std::time::Duration) {
    tracing::debug!(
        kind,
        phase,
        ms = (took.as_secs_f64() * 1000.0).round() as u64,
        "register import phase"
    );
}

/// Imports a register file, all or nothing (see the module docs). `file_name` names it in the
/// report and the audit trail. The report says whether it was rejected; an `Err` is a database
/// failure, after which nothing was written either.
///
/// The file is read on a thread of its own while this task writes (see [`import_on`]), so the
/// reader owns what it reads (`'static`): a file, or bytes in a `Cursor`.
pub async fn import<R: Read + Send + 'static>(
    store: &Store,
    actor: &Actor,
    mut reader: RegisterReader<R>,
    file_name: &str,
    dry_run: bool,
) -> Result<RegisterReport> {
    use sqlx::Connection;
    let kind = reader.kind();
    let mut report = RegisterReport::new(kind, file_name, dry_run);
    report.ignored_columns = reader.ignored_columns();
    let people = match kind {
        RegisterKind::Incidents | RegisterKind::Referrals => directory(store).await?,
        _ => HashMap::new(),
    };
    let finished = match store.backend() {
        Backend::Sqlite => {
            // The keys met so far go to a temporary table on disk, not the reader's memory.
            reader.check_repeats_elsewhere();
            let mut conn = sqlite_import_connection(store).await?;
            let result =
                import_on::<sqlx::Sqlite, _>(&mut conn, store, actor, reader, &mut report, people)
                    .await;
            conn.close().await?;
            result?
        }
        Backend::Postgres => {
            // A native connection of its own, for `COPY` (see `STAGED`).
            let mut conn = PgConnection::connect(store.url().expose()).await?;
            let result = import_on::<sqlx::Postgres, _>(
                &mut conn,
                store,
                actor,
                reader,
                &mut report,
                people,
            )
            .await;
            conn.close().await?;
            result?
        }
    };
    if finished == Finished::Committed
        && matches!(kind, RegisterKind::Incidents | RegisterKind::Referrals)
    {
        let started = std::time::Instant::now();
        crate::register::after_register_import(store).await?;
        log_phase(
            kind.as_str(),
            "queue refresh after commit",
            started.elapsed(),
        );
    }
    Ok(report)
}

/// How an import's transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finished {
    /// Rolled back: a rejection or a dry run.
    RolledBack,
    /// Committed; the missing-referral queue is still to be refreshed.
    Committed,
    /// Committed with the queue built in the same transaction ([`queue_after_first_load`]).
    CommittedWithQueue,
}

/// What the reading side hands the writing side: a batch of good rows.
type Batch = Vec<Pending>;

/// The reading side of an import, on a thread of its own ([`import_on`]): parses and validates
/// the file, counts each bad row's problems in the report, and sends the good rows in batches of
/// `batch_rows` to the writer, waiting while the channel is full (two batches), so memory stays
/// flat. Stops early when the writer has gone (it failed, or the import was dropped). Returns
/// the reader, for its counts.
fn read_batches<R: Read>(
    mut reader: RegisterReader<R>,
    sender: tokio::sync::mpsc::Sender<Batch>,
    report: &std::sync::Mutex<RegisterReport>,
    batch_rows: usize,
    estimated_rows: &std::sync::atomic::AtomicUsize,
) -> RegisterReader<R> {
    let kind = reader.kind();
    let mut batch: Batch = Vec::with_capacity(batch_rows);
    let mut since_check = 0usize;
    // Time spent waiting for the writer to take a batch; the rest is parsing and validating
    // (timed per batch, not per row: two clock reads a row took 4% of the reader's time).
    let mut waiting = std::time::Duration::ZERO;
    let started = std::time::Instant::now();
    while let Some(parsed) = reader.next() {
        since_check += 1;
        match parsed.result {
            Err(errors) => {
                let mut r = report.lock().expect("import report");
                for e in errors {
                    r.error(e);
                }
            }
            Ok(record) => batch.push(Pending {
                row: parsed.row,
                record,
                officer_id: None,
            }),
        }
        if batch.len() == batch_rows {
            if estimated_rows.load(std::sync::atomic::Ordering::Relaxed) == 0 {
                // Before the first batch goes: how long the file likely is (see
                // `COMPARE_HERE_SHARE`).
                if let Some(rows) = reader.estimated_rows() {
                    estimated_rows.store(rows.max(1), std::sync::atomic::Ordering::Relaxed);
                }
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_rows));
            let sending = std::time::Instant::now();
            if sender.blocking_send(full).is_err() {
                break;
            }
            waiting += sending.elapsed();
            since_check = 0;
        } else if since_check >= batch_rows {
            // Rows with errors fill no batch: see now and then whether the writer has gone.
            if sender.is_closed() {
                break;
            }
            since_check = 0;
        }
    }
    let parsing = started.elapsed().saturating_sub(waiting);
    if !batch.is_empty() {
        let _ = sender.blocking_send(batch);
    }
    drop(sender);
    log_phase(kind.as_str(), "read: parse and validate", parsing);
    log_phase(kind.as_str(), "read: wait for the writer", waiting);
    reader
}

/// The import inside its transaction.
///
/// Reading and writing overlap: a thread parses the file into batches ([`read_batches`]), this
/// task writes each batch while the next is parsed (the database works on its own thread or
/// server), through a channel two batches deep, so memory stays flat.
async fn import_on<DB, R>(
    conn: &mut DB::Connection,
    store: &Store,
    actor: &Actor,
    reader: RegisterReader<R>,
    report: &mut RegisterReport,
    people: HashMap<String, i64>,
) -> Result<Finished>
where
    DB: sqlx::Database,
    DB::Connection: Writer,
    R: Read + Send + 'static,
{
    use sqlx::Connection;
    let kind = reader.kind();
    let dry_run = report.dry_run;
    let file_name = report.file_name.clone();
    let backend = store.backend();
    let sql = upsert_sql(backend, kind, BATCH_ROWS);
    let now = now_text();
    // Read before the transaction: the queue is built in it after a first load of incidents.
    let rules = match kind {
        RegisterKind::Incidents if !dry_run => Some(crate::queue::rules(store).await?),
        _ => None,
    };
    let mut phases = Phases::new(kind);
    let mut tx = conn.begin_with(crate::begin_statement(backend)).await?;
    let before = tx.count_rows(kind).await?;
    // The roll-up needs the months rows were in before they changed (and, for incidents, the
    // months of the referrals made from them). Into an empty table there is nothing to look
    // up (the reader refuses a file that names a row twice).
    let look_up_months = match kind {
        RegisterKind::Incidents => before > 0 || tx.count_rows(RegisterKind::Referrals).await? > 0,
        RegisterKind::Referrals => before > 0,
        RegisterKind::Outcomes | RegisterKind::ReferralPeople => true,
    };
    // Into an empty table, load first and build the secondary indexes at the end (in the same
    // transaction, so a rejected or failed import leaves them as they were).
    let rebuild = if before == 0 && !dry_run {
        tx.drop_secondary_indexes(kind).await?
    } else {
        Vec::new()
    };
    // Likewise the per-row trigger that counts incidents by day (SQLite: a second write for
    // every row; measured with `sqlite3`, 1,000,000 inserts took 2.1 s of CPU with it and
    // 1.1 s without): the days are counted in one pass at the end.
    let day_counts = if before == 0 && !dry_run {
        tx.suspend_day_counts(kind).await?
    } else {
        None
    };
    tx.begin_writes(kind).await?;
    let batch_rows = if tx.months_at_finish(kind) {
        COPY_BATCH_ROWS
    } else {
        BATCH_ROWS
    };
    phases.lap("begin, count, drop indexes and triggers");
    let shared = std::sync::Arc::new(std::sync::Mutex::new(std::mem::replace(
        report,
        RegisterReport::new(kind, &file_name, dry_run),
    )));
    let lock = || shared.lock().expect("import report");
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Batch>(2);
    // The months whose dashboard roll-ups this import changes (see `impact::refresh_rollups`).
    let mut touched = std::collections::BTreeSet::new();

    // The reader parses and validates on a thread of its own, so that parsing and the writer's
    // own work (PostgreSQL: formatting each batch for `COPY`; SQLite: binding it) use two
    // cores rather than taking turns on one. It hands back the reader when the file is done.
    // Measured on 1,000,000 incidents into PostgreSQL with both cores of the machine already
    // busy (load average 9): no gain beyond the noise (reading and writing overlapped, first
    // load 5.4 and 8.4 s before, 6.0 and 7.6 s after; re-import 5.0 and 6.8 s before, 4.7 and
    // 6.0 s after); the gain is where a core is free.
    // How many rows the file likely holds, from its length, once the reader has read a batch
    // (0 until then, or when its length is not known).
    let estimated_rows = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reading = {
        let shared = std::sync::Arc::clone(&shared);
        let estimated_rows = std::sync::Arc::clone(&estimated_rows);
        tokio::task::spawn_blocking(move || {
            read_batches(reader, sender, &shared, batch_rows, &estimated_rows)
        })
    };
    let write = async {
        let result = async {
            let mut affected: u64 = 0;
            let mut good: u64 = 0;
            // Time spent in each step over all batches, and waiting for the reader.
            let mut took = [std::time::Duration::ZERO; 6];
            let mut step = std::time::Instant::now();
            let mut lap = |i: usize| {
                let now = std::time::Instant::now();
                took[i] += now - step;
                step = now;
            };
            let months_at_finish = tx.months_at_finish(kind);
            // A large re-import compares on this side from when the file has shown itself
            // large (see `COMPARE_HERE_SHARE`): the rows written so far, and the register's.
            let mut seen = 0usize;
            let (mut stored, mut fetched) = (None, false);
            while let Some(mut batch) = receiver.recv().await {
                lap(0);
                // Rows whose key an earlier row used (where the database keeps the keys), then
                // the officers linked: in the order of the file, as the reader would have.
                let repeats = tx.repeats(&batch).await?;
                if !repeats.is_empty() {
                    let mut r = lock();
                    let mut drop_row = vec![false; batch.len()];
                    for (i, first) in repeats {
                        r.error(repeat_error(&batch[i].record, first, batch[i].row));
                        drop_row[i] = true;
                    }
                    let mut i = 0;
                    batch.retain(|_| {
                        i += 1;
                        !drop_row[i - 1]
                    });
                }
                {
                    let mut r = lock();
                    for p in batch.iter_mut() {
                        good += 1;
                        if let Some(sn) = p.record.officer() {
                            match people.get(sn.as_str()) {
                                Some(id) => p.officer_id = Some(*id),
                                None => r.warning(RowError {
                                    row: p.row,
                                    column: Some("officer_staff_number".into()),
                                    reason: format!(
                                        "Officer {sn} is not in the people directory; the {} is imported without a link to them",
                                        kind.row_noun()
                                    ),
                                }),
                            }
                        }
                        if good <= PREVIEW_ROWS as u64 {
                            r.first_rows.push(PreviewRow {
                                row: p.row,
                                reference: p.record.reference().to_string(),
                                summary: p.record.summary(),
                            });
                        }
                    }
                }
                lap(1);
                let (errors, skipped) = check_batch(&mut *tx, kind, &mut batch).await?;
                let rejected = {
                    let mut r = lock();
                    for e in errors {
                        r.error(e);
                    }
                    r.skipped += skipped;
                    r.rejected()
                };
                lap(2);
                if !rejected {
                    if before > 0 {
                        tx.drop_unchanged(kind, &mut batch, &now).await?;
                        seen += batch.len();
                        let estimated =
                            estimated_rows.load(std::sync::atomic::Ordering::Relaxed);
                        if stored.is_none()
                            && !fetched
                            && compare_here(seen, estimated, before as usize)
                        {
                            fetched = true;
                            let started = std::time::Instant::now();
                            stored = tx.stored_rows(kind, before as usize).await?;
                            log_phase(
                                kind.as_str(),
                                "write: the register's rows fetched to compare here",
                                started.elapsed(),
                            );
                        }
                        if let Some(stored) = &stored {
                            drop_stored_unchanged(stored, &mut batch);
                        }
                    }
                    lap(3);
                    if !dry_run && !months_at_finish {
                        touched_months(&mut *tx, kind, &batch, look_up_months, &mut touched)
                            .await?;
                    }
                    lap(4);
                    affected += tx
                        .write_batch(
                            &sql,
                            backend,
                            kind,
                            &batch,
                            &now,
                            &actor.name,
                            !rebuild.is_empty(),
                        )
                        .await?;
                    lap(5);
                }
            }
            lap(0);
            for (i, phase) in [
                "write: wait for the reader",
                "write: repeated keys and officer links",
                "write: checks against the register",
                "write: drop unchanged rows",
                "write: months the rows touch",
                "write: insert, upsert or COPY each batch",
            ]
            .into_iter()
            .enumerate()
            {
                log_phase(kind.as_str(), phase, took[i]);
            }
            // The reading side is done (it dropped the channel), so the report is final.
            let rejected = lock().rejected();
            if !rejected {
                let started = std::time::Instant::now();
                affected += tx
                    .finish_writes(kind, !rebuild.is_empty(), look_up_months, &mut touched)
                    .await?;
                log_phase(kind.as_str(), "write: staged rows into the register", started.elapsed());
            }
            Ok::<(u64, u64), StoreError>((good, affected))
        }
        .await;
        // After a failure the reading side must not wait for room in the channel.
        receiver.close();
        result
    };

    let (reader, written) = tokio::join!(reading, write);
    let reader = match reader {
        Ok(reader) => reader,
        // Only a panic while reading ends the thread otherwise (a runtime shutting down does
        // not poll this future again).
        Err(e) => std::panic::resume_unwind(
            e.try_into_panic()
                .unwrap_or_else(|e| Box::new(e.to_string())),
        ),
    };
    phases.lap("read and write (overlapped)");
    let mut r = std::mem::replace(
        &mut *shared.lock().expect("import report"),
        RegisterReport::new(kind, &file_name, dry_run),
    );
    r.rows_read = reader.rows_read();
    r.encoding = reader.encoding();
    if r.rows_read == 0 && r.error_count == 0 {
        // A header with no rows is refused, as the people, training and CPD imports refuse it:
        // "0 rows imported" would read as success for a file that was cut short.
        r.error(RowError {
            row: reader.header_row(),
            column: None,
            reason: format!(
                "The file is empty: it has no rows under the header. Add one row per {} under the header row and try again.",
                kind.row_noun()
            ),
        });
    }
    r.keep_first_errors();
    *report = r;
    let (good_rows, affected) = written?;

    if report.rejected() {
        tx.rollback().await?;
        audit_trail::record(
            store,
            actor,
            Event::new(
                "register.import_rejected",
                format!(
                    "Rejected {} file {file_name}: {} {}; nothing imported",
                    kind.as_str(),
                    report.error_count,
                    if report.error_count == 1 {
                        "problem"
                    } else {
                        "problems"
                    }
                ),
            )
            .after(&report.counts_json()),
        )
        .await?;
        return Ok(Finished::RolledBack);
    }
    let after = tx.count_rows(kind).await?;
    phases.lap("count after");
    report.created = u64::try_from(after - before).unwrap_or(0);
    report.updated = affected.saturating_sub(report.created);
    report.unchanged = good_rows.saturating_sub(affected + report.skipped);
    if dry_run {
        tx.rollback().await?;
        audit_trail::record(
            store,
            actor,
            Event::new(
                "register.import_checked",
                format!(
                    "Checked {} file {file_name} without importing: {}",
                    kind.as_str(),
                    report.summary()
                ),
            )
            .after(&report.counts_json()),
        )
        .await?;
        return Ok(Finished::RolledBack);
    }
    if !rebuild.is_empty() && backend == Backend::Sqlite {
        // Each index is built by one pass over the table (which a cache cannot save) and a
        // sort whose memory SQLite sizes by the page cache: smaller sorted runs, merged, cost
        // less time and memory than large ones (see `SORT_CACHE_KIB`). What follows (the
        // roll-up and the queue) reads the table once too.
        tx.run(&format!("PRAGMA cache_size = -{SORT_CACHE_KIB}"))
            .await?;
    }
    if !rebuild.is_empty() && backend == Backend::Postgres {
        // Each index is built by a sort in PostgreSQL's server, with `maintenance_work_mem`
        // (64 MB by default) to sort in before it spills to disk: 256 MB for this transaction
        // built an index over 1,000,000 incidents in about four fifths of the time (2.1–2.3 s
        // against 2.7–2.9 s, measured in turn under load). The server's memory, for the length
        // of the rebuild.
        tx.run("SET LOCAL maintenance_work_mem = '256MB'").await?;
    }
    for index in rebuild {
        tx.run(&index).await?;
        phases.lap("build an index or constraint again");
    }
    if let Some(trigger) = day_counts {
        // What the trigger would have added, row by row (the table was empty before).
        tx.run(
            "INSERT INTO incident_day_counts (day, n)
             SELECT substr(reported_at, 1, 10), COUNT(*) FROM incidents WHERE true
             GROUP BY substr(reported_at, 1, 10)
             ON CONFLICT (day) DO UPDATE SET n = incident_day_counts.n + excluded.n",
        )
        .await?;
        tx.run(&trigger).await?;
        phases.lap("count incidents by day");
    }
    if backend == Backend::Postgres && (before == 0 || affected.saturating_mul(10) >= before as u64)
    {
        // A load that changes a tenth of the table or more leaves PostgreSQL's statistics
        // saying what the table was before (nothing, for a new or emptied one) until autovacuum
        // next looks. The queue refresh that follows, and the next import, would be planned on
        // them: nested loops over "a few rows" that are really a million, minutes instead of
        // seconds. ANALYZE samples a bounded number of rows, so it costs well under a second.
        tx.run(&format!("ANALYZE {}", table(kind))).await?;
        phases.lap("analyze");
    }
    if before == 0
        && report.created >= FULL_RECOUNT_ROWS
        && matches!(kind, RegisterKind::Incidents | RegisterKind::Referrals)
    {
        // A large first load: count every month again in one pass over the tables, rather
        // than month by month through the date index (a random look-up of each row).
        tx.refresh_all_rollups().await?;
    } else {
        tx.refresh_rollups(&touched).await?;
    }
    phases.lap("dashboard roll-ups");
    // After a first load of incidents the queue is built here, reading the table once, rather
    // than by the refresh after the commit (see `queue_after_first_load`).
    let queue_built = match &rules {
        Some(rules) if before == 0 => {
            queue_after_first_load(&mut *tx, backend, rules, &now).await?;
            phases.lap("missing-referral queue built");
            true
        }
        _ => false,
    };
    tx.audit(
        actor,
        Event::new(
            "register.import",
            format!(
                "Imported {} from {file_name}: {}",
                kind.as_str(),
                report.summary()
            ),
        )
        .after(&report.counts_json()),
    )
    .await?;
    phases.lap("audit event");
    tx.commit().await?;
    phases.lap("commit");
    Ok(if queue_built {
        Finished::CommittedWithQueue
    } else {
        Finished::Committed
    })
}

// Saved mappings: the one store of every import's (`crate::imports`).
pub use crate::imports::{mapping, mappings, save_mapping, SavedMapping};

// ---------------------------------------------------------------------------------------------
// Reading the register

/// An incident as stored, with its officer's name when they are in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Incident {
    pub id: i64,
    pub incident_ref: String,
    pub reported_at: String,
    pub category: String,
    pub area: String,
    #[sqlx(try_from = "crate::Flag")]
    pub children_involved: bool,
    /// How many children, when the imported file gave a number.
    pub children_involved_count: Option<i64>,
    #[sqlx(try_from = "crate::Flag")]
    pub adult_at_risk: bool,
    #[sqlx(try_from = "crate::Flag")]
    pub domestic_abuse: bool,
    pub officer_staff_number: String,
    pub officer_name: Option<String>,
    pub department: String,
    pub imported_at: String,
    pub updated_at: String,
}

/// A referral as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Referral {
    pub id: i64,
    pub referral_ref: String,
    pub incident_ref: String,
    pub submitted_at: String,
    pub subject_type: String,
    pub category: String,
    pub officer_grade: String,
    pub officer_staff_number: String,
    pub officer_name: Option<String>,
    pub partner: String,
    pub narrative: String,
    pub imported_at: String,
    pub updated_at: String,
}

/// A referral in a list (no narrative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReferralSummary {
    /// Where it sits in the list (the tie-breaker of its order); not shown.
    #[serde(skip)]
    pub id: i64,
    pub referral_ref: String,
    pub incident_ref: String,
    pub submitted_at: String,
    pub subject_type: String,
    pub category: String,
    pub officer_staff_number: String,
    pub officer_name: Option<String>,
    pub partner: String,
}

/// A person named in a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NamedPerson {
    pub role: String,
    pub name: String,
    pub date_of_birth: Option<String>,
    pub address: String,
    pub area: String,
}

/// A partner's outcome for a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RecordedOutcome {
    pub partner: String,
    pub outcome: String,
    pub reason: String,
    pub decided_at: String,
    pub source: String,
    pub recorded_by: String,
    pub updated_at: String,
}

const SELECT_INCIDENT: &str = "SELECT i.id, i.incident_ref, i.reported_at, i.category, i.area,
    i.children_involved, i.children_involved_count, i.adult_at_risk, i.domestic_abuse, i.officer_staff_number, p.name AS officer_name,
    i.department, i.imported_at, i.updated_at
    FROM incidents i LEFT JOIN people p ON p.id = i.officer_person_id";

const SELECT_REFERRAL: &str = "SELECT r.id, r.referral_ref, r.incident_ref, r.submitted_at, r.subject_type,
    r.category, r.officer_grade, r.officer_staff_number, p.name AS officer_name, r.partner, r.narrative,
    r.imported_at, r.updated_at
    FROM referrals r LEFT JOIN people p ON p.id = r.officer_person_id";

const SELECT_REFERRAL_SUMMARY: &str =
    "SELECT r.id, r.referral_ref, r.incident_ref, r.submitted_at, r.subject_type,
    r.category, r.officer_staff_number, p.name AS officer_name, r.partner
    FROM referrals r LEFT JOIN people p ON p.id = r.officer_person_id";

pub async fn incident(store: &Store, incident_ref: &str) -> Result<Option<Incident>> {
    Ok(
        sqlx::query_as::<_, Incident>(&format!("{SELECT_INCIDENT} WHERE i.incident_ref = $1"))
            .bind(incident_ref.trim())
            .fetch_optional(store.pool())
            .await?,
    )
}

pub async fn referral(store: &Store, referral_ref: &str) -> Result<Option<Referral>> {
    Ok(
        sqlx::query_as::<_, Referral>(&format!("{SELECT_REFERRAL} WHERE r.referral_ref = $1"))
            .bind(referral_ref.trim())
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The people a referral names, children first, then by name.
pub async fn people_named_in(store: &Store, referral_ref: &str) -> Result<Vec<NamedPerson>> {
    Ok(sqlx::query_as::<_, NamedPerson>(
        "SELECT role, name, date_of_birth, address, area FROM referral_people
         WHERE referral_ref = $1 ORDER BY role DESC, name, id",
    )
    .bind(referral_ref)
    .fetch_all(store.pool())
    .await?)
}

/// The outcomes recorded for a referral, by partner.
pub async fn outcomes_of(store: &Store, referral_ref: &str) -> Result<Vec<RecordedOutcome>> {
    Ok(sqlx::query_as::<_, RecordedOutcome>(
        "SELECT partner, outcome, reason, decided_at, source, recorded_by, updated_at
         FROM referral_outcomes WHERE referral_ref = $1 ORDER BY partner, id",
    )
    .bind(referral_ref)
    .fetch_all(store.pool())
    .await?)
}

/// The referrals made from an incident, oldest first.
pub async fn referrals_of_incident(
    store: &Store,
    incident_ref: &str,
) -> Result<Vec<ReferralSummary>> {
    Ok(sqlx::query_as::<_, ReferralSummary>(&format!(
        "{SELECT_REFERRAL_SUMMARY} WHERE r.incident_ref = $1 ORDER BY r.submitted_at, r.id"
    ))
    .bind(incident_ref)
    .fetch_all(store.pool())
    .await?)
}

/// Filters for the referrals list; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReferralQuery {
    /// Part of the referral or incident reference.
    pub search: String,
    /// Submitted on or after, `YYYY-MM-DD`.
    pub from: String,
    /// Submitted on or before, `YYYY-MM-DD`.
    pub to: String,
    /// `child` or `adult`.
    pub subject_type: String,
    pub partner: String,
    /// The officer's staff number.
    pub officer: String,
}

/// Filters for the incidents list; empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IncidentQuery {
    pub search: String,
    pub from: String,
    pub to: String,
    /// `children`, `adult_at_risk` or `domestic_abuse`.
    pub flag: String,
    pub area: String,
    pub officer: String,
}

/// A WHERE clause built up with numbered parameters.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    binds: Vec<String>,
}

impl Filter {
    fn push(&mut self, sql: &str, value: String) {
        self.binds.push(value);
        self.clauses
            .push(sql.replace('?', &format!("${}", self.binds.len())));
    }
    fn fixed(&mut self, sql: &str) {
        self.clauses.push(sql.to_string());
    }
}

fn period(f: &mut Filter, column: &str, from: &str, to: &str) {
    if !from.trim().is_empty() {
        f.push(&format!("{column} >= ?"), from.trim().to_string());
    }
    if !to.trim().is_empty() {
        // Inclusive of the whole day: every time that day sorts below the day followed by 'U'.
        f.push(&format!("{column} < ?"), format!("{}U", to.trim()));
    }
}

/// A search term as a literal, case-blind `LIKE` pattern (use with `ESCAPE '\'`).
fn like(term: &str) -> String {
    crate::like_pattern(&term.trim().to_uppercase())
}

fn referral_filter(q: &ReferralQuery) -> Filter {
    let mut f = Filter::default();
    if !q.search.trim().is_empty() {
        let term = like(&q.search);
        f.push("(UPPER(r.referral_ref) LIKE ? ESCAPE '\\'", term.clone());
        let last = f.clauses.pop().unwrap_or_default();
        f.binds.push(term);
        f.clauses.push(format!(
            "{last} OR UPPER(r.incident_ref) LIKE ${} ESCAPE '\\')",
            f.binds.len()
        ));
    }
    period(&mut f, "r.submitted_at", &q.from, &q.to);
    match q.subject_type.as_str() {
        "child" => f.fixed("r.subject_type = 'child'"),
        "adult" => f.fixed("r.subject_type = 'adult'"),
        _ => {}
    }
    if !q.partner.trim().is_empty() {
        f.push("r.partner = ?", q.partner.trim().to_string());
    }
    if !q.officer.trim().is_empty() {
        f.push(
            "r.officer_staff_number = ?",
            q.officer.trim().to_uppercase(),
        );
    }
    f
}

fn incident_filter(q: &IncidentQuery) -> Filter {
    let mut f = Filter::default();
    if !q.search.trim().is_empty() {
        f.push("UPPER(i.incident_ref) LIKE ? ESCAPE '\\'", like(&q.search));
    }
    period(&mut f, "i.reported_at", &q.from, &q.to);
    match q.flag.as_str() {
        "children" => f.fixed("i.children_involved = 1"),
        "adult_at_risk" => f.fixed("i.adult_at_risk = 1"),
        "domestic_abuse" => f.fixed("i.domestic_abuse = 1"),
        _ => {}
    }
    if !q.area.trim().is_empty() {
        f.push("i.area = ?", q.area.trim().to_string());
    }
    if !q.officer.trim().is_empty() {
        f.push(
            "i.officer_staff_number = ?",
            q.officer.trim().to_uppercase(),
        );
    }
    f
}

impl Filter {
    fn keyset(self) -> keyset::Filter {
        keyset::Filter {
            clauses: self.clauses,
            binds: self.binds.into_iter().map(keyset::Value::Text).collect(),
        }
    }
}

/// The referrals list's order, newest first (the reference finds where a page starts).
const REFERRALS: keyset::List<'static> = keyset::List {
    select: SELECT_REFERRAL_SUMMARY,
    from: "referrals r",
    sort: "r.submitted_at",
    tie: "r.id",
    tie_is_int: true,
    descending: true,
    key_of: "SELECT submitted_at, id FROM referrals WHERE referral_ref = $1",
};

/// The incidents list's order, newest first.
const INCIDENTS: keyset::List<'static> = keyset::List {
    select: SELECT_INCIDENT,
    from: "incidents i",
    sort: "i.reported_at",
    tie: "i.id",
    tie_is_int: true,
    descending: true,
    key_of: "SELECT reported_at, id FROM incidents WHERE incident_ref = $1",
};

/// How far the register's lists count before they say "more than".
pub const COUNT_CAP: i64 = 10_000;

/// One page of referrals matching the filters, newest first, from `start` (a referral
/// reference already shown).
pub async fn referrals_page(
    store: &Store,
    q: &ReferralQuery,
    start: &PageStart,
    limit: i64,
) -> Result<keyset::Page<ReferralSummary>> {
    keyset::page(
        store,
        &REFERRALS,
        &referral_filter(q).keyset(),
        start,
        limit,
        |r: &ReferralSummary| {
            [
                keyset::Value::Text(r.submitted_at.clone()),
                keyset::Value::Int(r.id),
            ]
        },
    )
    .await
}

/// How many referrals match the filters (every referral when none is set), up to
/// [`COUNT_CAP`].
pub async fn referrals_count(store: &Store, q: &ReferralQuery) -> Result<Count> {
    keyset::count(store, &REFERRALS, &referral_filter(q).keyset(), COUNT_CAP).await
}

/// One page of incidents matching the filters, newest first, from `start` (an incident
/// reference already shown).
pub async fn incidents_page(
    store: &Store,
    q: &IncidentQuery,
    start: &PageStart,
    limit: i64,
) -> Result<keyset::Page<Incident>> {
    keyset::page(
        store,
        &INCIDENTS,
        &incident_filter(q).keyset(),
        start,
        limit,
        |i: &Incident| {
            [
                keyset::Value::Text(i.reported_at.clone()),
                keyset::Value::Int(i.id),
            ]
        },
    )
    .await
}

/// How many incidents match the filters (every incident when none is set), up to
/// [`COUNT_CAP`].
pub async fn incidents_count(store: &Store, q: &IncidentQuery) -> Result<Count> {
    keyset::count(store, &INCIDENTS, &incident_filter(q).keyset(), COUNT_CAP).await
}

/// The partners referrals went to, for the filter.
pub async fn partners(store: &Store) -> Result<Vec<String>> {
    keyset::distinct_values(store, "referrals", "partner").await
}

/// The areas incidents happened in, for the filter.
pub async fn areas(store: &Store) -> Result<Vec<String>> {
    keyset::distinct_values(store, "incidents", "area").await
}

/// Runs after every successful (not dry-run) import of incidents or referrals, once the import
/// has committed: brings the missing-referral queue up to date.
pub async fn after_register_import(store: &Store) -> Result<()> {
    crate::queue::refresh(store, time::OffsetDateTime::now_utc()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_re_import_compares_here_only_a_large_share_of_a_register_that_is_not_too_large() {
        // A whole export again, of a million: fetched once its first batch says so.
        assert!(compare_here(5000, 1_000_000, 1_000_000));
        // Its size not yet known: fetched once a sixteenth of the register has come.
        assert!(!compare_here(5000, 0, 1_000_000));
        assert!(compare_here(62_500, 0, 1_000_000));
        // A week's incidents into a large register: compared on the server.
        assert!(!compare_here(5000, 20_000, 1_000_000));
        // A region's register of ten million, whatever the file: compared on the server,
        // rather than held here (about 470 MB).
        assert!(!compare_here(5000, 10_000_000, 10_000_000));
        assert!(compare_here(5000, 4_000_000, COMPARE_HERE_MAX_ROWS));
        assert!(!compare_here(5000, usize::MAX, COMPARE_HERE_MAX_ROWS + 1));
    }
}
