-- Referral quality assurance: the incident and referral register fed from records-management
-- exports, partner outcomes, quarterly referral quality reviews (sample, panel, blind grading,
-- moderation), bi-monthly incident compliance audits, and the missing-referral queue.
-- References (incident_ref, referral_ref) are the records system's own keys: imports upsert on
-- them, so the same file imported twice changes nothing.

CREATE TABLE incidents (
    id {{ID}},
    incident_ref TEXT NOT NULL UNIQUE,
    -- Local time as reported, 'YYYY-MM-DDTHH:MM:SS' (no zone: the force's own clock).
    reported_at TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    children_involved BIGINT NOT NULL DEFAULT 0 CHECK (children_involved IN (0, 1)),
    adult_at_risk BIGINT NOT NULL DEFAULT 0 CHECK (adult_at_risk IN (0, 1)),
    domestic_abuse BIGINT NOT NULL DEFAULT 0 CHECK (domestic_abuse IN (0, 1)),
    officer_staff_number TEXT NOT NULL DEFAULT '',
    officer_person_id BIGINT REFERENCES people (id),
    department TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX incidents_reported_at ON incidents (reported_at);
CREATE INDEX incidents_officer ON incidents (officer_person_id);

CREATE TABLE referrals (
    id {{ID}},
    referral_ref TEXT NOT NULL UNIQUE,
    -- The incident it came from, by reference: exports arrive in any order.
    incident_ref TEXT NOT NULL DEFAULT '',
    submitted_at TEXT NOT NULL,
    subject_type TEXT NOT NULL CHECK (subject_type IN ('child', 'adult')),
    category TEXT NOT NULL DEFAULT '',
    -- The officer's own risk grading on the form (e.g. standard, medium, high).
    officer_grade TEXT NOT NULL DEFAULT '',
    officer_staff_number TEXT NOT NULL DEFAULT '',
    officer_person_id BIGINT REFERENCES people (id),
    partner TEXT NOT NULL DEFAULT '',
    narrative TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX referrals_submitted_at ON referrals (submitted_at);
CREATE INDEX referrals_incident_ref ON referrals (incident_ref);
CREATE INDEX referrals_officer ON referrals (officer_person_id);

-- People named in a referral's structured fields: the pseudonymised view replaces them by
-- labels (Child A, Adult B), dates of birth by ages and addresses by areas.
CREATE TABLE referral_people (
    id {{ID}},
    referral_ref TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('child', 'adult')),
    name TEXT NOT NULL,
    date_of_birth TEXT,
    address TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    UNIQUE (referral_ref, name)
);

CREATE TABLE referral_outcomes (
    id {{ID}},
    referral_ref TEXT NOT NULL,
    partner TEXT NOT NULL,
    -- accepted_assessment | accepted_s47 | accepted_s42 | early_help | advice_signpost |
    -- no_further_action | returned_more_information
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    decided_at TEXT NOT NULL,
    -- import | mash | partner
    source TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (referral_ref, partner)
);

-- The rubric a force grades against; criteria can link to the training module that teaches them.
CREATE TABLE rubric_criteria (
    id {{ID}},
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    descriptor TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL DEFAULT 0,
    module_id BIGINT REFERENCES modules (id),
    active BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE quality_reviews (
    id {{ID}},
    title TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    sample_size BIGINT NOT NULL,
    -- '' (simple random sample) or the field the sample is stratified by.
    strata TEXT NOT NULL DEFAULT '',
    -- grading | moderation | closed
    status TEXT NOT NULL,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    closed_at TEXT
);

-- Every draw is kept; only the latest counts. A redraw needs a reason.
CREATE TABLE quality_review_draws (
    id {{ID}},
    review_id BIGINT NOT NULL REFERENCES quality_reviews (id),
    draw_no BIGINT NOT NULL,
    -- u64 seed as decimal text (PostgreSQL has no unsigned 64-bit integer).
    seed TEXT NOT NULL,
    frame_size BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    drawn_by TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    UNIQUE (review_id, draw_no)
);

CREATE TABLE quality_review_sample (
    draw_id BIGINT NOT NULL REFERENCES quality_review_draws (id),
    position BIGINT NOT NULL,
    referral_id BIGINT NOT NULL REFERENCES referrals (id),
    stratum TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (draw_id, referral_id)
);

CREATE TABLE quality_review_panel (
    review_id BIGINT NOT NULL REFERENCES quality_reviews (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    added_at TEXT NOT NULL,
    -- Set when the grader submits; until then they cannot see anyone else's grades.
    submitted_at TEXT,
    PRIMARY KEY (review_id, user_id)
);

CREATE TABLE quality_grades (
    id {{ID}},
    review_id BIGINT NOT NULL REFERENCES quality_reviews (id),
    referral_id BIGINT NOT NULL REFERENCES referrals (id),
    grader_user_id BIGINT NOT NULL REFERENCES users (id),
    grade BIGINT NOT NULL CHECK (grade BETWEEN 1 AND 4),
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (review_id, referral_id, grader_user_id)
);

CREATE TABLE quality_criterion_scores (
    grade_id BIGINT NOT NULL REFERENCES quality_grades (id) ON DELETE CASCADE,
    criterion_id BIGINT NOT NULL REFERENCES rubric_criteria (id),
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 4),
    PRIMARY KEY (grade_id, criterion_id)
);

-- The panel's moderated grade; individual grades are kept beside it.
CREATE TABLE quality_agreed_grades (
    review_id BIGINT NOT NULL REFERENCES quality_reviews (id),
    referral_id BIGINT NOT NULL REFERENCES referrals (id),
    grade BIGINT NOT NULL CHECK (grade BETWEEN 1 AND 4),
    comment TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (review_id, referral_id)
);

CREATE TABLE quality_agreed_criteria (
    review_id BIGINT NOT NULL REFERENCES quality_reviews (id),
    referral_id BIGINT NOT NULL REFERENCES referrals (id),
    criterion_id BIGINT NOT NULL REFERENCES rubric_criteria (id),
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 4),
    PRIMARY KEY (review_id, referral_id, criterion_id)
);

-- The learning loop: an officer weak on a criterion is recommended (or assigned) its module.
CREATE TABLE quality_recommendations (
    id {{ID}},
    review_id BIGINT NOT NULL REFERENCES quality_reviews (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    criterion_id BIGINT NOT NULL REFERENCES rubric_criteria (id),
    module_id BIGINT REFERENCES modules (id),
    -- recommended | assigned
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (review_id, person_id, criterion_id)
);

CREATE TABLE compliance_audits (
    id {{ID}},
    title TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    sample_size BIGINT NOT NULL,
    -- open | closed
    status TEXT NOT NULL,
    owner_user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    closed_at TEXT
);

CREATE TABLE compliance_audit_draws (
    id {{ID}},
    audit_id BIGINT NOT NULL REFERENCES compliance_audits (id),
    draw_no BIGINT NOT NULL,
    seed TEXT NOT NULL,
    frame_size BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    drawn_by TEXT NOT NULL,
    drawn_at TEXT NOT NULL,
    UNIQUE (audit_id, draw_no)
);

CREATE TABLE compliance_audit_sample (
    draw_id BIGINT NOT NULL REFERENCES compliance_audit_draws (id),
    position BIGINT NOT NULL,
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (draw_id, incident_id)
);

CREATE TABLE compliance_audit_auditors (
    audit_id BIGINT NOT NULL REFERENCES compliance_audits (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (audit_id, user_id)
);

CREATE TABLE compliance_findings (
    id {{ID}},
    audit_id BIGINT NOT NULL REFERENCES compliance_audits (id),
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    form_required BIGINT NOT NULL CHECK (form_required IN (0, 1)),
    -- child | adult_at_risk | other; NULL when no form was required.
    required_reason TEXT,
    form_completed BIGINT NOT NULL CHECK (form_completed IN (0, 1)),
    -- NULL when no form was completed.
    on_time BIGINT CHECK (on_time IN (0, 1)),
    note TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (audit_id, incident_id)
);

-- Incidents that look as if they needed a referral and have none within the window.
CREATE TABLE missing_referrals (
    id {{ID}},
    incident_id BIGINT NOT NULL UNIQUE REFERENCES incidents (id),
    -- Which rule put it on the queue (children_involved, domestic_abuse, adult_at_risk).
    rule TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    -- NULL while open; referral_made | not_required | escalated
    outcome TEXT,
    reason TEXT NOT NULL DEFAULT '',
    closed_by TEXT,
    closed_at TEXT
);
CREATE INDEX missing_referrals_open ON missing_referrals (outcome);

-- A partner reviewer's agency (e.g. "Children's social care"): they see and record outcomes for
-- their own agency only.
ALTER TABLE users ADD COLUMN partner_agency TEXT;
