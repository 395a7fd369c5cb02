//! Reading the MASH team's own training and CPD spreadsheets: messy files kept by hand for
//! years, not exports in a fixed layout.
//!
//! Three steps, each usable on its own (the web pages show the result of each):
//!
//! 1. [`read_sheet`] reads the bytes with [`crate::imports::read_table`] and finds the header row:
//!    the first of the first [`HEADER_SEARCH_ROWS`] rows that names at least two of the fields
//!    we need. Rows above it (a title, a note, blank rows) are dropped. A header split over two
//!    rows, where a merged cell such as "Sign off" sits above "Mentor" and "Sgt", is joined into
//!    one ("Sign off Mentor"). Row numbers stay the ones the spreadsheet shows.
//! 2. A [`Mapping`] says which of the file's columns holds each field. [`suggest_mapping`]
//!    guesses it from the header names; a person can correct it and save it by name.
//! 3. [`parse_training`] and [`parse_cpd`] turn every row into a typed record or
//!    [`RowError`]s: row number, the column *as the file names it*, and the reason in plain
//!    words. Checks that need the directory or the catalogue (is there such a person, such a
//!    module?) are the store's; it reports them in the same shape.
//!
//! ## The mapping's text form
//!
//! `field=header;field=header`, fields in the order of [`ImportKind::fields`], each header as
//! [`header_key`] writes it (lower case letters and digits joined by `_`), so neither `=` nor
//! `;` can appear inside a part. For example:
//! `staff_number=collar_no;module=course;completed_on=date_completed`.

pub use crate::imports::mapping::{
    check_mapping_name, header_key, suggest_mapping, Field, Layout, Mapping, MappingError,
    MAX_MAPPING_NAME,
};
use crate::imports::{
    read_table, FileProblem, RowError, Table, MAX_CELL_CHARS, SPREADSHEET_ERRORS,
};
use crate::people::{format_date_long, parse_date, StaffNumber};
use crate::training::{format_version, parse_hours, parse_version, CompletionMode, CpdKind};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use time::{Date, Duration, Month};

/// The header row is looked for among this many rows (blank rows not counted).
pub const HEADER_SEARCH_ROWS: usize = 10;
/// The longest CPD topic we accept (as on the CPD page).
pub const MAX_TOPIC: usize = 200;
/// The longest free text (notes, what was learned) we accept.
pub const MAX_LONG_TEXT: usize = 5000;
/// The longest evidence link we accept (as on the CPD page).
pub const MAX_URL: usize = 500;

// ---------------------------------------------------------------------------------------------
// Kinds and fields

/// Which spreadsheet is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// The initial-training record: who completed which module when, and who signed it off.
    Training,
    /// A CPD log: topic, date, hours, what was learned.
    Cpd,
}

impl ImportKind {
    pub const ALL: [ImportKind; 2] = [ImportKind::Training, ImportKind::Cpd];

    /// The machine name used in the CLI, forms and saved mappings: "training" or "cpd".
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Training => "training",
            ImportKind::Cpd => "cpd",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Training => "Training record",
            ImportKind::Cpd => "CPD log",
        }
    }

    /// What one row is, in words: "completion" or "CPD entry".
    pub fn row_noun(self) -> &'static str {
        match self {
            ImportKind::Training => "completion",
            ImportKind::Cpd => "CPD entry",
        }
    }

    /// The fields a file of this kind can fill, in the order forms show them.
    pub fn fields(self) -> &'static [Field] {
        match self {
            ImportKind::Training => &TRAINING_FIELDS,
            ImportKind::Cpd => &CPD_FIELDS,
        }
    }

    pub fn field(self, key: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.key == key)
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ImportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "training" => Ok(ImportKind::Training),
            "cpd" => Ok(ImportKind::Cpd),
            other => Err(format!(
                "\"{other}\" is not a kind of import; use training or cpd"
            )),
        }
    }
}

const STAFF_EXACT: &[&str] = &[
    "staff_number",
    "staff_no",
    "staff_num",
    "staff_id",
    "collar_no",
    "collar_number",
    "collar",
    "officer_number",
    "officer_no",
    "warrant_number",
    "warrant_no",
    "payroll_number",
    "payroll_no",
    "employee_number",
    "employee_no",
    "force_number",
    "pay_number",
    "pay_no",
];
const STAFF_WITHIN: &[&str] = &["staff_number", "staff_no", "collar", "warrant_no"];

static TRAINING_FIELDS: [Field; 9] = [
    Field {
        key: "staff_number",
        label: "Staff number",
        hint: "The person's staff or collar number, as in the directory",
        required: true,
        exact: STAFF_EXACT,
        within: STAFF_WITHIN,
    },
    Field {
        key: "module",
        label: "Module",
        hint: "The module's code (such as MASH-IND) or its exact title in the catalogue",
        required: true,
        exact: &[
            "module",
            "module_code",
            "module_title",
            "module_name",
            "code",
            "course",
            "course_code",
            "course_title",
            "course_name",
            "training",
            "training_module",
            "training_course",
            "title",
            "input",
            "package",
        ],
        within: &["module", "course"],
    },
    Field {
        key: "completed_on",
        label: "Date completed",
        hint: "For example 03/02/2024, 2024-02-03 or 3 February 2024",
        required: true,
        exact: &[
            "completed_on",
            "date_completed",
            "completion_date",
            "completed",
            "date",
            "date_of_completion",
            "date_attended",
            "attended",
            "date_trained",
            "training_date",
            "course_date",
            "date_done",
        ],
        within: &["completed", "date"],
    },
    Field {
        key: "mode",
        label: "How it was done",
        hint: "Face to face, Teams, e-learning, video… Blank means face to face",
        required: false,
        exact: &[
            "mode",
            "delivery",
            "delivery_mode",
            "delivery_method",
            "method",
            "format",
            "how_delivered",
            "how_completed",
            "how",
            "completion_mode",
        ],
        within: &["delivery", "mode"],
    },
    Field {
        key: "version",
        label: "Module version",
        hint: "For example 1.0. Blank means the module's current version",
        required: false,
        exact: &["version", "module_version", "course_version", "ver"],
        within: &["version"],
    },
    Field {
        key: "trainer",
        label: "Trainer",
        hint: "Who delivered it",
        required: false,
        exact: &[
            "trainer",
            "trainer_name",
            "trainers",
            "delivered_by",
            "facilitator",
            "presenter",
            "instructor",
            "trained_by",
        ],
        within: &["trainer", "delivered_by"],
    },
    Field {
        key: "notes",
        label: "Notes",
        hint: "Anything else the row says",
        required: false,
        exact: &["notes", "note", "comments", "comment", "remarks"],
        within: &["notes", "comments"],
    },
    Field {
        key: "mentor_signed",
        label: "Mentor sign-off",
        hint: "Who signed as mentor, or Yes or a date; blank means not signed",
        required: false,
        exact: &[
            "mentor",
            "mentor_sign_off",
            "mentor_signoff",
            "mentor_signed",
            "signed_by_mentor",
            "mentor_signature",
            "tutor",
            "tutor_sign_off",
        ],
        within: &["mentor", "tutor"],
    },
    Field {
        key: "manager_signed",
        label: "Line manager sign-off",
        hint: "Who signed as line manager (usually the sergeant), or Yes or a date; blank means not signed",
        required: false,
        exact: &[
            "manager",
            "line_manager",
            "sgt",
            "sergeant",
            "supervisor",
            "sgt_sign_off",
            "sgt_signoff",
            "sergeant_sign_off",
            "manager_sign_off",
            "line_manager_sign_off",
            "supervisor_sign_off",
            "signed_by_manager",
            "signed_by_sgt",
        ],
        within: &["sgt", "sergeant", "manager", "supervisor"],
    },
];

static CPD_FIELDS: [Field; 8] = [
    Field {
        key: "staff_number",
        label: "Staff number",
        hint: "The person's staff or collar number, as in the directory",
        required: true,
        exact: STAFF_EXACT,
        within: STAFF_WITHIN,
    },
    Field {
        key: "topic",
        label: "Topic",
        hint: "What the CPD was about",
        required: true,
        exact: &[
            "topic",
            "cpd_topic",
            "subject",
            "title",
            "activity",
            "course",
            "training",
            "event",
            "cpd",
            "cpd_activity",
        ],
        within: &["topic", "subject"],
    },
    Field {
        key: "done_on",
        label: "Date",
        hint: "For example 03/02/2024, 2024-02-03 or 3 February 2024",
        required: true,
        exact: &[
            "done_on",
            "date",
            "date_completed",
            "completed",
            "date_of_activity",
            "activity_date",
            "cpd_date",
            "date_attended",
            "when",
        ],
        within: &["date"],
    },
    Field {
        key: "hours",
        label: "Time spent",
        hint: "Hours such as 1.5 or 1:30, or with units such as 90 minutes",
        required: true,
        exact: &[
            "hours",
            "hrs",
            "time",
            "duration",
            "time_spent",
            "hours_spent",
            "length",
            "cpd_hours",
            "minutes",
            "mins",
        ],
        within: &["hours", "hrs", "duration", "time_spent"],
    },
    Field {
        key: "kind",
        label: "Kind of CPD",
        hint: "Course, e-learning, reading, delivered a session, shadowing, conference. Blank means other",
        required: false,
        exact: &[
            "kind",
            "type",
            "cpd_type",
            "activity_type",
            "category",
            "format",
            "cpd_kind",
        ],
        within: &["type", "category"],
    },
    Field {
        key: "learning",
        label: "What was learned",
        hint: "Optional, but an entry without it is weak evidence",
        required: false,
        exact: &[
            "learning",
            "what_i_learned",
            "what_i_learnt",
            "what_was_learned",
            "what_was_learnt",
            "what_did_you_learn",
            "key_learning",
            "learning_outcomes",
            "reflection",
            "reflections",
            "outcome",
            "notes",
        ],
        within: &["learning", "learned", "learnt", "learn", "reflection"],
    },
    Field {
        key: "evidence_url",
        label: "Evidence link",
        hint: "A web address starting with https://",
        required: false,
        exact: &[
            "evidence",
            "evidence_url",
            "evidence_link",
            "link",
            "url",
            "web_link",
            "certificate",
        ],
        within: &["evidence", "link", "url"],
    },
    Field {
        key: "verified_by",
        label: "Verified by",
        hint: "Who verified it; a filled cell imports the entry as verified",
        required: false,
        exact: &[
            "verified_by",
            "verified",
            "checked_by",
            "approved_by",
            "signed_off_by",
            "countersigned_by",
            "line_manager",
            "manager",
            "supervisor",
            "sgt",
        ],
        within: &["verified", "approved", "countersigned"],
    },
];

// ---------------------------------------------------------------------------------------------
// Mapping (the one of every import)

impl Layout for ImportKind {
    fn name(self) -> &'static str {
        self.as_str()
    }
    fn fields(self) -> &'static [Field] {
        ImportKind::fields(self)
    }
    fn example(self) -> String {
        "staff_number=collar_no;module=course".into()
    }
}

// ---------------------------------------------------------------------------------------------
// The sheet

/// A file's rows under its header, with the header found and tidied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// The header of each column as the file names it (trimmed; a two-row header joined;
    /// a repeated name given " (2)"). An empty string is a column with no header.
    pub headers: Vec<String>,
    /// The data rows under the header, with their spreadsheet row numbers; blank rows left out.
    pub rows: Vec<(usize, Vec<String>)>,
    /// How the file was read, as in [`Table::encoding`].
    pub encoding: &'static str,
    /// Rows above the header that were skipped (a title, notes), as their row number where
    /// known; for the summary only.
    pub skipped_above: usize,
}

impl Sheet {
    /// Each header as [`header_key`] writes it.
    pub fn header_keys(&self) -> Vec<String> {
        self.headers.iter().map(|h| header_key(h)).collect()
    }

    /// The position of the column with this header key.
    pub fn position(&self, key: &str) -> Option<usize> {
        if key.is_empty() {
            return None;
        }
        self.headers.iter().position(|h| header_key(h) == key)
    }

    /// The headers that can be chosen in a mapping: (key, name as in the file).
    pub fn columns(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|h| !h.is_empty())
            .map(|h| (header_key(h), h.clone()))
            .collect()
    }
}

/// Reads a training or CPD file (CSV or XLSX, as [`read_table`] does) and finds its header.
pub fn read_sheet(kind: ImportKind, bytes: &[u8]) -> Result<Sheet, FileProblem> {
    let table = read_table(bytes).map_err(|p| reword(kind, p))?;
    find_header(kind, table)
}

/// The people importer's wording talks about people; this one talks about the kind's rows.
fn reword(kind: ImportKind, problem: FileProblem) -> FileProblem {
    let rows = match kind {
        ImportKind::Training => "rows of training",
        ImportKind::Cpd => "rows of CPD",
    };
    match problem {
        FileProblem::Empty => FileProblem::Unreadable(format!(
            "The file is empty: it has no {rows} under a header row. Check that you chose the right file."
        )),
        FileProblem::TooManyRows(n) => FileProblem::Unreadable(format!(
            "The file has {n} {rows}, but at most {} can be imported at once. Split it into smaller files and import them one at a time.",
            crate::imports::MAX_ROWS
        )),
        other => other,
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

fn find_header(kind: ImportKind, table: Table) -> Result<Sheet, FileProblem> {
    let Table {
        headers,
        rows,
        encoding,
    } = table;
    // The first row read_table calls the header may be a title: look at it and the rows after.
    let mut candidates: Vec<(Option<usize>, Vec<String>)> = vec![(None, headers)];
    candidates.extend(rows.into_iter().map(|(n, cells)| (Some(n), cells)));
    let tidy = |cells: &[String]| -> Vec<String> {
        cells
            .iter()
            .map(|c| c.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let found = candidates
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .position(|(_, cells)| suggest_mapping(kind, &tidy(cells)).pairs().len() >= 2);
    let Some(at) = found else {
        let wanted: Vec<String> = kind
            .fields()
            .iter()
            .filter(|f| f.required)
            .map(|f| f.label.to_lowercase())
            .collect();
        return Err(FileProblem::Unreadable(format!(
            "We could not find the header row. None of the first {HEADER_SEARCH_ROWS} rows names at least two of the columns we need ({}). Check that this is a {} and that its header row names its columns.",
            wanted.join(", "),
            kind.label().to_lowercase()
        )));
    };
    let mut rest = candidates.split_off(at);
    let skipped_above = at;
    let (_, header_cells) = rest.remove(0);
    let mut headers = tidy(&header_cells);
    // A second header row under merged cells ("Sign off" over "Mentor" and "Sgt").
    if let Some((_, next)) = rest.first() {
        if let Some(joined) = join_sub_header(&headers, &tidy(next)) {
            headers = joined;
            rest.remove(0);
        }
    }
    // Trailing columns with no header and nothing in them are not worth showing.
    let width = rest.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
    while headers.len() > width && headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    // A repeated name gets a number, so each column can be chosen on its own.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for h in headers.iter_mut().filter(|h| !h.is_empty()) {
        let n = seen.entry(header_key(h)).or_insert(0);
        *n += 1;
        if *n > 1 {
            *h = format!("{h} ({n})");
        }
    }
    let rows: Vec<(usize, Vec<String>)> = rest
        .into_iter()
        .filter(|(_, cells)| !is_blank(cells))
        .map(|(n, cells)| (n.unwrap_or(0), cells))
        .collect();
    if rows.is_empty() {
        return Err(reword(kind, FileProblem::Empty));
    }
    Ok(Sheet {
        headers,
        rows,
        encoding,
        skipped_above,
    })
}

/// If `next` is the second row of a two-row header, the joined header; otherwise `None`.
///
/// It is one when every cell it fills sits under a merged cell (a header cell followed by blank
/// header cells, or a blank header cell after one), at least one sits under a blank header
/// cell, and none of its cells looks like data (a number or a date).
fn join_sub_header(headers: &[String], next: &[String]) -> Option<Vec<String>> {
    let width = headers.len().max(next.len());
    let h = |i: usize| headers.get(i).map_or("", String::as_str);
    let spans = |i: usize| h(i).is_empty() || (i + 1 < width && h(i + 1).is_empty());
    let mut under_blank = false;
    for (i, cell) in next.iter().enumerate() {
        if cell.is_empty() {
            continue;
        }
        if !spans(i) || looks_like_data(cell) {
            return None;
        }
        if h(i).is_empty() && (0..i).any(|j| !h(j).is_empty()) {
            under_blank = true;
        }
    }
    if !under_blank {
        return None;
    }
    let mut joined = Vec::with_capacity(width);
    let mut group = "";
    for i in 0..width {
        let top = h(i);
        if !top.is_empty() {
            group = top;
        }
        let sub = next.get(i).map_or("", String::as_str);
        joined.push(match (top.is_empty(), sub.is_empty()) {
            (_, true) => top.to_string(),
            (false, false) => format!("{top} {sub}"),
            (true, false) if group.is_empty() => sub.to_string(),
            (true, false) => format!("{group} {sub}"),
        });
    }
    Some(joined)
}

fn looks_like_data(cell: &str) -> bool {
    let c = cell.trim();
    c.parse::<f64>().is_ok() || parse_sheet_date(c).is_ok()
}

// ---------------------------------------------------------------------------------------------
// Cell readers

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_named(word: &str) -> Option<Month> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.len() < 3 {
        return None;
    }
    let i = MONTHS
        .iter()
        .position(|m| *m == w || (m.starts_with(&w) && (w.len() == 3 || w == "sept")))?;
    Month::try_from(i as u8 + 1).ok()
}

/// The first and last serial numbers we read as dates: 1 January 1950 to 31 December 2099.
const SERIAL_RANGE: std::ops::RangeInclusive<i64> = 18264..=73050;

/// Reads a date as spreadsheets hold them: ISO (`2024-02-03`), UK style (`03/02/2024`,
/// `3.2.24`, `03-02-2024`), in words (`3 February 2024`, `3rd Feb 2024`, `03-Feb-24`,
/// `Saturday 3 February 2024`), or an Excel serial number (`45325`) from a cell that held a
/// number instead of a date. A time after the date is ignored. Slashes are read day first.
pub fn parse_sheet_date(raw: &str) -> Result<Date, String> {
    let s = raw.trim();
    let bad =
        || format!("\"{s}\" is not a date; write it as 31/03/2024, 2024-03-31 or 31 March 2024");
    if s.is_empty() {
        return Err("The date is missing".into());
    }
    // "2024-03-01 00:00:00", "01/03/2024 09:30", "2024-03-01T00:00:00"
    let s = match s.split_once([' ', 'T']) {
        Some((date, time))
            if time.contains(':') && time.chars().all(|c| c.is_ascii_digit() || c == ':') =>
        {
            date
        }
        _ => s,
    };
    // An Excel serial number: days since 30 December 1899.
    if let Some(serial) = serial_number(s) {
        if !SERIAL_RANGE.contains(&serial) {
            return Err(format!(
                "\"{s}\" is a number, not a date; if it is an Excel date, format the cell as a date and check it"
            ));
        }
        let epoch = Date::from_calendar_date(1899, Month::December, 30).map_err(|_| bad())?;
        return epoch.checked_add(Duration::days(serial)).ok_or_else(bad);
    }
    if s.chars().any(|c| c.is_alphabetic()) {
        return parse_worded_date(s).ok_or_else(bad);
    }
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return Err(bad());
    }
    if parts[0].len() == 4 {
        return parse_date(&format!("{}-{}-{}", parts[0], parts[1], parts[2]));
    }
    let year = match parts[2].len() {
        4 => parts[2].to_string(),
        2 => format!("20{}", parts[2]),
        _ => return Err(bad()),
    };
    parse_date(&format!("{}/{}/{year}", parts[0], parts[1])).map_err(|e| {
        if e.contains("not a real date") {
            format!("\"{s}\" is not a real date (dates are read day first, as 31/03/2024)")
        } else {
            bad()
        }
    })
}

fn serial_number(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || whole.len() > 6
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    // "3.2.24" has two points and is not a number.
    if s.matches('.').count() > 1 {
        return None;
    }
    whole.parse().ok()
}

/// "3 February 2024", "3rd Feb 2024", "03-Feb-24", "Saturday, 3 February 2024", "February 3, 2024".
fn parse_worded_date(s: &str) -> Option<Date> {
    let words: Vec<&str> = s
        .split([' ', '-', '/', ','])
        .filter(|w| !w.is_empty())
        .collect();
    let words: Vec<&str> = match words.as_slice() {
        // A weekday in front.
        [first, rest @ ..]
            if rest.len() == 3
                && first.chars().all(char::is_alphabetic)
                && month_named(first).is_none() =>
        {
            rest.to_vec()
        }
        _ => words,
    };
    let [a, b, c] = words.as_slice() else {
        return None;
    };
    let (day, month, year) = match (month_named(a), month_named(b)) {
        (None, Some(m)) => (*a, m, *c),
        (Some(m), None) => (*b, m, *c),
        _ => return None,
    };
    let day = day
        .to_lowercase()
        .trim_end_matches(['s', 't', 'n', 'd', 'r', 'h'])
        .to_string();
    if day.is_empty() || day.len() > 2 || !day.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let year: i32 = match year.len() {
        4 => year.parse().ok()?,
        2 => 2000 + year.parse::<i32>().ok()?,
        _ => return None,
    };
    if !(1900..=2100).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, month, day.parse().ok()?).ok()
}

/// A cell's words, squashed for matching: lower case, letters and digits only.
fn squash(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Reads how a completion was done, from the words teams use. Blank means face to face.
pub fn parse_mode(raw: &str) -> Result<CompletionMode, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(CompletionMode::FaceToFace);
    }
    if let Ok(m) = CompletionMode::from_str(s) {
        return Ok(m);
    }
    let w = squash(s);
    let has = |words: &[&str]| words.iter().any(|k| w.contains(k));
    let mode = if has(&["elearn", "ncalt", "collegelearn", "cbt", "onlinemodule"]) {
        CompletionMode::ELearning
    } else if has(&["video", "recording", "recorded", "youtube", "watched"]) {
        CompletionMode::Recording
    } else if has(&[
        "teams", "online", "virtual", "zoom", "webinar", "remote", "skype", "webex",
    ]) {
        CompletionMode::Virtual
    } else if has(&[
        "f2f",
        "facetoface",
        "classroom",
        "inperson",
        "workshop",
        "taught",
        "seminar",
        "lecture",
    ]) {
        CompletionMode::FaceToFace
    } else if has(&["mentor", "tutor", "121", "onetoone", "1to1"]) {
        CompletionMode::Mentoring
    } else if has(&["onthejob", "ojt", "shadow", "workplace", "attachment"]) {
        CompletionMode::OnTheJob
    } else if w == "other" {
        CompletionMode::Other
    } else {
        return Err(format!(
            "\"{s}\" is not a way of completing training we know; write face to face, Teams, e-learning, video, mentoring, on the job or other"
        ));
    };
    Ok(mode)
}

/// Reads the kind of a CPD entry from the words teams use. Blank means other.
pub fn parse_cpd_kind(raw: &str) -> Result<CpdKind, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(CpdKind::Other);
    }
    if let Ok(k) = CpdKind::from_str(s) {
        return Ok(k);
    }
    let w = squash(s);
    let has = |words: &[&str]| words.iter().any(|k| w.contains(k));
    let kind = if has(&[
        "elearn",
        "ncalt",
        "collegelearn",
        "onlinecourse",
        "onlinemodule",
    ]) {
        CpdKind::ELearning
    } else if has(&[
        "delivered",
        "delivering",
        "teaching",
        "taught",
        "presented",
        "presentation",
        "gaveinput",
    ]) {
        CpdKind::SessionDelivered
    } else if has(&["conference", "seminar", "webinar", "workshop", "event"]) {
        CpdKind::Conference
    } else if has(&["shadow", "observ", "attachment"]) {
        CpdKind::Shadowing
    } else if has(&[
        "read", "article", "book", "research", "journal", "guidance", "podcast",
    ]) {
        CpdKind::Reading
    } else if has(&["course", "training", "classroom", "class"]) {
        CpdKind::Course
    } else if w == "other" {
        CpdKind::Other
    } else {
        return Err(format!(
            "\"{s}\" is not a kind of CPD we know; write course, e-learning, reading, delivered a session, shadowing, conference or other"
        ));
    };
    Ok(kind)
}

/// What a sign-off cell says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    No,
    /// Signed; the words to keep as the signer (a name, or what the cell said).
    By(String),
}

const NO_WORDS: [&str; 16] = [
    "no",
    "n",
    "false",
    "0",
    "na",
    "notsigned",
    "notyet",
    "unsigned",
    "pending",
    "awaiting",
    "outstanding",
    "tbc",
    "todo",
    "notdone",
    "none",
    "nil",
];
const YES_WORDS: [&str; 9] = [
    "yes",
    "y",
    "true",
    "signed",
    "signedoff",
    "done",
    "complete",
    "completed",
    "ok",
];

/// Reads a sign-off cell: blank, "No", "Pending"… is not signed; "Yes", "✓", a date or a name is
/// signed. A lone mark that could mean either ("x", "?") is refused rather than guessed.
pub fn parse_signed(raw: &str) -> Result<Signed, String> {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let w = squash(&s);
    if s.is_empty() || s == "-" || s == "–" || NO_WORDS.contains(&w.as_str()) {
        return Ok(Signed::No);
    }
    if YES_WORDS.contains(&w.as_str()) || ["✓", "✔", "☑", "✅"].contains(&s.as_str()) {
        return Ok(Signed::By(format!("Signed ({s}); no name given")));
    }
    if let Ok(d) = parse_sheet_date(&s) {
        return Ok(Signed::By(format!(
            "Signed on {}; no name given",
            format_date_long(d)
        )));
    }
    if s.chars().filter(|c| c.is_alphabetic()).count() < 2 {
        return Err(format!(
            "We cannot tell whether \"{s}\" means signed; write Yes, No, a date, or the name of who signed"
        ));
    }
    Ok(Signed::By(s))
}

/// Checks a web link: `http://` or `https://`, no spaces.
fn parse_link(s: &str) -> Result<String, String> {
    if !(s.starts_with("https://") || s.starts_with("http://")) || s.contains(char::is_whitespace) {
        return Err(format!(
            "\"{s}\" is not a web link; an evidence link must start with https://. Leave the cell blank if there is none"
        ));
    }
    if s.chars().count() > MAX_URL {
        return Err(format!(
            "The evidence link must be {MAX_URL} characters or fewer"
        ));
    }
    Ok(s.to_string())
}

/// Reads the time spent as [`parse_hours`] does, and also a spreadsheet's long decimals
/// ("0.6666666667" hours is 40 minutes).
pub fn parse_cpd_time(raw: &str) -> Result<u32, String> {
    let s = raw.trim();
    parse_hours(s).or_else(|e| {
        let hours: f64 = s.parse().map_err(|_| e.clone())?;
        let minutes = (hours * 60.0).round();
        if (1.0..=f64::from(crate::training::MAX_CPD_MINUTES)).contains(&minutes) {
            Ok(minutes as u32)
        } else {
            Err(e)
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Rows

/// One completion read from a training spreadsheet. The person and the module are as the file
/// wrote them; the store looks them up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRow {
    pub staff_number: StaffNumber,
    /// The module code or title as written (trimmed, inner spaces squashed).
    pub module: String,
    pub completed_on: Date,
    pub mode: CompletionMode,
    /// `MAJOR.MINOR` when the file gives one.
    pub version: Option<String>,
    pub trainer: String,
    pub notes: String,
    /// Who signed as mentor, as the file says; `None` when not signed.
    pub mentor_signed: Option<String>,
    /// Who signed as line manager, as the file says; `None` when not signed.
    pub manager_signed: Option<String>,
}

/// One entry read from a CPD spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpdRow {
    pub staff_number: StaffNumber,
    pub topic: String,
    pub done_on: Date,
    pub minutes: u32,
    pub kind: CpdKind,
    pub learning: String,
    pub evidence_url: String,
    /// Who verified it, as the file says; a filled cell means it is imported as verified.
    pub verified_by: Option<String>,
}

impl TrainingRow {
    /// The key that makes a re-import update instead of duplicate, once the module's code is
    /// known: `training:{staff number}:{module code}:{date}`.
    pub fn import_key(&self, module_code: &str) -> String {
        format!(
            "training:{}:{}:{}",
            self.staff_number,
            module_code.trim().to_uppercase(),
            self.completed_on
        )
    }
}

impl CpdRow {
    /// `cpd:{staff number}:{date}:{topic in lower case}`.
    pub fn import_key(&self) -> String {
        format!(
            "cpd:{}:{}:{}",
            self.staff_number,
            self.done_on,
            squash_spaces(&self.topic).to_lowercase()
        )
    }
}

fn squash_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file read against a mapping: the good rows, and every problem with the bad ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// Good rows with their row numbers.
    pub records: Vec<(usize, T)>,
    /// Every problem, by row and then by column; empty means every row is good.
    pub errors: Vec<RowError>,
    /// Things worth knowing that do not stop the import (a CPD entry with no learning).
    pub warnings: Vec<RowError>,
    /// Notes about the file as a whole (columns a saved mapping expected, unused columns).
    pub notes: Vec<String>,
    /// Each mapped field with the file's header for it.
    pub columns: Vec<(&'static str, String)>,
    /// Columns with a header that no field uses.
    pub ignored_columns: Vec<String>,
    /// Data rows read (blank rows not counted).
    pub rows_read: usize,
}

impl<T> Parsed<T> {
    /// The file's header for a field, for row errors: "Collar No".
    pub fn column(&self, field: &str) -> Option<String> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, h)| h.clone())
    }

    /// Errors and warnings sorted the same way: by row, whole-row problems first, then by the
    /// column's place in the file.
    pub fn sort(&mut self, headers: &[String]) {
        let order = |e: &RowError| {
            (
                e.row,
                e.column.as_ref().map_or(0, |c| {
                    headers
                        .iter()
                        .position(|h| h == c)
                        .map_or(usize::MAX, |i| i + 1)
                }),
            )
        };
        self.errors.sort_by_key(order);
        self.warnings.sort_by_key(order);
    }
}

/// Each mapped field with the position of its column in the sheet.
pub type ColumnIndex = Vec<(&'static str, usize)>;

/// Which column each field comes from, checked against the sheet (see
/// [`crate::imports::mapping::resolve_mapping`]).
pub fn resolve_mapping(
    kind: ImportKind,
    sheet: &Sheet,
    mapping: &Mapping,
) -> Result<ColumnIndex, Vec<MappingError>> {
    let columns = crate::imports::mapping::resolve_mapping(kind, &sheet.headers, mapping)?;
    Ok(kind
        .fields()
        .iter()
        .zip(columns)
        .filter_map(|(f, c)| c.map(|c| (f.key, c)))
        .collect())
}

/// A row's cells by field, with checks every field shares.
struct RowReader<'a> {
    row: usize,
    cells: &'a [String],
    columns: &'a [(&'static str, usize)],
    headers: &'a [String],
    errors: Vec<RowError>,
    flagged: Vec<&'static str>,
}

impl<'a> RowReader<'a> {
    fn new(
        row: usize,
        cells: &'a [String],
        columns: &'a [(&'static str, usize)],
        headers: &'a [String],
    ) -> Self {
        let mut r = RowReader {
            row,
            cells,
            columns,
            headers,
            errors: Vec::new(),
            flagged: Vec::new(),
        };
        for &(field, i) in columns {
            let value = r.raw(i);
            let max = match field {
                "notes" | "learning" => MAX_LONG_TEXT,
                _ => MAX_CELL_CHARS,
            };
            let length = value.chars().count();
            if length > max {
                r.error(field, format!("This cell has {length} characters; the most we accept is {max}. Check that a missing quote mark has not run several cells together"));
            } else if SPREADSHEET_ERRORS.contains(&value) {
                r.error(
                    field,
                    format!("This cell shows the spreadsheet error {value}; fix the formula or type the value in"),
                );
            }
        }
        r
    }

    fn raw(&self, i: usize) -> &'a str {
        self.cells.get(i).map_or("", |c| c.trim())
    }

    /// The trimmed cell for a field; empty when the field is not mapped or already reported.
    fn get(&self, field: &str) -> &'a str {
        if self.flagged.contains(&field) {
            return "";
        }
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, i)| self.raw(*i))
    }

    fn reported(&self, field: &str) -> bool {
        self.flagged.contains(&field)
    }

    fn header(&self, field: &str) -> Option<String> {
        self.columns
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| self.headers[*i].clone())
    }

    fn error(&mut self, field: &'static str, reason: impl Into<String>) {
        self.flagged.push(field);
        self.errors.push(RowError {
            row: self.row,
            column: self.header(field),
            reason: reason.into(),
        });
    }

    /// Reads a field with `f`, recording its error; `None` when missing, bad or reported.
    fn read<T>(
        &mut self,
        field: &'static str,
        missing: Option<&str>,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if self.reported(field) {
            return None;
        }
        let value = self.get(field);
        if value.is_empty() {
            if let Some(message) = missing {
                self.error(field, message);
                return None;
            }
        }
        match f(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(field, e);
                None
            }
        }
    }
}

/// A whole-row problem: more cells than the header has columns, with something in the extra.
fn shape_error(row: usize, cells: &[String], headers: usize) -> Option<RowError> {
    let extra = cells.iter().skip(headers).any(|c| !c.trim().is_empty());
    extra.then(|| RowError {
        row,
        column: None,
        reason: format!(
            "This row has {} cells but the header has {headers} columns. A value with a comma in it (such as \"Smith, Jo\") needs quote marks around it",
            cells.len()
        ),
    })
}

fn start<T>(
    kind: ImportKind,
    sheet: &Sheet,
    mapping: &Mapping,
) -> Result<(Parsed<T>, ColumnIndex), Vec<MappingError>> {
    let columns = resolve_mapping(kind, sheet, mapping)?;
    let ignored_columns = sheet
        .headers
        .iter()
        .enumerate()
        .filter(|(i, h)| !h.is_empty() && !columns.iter().any(|(_, j)| j == i))
        .map(|(_, h)| h.clone())
        .collect();
    Ok((
        Parsed {
            records: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
            columns: columns
                .iter()
                .map(|(f, i)| (*f, sheet.headers[*i].clone()))
                .collect(),
            ignored_columns,
            rows_read: sheet.rows.len(),
        },
        columns,
    ))
}

fn not_in_future(label: &str, today: Date) -> impl Fn(&str) -> Result<Date, String> + '_ {
    move |value: &str| {
        let d = parse_sheet_date(value)?;
        if d > today {
            return Err(format!(
                "The {label}, {}, is in the future",
                format_date_long(d)
            ));
        }
        Ok(d)
    }
}

/// Reads every row of a training spreadsheet (see the module docs). `today` is for refusing
/// completions dated in the future.
pub fn parse_training(
    sheet: &Sheet,
    mapping: &Mapping,
    today: Date,
) -> Result<Parsed<TrainingRow>, Vec<MappingError>> {
    let (mut out, columns) = start::<TrainingRow>(ImportKind::Training, sheet, mapping)?;
    let mut first_use: HashMap<(StaffNumber, String, Date), usize> = HashMap::new();
    for (row, cells) in &sheet.rows {
        let row = *row;
        if let Some(e) = shape_error(row, cells, sheet.headers.len()) {
            out.errors.push(e);
            continue;
        }
        let mut r = RowReader::new(row, cells, &columns, &sheet.headers);
        let staff = r.read(
            "staff_number",
            Some("The staff number is missing"),
            StaffNumber::parse,
        );
        let module = r.read(
            "module",
            Some("The module is missing: give its code (such as MASH-IND) or its title"),
            |v| Ok(squash_spaces(v)),
        );
        let completed_on = r.read(
            "completed_on",
            Some("The date completed is missing"),
            not_in_future("date completed", today),
        );
        let mode = r.read("mode", None, parse_mode);
        let version = r.read("version", None, |v| {
            if v.is_empty() {
                Ok(None)
            } else {
                parse_version(v).map(|(a, b)| Some(format_version(a, b)))
            }
        });
        let trainer = r.read("trainer", None, |v| Ok(squash_spaces(v)));
        let notes = r.read("notes", None, |v| Ok(v.to_string()));
        let mentor = r.read("mentor_signed", None, parse_signed);
        let manager = r.read("manager_signed", None, parse_signed);
        let mut errors = std::mem::take(&mut r.errors);
        if let (Some(staff), Some(module), Some(on)) = (&staff, &module, completed_on) {
            let key = (staff.clone(), module.to_uppercase(), on);
            match first_use.get(&key) {
                Some(first) => errors.push(RowError {
                    row,
                    column: None,
                    reason: format!(
                        "This repeats row {first}: {staff} completing {module} on {} is already in the file. Delete one of the two rows",
                        format_date_long(on)
                    ),
                }),
                None => {
                    first_use.insert(key, row);
                }
            }
        }
        if errors.is_empty() {
            if let (
                Some(staff_number),
                Some(module),
                Some(completed_on),
                Some(mode),
                Some(version),
                Some(trainer),
                Some(notes),
                Some(mentor),
                Some(manager),
            ) = (
                staff,
                module,
                completed_on,
                mode,
                version,
                trainer,
                notes,
                mentor,
                manager,
            ) {
                let signer = |s: Signed| match s {
                    Signed::No => None,
                    Signed::By(who) => Some(who),
                };
                out.records.push((
                    row,
                    TrainingRow {
                        staff_number,
                        module,
                        completed_on,
                        mode,
                        version,
                        trainer,
                        notes,
                        mentor_signed: signer(mentor),
                        manager_signed: signer(manager),
                    },
                ));
            }
        }
        out.errors.extend(errors);
    }
    out.sort(&sheet.headers);
    Ok(out)
}

/// Reads every row of a CPD spreadsheet (see the module docs).
pub fn parse_cpd(
    sheet: &Sheet,
    mapping: &Mapping,
    today: Date,
) -> Result<Parsed<CpdRow>, Vec<MappingError>> {
    let (mut out, columns) = start::<CpdRow>(ImportKind::Cpd, sheet, mapping)?;
    let mut first_use: HashMap<(StaffNumber, Date, String), usize> = HashMap::new();
    let learning_mapped = columns.iter().any(|(f, _)| *f == "learning");
    if !learning_mapped {
        out.notes.push(
            "No column is used for what was learned, so every entry will be imported without it"
                .into(),
        );
    }
    for (row, cells) in &sheet.rows {
        let row = *row;
        if let Some(e) = shape_error(row, cells, sheet.headers.len()) {
            out.errors.push(e);
            continue;
        }
        let mut r = RowReader::new(row, cells, &columns, &sheet.headers);
        let staff = r.read(
            "staff_number",
            Some("The staff number is missing"),
            StaffNumber::parse,
        );
        let topic = r.read("topic", Some("The topic is missing"), |v| {
            let t = squash_spaces(v);
            if t.chars().count() > MAX_TOPIC {
                Err(format!("The topic must be {MAX_TOPIC} characters or fewer"))
            } else {
                Ok(t)
            }
        });
        let done_on = r.read(
            "done_on",
            Some("The date is missing"),
            not_in_future("date", today),
        );
        let minutes = r.read("hours", Some("The time spent is missing"), parse_cpd_time);
        let kind = r.read("kind", None, parse_cpd_kind);
        let learning = r.read("learning", None, |v| Ok(v.to_string()));
        let evidence = r.read("evidence_url", None, |v| {
            if v.is_empty() {
                Ok(String::new())
            } else {
                parse_link(v)
            }
        });
        let verified = r.read("verified_by", None, parse_signed);
        let learning_blank =
            learning_mapped && r.get("learning").is_empty() && !r.reported("learning");
        let learning_header = r.header("learning");
        let mut errors = std::mem::take(&mut r.errors);
        if let (Some(staff), Some(topic), Some(on)) = (&staff, &topic, done_on) {
            let key = (staff.clone(), on, topic.to_lowercase());
            match first_use.get(&key) {
                Some(first) => errors.push(RowError {
                    row,
                    column: None,
                    reason: format!(
                        "This repeats row {first}: {staff} logging \"{topic}\" on {} is already in the file. Delete one of the two rows",
                        format_date_long(on)
                    ),
                }),
                None => {
                    first_use.insert(key, row);
                }
            }
        }
        if errors.is_empty() {
            if let (
                Some(staff_number),
                Some(topic),
                Some(done_on),
                Some(minutes),
                Some(kind),
                Some(learning),
                Some(evidence_url),
                Some(verified),
            ) = (
                staff, topic, done_on, minutes, kind, learning, evidence, verified,
            ) {
                if learning_blank {
                    out.warnings.push(RowError {
                        row,
                        column: learning_header,
                        reason: "Nothing is recorded about what was learned; the entry will be imported without it".into(),
                    });
                }
                out.records.push((
                    row,
                    CpdRow {
                        staff_number,
                        topic,
                        done_on,
                        minutes,
                        kind,
                        learning,
                        evidence_url,
                        verified_by: match verified {
                            Signed::No => None,
                            Signed::By(who) => Some(who),
                        },
                    },
                ));
            }
        }
        out.errors.extend(errors);
    }
    out.sort(&sheet.headers);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn sheet(kind: ImportKind, text: &str) -> Sheet {
        read_sheet(kind, text.as_bytes()).unwrap()
    }

    #[test]
    fn header_keys_are_plain() {
        assert_eq!(header_key(" Staff No. "), "staff_no");
        assert_eq!(header_key("Sign off Mentor"), "sign_off_mentor");
        assert_eq!(header_key("Date (completed)"), "date_completed");
        assert_eq!(header_key("\u{feff}Collar  No"), "collar_no");
        assert_eq!(header_key("Café"), "café");
        assert_eq!(header_key(" - "), "");
    }

    #[test]
    fn dates_in_every_form_a_spreadsheet_holds() {
        let d = date!(2024 - 02 - 03);
        for s in [
            "2024-02-03",
            "03/02/2024",
            "3/2/2024",
            "3/2/24",
            "03-02-2024",
            "03.02.2024",
            "3 February 2024",
            "3rd February 2024",
            "3 Feb 2024",
            "03-Feb-24",
            "Saturday 3 February 2024",
            "Sat, 3 Feb 2024",
            "February 3, 2024",
            "2024-02-03 00:00:00",
            "03/02/2024 09:30",
            "45325",
            "45325.0",
            " 03/02/2024 ",
        ] {
            assert_eq!(parse_sheet_date(s), Ok(d), "{s}");
        }
        assert_eq!(parse_sheet_date("45352"), Ok(date!(2024 - 03 - 01)));
        assert_eq!(parse_sheet_date("1 Sept 2024"), Ok(date!(2024 - 09 - 01)));
        assert!(parse_sheet_date("31/02/2024")
            .unwrap_err()
            .contains("not a real date"));
        assert!(parse_sheet_date("12").unwrap_err().contains("is a number"));
        assert!(parse_sheet_date("soon").unwrap_err().contains("not a date"));
        assert!(parse_sheet_date("3 Febtember 2024").is_err());
        assert!(parse_sheet_date("1.5").unwrap_err().contains("is a number"));
    }

    #[test]
    fn modes_from_the_words_teams_use() {
        use CompletionMode::*;
        for (s, m) in [
            ("", FaceToFace),
            ("F2F", FaceToFace),
            ("Classroom", FaceToFace),
            ("face-to-face", FaceToFace),
            ("Teams", Virtual),
            ("MS Teams", Virtual),
            ("online", Virtual),
            ("e-learning", ELearning),
            ("NCALT", ELearning),
            ("Online e-learning", ELearning),
            ("Video", Recording),
            ("watched recording", Recording),
            ("on_the_job", OnTheJob),
            ("Mentoring", Mentoring),
        ] {
            assert_eq!(parse_mode(s), Ok(m), "{s}");
        }
        assert!(parse_mode("carrier pigeon")
            .unwrap_err()
            .contains("\"carrier pigeon\" is not a way"));
    }

    #[test]
    fn sign_off_cells() {
        assert_eq!(parse_signed(""), Ok(Signed::No));
        assert_eq!(parse_signed(" No "), Ok(Signed::No));
        assert_eq!(parse_signed("n/a"), Ok(Signed::No));
        assert_eq!(parse_signed("Pending"), Ok(Signed::No));
        assert_eq!(
            parse_signed("Sgt  Jo Okafor "),
            Ok(Signed::By("Sgt Jo Okafor".into()))
        );
        assert_eq!(
            parse_signed("Yes"),
            Ok(Signed::By("Signed (Yes); no name given".into()))
        );
        assert_eq!(
            parse_signed("01/03/2024"),
            Ok(Signed::By("Signed on 1 March 2024; no name given".into()))
        );
        assert!(parse_signed("x").is_err());
    }

    #[test]
    fn cpd_time_takes_spreadsheet_decimals() {
        assert_eq!(parse_cpd_time("1.5"), Ok(90));
        assert_eq!(parse_cpd_time("0.6666666667"), Ok(40));
        assert_eq!(parse_cpd_time("90 mins"), Ok(90));
        assert!(parse_cpd_time("abc").is_err());
        assert!(parse_cpd_time("0").is_err());
        assert!(parse_cpd_time("500").is_err());
    }

    #[test]
    fn the_mapping_round_trips_as_text() {
        let mut m = Mapping::default();
        m.set(ImportKind::Training, "module", "Course").unwrap();
        m.set(ImportKind::Training, "staff_number", "Collar No")
            .unwrap();
        assert_eq!(m.encode(), "staff_number=collar_no;module=course");
        assert_eq!(
            Mapping::parse(ImportKind::Training, &m.encode()),
            Ok(m.clone())
        );
        assert!(Mapping::parse(ImportKind::Training, "topic=x").is_err());
        assert!(Mapping::parse(ImportKind::Training, "module").is_err());
        assert!(Mapping::parse(ImportKind::Training, "module=a;module=b").is_err());
        assert_eq!(
            Mapping::parse(ImportKind::Training, " ; module = Course ;")
                .unwrap()
                .encode(),
            "module=course"
        );
        m.set(ImportKind::Training, "module", "").unwrap();
        assert_eq!(m.encode(), "staff_number=collar_no");
    }

    #[test]
    fn suggestions_from_common_headers() {
        let headers: Vec<String> = [
            "Collar No",
            "Name",
            "Training",
            "Date",
            "Mentor sign off",
            "Sgt sign off",
            "Comments",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            suggest_mapping(ImportKind::Training, &headers).encode(),
            "staff_number=collar_no;module=training;completed_on=date;notes=comments;mentor_signed=mentor_sign_off;manager_signed=sgt_sign_off"
        );
        let headers: Vec<String> = ["Officer number", "Course", "Date completed", "Line manager"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            suggest_mapping(ImportKind::Training, &headers).encode(),
            "staff_number=officer_number;module=course;completed_on=date_completed;manager_signed=line_manager"
        );
        let headers: Vec<String> = [
            "Staff No.",
            "Topic",
            "Date",
            "Hours",
            "Type",
            "What I learned",
            "Evidence",
            "Verified by",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            suggest_mapping(ImportKind::Cpd, &headers).encode(),
            "staff_number=staff_no;topic=topic;done_on=date;hours=hours;kind=type;learning=what_i_learned;evidence_url=evidence;verified_by=verified_by"
        );
    }

    #[test]
    fn a_title_row_and_a_two_row_header_are_found() {
        let s = sheet(
            ImportKind::Training,
            "MASH training 2024,,,,\n\n,,,,\nCollar No,Course,Date,Sign off,\n,,,Mentor,Sgt\n4123,MASH-IND,03/02/2024,Mo,Len\n",
        );
        assert_eq!(
            s.headers,
            vec![
                "Collar No",
                "Course",
                "Date",
                "Sign off Mentor",
                "Sign off Sgt"
            ]
        );
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.rows[0].0, 6);
        assert_eq!(s.skipped_above, 1);
    }

    #[test]
    fn a_data_row_is_not_taken_for_a_second_header_row() {
        let s = sheet(
            ImportKind::Training,
            "Collar No,Course,Date,Sign off,\n4123,MASH-IND,03/02/2024,Mo,\n",
        );
        assert_eq!(
            s.headers,
            vec!["Collar No", "Course", "Date", "Sign off", ""]
        );
        assert_eq!(s.rows[0].0, 2);
    }

    #[test]
    fn no_header_is_a_file_problem() {
        let e = read_sheet(ImportKind::Cpd, b"a,b\n1,2\n").unwrap_err();
        assert!(
            e.to_string().contains("could not find the header row"),
            "{e}"
        );
        let e = read_sheet(ImportKind::Cpd, b"Staff No,Topic\n").unwrap_err();
        assert!(e.to_string().contains("no rows of CPD"), "{e}");
    }

    #[test]
    fn mapping_problems_name_the_field() {
        let s = sheet(
            ImportKind::Training,
            "Collar No,Course,Date\n1,A,03/02/2024\n",
        );
        let m = Mapping::parse(
            ImportKind::Training,
            "staff_number=collar_no;module=collar_no",
        )
        .unwrap();
        let e = resolve_mapping(ImportKind::Training, &s, &m).unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.field).collect::<Vec<_>>(),
            vec!["module", "completed_on"]
        );
        assert!(e[0].message.contains("already used for the staff number"));
        let m = Mapping::parse(
            ImportKind::Training,
            "staff_number=collar_no;module=course;completed_on=when;trainer=who",
        )
        .unwrap();
        let (fitted, notes) = m.fit(ImportKind::Training, &s.headers);
        assert_eq!(fitted.encode(), "staff_number=collar_no;module=course");
        assert_eq!(notes.len(), 2);
    }

    #[test]
    fn repeated_headers_are_numbered() {
        let s = sheet(
            ImportKind::Training,
            "Collar No,Course,Date,Date\n1,A,03/02/2024,\n",
        );
        assert_eq!(s.headers, vec!["Collar No", "Course", "Date", "Date (2)"]);
        assert_eq!(s.position("date_2"), Some(3));
    }
}
