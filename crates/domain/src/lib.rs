//! mashboard's pure domain: the rules, with no I/O, no async and no database.
//!
//! Modules are named after the capability they serve; the store, web and cli crates use the
//! same names.

pub mod access;
pub mod accounts;
pub mod attachment_days;
pub mod attendance;
pub mod audits;
pub mod checks;
pub mod coverage;
pub mod demo;
pub mod demo_delivery;
pub mod demo_quality;
pub mod evaluation;
pub mod exercise_scenario;
pub mod exercises;
pub mod feedback;
pub mod ics;
pub mod impact;
pub mod imports;
pub mod outcomes;
pub mod partners;
pub mod people;
pub mod pseudonym;
pub mod queue;
pub mod register;
pub mod reminders;
pub mod review_summary;
pub mod reviews;
pub mod roles;
pub mod sampling;
pub mod sessions;
pub mod signoff;
pub mod stats;
pub mod teams_report;
pub mod training;
pub mod training_import;
pub mod training_seed;

pub use roles::Role;
