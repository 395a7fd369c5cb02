//! The integration tests of mashboard-store: storage on a fresh SQLite file and a fresh PostgreSQL
//! database.
//!
//! One test binary for the crate, not one per file. Cargo makes a test target of every `tests/*.rs`
//! file and every `tests/*/main.rs`, and each target links the crate and its dependencies again: so
//! this `tests/main.rs` is the only `.rs` file directly in `tests/`, and the areas are modules in
//! `tests/suite/`, a folder without a `main.rs` that cargo leaves alone. The `#[path]` attributes
//! keep module paths flat: a test is named `AREA::TEST`, and one area runs with `cargo nextest run
//! -p mashboard-store -E 'test(/^storage::/)'` (or `cargo test -p mashboard-store --test main
//! storage::`). A new area is a file in `tests/suite/` and two lines here.
//!
//! `common` is the one harness the areas share: helpers used by more than one area go there, not
//! into an area. It is declared first, with `#[macro_use]`, so that its macros (`on_both!`) are in
//! scope in every module after it.

#[macro_use]
#[path = "suite/common.rs"]
mod common;
#[path = "suite/account_sessions.rs"]
mod account_sessions;
#[path = "suite/attendance.rs"]
mod attendance;
#[path = "suite/audit_trail.rs"]
mod audit_trail;
#[path = "suite/audits.rs"]
mod audits;
#[path = "suite/bench_data.rs"]
mod bench_data;
#[path = "suite/coverage.rs"]
mod coverage;
#[path = "suite/coverage_native.rs"]
mod coverage_native;
#[path = "suite/draw_counts.rs"]
mod draw_counts;
#[path = "suite/draws.rs"]
mod draws;
#[path = "suite/exercises.rs"]
mod exercises;
#[path = "suite/group_commit.rs"]
mod group_commit;
#[path = "suite/growing_reads.rs"]
mod growing_reads;
#[path = "suite/impact.rs"]
mod impact;
#[path = "suite/learning.rs"]
mod learning;
#[path = "suite/list_pages.rs"]
mod list_pages;
#[path = "suite/locking.rs"]
mod locking;
#[path = "suite/native_reads.rs"]
mod native_reads;
#[path = "suite/partners.rs"]
mod partners;
#[path = "suite/queue.rs"]
mod queue;
#[path = "suite/queue_day_counts.rs"]
mod queue_day_counts;
#[path = "suite/queue_pages.rs"]
mod queue_pages;
#[path = "suite/queue_trigger_plans.rs"]
mod queue_trigger_plans;
#[path = "suite/register.rs"]
mod register;
#[path = "suite/register_props.rs"]
mod register_props;
#[path = "suite/reminders.rs"]
mod reminders;
#[path = "suite/review_recommendations.rs"]
mod review_recommendations;
#[path = "suite/rollups.rs"]
mod rollups;
#[path = "suite/sessions.rs"]
mod sessions;
#[path = "suite/storage.rs"]
mod storage;
#[path = "suite/team_queue_day_counts.rs"]
mod team_queue_day_counts;
#[path = "suite/training.rs"]
mod training;
#[path = "suite/training_import.rs"]
mod training_import;
