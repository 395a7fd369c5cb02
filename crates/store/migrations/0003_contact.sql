-- People gain an optional e-mail address (reminder digests, session invitations).
ALTER TABLE people ADD COLUMN email TEXT;
