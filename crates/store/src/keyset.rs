//! Keyset pages for the long lists (the people directory, the register's incidents and
//! referrals, partner outcomes, the audit trail): a page starts just after or just before a row
//! already shown, named by its unique reference, so the hundredth page costs what the first does
//! (an offset would read every row before it). Counts of matching rows stop at a cap, so no
//! page load counts a million rows.

use crate::{Result, Store};
use sqlx::any::AnyRow;

/// Where a page starts: at the beginning of the list, or just after or just before the row with
/// this reference (a staff number, an incident or a referral reference).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageStart {
    #[default]
    First,
    After(String),
    Before(String),
}

/// One page of a list, and whether there are matching rows before and after it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_previous: bool,
    pub has_next: bool,
    /// The start named a row that is not in the database (an old or edited link): the page is
    /// the first one instead.
    pub start_unknown: bool,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            rows: Vec::new(),
            has_previous: false,
            has_next: false,
            start_unknown: false,
        }
    }
}

/// How many rows match, counted up to a cap: `capped` means "more than `n`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Count {
    pub n: i64,
    pub capped: bool,
}

impl Count {
    /// The count in words with thousands separated: "1,234" or "more than 10,000".
    pub fn words(&self) -> String {
        let mut digits = String::new();
        let s = self.n.to_string();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                digits.push(',');
            }
            digits.push(c);
        }
        if self.capped {
            format!("more than {digits}")
        } else {
            digits
        }
    }
}

/// A value bound to a numbered parameter.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(String),
    Int(i64),
}

/// A list's order and where its rows come from: `(sort, tie)` ascending or descending, `tie`
/// unique, with an index on `(sort, tie)` (and on each common filter followed by them). A list
/// ordered by its unique key alone (the audit trail, by id) names it as both `sort` and `tie`.
pub(crate) struct List<'a> {
    /// `SELECT … FROM table alias [JOIN …]`; the filters name only the table's alias.
    pub select: &'a str,
    /// `table alias`, for counts and for looking beyond a page.
    pub from: &'a str,
    pub sort: &'a str,
    pub tie: &'a str,
    /// The tie-breaker is an integer (an id) rather than text.
    pub tie_is_int: bool,
    pub descending: bool,
    /// Finds the start row's `(sort, tie)` from its reference (`$1`).
    pub key_of: &'a str,
}

impl List<'_> {
    /// Ordered by the unique key alone: one column compared and bound, not two.
    fn single(&self) -> bool {
        self.sort == self.tie
    }

    /// The parts of a row's key the list compares (the tie alone when it is the sort too).
    fn key_binds<'k>(&self, key: &'k [Value; 2]) -> &'k [Value] {
        if self.single() {
            &key[1..]
        } else {
            &key[..]
        }
    }

    fn order_by(&self, dir: &str) -> String {
        if self.single() {
            format!("{} {dir}", self.tie)
        } else {
            format!("{} {dir}, {} {dir}", self.sort, self.tie)
        }
    }
}

/// A filter: clauses joined by AND, with `$1…$n` numbered in the order of `binds`.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub clauses: Vec<String>,
    pub binds: Vec<Value>,
}

impl Filter {
    fn sql(&self, extra: Option<&str>) -> String {
        let all: Vec<&str> = self
            .clauses
            .iter()
            .map(String::as_str)
            .chain(extra)
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", all.join(" AND "))
        }
    }
}

macro_rules! bind_values {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Value::Text(s) => q.bind(s.clone()),
                Value::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// Rows matching `f`, counted up to `cap`.
pub(crate) async fn count(store: &Store, list: &List<'_>, f: &Filter, cap: i64) -> Result<Count> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS one FROM {} {} LIMIT {}) capped",
        list.from,
        f.sql(None),
        cap + 1
    );
    let n: i64 = bind_values!(sqlx::query_scalar::<_, i64>(&sql), &f.binds)
        .fetch_one(store.pool())
        .await?;
    Ok(Count {
        n: n.min(cap),
        capped: n > cap,
    })
}

/// Every row matching `f`, counted without a cap.
pub(crate) async fn count_all(store: &Store, list: &List<'_>, f: &Filter) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {} {}", list.from, f.sql(None));
    Ok(bind_values!(sqlx::query_scalar::<_, i64>(&sql), &f.binds)
        .fetch_one(store.pool())
        .await?)
}

/// The `(sort, tie)` of the row with this reference, if there is one.
async fn key_of(store: &Store, list: &List<'_>, reference: &str) -> Result<Option<[Value; 2]>> {
    use sqlx::Row;
    let row = sqlx::query(list.key_of)
        .bind(reference.trim().to_string())
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let tie = if list.tie_is_int {
        Value::Int(row.try_get(1)?)
    } else {
        Value::Text(row.try_get(1)?)
    };
    if list.single() {
        return Ok(Some([tie.clone(), tie]));
    }
    let sort: String = row.try_get(0)?;
    Ok(Some([Value::Text(sort), tie]))
}

/// `(sort, tie) op ($n+1, $n+2)` after the filter's own parameters.
/// The statement of one page (its last parameter is the row limit) and the key's binds, for
/// [`page`] and the native reader alike: reading backwards (the previous page) walks the order
/// the other way; the caller turns the rows round.
fn page_sql<'k>(
    list: &List<'_>,
    f: &Filter,
    key: Option<&'k [Value; 2]>,
    later: bool,
) -> (String, &'k [Value]) {
    let dir = if list.descending == later {
        "DESC"
    } else {
        "ASC"
    };
    let bound = key.map(|_| beyond(list, f, later));
    let key_binds = key.map(|k| list.key_binds(k)).unwrap_or_default();
    let n = f.binds.len() + key_binds.len();
    let sql = format!(
        "{} {} ORDER BY {} LIMIT ${}",
        list.select,
        f.sql(bound.as_deref()),
        list.order_by(dir),
        n + 1
    );
    (sql, key_binds)
}

fn beyond(list: &List<'_>, f: &Filter, later: bool) -> String {
    // "Later" in the list's own order: greater when ascending, smaller when descending.
    let op = if later != list.descending { ">" } else { "<" };
    let n = f.binds.len();
    if list.single() {
        return format!("{} {op} ${}", list.tie, n + 1);
    }
    format!(
        "({}, {}) {op} (${}, ${})",
        list.sort,
        list.tie,
        n + 1,
        n + 2
    )
}

/// Whether any row matching `f` lies beyond `key` (later or earlier in the list's order).
async fn any_beyond(
    store: &Store,
    list: &List<'_>,
    f: &Filter,
    key: &[Value; 2],
    later: bool,
) -> Result<bool> {
    let sql = format!(
        "SELECT 1 AS one FROM {} {} LIMIT 1",
        list.from,
        f.sql(Some(&beyond(list, f, later)))
    );
    let q = bind_values!(sqlx::query(&sql), &f.binds);
    let q = bind_values!(q, list.key_binds(key).iter());
    Ok(q.fetch_optional(store.pool()).await?.is_some())
}

/// Up to `limit` rows matching `f` in the list's order, from `start`. A start naming a row that
/// does not exist gives the first page, marked `start_unknown`.
pub(crate) async fn page<T>(
    store: &Store,
    list: &List<'_>,
    f: &Filter,
    start: &PageStart,
    limit: i64,
    key_of_row: impl Fn(&T) -> [Value; 2],
) -> Result<Page<T>>
where
    T: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
{
    let limit = limit.max(1);
    let (key, later) = match start {
        PageStart::First => (None, true),
        PageStart::After(r) | PageStart::Before(r) => {
            let later = matches!(start, PageStart::After(_));
            match key_of(store, list, r).await? {
                Some(k) => (Some(k), later),
                None => {
                    let mut first =
                        Box::pin(page(store, list, f, &PageStart::First, limit, key_of_row))
                            .await?;
                    first.start_unknown = true;
                    return Ok(first);
                }
            }
        }
    };
    let backwards = !later;
    let (sql, key_binds) = page_sql(list, f, key.as_ref(), later);
    let q = bind_values!(sqlx::query_as::<_, T>(&sql), &f.binds);
    let q = bind_values!(q, key_binds.iter());
    let mut rows = q.bind(limit + 1).fetch_all(store.pool()).await?;
    let more = rows.len() as i64 > limit;
    if backwards && !more {
        // Back at the beginning: the first page, full, rather than the few rows before the start.
        return Box::pin(page(store, list, f, &PageStart::First, limit, key_of_row)).await;
    }
    rows.truncate(limit as usize);
    if backwards {
        rows.reverse();
    }
    let (has_previous, has_next) = match (&key, rows.first(), rows.last()) {
        // Nothing after the start: is there anything before it?
        (Some(k), None, _) | (Some(k), _, None) => {
            (any_beyond(store, list, f, k, false).await?, false)
        }
        (None, _, _) => (false, more),
        (Some(_), Some(first), Some(last)) => {
            if later {
                (
                    any_beyond(store, list, f, &key_of_row(first), false).await?,
                    more,
                )
            } else {
                (
                    more,
                    any_beyond(store, list, f, &key_of_row(last), true).await?,
                )
            }
        }
    };
    Ok(Page {
        rows,
        has_previous,
        has_next,
        start_unknown: false,
    })
}

/// [`page`] and [`count`] together on a native SQLite connection, in the read transaction
/// the caller holds (see `native_sqlite.rs`): the same statements, the same answers, without
/// the generic driver's cost per row. `read_row` reads one row of `list.select`; no count is
/// made without a `cap`.
#[allow(clippy::too_many_arguments)] // `page`'s arguments, with the count's cap and the row reader
pub(crate) fn page_and_count_native<T>(
    conn: &rusqlite::Connection,
    list: &List<'_>,
    f: &Filter,
    start: &PageStart,
    limit: i64,
    cap: Option<i64>,
    read_row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    key_of_row: impl Fn(&T) -> [Value; 2],
) -> rusqlite::Result<(Page<T>, Option<Count>)> {
    let page = page_native(conn, list, f, start, limit, read_row, &key_of_row)?;
    let Some(cap) = cap else {
        return Ok((page, None));
    };
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS one FROM {} {} LIMIT {}) capped",
        list.from,
        f.sql(None),
        cap + 1
    );
    let n: i64 = query_native(conn, &sql, &native_values(&f.binds), |r| r.get(0))?
        .into_iter()
        .next()
        .unwrap_or(0);
    Ok((
        page,
        Some(Count {
            n: n.min(cap),
            capped: n > cap,
        }),
    ))
}

fn native_values<'v>(values: impl IntoIterator<Item = &'v Value>) -> Vec<rusqlite::types::Value> {
    values
        .into_iter()
        .map(|v| match v {
            Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
            Value::Int(i) => rusqlite::types::Value::Integer(*i),
        })
        .collect()
}

fn query_native<T>(
    conn: &rusqlite::Connection,
    sql: &str,
    binds: &[rusqlite::types::Value],
    read_row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    crate::native_sqlite::bind_numbered(&mut stmt, binds)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_row(row)?);
    }
    Ok(out)
}

/// [`page`] on a native SQLite connection: the same steps and statements.
fn page_native<T>(
    conn: &rusqlite::Connection,
    list: &List<'_>,
    f: &Filter,
    start: &PageStart,
    limit: i64,
    read_row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    key_of_row: &impl Fn(&T) -> [Value; 2],
) -> rusqlite::Result<Page<T>> {
    let limit = limit.max(1);
    let (key, later) = match start {
        PageStart::First => (None, true),
        PageStart::After(r) | PageStart::Before(r) => {
            let later = matches!(start, PageStart::After(_));
            let found = query_native(
                conn,
                list.key_of,
                &[rusqlite::types::Value::Text(r.trim().to_string())],
                |row| {
                    let tie = if list.tie_is_int {
                        Value::Int(row.get(1)?)
                    } else {
                        Value::Text(row.get(1)?)
                    };
                    if list.single() {
                        return Ok([tie.clone(), tie]);
                    }
                    Ok([Value::Text(row.get(0)?), tie])
                },
            )?;
            match found.into_iter().next() {
                Some(k) => (Some(k), later),
                None => {
                    let mut first = page_native(
                        conn,
                        list,
                        f,
                        &PageStart::First,
                        limit,
                        read_row,
                        key_of_row,
                    )?;
                    first.start_unknown = true;
                    return Ok(first);
                }
            }
        }
    };
    let backwards = !later;
    let (sql, key_binds) = page_sql(list, f, key.as_ref(), later);
    let mut binds = native_values(f.binds.iter().chain(key_binds));
    binds.push(rusqlite::types::Value::Integer(limit + 1));
    let mut rows = query_native(conn, &sql, &binds, read_row)?;
    let more = rows.len() as i64 > limit;
    if backwards && !more {
        return page_native(
            conn,
            list,
            f,
            &PageStart::First,
            limit,
            read_row,
            key_of_row,
        );
    }
    rows.truncate(limit as usize);
    if backwards {
        rows.reverse();
    }
    let any_beyond = |key: &[Value; 2], later: bool| -> rusqlite::Result<bool> {
        let sql = format!(
            "SELECT 1 AS one FROM {} {} LIMIT 1",
            list.from,
            f.sql(Some(&beyond(list, f, later)))
        );
        let binds = native_values(f.binds.iter().chain(list.key_binds(key)));
        Ok(!query_native(conn, &sql, &binds, |_| Ok(()))?.is_empty())
    };
    let (has_previous, has_next) = match (&key, rows.first(), rows.last()) {
        (Some(k), None, _) | (Some(k), _, None) => (any_beyond(k, false)?, false),
        (None, _, _) => (false, more),
        (Some(_), Some(first), Some(last)) => {
            if later {
                (any_beyond(&key_of_row(first), false)?, more)
            } else {
                (more, any_beyond(&key_of_row(last), true)?)
            }
        }
    };
    Ok(Page {
        rows,
        has_previous,
        has_next,
        start_unknown: false,
    })
}

/// [`page`] and [`count`] together on a native PostgreSQL connection, in the read transaction
/// the caller holds (see `native_postgres.rs`): the same statements and the same answers as the
/// generic path, with each row read in PostgreSQL's binary form by `read_row` rather than
/// through the generic driver, and each statement prepared once per connection. No count is
/// made without a `cap`.
#[allow(clippy::too_many_arguments)] // `page`'s arguments, with the count's cap and the row reader
pub(crate) async fn page_and_count_postgres<T: Send + 'static>(
    conn: &mut sqlx::PgConnection,
    list: &List<'_>,
    f: &Filter,
    start: &PageStart,
    limit: i64,
    cap: Option<i64>,
    read_row: fn(&sqlx::postgres::PgRow) -> std::result::Result<T, sqlx::Error>,
    key_of_row: impl Fn(&T) -> [Value; 2] + Sync,
) -> Result<(Page<T>, Option<Count>)> {
    let page = page_postgres(&mut *conn, list, f, start, limit, read_row, &key_of_row).await?;
    let Some(cap) = cap else {
        return Ok((page, None));
    };
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS one FROM {} {} LIMIT {}) capped",
        list.from,
        f.sql(None),
        cap + 1
    );
    let n: i64 = bind_values!(sqlx::query_scalar::<sqlx::Postgres, i64>(&sql), &f.binds)
        .fetch_one(&mut *conn)
        .await?;
    Ok((
        page,
        Some(Count {
            n: n.min(cap),
            capped: n > cap,
        }),
    ))
}

/// [`page`] on a native PostgreSQL connection: the same steps and statements.
fn page_postgres<'a, T: Send + 'static>(
    conn: &'a mut sqlx::PgConnection,
    list: &'a List<'_>,
    f: &'a Filter,
    start: &'a PageStart,
    limit: i64,
    read_row: fn(&sqlx::postgres::PgRow) -> std::result::Result<T, sqlx::Error>,
    key_of_row: &'a (impl Fn(&T) -> [Value; 2] + Sync),
) -> futures_util::future::BoxFuture<'a, Result<Page<T>>> {
    use sqlx::Row;
    Box::pin(async move {
        let limit = limit.max(1);
        let (key, later) = match start {
            PageStart::First => (None, true),
            PageStart::After(r) | PageStart::Before(r) => {
                let later = matches!(start, PageStart::After(_));
                let found = sqlx::query::<sqlx::Postgres>(list.key_of)
                    .bind(r.trim().to_string())
                    .fetch_optional(&mut *conn)
                    .await?;
                let key = match found {
                    Some(row) => {
                        let tie = if list.tie_is_int {
                            Value::Int(row.try_get(1)?)
                        } else {
                            Value::Text(row.try_get(1)?)
                        };
                        if list.single() {
                            Some([tie.clone(), tie])
                        } else {
                            Some([Value::Text(row.try_get(0)?), tie])
                        }
                    }
                    None => None,
                };
                match key {
                    Some(k) => (Some(k), later),
                    None => {
                        let mut first = page_postgres(
                            conn,
                            list,
                            f,
                            &PageStart::First,
                            limit,
                            read_row,
                            key_of_row,
                        )
                        .await?;
                        first.start_unknown = true;
                        return Ok(first);
                    }
                }
            }
        };
        let backwards = !later;
        let (sql, key_binds) = page_sql(list, f, key.as_ref(), later);
        let q = bind_values!(sqlx::query::<sqlx::Postgres>(&sql), &f.binds);
        let q = bind_values!(q, key_binds.iter());
        let mut rows = q
            .bind(limit + 1)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(read_row)
            .collect::<std::result::Result<Vec<T>, _>>()?;
        let more = rows.len() as i64 > limit;
        if backwards && !more {
            return page_postgres(
                conn,
                list,
                f,
                &PageStart::First,
                limit,
                read_row,
                key_of_row,
            )
            .await;
        }
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        let beyond_key = match (&key, rows.first(), rows.last()) {
            (Some(k), None, _) | (Some(k), _, None) => Some((k.clone(), false)),
            (None, _, _) => None,
            (Some(_), Some(first), Some(last)) => Some(if later {
                (key_of_row(first), false)
            } else {
                (key_of_row(last), true)
            }),
        };
        let found_beyond = match &beyond_key {
            None => false,
            Some((k, later_than)) => {
                let sql = format!(
                    "SELECT 1 AS one FROM {} {} LIMIT 1",
                    list.from,
                    f.sql(Some(&beyond(list, f, *later_than)))
                );
                let q = bind_values!(sqlx::query::<sqlx::Postgres>(&sql), &f.binds);
                let q = bind_values!(q, list.key_binds(k).iter());
                q.fetch_optional(&mut *conn).await?.is_some()
            }
        };
        let (has_previous, has_next) = match (&key, rows.is_empty()) {
            // Nothing after the start: is there anything before it?
            (Some(_), true) => (found_beyond, false),
            (None, _) => (false, more),
            (Some(_), false) => {
                if later {
                    (found_beyond, more)
                } else {
                    (more, found_beyond)
                }
            }
        };
        Ok(Page {
            rows,
            has_previous,
            has_next,
            start_unknown: false,
        })
    })
}

/// The distinct non-empty values of an indexed text column, in order, by stepping through the
/// index (one short lookup per value, where `SELECT DISTINCT` would read every row).
pub(crate) async fn distinct_values(
    store: &Store,
    table: &str,
    column: &str,
) -> Result<Vec<String>> {
    let sql = format!(
        "WITH RECURSIVE v(x) AS (
            SELECT MIN({column}) FROM {table} WHERE {column} <> ''
            UNION ALL
            SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL
         )
         SELECT x FROM v WHERE x IS NOT NULL ORDER BY x"
    );
    Ok(sqlx::query_scalar::<_, String>(&sql)
        .fetch_all(store.pool())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::Count;

    #[test]
    fn counts_read_with_separators_and_caps() {
        assert_eq!(
            Count {
                n: 0,
                capped: false
            }
            .words(),
            "0"
        );
        assert_eq!(
            Count {
                n: 999,
                capped: false
            }
            .words(),
            "999"
        );
        assert_eq!(
            Count {
                n: 1234,
                capped: false
            }
            .words(),
            "1,234"
        );
        assert_eq!(
            Count {
                n: 10_000,
                capped: true
            }
            .words(),
            "more than 10,000"
        );
        assert_eq!(
            Count {
                n: 1_000_000,
                capped: false
            }
            .words(),
            "1,000,000"
        );
    }
}
