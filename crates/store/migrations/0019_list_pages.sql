-- The long lists are read a page at a time in a fixed order, each page starting just after
-- (or before) a row already shown: an index on the order ending in the unique tie-breaker,
-- and one per common filter followed by the same order, lets every page, however deep, start
-- where it should. The leading column of each filter index also gives the filter's choices by
-- stepping through it (no SELECT DISTINCT over every row).

-- People: by name, then staff number. Each ends in `active` (the status filter every page
-- has), so the capped count and a page whose first names have left read the index alone.
DROP INDEX IF EXISTS people_name;
CREATE INDEX IF NOT EXISTS people_name_staff ON people (name, staff_number, active);
CREATE INDEX IF NOT EXISTS people_department_name ON people (department, name, staff_number, active);
CREATE INDEX IF NOT EXISTS people_team_name ON people (team, name, staff_number, active);
CREATE INDEX IF NOT EXISTS people_rank_name ON people (rank, name, staff_number, active);
CREATE INDEX IF NOT EXISTS people_cohort_name ON people (cohort, name, staff_number, active);

-- Incidents: newest reported first, then by id.
DROP INDEX IF EXISTS incidents_reported_at;
CREATE INDEX IF NOT EXISTS incidents_reported_id ON incidents (reported_at, id);
CREATE INDEX IF NOT EXISTS incidents_area_reported ON incidents (area, reported_at, id);
CREATE INDEX IF NOT EXISTS incidents_officer_number_reported ON incidents (officer_staff_number, reported_at, id);

-- Referrals: newest submitted first, then by id.
DROP INDEX IF EXISTS referrals_submitted_at;
CREATE INDEX IF NOT EXISTS referrals_submitted_id ON referrals (submitted_at, id);
CREATE INDEX IF NOT EXISTS referrals_partner_submitted ON referrals (partner, submitted_at, id);
CREATE INDEX IF NOT EXISTS referrals_officer_number_submitted ON referrals (officer_staff_number, submitted_at, id);
