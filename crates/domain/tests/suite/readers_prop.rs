//! Property tests of every reader of a file a person uploads (people, training, CPD, history,
//! the register's four kinds, Teams attendance reports), on the stable toolchain so that every
//! `cargo nextest run` exercises them: arbitrary bytes, and CSV made of awkward cells (quotes,
//! separators, line breaks, long text, dates, other alphabets) under a real header. Whatever
//! the input, a reader returns (no panic), a refusal of the whole file is a sentence, and a
//! refusal of a row names that row (counted as a spreadsheet shows it) and a reason.
//!
//! The same checks run for longer under `cargo fuzz` (`fuzz/`, `scripts/fuzz`).

use mashboard_domain::imports::mapping::suggest_mapping;
use mashboard_domain::imports::{
    parse_history, parse_people, FileProblem, HistoryKind, RowError, PEOPLE_COLUMNS,
};
use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_domain::teams_report::{self, ReportError};
use mashboard_domain::training_import::{parse_cpd, parse_training, read_sheet, ImportKind};
use proptest::prelude::*;
use time::macros::date;

const REGISTER_KINDS: [RegisterKind; 4] = [
    RegisterKind::Incidents,
    RegisterKind::Referrals,
    RegisterKind::Outcomes,
    RegisterKind::ReferralPeople,
];

fn check_problem(p: &FileProblem) {
    let text = p.to_string();
    assert!(text.trim().len() >= 10, "a refusal with no words: {p:?}");
}

/// A row problem names its row (at least `first_row`) and a reason.
fn check_row_error(e: &RowError, first_row: usize) {
    assert!(
        e.row >= first_row,
        "row {} before row {first_row}: {e:?}",
        e.row
    );
    assert!(!e.reason.trim().is_empty(), "no reason: {e:?}");
    if let Some(column) = &e.column {
        assert!(!column.trim().is_empty(), "an empty column name: {e:?}");
    }
}

/// Every reader over `bytes`; `first_row` is the least row number a row problem may carry
/// (2 when the header is known to be on row 1).
fn read_everything(bytes: &[u8], first_row: usize) {
    match parse_people(bytes) {
        Err(p) => check_problem(&p),
        Ok(file) => file
            .errors
            .iter()
            .for_each(|e| check_row_error(e, first_row)),
    }
    for kind in [HistoryKind::Audit, HistoryKind::Review] {
        match parse_history(kind, bytes, None) {
            Err(p) => check_problem(&p),
            Ok(file) => file
                .errors
                .iter()
                .for_each(|e| check_row_error(e, first_row)),
        }
    }
    for kind in ImportKind::ALL {
        // A title may sit above a training sheet's header: its rows start at 1.
        let sheet = match read_sheet(kind, bytes) {
            Err(p) => {
                check_problem(&p);
                continue;
            }
            Ok(sheet) => sheet,
        };
        let mapping = suggest_mapping(kind, &sheet.headers);
        let today = date!(2025 - 06 - 30);
        let errors = match kind {
            ImportKind::Training => parse_training(&sheet, &mapping, today).map(|p| p.errors),
            ImportKind::Cpd => parse_cpd(&sheet, &mapping, today).map(|p| p.errors),
        };
        match errors {
            Ok(errors) => errors.iter().for_each(|e| check_row_error(e, 1)),
            Err(problems) => assert!(problems.iter().all(|p| !p.message.trim().is_empty())),
        }
    }
    for kind in REGISTER_KINDS {
        read_register(kind, bytes, first_row);
    }
    match teams_report::parse(bytes) {
        Err(e) => {
            assert!(e.to_string().trim().len() >= 10, "{e:?}");
            if let ReportError::Line { line, reason } = &e {
                assert!(*line >= 1 && !reason.trim().is_empty(), "{e:?}");
            }
        }
        Ok(report) => assert!(
            !report.participants.is_empty(),
            "nobody listed, yet accepted"
        ),
    }
}

/// Reads a register file to the end: each refused row's problems carry that row's number.
fn read_register(kind: RegisterKind, bytes: &[u8], first_row: usize) -> usize {
    let reader = match RegisterReader::new(kind, bytes) {
        Err(p) => {
            check_problem(&p);
            return 0;
        }
        Ok(reader) => reader,
    };
    let header_row = reader.header_row();
    let mut last = 0;
    let mut rows = 0;
    for parsed in reader {
        rows += 1;
        assert!(parsed.row >= last, "row {} after row {last}", parsed.row);
        last = parsed.row;
        if let Err(errors) = parsed.result {
            assert!(
                !errors.is_empty(),
                "row {} refused with no reason",
                parsed.row
            );
            for e in &errors {
                // A mapping problem is reported at the header row.
                check_row_error(e, first_row.min(header_row));
                assert_eq!(e.row, parsed.row, "{e:?}");
            }
        }
    }
    rows
}

/// Cells a spreadsheet export can hold, good and bad.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\"".to_string()),
        Just("\"\"".to_string()),
        Just("\"quoted, with a comma\"".to_string()),
        Just("\"two\nlines\"".to_string()),
        Just("a;b".to_string()),
        Just("tab\there".to_string()),
        Just("31/02/2024".to_string()),
        Just("2024-01-05 09:30".to_string()),
        Just("45123".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("#N/A".to_string()),
        Just("yes".to_string()),
        Just("S100".to_string()),
        Just("Zoë Ní Bhriain".to_string()),
        Just("\u{feff}".to_string()),
        Just("\r".to_string()),
        Just("x".repeat(6000)),
        "[ -~]{0,12}",
        "\\PC{0,8}",
    ]
}

/// A CSV: a real header (or not), then rows of awkward cells, any separator and line ending.
fn garbage_csv(header: String) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(prop::collection::vec(cell(), 0..12), 0..8),
        prop::sample::select(vec![",", ";", "\t"]),
        prop::sample::select(vec!["\n", "\r\n", "\r"]),
        any::<bool>(),
    )
        .prop_map(move |(rows, sep, end, bom)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            text.push_str(&header.replace(',', sep));
            for cells in rows {
                text.push_str(end);
                text.push_str(&cells.join(sep));
            }
            text.into_bytes()
        })
}

fn any_header() -> impl Strategy<Value = String> {
    let mut headers = vec![
        PEOPLE_COLUMNS.join(","),
        "period_start,period_end,examined,required,completed_when_required,not_required,completed_when_not_required".to_string(),
        "period_start,period_end,grade_1,grade_2,grade_3,grade_4".to_string(),
        "Collar No,Module,Date completed,Signed off,Trainer".to_string(),
        "Staff number,Topic,Date,Hours,What I learned".to_string(),
        "Name,First Join,Last Leave,In-Meeting Duration,Email".to_string(),
    ];
    headers.extend(REGISTER_KINDS.iter().map(|k| k.canonical_header()));
    prop::sample::select(headers)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_read_or_refused_in_words(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        read_everything(&bytes, 1);
    }

    #[test]
    fn awkward_csv_under_a_real_header_names_the_row_of_each_problem(
        bytes in any_header().prop_flat_map(garbage_csv)
    ) {
        // The header is on row 1 (a byte-order mark adds no row), so a row's problem is row 2 on.
        read_everything(&bytes, 2);
    }

    #[test]
    fn a_register_file_of_good_and_bad_rows_is_read_row_by_row(
        kind in prop::sample::select(REGISTER_KINDS.to_vec()),
        rows in prop::collection::vec(prop::collection::vec(cell(), 0..10), 1..8),
    ) {
        let mut text = kind.canonical_header();
        for cells in &rows {
            text.push('\n');
            text.push_str(&cells.join(","));
        }
        read_register(kind, text.as_bytes(), 2);
    }
}
