-- The audit trail is read newest first by the time of each event, then by id, under its
-- filters (actor, action, record, dates). Each filter gets an index ending in (at, id), so a
-- page under any filter or date range starts where it should instead of walking the trail from
-- its newest event (at 1,000,000 events an old date range or a rare action read most of the
-- table). The indexes ending in id alone (migration 21) and the time index on its own are
-- replaced. The action's index is in each database's part (PostgreSQL compares it byte by
-- byte, as SQLite does).
DROP INDEX IF EXISTS audit_events_actor_id;
DROP INDEX IF EXISTS audit_events_entity_key_id;
DROP INDEX IF EXISTS audit_events_at;
CREATE INDEX audit_events_at_id ON audit_events (at, id);
CREATE INDEX audit_events_actor_at ON audit_events (LOWER(actor), at, id);
CREATE INDEX audit_events_entity_key_at ON audit_events (UPPER(entity_key), at, id);
