-- A digest of the values a re-import compares, computed by the server from the row itself on
-- every write (GENERATED … STORED), so that no way of writing a row (an import, the demo, a
-- test's own UPDATE) can leave it stale. The text is the compared columns in the import's
-- order (`register::compared_columns`), each as text, none (NULL) as the value it counts as,
-- joined by the control character U+001F, which no value read from a file can hold; its
-- digest is the first 16 bytes of its SHA-256 (the text's backslashes doubled so that the cast
-- to bytea keeps its bytes as they are). The import computes the same digest from each row of
-- the file (`register::compared_digest`; a unit test checks these expressions against it).
ALTER TABLE incidents ADD COLUMN compared_digest BYTEA GENERATED ALWAYS AS (substr(sha256(CAST(replace(CAST(reported_at AS TEXT) || E'\x1F' || CAST(category AS TEXT) || E'\x1F' || CAST(area AS TEXT) || E'\x1F' || CAST(children_involved AS TEXT) || E'\x1F' || CAST(adult_at_risk AS TEXT) || E'\x1F' || CAST(domestic_abuse AS TEXT) || E'\x1F' || CAST(officer_staff_number AS TEXT) || E'\x1F' || CAST(department AS TEXT) || E'\x1F' || CAST(COALESCE(officer_person_id, 0) AS TEXT) || E'\x1F' || CAST(COALESCE(children_involved_count, -1) AS TEXT), '\', '\\') AS BYTEA)), 1, 16)) STORED;
ALTER TABLE referrals ADD COLUMN compared_digest BYTEA GENERATED ALWAYS AS (substr(sha256(CAST(replace(CAST(incident_ref AS TEXT) || E'\x1F' || CAST(submitted_at AS TEXT) || E'\x1F' || CAST(subject_type AS TEXT) || E'\x1F' || CAST(category AS TEXT) || E'\x1F' || CAST(officer_grade AS TEXT) || E'\x1F' || CAST(officer_staff_number AS TEXT) || E'\x1F' || CAST(partner AS TEXT) || E'\x1F' || CAST(narrative AS TEXT) || E'\x1F' || CAST(COALESCE(officer_person_id, 0) AS TEXT), '\', '\\') AS BYTEA)), 1, 16)) STORED;
