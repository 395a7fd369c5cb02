ALTER TABLE quality_criterion_scores ALTER COLUMN score DROP NOT NULL;
ALTER TABLE quality_agreed_criteria ALTER COLUMN score DROP NOT NULL;
