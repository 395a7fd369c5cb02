-- Impact roll-ups: per calendar month and department, the counts the dashboard's quarters need,
-- kept current in the same transaction as every write that changes incidents, referrals or
-- partner outcomes (`impact::refresh_rollups`, called by the register import and by recording an
-- outcome), so that the dashboard reads a few hundred rows instead of scanning millions.
--
-- One row per (month, department, linked): `department` is the department of the referral's
-- incident (and of the incident, for `incidents_needing`); referrals whose incident is not on the
-- register have `linked` = 0 and department '' (counted force-wide only, as the live count does).
-- The rows are filled by the migration runner right after this migration (from the same query
-- that keeps them current).
CREATE TABLE impact_monthly (
    month TEXT NOT NULL,                         -- YYYY-MM
    department TEXT NOT NULL,
    linked BIGINT NOT NULL CHECK (linked IN (0, 1)),
    referrals BIGINT NOT NULL,
    with_decision BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    rejected_or_returned BIGINT NOT NULL,
    incidents_needing BIGINT NOT NULL,
    PRIMARY KEY (month, department, linked)
);

-- The training effect is cached in memory per (module, period, scope) against this counter: it
-- moves with every change to what the effect reads (referrals and outcomes through
-- `refresh_rollups`; completions, modules, lead trainers and people through triggers).
INSERT INTO settings (key, value) VALUES ('impact_data_version', '0')
    ON CONFLICT (key) DO NOTHING;
