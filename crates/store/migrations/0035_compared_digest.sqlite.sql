-- The import writes no digest on SQLite (its re-import compares in the database, batch by
-- batch), but a database copied from PostgreSQL (`copy-db`) brings them, and may be copied
-- back: the same rule keeps them NULL or right. (An AFTER trigger: SQLite's cannot change NEW.)
CREATE TRIGGER incidents_compared_digest_clear AFTER UPDATE ON incidents
    WHEN OLD.compared_digest IS NOT NULL
     AND NEW.compared_digest IS OLD.compared_digest
     AND (NEW.incident_ref IS NOT OLD.incident_ref
          OR NEW.reported_at IS NOT OLD.reported_at
          OR NEW.category IS NOT OLD.category
          OR NEW.area IS NOT OLD.area
          OR NEW.children_involved IS NOT OLD.children_involved
          OR NEW.adult_at_risk IS NOT OLD.adult_at_risk
          OR NEW.domestic_abuse IS NOT OLD.domestic_abuse
          OR NEW.officer_staff_number IS NOT OLD.officer_staff_number
          OR NEW.department IS NOT OLD.department
          OR NEW.officer_person_id IS NOT OLD.officer_person_id
          OR NEW.children_involved_count IS NOT OLD.children_involved_count)
BEGIN
    UPDATE incidents SET compared_digest = NULL WHERE id = NEW.id;
END;
CREATE TRIGGER referrals_compared_digest_clear AFTER UPDATE ON referrals
    WHEN OLD.compared_digest IS NOT NULL
     AND NEW.compared_digest IS OLD.compared_digest
     AND (NEW.referral_ref IS NOT OLD.referral_ref
          OR NEW.incident_ref IS NOT OLD.incident_ref
          OR NEW.submitted_at IS NOT OLD.submitted_at
          OR NEW.subject_type IS NOT OLD.subject_type
          OR NEW.category IS NOT OLD.category
          OR NEW.officer_grade IS NOT OLD.officer_grade
          OR NEW.officer_staff_number IS NOT OLD.officer_staff_number
          OR NEW.partner IS NOT OLD.partner
          OR NEW.narrative IS NOT OLD.narrative
          OR NEW.officer_person_id IS NOT OLD.officer_person_id)
BEGIN
    UPDATE referrals SET compared_digest = NULL WHERE id = NEW.id;
END;
