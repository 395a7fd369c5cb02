//! Training records: the module catalogue, role programmes, plans, completions with two-party
//! sign-off, CPD and the compliance matrix. The rules (due dates, renewal, status) are in
//! `mashboard_domain::training`; this module stores facts and asks the domain what they mean.

pub mod catalogue;
pub mod completions;
pub mod cpd;
pub mod matrix;
pub mod plans;
pub mod programmes;
pub mod reports;
pub mod starter;

use crate::{Result, Store, StoreError};
use mashboard_domain::people::StaffNumber;

/// Looks up a person's id by staff number, or says plainly that there is no such person.
pub async fn person_id(store: &Store, sn: &StaffNumber) -> Result<i64> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM people WHERE staff_number = $1")
        .bind(sn.as_str())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| {
            StoreError::Invalid(format!("No one in the directory has staff number {sn}"))
        })
}

/// Today's date as stored (`YYYY-MM-DD`).
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

pub(crate) fn parse_date_text(s: &str) -> Option<time::Date> {
    mashboard_domain::people::parse_date(s).ok()
}
