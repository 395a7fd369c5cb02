//! What the account administration screens share: limits, and times and roles in words.

use crate::error::AppError;
use crate::AppState;
use mashboard_domain::Role;
use mashboard_store::accounts::{self, Account};
use time::OffsetDateTime;

pub(super) const AUDIT_PER_PAGE: i64 = 100;
pub(super) const EXPORT_CHUNK: i64 = 1000;
pub(super) const MAX_FILTER: usize = 100;
pub(super) const MAX_TOKEN_LABEL: usize = 100;

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// A stored instant as people read it, in UK time: `1 March 2024 at 2:05pm`.
pub(super) fn when(at: &str) -> String {
    mashboard_domain::training::instant_in_words(at).unwrap_or_else(|| at.to_string())
}

/// A stored instant to the second, for the audit trail, in UK time:
/// `1 March 2024 at 2:05:33pm`.
pub(super) fn when_exact(at: &str) -> String {
    mashboard_domain::sessions::from_store(at)
        .map(mashboard_domain::sessions::display_london_exact)
        .unwrap_or_else(|| at.to_string())
}

/// The UK clock time of a lock-out's end, in words ("2:05pm").
pub(super) fn hh_mm(t: OffsetDateTime) -> String {
    mashboard_domain::sessions::london_clock(t)
}

/// The roles ticked in a form, in the order of `Role::ALL`.
pub(super) fn ticked_roles(pairs: &[(String, String)]) -> Vec<Role> {
    let mut roles: Vec<Role> = pairs
        .iter()
        .filter(|(k, _)| k == "roles")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

pub(super) fn role_names(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

pub(super) fn role_in(list: &str, role: &Role) -> bool {
    list.split(';').any(|r| r.trim() == role.as_str())
}

/// An account as the pages show it.
pub(super) struct AccountView {
    pub(super) username: String,
    pub(super) roles: Vec<Role>,
    pub(super) person_name: Option<String>,
    pub(super) staff_number: Option<String>,
    pub(super) disabled: bool,
    /// The UK time, in words, when the username's lock-out ends.
    pub(super) locked_until: Option<String>,
    pub(super) created: String,
    pub(super) last_sign_in: Option<String>,
    /// A partner reviewer's agency.
    pub(super) partner_agency: Option<String>,
    pub(super) is_partner: bool,
}

impl AccountView {
    pub(super) async fn load(state: &AppState, a: Account) -> Result<AccountView, AppError> {
        let locked_until = accounts::locked_until(&state.store, &a.username)
            .await?
            .map(hh_mm);
        let partner_agency = accounts::partner_agency(&state.store, a.id).await?;
        Ok(AccountView {
            partner_agency,
            is_partner: a.roles.contains(&Role::PartnerReviewer),
            locked_until,
            created: when(&a.created_at),
            last_sign_in: a.last_sign_in_at.as_deref().map(when),
            username: a.username,
            roles: a.roles,
            person_name: a.person_name,
            staff_number: a.staff_number,
            disabled: a.disabled,
        })
    }
}
