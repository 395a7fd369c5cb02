//! Coverage's four reads on native connections (rusqlite on SQLite, `PgConnection`s on
//! PostgreSQL; see `native_sqlite.rs` and `native_postgres.rs`): each row's columns are read
//! in the database's own form straight into the facts, with no text packed by the database,
//! sent whole, and split again, and no generic row. Only the columns the facts need are read;
//! completions and bookings are summed up as the generic path does (per person and kind, the
//! earliest), so both paths give the same facts (a test compares them on both databases).

use super::{as_day, day, module_ids, prefilter, Loaded, Requirement};
use crate::{Backend, Result, Store, StoreError};
use mashboard_domain::coverage::{Assignment, Booking, CompletionFact, CountsAs, Person};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use time::Date;

/// Which of the four reads a query is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum What {
    People,
    Completions,
    Bookings,
    Assignments,
}

impl What {
    pub(super) fn name(self) -> &'static str {
        match self {
            What::People => "people",
            What::Completions => "completions",
            What::Bookings => "bookings",
            What::Assignments => "role assignments",
        }
    }
}

/// One read: the query (plain columns) and its parameters, all texts.
#[derive(Debug, Clone)]
pub(super) struct Read {
    pub(super) what: What,
    pub(super) sql: String,
    pub(super) binds: Vec<String>,
}

/// The four reads, in the order people, completions, bookings, role assignments.
pub(super) fn reads(backend: Backend, requirement: &Requirement, as_of: Date) -> [Read; 4] {
    let as_of_text = as_of.to_string();
    let next_day = as_of
        .next_day()
        .map(|d| d.to_string())
        .unwrap_or_else(|| "9999-12-31".into());
    let mut people_binds = vec![as_of_text.clone()];
    let rule_sql = prefilter(backend, &requirement.rule, &mut people_binds)
        .map(|s| format!(" AND {s}"))
        .unwrap_or_default();
    let on = as_day(backend, "$1");
    let people = format!(
        "SELECT p.id, p.staff_number, p.name, p.rank, p.department, p.team, p.cohort,
                p.start_date, p.left_on, p.active
         FROM people p
         WHERE (p.start_date IS NULL OR p.start_date <= {on})
           AND (p.left_on IS NULL OR p.left_on > {on})
           AND (p.active = 1 OR p.left_on IS NOT NULL){rule_sql}"
    );
    let ids = module_ids(requirement);
    let ids = if ids.is_empty() { "NULL".into() } else { ids };
    // Each completion's day in the column of its kind: made by a session, imported, other.
    // The rows come as they are, from the `completions_coverage` index alone, and `Gather`
    // keeps each person's earliest of each kind (summing them up in the database, as the
    // generic path does to send less text, costs more than the rows once nothing is packed).
    let completions = format!(
        "SELECT c.module_id, c.person_id,
                CASE WHEN c.session_id IS NOT NULL THEN c.completed_on END,
                CASE WHEN c.session_id IS NULL AND c.source = 'imported' THEN c.completed_on END,
                CASE WHEN c.session_id IS NULL AND c.source <> 'imported' THEN c.completed_on END
         FROM completions c
         WHERE c.module_id IN ({ids}) AND c.completed_on <= {on}"
    );
    let bookings = format!(
        "SELECT e.person_id, s.module_id, MIN(s.starts_at || ' ' || CAST(s.id AS TEXT))
         FROM training_sessions s CROSS JOIN session_enrolments e
         WHERE e.session_id = s.id AND s.module_id IN ({ids})
           AND e.status = 'enrolled' AND s.status <> 'cancelled'
           AND (s.starts_at >= $1 OR s.status <> 'delivered')
           AND e.created_at < $1
         GROUP BY e.person_id, s.module_id"
    );
    let assignments = "SELECT a.person_id, r.code, a.started_on, a.ended_on
         FROM assignments a JOIN role_profiles r ON r.id = a.profile_id
         WHERE a.started_on <= $1 AND (a.ended_on IS NULL OR a.ended_on > $1)"
        .to_string();
    [
        Read {
            what: What::People,
            sql: people,
            binds: people_binds,
        },
        Read {
            what: What::Completions,
            sql: completions,
            binds: vec![as_of_text.clone()],
        },
        Read {
            what: What::Bookings,
            sql: bookings,
            binds: vec![next_day],
        },
        Read {
            what: What::Assignments,
            sql: assignments,
            binds: vec![as_of_text],
        },
    ]
}

/// Hashes an id with one multiplication (ids are the database's own integers, not chosen by
/// anyone who could aim at collisions; the default hasher costs more than the rest of a row).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_i64(&mut self, i: i64) {
        self.0 = (i as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(26);
    }
}

type ById<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;

/// The earlier of two days, either possibly absent.
fn earlier(a: Option<Date>, b: Option<Date>) -> Option<Date> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A text field as the generic path reads it: empty is absent.
fn present(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// Builds the facts from the rows as they come (the same summing up as `facts_from`).
pub(super) struct Gather {
    plain_module: Option<i64>,
    recording_module: Option<i64>,
    /// The requirement's modules (a handful: a look along them beats hashing).
    recording: Vec<i64>,
    known: Vec<i64>,
    people: Vec<Person>,
    /// Per person, in order of first appearance: the earliest plain completion by a session,
    /// imported, other; the earliest recording by a session, other.
    earliest: ById<[Option<Date>; 5]>,
    completion_order: Vec<i64>,
    /// Per person: the earliest plain and recording booking, as the session's start and id.
    soonest: ById<[Option<String>; 2]>,
    booking_order: Vec<i64>,
    assignments: Vec<Assignment>,
}

impl Gather {
    pub(super) fn new(requirement: &Requirement) -> Gather {
        let of_kind = |recording: bool| {
            requirement
                .modules
                .iter()
                .find(|m| (m.counts_as == CountsAs::Recording) == recording)
                .map(|m| m.module_id)
        };
        Gather {
            plain_module: of_kind(false),
            recording_module: of_kind(true),
            recording: requirement
                .modules
                .iter()
                .filter(|m| m.counts_as == CountsAs::Recording)
                .map(|m| m.module_id)
                .collect(),
            known: requirement.modules.iter().map(|m| m.module_id).collect(),
            people: Vec::new(),
            earliest: ById::default(),
            completion_order: Vec::new(),
            soonest: ById::default(),
            booking_order: Vec::new(),
            assignments: Vec::new(),
        }
    }

    /// A person's row: the texts in the order of the people read's columns (from staff number
    /// to left on), and whether they are active.
    fn person(&mut self, id: i64, f: [Option<&str>; 8], active: bool) {
        let f = f.map(present);
        self.people.push(Person {
            id,
            staff_number: f[0].unwrap_or_default().to_string(),
            name: f[1].unwrap_or_default().to_string(),
            rank: f[2].map(str::to_string),
            department: f[3].map(str::to_string),
            team: f[4].map(str::to_string),
            cohort: f[5].map(str::to_string),
            start_date: f[6].and_then(day),
            left_on: f[7].and_then(day),
            active,
        });
    }

    /// A completion row: its module, person, and its day in the column of its kind.
    fn completion(&mut self, module_id: i64, person_id: i64, kinds: [Option<&str>; 3]) {
        if !self.known.contains(&module_id) {
            return;
        }
        let [session, imported, other] = kinds.map(|k| present(k).and_then(day));
        let order = &mut self.completion_order;
        let slots = self.earliest.entry(person_id).or_insert_with(|| {
            order.push(person_id);
            [None; 5]
        });
        if self.recording.contains(&module_id) {
            slots[3] = earlier(slots[3], session);
            slots[4] = earlier(slots[4], earlier(imported, other));
        } else {
            slots[0] = earlier(slots[0], session);
            slots[1] = earlier(slots[1], imported);
            slots[2] = earlier(slots[2], other);
        }
    }

    /// A booking row: person, module, and the earliest session's start and id.
    fn booking(&mut self, person_id: i64, module_id: i64, key: Option<&str>) {
        if !self.known.contains(&module_id) {
            return;
        }
        let order = &mut self.booking_order;
        let slots = self.soonest.entry(person_id).or_insert_with(|| {
            order.push(person_id);
            [None, None]
        });
        let slot = &mut slots[usize::from(self.recording.contains(&module_id))];
        if let Some(key) = present(key) {
            if slot.as_deref().is_none_or(|s| key < s) {
                *slot = Some(key.to_string());
            }
        }
    }

    fn assignment(&mut self, person_id: i64, f: [Option<&str>; 3]) {
        let f = f.map(present);
        if let Some(started_on) = f[1].and_then(day) {
            self.assignments.push(Assignment {
                person_id,
                profile_code: f[0].unwrap_or_default().to_string(),
                started_on,
                ended_on: f[2].and_then(day),
            });
        }
    }

    pub(super) fn finish(mut self) -> Loaded {
        self.people.sort_by_key(|p| p.id);
        let mut completions = Vec::with_capacity(self.completion_order.len());
        for person_id in self.completion_order {
            let f = self.earliest[&person_id];
            let kinds = [
                (f[0], self.plain_module, true, false),
                (f[1], self.plain_module, false, true),
                (f[2], self.plain_module, false, false),
                (f[3], self.recording_module, true, false),
                (f[4], self.recording_module, false, false),
            ];
            for (on, module, session, imported) in kinds {
                if let (Some(completed_on), Some(module_id)) = (on, module) {
                    completions.push(CompletionFact {
                        person_id,
                        module_id,
                        completed_on,
                        // Only whether a session made it matters to the domain.
                        session_id: session.then_some(0),
                        imported,
                    });
                }
            }
        }
        let mut bookings = Vec::new();
        for person_id in self.booking_order {
            let f = &self.soonest[&person_id];
            for (key, module) in [(&f[0], self.plain_module), (&f[1], self.recording_module)] {
                let (Some(key), Some(module_id)) = (key, module) else {
                    continue;
                };
                let (starts_at, session_id) = key.split_once(' ').unwrap_or((key, "0"));
                if let Some(starts_on) = day(starts_at) {
                    bookings.push(Booking {
                        person_id,
                        module_id,
                        session_id: session_id.trim().parse().unwrap_or(0),
                        starts_on,
                        // The query kept only sessions still to come or not yet delivered.
                        delivered: false,
                    });
                }
            }
        }
        Loaded {
            people: Arc::new(self.people),
            assignments: self.assignments,
            completions,
            bookings,
        }
    }
}

// ---- SQLite ----

/// A column as text, whatever SQLite holds (the generic path cast each to text).
fn sqlite_text(v: rusqlite::types::ValueRef<'_>) -> Option<std::borrow::Cow<'_, str>> {
    use rusqlite::types::ValueRef;
    use std::borrow::Cow;
    match v {
        ValueRef::Null => None,
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(match std::str::from_utf8(b) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(b),
        }),
        ValueRef::Integer(i) => Some(Cow::Owned(i.to_string())),
        ValueRef::Real(f) => Some(Cow::Owned(f.to_string())),
    }
}

fn sqlite_id(v: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<i64> {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Integer(i) => Ok(i),
        other => sqlite_text(other)
            .and_then(|s| s.trim().parse().ok())
            .ok_or(rusqlite::Error::InvalidQuery),
    }
}

/// Runs one read on a native SQLite connection into `gather`; returns the rows read.
pub(super) fn sqlite_read(
    conn: &rusqlite::Connection,
    read: &Read,
    gather: &mut Gather,
) -> rusqlite::Result<usize> {
    use rusqlite::types::Value;
    let mut stmt = conn.prepare_cached(&read.sql)?;
    let binds: Vec<Value> = read.binds.iter().map(|b| Value::Text(b.clone())).collect();
    crate::native_sqlite::bind_numbered(&mut stmt, &binds)?;
    let mut rows = stmt.raw_query();
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        let text = |i: usize| r.get_ref(i).map(sqlite_text);
        match read.what {
            What::People => {
                let f = [
                    text(1)?,
                    text(2)?,
                    text(3)?,
                    text(4)?,
                    text(5)?,
                    text(6)?,
                    text(7)?,
                    text(8)?,
                ];
                // The generic path read `CAST(active AS TEXT)`: only "0" is inactive.
                let active = text(9)?.as_deref() != Some("0");
                gather.person(
                    sqlite_id(r.get_ref(0)?)?,
                    f.each_ref().map(|s| s.as_deref()),
                    active,
                );
            }
            What::Completions => {
                let f = [text(2)?, text(3)?, text(4)?];
                gather.completion(
                    sqlite_id(r.get_ref(0)?)?,
                    sqlite_id(r.get_ref(1)?)?,
                    f.each_ref().map(|s| s.as_deref()),
                );
            }
            What::Bookings => {
                gather.booking(
                    sqlite_id(r.get_ref(0)?)?,
                    sqlite_id(r.get_ref(1)?)?,
                    text(2)?.as_deref(),
                );
            }
            What::Assignments => {
                let f = [text(1)?, text(2)?, text(3)?];
                gather.assignment(
                    sqlite_id(r.get_ref(0)?)?,
                    f.each_ref().map(|s| s.as_deref()),
                );
            }
        }
    }
    Ok(n)
}

/// The four reads on native SQLite connections: the people on one, the rest on another, at
/// once (each in a read transaction of its own, as the generic path's four reads were).
pub(super) async fn load_sqlite(
    store: &Store,
    readers: &Arc<crate::native_sqlite::Readers>,
    requirement: &Requirement,
    as_of: Date,
) -> Result<Loaded> {
    let [people, completions, bookings, assignments] = reads(Backend::Sqlite, requirement, as_of);
    let (for_people, for_rest) = (requirement.clone(), requirement.clone());
    let (people, mut rest) = tokio::try_join!(
        readers.read(store.pool(), move |conn| {
            let mut gather = Gather::new(&for_people);
            sqlite_read(conn, &people, &mut gather)?;
            Ok(gather)
        }),
        readers.read(store.pool(), move |conn| {
            let mut gather = Gather::new(&for_rest);
            for read in [&completions, &bookings, &assignments] {
                sqlite_read(conn, read, &mut gather)?;
            }
            Ok(gather)
        }),
    )?;
    rest.people = people.people;
    Ok(rest.finish())
}

// ---- PostgreSQL ----

/// Runs one read on a native PostgreSQL connection as `COPY (…) TO STDOUT`, each row into
/// `gather` as it comes: the server sends each row as one line of text, with no row
/// description or value lengths to decode on this side, and this side splits it in place
/// (measured: a third less of this process's time than typed rows). `COPY` takes no
/// parameters, so their values are written into the statement as escaped literals.
/// Returns the rows read.
pub(super) async fn postgres_copy(
    readers: &crate::native_postgres::Readers,
    read: &Read,
    gather: &mut Gather,
) -> Result<usize> {
    use futures_util::TryStreamExt;
    let sql = format!(
        "COPY ({}) TO STDOUT",
        with_literals(&read.sql, &read.binds)?
    );
    let mut conn = readers.acquire().await?;
    let mut lines = conn.copy_out_raw(&sql).await?;
    let mut n = 0;
    while let Some(data) = lines.try_next().await? {
        // A message holds whole lines (one, as PostgreSQL sends them).
        for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            copy_row(read.what, line, gather)?;
            n += 1;
        }
    }
    drop(lines);
    // Only after the whole copy was read: otherwise the connection is closed.
    conn.release();
    Ok(n)
}

/// `sql` with each `$n` replaced by the n-th value as an escaped string literal (`E'…'`, in
/// which a backslash and a quote are escaped whatever the server's settings), in one pass so
/// that a value holding `$2` is never read as a parameter.
fn with_literals(sql: &str, binds: &[String]) -> Result<String> {
    let mut out =
        String::with_capacity(sql.len() + binds.iter().map(|b| b.len() + 4).sum::<usize>());
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len() - at - 1);
        let n: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
        let value = n.checked_sub(1).and_then(|i| binds.get(i)).ok_or_else(|| {
            StoreError::Invalid(format!("a coverage read names ${n}, which has no value"))
        })?;
        if value.contains('\0') {
            return Err(StoreError::Invalid(
                "a coverage rule's value holds a NUL character".into(),
            ));
        }
        out.push_str("E'");
        out.push_str(&value.replace('\\', "\\\\").replace('\'', "''"));
        out.push('\'');
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One field of a line of `COPY`'s text format: `\N` is NULL; backslash escapes undone.
fn copy_field(f: &[u8]) -> Result<Option<std::borrow::Cow<'_, str>>> {
    use std::borrow::Cow;
    if f == b"\\N" {
        return Ok(None);
    }
    let text = |b: Vec<u8>| {
        String::from_utf8(b)
            .map_err(|_| StoreError::Invalid("a coverage record is not UTF-8".into()))
    };
    if !f.contains(&b'\\') {
        return std::str::from_utf8(f)
            .map(|s| Some(Cow::Borrowed(s)))
            .map_err(|_| StoreError::Invalid("a coverage record is not UTF-8".into()));
    }
    let mut out = Vec::with_capacity(f.len());
    let mut i = 0;
    while i < f.len() {
        if f[i] != b'\\' || i + 1 == f.len() {
            out.push(f[i]);
            i += 1;
            continue;
        }
        let c = f[i + 1];
        i += 2;
        match c {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                // Up to three octal digits.
                let mut v = u32::from(c - b'0');
                let mut k = 0;
                while k < 2 && i < f.len() && (b'0'..=b'7').contains(&f[i]) {
                    v = v * 8 + u32::from(f[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            b'x' => {
                // Up to two hex digits.
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < f.len() && f[i].is_ascii_hexdigit() {
                    v = v * 16 + (f[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    text(out).map(|s| Some(Cow::Owned(s)))
}

/// Puts one line of a read's `COPY` text into `gather`.
fn copy_row(what: What, line: &[u8], gather: &mut Gather) -> Result<()> {
    let mut fields: [Option<std::borrow::Cow<'_, str>>; 10] = Default::default();
    let mut count = 0;
    for (slot, f) in fields.iter_mut().zip(line.split(|b| *b == b'\t')) {
        *slot = copy_field(f)?;
        count += 1;
    }
    let want = match what {
        What::People => 10,
        What::Completions => 5,
        What::Bookings => 3,
        What::Assignments => 4,
    };
    if count != want {
        return Err(StoreError::Invalid(format!(
            "a {} record could not be read for coverage",
            what.name()
        )));
    }
    let text = |i: usize| fields[i].as_deref();
    let id = |i: usize| -> Result<i64> {
        text(i)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| StoreError::Invalid("a record without an id reached coverage".into()))
    };
    match what {
        What::People => {
            let f = [
                text(1),
                text(2),
                text(3),
                text(4),
                text(5),
                text(6),
                text(7),
                text(8),
            ];
            gather.person(id(0)?, f, id(9)? != 0);
        }
        What::Completions => gather.completion(id(0)?, id(1)?, [text(2), text(3), text(4)]),
        What::Bookings => gather.booking(id(0)?, id(1)?, text(2)),
        What::Assignments => gather.assignment(id(0)?, [text(1), text(2), text(3)]),
    }
    Ok(())
}

/// The reads at once on the native PostgreSQL connections, on three of them: the people, the
/// completions, and the bookings then the role assignments.
pub(super) async fn load_postgres(
    readers: &crate::native_postgres::Readers,
    requirement: &Requirement,
    as_of: Date,
) -> Result<Loaded> {
    // Once more when a connection was lost (see `native_postgres.rs`).
    readers
        .read(|pool| async move {
            let [people, completions, bookings, assignments] =
                reads(Backend::Postgres, requirement, as_of);
            let mut for_people = Gather::new(requirement);
            let mut gather = Gather::new(requirement);
            let mut for_bookings = Gather::new(requirement);
            tokio::try_join!(
                postgres_copy(pool, &people, &mut for_people),
                postgres_copy(pool, &completions, &mut gather),
                async {
                    postgres_copy(pool, &bookings, &mut for_bookings).await?;
                    postgres_copy(pool, &assignments, &mut for_bookings).await
                },
            )?;
            gather.people = for_people.people;
            gather.soonest = for_bookings.soonest;
            gather.booking_order = for_bookings.booking_order;
            gather.assignments = for_bookings.assignments;
            Ok(gather.finish())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_become_escaped_literals_in_one_pass() {
        let sql = "a = $1 AND b IN ($2, $10) AND c = $1";
        let binds: Vec<String> = (1..=10)
            .map(|i| match i {
                1 => "O'Neil \\ $2".to_string(),
                2 => "x".to_string(),
                _ => format!("v{i}"),
            })
            .collect();
        assert_eq!(
            with_literals(sql, &binds).unwrap(),
            "a = E'O''Neil \\\\ $2' AND b IN (E'x', E'v10') AND c = E'O''Neil \\\\ $2'"
        );
        assert!(
            with_literals("a = $3", &binds[..2]).is_err(),
            "a missing value"
        );
        assert!(with_literals("a = $1", &["nul\0".to_string()]).is_err());
    }

    #[test]
    fn copy_text_fields_are_unescaped() {
        assert_eq!(copy_field(b"\\N").unwrap(), None);
        assert_eq!(copy_field(b"").unwrap().as_deref(), Some(""));
        assert_eq!(copy_field(b"plain").unwrap().as_deref(), Some("plain"));
        assert_eq!(
            copy_field(b"a\\tb\\nc\\\\d\\re\\101\\x42")
                .unwrap()
                .as_deref(),
            Some("a\tb\nc\\d\reAB")
        );
        assert!(copy_field(&[0xff, 0xfe]).is_err(), "not UTF-8");
    }
}
