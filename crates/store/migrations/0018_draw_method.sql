-- The method each sample was drawn with, so every draw can be drawn again exactly as it was.
-- 1: the whole frame fetched in reference order, positions by partial Fisher–Yates (every draw
--    made before this migration).
-- 2: the frame counted, positions by the same generator, then only the drawn rows fetched in
--    (reported or submitted time, reference) order; stratified per stratum.
ALTER TABLE compliance_audit_draws ADD COLUMN method BIGINT NOT NULL DEFAULT 1;
ALTER TABLE quality_review_draws ADD COLUMN method BIGINT NOT NULL DEFAULT 1;
