//! Referral quality assurance: the incident and referral register fed from records-management
//! exports (`register`), partner outcomes (`outcomes`) and the missing-referral queue (`queue`).
//! The rules are in `mashboard_domain` (`register`, `outcomes`, `missing`); these modules store
//! facts and ask the domain what they mean.

pub mod outcomes;
pub mod queue;
pub mod register;

use crate::{Result, Store};

/// Runs after every successful (not dry-run) import of incidents or referrals, once the import
/// has committed: brings the missing-referral queue up to date.
pub async fn after_register_import(store: &Store) -> Result<()> {
    queue::refresh(store, time::OffsetDateTime::now_utc()).await?;
    Ok(())
}
