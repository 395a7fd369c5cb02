-- A criterion score may be "not applicable" (the child's voice in a referral about an adult with
-- no child in the household): a NULL score in quality_criterion_scores (a grader's) and
-- quality_agreed_criteria (the panel's agreed score). A row with a NULL score is an answer, not
-- a gap: the grader looked and found the criterion does not apply. It is left out of that
-- criterion's figures (domain::reviews::weakest_criteria). The overall grade is never NULL.
-- Changing a column's nullability is not portable: each database does it in its own part.
SELECT 1;
