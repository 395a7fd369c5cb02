//! The people kind of import: an HR export of the directory. Its field list ([`PEOPLE_FIELDS`])
//! and its row rules; reading, mappings and errors are the pipeline's (`super`).

use super::mapping::{header_key, resolve_mapping, Field, Layout, Mapping};
use super::{
    normalise_header, read_table, thousands, FileProblem, RowError, MAX_CELL_CHARS,
    SPREADSHEET_ERRORS,
};
use crate::people::{PersonDraft, PersonInput, StaffNumber};
use std::collections::HashMap;

/// The columns of a people file, in the order we write them. The first
/// [`REQUIRED_PEOPLE_COLUMNS`] are required; `email` may be left out of the file altogether, and
/// then the addresses already in the directory are kept.
pub const PEOPLE_COLUMNS: [&str; 11] = [
    "staff_number",
    "name",
    "rank",
    "department",
    "team",
    "roles",
    "start_date",
    "cohort",
    "line_manager_staff_number",
    "mentor_staff_number",
    "email",
];

/// The people kind of import, for mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct People;

impl Layout for People {
    fn name(self) -> &'static str {
        "people"
    }
    fn fields(self) -> &'static [Field] {
        &PEOPLE_FIELDS
    }
    fn example(self) -> String {
        "staff_number=employee_no;name=full_name".into()
    }
}

const fn field(
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    required: bool,
    exact: &'static [&'static str],
) -> Field {
    Field {
        key,
        label,
        hint,
        required,
        exact,
        within: &[],
    }
}

/// The fields of a people file, in the order of [`PEOPLE_COLUMNS`], with the names HR exports
/// give them. As in the canonical header, every field but the e-mail address must have a column
/// (a column left out would blank that field for everyone); without one the addresses already in
/// the directory are kept.
pub static PEOPLE_FIELDS: [Field; 11] = [
    field(
        "staff_number",
        "Staff number",
        "For example 12345 or AB123",
        true,
        &[
            "staff_no",
            "collar_number",
            "collar_no",
            "employee_number",
            "employee_no",
            "employee_id",
            "payroll_number",
            "payroll_no",
            "warrant_number",
            "warrant_no",
            "force_number",
        ],
    ),
    field(
        "name",
        "Name",
        "The person's full name",
        true,
        &["full_name", "employee_name", "person", "display_name"],
    ),
    field(
        "rank",
        "Rank",
        "For example DC or PS",
        true,
        &["rank_grade", "grade", "job_title", "role_title"],
    ),
    field(
        "department",
        "Department",
        "",
        true,
        &["dept", "directorate", "command", "business_unit"],
    ),
    field("team", "Team", "", true, &["unit", "section", "team_name"]),
    field(
        "roles",
        "Roles",
        "Role names separated by semicolons",
        true,
        &["role", "mashboard_roles", "access"],
    ),
    field(
        "start_date",
        "Start date",
        "For example 2024-03-27 or 27/03/2024",
        true,
        &[
            "start",
            "started",
            "date_started",
            "posting_date",
            "date_joined",
            "joined",
        ],
    ),
    field("cohort", "Cohort", "", true, &["intake", "group"]),
    field(
        "line_manager_staff_number",
        "Line manager's staff number",
        "",
        true,
        &[
            "line_manager",
            "manager",
            "manager_staff_number",
            "manager_staff_no",
            "supervisor",
            "supervisor_staff_number",
        ],
    ),
    field(
        "mentor_staff_number",
        "Mentor's staff number",
        "",
        true,
        &["mentor", "mentor_staff_no", "tutor"],
    ),
    field(
        "email",
        "E-mail address",
        "Optional, for reminder e-mails",
        false,
        &["e_mail", "email_address", "e_mail_address", "work_email"],
    ),
];

/// How many of [`PEOPLE_COLUMNS`], from the first, every people file must have.
pub const REQUIRED_PEOPLE_COLUMNS: usize = 10;

/// The people read from a file: the good rows, and every problem with the bad ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleFile {
    /// Good rows with their row numbers.
    pub people: Vec<(usize, PersonInput)>,
    /// Every bad row or field, ordered by row then column; empty means the file is clean.
    pub errors: Vec<RowError>,
    /// Extra columns we do not use, as written in the header (shown as a warning).
    pub ignored_columns: Vec<String>,
    /// How the file was read, as in [`Table::encoding`].
    pub encoding: &'static str,
    /// The file has an `email` column. Without one, an import keeps the addresses already in
    /// the directory; with one, a blank cell clears a person's address.
    pub has_email_column: bool,
}

/// Reads a people file (see [`read_table`]) and checks every row.
///
/// Whole-file problems (no header, wrong columns, too many rows) are an `Err`; row problems are
/// collected in [`PeopleFile::errors`]. References to line managers and mentors who are not in
/// the file are not checked here: the directory may already hold them.
pub fn parse_people(bytes: &[u8]) -> Result<PeopleFile, FileProblem> {
    parse_people_mapped(bytes, None)
}

/// As [`parse_people`], with the columns taken from `mapping` (an HR export that names its
/// columns its own way) rather than from the canonical header. A mapping that does not fit the
/// file is a [`FileProblem::Unreadable`] naming each field's problem.
pub fn parse_people_mapped(
    bytes: &[u8],
    mapping: Option<&Mapping>,
) -> Result<PeopleFile, FileProblem> {
    let table = read_table(bytes)?;
    let columns = match mapping {
        None => map_columns(&table.headers)?,
        Some(m) => mapped_columns(&table.headers, m)?,
    };
    if table.rows.is_empty() {
        return Err(FileProblem::Empty);
    }

    let mut people = Vec::new();
    let mut errors = Vec::new();
    let mut first_use: HashMap<StaffNumber, usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let row = *row;
        if cells.len() != table.headers.len() {
            errors.push(shape_error(row, cells.len(), table.headers.len()));
            continue;
        }
        let mut row_errors = check_cells(row, cells, &columns.index, &mut first_use);
        // Cells already reported are left out of validation so that each cell is reported once.
        let flagged: Vec<String> = row_errors.iter().filter_map(|e| e.column.clone()).collect();
        let mut draft = draft_from(cells, &columns.index);
        for column in &flagged {
            draft_field(&mut draft, column).clear();
        }
        match draft.validate() {
            Ok(person) if row_errors.is_empty() => people.push((row, person)),
            Ok(_) => {}
            Err(field_errors) => row_errors.extend(
                field_errors
                    .into_iter()
                    .filter(|e| !flagged.iter().any(|c| c == e.field))
                    .map(|e| RowError {
                        row,
                        column: Some(e.field.to_string()),
                        reason: e.message,
                    }),
            ),
        }
        row_errors.sort_by_key(|e| column_order(e.column.as_deref()));
        errors.extend(row_errors);
    }

    Ok(PeopleFile {
        people,
        errors,
        has_email_column: columns.index[REQUIRED_PEOPLE_COLUMNS].is_some(),
        ignored_columns: columns.ignored,
        encoding: table.encoding,
    })
}

struct ColumnMap {
    /// `index[i]` is the position in the file of `PEOPLE_COLUMNS[i]`; only optional columns
    /// can be `None`.
    index: [Option<usize>; PEOPLE_COLUMNS.len()],
    ignored: Vec<String>,
}

fn map_columns(headers: &[String]) -> Result<ColumnMap, FileProblem> {
    let mut found: [Option<usize>; PEOPLE_COLUMNS.len()] = [None; PEOPLE_COLUMNS.len()];
    let mut duplicated = Vec::new();
    let mut ignored = Vec::new();
    for (position, header) in headers.iter().enumerate() {
        let mut name = normalise_header(header);
        // HR systems spell this one several ways.
        if matches!(name.as_str(), "e_mail" | "email_address" | "e_mail_address") {
            name = "email".into();
        }
        match PEOPLE_COLUMNS.iter().position(|c| *c == name) {
            Some(i) if found[i].is_some() => {
                if !duplicated.contains(&name) {
                    duplicated.push(name);
                }
            }
            Some(i) => found[i] = Some(position),
            // A column with no header is what a stray trailing separator leaves: not worth a warning.
            None if name.is_empty() => {}
            None => ignored.push(header.clone()),
        }
    }
    let missing: Vec<String> = PEOPLE_COLUMNS[..REQUIRED_PEOPLE_COLUMNS]
        .iter()
        .zip(found)
        .filter(|(_, position)| position.is_none())
        .map(|(name, _)| (*name).to_string())
        .collect();
    if !missing.is_empty() {
        return Err(FileProblem::MissingColumns(missing));
    }
    if !duplicated.is_empty() {
        return Err(FileProblem::DuplicateColumns(duplicated));
    }
    Ok(ColumnMap {
        index: found,
        ignored,
    })
}

/// Checks a header against the standard layout (every column of [`PEOPLE_COLUMNS`] but the
/// e-mail address, each once), as [`parse_people`] does before reading any row.
pub fn check_people_header(headers: &[String]) -> Result<(), FileProblem> {
    map_columns(headers).map(|_| ())
}

/// The columns a mapping names, checked against the file.
fn mapped_columns(headers: &[String], mapping: &Mapping) -> Result<ColumnMap, FileProblem> {
    let found = resolve_mapping(People, headers, mapping).map_err(|errors| {
        FileProblem::Unreadable(
            errors
                .into_iter()
                .map(|e| format!("{}.", e.message))
                .collect::<Vec<_>>()
                .join(" "),
        )
    })?;
    let mut index = [None; PEOPLE_COLUMNS.len()];
    for (slot, position) in index.iter_mut().zip(found) {
        *slot = position;
    }
    let ignored = headers
        .iter()
        .enumerate()
        .filter(|(i, h)| !header_key(h).is_empty() && !index.contains(&Some(*i)))
        .map(|(_, h)| h.clone())
        .collect();
    Ok(ColumnMap { index, ignored })
}

fn shape_error(row: usize, cells: usize, columns: usize) -> RowError {
    let hint = if cells > columns {
        "A value with a comma in it (such as \"Smith, Jo\") needs quote marks around it"
    } else {
        "Every row needs a cell for every column, even if the cell is empty; a line break inside a cell can also split a row in two"
    };
    RowError {
        row,
        column: None,
        reason: format!("This row has {cells} cells but the header has {columns} columns. {hint}"),
    }
}

/// The checks that come before validation: over-long cells, spreadsheet errors and repeated
/// staff numbers. The row has as many cells as the header.
fn check_cells(
    row: usize,
    cells: &[String],
    index: &[Option<usize>; PEOPLE_COLUMNS.len()],
    first_use: &mut HashMap<StaffNumber, usize>,
) -> Vec<RowError> {
    let mut errors = Vec::new();
    for (column, position) in PEOPLE_COLUMNS.iter().zip(index) {
        let Some(position) = *position else { continue };
        let value = cells[position].trim();
        let length = value.chars().count();
        if length > MAX_CELL_CHARS {
            errors.push(RowError {
                row,
                column: Some((*column).to_string()),
                reason: format!(
                    "This cell has {} characters; the most we accept is {}. Check that a missing quote mark has not run several cells together",
                    thousands(length),
                    thousands(MAX_CELL_CHARS)
                ),
            });
        } else if SPREADSHEET_ERRORS.contains(&value) {
            errors.push(RowError {
                row,
                column: Some((*column).to_string()),
                reason: format!(
                    "This cell shows the spreadsheet error {value}; fix the formula or type the value in"
                ),
            });
        }
    }
    let flagged = errors
        .iter()
        .any(|e| e.column.as_deref() == Some("staff_number"));
    if !flagged {
        let staff_number = index[0].map_or("", |position| cells[position].as_str());
        if let Ok(number) = StaffNumber::parse(staff_number) {
            if let Some(first) = first_use.get(&number) {
                errors.push(RowError {
                    row,
                    column: Some("staff_number".into()),
                    reason: format!(
                        "Staff number {number} is already used on row {first}; each person must appear only once"
                    ),
                });
            } else {
                first_use.insert(number, row);
            }
        }
    }
    errors
}

fn column_order(column: Option<&str>) -> usize {
    column.map_or(0, |c| {
        PEOPLE_COLUMNS
            .iter()
            .position(|known| *known == c)
            .map_or(PEOPLE_COLUMNS.len() + 1, |i| i + 1)
    })
}

fn draft_from(cells: &[String], index: &[Option<usize>; PEOPLE_COLUMNS.len()]) -> PersonDraft {
    let cell = |i: usize| index[i].map(|p| cells[p].clone()).unwrap_or_default();
    PersonDraft {
        staff_number: cell(0),
        name: cell(1),
        rank: cell(2),
        department: cell(3),
        team: cell(4),
        roles: cell(5),
        start_date: cell(6),
        cohort: cell(7),
        line_manager_staff_number: cell(8),
        mentor_staff_number: cell(9),
        email: cell(10),
    }
}

/// The draft's field for a column of [`PEOPLE_COLUMNS`].
fn draft_field<'a>(draft: &'a mut PersonDraft, column: &str) -> &'a mut String {
    match column {
        "staff_number" => &mut draft.staff_number,
        "name" => &mut draft.name,
        "rank" => &mut draft.rank,
        "department" => &mut draft.department,
        "team" => &mut draft.team,
        "roles" => &mut draft.roles,
        "start_date" => &mut draft.start_date,
        "cohort" => &mut draft.cohort,
        "line_manager_staff_number" => &mut draft.line_manager_staff_number,
        "email" => &mut draft.email,
        _ => &mut draft.mentor_staff_number,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HR: &str = "Employee No,Full Name,Grade,Directorate,Unit,Access,Date Joined,Intake,Manager,Tutor\nE1,Ann Lee,PC,Response,Team 1,frontline,2024-09-01,,,\nE2,Bo Ray,PC,Response,Team 1,frontline,2024-09-01,,E1,\n";

    #[test]
    fn an_hr_export_with_its_own_column_names_reads_through_a_mapping() {
        let table = read_table(HR.as_bytes()).unwrap();
        assert!(matches!(
            check_people_header(&table.headers),
            Err(FileProblem::MissingColumns(_))
        ));
        let suggested = suggest_mapping_for_test(&table.headers);
        assert_eq!(suggested.get("staff_number"), Some("employee_no"));
        assert_eq!(suggested.get("line_manager_staff_number"), Some("manager"));
        let typed = Mapping::parse(
            People,
            "staff_number=Employee No;name=Full Name;rank=Grade;department=Directorate;team=Unit;roles=Access;start_date=Date Joined;cohort=Intake;line_manager_staff_number=Manager;mentor_staff_number=Tutor",
        )
        .unwrap();
        let file = parse_people_mapped(HR.as_bytes(), Some(&typed)).unwrap();
        assert!(file.errors.is_empty(), "{:?}", file.errors);
        assert_eq!(file.people.len(), 2);
        assert_eq!(
            file.people[1].1.line_manager.as_ref().unwrap().as_str(),
            "E1"
        );
        assert!(
            !file.has_email_column,
            "no e-mail column: addresses are kept"
        );
    }

    #[test]
    fn a_mapping_that_leaves_out_a_field_names_it() {
        let m = Mapping::parse(People, "staff_number=Employee No;name=Full Name").unwrap();
        let e = parse_people_mapped(HR.as_bytes(), Some(&m))
            .unwrap_err()
            .to_string();
        assert!(e.contains("Choose the column that holds the rank"), "{e}");
    }

    fn suggest_mapping_for_test(headers: &[String]) -> Mapping {
        super::super::mapping::suggest_mapping(People, headers)
    }
}
