-- Triggers that raise the coverage data version on every change to what coverage reads.
INSERT INTO settings (key, value) VALUES ('coverage_data_version', '0')
    ON CONFLICT (key) DO NOTHING;
CREATE TRIGGER coverage_version_people_insert AFTER INSERT ON people
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_people_update AFTER UPDATE ON people
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_people_delete AFTER DELETE ON people
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_assignments_insert AFTER INSERT ON assignments
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_assignments_update AFTER UPDATE ON assignments
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_assignments_delete AFTER DELETE ON assignments
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_role_profiles_insert AFTER INSERT ON role_profiles
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_role_profiles_update AFTER UPDATE ON role_profiles
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_role_profiles_delete AFTER DELETE ON role_profiles
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_completions_insert AFTER INSERT ON completions
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_completions_update AFTER UPDATE ON completions
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_completions_delete AFTER DELETE ON completions
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_coverage_requirement_modules_insert AFTER INSERT ON coverage_requirement_modules
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_coverage_requirement_modules_update AFTER UPDATE ON coverage_requirement_modules
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_coverage_requirement_modules_delete AFTER DELETE ON coverage_requirement_modules
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_session_enrolments_insert AFTER INSERT ON session_enrolments
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_session_enrolments_update AFTER UPDATE ON session_enrolments
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_session_enrolments_delete AFTER DELETE ON session_enrolments
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_training_sessions_insert AFTER INSERT ON training_sessions
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_training_sessions_update AFTER UPDATE ON training_sessions
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
CREATE TRIGGER coverage_version_training_sessions_delete AFTER DELETE ON training_sessions
BEGIN
    INSERT INTO settings (key, value) VALUES ('coverage_data_version', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT);
END;
