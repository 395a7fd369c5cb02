//! Workbooks: the bytes are read as an `.xlsx` (a zip) by `imports::read_table`, which every
//! spreadsheet import shares (people, training, CPD, history, "chart your own data"), and then
//! by the people and training readers. Input that is not already a zip gets the zip signature
//! in front, so every run reaches the workbook reader.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mashboard_domain::imports::{parse_people, read_table};
use mashboard_domain::training_import::{read_sheet, ImportKind};
use mashboard_fuzz::{check_problem, check_row_error};

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if !bytes.starts_with(b"PK\x03\x04") {
        bytes.splice(0..0, *b"PK\x03\x04");
    }
    match read_table(&bytes) {
        Err(p) => check_problem(&p),
        Ok(table) => {
            assert!(
                table
                    .rows
                    .iter()
                    .all(|(_, cells)| cells.len() == table.headers.len()),
                "a workbook row with a different width from its header"
            );
        }
    }
    match parse_people(&bytes) {
        Err(p) => check_problem(&p),
        Ok(file) => file.errors.iter().for_each(check_row_error),
    }
    if let Err(p) = read_sheet(ImportKind::Training, &bytes) {
        check_problem(&p);
    }
});
