-- Method 2's frame order: each period is one range of these indexes (the id makes them
-- covering, so the rows are counted and skipped without reading the table).
CREATE INDEX IF NOT EXISTS incidents_draw_frame ON incidents (reported_at, incident_ref, id);
CREATE INDEX IF NOT EXISTS referrals_draw_frame ON referrals (submitted_at, referral_ref, id, subject_type, partner);
