-- The missing-referral queue's refresh looks only at what changed since the last one: the
-- rules it used, the cutoff it used (incidents reported before it were looked at) and the
-- moment from which changed incidents and referrals are looked at again.
CREATE TABLE queue_refresh_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    rules TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    changed_since TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_updated_at ON incidents (updated_at);
CREATE INDEX IF NOT EXISTS referrals_updated_at ON referrals (updated_at);
