CREATE TABLE incident_day_counts (
    day TEXT COLLATE "C" PRIMARY KEY,
    n BIGINT NOT NULL
);
CREATE TABLE referral_day_subject_counts (
    day TEXT COLLATE "C" NOT NULL,
    subject_type TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, subject_type)
);
CREATE TABLE referral_day_partner_counts (
    day TEXT COLLATE "C" NOT NULL,
    partner TEXT COLLATE "C" NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, partner)
);

INSERT INTO incident_day_counts (day, n)
    SELECT substr(reported_at, 1, 10), COUNT(*) FROM incidents GROUP BY 1;
INSERT INTO referral_day_subject_counts (day, subject_type, n)
    SELECT substr(submitted_at, 1, 10), subject_type, COUNT(*) FROM referrals GROUP BY 1, 2;
INSERT INTO referral_day_partner_counts (day, partner, n)
    SELECT substr(submitted_at, 1, 10), partner, COUNT(*) FROM referrals GROUP BY 1, 2;

-- Statement triggers: a bulk insert or upsert changes each day's count once, by the net
-- difference of the rows it wrote (in day order, so concurrent writers lock days in one order).
CREATE FUNCTION incident_day_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO incident_day_counts (day, n)
            SELECT substr(reported_at, 1, 10), COUNT(*) FROM new_rows GROUP BY 1 ORDER BY 1
            ON CONFLICT (day) DO UPDATE SET n = incident_day_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE incident_day_counts c SET n = c.n - d.n
            FROM (SELECT substr(reported_at, 1, 10) AS day, COUNT(*) AS n FROM old_rows GROUP BY 1) d
            WHERE c.day = d.day;
    ELSE
        INSERT INTO incident_day_counts (day, n)
            SELECT day, SUM(n) FROM (
                SELECT substr(reported_at, 1, 10) AS day, 1 AS n FROM new_rows
                UNION ALL
                SELECT substr(reported_at, 1, 10), -1 FROM old_rows
            ) t GROUP BY day HAVING SUM(n) <> 0 ORDER BY day
            ON CONFLICT (day) DO UPDATE SET n = incident_day_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_day_counts_insert AFTER INSERT ON incidents
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incident_day_counts_change();
CREATE TRIGGER incident_day_counts_update AFTER UPDATE ON incidents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incident_day_counts_change();
CREATE TRIGGER incident_day_counts_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incident_day_counts_change();

CREATE FUNCTION referral_day_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO referral_day_subject_counts (day, subject_type, n)
            SELECT substr(submitted_at, 1, 10), subject_type, COUNT(*) FROM new_rows
            GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (day, subject_type) DO UPDATE SET n = referral_day_subject_counts.n + EXCLUDED.n;
        INSERT INTO referral_day_partner_counts (day, partner, n)
            SELECT substr(submitted_at, 1, 10), partner, COUNT(*) FROM new_rows
            GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (day, partner) DO UPDATE SET n = referral_day_partner_counts.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE referral_day_subject_counts c SET n = c.n - d.n
            FROM (SELECT substr(submitted_at, 1, 10) AS day, subject_type, COUNT(*) AS n
                  FROM old_rows GROUP BY 1, 2) d
            WHERE c.day = d.day AND c.subject_type = d.subject_type;
        UPDATE referral_day_partner_counts c SET n = c.n - d.n
            FROM (SELECT substr(submitted_at, 1, 10) AS day, partner, COUNT(*) AS n
                  FROM old_rows GROUP BY 1, 2) d
            WHERE c.day = d.day AND c.partner = d.partner;
    ELSE
        INSERT INTO referral_day_subject_counts (day, subject_type, n)
            SELECT day, subject_type, SUM(n) FROM (
                SELECT substr(submitted_at, 1, 10) AS day, subject_type, 1 AS n FROM new_rows
                UNION ALL
                SELECT substr(submitted_at, 1, 10), subject_type, -1 FROM old_rows
            ) t GROUP BY day, subject_type HAVING SUM(n) <> 0 ORDER BY day, subject_type
            ON CONFLICT (day, subject_type) DO UPDATE SET n = referral_day_subject_counts.n + EXCLUDED.n;
        INSERT INTO referral_day_partner_counts (day, partner, n)
            SELECT day, partner, SUM(n) FROM (
                SELECT substr(submitted_at, 1, 10) AS day, partner, 1 AS n FROM new_rows
                UNION ALL
                SELECT substr(submitted_at, 1, 10), partner, -1 FROM old_rows
            ) t GROUP BY day, partner HAVING SUM(n) <> 0 ORDER BY day, partner
            ON CONFLICT (day, partner) DO UPDATE SET n = referral_day_partner_counts.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER referral_day_counts_insert AFTER INSERT ON referrals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION referral_day_counts_change();
CREATE TRIGGER referral_day_counts_update AFTER UPDATE ON referrals
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION referral_day_counts_change();
CREATE TRIGGER referral_day_counts_delete AFTER DELETE ON referrals
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION referral_day_counts_change();

-- The missing-referral queue's link to its incident, checked once per statement instead of once
-- per row. A foreign key checks (and locks) the incident of every queue row one at a time: half
-- the time of a refresh that queues 10,000 incidents. The rule is the same, and so is the error
-- (foreign_key_violation): a queue row must name an incident on the register, and an incident
-- on the queue can be neither deleted nor renumbered. A delete waits for anyone still writing
-- queue rows (the SHARE lock), so the two cannot cross.
ALTER TABLE missing_referrals DROP CONSTRAINT IF EXISTS missing_referrals_incident_id_fkey;
CREATE FUNCTION missing_referrals_incident_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing BIGINT;
BEGIN
    SELECT n.incident_id INTO missing FROM new_rows n
        WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = n.incident_id)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert or update on table "missing_referrals" violates foreign key constraint "missing_referrals_incident_id_fkey"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (incident_id)=(%s) is not present in table "incidents".', missing);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER missing_referrals_incident_insert AFTER INSERT ON missing_referrals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION missing_referrals_incident_check();
CREATE TRIGGER missing_referrals_incident_update AFTER UPDATE ON missing_referrals
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION missing_referrals_incident_check();

CREATE FUNCTION incidents_queued_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    queued BIGINT;
BEGIN
    LOCK TABLE missing_referrals IN SHARE MODE;
    SELECT m.incident_id INTO queued FROM old_rows o JOIN missing_referrals m ON m.incident_id = o.id
        WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = o.id)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'update or delete on table "incidents" violates foreign key constraint "missing_referrals_incident_id_fkey" on table "missing_referrals"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "missing_referrals".', queued);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incidents_queued_delete AFTER DELETE ON incidents
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_queued_check();
CREATE FUNCTION incidents_queued_renumber() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE missing_referrals IN SHARE MODE;
    IF EXISTS (SELECT 1 FROM missing_referrals m WHERE m.incident_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "incidents" violates foreign key constraint "missing_referrals_incident_id_fkey" on table "missing_referrals"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "missing_referrals".', OLD.id);
    END IF;
    RETURN NEW;
END
$$;
-- Only an update that changes an incident's id runs it (the register's imports never do).
CREATE TRIGGER incidents_queued_renumber AFTER UPDATE OF id ON incidents
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION incidents_queued_renumber();
