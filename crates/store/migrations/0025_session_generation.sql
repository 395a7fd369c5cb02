-- Each account's sign-in session generation. A session remembers the generation it signed in
-- under; a password change, a reset by an administrator, disabling the account or "sign out of
-- every other device" raises it, and every session holding an older one is signed out on its
-- next request. Sessions from before this migration hold none, read as 0, and stay signed in.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
