//! Sample draws by position (method 2, see `mashboard_domain::sampling`): count the frame (per
//! stratum), let the domain pick positions from the counts and the seed, then fetch only the
//! drawn rows. The frame is in (time, reference) order, which the covering indexes of migration
//! 18 hold, so a period is one range of an index: counting it and walking to each position read
//! the index alone, never the table, and never send the frame to mashboard.
//!
//! Positions are fetched in ascending order by keyset: each query starts after the row found
//! before and skips the gap with `OFFSET`, so the whole walk reads each index entry at most once.
//! Comparisons use byte order on both databases (`COLLATE "C"` on PostgreSQL, SQLite's own
//! `BINARY`), so that a change of the server's locale cannot change a draw.
//!
//! Where the frame has per-day counts (migration 23: incidents per day, referrals per day and
//! subject type, per day and partner, kept true by triggers) and the period's bounds are days,
//! the frame is counted from them, and each drawn position is found by walking the day counts
//! (`sampling::locate`) and skipping within that one day of the index: the same positions give
//! the same records as counting and walking the whole frame, so the method (2) is unchanged.
//! A record is in day `d` exactly when its time's first ten characters are `d`; for bounds of at
//! most ten characters, a time is in `[from, before)` exactly when its day is, in byte order.

use crate::{Backend, Result};
use mashboard_domain::sampling;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// Where a frame lives: the table (with any joins), its time and reference columns, its id, and
/// the expression of its stratum (`None` for a simple draw).
pub(crate) struct FrameSpec<'a> {
    pub from: &'a str,
    pub time: &'a str,
    pub key: &'a str,
    pub id: &'a str,
    pub stratum: Option<&'a str>,
    /// The frame's per-day counts, if it has them.
    pub counts: Option<DayCounts<'a>>,
}

/// A table of per-day counts of a frame: `(day, [stratum,] n)`.
#[derive(Clone, Copy)]
pub(crate) struct DayCounts<'a> {
    pub table: &'a str,
    /// The count table's column holding the frame's stratum (`None`: summed over the table's
    /// other column for a simple draw, or a table with none).
    pub stratum: Option<&'a str>,
}

/// Per stratum, the days of the frame in order with their (non-zero) counts.
type Days = BTreeMap<String, Vec<(String, usize)>>;

/// The bounds are days (or shorter), so the day counts answer for exactly the frame.
fn bounds_are_days(from: &str, before: &str) -> bool {
    from.chars().count() <= 10 && before.chars().count() <= 10
}

/// The frame's days per stratum, from its count table, when it has one and the bounds allow.
async fn days(
    conn: &mut AnyConnection,
    spec: &FrameSpec<'_>,
    from: &str,
    before: &str,
) -> Result<Option<Days>> {
    let Some(counts) = spec.counts else {
        return Ok(None);
    };
    if !bounds_are_days(from, before) {
        return Ok(None);
    }
    // Comparisons in byte order: the tables' days are `COLLATE "C"` on PostgreSQL.
    let sql = match counts.stratum {
        None => format!(
            "SELECT day, '', CAST(SUM(n) AS BIGINT) FROM {} WHERE day >= $1 AND day < $2 GROUP BY day",
            counts.table
        ),
        Some(s) => format!(
            "SELECT day, {s}, CAST(n AS BIGINT) FROM {} WHERE day >= $1 AND day < $2",
            counts.table
        ),
    };
    let rows: Vec<(String, String, i64)> = sqlx::query_as(&sql)
        .bind(from)
        .bind(before)
        .fetch_all(&mut *conn)
        .await?;
    let mut out: Days = BTreeMap::new();
    for (day, stratum, n) in rows {
        if n > 0 {
            out.entry(stratum).or_default().push((day, n as usize));
        }
    }
    for list in out.values_mut() {
        // Byte order, as the frame's index orders the times.
        list.sort_unstable();
    }
    Ok(Some(out))
}

fn sizes(days: &Days) -> BTreeMap<String, usize> {
    days.iter()
        .map(|(s, list)| (s.clone(), list.iter().map(|(_, n)| n).sum()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn collate(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => column.to_string(),
        Backend::Postgres => format!("{column} COLLATE \"C\""),
    }
}

/// The number of records in the frame between `from` (inclusive) and `before` (exclusive),
/// per stratum (one entry, `""`, without strata): from the day counts where it has them.
pub(crate) async fn count(
    conn: &mut AnyConnection,
    backend: Backend,
    spec: &FrameSpec<'_>,
    from: &str,
    before: &str,
) -> Result<BTreeMap<String, usize>> {
    match days(conn, spec, from, before).await? {
        Some(days) => Ok(sizes(&days)),
        None => count_scan(conn, backend, spec, from, before).await,
    }
}

/// [`count`] by reading the frame's index.
async fn count_scan(
    conn: &mut AnyConnection,
    backend: Backend,
    spec: &FrameSpec<'_>,
    from: &str,
    before: &str,
) -> Result<BTreeMap<String, usize>> {
    let time = collate(backend, spec.time);
    let sql = match spec.stratum {
        None => format!(
            "SELECT '', CAST(COUNT(*) AS BIGINT) FROM {} WHERE {time} >= $1 AND {time} < $2",
            spec.from
        ),
        Some(s) => format!(
            "SELECT {s}, CAST(COUNT(*) AS BIGINT) FROM {} WHERE {time} >= $1 AND {time} < $2 GROUP BY {s}",
            spec.from
        ),
    };
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql)
        .bind(from)
        .bind(before)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| (s, n as usize))
        .collect())
}

/// The (id, reference) at each of `positions` (0-based, within `stratum` when the spec has
/// strata), in the order given.
pub(crate) async fn fetch_at(
    conn: &mut AnyConnection,
    backend: Backend,
    spec: &FrameSpec<'_>,
    from: &str,
    before: &str,
    stratum: &str,
    positions: &[usize],
) -> Result<Vec<(i64, String)>> {
    let time = collate(backend, spec.time);
    let key = collate(backend, spec.key);
    // Without strata there is no stratum to bind, so the later parameters move up by one.
    let (stratum_filter, o) = match spec.stratum {
        Some(s) => (format!(" AND {s} = $3"), 4),
        None => (String::new(), 3),
    };
    let head = format!(
        "SELECT {}, {}, {} FROM {} WHERE {time} >= $1 AND {time} < $2{stratum_filter}",
        spec.id, spec.key, spec.time, spec.from
    );
    let first = format!("{head} ORDER BY {time}, {key} LIMIT 1 OFFSET ${o}");
    let next = format!(
        "{head} AND ({time}, {key}) > (${}, ${}) ORDER BY {time}, {key} LIMIT 1 OFFSET ${o}",
        o + 1,
        o + 2
    );
    let mut out: Vec<Option<(i64, String)>> = vec![None; positions.len()];
    let mut cursor: Option<(String, String, usize)> = None;
    for (position, place) in sampling::in_frame_order(positions) {
        let sql = if cursor.is_some() { &next } else { &first };
        let mut q = sqlx::query_as::<_, (i64, String, String)>(sql)
            .bind(from)
            .bind(before);
        if spec.stratum.is_some() {
            q = q.bind(stratum);
        }
        let row = match &cursor {
            None => q.bind(position as i64),
            Some((t, k, at)) => q.bind((position - at - 1) as i64).bind(t).bind(k),
        }
        .fetch_optional(&mut *conn)
        .await?;
        let Some((id, reference, at_time)) = row else {
            return Err(crate::StoreError::Invalid(
                "the frame changed while the sample was being drawn; draw again".into(),
            ));
        };
        cursor = Some((at_time, reference.clone(), position));
        out[place] = Some((id, reference));
    }
    Ok(out.into_iter().flatten().collect())
}

/// The (id, reference) at each of `positions` (0-based, within `stratum` when the spec has
/// strata), in the order given, found through the stratum's `days`: each position's day and
/// offset, then that day's record at the offset, a batch of records a query.
///
/// A day's records are the frame's records from the day's own key up to the next day of the
/// list (or the end of the period): any record between them would be of a day in between,
/// which has none. So a record is found from whichever end of its day is nearer, forward from
/// the day's first record or backward from its last: the same record, half the index entries
/// read on average (and on PostgreSQL each entry not yet marked all-visible costs a visit to
/// the table).
#[allow(clippy::too_many_arguments)]
async fn fetch_in_days(
    conn: &mut AnyConnection,
    backend: Backend,
    spec: &FrameSpec<'_>,
    before: &str,
    stratum: &str,
    days: &[(String, usize)],
    positions: &[usize],
) -> Result<Vec<(i64, String)>> {
    let changed = || {
        crate::StoreError::Invalid(
            "the frame changed while the sample was being drawn; draw again".into(),
        )
    };
    let counts: Vec<usize> = days.iter().map(|(_, n)| *n).collect();
    let located = sampling::locate(&counts, positions).ok_or_else(changed)?;
    // Each position as (place, day, the day's end, records to skip, backward).
    let walks: Vec<Walk<'_>> = located
        .iter()
        .enumerate()
        .map(|(place, &(day, offset))| {
            let (key, n) = &days[day];
            let end = days.get(day + 1).map_or(before, |(k, _)| k.as_str());
            let from_end = n - 1 - offset;
            Walk {
                place,
                day: key,
                end,
                skip: offset.min(from_end),
                backward: from_end < offset,
            }
        })
        .collect();
    let mut out: Vec<Option<(i64, String)>> = vec![None; positions.len()];
    let batch = match backend {
        Backend::Sqlite => SQLITE_BATCH,
        Backend::Postgres => POSTGRES_BATCH,
    };
    for chunk in walks.chunks(batch) {
        // Forward walks first, then backward ones, so each database reads its parameters in
        // order: the stratum ($1, when there is one), then each walk's day, end and skip.
        let mut ordered: Vec<&Walk<'_>> = chunk.iter().filter(|w| !w.backward).collect();
        ordered.extend(chunk.iter().filter(|w| w.backward));
        let sql = walk_sql(backend, spec, &ordered);
        let mut q = sqlx::query_as::<_, (i64, i64, String, String)>(&sql);
        if spec.stratum.is_some() {
            q = q.bind(stratum);
        }
        for w in &ordered {
            q = q.bind(w.day).bind(w.end).bind(w.skip as i64);
        }
        for (place, id, reference, at_time) in q.fetch_all(&mut *conn).await? {
            let place = usize::try_from(place).map_err(|_| changed())?;
            let Some(&(day, _)) = located.get(place) else {
                return Err(changed());
            };
            // The record must be of the day its position fell in, or the counts were not true.
            if !at_time.starts_with(days[day].0.as_str()) {
                return Err(changed());
            }
            out[place] = Some((id, reference));
        }
    }
    out.into_iter().map(|r| r.ok_or_else(changed)).collect()
}

/// How one drawn record is reached within its day.
struct Walk<'a> {
    /// Its place in the draw.
    place: usize,
    /// The day's key (its records' first ten characters) and the next day's (or the period's end).
    day: &'a str,
    end: &'a str,
    /// Records to skip from the start of the day (forward) or from its end (backward).
    skip: usize,
    backward: bool,
}

/// One query finding each of `walks` (forward walks before backward ones), its parameters the
/// stratum (if any) and then each walk's day, end and skip.
fn walk_sql(backend: Backend, spec: &FrameSpec<'_>, walks: &[&Walk<'_>]) -> String {
    let time = collate(backend, spec.time);
    let key = collate(backend, spec.key);
    let (stratum_filter, first) = match spec.stratum {
        Some(s) => (format!("{s} = $1 AND "), 2),
        None => (String::new(), 1),
    };
    let order = |backward: bool| {
        if backward {
            format!("{time} DESC, {key} DESC")
        } else {
            format!("{time}, {key}")
        }
    };
    let param = |b: usize| first + 3 * b;
    match backend {
        // One query per batch, one branch per record, each read from its own day.
        Backend::Sqlite => {
            let branches: Vec<String> = walks
                .iter()
                .enumerate()
                .map(|(b, w)| {
                    let d = param(b);
                    format!(
                        "SELECT CAST({place} AS BIGINT) AS place, q{b}.* FROM (SELECT {id}, {k}, {t} FROM {from}
                         WHERE {stratum_filter}{time} >= ${d} AND {time} < ${e}
                         ORDER BY {ord} LIMIT 1 OFFSET ${o}) AS q{b}",
                        place = w.place,
                        id = spec.id,
                        k = spec.key,
                        t = spec.time,
                        from = spec.from,
                        e = d + 1,
                        o = d + 2,
                        ord = order(w.backward),
                    )
                })
                .collect();
            branches.join(" UNION ALL ")
        }
        // The same as one lateral join per direction over the list of (place, day, end, skip):
        // planned once, where a union of hundreds of branches takes longer to plan than to run.
        Backend::Postgres => {
            let mut parts = Vec::new();
            for backward in [false, true] {
                let values: Vec<String> = walks
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| w.backward == backward)
                    .map(|(b, w)| {
                        let d = param(b);
                        format!(
                            "(CAST({} AS BIGINT), CAST(${d} AS TEXT), CAST(${} AS TEXT), CAST(${} AS BIGINT))",
                            w.place,
                            d + 1,
                            d + 2
                        )
                    })
                    .collect();
                if values.is_empty() {
                    continue;
                }
                parts.push(format!(
                    "SELECT v.place, q.* FROM (VALUES {}) AS v(place, day, day_end, skip)
                     CROSS JOIN LATERAL (SELECT {id}, {k}, {t} FROM {from}
                        WHERE {stratum_filter}{time} >= v.day AND {time} < v.day_end
                        ORDER BY {ord} LIMIT 1 OFFSET v.skip) AS q",
                    values.join(", "),
                    id = spec.id,
                    k = spec.key,
                    t = spec.time,
                    from = spec.from,
                    ord = order(backward),
                ));
            }
            parts.join(" UNION ALL ")
        }
    }
}

/// Records found by one query of [`fetch_in_days`], on each database.
const SQLITE_BATCH: usize = 100;
const POSTGRES_BATCH: usize = 500;

/// A sample by method 2: the frame's size, and the drawn (id, reference, stratum) in draw order.
pub(crate) async fn draw(
    conn: &mut AnyConnection,
    backend: Backend,
    spec: &FrameSpec<'_>,
    from: &str,
    before: &str,
    size: usize,
    seed: u64,
) -> Result<std::result::Result<Drawn, sampling::SampleError>> {
    draw_by(conn, backend, spec, from, before, size, seed, Path::Counts).await
}

/// How a draw finds its records: by the day counts where the frame has them, or by counting
/// and walking the frame's index (the way before migration 23; kept where there are no
/// counts, and to check that both give the same sample).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Path {
    Counts,
    Scan,
}

/// [`draw`] by the given path.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn draw_by(
    conn: &mut AnyConnection,
    backend: Backend,
    spec: &FrameSpec<'_>,
    from: &str,
    before: &str,
    size: usize,
    seed: u64,
    path: Path,
) -> Result<std::result::Result<Drawn, sampling::SampleError>> {
    let days = match path {
        Path::Counts => days(conn, spec, from, before).await?,
        Path::Scan => None,
    };
    let strata = match &days {
        Some(days) => sizes(days),
        None => count_scan(conn, backend, spec, from, before).await?,
    };
    let frame_size: usize = strata.values().sum();
    let picked: Vec<(String, usize)> = if spec.stratum.is_none() {
        match sampling::positions(frame_size, size, seed) {
            Ok(p) => p.into_iter().map(|p| (String::new(), p)).collect(),
            Err(e) => return Ok(Err(e)),
        }
    } else {
        match sampling::stratified_positions(&strata, size, seed) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        }
    };
    let mut by_stratum: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (place, (s, p)) in picked.iter().enumerate() {
        by_stratum.entry(s).or_default().push((place, *p));
    }
    let mut rows: Vec<Option<(i64, String)>> = vec![None; picked.len()];
    for (s, members) in by_stratum {
        let positions: Vec<usize> = members.iter().map(|(_, p)| *p).collect();
        let found = match days.as_ref() {
            Some(days) => {
                let list = days.get(s).map(Vec::as_slice).unwrap_or(&[]);
                fetch_in_days(conn, backend, spec, before, s, list, &positions).await?
            }
            None => fetch_at(conn, backend, spec, from, before, s, &positions).await?,
        };
        for ((place, _), row) in members.into_iter().zip(found) {
            rows[place] = Some(row);
        }
    }
    Ok(Ok(Drawn {
        frame_size,
        rows: rows
            .into_iter()
            .zip(picked)
            .filter_map(|(r, (s, _))| r.map(|(id, key)| (id, key, s)))
            .collect(),
    }))
}

/// What a draw by position found.
pub(crate) struct Drawn {
    pub frame_size: usize,
    /// (id, reference, stratum) in draw order.
    pub rows: Vec<(i64, String, String)>,
}

/// A recorded draw's seed (stored as text) and method (stored as its number), read back to draw
/// it again.
pub(crate) fn recorded_draw(seed: &str, method: i64) -> Result<(u64, sampling::Method)> {
    let seed = seed
        .parse()
        .map_err(|_| crate::StoreError::Invalid(format!("stored seed {seed}")))?;
    let method = sampling::Method::from_number(method)
        .ok_or_else(|| crate::StoreError::Invalid(format!("unknown draw method {method}")))?;
    Ok((seed, method))
}

/// Sample rows written by one statement.
const SAMPLE_ROWS_PER_INSERT: usize = 200;

/// A statement on either database, as `write_sample` builds it.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Writes a draw's sample (an audit's or a review's), `rows[i]` at position `i + 1`, in a few
/// multi-row statements rather than one round trip per record. `insert` is the statement up to
/// `VALUES`, naming `draw_id`, `position` and then `columns` more columns, which `bind` binds
/// for one row.
pub(crate) async fn write_sample<T>(
    conn: &mut AnyConnection,
    insert: &str,
    draw_id: i64,
    rows: &[T],
    columns: usize,
    bind: impl for<'q> Fn(AnyQuery<'q>, &'q T) -> AnyQuery<'q>,
) -> Result<()> {
    let per_row = columns + 1;
    for (c, chunk) in rows.chunks(SAMPLE_ROWS_PER_INSERT).enumerate() {
        let values: Vec<String> = (0..chunk.len())
            .map(|j| {
                let places: Vec<String> = (0..per_row)
                    .map(|k| format!("${}", per_row * j + k + 2))
                    .collect();
                format!("($1, {})", places.join(", "))
            })
            .collect();
        let sql = format!("{insert} {}", values.join(", "));
        let mut q = sqlx::query(&sql).bind(draw_id);
        for (j, row) in chunk.iter().enumerate() {
            let position = c * SAMPLE_ROWS_PER_INSERT + j + 1;
            q = bind(q.bind(position as i64), row);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
