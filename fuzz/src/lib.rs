//! What every fuzz target checks of a reader's answer, whatever the bytes: it returned (no
//! panic: libFuzzer reports a panic as a crash), and every refusal is a clear message. A
//! whole-file problem is a sentence; a row problem names its row (the spreadsheet's row number,
//! at least 1) and, when it names a column, a non-empty one, with a non-empty reason.
//!
//! The targets in `fuzz_targets/` call the readers as the web pages and the CLI do; memory is
//! bounded by `-rss_limit_mb` in `scripts/fuzz`.

use mashboard_domain::imports::{FileProblem, RowError};
use mashboard_domain::register::{ParsedRow, RegisterKind, RegisterReader};

/// A whole-file refusal is a sentence a person can act on.
pub fn check_problem(p: &FileProblem) {
    let text = p.to_string();
    assert!(
        text.trim().len() >= 10,
        "a refusal with no words in it: {p:?} -> {text:?}"
    );
}

/// A row problem names the row, and the column when it names one, with a reason.
pub fn check_row_error(e: &RowError) {
    assert!(e.row >= 1, "a row problem with no row: {e:?}");
    assert!(
        !e.reason.trim().is_empty(),
        "a row problem with no reason: {e:?}"
    );
    if let Some(column) = &e.column {
        assert!(
            !column.trim().is_empty(),
            "a row problem naming an empty column: {e:?}"
        );
    }
}

/// Row numbers as a spreadsheet shows them: at least 1, never going backwards.
pub fn check_rows_ascend(rows: impl IntoIterator<Item = usize>) {
    let mut last = 0;
    for row in rows {
        assert!(row >= 1, "row number 0");
        assert!(row >= last, "row {row} after row {last}");
        last = row;
    }
}

/// Reads every row of a register file of `kind`, checking each answer.
pub fn read_register(kind: RegisterKind, bytes: &[u8]) {
    let mut reader = match RegisterReader::new(kind, bytes) {
        Ok(reader) => reader,
        Err(p) => return check_problem(&p),
    };
    let header_row = reader.header_row();
    assert!(header_row >= 1, "header row 0");
    let mut rows = Vec::new();
    for ParsedRow { row, result } in reader.by_ref() {
        assert!(
            row >= header_row,
            "row {row} above the header row {header_row}"
        );
        rows.push(row);
        if let Err(errors) = result {
            assert!(!errors.is_empty(), "row {row} refused with no reason");
            for e in &errors {
                check_row_error(e);
                assert_eq!(e.row, row, "a problem of row {row} numbered {}", e.row);
            }
        }
    }
    check_rows_ascend(rows);
}
