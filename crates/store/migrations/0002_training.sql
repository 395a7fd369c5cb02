-- Training records: catalogue with versions, guidance tags, role programmes, plans,
-- completions with two-party sign-off, CPD, saved import mappings.

CREATE TABLE modules (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    external_link TEXT,
    duration_minutes BIGINT NOT NULL DEFAULT 0,
    owner_person_id BIGINT REFERENCES people (id),
    status TEXT NOT NULL,
    -- The current version; every version ever published is in module_versions.
    version TEXT NOT NULL,
    last_reviewed_on TEXT,
    review_by TEXT,
    cpd_topic BIGINT NOT NULL DEFAULT 0 CHECK (cpd_topic IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE module_versions (
    id {{ID}},
    module_id BIGINT NOT NULL REFERENCES modules (id),
    version TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    change_note TEXT NOT NULL DEFAULT '',
    UNIQUE (module_id, version)
);

CREATE TABLE guidance_tags (
    id {{ID}},
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE module_tags (
    module_id BIGINT NOT NULL REFERENCES modules (id),
    tag_id BIGINT NOT NULL REFERENCES guidance_tags (id),
    PRIMARY KEY (module_id, tag_id)
);

-- A change in legislation or guidance: flags every module tagged with it until the module is
-- reviewed (a review on or after changed_on clears the flag).
CREATE TABLE guidance_changes (
    id {{ID}},
    tag_id BIGINT NOT NULL REFERENCES guidance_tags (id),
    changed_on TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

CREATE TABLE role_profiles (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE programme_items (
    id {{ID}},
    profile_id BIGINT NOT NULL REFERENCES role_profiles (id),
    module_id BIGINT NOT NULL REFERENCES modules (id),
    -- domain::training::DueRule::encode(), e.g. 'days:90' or 'date:2025-03-31'
    due_rule TEXT NOT NULL,
    -- domain::training::RenewalRule::encode(), e.g. 'none', 'rolling:12', 'window:04-01..06-30'
    renewal_rule TEXT NOT NULL,
    UNIQUE (profile_id, module_id)
);

-- A person on a role profile: their plan is the programme items of their open assignments.
CREATE TABLE assignments (
    id {{ID}},
    person_id BIGINT NOT NULL REFERENCES people (id),
    profile_id BIGINT NOT NULL REFERENCES role_profiles (id),
    started_on TEXT NOT NULL,
    ended_on TEXT,
    assigned_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assignments_person ON assignments (person_id);

CREATE TABLE completions (
    id {{ID}},
    person_id BIGINT NOT NULL REFERENCES people (id),
    module_id BIGINT NOT NULL REFERENCES modules (id),
    module_version TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    mode TEXT NOT NULL,
    trainer TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    evidence_url TEXT NOT NULL DEFAULT '',
    -- 'awaiting_sign_off', 'signed_off' or 'reopened' (reopened records wait for signatures again)
    status TEXT NOT NULL,
    -- 'recorded' in mashboard, or 'imported' from a spreadsheet (historic sign-offs stay marked)
    source TEXT NOT NULL,
    import_key TEXT UNIQUE,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX completions_person_module ON completions (person_id, module_id);

CREATE TABLE sign_offs (
    id {{ID}},
    completion_id BIGINT NOT NULL REFERENCES completions (id),
    -- 'mentor' or 'line_manager'
    capacity TEXT NOT NULL,
    signer_person_id BIGINT REFERENCES people (id),
    signer_name TEXT NOT NULL,
    comment TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    imported BIGINT NOT NULL DEFAULT 0 CHECK (imported IN (0, 1)),
    -- Set when the record is reopened: the signature stays in history but no longer counts.
    cleared_at TEXT,
    cleared_reason TEXT
);
CREATE INDEX sign_offs_completion ON sign_offs (completion_id);

CREATE TABLE cpd_entries (
    id {{ID}},
    person_id BIGINT NOT NULL REFERENCES people (id),
    topic TEXT NOT NULL,
    done_on TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    kind TEXT NOT NULL,
    learning TEXT NOT NULL DEFAULT '',
    evidence_url TEXT NOT NULL DEFAULT '',
    -- 'submitted', 'verified' or 'returned'
    status TEXT NOT NULL,
    review_comment TEXT NOT NULL DEFAULT '',
    reviewed_by TEXT,
    reviewed_at TEXT,
    -- Set by the trainer when this CPD counts against a programme module.
    counts_for_module_id BIGINT REFERENCES modules (id),
    source TEXT NOT NULL,
    import_key TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX cpd_entries_person ON cpd_entries (person_id);

CREATE TABLE import_mappings (
    id {{ID}},
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    mapping TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, name)
);
