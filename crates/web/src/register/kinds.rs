//! The kinds of file the register import page takes: the four records-management exports
//! (domain `register`, store `register::import`) and the two history files of the impact work,
//! past compliance audits and past quarterly reviews (domain `imports::history`, store
//! `imports::history`). Each keeps its field list and row rules; the steps are the pipeline's.

use super::*;
use crate::imports::{
    audit_check, Checked, File, Head, ImportKinds, Report, RowView, Rows, MAX_ROWS_SHOWN,
};
use mashboard_domain::imports::mapping::{header_key, suggest_mapping, Field, Layout, Mapping};
use mashboard_domain::imports::{parse_history, read_table, FileProblem, HistoryKind};
use mashboard_domain::people::format_date_long;
use mashboard_store::audit_trail::Actor;
use mashboard_store::imports::history::import_history;

/// A file the register import page takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RegisterFile {
    Register(RegisterKind),
    History(HistoryKind),
}

impl RegisterFile {
    pub(crate) const ALL: [RegisterFile; 6] = [
        RegisterFile::Register(RegisterKind::Incidents),
        RegisterFile::Register(RegisterKind::Referrals),
        RegisterFile::Register(RegisterKind::Outcomes),
        RegisterFile::Register(RegisterKind::ReferralPeople),
        RegisterFile::History(HistoryKind::Audit),
        RegisterFile::History(HistoryKind::Review),
    ];

    /// The `kind` field's value: `incidents`, `audit_history`.
    pub(crate) fn value(self) -> &'static str {
        self.name()
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            RegisterFile::Register(k) => k.label(),
            RegisterFile::History(k) => k.label(),
        }
    }
}

impl Layout for RegisterFile {
    fn name(self) -> &'static str {
        match self {
            RegisterFile::Register(k) => k.as_str(),
            RegisterFile::History(k) => k.name(),
        }
    }
    fn fields(self) -> &'static [Field] {
        match self {
            RegisterFile::Register(k) => Layout::fields(k),
            RegisterFile::History(k) => k.fields(),
        }
    }
    fn example(self) -> String {
        match self {
            RegisterFile::Register(k) => k.example(),
            RegisterFile::History(k) => k.example(),
        }
    }
}

fn intro(kind: RegisterFile, encoding: &str) -> String {
    format!(
        "This file's header is not the standard layout ({}), so say which of its columns holds each thing. We have filled in our best guess (read as {encoding}). Nothing is saved until you have seen what the import would do.",
        kind.canonical_header().replace(',', ", "),
    )
}

fn noun(kind: RegisterKind) -> (&'static str, &'static str) {
    match kind {
        RegisterKind::Incidents => ("new incident", "new incidents"),
        RegisterKind::Referrals => ("new referral", "new referrals"),
        RegisterKind::Outcomes => ("new outcome", "new outcomes"),
        RegisterKind::ReferralPeople => (
            "new person named in a referral",
            "new people named in referrals",
        ),
    }
}

fn history_actions(kind: HistoryKind) -> (&'static str, &'static str) {
    match kind {
        HistoryKind::Audit => (
            "audit_history.import_rejected",
            "audit_history.import_preview",
        ),
        HistoryKind::Review => (
            "review_history.import_rejected",
            "review_history.import_preview",
        ),
    }
}

pub(crate) struct RegisterImports;

impl ImportKinds for RegisterImports {
    type Cap = cap::RegisterImport;
    type Kind = RegisterFile;
    const BASE: &'static str = "/register/import";
    const NO_FILE: &'static str = "Select a CSV file";
    const DONE_LINKS: &'static [(&'static str, &'static str)] = &[
        ("/register/referrals", "Referrals"),
        ("/register/incidents", "Incidents"),
    ];

    fn kind(value: &str) -> Option<RegisterFile> {
        let key = header_key(value);
        RegisterFile::ALL.into_iter().find(|k| k.value() == key)
    }
    fn kind_value(kind: RegisterFile) -> &'static str {
        kind.value()
    }
    fn kind_label(kind: RegisterFile) -> &'static str {
        kind.label()
    }
    fn rejected_action(kind: RegisterFile) -> &'static str {
        match kind {
            RegisterFile::Register(_) => "register.import_rejected",
            RegisterFile::History(k) => history_actions(k).0,
        }
    }

    fn chrome(state: &AppState, page: &ImportPage, title: &str) -> Chrome {
        import_chrome(state, page, title, false)
    }

    fn upload_form(
        state: &AppState,
        page: &ImportPage,
        form: FormState,
    ) -> Result<Response, AppError> {
        form_page(state, page, form)
    }

    fn head(kind: RegisterFile, bytes: &[u8]) -> Result<Head, FileProblem> {
        match kind {
            RegisterFile::Register(k) => {
                let mut r = RegisterReader::new(k, bytes)?;
                let mut sample = Vec::new();
                while sample.len() < 3 {
                    match r.next_raw() {
                        Some(Ok(row)) => sample.push(row),
                        _ => break,
                    }
                }
                Ok(Head {
                    headers: r.headers().to_vec(),
                    sample,
                    intro: intro(kind, r.encoding()),
                    suggested: r.mapping().clone(),
                    direct: r.is_canonical().then(|| r.mapping().clone()),
                })
            }
            RegisterFile::History(k) => {
                let table = read_table(bytes)?;
                let suggested = suggest_mapping(k, &table.headers);
                let keys: Vec<String> = table.headers.iter().map(|h| header_key(h)).collect();
                let canonical = k.fields().iter().all(|f| keys.iter().any(|h| h == f.key));
                Ok(Head {
                    intro: intro(kind, table.encoding),
                    sample: table.rows.into_iter().take(3).collect(),
                    headers: table.headers,
                    direct: canonical.then(|| suggested.clone()),
                    suggested,
                })
            }
        }
    }

    async fn check(
        state: &AppState,
        actor: &Actor,
        kind: RegisterFile,
        file: &File,
        mapping: &Mapping,
        commit: bool,
    ) -> Result<Checked, AppError> {
        match kind {
            RegisterFile::Register(k) => {
                check_register(state, actor, k, file, mapping, commit).await
            }
            RegisterFile::History(k) => check_history(state, actor, k, file, mapping, commit).await,
        }
    }
}

async fn check_register(
    state: &AppState,
    actor: &Actor,
    kind: RegisterKind,
    file: &File,
    mapping: &Mapping,
    commit: bool,
) -> Result<Checked, AppError> {
    // The import reads on a thread of its own, so the reader holds the upload itself.
    let mut r = match RegisterReader::new(kind, std::io::Cursor::new(Upload(file.bytes.clone()))) {
        Ok(r) => r,
        Err(problem) => return Ok(Checked::File(problem.to_string())),
    };
    r.set_file_len(file.bytes.len() as u64);
    if r.set_mapping(mapping).is_err() {
        return Ok(Checked::File(
            "The columns chosen no longer match the file. Upload it again".into(),
        ));
    }
    let headers = r.headers().to_vec();
    let columns = mapping
        .describe(kind, &headers)
        .into_iter()
        .filter(|(_, c)| c != "(not in this file)")
        .map(|(label, header)| (label.to_string(), header))
        .collect();
    let report = register::import(&state.store, actor, r, &file.name, !commit).await?;
    if commit && !report.rejected() {
        // The dashboard's training effect counts what was imported: estimate it again now.
        crate::impact::warm_effect_after_write(state);
    }
    Ok(Checked::Report(Box::new(Report {
        encoding: report.encoding.to_string(),
        rows_read: report.rows_read,
        columns,
        ignored_columns: report.ignored_columns,
        notes: Vec::new(),
        errors: report.errors,
        error_count: report.error_count,
        warnings: report.warnings,
        warning_count: report.warning_count,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        skipped: report.skipped,
        noun: noun(kind),
        skipped_means: "will be kept as recorded in mashboard",
        rows: Rows {
            headers: vec!["Reference", "Details"],
            rows: report
                .first_rows
                .into_iter()
                .map(|p| RowView {
                    row: p.row,
                    cells: vec![p.reference, p.summary],
                    outcome: None,
                })
                .collect(),
            hidden: 0,
        },
    })))
}

async fn check_history(
    state: &AppState,
    actor: &Actor,
    kind: HistoryKind,
    file: &File,
    mapping: &Mapping,
    commit: bool,
) -> Result<Checked, AppError> {
    let actions = history_actions(kind);
    let read = Arc::clone(&file.bytes);
    let owned = mapping.clone();
    let parsed =
        crate::imports::off_thread(move || parse_history(kind, &read, Some(&owned))).await?;
    let parsed = match parsed {
        Ok(p) => p,
        Err(problem) => {
            let problem = problem.to_string();
            let event = Event::new(
                actions.0,
                format!("Rejected {} file {}: {problem}", kind.name(), file.name),
            );
            audit_trail::record(&state.store, actor, event).await?;
            return Ok(Checked::File(problem));
        }
    };
    let fields = kind.fields();
    let error_rows: std::collections::BTreeSet<usize> =
        parsed.errors.iter().map(|e| e.row).collect();
    let mut report = Report {
        encoding: parsed.encoding.to_string(),
        rows_read: parsed.periods.len() + error_rows.len(),
        columns: mapping
            .pairs()
            .iter()
            .map(|(f, h)| {
                let label = kind.field(f).map_or(*f, |f| f.label);
                (label.to_string(), h.clone())
            })
            .collect(),
        error_count: parsed.errors.len(),
        errors: parsed.errors.clone(),
        noun: ("new period", "new periods"),
        rows: Rows {
            headers: vec!["Period", "Figures"],
            rows: parsed
                .periods
                .iter()
                .take(MAX_ROWS_SHOWN)
                .map(|(row, p)| RowView {
                    row: *row,
                    cells: vec![
                        format!(
                            "{} to {}",
                            format_date_long(p.period_start),
                            format_date_long(p.period_end)
                        ),
                        fields[2..]
                            .iter()
                            .zip(&p.counts)
                            .map(|(f, n)| format!("{}: {n}", f.label))
                            .collect::<Vec<_>>()
                            .join("; "),
                    ],
                    outcome: None,
                })
                .collect(),
            hidden: parsed.periods.len().saturating_sub(MAX_ROWS_SHOWN),
        },
        ..Default::default()
    };
    if report.errors.is_empty() {
        let done = import_history(&state.store, actor, &parsed, !commit, &file.name).await?;
        report.created = done.created as u64;
        report.updated = done.updated as u64;
        report.unchanged = done.unchanged as u64;
    }
    let summary = (!commit).then(|| report.summary());
    let name = kind.name();
    audit_check(
        state,
        actor,
        actions,
        name,
        &file.name,
        &report.errors,
        summary,
    )
    .await?;
    Ok(Checked::Report(Box::new(report)))
}

/// An upload's bytes, shared, for a reader that owns what it reads (`register::import`).
struct Upload(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for Upload {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}
