//! Partner outcomes: one per referral and partner agency, recorded by MASH staff, by a partner
//! reviewer for their own agency, or imported. Every change is audited with before and after.
//! The rates (relevant, no further action, returned for more information) are counted here and
//! worked out by `mashboard_domain::outcomes`.

use crate::audit_trail::{self, Actor, Event};
use crate::keyset::{self, Count, PageStart};
use crate::{now_text, Result, Store, StoreError};
use mashboard_domain::outcomes::{rates_from_counts, Outcome, Rates, Source};
use mashboard_domain::people::parse_date;
use serde::Serialize;
use time::Date;

/// The longest partner name and reason we keep.
pub const MAX_PARTNER: usize = 200;
pub const MAX_REASON: usize = 2000;

/// One partner's outcome of one referral, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OutcomeRecord {
    pub id: i64,
    pub referral_ref: String,
    pub partner: String,
    pub outcome: String,
    pub reason: String,
    /// `YYYY-MM-DD`
    pub decided_at: String,
    /// mash | partner | import
    pub source: String,
    pub recorded_by: String,
    pub updated_at: String,
}

impl OutcomeRecord {
    /// The outcome's words (the stored name when it is not one we know).
    pub fn outcome_label(&self) -> String {
        self.outcome
            .parse::<Outcome>()
            .map(|o| o.label().to_string())
            .unwrap_or_else(|_| self.outcome.clone())
    }
    pub fn source_label(&self) -> &'static str {
        Source::parse(&self.source)
            .map(Source::label)
            .unwrap_or("Unknown")
    }
}

const SELECT_OUTCOME: &str = "SELECT id, referral_ref, partner, outcome, reason, decided_at, source, recorded_by, updated_at FROM referral_outcomes";

/// An outcome to record.
#[derive(Debug, Clone)]
pub struct NewOutcome {
    pub referral_ref: String,
    pub partner: String,
    pub outcome: Outcome,
    pub reason: String,
    /// `YYYY-MM-DD` or `dd/mm/yyyy`.
    pub decided_at: String,
    pub source: Source,
}

/// What the audit trail keeps of an outcome.
#[derive(Serialize)]
struct Audited<'a> {
    partner: &'a str,
    outcome: &'a str,
    reason: &'a str,
    decided_at: &'a str,
    source: &'a str,
}

impl<'a> From<&'a OutcomeRecord> for Audited<'a> {
    fn from(o: &'a OutcomeRecord) -> Self {
        Audited {
            partner: &o.partner,
            outcome: &o.outcome,
            reason: &o.reason,
            decided_at: &o.decided_at,
            source: &o.source,
        }
    }
}

/// Records (or changes) the outcome of a referral for one partner. The referral must exist;
/// recording the same outcome again changes nothing and writes nothing.
pub async fn record(store: &Store, actor: &Actor, new: &NewOutcome) -> Result<OutcomeRecord> {
    let referral_ref = new.referral_ref.trim();
    let partner = new.partner.trim();
    if partner.is_empty() {
        return Err(StoreError::Invalid(
            "Enter the partner agency the outcome is from".into(),
        ));
    }
    if partner.chars().count() > MAX_PARTNER {
        return Err(StoreError::Invalid(format!(
            "The partner agency must be {MAX_PARTNER} characters or fewer"
        )));
    }
    let reason = new.reason.trim();
    if reason.chars().count() > MAX_REASON {
        return Err(StoreError::Invalid(format!(
            "The reason must be {MAX_REASON} characters or fewer"
        )));
    }
    let decided = parse_date(&new.decided_at)
        .map_err(|m| StoreError::Invalid(format!("Decision date: {m}")))?;
    let decided_at = decided.to_string();
    let mut tx = store.begin().await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM referrals WHERE referral_ref = $1")
            .bind(referral_ref)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound(format!(
            "There is no referral {referral_ref} on the register"
        )));
    }
    // One outcome per partner: matched without regard to case or surrounding spaces.
    let before = sqlx::query_as::<_, OutcomeRecord>(&format!(
        "{SELECT_OUTCOME} WHERE referral_ref = $1 AND LOWER(partner) = LOWER($2)"
    ))
    .bind(referral_ref)
    .bind(partner)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(b) = &before {
        if b.outcome == new.outcome.as_str()
            && b.reason == reason
            && b.decided_at == decided_at
            && b.source == new.source.as_str()
        {
            return Ok(b.clone());
        }
    }
    // What the referral counts for in the dashboard's roll-up before the change: the change
    // moves only those rows (subtract the old decision, add the new).
    let part_before = crate::impact::referral_part(&mut tx, referral_ref).await?;
    let now = now_text();
    let id = match &before {
        Some(b) => {
            sqlx::query(
                "UPDATE referral_outcomes SET outcome = $1, reason = $2, decided_at = $3, source = $4,
                    recorded_by = $5, updated_at = $6 WHERE id = $7",
            )
            .bind(new.outcome.as_str())
            .bind(reason)
            .bind(&decided_at)
            .bind(new.source.as_str())
            .bind(&actor.name)
            .bind(&now)
            .bind(b.id)
            .execute(&mut *tx)
            .await?;
            b.id
        }
        None => {
            let inserted = sqlx::query_scalar::<_, i64>(
                "INSERT INTO referral_outcomes (referral_ref, partner, outcome, reason, decided_at, source, recorded_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(referral_ref)
            .bind(partner)
            .bind(new.outcome.as_str())
            .bind(reason)
            .bind(&decided_at)
            .bind(new.source.as_str())
            .bind(&actor.name)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Err(e) if crate::is_unique_violation(&e) => {
                    return Err(StoreError::Conflict(
                        "Someone else recorded this partner's outcome at the same moment. Reload the page and check it".into(),
                    ))
                }
                other => other?,
            }
        }
    };
    let part_after = crate::impact::referral_part(&mut tx, referral_ref).await?;
    crate::impact::apply_referral_change(&mut tx, &part_before, &part_after).await?;
    let after = sqlx::query_as::<_, OutcomeRecord>(&format!("{SELECT_OUTCOME} WHERE id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let mut event = Event::new(
        if before.is_some() {
            "outcome.update"
        } else {
            "outcome.record"
        },
        format!(
            "{} the outcome of referral {referral_ref} for {}: {}",
            if before.is_some() {
                "Changed"
            } else {
                "Recorded"
            },
            after.partner,
            new.outcome.label()
        ),
    )
    .on("referral", referral_ref)
    .after(&Audited::from(&after));
    if let Some(b) = &before {
        event = event.before(&Audited::from(b));
    }
    audit_trail::record_on(&mut tx, actor, event).await?;
    tx.commit().await?;
    Ok(after)
}

/// Every partner's outcome of one referral, by partner.
pub async fn of_referral(store: &Store, referral_ref: &str) -> Result<Vec<OutcomeRecord>> {
    Ok(sqlx::query_as::<_, OutcomeRecord>(&format!(
        "{SELECT_OUTCOME} WHERE referral_ref = $1 ORDER BY partner"
    ))
    .bind(referral_ref.trim())
    .fetch_all(store.pool())
    .await?)
}

/// What the outcome pages show of a referral: no narrative, no names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReferralBrief {
    /// The row's id: the list's tie-breaker, not shown.
    #[serde(skip)]
    pub id: i64,
    pub referral_ref: String,
    pub incident_ref: String,
    pub submitted_at: String,
    /// child | adult
    pub subject_type: String,
    pub category: String,
    pub partner: String,
}

const SELECT_BRIEF: &str =
    "SELECT r.id, r.referral_ref, r.incident_ref, r.submitted_at, r.subject_type, r.category, r.partner FROM referrals r";

/// One referral, without its narrative.
pub async fn referral(store: &Store, referral_ref: &str) -> Result<Option<ReferralBrief>> {
    Ok(
        sqlx::query_as::<_, ReferralBrief>(&format!("{SELECT_BRIEF} WHERE r.referral_ref = $1"))
            .bind(referral_ref.trim())
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Whether a partner name is the same agency (case and surrounding spaces do not matter).
pub fn same_agency(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Filters for the list of referrals to record outcomes on.
#[derive(Debug, Clone, Default)]
pub struct ReferralQuery {
    /// Submitted on or after this day.
    pub from: Option<Date>,
    /// Submitted on or before this day.
    pub to: Option<Date>,
    /// Referrals sent to this partner ('' for any).
    pub partner: String,
    /// With (true) or without (false) an outcome; `None` for both. With a partner or an agency,
    /// an outcome from that partner.
    pub has_outcome: Option<bool>,
    /// A partner reviewer's agency: only referrals sent to it. `Some` always narrows.
    pub agency: Option<String>,
}

impl ReferralQuery {
    fn where_clause(&self) -> (String, Vec<String>) {
        let (clauses, binds) = self.clauses();
        if clauses.is_empty() {
            (String::new(), binds)
        } else {
            (format!("WHERE {}", clauses.join(" AND ")), binds)
        }
    }

    fn keyset_filter(&self) -> keyset::Filter {
        let (clauses, binds) = self.clauses();
        keyset::Filter {
            clauses,
            binds: binds.into_iter().map(keyset::Value::Text).collect(),
        }
    }

    /// The filters as clauses joined by AND, with `$1…$n` numbered in the order of the binds.
    fn clauses(&self) -> (Vec<String>, Vec<String>) {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let mut push = |sql: &str, v: String, binds: &mut Vec<String>| {
            binds.push(v);
            clauses.push(sql.replace('?', &format!("${}", binds.len())));
        };
        if let Some(from) = self.from {
            push("r.submitted_at >= ?", from.to_string(), &mut binds);
        }
        if let Some(to) = self.to {
            // Inclusive of the whole day: every time that day sorts below the next day.
            let next = to.next_day().unwrap_or(to);
            push("r.submitted_at < ?", next.to_string(), &mut binds);
        }
        let partner = match &self.agency {
            Some(a) => Some(a.trim().to_string()),
            None if !self.partner.trim().is_empty() => Some(self.partner.trim().to_string()),
            None => None,
        };
        if let Some(p) = &partner {
            push("LOWER(TRIM(r.partner)) = LOWER(?)", p.clone(), &mut binds);
        }
        match (self.has_outcome, &partner) {
            (None, _) => {}
            (Some(has), Some(p)) => push(
                &format!(
                    "{}EXISTS (SELECT 1 FROM referral_outcomes o WHERE o.referral_ref = r.referral_ref AND LOWER(o.partner) = LOWER(?))",
                    if has { "" } else { "NOT " }
                ),
                p.clone(),
                &mut binds,
            ),
            (Some(has), None) => clauses.push(format!(
                "{}EXISTS (SELECT 1 FROM referral_outcomes o WHERE o.referral_ref = r.referral_ref)",
                if has { "" } else { "NOT " }
            )),
        }
        (clauses, binds)
    }
}

/// The outcomes list's order: newest submitted first, then by id (the register's referrals
/// index, `referrals_submitted_id`, and its partner index serve it).
const OUTCOMES_LIST: keyset::List<'static> = keyset::List {
    select: SELECT_BRIEF,
    from: "referrals r",
    sort: "r.submitted_at",
    tie: "r.id",
    tie_is_int: true,
    descending: true,
    key_of: "SELECT submitted_at, id FROM referrals WHERE referral_ref = $1",
};

/// How far the outcomes list counts the referrals matching its filters before it says "more
/// than".
pub const COUNT_CAP: i64 = 10_000;

/// One page of the referrals matching the query, newest first, starting at `start` (a referral
/// reference already shown): a keyset page, so the last page costs what the first does.
pub async fn referrals_page(
    store: &Store,
    q: &ReferralQuery,
    start: &PageStart,
    limit: i64,
) -> Result<keyset::Page<ReferralBrief>> {
    keyset::page(
        store,
        &OUTCOMES_LIST,
        &q.keyset_filter(),
        start,
        limit,
        |r: &ReferralBrief| {
            [
                keyset::Value::Text(r.submitted_at.clone()),
                keyset::Value::Int(r.id),
            ]
        },
    )
    .await
}

/// How many referrals match the query, up to [`COUNT_CAP`].
pub async fn referrals_count(store: &Store, q: &ReferralQuery) -> Result<Count> {
    keyset::count(store, &OUTCOMES_LIST, &q.keyset_filter(), COUNT_CAP).await
}

/// Referrals matching the query, newest first: the total and one page by offset (the pages use
/// [`referrals_page`]).
pub async fn referrals(
    store: &Store,
    q: &ReferralQuery,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<ReferralBrief>)> {
    let (where_sql, binds) = q.where_clause();
    let count_sql = format!("SELECT COUNT(*) FROM referrals r {where_sql}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total = count.fetch_one(store.pool()).await?;
    let n = binds.len();
    let sql = format!(
        "{SELECT_BRIEF} {where_sql} ORDER BY r.submitted_at DESC, r.referral_ref LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut page = sqlx::query_as::<_, ReferralBrief>(&sql);
    for b in &binds {
        page = page.bind(b.clone());
    }
    let rows = page
        .bind(limit)
        .bind(offset)
        .fetch_all(store.pool())
        .await?;
    Ok((total, rows))
}

/// The outcomes of several referrals at once (for a page of the list).
pub async fn of_referrals(store: &Store, refs: &[String]) -> Result<Vec<OutcomeRecord>> {
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=refs.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "{SELECT_OUTCOME} WHERE referral_ref IN ({}) ORDER BY referral_ref, partner",
        marks.join(", ")
    );
    let mut q = sqlx::query_as::<_, OutcomeRecord>(&sql);
    for r in refs {
        q = q.bind(r.clone());
    }
    Ok(q.fetch_all(store.pool()).await?)
}

/// The partner agencies named on referrals or outcomes, for choosing from.
pub async fn partners(store: &Store) -> Result<Vec<String>> {
    let mut names: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT TRIM(partner) FROM referrals WHERE TRIM(partner) <> ''
         UNION SELECT DISTINCT TRIM(partner) FROM referral_outcomes WHERE TRIM(partner) <> ''",
    )
    .fetch_all(store.pool())
    .await?;
    names.sort_by_key(|n| n.to_ascii_lowercase());
    names.dedup_by(|a, b| same_agency(a, b));
    Ok(names)
}

/// The rates for one partner or one subject type.
#[derive(Debug, Clone, Serialize)]
pub struct NamedRates {
    pub name: String,
    pub rates: Rates,
}

/// Outcome rates over the referrals submitted in a period.
#[derive(Debug, Clone, Serialize)]
pub struct RatesReport {
    pub overall: Rates,
    pub by_partner: Vec<NamedRates>,
    pub by_subject: Vec<NamedRates>,
    /// Referrals submitted in the period (within the agency, for a partner reviewer).
    pub referrals: i64,
    /// Of those, how many have at least one outcome.
    pub referrals_with_outcome: i64,
    /// Outcomes whose stored name is not one we know (not counted in the rates).
    pub unrecognised: i64,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    partner: String,
    subject_type: String,
    outcome: String,
    n: i64,
}

/// Rates of relevant, no-further-action and returned outcomes over referrals submitted between
/// `from` and `to` (inclusive; either open), overall, by partner and by subject type. With an
/// agency, only that agency's outcomes of referrals sent to it.
pub async fn rates(
    store: &Store,
    from: Option<Date>,
    to: Option<Date>,
    agency: Option<&str>,
) -> Result<RatesReport> {
    let q = ReferralQuery {
        from,
        to,
        agency: agency.map(str::to_string),
        ..Default::default()
    };
    let (where_sql, binds) = q.where_clause();
    let n = binds.len();
    let agency_sql = if agency.is_some() {
        format!(" AND LOWER(o.partner) = LOWER(${})", n + 1)
    } else {
        String::new()
    };
    let join_where = if where_sql.is_empty() {
        format!("WHERE 1 = 1{agency_sql}")
    } else {
        format!("{where_sql}{agency_sql}")
    };
    let sql = format!(
        "SELECT TRIM(o.partner) AS partner, r.subject_type, o.outcome, COUNT(*) AS n
         FROM referral_outcomes o JOIN referrals r ON r.referral_ref = o.referral_ref
         {join_where}
         GROUP BY TRIM(o.partner), r.subject_type, o.outcome"
    );
    let mut query = sqlx::query_as::<_, CountRow>(&sql);
    for b in &binds {
        query = query.bind(b.clone());
    }
    if let Some(a) = agency {
        query = query.bind(a.trim().to_string());
    }
    let rows = query.fetch_all(store.pool()).await?;

    let count_sql = format!(
        "SELECT COUNT(*) AS referrals,
            CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM referral_outcomes o WHERE o.referral_ref = r.referral_ref{agency_sql}) THEN 1 ELSE 0 END), 0) AS BIGINT) AS with_outcome
         FROM referrals r {where_sql}"
    );
    let mut cq = sqlx::query_as::<_, (i64, i64)>(&count_sql);
    for b in &binds {
        cq = cq.bind(b.clone());
    }
    if let Some(a) = agency {
        cq = cq.bind(a.trim().to_string());
    }
    let (referrals, referrals_with_outcome) = cq.fetch_one(store.pool()).await?;

    let mut all = Vec::new();
    let mut by_partner: Vec<(String, Vec<(Outcome, u64)>)> = Vec::new();
    let mut by_subject: Vec<(String, Vec<(Outcome, u64)>)> = Vec::new();
    let mut unrecognised = 0;
    fn add(groups: &mut Vec<(String, Vec<(Outcome, u64)>)>, key: &str, o: Outcome, k: u64) {
        match groups.iter_mut().find(|(name, _)| same_agency(name, key)) {
            Some((_, v)) => v.push((o, k)),
            None => groups.push((key.to_string(), vec![(o, k)])),
        }
    }
    for row in rows {
        let k = u64::try_from(row.n).unwrap_or(0);
        let Ok(o) = row.outcome.parse::<Outcome>() else {
            unrecognised += row.n;
            continue;
        };
        all.push((o, k));
        add(&mut by_partner, &row.partner, o, k);
        add(&mut by_subject, &row.subject_type, o, k);
    }
    let named = |groups: Vec<(String, Vec<(Outcome, u64)>)>| {
        let mut v: Vec<NamedRates> = groups
            .into_iter()
            .map(|(name, counts)| NamedRates {
                name,
                rates: rates_from_counts(counts),
            })
            .collect();
        v.sort_by_key(|n| n.name.to_ascii_lowercase());
        v
    };
    Ok(RatesReport {
        overall: rates_from_counts(all),
        by_partner: named(by_partner),
        by_subject: named(by_subject),
        referrals,
        referrals_with_outcome,
        unrecognised,
    })
}
