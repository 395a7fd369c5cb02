//! Frontline delivery: sessions, enrolment, outbox, attendance, Teams reports, coverage.

pub mod attendance;
pub mod coverage;
pub mod enrolment;
pub mod outbox;
pub mod sessions;
pub mod teams;

/// True once any session has been scheduled (demo seeding runs once).
pub async fn any_sessions(store: &crate::Store) -> crate::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM training_sessions")
        .fetch_one(store.pool())
        .await?;
    Ok(n > 0)
}

/// Drops every unsent message from the outbox: the demo force's invitations were never real.
pub async fn discard_unsent_mail(store: &crate::Store) -> crate::Result<u64> {
    let done = sqlx::query("DELETE FROM mail_outbox WHERE sent_at IS NULL")
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
