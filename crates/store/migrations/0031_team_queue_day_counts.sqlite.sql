CREATE TABLE queue_officer_day_counts (
    officer_id INTEGER NOT NULL,
    queued_day TEXT NOT NULL,
    closed_day TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (officer_id, queued_day, closed_day)
) WITHOUT ROWID;

INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
    SELECT i.officer_person_id, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''),
        COUNT(*)
    FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
    WHERE i.officer_person_id IS NOT NULL
    GROUP BY 1, 2, 3;

CREATE TRIGGER queue_officer_day_counts_insert AFTER INSERT ON missing_referrals
BEGIN
    INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
        SELECT i.officer_person_id, substr(NEW.queued_at, 1, 10), COALESCE(substr(NEW.closed_at, 1, 10), ''), 1
        FROM incidents i WHERE i.id = NEW.incident_id AND i.officer_person_id IS NOT NULL
        ON CONFLICT (officer_id, queued_day, closed_day) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER queue_officer_day_counts_delete AFTER DELETE ON missing_referrals
BEGIN
    UPDATE queue_officer_day_counts SET n = n - 1
        WHERE officer_id = (SELECT officer_person_id FROM incidents WHERE id = OLD.incident_id)
          AND queued_day = substr(OLD.queued_at, 1, 10)
          AND closed_day = COALESCE(substr(OLD.closed_at, 1, 10), '');
END;
CREATE TRIGGER queue_officer_day_counts_update AFTER UPDATE OF incident_id, queued_at, closed_at ON missing_referrals
    WHEN OLD.incident_id IS NOT NEW.incident_id
        OR substr(OLD.queued_at, 1, 10) IS NOT substr(NEW.queued_at, 1, 10)
        OR COALESCE(substr(OLD.closed_at, 1, 10), '') IS NOT COALESCE(substr(NEW.closed_at, 1, 10), '')
BEGIN
    UPDATE queue_officer_day_counts SET n = n - 1
        WHERE officer_id = (SELECT officer_person_id FROM incidents WHERE id = OLD.incident_id)
          AND queued_day = substr(OLD.queued_at, 1, 10)
          AND closed_day = COALESCE(substr(OLD.closed_at, 1, 10), '');
    INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
        SELECT i.officer_person_id, substr(NEW.queued_at, 1, 10), COALESCE(substr(NEW.closed_at, 1, 10), ''), 1
        FROM incidents i WHERE i.id = NEW.incident_id AND i.officer_person_id IS NOT NULL
        ON CONFLICT (officer_id, queued_day, closed_day) DO UPDATE SET n = n + 1;
END;
-- An incident on the queue that changes officer (a re-import, or its officer linked later) moves
-- its item's count with it.
CREATE TRIGGER queue_officer_day_counts_incident_officer AFTER UPDATE OF officer_person_id ON incidents
    WHEN OLD.officer_person_id IS NOT NEW.officer_person_id
BEGIN
    UPDATE queue_officer_day_counts SET n = n - 1
        WHERE officer_id = OLD.officer_person_id
          AND (queued_day, closed_day) IN (
              SELECT substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), '')
              FROM missing_referrals m WHERE m.incident_id = NEW.id);
    INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
        SELECT NEW.officer_person_id, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''), 1
        FROM missing_referrals m WHERE m.incident_id = NEW.id AND NEW.officer_person_id IS NOT NULL
        ON CONFLICT (officer_id, queued_day, closed_day) DO UPDATE SET n = n + 1;
END;
