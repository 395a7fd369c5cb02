//! Referral quality assurance: the incident and referral register, partner outcomes, quality
//! reviews, compliance audits and the missing-referral queue. The rules are in
//! `mashboard_domain` (`outcomes`, `missing`, …); these modules store facts and ask the domain
//! what they mean.

pub mod outcomes;
pub mod queue;
