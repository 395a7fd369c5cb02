//! Reading an HR export of people: a CSV file (any of the encodings Excel saves) or the first
//! sheet of an `.xlsx` workbook.
//!
//! Two layers:
//!
//! * [`read_table`] turns the bytes into a [`Table`]: a header row and the data rows, all as text,
//!   each row with the number a user sees in Excel.
//! * [`parse_people`] checks that table against [`PEOPLE_COLUMNS`] and turns each row into a
//!   [`PersonInput`] through [`PersonDraft::validate`], collecting every problem as a [`RowError`].
//!
//! ## Row numbers
//!
//! A row number is the row Excel shows when the file is opened in it. For the usual file whose
//! header is on the first line, the header is row 1 and the first person is row 2. Blank lines
//! count (Excel shows them as blank rows) but are otherwise skipped silently; a quoted cell that
//! spans several lines is still one row. In a workbook, the number is the sheet's own row number.
//!
//! Nothing here reads files or talks to a database: the caller hands over the bytes.

use calamine::{Data, Reader, Xlsx};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Cursor;

mod history;
pub mod mapping;
mod people;

pub use history::{parse_history, HistoryFile, HistoryKind, Period};

pub use people::{
    check_people_header, parse_people, parse_people_mapped, People, PeopleFile, PEOPLE_COLUMNS,
    PEOPLE_FIELDS, REQUIRED_PEOPLE_COLUMNS,
};

/// The most data rows one file may hold.
pub const MAX_ROWS: usize = 50_000;

/// The longest line (bytes between line breaks) a CSV may have. No row of any file we import
/// comes near it; a longer one is the wrong file (or a file with no line breaks), refused before
/// it is held in memory several times over.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The refusal of a line longer than [`MAX_LINE_BYTES`].
pub fn long_line_message(line: usize) -> String {
    format!(
        "Line {} of the file is longer than {} MB without a line break, which no row of a spreadsheet of records needs. Check that this is the right file, save it again as CSV ('CSV UTF-8'), and try again.",
        thousands(line),
        MAX_LINE_BYTES / (1024 * 1024)
    )
}

/// The first line of `text` longer than [`MAX_LINE_BYTES`], as a refusal.
pub fn check_line_lengths(text: &str) -> Result<(), FileProblem> {
    // Old Mac files end their lines with a bare CR.
    let end = if text.contains('\n') { '\n' } else { '\r' };
    for (line, part) in (1..).zip(text.split(end)) {
        if part.len() > MAX_LINE_BYTES {
            return Err(FileProblem::Unreadable(long_line_message(line)));
        }
    }
    Ok(())
}

/// The longest cell we accept, in characters.
pub const MAX_CELL_CHARS: usize = 1_000;

/// A problem with one row (row number as the user sees it in the file: header = row 1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: usize,
    /// The column's machine name (one of [`PEOPLE_COLUMNS`]), or `None` for the whole row.
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(column) => write!(f, "Row {}, column {}: {}", self.row, column, self.reason),
            None => write!(f, "Row {}: {}", self.row, self.reason),
        }
    }
}

/// A problem with the whole file, worded for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("The file is empty: it has no rows of people under the header. Add one row per person under the header row and try again.")]
    Empty,
    #[error("This file is not a CSV or XLSX spreadsheet. Save it from Excel as 'CSV UTF-8' or 'Excel Workbook (.xlsx)' and try again.")]
    NotText,
    /// The sentence to show is the payload.
    #[error("{0}")]
    Unreadable(String),
    #[error("{}", missing_columns_message(.0))]
    MissingColumns(Vec<String>),
    #[error("{}", duplicate_columns_message(.0))]
    DuplicateColumns(Vec<String>),
    #[error("The file has {} rows of people, but at most {} can be imported at once. Split it into smaller files and import them one at a time.", thousands(*.0), thousands(MAX_ROWS))]
    TooManyRows(usize),
}

fn missing_columns_message(missing: &[String]) -> String {
    let (noun, verb) = if missing.len() == 1 {
        ("this column", "it")
    } else {
        ("these columns", "them")
    };
    format!(
        "The file is missing {noun}: {}. Add {verb} to the first row, which must be the header: {} (an email column may be added too)",
        missing.join(", "),
        PEOPLE_COLUMNS[..REQUIRED_PEOPLE_COLUMNS].join(",")
    )
}

fn duplicate_columns_message(duplicated: &[String]) -> String {
    let noun = if duplicated.len() == 1 {
        "This column appears"
    } else {
        "These columns appear"
    };
    format!(
        "{noun} more than once in the header: {}. Delete the extra copies so that each column appears once, then try again.",
        duplicated.join(", ")
    )
}

/// `50000` -> `50,000`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect();
    groups.join(",")
}

/// A generic table read from a CSV or the first sheet of an XLSX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The header cells as written (trimmed, byte-order mark removed), not yet normalised.
    pub headers: Vec<String>,
    /// Data rows with their row numbers (see the module docs); blank rows are left out. A CSV
    /// row may have more or fewer cells than `headers`; a workbook row always has as many.
    pub rows: Vec<(usize, Vec<String>)>,
    /// How the file was read: "UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1252" or "XLSX".
    pub encoding: &'static str,
}

/// Reads a CSV (comma, semicolon or tab separated) or the first sheet of an XLSX workbook.
///
/// Fails with [`FileProblem::Empty`] when there is no header row, and with
/// [`FileProblem::TooManyRows`] when there are more than [`MAX_ROWS`] data rows. A table with a
/// header and no data rows is returned as is.
pub fn read_table(bytes: &[u8]) -> Result<Table, FileProblem> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = b"\xD0\xCF\x11\xE0";
    if bytes.starts_with(ZIP) {
        read_xlsx(bytes)
    } else if bytes.starts_with(OLE) {
        // Old .xls workbooks, and password-protected .xlsx ones, are OLE compound files.
        Err(FileProblem::Unreadable(
            "This is an old-style Excel file (.xls) or a password-protected workbook, which we cannot read. \
             Remove any password, save it as .xlsx ('Excel Workbook') or CSV ('CSV UTF-8'), and try again."
                .into(),
        ))
    } else {
        let (text, encoding) = decode_text(bytes)?;
        check_line_lengths(&text)?;
        read_csv(&text, encoding)
    }
}

/// Turns the bytes of a CSV into text, naming the encoding found.
fn decode_text(bytes: &[u8]) -> Result<(String, &'static str), FileProblem> {
    let (text, label) = match encoding_rs::Encoding::for_bom(bytes) {
        Some((encoding, bom_len)) => {
            let label = if encoding == encoding_rs::UTF_8 {
                "UTF-8 with BOM"
            } else {
                "UTF-16"
            };
            let text = encoding
                .decode_without_bom_handling_and_without_replacement(&bytes[bom_len..])
                .ok_or(FileProblem::NotText)?;
            (text.into_owned(), label)
        }
        None => match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), "UTF-8"),
            Err(_) => {
                // Windows-1252 maps almost every byte to a character, so it is only a sensible
                // guess for bytes that look like text; the control check below decides that.
                let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
                (text.into_owned(), "Windows-1252")
            }
        },
    };
    // A NUL never appears in text: this is binary data, or text in an encoding we cannot name
    // (UTF-16 without a byte-order mark, for instance). A guess at Windows-1252 must also be
    // free of every other control character bar tab and line breaks; in text that is surely
    // UTF-8, a stray control character is left for the row checks to point at.
    let allowed = |c: char| !c.is_control() || matches!(c, '\t' | '\r' | '\n');
    let looks_binary = if label == "Windows-1252" {
        !text.chars().all(allowed)
    } else {
        text.contains('\0')
    };
    if looks_binary {
        return Err(FileProblem::NotText);
    }
    Ok((text, label))
}

/// Picks the separator from the first ten rows that are not blank: the one that splits the most
/// of them into the same number of cells (so a title line above the header, "Initial training
/// record", or a row with commas in a semicolon file's text does not decide). On a tie, the
/// header line decides: a comma unless semicolons or tabs clearly outnumber commas there, the
/// header taken to be the row with the most separators. A row is read as CSV reads it: a quoted cell (one whose first character is a
/// quote mark) may hold separators and line breaks, which do not count, so the second line of a
/// quoted narrative ("Mother, father, uncle, …") in a semicolon-separated file is not taken for
/// a row of commas. A quote mark later in a cell (a title such as `Officer's "notes`) quotes
/// nothing, as in CSV.
pub(crate) fn detect_delimiter(text: &str) -> u8 {
    // (commas, semicolons, tabs) of each row that is not blank, up to ten.
    let mut rows: Vec<(usize, usize, usize)> = Vec::new();
    let mut row = (0usize, 0usize, 0usize);
    let (mut blank, mut quoted, mut cell_start) = (true, false, true);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' && chars.next_if_eq(&'"').is_none() {
                quoted = false;
            }
            continue;
        }
        let separator = matches!(c, ',' | ';' | '\t');
        match c {
            ',' => row.0 += 1,
            ';' => row.1 += 1,
            '\t' => row.2 += 1,
            '"' if cell_start => quoted = true,
            '\n' | '\r' => {
                if !blank {
                    rows.push(row);
                    if rows.len() == 10 {
                        break;
                    }
                }
                (row, blank, cell_start) = ((0, 0, 0), true, true);
                continue;
            }
            _ => {}
        }
        blank &= c.is_whitespace() && !separator;
        cell_start = separator;
    }
    if !blank && rows.len() < 10 {
        rows.push(row);
    }
    // The separator that splits the most rows alike: for each, the number of rows holding its
    // most common (non-zero) count, then that count. A row's unquoted commas in a semicolon
    // file (as Excel writes them in some locales) then do not decide, however many.
    let agreement = |count: fn(&(usize, usize, usize)) -> usize| {
        let mut counts: Vec<usize> = rows.iter().map(count).filter(|&n| n > 0).collect();
        counts.sort_unstable();
        let mut best = (0, 0);
        for run in counts.chunk_by(|a, b| a == b) {
            best = best.max((run.len(), run[0]));
        }
        best
    };
    let by_agreement = [
        (agreement(|r| r.0), b','),
        (agreement(|r| r.1), b';'),
        (agreement(|r| r.2), b'\t'),
    ];
    let top = by_agreement.iter().map(|(a, _)| *a).max().unwrap_or((0, 0));
    let agreed: Vec<u8> = by_agreement
        .iter()
        .filter(|(a, _)| *a == top)
        .map(|(_, sep)| *sep)
        .collect();
    if let [only] = agreed[..] {
        return only;
    }
    // A tie: the header decides, taken to be the row with the most separators.
    let (commas, semicolons, tabs) = rows.into_iter().fold((0, 0, 0), |best, c| {
        if c.0 + c.1 + c.2 > best.0 + best.1 + best.2 {
            c
        } else {
            best
        }
    });
    if tabs > commas && tabs >= semicolons {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// Collects the header and the data rows, counting but not keeping rows past [`MAX_ROWS`].
struct TableBuilder {
    headers: Option<Vec<String>>,
    rows: Vec<(usize, Vec<String>)>,
    data_rows: usize,
}

impl TableBuilder {
    fn new() -> Self {
        TableBuilder {
            headers: None,
            rows: Vec::new(),
            data_rows: 0,
        }
    }

    fn push(&mut self, row: usize, cells: Vec<String>) {
        if is_blank(&cells) {
            return;
        }
        if self.headers.is_none() {
            let headers = cells
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
                .collect();
            self.headers = Some(headers);
            return;
        }
        self.data_rows += 1;
        if self.data_rows <= MAX_ROWS {
            self.rows.push((row, cells));
        }
    }

    fn finish(self, encoding: &'static str) -> Result<Table, FileProblem> {
        let headers = self.headers.ok_or(FileProblem::Empty)?;
        if self.data_rows > MAX_ROWS {
            return Err(FileProblem::TooManyRows(self.data_rows));
        }
        Ok(Table {
            headers,
            rows: self.rows,
            encoding,
        })
    }
}

fn read_csv(text: &str, encoding: &'static str) -> Result<Table, FileProblem> {
    // Files saved with old Mac line endings (a bare CR) would otherwise be read as one line.
    let text: std::borrow::Cow<'_, str> = if text.contains('\r') && !text.contains('\n') {
        text.replace('\r', "\n").into()
    } else {
        text.into()
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(&text))
        .from_reader(text.as_bytes());
    let mut builder = TableBuilder::new();
    // Excel starts a new row at every line break, except those inside a quoted cell. The csv
    // crate gives where each record's input starts (before any blank lines it skips), so the
    // blank lines are stepped over here and the line feeds before the record counted.
    let bytes = text.as_bytes();
    let mut scanned = 0usize;
    let mut breaks = 0usize;
    let mut breaks_inside_cells = 0usize;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(FileProblem::Unreadable(format!(
                    "We could not read this CSV file ({e}). Open it in Excel, save it as 'CSV UTF-8', and try again."
                )))
            }
        }
        let mut start = record
            .position()
            .map_or(scanned, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .clamp(scanned, bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        breaks += line_breaks(&bytes[scanned..start]);
        scanned = start;
        let row = (1 + breaks).saturating_sub(breaks_inside_cells);
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        breaks_inside_cells += cells
            .iter()
            .map(|c| line_breaks(c.as_bytes()))
            .sum::<usize>();
        builder.push(row, cells);
    }
    builder.finish(encoding)
}

/// The line breaks in `bytes` as a spreadsheet counts them: CRLF, a lone LF and a lone CR (old
/// Mac files, which may still hold a quoted LF in a cell) each start a new row.
fn line_breaks(bytes: &[u8]) -> usize {
    let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
    bytes.iter().filter(|&&b| b == b'\r' || b == b'\n').count() - crlf
}

/// The most a workbook's parts may unpack to (a 20 MB upload of ordinary spreadsheet XML
/// unpacks to well under this; a "zip bomb" of a few megabytes that unpacks to gigabytes does
/// not get read at all).
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// Checks what a workbook says its parts unpack to, from its directory alone, before anything
/// is unpacked.
fn check_unpacked_size(bytes: &[u8]) -> Result<(), FileProblem> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        // Not a readable zip: calamine says so in its own words below.
        return Ok(());
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let Ok(part) = archive.by_index_raw(i) else {
            return Ok(());
        };
        total = total.saturating_add(part.size());
        if total > MAX_UNPACKED_BYTES {
            return Err(FileProblem::Unreadable(format!(
                "This workbook unpacks to more than {} MB, which is more than a spreadsheet of records needs. \
                 Save the sheet you want as CSV ('CSV UTF-8'), or split the workbook, and try again.",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

/// The widest sheet we read: columns from the first one used to the last. No export of records
/// comes near it (a people file has 11); a cell far out to the right is a stray.
pub const MAX_COLUMNS: u32 = 256;

/// The most cells (rows that hold something × columns from the first used to the last) a
/// sheet may hold when read; every row is as wide as the widest.
pub const MAX_SHEET_CELLS: usize = 4_000_000;

fn read_xlsx(bytes: &[u8]) -> Result<Table, FileProblem> {
    check_unpacked_size(bytes)?;
    let unreadable = || {
        FileProblem::Unreadable(
            "We could not read this Excel workbook: it may be damaged, or be a different kind of file. \
             Open it in Excel, save it again as .xlsx ('Excel Workbook') or CSV ('CSV UTF-8'), and try again."
                .into(),
        )
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Err(FileProblem::Empty);
    };
    let mut reader = match workbook.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        // A chart sheet first: nothing to read, as calamine's own range would say.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Err(FileProblem::Empty),
        Err(_) => return Err(unreadable()),
    };
    // The cells that hold something, by row, as they are read: never the empty cells between
    // them, which a sheet with one cell at XFD1048576 would make 17 billion of. Rows past what
    // an import may hold are counted, not kept.
    let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    let (mut first_col, mut last_col) = (u32::MAX, 0u32);
    let mut rows_not_kept = 0usize;
    let mut last_not_kept = None;
    while let Some(cell) = reader.next_cell().map_err(|_| unreadable())? {
        let value = cell.get_value();
        if matches!(value, calamine::DataRef::Empty) {
            continue;
        }
        let text = cell_text(&Data::from(value.clone()));
        if text.is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        first_col = first_col.min(col);
        last_col = last_col.max(col);
        if last_col - first_col >= MAX_COLUMNS {
            return Err(too_wide(first_col, last_col));
        }
        if rows.len() > MAX_ROWS + 1 && !rows.contains_key(&row) {
            if last_not_kept != Some(row) {
                rows_not_kept += 1;
                last_not_kept = Some(row);
            }
            continue;
        }
        rows.entry(row).or_default().push((col, text));
    }
    let width = if rows.is_empty() {
        0
    } else {
        (last_col - first_col + 1) as usize
    };
    if rows_not_kept > 0 {
        // The first row kept is the header (a blank-looking row aside).
        return Err(FileProblem::TooManyRows(rows.len() - 1 + rows_not_kept));
    }
    if rows.len().saturating_mul(width) > MAX_SHEET_CELLS {
        return Err(FileProblem::Unreadable(format!(
            "This sheet has {} rows across {} columns, more than a spreadsheet of records needs: \
             something may have been typed far to the right of the records. \
             Delete the columns beyond your records, or save the sheet as CSV ('CSV UTF-8'), and try again.",
            thousands(rows.len()),
            thousands(width)
        )));
    }
    let mut builder = TableBuilder::new();
    for (row, cells) in rows {
        let mut line = vec![String::new(); width];
        for (col, text) in cells {
            line[(col - first_col) as usize] = text;
        }
        builder.push(row as usize + 1, line);
    }
    builder.finish("XLSX")
}

/// The refusal of a sheet whose cells reach across more than [`MAX_COLUMNS`] columns.
fn too_wide(first_col: u32, last_col: u32) -> FileProblem {
    FileProblem::Unreadable(format!(
        "This sheet has something in column {} and in column {}, more than {} columns apart, which no spreadsheet of records needs. \
         Delete the columns beyond your records (or save the sheet as CSV, 'CSV UTF-8') and try again.",
        column_letters(first_col),
        column_letters(last_col),
        MAX_COLUMNS
    ))
}

/// A column's letters as Excel shows them: 0 -> "A", 26 -> "AA", 16383 -> "XFD".
fn column_letters(col: u32) -> String {
    let mut n = col as u64 + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A workbook cell as the text a person would have typed.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (year, month, day, ..) = dt.to_ymd_hms_milli();
            format!("{year:04}-{month:02}-{day:02}")
        }
        Data::DateTime(dt) => float_text(dt.as_f64()),
        Data::DateTimeIso(s) => {
            // "2024-03-01T00:00:00" -> "2024-03-01"; a time on its own is left as it is.
            match s.split_once('T') {
                Some((date, _)) if !date.is_empty() => date.to_string(),
                _ => s.clone(),
            }
        }
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// Whole numbers without a decimal point (a staff number typed as 12345 is stored as 12345.0).
fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// What Excel writes in a cell whose formula failed, in a workbook and in a CSV it saves.
pub(crate) const SPREADSHEET_ERRORS: [&str; 9] = [
    "#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!", "#SPILL!",
];

/// The header name we match on: trimmed, lower case, spaces and hyphens as underscores.
/// `"Line Manager Staff Number"` -> `"line_manager_staff_number"`.
pub fn normalise_header(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase()
        .split([' ', '-', '_'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip whose directory says its one part unpacks to `size` bytes (the part holds one).
    fn zip_claiming(size: u32) -> Vec<u8> {
        let name = b"xl/worksheets/sheet1.xml";
        let mut out = Vec::new();
        let le16 = |v: u16| v.to_le_bytes();
        let le32 = |v: u32| v.to_le_bytes();
        // Local file header.
        out.extend(le32(0x0403_4b50));
        out.extend(le16(20));
        out.extend(le16(0));
        out.extend(le16(0)); // stored
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le32(0));
        out.extend(le32(1));
        out.extend(le32(size));
        out.extend(le16(name.len() as u16));
        out.extend(le16(0));
        out.extend(name);
        out.push(b'x');
        let directory_at = out.len() as u32;
        // Central directory header.
        out.extend(le32(0x0201_4b50));
        out.extend(le16(20));
        out.extend(le16(20));
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le32(0));
        out.extend(le32(1));
        out.extend(le32(size));
        out.extend(le16(name.len() as u16));
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le32(0));
        out.extend(le32(0));
        out.extend(name);
        let directory_len = out.len() as u32 - directory_at;
        // End of central directory.
        out.extend(le32(0x0605_4b50));
        out.extend(le16(0));
        out.extend(le16(0));
        out.extend(le16(1));
        out.extend(le16(1));
        out.extend(le32(directory_len));
        out.extend(le32(directory_at));
        out.extend(le16(0));
        out
    }

    #[test]
    fn a_workbook_that_would_unpack_to_gigabytes_is_refused_before_it_is_unpacked() {
        let bomb = zip_claiming(1_000_000_000);
        match read_table(&bomb) {
            Err(FileProblem::Unreadable(m)) => {
                assert!(m.contains("unpacks to more than 256 MB"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        // A small claim passes the check (and then fails as the damaged workbook it is).
        match read_table(&zip_claiming(1)) {
            Err(FileProblem::Unreadable(m)) => assert!(!m.contains("unpacks to"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
    use crate::roles::Role;

    const HEADER: &str = "staff_number,name,rank,department,team,roles,start_date,cohort,line_manager_staff_number,mentor_staff_number";

    fn csv_of(rows: &[&str]) -> Vec<u8> {
        let mut text = String::from(HEADER);
        for row in rows {
            text.push('\n');
            text.push_str(row);
        }
        text.push('\n');
        text.into_bytes()
    }

    fn rows_and_columns(file: &PeopleFile) -> Vec<(usize, Option<&str>)> {
        file.errors
            .iter()
            .map(|e| (e.row, e.column.as_deref()))
            .collect()
    }

    #[test]
    fn a_clean_file_gives_typed_people_with_their_rows() {
        let file = parse_people(&csv_of(&[
            "4123,Sam Patel,PC,Response,Response North,frontline,01/09/2024,2024 PC intake 2,S100,",
            "S100,Jo Okafor,Sgt,Response,Response North,line_manager;mentor,2015-03-02,,,",
        ]))
        .unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.encoding, "UTF-8");
        assert_eq!(file.people.len(), 2);
        assert_eq!(file.people[0].0, 2);
        assert_eq!(file.people[1].0, 3);
        assert_eq!(
            file.people[1].1.roles,
            vec![Role::Mentor, Role::LineManager]
        );
        assert_eq!(
            file.people[0].1.line_manager.as_ref().unwrap().as_str(),
            "S100"
        );
    }

    #[test]
    fn row_numbers_follow_excel_across_blank_lines_and_multi_line_cells() {
        let text =
            format!("\n{HEADER}\r\n\r\n1,\"Ann\r\nLee\",,,,,,,,\r\n,,,,,,,,,\r\n2,Bo,,,,,,,,\r\n");
        let table = read_table(text.as_bytes()).unwrap();
        // Line 1 is blank, the header is row 2, row 3 is blank, Ann's cell spans two lines but
        // is row 4, row 5 is a row of empty cells.
        let rows: Vec<usize> = table.rows.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, vec![4, 6]);
        assert_eq!(table.rows[0].1[1], "Ann\r\nLee");
        // The line break is then refused by the name check, on the right row.
        let file = parse_people(text.as_bytes()).unwrap();
        assert_eq!(rows_and_columns(&file), vec![(4, Some("name"))]);
        assert_eq!(file.people[0].0, 6);
    }

    #[test]
    fn old_mac_line_endings_are_read_as_lines() {
        let text = format!("{HEADER}\r1,Ann,,,,,,,,\r2,Bo,,,,,,,,\r");
        let file = parse_people(text.as_bytes()).unwrap();
        let rows: Vec<usize> = file.people.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, vec![2, 3]);
    }

    #[test]
    fn old_mac_line_endings_with_a_line_break_in_a_cell_number_rows_as_a_spreadsheet_does() {
        // Found by the property tests: a quoted LF in a file whose lines end in a bare CR made
        // every row below the header "row 1".
        let text = "staff_number,name\r\"S1\",\"two\nlines\"\r\"S2\",Bo\r".as_bytes();
        let table = read_table(text).unwrap();
        let rows: Vec<usize> = table.rows.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, vec![2, 3]);
        let text = "a,b\r\n\r\n1,\"x\r\ny\"\r\n2,z\r\n".as_bytes();
        let rows: Vec<usize> = read_table(text)
            .unwrap()
            .rows
            .iter()
            .map(|(r, _)| *r)
            .collect();
        assert_eq!(rows, vec![3, 4]);
    }

    #[test]
    fn a_title_line_above_the_header_does_not_decide_the_separator() {
        let text = "Initial training record\nstaff_number;name;module\nS1;Ann, Example;MASH-IND\n";
        assert_eq!(detect_delimiter(text), b';');
        let text = "MASH training, 2024\nstaff_number\tname\tmodule\tdate\nS1\tAnn\tMASH-IND\t2024-01-01\n";
        assert_eq!(detect_delimiter(text), b'\t');
    }

    #[test]
    fn line_breaks_and_separators_in_a_quoted_cell_do_not_decide_the_separator() {
        // The second line of a quoted narrative has more commas than the header has
        // semicolons: it was once counted as a row of its own, and the file refused.
        let text = "ref;date;type;partner;narrative\nR1;2024-01-01;child;Social care;\"Called at 10.\nMother, father, child, grandmother, uncle and neighbour present, all calm\"\n";
        assert_eq!(detect_delimiter(text), b';');
        let tabs = text.replace(';', "\t");
        assert_eq!(detect_delimiter(&tabs), b'\t');
        // Old-Mac line ends, and a quoted cell holding a quote mark and a line break.
        assert_eq!(detect_delimiter(&text.replace('\n', "\r")), b';');
        assert_eq!(
            detect_delimiter("a;b\n\"x \"\"y\"\", \nz, w, v\";2\n"),
            b';'
        );
        // A quote mark inside a cell of a title line quotes nothing.
        assert_eq!(
            detect_delimiter("Officer's \"notes\nstaff_number;name;module\nS1;Ann;M\n"),
            b';'
        );
    }

    #[test]
    fn the_separator_is_taken_from_the_header_line() {
        assert_eq!(detect_delimiter("a,b,c\n1;2;3"), b',');
        // Rows split alike decide over one row of many commas in a text cell, unquoted.
        assert_eq!(detect_delimiter("a;b;c\n1;x, y, z, w;2\n3;v;4\n"), b';');
        assert_eq!(detect_delimiter("a;b;c\n1;x, y, z, w;2\n"), b';');
        assert_eq!(
            detect_delimiter("a,b,c\n1,called; left; back,2\n3,v,4\n"),
            b','
        );
        assert_eq!(detect_delimiter("a;b;c\n1,2,3"), b';');
        assert_eq!(detect_delimiter("\n\na\tb\tc\n"), b'\t');
        assert_eq!(detect_delimiter("\"a;b\",c,d"), b',');
        assert_eq!(detect_delimiter("single"), b',');
        let text = HEADER.replace(',', ";") + "\n1;\"Lee, Ann\";PC;;;\"frontline;mentor\";;;;\n";
        let file = parse_people(text.as_bytes()).unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.people[0].1.name, "Lee, Ann");
        assert_eq!(file.people[0].1.roles, vec![Role::Mentor, Role::Frontline]);
    }

    #[test]
    fn encodings_are_recognised() {
        let text = format!("{HEADER}\n1,Zoë Brontë,,,,,,,,\n");
        let utf8 = parse_people(text.as_bytes()).unwrap();
        assert_eq!(utf8.encoding, "UTF-8");

        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(text.as_bytes());
        let file = parse_people(&with_bom).unwrap();
        assert_eq!(file.encoding, "UTF-8 with BOM");
        assert_eq!(file.people[0].1.name, "Zoë Brontë");

        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        let file = parse_people(&cp1252).unwrap();
        assert_eq!(file.encoding, "Windows-1252");
        assert_eq!(file.people[0].1.name, "Zoë Brontë");

        for (bom, big_endian) in [(&b"\xFF\xFE"[..], false), (&b"\xFE\xFF"[..], true)] {
            let mut bytes = bom.to_vec();
            for unit in text.encode_utf16() {
                let pair = if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                };
                bytes.extend_from_slice(&pair);
            }
            let file = parse_people(&bytes).unwrap();
            assert_eq!(file.encoding, "UTF-16");
            assert_eq!(file.people[0].1.name, "Zoë Brontë");
        }
    }

    #[test]
    fn binary_data_and_bomless_utf16_are_not_text() {
        assert_eq!(
            read_table(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap_err(),
            FileProblem::NotText
        );
        assert_eq!(read_table(b"a,b\x00c").unwrap_err(), FileProblem::NotText);
        let utf16_no_bom: Vec<u8> = "a,b\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(read_table(&utf16_no_bom).unwrap_err(), FileProblem::NotText);
        // Bytes Windows-1252 leaves undefined.
        assert_eq!(
            read_table(b"a,b\x81\x8d").unwrap_err(),
            FileProblem::NotText
        );
        // A lone surrogate in UTF-16 is not text either.
        assert_eq!(
            read_table(b"\xFF\xFEa\x00\x00\xD8").unwrap_err(),
            FileProblem::NotText
        );
    }

    #[test]
    fn a_stray_control_character_in_utf8_text_is_a_row_problem() {
        let file = parse_people(&csv_of(&["1,Ann\u{b}Lee,,,,,,,,", "2,Bo,,,,,,,,"])).unwrap();
        assert_eq!(rows_and_columns(&file), vec![(2, Some("name"))]);
        assert_eq!(file.people.len(), 1);
    }

    #[test]
    fn old_excel_files_and_other_zips_are_refused_with_advice() {
        let err = read_table(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest").unwrap_err();
        assert!(matches!(err, FileProblem::Unreadable(_)));
        assert!(err.to_string().contains(".xlsx"));
        assert!(err.to_string().contains("CSV"));
        let err = read_table(b"PK\x03\x04not really a zip").unwrap_err();
        assert!(matches!(err, FileProblem::Unreadable(_)));
        assert!(err.to_string().contains("save it again as .xlsx"));
    }

    #[test]
    fn empty_files_are_empty() {
        assert_eq!(parse_people(b"").unwrap_err(), FileProblem::Empty);
        assert_eq!(parse_people(b"\n\r\n  \n").unwrap_err(), FileProblem::Empty);
        assert_eq!(
            parse_people(b"\xEF\xBB\xBF").unwrap_err(),
            FileProblem::Empty
        );
        assert_eq!(parse_people(&csv_of(&[])).unwrap_err(), FileProblem::Empty);
        assert_eq!(
            parse_people(&csv_of(&[",,,,,,,,,", ""])).unwrap_err(),
            FileProblem::Empty
        );
        // read_table itself is happy with a header and no rows.
        assert!(read_table(&csv_of(&[])).unwrap().rows.is_empty());
        assert!(FileProblem::Empty
            .to_string()
            .starts_with("The file is empty: it has no rows of people under the header"));
    }

    #[test]
    fn headers_are_matched_forgivingly() {
        assert_eq!(
            normalise_header("\u{feff} Line Manager Staff Number "),
            "line_manager_staff_number"
        );
        assert_eq!(normalise_header("Start-Date"), "start_date");
        assert_eq!(normalise_header("STAFF  NUMBER"), "staff_number");
        let text = "Staff Number,Name,Rank,Department,Team,Roles,Start Date,Cohort,Line-Manager Staff Number,Mentor Staff Number,Notes,\n1,Ann,,,,,,,,,likes tea,\n";
        let file = parse_people(text.as_bytes()).unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.ignored_columns, vec!["Notes".to_string()]);
    }

    #[test]
    fn missing_columns_are_named_with_the_header_to_use() {
        let err = parse_people(b"staff_number,name,rank\n1,Ann,PC\n").unwrap_err();
        let FileProblem::MissingColumns(missing) = &err else {
            panic!("{err:?}");
        };
        assert_eq!(
            missing,
            &PEOPLE_COLUMNS[3..REQUIRED_PEOPLE_COLUMNS].to_vec()
        );
        let message = err.to_string();
        assert!(message.contains("department, team, roles"), "{message}");
        assert!(message.contains(HEADER), "{message}");
        // A header with the wrong columns is reported even when no rows follow it.
        assert!(matches!(
            parse_people(b"id,full_name\n").unwrap_err(),
            FileProblem::MissingColumns(_)
        ));
    }

    #[test]
    fn a_column_given_twice_is_refused() {
        let text = format!("{HEADER},Name,notes,notes\n");
        let err = parse_people(text.as_bytes()).unwrap_err();
        assert_eq!(err, FileProblem::DuplicateColumns(vec!["name".into()]));
        assert!(err
            .to_string()
            .contains("more than once in the header: name"));
    }

    #[test]
    fn too_many_rows_are_refused_before_any_checking() {
        let mut text = String::from(HEADER);
        for i in 0..=MAX_ROWS {
            text.push_str(&format!("\n{i},x,,,,,,,,"));
        }
        let err = parse_people(text.as_bytes()).unwrap_err();
        assert_eq!(err, FileProblem::TooManyRows(MAX_ROWS + 1));
        assert!(err.to_string().contains("50,001 rows"), "{err}");
        assert!(err.to_string().contains("at most 50,000"), "{err}");
    }

    #[test]
    fn rows_of_the_wrong_length_are_reported_whole() {
        let file = parse_people(&csv_of(&[
            "1,Lee, Ann,PC,,,,,,,",
            "2,Bo,,,,",
            "3,Cy,,,,,,,,",
        ]))
        .unwrap();
        assert_eq!(rows_and_columns(&file), vec![(2, None), (3, None)]);
        assert!(file.errors[0]
            .reason
            .contains("11 cells but the header has 10"));
        assert!(file.errors[0].reason.contains("quote marks"));
        assert!(file.errors[1]
            .reason
            .contains("6 cells but the header has 10"));
        assert_eq!(file.people.len(), 1);
    }

    #[test]
    fn every_field_problem_is_reported_in_column_order() {
        let file = parse_people(&csv_of(&[
            "A B,,PC,,,boss,31/02/2024,,S1,",
            "7,Ann,,,,,,,,7",
        ]))
        .unwrap();
        assert_eq!(
            rows_and_columns(&file),
            vec![
                (2, Some("staff_number")),
                (2, Some("name")),
                (2, Some("roles")),
                (2, Some("start_date")),
                (3, Some("mentor_staff_number")),
            ]
        );
        assert!(file.people.is_empty());
        assert_eq!(file.errors[4].reason, "A person cannot be their own mentor");
    }

    #[test]
    fn repeated_staff_numbers_point_at_the_first_use() {
        let file = parse_people(&csv_of(&[
            "s100,Ann,,,,,,,,",
            "2,Bo,,,,,,,,",
            "S100,Cy,,,,,,,,",
            " s100 ,Di,,,,,not a date,,,",
        ]))
        .unwrap();
        assert_eq!(
            rows_and_columns(&file),
            vec![
                (4, Some("staff_number")),
                (5, Some("staff_number")),
                (5, Some("start_date")),
            ]
        );
        assert_eq!(
            file.errors[0].reason,
            "Staff number S100 is already used on row 2; each person must appear only once"
        );
        let good: Vec<usize> = file.people.iter().map(|(r, _)| *r).collect();
        assert_eq!(good, vec![2, 3]);
    }

    #[test]
    fn over_long_cells_and_spreadsheet_errors_are_reported_once_each() {
        let long = "x".repeat(MAX_CELL_CHARS + 1);
        let row = format!("1,{long},,,,,#N/A,,,");
        let file = parse_people(&csv_of(&[&row, "2,#REF!,,,,,,,,"])).unwrap();
        assert_eq!(
            rows_and_columns(&file),
            vec![
                (2, Some("name")),
                (2, Some("start_date")),
                (3, Some("name"))
            ]
        );
        assert!(file.errors[0].reason.contains("1,001 characters"));
        assert!(file.errors[1].reason.contains("spreadsheet error #N/A"));
        assert!(file.people.is_empty());
    }

    #[test]
    fn workbook_cells_read_as_typed_text() {
        use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};
        assert_eq!(cell_text(&Data::Float(12345.0)), "12345");
        assert_eq!(cell_text(&Data::Float(-3.0)), "-3");
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(cell_text(&Data::Int(42)), "42");
        assert_eq!(cell_text(&Data::Bool(true)), "true");
        assert_eq!(cell_text(&Data::Empty), "");
        assert_eq!(cell_text(&Data::String(" Ann ".into())), " Ann ");
        let date = ExcelDateTime::new(45536.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(date)), "2024-09-01");
        let date_1904 = ExcelDateTime::new(44074.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(cell_text(&Data::DateTime(date_1904)), "2024-09-01");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2024-09-01T00:00:00".into())),
            "2024-09-01"
        );
        assert_eq!(cell_text(&Data::Error(CellErrorType::NA)), "#N/A");
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert!(FileProblem::NotText.to_string().contains("'CSV UTF-8'"));
        let one = FileProblem::MissingColumns(vec!["cohort".into()]).to_string();
        assert!(
            one.starts_with("The file is missing this column: cohort. Add it"),
            "{one}"
        );
        let e = RowError {
            row: 4,
            column: Some("name".into()),
            reason: "Enter the person's name".into(),
        };
        assert_eq!(e.to_string(), "Row 4, column name: Enter the person's name");
    }

    #[test]
    fn an_email_column_is_optional_and_checked_when_present() {
        let without = parse_people(&csv_of(&["1,Ann,,,,,,,,"])).unwrap();
        assert!(!without.has_email_column);
        assert_eq!(without.people[0].1.email, None);

        let text = format!(
            "{HEADER},E-mail\n1,Ann,,,,,,,,,Ann.Lee@Force.EXAMPLE\n2,Bo,,,,,,,,,\n3,Cy,,,,,,,,,cy at force dot example\n4,Di,,,,,,,,,#N/A\n"
        );
        let file = parse_people(text.as_bytes()).unwrap();
        assert!(file.has_email_column);
        assert!(
            file.ignored_columns.is_empty(),
            "{:?}",
            file.ignored_columns
        );
        assert_eq!(
            rows_and_columns(&file),
            vec![(4, Some("email")), (5, Some("email"))]
        );
        assert!(
            file.errors[0].reason.contains("is not an e-mail address"),
            "{}",
            file.errors[0].reason
        );
        assert!(file.errors[1].reason.contains("spreadsheet error #N/A"));
        assert_eq!(
            file.errors[0].to_string(),
            format!("Row 4, column email: {}", file.errors[0].reason)
        );
        let emails: Vec<_> = file
            .people
            .iter()
            .map(|(row, p)| (*row, p.email.as_deref()))
            .collect();
        assert_eq!(emails, vec![(2, Some("Ann.Lee@force.example")), (3, None)]);
    }
}
