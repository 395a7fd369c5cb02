//! Bi-monthly incident compliance audits: open an audit for a period and draw its random sample
//! of incidents (seed recorded), redraw with a reason (the old draw is kept), assign auditors,
//! record findings, close; and gather findings for the compliance roll-ups.
//!
//! The rules are the domain's (`mashboard_domain::audits`, `mashboard_domain::sampling`);
//! this module keeps them in the database. Every change is audited in its own transaction, and
//! every view of an audit's incidents is audited too.
//!
//! A redraw is refused once any finding is recorded: otherwise a sample could be redrawn until
//! the results looked better. The roll-ups still count only each audit's latest draw.

use crate::audit_trail::{self, Actor, Event};
use crate::{is_unique_violation, now_text, Store, StoreError};
use mashboard_domain::audits::{
    self as audit_rules, AuditReader, Audited, Breakdown, Finding, Period, RequiredReason,
};
use mashboard_domain::sampling::{self, FrameItem, Method, SampleError};
use rand::RngCore;
use serde::Serialize;
use sqlx::AnyConnection;
use time::Date;

/// Why an audit action was not done, in words for the person who asked. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// No such audit (or the user may not see it).
    #[error("{0}")]
    NotFound(String),
    /// The user may not do this to this audit.
    #[error("{0}")]
    Refused(String),
    /// The request itself is wrong (bad dates, a sample larger than the frame, an incident not
    /// in the sample, an unknown reference, answers that do not agree).
    #[error("{0}")]
    Invalid(String),
    /// The request clashes with the audit's state (closed, findings already recorded).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AuditError {
    fn from(e: sqlx::Error) -> Self {
        AuditError::Store(StoreError::Db(e))
    }
}

pub type Result<T> = std::result::Result<T, AuditError>;

/// Who is asking, for what they may see and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i64,
    /// Administrators and trainers see (and manage) every audit; auditors only the audits they
    /// own or are assigned to.
    pub sees_all: bool,
}

impl Viewer {
    /// The viewer these roles make of this user (the domain says who sees every audit).
    pub fn of(user_id: i64, roles: &[mashboard_domain::Role]) -> Viewer {
        Viewer {
            user_id,
            sees_all: audit_rules::sees_all_audits(roles),
        }
    }
}

/// What opening an audit needs.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub title: String,
    pub period: Period,
    pub sample_size: u64,
    /// Drawn from the operating system when not given.
    pub seed: Option<u64>,
    pub owner_user_id: i64,
}

/// A draw as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drawn {
    pub audit_id: i64,
    pub draw_no: i64,
    pub seed: u64,
    pub frame_size: u64,
    /// Incident references in draw order.
    pub sample: Vec<String>,
}

/// An audit with its latest draw and progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub title: String,
    pub period_start: String,
    pub period_end: String,
    pub sample_size: i64,
    /// open | closed
    pub status: String,
    pub owner_user_id: i64,
    pub owner: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub draw_id: i64,
    pub draw_no: i64,
    /// The latest draw's seed, as decimal text.
    pub seed: String,
    pub frame_size: i64,
    /// Incidents in the latest draw.
    pub sampled: i64,
    /// Of those, how many have a finding.
    pub done: i64,
    /// Whether the viewer is assigned to it.
    pub assigned: i64,
}

impl AuditRow {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
    /// What this viewer is to this audit, for the domain's rules (`AuditReader`).
    pub fn reader(&self, viewer: &Viewer) -> AuditReader {
        AuditReader {
            sees_all: viewer.sees_all,
            owner: self.owner_user_id == viewer.user_id,
            assigned: self.assigned > 0,
        }
    }
    pub fn seed_u64(&self) -> Option<u64> {
        self.seed.parse().ok()
    }
}

/// Every draw of an audit, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DrawRow {
    pub id: i64,
    pub draw_no: i64,
    pub seed: String,
    pub frame_size: i64,
    pub reason: String,
    pub drawn_by: String,
    pub drawn_at: String,
}

/// An account that is, or may be, an audit's auditor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditorRow {
    pub user_id: i64,
    pub username: String,
    pub person_name: Option<String>,
}

/// A recorded finding, with who recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRecord {
    pub incident_ref: String,
    pub form_required: bool,
    pub required_reason: Option<String>,
    pub form_completed: bool,
    pub on_time: Option<bool>,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

impl FindingRecord {
    pub fn finding(&self) -> Finding {
        Finding {
            form_required: self.form_required,
            required_reason: self
                .required_reason
                .as_deref()
                .and_then(|r| r.parse::<RequiredReason>().ok()),
            form_completed: self.form_completed,
            on_time: self.on_time,
        }
    }
}

/// A referral linked to a sampled incident (helps the auditor tell whether a form was made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LinkedReferral {
    pub incident_ref: String,
    pub referral_ref: String,
    pub submitted_at: String,
}

/// One incident of an audit's current sample, with its finding if recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampledIncident {
    pub position: i64,
    pub incident_ref: String,
    pub reported_at: String,
    pub category: String,
    pub area: String,
    pub children_involved: bool,
    pub adult_at_risk: bool,
    pub domestic_abuse: bool,
    pub officer_staff_number: String,
    pub officer_name: Option<String>,
    pub department: String,
    /// Referrals whose incident is this one, earliest first.
    pub referrals: Vec<LinkedReferral>,
    pub finding: Option<FindingRecord>,
}

#[derive(sqlx::FromRow)]
struct SampleRow {
    position: i64,
    incident_ref: String,
    reported_at: String,
    category: String,
    area: String,
    children_involved: i64,
    adult_at_risk: i64,
    domestic_abuse: i64,
    officer_staff_number: String,
    officer_name: Option<String>,
    department: String,
    form_required: Option<i64>,
    required_reason: Option<String>,
    form_completed: Option<i64>,
    on_time: Option<i64>,
    note: Option<String>,
    recorded_by: Option<String>,
    recorded_at: Option<String>,
}

impl SampleRow {
    fn into_sampled(self) -> SampledIncident {
        let finding = match (self.form_required, self.form_completed) {
            (Some(req), Some(done)) => Some(FindingRecord {
                incident_ref: self.incident_ref.clone(),
                form_required: req != 0,
                required_reason: self.required_reason,
                form_completed: done != 0,
                on_time: self.on_time.map(|v| v != 0),
                note: self.note.unwrap_or_default(),
                recorded_by: self.recorded_by.unwrap_or_default(),
                recorded_at: self.recorded_at.unwrap_or_default(),
            }),
            _ => None,
        };
        SampledIncident {
            position: self.position,
            incident_ref: self.incident_ref,
            reported_at: self.reported_at,
            category: self.category,
            area: self.area,
            children_involved: self.children_involved != 0,
            adult_at_risk: self.adult_at_risk != 0,
            domestic_abuse: self.domestic_abuse != 0,
            officer_staff_number: self.officer_staff_number,
            officer_name: self.officer_name,
            department: self.department,
            referrals: Vec::new(),
            finding,
        }
    }
}

/// One finding counted in the roll-ups, with enough to recompute every figure by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountedFinding {
    pub audit_id: i64,
    pub audit_title: String,
    /// The audit is still open: the finding may yet change, so figures counting it are
    /// provisional.
    pub audit_open: bool,
    pub incident_ref: String,
    /// `YYYY-MM-DD`, the day the incident was reported.
    pub reported_on: String,
    pub finding: FindingRecord,
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The reported_at bounds of a period: from its first day, before the day after its last.
fn bounds(p: &Period) -> (String, String) {
    (
        iso(p.start),
        p.end_exclusive()
            .map(iso)
            .unwrap_or_else(|| "9999-12-32".into()),
    )
}

fn random_seed() -> u64 {
    rand::rngs::OsRng.next_u64()
}

fn sample_error(e: SampleError, p: &Period) -> AuditError {
    match e {
        SampleError::LargerThanFrame { frame: 0, .. } => AuditError::Invalid(format!(
            "No incidents were reported from {}, so there is nothing to sample. Check the period, or import the incidents first.",
            p.text()
        )),
        SampleError::LargerThanFrame { wanted, frame } => AuditError::Invalid(format!(
            "The sample ({wanted}) is larger than the number of incidents reported from {} ({frame}). Choose a sample of at most {frame}, or a longer period.",
            p.text()
        )),
        other => AuditError::Invalid(format!("The sample cannot be drawn: {other}")),
    }
}

/// The incidents a period's sample is drawn from, for drawing by position (method 2).
pub(crate) const FRAME: crate::draw_frame::FrameSpec<'static> = crate::draw_frame::FrameSpec {
    from: "incidents i",
    time: "i.reported_at",
    key: "i.incident_ref",
    id: "i.id",
    stratum: None,
    counts: Some(crate::draw_frame::DayCounts {
        table: "incident_day_counts",
        stratum: None,
    }),
};

/// The sample `method` draws from the period's incidents with `seed`: the frame's size and the
/// (id, reference) drawn, in draw order. Method 1 (every draw made before migration 18) reads
/// the whole frame in reference order; method 2 counts it and fetches the drawn rows only.
async fn select(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    method: Method,
    period: &Period,
    size: usize,
    seed: u64,
) -> Result<(u64, Vec<(i64, String)>)> {
    let (from, before) = bounds(period);
    match method {
        Method::FrameWhole => {
            let frame: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, incident_ref FROM incidents
                 WHERE reported_at >= $1 AND reported_at < $2 ORDER BY incident_ref",
            )
            .bind(&from)
            .bind(&before)
            .fetch_all(&mut *conn)
            .await?;
            let items: Vec<FrameItem<'_>> = frame
                .iter()
                .map(|(_, key)| FrameItem { key, stratum: "" })
                .collect();
            let drawn = sampling::draw(&items, size, seed).map_err(|e| sample_error(e, period))?;
            Ok((
                frame.len() as u64,
                drawn.iter().map(|d| frame[d.index].clone()).collect(),
            ))
        }
        Method::ByPosition => {
            let drawn = crate::draw_frame::draw(conn, backend, &FRAME, &from, &before, size, seed)
                .await?
                .map_err(|e| sample_error(e, period))?;
            Ok((
                drawn.frame_size as u64,
                drawn.rows.into_iter().map(|(id, r, _)| (id, r)).collect(),
            ))
        }
    }
}

/// Draws a sample for `audit_id` inside the caller's transaction and records it as draw
/// `draw_no`, with the method it was drawn with. Nothing is kept if the caller's transaction is
/// dropped.
#[allow(clippy::too_many_arguments)]
async fn draw_into(
    conn: &mut AnyConnection,
    backend: crate::Backend,
    actor: &Actor,
    audit_id: i64,
    draw_no: i64,
    period: &Period,
    sample_size: u64,
    seed: u64,
    reason: &str,
) -> Result<Drawn> {
    let size = usize::try_from(sample_size).unwrap_or(usize::MAX);
    let method = Method::CURRENT;
    let (frame_size, drawn) = select(conn, backend, method, period, size, seed).await?;
    let now = now_text();
    let draw_id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO compliance_audit_draws (audit_id, draw_no, seed, frame_size, reason, drawn_by, drawn_at, method)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(audit_id)
    .bind(draw_no)
    .bind(seed.to_string())
    .bind(frame_size as i64)
    .bind(reason)
    .bind(&actor.name)
    .bind(&now)
    .bind(method.number())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AuditError::Conflict(
                "Someone else drew this audit's sample at the same moment. Reload the page and check the sample.".into(),
            )
        } else {
            e.into()
        }
    })?;
    crate::draw_frame::write_sample(
        conn,
        "INSERT INTO compliance_audit_sample (draw_id, position, incident_id) VALUES",
        draw_id,
        &drawn,
        1,
        |q, (incident_id, _)| q.bind(*incident_id),
    )
    .await?;
    let sample: Vec<String> = drawn.iter().map(|(_, r)| r.clone()).collect();
    Ok(Drawn {
        audit_id,
        draw_no,
        seed,
        frame_size,
        sample,
    })
}

/// Opens an audit and draws its first sample, in one transaction: either both are kept or
/// neither.
pub async fn create(store: &Store, actor: &Actor, new: &NewAudit) -> Result<Drawn> {
    audit_rules::check_sample_size(new.sample_size).map_err(AuditError::Invalid)?;
    let title = new.title.trim();
    let title = if title.is_empty() {
        audit_rules::default_title(&new.period)
    } else {
        title.to_string()
    };
    if title.chars().count() > 200 {
        return Err(AuditError::Invalid(
            "The title must be 200 characters or fewer".into(),
        ));
    }
    let seed = new.seed.unwrap_or_else(random_seed);
    let mut tx = store.begin().await?;
    let audit_id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO compliance_audits (title, period_start, period_end, sample_size, status, owner_user_id, created_at)
         VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id",
    )
    .bind(&title)
    .bind(iso(new.period.start))
    .bind(iso(new.period.end))
    .bind(new.sample_size as i64)
    .bind(new.owner_user_id)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    let drawn = draw_into(
        &mut tx,
        store.backend(),
        actor,
        audit_id,
        1,
        &new.period,
        new.sample_size,
        seed,
        "",
    )
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "compliance_audit.create",
            format!(
                "Opened compliance audit {audit_id} ({title}) and drew {} of {} incidents with seed {seed}",
                drawn.sample.len(),
                drawn.frame_size
            ),
        )
        .on("compliance_audit", audit_id.to_string())
        .after(&serde_json::json!({
            "title": title,
            "period_start": iso(new.period.start),
            "period_end": iso(new.period.end),
            "sample_size": new.sample_size,
            "seed": seed.to_string(),
            "frame_size": drawn.frame_size,
            "sample": drawn.sample,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(drawn)
}

const SELECT_AUDIT: &str = "SELECT a.id, a.title, a.period_start, a.period_end, a.sample_size, a.status,
        a.owner_user_id, u.username AS owner, a.created_at, a.closed_at,
        d.id AS draw_id, d.draw_no, d.seed, d.frame_size,
        CAST((SELECT COUNT(*) FROM compliance_audit_sample s WHERE s.draw_id = d.id) AS BIGINT) AS sampled,
        CAST((SELECT COUNT(*) FROM compliance_findings f
                JOIN compliance_audit_sample s ON s.incident_id = f.incident_id AND s.draw_id = d.id
               WHERE f.audit_id = a.id) AS BIGINT) AS done,
        CAST((SELECT COUNT(*) FROM compliance_audit_auditors x
               WHERE x.audit_id = a.id AND x.user_id = $2) AS BIGINT) AS assigned
    FROM compliance_audits a
    JOIN users u ON u.id = a.owner_user_id
    JOIN compliance_audit_draws d ON d.audit_id = a.id
     AND d.draw_no = (SELECT MAX(d2.draw_no) FROM compliance_audit_draws d2 WHERE d2.audit_id = a.id)
    WHERE ($1 = 1 OR a.owner_user_id = $2
           OR EXISTS (SELECT 1 FROM compliance_audit_auditors x WHERE x.audit_id = a.id AND x.user_id = $2))";

/// The audits `viewer` may see, newest period first.
pub async fn list(store: &Store, viewer: &Viewer) -> Result<Vec<AuditRow>> {
    let sql = format!("{SELECT_AUDIT} ORDER BY a.period_start DESC, a.id DESC");
    Ok(sqlx::query_as::<_, AuditRow>(&sql)
        .bind(i64::from(viewer.sees_all))
        .bind(viewer.user_id)
        .fetch_all(store.pool())
        .await?)
}

/// One audit, if `viewer` may see it.
pub async fn get(store: &Store, viewer: &Viewer, id: i64) -> Result<Option<AuditRow>> {
    let sql = format!("{SELECT_AUDIT} AND a.id = $3");
    Ok(sqlx::query_as::<_, AuditRow>(&sql)
        .bind(i64::from(viewer.sees_all))
        .bind(viewer.user_id)
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// One audit whatever the viewer (for checks that give a clear refusal rather than a 404).
async fn get_any(conn: &mut AnyConnection, id: i64) -> Result<AuditRow> {
    let sql = format!("{SELECT_AUDIT} AND a.id = $3");
    sqlx::query_as::<_, AuditRow>(&sql)
        .bind(1i64)
        .bind(0i64)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| AuditError::NotFound(format!("There is no compliance audit {id}")))
}

fn may_manage(a: &AuditRow, viewer: &Viewer) -> bool {
    AuditReader {
        sees_all: viewer.sees_all,
        owner: a.owner_user_id == viewer.user_id,
        assigned: false,
    }
    .may_manage()
}

fn refuse_manage(a: &AuditRow) -> AuditError {
    AuditError::Refused(format!(
        "Only the audit's owner ({}), an administrator or a MASH trainer can do this",
        a.owner
    ))
}

fn must_be_open(a: &AuditRow) -> Result<()> {
    if a.is_open() {
        Ok(())
    } else {
        Err(AuditError::Conflict(format!(
            "Audit {} is closed: its sample, auditors and findings can no longer change",
            a.id
        )))
    }
}

/// Every draw of an audit, oldest first.
pub async fn draws(store: &Store, audit_id: i64) -> Result<Vec<DrawRow>> {
    Ok(sqlx::query_as::<_, DrawRow>(
        "SELECT id, draw_no, seed, frame_size, reason, drawn_by, drawn_at
         FROM compliance_audit_draws WHERE audit_id = $1 ORDER BY draw_no",
    )
    .bind(audit_id)
    .fetch_all(store.pool())
    .await?)
}

async fn findings_count(conn: &mut AnyConnection, audit_id: i64) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM compliance_findings WHERE audit_id = $1",
    )
    .bind(audit_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Draws a new sample for an open audit with no findings yet, keeping the old draw. The reason
/// is required; the seed is random unless given.
pub async fn redraw(
    store: &Store,
    actor: &Actor,
    viewer: &Viewer,
    audit_id: i64,
    reason: &str,
    seed: Option<u64>,
) -> Result<Drawn> {
    let reason = reason.trim();
    let mut tx = store.begin().await?;
    let a = get_any(&mut tx, audit_id).await?;
    if !may_manage(&a, viewer) {
        return Err(refuse_manage(&a));
    }
    must_be_open(&a)?;
    if reason.is_empty() {
        return Err(AuditError::Invalid(
            "Say why the sample is being drawn again".into(),
        ));
    }
    if reason.chars().count() > 1000 {
        return Err(AuditError::Invalid(
            "The reason must be 1000 characters or fewer".into(),
        ));
    }
    let n = findings_count(&mut tx, audit_id).await?;
    if n > 0 {
        return Err(AuditError::Conflict(format!(
            "The sample cannot be drawn again: {n} finding{} already recorded against it. A redraw after findings would let a sample be chosen for its results. If this sample is wrong, close this audit and open a new one.",
            if n == 1 { " is" } else { "s are" }
        )));
    }
    let period = Period::new(
        parse_stored_date(&a.period_start)?,
        parse_stored_date(&a.period_end)?,
    )
    .map_err(|e| AuditError::Invalid(e.message))?;
    let seed = seed.unwrap_or_else(random_seed);
    let before: Vec<String> = sample_refs(&mut tx, a.draw_id).await?;
    let drawn = draw_into(
        &mut tx,
        store.backend(),
        actor,
        audit_id,
        a.draw_no + 1,
        &period,
        a.sample_size as u64,
        seed,
        reason,
    )
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "compliance_audit.draw",
            format!(
                "Drew the sample of compliance audit {audit_id} again (draw {}, seed {seed}): {reason}",
                drawn.draw_no
            ),
        )
        .on("compliance_audit", audit_id.to_string())
        .before(&serde_json::json!({"draw_no": a.draw_no, "seed": a.seed, "frame_size": a.frame_size, "sample": before}))
        .after(&serde_json::json!({"draw_no": drawn.draw_no, "seed": seed.to_string(), "frame_size": drawn.frame_size, "sample": drawn.sample, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(drawn)
}

/// The sample a draw gives when drawn again today from its recorded seed, by the method it was
/// drawn with (incident references in draw order): the same as the recorded sample unless the
/// period's incidents have changed since.
pub async fn sample_again(store: &Store, audit_id: i64, draw_no: i64) -> Result<Vec<String>> {
    let mut conn = store.pool().acquire().await?;
    let row: Option<(String, i64, String, String, i64)> = sqlx::query_as(
        "SELECT d.seed, d.method, a.period_start, a.period_end, a.sample_size
         FROM compliance_audit_draws d JOIN compliance_audits a ON a.id = d.audit_id
         WHERE d.audit_id = $1 AND d.draw_no = $2",
    )
    .bind(audit_id)
    .bind(draw_no)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((seed, method, start, end, size)) = row else {
        return Err(AuditError::NotFound(format!(
            "Compliance audit {audit_id} has no draw {draw_no}"
        )));
    };
    let (seed, method) = crate::draw_frame::recorded_draw(&seed, method)?;
    let period = Period::new(parse_stored_date(&start)?, parse_stored_date(&end)?)
        .map_err(|e| AuditError::Invalid(e.message))?;
    let (_, drawn) = select(
        &mut conn,
        store.backend(),
        method,
        &period,
        size as usize,
        seed,
    )
    .await?;
    Ok(drawn.into_iter().map(|(_, r)| r).collect())
}

fn parse_stored_date(s: &str) -> Result<Date> {
    mashboard_domain::people::parse_date(s)
        .map_err(|e| AuditError::Store(StoreError::Invalid(format!("stored date: {e}"))))
}

async fn sample_refs(conn: &mut AnyConnection, draw_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT i.incident_ref FROM compliance_audit_sample s JOIN incidents i ON i.id = s.incident_id
         WHERE s.draw_id = $1 ORDER BY s.position",
    )
    .bind(draw_id)
    .fetch_all(&mut *conn)
    .await?)
}

/// The incident references of an audit's current sample, in draw order (no view is recorded:
/// references only).
pub async fn current_sample_refs(store: &Store, audit: &AuditRow) -> Result<Vec<String>> {
    let mut conn = store.pool().acquire().await?;
    sample_refs(&mut conn, audit.draw_id).await
}

/// The current sample in draw order, each with whether it has a finding (references only, so
/// no view is recorded).
pub async fn progress(store: &Store, audit: &AuditRow) -> Result<Vec<(String, bool)>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT i.incident_ref, CAST(CASE WHEN f.incident_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS done
         FROM compliance_audit_sample s JOIN incidents i ON i.id = s.incident_id
         LEFT JOIN compliance_findings f ON f.audit_id = $2 AND f.incident_id = s.incident_id
         WHERE s.draw_id = $1 ORDER BY s.position",
    )
    .bind(audit.draw_id)
    .bind(audit.id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(r, d)| (r, d != 0)).collect())
}

/// The auditors assigned to an audit, by username.
pub async fn auditors(store: &Store, audit_id: i64) -> Result<Vec<AuditorRow>> {
    Ok(sqlx::query_as::<_, AuditorRow>(
        "SELECT u.id AS user_id, u.username, p.name AS person_name
         FROM compliance_audit_auditors x JOIN users u ON u.id = x.user_id
         LEFT JOIN people p ON p.id = u.person_id
         WHERE x.audit_id = $1 ORDER BY u.username",
    )
    .bind(audit_id)
    .fetch_all(store.pool())
    .await?)
}

/// Enabled accounts with the auditor role: who can be assigned.
pub async fn eligible_auditors(store: &Store) -> Result<Vec<AuditorRow>> {
    Ok(sqlx::query_as::<_, AuditorRow>(
        "SELECT u.id AS user_id, u.username, p.name AS person_name
         FROM users u LEFT JOIN people p ON p.id = u.person_id
         WHERE u.disabled = 0 AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = 'auditor')
         ORDER BY u.username",
    )
    .fetch_all(store.pool())
    .await?)
}

/// Sets who audits: accounts with the auditor role, or the owner. Replaces the list.
pub async fn set_auditors(
    store: &Store,
    actor: &Actor,
    viewer: &Viewer,
    audit_id: i64,
    usernames: &[String],
) -> Result<Vec<AuditorRow>> {
    let mut tx = store.begin().await?;
    let a = get_any(&mut tx, audit_id).await?;
    if !may_manage(&a, viewer) {
        return Err(refuse_manage(&a));
    }
    must_be_open(&a)?;
    let mut ids: Vec<(i64, String)> = Vec::new();
    for name in usernames.iter().map(|u| u.trim().to_ascii_lowercase()) {
        if name.is_empty() || ids.iter().any(|(_, n)| *n == name) {
            continue;
        }
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT id, disabled FROM users WHERE username = $1")
                .bind(&name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((id, disabled)) = row else {
            return Err(AuditError::Invalid(format!(
                "There is no account called {name}"
            )));
        };
        if disabled != 0 {
            return Err(AuditError::Invalid(format!(
                "The account {name} is disabled"
            )));
        }
        let is_auditor: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM user_roles WHERE user_id = $1 AND role = 'auditor'",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if is_auditor == 0 && id != a.owner_user_id {
            return Err(AuditError::Invalid(format!(
                "{name} does not have the auditor role; only auditors (or the audit's owner) can be assigned"
            )));
        }
        ids.push((id, name));
    }
    let before: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM compliance_audit_auditors x JOIN users u ON u.id = x.user_id
         WHERE x.audit_id = $1 ORDER BY u.username",
    )
    .bind(audit_id)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM compliance_audit_auditors WHERE audit_id = $1")
        .bind(audit_id)
        .execute(&mut *tx)
        .await?;
    for (id, _) in &ids {
        sqlx::query("INSERT INTO compliance_audit_auditors (audit_id, user_id) VALUES ($1, $2)")
            .bind(audit_id)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
    }
    let mut after: Vec<String> = ids.into_iter().map(|(_, n)| n).collect();
    after.sort();
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "compliance_audit.auditors",
            format!(
                "Set the auditors of compliance audit {audit_id}: {}",
                if after.is_empty() {
                    "none".to_string()
                } else {
                    after.join(", ")
                }
            ),
        )
        .on("compliance_audit", audit_id.to_string())
        .before(&serde_json::json!({ "auditors": before }))
        .after(&serde_json::json!({ "auditors": after })),
    )
    .await?;
    tx.commit().await?;
    auditors(store, audit_id).await
}

/// What recording a finding needs besides the answers.
#[derive(Debug, Clone)]
pub struct FindingInput {
    pub incident_ref: String,
    pub finding: Finding,
    pub note: String,
}

/// Records (or changes) the finding for one incident of the audit's current sample. Only the
/// audit's assigned auditors and its owner may, and only while it is open.
pub async fn record_finding(
    store: &Store,
    actor: &Actor,
    viewer: &Viewer,
    audit_id: i64,
    input: &FindingInput,
) -> Result<(FindingRecord, bool)> {
    let mut tx = store.begin().await?;
    let a = get_any(&mut tx, audit_id).await?;
    let assigned: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM compliance_audit_auditors WHERE audit_id = $1 AND user_id = $2",
    )
    .bind(audit_id)
    .bind(viewer.user_id)
    .fetch_one(&mut *tx)
    .await?;
    let reader = AuditReader {
        sees_all: viewer.sees_all,
        owner: a.owner_user_id == viewer.user_id,
        assigned: assigned > 0,
    };
    if !reader.may_see() {
        // Someone who cannot read the audit learns nothing of it here either, not even its owner.
        return Err(AuditError::NotFound(format!(
            "There is no compliance audit {audit_id}"
        )));
    }
    if !reader.may_record() {
        return Err(AuditError::Refused(format!(
            "You are not assigned to compliance audit {audit_id}: only its assigned auditors and its owner ({}) can record findings. Ask the owner to assign you.",
            a.owner
        )));
    }
    must_be_open(&a)?;
    input
        .finding
        .validate()
        .map_err(|e| AuditError::Invalid(format!("{}: {}", e.field, e.message)))?;
    let note = input.note.trim();
    if note.chars().count() > 2000 {
        return Err(AuditError::Invalid(
            "note: the note must be 2000 characters or fewer".into(),
        ));
    }
    let reference = input.incident_ref.trim();
    if reference.is_empty() {
        return Err(AuditError::Invalid(
            "incident_ref: give the incident's reference".into(),
        ));
    }
    let incident_id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM incidents WHERE incident_ref = $1")
            .bind(reference)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(incident_id) = incident_id else {
        return Err(AuditError::Invalid(format!(
            "incident_ref: there is no incident with the reference \"{reference}\""
        )));
    };
    let in_sample: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM compliance_audit_sample WHERE draw_id = $1 AND incident_id = $2",
    )
    .bind(a.draw_id)
    .bind(incident_id)
    .fetch_one(&mut *tx)
    .await?;
    if in_sample == 0 {
        return Err(AuditError::Invalid(format!(
            "incident_ref: incident {reference} is not in the sample of compliance audit {audit_id}; findings can only be recorded for the incidents drawn"
        )));
    }
    let existing = finding_of(&mut tx, audit_id, incident_id, reference).await?;
    let f = &input.finding;
    let now = now_text();
    let reason = f.required_reason.map(|r| r.as_str());
    let on_time = f.on_time.map(i64::from);
    if existing.is_some() {
        sqlx::query(
            "UPDATE compliance_findings SET form_required = $1, required_reason = $2, form_completed = $3,
                on_time = $4, note = $5, recorded_by = $6, recorded_at = $7
             WHERE audit_id = $8 AND incident_id = $9",
        )
        .bind(i64::from(f.form_required))
        .bind(reason)
        .bind(i64::from(f.form_completed))
        .bind(on_time)
        .bind(note)
        .bind(&actor.name)
        .bind(&now)
        .bind(audit_id)
        .bind(incident_id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO compliance_findings (audit_id, incident_id, form_required, required_reason, form_completed,
                on_time, note, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(audit_id)
        .bind(incident_id)
        .bind(i64::from(f.form_required))
        .bind(reason)
        .bind(i64::from(f.form_completed))
        .bind(on_time)
        .bind(note)
        .bind(&actor.name)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                AuditError::Conflict(format!(
                    "Someone else recorded a finding for {reference} at the same moment. Reload the page and check it."
                ))
            } else {
                e.into()
            }
        })?;
    }
    let record = finding_of(&mut tx, audit_id, incident_id, reference)
        .await?
        .ok_or_else(|| AuditError::Store(StoreError::NotFound("finding vanished".into())))?;
    let changed = existing.is_some();
    let action = if changed {
        "compliance_finding.change"
    } else {
        "compliance_finding.record"
    };
    let mut event = Event::new(
        action,
        format!(
            "{} the finding for incident {reference} in compliance audit {audit_id}",
            if changed { "Changed" } else { "Recorded" }
        ),
    )
    .on("compliance_audit", audit_id.to_string())
    .after(&record);
    if let Some(before) = &existing {
        event = event.before(before);
    }
    audit_trail::record_on(&mut tx, actor, event).await?;
    tx.commit().await?;
    Ok((record, changed))
}

async fn finding_of(
    conn: &mut AnyConnection,
    audit_id: i64,
    incident_id: i64,
    reference: &str,
) -> Result<Option<FindingRecord>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        form_required: i64,
        required_reason: Option<String>,
        form_completed: i64,
        on_time: Option<i64>,
        note: String,
        recorded_by: String,
        recorded_at: String,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT form_required, required_reason, form_completed, on_time, note, recorded_by, recorded_at
         FROM compliance_findings WHERE audit_id = $1 AND incident_id = $2",
    )
    .bind(audit_id)
    .bind(incident_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| FindingRecord {
        incident_ref: reference.to_string(),
        form_required: r.form_required != 0,
        required_reason: r.required_reason,
        form_completed: r.form_completed != 0,
        on_time: r.on_time.map(|v| v != 0),
        note: r.note,
        recorded_by: r.recorded_by,
        recorded_at: r.recorded_at,
    }))
}

/// Closes an audit: its sample, auditors and findings no longer change.
pub async fn close(store: &Store, actor: &Actor, viewer: &Viewer, audit_id: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    let a = get_any(&mut tx, audit_id).await?;
    if !may_manage(&a, viewer) {
        return Err(refuse_manage(&a));
    }
    must_be_open(&a)?;
    sqlx::query(
        "UPDATE compliance_audits SET status = 'closed', closed_at = $1 WHERE id = $2 AND status = 'open'",
    )
    .bind(now_text())
    .bind(audit_id)
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "compliance_audit.close",
            format!(
                "Closed compliance audit {audit_id} with {} of {} findings recorded",
                a.done, a.sampled
            ),
        )
        .on("compliance_audit", audit_id.to_string())
        .before(&serde_json::json!({"status": "open"}))
        .after(&serde_json::json!({"status": "closed", "done": a.done, "sampled": a.sampled})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const SELECT_SAMPLE: &str = "SELECT s.position, i.incident_ref, i.reported_at, i.category, i.area,
        i.children_involved, i.adult_at_risk, i.domestic_abuse, i.officer_staff_number,
        p.name AS officer_name, i.department,
        f.form_required, f.required_reason, f.form_completed, f.on_time, f.note, f.recorded_by, f.recorded_at
    FROM compliance_audit_sample s
    JOIN incidents i ON i.id = s.incident_id
    LEFT JOIN people p ON p.id = i.officer_person_id
    LEFT JOIN compliance_findings f ON f.audit_id = $2 AND f.incident_id = i.id
    WHERE s.draw_id = $1";

async fn load_sample(
    store: &Store,
    a: &AuditRow,
    one: Option<&str>,
) -> Result<Vec<SampledIncident>> {
    let mut rows: Vec<SampledIncident> = match one {
        None => {
            sqlx::query_as::<_, SampleRow>(&format!("{SELECT_SAMPLE} ORDER BY s.position"))
                .bind(a.draw_id)
                .bind(a.id)
                .fetch_all(store.pool())
                .await?
        }
        Some(r) => {
            sqlx::query_as::<_, SampleRow>(&format!("{SELECT_SAMPLE} AND i.incident_ref = $3"))
                .bind(a.draw_id)
                .bind(a.id)
                .bind(r)
                .fetch_all(store.pool())
                .await?
        }
    }
    .into_iter()
    .map(SampleRow::into_sampled)
    .collect();
    let referrals: Vec<LinkedReferral> = sqlx::query_as(
        "SELECT r.incident_ref, r.referral_ref, r.submitted_at FROM referrals r
         WHERE r.incident_ref IN (SELECT i.incident_ref FROM compliance_audit_sample s
                                  JOIN incidents i ON i.id = s.incident_id WHERE s.draw_id = $1)
         ORDER BY r.submitted_at, r.referral_ref",
    )
    .bind(a.draw_id)
    .fetch_all(store.pool())
    .await?;
    for r in referrals {
        if let Some(s) = rows.iter_mut().find(|s| s.incident_ref == r.incident_ref) {
            s.referrals.push(r);
        }
    }
    Ok(rows)
}

/// The incidents of an audit's current sample with their findings. The view is audited.
pub async fn sample(store: &Store, actor: &Actor, a: &AuditRow) -> Result<Vec<SampledIncident>> {
    let rows = load_sample(store, a, None).await?;
    audit_trail::record(
        store,
        actor,
        Event::new(
            "compliance_audit.view",
            format!(
                "Viewed the {} sampled incidents of compliance audit {}",
                rows.len(),
                a.id
            ),
        )
        .on("compliance_audit", a.id.to_string())
        .after(&serde_json::json!({
            "incident_refs": rows.iter().map(|r| r.incident_ref.as_str()).collect::<Vec<_>>()
        })),
    )
    .await?;
    Ok(rows)
}

/// One incident of an audit's current sample (`None` if it is not in it). The view is audited.
pub async fn sampled_incident(
    store: &Store,
    actor: &Actor,
    a: &AuditRow,
    incident_ref: &str,
) -> Result<Option<SampledIncident>> {
    let row = load_sample(store, a, Some(incident_ref.trim()))
        .await?
        .into_iter()
        .next();
    if let Some(r) = &row {
        audit_trail::record(
            store,
            actor,
            Event::new(
                "compliance_incident.view",
                format!(
                    "Viewed incident {} in compliance audit {}",
                    r.incident_ref, a.id
                ),
            )
            .on("incident", &r.incident_ref),
        )
        .await?;
    }
    Ok(row)
}

/// Every finding counted in the roll-ups for incidents reported within `period` (both dates
/// inclusive): each audit's latest draw only, oldest incident first.
pub async fn counted_findings(store: &Store, period: &Period) -> Result<Vec<CountedFinding>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        audit_id: i64,
        audit_title: String,
        audit_status: String,
        incident_ref: String,
        reported_at: String,
        form_required: i64,
        required_reason: Option<String>,
        form_completed: i64,
        on_time: Option<i64>,
        note: String,
        recorded_by: String,
        recorded_at: String,
    }
    let (from, before) = bounds(period);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.id AS audit_id, a.title AS audit_title, a.status AS audit_status, i.incident_ref, i.reported_at,
            f.form_required, f.required_reason, f.form_completed, f.on_time, f.note, f.recorded_by, f.recorded_at
         FROM compliance_findings f
         JOIN compliance_audits a ON a.id = f.audit_id
         JOIN incidents i ON i.id = f.incident_id
         JOIN compliance_audit_draws d ON d.audit_id = f.audit_id
          AND d.draw_no = (SELECT MAX(d2.draw_no) FROM compliance_audit_draws d2 WHERE d2.audit_id = f.audit_id)
         JOIN compliance_audit_sample s ON s.draw_id = d.id AND s.incident_id = f.incident_id
         WHERE i.reported_at >= $1 AND i.reported_at < $2
         ORDER BY i.reported_at, i.incident_ref, a.id",
    )
    .bind(&from)
    .bind(&before)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CountedFinding {
            audit_id: r.audit_id,
            audit_title: r.audit_title,
            audit_open: r.audit_status == "open",
            reported_on: r
                .reported_at
                .get(..10)
                .unwrap_or(&r.reported_at)
                .to_string(),
            finding: FindingRecord {
                incident_ref: r.incident_ref.clone(),
                form_required: r.form_required != 0,
                required_reason: r.required_reason,
                form_completed: r.form_completed != 0,
                on_time: r.on_time.map(|v| v != 0),
                note: r.note,
                recorded_by: r.recorded_by,
                recorded_at: r.recorded_at,
            },
            incident_ref: r.incident_ref,
        })
        .collect())
}

/// A referral linked to one of an audit's sampled incidents, as the audit entitles its readers
/// to read it (see `AuditReader::may_read_linked_referral`): no people named, no outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditedReferral {
    pub referral_ref: String,
    pub incident_ref: String,
    pub submitted_at: String,
    pub subject_type: String,
    pub category: String,
    pub officer_grade: String,
    pub partner: String,
    pub narrative: String,
}

/// A referral linked to an incident of this audit's current sample, for a reader of the audit
/// (`None` when the audit is not theirs to see, or the referral is not linked to one of its
/// sampled incidents). The view is audited, naming the audit it came through.
pub async fn linked_referral(
    store: &Store,
    actor: &Actor,
    viewer: &Viewer,
    a: &AuditRow,
    referral_ref: &str,
) -> Result<Option<AuditedReferral>> {
    if !a.reader(viewer).may_read_linked_referral() {
        return Ok(None);
    }
    let row: Option<AuditedReferral> = sqlx::query_as(
        "SELECT r.referral_ref, r.incident_ref, r.submitted_at, r.subject_type, r.category, r.officer_grade,
                r.partner, r.narrative
         FROM referrals r
         WHERE r.referral_ref = $1 AND r.incident_ref <> ''
           AND r.incident_ref IN (SELECT i.incident_ref FROM compliance_audit_sample s
                                  JOIN incidents i ON i.id = s.incident_id WHERE s.draw_id = $2)",
    )
    .bind(referral_ref.trim())
    .bind(a.draw_id)
    .fetch_optional(store.pool())
    .await?;
    if let Some(r) = &row {
        audit_trail::record(
            store,
            actor,
            Event::new(
                "referral.view",
                format!(
                    "Read referral {} (incident {}) through compliance audit {}",
                    r.referral_ref, r.incident_ref, a.id
                ),
            )
            .on("referral", &r.referral_ref)
            .after(&serde_json::json!({"compliance_audit": a.id, "incident_ref": r.incident_ref})),
        )
        .await?;
    }
    Ok(row)
}

/// The domain's view of counted findings (a finding whose date cannot be read is left out).
pub fn audited(rows: &[CountedFinding]) -> Vec<Audited> {
    rows.iter()
        .filter_map(|r| {
            Some(Audited {
                reported_on: mashboard_domain::people::parse_date(&r.reported_on).ok()?,
                finding: r.finding.finding(),
                provisional: r.audit_open,
            })
        })
        .collect()
}

/// The titles of the still-open audits whose findings count in the roll-ups for `period` (the
/// figures that count them are provisional), oldest first.
pub async fn open_audits_counted(store: &Store, period: &Period) -> Result<Vec<String>> {
    let mut titles: Vec<(i64, String)> = counted_findings(store, period)
        .await?
        .into_iter()
        .filter(|f| f.audit_open)
        .map(|f| (f.audit_id, f.audit_title))
        .collect();
    titles.sort();
    titles.dedup();
    Ok(titles.into_iter().map(|(_, t)| t).collect())
}

/// The compliance roll-ups over findings for incidents reported within `period`.
pub async fn summary(store: &Store, period: &Period) -> Result<Breakdown> {
    let rows = counted_findings(store, period).await?;
    Ok(audit_rules::breakdown(&audited(&rows)))
}

/// When an audit's steps happened, for a history written after the fact (the demo seeds years of
/// audits in one go): the audit and its draws `opened`, its findings `recorded`, and its closing
/// `closed` (an open audit keeps no closing time). Instants are storage text (RFC 3339 UTC).
/// Audited; the trail keeps when it was written.
pub async fn set_history_dates(
    store: &Store,
    actor: &Actor,
    audit_id: i64,
    opened: &str,
    recorded: &str,
    closed: Option<&str>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let a = get_any(&mut tx, audit_id).await?;
    sqlx::query("UPDATE compliance_audits SET created_at = $1, closed_at = $2 WHERE id = $3")
        .bind(opened)
        .bind(closed.filter(|_| a.status == "closed"))
        .bind(audit_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE compliance_audit_draws SET drawn_at = $1 WHERE audit_id = $2")
        .bind(opened)
        .bind(audit_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE compliance_findings SET recorded_at = $1 WHERE audit_id = $2")
        .bind(recorded)
        .bind(audit_id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "compliance_audit.history_dates",
            format!("Compliance audit {audit_id} dated as opened {opened}"),
        )
        .on("compliance_audit", audit_id.to_string())
        .after(&(opened, recorded, closed)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
