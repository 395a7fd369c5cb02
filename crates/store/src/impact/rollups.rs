//! The dashboard's roll-ups (`impact_monthly`, migration 15): per calendar month, department and
//! whether the referral's incident is on the register, the referrals, those with the decision of
//! the agency they went to, accepted, rejected or returned, and the incidents that needed a
//! referral. They are kept current in the same transaction as every write that changes
//! incidents, referrals or partner outcomes: the write works out which months it touched (the
//! old and the new month of every row it changed, and for incidents the months of the referrals
//! made from them) and calls [`refresh_rollups`], which counts those months again from the
//! tables (DELETE + INSERT … SELECT … GROUP BY over an indexed range). Recording one partner
//! decision instead moves only the rows its referral counts in: [`referral_part`] before and
//! after the change, and [`apply_referral_change`] adds the difference (a few indexed rows, not
//! a month of a large register). The same query fills the table when the migration runs
//! ([`refresh_all_rollups`]), so the roll-up is always what a live count would give.
//!
//! Every refresh also moves `settings.impact_data_version`, against which the training effect is
//! cached (`super::effect`).

use std::collections::{BTreeMap, BTreeSet};

use crate::Result;
use mashboard_domain::outcomes::{Group, Outcome};

/// The migration that creates the roll-up; the runner fills it right after.
pub const ROLLUP_MIGRATION: i64 = 15;

/// The calendar month (`YYYY-MM`) of a stored date or date-time, if it starts with one.
pub fn month_of(s: &str) -> Option<String> {
    let m = s.get(..7)?;
    let b = m.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7)).then(|| m.to_string())
}

/// The month after `YYYY-MM`, as text that sorts after every date-time in that month.
fn next_month(m: &str) -> Option<String> {
    let y: i32 = m.get(..4)?.parse().ok()?;
    let mo: u32 = m.get(5..7)?.parse().ok()?;
    Some(if mo >= 12 {
        format!("{:04}-01", y + 1)
    } else {
        format!("{y:04}-{:02}", mo + 1)
    })
}

pub(super) fn in_list(outcomes: impl Iterator<Item = Outcome>) -> String {
    outcomes
        .map(|o| format!("'{}'", o.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SUM expressions of the referral counts (with a decision, accepted, rejected or
/// returned), over `o.outcome`: the decision of the agency the referral went to, or NULL.
pub(super) fn decision_sums() -> [String; 3] {
    let accepted = in_list(
        Outcome::ALL
            .into_iter()
            .filter(|o| o.group() == Group::Relevant),
    );
    let rejected =
        in_list([Outcome::NoFurtherAction, Outcome::ReturnedMoreInformation].into_iter());
    [
        "CAST(SUM(CASE WHEN o.outcome IS NULL THEN 0 ELSE 1 END) AS BIGINT)".to_string(),
        format!("CAST(SUM(CASE WHEN o.outcome IN ({accepted}) THEN 1 ELSE 0 END) AS BIGINT)"),
        format!("CAST(SUM(CASE WHEN o.outcome IN ({rejected}) THEN 1 ELSE 0 END) AS BIGINT)"),
    ]
}

/// The SELECT that counts the referrals matching `referral_where` (which may use `$1` and `$2`)
/// per roll-up row: month, department, linked, referrals, with a decision, accepted, rejected
/// or returned, and (always 0 here) incidents needing a referral.
fn referral_counts_sql(referral_where: &str) -> String {
    let [decided, accepted, rejected] = decision_sums();
    format!(
        "SELECT substr(r.submitted_at, 1, 7) AS month, COALESCE(i.department, '') AS department,
            CASE WHEN i.id IS NULL THEN 0 ELSE 1 END AS linked,
            CAST(COUNT(*) AS BIGINT) AS referrals, {decided} AS with_decision, {accepted} AS accepted, {rejected} AS rejected_or_returned, CAST(0 AS BIGINT) AS incidents_needing
         FROM referrals r
         LEFT JOIN incidents i ON i.incident_ref = r.incident_ref
         LEFT JOIN referral_outcomes o ON o.referral_ref = r.referral_ref AND LOWER(o.partner) = LOWER(r.partner)
         WHERE {referral_where}
         GROUP BY substr(r.submitted_at, 1, 7), COALESCE(i.department, ''), CASE WHEN i.id IS NULL THEN 0 ELSE 1 END"
    )
}

/// The INSERT … SELECT that counts the rows matching `referral_where` and `incident_where`
/// (each may use `$1` and `$2`).
fn fill_sql(referral_where: &str, incident_where: &str) -> String {
    let referrals = referral_counts_sql(referral_where);
    format!(
        "INSERT INTO impact_monthly (month, department, linked, referrals, with_decision, accepted,
            rejected_or_returned, incidents_needing)
         SELECT month, department, linked, CAST(SUM(referrals) AS BIGINT),
            CAST(SUM(with_decision) AS BIGINT), CAST(SUM(accepted) AS BIGINT),
            CAST(SUM(rejected_or_returned) AS BIGINT), CAST(SUM(incidents_needing) AS BIGINT)
         FROM (
            {referrals}
            UNION ALL
            SELECT substr(reported_at, 1, 7), department, 1, CAST(0 AS BIGINT), CAST(0 AS BIGINT),
                CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(COUNT(*) AS BIGINT)
            FROM incidents
            WHERE (children_involved = 1 OR domestic_abuse = 1 OR adult_at_risk = 1) AND {incident_where}
            GROUP BY substr(reported_at, 1, 7), department
         ) x
         GROUP BY month, department, linked"
    )
}

/// One referral's part of the roll-up: per row it counts in (month, department, linked), its
/// referral, with-decision, accepted and rejected-or-returned counts. Read it before and after
/// changing the referral's partner decision and apply the difference ([`apply_referral_change`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferralPart(BTreeMap<(String, String, i64), [i64; 4]>);

/// What one referral counts for in the roll-up now (in the caller's transaction): the same
/// query as the full count, narrowed to the referral by its unique reference.
pub async fn referral_part(
    conn: &mut sqlx::AnyConnection,
    referral_ref: &str,
) -> Result<ReferralPart> {
    type Row = (String, String, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(&referral_counts_sql("r.referral_ref = $1"))
        .bind(referral_ref)
        .fetch_all(&mut *conn)
        .await?;
    Ok(ReferralPart(
        rows.into_iter()
            .map(|(m, d, l, n, decided, acc, rej, _)| ((m, d, l), [n, decided, acc, rej]))
            .collect(),
    ))
}

/// Moves the roll-up rows a referral counts in from `before` to `after` (each from
/// [`referral_part`]): subtracts the old counts, adds the new, in the caller's transaction, and
/// moves the impact data version. A few indexed rows instead of counting the month again.
pub async fn apply_referral_change(
    conn: &mut sqlx::AnyConnection,
    before: &ReferralPart,
    after: &ReferralPart,
) -> Result<()> {
    let mut delta: BTreeMap<&(String, String, i64), [i64; 4]> = BTreeMap::new();
    for (key, counts) in &after.0 {
        let d = delta.entry(key).or_default();
        for (d, c) in d.iter_mut().zip(counts) {
            *d += c;
        }
    }
    for (key, counts) in &before.0 {
        let d = delta.entry(key).or_default();
        for (d, c) in d.iter_mut().zip(counts) {
            *d -= c;
        }
    }
    for ((month, department, linked), [n, decided, acc, rej]) in delta {
        if [n, decided, acc, rej] == [0; 4] {
            continue;
        }
        sqlx::query(
            "INSERT INTO impact_monthly (month, department, linked, referrals, with_decision,
                accepted, rejected_or_returned, incidents_needing)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
             ON CONFLICT (month, department, linked) DO UPDATE SET
                referrals = impact_monthly.referrals + excluded.referrals,
                with_decision = impact_monthly.with_decision + excluded.with_decision,
                accepted = impact_monthly.accepted + excluded.accepted,
                rejected_or_returned = impact_monthly.rejected_or_returned + excluded.rejected_or_returned",
        )
        .bind(month)
        .bind(department)
        .bind(*linked)
        .bind(n)
        .bind(decided)
        .bind(acc)
        .bind(rej)
        .execute(&mut *conn)
        .await?;
    }
    bump_version(conn).await
}

/// What a write names its rows by, for [`months_of`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Incidents by `incident_ref`: their months and those of the referrals made from them.
    Incidents,
    /// Referrals by `referral_ref` (also for outcomes, which name their referral).
    Referrals,
}

/// The roll-up writes for one kind of connection: the generic driver's (pages, outcomes) and
/// the native ones the register import writes through (see `register.rs`), one text for all.
macro_rules! rollup_writes {
    ($module:ident, $conn:ty) => {
        #[allow(dead_code)] // Each driver uses only part of the set.
        pub mod $module {
            use super::*;

        /// Counts these months (`YYYY-MM`) again from the tables, in the caller's transaction, and
        /// moves the impact data version. Months that are not `YYYY-MM` are ignored.
        pub async fn refresh_rollups(conn: &mut $conn, months: &BTreeSet<String>) -> Result<()> {
            let sql = fill_sql(
                "r.submitted_at >= $1 AND r.submitted_at < $2",
                "reported_at >= $1 AND reported_at < $2",
            );
            for m in months {
                let (Some(m), Some(next)) = (month_of(m), next_month(m)) else {
                    continue;
                };
                sqlx::query("DELETE FROM impact_monthly WHERE month = $1")
                    .bind(&m)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(&sql)
                    .bind(&m)
                    .bind(&next)
                    .execute(&mut *conn)
                    .await?;
            }
            bump_version(conn).await
        }

        /// Counts every month again (the migration, a benchmark's bulk load).
        pub async fn refresh_all_rollups(conn: &mut $conn) -> Result<()> {
            sqlx::query("DELETE FROM impact_monthly")
                .execute(&mut *conn)
                .await?;
            sqlx::query(&fill_sql("1 = 1", "1 = 1"))
                .execute(&mut *conn)
                .await?;
            bump_version(conn).await
        }

        /// Moves the impact data version (in the caller's transaction).
        pub async fn bump_version(conn: &mut $conn) -> Result<()> {
            sqlx::query(
                "UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'impact_data_version'",
            )
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Adds the months these rows are in now (call it before changing them, and add the new months
        /// yourself) to `out`.
        pub async fn months_of(
            conn: &mut $conn,
            rows: Rows,
            refs: &[&str],
            out: &mut BTreeSet<String>,
        ) -> Result<()> {
            for chunk in refs.chunks(500) {
                let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let list = placeholders.join(", ");
                let sql = match rows {
                    Rows::Incidents => format!(
                        "SELECT DISTINCT substr(reported_at, 1, 7) FROM incidents WHERE incident_ref IN ({list})
                         UNION SELECT DISTINCT substr(submitted_at, 1, 7) FROM referrals WHERE incident_ref IN ({list})"
                    ),
                    Rows::Referrals => format!(
                        "SELECT DISTINCT substr(submitted_at, 1, 7) FROM referrals WHERE referral_ref IN ({list})"
                    ),
                };
                let mut q = sqlx::query_scalar::<_, String>(&sql);
                for r in chunk {
                    q = q.bind(*r);
                }
                out.extend(q.fetch_all(&mut *conn).await?);
            }
            Ok(())
        }
        }
    };
}

rollup_writes!(any, sqlx::AnyConnection);
rollup_writes!(native_sqlite, sqlx::SqliteConnection);
rollup_writes!(native_postgres, sqlx::PgConnection);
pub use any::{bump_version, months_of, refresh_all_rollups, refresh_rollups};

/// Counts every month again in a transaction of its own: after rows were written by other
/// means than the store's own writes (a bulk load, a test's seeding).
pub async fn rebuild_rollups(store: &crate::Store) -> Result<()> {
    let mut tx = store.begin().await?;
    refresh_all_rollups(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_from_dates_and_stepped_over_the_year_end() {
        assert_eq!(month_of("2024-03-31T23:59:59").as_deref(), Some("2024-03"));
        assert_eq!(month_of("2024-3-1"), None);
        assert_eq!(month_of("24"), None);
        assert_eq!(next_month("2024-12").as_deref(), Some("2025-01"));
        assert_eq!(next_month("2024-09").as_deref(), Some("2024-10"));
    }
}
