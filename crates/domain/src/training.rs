//! The rules of training records: what a module is, when a person must complete it, when it
//! must be renewed, and what state each item of a person's training is in today.
//!
//! Everything here is arithmetic on dates and names. The store keeps the rules as short text
//! ([`DueRule::encode`], [`RenewalRule::encode`]) and the web and CLI show them with `label()`,
//! `describe()` and `tag_class()`, so a page never has to work out a status or a colour itself.
//!
//! Two words are used carefully throughout:
//! - **due**: the last day on which the person can complete the item without being late;
//! - **in date**: the person holds a signed-off completion that has not expired. Only signed-off
//!   work counts, because the force's assurance is two-party sign-off, not self-declaration.

use crate::people::format_date_long;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::{Date, Duration, Month};

/// Statuses turn amber this many days before something is due, unless a caller says otherwise.
pub const DEFAULT_DUE_SOON_DAYS: i64 = 30;
/// Module reviews turn amber this many days before the review date, unless a caller says otherwise.
pub const DEFAULT_REVIEW_WARN_DAYS: i64 = 60;
/// The longest "within N days" a due rule may say: ten years.
pub const MAX_DUE_DAYS: u32 = 3660;
/// The longest rolling renewal period: ten years.
pub const MAX_RENEWAL_MONTHS: u32 = 120;
/// The most time one CPD entry may claim: 100 hours. A week-long course is about 40.
pub const MAX_CPD_MINUTES: u32 = 100 * 60;

/// A name that is not one of a fixed list (a module kind, a status, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{value}\" is not a {what}; use one of: {allowed}")]
pub struct UnknownName {
    /// What was being named, in words: "module kind".
    pub what: &'static str,
    /// What the user wrote, trimmed.
    pub value: String,
    /// The accepted machine names, comma-separated.
    pub allowed: String,
}

/// Declares a fixed list of named values with `ALL`, `as_str`, `label`, `Display` and a forgiving
/// `FromStr` (case, spaces and hyphens do not matter, so "Face-to-face" reads as `face_to_face`).
///
/// The serde names come from `rename_all = "snake_case"`; a test checks they equal `as_str()`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order pages list them.
            pub const ALL: [$name; [$($code),+].len()] = [$($name::$variant),+];

            /// The stable machine name used in the database, the API and the CLI.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }

            /// The words a user reads on a page.
            pub fn label(self) -> &'static str {
                match self {
                    $( $name::$variant => $label, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                $name::ALL
                    .into_iter()
                    .find(|v| v.as_str() == wanted)
                    .ok_or_else(|| UnknownName {
                        what: $what,
                        value: s.trim().to_string(),
                        allowed: $name::ALL.map(|v| v.as_str()).join(", "),
                    })
            }
        }
    };
}

named_enum! {
    /// How a module is delivered. This is what the module *is*; how one person actually did it is
    /// a [`CompletionMode`] (a face-to-face module may be caught up by watching a recording).
    pub enum ModuleKind ("module kind") {
        /// A national e-learning package, usually hosted outside the force.
        ELearning => "e_learning", "National e-learning";
        FaceToFace => "face_to_face", "Face-to-face session";
        /// Live, over Microsoft Teams or similar.
        VirtualSession => "virtual_session", "Virtual session";
        Mentoring => "mentoring", "Mentoring";
        /// A recording of a session, such as the transferee video of the frontline input.
        RecordedVideo => "recorded_video", "Recorded video";
        /// A practical exercise, such as the second-year attachment day.
        Exercise => "exercise", "Exercise";
        Reading => "reading", "Reading";
    }
}

named_enum! {
    /// Where a module is in its life. Only live modules can be added to programmes; retired ones
    /// stay so that old completions still name what was done.
    pub enum ModuleStatus ("module status") {
        Draft => "draft", "Draft";
        Live => "live", "Live";
        Retired => "retired", "Retired";
    }
}

named_enum! {
    /// How a person actually completed a piece of training, recorded with the evidence.
    pub enum CompletionMode ("completion mode") {
        FaceToFace => "face_to_face", "Face to face";
        Virtual => "virtual", "Virtual (for example Microsoft Teams)";
        ELearning => "e_learning", "E-learning";
        Recording => "recording", "Watched a recording";
        Mentoring => "mentoring", "Mentoring";
        OnTheJob => "on_the_job", "On the job";
        Other => "other", "Other";
    }
}

named_enum! {
    /// The two parties who sign off a MASH starter's training: both must sign before it counts.
    pub enum SignOffCapacity ("sign-off capacity") {
        Mentor => "mentor", "Mentor";
        LineManager => "line_manager", "Line manager";
    }
}

named_enum! {
    /// The kind of continuing professional development a person logs.
    pub enum CpdKind ("CPD kind") {
        Course => "course", "Course";
        ELearning => "e_learning", "E-learning";
        Reading => "reading", "Reading";
        /// Teaching counts: MASH subject-matter experts deliver inputs to the frontline.
        SessionDelivered => "session_delivered", "Delivered a session";
        Shadowing => "shadowing", "Shadowing";
        Conference => "conference", "Conference or seminar";
        Other => "other", "Other";
    }
}

named_enum! {
    /// The state of one required item of one person's training, worked out by [`item_status`].
    ///
    /// Whether an item is *in date* is not a property of the status alone ("due soon" can mean a
    /// first completion that is nearly late, or a signed-off completion nearly needing renewal),
    /// so it is carried separately in [`ItemState::in_date`].
    pub enum ItemStatus ("training status") {
        NotStarted => "not_started", "Not started";
        InProgress => "in_progress", "In progress";
        /// Completed, waiting for the mentor and line manager.
        AwaitingSignOff => "awaiting_sign_off", "Awaiting sign-off";
        SignedOff => "signed_off", "Signed off";
        DueSoon => "due_soon", "Due soon";
        /// Never completed and past its due date.
        Overdue => "overdue", "Overdue";
        /// Was signed off, but the renewal date has passed.
        Expired => "expired", "Expired";
    }
}

impl ItemStatus {
    /// The GOV.UK Frontend tag modifier class, so a page shows colour as well as the words
    /// (never colour alone).
    pub fn tag_class(self) -> &'static str {
        match self {
            ItemStatus::NotStarted => "govuk-tag--grey",
            ItemStatus::InProgress => "govuk-tag--blue",
            ItemStatus::AwaitingSignOff => "govuk-tag--yellow",
            ItemStatus::SignedOff => "govuk-tag--green",
            ItemStatus::DueSoon => "govuk-tag--orange",
            ItemStatus::Overdue => "govuk-tag--red",
            ItemStatus::Expired => "govuk-tag--red",
        }
    }

    /// Whether someone needs to act: the person, their mentor or their line manager.
    pub fn needs_action(self) -> bool {
        !matches!(self, ItemStatus::SignedOff)
    }
}

named_enum! {
    /// Whether a module's content is due for review. Legislation and guidance change often, so
    /// every module carries a review date.
    pub enum ReviewState ("review state") {
        NoDate => "no_date", "No review date";
        InDate => "in_date", "In date";
        DueSoon => "due_soon", "Review due soon";
        Overdue => "overdue", "Review overdue";
    }
}

impl ReviewState {
    /// The GOV.UK Frontend tag modifier class.
    pub fn tag_class(self) -> &'static str {
        match self {
            ReviewState::NoDate => "govuk-tag--grey",
            ReviewState::InDate => "govuk-tag--green",
            ReviewState::DueSoon => "govuk-tag--orange",
            ReviewState::Overdue => "govuk-tag--red",
        }
    }
}

/// The review state of a module on `today`. The review date itself is still in date; the state
/// turns to "due soon" `warn_days` days before it.
pub fn review_state(review_by: Option<Date>, today: Date, warn_days: i64) -> ReviewState {
    match review_by {
        None => ReviewState::NoDate,
        Some(by) if today > by => ReviewState::Overdue,
        Some(by) if (by - today).whole_days() <= warn_days => ReviewState::DueSoon,
        Some(_) => ReviewState::InDate,
    }
}

// ---------------------------------------------------------------------------------------------
// Dates

/// `d` plus `days`, or the last representable date if that overflows (a rule that far out is
/// "never" for every practical purpose).
fn add_days(d: Date, days: i64) -> Date {
    d.checked_add(Duration::days(days)).unwrap_or(Date::MAX)
}

/// The given day of a month in a year, clamped to the month's length: 29 February in 2025 is
/// 28 February, and 31 April (which no form should let through) is 30 April.
fn clamped_date(year: i32, month: Month, day: u8) -> Date {
    let day = day.clamp(1, time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(Date::MAX)
}

/// `d` plus a number of calendar months, clamped to the end of the month: 31 January plus one
/// month is 28 February (29 in a leap year), and 29 February 2024 plus twelve months is
/// 28 February 2025. Saturates at the last representable date.
pub fn add_months(d: Date, months: u32) -> Date {
    let index = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1 + i64::from(months);
    let Ok(year) = i32::try_from(index.div_euclid(12)) else {
        return Date::MAX;
    };
    if year > Date::MAX.year() {
        return Date::MAX;
    }
    let month = Month::try_from((index.rem_euclid(12) + 1) as u8).unwrap_or(Month::December);
    clamped_date(year, month, d.day())
}

/// Reads an ISO date `2025-03-31` strictly (the stored form, not a user's typing).
fn parse_iso_date(s: &str) -> Option<Date> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    if !(y.chars().chain(m.chars()).chain(d.chars())).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// "1 April": a day of a month with no year, as window bounds are shown.
fn day_month(month: Month, day: u8) -> String {
    format!("{day} {month}")
}

// ---------------------------------------------------------------------------------------------
// Due rules

/// When a person must first complete an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueRule {
    /// Within N days of starting the role: the Nth day after the start date is the last day
    /// that is not late (start 1 January, within 30 days, due 31 January).
    WithinDays(u32),
    /// By a fixed date, whenever the person started: for force-wide pushes such as "everyone by
    /// 31 March". Someone who starts after the date is due at once, and is overdue from the day
    /// after it; give such a programme a `WithinDays` rule instead if that is not wanted.
    ByDate(Date),
}

impl DueRule {
    /// The due date for someone who started the role on `role_started_on`.
    pub fn due_on(self, role_started_on: Date) -> Date {
        match self {
            DueRule::WithinDays(n) => add_days(role_started_on, i64::from(n)),
            DueRule::ByDate(d) => d,
        }
    }

    /// The stored form: `days:90` or `date:2025-03-31`.
    pub fn encode(&self) -> String {
        match self {
            DueRule::WithinDays(n) => format!("days:{n}"),
            DueRule::ByDate(d) => format!("date:{}", iso(*d)),
        }
    }

    /// Reads the stored form written by [`DueRule::encode`]. Case and spaces around the parts do
    /// not matter.
    pub fn parse(raw: &str) -> Result<DueRule, String> {
        let s = raw.trim().to_ascii_lowercase();
        let bad = || {
            format!("Due rule \"{}\" is not understood; write days:90 (within 90 days of starting the role) or date:2025-03-31 (by a fixed date)", raw.trim())
        };
        let (kind, value) = s.split_once(':').ok_or_else(bad)?;
        let value = value.trim();
        match kind.trim() {
            "days" => {
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
                    return Err(bad());
                }
                let n: u32 = value
                    .parse()
                    .ok()
                    .filter(|n| *n <= MAX_DUE_DAYS)
                    .ok_or_else(|| {
                        format!("Due rule: the number of days must be {MAX_DUE_DAYS} or fewer")
                    })?;
                Ok(DueRule::WithinDays(n))
            }
            "date" => parse_iso_date(value).map(DueRule::ByDate).ok_or_else(|| {
                format!("Due rule: \"{value}\" is not a real date written as 2025-03-31")
            }),
            _ => Err(bad()),
        }
    }

    /// Plain English for pages: "within 90 days of starting the role", "by 31 March 2025".
    pub fn describe(&self) -> String {
        match self {
            DueRule::WithinDays(0) => "on the day they start the role".into(),
            DueRule::WithinDays(1) => "within 1 day of starting the role".into(),
            DueRule::WithinDays(n) => format!("within {n} days of starting the role"),
            DueRule::ByDate(d) => format!("by {}", format_date_long(*d)),
        }
    }
}

impl fmt::Display for DueRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl FromStr for DueRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DueRule::parse(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Renewal rules

/// When a signed-off completion runs out and must be done again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalRule {
    /// Done once, good for as long as the person holds the role.
    None,
    /// Renew N calendar months after the last completion, clamped to the end of the month.
    Rolling { months: u32 },
    /// Redo every year inside a fixed window, for example 1 April to 30 June. A window whose end
    /// comes before its start in the calendar spans the year end (1 November to 31 January).
    /// A bound of 29 February means 28 February in other years; a day past the end of its month
    /// is clamped the same way.
    AnnualWindow { from: (Month, u8), to: (Month, u8) },
}

impl RenewalRule {
    /// The window that opens in `year`, as (first day, last day). For a window spanning the year
    /// end, the last day is in `year + 1`.
    fn window_in(year: i32, from: (Month, u8), to: (Month, u8)) -> (Date, Date) {
        let start = clamped_date(year, from.0, from.1);
        let end_same_year = clamped_date(year, to.0, to.1);
        let end = if (to.0, to.1) < (from.0, from.1) {
            clamped_date(year + 1, to.0, to.1)
        } else {
            end_same_year
        };
        (start, end)
    }

    /// When a completion on `completed_on` runs out: the last day on which it is still in date.
    /// `None` means it never does.
    ///
    /// - Rolling: `completed_on` plus the months, clamped to month end.
    /// - Annual window: the last day of the first window that *opens strictly after* the
    ///   completion. So a completion inside this year's window (on its first day, its last day or
    ///   between) lasts until the end of next year's window; a late completion after the window
    ///   has closed also lasts until the end of next year's; and an early completion before this
    ///   year's window opens does *not* count for this year, so it is due again at the end of this
    ///   year's window. For a window spanning the year end the window "belongs" to the year it
    ///   opens in: with 1 November–31 January, a completion on 15 December 2024 or 15 January 2025
    ///   (both inside the window that opened 1 November 2024) is next due on 31 January 2026.
    pub fn next_due(self, completed_on: Date) -> Option<Date> {
        match self {
            RenewalRule::None => None,
            RenewalRule::Rolling { months } => Some(add_months(completed_on, months)),
            RenewalRule::AnnualWindow { from, to } => {
                let year = completed_on.year();
                (year..=year + 1)
                    .map(|y| Self::window_in(y, from, to))
                    .find(|(start, _)| *start > completed_on)
                    .map(|(_, end)| end)
            }
        }
    }

    /// Whether `on` falls inside a renewal window (first and last days included). Rules without a
    /// window are always open: a rolling renewal can be done early at any time.
    pub fn window_open(self, on: Date) -> bool {
        match self {
            RenewalRule::None | RenewalRule::Rolling { .. } => true,
            RenewalRule::AnnualWindow { from, to } => [on.year() - 1, on.year()]
                .into_iter()
                .map(|y| Self::window_in(y, from, to))
                .any(|(start, end)| start <= on && on <= end),
        }
    }

    /// The stored form: `none`, `rolling:12` or `window:04-01..06-30`.
    pub fn encode(&self) -> String {
        match self {
            RenewalRule::None => "none".into(),
            RenewalRule::Rolling { months } => format!("rolling:{months}"),
            RenewalRule::AnnualWindow { from, to } => format!(
                "window:{:02}-{:02}..{:02}-{:02}",
                u8::from(from.0),
                from.1,
                u8::from(to.0),
                to.1
            ),
        }
    }

    /// Reads the stored form written by [`RenewalRule::encode`]. Case and spaces around the parts
    /// do not matter; window bounds are `MM-DD` and must be real days (29 February allowed).
    pub fn parse(raw: &str) -> Result<RenewalRule, String> {
        let s = raw.trim().to_ascii_lowercase();
        let bad = || {
            format!("Renewal rule \"{}\" is not understood; write none, rolling:12 (every 12 months) or window:04-01..06-30 (every year between 1 April and 30 June)", raw.trim())
        };
        if s == "none" {
            return Ok(RenewalRule::None);
        }
        let (kind, value) = s.split_once(':').ok_or_else(bad)?;
        let value = value.trim();
        match kind.trim() {
            "rolling" => {
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
                    return Err(bad());
                }
                match value.parse::<u32>() {
                    Ok(months) if (1..=MAX_RENEWAL_MONTHS).contains(&months) => {
                        Ok(RenewalRule::Rolling { months })
                    }
                    _ => Err(format!(
                        "Renewal rule: the number of months must be between 1 and {MAX_RENEWAL_MONTHS}"
                    )),
                }
            }
            "window" => {
                let (from, to) = value.split_once("..").ok_or_else(bad)?;
                Ok(RenewalRule::AnnualWindow {
                    from: parse_month_day(from.trim(), "start")?,
                    to: parse_month_day(to.trim(), "end")?,
                })
            }
            _ => Err(bad()),
        }
    }

    /// Plain English for pages: "every 12 months", "every year between 1 April and 30 June".
    pub fn describe(&self) -> String {
        match self {
            RenewalRule::None => "does not need renewing".into(),
            RenewalRule::Rolling { months: 1 } => "every month".into(),
            RenewalRule::Rolling { months } => format!("every {months} months"),
            RenewalRule::AnnualWindow { from, to } => format!(
                "every year between {} and {}",
                day_month(from.0, from.1),
                day_month(to.0, to.1)
            ),
        }
    }
}

impl fmt::Display for RenewalRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

impl FromStr for RenewalRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RenewalRule::parse(s)
    }
}

/// `04-01` as (April, 1). `which` is "start" or "end", for the message.
fn parse_month_day(s: &str, which: &str) -> Result<(Month, u8), String> {
    let bad = || {
        format!("Renewal rule: the window {which} \"{s}\" is not a day of the year; write it as MM-DD, for example 04-01 for 1 April")
    };
    let (m, d) = s.split_once('-').ok_or_else(bad)?;
    if m.len() != 2 || d.len() != 2 || !(m.chars().chain(d.chars())).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let month = Month::try_from(m.parse::<u8>().map_err(|_| bad())?).map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    // 2024 is a leap year, so 29 February is accepted here and clamped in other years.
    if day == 0 || day > time::util::days_in_month(month, 2024) {
        return Err(bad());
    }
    Ok((month, day))
}

// ---------------------------------------------------------------------------------------------
// Item status

/// One completion of an item, as far as its status is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionFacts {
    pub completed_on: Date,
    /// Both parties have signed it off.
    pub signed_off: bool,
}

/// What [`item_status`] needs to know about one required item for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFacts {
    pub role_started_on: Date,
    pub due: DueRule,
    pub renewal: RenewalRule,
    /// The person's most recent completion, signed off or not.
    pub latest: Option<CompletionFacts>,
    /// The date of the person's most recent *signed-off* completion, if there is one. It may be
    /// left `None` when `latest` is itself signed off. It matters when a renewal has been done but
    /// not yet signed off: the earlier sign-off still keeps the person in date until it expires.
    pub last_signed_off_on: Option<Date>,
    /// Started but not finished (booked on a session, part-way through an e-learning package).
    pub in_progress: bool,
}

/// The outcome of [`item_status`]: what to show and the dates behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ItemState {
    pub status: ItemStatus,
    /// When the item is (next) due: the first-completion due date, or the date the current
    /// signed-off completion runs out. `None` when signed off with no renewal.
    pub due_on: Option<Date>,
    /// The last day the current signed-off completion is in date; `None` if there is none or it
    /// never expires.
    pub expires_on: Option<Date>,
    /// The first day the person was late (the day after the due or expiry date), when overdue or
    /// expired.
    pub overdue_since: Option<Date>,
    /// The person holds a signed-off completion that has not expired. This is the figure that
    /// compliance reports count.
    pub in_date: bool,
}

/// Works out the state of one item on `today`. `due_soon_days` is how many days ahead a due or
/// expiry date turns the item to "due soon" (the due date itself is still not late).
///
/// Never signed off:
/// - a completion awaiting sign-off shows *awaiting sign-off*, even past the due date, because
///   signing it off is the thing someone must now do;
/// - otherwise past the due date is *overdue*, within `due_soon_days` of it is *due soon*, then
///   *in progress* if started, else *not started*.
///
/// Signed off (the latest sign-off is what counts):
/// - a newer completion awaiting sign-off shows *awaiting sign-off*, and the person stays in date
///   on the old sign-off until it expires;
/// - no renewal: *signed off* for good;
/// - past the expiry date: *expired*; within `due_soon_days` of it: *due soon*; else *signed off*.
///   Being part-way through a renewal does not change these, as the completion is what counts.
pub fn item_status(f: &ItemFacts, today: Date, due_soon_days: i64) -> ItemState {
    let signed_on = f
        .latest
        .filter(|c| c.signed_off)
        .map(|c| c.completed_on)
        .max(f.last_signed_off_on);
    // An unsigned completion only counts as pending if it is newer than the last sign-off.
    let pending = f
        .latest
        .filter(|c| !c.signed_off && signed_on.is_none_or(|s| c.completed_on >= s));
    let near = |d: Date| (d - today).whole_days() <= due_soon_days;

    let Some(signed_on) = signed_on else {
        let due_on = f.due.due_on(f.role_started_on);
        let (status, overdue_since) = if pending.is_some() {
            (ItemStatus::AwaitingSignOff, None)
        } else if today > due_on {
            (ItemStatus::Overdue, Some(add_days(due_on, 1)))
        } else if near(due_on) {
            (ItemStatus::DueSoon, None)
        } else if f.in_progress {
            (ItemStatus::InProgress, None)
        } else {
            (ItemStatus::NotStarted, None)
        };
        return ItemState {
            status,
            due_on: Some(due_on),
            expires_on: None,
            overdue_since,
            in_date: false,
        };
    };

    let expires_on = f.renewal.next_due(signed_on);
    let in_date = expires_on.is_none_or(|e| today <= e);
    let (status, overdue_since) = match expires_on {
        _ if pending.is_some() => (ItemStatus::AwaitingSignOff, None),
        None => (ItemStatus::SignedOff, None),
        Some(e) if today > e => (ItemStatus::Expired, Some(add_days(e, 1))),
        Some(e) if near(e) => (ItemStatus::DueSoon, None),
        Some(_) => (ItemStatus::SignedOff, None),
    };
    ItemState {
        status,
        due_on: expires_on,
        expires_on,
        overdue_since,
        in_date,
    }
}

// ---------------------------------------------------------------------------------------------
// Module versions

/// Reads a module version `MAJOR.MINOR` ("1.0", "2.3"); a bare "2" means "2.0" and a leading
/// "v" is ignored. Versions exist so a completion records exactly which content a person did.
pub fn parse_version(raw: &str) -> Result<(u32, u32), String> {
    let s = raw.trim();
    let bad = || {
        format!(
            "Version \"{s}\" is not understood; write it as MAJOR.MINOR, for example 1.0 or 2.3"
        )
    };
    if s.is_empty() {
        return Err("Enter a version, for example 1.0".into());
    }
    let digits = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let (major, minor) = digits.split_once('.').unwrap_or((digits, "0"));
    let number = |p: &str| -> Result<u32, String> {
        if p.is_empty() || p.len() > 6 || !p.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        p.parse().map_err(|_| bad())
    };
    Ok((number(major)?, number(minor)?))
}

/// Writes a version the way it is stored and shown: "2.3".
pub fn format_version(major: u32, minor: u32) -> String {
    format!("{major}.{minor}")
}

/// The next minor version, the usual step when content is revised: "1.0" → "1.1", "2" → "2.1",
/// "1.9" → "1.10". An empty or unreadable current version gives "1.0", as for a new module.
pub fn next_version(current: &str) -> String {
    match parse_version(current) {
        Ok((major, minor)) => format_version(major, minor.saturating_add(1)),
        Err(_) => format_version(1, 0),
    }
}

/// The next major version, for a rewrite (for example after new legislation): "1.4" → "2.0".
/// An empty or unreadable current version gives "1.0".
pub fn next_major_version(current: &str) -> String {
    match parse_version(current) {
        Ok((major, _)) => format_version(major.saturating_add(1), 0),
        Err(_) => format_version(1, 0),
    }
}

// ---------------------------------------------------------------------------------------------
// CPD time

/// Reads the time spent on a CPD entry and returns whole minutes. Accepts hours as a decimal
/// ("1.5", "2") or clock style ("1:30"), and hours or minutes with units ("2h", "2 hours", "90m",
/// "90 mins", "1h 30m", "1 hour and 30 minutes"). A bare number is hours, because the form asks
/// for hours. Decimal hours are rounded to the nearest minute.
pub fn parse_hours(raw: &str) -> Result<u32, String> {
    let s = raw.trim().to_ascii_lowercase();
    if s.is_empty() {
        return Err("Enter the time spent, for example 1.5 or 1:30".into());
    }
    let bad = || {
        format!(
            "\"{}\" is not a length of time; write hours as 1.5 or 1:30, or with units as 2 hours or 90 minutes",
            raw.trim()
        )
    };
    let minutes = if let Some((h, m)) = s.split_once(':') {
        let (h, m) = (h.trim(), m.trim());
        if h.is_empty()
            || h.len() > 4
            || !h.chars().all(|c| c.is_ascii_digit())
            || m.len() != 2
            || !m.chars().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m >= 60 {
            return Err(format!(
                "\"{}\": minutes after the colon must be 59 or fewer",
                raw.trim()
            ));
        }
        h * 60 + m
    } else {
        parse_hour_words(&s).ok_or_else(bad)?
    };
    if minutes == 0 {
        return Err("The time spent must be more than zero".into());
    }
    if minutes > MAX_CPD_MINUTES {
        return Err(format!(
            "The time spent must be {} hours or less for one entry",
            MAX_CPD_MINUTES / 60
        ));
    }
    Ok(minutes)
}

/// "1.5", "2h", "90 minutes", "1 hour and 30 minutes" → minutes. `None` if not understood.
fn parse_hour_words(s: &str) -> Option<u32> {
    let mut rest = s;
    let (mut hours, mut minutes): (Option<u32>, Option<u32>) = (None, None);
    let mut parts = 0;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("and ") {
            rest = r.trim_start();
        }
        if rest.is_empty() {
            break;
        }
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..num_len];
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        parts += 1;
        match unit {
            "" | "h" | "hr" | "hrs" | "hour" | "hours" => {
                if hours.is_some() || minutes.is_some() {
                    return None;
                }
                hours = Some(decimal_hours_to_minutes(number)?);
            }
            "m" | "min" | "mins" | "minute" | "minutes" => {
                if minutes.is_some()
                    || number.is_empty()
                    || number.len() > 5
                    || !number.chars().all(|c| c.is_ascii_digit())
                {
                    return None;
                }
                minutes = Some(number.parse().ok()?);
            }
            _ => return None,
        }
        // A bare number is only allowed on its own: "1 30" is not a time.
        if unit.is_empty() && (parts > 1 || !rest.trim().is_empty()) {
            return None;
        }
    }
    if parts == 0 {
        return None;
    }
    Some(hours.unwrap_or(0) + minutes.unwrap_or(0))
}

/// "1.5" → 90, "0.25" → 15, "2" → 120; at most three decimal places, rounded to the minute.
fn decimal_hours_to_minutes(number: &str) -> Option<u32> {
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && frac.is_empty())
        || whole.len() > 4
        || frac.len() > 3
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
        || (number.contains('.') && frac.is_empty())
    {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac_minutes = if frac.is_empty() {
        0
    } else {
        let scale = 10u32.pow(frac.len() as u32);
        (frac.parse::<u32>().ok()? * 60 + scale / 2) / scale
    };
    Some(whole * 60 + frac_minutes)
}

/// Minutes as words: 90 → "1 hour 30 minutes", 60 → "1 hour", 5 → "5 minutes", 0 → "0 minutes".
pub fn format_minutes(minutes: u32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let unit = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (h, m) {
        (0, m) => unit(m, "minute", "minutes"),
        (h, 0) => unit(h, "hour", "hours"),
        (h, m) => format!(
            "{} {}",
            unit(h, "hour", "hours"),
            unit(m, "minute", "minutes")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::value::{Error as DeError, StrDeserializer};
    use serde::de::IntoDeserializer;
    use time::macros::date;

    fn de<'a, T: Deserialize<'a>>(s: &'a str) -> T {
        let d: StrDeserializer<'a, DeError> = s.into_deserializer();
        T::deserialize(d).unwrap()
    }

    // --- names ------------------------------------------------------------------------------

    macro_rules! check_names {
        ($t:ty) => {{
            let all = <$t>::ALL;
            let mut seen = std::collections::HashSet::new();
            for v in all {
                assert!(seen.insert(v.as_str()), "duplicate name {}", v.as_str());
                assert!(!v.label().is_empty());
                assert_eq!(v.as_str().parse::<$t>().unwrap(), v);
                assert_eq!(v.label().parse::<$t>().ok().unwrap_or(v), v);
                assert_eq!(de::<$t>(v.as_str()), v, "serde name of {}", v.as_str());
                assert_eq!(v.to_string(), v.as_str());
            }
        }};
    }

    #[test]
    fn every_named_value_round_trips_through_its_name_and_serde() {
        check_names!(ModuleKind);
        check_names!(ModuleStatus);
        check_names!(CompletionMode);
        check_names!(SignOffCapacity);
        check_names!(CpdKind);
        check_names!(ItemStatus);
        check_names!(ReviewState);
        assert_eq!(ModuleKind::ALL.len(), 7);
        assert_eq!(ItemStatus::ALL.len(), 7);
    }

    #[test]
    fn names_are_forgiving_and_errors_list_the_choices() {
        assert_eq!(
            "Face-to-face".parse::<ModuleKind>().unwrap(),
            ModuleKind::FaceToFace
        );
        assert_eq!("E-learning".parse::<CpdKind>().unwrap(), CpdKind::ELearning);
        assert_eq!(
            " Line Manager ".parse::<SignOffCapacity>().unwrap(),
            SignOffCapacity::LineManager
        );
        let err = "podcast".parse::<ModuleKind>().unwrap_err().to_string();
        assert!(err.contains("\"podcast\" is not a module kind"), "{err}");
        assert!(err.contains("e_learning, face_to_face"), "{err}");
    }

    #[test]
    fn statuses_have_distinct_words_and_a_tag_colour() {
        let labels: std::collections::HashSet<_> =
            ItemStatus::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(labels.len(), ItemStatus::ALL.len());
        for s in ItemStatus::ALL {
            assert!(s.tag_class().starts_with("govuk-tag--"));
        }
        assert_eq!(ItemStatus::SignedOff.tag_class(), "govuk-tag--green");
        assert_eq!(ItemStatus::Overdue.tag_class(), "govuk-tag--red");
        assert_eq!(ItemStatus::AwaitingSignOff.label(), "Awaiting sign-off");
        assert!(!ItemStatus::SignedOff.needs_action());
        assert!(ItemStatus::DueSoon.needs_action());
        for s in ReviewState::ALL {
            assert!(s.tag_class().starts_with("govuk-tag--"));
        }
    }

    // --- dates ------------------------------------------------------------------------------

    #[test]
    fn add_months_clamps_to_month_end() {
        assert_eq!(add_months(date!(2025 - 01 - 31), 1), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 01 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(add_months(date!(2025 - 08 - 31), 6), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 08 - 31), 6), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2025 - 03 - 31), 1), date!(2025 - 04 - 30));
        assert_eq!(add_months(date!(2025 - 11 - 15), 2), date!(2026 - 01 - 15));
        assert_eq!(add_months(date!(2025 - 05 - 31), 0), date!(2025 - 05 - 31));
        assert_eq!(
            add_months(date!(2025 - 12 - 01), 120),
            date!(2035 - 12 - 01)
        );
        assert_eq!(add_months(date!(2025 - 12 - 01), u32::MAX), Date::MAX);
    }

    #[test]
    fn leap_day_plus_a_year_is_the_end_of_february() {
        assert_eq!(add_months(date!(2024 - 02 - 29), 12), date!(2025 - 02 - 28));
        assert_eq!(add_months(date!(2024 - 02 - 29), 48), date!(2028 - 02 - 29));
        let r = RenewalRule::Rolling { months: 12 };
        assert_eq!(
            r.next_due(date!(2024 - 02 - 29)),
            Some(date!(2025 - 02 - 28))
        );
    }

    // --- due rules --------------------------------------------------------------------------

    #[test]
    fn due_rules_count_days_from_the_start_or_use_the_fixed_date() {
        let start = date!(2025 - 01 - 01);
        assert_eq!(DueRule::WithinDays(30).due_on(start), date!(2025 - 01 - 31));
        assert_eq!(DueRule::WithinDays(90).due_on(start), date!(2025 - 04 - 01));
        assert_eq!(DueRule::WithinDays(0).due_on(start), start);
        assert_eq!(
            DueRule::WithinDays(180).due_on(date!(2024 - 09 - 02)),
            date!(2025 - 03 - 01)
        );
        let fixed = DueRule::ByDate(date!(2025 - 03 - 31));
        assert_eq!(fixed.due_on(start), date!(2025 - 03 - 31));
        assert_eq!(fixed.due_on(date!(2026 - 06 - 01)), date!(2025 - 03 - 31));
        assert_eq!(DueRule::WithinDays(u32::MAX).due_on(start), Date::MAX);
    }

    #[test]
    fn due_rules_encode_parse_and_describe() {
        for rule in [
            DueRule::WithinDays(90),
            DueRule::WithinDays(0),
            DueRule::ByDate(date!(2025 - 03 - 31)),
        ] {
            assert_eq!(DueRule::parse(&rule.encode()).unwrap(), rule);
            assert_eq!(rule.to_string().parse::<DueRule>().unwrap(), rule);
        }
        assert_eq!(DueRule::WithinDays(90).encode(), "days:90");
        assert_eq!(
            DueRule::ByDate(date!(2025 - 03 - 31)).encode(),
            "date:2025-03-31"
        );
        assert_eq!(
            DueRule::parse(" Days: 30 ").unwrap(),
            DueRule::WithinDays(30)
        );
        assert_eq!(
            DueRule::WithinDays(90).describe(),
            "within 90 days of starting the role"
        );
        assert_eq!(
            DueRule::WithinDays(1).describe(),
            "within 1 day of starting the role"
        );
        assert_eq!(
            DueRule::ByDate(date!(2025 - 03 - 31)).describe(),
            "by 31 March 2025"
        );
        for bad in [
            "",
            "90",
            "days:",
            "days:-1",
            "days:+5",
            "weeks:3",
            "date:2025-02-30",
        ] {
            let err = DueRule::parse(bad).unwrap_err();
            assert!(err.starts_with("Due rule"), "{bad}: {err}");
        }
        assert!(DueRule::parse("days:99999").unwrap_err().contains("3660"));
        assert!(DueRule::parse("date:31/03/2025").is_err());
    }

    // --- renewal rules ----------------------------------------------------------------------

    fn window(fm: Month, fd: u8, tm: Month, td: u8) -> RenewalRule {
        RenewalRule::AnnualWindow {
            from: (fm, fd),
            to: (tm, td),
        }
    }

    #[test]
    fn rolling_renewal_runs_from_the_completion_over_month_ends() {
        let r12 = RenewalRule::Rolling { months: 12 };
        assert_eq!(
            r12.next_due(date!(2025 - 05 - 14)),
            Some(date!(2026 - 05 - 14))
        );
        let r1 = RenewalRule::Rolling { months: 1 };
        assert_eq!(
            r1.next_due(date!(2025 - 01 - 31)),
            Some(date!(2025 - 02 - 28))
        );
        assert_eq!(
            r1.next_due(date!(2024 - 01 - 31)),
            Some(date!(2024 - 02 - 29))
        );
        let r6 = RenewalRule::Rolling { months: 6 };
        assert_eq!(
            r6.next_due(date!(2025 - 08 - 31)),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(RenewalRule::None.next_due(date!(2025 - 08 - 31)), None);
        assert!(r6.window_open(date!(2025 - 08 - 31)));
        assert!(RenewalRule::None.window_open(date!(2025 - 08 - 31)));
    }

    #[test]
    fn annual_window_inside_the_year() {
        // 1 April to 30 June: the next due date is the end of the first window opening after
        // the completion.
        let w = window(Month::April, 1, Month::June, 30);
        // Inside this year's window: good until the end of next year's.
        assert_eq!(
            w.next_due(date!(2025 - 05 - 15)),
            Some(date!(2026 - 06 - 30))
        );
        // On the first and last days of the window: the same.
        assert_eq!(
            w.next_due(date!(2025 - 04 - 01)),
            Some(date!(2026 - 06 - 30))
        );
        assert_eq!(
            w.next_due(date!(2025 - 06 - 30)),
            Some(date!(2026 - 06 - 30))
        );
        // Late, after the window closed: next year's window.
        assert_eq!(
            w.next_due(date!(2025 - 09 - 01)),
            Some(date!(2026 - 06 - 30))
        );
        // Early, the day before the window opens: does not count for this year.
        assert_eq!(
            w.next_due(date!(2025 - 03 - 31)),
            Some(date!(2025 - 06 - 30))
        );

        assert!(!w.window_open(date!(2025 - 03 - 31)));
        assert!(w.window_open(date!(2025 - 04 - 01)));
        assert!(w.window_open(date!(2025 - 06 - 30)));
        assert!(!w.window_open(date!(2025 - 07 - 01)));
    }

    #[test]
    fn annual_window_spanning_the_year_end() {
        // 1 November to 31 January. A window belongs to the year it opens in; a completion
        // anywhere in the window that opened 1 November 2024 is next due at the end of the
        // window opening 1 November 2025, which is 31 January 2026.
        let w = window(Month::November, 1, Month::January, 31);
        assert_eq!(
            w.next_due(date!(2024 - 12 - 15)),
            Some(date!(2026 - 01 - 31))
        );
        assert_eq!(
            w.next_due(date!(2025 - 01 - 15)),
            Some(date!(2026 - 01 - 31))
        );
        assert_eq!(
            w.next_due(date!(2024 - 11 - 01)),
            Some(date!(2026 - 01 - 31))
        );
        assert_eq!(
            w.next_due(date!(2025 - 01 - 31)),
            Some(date!(2026 - 01 - 31))
        );
        // Between windows (summer 2025): the window opening November 2025.
        assert_eq!(
            w.next_due(date!(2025 - 06 - 01)),
            Some(date!(2026 - 01 - 31))
        );
        assert_eq!(
            w.next_due(date!(2025 - 10 - 31)),
            Some(date!(2026 - 01 - 31))
        );

        assert!(w.window_open(date!(2024 - 12 - 31)));
        assert!(w.window_open(date!(2025 - 01 - 01)));
        assert!(w.window_open(date!(2025 - 01 - 31)));
        assert!(!w.window_open(date!(2025 - 02 - 01)));
        assert!(!w.window_open(date!(2025 - 10 - 31)));
        assert!(w.window_open(date!(2025 - 11 - 01)));
    }

    #[test]
    fn a_29_february_window_bound_becomes_28_february_in_other_years() {
        // 1 February to 29 February.
        let w = window(Month::February, 1, Month::February, 29);
        assert_eq!(
            w.next_due(date!(2024 - 02 - 10)),
            Some(date!(2025 - 02 - 28))
        );
        assert_eq!(
            w.next_due(date!(2025 - 02 - 10)),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            w.next_due(date!(2027 - 02 - 10)),
            Some(date!(2028 - 02 - 29))
        );
        assert!(w.window_open(date!(2025 - 02 - 28)));
        assert!(w.window_open(date!(2024 - 02 - 29)));
        assert!(!w.window_open(date!(2025 - 03 - 01)));
        // 29 February to 31 March: opens 28 February in 2025, so a completion that day is
        // inside the 2025 window.
        let w = window(Month::February, 29, Month::March, 31);
        assert!(w.window_open(date!(2025 - 02 - 28)));
        assert!(!w.window_open(date!(2024 - 02 - 28)));
        assert_eq!(
            w.next_due(date!(2025 - 02 - 28)),
            Some(date!(2026 - 03 - 31))
        );
        assert_eq!(
            w.next_due(date!(2025 - 02 - 27)),
            Some(date!(2025 - 03 - 31))
        );
    }

    #[test]
    fn a_one_day_window_and_an_impossible_bound_still_behave() {
        let w = window(Month::March, 31, Month::March, 31);
        assert_eq!(
            w.next_due(date!(2025 - 03 - 31)),
            Some(date!(2026 - 03 - 31))
        );
        assert!(w.window_open(date!(2025 - 03 - 31)));
        assert!(!w.window_open(date!(2025 - 03 - 30)));
        // 31 April cannot be typed through `parse`, but a hand-built rule clamps to 30 April.
        let w = window(Month::April, 1, Month::April, 31);
        assert_eq!(
            w.next_due(date!(2025 - 04 - 15)),
            Some(date!(2026 - 04 - 30))
        );
    }

    #[test]
    fn renewal_rules_encode_parse_and_describe() {
        let rules = [
            RenewalRule::None,
            RenewalRule::Rolling { months: 12 },
            window(Month::April, 1, Month::June, 30),
            window(Month::November, 1, Month::January, 31),
            window(Month::February, 29, Month::March, 31),
        ];
        for rule in rules {
            assert_eq!(RenewalRule::parse(&rule.encode()).unwrap(), rule);
            assert_eq!(rule.to_string().parse::<RenewalRule>().unwrap(), rule);
        }
        assert_eq!(RenewalRule::None.encode(), "none");
        assert_eq!(RenewalRule::Rolling { months: 12 }.encode(), "rolling:12");
        assert_eq!(
            window(Month::April, 1, Month::June, 30).encode(),
            "window:04-01..06-30"
        );
        assert_eq!(
            RenewalRule::parse(" Window: 04-01 .. 06-30 ").unwrap(),
            window(Month::April, 1, Month::June, 30)
        );
        assert_eq!(RenewalRule::None.describe(), "does not need renewing");
        assert_eq!(
            RenewalRule::Rolling { months: 12 }.describe(),
            "every 12 months"
        );
        assert_eq!(RenewalRule::Rolling { months: 1 }.describe(), "every month");
        assert_eq!(
            window(Month::April, 1, Month::June, 30).describe(),
            "every year between 1 April and 30 June"
        );
        assert_eq!(
            window(Month::November, 1, Month::January, 31).describe(),
            "every year between 1 November and 31 January"
        );
        for bad in [
            "",
            "never",
            "rolling:",
            "rolling:0",
            "rolling:121",
            "rolling:x",
            "window:04-01",
            "window:4-1..6-30",
            "window:04-31..06-30",
            "window:13-01..06-30",
            "window:02-30..03-31",
        ] {
            let err = RenewalRule::parse(bad).unwrap_err();
            assert!(err.starts_with("Renewal rule"), "{bad}: {err}");
        }
        assert!(RenewalRule::parse("window:04-31..06-30")
            .unwrap_err()
            .contains("window start \"04-31\""));
    }

    // --- item status ------------------------------------------------------------------------

    const START: Date = date!(2025 - 01 - 01);

    /// Due within 90 days (1 April 2025), renewed every 12 months.
    fn facts(latest: Option<(Date, bool)>, in_progress: bool) -> ItemFacts {
        ItemFacts {
            role_started_on: START,
            due: DueRule::WithinDays(90),
            renewal: RenewalRule::Rolling { months: 12 },
            latest: latest.map(|(completed_on, signed_off)| CompletionFacts {
                completed_on,
                signed_off,
            }),
            last_signed_off_on: None,
            in_progress,
        }
    }

    fn status(f: &ItemFacts, today: Date) -> ItemState {
        item_status(f, today, 30)
    }

    #[test]
    fn not_started_in_progress_due_soon_and_overdue_before_any_completion() {
        let due = date!(2025 - 04 - 01);
        let s = status(&facts(None, false), date!(2025 - 01 - 10));
        assert_eq!(s.status, ItemStatus::NotStarted);
        assert_eq!(s.due_on, Some(due));
        assert_eq!(
            (s.expires_on, s.overdue_since, s.in_date),
            (None, None, false)
        );

        let s = status(&facts(None, true), date!(2025 - 01 - 10));
        assert_eq!(s.status, ItemStatus::InProgress);

        // 30 days before the due date is "due soon"; 31 is not.
        assert_eq!(
            status(&facts(None, false), date!(2025 - 03 - 02)).status,
            ItemStatus::DueSoon
        );
        assert_eq!(
            status(&facts(None, false), date!(2025 - 03 - 01)).status,
            ItemStatus::NotStarted
        );
        // Nearly late outranks "in progress".
        assert_eq!(
            status(&facts(None, true), date!(2025 - 03 - 20)).status,
            ItemStatus::DueSoon
        );
        // The due date itself is not late.
        assert_eq!(status(&facts(None, false), due).status, ItemStatus::DueSoon);

        let s = status(&facts(None, true), date!(2025 - 04 - 02));
        assert_eq!(s.status, ItemStatus::Overdue);
        assert_eq!(s.overdue_since, Some(date!(2025 - 04 - 02)));
        assert!(!s.in_date);
    }

    #[test]
    fn a_completion_awaiting_sign_off_is_the_actionable_state_even_when_late() {
        let f = facts(Some((date!(2025 - 03 - 01), false)), false);
        let s = status(&f, date!(2025 - 03 - 05));
        assert_eq!(s.status, ItemStatus::AwaitingSignOff);
        assert_eq!(s.due_on, Some(date!(2025 - 04 - 01)));
        assert!(!s.in_date);
        let s = status(&f, date!(2025 - 06 - 01));
        assert_eq!(s.status, ItemStatus::AwaitingSignOff);
        assert_eq!(s.overdue_since, None);
        assert!(!s.in_date);
    }

    #[test]
    fn signed_off_due_soon_and_expired_after_a_completion() {
        let done = date!(2025 - 03 - 15);
        let f = facts(Some((done, true)), false);
        let s = status(&f, date!(2025 - 06 - 01));
        assert_eq!(s.status, ItemStatus::SignedOff);
        assert_eq!(s.expires_on, Some(date!(2026 - 03 - 15)));
        assert_eq!(s.due_on, Some(date!(2026 - 03 - 15)));
        assert!(s.in_date);

        let s = status(&f, date!(2026 - 03 - 01));
        assert_eq!(s.status, ItemStatus::DueSoon);
        assert!(s.in_date);

        // The expiry day itself is still in date.
        let s = status(&f, date!(2026 - 03 - 15));
        assert_eq!(s.status, ItemStatus::DueSoon);
        assert!(s.in_date);
        assert_eq!(s.overdue_since, None);

        let s = status(&f, date!(2026 - 03 - 16));
        assert_eq!(s.status, ItemStatus::Expired);
        assert_eq!(s.overdue_since, Some(date!(2026 - 03 - 16)));
        assert!(!s.in_date);

        // Being part-way through the renewal does not hide the expiry.
        let f = facts(Some((done, true)), true);
        assert_eq!(
            status(&f, date!(2026 - 04 - 01)).status,
            ItemStatus::Expired
        );
        assert_eq!(
            status(&f, date!(2025 - 06 - 01)).status,
            ItemStatus::SignedOff
        );
    }

    #[test]
    fn a_signed_off_item_with_no_renewal_stays_signed_off() {
        let mut f = facts(Some((date!(2025 - 02 - 01), true)), false);
        f.renewal = RenewalRule::None;
        let s = status(&f, date!(2040 - 01 - 01));
        assert_eq!(s.status, ItemStatus::SignedOff);
        assert_eq!(
            (s.due_on, s.expires_on, s.overdue_since),
            (None, None, None)
        );
        assert!(s.in_date);
    }

    #[test]
    fn a_renewal_awaiting_sign_off_keeps_the_old_sign_off_until_it_expires() {
        let mut f = facts(Some((date!(2026 - 03 - 01), false)), false);
        f.last_signed_off_on = Some(date!(2025 - 03 - 15));
        let s = status(&f, date!(2026 - 03 - 05));
        assert_eq!(s.status, ItemStatus::AwaitingSignOff);
        assert_eq!(s.expires_on, Some(date!(2026 - 03 - 15)));
        assert!(s.in_date);
        let s = status(&f, date!(2026 - 03 - 20));
        assert_eq!(s.status, ItemStatus::AwaitingSignOff);
        assert!(!s.in_date);
        // `last_signed_off_on` may repeat the latest completion; the latest sign-off wins.
        let mut f = facts(Some((date!(2026 - 03 - 01), true)), false);
        f.last_signed_off_on = Some(date!(2026 - 03 - 01));
        assert_eq!(
            status(&f, date!(2026 - 04 - 01)).status,
            ItemStatus::SignedOff
        );
    }

    #[test]
    fn an_annual_window_item_expires_at_the_end_of_next_years_window() {
        let mut f = facts(Some((date!(2025 - 05 - 10), true)), false);
        f.renewal = window(Month::April, 1, Month::June, 30);
        let s = status(&f, date!(2026 - 04 - 01));
        assert_eq!(s.status, ItemStatus::SignedOff);
        assert_eq!(s.expires_on, Some(date!(2026 - 06 - 30)));
        assert_eq!(
            status(&f, date!(2026 - 06 - 30)).status,
            ItemStatus::DueSoon
        );
        assert_eq!(
            status(&f, date!(2026 - 07 - 01)).status,
            ItemStatus::Expired
        );
    }

    #[test]
    fn every_item_status_is_reachable() {
        let mut seen = std::collections::HashSet::new();
        for latest in [
            None,
            Some((date!(2025 - 02 - 01), false)),
            Some((date!(2025 - 02 - 01), true)),
        ] {
            for in_progress in [false, true] {
                for today in [
                    date!(2025 - 01 - 05),
                    date!(2025 - 03 - 20),
                    date!(2025 - 06 - 01),
                    date!(2026 - 01 - 20),
                    date!(2026 - 03 - 01),
                ] {
                    seen.insert(status(&facts(latest, in_progress), today).status);
                }
            }
        }
        for s in ItemStatus::ALL {
            assert!(seen.contains(&s), "{s} never produced");
        }
    }

    #[test]
    fn a_fixed_due_date_before_the_start_is_overdue_from_the_day_after_it() {
        let mut f = facts(None, false);
        f.due = DueRule::ByDate(date!(2024 - 12 - 31));
        let s = status(&f, START);
        assert_eq!(s.status, ItemStatus::Overdue);
        assert_eq!(s.overdue_since, Some(START));
    }

    // --- reviews and versions ---------------------------------------------------------------

    #[test]
    fn review_states() {
        let today = date!(2026 - 11 - 26);
        assert_eq!(review_state(None, today, 60), ReviewState::NoDate);
        assert_eq!(
            review_state(Some(date!(2026 - 11 - 25)), today, 60),
            ReviewState::Overdue
        );
        assert_eq!(review_state(Some(today), today, 60), ReviewState::DueSoon);
        assert_eq!(
            review_state(Some(date!(2027 - 01 - 25)), today, 60),
            ReviewState::DueSoon
        );
        assert_eq!(
            review_state(Some(date!(2027 - 01 - 26)), today, 60),
            ReviewState::InDate
        );
        assert_eq!(review_state(Some(today), today, -1), ReviewState::InDate);
        assert_eq!(ReviewState::Overdue.label(), "Review overdue");
        assert_eq!(ReviewState::InDate.tag_class(), "govuk-tag--green");
    }

    #[test]
    fn versions_parse_and_step() {
        assert_eq!(parse_version("1.0"), Ok((1, 0)));
        assert_eq!(parse_version(" v2.3 "), Ok((2, 3)));
        assert_eq!(parse_version("2"), Ok((2, 0)));
        assert_eq!(parse_version("1.10"), Ok((1, 10)));
        for bad in [
            "", "1.", ".1", "1.2.3", "one", "-1.0", "+1.0", "1 .0", "1.0a",
        ] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
        assert!(parse_version("1.2.3").unwrap_err().contains("MAJOR.MINOR"));
        assert_eq!(next_version("1.0"), "1.1");
        assert_eq!(next_version("2"), "2.1");
        assert_eq!(next_version("1.9"), "1.10");
        assert_eq!(next_version(""), "1.0");
        assert_eq!(next_version("draft"), "1.0");
        assert_eq!(next_major_version("1.4"), "2.0");
        assert_eq!(next_major_version(""), "1.0");
        assert_eq!(format_version(3, 2), "3.2");
    }

    // --- CPD time ---------------------------------------------------------------------------

    #[test]
    fn hours_parse_in_the_ways_people_write_them() {
        let cases = [
            ("1.5", 90),
            ("2", 120),
            ("0.25", 15),
            (".5", 30),
            ("1.333", 80),
            ("1:30", 90),
            ("0:45", 45),
            ("10:05", 605),
            ("90m", 90),
            ("90 mins", 90),
            ("45 minutes", 45),
            ("2h", 120),
            ("2 hours", 120),
            ("1 hour", 60),
            ("1.5 hrs", 90),
            ("1h30m", 90),
            ("1h 30m", 90),
            ("1 hour 30 minutes", 90),
            ("1 hour and 30 minutes", 90),
            ("  2 HOURS ", 120),
            ("100", 6000),
        ];
        for (raw, minutes) in cases {
            assert_eq!(parse_hours(raw), Ok(minutes), "{raw}");
        }
    }

    #[test]
    fn hours_reject_nonsense_with_a_clear_message() {
        assert!(parse_hours("")
            .unwrap_err()
            .starts_with("Enter the time spent"));
        for bad in [
            "abc", "1 30", "1:5", "1:", ":30", "-1", "1.5.2", "1.", "2 days", "30m 1h", "1h 1h",
            "1.5m", "h", "1,5", "1.2345",
        ] {
            let err = parse_hours(bad).unwrap_err();
            assert!(err.contains("is not a length of time"), "{bad}: {err}");
        }
        assert!(parse_hours("1:75").unwrap_err().contains("59 or fewer"));
        assert!(parse_hours("0").unwrap_err().contains("more than zero"));
        assert!(parse_hours("0m").unwrap_err().contains("more than zero"));
        assert!(parse_hours("101")
            .unwrap_err()
            .contains("100 hours or less"));
    }

    #[test]
    fn minutes_format_as_words() {
        assert_eq!(format_minutes(90), "1 hour 30 minutes");
        assert_eq!(format_minutes(60), "1 hour");
        assert_eq!(format_minutes(120), "2 hours");
        assert_eq!(format_minutes(61), "1 hour 1 minute");
        assert_eq!(format_minutes(5), "5 minutes");
        assert_eq!(format_minutes(1), "1 minute");
        assert_eq!(format_minutes(0), "0 minutes");
        for m in [15, 90, 135, 6000] {
            let words = format_minutes(m)
                .replace(" minutes", "m")
                .replace(" minute", "m");
            assert_eq!(parse_hours(&words), Ok(m), "{words}");
        }
    }
}

/// A share as a whole percentage, rounded to the nearest (6 of 7 is 86, not 85; a half rounds
/// up), or `None` when there is nothing to count. Every percentage of training shown to a user
/// is worked out here, so the screen, the exports and the API agree.
pub fn percent_rounded(part: usize, whole: usize) -> Option<u32> {
    if whole == 0 {
        return None;
    }
    let (part, whole) = (part as u128, whole as u128);
    Some(((200 * part + whole) / (2 * whole)) as u32)
}

#[cfg(test)]
mod percent_tests {
    use super::percent_rounded;

    #[test]
    fn percentages_round_to_the_nearest_whole_number() {
        assert_eq!(percent_rounded(6, 7), Some(86));
        assert_eq!(percent_rounded(1, 3), Some(33));
        assert_eq!(percent_rounded(2, 3), Some(67));
        assert_eq!(percent_rounded(1, 8), Some(13), "12.5 rounds up");
        assert_eq!(percent_rounded(0, 5), Some(0));
        assert_eq!(percent_rounded(5, 5), Some(100));
        assert_eq!(percent_rounded(0, 0), None);
    }
}

/// A stored instant (RFC 3339, UTC) as people read it, in Europe/London time: "6 December 2026
/// at 2:05pm", "9am", "midday" and "midnight" by name. `None` when the text is not an instant.
pub fn instant_in_words(stored: &str) -> Option<String> {
    let z = crate::sessions::to_london(crate::sessions::from_store(stored)?);
    let day = crate::people::format_date_long(z.date());
    let time = crate::sessions::clock_in_words(z.time());
    Some(format!("{day} at {time}"))
}

/// The Europe/London date of a stored instant or date, in words: "6 December 2026". A plain
/// date (`YYYY-MM-DD`) is read as it is; an instant at 00:30 on 1 April in summer time (stored
/// as 23:30 UTC on 31 March) is 1 April. `None` when the text is neither.
pub fn stored_date_in_words(stored: &str) -> Option<String> {
    if let Ok(d) = crate::people::parse_date(stored) {
        return Some(crate::people::format_date_long(d));
    }
    let z = crate::sessions::to_london(crate::sessions::from_store(stored)?);
    Some(crate::people::format_date_long(z.date()))
}

#[cfg(test)]
mod words_tests {
    use super::{instant_in_words, stored_date_in_words};

    #[test]
    fn instants_are_shown_in_london_time_in_words() {
        assert_eq!(
            instant_in_words("2026-12-06T14:05:00.000000Z").as_deref(),
            Some("6 December 2026 at 2:05pm")
        );
        // British Summer Time: 23:30 UTC on 31 March is 00:30 on 1 April in London.
        assert_eq!(
            instant_in_words("2025-03-31T23:30:00.000000Z").as_deref(),
            Some("1 April 2025 at 12:30am")
        );
        assert_eq!(
            instant_in_words("2025-06-01T11:00:00Z").as_deref(),
            Some("1 June 2025 at midday")
        );
        assert_eq!(
            stored_date_in_words("2025-03-31T23:30:00.000000Z").as_deref(),
            Some("1 April 2025")
        );
        assert_eq!(
            stored_date_in_words("2024-02-29").as_deref(),
            Some("29 February 2024")
        );
        assert_eq!(instant_in_words("not a time"), None);
    }
}
