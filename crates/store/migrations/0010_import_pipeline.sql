-- The one import pipeline: the number of children a records-management export gives (a yes/no
-- column may hold a whole number: 0 is no, more is yes, and the count is kept here; NULL where
-- the file said only yes or no), and the history from before mashboard (issue 13), created as
-- the shared schema says, so whichever migration runs first makes them.
ALTER TABLE incidents ADD COLUMN children_involved_count BIGINT CHECK (children_involved_count >= 0);

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
