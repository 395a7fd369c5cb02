-- Coverage reads each person's earliest completion of a requirement's modules and their
-- bookings on its sessions still to come. Both are read from an index alone:
-- completions by module, then person (in the order the database sums them up, so no sort),
-- with the date, whether a session made it and the source; enrolments by session (coverage
-- starts from the few sessions still to come), with the status and when the booking was made.
CREATE INDEX IF NOT EXISTS completions_coverage ON completions (module_id, person_id, completed_on, session_id, source);
CREATE INDEX IF NOT EXISTS session_enrolments_coverage ON session_enrolments (session_id, status, created_at, person_id);
