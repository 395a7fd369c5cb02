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
}

fn collate(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => column.to_string(),
        Backend::Postgres => format!("{column} COLLATE \"C\""),
    }
}

/// The number of records in the frame between `from` (inclusive) and `before` (exclusive),
/// per stratum (one entry, `""`, without strata).
pub(crate) async fn count(
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
    let strata = count(conn, backend, spec, from, before).await?;
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
        let found = fetch_at(conn, backend, spec, from, before, s, &positions).await?;
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
