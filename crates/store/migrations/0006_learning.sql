-- Recorded videos, knowledge checks (pre/post), session feedback, MASH attachment days.

-- A recorded-video module: a link to the force's video host or a file mashboard serves.
CREATE TABLE module_videos (
    id {{ID}},
    module_id BIGINT NOT NULL UNIQUE REFERENCES modules (id),
    external_url TEXT,
    file_name TEXT,
    content_type TEXT,
    size_bytes BIGINT,
    -- Path under the data directory where the file is kept.
    storage_key TEXT,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);

CREATE TABLE video_watches (
    id {{ID}},
    module_id BIGINT NOT NULL REFERENCES modules (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    confirmed_at TEXT NOT NULL,
    UNIQUE (module_id, person_id)
);

CREATE TABLE knowledge_checks (
    id {{ID}},
    module_id BIGINT REFERENCES modules (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    pass_mark_pct BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE check_questions (
    id {{ID}},
    check_id BIGINT NOT NULL REFERENCES knowledge_checks (id),
    position BIGINT NOT NULL,
    text TEXT NOT NULL,
    -- 'single' or 'multiple'
    kind TEXT NOT NULL,
    explanation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX check_questions_check ON check_questions (check_id, position);

CREATE TABLE check_options (
    id {{ID}},
    question_id BIGINT NOT NULL REFERENCES check_questions (id),
    position BIGINT NOT NULL,
    text TEXT NOT NULL,
    correct BIGINT NOT NULL DEFAULT 0 CHECK (correct IN (0, 1))
);
CREATE INDEX check_options_question ON check_options (question_id, position);

CREATE TABLE check_attempts (
    id {{ID}},
    check_id BIGINT NOT NULL REFERENCES knowledge_checks (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    session_id BIGINT REFERENCES training_sessions (id),
    -- 'pre', 'post' or 'standalone'
    phase TEXT NOT NULL,
    correct BIGINT NOT NULL,
    total BIGINT NOT NULL,
    score_pct BIGINT NOT NULL,
    passed BIGINT NOT NULL CHECK (passed IN (0, 1)),
    started_at TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX check_attempts_person ON check_attempts (person_id, check_id);

CREATE TABLE check_attempt_answers (
    id {{ID}},
    attempt_id BIGINT NOT NULL REFERENCES check_attempts (id),
    question_id BIGINT NOT NULL REFERENCES check_questions (id),
    -- chosen option ids, ';'-delimited
    chosen TEXT NOT NULL,
    correct BIGINT NOT NULL CHECK (correct IN (0, 1))
);

-- The short feedback form after a session: one per attendee.
CREATE TABLE session_feedback (
    id {{ID}},
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    -- ratings 1..5
    overall BIGINT NOT NULL,
    relevance BIGINT NOT NULL,
    delivery BIGINT NOT NULL,
    confidence BIGINT NOT NULL,
    went_well TEXT NOT NULL DEFAULT '',
    improve TEXT NOT NULL DEFAULT '',
    submitted_at TEXT NOT NULL,
    UNIQUE (session_id, person_id)
);

-- MASH attachment days for second-year officers.
CREATE TABLE attachment_days (
    id {{ID}},
    day TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    facilitator_person_id BIGINT REFERENCES people (id),
    -- The module an attended booking completes (FL-ATTACH unless chosen otherwise).
    module_id BIGINT REFERENCES modules (id),
    -- 'open', 'full', 'held', 'cancelled'
    status TEXT NOT NULL,
    cancel_reason TEXT,
    notes TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE attachment_bookings (
    id {{ID}},
    day_id BIGINT NOT NULL REFERENCES attachment_days (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    -- 'booked', 'withdrawn', 'attended', 'absent'
    status TEXT NOT NULL,
    booked_by TEXT NOT NULL,
    -- The completion recorded when the booking was marked attended.
    completion_id BIGINT REFERENCES completions (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (day_id, person_id)
);

-- Partner participants attend without accounts.
CREATE TABLE attachment_partner_participants (
    id {{ID}},
    day_id BIGINT NOT NULL REFERENCES attachment_days (id),
    name TEXT NOT NULL,
    organisation TEXT NOT NULL DEFAULT '',
    partner_org_id BIGINT REFERENCES partner_orgs (id),
    email TEXT,
    -- NULL until marked: 'attended' or 'absent'
    status TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX attachment_bookings_person ON attachment_bookings (person_id);
CREATE INDEX attachment_partner_participants_day ON attachment_partner_participants (day_id);
