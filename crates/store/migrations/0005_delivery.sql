-- Frontline delivery: partner organisations, sessions and series, trainers, audiences,
-- enrolment with waitlists, attendance, Teams attendance reports, the e-mail outbox, coverage
-- requirements. Instants are TEXT RFC 3339 UTC (fixed width); a session's Europe/London wall
-- time is derived in the domain layer, never stored.

-- Partner agencies and their contacts (no account needed).
CREATE TABLE partner_orgs (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    -- domain: children_social_care, adult_social_care, health, education, fire_rescue,
    -- probation, housing, other
    kind TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE partner_contacts (
    id {{ID}},
    org_id BIGINT NOT NULL REFERENCES partner_orgs (id),
    name TEXT NOT NULL,
    job_title TEXT NOT NULL DEFAULT '',
    email TEXT,
    phone TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX partner_contacts_org ON partner_contacts (org_id);

-- A module provided by a partner agency (training partners offer the police).
ALTER TABLE modules ADD COLUMN provider_org_id BIGINT REFERENCES partner_orgs (id);

-- A programme of sessions, e.g. "2022 frontline programme".
CREATE TABLE session_series (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    module_id BIGINT REFERENCES modules (id),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE training_sessions (
    id {{ID}},
    series_id BIGINT REFERENCES session_series (id),
    module_id BIGINT NOT NULL REFERENCES modules (id),
    module_version TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    -- 'in_person' or 'teams'
    mode TEXT NOT NULL,
    venue TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    join_url TEXT NOT NULL DEFAULT '',
    capacity BIGINT NOT NULL,
    -- 'planned', 'open', 'full', 'delivered', 'cancelled'
    status TEXT NOT NULL,
    cancel_reason TEXT,
    -- 'internal' (police to police), 'to_partners' (police deliver to partners),
    -- 'from_partner' (a partner delivers to the police)
    direction TEXT NOT NULL DEFAULT 'internal',
    partner_org_id BIGINT REFERENCES partner_orgs (id),
    -- iCalendar identity: the UID never changes; SEQUENCE rises on every change of time or place
    -- and on cancellation.
    ics_uid TEXT NOT NULL UNIQUE,
    ics_sequence BIGINT NOT NULL DEFAULT 0,
    -- Share of the session (percent) that counts as attended; NULL = the force default (80).
    attended_share_pct BIGINT,
    -- Whether attendees may leave the Teams report (then "not in report" is flagged, never
    -- marked absent silently).
    report_opt_out BIGINT NOT NULL DEFAULT 0 CHECK (report_opt_out IN (0, 1)),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX training_sessions_module ON training_sessions (module_id, starts_at);
CREATE INDEX training_sessions_series ON training_sessions (series_id);
CREATE INDEX training_sessions_starts ON training_sessions (starts_at);

-- Lead trainer and co-trainers (volunteer MASH staff). Delivery hours are summed from
-- delivered sessions.
CREATE TABLE session_trainers (
    id {{ID}},
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    lead BIGINT NOT NULL DEFAULT 0 CHECK (lead IN (0, 1)),
    UNIQUE (session_id, person_id)
);
CREATE INDEX session_trainers_person ON session_trainers (person_id);

-- Who a session is for: kind 'cohort', 'department', 'role_profile' or 'person'; value is the
-- cohort or department name, the role profile code, or the staff number.
CREATE TABLE session_audience (
    id {{ID}},
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (session_id, kind, value)
);

-- One row per person per session. Status 'enrolled', 'waitlisted' or 'withdrawn'; the waitlist
-- is ordered by position (then id).
CREATE TABLE session_enrolments (
    id {{ID}},
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    status TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    booked_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    withdrawn_at TEXT,
    UNIQUE (session_id, person_id)
);
CREATE INDEX session_enrolments_person ON session_enrolments (person_id);

-- Attendance of people in the directory. Status 'attended', 'partly_attended', 'absent',
-- 'excused'; source 'register' or 'teams_report'. not_in_report flags an enrolled person who
-- was missing from an uploaded Teams report (never marked absent silently).
CREATE TABLE session_attendance (
    id {{ID}},
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    status TEXT,
    minutes BIGINT,
    source TEXT NOT NULL,
    not_in_report BIGINT NOT NULL DEFAULT 0 CHECK (not_in_report IN (0, 1)),
    completion_id BIGINT REFERENCES completions (id),
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (session_id, person_id)
);
CREATE INDEX session_attendance_person ON session_attendance (person_id);

-- Attendees without an account or directory record: partner staff at police sessions, guests.
CREATE TABLE session_external_attendees (
    id {{ID}},
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    name TEXT NOT NULL,
    organisation TEXT NOT NULL DEFAULT '',
    partner_org_id BIGINT REFERENCES partner_orgs (id),
    email TEXT,
    status TEXT,
    minutes BIGINT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX session_external_attendees_session ON session_external_attendees (session_id);

-- Uploaded Teams attendance reports. The same file (by SHA-256) uploaded again changes nothing.
CREATE TABLE teams_reports (
    id {{ID}},
    session_id BIGINT NOT NULL REFERENCES training_sessions (id),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    layout TEXT NOT NULL,
    participants BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    UNIQUE (session_id, sha256)
);

-- Participants of a report that matched nobody (guests, external, unknown addresses) until the
-- trainer resolves them by hand to a person or an external attendee, or dismisses them.
CREATE TABLE teams_report_unmatched (
    id {{ID}},
    report_id BIGINT NOT NULL REFERENCES teams_reports (id),
    name TEXT NOT NULL,
    email TEXT,
    minutes BIGINT NOT NULL,
    -- 'open', 'matched', 'external', 'dismissed'
    resolution TEXT NOT NULL DEFAULT 'open',
    person_id BIGINT REFERENCES people (id),
    resolved_by TEXT,
    resolved_at TEXT
);

-- Outgoing e-mail (invitations, updates, cancellations) written in the same transaction as the
-- change that causes it; the `serve` process sends pending messages when SMTP is configured.
-- One row per recipient, so no address is ever visible to another.
CREATE TABLE mail_outbox (
    id {{ID}},
    kind TEXT NOT NULL,
    session_id BIGINT REFERENCES training_sessions (id),
    person_id BIGINT REFERENCES people (id),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    -- iCalendar attachment (METHOD:REQUEST or CANCEL), if any
    ics TEXT,
    ics_method TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX mail_outbox_pending ON mail_outbox (sent_at);

-- Coverage requirements: who must have a module (rule encoded by domain::coverage), and which
-- modules satisfy it (the session module, the recording for transferees, imported history).
CREATE TABLE coverage_requirements (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- JSON written and read by domain::coverage
    rule TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE coverage_requirement_modules (
    id {{ID}},
    requirement_id BIGINT NOT NULL REFERENCES coverage_requirements (id),
    module_id BIGINT NOT NULL REFERENCES modules (id),
    -- 'session', 'recording' or 'any'
    counts_as TEXT NOT NULL DEFAULT 'any',
    UNIQUE (requirement_id, module_id)
);

-- Completions remember the session that produced them.
ALTER TABLE completions ADD COLUMN session_id BIGINT REFERENCES training_sessions (id);
