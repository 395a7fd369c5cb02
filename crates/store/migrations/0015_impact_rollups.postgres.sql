-- Statement triggers that move the impact data version (see the common part).
CREATE FUNCTION impact_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'impact_data_version';
    RETURN NULL;
END
$$;
CREATE TRIGGER impact_version_completions AFTER INSERT OR UPDATE OR DELETE ON completions
    FOR EACH STATEMENT EXECUTE FUNCTION impact_version_bump();
CREATE TRIGGER impact_version_modules AFTER INSERT OR UPDATE OR DELETE ON modules
    FOR EACH STATEMENT EXECUTE FUNCTION impact_version_bump();
CREATE TRIGGER impact_version_session_trainers AFTER INSERT OR UPDATE OR DELETE ON session_trainers
    FOR EACH STATEMENT EXECUTE FUNCTION impact_version_bump();
CREATE TRIGGER impact_version_people AFTER INSERT OR UPDATE OR DELETE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION impact_version_bump();
