-- The exercise runner: scenarios with staged injects, live runs with teams, released stages,
-- answers, observer notes, the mock strategy meeting record.

CREATE TABLE exercise_scenarios (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Stages ("injects") numbered from 1.
CREATE TABLE exercise_stages (
    id {{ID}},
    scenario_id BIGINT NOT NULL REFERENCES exercise_scenarios (id),
    stage BIGINT NOT NULL,
    title TEXT NOT NULL,
    -- What the teams are told.
    briefing TEXT NOT NULL,
    facilitator_notes TEXT NOT NULL DEFAULT '',
    -- The mock strategy meeting is the last stage.
    strategy_meeting BIGINT NOT NULL DEFAULT 0 CHECK (strategy_meeting IN (0, 1)),
    UNIQUE (scenario_id, stage)
);

-- Attachments of an inject, such as a mock incident log or a school's concern note.
CREATE TABLE exercise_attachments (
    id {{ID}},
    stage_id BIGINT NOT NULL REFERENCES exercise_stages (id),
    position BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE TABLE exercise_questions (
    id {{ID}},
    stage_id BIGINT NOT NULL REFERENCES exercise_stages (id),
    position BIGINT NOT NULL,
    text TEXT NOT NULL,
    model_answer TEXT NOT NULL DEFAULT ''
);

CREATE TABLE exercise_runs (
    id {{ID}},
    scenario_id BIGINT NOT NULL REFERENCES exercise_scenarios (id),
    attachment_day_id BIGINT REFERENCES attachment_days (id),
    title TEXT NOT NULL DEFAULT '',
    -- 'live' or 'ended'
    status TEXT NOT NULL,
    facilitator_user_id BIGINT REFERENCES users (id),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- A team's one-time code opens its page on a shared screen; it stops working when the run ends.
CREATE TABLE exercise_teams (
    id {{ID}},
    run_id BIGINT NOT NULL REFERENCES exercise_runs (id),
    name TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    UNIQUE (run_id, name)
);

-- Members: officers (person_id), partner reviewers with an account but no directory record
-- (user_id), or partner participants without accounts (name, organisation).
CREATE TABLE exercise_team_members (
    id {{ID}},
    team_id BIGINT NOT NULL REFERENCES exercise_teams (id),
    person_id BIGINT REFERENCES people (id),
    user_id BIGINT REFERENCES users (id),
    name TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exercise_team_members_team ON exercise_team_members (team_id);
CREATE INDEX exercise_team_members_person ON exercise_team_members (person_id);

-- A stage released to all teams (team_id NULL) or to one team.
CREATE TABLE exercise_releases (
    id {{ID}},
    run_id BIGINT NOT NULL REFERENCES exercise_runs (id),
    stage BIGINT NOT NULL,
    team_id BIGINT REFERENCES exercise_teams (id),
    released_by TEXT NOT NULL,
    released_at TEXT NOT NULL
);
CREATE INDEX exercise_releases_run ON exercise_releases (run_id);

CREATE TABLE exercise_answers (
    id {{ID}},
    team_id BIGINT NOT NULL REFERENCES exercise_teams (id),
    question_id BIGINT NOT NULL REFERENCES exercise_questions (id),
    text TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (team_id, question_id)
);

CREATE TABLE exercise_notes (
    id {{ID}},
    run_id BIGINT NOT NULL REFERENCES exercise_runs (id),
    stage BIGINT,
    team_id BIGINT REFERENCES exercise_teams (id),
    note TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL
);

-- The mock strategy meeting: who was present, what was shared, decisions, actions with owners.
CREATE TABLE exercise_meetings (
    id {{ID}},
    run_id BIGINT NOT NULL UNIQUE REFERENCES exercise_runs (id),
    agencies_present TEXT NOT NULL DEFAULT '',
    information_shared TEXT NOT NULL DEFAULT '',
    decisions TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE exercise_actions (
    id {{ID}},
    run_id BIGINT NOT NULL REFERENCES exercise_runs (id),
    action TEXT NOT NULL,
    owner TEXT NOT NULL,
    due TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
