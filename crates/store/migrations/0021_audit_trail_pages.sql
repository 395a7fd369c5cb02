-- The audit trail is read a page at a time, newest first by id, under its filters: an index
-- per filter, ending in id, lets each page start where the last one ended.
CREATE INDEX IF NOT EXISTS audit_events_actor_id ON audit_events (LOWER(actor), id);
CREATE INDEX IF NOT EXISTS audit_events_entity_key_id ON audit_events (UPPER(entity_key), id);
