-- The training effect as last estimated, per module, period and scope, at an impact data
-- version (`settings.impact_data_version`): estimating it reads every referral of the period
-- (seconds at ten million incidents), so the estimate is kept here, where it survives a restart
-- and every instance on the database shares it. A row is only ever read at the version it was
-- made at; rows of older versions are deleted when a newer estimate is kept.
CREATE TABLE impact_effect_estimates (
    module TEXT NOT NULL,
    period_from TEXT NOT NULL,                   -- YYYY-MM-DD
    period_to TEXT NOT NULL,                     -- YYYY-MM-DD
    scope TEXT NOT NULL,                         -- force | department:NAME | team:PERSON-ID
    data_version BIGINT NOT NULL,
    figure TEXT NOT NULL,                        -- JSON, every field of the estimate
    estimated_at TEXT NOT NULL,
    PRIMARY KEY (module, period_from, period_to, scope, data_version)
);
