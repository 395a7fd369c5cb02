//! MASH attachment days: who may attend (police constables in their second year of service on
//! the day), and the capacity rules for booking. Pure: the store supplies the facts.

use serde::Serialize;
use time::{Date, Month};

/// What the directory says about a person, as far as attachment days care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerFacts<'a> {
    pub name: &'a str,
    pub rank: Option<&'a str>,
    pub start_date: Option<Date>,
    pub active: bool,
    pub left_on: Option<Date>,
}

/// Why someone may not attend a day. The message names the person and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Ineligible {
    /// Not a police constable (PCSOs, police staff, specials, sergeants and above).
    NotAConstable { rank: String },
    /// No start date in the directory, so the year of service cannot be worked out.
    NoStartDate,
    /// Fewer than twelve months' service on the day.
    FirstYear { eligible_from: Date },
    /// Two years' service or more on the day.
    PastSecondYear { eligible_until: Date },
    /// Left the force (or will have left by the day).
    Left,
}

impl Ineligible {
    /// Plain words for a page, naming the person.
    pub fn message(&self, name: &str) -> String {
        match self {
            Ineligible::NotAConstable { rank } if rank.is_empty() => format!(
                "{name} cannot attend: attachment days are for police constables, and the directory has no rank for {name}"
            ),
            Ineligible::NotAConstable { rank } => format!(
                "{name} cannot attend: attachment days are for police constables, and {name} is recorded as {rank}"
            ),
            Ineligible::NoStartDate => format!(
                "{name} cannot attend: the directory has no start date for {name}, so their year of service is not known"
            ),
            Ineligible::FirstYear { eligible_from } => format!(
                "{name} cannot attend this day: it is in their first year of service; they can attend days from {}",
                crate::people::format_date_long(*eligible_from)
            ),
            Ineligible::PastSecondYear { eligible_until } => format!(
                "{name} cannot attend this day: it is after their second year of service, which ended on {}",
                crate::people::format_date_long(*eligible_until)
            ),
            Ineligible::Left => format!("{name} cannot attend: they have left the force"),
        }
    }
}

/// True for a police constable (uniformed or detective). PCSOs, police staff, special
/// constables and sergeants and above are not.
pub fn is_constable(rank: &str) -> bool {
    let r = rank.trim().to_ascii_lowercase();
    matches!(
        r.as_str(),
        "pc" | "dc"
            | "tdc"
            | "constable"
            | "police constable"
            | "detective constable"
            | "trainee detective constable"
    )
}

/// The same day and month `years` years later; a 29 February start has its anniversary on
/// 1 March in years that have no 29 February.
pub fn anniversary(start: Date, years: i32) -> Date {
    let y = start.year() + years;
    start.replace_year(y).unwrap_or_else(|_| {
        Date::from_calendar_date(y, Month::March, 1).expect("1 March exists every year")
    })
}

/// Whether a person may attend an attachment day held on `day`: a police constable, still
/// serving, whose start date is at least one year and less than two years before the day.
/// Exactly one year is eligible; exactly two years is not.
pub fn eligibility(p: &OfficerFacts<'_>, day: Date) -> Result<(), Ineligible> {
    if !p.active || p.left_on.is_some_and(|l| l <= day) {
        return Err(Ineligible::Left);
    }
    let rank = p.rank.unwrap_or("").trim();
    if !is_constable(rank) {
        return Err(Ineligible::NotAConstable {
            rank: rank.to_string(),
        });
    }
    let Some(start) = p.start_date else {
        return Err(Ineligible::NoStartDate);
    };
    let from = anniversary(start, 1);
    let until = anniversary(start, 2);
    if day < from {
        Err(Ineligible::FirstYear {
            eligible_from: from,
        })
    } else if day >= until {
        Err(Ineligible::PastSecondYear {
            eligible_until: until.previous_day().unwrap_or(until),
        })
    } else {
        Ok(())
    }
}

/// The state of a day as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    Open,
    Full,
    Held,
    Cancelled,
}

impl DayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DayStatus::Open => "open",
            DayStatus::Full => "full",
            DayStatus::Held => "held",
            DayStatus::Cancelled => "cancelled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DayStatus::Open => "Open",
            DayStatus::Full => "Full",
            DayStatus::Held => "Held",
            DayStatus::Cancelled => "Cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<DayStatus> {
        [
            DayStatus::Open,
            DayStatus::Full,
            DayStatus::Held,
            DayStatus::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// Why a booking cannot be made (beyond the person's eligibility).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BookingRefusal {
    Ineligible(Ineligible),
    Full { capacity: u32 },
    Cancelled,
    InThePast,
    AlreadyBooked,
}

impl BookingRefusal {
    pub fn message(&self, name: &str) -> String {
        match self {
            BookingRefusal::Ineligible(i) => i.message(name),
            BookingRefusal::Full { capacity } => {
                format!("The day is full: all {capacity} places are booked. Choose another day")
            }
            BookingRefusal::Cancelled => "The day has been cancelled. Choose another day".into(),
            BookingRefusal::InThePast => {
                "The day has already taken place, so it can no longer be booked".into()
            }
            BookingRefusal::AlreadyBooked => format!("{name} is already booked on this day"),
        }
    }
}

/// The facts about a day needed to decide a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayFacts {
    pub day: Date,
    pub capacity: u32,
    pub booked: u32,
    pub status: DayStatus,
}

impl DayFacts {
    /// Places still free (never negative).
    pub fn places_left(&self) -> u32 {
        self.capacity.saturating_sub(self.booked)
    }
}

/// Decides whether `person` may be booked on the day, as of `today`.
pub fn check_booking(
    day: &DayFacts,
    person: &OfficerFacts<'_>,
    already_booked: bool,
    today: Date,
) -> Result<(), BookingRefusal> {
    if day.status == DayStatus::Cancelled {
        return Err(BookingRefusal::Cancelled);
    }
    if day.status == DayStatus::Held || day.day < today {
        return Err(BookingRefusal::InThePast);
    }
    if already_booked {
        return Err(BookingRefusal::AlreadyBooked);
    }
    eligibility(person, day.day).map_err(BookingRefusal::Ineligible)?;
    if day.places_left() == 0 {
        return Err(BookingRefusal::Full {
            capacity: day.capacity,
        });
    }
    Ok(())
}

/// The status a day should show after its bookings change: full when every place is taken,
/// open again when one frees up; held and cancelled days stay as they are.
pub fn status_after(current: DayStatus, capacity: u32, booked: u32) -> DayStatus {
    match current {
        DayStatus::Open | DayStatus::Full if booked >= capacity => DayStatus::Full,
        DayStatus::Open | DayStatus::Full => DayStatus::Open,
        other => other,
    }
}

/// Most places a day may have.
pub const MAX_CAPACITY: u32 = 100;

/// Checks a capacity typed in a form against the people already booked.
pub fn check_capacity(raw: &str, booked: u32) -> Result<u32, String> {
    let n: u32 = raw
        .trim()
        .parse()
        .map_err(|_| "Enter the number of places as a whole number, for example 8".to_string())?;
    if n == 0 || n > MAX_CAPACITY {
        return Err(format!(
            "The number of places must be between 1 and {MAX_CAPACITY}"
        ));
    }
    if n < booked {
        return Err(format!(
            "The number of places cannot be fewer than the {booked} people already booked"
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn pc(start: Date) -> OfficerFacts<'static> {
        OfficerFacts {
            name: "Pat",
            rank: Some("PC"),
            start_date: Some(start),
            active: true,
            left_on: None,
        }
    }

    #[test]
    fn second_year_boundaries() {
        let start = date!(2023 - 09 - 04);
        // exactly one year: eligible
        assert_eq!(eligibility(&pc(start), date!(2024 - 09 - 04)), Ok(()));
        // the day before: first year
        assert_eq!(
            eligibility(&pc(start), date!(2024 - 09 - 03)),
            Err(Ineligible::FirstYear {
                eligible_from: date!(2024 - 09 - 04)
            })
        );
        // the last day of the second year
        assert_eq!(eligibility(&pc(start), date!(2025 - 09 - 03)), Ok(()));
        // exactly two years: not eligible
        assert_eq!(
            eligibility(&pc(start), date!(2025 - 09 - 04)),
            Err(Ineligible::PastSecondYear {
                eligible_until: date!(2025 - 09 - 03)
            })
        );
    }

    #[test]
    fn a_leap_day_start_has_its_anniversary_on_the_first_of_march() {
        let start = date!(2024 - 02 - 29);
        assert_eq!(anniversary(start, 1), date!(2025 - 03 - 01));
        assert_eq!(anniversary(start, 4), date!(2028 - 02 - 29));
        assert!(eligibility(&pc(start), date!(2025 - 02 - 28)).is_err());
        assert!(eligibility(&pc(start), date!(2025 - 03 - 01)).is_ok());
    }

    #[test]
    fn only_serving_constables_may_attend() {
        let day = date!(2025 - 03 - 10);
        let start = date!(2024 - 02 - 05);
        for rank in ["PC", "dc", "Police Constable", "Detective Constable"] {
            let p = OfficerFacts {
                rank: Some(rank),
                ..pc(start)
            };
            assert_eq!(eligibility(&p, day), Ok(()), "{rank}");
        }
        for rank in [
            "PCSO",
            "Police Staff (Band C)",
            "Special Constable",
            "Sgt",
            "",
        ] {
            let p = OfficerFacts {
                rank: Some(rank),
                ..pc(start)
            };
            assert!(
                matches!(eligibility(&p, day), Err(Ineligible::NotAConstable { .. })),
                "{rank}"
            );
        }
        let left = OfficerFacts {
            left_on: Some(date!(2025 - 01 - 31)),
            ..pc(start)
        };
        assert_eq!(eligibility(&left, day), Err(Ineligible::Left));
        // leaving after the day does not stop the booking
        let leaving = OfficerFacts {
            left_on: Some(date!(2025 - 06 - 30)),
            ..pc(start)
        };
        assert_eq!(eligibility(&leaving, day), Ok(()));
        let inactive = OfficerFacts {
            active: false,
            ..pc(start)
        };
        assert_eq!(eligibility(&inactive, day), Err(Ineligible::Left));
        let unknown = OfficerFacts {
            start_date: None,
            ..pc(start)
        };
        assert_eq!(eligibility(&unknown, day), Err(Ineligible::NoStartDate));
    }

    #[test]
    fn refusals_say_why_in_plain_words() {
        let m = Ineligible::NotAConstable {
            rank: "PCSO".into(),
        }
        .message("Kay Adams");
        assert!(m.contains("Kay Adams") && m.contains("PCSO"), "{m}");
        let m = Ineligible::FirstYear {
            eligible_from: date!(2025 - 09 - 01),
        }
        .message("Kay");
        assert!(m.contains("1 September 2025"), "{m}");
        let m = BookingRefusal::Full { capacity: 8 }.message("Kay");
        assert!(m.contains("8 places"), "{m}");
    }

    #[test]
    fn capacity_is_respected() {
        let today = date!(2025 - 03 - 01);
        let mut day = DayFacts {
            day: date!(2025 - 03 - 10),
            capacity: 2,
            booked: 1,
            status: DayStatus::Open,
        };
        let p = pc(date!(2024 - 02 - 05));
        assert_eq!(check_booking(&day, &p, false, today), Ok(()));
        assert_eq!(
            check_booking(&day, &p, true, today),
            Err(BookingRefusal::AlreadyBooked)
        );
        day.booked = 2;
        assert_eq!(
            check_booking(&day, &p, false, today),
            Err(BookingRefusal::Full { capacity: 2 })
        );
        day.booked = 0;
        day.status = DayStatus::Cancelled;
        assert_eq!(
            check_booking(&day, &p, false, today),
            Err(BookingRefusal::Cancelled)
        );
        day.status = DayStatus::Open;
        assert_eq!(
            check_booking(&day, &p, false, date!(2025 - 03 - 11)),
            Err(BookingRefusal::InThePast)
        );
        assert_eq!(status_after(DayStatus::Open, 2, 2), DayStatus::Full);
        assert_eq!(status_after(DayStatus::Full, 2, 1), DayStatus::Open);
        assert_eq!(status_after(DayStatus::Held, 2, 0), DayStatus::Held);
        assert_eq!(check_capacity("8", 3), Ok(8));
        assert!(check_capacity("2", 3).unwrap_err().contains("3 people"));
        assert!(check_capacity("0", 0).is_err());
        assert!(check_capacity("eight", 0).is_err());
    }
}
