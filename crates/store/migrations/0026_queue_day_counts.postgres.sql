CREATE TABLE queue_day_counts (
    department TEXT COLLATE "C" NOT NULL,
    queued_day TEXT COLLATE "C" NOT NULL,
    closed_day TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (department, queued_day, closed_day)
);

INSERT INTO queue_day_counts (department, queued_day, closed_day, n)
    SELECT i.department, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''),
        COUNT(*)
    FROM missing_referrals m JOIN incidents i ON i.id = m.incident_id
    GROUP BY 1, 2, 3;

-- Statement triggers: a refresh that queues or closes many items changes each row once, by the
-- net difference of the items it wrote (in key order, so concurrent writers lock rows in one
-- order). The department is the incident's as the statement ends.
CREATE FUNCTION queue_day_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO queue_day_counts (department, queued_day, closed_day, n)
            SELECT i.department, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''),
                COUNT(*)
            FROM new_rows m JOIN incidents i ON i.id = m.incident_id
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (department, queued_day, closed_day)
                DO UPDATE SET n = queue_day_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE queue_day_counts c SET n = c.n - d.n
            FROM (SELECT i.department, substr(m.queued_at, 1, 10) AS queued_day,
                      COALESCE(substr(m.closed_at, 1, 10), '') AS closed_day, COUNT(*) AS n
                  FROM old_rows m JOIN incidents i ON i.id = m.incident_id
                  GROUP BY 1, 2, 3) d
            WHERE c.department = d.department AND c.queued_day = d.queued_day
              AND c.closed_day = d.closed_day;
    ELSE
        INSERT INTO queue_day_counts (department, queued_day, closed_day, n)
            SELECT department, queued_day, closed_day, SUM(n) FROM (
                SELECT i.department, substr(m.queued_at, 1, 10) AS queued_day,
                    COALESCE(substr(m.closed_at, 1, 10), '') AS closed_day, 1 AS n
                FROM new_rows m JOIN incidents i ON i.id = m.incident_id
                UNION ALL
                SELECT i.department, substr(m.queued_at, 1, 10),
                    COALESCE(substr(m.closed_at, 1, 10), ''), -1
                FROM old_rows m JOIN incidents i ON i.id = m.incident_id
            ) t GROUP BY department, queued_day, closed_day HAVING SUM(n) <> 0
            ORDER BY department, queued_day, closed_day
            ON CONFLICT (department, queued_day, closed_day)
                DO UPDATE SET n = queue_day_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER queue_day_counts_insert AFTER INSERT ON missing_referrals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_day_counts_change();
CREATE TRIGGER queue_day_counts_update AFTER UPDATE ON missing_referrals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_day_counts_change();
CREATE TRIGGER queue_day_counts_delete AFTER DELETE ON missing_referrals
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION queue_day_counts_change();

-- An incident on the queue that moves department moves its item's count with it. A row trigger
-- whose WHEN is checked without calling the function, so an import that rewrites a million
-- incidents without moving any pays nothing here.
CREATE FUNCTION queue_day_counts_incident_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_day_counts (department, queued_day, closed_day, n)
        SELECT t.department, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''), t.n
        FROM missing_referrals m
        CROSS JOIN (VALUES (OLD.department, -1), (NEW.department, 1)) AS t (department, n)
        WHERE m.incident_id = NEW.id
        ORDER BY 1
        ON CONFLICT (department, queued_day, closed_day)
            DO UPDATE SET n = queue_day_counts.n + EXCLUDED.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER queue_day_counts_incident_department AFTER UPDATE OF department ON incidents
    FOR EACH ROW WHEN (OLD.department IS DISTINCT FROM NEW.department)
    EXECUTE FUNCTION queue_day_counts_incident_department();
