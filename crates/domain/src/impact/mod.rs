//! The impact of training on referrals: statistical process control charts of quarterly rates
//! and values (`spc`, `rules`, `anhoej`) and the difference-in-differences training effect (`effect`).
//!
//! Everything here is pure: series or referral rows in, serialisable results out. The web layer
//! serialises the outputs directly, so their field names are the JSON contract.
//!
//! Reference values come from `tests/make_impact_fixtures.py` (an independent numpy
//! implementation of the chart definitions) and `tests/make_effect_fixtures.py` (statsmodels).

pub mod anhoej;
pub mod dashboard;
pub mod effect;
pub mod rules;
pub mod spc;
mod within;

#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod spc_tests;

pub use anhoej::{runs_analysis, Anhoej};
pub use effect::{
    estimate_effect, estimate_effect_by_group, Counts, Descriptive, EffectError, EventCoefficient,
    EventStudy, GroupEffect, Rate, Referral, TrainingEffect,
};
pub use rules::{Rule, Signal};
pub use spc::{
    p_chart, p_prime_chart, run_chart, xmr_chart, ChartKind, Improvement, PointType, RatePoint,
    SpcChart, SpcError, SpcOptions, SpcPoint, ValuePoint,
};
