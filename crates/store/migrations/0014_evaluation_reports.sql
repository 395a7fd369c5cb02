-- Evaluation reports (Kirkpatrick levels 1-4). report_json holds every figure the report shows,
-- worked out when it was made (or last refreshed while a draft). Publishing freezes it: a
-- published report is never changed again, so what the chief officers were shown can be shown
-- again unchanged.
CREATE TABLE evaluation_reports (
    id {{ID}},
    title TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    -- draft | published
    status TEXT NOT NULL,
    report_json TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT,
    published_by BIGINT REFERENCES users (id)
);
