//! The integration tests of mashboard: the built binary as an operator runs it, on SQLite and on
//! PostgreSQL.
//!
//! One test binary for the crate, not one per file. Cargo makes a test target of every `tests/*.rs`
//! file and every `tests/*/main.rs`, and each target links the crate and its dependencies again: so
//! this `tests/main.rs` is the only `.rs` file directly in `tests/`, and the areas are modules in
//! `tests/suite/`, a folder without a `main.rs` that cargo leaves alone. The `#[path]` attributes
//! keep module paths flat: a test is named `AREA::TEST`, and one area runs with `cargo nextest run
//! -p mashboard -E 'test(/^cli::/)'` (or `cargo test -p mashboard --test main cli::`). A new area
//! is a file in `tests/suite/` and two lines here.
//!
//! `common` is the one harness the areas share: helpers used by more than one area go there, not
//! into an area.

#[path = "suite/backup.rs"]
mod backup;
#[path = "suite/catalogue.rs"]
mod catalogue;
#[path = "suite/cli.rs"]
mod cli;
#[path = "suite/common.rs"]
mod common;
#[path = "suite/concurrency.rs"]
mod concurrency;
#[path = "suite/crash.rs"]
mod crash;
#[path = "suite/demo_present.rs"]
mod demo_present;
#[path = "suite/imports.rs"]
mod imports;
#[path = "suite/instances.rs"]
mod instances;
#[path = "suite/outbox.rs"]
mod outbox;
#[path = "suite/queue.rs"]
mod queue;
#[path = "suite/register.rs"]
mod register;
#[path = "suite/reminders.rs"]
mod reminders;
#[path = "suite/teams_report.rs"]
mod teams_report;
#[path = "suite/times_in_words.rs"]
mod times_in_words;
#[path = "suite/training_import.rs"]
mod training_import;
