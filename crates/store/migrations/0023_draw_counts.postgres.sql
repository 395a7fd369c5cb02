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
