-- Several instances on one database: when each once-only job (the hourly missing-referral
-- check, …) last started, so that one instance runs it and the others skip it.
CREATE TABLE job_runs (
    job TEXT PRIMARY KEY,
    last_started_at TEXT NOT NULL,
    runs BIGINT NOT NULL DEFAULT 0
);
