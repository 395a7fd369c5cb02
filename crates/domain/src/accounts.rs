//! Rules for accounts: usernames, passwords and the sign-in lock-out.

use time::{Duration, OffsetDateTime};

pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 128;
/// Failed sign-ins in a row to one account from one place (a browser's address) before that
/// place must wait. Someone else's wrong guesses, from somewhere else, do not make the account's
/// owner wait.
pub const MAX_FAILURES: i64 = 5;
/// Failed sign-ins in a row to one account from anywhere before everyone must wait: guessing
/// spread over many places is slowed too, long after a real person would have asked for help.
pub const MAX_FAILURES_ANYWHERE: i64 = 50;
/// The first wait; each further failure doubles it, up to [`LOCKOUT`].
pub const FIRST_WAIT: Duration = Duration::minutes(1);
/// The longest wait.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// Failures older than this are forgotten.
pub const FAILURE_WINDOW: Duration = Duration::minutes(30);

/// A username: 3–64 characters, lower-case letters, digits, `.`, `_` or `-`.
pub fn check_username(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_ascii_lowercase();
    if s.len() < 3 || s.len() > 64 {
        return Err("Username must be between 3 and 64 characters".into());
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "Username must only include letters, numbers, dots, hyphens and underscores".into(),
        );
    }
    Ok(s)
}

/// A password: 12–128 characters and not the username.
pub fn check_password(password: &str, username: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(format!(
            "Password must be at least {MIN_PASSWORD} characters"
        ));
    }
    if n > MAX_PASSWORD {
        return Err(format!(
            "Password must be {MAX_PASSWORD} characters or fewer"
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err("Password must not be the same as the username".into());
    }
    Ok(())
}

/// What the throttle knows about a username.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub failures: i64,
    pub last_failure_at: OffsetDateTime,
    pub locked_until: Option<OffsetDateTime>,
}

/// True while a lock is in force.
pub fn is_locked(t: Option<&Throttle>, now: OffsetDateTime) -> Option<OffsetDateTime> {
    t.and_then(|t| t.locked_until).filter(|until| *until > now)
}

/// The throttle after one more failure at `now`, with the usual threshold ([`MAX_FAILURES`]).
pub fn after_failure(t: Option<&Throttle>, now: OffsetDateTime) -> Throttle {
    after_failure_over(t, now, MAX_FAILURES)
}

/// The throttle after one more failure at `now`: from the `threshold`-th failure in a row the
/// next attempt must wait, one minute at first and twice as long after each further failure, up
/// to fifteen minutes. Failures more than half an hour apart start the count again.
pub fn after_failure_over(t: Option<&Throttle>, now: OffsetDateTime, threshold: i64) -> Throttle {
    let previous = t
        .filter(|t| now - t.last_failure_at <= FAILURE_WINDOW)
        .map(|t| t.failures)
        .unwrap_or(0);
    let failures = previous + 1;
    Throttle {
        failures,
        last_failure_at: now,
        locked_until: (failures >= threshold).then(|| now + wait(failures - threshold)),
    }
}

/// The wait after `extra` failures beyond the threshold: 1, 2, 4, 8, then 15 minutes.
fn wait(extra: i64) -> Duration {
    let minutes = 1i64
        .checked_shl(extra.clamp(0, 10) as u32)
        .unwrap_or(i64::MAX);
    (FIRST_WAIT * minutes as i32).min(LOCKOUT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_fifth_failure_in_a_row_makes_the_next_attempt_wait_a_minute() {
        let now = datetime!(2026-01-01 09:00 UTC);
        let mut t = None;
        for i in 0..MAX_FAILURES {
            let next = after_failure(t.as_ref(), now + Duration::seconds(i));
            t = Some(next);
        }
        let t = t.unwrap();
        assert_eq!(t.failures, 5);
        let until = is_locked(Some(&t), now + Duration::seconds(30)).unwrap();
        assert_eq!(until, now + Duration::seconds(4) + FIRST_WAIT);
        assert!(is_locked(Some(&t), now + Duration::minutes(2)).is_none());
    }

    #[test]
    fn old_failures_are_forgotten() {
        let now = datetime!(2026-01-01 09:00 UTC);
        let t = Throttle {
            failures: 4,
            last_failure_at: now - Duration::hours(1),
            locked_until: None,
        };
        assert_eq!(after_failure(Some(&t), now).failures, 1);
    }

    #[test]
    fn each_failure_after_a_wait_doubles_the_next_wait_up_to_fifteen_minutes() {
        let now = datetime!(2026-01-01 09:00 UTC);
        let waits: Vec<i64> = (5..=10)
            .map(|failures| {
                let t = Throttle {
                    failures: failures - 1,
                    last_failure_at: now - Duration::minutes(2),
                    locked_until: Some(now - Duration::minutes(1)),
                };
                let next = after_failure(Some(&t), now);
                (next.locked_until.unwrap() - now).whole_minutes()
            })
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 15, 15]);
    }

    #[test]
    fn guesses_from_anywhere_are_slowed_only_after_many_more() {
        let now = datetime!(2026-01-01 09:00 UTC);
        let t = Throttle {
            failures: MAX_FAILURES_ANYWHERE - 2,
            last_failure_at: now,
            locked_until: None,
        };
        assert!(after_failure_over(Some(&t), now, MAX_FAILURES_ANYWHERE)
            .locked_until
            .is_none());
        let t = after_failure_over(Some(&t), now, MAX_FAILURES_ANYWHERE);
        assert!(after_failure_over(Some(&t), now, MAX_FAILURES_ANYWHERE)
            .locked_until
            .is_some());
    }

    #[test]
    fn passwords_and_usernames_follow_the_rules() {
        assert!(check_password("short", "bob").is_err());
        assert!(check_password("demo-password", "demo-admin").is_ok());
        assert!(check_password("Bob-the-builder", "bob-the-builder").is_err());
        assert_eq!(check_username(" Demo-Admin ").unwrap(), "demo-admin");
        assert!(check_username("a b").is_err());
        assert!(check_username("ab").is_err());
    }
}
