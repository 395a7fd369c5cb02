CREATE TABLE queue_officer_day_counts (
    officer_id BIGINT NOT NULL,
    queued_day TEXT COLLATE "C" NOT NULL,
    closed_day TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (officer_id, queued_day, closed_day)
);

INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
    SELECT i.officer_person_id, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''),
        COUNT(*)
    FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
    WHERE i.officer_person_id IS NOT NULL
    GROUP BY 1, 2, 3;

-- Statement triggers like `queue_day_counts`' (migrations 26 and 30): each row changed once by
-- the net difference of the items the statement wrote, in key order, the officer being the
-- incident's as the statement ends, each statement planned afresh for the rows it was given.
CREATE FUNCTION queue_officer_day_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
            SELECT i.officer_person_id, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''''),
                COUNT(*)
            FROM new_rows m JOIN incidents i ON i.id = m.incident_id
            WHERE i.officer_person_id IS NOT NULL
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (officer_id, queued_day, closed_day)
                DO UPDATE SET n = queue_officer_day_counts.n + EXCLUDED.n';
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'UPDATE queue_officer_day_counts c SET n = c.n - d.n
            FROM (SELECT i.officer_person_id AS officer_id, substr(m.queued_at, 1, 10) AS queued_day,
                      COALESCE(substr(m.closed_at, 1, 10), '''') AS closed_day, COUNT(*) AS n
                  FROM old_rows m JOIN incidents i ON i.id = m.incident_id
                  WHERE i.officer_person_id IS NOT NULL
                  GROUP BY 1, 2, 3) d
            WHERE c.officer_id = d.officer_id AND c.queued_day = d.queued_day
              AND c.closed_day = d.closed_day';
    ELSE
        EXECUTE 'INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
            SELECT officer_id, queued_day, closed_day, SUM(n) FROM (
                SELECT i.officer_person_id AS officer_id, substr(m.queued_at, 1, 10) AS queued_day,
                    COALESCE(substr(m.closed_at, 1, 10), '''') AS closed_day, 1 AS n
                FROM new_rows m JOIN incidents i ON i.id = m.incident_id
                WHERE i.officer_person_id IS NOT NULL
                UNION ALL
                SELECT i.officer_person_id, substr(m.queued_at, 1, 10),
                    COALESCE(substr(m.closed_at, 1, 10), ''''), -1
                FROM old_rows m JOIN incidents i ON i.id = m.incident_id
                WHERE i.officer_person_id IS NOT NULL
            ) t GROUP BY officer_id, queued_day, closed_day HAVING SUM(n) <> 0
            ORDER BY officer_id, queued_day, closed_day
            ON CONFLICT (officer_id, queued_day, closed_day)
                DO UPDATE SET n = queue_officer_day_counts.n + EXCLUDED.n';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER queue_officer_day_counts_insert AFTER INSERT ON missing_referrals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_officer_day_counts_change();
CREATE TRIGGER queue_officer_day_counts_update AFTER UPDATE ON missing_referrals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_officer_day_counts_change();
CREATE TRIGGER queue_officer_day_counts_delete AFTER DELETE ON missing_referrals
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_officer_day_counts_change();

-- An incident on the queue that changes officer moves its item's count with it: a row trigger
-- whose WHEN is checked without calling the function, so an import that rewrites a million
-- incidents without changing their officer pays nothing here.
CREATE FUNCTION queue_officer_day_counts_incident_officer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_officer_day_counts (officer_id, queued_day, closed_day, n)
        SELECT t.officer_id, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''), t.n
        FROM missing_referrals m
        CROSS JOIN (VALUES (OLD.officer_person_id, -1), (NEW.officer_person_id, 1)) AS t (officer_id, n)
        WHERE m.incident_id = NEW.id AND t.officer_id IS NOT NULL
        ORDER BY 1
        ON CONFLICT (officer_id, queued_day, closed_day)
            DO UPDATE SET n = queue_officer_day_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER queue_officer_day_counts_incident_officer AFTER UPDATE OF officer_person_id ON incidents
    FOR EACH ROW WHEN (OLD.officer_person_id IS DISTINCT FROM NEW.officer_person_id)
    EXECUTE FUNCTION queue_officer_day_counts_incident_officer();
