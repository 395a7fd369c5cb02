//! The impact dashboard's series: audits (live and imported) with their counts, reviews (live
//! and imported) with their agreed grades, referrals and partner decisions per quarter,
//! incidents that needed a referral, training coverage by department and cohort, the
//! missing-referral queue over time, and the rows the training effect is estimated from.
//!
//! Every query is one aggregate over an indexed range (`submitted_at`, `reported_at`,
//! `queued_at`, the audit and review tables), grouped by month in SQL and rolled into quarters
//! here. [`dashboard`] returns every figure for a period as one serialisable value
//! (`mashboard_domain::impact::dashboard::Dashboard`).
//!
//! Scope: `Scope::Force` counts everything; `Scope::Department` counts incidents of that
//! department (and referrals from them); `Scope::Team` counts incidents and referrals of the
//! people a line manager manages. Imported history and reviews have no department: they are
//! counted for the whole force only.

use std::collections::{BTreeMap, HashMap};

pub mod bench_data;
pub(crate) mod rollups;
pub use rollups::{
    apply_referral_change, bump_version, month_of, months_of, rebuild_rollups, referral_part,
    refresh_all_rollups, refresh_rollups, ReferralPart, Rows, ROLLUP_MIGRATION,
};

use crate::{Result, Store, StoreError};
use mashboard_domain::impact::dashboard::{
    self, quarter_label, AuditPeriod, CoveragePoint, Dashboard, EffectFigure, EffectRow,
    QuarterCounts, QueuePoint, ReviewPeriod, Series, TrainerKind,
};
use mashboard_domain::impact::ChartKind;
use time::{Date, Duration, Month};

/// Whose figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Force,
    /// One department (incidents' department; people's department for coverage).
    Department(String),
    /// The people whose line manager is this person.
    Team(i64),
}

/// The period and whose figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub from: Date,
    pub to: Date,
    pub scope: Scope,
}

impl Filter {
    fn bounds(&self) -> (String, String) {
        let after = self.to.next_day().unwrap_or(self.to);
        (dashboard::iso(self.from), dashboard::iso(after))
    }
    fn force_wide(&self) -> bool {
        self.scope == Scope::Force
    }
    pub fn department(&self) -> Option<String> {
        match &self.scope {
            Scope::Department(d) => Some(d.clone()),
            _ => None,
        }
    }
}

/// A WHERE fragment and its text binds, numbered from `next`.
fn scope_sql(
    scope: &Scope,
    dept_col: &str,
    officer_col: &str,
    next: usize,
) -> (String, Vec<String>) {
    match scope {
        Scope::Force => (String::new(), Vec::new()),
        Scope::Department(d) => (format!(" AND {dept_col} = ${next}"), vec![d.clone()]),
        Scope::Team(manager) => (
            format!(
                " AND {officer_col} IN (SELECT id FROM people WHERE line_manager_id = {manager})"
            ),
            Vec::new(),
        ),
    }
}

/// Each closed compliance audit in the period (its period starts in it), with its findings on
/// the latest draw's sample, and each imported audit period (force-wide only), in order.
pub async fn audit_periods(store: &Store, f: &Filter) -> Result<Vec<AuditPeriod>> {
    let (from, to) = (dashboard::iso(f.from), dashboard::iso(f.to));
    let (extra, binds) = scope_sql(&f.scope, "i.department", "i.officer_person_id", 3);
    let sql = format!(
        "SELECT a.title, a.period_start, a.period_end,
            CAST(COUNT(*) AS BIGINT),
            CAST(SUM(f.form_required) AS BIGINT),
            CAST(SUM(CASE WHEN f.form_required = 1 AND f.form_completed = 1 THEN 1 ELSE 0 END) AS BIGINT),
            CAST(SUM(1 - f.form_required) AS BIGINT),
            CAST(SUM(CASE WHEN f.form_required = 0 AND f.form_completed = 1 THEN 1 ELSE 0 END) AS BIGINT)
         FROM compliance_audits a
         JOIN compliance_findings f ON f.audit_id = a.id
         JOIN compliance_audit_draws d ON d.audit_id = a.id
          AND d.draw_no = (SELECT MAX(d2.draw_no) FROM compliance_audit_draws d2 WHERE d2.audit_id = a.id)
         JOIN compliance_audit_sample s ON s.draw_id = d.id AND s.incident_id = f.incident_id
         JOIN incidents i ON i.id = f.incident_id
         WHERE a.status = 'closed' AND a.period_start >= $1 AND a.period_start <= $2{extra}
         GROUP BY a.id, a.title, a.period_start, a.period_end"
    );
    type Row = (String, String, String, i64, i64, i64, i64, i64);
    let mut q = sqlx::query_as::<_, Row>(&sql).bind(&from).bind(&to);
    for b in &binds {
        q = q.bind(b);
    }
    let mut out: Vec<AuditPeriod> = q
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .map(|r| AuditPeriod {
            title: r.0,
            period_start: r.1,
            period_end: r.2,
            examined: r.3.max(0) as u64,
            required: r.4.max(0) as u64,
            completed_when_required: r.5.max(0) as u64,
            not_required: r.6.max(0) as u64,
            completed_when_not_required: r.7.max(0) as u64,
            imported: false,
        })
        .collect();
    if f.force_wide() {
        type Hist = (String, String, i64, i64, i64, i64, i64);
        let rows: Vec<Hist> = sqlx::query_as(
            "SELECT period_start, period_end, examined, required, completed_when_required,
                not_required, completed_when_not_required
             FROM audit_history WHERE period_start >= $1 AND period_start <= $2",
        )
        .bind(&from)
        .bind(&to)
        .fetch_all(store.pool())
        .await?;
        for r in rows {
            // A period audited in mashboard as well is shown once, from mashboard.
            if out
                .iter()
                .any(|a| a.period_start == r.0 && a.period_end == r.1)
            {
                continue;
            }
            out.push(AuditPeriod {
                title: format!("{} (imported)", dashboard::period_label(&r.0, &r.1)),
                period_start: r.0,
                period_end: r.1,
                examined: r.2.max(0) as u64,
                required: r.3.max(0) as u64,
                completed_when_required: r.4.max(0) as u64,
                not_required: r.5.max(0) as u64,
                completed_when_not_required: r.6.max(0) as u64,
                imported: true,
            });
        }
    }
    out.sort_by(|a, b| (&a.period_start, &a.period_end).cmp(&(&b.period_start, &b.period_end)));
    Ok(out)
}

/// Each closed review in the period with its agreed grades counted (on the latest draw's
/// sample), and each imported review (force-wide only), in order.
pub async fn review_periods(store: &Store, f: &Filter) -> Result<Vec<ReviewPeriod>> {
    let (from, to) = (dashboard::iso(f.from), dashboard::iso(f.to));
    let (extra, binds) = scope_sql(&f.scope, "i.department", "r.officer_person_id", 3);
    let sql = format!(
        "SELECT q.title, q.period_start, q.period_end, g.grade, CAST(COUNT(*) AS BIGINT)
         FROM quality_reviews q
         JOIN quality_agreed_grades g ON g.review_id = q.id
         JOIN quality_review_draws d ON d.review_id = q.id
          AND d.draw_no = (SELECT MAX(d2.draw_no) FROM quality_review_draws d2 WHERE d2.review_id = q.id)
         JOIN quality_review_sample s ON s.draw_id = d.id AND s.referral_id = g.referral_id
         JOIN referrals r ON r.id = g.referral_id
         LEFT JOIN incidents i ON i.incident_ref = r.incident_ref
         WHERE q.status = 'closed' AND q.period_start >= $1 AND q.period_start <= $2{extra}
         GROUP BY q.id, q.title, q.period_start, q.period_end, g.grade"
    );
    let mut q = sqlx::query_as::<_, (String, String, String, i64, i64)>(&sql)
        .bind(&from)
        .bind(&to);
    for b in &binds {
        q = q.bind(b);
    }
    let mut by_review: BTreeMap<(String, String, String), [u64; 4]> = BTreeMap::new();
    for (title, start, end, grade, n) in q.fetch_all(store.pool()).await? {
        if (1..=4).contains(&grade) {
            by_review.entry((start, end, title)).or_default()[grade as usize - 1] +=
                n.max(0) as u64;
        }
    }
    let mut out: Vec<ReviewPeriod> = by_review
        .into_iter()
        .map(|((start, end, title), counts)| ReviewPeriod {
            title,
            period_start: start,
            period_end: end,
            counts,
            imported: false,
        })
        .collect();
    if f.force_wide() {
        type Hist = (String, String, i64, i64, i64, i64);
        let rows: Vec<Hist> = sqlx::query_as(
            "SELECT period_start, period_end, grade_1, grade_2, grade_3, grade_4
             FROM review_history WHERE period_start >= $1 AND period_start <= $2",
        )
        .bind(&from)
        .bind(&to)
        .fetch_all(store.pool())
        .await?;
        for r in rows {
            if out
                .iter()
                .any(|a| a.period_start == r.0 && a.period_end == r.1)
            {
                continue;
            }
            out.push(ReviewPeriod {
                title: format!("{} (imported)", dashboard::period_label(&r.0, &r.1)),
                period_start: r.0,
                period_end: r.1,
                counts: [r.2, r.3, r.4, r.5].map(|c| c.max(0) as u64),
                imported: true,
            });
        }
    }
    out.sort_by(|a, b| (&a.period_start, &a.period_end).cmp(&(&b.period_start, &b.period_end)));
    Ok(out)
}

/// Referrals submitted and incidents needing a referral reported in the period, per calendar
/// quarter (every quarter of the period, empty ones too). A referral's decision is that of the
/// agency it went to: the outcome whose partner is the referral's partner, ignoring case.
///
/// Force-wide and for a department, whole months are read from the roll-up (`impact_monthly`,
/// kept current by every write: see `rollups`) and only the days of a month the period cuts
/// are counted live; a team's figures (a few officers, by index) are counted live.
pub async fn quarters(store: &Store, f: &Filter) -> Result<Vec<QuarterCounts>> {
    let mut by_quarter = empty_quarters(f);
    let (from, before) = f.bounds();
    if matches!(f.scope, Scope::Team(_)) {
        count_live(store, f, &from, &before, &mut by_quarter).await?;
        return Ok(by_quarter.into_values().collect());
    }
    // Whole months of the period: from the first day of the first whole month to the first
    // day after the last whole one.
    let first_whole = if f.from.day() == 1 {
        f.from
    } else {
        next_month(f.from)
    };
    let after = f.to.next_day().unwrap_or(f.to);
    let end_whole = Date::from_calendar_date(after.year(), after.month(), 1).expect("first");
    if first_whole >= end_whole {
        count_live(store, f, &from, &before, &mut by_quarter).await?;
        return Ok(by_quarter.into_values().collect());
    }
    let (whole_from, whole_before) = (dashboard::iso(first_whole), dashboard::iso(end_whole));
    if from < whole_from {
        count_live(store, f, &from, &whole_from, &mut by_quarter).await?;
    }
    if whole_before < before {
        count_live(store, f, &whole_before, &before, &mut by_quarter).await?;
    }
    let (dept, binds) = match &f.scope {
        Scope::Department(d) => (" AND department = $3 AND linked = 1", vec![d.clone()]),
        _ => ("", Vec::new()),
    };
    let sql = format!(
        "SELECT month, CAST(SUM(referrals) AS BIGINT), CAST(SUM(with_decision) AS BIGINT),
            CAST(SUM(accepted) AS BIGINT), CAST(SUM(rejected_or_returned) AS BIGINT),
            CAST(SUM(incidents_needing) AS BIGINT)
         FROM impact_monthly WHERE month >= $1 AND month < $2{dept}
         GROUP BY month"
    );
    let mut q = sqlx::query_as::<_, (String, i64, i64, i64, i64, i64)>(&sql)
        .bind(&whole_from[..7])
        .bind(&whole_before[..7]);
    for b in &binds {
        q = q.bind(b);
    }
    for (ym, n, decided, acc, rej, needing) in q.fetch_all(store.pool()).await? {
        if let Some(c) = quarter_of_month(&ym).and_then(|i| by_quarter.get_mut(&i)) {
            c.referrals += n.max(0) as u64;
            c.with_decision += decided.max(0) as u64;
            c.accepted += acc.max(0) as u64;
            c.rejected_or_returned += rej.max(0) as u64;
            c.incidents_needing += needing.max(0) as u64;
        }
    }
    Ok(by_quarter.into_values().collect())
}

/// Every quarter of the period, with nothing counted yet.
fn empty_quarters(f: &Filter) -> BTreeMap<i32, QuarterCounts> {
    (dashboard::quarter_index(f.from)..=dashboard::quarter_index(f.to))
        .map(|qi| {
            let counts = QuarterCounts {
                quarter: quarter_label(dashboard::quarter_start(qi)),
                referrals: 0,
                with_decision: 0,
                accepted: 0,
                rejected_or_returned: 0,
                incidents_needing: 0,
            };
            (qi, counts)
        })
        .collect()
}

/// The quarter index of a `YYYY-MM` month.
fn quarter_of_month(ym: &str) -> Option<i32> {
    let y: i32 = ym.get(..4)?.parse().ok()?;
    let m: u8 = ym.get(5..7)?.parse().ok()?;
    Some(y * 4 + i32::from((m.clamp(1, 12) - 1) / 3))
}

/// Counts referrals and incidents needing one from the tables, between `from` (inclusive) and
/// `before` (exclusive), into their quarters.
async fn count_live(
    store: &Store,
    f: &Filter,
    from: &str,
    before: &str,
    by_quarter: &mut BTreeMap<i32, QuarterCounts>,
) -> Result<()> {
    let [decided, accepted, rejected] = rollups::decision_sums();
    let (extra, binds) = scope_sql(&f.scope, "i.department", "r.officer_person_id", 3);
    let join_incident = if matches!(f.scope, Scope::Department(_)) {
        " JOIN incidents i ON i.incident_ref = r.incident_ref"
    } else {
        ""
    };
    let sql = format!(
        "SELECT substr(r.submitted_at, 1, 7), CAST(COUNT(*) AS BIGINT), {decided}, {accepted}, {rejected}
         FROM referrals r{join_incident}
         LEFT JOIN referral_outcomes o ON o.referral_ref = r.referral_ref AND LOWER(o.partner) = LOWER(r.partner)
         WHERE r.submitted_at >= $1 AND r.submitted_at < $2{extra}
         GROUP BY substr(r.submitted_at, 1, 7)"
    );
    let mut q = sqlx::query_as::<_, (String, i64, i64, i64, i64)>(&sql)
        .bind(from)
        .bind(before);
    for b in &binds {
        q = q.bind(b);
    }
    for (ym, n, decided, acc, rej) in q.fetch_all(store.pool()).await? {
        if let Some(c) = quarter_of_month(&ym).and_then(|i| by_quarter.get_mut(&i)) {
            c.referrals += n.max(0) as u64;
            c.with_decision += decided.max(0) as u64;
            c.accepted += acc.max(0) as u64;
            c.rejected_or_returned += rej.max(0) as u64;
        }
    }
    let (extra, binds) = scope_sql(&f.scope, "department", "officer_person_id", 3);
    let sql = format!(
        "SELECT substr(reported_at, 1, 7), CAST(COUNT(*) AS BIGINT) FROM incidents
         WHERE reported_at >= $1 AND reported_at < $2
           AND (children_involved = 1 OR domestic_abuse = 1 OR adult_at_risk = 1){extra}
         GROUP BY substr(reported_at, 1, 7)"
    );
    let mut q = sqlx::query_as::<_, (String, i64)>(&sql)
        .bind(from)
        .bind(before);
    for b in &binds {
        q = q.bind(b);
    }
    for (ym, n) in q.fetch_all(store.pool()).await? {
        if let Some(c) = quarter_of_month(&ym).and_then(|i| by_quarter.get_mut(&i)) {
            c.incidents_needing += n.max(0) as u64;
        }
    }
    Ok(())
}

/// The same counts as [`quarters`], every one from the tables (no roll-up): what the roll-up
/// must always equal.
pub async fn quarters_live(store: &Store, f: &Filter) -> Result<Vec<QuarterCounts>> {
    let mut by_quarter = empty_quarters(f);
    let (from, before) = f.bounds();
    count_live(store, f, &from, &before, &mut by_quarter).await?;
    Ok(by_quarter.into_values().collect())
}

/// The first completion (any version, signed off or not) of the module by each person:
/// person id → (date, session id).
async fn first_completions(
    store: &Store,
    module: &str,
) -> Result<HashMap<i64, (Date, Option<i64>)>> {
    let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT c.person_id, c.completed_on, c.session_id FROM completions c
         JOIN modules m ON m.id = c.module_id
         WHERE UPPER(m.code) = UPPER($1)
         ORDER BY c.person_id, c.completed_on, c.id",
    )
    .bind(module)
    .fetch_all(store.pool())
    .await?;
    let mut out = HashMap::new();
    for (person, on, session) in rows {
        if let Some(d) = parse_day(&on) {
            out.entry(person).or_insert((d, session));
        }
    }
    Ok(out)
}

fn parse_day(s: &str) -> Option<Date> {
    let y: i32 = s.get(..4)?.parse().ok()?;
    let m: u8 = s.get(5..7)?.parse().ok()?;
    let d: u8 = s.get(8..10)?.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// Training coverage of the module at the end of each quarter of the period, by department and
/// by cohort: people who had started by then and not left, and of them those trained by then.
pub async fn coverage(store: &Store, f: &Filter, module: &str) -> Result<Vec<CoveragePoint>> {
    let first = first_completions(store, module).await?;
    type P = (
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let people: Vec<P> = sqlx::query_as(
        "SELECT id, department, cohort, start_date, left_on, line_manager_id FROM people",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    let mut qi = dashboard::quarter_index(f.from);
    while qi <= dashboard::quarter_index(f.to) {
        let end = dashboard::quarter_start(qi + 1) - Duration::days(1);
        let mut tally: BTreeMap<(&'static str, String), (u64, u64)> = BTreeMap::new();
        for (id, dept, cohort, start, left, manager) in &people {
            let in_scope = match &f.scope {
                Scope::Force => true,
                Scope::Department(d) => dept.as_deref() == Some(d.as_str()),
                Scope::Team(m) => *manager == Some(*m),
            };
            let started = start
                .as_deref()
                .and_then(parse_day)
                .is_none_or(|s| s <= end);
            let gone = left
                .as_deref()
                .and_then(parse_day)
                .is_some_and(|l| l <= end);
            if !in_scope || !started || gone {
                continue;
            }
            let trained = first.get(id).is_some_and(|(d, _)| *d <= end);
            for (by, group) in [("department", dept), ("cohort", cohort)] {
                let Some(g) = group.as_ref().filter(|g| !g.trim().is_empty()) else {
                    continue;
                };
                let t = tally.entry((by, g.clone())).or_default();
                t.0 += 1;
                t.1 += u64::from(trained);
            }
        }
        let label = quarter_label(dashboard::quarter_start(qi));
        out.extend(
            tally
                .into_iter()
                .map(|((by, group), (people, trained))| CoveragePoint {
                    quarter: label.clone(),
                    by,
                    group,
                    people,
                    trained,
                }),
        );
        qi += 1;
    }
    Ok(out)
}

/// The missing-referral queue at the end of each month of the period (up to today): how many
/// items were open, their mean age and the oldest, from when each was queued and closed (the
/// queue keeps both, so no snapshot is needed).
///
/// Force-wide and for a department, read from the queue's day counts (`queue_day_counts`,
/// migration 26: items per department of their incident, day queued and day closed, kept by
/// triggers in the same transaction as every change to the queue or to an incident's
/// department): a few thousand small rows, whatever the size of the register. A team's from the
/// same counts per officer of the item's incident (`queue_officer_day_counts`, migration 31,
/// kept the same way, and when an incident changes officer): the team's ten or so officers'
/// rows, instead of the team's incidents (20,000 at 10,000,000) each looked up on the queue.
pub async fn queue(store: &Store, f: &Filter, today: Date) -> Result<Vec<QueuePoint>> {
    let (from, before) = f.bounds();
    let (table, scope) = match &f.scope {
        Scope::Force => ("queue_day_counts", String::new()),
        Scope::Department(_) => ("queue_day_counts", " AND department = $3".to_string()),
        Scope::Team(manager) => (
            "queue_officer_day_counts",
            format!(" AND officer_id IN (SELECT id FROM people WHERE line_manager_id = {manager})"),
        ),
    };
    // The same items as [`queue_live`] reads: queued before the period ended, not closed
    // before it began, not closed before the day they were queued (bad data: never open). The
    // days are the first ten characters of the times, so each comparison of a day with a date
    // gives what the same comparison of the whole time gives.
    let sql = format!(
        "SELECT queued_day, closed_day, CAST(SUM(n) AS BIGINT) FROM {table}
         WHERE queued_day < $1
           AND (closed_day = '' OR (closed_day >= $2 AND closed_day >= queued_day)){scope}
         GROUP BY queued_day, closed_day
         HAVING SUM(n) > 0"
    );
    let mut q = sqlx::query_as::<_, (String, String, i64)>(&sql)
        .bind(&before)
        .bind(&from);
    if let Scope::Department(d) = &f.scope {
        q = q.bind(d);
    }
    // (queued, closed, items); a closing day that is not a date never closes (as counted live).
    let rows: Vec<(Date, Option<Date>, i64)> = q
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .filter_map(|(queued, closed, n)| Some((parse_day(&queued)?, parse_day(&closed), n)))
        .collect();
    let mut out = Vec::new();
    let mut month = Date::from_calendar_date(f.from.year(), f.from.month(), 1).expect("first");
    let last = f.to.min(today);
    while month <= last {
        let next = next_month(month);
        let on = (next - Duration::days(1)).min(last);
        let (mut open, mut age_sum, mut oldest) = (0i64, 0i64, None::<i64>);
        for (queued, closed, n) in &rows {
            if *queued <= on && closed.is_none_or(|c| c > on) {
                let age = (on - *queued).whole_days();
                open += n;
                age_sum += n * age;
                oldest = Some(oldest.map_or(age, |o| o.max(age)));
            }
        }
        out.push(QueuePoint {
            on: dashboard::iso(on),
            open: open.max(0) as u64,
            mean_age_days: (open > 0).then(|| age_sum as f64 / open as f64),
            oldest_days: oldest,
        });
        month = next;
    }
    Ok(out)
}

/// [`queue`] counted from the queue's items rather than its day counts: what the day counts
/// must always give (tests, and the benchmark's timing of the part).
///
/// Counted in SQL, never loading the items: two aggregates over the period's items, one by the
/// day items were queued (how many, and the last day any of them closed) and one by the day
/// items closed (how many, and the sum of their queued days), a few thousand rows for any size
/// of queue. An item is open at a month's end when it was queued on or before that day and not
/// closed by it, so the month's open count and the sum of their queued days are running totals
/// of the first less the second, and the oldest is the first queued day whose last closing is
/// after it. [`queue_by_items`] is the same from the items read one by one.
pub async fn queue_live(store: &Store, f: &Filter, today: Date) -> Result<Vec<QueuePoint>> {
    let (from, before) = f.bounds();
    let (extra, binds) = scope_sql(&f.scope, "i.department", "i.officer_person_id", 3);
    // A department's items: the queue is small and a department's incidents many, so the
    // items are read first and their incidents looked up by id (`CROSS JOIN` keeps that order
    // on SQLite, which would otherwise read every incident of the department and look for an
    // item for each: 554 ms at a million incidents, 224 ms this way; PostgreSQL plans it as the
    // same inner join either way). A team's few incidents are best found by their officers
    // first (1.8 ms), which the planner does by itself with a plain join.
    let (join, link) = match f.scope {
        Scope::Force => ("", ""),
        Scope::Department(_) => (" CROSS JOIN incidents i", " AND i.id = q.incident_id"),
        Scope::Team(_) => (" JOIN incidents i ON i.id = q.incident_id", ""),
    };
    // Items closed before the period began are open at none of its month ends; an item closed
    // before the day it was queued (bad data) is open at none either.
    let items = format!(
        "FROM missing_referrals q{join}
         WHERE q.queued_at < $1 AND (q.closed_at IS NULL OR q.closed_at >= $2)
           AND (q.closed_at IS NULL OR substr(q.closed_at, 1, 10) >= substr(q.queued_at, 1, 10)){link}{extra}"
    );
    // Days since 1 January 1970 of the day an item was queued.
    let queued_day = match store.backend() {
        crate::Backend::Sqlite => {
            "CAST(julianday(substr(q.queued_at, 1, 10)) - 2440587.5 AS BIGINT)"
        }
        crate::Backend::Postgres => {
            "(CAST(substr(q.queued_at, 1, 10) AS DATE) - DATE '1970-01-01')"
        }
    };
    let by_queued = format!(
        "SELECT substr(q.queued_at, 1, 10), CAST(COUNT(*) AS BIGINT),
            MAX(CASE WHEN q.closed_at IS NULL THEN '9999-12-31' ELSE substr(q.closed_at, 1, 10) END)
         {items}
         GROUP BY substr(q.queued_at, 1, 10)"
    );
    let by_closed = format!(
        "SELECT substr(q.closed_at, 1, 10), CAST(COUNT(*) AS BIGINT), CAST(SUM({queued_day}) AS BIGINT)
         {items} AND q.closed_at IS NOT NULL
         GROUP BY substr(q.closed_at, 1, 10)"
    );
    let mut q1 = sqlx::query_as::<_, (String, i64, String)>(&by_queued)
        .bind(&before)
        .bind(&from);
    let mut q2 = sqlx::query_as::<_, (String, i64, i64)>(&by_closed)
        .bind(&before)
        .bind(&from);
    for b in &binds {
        q1 = q1.bind(b);
        q2 = q2.bind(b);
    }
    let epoch = Date::from_calendar_date(1970, Month::January, 1).expect("1 January 1970");
    // (queued day, items, the last day one of them closed), in order of the day.
    let mut queued: Vec<(Date, i64, String)> = q1
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .filter_map(|(d, n, last)| Some((parse_day(&d)?, n, last)))
        .collect();
    queued.sort_by_key(|r| r.0);
    let mut closed: Vec<(Date, i64, i64)> = q2
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .filter_map(|(d, n, sum)| Some((parse_day(&d)?, n, sum)))
        .collect();
    closed.sort_by_key(|r| r.0);

    let mut out = Vec::new();
    let (mut qi, mut ci) = (0, 0);
    // Running totals: items queued and the sum of their days, less those closed.
    let (mut open, mut day_sum) = (0i64, 0i64);
    let mut month = Date::from_calendar_date(f.from.year(), f.from.month(), 1).expect("first");
    let last = f.to.min(today);
    while month <= last {
        let next = next_month(month);
        let on = (next - Duration::days(1)).min(last);
        while qi < queued.len() && queued[qi].0 <= on {
            open += queued[qi].1;
            day_sum += queued[qi].1 * (queued[qi].0 - epoch).whole_days();
            qi += 1;
        }
        while ci < closed.len() && closed[ci].0 <= on {
            open -= closed[ci].1;
            day_sum -= closed[ci].2;
            ci += 1;
        }
        let on_text = dashboard::iso(on);
        let oldest = queued[..qi]
            .iter()
            .find(|(_, _, last_closed)| last_closed.as_str() > on_text.as_str())
            .map(|(d, _, _)| (on - *d).whole_days());
        let on_day = (on - epoch).whole_days();
        out.push(QueuePoint {
            on: on_text,
            open: open.max(0) as u64,
            mean_age_days: (open > 0).then(|| (open * on_day - day_sum) as f64 / open as f64),
            oldest_days: oldest,
        });
        month = next;
    }
    Ok(out)
}

/// The same figures as [`queue`] from the period's items read one by one: what [`queue`] and
/// [`queue_live`] must always equal (tests).
pub async fn queue_by_items(store: &Store, f: &Filter, today: Date) -> Result<Vec<QueuePoint>> {
    let (_, before) = f.bounds();
    let (extra, binds) = scope_sql(&f.scope, "i.department", "i.officer_person_id", 3);
    let sql = format!(
        "SELECT q.queued_at, q.closed_at FROM missing_referrals q
         JOIN incidents i ON i.id = q.incident_id
         WHERE q.queued_at < $1 AND (q.closed_at IS NULL OR q.closed_at >= $2){extra}"
    );
    // Items closed before the period began are open at none of its month ends.
    let (from, _) = f.bounds();
    let mut q = sqlx::query_as::<_, (String, Option<String>)>(&sql)
        .bind(&before)
        .bind(&from);
    for b in &binds {
        q = q.bind(b);
    }
    let rows: Vec<(Date, Option<Date>)> = q
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .filter_map(|(a, b)| Some((parse_day(&a)?, b.as_deref().and_then(parse_day))))
        .collect();
    let mut out = Vec::new();
    let mut month = Date::from_calendar_date(f.from.year(), f.from.month(), 1).expect("first");
    let last = f.to.min(today);
    while month <= last {
        let next = next_month(month);
        let on = (next - Duration::days(1)).min(last);
        let ages: Vec<i64> = rows
            .iter()
            .filter(|(queued, closed)| *queued <= on && closed.is_none_or(|c| c > on))
            .map(|(queued, _)| (on - *queued).whole_days())
            .collect();
        out.push(QueuePoint {
            on: dashboard::iso(on),
            open: ages.len() as u64,
            mean_age_days: (!ages.is_empty())
                .then(|| ages.iter().sum::<i64>() as f64 / ages.len() as f64),
            oldest_days: ages.iter().copied().max(),
        });
        month = next;
    }
    Ok(out)
}

fn next_month(d: Date) -> Date {
    let (y, m) = if d.month() == Month::December {
        (d.year() + 1, Month::January)
    } else {
        (d.year(), d.month().next())
    };
    Date::from_calendar_date(y, m, 1).expect("first of a month")
}

/// The rows of the training effect: each referral submitted in the period by a linked officer
/// with the decision of the agency it went to (outcome 1 for no further action or returned for
/// more information), the officer's first completion of the module (any version) and the kind
/// of lead trainer of that completion's session (a MASH team member: the lead trainer's team or
/// department names the MASH).
pub async fn effect_rows(store: &Store, f: &Filter, module: &str) -> Result<Vec<EffectRow>> {
    let (from, before) = f.bounds();
    let (extra, binds) = scope_sql(&f.scope, "i.department", "r.officer_person_id", 3);
    let join_incident = if matches!(f.scope, Scope::Department(_)) {
        " JOIN incidents i ON i.incident_ref = r.incident_ref"
    } else {
        ""
    };
    let sql = format!(
        "SELECT r.officer_person_id, r.submitted_at, o.outcome
         FROM referrals r{join_incident}
         JOIN referral_outcomes o ON o.referral_ref = r.referral_ref AND LOWER(o.partner) = LOWER(r.partner)
         WHERE r.officer_person_id IS NOT NULL AND r.submitted_at >= $1 AND r.submitted_at < $2{extra}"
    );
    let mut q = sqlx::query_as::<_, (i64, String, String)>(&sql)
        .bind(&from)
        .bind(&before);
    for b in &binds {
        q = q.bind(b);
    }
    let referrals = q.fetch_all(store.pool()).await?;
    let first = first_completions(store, module).await?;
    let leads: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT st.session_id, p.team, p.department FROM session_trainers st
         JOIN people p ON p.id = st.person_id WHERE st.lead = 1",
    )
    .fetch_all(store.pool())
    .await?;
    let mash: HashMap<i64, bool> = leads
        .into_iter()
        .map(|(s, team, dept)| {
            let names_mash = |t: &Option<String>| {
                t.as_deref()
                    .is_some_and(|t| t.to_ascii_uppercase().contains("MASH"))
            };
            (s, names_mash(&team) || names_mash(&dept))
        })
        .collect();
    Ok(referrals
        .into_iter()
        .filter_map(|(officer, at, outcome)| {
            let trained = first.get(&officer);
            Some(EffectRow {
                officer_id: officer,
                submitted_on: parse_day(&at)?,
                outcome: matches!(
                    outcome.as_str(),
                    "no_further_action" | "returned_more_information"
                ),
                trained_on: trained.map(|(d, _)| *d),
                trainer_kind: trained.map(|(_, session)| match session {
                    None => TrainerKind::NoSession,
                    Some(s) if mash.get(s).copied().unwrap_or(false) => TrainerKind::MashTeam,
                    Some(_) => TrainerKind::OtherTrainer,
                }),
            })
        })
        .collect())
}

/// Everything the store counts for the dashboard. The quarters and the coverage are kept per
/// data version ([`kept_counts`]); the audits, reviews and queue are read each time (a few
/// hundred rows by index, and they change without moving the version).
pub async fn series(store: &Store, f: &Filter, module: &str, today: Date) -> Result<Series> {
    let (quarters, coverage) = kept_counts(store, f, module).await?;
    Ok(Series {
        audits: audit_periods(store, f).await?,
        reviews: review_periods(store, f).await?,
        quarters,
        coverage,
        queue: queue(store, f, today).await?,
    })
}

/// The quarters' counts ([`quarters`]) and the training coverage ([`coverage`]) for a period,
/// scope and module, counted once per impact data version and kept in memory: everything they
/// read (incidents, referrals, partner decisions, completions, modules, people) moves the
/// version in the same transaction as the change, so a later request at the same version gets
/// the same figures without reading the tables. The version is read first, so what is kept
/// under a version is never older than that version's data.
pub async fn kept_counts(
    store: &Store,
    f: &Filter,
    module: &str,
) -> Result<(Vec<QuarterCounts>, Vec<CoveragePoint>)> {
    let version = data_version(store).await?;
    let key = effect_key(f, module);
    let cache = store.effect_cache();
    if let Some((v, q, c)) = cache.counts.lock().expect("counts cache").get(&key) {
        if *v == version {
            return Ok((q.clone(), c.clone()));
        }
    }
    let q = quarters(store, f).await?;
    let c = coverage(store, f, module).await?;
    let mut entries = cache.counts.lock().expect("counts cache");
    if entries.len() >= EFFECT_CACHE_ENTRIES {
        entries.retain(|_, (v, _, _)| *v == version);
        if entries.len() >= EFFECT_CACHE_ENTRIES {
            entries.clear();
        }
    }
    if entries.get(&key).is_none_or(|(v, _, _)| *v <= version) {
        entries.insert(key, (version, q.clone(), c.clone()));
    }
    Ok((q, c))
}

/// Every figure of the dashboard for a period, as one serialisable value (the one an evaluation
/// report freezes). `chart` picks the compliance chart (p or p′).
pub async fn dashboard(
    store: &Store,
    f: &Filter,
    module: &str,
    chart: ChartKind,
    today: Date,
) -> Result<Dashboard> {
    let series = series(store, f, module, today).await?;
    let effect = effect(store, f, module).await?;
    Ok(Dashboard {
        effect,
        ..dashboard::figures(f.from, f.to, f.department(), module, &series, &[], chart)
    })
}

/// The training effect last estimated, per module, period and scope, with the impact data
/// version it was estimated at. Estimating it reads every referral of the period (two million
/// in the benchmark), far too slow for each request, so [`effect`] estimates once and keeps the
/// result until the version moves: in this instance's memory and in a table
/// (`impact_effect_estimates`), where it survives a restart and other instances on the same
/// database find it. The dashboard, its JSON twin
/// (`/api/v1/impact/training-effect`) and the evaluation report all read it through [`effect`].
#[derive(Debug, Default)]
pub struct EffectCache {
    entries: std::sync::Mutex<HashMap<String, (i64, EffectFigure)>>,
    /// The quarters and coverage by the same key, with the version they were counted at
    /// ([`kept_counts`]).
    counts: CountsKept,
    /// How many estimates were made (not read from the cache) since the store opened.
    estimates: std::sync::atomic::AtomicU64,
    /// Held while the default view is estimated again after a write (see [`warm_effect`]).
    warming: tokio::sync::Mutex<()>,
    /// Set by a write that asks for warming while a warming runs: the running one goes again.
    warm_again: std::sync::atomic::AtomicBool,
}

type CountsKept = std::sync::Mutex<HashMap<String, (i64, Vec<QuarterCounts>, Vec<CoveragePoint>)>>;

/// The most estimates (and counts) kept at once (each is a few kilobytes).
const EFFECT_CACHE_ENTRIES: usize = 64;

/// `settings.impact_data_version`: moved in the same transaction as every change to what the
/// training effect reads (`rollups::refresh_rollups` for incidents, referrals and outcomes;
/// triggers for completions, modules, lead trainers and people).
pub async fn data_version(store: &Store) -> Result<i64> {
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE key = 'impact_data_version'")
            .fetch_optional(store.pool())
            .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// What the estimate depends on besides the data: the module as asked (the answer names it),
/// the period's first and last day and whose referrals (force, one department, one team).
fn effect_key(f: &Filter, module: &str) -> String {
    format!(
        "{module}\u{1f}{}\u{1f}{}\u{1f}{}",
        f.from,
        f.to,
        scope_key(&f.scope)
    )
}

/// Whose referrals, as the kept estimates' table names them.
fn scope_key(scope: &Scope) -> String {
    match scope {
        Scope::Force => "force".to_string(),
        Scope::Department(d) => format!("department:{d}"),
        Scope::Team(m) => format!("team:{m}"),
    }
}

/// An estimate as the table keeps it: every field, with the reasons the JSON API leaves out
/// (and the words that are constants, filled in again when read back).
#[derive(serde::Serialize, serde::Deserialize)]
struct KeptEffect {
    figure: EffectFigure,
    reason: Option<String>,
    kind_reasons: Vec<Option<String>>,
}

fn kept_text(figure: &EffectFigure) -> String {
    let kept = KeptEffect {
        figure: figure.clone(),
        reason: figure.effect.reason.clone(),
        kind_reasons: figure
            .by_trainer_kind
            .iter()
            .map(|k| k.effect.reason.clone())
            .collect(),
    };
    serde_json::to_string(&kept).expect("an effect figure serialises")
}

/// The figure [`kept_text`] wrote, or `None` when the text is not one (kept by another version
/// of mashboard, say: then it is estimated again).
fn from_kept_text(text: &str) -> Option<EffectFigure> {
    let kept: KeptEffect = serde_json::from_str(text).ok()?;
    let mut figure = kept.figure;
    if figure.by_trainer_kind.len() != kept.kind_reasons.len() {
        return None;
    }
    figure.effect.reason = kept.reason;
    for (k, reason) in figure.by_trainer_kind.iter_mut().zip(kept.kind_reasons) {
        k.label = k.kind.label();
        k.effect.reason = reason;
    }
    Some(figure)
}

/// The estimate kept in the table (`impact_effect_estimates`, migration 22) for the module,
/// period and scope at this data version, if any instance made one.
async fn kept_in_table(
    store: &Store,
    f: &Filter,
    module: &str,
    version: i64,
) -> Result<Option<EffectFigure>> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT figure FROM impact_effect_estimates
         WHERE module = $1 AND period_from = $2 AND period_to = $3 AND scope = $4 AND data_version = $5",
    )
    .bind(module)
    .bind(dashboard::iso(f.from))
    .bind(dashboard::iso(f.to))
    .bind(scope_key(&f.scope))
    .bind(version)
    .fetch_optional(store.pool())
    .await?;
    Ok(text.as_deref().and_then(from_kept_text))
}

/// Keeps an estimate made at `version` in the table for every instance, and deletes those of
/// older versions (never read again: the version only moves forward).
async fn keep_in_table(
    store: &Store,
    f: &Filter,
    module: &str,
    version: i64,
    figure: &EffectFigure,
) -> Result<()> {
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM impact_effect_estimates WHERE data_version < $1")
        .bind(version)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO impact_effect_estimates (module, period_from, period_to, scope, data_version,
            figure, estimated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (module, period_from, period_to, scope, data_version) DO NOTHING",
    )
    .bind(module)
    .bind(dashboard::iso(f.from))
    .bind(dashboard::iso(f.to))
    .bind(scope_key(&f.scope))
    .bind(version)
    .bind(kept_text(figure))
    .bind(crate::now_text())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The training effect (and its split by who led the training) for the module, period and
/// scope: estimated from [`effect_rows`], or the estimate kept from an earlier request (in
/// memory, else in the table, by this instance or another) when nothing it reads has changed
/// since (the data version is read before the rows, so an estimate kept under a version is
/// never older than that version's data).
pub async fn effect(store: &Store, f: &Filter, module: &str) -> Result<EffectFigure> {
    let version = data_version(store).await?;
    let key = effect_key(f, module);
    let cache = store.effect_cache();
    if let Some((v, e)) = cache.entries.lock().expect("effect cache").get(&key) {
        if *v == version {
            return Ok(e.clone());
        }
    }
    let figure = match kept_in_table(store, f, module, version).await? {
        Some(figure) => figure,
        None => {
            let rows = effect_rows(store, f, module).await?;
            // The estimate is arithmetic over every row: off the async threads.
            let owned = module.to_string();
            let figure = tokio::task::spawn_blocking(move || dashboard::effect(&owned, &rows))
                .await
                .map_err(|e| StoreError::Invalid(format!("the training effect failed: {e}")))?;
            cache
                .estimates
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            keep_in_table(store, f, module, version, &figure).await?;
            figure
        }
    };
    let mut entries = cache.entries.lock().expect("effect cache");
    if entries.len() >= EFFECT_CACHE_ENTRIES {
        entries.retain(|_, (v, _)| *v == version);
        if entries.len() >= EFFECT_CACHE_ENTRIES {
            entries.clear();
        }
    }
    // A slower estimate under an older version never replaces a newer one.
    let newer_kept = entries.get(&key).is_some_and(|(v, _)| *v > version);
    if !newer_kept {
        entries.insert(key, (version, figure.clone()));
    }
    Ok(figure)
}

/// How many times [`effect`] estimated (rather than answered from what it kept) since the
/// store opened: for tests and the benchmark.
pub fn effect_estimates(store: &Store) -> u64 {
    store
        .effect_cache()
        .estimates
        .load(std::sync::atomic::Ordering::Relaxed)
}

/// The data version the estimate kept for this module, period and scope was made at, if one is
/// kept.
pub fn effect_kept_version(store: &Store, f: &Filter, module: &str) -> Option<i64> {
    store
        .effect_cache()
        .entries
        .lock()
        .expect("effect cache")
        .get(&effect_key(f, module))
        .map(|(v, _)| *v)
}

/// Estimates the training effect for each filter again if the data moved since it was kept, so
/// that the next request for it is answered at once. Run it in the background after a write
/// has committed: a call made while another is running asks that one to go round again instead
/// of queueing a second estimate. Returns the data version last warmed at, or `None` when
/// another call was already running.
pub async fn warm_effect(store: &Store, filters: &[(Filter, String)]) -> Result<Option<i64>> {
    use std::sync::atomic::Ordering;
    let cache = store.effect_cache();
    cache.warm_again.store(true, Ordering::SeqCst);
    loop {
        let Ok(running) = cache.warming.try_lock() else {
            return Ok(None);
        };
        let mut version = data_version(store).await?;
        while cache.warm_again.swap(false, Ordering::SeqCst) {
            version = data_version(store).await?;
            for (f, module) in filters {
                effect(store, f, module).await?;
            }
        }
        drop(running);
        // A call that found this one running just before it let go: go round for it.
        if !cache.warm_again.load(Ordering::SeqCst) {
            return Ok(Some(version));
        }
    }
}

/// The departments people belong to, for the filter.
pub async fn departments(store: &Store) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT department FROM people WHERE department IS NOT NULL AND department <> '' ORDER BY department",
    )
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(d,)| d).collect())
}

/// Whether a module with this code exists.
pub async fn module_exists(store: &Store, code: &str) -> Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM modules WHERE UPPER(code) = UPPER($1)")
            .bind(code)
            .fetch_optional(store.pool())
            .await?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mashboard_domain::impact::TrainingEffect;

    /// A panel with an estimate: 40 officers, 30 of them trained at staggered dates.
    fn rows() -> Vec<EffectRow> {
        let start = Date::from_calendar_date(2021, Month::January, 1).expect("a date");
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..6000)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let officer = (i % 40) as i64;
                let submitted_on = start + Duration::days((seed % 1000) as i64);
                let trained_on = (officer < 30).then(|| start + Duration::days(300 + officer * 10));
                EffectRow {
                    officer_id: officer,
                    submitted_on,
                    outcome: (seed >> 20) % 100 < 20,
                    trained_on,
                    trainer_kind: trained_on.map(|_| {
                        if officer % 3 == 0 {
                            TrainerKind::NoSession
                        } else {
                            TrainerKind::MashTeam
                        }
                    }),
                }
            })
            .collect()
    }

    #[test]
    fn a_kept_estimate_reads_back_with_every_field() {
        let made = dashboard::effect("FL-PPN", &rows());
        assert!(made.effect.estimate.is_some(), "{:?}", made.none_because);
        assert!(made
            .by_trainer_kind
            .iter()
            .any(|k| k.effect.reason.is_some()));
        let back = from_kept_text(&kept_text(&made)).expect("reads back");
        // Floating point through JSON text: equal to the last bit or next to it.
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-15 * a.abs().max(1.0),
            (a, b) => a == b,
        };
        let same = |a: &TrainingEffect, b: &TrainingEffect| {
            assert_eq!(a.counts, b.counts);
            assert_eq!(a.descriptive.trained_after.n, b.descriptive.trained_after.n);
            assert!(close(a.estimate, b.estimate) && close(a.se, b.se));
            assert!(close(a.p_value, b.p_value));
            assert_eq!(
                a.event_study.coefficients.len(),
                b.event_study.coefficients.len()
            );
            for (x, y) in a
                .event_study
                .coefficients
                .iter()
                .zip(&b.event_study.coefficients)
            {
                assert_eq!(x.relative_quarter, y.relative_quarter);
                assert!(close(x.estimate, y.estimate) && close(x.se, y.se));
            }
            assert_eq!(a.caveats, b.caveats);
            assert_eq!(a.reason, b.reason);
        };
        same(&made.effect, &back.effect);
        assert_eq!(made.module, back.module);
        assert_eq!(made.none_because, back.none_because);
        assert_eq!(made.not_asked, back.not_asked);
        assert_eq!(made.by_trainer_kind.len(), back.by_trainer_kind.len());
        for (a, b) in made.by_trainer_kind.iter().zip(&back.by_trainer_kind) {
            assert_eq!(
                (a.kind, a.label, &a.none_because),
                (b.kind, b.label, &b.none_because)
            );
            same(&a.effect, &b.effect);
        }
        // What another version of mashboard kept is estimated again, not misread.
        assert!(from_kept_text("{\"figure\": 1}").is_none());
    }
}
