//! The integration tests of mashboard-web: the real server on a random port, on SQLite and on
//! PostgreSQL.
//!
//! One test binary for the crate, not one per file. Cargo makes a test target of every `tests/*.rs`
//! file and every `tests/*/main.rs`, and each target links the crate and its dependencies again: so
//! this `tests/main.rs` is the only `.rs` file directly in `tests/`, and the areas are modules in
//! `tests/suite/`, a folder without a `main.rs` that cargo leaves alone. The `#[path]` attributes
//! keep module paths flat: a test is named `AREA::TEST`, and one area runs with `cargo nextest run
//! -p mashboard-web -E 'test(/^app::/)'` (or `cargo test -p mashboard-web --test main app::`). A
//! new area is a file in `tests/suite/` and two lines here.
//!
//! `common` is the one harness the areas share: helpers used by more than one area go there, not
//! into an area. It is declared first, with `#[macro_use]`, so that its macros (`on_both!`) are in
//! scope in every module after it.

#[macro_use]
#[path = "suite/common.rs"]
mod common;
#[path = "suite/account_sessions.rs"]
mod account_sessions;
#[path = "suite/app.rs"]
mod app;
#[path = "suite/attendance.rs"]
mod attendance;
#[path = "suite/audit_trail.rs"]
mod audit_trail;
#[path = "suite/audits.rs"]
mod audits;
#[path = "suite/catalogue.rs"]
mod catalogue;
#[path = "suite/coverage.rs"]
mod coverage;
#[path = "suite/evaluation.rs"]
mod evaluation;
#[path = "suite/exercises.rs"]
mod exercises;
#[path = "suite/hostile_forms.rs"]
mod hostile_forms;
#[path = "suite/impact.rs"]
mod impact;
#[path = "suite/impact_scope.rs"]
mod impact_scope;
#[path = "suite/imports.rs"]
mod imports;
#[path = "suite/learning.rs"]
mod learning;
#[path = "suite/list_pages.rs"]
mod list_pages;
#[path = "suite/matrix.rs"]
mod matrix;
#[path = "suite/missing_referrals_api.rs"]
mod missing_referrals_api;
#[path = "suite/navigation.rs"]
mod navigation;
#[path = "suite/operations.rs"]
mod operations;
#[path = "suite/outcomes_queue.rs"]
mod outcomes_queue;
#[path = "suite/overload.rs"]
mod overload;
#[path = "suite/partners.rs"]
mod partners;
#[path = "suite/queue_pages.rs"]
mod queue_pages;
#[path = "suite/register.rs"]
mod register;
#[path = "suite/reviews.rs"]
mod reviews;
#[path = "suite/sessions.rs"]
mod sessions;
#[path = "suite/sign_in_cache.rs"]
mod sign_in_cache;
#[path = "suite/training_edges.rs"]
mod training_edges;
#[path = "suite/uploads.rs"]
mod uploads;
#[path = "suite/views_audited.rs"]
mod views_audited;
