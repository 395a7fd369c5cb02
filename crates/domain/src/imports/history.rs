//! The history kinds of import (issue 13, "History from before mashboard"): past compliance
//! audits, one row per period, and past quarterly reviews, one row per review with the counts of
//! agreed grades. Their field lists and row rules; reading and mappings are the pipeline's.

use super::mapping::{resolve_mapping, suggest_mapping, Field, Layout, Mapping};
use super::{read_table, FileProblem, RowError};
use crate::people::parse_date;
use std::collections::HashMap;
use time::Date;

/// Which history file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    Audit,
    Review,
}

impl HistoryKind {
    /// The word on the command line: `mashboard import audit-history`.
    pub fn cli_name(self) -> &'static str {
        match self {
            HistoryKind::Audit => "audit-history",
            HistoryKind::Review => "review-history",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HistoryKind::Audit => "Past compliance audits",
            HistoryKind::Review => "Past quarterly reviews",
        }
    }
}

impl Layout for HistoryKind {
    fn name(self) -> &'static str {
        match self {
            HistoryKind::Audit => "audit_history",
            HistoryKind::Review => "review_history",
        }
    }
    fn fields(self) -> &'static [Field] {
        match self {
            HistoryKind::Audit => &AUDIT_FIELDS,
            HistoryKind::Review => &REVIEW_FIELDS,
        }
    }
    fn example(self) -> String {
        "period_start=From;period_end=To".into()
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

const START: Field = field(
    "period_start",
    "First day of the period",
    "For example 2023-01-01 or 01/01/2023",
    true,
    &["start", "from", "period_from", "start_date", "date_from"],
);
const END: Field = field(
    "period_end",
    "Last day of the period",
    "On or after the first day",
    true,
    &["end", "to", "period_to", "end_date", "date_to"],
);

static AUDIT_FIELDS: [Field; 7] = [
    START,
    END,
    field(
        "examined",
        "Incidents examined",
        "A whole number",
        true,
        &["incidents_examined", "sampled", "sample_size"],
    ),
    field(
        "required",
        "Incidents that needed a referral",
        "No more than were examined",
        true,
        &["needed", "referral_required", "required_referral"],
    ),
    field(
        "completed_when_required",
        "Referrals made where one was needed",
        "No more than needed one",
        true,
        &["completed", "referred_when_required"],
    ),
    field(
        "not_required",
        "Incidents that needed none",
        "With those that needed one, no more than were examined",
        true,
        &["not_needed", "referral_not_required"],
    ),
    field(
        "completed_when_not_required",
        "Referrals made where none was needed",
        "No more than needed none",
        true,
        &["over_referred", "referred_when_not_required"],
    ),
];

static REVIEW_FIELDS: [Field; 6] = [
    START,
    END,
    field(
        "grade_1",
        "Referrals graded 1",
        "A whole number; blank is none",
        false,
        &["grade1", "g1"],
    ),
    field(
        "grade_2",
        "Referrals graded 2",
        "A whole number; blank is none",
        false,
        &["grade2", "g2"],
    ),
    field(
        "grade_3",
        "Referrals graded 3",
        "A whole number; blank is none",
        false,
        &["grade3", "g3"],
    ),
    field(
        "grade_4",
        "Referrals graded 4",
        "A whole number; blank is none",
        false,
        &["grade4", "g4"],
    ),
];

/// A period's counts, in the order of the kind's fields after the two dates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Period {
    pub period_start: Date,
    pub period_end: Date,
    /// Audits: examined, required, completed_when_required, not_required,
    /// completed_when_not_required. Reviews: grade_1..grade_4.
    pub counts: Vec<i64>,
}

/// A history file read: good rows, and every problem with the bad ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryFile {
    pub kind: HistoryKind,
    pub periods: Vec<(usize, Period)>,
    pub errors: Vec<RowError>,
    pub encoding: &'static str,
}

/// The largest count a row may give.
const MAX_COUNT: i64 = 10_000_000;

/// Reads a history file: CSV or XLSX, columns by `mapping` or guessed from the headers.
pub fn parse_history(
    kind: HistoryKind,
    bytes: &[u8],
    mapping: Option<&Mapping>,
) -> Result<HistoryFile, FileProblem> {
    let table = read_table(bytes)?;
    let suggested;
    let mapping = match mapping {
        Some(m) => m,
        None => {
            suggested = suggest_mapping(kind, &table.headers);
            &suggested
        }
    };
    let columns = resolve_mapping(kind, &table.headers, mapping).map_err(|errors| {
        FileProblem::Unreadable(
            errors
                .into_iter()
                .map(|e| format!("{}.", e.message))
                .collect::<Vec<_>>()
                .join(" "),
        )
    })?;
    if table.rows.is_empty() {
        return Err(FileProblem::Unreadable(
            "The file has a header but no rows under it: add one row per period and try again."
                .into(),
        ));
    }
    let fields = kind.fields();
    let mut periods = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<(Date, Date), usize> = HashMap::new();
    for (row, cells) in &table.rows {
        let row = *row;
        let cell = |i: usize| {
            columns[i]
                .and_then(|c| cells.get(c))
                .map_or("", |s| s.trim())
        };
        let mut problems = Vec::new();
        let mut problem = |i: usize, reason: String| {
            problems.push(RowError {
                row,
                column: Some(fields[i].key.to_string()),
                reason,
            })
        };
        let start = parse_date(cell(0)).map_err(|e| problem(0, e)).ok();
        let end = parse_date(cell(1)).map_err(|e| problem(1, e)).ok();
        let mut counts = Vec::new();
        for (i, f) in fields.iter().enumerate().skip(2) {
            let raw = cell(i);
            let value = if raw.is_empty() && !f.required {
                Some(0)
            } else {
                match raw.parse::<i64>() {
                    Ok(n) if (0..=MAX_COUNT).contains(&n) => Some(n),
                    _ => {
                        problem(
                            i,
                            format!("\"{raw}\" is not a whole number of zero or more"),
                        );
                        None
                    }
                }
            };
            counts.push(value);
        }
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                problem(1, "The period ends before it starts".into());
            } else if let Some(first) = seen.get(&(s, e)) {
                problem(0, format!("This period is already on row {first}"));
            } else {
                seen.insert((s, e), row);
            }
        }
        let counts: Option<Vec<i64>> = counts.into_iter().collect();
        if let Some(c) = &counts {
            for (i, reason) in rule_breaks(kind, c) {
                problem(i, reason);
            }
        }
        match (start, end, counts) {
            (Some(period_start), Some(period_end), Some(counts)) if problems.is_empty() => periods
                .push((
                    row,
                    Period {
                        period_start,
                        period_end,
                        counts,
                    },
                )),
            _ => errors.extend(problems),
        }
    }
    Ok(HistoryFile {
        kind,
        periods,
        errors,
        encoding: table.encoding,
    })
}

/// The rules between a row's counts: (field index, reason).
fn rule_breaks(kind: HistoryKind, c: &[i64]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    match kind {
        HistoryKind::Audit => {
            let [examined, required, done_required, not_required, done_not] = c[..] else {
                return out;
            };
            if required > examined {
                out.push((
                    3,
                    format!(
                        "{required} needed a referral, but only {examined} incidents were examined"
                    ),
                ));
            }
            if done_required > required {
                out.push((4, format!("{done_required} referrals were made where one was needed, but only {required} needed one")));
            }
            if required + not_required > examined {
                out.push((5, format!("{required} needed a referral and {not_required} needed none, which is more than the {examined} examined")));
            }
            if done_not > not_required {
                out.push((6, format!("{done_not} referrals were made where none was needed, but only {not_required} needed none")));
            }
        }
        HistoryKind::Review => {
            if c.iter().all(|n| *n == 0) {
                out.push((2, "A review needs at least one graded referral".into()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_rows_are_checked_against_each_other_and_named_by_row_and_field() {
        let file = "period_start,period_end,examined,required,completed_when_required,not_required,completed_when_not_required\n\
            2023-01-01,2023-02-28,50,20,15,30,2\n\
            2023-03-01,2023-02-01,50,60,70,1,2\n\
            2023-05-01,2023-06-30,x,1,1,1,1\n\
            01/01/2023,28/02/2023,1,0,0,0,0\n";
        let f = parse_history(HistoryKind::Audit, file.as_bytes(), None).unwrap();
        assert_eq!(f.periods.len(), 1);
        let at = |row: usize, field: &str| {
            f.errors
                .iter()
                .find(|e| e.row == row && e.column.as_deref() == Some(field))
                .map(|e| e.reason.clone())
                .unwrap_or_else(|| panic!("no error at row {row}, {field}: {:?}", f.errors))
        };
        assert!(at(3, "period_end").contains("ends before it starts"));
        assert!(at(3, "required").contains("only 50 incidents were examined"));
        assert!(at(3, "completed_when_required").contains("only 60 needed one"));
        assert!(at(4, "examined").contains("not a whole number"));
        assert!(at(5, "period_start").contains("already on row 2"));
    }

    #[test]
    fn a_review_row_needs_a_grade_and_blank_grades_are_none() {
        let file = "From,To,Grade 1,Grade 2,Grade 3,Grade 4\n2024-01-01,2024-03-31,1,4,,2\n2024-04-01,2024-06-30,,,,\n";
        let f = parse_history(HistoryKind::Review, file.as_bytes(), None).unwrap();
        assert_eq!(f.periods[0].1.counts, vec![1, 4, 0, 2]);
        assert_eq!(f.errors.len(), 1);
        assert!(f.errors[0].reason.contains("at least one graded referral"));
    }
}
