-- Triggers that move the impact data version (see the common part).
CREATE TRIGGER impact_version_completions_insert AFTER INSERT ON completions
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_completions_update AFTER UPDATE ON completions
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_completions_delete AFTER DELETE ON completions
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_modules_insert AFTER INSERT ON modules
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_modules_update AFTER UPDATE ON modules
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_modules_delete AFTER DELETE ON modules
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_session_trainers_insert AFTER INSERT ON session_trainers
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_session_trainers_update AFTER UPDATE ON session_trainers
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_session_trainers_delete AFTER DELETE ON session_trainers
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_people_insert AFTER INSERT ON people
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_people_update AFTER UPDATE ON people
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
CREATE TRIGGER impact_version_people_delete AFTER DELETE ON people
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'impact_data_version';
END;
