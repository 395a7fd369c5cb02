//! Evaluation reports: the facts a report is built from (gathered here, worked out by
//! `mashboard_domain::evaluation`), drafts that can be refreshed, and published reports that
//! never change again. Every change is audited; every view of a report is of aggregate figures
//! only (no person is named in a report).

use crate::audit_trail::{self, Actor, Event};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::checks::{Phase, PhaseScore};
use mashboard_domain::evaluation::{self as rules, Facts, ModuleFeedback, Report};
use mashboard_domain::feedback::Ratings;
use serde::Serialize;
use std::collections::BTreeMap;

/// The module whose first completion marks the start of the frontline programme.
pub const PROGRAMME_MODULE: &str = "FL-PPN";

/// A report as lists and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub title: String,
    pub period_from: String,
    pub period_to: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    pub published_by: Option<String>,
    #[serde(skip)]
    pub report: Report,
}

impl ReportRow {
    pub fn is_published(&self) -> bool {
        self.status == "published"
    }
}

/// The level 1 and 2 facts and the programme start, for the period `from`..=`to`
/// (YYYY-MM-DD).
pub async fn learning_facts(
    store: &Store,
    from: &str,
    to: &str,
) -> Result<(
    Vec<ModuleFeedback>,
    Vec<(String, Vec<PhaseScore>)>,
    Option<String>,
)> {
    let to_end = format!("{to}T23:59:59");
    let rows: Vec<(String, String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT m.code, m.title, f.session_id, f.overall, f.relevance, f.delivery, f.confidence
           FROM session_feedback f JOIN training_sessions s ON s.id = f.session_id
           JOIN modules m ON m.id = s.module_id
          WHERE s.starts_at >= $1 AND s.starts_at <= $2
          ORDER BY m.code, f.session_id, f.id",
    )
    .bind(from)
    .bind(&to_end)
    .fetch_all(store.pool())
    .await?;
    let mut by_module: BTreeMap<String, (String, std::collections::BTreeSet<i64>, Vec<Ratings>)> =
        BTreeMap::new();
    for (code, title, session, overall, relevance, delivery, confidence) in rows {
        let e = by_module
            .entry(code)
            .or_insert_with(|| (title, Default::default(), Vec::new()));
        e.1.insert(session);
        e.2.push(Ratings {
            overall,
            relevance,
            delivery,
            confidence,
        });
    }
    let feedback = by_module
        .into_iter()
        .map(|(code, (title, sessions, forms))| ModuleFeedback {
            module_code: code,
            module_title: title,
            sessions: sessions.len(),
            forms,
        })
        .collect();

    let attempts: Vec<(String, i64, String, i64, String)> = sqlx::query_as(
        "SELECT k.title, a.person_id, a.phase, a.score_pct, a.submitted_at
           FROM check_attempts a JOIN knowledge_checks k ON k.id = a.check_id
          WHERE a.phase IN ('pre', 'post') AND a.submitted_at >= $1 AND a.submitted_at <= $2
          ORDER BY k.title, a.person_id, a.submitted_at",
    )
    .bind(from)
    .bind(&to_end)
    .fetch_all(store.pool())
    .await?;
    let mut checks: BTreeMap<String, Vec<PhaseScore>> = BTreeMap::new();
    for (title, person, phase, pct, at) in attempts {
        checks.entry(title).or_default().push(PhaseScore {
            person_id: person,
            phase: Phase::parse(&phase).unwrap_or(Phase::Standalone),
            score_pct: pct,
            submitted_at: at,
        });
    }

    let began: Option<String> = sqlx::query_scalar(
        "SELECT MIN(c.completed_on) FROM completions c JOIN modules m ON m.id = c.module_id WHERE m.code = $1",
    )
    .bind(PROGRAMME_MODULE)
    .fetch_one(store.pool())
    .await?;
    Ok((feedback, checks.into_iter().collect(), began))
}

const SELECT: &str = "SELECT r.id, r.title, r.period_from, r.period_to, r.status, r.report_json,
        r.created_at, r.updated_at, r.published_at, u.username
   FROM evaluation_reports r LEFT JOIN users u ON u.id = r.published_by";

type Raw = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn row(r: Raw) -> Result<ReportRow> {
    let report: Report = serde_json::from_str(&r.5).map_err(|e| {
        StoreError::Invalid(format!(
            "Evaluation report {} cannot be read back ({e})",
            r.0
        ))
    })?;
    Ok(ReportRow {
        id: r.0,
        title: r.1,
        period_from: r.2,
        period_to: r.3,
        status: r.4,
        created_at: r.6,
        updated_at: r.7,
        published_at: r.8,
        published_by: r.9,
        report,
    })
}

/// Every report, newest first.
pub async fn list(store: &Store) -> Result<Vec<ReportRow>> {
    let rows: Vec<Raw> = sqlx::query_as(&format!("{SELECT} ORDER BY r.id DESC"))
        .fetch_all(store.pool())
        .await?;
    rows.into_iter().map(row).collect()
}

pub async fn get(store: &Store, id: i64) -> Result<Option<ReportRow>> {
    let r: Option<Raw> = sqlx::query_as(&format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    r.map(row).transpose()
}

fn json(report: &Report) -> Result<String> {
    serde_json::to_string(report)
        .map_err(|e| StoreError::Invalid(format!("The report could not be written ({e})")))
}

/// Saves a new draft built from `facts`.
pub async fn create(store: &Store, actor: &Actor, facts: &Facts) -> Result<i64> {
    let report = rules::build(facts);
    let mut tx = store.begin().await?;
    let now = now_text();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO evaluation_reports (title, period_from, period_to, status, report_json, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, 'draft', $4, $5, $6, $6) RETURNING id",
    )
    .bind(&facts.title)
    .bind(&facts.period_from)
    .bind(&facts.period_to)
    .bind(json(&report)?)
    .bind(actor.user_id)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "evaluation.create",
            format!(
                "Drafted the evaluation report \"{}\" ({} to {})",
                facts.title, facts.period_from, facts.period_to
            ),
        )
        .on("evaluation_report", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Works a draft's figures out again from today's data. A published report is refused.
pub async fn refresh(store: &Store, actor: &Actor, id: i64, facts: &Facts) -> Result<()> {
    let report = rules::build(facts);
    let mut tx = store.begin().await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM evaluation_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(StoreError::NotFound("No such evaluation report".into())),
        Some("published") => {
            return Err(StoreError::Conflict(
                "This report has been published: its figures are frozen and cannot be refreshed. Start a new report for newer figures.".into(),
            ))
        }
        Some(_) => {}
    }
    sqlx::query("UPDATE evaluation_reports SET report_json = $1, updated_at = $2 WHERE id = $3")
        .bind(json(&report)?)
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "evaluation.refresh",
            "Worked out a draft evaluation report's figures again",
        )
        .on("evaluation_report", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes a draft: from now on its figures never change.
pub async fn publish(store: &Store, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM evaluation_reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match status.as_deref() {
        None => return Err(StoreError::NotFound("No such evaluation report".into())),
        Some("published") => {
            return Err(StoreError::Conflict(
                "This report has already been published.".into(),
            ))
        }
        Some(_) => {}
    }
    sqlx::query(
        "UPDATE evaluation_reports SET status = 'published', published_at = $1, published_by = $2, updated_at = $1 WHERE id = $3",
    )
    .bind(now_text())
    .bind(actor.user_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "evaluation.publish",
            "Published an evaluation report: its figures are now frozen",
        )
        .on("evaluation_report", id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every fact a report for `from`..=`to` is built from: levels 1 and 2 from sessions and
/// checks, levels 3 and 4 from the impact series (force-wide: a report is for the chief
/// officers) and the training effect of the frontline module.
pub async fn facts(
    store: &Store,
    title: &str,
    from: time::Date,
    to: time::Date,
    today: time::Date,
) -> Result<Facts> {
    use mashboard_domain::evaluation::{
        AuditFigure, EffectFigure, EventPoint, ReviewInput, YearInput,
    };
    let (feedback, checks, programme_began) =
        learning_facts(store, &from.to_string(), &to.to_string()).await?;
    let filter = crate::impact::Filter {
        from,
        to,
        scope: crate::impact::Scope::Force,
    };
    let series = crate::impact::series(store, &filter, PROGRAMME_MODULE, today).await?;
    // The same estimate the dashboard shows, kept until the data moves (`impact::effect`).
    let e = crate::impact::effect(store, &filter, PROGRAMME_MODULE).await?;

    let audit_periods: Vec<AuditFigure> = series
        .audits
        .iter()
        .map(|a| AuditFigure {
            period_start: a.period_start.clone(),
            period_end: a.period_end.clone(),
            required: a.required,
            completed_when_required: a.completed_when_required,
            imported: a.imported,
        })
        .collect();
    let mut years: BTreeMap<i32, YearInput> = BTreeMap::new();
    for a in &series.audits {
        let Ok(year) = a.period_start.get(..4).unwrap_or("").parse::<i32>() else {
            continue;
        };
        let y = years.entry(year).or_insert(YearInput {
            year,
            examined: 0,
            required: 0,
            completed_when_required: 0,
            provisional: false,
        });
        y.examined += a.examined;
        y.required += a.required;
        y.completed_when_required += a.completed_when_required;
    }
    let effect = EffectFigure {
        module_code: PROGRAMME_MODULE.to_string(),
        referrals: e.effect.counts.referrals,
        officers_trained: e.effect.counts.officers_trained,
        officers_never_trained: e.effect.counts.officers_never_trained,
        estimate: e.effect.estimate,
        ci95: e.effect.ci95,
        p_value: e.effect.p_value,
        reason: e.none_because.clone(),
        caveats: e.effect.caveats.clone(),
        event_study: e
            .effect
            .event_study
            .coefficients
            .iter()
            .map(|c| EventPoint {
                relative_quarter: c.relative_quarter,
                estimate: c.estimate,
                se: c.se,
            })
            .collect(),
    };
    Ok(Facts {
        title: title.trim().to_string(),
        period_from: from.to_string(),
        period_to: to.to_string(),
        generated_at: now_text(),
        feedback,
        checks,
        reviews: series
            .reviews
            .iter()
            .map(|r| ReviewInput {
                period_start: r.period_start.clone(),
                period_end: r.period_end.clone(),
                counts: r.counts,
                imported: r.imported,
            })
            .collect(),
        years: years.into_values().collect(),
        audit_periods,
        quarters: series
            .quarters
            .iter()
            .map(|q| {
                (
                    q.quarter.clone(),
                    q.referrals,
                    q.with_decision,
                    q.accepted,
                    q.rejected_or_returned,
                )
            })
            .collect(),
        programme_began,
        effect: Some(effect),
    })
}
