//! On PostgreSQL, what a large re-import of incidents or referrals compares each row of the file
//! with on this side, so that the rows the register already holds exactly so are never sent to
//! the server at all (the register import, `register.rs`: `Writer::stored_rows`).
//!
//! The register's rows come once, by one `COPY (SELECT reference, compared values…) TO STDOUT`,
//! each row one line of `COPY`'s text format. What is kept of each is its reference, exactly
//! (all of them one after another in one buffer), and a 128-bit digest of the rest of its line
//! (two SipHash-1-3 hashes with keys drawn at random for the process, so a digest cannot be
//! aimed at). A row of the file is formatted into the same line on this side
//! (`register::compared_line`) and counts as unchanged only when its reference is held, byte for
//! byte, with the same digest. Anything else is sent on as before (staged, joined against the
//! register, upserted, each step comparing the values themselves), so a value formatted here
//! otherwise than the server formats it costs time, never a change: a change is lost only if
//! two different lines had the same 128-bit digest.
//!
//! A million incidents take about 47 MB here: the references (about 11 MB), 24 bytes per row
//! (where its reference is, and its digest) and a hash table of 4-byte row numbers.

use hashbrown::HashTable;
use std::hash::{BuildHasher, RandomState};

/// The register's rows as compared, by reference.
pub(crate) struct StoredRows {
    /// Every reference held, in `COPY`'s text format, one after another.
    refs: Vec<u8>,
    rows: Vec<Stored>,
    /// Row numbers (into `rows`), found by their reference's hash.
    index: HashTable<u32>,
    by_ref: RandomState,
    digest: [RandomState; 2],
}

/// One row held: where its reference is in `refs`, and its digest.
#[derive(Clone, Copy)]
struct Stored {
    start: u32,
    /// The reference's length; the top bit marks a reference met twice (see [`AMBIGUOUS`]).
    len: u32,
    digest: [u64; 2],
}

impl Stored {
    /// Where its reference is in [`StoredRows::refs`].
    fn span(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + (self.len & !AMBIGUOUS)) as usize
    }
}

/// Set in [`Stored::len`] for a reference that came twice (the register's unique constraint
/// forbids it): such a row is never taken for unchanged.
const AMBIGUOUS: u32 = 1 << 31;

impl StoredRows {
    /// Room for about `rows` rows.
    pub(crate) fn with_capacity(rows: usize) -> StoredRows {
        StoredRows {
            refs: Vec::with_capacity(rows.saturating_mul(12)),
            rows: Vec::with_capacity(rows),
            index: HashTable::with_capacity(rows),
            by_ref: RandomState::new(),
            digest: [RandomState::new(), RandomState::new()],
        }
    }

    /// How many rows are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn digest_of(&self, values: &[u8]) -> [u64; 2] {
        [
            self.digest[0].hash_one(values),
            self.digest[1].hash_one(values),
        ]
    }

    /// Adds one line of `COPY`'s text output (its line feed left off): the reference, a tab,
    /// then the compared values. Returns false when it cannot be held (its buffer would pass
    /// 2 GiB): the caller then stops comparing here.
    pub(crate) fn add_line(&mut self, line: &[u8]) -> bool {
        let Some(tab) = line.iter().position(|&b| b == b'\t') else {
            // Never so (the statement names more than one column); nothing held, nothing lost.
            return true;
        };
        let (reference, values) = (&line[..tab], &line[tab + 1..]);
        let (Ok(start), Ok(len)) = (
            u32::try_from(self.refs.len()),
            u32::try_from(reference.len()),
        ) else {
            return false;
        };
        if start.checked_add(len).is_none_or(|end| end >= AMBIGUOUS)
            || self.rows.len() >= u32::MAX as usize
        {
            return false;
        }
        let digest = self.digest_of(values);
        let hash = self.by_ref.hash_one(reference);
        let StoredRows {
            refs,
            rows,
            index,
            by_ref,
            ..
        } = self;
        if let Some(&i) = index.find(hash, |&i| &refs[rows[i as usize].span()] == reference) {
            rows[i as usize].len |= AMBIGUOUS;
            return true;
        }
        let row = rows.len() as u32;
        refs.extend_from_slice(reference);
        rows.push(Stored { start, len, digest });
        let (refs, rows) = (&*refs, &*rows);
        index.insert_unique(hash, row, |&i| {
            by_ref.hash_one(&refs[rows[i as usize].span()])
        });
        true
    }

    /// True when `line` (formatted as [`StoredRows::add_line`] takes it) is a row held exactly
    /// so: the same reference, byte for byte, and the same digest of the rest.
    pub(crate) fn unchanged(&self, line: &[u8]) -> bool {
        let Some(tab) = line.iter().position(|&b| b == b'\t') else {
            return false;
        };
        let (reference, values) = (&line[..tab], &line[tab + 1..]);
        let hash = self.by_ref.hash_one(reference);
        let found = self.index.find(hash, |&i| {
            let r = self.rows[i as usize];
            r.len & AMBIGUOUS == 0 && &self.refs[r.span()] == reference
        });
        match found {
            Some(&i) => self.rows[i as usize].digest == self.digest_of(values),
            None => false,
        }
    }
}

/// Appends `s` as `COPY`'s text output writes a value (PostgreSQL's `CopyAttributeOutText`
/// with a tab between columns): backslash, and the control characters backspace, form feed,
/// line feed, carriage return, tab and vertical tab, as backslash escapes; everything else as
/// it is.
pub(crate) fn copy_out_text(out: &mut Vec<u8>, s: &str) {
    let escaped = |b: u8| b == b'\\' || matches!(b, 0x08..=0x0d);
    if !s.bytes().any(escaped) {
        // Nearly every value: copied whole (byte by byte it was a tenth of comparing a row).
        out.extend_from_slice(s.as_bytes());
        return;
    }
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x0b => out.extend_from_slice(b"\\v"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(reference: &str, values: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        copy_out_text(&mut out, reference);
        for v in values {
            out.push(b'\t');
            copy_out_text(&mut out, v);
        }
        out
    }

    #[test]
    fn only_the_same_reference_with_the_same_values_is_unchanged() {
        let mut stored = StoredRows::with_capacity(2);
        assert!(stored.add_line(&line("A-1", &["x", "1"])));
        assert!(stored.add_line(&line("A-2", &["x\ty", "0"])));
        assert_eq!(stored.len(), 2);
        assert!(stored.unchanged(&line("A-1", &["x", "1"])));
        assert!(stored.unchanged(&line("A-2", &["x\ty", "0"])));
        // A value changed, characters moved from one value to the next, an unknown reference,
        // a reference that is a prefix of one held.
        assert!(!stored.unchanged(&line("A-1", &["x", "2"])));
        assert!(!stored.unchanged(&line("A-2", &["x", "y\t0"])));
        assert!(!stored.unchanged(&line("A-3", &["x", "1"])));
        assert!(!stored.unchanged(&line("A-", &["x", "1"])));
    }

    #[test]
    fn a_reference_met_twice_is_never_unchanged() {
        let mut stored = StoredRows::with_capacity(2);
        stored.add_line(&line("A-1", &["x"]));
        stored.add_line(&line("A-1", &["x"]));
        assert!(!stored.unchanged(&line("A-1", &["x"])));
    }

    #[test]
    fn many_rows_are_each_found() {
        let mut stored = StoredRows::with_capacity(10);
        for i in 0..50_000 {
            stored.add_line(&line(&format!("R-{i}"), &[&i.to_string()]));
        }
        for i in 0..50_000 {
            assert!(stored.unchanged(&line(&format!("R-{i}"), &[&i.to_string()])));
            assert!(!stored.unchanged(&line(&format!("R-{i}"), &[&(i + 1).to_string()])));
        }
    }
}
