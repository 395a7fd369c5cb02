-- Impact: history from before mashboard (past compliance audits and quarterly reviews, one row
-- per period, in the same series as those done in mashboard), and indexes the dashboard's
-- per-quarter counts use. The two history tables are shared with the import of history
-- (another migration may create them too, hence IF NOT EXISTS; both write them identically).

CREATE TABLE IF NOT EXISTS audit_history (
    id {{ID}},
    period_start TEXT NOT NULL,          -- YYYY-MM-DD
    period_end TEXT NOT NULL,            -- YYYY-MM-DD, >= period_start
    examined BIGINT NOT NULL,
    required BIGINT NOT NULL,            -- <= examined
    completed_when_required BIGINT NOT NULL,      -- <= required
    not_required BIGINT NOT NULL,        -- required + not_required <= examined
    completed_when_not_required BIGINT NOT NULL,  -- <= not_required
    imported_at TEXT NOT NULL,           -- RFC 3339 UTC
    imported_by BIGINT REFERENCES users (id),
    UNIQUE (period_start, period_end)
);
CREATE TABLE IF NOT EXISTS review_history (
    id {{ID}},
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    grade_1 BIGINT NOT NULL,             -- counts of agreed grades 1..4, as live reviews grade
    grade_2 BIGINT NOT NULL,
    grade_3 BIGINT NOT NULL,
    grade_4 BIGINT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by BIGINT REFERENCES users (id),
    UNIQUE (period_start, period_end)
);

-- The dashboard counts referrals and incidents per quarter, optionally in one department, and
-- finds each officer's first completion of a module.
CREATE INDEX IF NOT EXISTS incidents_department_reported ON incidents (department, reported_at);
CREATE INDEX IF NOT EXISTS referral_outcomes_ref ON referral_outcomes (referral_ref);
CREATE INDEX IF NOT EXISTS completions_module_person ON completions (module_id, person_id, completed_on);
CREATE INDEX IF NOT EXISTS missing_referrals_queued ON missing_referrals (queued_at);
