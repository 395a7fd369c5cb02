//! Microsoft Teams attendance reports (UTF-16 or UTF-8, tab or comma, sectioned or legacy):
//! `teams_report::parse`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mashboard_domain::teams_report::{parse, ReportError};

fuzz_target!(|bytes: &[u8]| {
    match parse(bytes) {
        Err(e) => {
            assert!(
                e.to_string().trim().len() >= 10,
                "a refusal with no words: {e:?}"
            );
            if let ReportError::Line { line, reason } = &e {
                assert!(*line >= 1, "line 0: {e:?}");
                assert!(!reason.trim().is_empty(), "no reason: {e:?}");
            }
        }
        Ok(report) => {
            assert!(
                !report.participants.is_empty(),
                "a report with nobody in it was accepted"
            );
            for p in &report.participants {
                assert!(p.minutes() >= 0, "negative minutes: {p:?}");
            }
        }
    }
});
