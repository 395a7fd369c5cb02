//! On PostgreSQL, what a large re-import of incidents or referrals compares each row of the file
//! with on this side, so that the rows the register already holds exactly so are never sent to
//! the server at all (the register import, `register.rs`: `Writer::stored_rows`).
//!
//! Each row of the register keeps a digest of its compared values (`compared_digest`,
//! migration 35: the first 16 bytes of SHA-256 of the values as `register::compared_line`
//! formats them), written by the import with the row, and set to NULL by a trigger whenever
//! anything else changes one of those values. The rows come once, by one
//! `COPY (SELECT reference, digest …) TO STDOUT`, each one line of `COPY`'s text format (and,
//! only when some had no digest, a second `COPY` of those rows' compared values, from which
//! their digest is made here, as the import makes a file row's): their
//! references are kept exactly (all of them one after another in one buffer), each with its
//! digest. A row of the file counts as unchanged only when its reference is held, byte for
//! byte, with the digest the import computes for it. Anything else (a row new or changed, or
//! one whose values the server writes otherwise than the import) is sent on as before (staged,
//! joined against the register, upserted, each step comparing the values themselves), so a
//! digest made otherwise costs time, never a change: a change is lost only if two different
//! rows had the same 128-bit prefix of SHA-256.
//!
//! Reading them costs little more than the server's scan: each line is only appended. A file
//! exported again is mostly in the order the register was loaded in, which is the order the
//! scan returns it, so each row of the file is first looked for just after the last one found:
//! one comparison, no hashing. Only at the first row not found so is a hash table of every
//! reference built (once), and used from then on whenever the next row in order is not the
//! one. A million incidents take about 35 MB here: the references (about 11 MB) and 24 bytes
//! per row (where its reference is, and its digest), and once built the hash table of 4-byte
//! row numbers.

use hashbrown::HashTable;
use std::hash::{BuildHasher, RandomState};

/// The register's rows with a digest, by reference.
pub(crate) struct StoredRows {
    /// Every reference held, in `COPY`'s text format, one after another.
    refs: Vec<u8>,
    rows: Vec<Stored>,
    /// Row numbers (into `rows`), found by their reference's hash (keys drawn at random for
    /// the process: references come from files); built at the first row of the file not found
    /// in order ([`StoredRows::unchanged`]).
    index: Option<HashTable<u32>>,
    by_ref: RandomState,
    /// Where the next row of the file is looked for first: just after the last one found.
    next: usize,
    /// Room to put together the line of a row stored without a digest.
    scratch: Vec<u8>,
    /// Lines met with neither a digest nor values (`\N` alone).
    missing: usize,
}

/// One row held: where its reference is in `refs`, and its digest.
#[derive(Clone, Copy)]
struct Stored {
    start: u32,
    /// The reference's length; the top bit marks a reference met twice (see [`AMBIGUOUS`]).
    len: u32,
    digest: [u8; 16],
}

impl Stored {
    /// Where its reference is in [`StoredRows::refs`].
    fn span(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + (self.len & !AMBIGUOUS)) as usize
    }
}

/// Set in [`Stored::len`] for a reference found twice when the hash table is built (the
/// register's unique constraint forbids it, and one statement reads one snapshot): such a row
/// is never taken for unchanged.
const AMBIGUOUS: u32 = 1 << 31;

impl StoredRows {
    /// Room for about `rows` rows.
    pub(crate) fn with_capacity(rows: usize) -> StoredRows {
        StoredRows {
            refs: Vec::with_capacity(rows.saturating_mul(12)),
            rows: Vec::with_capacity(rows),
            index: None,
            by_ref: RandomState::new(),
            next: 0,
            scratch: Vec::new(),
            missing: 0,
        }
    }

    /// How many lines came with neither a digest nor the values to make one (`\N` alone):
    /// rows stored without a digest, whose values are then to be read.
    pub(crate) fn missing(&self) -> usize {
        self.missing
    }

    /// How many rows are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Adds one line of `COPY`'s text output (its line feed left off): the reference, a tab,
    /// the digest in hexadecimal (32 digits), then the compared values, which are NULL (`\N`)
    /// where the digest is given. Where the digest is NULL, the row's digest is made here from
    /// the reference and the values (`register::compared_digest`), the line the import writes
    /// for a row of the file. A line otherwise is not held (its row is then compared on the
    /// server). Returns false when it cannot be held (its buffer would pass 2 GiB): the caller
    /// then stops comparing here.
    pub(crate) fn add_line(&mut self, line: &[u8]) -> bool {
        let mut fields = line.splitn(3, |&b| b == b'\t');
        let (Some(reference), Some(digest)) = (fields.next(), fields.next()) else {
            return true;
        };
        let digest = match (from_hex(digest), digest, fields.next()) {
            (Some(digest), _, _) => digest,
            (None, b"\\N", None) => {
                self.missing += 1;
                return true;
            }
            (None, b"\\N", Some(values)) => {
                self.scratch.clear();
                self.scratch.extend_from_slice(reference);
                self.scratch.push(b'\t');
                self.scratch.extend_from_slice(values);
                crate::register::compared_digest(&self.scratch)
            }
            _ => return true,
        };
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
        self.refs.extend_from_slice(reference);
        self.rows.push(Stored { start, len, digest });
        true
    }

    /// Builds the hash table of every reference held ([`StoredRows::index`]), marking a
    /// reference held twice.
    fn build_index(&mut self) {
        let StoredRows {
            refs, rows, by_ref, ..
        } = self;
        let mut index: HashTable<u32> = HashTable::with_capacity(rows.len());
        for i in 0..rows.len() {
            let reference = &refs[rows[i].span()];
            let hash = by_ref.hash_one(reference);
            if let Some(&first) = index.find(hash, |&j| &refs[rows[j as usize].span()] == reference)
            {
                rows[first as usize].len |= AMBIGUOUS;
                rows[i].len |= AMBIGUOUS;
                continue;
            }
            let rows = &*rows;
            index.insert_unique(hash, i as u32, |&j| {
                by_ref.hash_one(&refs[rows[j as usize].span()])
            });
        }
        self.index = Some(index);
    }

    /// True when the row `reference` (in `COPY`'s text format, as [`StoredRows::add_line`]
    /// takes it) is held exactly so: the same reference, byte for byte, with this digest.
    pub(crate) fn unchanged(&mut self, reference: &[u8], digest: &[u8; 16]) -> bool {
        // The row just after the last one found, when the file is in the register's order.
        if let Some(&r) = self.rows.get(self.next) {
            if r.len & AMBIGUOUS == 0 && &self.refs[r.span()] == reference {
                self.next += 1;
                return &r.digest == digest;
            }
        }
        if self.index.is_none() {
            self.build_index();
        }
        let hash = self.by_ref.hash_one(reference);
        let (refs, rows) = (&self.refs, &self.rows);
        let found = self.index.as_ref().and_then(|index| {
            index
                .find(hash, |&i| {
                    let r = rows[i as usize];
                    r.len & AMBIGUOUS == 0 && &refs[r.span()] == reference
                })
                .copied()
        });
        match found {
            Some(i) => {
                self.next = i as usize + 1;
                &self.rows[i as usize].digest == digest
            }
            None => false,
        }
    }
}

/// 32 hexadecimal digits (either case) as 16 bytes; `None` for anything else.
fn from_hex(hex: &[u8]) -> Option<[u8; 16]> {
    fn digit(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0; 16];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// Appends `s` as `COPY`'s text output writes a value (PostgreSQL's `CopyAttributeOutText`
/// with a tab between columns): backslash, and the control characters backspace, form feed,
/// line feed, carriage return, tab and vertical tab, as backslash escapes; everything else as
/// it is.
pub(crate) fn copy_out_text(out: &mut Vec<u8>, s: &str) {
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

    fn line(reference: &str, digest: &[u8; 16]) -> Vec<u8> {
        let mut out = Vec::new();
        copy_out_text(&mut out, reference);
        out.push(b'\t');
        for b in digest {
            out.extend_from_slice(format!("{b:02x}").as_bytes());
        }
        out
    }

    fn escaped(reference: &str) -> Vec<u8> {
        let mut out = Vec::new();
        copy_out_text(&mut out, reference);
        out
    }

    #[test]
    fn only_the_same_reference_with_the_same_digest_is_unchanged() {
        let (a, b) = ([1; 16], [0xab; 16]);
        let mut stored = StoredRows::with_capacity(2);
        assert!(stored.add_line(&line("A-1", &a)));
        assert!(stored.add_line(&line("A\t2", &b)));
        assert_eq!(stored.len(), 2);
        assert!(stored.unchanged(&escaped("A-1"), &a));
        assert!(stored.unchanged(&escaped("A\t2"), &b));
        // Another digest, an unknown reference, a reference that is a prefix of one held.
        assert!(!stored.unchanged(&escaped("A-1"), &b));
        assert!(!stored.unchanged(&escaped("A-3"), &a));
        assert!(!stored.unchanged(&escaped("A-"), &a));
    }

    #[test]
    fn a_line_without_a_whole_digest_is_not_held() {
        let mut stored = StoredRows::with_capacity(4);
        assert!(stored.add_line(b"A-1\tab"));
        assert!(stored.add_line(b"A-2\t0102"));
        assert!(stored.add_line(b"A-3\t0g0102030405060708090a0b0c0d0e0f"));
        assert!(stored.add_line(b"A-4"));
        assert_eq!(stored.len(), 0);
        assert!(stored.add_line(b"A-5\t000102030405060708090A0B0C0D0E0F"));
        let digest: [u8; 16] = std::array::from_fn(|i| i as u8);
        assert!(stored.unchanged(b"A-5", &digest));
    }

    #[test]
    fn a_row_stored_without_a_digest_is_digested_from_its_values() {
        let mut stored = StoredRows::with_capacity(2);
        assert!(stored.add_line(b"A-1\t\\N\tx\\ty\t0"));
        assert!(stored.add_line(b"A-2\t\\N"));
        assert_eq!((stored.len(), stored.missing()), (1, 1));
        let digest = crate::register::compared_digest(b"A-1\tx\\ty\t0");
        assert!(stored.unchanged(b"A-1", &digest));
        let other = crate::register::compared_digest(b"A-1\tx\ty\t0");
        assert!(!stored.unchanged(b"A-1", &other));
    }

    #[test]
    fn a_reference_met_twice_is_never_unchanged_out_of_order() {
        let mut stored = StoredRows::with_capacity(3);
        stored.add_line(&line("A-0", &[7; 16]));
        stored.add_line(&line("A-1", &[7; 16]));
        stored.add_line(&line("A-1", &[8; 16]));
        assert!(!stored.unchanged(&escaped("A-1"), &[7; 16]));
        assert!(!stored.unchanged(&escaped("A-1"), &[8; 16]));
    }

    #[test]
    fn rows_are_found_in_order_out_of_order_and_after_a_jump() {
        let digest = |i: u32| {
            let mut d = [0; 16];
            d[..4].copy_from_slice(&i.to_le_bytes());
            d
        };
        let mut stored = StoredRows::with_capacity(10);
        for i in 0..10 {
            stored.add_line(&line(&format!("R-{i}"), &digest(i)));
        }
        // In order (no table built), a row changed on the way, then a jump back and on.
        for i in 0..4 {
            assert!(stored.unchanged(format!("R-{i}").as_bytes(), &digest(i)));
        }
        assert!(stored.index.is_none());
        assert!(!stored.unchanged(b"R-4", &digest(40)));
        assert!(stored.unchanged(b"R-5", &digest(5)));
        assert!(stored.unchanged(b"R-1", &digest(1)));
        assert!(stored.unchanged(b"R-2", &digest(2)));
        assert!(!stored.unchanged(b"R-99", &digest(99)));
        assert!(stored.unchanged(b"R-9", &digest(9)));
        assert!(!stored.unchanged(b"R-", &digest(9)));
    }

    #[test]
    fn many_rows_are_each_found() {
        let mut stored = StoredRows::with_capacity(10);
        let digest = |i: u32| {
            let mut d = [0; 16];
            d[..4].copy_from_slice(&i.to_le_bytes());
            d
        };
        for i in 0..50_000 {
            stored.add_line(&line(&format!("R-{i}"), &digest(i)));
        }
        // Out of order, each row asked twice.
        for i in (0..50_000).rev() {
            assert!(stored.unchanged(format!("R-{i}").as_bytes(), &digest(i)));
            assert!(!stored.unchanged(format!("R-{i}").as_bytes(), &digest(i + 1)));
        }
    }
}
