-- Method 2's frame order: each period is one range of these indexes (the id makes them
-- covering, so the rows are counted and skipped without reading the table). Byte order
-- ("C"), as on SQLite, so that a change of the server's locale cannot change a draw.
CREATE INDEX IF NOT EXISTS incidents_draw_frame ON incidents (reported_at COLLATE "C", incident_ref COLLATE "C", id);
CREATE INDEX IF NOT EXISTS referrals_draw_frame ON referrals (submitted_at COLLATE "C", referral_ref COLLATE "C", id, subject_type, partner);
