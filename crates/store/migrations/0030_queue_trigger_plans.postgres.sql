-- The queue's statement triggers plan their statements afresh on every call (EXECUTE), for the
-- number of rows the statement wrote and the settings in force.
--
-- PL/pgSQL keeps the plan of a statement without parameters for the rest of the connection, made
-- at its first call. The first call is often the full refresh, which queues hundreds of
-- thousands of items with nested loops turned off (see `queue::refresh`), or an import's: its
-- plan (a hash or merge join reading all of `incidents`) was then reused for every later
-- refresh of 10,000 items on that connection, about 250 ms for the day counts and 130 ms for the
-- incident check at 1,000,000 incidents where looking each item's incident up takes about 20 ms
-- each. Planning these small statements costs well under a millisecond.
CREATE OR REPLACE FUNCTION missing_referrals_incident_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
BEGIN
    EXECUTE 'SELECT n.incident_id FROM new_rows n
        WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = n.incident_id)
        LIMIT 1' INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "missing_referrals" violates foreign key constraint "missing_referrals_incident_id_fkey"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (incident_id)=(%s) is not present in table "incidents".', missing);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION queue_day_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO queue_day_counts (department, queued_day, closed_day, n)
            SELECT i.department, substr(m.queued_at, 1, 10), COALESCE(substr(m.closed_at, 1, 10), ''''),
                COUNT(*)
            FROM new_rows m JOIN incidents i ON i.id = m.incident_id
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (department, queued_day, closed_day)
                DO UPDATE SET n = queue_day_counts.n + EXCLUDED.n';
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'UPDATE queue_day_counts c SET n = c.n - d.n
            FROM (SELECT i.department, substr(m.queued_at, 1, 10) AS queued_day,
                      COALESCE(substr(m.closed_at, 1, 10), '''') AS closed_day, COUNT(*) AS n
                  FROM old_rows m JOIN incidents i ON i.id = m.incident_id
                  GROUP BY 1, 2, 3) d
            WHERE c.department = d.department AND c.queued_day = d.queued_day
              AND c.closed_day = d.closed_day';
    ELSE
        EXECUTE 'INSERT INTO queue_day_counts (department, queued_day, closed_day, n)
            SELECT department, queued_day, closed_day, SUM(n) FROM (
                SELECT i.department, substr(m.queued_at, 1, 10) AS queued_day,
                    COALESCE(substr(m.closed_at, 1, 10), '''') AS closed_day, 1 AS n
                FROM new_rows m JOIN incidents i ON i.id = m.incident_id
                UNION ALL
                SELECT i.department, substr(m.queued_at, 1, 10),
                    COALESCE(substr(m.closed_at, 1, 10), ''''), -1
                FROM old_rows m JOIN incidents i ON i.id = m.incident_id
            ) t GROUP BY department, queued_day, closed_day HAVING SUM(n) <> 0
            ORDER BY department, queued_day, closed_day
            ON CONFLICT (department, queued_day, closed_day)
                DO UPDATE SET n = queue_day_counts.n + EXCLUDED.n';
    END IF;
    RETURN NULL;
END
$$;
