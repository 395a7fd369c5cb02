-- Exercise runs are facilitated only by the account that created them
-- (exercise_runs.facilitator_user_id) and the co-facilitators it names here; administrators and
-- the MASH trainer reach every run (domain::access::exercise_run_scope).
CREATE TABLE exercise_run_facilitators (
    id {{ID}},
    run_id BIGINT NOT NULL REFERENCES exercise_runs (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (run_id, user_id)
);
CREATE INDEX exercise_run_facilitators_user ON exercise_run_facilitators (user_id);

-- Each committed Teams report's in-meeting time per matched person, so that a session's minutes
-- are the sum over all its distinct reports (a meeting that dropped and was restarted gives two).
-- matched_by: 'email', 'name', 'hand' (an unmatched participant matched by the trainer) or
-- 'earlier' (carried over from the register for reports committed before this table existed).
CREATE TABLE teams_report_times (
    id {{ID}},
    report_id BIGINT NOT NULL REFERENCES teams_reports (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    seconds BIGINT NOT NULL,
    joins BIGINT NOT NULL,
    matched_by TEXT NOT NULL
);
CREATE INDEX teams_report_times_report ON teams_report_times (report_id);
CREATE INDEX teams_report_times_person ON teams_report_times (person_id);

-- Reports committed before: their minutes are on the register; attribute them to the session's
-- latest report (earlier versions kept only the latest report's minutes).
INSERT INTO teams_report_times (report_id, person_id, seconds, joins, matched_by)
SELECT (SELECT MAX(r.id) FROM teams_reports r WHERE r.session_id = a.session_id), a.person_id,
       a.minutes * 60, 1, 'earlier'
FROM session_attendance a
WHERE a.source = 'teams_report' AND a.status IS NOT NULL AND a.minutes IS NOT NULL
  AND EXISTS (SELECT 1 FROM teams_reports r WHERE r.session_id = a.session_id);
