//! The missing-referral queue: incidents that match the force's rules (children involved,
//! domestic abuse, adult at risk) with no linked referral within the window, for MASH staff to
//! close as "referral now made", "not required, because …" or "escalated".
//!
//! [`refresh`] applies `mashboard_domain::queue::decide` in one set-based statement, so it
//! stays quick over a million incidents: it looks only at incidents not already queued whose
//! deadline has passed, and asks the referrals index whether any referral came in time. It is
//! idempotent, and cheap enough to run every hour and after each import.
//!
//! Incident times are the force's clock without a zone; `now` is compared as UTC, so in British
//! Summer Time an incident joins the queue up to an hour after its deadline, never before.

use crate::audit_trail::{self, Actor, Event};
use crate::keyset::{self, PageStart};
use crate::{instant_text, now_text, Backend, Result, Store, StoreError};
use mashboard_domain::queue::{
    age_days, format_local_time, parse_local_time, CloseOutcome, Rules, SETTINGS_KEY,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The reason written when refresh finds an in-time referral for an open item (the referral was
/// imported after the incident was queued).
pub const FOUND_IN_TIME: &str =
    "A referral submitted within the window is now on the register (imported after this item was queued).";

/// `now` on the force's clock, as incidents record it (see the module note on zones).
pub fn local_now(now: OffsetDateTime) -> PrimitiveDateTime {
    let t = now.to_offset(UtcOffset::UTC);
    PrimitiveDateTime::new(t.date(), t.time())
}

/// The rules in force: the stored setting, or the default when none is stored.
pub async fn rules(store: &Store) -> Result<Rules> {
    let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(SETTINGS_KEY)
        .fetch_optional(store.pool())
        .await?;
    Ok(match raw {
        None => Rules::default(),
        Some(v) => Rules::parse(&v).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the stored missing-referral rules are unreadable; using the default");
            Rules::default()
        }),
    })
}

/// Saves the rules (audited with before and after). They apply from the next refresh; items
/// already on the queue stay until closed.
pub async fn set_rules(store: &Store, actor: &Actor, new: &Rules) -> Result<Rules> {
    let checked = Rules::parse(&new.encode()).map_err(StoreError::Invalid)?;
    let before = rules(store).await?;
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(SETTINGS_KEY)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
        .bind(SETTINGS_KEY)
        .bind(checked.encode())
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "missing.rules",
            format!("Changed the missing-referral rules: {}", checked.describe()),
        )
        .on("setting", SETTINGS_KEY)
        .before(&before.encode())
        .after(&checked.encode()),
    )
    .await?;
    tx.commit().await?;
    Ok(checked)
}

/// SQL for `reported_at + hours` on the force's clock, as `YYYY-MM-DDTHH:MM:SS` text. The one
/// place the two databases need different words.
pub(crate) fn deadline_sql(backend: Backend, hours: u32) -> String {
    match backend {
        Backend::Sqlite => format!(
            "strftime('%Y-%m-%dT%H:%M:%S', SUBSTR(i.reported_at, 1, 19), '+{hours} hours')"
        ),
        Backend::Postgres => format!(
            "to_char(CAST(SUBSTR(i.reported_at, 1, 19) AS TIMESTAMP) + INTERVAL '{hours} hours', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        ),
    }
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Refreshed {
    /// Incidents added to the queue.
    pub added: u64,
    /// Open items closed because an in-time referral has since been imported.
    pub closed_in_time: u64,
}

/// A refresh that queues at least this many incidents refreshes PostgreSQL's statistics of the
/// queue in its transaction.
const ANALYZE_AFTER: u64 = 10_000;

/// Adds every incident that matches the rules, has passed its deadline, is not yet queued and has
/// no referral by its deadline; closes open items that have since gained an in-time referral.
/// Run by the system (hourly, and after imports).
pub async fn refresh(store: &Store, now: OffsetDateTime) -> Result<Refreshed> {
    refresh_by(store, &Actor::system(), now).await
}

/// [`refresh`] on someone's behalf (the "Check now" button, the command line).
pub async fn refresh_by(store: &Store, actor: &Actor, now: OffsetDateTime) -> Result<Refreshed> {
    let rules = rules(store).await?;
    let deadline = deadline_sql(store.backend(), rules.window_hours);
    let referred_in_time = format!(
        "EXISTS (SELECT 1 FROM referrals r WHERE r.incident_ref = i.incident_ref AND SUBSTR(r.submitted_at, 1, 19) <= {deadline})"
    );
    let mut tx = store.begin().await?;
    if store.backend() == Backend::Postgres {
        // Wait for imports in flight to commit, and hold new ones back until this refresh
        // has committed, so that no change stamped before `changed_since` below can commit
        // unseen after it (SQLite's BEGIN IMMEDIATE already serialises the writers).
        sqlx::query("LOCK TABLE incidents, referrals IN SHARE MODE")
            .execute(&mut *tx)
            .await?;
    }
    let queued_at = now_text();
    // What the last refresh looked at: with the same rules, only incidents whose window has
    // passed since, incidents changed since, and incidents whose referrals changed since can
    // have become missing. Changes are looked for from a few minutes before the last refresh,
    // which covers a writer that stamped its rows just before it took its lock.
    let last: Option<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT rules, cutoff, changed_since, examined_stamp FROM queue_refresh_state WHERE id = 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let last = last.filter(|(r, _, _, _)| *r == rules.encode());
    let changed_since = instant_text(OffsetDateTime::now_utc() - time::Duration::minutes(5));
    // Incidents a first load stamped and its queue build examined (`examined_stamp`) are passed
    // over: without this, a refresh within a few minutes of a first load of a million
    // incidents (the re-import of the same file, say) would examine all of them again. The
    // changed incidents are read as two ranges of the `updated_at` index, below and above that
    // stamp (with no stamp, the first range is empty). Kept while it is still within reach of
    // `changed_since`.
    let examined = last
        .as_ref()
        .and_then(|(_, _, since, stamp)| stamp.clone().filter(|s| s > since));
    let skip_stamp = match (&examined, &last) {
        (Some(stamp), _) => stamp.clone(),
        (None, Some((_, _, since, _))) => since.clone(),
        (None, None) => String::new(),
    };
    let keep_stamp = examined.filter(|s| *s > changed_since);
    // Open items that now have an in-time referral: the referral arrived in a later import.
    // With the same rules, only an incident changed since, or one whose referrals changed
    // since, can have gained one; the whole open queue is looked at only when the rules changed.
    let changed_only = if last.is_some() {
        " AND missing_referrals.incident_id IN (
            SELECT id FROM incidents WHERE updated_at > $5 AND updated_at < $6
            UNION SELECT id FROM incidents WHERE updated_at > $6
            UNION SELECT i3.id FROM referrals r3 JOIN incidents i3 ON i3.incident_ref = r3.incident_ref
                  WHERE r3.updated_at > $5)"
    } else {
        ""
    };
    let close_sql = format!(
        "UPDATE missing_referrals SET outcome = $1, reason = $2, closed_by = $3, closed_at = $4
         WHERE outcome IS NULL{changed_only} AND EXISTS (
            SELECT 1 FROM incidents i WHERE i.id = missing_referrals.incident_id AND {referred_in_time})"
    );
    let mut close = sqlx::query(&close_sql)
        .bind(CloseOutcome::ReferralMade.as_str())
        .bind(FOUND_IN_TIME)
        .bind(&actor.name)
        .bind(&queued_at);
    if let Some((_, _, last_changed, _)) = &last {
        close = close.bind(last_changed).bind(&skip_stamp);
    }
    let closed_in_time = close.execute(&mut *tx).await?.rows_affected();

    let enabled = rules.enabled();
    // The window has passed when reported_at + window < now, i.e. reported_at < now - window.
    let cutoff = format_local_time(local_now(now) - rules.window());
    let added = if enabled.is_empty() {
        0
    } else {
        let flags: Vec<String> = enabled
            .iter()
            .map(|r| format!("i.{} = 1", r.as_str()))
            .collect();
        let names: Vec<String> = enabled
            .iter()
            .map(|r| format!("CASE WHEN i.{0} = 1 THEN ',{0}' ELSE '' END", r.as_str()))
            .collect();
        let sql = if last.is_some() {
            // Only incidents whose window has passed since the last refresh, incidents changed
            // since, and incidents whose referrals changed since. Each branch reads one index
            // (reported_at, updated_at, referrals' updated_at) and brings the columns the rules
            // need, so no incident is looked up twice; an incident already on the queue is
            // passed over by the queue's unique index (ON CONFLICT), which is the look-up a
            // NOT EXISTS would make.
            const COLUMNS: &str =
                "id, incident_ref, reported_at, children_involved, domestic_abuse, adult_at_risk";
            format!(
                "INSERT INTO missing_referrals (incident_id, rule, queued_at)
                 SELECT i.id, SUBSTR({names}, 2), $1 FROM (
                    SELECT {COLUMNS} FROM incidents WHERE reported_at >= $3 AND reported_at < $2
                    UNION SELECT {COLUMNS} FROM incidents WHERE updated_at > $4 AND updated_at < $5
                    UNION SELECT {COLUMNS} FROM incidents WHERE updated_at > $5
                    UNION SELECT {i3} FROM referrals r3 JOIN incidents i3 ON i3.incident_ref = r3.incident_ref
                          WHERE r3.updated_at > $4) i
                 WHERE i.reported_at < $2 AND ({flags})
                   AND NOT {referred_in_time}
                 ON CONFLICT (incident_id) DO NOTHING",
                names = names.join(" || "),
                flags = flags.join(" OR "),
                i3 = COLUMNS
                    .split(", ")
                    .map(|c| format!("i3.{c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        } else {
            if store.backend() == Backend::Postgres {
                // The statement reads the table it inserts into. When PostgreSQL's statistics
                // say that table is tiny (new, or just after a quiet spell) it may pick a nested
                // loop that rescans the growing table for every incident: minutes instead of
                // seconds on a large import. Hash anti-joins read it once, before inserting.
                // For this statement only (the transaction ends with it).
                sqlx::query("SET LOCAL enable_nestloop = off")
                    .execute(&mut *tx)
                    .await?;
            }
            format!(
                "INSERT INTO missing_referrals (incident_id, rule, queued_at)
                 SELECT i.id, SUBSTR({names}, 2), $1 FROM incidents i
                 WHERE i.reported_at < $2 AND ({flags})
                   AND NOT EXISTS (SELECT 1 FROM missing_referrals m WHERE m.incident_id = i.id)
                   AND NOT {referred_in_time}
                 ON CONFLICT (incident_id) DO NOTHING",
                names = names.join(" || "),
                flags = flags.join(" OR "),
            )
        };
        let mut q = sqlx::query(&sql).bind(&queued_at).bind(&cutoff);
        if let Some((_, last_cutoff, last_changed, _)) = &last {
            q = q.bind(last_cutoff).bind(last_changed).bind(&skip_stamp);
        }
        let added = q.execute(&mut *tx).await?.rows_affected();
        if store.backend() == Backend::Postgres && added >= ANALYZE_AFTER {
            // As after a large import (see `register::import`): the queue's statistics would
            // still say it was small, and the next refresh would be planned on that.
            sqlx::query("ANALYZE missing_referrals")
                .execute(&mut *tx)
                .await?;
        }
        added
    };
    sqlx::query(
        "INSERT INTO queue_refresh_state (id, rules, cutoff, changed_since, examined_stamp)
         VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, cutoff = excluded.cutoff,
            changed_since = excluded.changed_since, examined_stamp = excluded.examined_stamp",
    )
    .bind(rules.encode())
    .bind(&cutoff)
    .bind(&changed_since)
    .bind(keep_stamp)
    .execute(&mut *tx)
    .await?;
    if added > 0 || closed_in_time > 0 {
        audit_trail::record_on(
            &mut tx,
            actor,
            Event::new(
                "missing.refresh",
                format!(
                    "Checked for missing referrals: {added} incident(s) added to the queue, {closed_in_time} closed because an in-time referral is now on the register"
                ),
            )
            .after(&serde_json::json!({
                "added": added,
                "closed_in_time": closed_in_time,
                "rules": rules.encode(),
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Refreshed {
        added,
        closed_in_time,
    })
}

/// One queue item with its incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct QueueItem {
    pub id: i64,
    pub incident_id: i64,
    pub incident_ref: String,
    /// The force's clock, `YYYY-MM-DDTHH:MM:SS`.
    pub reported_at: String,
    pub category: String,
    pub area: String,
    /// The rules that put it on the queue, comma-separated.
    pub rule: String,
    pub queued_at: String,
    /// `None` while open.
    pub outcome: Option<String>,
    pub reason: String,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    /// A referral linked to the incident since (made after the deadline), if any.
    pub referral_ref: Option<String>,
}

impl QueueItem {
    /// Whole days since the incident was reported.
    pub fn age_days(&self, now: OffsetDateTime) -> i64 {
        parse_local_time(&self.reported_at)
            .map(|t| age_days(t, local_now(now)))
            .unwrap_or(0)
    }
}

const SELECT_ITEM: &str = "SELECT m.id, m.incident_id, i.incident_ref, i.reported_at, i.category, i.area, m.rule,
        m.queued_at, m.outcome, m.reason, m.closed_by, m.closed_at,
        (SELECT MIN(r.referral_ref) FROM referrals r WHERE r.incident_ref = i.incident_ref) AS referral_ref
    FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id";

/// The open items in the list's order: oldest incident first, the incident's id breaking a tie
/// (an incident is on the queue at most once, so the pair is unique), which is the order of the
/// `incidents_reported_id` index.
const OPEN_LIST: keyset::List<'static> = keyset::List {
    select: SELECT_ITEM,
    from: "missing_referrals m JOIN incidents i ON i.id = m.incident_id",
    sort: "i.reported_at",
    tie: "i.id",
    tie_is_int: true,
    descending: false,
    // An item closed since the link was made still names its place in the list.
    key_of: "SELECT i.reported_at, i.id FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
             WHERE i.incident_ref = $1",
};

/// One page of the open items, oldest incident first, starting just after or just before an
/// item already shown (named by its incident's reference): a keyset page, so items queued or
/// closed while someone reads the pages neither repeat nor go missing, and the last page costs
/// what the first does.
pub async fn open_page(
    store: &Store,
    start: &PageStart,
    limit: i64,
) -> Result<keyset::Page<QueueItem>> {
    keyset::page(
        store,
        &OPEN_LIST,
        &keyset::Filter {
            clauses: vec!["m.outcome IS NULL".into()],
            binds: Vec::new(),
        },
        start,
        limit,
        |item: &QueueItem| {
            [
                keyset::Value::Text(item.reported_at.clone()),
                keyset::Value::Int(item.incident_id),
            ]
        },
    )
    .await
}

/// How many items are open.
pub async fn open_count(store: &Store) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM missing_referrals WHERE outcome IS NULL")
            .fetch_one(store.pool())
            .await?,
    )
}

/// Open items, oldest incident first: the total and one page by offset (the API's `offset`;
/// the page reads [`open_page`]).
pub async fn open_items(store: &Store, limit: i64, offset: i64) -> Result<(i64, Vec<QueueItem>)> {
    let total = open_count(store).await?;
    let rows = sqlx::query_as::<_, QueueItem>(&format!(
        "{SELECT_ITEM} WHERE m.outcome IS NULL ORDER BY i.reported_at, i.id LIMIT $1 OFFSET $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(store.pool())
    .await?;
    Ok((total, rows))
}

/// Items closed since `since` (newest first), for the "recently closed" list.
pub async fn closed_since(
    store: &Store,
    since: OffsetDateTime,
    limit: i64,
) -> Result<Vec<QueueItem>> {
    Ok(sqlx::query_as::<_, QueueItem>(&format!(
        "{SELECT_ITEM} WHERE m.outcome IS NOT NULL AND m.closed_at >= $1 ORDER BY m.closed_at DESC, m.id DESC LIMIT $2"
    ))
    .bind(instant_text(since))
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<QueueItem>> {
    Ok(
        sqlx::query_as::<_, QueueItem>(&format!("{SELECT_ITEM} WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// The item for an incident, open or closed.
pub async fn for_incident(store: &Store, incident_ref: &str) -> Result<Option<QueueItem>> {
    Ok(
        sqlx::query_as::<_, QueueItem>(&format!("{SELECT_ITEM} WHERE i.incident_ref = $1"))
            .bind(incident_ref.trim())
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Closes an open item. "Not required" needs a reason; the words of a refusal are the user's.
pub async fn close(
    store: &Store,
    actor: &Actor,
    id: i64,
    outcome: &str,
    reason: &str,
) -> Result<QueueItem> {
    let (outcome, reason) =
        CloseOutcome::check(outcome, reason).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let item = get(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("There is no such item on the queue".into()))?;
    let mut tx = store.begin().await?;
    let n = sqlx::query(
        "UPDATE missing_referrals SET outcome = $1, reason = $2, closed_by = $3, closed_at = $4
         WHERE id = $5 AND outcome IS NULL",
    )
    .bind(outcome.as_str())
    .bind(&reason)
    .bind(&actor.name)
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "Incident {} has already been closed on the queue",
            item.incident_ref
        )));
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "missing.close",
            format!(
                "Closed incident {} on the missing-referral queue: {}",
                item.incident_ref,
                outcome.label()
            ),
        )
        .on("incident", &item.incident_ref)
        .before(&serde_json::json!({"outcome": null}))
        .after(&serde_json::json!({"outcome": outcome.as_str(), "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    get(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("The queue item vanished".into()))
}

/// How big and how old the queue is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStats {
    pub open: i64,
    /// Days since the oldest open item's incident was reported.
    pub oldest_days: Option<i64>,
    /// The median of the open items' ages in days (the mean of the middle two when even).
    pub median_days: Option<f64>,
    /// Items closed in the last 30 days, by outcome (in the order of `CloseOutcome::ALL`).
    pub closed_last_30_days: Vec<(CloseOutcome, i64)>,
}

impl QueueStats {
    pub fn closed_last_30_days_total(&self) -> i64 {
        self.closed_last_30_days.iter().map(|(_, n)| n).sum()
    }
}

/// Queue size and age as of `now`: set-based (count, minimum, the middle rows by offset).
pub async fn stats(store: &Store, now: OffsetDateTime) -> Result<QueueStats> {
    let local = local_now(now);
    let age = |t: &str| parse_local_time(t).map(|t| age_days(t, local)).ok();
    let open: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM missing_referrals WHERE outcome IS NULL")
            .fetch_one(store.pool())
            .await?;
    let (oldest_days, median_days) = if open == 0 {
        (None, None)
    } else {
        let middle: Vec<String> = sqlx::query_scalar(
            "SELECT i.reported_at FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
             WHERE m.outcome IS NULL ORDER BY i.reported_at LIMIT $1 OFFSET $2",
        )
        .bind(if open % 2 == 0 { 2_i64 } else { 1 })
        .bind((open - 1) / 2)
        .fetch_all(store.pool())
        .await?;
        let oldest: Option<String> = sqlx::query_scalar(
            "SELECT MIN(i.reported_at) FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
             WHERE m.outcome IS NULL",
        )
        .fetch_one(store.pool())
        .await?;
        let ages: Vec<i64> = middle.iter().filter_map(|t| age(t)).collect();
        // Older incidents sort first, so the ages run from largest to smallest.
        let median = match ages.as_slice() {
            [a] => Some(*a as f64),
            [a, b] => Some((*a + *b) as f64 / 2.0),
            _ => None,
        };
        (oldest.as_deref().and_then(age), median)
    };
    let since = instant_text(now - Duration::days(30));
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, COUNT(*) FROM missing_referrals WHERE outcome IS NOT NULL AND closed_at >= $1 GROUP BY outcome",
    )
    .bind(&since)
    .fetch_all(store.pool())
    .await?;
    let closed_last_30_days = CloseOutcome::ALL
        .into_iter()
        .map(|o| {
            let n = rows
                .iter()
                .filter(|(name, _)| name == o.as_str())
                .map(|(_, n)| *n)
                .sum();
            (o, n)
        })
        .collect();
    Ok(QueueStats {
        open,
        oldest_days,
        median_days,
        closed_last_30_days,
    })
}

/// When items reached the queue and were closed, for a history written after the fact (the demo
/// seeds years of incidents in one go): each `(item id, queued at, closed at)`, instants as
/// storage text (RFC 3339 UTC); the closing time is kept only for an item that is closed. One
/// transaction and one audit event; the trail keeps when it was written.
pub async fn set_history_dates(
    store: &Store,
    actor: &Actor,
    dates: &[(i64, String, Option<String>)],
) -> Result<()> {
    let mut tx = store.begin().await?;
    for (id, queued, closed) in dates {
        sqlx::query(
            "UPDATE missing_referrals SET queued_at = $1,
                 closed_at = CASE WHEN outcome IS NULL THEN NULL ELSE $2 END
             WHERE id = $3",
        )
        .bind(queued)
        .bind(closed.as_deref())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "missing.history_dates",
            format!(
                "Dated {} items of the missing-referral queue as they happened",
                dates.len()
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
