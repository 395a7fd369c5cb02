//! Referral quality assurance: the incident and referral register fed from records-management
//! exports (`register`), and what is built on it.

pub mod register;

use crate::{Result, Store};

/// Runs after every successful (not dry-run) import of incidents or referrals, once the import
/// has committed: the place to bring derived work up to date (the missing-referral queue).
pub async fn after_register_import(store: &Store) -> Result<()> {
    let _ = store;
    Ok(())
}
