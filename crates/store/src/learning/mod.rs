//! Learning: recorded videos, knowledge checks, session feedback, attachment days.

pub mod attachment_days;
pub mod checks;
pub mod feedback;
pub mod videos;
