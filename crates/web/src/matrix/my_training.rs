//! A person's own training record, as a workbook and as a tagged PDF for their development
//! review: plan, completions and CPD.

use super::exports::text;
use super::{iso, long, stored_date};
use crate::auth::Page;
use crate::error::AppError;
use crate::export::{download, workbook, PdfWriter, Sheet, XCell, XLSX};
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use mashboard_domain::people::format_date_long;
use mashboard_domain::training::format_minutes;
use mashboard_store::audit_trail::{self, Event};
use mashboard_store::people;
use mashboard_store::training::{completions, cpd, plans, today};

pub async fn my_training_xlsx(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
) -> Result<Response, AppError> {
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory, so there is no training record to download. Ask an administrator to link your account to your staff number.".into(),
        ));
    };
    let person = people::get_by_id(&state.store, person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = today();
    let plan = plans::plan_of(&state.store, person_id, today).await?;
    let done = completions::of_person(&state.store, person_id).await?;
    let entries = cpd::of_person(&state.store, person_id).await?;
    let plan_sheet = Sheet {
        name: "Plan",
        header: vec![
            "Module code",
            "Module",
            "Role profile",
            "Status",
            "In date",
            "Due",
            "Expires",
            "Overdue since",
            "Last completed",
            "Version completed",
            "Current version",
        ],
        rows: plan
            .iter()
            .map(|i| {
                vec![
                    text(&i.module_code),
                    text(&i.module_title),
                    text(&i.profile_name),
                    text(i.state.status.label()),
                    text(if i.state.in_date { "Yes" } else { "No" }),
                    XCell::Date(i.state.due_on),
                    XCell::Date(i.state.expires_on),
                    XCell::Date(i.state.overdue_since),
                    XCell::Date(stored_date(i.latest_completed_on.as_deref())),
                    text(i.latest_version.clone().unwrap_or_default()),
                    text(&i.module_version),
                ]
            })
            .collect(),
    };
    let status_words = |s: &str| match s {
        "signed_off" => "Signed off",
        "awaiting_sign_off" => "Awaiting sign-off",
        "reopened" => "Reopened, awaiting sign-off",
        _ => "Other",
    };
    let done_sheet = Sheet {
        name: "Completions",
        header: vec![
            "Completed on",
            "Module code",
            "Module",
            "Version",
            "How",
            "Trainer",
            "Status",
            "Source",
            "Notes",
            "Evidence link",
        ],
        rows: done
            .iter()
            .map(|c| {
                vec![
                    XCell::Date(stored_date(Some(&c.completed_on))),
                    text(&c.module_code),
                    text(&c.module_title),
                    text(&c.module_version),
                    text(
                        c.mode
                            .parse::<mashboard_domain::training::CompletionMode>()
                            .map(|m| m.label().to_string())
                            .unwrap_or_else(|_| c.mode.clone()),
                    ),
                    text(&c.trainer),
                    text(status_words(&c.status)),
                    text(if c.source == "imported" {
                        "Imported from a spreadsheet"
                    } else {
                        "Recorded in mashboard"
                    }),
                    text(&c.notes),
                    text(&c.evidence_url),
                ]
            })
            .collect(),
    };
    let cpd_sheet = Sheet {
        name: "CPD",
        header: vec![
            "Date",
            "Topic",
            "Kind",
            "Time",
            "Minutes",
            "Status",
            "What I learned",
            "Evidence link",
            "Manager's comment",
            "Counts against module",
        ],
        rows: entries
            .iter()
            .map(|e| {
                let minutes = u32::try_from(e.minutes).unwrap_or(0);
                vec![
                    XCell::Date(stored_date(Some(&e.done_on))),
                    text(&e.topic),
                    text(
                        e.kind
                            .parse::<mashboard_domain::training::CpdKind>()
                            .map(|k| k.label().to_string())
                            .unwrap_or_else(|_| e.kind.clone()),
                    ),
                    text(format_minutes(minutes)),
                    XCell::Number(f64::from(minutes)),
                    text(crate::cpd::status_label(&e.status)),
                    text(&e.learning),
                    text(&e.evidence_url),
                    text(&e.review_comment),
                    text(e.counts_for_module.clone().unwrap_or_default()),
                ]
            })
            .collect(),
    };
    let body = workbook(&[plan_sheet, done_sheet, cpd_sheet])?;
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.own_export",
            format!(
                "Downloaded own training record as Excel ({} plan items, {} completions, {} CPD entries)",
                plan.len(),
                done.len(),
                entries.len()
            ),
        )
        .on("person", &person.staff_number),
    )
    .await?;
    Ok(download(
        XLSX,
        &format!("training-{}-{}.xlsx", person.staff_number, iso(Some(today))),
        body,
    ))
}

// ---------------------------------------------------------------------------------------------
// My training, as a PDF

pub async fn my_training_pdf(
    State(state): State<AppState>,
    page: Page<crate::auth::cap::OwnTraining>,
) -> Result<Response, AppError> {
    let Some(person_id) = page.user.person_id else {
        return Err(AppError::BadRequest(
            "Your account is not linked to a person in the directory, so there is no training record to download. Ask an administrator to link your account to your staff number.".into(),
        ));
    };
    let person = people::get_by_id(&state.store, person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = today();
    let plan = plans::plan_of(&state.store, person_id, today).await?;
    let done = completions::of_person(&state.store, person_id).await?;
    let entries = cpd::of_person(&state.store, person_id).await?;
    let title = format!("Training record: {} ({})", person.name, person.staff_number);
    let mut w = PdfWriter::new(format!(
        "{} - {} - {}",
        state.config.force_name,
        title,
        format_date_long(today)
    ));
    w.line(true, 16.0, &title);
    w.line(
        false,
        9.0,
        &format!(
            "{}{}. Produced on {} for a development review. In date means a signed-off completion that has not expired: only signed-off work counts.",
            person.department.as_deref().unwrap_or("No department recorded"),
            person
                .team
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default(),
            format_date_long(today)
        ),
    );
    w.gap(8.0);
    w.line(true, 12.0, "Plan");
    if plan.is_empty() {
        w.line(
            false,
            9.0,
            "No required training: not assigned to a role profile.",
        );
    } else {
        let rows: Vec<(Vec<String>, String)> = plan
            .iter()
            .map(|i| {
                (
                    vec![
                        format!("{} ({})", i.module_title, i.module_code),
                        i.state.status.label().to_string(),
                        long(i.state.due_on),
                        long(i.state.overdue_since),
                        long(stored_date(i.latest_completed_on.as_deref())),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[175.0, 78.0, 86.0, 86.0, 86.0],
            &["Module", "Status", "Due", "Late since", "Last completed"],
            &rows,
        );
    }
    w.gap(8.0);
    w.line(true, 12.0, "Completions");
    if done.is_empty() {
        w.line(false, 9.0, "No completions recorded.");
    } else {
        let rows: Vec<(Vec<String>, String)> = done
            .iter()
            .map(|c| {
                (
                    vec![
                        long(stored_date(Some(&c.completed_on))),
                        format!("{} ({})", c.module_title, c.module_code),
                        c.module_version.clone(),
                        match c.status.as_str() {
                            "signed_off" if c.source == "imported" => "Signed off (imported)",
                            "signed_off" => "Signed off",
                            "reopened" => "Reopened",
                            _ => "Awaiting sign-off",
                        }
                        .to_string(),
                    ],
                    String::new(),
                )
            })
            .collect();
        w.table(
            &[86.0, 250.0, 50.0, 125.0],
            &["Completed on", "Module", "Version", "Status"],
            &rows,
        );
    }
    w.gap(8.0);
    w.line(true, 12.0, "CPD");
    if entries.is_empty() {
        w.line(false, 9.0, "No CPD logged.");
    } else {
        let rows: Vec<(Vec<String>, String)> = entries
            .iter()
            .map(|e| {
                let mut note = e.learning.clone();
                if !e.review_comment.is_empty() {
                    note = format!("{note} Manager's comment: {}", e.review_comment);
                }
                (
                    vec![
                        long(stored_date(Some(&e.done_on))),
                        e.topic.clone(),
                        format_minutes(u32::try_from(e.minutes).unwrap_or(0)),
                        crate::cpd::status_label(&e.status).to_string(),
                    ],
                    note,
                )
            })
            .collect();
        w.table(
            &[86.0, 215.0, 95.0, 115.0],
            &["Date", "Topic and what was learned", "Time", "Status"],
            &rows,
        );
    }
    let body = w.finish(&title);
    audit_trail::record(
        &state.store,
        &page.user.actor(),
        Event::new(
            "training.own_export",
            format!(
                "Downloaded own training record as PDF ({} plan items, {} completions, {} CPD entries)",
                plan.len(),
                done.len(),
                entries.len()
            ),
        )
        .on("person", &person.staff_number),
    )
    .await?;
    Ok(download(
        "application/pdf",
        &format!("training-{}-{}.pdf", person.staff_number, iso(Some(today))),
        body,
    ))
}
