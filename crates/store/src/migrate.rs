//! Versioned migrations, one path for both databases.
//!
//! Each migration is written once in portable SQL; `{{ID}}` becomes each database's
//! auto-numbered primary key, and the few statements that cannot be portable (triggers) sit in
//! per-database parts of the same migration. A migration runs in one transaction and is recorded
//! in `schema_migrations`; a database newer than this binary is refused.

use crate::{now_text, Backend, Result, Store, StoreError};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub common: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation: people, accounts, sessions, audit trail",
        common: include_str!("../migrations/0001_foundation.sql"),
        sqlite: include_str!("../migrations/0001_foundation.sqlite.sql"),
        postgres: include_str!("../migrations/0001_foundation.postgres.sql"),
    },
    Migration {
        version: 2,
        name: "training records: catalogue, programmes, plans, completions, sign-off, CPD",
        common: include_str!("../migrations/0002_training.sql"),
        sqlite: include_str!("../migrations/0002_training.sqlite.sql"),
        postgres: include_str!("../migrations/0002_training.postgres.sql"),
    },
    Migration {
        version: 3,
        name: "contact: people gain an e-mail address",
        common: include_str!("../migrations/0003_contact.sql"),
        sqlite: include_str!("../migrations/0003_contact.sqlite.sql"),
        postgres: include_str!("../migrations/0003_contact.postgres.sql"),
    },
    Migration {
        version: 4,
        name: "referral quality: register, outcomes, quality reviews, compliance audits, missing-referral queue",
        common: include_str!("../migrations/0004_quality.sql"),
        sqlite: include_str!("../migrations/0004_quality.sqlite.sql"),
        postgres: include_str!("../migrations/0004_quality.postgres.sql"),
    },
    Migration {
        version: 5,
        name: "frontline delivery: partners, sessions, enrolment, attendance, Teams reports, outbox, coverage",
        common: include_str!("../migrations/0005_delivery.sql"),
        sqlite: include_str!("../migrations/0005_delivery.sqlite.sql"),
        postgres: include_str!("../migrations/0005_delivery.postgres.sql"),
    },
    Migration {
        version: 6,
        name: "learning: recorded videos, knowledge checks, session feedback, attachment days",
        common: include_str!("../migrations/0006_learning.sql"),
        sqlite: include_str!("../migrations/0006_learning.sqlite.sql"),
        postgres: include_str!("../migrations/0006_learning.postgres.sql"),
    },
    Migration {
        version: 7,
        name: "exercises: scenarios, live runs, teams, answers, debriefs",
        common: include_str!("../migrations/0007_exercises.sql"),
        sqlite: include_str!("../migrations/0007_exercises.sqlite.sql"),
        postgres: include_str!("../migrations/0007_exercises.postgres.sql"),
    },
    Migration {
        version: 8,
        name: "exercise co-facilitators; Teams report times per person (summed over reports)",
        common: include_str!("../migrations/0008_facilitators_report_times.sql"),
        sqlite: include_str!("../migrations/0008_facilitators_report_times.sqlite.sql"),
        postgres: include_str!("../migrations/0008_facilitators_report_times.postgres.sql"),
    },
    Migration {
        version: 9,
        name: "coverage data version (SQLite triggers) for the coverage cache",
        common: include_str!("../migrations/0009_coverage_version.sql"),
        sqlite: include_str!("../migrations/0009_coverage_version.sqlite.sql"),
        postgres: include_str!("../migrations/0009_coverage_version.postgres.sql"),
    },
    Migration {
        version: 10,
        name: "import pipeline: children counts on incidents; audit and review history",
        common: include_str!("../migrations/0010_import_pipeline.sql"),
        sqlite: include_str!("../migrations/0010_import_pipeline.sqlite.sql"),
        postgres: include_str!("../migrations/0010_import_pipeline.postgres.sql"),
    },
    Migration {
        version: 11,
        name: "quality reviews: a criterion score may be not applicable (NULL)",
        common: include_str!("../migrations/0011_criterion_not_applicable.sql"),
        sqlite: include_str!("../migrations/0011_criterion_not_applicable.sqlite.sql"),
        postgres: include_str!("../migrations/0011_criterion_not_applicable.postgres.sql"),
    },
    Migration {
        version: 12,
        name: "impact: audit and review history from before mashboard, dashboard indexes",
        common: include_str!("../migrations/0012_impact.sql"),
        sqlite: include_str!("../migrations/0012_impact.sqlite.sql"),
        postgres: include_str!("../migrations/0012_impact.postgres.sql"),
    },
    Migration {
        version: 14,
        name: "evaluation reports: drafts and published (frozen) reports",
        common: include_str!("../migrations/0014_evaluation_reports.sql"),
        sqlite: include_str!("../migrations/0014_evaluation_reports.sqlite.sql"),
        postgres: include_str!("../migrations/0014_evaluation_reports.postgres.sql"),
    },
    Migration {
        version: 15,
        name: "impact roll-ups: monthly referral and incident counts by department; impact data version",
        common: include_str!("../migrations/0015_impact_rollups.sql"),
        sqlite: include_str!("../migrations/0015_impact_rollups.sqlite.sql"),
        postgres: include_str!("../migrations/0015_impact_rollups.postgres.sql"),
    },
    Migration {
        version: 17,
        name: "several instances: when each once-only job last ran (job_runs)",
        common: include_str!("../migrations/0017_instances.sql"),
        sqlite: include_str!("../migrations/0017_instances.sqlite.sql"),
        postgres: include_str!("../migrations/0017_instances.postgres.sql"),
    },
    Migration {
        version: 18,
        name: "sample draws record their method; indexes to draw by position",
        common: include_str!("../migrations/0018_draw_method.sql"),
        sqlite: include_str!("../migrations/0018_draw_method.sqlite.sql"),
        postgres: include_str!("../migrations/0018_draw_method.postgres.sql"),
    },
    Migration {
        version: 19,
        name: "list pages: indexes for the people directory's and the register's keyset pages and filters",
        common: include_str!("../migrations/0019_list_pages.sql"),
        sqlite: include_str!("../migrations/0019_list_pages.sqlite.sql"),
        postgres: include_str!("../migrations/0019_list_pages.postgres.sql"),
    },
    Migration {
        version: 20,
        name: "missing-referral queue: incremental refresh (what the last refresh looked at)",
        common: include_str!("../migrations/0020_queue_refresh_state.sql"),
        sqlite: include_str!("../migrations/0020_queue_refresh_state.sqlite.sql"),
        postgres: include_str!("../migrations/0020_queue_refresh_state.postgres.sql"),
    },
    Migration {
        version: 21,
        name: "audit trail: indexes for reading it a page at a time under its filters",
        common: include_str!("../migrations/0021_audit_trail_pages.sql"),
        sqlite: include_str!("../migrations/0021_audit_trail_pages.sqlite.sql"),
        postgres: include_str!("../migrations/0021_audit_trail_pages.postgres.sql"),
    },
    Migration {
        version: 22,
        name: "impact: the training effect kept in a table, shared by instances",
        common: include_str!("../migrations/0022_impact_effect_estimates.sql"),
        sqlite: include_str!("../migrations/0022_impact_effect_estimates.sqlite.sql"),
        postgres: include_str!("../migrations/0022_impact_effect_estimates.postgres.sql"),
    },
    Migration {
        version: 23,
        name: "draw counts: incidents and referrals per day (and per stratum), kept by triggers",
        common: include_str!("../migrations/0023_draw_counts.sql"),
        sqlite: include_str!("../migrations/0023_draw_counts.sqlite.sql"),
        postgres: include_str!("../migrations/0023_draw_counts.postgres.sql"),
    },
    Migration {
        version: 25,
        name: "accounts: sign-in session generation (a new password or disabling ends old sessions)",
        common: include_str!("../migrations/0025_session_generation.sql"),
        sqlite: include_str!("../migrations/0025_session_generation.sqlite.sql"),
        postgres: include_str!("../migrations/0025_session_generation.postgres.sql"),
    },
    Migration {
        version: 26,
        name: "queue day counts: the missing-referral queue per department, queued and closed day, kept by triggers",
        common: include_str!("../migrations/0026_queue_day_counts.sql"),
        sqlite: include_str!("../migrations/0026_queue_day_counts.sqlite.sql"),
        postgres: include_str!("../migrations/0026_queue_day_counts.postgres.sql"),
    },
    Migration {
        version: 28,
        name: "coverage: completions and enrolments read from covering indexes",
        common: include_str!("../migrations/0028_coverage_reads.sql"),
        sqlite: include_str!("../migrations/0028_coverage_reads.sqlite.sql"),
        postgres: include_str!("../migrations/0028_coverage_reads.postgres.sql"),
    },
    Migration {
        version: 29,
        name: "growing reads: submitted CPD counted per person from an index, a record's changes without its views",
        common: include_str!("../migrations/0029_growing_reads.sql"),
        sqlite: include_str!("../migrations/0029_growing_reads.sqlite.sql"),
        postgres: include_str!("../migrations/0029_growing_reads.postgres.sql"),
    },
    Migration {
        version: 30,
        name: "queue triggers on PostgreSQL: each call planned for the rows it was given",
        common: include_str!("../migrations/0030_queue_trigger_plans.sql"),
        sqlite: include_str!("../migrations/0030_queue_trigger_plans.sqlite.sql"),
        postgres: include_str!("../migrations/0030_queue_trigger_plans.postgres.sql"),
    },
    Migration {
        version: 31,
        name: "team queue day counts: the missing-referral queue per officer, queued and closed day, kept by triggers",
        common: include_str!("../migrations/0031_team_queue_day_counts.sql"),
        sqlite: include_str!("../migrations/0031_team_queue_day_counts.sqlite.sql"),
        postgres: include_str!("../migrations/0031_team_queue_day_counts.postgres.sql"),
    },
    Migration {
        version: 32,
        name: "queue refresh: the stamp of a first load's rows, which its queue build examined",
        common: include_str!("../migrations/0032_queue_examined_stamp.sql"),
        sqlite: include_str!("../migrations/0032_queue_examined_stamp.sqlite.sql"),
        postgres: include_str!("../migrations/0032_queue_examined_stamp.postgres.sql"),
    },
    Migration {
        version: 34,
        name: "audit trail: newest first by time, an index per filter ending in (at, id)",
        common: include_str!("../migrations/0034_audit_trail_by_time.sql"),
        sqlite: include_str!("../migrations/0034_audit_trail_by_time.sqlite.sql"),
        postgres: include_str!("../migrations/0034_audit_trail_by_time.postgres.sql"),
    },
    Migration {
        version: 35,
        name: "register: a digest of each incident's and referral's compared values, for a re-import",
        common: include_str!("../migrations/0035_compared_digest.sql"),
        sqlite: include_str!("../migrations/0035_compared_digest.sqlite.sql"),
        postgres: include_str!("../migrations/0035_compared_digest.postgres.sql"),
    },
];

fn render(m: &Migration, backend: Backend) -> String {
    let id = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    let extra = match backend {
        Backend::Sqlite => m.sqlite,
        Backend::Postgres => m.postgres,
    };
    format!("{}\n{}", m.common.replace("{{ID}}", id), extra)
}

/// The latest version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// Applies every migration not yet applied. Returns the versions applied now. On PostgreSQL,
/// instances starting together take turns: the second finds the schema up to date.
pub async fn run(store: &Store) -> Result<Vec<i64>> {
    crate::jobs::after_others(store, crate::jobs::Job::Migrations, run_now(store)).await?
}

async fn run_now(store: &Store) -> Result<Vec<i64>> {
    let pool = store.pool();
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let applied: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(pool)
            .await?;
    let applied: Vec<i64> = applied.into_iter().map(|(v,)| v).collect();
    if let Some(&newest) = applied.last() {
        if newest > latest_version() {
            return Err(StoreError::Invalid(format!(
                "this database is at schema version {newest}, newer than this mashboard ({}); upgrade mashboard",
                latest_version()
            )));
        }
    }
    let mut done = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let mut tx = pool
            .begin_with(crate::begin_statement(store.backend()))
            .await?;
        sqlx::raw_sql(&render(m, store.backend()))
            .execute(&mut *tx)
            .await?;
        if m.version == crate::impact::ROLLUP_MIGRATION {
            crate::impact::refresh_all_rollups(&mut tx).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        done.push(m.version);
    }
    Ok(done)
}
