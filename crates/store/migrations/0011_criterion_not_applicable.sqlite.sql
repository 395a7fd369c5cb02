-- SQLite cannot drop NOT NULL from a column: rebuild both tables, keeping every row.
CREATE TABLE quality_criterion_scores_0011 (
    grade_id BIGINT NOT NULL REFERENCES quality_grades (id) ON DELETE CASCADE,
    criterion_id BIGINT NOT NULL REFERENCES rubric_criteria (id),
    score BIGINT CHECK (score BETWEEN 1 AND 4),
    PRIMARY KEY (grade_id, criterion_id)
);
INSERT INTO quality_criterion_scores_0011 (grade_id, criterion_id, score)
    SELECT grade_id, criterion_id, score FROM quality_criterion_scores;
DROP TABLE quality_criterion_scores;
ALTER TABLE quality_criterion_scores_0011 RENAME TO quality_criterion_scores;

CREATE TABLE quality_agreed_criteria_0011 (
    review_id BIGINT NOT NULL REFERENCES quality_reviews (id),
    referral_id BIGINT NOT NULL REFERENCES referrals (id),
    criterion_id BIGINT NOT NULL REFERENCES rubric_criteria (id),
    score BIGINT CHECK (score BETWEEN 1 AND 4),
    PRIMARY KEY (review_id, referral_id, criterion_id)
);
INSERT INTO quality_agreed_criteria_0011 (review_id, referral_id, criterion_id, score)
    SELECT review_id, referral_id, criterion_id, score FROM quality_agreed_criteria;
DROP TABLE quality_agreed_criteria;
ALTER TABLE quality_agreed_criteria_0011 RENAME TO quality_agreed_criteria;
