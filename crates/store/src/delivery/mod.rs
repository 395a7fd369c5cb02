//! Frontline delivery: sessions, enrolment, outbox, attendance, Teams reports, coverage.

pub mod attendance;
pub mod coverage;
pub mod enrolment;
pub mod outbox;
pub mod sessions;
pub mod teams;
