//! Training and CPD import against the messy spreadsheets in `tests/fixtures/training/` (made by
//! `make_training_fixtures.py` there). Each test checks what the user would be told: the rows,
//! the columns as the file names them, and the words.

use crate::common::fixture;
use mashboard_domain::imports::{FileProblem, RowError};
use mashboard_domain::training::{CompletionMode, CpdKind};
use mashboard_domain::training_import::{
    parse_cpd, parse_training, read_sheet, suggest_mapping, ImportKind, Mapping, Sheet,
};
use time::macros::date;
use time::Date;

const TODAY: Date = date!(2024 - 06 - 01);

fn sheet(kind: ImportKind, name: &str) -> Sheet {
    read_sheet(kind, &fixture(&format!("training/{name}")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn problems(errors: &[RowError]) -> Vec<(usize, Option<&str>, &str)> {
    errors
        .iter()
        .map(|e| (e.row, e.column.as_deref(), e.reason.as_str()))
        .collect()
}

#[test]
fn the_training_header_is_found_under_the_title_and_joined_across_merged_cells() {
    let s = sheet(ImportKind::Training, "training-messy.xlsx");
    assert_eq!(s.encoding, "XLSX");
    assert_eq!(
        s.headers,
        vec![
            "Collar No",
            "Officer",
            "Course",
            "Date completed",
            "Delivery",
            "Trainer",
            "Sign off Mentor",
            "Sign off Sgt",
            "Notes"
        ]
    );
    // The title and the note above the header are skipped; row 9 is blank.
    assert_eq!(s.skipped_above, 2);
    let rows: Vec<usize> = s.rows.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, vec![6, 7, 8, 10, 11, 12, 13, 14]);

    let m = suggest_mapping(ImportKind::Training, &s.headers);
    assert_eq!(
        m.encode(),
        "staff_number=collar_no;module=course;completed_on=date_completed;mode=delivery;\
         trainer=trainer;notes=notes;mentor_signed=sign_off_mentor;manager_signed=sign_off_sgt"
    );
}

#[test]
fn the_messy_training_sheet_gives_typed_rows_and_exact_problems() {
    let s = sheet(ImportKind::Training, "training-messy.xlsx");
    let m = suggest_mapping(ImportKind::Training, &s.headers);
    let parsed = parse_training(&s, &m, TODAY).unwrap();
    assert_eq!(parsed.rows_read, 8);
    assert_eq!(parsed.ignored_columns, vec!["Officer".to_string()]);
    assert_eq!(
        problems(&parsed.errors),
        vec![
            (
                11,
                None,
                "This repeats row 6: 4123 completing MASH-IND on 3 February 2024 is already in the file. Delete one of the two rows"
            ),
            (
                14,
                Some("Date completed"),
                "\"31/02/2024\" is not a real date (dates are read day first, as 31/03/2024)"
            ),
        ]
    );
    // Unknown modules and people are the store's to find: their rows parse.
    let good: Vec<(usize, &str, &str, Date)> = parsed
        .records
        .iter()
        .map(|(row, r)| {
            (
                *row,
                r.staff_number.as_str(),
                r.module.as_str(),
                r.completed_on,
            )
        })
        .collect();
    assert_eq!(
        good,
        vec![
            (6, "4123", "MASH-IND", date!(2024 - 02 - 03)),
            (
                7,
                "4123",
                "risk principles and the National Decision Model",
                date!(2024 - 02 - 10)
            ),
            // 45352 in a date column is an Excel serial number: 1 March 2024.
            (8, "4410", "MASH-IND", date!(2024 - 03 - 01)),
            (10, "4410", "CDI-MASH", date!(2024 - 03 - 03)),
            (12, "4410", "MASH-XYZ", date!(2024 - 03 - 12)),
            (13, "9999", "MASH-RISK", date!(2024 - 03 - 12)),
        ]
    );
    let row = |n: usize| &parsed.records.iter().find(|(r, _)| *r == n).unwrap().1;
    assert_eq!(row(6).mode, CompletionMode::FaceToFace);
    assert_eq!(row(6).trainer, "DS Ayo Bello");
    assert_eq!(row(6).mentor_signed.as_deref(), Some("Mona Hughes"));
    assert_eq!(row(6).manager_signed.as_deref(), Some("Sgt Len Okafor"));
    assert_eq!(row(7).mode, CompletionMode::Virtual);
    assert_eq!(
        row(7).mentor_signed.as_deref(),
        Some("Signed (Yes); no name given")
    );
    assert_eq!(row(7).manager_signed, None);
    assert_eq!(row(7).notes, "Sgt on leave");
    assert_eq!(row(8).mode, CompletionMode::FaceToFace);
    assert_eq!(row(8).trainer, "DS Ayo Bello");
    assert_eq!(
        row(8).manager_signed.as_deref(),
        Some("Signed on 1 March 2024; no name given")
    );
    assert_eq!(row(10).mode, CompletionMode::ELearning);
    assert_eq!(row(10).mentor_signed, None);
    assert_eq!(row(12).mode, CompletionMode::Recording);
    assert_eq!(row(13).mode, CompletionMode::ELearning);
    assert_eq!(row(6).version, None);
    assert_eq!(
        row(6).import_key("mash-ind"),
        "training:4123:MASH-IND:2024-02-03"
    );
}

#[test]
fn the_clean_training_sheet_has_no_problems() {
    let s = sheet(ImportKind::Training, "training-clean.xlsx");
    let m = suggest_mapping(ImportKind::Training, &s.headers);
    let parsed = parse_training(&s, &m, TODAY).unwrap();
    assert_eq!(parsed.errors, vec![]);
    assert_eq!(parsed.records.len(), 4);
}

#[test]
fn a_completion_in_the_future_is_refused() {
    let s = sheet(ImportKind::Training, "training-clean.xlsx");
    let m = suggest_mapping(ImportKind::Training, &s.headers);
    let parsed = parse_training(&s, &m, date!(2024 - 03 - 02)).unwrap();
    assert_eq!(
        problems(&parsed.errors),
        vec![(
            10,
            Some("Date completed"),
            "The date completed, 3 March 2024, is in the future"
        )]
    );
}

#[test]
fn a_mapping_the_user_changed_is_followed() {
    let s = sheet(ImportKind::Training, "training-clean.xlsx");
    // The user says the Trainer column is notes and there is no sign-off information.
    let m = Mapping::parse(
        ImportKind::Training,
        "staff_number=collar_no;module=course;completed_on=date_completed;notes=trainer",
    )
    .unwrap();
    let parsed = parse_training(&s, &m, TODAY).unwrap();
    assert_eq!(parsed.errors, vec![]);
    let first = &parsed.records[0].1;
    assert_eq!(first.notes, "DS Ayo Bello");
    assert_eq!(first.trainer, "");
    assert_eq!(first.mentor_signed, None);
    assert_eq!(first.mode, CompletionMode::FaceToFace);
    // Without the date column the mapping is refused, naming the field.
    let m = Mapping::parse(ImportKind::Training, "staff_number=collar_no;module=course").unwrap();
    let e = parse_training(&s, &m, TODAY).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field, "completed_on");
    assert_eq!(
        e[0].message,
        "Choose the column that holds the date completed"
    );
}

#[test]
fn the_windows_1252_cpd_log_is_read_with_its_title_row() {
    let s = sheet(ImportKind::Cpd, "cpd-messy.csv");
    assert_eq!(s.encoding, "Windows-1252");
    assert_eq!(
        s.headers,
        vec![
            "Staff No.",
            "Topic",
            "Date",
            "Hours",
            "Type",
            "What I learned",
            "Evidence",
            "Verified by"
        ]
    );
    let m = suggest_mapping(ImportKind::Cpd, &s.headers);
    assert_eq!(
        m.encode(),
        "staff_number=staff_no;topic=topic;done_on=date;hours=hours;kind=type;\
         learning=what_i_learned;evidence_url=evidence;verified_by=verified_by"
    );
    let parsed = parse_cpd(&s, &m, TODAY).unwrap();
    assert_eq!(
        problems(&parsed.errors),
        vec![
            (
                7,
                Some("Hours"),
                "\"abc\" is not a length of time; write hours as 1.5 or 1:30, or with units as 2 hours or 90 minutes"
            ),
            (
                8,
                None,
                "This repeats row 4: 4123 logging \"domestic abuse: Coercive Control\" on 5 March 2024 is already in the file. Delete one of the two rows"
            ),
            (
                10,
                Some("Evidence"),
                "\"certificate on file\" is not a web link; an evidence link must start with https://. Leave the cell blank if there is none"
            ),
        ]
    );
    assert_eq!(
        problems(&parsed.warnings),
        vec![(
            5,
            Some("What I learned"),
            "Nothing is recorded about what was learned; the entry will be imported without it"
        )]
    );
    let rows: Vec<usize> = parsed.records.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, vec![4, 5, 6, 9]);
    let first = &parsed.records[0].1;
    assert_eq!(first.topic, "Domestic abuse: coercive control");
    assert_eq!(first.done_on, date!(2024 - 03 - 05));
    assert_eq!(first.minutes, 90);
    assert_eq!(first.kind, CpdKind::Course);
    assert_eq!(
        first.learning,
        "Women's Aid café session: how coercive control builds; £0 cost to the force"
    );
    assert_eq!(first.evidence_url, "https://example.org/cpd/1");
    assert_eq!(first.verified_by.as_deref(), Some("Sgt Len Okafor"));
    assert_eq!(
        first.import_key(),
        "cpd:4123:2024-03-05:domestic abuse: coercive control"
    );
    let second = &parsed.records[1].1;
    assert_eq!(second.topic, "Stalking awareness");
    assert_eq!(second.minutes, 90);
    assert_eq!(second.kind, CpdKind::ELearning);
    assert_eq!(second.verified_by, None);
    let third = &parsed.records[2].1;
    assert_eq!(third.done_on, date!(2024 - 03 - 12));
    assert_eq!(third.minutes, 120);
    assert_eq!(third.kind, CpdKind::Reading);
}

#[test]
fn a_file_that_is_not_a_log_is_refused_whole() {
    let e = read_sheet(
        ImportKind::Cpd,
        b"Shopping list\r\nmilk\r\neggs\r\nbread\r\n",
    )
    .unwrap_err();
    assert!(matches!(e, FileProblem::Unreadable(_)));
    assert!(
        e.to_string().starts_with(
            "We could not find the header row. None of the first 10 rows names at least two of the columns we need (staff number, topic, date, time spent)"
        ),
        "{e}"
    );
}
