//! People import against real-looking files in `tests/fixtures/` (made by
//! `tests/fixtures/make_fixtures.py`). Each test checks what the user would be told: the rows,
//! the columns and, where it matters, the words.

use crate::common::fixture;
use mashboard_domain::imports::{parse_people, read_table, FileProblem, PeopleFile, RowError};
use mashboard_domain::Role;
use time::macros::date;

fn parse(name: &str) -> PeopleFile {
    parse_people(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (row, column) of every error, in order.
fn where_(errors: &[RowError]) -> Vec<(usize, Option<&str>)> {
    errors
        .iter()
        .map(|e| (e.row, e.column.as_deref()))
        .collect()
}

/// (row, staff number) of every good person.
fn good_rows(file: &PeopleFile) -> Vec<(usize, &str)> {
    file.people
        .iter()
        .map(|(row, p)| (*row, p.staff_number.as_str()))
        .collect()
}

#[test]
fn a_clean_utf8_export_with_bom_crlf_and_quotes_is_read_whole() {
    let file = parse("people-good.csv");
    assert_eq!(file.errors, vec![]);
    assert_eq!(file.encoding, "UTF-8 with BOM");
    assert_eq!(file.ignored_columns, vec!["Notes".to_string()]);
    // Row 3's note spans two lines but is one row, so the next person is row 4.
    assert_eq!(
        good_rows(&file),
        vec![(2, "S20417"), (3, "4123"), (4, "4410"), (5, "S31877")]
    );

    let sergeant = &file.people[0].1;
    assert_eq!(sergeant.name, "Hollis Aldana");
    assert_eq!(sergeant.roles, vec![Role::LineManager, Role::Frontline]);
    assert_eq!(sergeant.start_date, Some(date!(2014 - 03 - 10)));
    assert_eq!(sergeant.line_manager, None);

    let officer = &file.people[1].1;
    assert_eq!(officer.name, "Okonjo, Adaeze");
    assert_eq!(officer.rank.as_deref(), Some("PC"));
    assert_eq!(officer.team.as_deref(), Some("Response North - A Shift"));
    assert_eq!(officer.cohort.as_deref(), Some("2024 PC intake 2"));
    // A UK date: 2 September, not 9 February.
    assert_eq!(officer.start_date, Some(date!(2024 - 09 - 02)));
    assert_eq!(officer.line_manager.as_ref().unwrap().as_str(), "S20417");
    assert_eq!(officer.mentor.as_ref().unwrap().as_str(), "4410");

    let researcher = &file.people[3].1;
    assert_eq!(researcher.rank.as_deref(), Some("Police Staff (Band C)"));
    assert_eq!(researcher.roles, vec![Role::MashStaff]);
    assert_eq!(researcher.start_date, Some(date!(2025 - 01 - 15)));
}

#[test]
fn an_older_windows_1252_export_keeps_its_accents() {
    let file = parse("people-windows-1252.csv");
    assert_eq!(file.errors, vec![]);
    assert_eq!(file.encoding, "Windows-1252");
    assert_eq!(
        good_rows(&file),
        vec![(2, "5120"), (3, "5301"), (4, "S40022")]
    );
    assert_eq!(file.people[0].1.name, "Zoë Fairbrother");
    assert_eq!(file.people[1].1.name, "Ciarán Ó Briain");
    assert_eq!(file.people[2].1.name, "Renée Castellanos");
    assert_eq!(
        file.people[2].1.cohort.as_deref(),
        Some("2023 PCSO intake 2 (£ allowance)")
    );
}

#[test]
fn excel_unicode_text_is_utf16_and_tab_separated() {
    let file = parse("people-utf16le-tab.txt");
    assert_eq!(file.errors, vec![]);
    assert_eq!(file.encoding, "UTF-16");
    assert!(file.ignored_columns.is_empty());
    assert_eq!(good_rows(&file), vec![(2, "6001"), (3, "6002")]);
    assert_eq!(file.people[0].1.name, "Nguyễn Thị Lan");
    assert_eq!(
        file.people[0].1.department.as_deref(),
        Some("Criminal Investigation Department")
    );
    assert_eq!(
        file.people[1].1.roles,
        vec![Role::Mentor, Role::LineManager]
    );
}

#[test]
fn a_workbook_is_read_from_its_first_sheet_with_numbers_and_dates_as_typed() {
    let file = parse("people.xlsx");
    assert_eq!(file.encoding, "XLSX");
    assert!(file.ignored_columns.is_empty());
    // Whole numbers lose their ".0"; row 6 is blank; row 7 has no name and a number for a date.
    assert_eq!(
        good_rows(&file),
        vec![(2, "9101"), (3, "9102"), (4, "9103"), (5, "S52001")]
    );
    assert_eq!(
        where_(&file.errors),
        vec![(7, Some("name")), (7, Some("start_date"))]
    );
    assert_eq!(file.errors[0].reason, "Enter the person's name");
    assert!(
        file.errors[1].reason.contains("\"45000.5\" is not a date"),
        "{}",
        file.errors[1].reason
    );

    let inspector = &file.people[0].1;
    assert_eq!(inspector.start_date, Some(date!(2009 - 09 - 07)));
    let officer = &file.people[1].1;
    assert_eq!(officer.name, "Siobhán McAteer, Jr");
    assert_eq!(officer.start_date, Some(date!(2024 - 03 - 04)));
    assert_eq!(officer.line_manager.as_ref().unwrap().as_str(), "9101");
    assert_eq!(officer.mentor.as_ref().unwrap().as_str(), "9103");
    // A date typed as text in a workbook is read like a CSV date.
    assert_eq!(file.people[2].1.start_date, Some(date!(2015 - 09 - 01)));
    // A date-and-time cell keeps its date; a manager typed as 9101.0 is 9101.
    let staff = &file.people[3].1;
    assert_eq!(staff.start_date, Some(date!(2021 - 06 - 14)));
    assert_eq!(staff.line_manager.as_ref().unwrap().as_str(), "9101");
    assert_eq!(staff.roles, vec![]);

    // The table keeps the header as written and skips the blank row.
    let table = read_table(&fixture("people.xlsx")).unwrap();
    assert_eq!(table.headers[0], "staff_number");
    let rows: Vec<usize> = table.rows.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, vec![2, 3, 4, 5, 7]);
}

#[test]
fn a_workbook_with_one_cell_far_away_is_read_without_filling_the_gap() {
    // Found by `cargo fuzz` (target xlsx): one "x" in XFD1048576, the last cell of a sheet,
    // made the reader build a rectangle of 17 billion cells and the process abort; 6 KB.
    let started = std::time::Instant::now();
    let err = read_table(&fixture("far-column.xlsx")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("column A and in column XFD") && text.contains("Delete the columns"),
        "{text}"
    );
    // A note typed in row 200000 is kept with its row number, and no blank row is made.
    let table = read_table(&fixture("far-row.xlsx")).unwrap();
    let rows: Vec<usize> = table.rows.iter().map(|(r, _)| *r).collect();
    assert_eq!(rows, vec![2, 3, 4, 5, 7, 200_000]);
    assert!(table
        .rows
        .iter()
        .all(|(_, cells)| cells.len() == table.headers.len()));
    assert_eq!(table.rows[5].1[1], "note");
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn an_hr_export_with_its_own_column_names_is_refused_with_the_header_to_use() {
    let err = parse_people(&fixture("people-wrong-columns.csv")).unwrap_err();
    assert_eq!(
        err,
        FileProblem::MissingColumns(
            [
                "staff_number",
                "name",
                "roles",
                "cohort",
                "line_manager_staff_number",
                "mentor_staff_number"
            ]
            .map(String::from)
            .to_vec()
        )
    );
    assert_eq!(
        err.to_string(),
        "The file is missing these columns: staff_number, name, roles, cohort, \
         line_manager_staff_number, mentor_staff_number. Add them to the first row, which must be \
         the header: staff_number,name,rank,department,team,roles,start_date,cohort,\
         line_manager_staff_number,mentor_staff_number (an email column may be added too)"
    );
}

#[test]
fn bad_dates_are_reported_on_their_rows_and_the_rest_imported() {
    let file = parse("people-bad-dates.csv");
    assert_eq!(
        where_(&file.errors),
        vec![
            (3, Some("start_date")),
            (4, Some("start_date")),
            (6, Some("start_date")),
        ]
    );
    assert_eq!(
        file.errors[0].reason,
        "Start date: \"31/02/2024\" is not a real date"
    );
    assert_eq!(
        file.errors[1].reason,
        "Start date: \"March 2024\" is not a date; write it as 2024-03-31 or 31/03/2024"
    );
    assert!(file.errors[2].reason.contains("\"09/01/24\" is not a date"));
    // An empty start date is allowed.
    assert_eq!(good_rows(&file), vec![(2, "7001"), (5, "7004")]);
    assert_eq!(file.people[1].1.start_date, None);
}

#[test]
fn repeated_staff_numbers_are_reported_against_the_first_row() {
    let file = parse("people-duplicate-staff.csv");
    // Row 5 is blank and skipped; the staff numbers match whatever their case.
    assert_eq!(
        where_(&file.errors),
        vec![(4, Some("staff_number")), (6, Some("staff_number"))]
    );
    assert_eq!(
        file.errors[0].reason,
        "Staff number S10001 is already used on row 2; each person must appear only once"
    );
    assert_eq!(
        file.errors[1].reason,
        "Staff number S10002 is already used on row 3; each person must appear only once"
    );
    assert_eq!(good_rows(&file), vec![(2, "S10001"), (3, "S10002")]);
}

#[test]
fn an_image_is_not_a_spreadsheet() {
    let err = parse_people(&fixture("not-a-spreadsheet.png")).unwrap_err();
    assert_eq!(err, FileProblem::NotText);
    assert_eq!(
        err.to_string(),
        "This file is not a CSV or XLSX spreadsheet. Save it from Excel as 'CSV UTF-8' or \
         'Excel Workbook (.xlsx)' and try again."
    );
}

#[test]
fn an_empty_file_and_a_header_with_nobody_under_it_are_empty() {
    for name in ["people-empty.csv", "people-header-only.csv"] {
        let err = parse_people(&fixture(name)).unwrap_err();
        assert_eq!(err, FileProblem::Empty, "{name}");
        assert!(err
            .to_string()
            .starts_with("The file is empty: it has no rows of people under the header"));
    }
}

#[test]
fn an_over_long_cell_is_reported_on_its_row_and_column() {
    let file = parse("people-long-cell.csv");
    assert_eq!(where_(&file.errors), vec![(3, Some("team"))]);
    assert!(
        file.errors[0]
            .reason
            .starts_with("This cell has 1,200 characters; the most we accept is 1,000."),
        "{}",
        file.errors[0].reason
    );
    assert_eq!(good_rows(&file), vec![(2, "8001")]);
}
