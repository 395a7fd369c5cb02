//! The audit and review history imports (CSV or XLSX): `imports::parse_history` with the columns
//! guessed from the headers, as the CLI does without `--map`. The first byte picks the kind.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mashboard_domain::imports::{parse_history, HistoryKind};
use mashboard_fuzz::{check_problem, check_row_error, check_rows_ascend};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let kind = if pick % 2 == 0 {
        HistoryKind::Audit
    } else {
        HistoryKind::Review
    };
    match parse_history(kind, bytes, None) {
        Err(p) => check_problem(&p),
        Ok(file) => {
            file.errors.iter().for_each(check_row_error);
            check_rows_ascend(file.periods.iter().map(|(row, _)| *row));
            for (_, period) in &file.periods {
                assert!(period.period_start <= period.period_end, "{period:?}");
                assert!(period.counts.iter().all(|&c| c >= 0), "{period:?}");
            }
        }
    }
});
