CREATE INDEX audit_events_action_at ON audit_events ((action COLLATE "C"), at, id);
