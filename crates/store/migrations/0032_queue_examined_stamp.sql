-- The missing-referral queue's refresh looks at incidents changed since `changed_since` (a few
-- minutes before the last refresh, for writers that stamped their rows just before taking their
-- lock). A first load of incidents builds the queue in its own transaction from every row it
-- wrote, all stamped `updated_at` = the load's instant: `examined_stamp` names that instant, so
-- that the next refresh passes those rows over (any later change stamps them anew) instead of
-- examining the whole register again. NULL when no such load is within reach.
ALTER TABLE queue_refresh_state ADD COLUMN examined_stamp TEXT;
