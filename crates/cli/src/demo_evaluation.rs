//! The demo's published evaluation report: the whole story from January 2022 to the end of the
//! last full quarter, worked out from the demo's own data and published, as the trainer would
//! have done for the chief officers.

use anyhow::Result;
use mashboard_store::audit_trail::Actor;
use mashboard_store::{evaluation, Store};
use time::{Date, Month};

/// The title of the demo's published report.
pub const DEMO_REPORT_TITLE: &str = "Safeguarding training: is it working? (for the ACC)";

/// The last day of the quarter before the one `today` is in.
fn end_of_last_quarter(today: Date) -> Date {
    let month = u8::from(today.month());
    let first_of_quarter = Date::from_calendar_date(
        today.year(),
        Month::try_from((month - 1) / 3 * 3 + 1).unwrap_or(Month::January),
        1,
    )
    .unwrap_or(today);
    first_of_quarter.previous_day().unwrap_or(today)
}

/// Seeds one published report, once.
pub async fn seed(store: &Store, today: Date) -> Result<()> {
    if !evaluation::list(store).await?.is_empty() {
        return Ok(());
    }
    let from = Date::from_calendar_date(2022, Month::January, 1)?;
    let to = end_of_last_quarter(today);
    let facts = evaluation::facts(store, DEMO_REPORT_TITLE, from, to, today).await?;
    let actor = Actor::system();
    let id = evaluation::create(store, &actor, &facts).await?;
    evaluation::publish(store, &actor, id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_report_ends_with_the_last_full_quarter() {
        assert_eq!(
            end_of_last_quarter(date!(2026 - 12 - 06)),
            date!(2026 - 09 - 30)
        );
        assert_eq!(
            end_of_last_quarter(date!(2026 - 01 - 01)),
            date!(2025 - 12 - 31)
        );
        assert_eq!(
            end_of_last_quarter(date!(2026 - 04 - 01)),
            date!(2026 - 03 - 31)
        );
    }
}
