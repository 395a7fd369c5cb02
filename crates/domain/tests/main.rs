//! The integration tests of mashboard-domain: the pure rules against real-looking files (fixtures
//! in `tests/fixtures/`).
//!
//! One test binary for the crate, not one per file. Cargo makes a test target of every `tests/*.rs`
//! file and every `tests/*/main.rs`, and each target links the crate and its dependencies again: so
//! this `tests/main.rs` is the only `.rs` file directly in `tests/`, and the areas are modules in
//! `tests/suite/`, a folder without a `main.rs` that cargo leaves alone. The `#[path]` attributes
//! keep module paths flat: a test is named `AREA::TEST`, and one area runs with `cargo nextest run
//! -p mashboard-domain -E 'test(/^people_import::/)'` (or `cargo test -p mashboard-domain --test
//! main people_import::`). A new area is a file in `tests/suite/` and two lines here.
//!
//! `common` is the one harness the areas share: helpers used by more than one area go there, not
//! into an area.

#[path = "suite/common.rs"]
mod common;
#[path = "suite/people_import.rs"]
mod people_import;
#[path = "suite/readers_prop.rs"]
mod readers_prop;
#[path = "suite/register_import.rs"]
mod register_import;
#[path = "suite/stats_prop.rs"]
mod stats_prop;
#[path = "suite/stats_reference.rs"]
mod stats_reference;
#[path = "suite/training_import.rs"]
mod training_import;
