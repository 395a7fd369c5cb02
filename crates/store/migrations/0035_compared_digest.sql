-- A large re-import on PostgreSQL compares each row of the file with the register on the
-- import's side (`stored_rows.rs`): it reads each row's reference and this digest, not every
-- compared value. The digest is the first 16 bytes of SHA-256 of the row's compared values as
-- the import formats them (`register::compared_line`), in hex; the import computes it and
-- writes it with the row. NULL where unknown: rows written by any other path, and every row
-- until an import writes it (a plain column without a default, so adding it rewrites nothing).
-- Where it is NULL, the re-import has the server make it from the values as it reads them.
-- Each database's part adds a trigger that sets the digest to NULL whenever an update changes
-- a compared value without writing a new digest itself, so a digest is always NULL or right.
ALTER TABLE incidents ADD COLUMN compared_digest TEXT;
ALTER TABLE referrals ADD COLUMN compared_digest TEXT;
