//! Training sessions: modes, statuses, times in Europe/London, validation and the waitlist rule.
//!
//! Instants are `time::OffsetDateTime` values ([`Instant`]), stored as RFC 3339 UTC text. People
//! type and read times as Europe/London wall clock time, so every conversion goes through
//! [`london`] (the IANA time-zone database bundled by `tzdb_data`, read by `tz-rs`, so it works
//! without `/usr/share/zoneinfo`); [`to_london`] gives the same instant as an `OffsetDateTime`
//! in London's offset, so a date and its zone are one value.
//!
//! Clock changes: a wall time that does not exist (the spring-forward gap, e.g. 2025-03-30 01:30)
//! is refused with a plain message; a wall time that happens twice (the autumn fold, e.g.
//! 2025-10-26 01:30) means the **earlier** of the two instants (01:30 BST = 00:30 UTC). Give an
//! explicit offset (`2025-10-26T01:30:00+00:00`) to mean the later one.

use std::fmt;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use tz::datetime::{DateTime as TzDateTime, FoundDateTimeKind};
use tz::timezone::TimeZoneRef;

/// An instant: a `time::OffsetDateTime` (held in UTC by the parsers here).
pub type Instant = OffsetDateTime;

/// In person (a venue and room) or online over Microsoft Teams (a join link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionMode {
    InPerson,
    Teams,
}

impl SessionMode {
    pub const ALL: [SessionMode; 2] = [SessionMode::InPerson, SessionMode::Teams];
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::InPerson => "in_person",
            SessionMode::Teams => "teams",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SessionMode::InPerson => "In person",
            SessionMode::Teams => "Microsoft Teams",
        }
    }
    pub fn parse(raw: &str) -> Result<SessionMode, String> {
        match raw
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "in_person" | "inperson" | "face_to_face" => Ok(SessionMode::InPerson),
            "teams" | "online" | "microsoft_teams" => Ok(SessionMode::Teams),
            _ => Err(format!(
                "\"{}\" is not a session mode; use in_person or teams",
                raw.trim()
            )),
        }
    }
}

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    /// Scheduled; people can be booked.
    Planned,
    /// Open for booking, with places left.
    Open,
    /// Every place is taken; new bookings join the waitlist.
    Full,
    Delivered,
    Cancelled,
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 5] = [
        SessionStatus::Planned,
        SessionStatus::Open,
        SessionStatus::Full,
        SessionStatus::Delivered,
        SessionStatus::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Planned => "planned",
            SessionStatus::Open => "open",
            SessionStatus::Full => "full",
            SessionStatus::Delivered => "delivered",
            SessionStatus::Cancelled => "cancelled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SessionStatus::Planned => "Planned",
            SessionStatus::Open => "Open",
            SessionStatus::Full => "Full",
            SessionStatus::Delivered => "Delivered",
            SessionStatus::Cancelled => "Cancelled",
        }
    }
    pub fn parse(raw: &str) -> Option<SessionStatus> {
        SessionStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim().to_ascii_lowercase())
    }
    /// Whether people can still be booked or withdrawn.
    pub fn takes_bookings(self) -> bool {
        matches!(
            self,
            SessionStatus::Planned | SessionStatus::Open | SessionStatus::Full
        )
    }
    /// The status once `enrolled` people hold places out of `capacity`: full when every place is
    /// taken, open again when a place frees; delivered and cancelled never change.
    pub fn with_places(self, capacity: i64, enrolled: i64) -> SessionStatus {
        match self {
            SessionStatus::Delivered | SessionStatus::Cancelled => self,
            _ if enrolled >= capacity => SessionStatus::Full,
            SessionStatus::Full => SessionStatus::Open,
            other => other,
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Europe/London, from the bundled time-zone database.
pub fn london() -> TimeZoneRef<'static> {
    tzdb_data::time_zone::europe::LONDON
}

/// London's offset from UTC at an instant and its abbreviation ("BST" or "GMT"); UTC if the
/// database has no answer (an instant far outside its range).
fn london_offset(ts: Instant) -> (UtcOffset, &'static str) {
    match london().find_local_time_type(ts.unix_timestamp()) {
        Ok(t) => (
            UtcOffset::from_whole_seconds(t.ut_offset()).unwrap_or(UtcOffset::UTC),
            t.time_zone_designation(),
        ),
        Err(_) => (UtcOffset::UTC, "UTC"),
    }
}

/// The same instant in London's offset at that moment: its date, clock time and offset are
/// London's (BST in summer, GMT in winter).
pub fn to_london(ts: Instant) -> OffsetDateTime {
    ts.to_offset(london_offset(ts).0)
}

/// "BST" or "GMT": London's zone abbreviation at an instant.
pub fn london_abbreviation(ts: Instant) -> &'static str {
    london_offset(ts).1
}

/// The date, wall-clock time and (if written) offset of a timestamp as people and programs write
/// it: `2025-03-30`, `2025-03-30T09:00`, `2025-03-30 09:00:00.5`, each optionally followed by
/// `Z`, `+01:00`, `+0100` or `+01` (and an ignored `[Europe/London]` annotation).
fn read_stamp(raw: &str) -> Option<(PrimitiveDateTime, Option<UtcOffset>)> {
    let raw = raw.trim();
    let raw = match raw.find('[') {
        Some(i) if raw.ends_with(']') => &raw[..i],
        _ => raw,
    };
    let b = raw.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let s = raw.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = Date::from_calendar_date(
        num(0, 4)? as i32,
        Month::try_from(num(5, 2)? as u8).ok()?,
        num(8, 2)? as u8,
    )
    .ok()?;
    if b.len() == 10 {
        return Some((date.midnight(), None));
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let (hour, minute) = (num(11, 2)? as u8, num(14, 2)? as u8);
    let mut i = 16;
    let (mut second, mut nanos) = (0u8, 0u32);
    if b.get(i) == Some(&b':') {
        second = num(i + 1, 2)? as u8;
        i += 3;
        if matches!(b.get(i), Some(b'.') | Some(b',')) {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 9 {
                return None;
            }
            nanos = num(i + 1, digits)? * 10u32.pow(9 - digits as u32);
            i += 1 + digits;
        }
    }
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    let offset = match &raw[i..] {
        "" => None,
        "Z" | "z" => Some(UtcOffset::UTC),
        rest => {
            let sign: i8 = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let rest = &rest[1..];
            if !rest.is_ascii() {
                return None;
            }
            let (h, m) = match rest.len() {
                2 => (rest, "00"),
                4 => (&rest[..2], &rest[2..]),
                5 if rest.as_bytes()[2] == b':' => (&rest[..2], &rest[3..]),
                _ => return None,
            };
            let two = |s: &str| -> Option<i8> {
                (s.len() == 2 && s.bytes().all(|c| c.is_ascii_digit())).then(|| s.parse().ok())?
            };
            Some(UtcOffset::from_hms(sign * two(h)?, sign * two(m)?, 0).ok()?)
        }
    };
    Some((PrimitiveDateTime::new(date, time), offset))
}

/// Reads a time: RFC 3339 with an offset (`2025-03-30T09:00:00+01:00`, `…Z`), or a wall-clock
/// time without one (`2025-03-30T09:00`, `2025-03-30 09:00:00`), which means Europe/London.
pub fn parse_time(raw: &str) -> Result<Instant, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(
            "give a date and time such as 2025-03-31T09:30 (UK time) or 2025-03-31T09:30:00+01:00"
                .into(),
        );
    }
    match read_stamp(raw) {
        Some((dt, Some(offset))) => Ok(dt.assume_offset(offset).to_offset(UtcOffset::UTC)),
        Some((dt, None)) => london_wall(dt),
        None => Err(format!(
            "\"{raw}\" is not a date and time; write it as 2025-03-31T09:30 (UK time) or 2025-03-31T09:30:00+01:00"
        )),
    }
}

/// A date (`YYYY-MM-DD`) and a time (`HH:MM`) as typed in a form, in Europe/London.
pub fn parse_london(date: &str, time: &str) -> Result<Instant, String> {
    let date = date.trim();
    let time = time.trim();
    let d = match read_stamp(date) {
        Some((dt, None)) if date.len() == 10 => dt.date(),
        _ => return Err(format!("\"{date}\" is not a date; write it as 2025-03-31")),
    };
    let t = read_stamp(&format!("2000-01-01T{time}"))
        .filter(|(_, offset)| offset.is_none())
        .map(|(dt, _)| dt.time())
        .ok_or_else(|| format!("\"{time}\" is not a time; write it as 09:30 (24-hour clock)"))?;
    london_wall(PrimitiveDateTime::new(d, t))
}

/// A Europe/London wall time as an instant: the gap is refused, the fold takes the earlier one.
pub fn london_wall(dt: PrimitiveDateTime) -> Result<Instant, String> {
    let out_of_range = || format!("{} {} is out of range", dt.date(), hh_mm(dt.time()));
    let mut found = [None; 2];
    let list = TzDateTime::find_n(
        &mut found,
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        dt.nanosecond(),
        london(),
    )
    .map_err(|_| out_of_range())?;
    // Found in ascending order of instants: the first is the earlier one of a fold.
    match list.data().first().copied().flatten() {
        Some(FoundDateTimeKind::Normal(found)) => {
            let offset = UtcOffset::from_whole_seconds(found.local_time_type().ut_offset())
                .map_err(|_| out_of_range())?;
            Ok(dt.assume_offset(offset).to_offset(UtcOffset::UTC))
        }
        Some(FoundDateTimeKind::Skipped { .. }) => Err(format!(
            "{} {} does not exist in London: the clocks go forward an hour that night; choose a time after {}",
            dt.date(),
            hh_mm(dt.time()),
            "02:00"
        )),
        None => Err(out_of_range()),
    }
}

fn hh_mm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Storage form: RFC 3339 UTC with microseconds, fixed width (text order is time order).
pub fn store_text(ts: Instant) -> String {
    let z = ts.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        z.year(),
        z.month() as u8,
        z.day(),
        z.hour(),
        z.minute(),
        z.second(),
        z.microsecond()
    )
}

/// Reads a stored instant (an RFC 3339 timestamp with its offset), in UTC.
pub fn from_store(text: &str) -> Option<Instant> {
    match read_stamp(text)? {
        (dt, Some(offset)) => Some(dt.assume_offset(offset).to_offset(UtcOffset::UTC)),
        (_, None) => None,
    }
}

/// RFC 3339 in London's offset, for the API: `2025-03-30T09:00:00+01:00`.
pub fn rfc3339_london(ts: Instant) -> String {
    let z = to_london(ts);
    let (h, m, _) = z.offset().as_hms();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
        z.year(),
        z.month() as u8,
        z.day(),
        z.hour(),
        z.minute(),
        z.second(),
        if z.offset().is_negative() { '-' } else { '+' },
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

/// The one name pages give the zone of the times they show ("When (UK time)"): Europe/London,
/// which is GMT in winter and BST in summer, named the same all year.
pub const ZONE_NAME: &str = "UK time";

/// A clock time in words, as GOV.UK writes it: "9am", "9:30am", "midday", "12:30pm", "midnight".
pub fn clock_in_words(t: Time) -> String {
    match (t.hour(), t.minute()) {
        (0, 0) => "midnight".into(),
        (12, 0) => "midday".into(),
        (h, m) => {
            let h12 = (h + 11) % 12 + 1;
            let half = if h < 12 { "am" } else { "pm" };
            if m == 0 {
                format!("{h12}{half}")
            } else {
                format!("{h12}:{m:02}{half}")
            }
        }
    }
}

/// An instant in UK time, in words: "Sunday 30 March 2025 at 9am".
pub fn display_london(ts: Instant) -> String {
    let z = to_london(ts);
    format!(
        "{} {} {} {} at {}",
        z.weekday(),
        z.day(),
        z.month(),
        z.year(),
        clock_in_words(z.time())
    )
}

/// An instant in UK time to the second, for a record of events: "1 March 2024 at 2:05:33pm".
pub fn display_london_exact(ts: Instant) -> String {
    let z = to_london(ts);
    let (h, m, sec) = (z.hour(), z.minute(), z.second());
    format!(
        "{} {} {} at {}:{m:02}:{sec:02}{}",
        z.day(),
        z.month(),
        z.year(),
        (h + 11) % 12 + 1,
        if h < 12 { "am" } else { "pm" }
    )
}

/// A session's start and end in UK time, in words: "Tuesday 15 July 2025, 9am to 12:30pm", the
/// end's date added when it is another day.
pub fn display_london_span(starts: Instant, ends: Instant) -> String {
    let (s, e) = (to_london(starts), to_london(ends));
    let day = |z: OffsetDateTime| format!("{} {} {} {}", z.weekday(), z.day(), z.month(), z.year());
    if s.date() == e.date() {
        format!(
            "{}, {} to {}",
            day(s),
            clock_in_words(s.time()),
            clock_in_words(e.time())
        )
    } else {
        format!(
            "{}, {} to {}, {}",
            day(s),
            clock_in_words(s.time()),
            day(e),
            clock_in_words(e.time())
        )
    }
}

/// The UK clock time of an instant in words ("9am").
pub fn london_clock(utc: OffsetDateTime) -> String {
    display_london_time(utc)
}

/// A stored instant as [`display_london`] writes it; the text itself if it is not an instant.
pub fn display_stored(text: &str) -> String {
    from_store(text).map_or_else(|| text.to_string(), display_london)
}

/// The UK clock time of an instant in words: "9am", "12:30pm".
pub fn display_london_time(ts: Instant) -> String {
    clock_in_words(to_london(ts).time())
}

/// The UK clock time of an instant on a 24-hour clock ("09:00"), for a running log.
pub fn london_hh_mm(ts: Instant) -> String {
    hh_mm(to_london(ts).time())
}

/// The London date (`YYYY-MM-DD`) and time (`HH:MM`), for form fields.
pub fn london_fields(ts: Instant) -> (String, String) {
    let z = to_london(ts);
    (
        format!("{:04}-{:02}-{:02}", z.year(), z.month() as u8, z.day()),
        hh_mm(z.time()),
    )
}

/// The Europe/London calendar date (`YYYY-MM-DD`) of a stored UTC instant; `None` when the text
/// is not an instant. A session at 00:30 on 1 April in summer time is stored as 23:30 UTC on
/// 31 March, and its London date is 1 April.
pub fn london_date_of_stored(text: &str) -> Option<String> {
    from_store(text).map(|ts| london_fields(ts).0)
}

/// The first instant of a London calendar year, in storage form (for `>=` / `<` windows).
pub fn london_year_start_text(year: i32) -> String {
    Date::from_calendar_date(year.clamp(-9998, 9998), Month::January, 1)
        .map_err(|e| e.to_string())
        .and_then(|d| london_wall(d.midnight()))
        .map(store_text)
        .unwrap_or_else(|_| format!("{year:04}-01-01T00:00:00.000000Z"))
}

/// The London calendar year a session falls in.
pub fn london_year(ts: Instant) -> i32 {
    to_london(ts).year()
}

/// Whole minutes between two instants (0 if the end is not after the start).
pub fn duration_minutes(starts: Instant, ends: Instant) -> i64 {
    let secs = ends.unix_timestamp() - starts.unix_timestamp();
    (secs / 60).max(0)
}

/// What a session is, as checked before it is saved.
#[derive(Debug, Clone)]
pub struct SessionCheck<'a> {
    pub starts: Instant,
    pub ends: Instant,
    pub mode: SessionMode,
    pub venue: &'a str,
    pub join_url: &'a str,
    pub capacity: i64,
    /// People holding a place now (0 for a new session).
    pub enrolled: i64,
}

/// A refusal naming the field it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every reason a session cannot be saved, in form order (empty when it can).
pub fn validate(s: &SessionCheck<'_>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut e = |field, message: String| errs.push(FieldError { field, message });
    if s.ends <= s.starts {
        e(
            "ends_at",
            format!(
                "The end ({}) must be after the start ({})",
                display_london(s.ends),
                display_london(s.starts)
            ),
        );
    }
    if s.capacity < 1 {
        e("capacity", "Capacity must be at least 1 place".into());
    } else if s.capacity < s.enrolled {
        e(
            "capacity",
            format!(
                "Capacity cannot be {} because {} people are already enrolled; withdraw people first or keep at least {} places",
                s.capacity, s.enrolled, s.enrolled
            ),
        );
    }
    match s.mode {
        SessionMode::Teams => {
            let url = s.join_url.trim();
            if url.is_empty() {
                e(
                    "join_url",
                    "A Teams session needs its join link (https://teams.microsoft.com/…)".into(),
                );
            } else if !url.starts_with("https://")
                || url.len() < 12
                || url.contains(char::is_whitespace)
            {
                e(
                    "join_url",
                    "The join link must be a web address starting with https://".into(),
                );
            }
        }
        SessionMode::InPerson => {
            if s.venue.trim().is_empty() {
                e("location", "An in-person session needs a venue".into());
            }
        }
    }
    errs
}

/// Where a new booking goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Enrolled,
    Waitlisted,
}

/// A booking takes a place while there is one, else joins the waitlist.
pub fn place(capacity: i64, enrolled: i64) -> Placement {
    if enrolled < capacity {
        Placement::Enrolled
    } else {
        Placement::Waitlisted
    }
}

/// One person on a waitlist: their position (lower first), then booking id (earlier first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub position: i64,
    pub enrolment_id: i64,
}

/// Who moves from the waitlist to a place, in order: the first `capacity - enrolled` by
/// position, ties broken by who booked first.
pub fn promotions(capacity: i64, enrolled: i64, waitlist: &[Waiting]) -> Vec<i64> {
    let free = (capacity - enrolled).max(0) as usize;
    let mut w = waitlist.to_vec();
    w.sort_by_key(|x| (x.position, x.enrolment_id));
    w.into_iter().take(free).map(|x| x.enrolment_id).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stored_instant_has_its_london_date() {
        // 00:30 BST on 1 April 2025 is 23:30 UTC on 31 March.
        assert_eq!(
            london_date_of_stored("2025-03-31T23:30:00.000000Z").as_deref(),
            Some("2025-04-01")
        );
        // In winter London is UTC.
        assert_eq!(
            london_date_of_stored("2025-01-31T23:30:00.000000Z").as_deref(),
            Some("2025-01-31")
        );
        assert_eq!(london_date_of_stored("not a time"), None);
        assert_eq!(london_year_start_text(2025), "2025-01-01T00:00:00.000000Z");
    }

    use super::*;

    fn utc(s: &str) -> Instant {
        from_store(s).unwrap()
    }

    #[test]
    fn offsets_are_kept_and_local_times_mean_london() {
        assert_eq!(
            parse_time("2025-07-15T09:00:00+01:00").unwrap(),
            utc("2025-07-15T08:00:00Z")
        );
        assert_eq!(
            parse_time("2025-07-15T09:00:00Z").unwrap(),
            utc("2025-07-15T09:00:00Z")
        );
        // Summer: London is UTC+1.
        assert_eq!(
            parse_time("2025-07-15T09:00").unwrap(),
            utc("2025-07-15T08:00:00Z")
        );
        // Winter: London is UTC.
        assert_eq!(
            parse_time("2025-01-15 09:00:00").unwrap(),
            utc("2025-01-15T09:00:00Z")
        );
        assert!(parse_time("tomorrow at nine")
            .unwrap_err()
            .contains("not a date and time"));
        assert!(parse_time("").is_err());
    }

    #[test]
    fn spring_forward_gap_is_refused_plainly() {
        let e = parse_time("2025-03-30T01:30").unwrap_err();
        assert!(e.contains("does not exist in London"), "{e}");
        let e = parse_london("2025-03-30", "01:30").unwrap_err();
        assert!(e.contains("clocks go forward"), "{e}");
        // Either side of the gap is fine.
        assert_eq!(
            parse_time("2025-03-30T00:59").unwrap(),
            utc("2025-03-30T00:59:00Z")
        );
        assert_eq!(
            parse_time("2025-03-30T02:00").unwrap(),
            utc("2025-03-30T01:00:00Z")
        );
        // With an explicit offset there is no gap to fall in.
        assert!(parse_time("2025-03-30T01:30:00+00:00").is_ok());
    }

    #[test]
    fn autumn_fold_takes_the_earlier_instant() {
        assert_eq!(
            parse_time("2025-10-26T01:30").unwrap(),
            utc("2025-10-26T00:30:00Z")
        );
        assert_eq!(
            parse_london("2025-10-26", "01:30").unwrap(),
            utc("2025-10-26T00:30:00Z")
        );
        // An explicit offset reaches the later one.
        assert_eq!(
            parse_time("2025-10-26T01:30:00+00:00").unwrap(),
            utc("2025-10-26T01:30:00Z")
        );
    }

    #[test]
    fn the_2026_clock_changes_are_right() {
        // Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST.
        let e = parse_london("2026-03-29", "01:30").unwrap_err();
        assert!(e.contains("clocks go forward"), "{e}");
        assert!(parse_time("2026-03-29T01:00").is_err());
        assert_eq!(
            parse_london("2026-03-29", "00:59").unwrap(),
            utc("2026-03-29T00:59:00Z")
        );
        assert_eq!(
            parse_london("2026-03-29", "02:00").unwrap(),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(london_abbreviation(utc("2026-03-29T00:59:59Z")), "GMT");
        assert_eq!(london_abbreviation(utc("2026-03-29T01:00:00Z")), "BST");
        // Sunday 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:30 happens twice and means
        // the earlier, unless an offset says otherwise.
        assert_eq!(
            parse_london("2026-10-25", "01:30").unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            parse_time("2026-10-25T01:30:00+00:00").unwrap(),
            utc("2026-10-25T01:30:00Z")
        );
        assert_eq!(
            display_london(utc("2026-10-25T00:30:00Z")),
            "Sunday 25 October 2026 at 1:30am"
        );
        assert_eq!(
            display_london(utc("2026-10-25T01:30:00Z")),
            "Sunday 25 October 2026 at 1:30am"
        );
        assert_eq!(london_abbreviation(utc("2026-10-25T00:30:00Z")), "BST");
        assert_eq!(london_abbreviation(utc("2026-10-25T01:30:00Z")), "GMT");
        assert_eq!(
            parse_london("2026-10-25", "02:00").unwrap(),
            utc("2026-10-25T02:00:00Z")
        );
        let (s, e) = (
            parse_london("2026-10-25", "00:00").unwrap(),
            parse_london("2026-10-25", "03:00").unwrap(),
        );
        assert_eq!(duration_minutes(s, e), 240);
        // And years after the database's last listed change follow the rule.
        assert_eq!(
            parse_london("2099-07-01", "09:00").unwrap(),
            utc("2099-07-01T08:00:00Z")
        );
        assert_eq!(
            rfc3339_london(utc("2026-12-06T06:08:00Z")),
            "2026-12-06T06:08:00+00:00"
        );
    }

    #[test]
    fn stamps_are_read_as_before() {
        assert_eq!(
            from_store("2025-07-15T08:00:00.123456Z").map(store_text),
            Some("2025-07-15T08:00:00.123456Z".to_string())
        );
        assert_eq!(
            from_store("2025-07-15 09:00:00+01:00"),
            from_store("2025-07-15T08:00:00Z")
        );
        assert_eq!(
            from_store("2025-07-15T09:00+0100"),
            from_store("2025-07-15T08:00:00Z")
        );
        // Without an offset a stored text is not an instant.
        assert_eq!(from_store("2025-07-15T08:00:00"), None);
        assert_eq!(from_store("2025-02-30T08:00:00Z"), None);
        assert_eq!(from_store("2025-07-15T08:00:00+1é1"), None);
        // A date alone means its London midnight.
        assert_eq!(
            parse_time("2025-07-15").unwrap(),
            utc("2025-07-14T23:00:00Z")
        );
        assert!(parse_london("2025-07-15", "9.30").is_err());
        assert!(parse_london("15/07/2025", "09:30").is_err());
        assert_eq!(
            parse_london("2025-07-15", "09:30:15").unwrap(),
            utc("2025-07-15T08:30:15Z")
        );
        // Years are clamped to what a date can hold.
        assert_eq!(
            london_year_start_text(1_000_000),
            "9998-01-01T00:00:00.000000Z"
        );
        assert_eq!(london_year(utc("2025-12-31T23:30:00Z")), 2025);
        assert_eq!(london_year(utc("2026-06-30T23:30:00Z")), 2026);
    }

    #[test]
    fn a_session_across_the_clock_change_has_its_real_length() {
        // 00:00 to 03:00 London on the spring-forward night lasts two hours, not three.
        let s = parse_london("2025-03-30", "00:00").unwrap();
        let e = parse_london("2025-03-30", "03:00").unwrap();
        assert_eq!(duration_minutes(s, e), 120);
        // And on the autumn night 00:00 to 03:00 lasts four.
        let s = parse_london("2025-10-26", "00:00").unwrap();
        let e = parse_london("2025-10-26", "03:00").unwrap();
        assert_eq!(duration_minutes(s, e), 240);
    }

    #[test]
    fn display_is_uk_time_in_words() {
        let summer = utc("2025-07-15T08:00:00Z");
        assert_eq!(display_london(summer), "Tuesday 15 July 2025 at 9am");
        let winter = utc("2025-01-15T09:30:00Z");
        assert_eq!(
            display_london(winter),
            "Wednesday 15 January 2025 at 9:30am"
        );
        assert_eq!(
            display_london_span(summer, utc("2025-07-15T11:30:00Z")),
            "Tuesday 15 July 2025, 9am to 12:30pm"
        );
        assert_eq!(
            display_london_span(summer, utc("2025-07-16T11:00:00Z")),
            "Tuesday 15 July 2025, 9am to Wednesday 16 July 2025, midday"
        );
        assert_eq!(display_london_time(utc("2025-07-14T23:00:00Z")), "midnight");
        assert_eq!(london_hh_mm(summer), "09:00");
        assert_eq!(
            display_london_exact(utc("2024-03-01T14:05:33.5Z")),
            "1 March 2024 at 2:05:33pm"
        );
        assert_eq!(
            display_london_exact(utc("2024-07-01T11:05:33Z")),
            "1 July 2024 at 12:05:33pm"
        );
        assert_eq!(
            london_fields(summer),
            ("2025-07-15".to_string(), "09:00".to_string())
        );
        assert_eq!(rfc3339_london(summer), "2025-07-15T09:00:00+01:00");
        assert_eq!(store_text(summer), "2025-07-15T08:00:00.000000Z");
        assert_eq!(from_store(&store_text(summer)), Some(summer));
    }

    fn check(
        mode: SessionMode,
        venue: &str,
        url: &str,
        cap: i64,
        enrolled: i64,
    ) -> Vec<&'static str> {
        validate(&SessionCheck {
            starts: utc("2025-07-15T08:00:00Z"),
            ends: utc("2025-07-15T11:00:00Z"),
            mode,
            venue,
            join_url: url,
            capacity: cap,
            enrolled,
        })
        .into_iter()
        .map(|e| e.field)
        .collect()
    }

    #[test]
    fn validation_names_each_field() {
        assert!(check(SessionMode::InPerson, "HQ", "", 20, 0).is_empty());
        assert!(check(
            SessionMode::Teams,
            "",
            "https://teams.microsoft.com/l/x",
            20,
            0
        )
        .is_empty());
        assert_eq!(check(SessionMode::InPerson, " ", "", 20, 0), ["location"]);
        assert_eq!(check(SessionMode::Teams, "HQ", "", 20, 0), ["join_url"]);
        assert_eq!(
            check(
                SessionMode::Teams,
                "",
                "http://teams.microsoft.com/l/x",
                20,
                0
            ),
            ["join_url"]
        );
        assert_eq!(check(SessionMode::InPerson, "HQ", "", 0, 0), ["capacity"]);
        let e = validate(&SessionCheck {
            starts: utc("2025-07-15T08:00:00Z"),
            ends: utc("2025-07-15T08:00:00Z"),
            mode: SessionMode::InPerson,
            venue: "HQ",
            join_url: "",
            capacity: 5,
            enrolled: 6,
        });
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].field, "ends_at");
        assert!(
            e[1].message.contains("6 people are already enrolled"),
            "{}",
            e[1]
        );
    }

    #[test]
    fn status_follows_places() {
        use SessionStatus::*;
        assert_eq!(Open.with_places(2, 2), Full);
        assert_eq!(Planned.with_places(2, 3), Full);
        assert_eq!(Full.with_places(3, 2), Open);
        assert_eq!(Planned.with_places(3, 2), Planned);
        assert_eq!(Delivered.with_places(1, 5), Delivered);
        assert_eq!(Cancelled.with_places(5, 0), Cancelled);
        assert_eq!(SessionStatus::parse("FULL"), Some(Full));
        assert_eq!(SessionMode::parse("Teams"), Ok(SessionMode::Teams));
        assert!(SessionMode::parse("zoom").is_err());
    }

    #[test]
    fn waitlist_promotes_in_order() {
        let w = [
            Waiting {
                position: 3,
                enrolment_id: 10,
            },
            Waiting {
                position: 1,
                enrolment_id: 12,
            },
            Waiting {
                position: 2,
                enrolment_id: 11,
            },
            Waiting {
                position: 1,
                enrolment_id: 9,
            },
        ];
        assert_eq!(promotions(5, 4, &w), vec![9]);
        assert_eq!(promotions(5, 2, &w), vec![9, 12, 11]);
        assert_eq!(promotions(10, 0, &w), vec![9, 12, 11, 10]);
        assert!(promotions(5, 5, &w).is_empty());
        assert!(promotions(2, 5, &w).is_empty());
        assert_eq!(place(2, 1), Placement::Enrolled);
        assert_eq!(place(2, 2), Placement::Waitlisted);
    }
}
