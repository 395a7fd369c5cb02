//! Rules for accounts: usernames, passwords and the sign-in lock-out.

use time::{Duration, OffsetDateTime};

pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 128;
/// Consecutive failed sign-ins before a username is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a lock lasts.
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

/// The throttle after one more failure at `now`.
pub fn after_failure(t: Option<&Throttle>, now: OffsetDateTime) -> Throttle {
    let previous = t
        .filter(|t| {
            now - t.last_failure_at <= FAILURE_WINDOW && t.locked_until.is_none_or(|u| u > now)
        })
        .map(|t| t.failures)
        .unwrap_or(0);
    let failures = previous + 1;
    Throttle {
        failures,
        last_failure_at: now,
        locked_until: (failures >= MAX_FAILURES).then_some(now + LOCKOUT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn five_failures_in_a_row_lock_the_username_for_fifteen_minutes() {
        let now = datetime!(2026-01-01 09:00 UTC);
        let mut t = None;
        for i in 0..MAX_FAILURES {
            let next = after_failure(t.as_ref(), now + Duration::seconds(i));
            t = Some(next);
        }
        let t = t.unwrap();
        assert_eq!(t.failures, 5);
        let until = is_locked(Some(&t), now + Duration::minutes(1)).unwrap();
        assert_eq!(until, now + Duration::seconds(4) + LOCKOUT);
        assert!(is_locked(Some(&t), now + Duration::minutes(20)).is_none());
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
    fn after_a_lock_expires_the_count_starts_again() {
        let now = datetime!(2026-01-01 09:00 UTC);
        let t = Throttle {
            failures: 5,
            last_failure_at: now - Duration::minutes(16),
            locked_until: Some(now - Duration::minutes(1)),
        };
        let next = after_failure(Some(&t), now);
        assert_eq!(next.failures, 1);
        assert!(next.locked_until.is_none());
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
