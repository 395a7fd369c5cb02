//! The training record and CPD log imports (CSV or XLSX): `training_import::read_sheet`, then
//! `parse_training` / `parse_cpd` with the mapping suggested from the headers, as the CLI does.
//! The first byte picks the kind.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mashboard_domain::imports::mapping::suggest_mapping;
use mashboard_domain::training_import::{parse_cpd, parse_training, read_sheet, ImportKind};
use mashboard_fuzz::{check_problem, check_row_error};
use time::macros::date;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let kind = if pick % 2 == 0 {
        ImportKind::Training
    } else {
        ImportKind::Cpd
    };
    let sheet = match read_sheet(kind, bytes) {
        Ok(sheet) => sheet,
        Err(p) => return check_problem(&p),
    };
    let mapping = suggest_mapping(kind, &sheet.headers);
    let today = date!(2025 - 06 - 30);
    let (errors, warnings) = match kind {
        ImportKind::Training => match parse_training(&sheet, &mapping, today) {
            Ok(parsed) => (parsed.errors, parsed.warnings),
            Err(problems) => {
                assert!(problems.iter().all(|p| !p.message.trim().is_empty()));
                return;
            }
        },
        ImportKind::Cpd => match parse_cpd(&sheet, &mapping, today) {
            Ok(parsed) => (parsed.errors, parsed.warnings),
            Err(problems) => {
                assert!(problems.iter().all(|p| !p.message.trim().is_empty()));
                return;
            }
        },
    };
    errors.iter().chain(&warnings).for_each(check_row_error);
});
