CREATE TABLE incident_day_counts (
    day TEXT PRIMARY KEY,
    n BIGINT NOT NULL
) WITHOUT ROWID;
CREATE TABLE referral_day_subject_counts (
    day TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, subject_type)
) WITHOUT ROWID;
CREATE TABLE referral_day_partner_counts (
    day TEXT NOT NULL,
    partner TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, partner)
) WITHOUT ROWID;

INSERT INTO incident_day_counts (day, n)
    SELECT substr(reported_at, 1, 10), COUNT(*) FROM incidents GROUP BY 1;
INSERT INTO referral_day_subject_counts (day, subject_type, n)
    SELECT substr(submitted_at, 1, 10), subject_type, COUNT(*) FROM referrals GROUP BY 1, 2;
INSERT INTO referral_day_partner_counts (day, partner, n)
    SELECT substr(submitted_at, 1, 10), partner, COUNT(*) FROM referrals GROUP BY 1, 2;

CREATE TRIGGER incident_day_counts_insert AFTER INSERT ON incidents
BEGIN
    INSERT INTO incident_day_counts (day, n) VALUES (substr(NEW.reported_at, 1, 10), 1)
        ON CONFLICT (day) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER incident_day_counts_delete AFTER DELETE ON incidents
BEGIN
    UPDATE incident_day_counts SET n = n - 1 WHERE day = substr(OLD.reported_at, 1, 10);
END;
CREATE TRIGGER incident_day_counts_update AFTER UPDATE OF reported_at ON incidents
    WHEN substr(OLD.reported_at, 1, 10) IS NOT substr(NEW.reported_at, 1, 10)
BEGIN
    UPDATE incident_day_counts SET n = n - 1 WHERE day = substr(OLD.reported_at, 1, 10);
    INSERT INTO incident_day_counts (day, n) VALUES (substr(NEW.reported_at, 1, 10), 1)
        ON CONFLICT (day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER referral_day_counts_insert AFTER INSERT ON referrals
BEGIN
    INSERT INTO referral_day_subject_counts (day, subject_type, n)
        VALUES (substr(NEW.submitted_at, 1, 10), NEW.subject_type, 1)
        ON CONFLICT (day, subject_type) DO UPDATE SET n = n + 1;
    INSERT INTO referral_day_partner_counts (day, partner, n)
        VALUES (substr(NEW.submitted_at, 1, 10), NEW.partner, 1)
        ON CONFLICT (day, partner) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER referral_day_counts_delete AFTER DELETE ON referrals
BEGIN
    UPDATE referral_day_subject_counts SET n = n - 1
        WHERE day = substr(OLD.submitted_at, 1, 10) AND subject_type = OLD.subject_type;
    UPDATE referral_day_partner_counts SET n = n - 1
        WHERE day = substr(OLD.submitted_at, 1, 10) AND partner = OLD.partner;
END;
CREATE TRIGGER referral_day_counts_update AFTER UPDATE OF submitted_at, subject_type, partner ON referrals
    WHEN substr(OLD.submitted_at, 1, 10) IS NOT substr(NEW.submitted_at, 1, 10)
        OR OLD.subject_type IS NOT NEW.subject_type OR OLD.partner IS NOT NEW.partner
BEGIN
    UPDATE referral_day_subject_counts SET n = n - 1
        WHERE day = substr(OLD.submitted_at, 1, 10) AND subject_type = OLD.subject_type;
    INSERT INTO referral_day_subject_counts (day, subject_type, n)
        VALUES (substr(NEW.submitted_at, 1, 10), NEW.subject_type, 1)
        ON CONFLICT (day, subject_type) DO UPDATE SET n = n + 1;
    UPDATE referral_day_partner_counts SET n = n - 1
        WHERE day = substr(OLD.submitted_at, 1, 10) AND partner = OLD.partner;
    INSERT INTO referral_day_partner_counts (day, partner, n)
        VALUES (substr(NEW.submitted_at, 1, 10), NEW.partner, 1)
        ON CONFLICT (day, partner) DO UPDATE SET n = n + 1;
END;
