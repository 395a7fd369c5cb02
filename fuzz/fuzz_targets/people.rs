//! The HR people file (CSV in any encoding Excel saves, or XLSX): `imports::parse_people`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mashboard_domain::imports::parse_people;
use mashboard_fuzz::{check_problem, check_row_error, check_rows_ascend};

fuzz_target!(|bytes: &[u8]| {
    match parse_people(bytes) {
        Err(p) => check_problem(&p),
        Ok(file) => {
            file.errors.iter().for_each(check_row_error);
            check_rows_ascend(file.people.iter().map(|(row, _)| *row));
        }
    }
});
