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

/// `SELECT COUNT(*)` of the rows matching `f`, stopping at `cap + 1`.
fn count_sql(list: &List<'_>, f: &Filter, cap: i64) -> String {
    format!(
        "SELECT COUNT(*) FROM (SELECT 1 AS one FROM {} {} LIMIT {}) capped",
        list.from,
        f.sql(None),
        cap + 1
    )
}

fn capped(n: i64, cap: i64) -> Count {
    Count {
        n: n.min(cap),
        capped: n > cap,
    }
}

/// Rows matching `f`, counted up to `cap`.
pub(crate) async fn count(store: &Store, list: &List<'_>, f: &Filter, cap: i64) -> Result<Count> {
    let sql = count_sql(list, f, cap);
    let n: i64 = bind_values!(sqlx::query_scalar::<_, i64>(&sql), &f.binds)
        .fetch_one(store.pool())
        .await?;
    Ok(capped(n, cap))
}

/// Every row matching `f`, counted without a cap.
pub(crate) async fn count_all(store: &Store, list: &List<'_>, f: &Filter) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {} {}", list.from, f.sql(None));
    Ok(bind_values!(sqlx::query_scalar::<_, i64>(&sql), &f.binds)
        .fetch_one(store.pool())
        .await?)
}

/// The statement of one page (its last parameter is the row limit) and the key's binds:
/// reading backwards (the previous page) walks the order the other way; the caller turns the
/// rows round. With a `cap`, each row ends with the count of matching rows up to it
/// (`capped_count`, one scalar subquery the database evaluates once), so that the page and its
/// count are one statement: one round trip, one snapshot, no transaction needed.
fn page_sql<'k>(
    list: &List<'_>,
    f: &Filter,
    key: Option<&'k [Value; 2]>,
    later: bool,
    cap: Option<i64>,
) -> (String, &'k [Value]) {
    let dir = if list.descending == later {
        "DESC"
    } else {
        "ASC"
    };
    let bound = key.map(|_| beyond(list, f, later));
    let key_binds = key.map(|k| list.key_binds(k)).unwrap_or_default();
    let n = f.binds.len() + key_binds.len();
    let select = match cap {
        None => list.select.to_string(),
        Some(cap) => with_last_column(
            list.select,
            &format!("({}) AS capped_count", count_sql(list, f, cap)),
        ),
    };
    let sql = format!(
        "{select} {} ORDER BY {} LIMIT ${}",
        f.sql(bound.as_deref()),
        list.order_by(dir),
        n + 1
    );
    (sql, key_binds)
}

/// `select` (`SELECT columns FROM …`) with `column` added after its columns: before the first
/// `FROM` outside parentheses.
fn with_last_column(select: &str, column: &str) -> String {
    let bytes = select.as_bytes();
    let mut depth = 0i32;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b'F' if depth == 0
                && select[i..].starts_with("FROM")
                && i > 0
                && bytes[i - 1].is_ascii_whitespace()
                && bytes.get(i + 4).is_some_and(u8::is_ascii_whitespace) =>
            {
                return format!("{}, {column} {}", select[..i].trim_end(), &select[i..]);
            }
            _ => {}
        }
    }
    panic!("a list's select has no FROM: {select}")
}

/// `(sort, tie) op ($n+1, $n+2)` after the filter's own parameters.
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

/// A connection the page algorithm ([`read_page`]) runs its statements on: the generic pool,
/// a native SQLite connection, a native PostgreSQL connection. The algorithm is written once;
/// each kind only runs a statement and reads values from its own rows.
pub(crate) trait Reader {
    /// One row as this kind of connection gives it.
    type Row<'r>;
    /// Every row of `sql` with `binds` (`$1…` in order), each read by `read` as it comes.
    async fn rows<T>(
        &mut self,
        sql: &str,
        binds: &[&Value],
        read: impl FnMut(&Self::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>>;
    /// Column `i` (from 0) of a row, as an integer.
    fn int(row: &Self::Row<'_>, i: usize) -> Result<i64>;
    /// Column `i` of a row, as text.
    fn text(row: &Self::Row<'_>, i: usize) -> Result<String>;
    /// How many columns a row has.
    fn width(row: &Self::Row<'_>) -> usize;
}

/// The generic pool (sqlx's `Any` driver), on either database.
pub(crate) struct Generic<'a>(pub &'a sqlx::AnyPool);

impl Reader for Generic<'_> {
    type Row<'r> = AnyRow;
    async fn rows<T>(
        &mut self,
        sql: &str,
        binds: &[&Value],
        mut read: impl FnMut(&AnyRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        let q = bind_values!(sqlx::query(sql), binds.iter().copied());
        q.fetch_all(self.0).await?.iter().map(&mut read).collect()
    }
    fn int(row: &AnyRow, i: usize) -> Result<i64> {
        Ok(sqlx::Row::try_get(row, i)?)
    }
    fn text(row: &AnyRow, i: usize) -> Result<String> {
        Ok(sqlx::Row::try_get(row, i)?)
    }
    fn width(row: &AnyRow) -> usize {
        sqlx::Row::len(row)
    }
}

/// A native PostgreSQL connection (see `native_postgres.rs`): rows in PostgreSQL's binary
/// form, read as they arrive, each statement prepared once per connection.
impl Reader for sqlx::PgConnection {
    type Row<'r> = sqlx::postgres::PgRow;
    async fn rows<T>(
        &mut self,
        sql: &str,
        binds: &[&Value],
        mut read: impl FnMut(&sqlx::postgres::PgRow) -> Result<T>,
    ) -> Result<Vec<T>> {
        use futures_util::TryStreamExt;
        let q = bind_values!(sqlx::query::<sqlx::Postgres>(sql), binds.iter().copied());
        let mut stream = q.fetch(&mut *self);
        let mut out = Vec::new();
        while let Some(row) = stream.try_next().await? {
            out.push(read(&row)?);
        }
        Ok(out)
    }
    fn int(row: &sqlx::postgres::PgRow, i: usize) -> Result<i64> {
        Ok(sqlx::Row::try_get(row, i)?)
    }
    fn text(row: &sqlx::postgres::PgRow, i: usize) -> Result<String> {
        Ok(sqlx::Row::try_get(row, i)?)
    }
    fn width(row: &sqlx::postgres::PgRow) -> usize {
        sqlx::Row::len(row)
    }
}

/// A native SQLite connection (see `native_sqlite.rs`), on the blocking thread that holds it:
/// values read from SQLite's own buffers, statements prepared once per connection. Its
/// futures never wait (run them with [`at_once`]).
pub(crate) struct Sqlite<'c>(pub &'c rusqlite::Connection);

impl Reader for Sqlite<'_> {
    type Row<'r> = rusqlite::Row<'r>;
    async fn rows<T>(
        &mut self,
        sql: &str,
        binds: &[&Value],
        mut read: impl FnMut(&rusqlite::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let values: Vec<rusqlite::types::Value> = binds
            .iter()
            .map(|v| match v {
                Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
                Value::Int(i) => rusqlite::types::Value::Integer(*i),
            })
            .collect();
        let mut stmt = self.0.prepare_cached(sql)?;
        crate::native_sqlite::bind_numbered(&mut stmt, &values)?;
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(read(row)?);
        }
        Ok(out)
    }
    fn int(row: &rusqlite::Row<'_>, i: usize) -> Result<i64> {
        Ok(row.get(i)?)
    }
    fn text(row: &rusqlite::Row<'_>, i: usize) -> Result<String> {
        Ok(row.get(i)?)
    }
    fn width(row: &rusqlite::Row<'_>) -> usize {
        row.as_ref().column_count()
    }
}

/// The value of a future that never waits (a [`Sqlite`] read, on its blocking thread).
pub(crate) fn at_once<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => unreachable!("a native SQLite read never waits"),
    }
}

/// Up to `limit` rows matching `f` in the list's order, from `start`, through the generic
/// pool. A start naming a row that does not exist gives the first page, marked
/// `start_unknown`.
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
    let read_row = |r: &AnyRow| Ok(<T as sqlx::FromRow<AnyRow>>::from_row(r)?);
    let (page, _) = read_page(
        &mut Generic(store.pool()),
        list,
        f,
        start,
        limit,
        None,
        read_row,
        key_of_row,
    )
    .await?;
    Ok(page)
}

/// The page algorithm, once for every kind of connection ([`Reader`]): up to `limit` rows
/// matching `f` in the list's order from `start` (a start naming a row that does not exist
/// gives the first page, marked `start_unknown`), whether rows lie before and after them,
/// and with a `cap`, how many rows match, counted up to it. `read_row` reads one row of
/// `list.select` (its columns in order); `key_of_row` gives a row's `(sort, tie)`.
///
/// The first page with its count is one statement. A page from a row already shown looks the
/// row up, reads the page, and looks beyond it: the caller holds one read transaction around
/// them when the answers must be of one moment.
#[allow(clippy::too_many_arguments)] // `page`'s arguments, with the count's cap and the row reader
pub(crate) async fn read_page<R: Reader, T>(
    conn: &mut R,
    list: &List<'_>,
    f: &Filter,
    start: &PageStart,
    limit: i64,
    cap: Option<i64>,
    mut read_row: impl FnMut(&R::Row<'_>) -> Result<T>,
    key_of_row: impl Fn(&T) -> [Value; 2],
) -> Result<(Page<T>, Option<Count>)> {
    let limit = limit.max(1);
    let limit_bind = Value::Int(limit + 1);
    let mut start = start;
    let mut start_unknown = false;
    loop {
        let (key, later) = match start {
            PageStart::First => (None, true),
            PageStart::After(r) | PageStart::Before(r) => {
                let reference = Value::Text(r.trim().to_string());
                let found = conn
                    .rows(list.key_of, &[&reference], |row| {
                        let tie = if list.tie_is_int {
                            Value::Int(R::int(row, 1)?)
                        } else {
                            Value::Text(R::text(row, 1)?)
                        };
                        if list.single() {
                            return Ok([tie.clone(), tie]);
                        }
                        Ok([Value::Text(R::text(row, 0)?), tie])
                    })
                    .await?;
                match found.into_iter().next() {
                    Some(k) => (Some(k), matches!(start, PageStart::After(_))),
                    None => {
                        start = &PageStart::First;
                        start_unknown = true;
                        continue;
                    }
                }
            }
        };
        let backwards = !later;
        let (sql, key_binds) = page_sql(list, f, key.as_ref(), later, cap);
        let binds: Vec<&Value> = f
            .binds
            .iter()
            .chain(key_binds)
            .chain([&limit_bind])
            .collect();
        let mut counted = None;
        let mut rows = conn
            .rows(&sql, &binds, |row| {
                if cap.is_some() {
                    counted = Some(R::int(row, R::width(row) - 1)?);
                }
                read_row(row)
            })
            .await?;
        let more = rows.len() as i64 > limit;
        if backwards && !more {
            // Back at the beginning: the first page, full, rather than the few rows before
            // the start.
            start = &PageStart::First;
            continue;
        }
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        // The one look beyond the page that its neighbours need: before it when reading
        // forwards (after it is `more`), after it when reading backwards; with nothing after
        // the start, whether anything lies before it.
        let look = match (&key, rows.first(), rows.last()) {
            (None, _, _) => None,
            (Some(k), None, _) | (Some(k), _, None) => Some((k.clone(), false)),
            (Some(_), Some(first), Some(last)) => Some(if later {
                (key_of_row(first), false)
            } else {
                (key_of_row(last), true)
            }),
        };
        let found_beyond = match &look {
            None => false,
            Some((k, later_than)) => {
                let sql = format!(
                    "SELECT 1 AS one FROM {} {} LIMIT 1",
                    list.from,
                    f.sql(Some(&beyond(list, f, *later_than)))
                );
                let binds: Vec<&Value> = f.binds.iter().chain(list.key_binds(k)).collect();
                !conn.rows(&sql, &binds, |_| Ok(())).await?.is_empty()
            }
        };
        let (has_previous, has_next) = match (&key, rows.is_empty()) {
            (None, _) => (false, more),
            (Some(_), true) => (found_beyond, false),
            (Some(_), false) if later => (found_beyond, more),
            (Some(_), false) => (more, found_beyond),
        };
        let count = match (cap, counted) {
            (None, _) => None,
            (Some(cap), Some(n)) => Some(capped(n, cap)),
            // The first page, empty: nothing matches.
            (Some(cap), None) if key.is_none() => Some(capped(0, cap)),
            (Some(cap), None) => {
                let binds: Vec<&Value> = f.binds.iter().collect();
                let n = conn
                    .rows(&count_sql(list, f, cap), &binds, |row| R::int(row, 0))
                    .await?;
                Some(capped(n.into_iter().next().unwrap_or(0), cap))
            }
        };
        let page = Page {
            rows,
            has_previous,
            has_next,
            start_unknown,
        };
        return Ok((page, count));
    }
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
