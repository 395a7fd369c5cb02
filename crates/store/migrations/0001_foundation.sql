-- Foundation schema, portable between SQLite and PostgreSQL. {{ID}} is each database's
-- auto-numbered primary key. Dates are TEXT 'YYYY-MM-DD'; instants are TEXT RFC 3339 UTC.
-- Flags are BIGINT 0/1: sqlx's Any driver cannot read SQLite booleans.

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE people (
    id {{ID}},
    staff_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    rank TEXT,
    department TEXT,
    team TEXT,
    -- Directory roles, ';'-delimited with a leading and trailing ';' so one LIKE finds one role.
    roles TEXT NOT NULL DEFAULT '',
    start_date TEXT,
    cohort TEXT,
    line_manager_id BIGINT REFERENCES people (id),
    mentor_id BIGINT REFERENCES people (id),
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    left_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX people_name ON people (name);
CREATE INDEX people_department_team ON people (department, team);
CREATE INDEX people_line_manager ON people (line_manager_id);
CREATE INDEX people_mentor ON people (mentor_id);

CREATE TABLE users (
    id {{ID}},
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    person_id BIGINT UNIQUE REFERENCES people (id),
    disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL,
    last_sign_in_at TEXT
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE api_tokens (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

-- Failed sign-ins per submitted username (known or not, so a lock-out does not reveal which
-- usernames exist).
CREATE TABLE sign_in_throttle (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Append-only (enforced by triggers in the per-database parts).
CREATE TABLE audit_events (
    id {{ID}},
    at TEXT NOT NULL,
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT,
    entity_key TEXT,
    summary TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_key);
CREATE INDEX audit_events_actor ON audit_events (actor);
