-- Row triggers, but only where the condition holds (checked without calling the function):
-- an import's upsert of a changed row writes its new digest and passes them by.
CREATE FUNCTION compared_digest_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.compared_digest := NULL;
    RETURN NEW;
END
$$;
CREATE TRIGGER incidents_compared_digest_clear BEFORE UPDATE ON incidents FOR EACH ROW
    WHEN (OLD.compared_digest IS NOT NULL
          AND NEW.compared_digest IS NOT DISTINCT FROM OLD.compared_digest
          AND (NEW.incident_ref IS DISTINCT FROM OLD.incident_ref
               OR NEW.reported_at IS DISTINCT FROM OLD.reported_at
               OR NEW.category IS DISTINCT FROM OLD.category
               OR NEW.area IS DISTINCT FROM OLD.area
               OR NEW.children_involved IS DISTINCT FROM OLD.children_involved
               OR NEW.adult_at_risk IS DISTINCT FROM OLD.adult_at_risk
               OR NEW.domestic_abuse IS DISTINCT FROM OLD.domestic_abuse
               OR NEW.officer_staff_number IS DISTINCT FROM OLD.officer_staff_number
               OR NEW.department IS DISTINCT FROM OLD.department
               OR NEW.officer_person_id IS DISTINCT FROM OLD.officer_person_id
               OR NEW.children_involved_count IS DISTINCT FROM OLD.children_involved_count))
    EXECUTE FUNCTION compared_digest_clear();
CREATE TRIGGER referrals_compared_digest_clear BEFORE UPDATE ON referrals FOR EACH ROW
    WHEN (OLD.compared_digest IS NOT NULL
          AND NEW.compared_digest IS NOT DISTINCT FROM OLD.compared_digest
          AND (NEW.referral_ref IS DISTINCT FROM OLD.referral_ref
               OR NEW.incident_ref IS DISTINCT FROM OLD.incident_ref
               OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
               OR NEW.subject_type IS DISTINCT FROM OLD.subject_type
               OR NEW.category IS DISTINCT FROM OLD.category
               OR NEW.officer_grade IS DISTINCT FROM OLD.officer_grade
               OR NEW.officer_staff_number IS DISTINCT FROM OLD.officer_staff_number
               OR NEW.partner IS DISTINCT FROM OLD.partner
               OR NEW.narrative IS DISTINCT FROM OLD.narrative
               OR NEW.officer_person_id IS DISTINCT FROM OLD.officer_person_id))
    EXECUTE FUNCTION compared_digest_clear();
