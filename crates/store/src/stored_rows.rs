//! On PostgreSQL, what a large re-import of incidents or referrals compares each row of the file
//! with on this side, so that the rows the register already holds exactly so are never sent to
//! the server at all (the register import, `register.rs`: `Writer::stored_rows`).
//!
//! Each stored row carries a digest of its compared values, computed by the server on every
//! write (`compared_digest`, a generated column: migration 35), so no way of writing a row can
//! leave it stale. The register's rows come once, by one binary
//! `COPY (SELECT reference, compared_digest …) TO STDOUT`: what is kept of each is its
//! reference, exactly (all of them one after another in one buffer), and its 16-byte digest. A
//! row of the file gets its digest on this side from the same text
//! (`register::compared_digest`) and counts as unchanged only when its reference is held, byte
//! for byte, with the same digest. Anything else is sent on as before (staged, joined against
//! the register, upserted, each step comparing the values themselves), so a value written here
//! otherwise than the server writes it costs time, never a change: a change is lost only if two
//! different texts had the same first 128 bits of SHA-256.
//!
//! A file exported again is mostly in the order the register was loaded in (the order a
//! sequential scan returns it), so each row is first looked for just after the last one found:
//! one comparison with memory read in order, no hashing. Only at the first row not found so is
//! a hash table of every reference built (once), and used from then on when the next row in
//! order is not the one. A million incidents take about 35 MB here: the references (about
//! 11 MB), 24 bytes per row (where its reference is, and its digest), and once built the hash
//! table of 4-byte row numbers.

use hashbrown::HashTable;
use std::hash::{BuildHasher, RandomState};

/// The first 16 bytes of the SHA-256 of a row's compared values (`register::compared_digest`).
pub(crate) type Digest = [u8; 16];

/// The register's rows as compared, by reference.
pub(crate) struct StoredRows {
    /// Every reference held, one after another.
    refs: Vec<u8>,
    rows: Vec<Stored>,
    /// Row numbers (into `rows`), found by their reference's hash: built at the first row not
    /// found in order ([`StoredRows::unchanged`]).
    index: Option<HashTable<u32>>,
    by_ref: RandomState,
    /// Where the next row of the file is looked for first: just after the last one found.
    next: usize,
}

/// One row held: where its reference is in `refs`, and its digest.
#[derive(Clone, Copy)]
struct Stored {
    start: u32,
    /// The reference's length; the top bit marks a reference met twice (see [`AMBIGUOUS`]).
    len: u32,
    digest: Digest,
}

impl Stored {
    /// Where its reference is in [`StoredRows::refs`].
    fn span(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + (self.len & !AMBIGUOUS)) as usize
    }
}

/// Set in [`Stored::len`] for a reference found twice when the hash table is built (the
/// register's unique constraint forbids it, and one statement reads one snapshot): such a row
/// is never taken for unchanged through the table.
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
        }
    }

    /// How many rows are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Adds one stored row. Returns false when it cannot be held (its buffer would pass 2 GiB):
    /// the caller then stops comparing here.
    pub(crate) fn add(&mut self, reference: &[u8], digest: Digest) -> bool {
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

    /// Builds the hash table of every reference held ([`StoredRows::index`]).
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
                continue;
            }
            let rows = &*rows;
            index.insert_unique(hash, i as u32, |&j| {
                by_ref.hash_one(&refs[rows[j as usize].span()])
            });
        }
        self.index = Some(index);
    }

    /// True when the file's row with this reference and digest of its compared values is a
    /// row held exactly so: the same reference, byte for byte, and the same digest.
    pub(crate) fn unchanged(&mut self, reference: &[u8], digest: &Digest) -> bool {
        // The row just after the last one found, when the file is in the register's order.
        if let Some(r) = self.rows.get(self.next) {
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

/// Reads the rows of a binary `COPY … TO STDOUT (FORMAT binary)` of two columns, the reference
/// (text) and its digest (16 bytes), into [`StoredRows`], as its messages come. A row split
/// across messages is put together first.
pub(crate) struct BinaryRows {
    /// What is left of the last message(s): the start of a row, or of the header.
    partial: Vec<u8>,
    header_read: bool,
    done: bool,
}

/// What starts a binary `COPY`: its signature, then 32-bit flags and a header extension's length.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Why a binary `COPY`'s rows could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Not what was asked for: another signature, another number of columns, or a digest not
    /// of 16 bytes.
    Unexpected,
    /// Too many rows to hold ([`StoredRows::add`]).
    TooMany,
}

impl BinaryRows {
    pub(crate) fn new() -> BinaryRows {
        BinaryRows {
            partial: Vec::new(),
            header_read: false,
            done: false,
        }
    }

    /// Takes one message's bytes.
    pub(crate) fn take(&mut self, data: &[u8], stored: &mut StoredRows) -> Result<(), Unreadable> {
        if self.partial.is_empty() {
            let used = self.read(data, stored)?;
            self.partial.extend_from_slice(&data[used..]);
        } else {
            let mut joined = std::mem::take(&mut self.partial);
            joined.extend_from_slice(data);
            let used = self.read(&joined, stored)?;
            joined.drain(..used);
            self.partial = joined;
        }
        Ok(())
    }

    /// True when the trailer came, with nothing after it.
    pub(crate) fn finished(&self) -> bool {
        self.done && self.partial.is_empty()
    }

    /// Reads the whole rows at the start of `data`; returns how many bytes they took.
    fn read(&mut self, data: &[u8], stored: &mut StoredRows) -> Result<usize, Unreadable> {
        let mut at = 0;
        if !self.header_read {
            let Some(fixed) = data.get(..SIGNATURE.len() + 8) else {
                return Ok(0);
            };
            if &fixed[..SIGNATURE.len()] != SIGNATURE {
                return Err(Unreadable::Unexpected);
            }
            let extension = u32::from_be_bytes(fixed[SIGNATURE.len() + 4..].try_into().unwrap());
            let end = fixed.len() + extension as usize;
            if data.len() < end {
                return Ok(0);
            }
            at = end;
            self.header_read = true;
        }
        let be16 = |b: &[u8]| i16::from_be_bytes([b[0], b[1]]);
        let be32 = |b: &[u8]| i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        loop {
            if self.done {
                return if at == data.len() {
                    Ok(at)
                } else {
                    Err(Unreadable::Unexpected)
                };
            }
            let rest = &data[at..];
            if rest.len() < 2 {
                return Ok(at);
            }
            match be16(rest) {
                -1 => {
                    self.done = true;
                    at += 2;
                    continue;
                }
                2 => {}
                _ => return Err(Unreadable::Unexpected),
            }
            // The reference: its length, then its bytes.
            let Some(len) = rest.get(2..6).map(be32) else {
                return Ok(at);
            };
            let Ok(len) = usize::try_from(len) else {
                return Err(Unreadable::Unexpected);
            };
            let Some(reference) = rest.get(6..6 + len) else {
                return Ok(at);
            };
            // The digest: 16 bytes (a NULL, never written, would come as length -1).
            let Some(digest_len) = rest.get(6 + len..10 + len).map(be32) else {
                return Ok(at);
            };
            if digest_len != 16 {
                return Err(Unreadable::Unexpected);
            }
            let Some(digest) = rest.get(10 + len..26 + len) else {
                return Ok(at);
            };
            if !stored.add(reference, digest.try_into().unwrap()) {
                return Err(Unreadable::TooMany);
            }
            at += 26 + len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> Digest {
        [n; 16]
    }

    #[test]
    fn only_the_same_reference_with_the_same_digest_is_unchanged() {
        let mut stored = StoredRows::with_capacity(2);
        assert!(stored.add(b"A-1", d(1)));
        assert!(stored.add(b"A-2", d(2)));
        assert_eq!(stored.len(), 2);
        assert!(stored.unchanged(b"A-1", &d(1)));
        assert!(stored.unchanged(b"A-2", &d(2)));
        // Another digest, an unknown reference, a reference that is a prefix of one held,
        // another's digest.
        let mut stored = StoredRows::with_capacity(2);
        stored.add(b"A-1", d(1));
        stored.add(b"A-2", d(2));
        assert!(!stored.unchanged(b"A-1", &d(3)));
        assert!(!stored.unchanged(b"A-3", &d(1)));
        assert!(!stored.unchanged(b"A-", &d(1)));
        assert!(!stored.unchanged(b"A-2", &d(1)));
        assert!(stored.unchanged(b"A-2", &d(2)));
    }

    #[test]
    fn a_reference_met_twice_is_never_unchanged_out_of_order() {
        let mut stored = StoredRows::with_capacity(3);
        stored.add(b"A-0", d(0));
        stored.add(b"A-1", d(1));
        stored.add(b"A-1", d(1));
        // Not next in order: looked up in the table, which holds A-1 as met twice.
        assert!(!stored.unchanged(b"A-1", &d(1)));
    }

    #[test]
    fn rows_are_found_in_order_out_of_order_and_after_a_jump() {
        let n = 50_000;
        let held = |i: usize| format!("R-{i}").into_bytes();
        let digest = |i: usize| {
            let mut d = [0u8; 16];
            d[..8].copy_from_slice(&(i as u64).to_be_bytes());
            d
        };
        let mut stored = StoredRows::with_capacity(10);
        for i in 0..n {
            stored.add(&held(i), digest(i));
        }
        // In order: no table built.
        for i in 0..n / 2 {
            assert!(stored.unchanged(&held(i), &digest(i)));
        }
        assert!(stored.index.is_none());
        // Backwards, then in order again from a jump, with some changed and some new.
        for i in (0..n).rev().step_by(7) {
            assert!(stored.unchanged(&held(i), &digest(i)));
            assert!(!stored.unchanged(&held(i), &digest(i + 1)));
        }
        for i in 100..n {
            assert_eq!(stored.unchanged(&held(i), &digest(i + i % 2)), i % 2 == 0);
        }
        assert!(!stored.unchanged(b"R-new", &digest(0)));
    }

    /// A binary `COPY` of (reference, digest) as PostgreSQL sends it, cut anywhere.
    #[test]
    fn binary_copy_rows_are_read_however_the_messages_cut_them() {
        let mut copy = SIGNATURE.to_vec();
        copy.extend_from_slice(&0u32.to_be_bytes());
        copy.extend_from_slice(&3u32.to_be_bytes());
        copy.extend_from_slice(b"ext");
        for i in 0..20u8 {
            let reference = format!("R-{i}");
            copy.extend_from_slice(&2i16.to_be_bytes());
            copy.extend_from_slice(&(reference.len() as i32).to_be_bytes());
            copy.extend_from_slice(reference.as_bytes());
            copy.extend_from_slice(&16i32.to_be_bytes());
            copy.extend_from_slice(&d(i));
        }
        copy.extend_from_slice(&(-1i16).to_be_bytes());
        for cut in [1, 2, 5, 7, 26, 1000] {
            let mut stored = StoredRows::with_capacity(0);
            let mut rows = BinaryRows::new();
            for chunk in copy.chunks(cut) {
                rows.take(chunk, &mut stored).unwrap();
            }
            assert!(rows.finished());
            assert_eq!(stored.len(), 20);
            for i in (0..20u8).rev() {
                assert!(stored.unchanged(format!("R-{i}").as_bytes(), &d(i)));
            }
        }
        // A third column, or a digest of another length, is refused.
        let mut stored = StoredRows::with_capacity(0);
        let mut odd = copy[..SIGNATURE.len() + 11].to_vec();
        odd.extend_from_slice(&3i16.to_be_bytes());
        assert_eq!(
            BinaryRows::new().take(&odd, &mut stored),
            Err(Unreadable::Unexpected)
        );
    }
}
