-- Reads that must not slow down as a person's records grow (the soak benchmark).
-- The CPD waiting to be verified, counted per person for the reminder digests and the home
-- page without reading the entries themselves: an index-only count.
CREATE INDEX cpd_entries_status_person ON cpd_entries (status, person_id);
-- A record's change history (the person page) skips views, which are most of a much-read
-- record's events: this index holds only the changes, so the history reads only them.
CREATE INDEX audit_events_changes ON audit_events (entity, entity_key, id)
    WHERE action NOT LIKE '%.view';
