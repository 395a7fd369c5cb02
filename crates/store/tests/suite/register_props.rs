//! Property tests of the register import, on SQLite and PostgreSQL: randomly made incident and
//! referral files with awkward values (backslashes, tabs and line breaks in narratives, quote
//! marks, padding, non-ASCII letters and emoji, the longest reference, empty and missing optional
//! columns, shuffled and extra columns, UK and ISO dates, a byte-order mark, CR, LF and CRLF
//! line ends) are imported, and
//!
//! 1. importing the same file again reports every row up to date;
//! 2. the register then holds what the file says (read back by SQL, against a model of the file
//!    made beside it, not by the reader);
//! 3. one field of one row changed reports exactly that row changed, and the register holds the
//!    new value;
//! 4. all of that holds alike for a first load into an empty register (indexes dropped and built
//!    again) and for a load beside rows already held: one (compared here on PostgreSQL, having
//!    fetched the register) or many (compared on the server only, the file being under a
//!    sixteenth of the register).
//!
//! The cases come from a fixed seed, so a run is the same every time.

use crate::common::{import_bytes, seed_people};
use mashboard_domain::register::RegisterKind;
use mashboard_store::register::RegisterReport;
use mashboard_store::Store;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

// ---------------------------------------------------------------------------------------------
// The model: each value as the register stores it, and how its cell is written

/// A date and time, in one of the forms the reader accepts; what the form leaves out is zero.
#[derive(Clone, Debug)]
struct When {
    y: i32,
    mo: u8,
    d: u8,
    h: u8,
    mi: u8,
    s: u8,
    form: u8,
}

impl When {
    fn new(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, form: u8) -> When {
        let (h, mi, s) = match form {
            0 | 3 => (0, 0, 0),
            1 | 5 => (h, mi, 0),
            _ => (h, mi, s),
        };
        When {
            y,
            mo,
            d,
            h,
            mi,
            s,
            form,
        }
    }

    fn stored(&self) -> String {
        let When {
            y, mo, d, h, mi, s, ..
        } = self;
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
    }

    fn cell(&self) -> String {
        let When {
            y, mo, d, h, mi, s, ..
        } = self;
        match self.form {
            0 => format!("{d}/{mo}/{y}"),
            1 => format!("{d:02}/{mo:02}/{y} {h:02}:{mi:02}"),
            2 => format!("{d:02}/{mo:02}/{y} {h:02}:{mi:02}:{s:02}"),
            3 => format!("{y}-{mo:02}-{d:02}"),
            4 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}"),
            5 => format!("{y}-{mo:02}-{d:02} {h}:{mi:02}"),
            _ => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.250Z"),
        }
    }
}

fn when() -> impl Strategy<Value = When> {
    (
        1900i32..=2100,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        0u8..7,
    )
        .prop_map(|(y, mo, d, h, mi, s, form)| When::new(y, mo, d, h, mi, s, form))
}

/// Flag cells: as written, the flag, and the number when one is given.
const FLAGS: &[(&str, bool, Option<i64>)] = &[
    ("Y", true, None),
    ("n", false, None),
    ("yes", true, None),
    ("No", false, None),
    ("TRUE", true, None),
    ("false", false, None),
    ("t", true, None),
    ("F", false, None),
    ("", false, None),
    ("0", false, Some(0)),
    ("1", true, Some(1)),
    ("3", true, Some(3)),
    ("000012", true, Some(12)),
    ("999999", true, Some(999_999)),
];

/// Officer cells: as written, as stored, and whether the directory knows them.
const OFFICERS: &[(&str, &str, bool)] = &[
    ("", "", false),
    ("S100", "S100", true),
    ("s100", "S100", true),
    ("S200", "S200", true),
    ("s999", "S999", false),
    ("ab-12", "AB-12", false),
];

/// Subject cells: as written, as stored.
const SUBJECTS: &[(&str, &str)] = &[
    ("child", "child"),
    ("Child", "child"),
    ("C", "child"),
    ("CYP", "child"),
    ("adult", "adult"),
    ("Adult", "adult"),
    ("A", "adult"),
    ("Vulnerable Adult", "adult"),
];

/// Characters of one-line values (with spaces other than the ASCII one, which a one-line text
/// value has squashed to one ASCII space as runs of spaces are, and separators, which put the
/// cell in quotes).
const CHARS: &[&str] = &[
    "a", "b", "Z", "7", "é", "ß", "😀", "€", "中", "e\u{301}", "\\", "\"", "'", ";", ",", "-", "/",
    "&", "<", "%", "_", "#", ".", "\u{a0}", "\u{3000}", "\u{2009}",
];

/// Whole values that text formats treat specially (`COPY`'s none and end marks, escapes).
const SPECIAL: &[&str] = &["\\N", "\\.", "\\", "NULL", "\\t", "\\n", "0", "-1", "\\\\N"];

fn word(chars: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(select(chars), 1..5).prop_map(|v| v.concat())
}

/// A one-line text value as stored: words one space apart, or a special value, or nothing.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::collection::vec(word(CHARS), 0..4).prop_map(|w| w.join(" ")),
        1 => select(SPECIAL).prop_map(str::to_string),
    ]
}

/// The part of a reference before its row number (which keeps references unique): up to 40
/// awkward characters, inner spaces kept, or so many that the reference is the longest
/// accepted (60 characters, most of them several bytes).
fn reference_stem() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop_oneof![4 => select(CHARS), 1 => Just(" ")], 0..40)
            .prop_map(|v| v.concat().trim_start().to_string()),
        1 => Just("ß😀é".repeat(20)),
        1 => select(SPECIAL).prop_map(str::to_string),
    ]
}

/// Characters of a narrative; line breaks and at most one tab are put in by [`narrative`].
const NARRATIVE_CHARS: &[&str] = &[
    "a", "q", "W", "3", "é", "ß", "😀", "\\", "\"", "\\n", "\\N", "\\r", ".", "\u{a0}", ",", ";",
];

/// A narrative as stored: lines of words, line breaks as `\n`, perhaps one tab.
fn narrative() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop::collection::vec(word(NARRATIVE_CHARS), 0..4).prop_map(|w| w.join(" ")),
            0..4,
        ),
        prop::option::of(any::<Index>()),
    )
        .prop_map(|(lines, tab)| {
            let mut s = lines.join("\n");
            if let Some(at) = tab {
                let places: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
                if !places.is_empty() {
                    s.insert(places[at.index(places.len())], '\t');
                }
            }
            s.trim().to_string()
        })
}

#[derive(Clone, Debug)]
struct Incident {
    stem: String,
    reported_at: When,
    category: String,
    area: String,
    children: usize,
    adult: usize,
    domestic: usize,
    officer: usize,
    department: String,
    style: u64,
}

#[derive(Clone, Debug)]
struct Referral {
    stem: String,
    incident_ref: String,
    submitted_at: When,
    subject: usize,
    category: String,
    grade: String,
    officer: usize,
    partner: String,
    narrative: String,
    style: u64,
}

fn incident() -> impl Strategy<Value = Incident> {
    (
        reference_stem(),
        when(),
        text(),
        text(),
        (0..FLAGS.len(), 0..FLAGS.len(), 0..FLAGS.len()),
        0..OFFICERS.len(),
        text(),
        any::<u64>(),
    )
        .prop_map(
            |(
                stem,
                reported_at,
                category,
                area,
                (children, adult, domestic),
                officer,
                department,
                style,
            )| {
                Incident {
                    stem,
                    reported_at,
                    category,
                    area,
                    children,
                    adult,
                    domestic,
                    officer,
                    department,
                    style,
                }
            },
        )
}

fn referral() -> impl Strategy<Value = Referral> {
    (
        reference_stem(),
        prop_oneof![Just(String::new()), reference_stem()],
        when(),
        0..SUBJECTS.len(),
        (text(), text(), text()),
        0..OFFICERS.len(),
        narrative(),
        any::<u64>(),
    )
        .prop_map(
            |(
                stem,
                incident_ref,
                submitted_at,
                subject,
                (category, grade, partner),
                officer,
                narrative,
                style,
            )| {
                Referral {
                    stem,
                    incident_ref: incident_ref.trim_end().to_string(),
                    submitted_at,
                    subject,
                    category,
                    grade,
                    officer,
                    partner,
                    narrative,
                    style,
                }
            },
        )
}

/// A row's reference: its stem and its number, no longer than 60 characters.
fn reference(stem: &str, i: usize) -> String {
    let n = i.to_string();
    let stem: String = stem.chars().take(60 - n.len()).collect();
    format!("{}{n}", stem.trim_end())
}

/// How a cell's value is written, which varies from cell to cell.
#[derive(Clone, Copy)]
enum Cell {
    /// Trimmed and its inner spaces squashed by the reader.
    Text,
    /// Trimmed only.
    Exact,
    /// Trimmed, its line breaks written as `\n`, `\r\n` or `\r`.
    Lines,
}

/// One column of a file: a field (by its key), or an unknown column the reader ignores.
#[derive(Clone, Debug, PartialEq)]
enum Column {
    Field(&'static str),
    Extra(u8),
}

#[derive(Clone, Debug)]
struct File<R> {
    rows: Vec<R>,
    columns: Vec<Column>,
    /// `,`, `;` or tab.
    separator: char,
    /// `\n`, `\r\n` or `\r`.
    line_end: &'static str,
    /// 0: UTF-8; 1: UTF-8 with a byte-order mark; 2 and 3: UTF-16, little- and big-endian,
    /// with one.
    encoding: u8,
    /// Header names as written: key, Title Case or UPPER CASE, padded or not.
    header_style: u64,
    /// A blank line after the first row.
    blank_line: bool,
    /// `Some((i, j))`: row `j` written with row `i`'s number in its reference.
    repeat: Option<(usize, usize)>,
}

/// The columns of a file of `kind`: the required fields, most optional ones, up to two unknown
/// columns, in shuffled order.
fn columns(kind: RegisterKind) -> impl Strategy<Value = Vec<Column>> {
    let fields = kind.fields();
    (
        prop::collection::vec(prop::bool::weighted(0.8), fields.len()),
        0u8..3,
    )
        .prop_flat_map(move |(keep, extras)| {
            let mut columns: Vec<Column> = fields
                .iter()
                .zip(keep)
                .filter(|(f, keep)| f.required || *keep)
                .map(|(f, _)| Column::Field(f.key))
                .collect();
            columns.extend((0..extras).map(Column::Extra));
            Just(columns).prop_shuffle()
        })
}

fn file<R: Clone + std::fmt::Debug>(
    kind: RegisterKind,
    row: impl Strategy<Value = R>,
    rows: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = File<R>> {
    (
        prop::collection::vec(row, rows),
        columns(kind),
        select(&[',', ';', '\t'][..]),
        select(&["\n", "\r\n", "\r"][..]),
        0u8..4,
        any::<u64>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(rows, columns, separator, line_end, encoding, header_style, blank_line)| File {
                rows,
                columns,
                separator,
                line_end,
                encoding,
                header_style,
                blank_line,
                repeat: None,
            },
        )
}

/// A few bits of a style number.
fn bits(style: u64, at: u32, n: u32) -> u64 {
    (style >> at) & ((1 << n) - 1)
}

impl<R> File<R> {
    /// One cell: `value` padded, in quotes when it holds a separator of any kind (the reader
    /// guesses the file's separator from its first rows), a quote mark or a line break, and
    /// now and then when it does not.
    fn cell(&self, value: &str, how: Cell, style: u64) -> String {
        let mut v = value.to_string();
        match how {
            Cell::Text if bits(style, 0, 1) == 1 => v = v.replacen(' ', "  ", 1),
            Cell::Lines => {
                let end = ["\n", "\r\n", "\r", "\n"][bits(style, 1, 2) as usize];
                v = v.replace('\n', end);
            }
            _ => {}
        }
        let v = format!(
            "{}{v}{}",
            " ".repeat(bits(style, 3, 2) as usize % 3),
            " ".repeat(bits(style, 5, 2) as usize % 3)
        );
        if v.contains([',', ';', '\t', '"', '\n', '\r']) || bits(style, 7, 2) == 0 {
            format!("\"{}\"", v.replace('"', "\"\""))
        } else {
            v
        }
    }

    fn header(&self) -> String {
        let names: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let key = match c {
                    Column::Field(key) => key.to_string(),
                    Column::Extra(n) => format!("zz_extra_{n}"),
                };
                let style = self.header_style >> (i * 3);
                let name = match bits(style, 0, 2) {
                    0 | 1 => key,
                    2 => key
                        .split('_')
                        .map(|w| {
                            let mut c = w.chars();
                            c.next()
                                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                                .unwrap_or_default()
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    _ => key.to_uppercase(),
                };
                if bits(style, 2, 1) == 1 {
                    format!(" {name} ")
                } else {
                    name
                }
            })
            .collect();
        names.join(&self.separator.to_string())
    }

    /// The file's bytes, each row's cells from `cells(row, number, column)`.
    fn render(&self, cells: impl Fn(&R, usize, &Column) -> String) -> Vec<u8> {
        let mut out = String::new();
        if self.encoding > 0 {
            out.push('\u{feff}');
        }
        out.push_str(&self.header());
        out.push_str(self.line_end);
        for (i, row) in self.rows.iter().enumerate() {
            let number = match self.repeat {
                Some((from, to)) if to == i => from,
                _ => i,
            };
            let line: Vec<String> = self.columns.iter().map(|c| cells(row, number, c)).collect();
            out.push_str(&line.join(&self.separator.to_string()));
            out.push_str(self.line_end);
            if i == 0 && self.blank_line {
                out.push_str(self.line_end);
            }
        }
        match self.encoding {
            2 => out.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            3 => out.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            _ => out.into_bytes(),
        }
    }

    /// What the register holds for a one-line text field: the value squashed, or nothing when
    /// the file has no column for it.
    fn text(&self, key: &str, v: &str) -> String {
        if self.has(key) {
            squashed(v)
        } else {
            String::new()
        }
    }

    /// What the register holds for a reference field: the value, or nothing when the file has
    /// no column for it.
    fn exact(&self, key: &str, v: &str) -> String {
        if self.has(key) {
            v.to_string()
        } else {
            String::new()
        }
    }

    /// The officer cell `i` of [`OFFICERS`], or none when the file has no column for it.
    fn officer(&self, i: usize) -> (&'static str, &'static str, bool) {
        if self.has("officer_staff_number") {
            OFFICERS[i]
        } else {
            OFFICERS[0]
        }
    }

    /// The row a spreadsheet shows row `i` (from 0) on.
    fn row_number(&self, i: usize) -> usize {
        i + 2 + usize::from(self.blank_line && i > 0)
    }

    fn has(&self, key: &str) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c, Column::Field(k) if *k == key))
    }
}

/// An incident as stored: reference, reported_at, category, area, children_involved,
/// adult_at_risk, domestic_abuse, officer_staff_number, linked (0 or 1), department,
/// children_involved_count.
type IncidentRow = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    i64,
    String,
    Option<i64>,
);

/// A referral as stored: reference, incident_ref, submitted_at, subject_type, category,
/// officer_grade, officer_staff_number, linked (0 or 1), partner, narrative.
type ReferralRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
);

/// What a file of rows of one kind must do: its bytes, and the register it should leave.
trait Kind: Clone + std::fmt::Debug + 'static {
    type Stored: PartialEq + std::fmt::Debug + Ord + Clone;
    const KIND: RegisterKind;
    /// The value of the cell for field `key` of a row numbered `number`, and how it is
    /// written.
    fn cell(&self, number: usize, key: &str) -> (String, Cell);
    /// What an unknown column of the row holds.
    fn extra(&self) -> (String, Cell);
    /// How the row's cells are written ([`File::cell`]).
    fn style(&self) -> u64;
    /// The part of the row's reference before its number ([`reference`]).
    fn stem_mut(&mut self) -> &mut String;
    /// What the register holds for the row numbered `number` of `file`.
    fn stored_row(&self, file: &File<Self>, number: usize) -> Self::Stored;
    fn stored(store: &Store) -> impl std::future::Future<Output = Vec<Self::Stored>>;
    /// Changes the field of `self` in `column` so that what is stored differs.
    fn change(&mut self, column: &str, to: &Change);
    /// A stored row's officer, and whether they are linked (0 or 1).
    fn officer(row: &mut Self::Stored) -> (&str, &mut i64);
    /// The header of a file unrelated to any made here, and the cells after the reference.
    const UNRELATED: (&'static str, &'static str);

    /// What the register holds for `file`, in order.
    fn expected(file: &File<Self>) -> Vec<Self::Stored> {
        let mut rows: Vec<Self::Stored> = file
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| r.stored_row(file, i))
            .collect();
        rows.sort();
        rows
    }

    /// The file's bytes.
    fn render(file: &File<Self>) -> Vec<u8> {
        file.render(|r, number, column| {
            let style = r.style().rotate_left(7 * column_number(column));
            let (value, how) = match column {
                Column::Extra(_) => r.extra(),
                Column::Field(key) => r.cell(number, key),
            };
            file.cell(&value, how, style)
        })
    }

    /// Links the rows whose officer is `sn` (as the register would once `sn` joined the
    /// directory); how many.
    fn link(rows: &mut [Self::Stored], sn: &str) -> u64 {
        let mut n = 0;
        for r in rows.iter_mut() {
            let (officer, linked) = Self::officer(r);
            if officer == sn {
                *linked = 1;
                n += 1;
            }
        }
        n
    }

    /// A file of `n` rows unrelated to any made here.
    fn unrelated(n: usize) -> String {
        let (header, cells) = Self::UNRELATED;
        let mut text = format!("{header}\n");
        for i in 0..n {
            text.push_str(&format!("UNRELATED-{i},{cells}\n"));
        }
        text
    }
}

/// Candidate new values for a changed field ([`Kind::change`]).
#[derive(Clone, Debug)]
struct Change {
    row: Index,
    column: Index,
    text: String,
    when: When,
    pick: Index,
    narrative: String,
    how: u8,
}

fn change() -> impl Strategy<Value = Change> {
    (
        any::<Index>(),
        any::<Index>(),
        text(),
        when(),
        any::<Index>(),
        narrative(),
        0u8..4,
    )
        .prop_map(|(row, column, text, when, pick, narrative, how)| Change {
            row,
            column,
            text,
            when,
            pick,
            narrative,
            how,
        })
}

/// `old` changed in one of the ways a comparison that is not byte for byte would miss: its
/// case, an accent written as a combining mark, a backslash added; or replaced by `to.text`.
fn changed_text(old: &str, to: &Change) -> String {
    let new = match to.how {
        0 => old.to_uppercase(),
        1 => old.replacen('é', "e\u{301}", 1),
        2 => format!("{old}\\"),
        _ => to.text.clone(),
    };
    if squashed(&new) == squashed(old) {
        format!("{old}x")
    } else {
        new
    }
}

/// A one-line text value as stored: trimmed, each run of spaces (of any kind) one space.
fn squashed(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `old` replaced by `new`, or by `old` with an `x` added when they are the same.
fn other_text(old: &str, new: &str) -> String {
    if old == new {
        format!("{old}x")
    } else {
        new.to_string()
    }
}

/// `old` replaced by `new`, or moved on a day when they are stored the same.
fn other_when(old: &When, new: &When) -> When {
    let mut new = new.clone();
    if new.stored() == old.stored() {
        new.d = old.d % 28 + 1;
    }
    new
}

/// An index into `table` other than `old` whose `key` differs, starting from `pick`.
fn other<T, K: PartialEq>(table: &[T], old: usize, pick: &Index, key: impl Fn(&T) -> K) -> usize {
    let start = pick.index(table.len());
    (0..table.len())
        .map(|i| (start + i) % table.len())
        .find(|&i| key(&table[i]) != key(&table[old]))
        .expect("a different value")
}

/// A narrative changed in one of the ways an escaping slip would miss: a line break for the
/// two characters `\n`, a backslash doubled, a tab added, or another narrative.
fn other_narrative(old: &str, to: &Change) -> String {
    let new = match to.how {
        0 if old.contains('\n') => old.replacen('\n', "\\n", 1),
        1 if old.contains('\\') => old.replacen('\\', "\\\\", 1),
        2 => format!("{old}\tz"),
        _ => to.narrative.clone(),
    };
    other_text(old, &new)
}

impl Kind for Incident {
    type Stored = IncidentRow;
    const KIND: RegisterKind = RegisterKind::Incidents;

    fn cell(&self, number: usize, key: &str) -> (String, Cell) {
        let r = self;
        match key {
            "incident_ref" => (reference(&r.stem, number), Cell::Exact),
            "reported_at" => (r.reported_at.cell(), Cell::Exact),
            "category" => (r.category.clone(), Cell::Text),
            "area" => (r.area.clone(), Cell::Text),
            "children_involved" => (FLAGS[r.children].0.into(), Cell::Exact),
            "adult_at_risk" => (FLAGS[r.adult].0.into(), Cell::Exact),
            "domestic_abuse" => (FLAGS[r.domestic].0.into(), Cell::Exact),
            "officer_staff_number" => (OFFICERS[r.officer].0.into(), Cell::Exact),
            "department" => (r.department.clone(), Cell::Text),
            other => unreachable!("{other}"),
        }
    }

    fn extra(&self) -> (String, Cell) {
        (self.department.clone(), Cell::Exact)
    }

    fn style(&self) -> u64 {
        self.style
    }

    fn stem_mut(&mut self) -> &mut String {
        &mut self.stem
    }

    fn stored_row(&self, file: &File<Self>, i: usize) -> IncidentRow {
        let r = self;
        let text = |key: &str, v: &str| file.text(key, v);
        let flag = |key: &str, i: usize| if file.has(key) { FLAGS[i] } else { FLAGS[8] };
        let officer = file.officer(r.officer);
        let children = flag("children_involved", r.children);
        (
            reference(&r.stem, i),
            r.reported_at.stored(),
            text("category", &r.category),
            text("area", &r.area),
            i64::from(children.1),
            i64::from(flag("adult_at_risk", r.adult).1),
            i64::from(flag("domestic_abuse", r.domestic).1),
            officer.1.to_string(),
            i64::from(officer.2),
            text("department", &r.department),
            children.2,
        )
    }

    async fn stored(store: &Store) -> Vec<IncidentRow> {
        let mut rows: Vec<IncidentRow> = sqlx::query_as(
            "SELECT incident_ref, reported_at, category, area, children_involved, adult_at_risk,
                    domestic_abuse, officer_staff_number,
                    CAST(CASE WHEN officer_person_id IS NULL THEN 0 ELSE 1 END AS BIGINT),
                    department, children_involved_count
             FROM incidents",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        rows.sort();
        rows
    }

    fn change(&mut self, column: &str, to: &Change) {
        match column {
            "reported_at" => self.reported_at = other_when(&self.reported_at, &to.when),
            "category" => self.category = changed_text(&self.category, to),
            "area" => self.area = changed_text(&self.area, to),
            "department" => self.department = changed_text(&self.department, to),
            "children_involved" => {
                self.children = other(FLAGS, self.children, &to.pick, |f| (f.1, f.2))
            }
            "adult_at_risk" => self.adult = other(FLAGS, self.adult, &to.pick, |f| f.1),
            "domestic_abuse" => self.domestic = other(FLAGS, self.domestic, &to.pick, |f| f.1),
            "officer_staff_number" => {
                self.officer = other(OFFICERS, self.officer, &to.pick, |o| o.1)
            }
            other => unreachable!("{other}"),
        }
    }

    fn officer(row: &mut IncidentRow) -> (&str, &mut i64) {
        (&row.7, &mut row.8)
    }

    const UNRELATED: (&'static str, &'static str) =
        ("incident_ref,reported_at,category", "2020-02-02,Other");
}

impl Kind for Referral {
    type Stored = ReferralRow;
    const KIND: RegisterKind = RegisterKind::Referrals;

    fn cell(&self, number: usize, key: &str) -> (String, Cell) {
        let r = self;
        match key {
            "referral_ref" => (reference(&r.stem, number), Cell::Exact),
            "incident_ref" => (r.incident_ref.clone(), Cell::Exact),
            "submitted_at" => (r.submitted_at.cell(), Cell::Exact),
            "subject_type" => (SUBJECTS[r.subject].0.into(), Cell::Exact),
            "category" => (r.category.clone(), Cell::Text),
            "officer_grade" => (r.grade.clone(), Cell::Text),
            "officer_staff_number" => (OFFICERS[r.officer].0.into(), Cell::Exact),
            "partner" => (r.partner.clone(), Cell::Text),
            "narrative" => (r.narrative.clone(), Cell::Lines),
            other => unreachable!("{other}"),
        }
    }

    fn extra(&self) -> (String, Cell) {
        (self.narrative.clone(), Cell::Lines)
    }

    fn style(&self) -> u64 {
        self.style
    }

    fn stem_mut(&mut self) -> &mut String {
        &mut self.stem
    }

    fn stored_row(&self, file: &File<Self>, i: usize) -> ReferralRow {
        let r = self;
        let text = |key: &str, v: &str| file.text(key, v);
        let officer = file.officer(r.officer);
        (
            reference(&r.stem, i),
            file.exact("incident_ref", &r.incident_ref),
            r.submitted_at.stored(),
            SUBJECTS[r.subject].1.to_string(),
            text("category", &r.category),
            text("officer_grade", &r.grade),
            officer.1.to_string(),
            i64::from(officer.2),
            text("partner", &r.partner),
            if file.has("narrative") {
                r.narrative.clone()
            } else {
                String::new()
            },
        )
    }

    async fn stored(store: &Store) -> Vec<ReferralRow> {
        let mut rows: Vec<ReferralRow> = sqlx::query_as(
            "SELECT referral_ref, incident_ref, submitted_at, subject_type, category, officer_grade,
                    officer_staff_number,
                    CAST(CASE WHEN officer_person_id IS NULL THEN 0 ELSE 1 END AS BIGINT),
                    partner, narrative
             FROM referrals",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        rows.sort();
        rows
    }

    fn change(&mut self, column: &str, to: &Change) {
        match column {
            "incident_ref" => {
                self.incident_ref = other_text(&self.incident_ref, to.text.trim());
            }
            "submitted_at" => self.submitted_at = other_when(&self.submitted_at, &to.when),
            "subject_type" => self.subject = other(SUBJECTS, self.subject, &to.pick, |s| s.1),
            "category" => self.category = changed_text(&self.category, to),
            "officer_grade" => self.grade = changed_text(&self.grade, to),
            "partner" => self.partner = changed_text(&self.partner, to),
            "narrative" => self.narrative = other_narrative(&self.narrative, to),
            "officer_staff_number" => {
                self.officer = other(OFFICERS, self.officer, &to.pick, |o| o.1)
            }
            other => unreachable!("{other}"),
        }
    }

    fn officer(row: &mut ReferralRow) -> (&str, &mut i64) {
        (&row.6, &mut row.7)
    }

    const UNRELATED: (&'static str, &'static str) =
        ("referral_ref,submitted_at,subject_type", "2020-02-02,child");
}

/// A number for each column, to vary the style of a row's cells.
fn column_number(column: &Column) -> u32 {
    match column {
        Column::Field(key) => key.bytes().map(u32::from).sum(),
        Column::Extra(n) => u32::from(*n) + 1,
    }
}

// ---------------------------------------------------------------------------------------------
// Running a case

/// The officers the files name that the directory knows (S100, S200).
async fn officers(store: &Store) {
    join_directory(store, &["S100", "S200"]).await;
}

async fn join_directory(store: &Store, staff_numbers: &[&str]) {
    let people: Vec<(&str, String)> = staff_numbers
        .iter()
        .map(|sn| (*sn, format!("Officer {sn}")))
        .collect();
    let people: Vec<(&str, &str)> = people.iter().map(|(sn, n)| (*sn, n.as_str())).collect();
    seed_people(store, &people).await;
}

/// (created, updated, unchanged), after checking that nothing was refused.
fn counts(report: &RegisterReport, bytes: &[u8]) -> Result<(u64, u64, u64), TestCaseError> {
    prop_assert!(
        !report.rejected(),
        "refused: {:?}\nfile: {:?}",
        report.errors,
        String::from_utf8_lossy(bytes)
    );
    Ok((report.created, report.updated, report.unchanged))
}

/// Files of at most this many rows are imported as a dry run first (see [`import_as`]).
const DRY_RUN_ROWS: u64 = 100;

/// Imports `bytes` as a dry run (a small file), which must report `want` (created, updated,
/// unchanged) and leave the register as it was, then for real, which must report the same.
async fn import_as<K: Kind>(
    store: &Store,
    bytes: &[u8],
    want: (u64, u64, u64),
    what: &str,
) -> Result<RegisterReport, TestCaseError> {
    if want.0 + want.1 + want.2 <= DRY_RUN_ROWS {
        let before = K::stored(store).await;
        let dry = import_bytes(store, K::KIND, bytes, true).await;
        prop_assert_eq!(counts(&dry, bytes)?, want, "{} (dry run)", what);
        prop_assert!(
            K::stored(store).await == before,
            "{}: a dry run wrote",
            what
        );
    }
    let report = import_bytes(store, K::KIND, bytes, false).await;
    prop_assert_eq!(counts(&report, bytes)?, want, "{}", what);
    Ok(report)
}

/// What the register holds but the rows `held` before the file.
async fn stored_beside<K: Kind>(store: &Store, held: &[K::Stored]) -> Vec<K::Stored> {
    K::stored(store)
        .await
        .into_iter()
        .filter(|r| !held.contains(r))
        .collect()
}

/// The whole property on one store, whose register holds `unrelated` rows first.
async fn check_on<K: Kind>(
    label: &str,
    store: &Store,
    unrelated: usize,
    file: &File<K>,
    to: &Change,
) -> Result<Vec<K::Stored>, TestCaseError> {
    officers(store).await;
    let held = if unrelated > 0 {
        let report = import_bytes(store, K::KIND, K::unrelated(unrelated).as_bytes(), false).await;
        prop_assert_eq!(counts(&report, b"")?, (unrelated as u64, 0, 0));
        K::stored(store).await
    } else {
        Vec::new()
    };
    let n = file.rows.len() as u64;
    let bytes = K::render(file);
    let first = import_as::<K>(store, &bytes, (n, 0, 0), &format!("{label}: first")).await?;
    prop_assert_eq!(first.rows_read as u64, n);
    let expected = K::expected(file);
    prop_assert_eq!(
        &stored_beside::<K>(store, &held).await,
        &expected,
        "{} first",
        label
    );

    import_as::<K>(store, &bytes, (0, 0, n), &format!("{label}: again")).await?;
    prop_assert_eq!(
        &stored_beside::<K>(store, &held).await,
        &expected,
        "{} again",
        label
    );

    // One field of one row changed.
    let fields: Vec<&str> = file
        .columns
        .iter()
        .filter_map(|c| match c {
            Column::Field(key) if *key != K::KIND.fields()[0].key => Some(*key),
            _ => None,
        })
        .collect();
    let mut changed = file.clone();
    let column = fields[to.column.index(fields.len())];
    // In a large file, one of its last rows: past the first batches (on PostgreSQL, compared
    // here with the register fetched while the first batch was compared).
    let len = file.rows.len();
    let row = if n > DRY_RUN_ROWS {
        len - 1 - to.row.index(len.min(150))
    } else {
        to.row.index(len)
    };
    changed.rows[row].change(column, to);
    let bytes = K::render(&changed);
    let what = format!("{label}: {column} changed in row {row}");
    import_as::<K>(store, &bytes, (0, 1, n - 1), &what).await?;
    let mut expected = K::expected(&changed);
    prop_assert_eq!(
        &stored_beside::<K>(store, &held).await,
        &expected,
        "{} changed",
        label
    );

    // An officer the directory did not know joins it: the same file again links their rows,
    // and only theirs are changed.
    join_directory(store, &["S999"]).await;
    let linked = K::link(&mut expected, "S999");
    let what = format!("{label}: S999 in the directory");
    import_as::<K>(store, &bytes, (0, linked, n - linked), &what).await?;
    prop_assert_eq!(
        &stored_beside::<K>(store, &held).await,
        &expected,
        "{} linked",
        label
    );
    Ok(expected)
}

/// Properties 1–4 for one file: on each database, into an empty register and into one that
/// holds `unrelated` rows already; the same register at the end every way.
async fn check<K: Kind>(file: File<K>, to: Change, unrelated: usize) -> Result<(), TestCaseError> {
    let mut results = Vec::new();
    for held in [0, unrelated] {
        let (_dir, dbs) = mashboard_store::testing::both_databases().await;
        for (label, url) in dbs {
            let store = Store::open(&url).await.unwrap();
            let label = format!("{label}, {held} rows held before");
            let result = check_on(&label, &store, held, &file, &to).await;
            store.close().await;
            results.push(result?);
        }
    }
    for r in &results[1..] {
        prop_assert_eq!(r, &results[0]);
    }
    Ok(())
}

/// Runs `cases` cases of `strategy` through `body`, with a fixed seed (the same cases every
/// run), shrinking a failing case.
fn run_cases<S: Strategy, F: std::future::Future<Output = Result<(), TestCaseError>>>(
    strategy: S,
    cases: u32,
    body: impl Fn(S::Value) -> F,
) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = Config {
        cases,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    if let Err(e) = runner.run(&strategy, |value| runtime.block_on(body(value))) {
        panic!("{e}");
    }
}

/// Runs `cases` cases of files of `rows` rows.
fn run<K: Kind>(
    row: impl Strategy<Value = K>,
    rows: std::ops::RangeInclusive<usize>,
    cases: u32,
    unrelated: impl Strategy<Value = usize>,
) {
    let strategy = (file(K::KIND, row, rows), change(), unrelated);
    run_cases(strategy, cases, |(file, to, unrelated)| {
        check::<K>(file, to, unrelated)
    });
}

/// Enough rows held beforehand that a file of at most 40 rows is under a sixteenth of the
/// register (compared on the server only, on PostgreSQL), or just one.
fn held_before() -> impl Strategy<Value = usize> {
    prop_oneof![Just(1usize), Just(700usize)]
}

#[test]
fn incident_files_import_again_unchanged_and_one_change_is_one_row() {
    run::<Incident>(incident(), 1..=40, 8, held_before());
}

#[test]
fn referral_files_import_again_unchanged_and_one_change_is_one_row() {
    run::<Referral>(referral(), 1..=40, 8, held_before());
}

/// Files of several batches (5,000 rows a `COPY` on PostgreSQL, 1,000 an upsert on SQLite).
#[test]
fn large_incident_and_referral_files_keep_the_properties_across_batches() {
    run::<Incident>(incident(), 5_200..=5_200, 1, Just(1usize));
    run::<Referral>(referral(), 5_200..=5_200, 1, Just(1usize));
}

/// A file that gives one reference twice is refused, with the same problem on both databases
/// (PostgreSQL: the reader remembers the keys met; SQLite: a temporary table does), and nothing
/// of it is written.
async fn check_repeat<K: Kind>(
    mut file: File<K>,
    pick: (Index, Index),
) -> Result<(), TestCaseError> {
    let n = file.rows.len();
    let (a, b) = (pick.0.index(n), pick.1.index(n));
    let (from, to) = (a.min(b), a.max(b));
    prop_assume!(from < to);
    let stem = file.rows[from].stem_mut().clone();
    *file.rows[to].stem_mut() = stem;
    file.repeat = Some((from, to));
    let bytes = K::render(&file);
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    let mut seen = Vec::new();
    for (label, url) in dbs {
        let store = Store::open(&url).await.unwrap();
        officers(&store).await;
        let report = import_bytes(&store, K::KIND, &bytes, false).await;
        let held = K::stored(&store).await;
        store.close().await;
        prop_assert!(report.rejected(), "{}: not refused", label);
        prop_assert!(held.is_empty(), "{}: written", label);
        let errors: Vec<_> = report
            .errors
            .iter()
            .map(|e| (e.row, e.column.clone(), e.reason.clone()))
            .collect();
        prop_assert_eq!(errors.len(), 1, "{}: {:?}", label, errors);
        prop_assert_eq!(errors[0].0, file.row_number(to), "{}", label);
        prop_assert_eq!(
            errors[0].1.as_deref(),
            Some(K::KIND.fields()[0].key),
            "{}",
            label
        );
        let also = format!("also on row {};", file.row_number(from));
        prop_assert!(errors[0].2.contains(&also), "{}: {}", label, errors[0].2);
        seen.push(errors);
    }
    prop_assert_eq!(&seen[0], &seen[1]);
    Ok(())
}

fn run_repeats<K: Kind>(row: impl Strategy<Value = K>, cases: u32) {
    let strategy = (file(K::KIND, row, 2..=30), any::<(Index, Index)>());
    run_cases(strategy, cases, |(file, pick)| {
        check_repeat::<K>(file, pick)
    });
}

#[test]
fn a_reference_given_twice_is_refused_alike_on_both_databases() {
    run_repeats::<Incident>(incident(), 5);
    run_repeats::<Referral>(referral(), 5);
}
