//! Microsoft Teams attendance reports: bytes in, participants with their summed in-meeting time
//! out.
//!
//! Nothing is assumed about the file: the encoding (UTF-16 LE/BE with a byte-order mark, UTF-8
//! with or without one, or a Windows-1252 re-save), the separator (tab, as Teams writes it even
//! though the file is named `.csv`, or comma after a re-save) and the layout are all detected:
//!
//! - [`Layout::Legacy`] (before mid-2022): an optional "Meeting Summary" block of key/value rows,
//!   then one row per join or leave: full name, user action (Joined / Left), timestamp; or (a
//!   2021-22 variant) one row per join with join time, leave time, duration and e-mail.
//! - [`Layout::Sectioned`] (since mid-2022): sections numbered "1." (summary), "2."
//!   (participants, one row per person) and "3." (in-meeting activities, one row per join).
//!
//! Section titles and header words follow the downloader's language, so sections are found by
//! their number prefix and columns by header words in several languages with a fall-back on the
//! shape of the values (a duration, an address with `@`, a date). Dates follow the downloader's
//! locale (`15/07/25, 09:00:05` or `7/15/25, 9:00:05 AM`); the day/month order is decided once
//! for the whole file.

use serde::Serialize;
use std::collections::HashMap;
use time::{Date, Month, PrimitiveDateTime, Time};

/// Which of the two Teams layouts a report has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Before mid-2022: one row per join/leave event.
    Legacy,
    /// Since mid-2022: "1. Summary", "2. Participants", "3. In-Meeting Activities".
    Sectioned,
}

impl Layout {
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Legacy => "legacy",
            Layout::Sectioned => "sectioned",
        }
    }
}

/// The text encoding the file arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    Utf16Le,
    Utf16Be,
    Utf8,
    Windows1252,
}

/// One person (or guest) in the report, their joins summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    /// The display name with "(External)" / "(Unverified)" removed.
    pub name: String,
    pub email: Option<String>,
    /// From another organisation ("(External)").
    pub external: bool,
    /// An anonymous guest ("(Unverified)" or "(Guest)").
    pub unverified: bool,
    /// Total in-meeting time, all joins summed.
    pub seconds: i64,
    pub joins: u32,
}

impl Participant {
    /// Whole minutes of in-meeting time.
    pub fn minutes(&self) -> i64 {
        self.seconds / 60
    }
}

/// A parsed report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub layout: Layout,
    pub encoding: Encoding,
    pub separator: char,
    pub title: Option<String>,
    /// Wall-clock times as written in the file (no time zone).
    pub start: Option<PrimitiveDateTime>,
    pub end: Option<PrimitiveDateTime>,
    pub participants: Vec<Participant>,
}

/// Why a file could not be read, naming the line when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("This file is not a Microsoft Teams attendance report: {0}")]
    NotAReport(String),
    #[error("Line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("The file is empty")]
    Empty,
    #[error("This attendance report lists nobody: its \"2. Participants\" and \"3. In-Meeting Activities\" sections are empty, so there is no attendance to record. Download the report again from the meeting's Attendance tab in Teams after the meeting has ended, and upload that file")]
    NobodyListed,
}

const NOT_A_REPORT_HINT: &str = "no \"2. Participants\" or \"3. In-Meeting Activities\" section and no list of joins (name, action, time) was found. Download the attendance report from the meeting's Attendance tab in Teams and upload it unchanged";

// ---------------------------------------------------------------- decoding

/// Decodes the bytes, detecting the encoding.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        let (s, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(rest);
        return (s.into_owned(), Encoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let (s, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(rest);
        return (s.into_owned(), Encoding::Utf16Be);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let (s, _) = encoding_rs::UTF_8.decode_without_bom_handling(rest);
        return (s.into_owned(), Encoding::Utf8);
    }
    // UTF-16 without a byte-order mark: ASCII text leaves every other byte zero.
    let sample = &bytes[..bytes.len().min(400)];
    if sample.len() >= 4 {
        let even_zero = sample.iter().step_by(2).filter(|b| **b == 0).count();
        let odd_zero = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|b| **b == 0)
            .count();
        let half = sample.len() / 2;
        if odd_zero * 10 > half * 6 && even_zero * 10 < half {
            let (s, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(bytes);
            return (s.into_owned(), Encoding::Utf16Le);
        }
        if even_zero * 10 > half * 6 && odd_zero * 10 < half {
            let (s, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(bytes);
            return (s.into_owned(), Encoding::Utf16Be);
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), Encoding::Utf8),
        Err(_) => {
            let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (s.into_owned(), Encoding::Windows1252)
        }
    }
}

/// A row of cells with the 1-based line it starts on.
#[derive(Debug, Clone)]
struct Row {
    line: usize,
    cells: Vec<String>,
}

impl Row {
    fn cell(&self, i: usize) -> &str {
        self.cells.get(i).map(String::as_str).unwrap_or("")
    }
    fn filled(&self) -> usize {
        self.cells.iter().filter(|c| !c.is_empty()).count()
    }
}

fn rows_of(text: &str, sep: u8) -> Result<Vec<Row>, ReportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let line = rdr.position().line() as usize;
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let cells: Vec<String> = rec
                    .iter()
                    .map(|c| c.trim().trim_matches('\u{feff}').trim().to_string())
                    .collect();
                let line = rec.position().map(|p| p.line() as usize).unwrap_or(line);
                let row = Row { line, cells };
                if row.filled() > 0 {
                    out.push(row);
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(line);
                return Err(ReportError::Line {
                    line,
                    reason: "the row could not be read (an unclosed quotation mark?)".into(),
                });
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- dates and durations

/// Day/month order of the file's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// The parts of a date-time before the day/month order is known.
#[derive(Debug, Clone, Copy)]
struct RawDateTime {
    /// Three numbers as written; `iso` when the year comes first.
    a: u32,
    b: u32,
    c: u32,
    iso: bool,
    hour: u8,
    minute: u8,
    second: u8,
    /// Whether AM/PM was written (then the file is a US-style locale).
    meridiem: bool,
}

fn raw_datetime(s: &str) -> Option<RawDateTime> {
    let s = s.trim();
    let (date_part, time_part) = match s.find([',', ' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim_start_matches([',', ' ']).trim()),
        None => return None,
    };
    let nums: Vec<&str> = date_part.split(['/', '.', '-']).collect();
    if nums.len() != 3
        || nums
            .iter()
            .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let a: u32 = nums[0].parse().ok()?;
    let b: u32 = nums[1].parse().ok()?;
    let c: u32 = nums[2].parse().ok()?;
    let iso = nums[0].len() == 4;
    let lower = time_part.to_ascii_lowercase();
    let (clock, pm, meridiem) =
        if let Some(t) = lower.strip_suffix("pm").or(lower.strip_suffix("p.m.")) {
            (t.trim().to_string(), Some(true), true)
        } else if let Some(t) = lower.strip_suffix("am").or(lower.strip_suffix("a.m.")) {
            (t.trim().to_string(), Some(false), true)
        } else {
            (lower.trim().to_string(), None, false)
        };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let mut hour: u8 = parts[0].trim().parse().ok()?;
    let minute: u8 = parts[1].trim().parse().ok()?;
    let second: u8 = match parts.get(2) {
        // Some locales write fractions of a second.
        Some(p) => p.trim().split(['.', ',']).next()?.parse().ok()?,
        None => 0,
    };
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(RawDateTime {
        a,
        b,
        c,
        iso,
        hour,
        minute,
        second,
        meridiem,
    })
}

fn resolve(raw: RawDateTime, order: DateOrder) -> Option<PrimitiveDateTime> {
    let (year, month, day) = if raw.iso {
        (raw.a, raw.b, raw.c)
    } else {
        match order {
            DateOrder::DayFirst => (raw.c, raw.b, raw.a),
            DateOrder::MonthFirst => (raw.c, raw.a, raw.b),
        }
    };
    let year = if year < 100 { 2000 + year } else { year };
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let time = Time::from_hms(raw.hour, raw.minute, raw.second).ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

/// Decides day/month order from every date-looking cell: AM/PM means US order, a first number
/// above 12 means day first, a second number above 12 means month first, otherwise day first
/// (en-GB).
fn date_order(rows: &[Row]) -> DateOrder {
    let mut day_first = false;
    let mut month_first = false;
    for r in rows {
        for c in &r.cells {
            if let Some(raw) = raw_datetime(c) {
                if raw.iso {
                    continue;
                }
                if raw.meridiem || raw.b > 12 {
                    month_first = true;
                }
                if raw.a > 12 {
                    day_first = true;
                }
            }
        }
    }
    if month_first && !day_first {
        DateOrder::MonthFirst
    } else {
        DateOrder::DayFirst
    }
}

fn is_datetime(s: &str) -> bool {
    raw_datetime(s).is_some()
}

/// The longest time a report may give one person (Teams ends a meeting after 30 hours): a
/// duration above it is not read as one, and neither is a number that would overflow.
pub const MAX_DURATION_SECONDS: i64 = 7 * 24 * 3600;

/// Reads a Teams duration: `1h 2m 3s`, `1h 30m`, `45m 10s`, `0s` (also `1 hr 2 min`, `01:02:03`),
/// in seconds; `None` for anything else, or above [`MAX_DURATION_SECONDS`].
pub fn parse_duration(s: &str) -> Option<i64> {
    read_duration(s).filter(|t| (0..=MAX_DURATION_SECONDS).contains(t))
}

fn read_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return None;
        }
        let mut total = 0i64;
        for p in &parts {
            total = total
                .checked_mul(60)?
                .checked_add(p.trim().parse::<i64>().ok()?)?;
        }
        if parts.len() == 2 {
            total = total.checked_mul(60)?; // hh:mm
        }
        return Some(total);
    }
    let mut total = 0i64;
    let mut seen = false;
    let mut chars = s.chars().peekable();
    while chars.peek().is_some() {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut num = String::new();
        while let Some(c) = chars.peek().copied().filter(char::is_ascii_digit) {
            num.push(c);
            chars.next();
        }
        if num.is_empty() {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut unit = String::new();
        while let Some(c) = chars.peek().copied().filter(|c| c.is_alphabetic()) {
            unit.push(c);
            chars.next();
        }
        let n: i64 = num.parse().ok()?;
        let mult = match unit.to_lowercase().as_str() {
            "h" | "hr" | "hrs" | "hour" | "hours" | "std" | "t" => 3600,
            "m" | "min" | "mins" | "minute" | "minutes" | "mn" => 60,
            "s" | "sec" | "secs" | "second" | "seconds" | "sek" | "seg" => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
        seen = true;
    }
    seen.then_some(total)
}

// ---------------------------------------------------------------- names

const EXTERNAL: &[&str] = &[
    "external", "externe", "extern", "externo", "esterno", "externa",
];
const UNVERIFIED: &[&str] = &[
    "unverified",
    "guest",
    "non vérifié",
    "non verifié",
    "nicht verifiziert",
    "no verificado",
    "não verificado",
    "non verificato",
    "invité",
    "gast",
    "invitado",
];

/// Strips the "(External)" / "(Unverified)" suffixes: (name, external, unverified).
pub fn split_name(raw: &str) -> (String, bool, bool) {
    let mut name = raw.trim().to_string();
    let mut external = false;
    let mut unverified = false;
    while let Some(open) = name.rfind('(') {
        if !name.ends_with(')') {
            break;
        }
        let inner = name[open + 1..name.len() - 1].trim().to_lowercase();
        if EXTERNAL.contains(&inner.as_str()) {
            external = true;
        } else if UNVERIFIED.contains(&inner.as_str()) {
            unverified = true;
        } else {
            break;
        }
        name = name[..open].trim().to_string();
    }
    (name, external, unverified)
}

fn email_of(s: &str) -> Option<String> {
    let s = s.trim();
    (s.contains('@') && !s.contains(' ')).then(|| s.to_string())
}

// ---------------------------------------------------------------- parsing

/// Parses a Teams attendance report from the bytes of the downloaded file.
pub fn parse(bytes: &[u8]) -> Result<Report, ReportError> {
    let (text, encoding) = decode(bytes);
    if text.trim().is_empty() {
        return Err(ReportError::Empty);
    }
    if text.contains('\u{0}') {
        return Err(ReportError::NotAReport(
            "it holds binary data (is it a spreadsheet or a PDF rather than the downloaded .csv file?)".into(),
        ));
    }
    if let Err(problem) = crate::imports::check_line_lengths(&text) {
        return Err(ReportError::NotAReport(problem.to_string()));
    }
    let separator = if text.contains('\t') { '\t' } else { ',' };
    let rows = rows_of(&text, separator as u8)?;
    let order = date_order(&rows);
    let sections = sections(&rows);
    let mut report = if sections.iter().any(|(n, _, _)| *n == 2 || *n == 3) {
        sectioned(&rows, &sections, order)?
    } else {
        legacy(&rows, order)?
    };
    report.encoding = encoding;
    report.separator = separator;
    Ok(report)
}

/// The numbered section headings: (number, index of heading row, line).
fn sections(rows: &[Row]) -> Vec<(u32, usize, usize)> {
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if r.filled() != 1 || r.cell(0).is_empty() {
            continue;
        }
        let c = r.cell(0);
        let digits: String = c.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() || digits.len() > 1 {
            continue;
        }
        let rest = &c[digits.len()..];
        if !rest.starts_with('.') {
            continue;
        }
        let after = rest[1..].trim();
        if after.is_empty() || after.chars().next().is_some_and(|ch| ch.is_ascii_digit()) {
            continue;
        }
        if let Ok(n) = digits.parse::<u32>() {
            out.push((n, i, r.line));
        }
    }
    out
}

/// Summary key/value rows: the first plain text value is the title, the first two date values
/// are start and end (language-independent). English keys are used when present.
fn summary(
    rows: &[Row],
    order: DateOrder,
) -> (
    Option<String>,
    Option<PrimitiveDateTime>,
    Option<PrimitiveDateTime>,
) {
    let mut title = None;
    let mut keyed_title = None;
    let mut start = None;
    let mut end = None;
    let mut dates = Vec::new();
    for r in rows {
        if r.cells.len() < 2 {
            continue;
        }
        let key = r.cell(0).to_lowercase();
        let value = r.cell(1);
        if value.is_empty() {
            continue;
        }
        if let Some(raw) = raw_datetime(value) {
            let Some(dt) = resolve(raw, order) else {
                continue;
            };
            if key.contains("start") {
                start = Some(dt);
            } else if key.contains("end") {
                end = Some(dt);
            } else {
                dates.push(dt);
            }
        } else if key.contains("title")
            || key.contains("titre")
            || key.contains("titel")
            || key.contains("título")
        {
            keyed_title = Some(value.to_string());
        } else if title.is_none()
            && parse_duration(value).is_none()
            && value.parse::<f64>().is_err()
            && !key.contains("id")
        {
            title = Some(value.to_string());
        }
    }
    let title = keyed_title.or(title);
    let mut rest = dates.into_iter();
    if start.is_none() {
        start = rest.next();
    }
    if end.is_none() {
        end = rest.next();
    }
    (title, start, end)
}

/// Column roles in a table section.
#[derive(Debug, Default, Clone, Copy)]
struct Columns {
    name: usize,
    email: Option<usize>,
    duration: Option<usize>,
    join: Option<usize>,
    leave: Option<usize>,
}

fn header_has(h: &str, words: &[&str]) -> bool {
    let h = h.to_lowercase();
    words.iter().any(|w| h.contains(w))
}

/// Finds the columns from header words (several languages), then from the shape of the values.
fn columns(header: &Row, data: &[Row]) -> Columns {
    let mut c = Columns::default();
    let width = header.cells.len();
    let shape = |i: usize, f: &dyn Fn(&str) -> bool| {
        let vals: Vec<&str> = data
            .iter()
            .map(|r| r.cell(i))
            .filter(|v| !v.is_empty())
            .collect();
        !vals.is_empty() && vals.iter().all(|v| f(v))
    };
    for (i, h) in header.cells.iter().enumerate() {
        if c.email.is_none() && header_has(h, &["email", "e-mail", "courriel", "correo", "mail"]) {
            c.email = Some(i);
        }
        if c.duration.is_none()
            && header_has(
                h,
                &[
                    "duration",
                    "durée",
                    "dauer",
                    "duración",
                    "duração",
                    "durata",
                    "duur",
                ],
            )
        {
            c.duration = Some(i);
        }
    }
    if c.email.is_none() {
        c.email = (0..width).find(|&i| shape(i, &|v| email_of(v).is_some()));
    }
    if c.duration.is_none() {
        c.duration =
            (1..width).find(|&i| shape(i, &|v| parse_duration(v).is_some() && !is_datetime(v)));
    }
    let dates: Vec<usize> = (1..width).filter(|&i| shape(i, &is_datetime)).collect();
    c.join = dates.first().copied();
    c.leave = dates.get(1).copied();
    c
}

fn table_rows(rows: &[Row], from: usize, to: usize) -> Option<(&Row, &[Row])> {
    let slice = rows.get(from + 1..to)?;
    let (header, data) = slice.split_first()?;
    Some((header, data))
}

#[derive(Default)]
struct Acc {
    name: String,
    email: Option<String>,
    external: bool,
    unverified: bool,
    seconds: i64,
    joins: u32,
    order: usize,
}

fn key_of(email: &Option<String>, name: &str) -> String {
    match email {
        Some(e) => format!("e:{}", e.to_lowercase()),
        None => format!("n:{}", name.to_lowercase()),
    }
}

fn sectioned(
    rows: &[Row],
    secs: &[(u32, usize, usize)],
    order: DateOrder,
) -> Result<Report, ReportError> {
    let bounds = |n: u32| -> Option<(usize, usize)> {
        let pos = secs.iter().position(|(k, _, _)| *k == n)?;
        let start = secs[pos].1;
        let end = secs.get(pos + 1).map(|s| s.1).unwrap_or(rows.len());
        Some((start, end))
    };
    let (title, start, end) = match bounds(1) {
        Some((s, e)) => summary(&rows[s + 1..e], order),
        None => (None, None, None),
    };
    let mut people: Vec<Acc> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();

    let read_name =
        |r: &Row, cols: &Columns| -> Result<(String, bool, bool, Option<String>), ReportError> {
            let (name, external, unverified) = split_name(r.cell(cols.name));
            if name.is_empty() {
                return Err(ReportError::Line {
                    line: r.line,
                    reason: "the participant's name is empty".into(),
                });
            }
            let email = cols.email.and_then(|i| email_of(r.cell(i)));
            Ok((name, external, unverified, email))
        };
    let seconds_of = |r: &Row, cols: &Columns| -> Result<i64, ReportError> {
        if let Some(i) = cols.duration {
            let v = r.cell(i);
            return parse_duration(v).ok_or_else(|| ReportError::Line {
                line: r.line,
                reason: format!("\"{v}\" is not a duration such as 1h 2m 3s"),
            });
        }
        match (cols.join, cols.leave) {
            (Some(j), Some(l)) => {
                let a = raw_datetime(r.cell(j)).and_then(|x| resolve(x, order));
                let b = raw_datetime(r.cell(l)).and_then(|x| resolve(x, order));
                match (a, b) {
                    (Some(a), Some(b)) => Ok((b - a).whole_seconds().max(0)),
                    _ => Err(ReportError::Line {
                        line: r.line,
                        reason: "the join or leave time is not a date and time".into(),
                    }),
                }
            }
            _ => Err(ReportError::Line {
                line: r.line,
                reason: "no duration column was found".into(),
            }),
        }
    };

    // 2. Participants: one row per person, total time.
    let mut from_participants = false;
    if let Some((s, e)) = bounds(2) {
        if let Some((header, data)) = table_rows(rows, s, e) {
            let cols = columns(header, data);
            for r in data {
                let (name, external, unverified, email) = read_name(r, &cols)?;
                let secs = seconds_of(r, &cols)?;
                let k = key_of(&email, &name);
                let i = *index.entry(k).or_insert_with(|| {
                    people.push(Acc {
                        name: name.clone(),
                        email: email.clone(),
                        external,
                        unverified,
                        order: people.len(),
                        ..Default::default()
                    });
                    people.len() - 1
                });
                people[i].seconds += secs;
                from_participants = true;
            }
        }
    }
    // 3. In-Meeting Activities: one row per join.
    if let Some((s, e)) = bounds(3) {
        if let Some((header, data)) = table_rows(rows, s, e) {
            let cols = columns(header, data);
            for r in data {
                let (name, external, unverified, email) = read_name(r, &cols)?;
                let secs = seconds_of(r, &cols)?;
                let k = key_of(&email, &name);
                let i = match index.get(&k) {
                    Some(i) => *i,
                    None => {
                        people.push(Acc {
                            name: name.clone(),
                            email: email.clone(),
                            external,
                            unverified,
                            order: people.len(),
                            ..Default::default()
                        });
                        index.insert(k, people.len() - 1);
                        people.len() - 1
                    }
                };
                people[i].joins += 1;
                if !from_participants {
                    people[i].seconds += secs;
                }
            }
        }
    }
    if people.is_empty() && !secs.iter().any(|(n, _, _)| *n == 2 || *n == 3) {
        return Err(ReportError::NotAReport(NOT_A_REPORT_HINT.into()));
    }
    if people.is_empty() {
        return Err(ReportError::NobodyListed);
    }
    people.sort_by_key(|p| p.order);
    Ok(Report {
        layout: Layout::Sectioned,
        encoding: Encoding::Utf8,
        separator: '\t',
        title,
        start,
        end,
        participants: people
            .into_iter()
            .map(|a| Participant {
                name: a.name,
                email: a.email,
                external: a.external,
                unverified: a.unverified,
                seconds: a.seconds,
                joins: a.joins.max(1),
            })
            .collect(),
    })
}

/// A table with one row per join (name, join time, leave time, duration, e-mail): joins of one
/// person (by e-mail, else by name) are summed.
fn per_row_table(
    header: &Row,
    data: &[Row],
    order: DateOrder,
) -> Result<Vec<Participant>, ReportError> {
    let cols = columns(header, data);
    let mut people: Vec<Acc> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in data {
        let (name, external, unverified) = split_name(r.cell(cols.name));
        if name.is_empty() {
            return Err(ReportError::Line {
                line: r.line,
                reason: "the participant's name is empty".into(),
            });
        }
        let email = cols.email.and_then(|i| email_of(r.cell(i)));
        let secs = match (cols.duration, cols.join, cols.leave) {
            (Some(i), _, _) => parse_duration(r.cell(i)).ok_or_else(|| ReportError::Line {
                line: r.line,
                reason: format!("\"{}\" is not a duration such as 1h 2m 3s", r.cell(i)),
            })?,
            (None, Some(j), Some(l)) => {
                let a = raw_datetime(r.cell(j)).and_then(|x| resolve(x, order));
                let b = raw_datetime(r.cell(l)).and_then(|x| resolve(x, order));
                match (a, b) {
                    (Some(a), Some(b)) => (b - a).whole_seconds().max(0),
                    _ => {
                        return Err(ReportError::Line {
                            line: r.line,
                            reason: "the join or leave time is not a date and time".into(),
                        })
                    }
                }
            }
            _ => {
                return Err(ReportError::Line {
                    line: r.line,
                    reason: "no duration column was found".into(),
                })
            }
        };
        let k = key_of(&email, &name);
        let i = *index.entry(k).or_insert_with(|| {
            people.push(Acc {
                name: name.clone(),
                email: email.clone(),
                external,
                unverified,
                order: people.len(),
                ..Default::default()
            });
            people.len() - 1
        });
        people[i].seconds += secs;
        people[i].joins += 1;
    }
    Ok(people
        .into_iter()
        .map(|a| Participant {
            name: a.name,
            email: a.email,
            external: a.external,
            unverified: a.unverified,
            seconds: a.seconds,
            joins: a.joins.max(1),
        })
        .collect())
}

const LEAVE_WORDS: &[&str] = &[
    "left",
    "quitté",
    "a quitté",
    "verlassen",
    "salió",
    "saiu",
    "uscito",
    "abandonó",
    "verlaten",
    "lämnade",
];

fn legacy(rows: &[Row], order: DateOrder) -> Result<Report, ReportError> {
    // The header is the first row followed by a row whose third cell is a date and time.
    let header = (0..rows.len().saturating_sub(1)).find(|&i| {
        let h = &rows[i];
        let next = &rows[i + 1];
        h.cells.len() >= 3
            && !is_datetime(h.cell(2))
            && is_datetime(next.cell(2))
            && !next.cell(0).is_empty()
    });
    let Some(h) = header else {
        return Err(ReportError::NotAReport(NOT_A_REPORT_HINT.into()));
    };
    let (title, start, end) = summary(&rows[..h], order);
    if is_datetime(rows[h + 1].cell(1)) {
        // The 2021-22 variant: a summary block, then one row per person or join with join and
        // leave times, a duration and an e-mail (no numbered sections).
        let people = per_row_table(&rows[h], &rows[h + 1..], order)?;
        return Ok(Report {
            layout: Layout::Legacy,
            encoding: Encoding::Utf8,
            separator: '\t',
            title,
            start,
            end,
            participants: people,
        });
    }
    struct Ev {
        time: PrimitiveDateTime,
        join: bool,
        seq: usize,
    }
    let mut people: Vec<Acc> = Vec::new();
    let mut events: Vec<Vec<Ev>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut last: Option<PrimitiveDateTime> = None;
    for (seq, r) in rows[h + 1..].iter().enumerate() {
        let (name, external, unverified) = split_name(r.cell(0));
        if name.is_empty() {
            return Err(ReportError::Line {
                line: r.line,
                reason: "the participant's name is empty".into(),
            });
        }
        let action = r.cell(1).to_lowercase();
        if action.is_empty() {
            return Err(ReportError::Line {
                line: r.line,
                reason: "the user action (Joined or Left) is empty".into(),
            });
        }
        let ts = r.cell(2);
        let time = raw_datetime(ts)
            .and_then(|x| resolve(x, order))
            .ok_or_else(|| ReportError::Line {
                line: r.line,
                reason: format!("\"{ts}\" is not a date and time such as 15/07/25, 09:00:05"),
            })?;
        let join = !LEAVE_WORDS
            .iter()
            .any(|w| action == *w || action.starts_with(w));
        let k = key_of(&None, &name);
        let i = *index.entry(k).or_insert_with(|| {
            people.push(Acc {
                name: name.clone(),
                external,
                unverified,
                order: people.len(),
                ..Default::default()
            });
            events.push(Vec::new());
            people.len() - 1
        });
        events[i].push(Ev { time, join, seq });
        last = Some(last.map_or(time, |l| l.max(time)));
    }
    let close = end.or(last);
    for (i, evs) in events.iter_mut().enumerate() {
        evs.sort_by_key(|e| (e.time, e.seq));
        let mut open: Option<PrimitiveDateTime> = None;
        for e in evs.iter() {
            if e.join {
                people[i].joins += 1;
                if open.is_none() {
                    open = Some(e.time);
                }
            } else if let Some(o) = open.take() {
                people[i].seconds += (e.time - o).whole_seconds().max(0);
            }
        }
        if let (Some(o), Some(c)) = (open, close) {
            people[i].seconds += (c - o).whole_seconds().max(0);
        }
    }
    Ok(Report {
        layout: Layout::Legacy,
        encoding: Encoding::Utf8,
        separator: '\t',
        title,
        start,
        end,
        participants: people
            .into_iter()
            .map(|a| Participant {
                name: a.name,
                email: None,
                external: a.external,
                unverified: a.unverified,
                seconds: a.seconds,
                joins: a.joins.max(1),
            })
            .collect(),
    })
}

// ---------------------------------------------------------------- fixtures (also used by tests elsewhere)

/// Encodes text as Teams does: UTF-16 little-endian with a byte-order mark.
pub fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

/// One participant for the report writers: the name as Teams shows it (with "(External)" or
/// "(Unverified)" if so), the e-mail address (none for guests) and each join as (joined, left).
#[derive(Debug, Clone)]
pub struct WriteParticipant {
    pub name: String,
    pub email: Option<String>,
    pub joins: Vec<(PrimitiveDateTime, PrimitiveDateTime)>,
}

fn gb_datetime(t: PrimitiveDateTime) -> String {
    format!(
        "{:02}/{:02}/{:02}, {:02}:{:02}:{:02}",
        t.day(),
        u8::from(t.month()),
        t.year() % 100,
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Writes a duration as Teams does: `1h 2m 3s`, `45m 10s`, `0s`.
pub fn format_duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

/// Writes a report in the current layout as a Teams download (UTF-16 LE with a byte-order mark,
/// tab-separated, en-GB dates), e.g. for demo data behind online sessions.
pub fn write_sectioned(
    title: &str,
    start: PrimitiveDateTime,
    end: PrimitiveDateTime,
    people: &[WriteParticipant],
) -> Vec<u8> {
    let mut s = String::new();
    let total: i64 = people
        .iter()
        .map(|p| {
            p.joins
                .iter()
                .map(|(a, b)| (*b - *a).whole_seconds())
                .sum::<i64>()
        })
        .sum();
    let avg = if people.is_empty() {
        0
    } else {
        total / people.len() as i64
    };
    s.push_str("1. Summary\n");
    s.push_str(&format!("Meeting title\t{title}\n"));
    s.push_str(&format!("Attended participants\t{}\n", people.len()));
    s.push_str(&format!("Start time\t{}\n", gb_datetime(start)));
    s.push_str(&format!("End time\t{}\n", gb_datetime(end)));
    s.push_str(&format!(
        "Meeting duration\t{}\n",
        format_duration((end - start).whole_seconds())
    ));
    s.push_str(&format!(
        "Average attendance time\t{}\n\n",
        format_duration(avg)
    ));
    s.push_str("2. Participants\nName\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n");
    for p in people {
        let first = p.joins.iter().map(|j| j.0).min().unwrap_or(start);
        let last = p.joins.iter().map(|j| j.1).max().unwrap_or(start);
        let secs: i64 = p.joins.iter().map(|(a, b)| (*b - *a).whole_seconds()).sum();
        let email = p.email.clone().unwrap_or_default();
        s.push_str(&format!(
            "{}\t{}\t{}\t{}\t{email}\t{email}\tAttendee\n",
            p.name,
            gb_datetime(first),
            gb_datetime(last),
            format_duration(secs)
        ));
    }
    s.push_str("\n3. In-Meeting Activities\nName\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n");
    for p in people {
        let email = p.email.clone().unwrap_or_default();
        for (a, b) in &p.joins {
            s.push_str(&format!(
                "{}\t{}\t{}\t{}\t{email}\tAttendee\n",
                p.name,
                gb_datetime(*a),
                gb_datetime(*b),
                format_duration((*b - *a).whole_seconds())
            ));
        }
    }
    utf16le_with_bom(&s)
}

/// Writes a report in the layout before mid-2022 (one row per join and leave), as Teams did.
pub fn write_legacy(
    title: &str,
    start: PrimitiveDateTime,
    end: PrimitiveDateTime,
    people: &[WriteParticipant],
) -> Vec<u8> {
    let mut s = String::from("Meeting Summary\n");
    s.push_str(&format!("Total Number of Participants\t{}\n", people.len()));
    s.push_str(&format!("Meeting Title\t{title}\n"));
    s.push_str(&format!("Meeting Start Time\t{}\n", gb_datetime(start)));
    s.push_str(&format!("Meeting End Time\t{}\n\n", gb_datetime(end)));
    s.push_str("Full Name\tUser Action\tTimestamp\n");
    let mut events: Vec<(PrimitiveDateTime, usize, &str)> = Vec::new();
    for (i, p) in people.iter().enumerate() {
        for (a, b) in &p.joins {
            events.push((*a, i, "Joined"));
            events.push((*b, i, "Left"));
        }
    }
    events.sort_by_key(|e| (e.0, e.1, e.2 == "Left"));
    for (t, i, action) in events {
        s.push_str(&format!(
            "{}\t{action}\t{}\n",
            people[i].name,
            gb_datetime(t)
        ));
    }
    utf16le_with_bom(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Current layout, en-GB, tab-separated, as Teams writes it.
    pub(crate) const SECTIONED_GB: &str = "1. Summary\n\
Meeting title\tSafeguarding input: frontline\n\
Attended participants\t5\n\
Start time\t15/07/25, 09:00:05\n\
End time\t15/07/25, 12:01:10\n\
Meeting duration\t3h 1m 5s\n\
Average attendance time\t2h 10m\n\
\n\
2. Participants\n\
Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:05\t15/07/25, 12:00:00\t2h 59m 55s\tzoe.nibhriain@force.police.uk\tzoe.nibhriain@force.police.uk\tOrganizer\n\
Tomás O'Brien\t15/07/25, 09:02:00\t15/07/25, 11:55:00\t2h 30m\tTomas.OBrien@force.police.uk\tTomas.OBrien@force.police.uk\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\t\tAttendee\n\
Priya Shah (External)\t15/07/25, 09:05:00\t15/07/25, 12:00:00\t2h 55m\tpriya.shah@council.gov.uk\tpriya.shah@council.gov.uk\tAttendee\n\
Ann Lee\t15/07/25, 10:00:00\t15/07/25, 10:00:00\t0s\tann.lee@force.police.uk\tann.lee@force.police.uk\tAttendee\n\
\n\
3. In-Meeting Activities\n\
Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\n\
Zoë Ní Bhriain\t15/07/25, 09:00:05\t15/07/25, 12:00:00\t2h 59m 55s\tzoe.nibhriain@force.police.uk\tOrganizer\n\
Tomás O'Brien\t15/07/25, 09:02:00\t15/07/25, 10:00:00\t58m\tTomas.OBrien@force.police.uk\tAttendee\n\
Tomás O'Brien\t15/07/25, 10:23:00\t15/07/25, 11:55:00\t1h 32m\tTomas.OBrien@force.police.uk\tAttendee\n\
Sam Guest (Unverified)\t15/07/25, 09:10:00\t15/07/25, 09:40:00\t30m\t\tAttendee\n\
Priya Shah (External)\t15/07/25, 09:05:00\t15/07/25, 12:00:00\t2h 55m\tpriya.shah@council.gov.uk\tAttendee\n\
Ann Lee\t15/07/25, 10:00:00\t15/07/25, 10:00:00\t0s\tann.lee@force.police.uk\tAttendee\n";

    /// Old layout, en-US, one row per join/leave.
    pub(crate) const LEGACY_US: &str = "Meeting Summary\n\
Total Number of Participants\t3\n\
Meeting Title\tFrontline input\n\
Meeting Start Time\t7/15/21, 9:00:00 AM\n\
Meeting End Time\t7/15/21, 12:00:00 PM\n\
\n\
Full Name\tUser Action\tTimestamp\n\
Zoë Ní Bhriain\tJoined\t7/15/21, 9:00:00 AM\n\
Tomás O'Brien\tJoined\t7/15/21, 9:05:00 AM\n\
Tomás O'Brien\tLeft\t7/15/21, 10:05:00 AM\n\
Tomás O'Brien\tJoined\t7/15/21, 10:30:30 AM\n\
Tomás O'Brien\tLeft\t7/15/21, 11:00:30 AM\n\
Sam Guest (Guest)\tJoined before\t7/15/21, 9:00:00 AM\n\
Sam Guest (Guest)\tLeft\t7/15/21, 9:20:00 AM\n\
Zoë Ní Bhriain\tLeft\t7/15/21, 12:00:00 PM\n";

    fn find<'a>(r: &'a Report, name: &str) -> &'a Participant {
        r.participants
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    #[test]
    fn a_report_whose_sections_are_empty_is_refused_in_words() {
        let empty = "1. Summary\nMeeting title\tSafeguarding input\n\n2. Participants\nName\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\n\n3. In-Meeting Activities\nName\tJoin Time\tLeave Time\tDuration\tEmail\n";
        for bytes in [empty.as_bytes().to_vec(), utf16le_with_bom(empty)] {
            let e = parse(&bytes).unwrap_err();
            assert_eq!(e, ReportError::NobodyListed);
            assert!(e.to_string().contains("lists nobody"), "{e}");
        }
        // Headings alone, with no table under them, are refused the same way.
        let bare = "1. Summary\n2. Participants\n3. In-Meeting Activities\n";
        assert_eq!(
            parse(bare.as_bytes()).unwrap_err(),
            ReportError::NobodyListed
        );
    }

    #[test]
    fn a_file_of_one_enormous_line_is_refused_before_it_is_parsed() {
        let mut bytes = b"Name,Action,Timestamp\n".to_vec();
        bytes.extend(std::iter::repeat_n(
            b'x',
            crate::imports::MAX_LINE_BYTES + 1,
        ));
        let e = parse(&bytes).unwrap_err().to_string();
        assert!(e.contains("Line 2 of the file is longer than 1 MB"), "{e}");
    }

    #[test]
    fn sectioned_utf16_tab_en_gb() {
        let r = parse(&utf16le_with_bom(SECTIONED_GB)).unwrap();
        assert_eq!(r.layout, Layout::Sectioned);
        assert_eq!(r.encoding, Encoding::Utf16Le);
        assert_eq!(r.separator, '\t');
        assert_eq!(r.title.as_deref(), Some("Safeguarding input: frontline"));
        assert_eq!(r.start.unwrap().to_string(), "2025-07-15 9:00:05.0");
        assert_eq!(r.end.unwrap().hour(), 12);
        assert_eq!(r.participants.len(), 5);
        let z = find(&r, "Zoë Ní Bhriain");
        assert_eq!(z.seconds, 2 * 3600 + 59 * 60 + 55);
        assert_eq!(z.minutes(), 179);
        let t = find(&r, "Tomás O'Brien");
        assert_eq!(t.joins, 2);
        assert_eq!(t.seconds, 9000);
        let g = find(&r, "Sam Guest");
        assert!(g.unverified && !g.external && g.email.is_none());
        let p = find(&r, "Priya Shah");
        assert!(p.external && !p.unverified);
        assert_eq!(p.email.as_deref(), Some("priya.shah@council.gov.uk"));
        let a = find(&r, "Ann Lee");
        assert_eq!((a.seconds, a.joins), (0, 1));
    }

    #[test]
    fn sectioned_resaved_utf8_comma_en_us_with_four_digit_years() {
        let text = SECTIONED_GB
            .replace("15/07/25, ", "7/15/2025, ")
            .replace("09:00:05", "9:00:05 AM")
            .replace("12:00:00", "12:00:00 PM")
            .replace("12:01:10", "12:01:10 PM")
            .replace("11:55:00", "11:55:00 AM")
            .replace("10:00:00", "10:00:00 AM")
            .replace("09:02:00", "9:02:00 AM")
            .replace("10:23:00", "10:23:00 AM")
            .replace("09:10:00", "9:10:00 AM")
            .replace("09:40:00", "9:40:00 AM")
            .replace("09:05:00", "9:05:00 AM");
        // Excel re-save: comma-separated, fields with commas quoted, UTF-8 with a BOM.
        let csv: String = text
            .lines()
            .map(|l| {
                l.split('\t')
                    .map(|c| {
                        if c.contains(',') || c.contains('"') {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\r\n");
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(csv.as_bytes());
        let r = parse(&bytes).unwrap();
        assert_eq!(r.encoding, Encoding::Utf8);
        assert_eq!(r.separator, ',');
        assert_eq!(r.start.unwrap().to_string(), "2025-07-15 9:00:05.0");
        assert_eq!(r.end.unwrap().to_string(), "2025-07-15 12:01:10.0");
        assert_eq!(find(&r, "Tomás O'Brien").joins, 2);
        assert_eq!(find(&r, "Zoë Ní Bhriain").seconds, 10795);
        // Without a BOM too.
        let r2 = parse(csv.as_bytes()).unwrap();
        assert_eq!(r2.participants, r.participants);
    }

    #[test]
    fn non_english_titles_and_headers_are_found_by_number_and_shape() {
        let text = SECTIONED_GB
            .replace("1. Summary", "1. Résumé")
            .replace("2. Participants", "2. Teilnehmende")
            .replace("3. In-Meeting Activities", "3. Aktivitäten in der Besprechung")
            .replace("Meeting title", "Titre de la réunion")
            .replace("Start time", "Heure de début")
            .replace("End time", "Heure de fin")
            .replace("Name\tFirst Join\tLast Leave\tIn-Meeting Duration\tEmail\tParticipant ID (UPN)\tRole", "Nom\tPremière\tDernière\tTemps\tAdresse\tID\tRôle")
            .replace("Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole", "Nom\tArrivée\tDépart\tTemps\tAdresse\tRôle")
            .replace("(External)", "(Externe)");
        let r = parse(text.as_bytes()).unwrap();
        assert_eq!(r.layout, Layout::Sectioned);
        assert_eq!(r.title.as_deref(), Some("Safeguarding input: frontline"));
        assert_eq!(r.start.unwrap().hour(), 9);
        assert_eq!(find(&r, "Tomás O'Brien").joins, 2);
        assert_eq!(find(&r, "Tomás O'Brien").seconds, 9000);
        assert!(find(&r, "Priya Shah").external);
        assert_eq!(
            find(&r, "Priya Shah").email.as_deref(),
            Some("priya.shah@council.gov.uk")
        );
    }

    #[test]
    fn activities_only_sums_joins() {
        let text = SECTIONED_GB
            .split("2. Participants")
            .next()
            .unwrap()
            .to_string()
            + "3. In-Meeting Activities"
            + SECTIONED_GB
                .split("3. In-Meeting Activities")
                .nth(1)
                .unwrap();
        let r = parse(text.as_bytes()).unwrap();
        let t = find(&r, "Tomás O'Brien");
        assert_eq!((t.seconds, t.joins), (58 * 60 + 92 * 60, 2));
    }

    #[test]
    fn legacy_layout_pairs_joins_and_leaves() {
        let r = parse(&utf16le_with_bom(LEGACY_US)).unwrap();
        assert_eq!(r.layout, Layout::Legacy);
        assert_eq!(r.title.as_deref(), Some("Frontline input"));
        assert_eq!(r.start.unwrap().to_string(), "2021-07-15 9:00:00.0");
        assert_eq!(r.end.unwrap().to_string(), "2021-07-15 12:00:00.0");
        let z = find(&r, "Zoë Ní Bhriain");
        assert_eq!((z.seconds, z.joins), (3 * 3600, 1));
        let t = find(&r, "Tomás O'Brien");
        assert_eq!((t.seconds, t.joins), (3600 + 1800, 2));
        let g = find(&r, "Sam Guest");
        assert!(g.unverified);
        assert_eq!(g.seconds, 20 * 60);
    }

    #[test]
    fn legacy_without_summary_and_open_join_runs_to_last_event() {
        let text = "Full Name\tUser Action\tTimestamp\n\
A Person\tJoined\t15/07/2021, 09:00:00\n\
B Person\tJoined\t15/07/2021, 09:30:00\n\
B Person\tLeft\t15/07/2021, 10:00:00\n";
        let r = parse(text.as_bytes()).unwrap();
        assert_eq!(r.layout, Layout::Legacy);
        assert_eq!(r.start, None);
        assert_eq!(find(&r, "A Person").seconds, 3600);
        assert_eq!(find(&r, "B Person").seconds, 1800);
    }

    #[test]
    fn utf16_big_endian_is_read() {
        let mut bytes = vec![0xFE, 0xFF];
        for u in SECTIONED_GB.encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        let r = parse(&bytes).unwrap();
        assert_eq!(r.encoding, Encoding::Utf16Be);
        assert_eq!(r.participants.len(), 5);
    }

    #[test]
    fn written_reports_read_back_in_both_layouts() {
        use time::macros::datetime;
        let people = vec![
            WriteParticipant {
                name: "Zoë Ní Bhriain".into(),
                email: Some("zoe@force.police.uk".into()),
                joins: vec![
                    (datetime!(2022-03-01 9:00), datetime!(2022-03-01 10:00)),
                    (datetime!(2022-03-01 10:30), datetime!(2022-03-01 12:00:30)),
                ],
            },
            WriteParticipant {
                name: "Sam Guest (Unverified)".into(),
                email: None,
                joins: vec![(datetime!(2022-03-01 9:05), datetime!(2022-03-01 9:05))],
            },
        ];
        for (bytes, layout) in [
            (
                write_sectioned(
                    "Input",
                    datetime!(2022-03-01 9:00),
                    datetime!(2022-03-01 12:00),
                    &people,
                ),
                Layout::Sectioned,
            ),
            (
                write_legacy(
                    "Input",
                    datetime!(2022-03-01 9:00),
                    datetime!(2022-03-01 12:00),
                    &people,
                ),
                Layout::Legacy,
            ),
        ] {
            let r = parse(&bytes).unwrap();
            assert_eq!(r.layout, layout);
            assert_eq!(r.title.as_deref(), Some("Input"));
            let z = find(&r, "Zoë Ní Bhriain");
            assert_eq!((z.seconds, z.joins), (9030, 2), "{layout:?}");
            let g = find(&r, "Sam Guest");
            assert!(g.unverified);
            assert_eq!(g.seconds, 0);
        }
        assert_eq!(format_duration(3723), "1h 2m 3s");
        assert_eq!(format_duration(5400), "1h 30m");
        assert_eq!(format_duration(0), "0s");
    }

    #[test]
    fn crlf_quotes_bomless_utf16_and_windows_1252_resaves() {
        // CRLF line endings and quoted cells, UTF-16 LE without a byte-order mark.
        let text = SECTIONED_GB
            .replace('\n', "\r\n")
            .replace("Tomás O'Brien\t", "\"Tomás O'Brien\"\t");
        let bytes: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let r = parse(&bytes).unwrap();
        assert_eq!(r.encoding, Encoding::Utf16Le);
        assert_eq!(find(&r, "Tomás O'Brien").joins, 2);
        // An Excel re-save in Windows-1252 (not valid UTF-8): accents survive.
        let (cp, _, _) = encoding_rs::WINDOWS_1252.encode(SECTIONED_GB);
        let r = parse(&cp).unwrap();
        assert_eq!(r.encoding, Encoding::Windows1252);
        assert_eq!(find(&r, "Zoë Ní Bhriain").seconds, 10795);
    }

    #[test]
    fn a_leave_at_the_same_moment_as_the_join_is_a_zero_length_join() {
        let text = "Full Name\tUser Action\tTimestamp\n\
Ann Lee\tJoined\t15/07/2021, 09:00:00\n\
Ann Lee\tLeft\t15/07/2021, 09:00:00\n\
Bob Ray\tJoined\t15/07/2021, 09:00:00\n\
Bob Ray\tLeft\t15/07/2021, 10:00:00\n";
        let r = parse(text.as_bytes()).unwrap();
        assert_eq!(
            (find(&r, "Ann Lee").seconds, find(&r, "Ann Lee").joins),
            (0, 1)
        );
        assert_eq!(find(&r, "Bob Ray").seconds, 3600);
    }

    #[test]
    fn the_2021_variant_with_one_row_per_join_and_durations() {
        let text = "Meeting Summary\n\
Total Number of Participants\t3\n\
Meeting Title\tFrontline input\n\
Meeting Start Time\t10/03/2022, 09:00:00\n\
Meeting End Time\t10/03/2022, 12:00:00\n\
\n\
Full Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\tParticipant ID (UPN)\n\
Zoë Ní Bhriain\t10/03/2022, 09:00:00\t10/03/2022, 10:00:00\t1h\tzoe@force.police.uk\tAttendee\tzoe@force.police.uk\n\
Zoë Ní Bhriain\t10/03/2022, 10:30:00\t10/03/2022, 12:00:00\t1h 30m\tzoe@force.police.uk\tAttendee\tzoe@force.police.uk\n\
Priya Shah (External)\t10/03/2022, 09:00:00\t10/03/2022, 09:45:00\t45m\tpriya@council.gov.uk\tAttendee\t\n";
        let r = parse(&utf16le_with_bom(text)).unwrap();
        assert_eq!(r.layout, Layout::Legacy);
        assert_eq!(r.title.as_deref(), Some("Frontline input"));
        let z = find(&r, "Zoë Ní Bhriain");
        assert_eq!(
            (z.seconds, z.joins, z.email.as_deref()),
            (9000, 2, Some("zoe@force.police.uk"))
        );
        assert!(find(&r, "Priya Shah").external);
    }

    #[test]
    fn durations_too_long_to_be_true_are_not_durations() {
        // Found by `cargo fuzz` (teams_report): an hour of 444444444444444410 overflowed to a
        // negative number of minutes, which a report then gave a participant.
        assert_eq!(parse_duration("444444444444444410:23:00"), None);
        assert_eq!(parse_duration("99999999999999999h"), None);
        assert_eq!(parse_duration("169h"), None);
        assert_eq!(parse_duration("168h"), Some(MAX_DURATION_SECONDS));
        assert_eq!(parse_duration("-1:00"), None);
        let bytes = include_bytes!("../tests/fixtures/teams-fuzz-overflowing-duration.csv");
        match parse(bytes) {
            Ok(r) => assert!(r.participants.iter().all(|p| p.minutes() >= 0), "{r:?}"),
            Err(e) => assert!(e.to_string().len() >= 10, "{e:?}"),
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h 2m 3s"), Some(3723));
        assert_eq!(parse_duration("1h 30m"), Some(5400));
        assert_eq!(parse_duration("45m 10s"), Some(2710));
        assert_eq!(parse_duration("0s"), Some(0));
        assert_eq!(parse_duration("01:02:03"), Some(3723));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn dates_in_both_orders() {
        let gb = raw_datetime("15/07/25, 09:00:05").unwrap();
        assert_eq!(
            resolve(gb, DateOrder::DayFirst).unwrap().to_string(),
            "2025-07-15 9:00:05.0"
        );
        let us = raw_datetime("7/15/25, 9:00:05 PM").unwrap();
        assert!(us.meridiem);
        assert_eq!(
            resolve(us, DateOrder::MonthFirst).unwrap().to_string(),
            "2025-07-15 21:00:05.0"
        );
        let midnight = raw_datetime("7/15/25, 12:10:00 AM").unwrap();
        assert_eq!(resolve(midnight, DateOrder::MonthFirst).unwrap().hour(), 0);
        assert!(raw_datetime("Zoë").is_none());
    }

    #[test]
    fn suffixes_are_stripped() {
        assert_eq!(
            split_name("Priya Shah (External)"),
            ("Priya Shah".into(), true, false)
        );
        assert_eq!(split_name("Sam (Unverified)"), ("Sam".into(), false, true));
        assert_eq!(
            split_name("Smith, John (PC 123)"),
            ("Smith, John (PC 123)".into(), false, false)
        );
    }

    #[test]
    fn not_a_report_says_so() {
        let e = parse(b"staff_number,name\n1001,Jo Bloggs\n").unwrap_err();
        assert!(matches!(e, ReportError::NotAReport(_)), "{e}");
        assert!(e
            .to_string()
            .contains("not a Microsoft Teams attendance report"));
        assert_eq!(parse(b"").unwrap_err(), ReportError::Empty);
        let pdf = b"%PDF-1.4\x00\x01\x02\x00binary";
        assert!(matches!(
            parse(pdf).unwrap_err(),
            ReportError::NotAReport(_)
        ));
    }

    #[test]
    fn bad_row_names_its_line() {
        let text = SECTIONED_GB.replace("\t2h 30m\t", "\tlong\t");
        let e = parse(text.as_bytes()).unwrap_err();
        assert_eq!(
            e,
            ReportError::Line {
                line: 12,
                reason: "\"long\" is not a duration such as 1h 2m 3s".into()
            }
        );
        assert!(e.to_string().starts_with("Line 12:"));
        let legacy = LEGACY_US.replace("7/15/21, 10:05:00 AM", "yesterday");
        let e = parse(legacy.as_bytes()).unwrap_err();
        assert!(e.to_string().starts_with("Line 10:"), "{e}");
    }
}
