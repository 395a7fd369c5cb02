//! Accounts: argon2id password hashes, roles, sign-in with lock-out, API tokens.

use crate::audit_trail::{self, Actor, Event};
use crate::session_cache::invalidate_account;
use crate::{
    instant_text, is_unique_violation, now_text, parse_instant, Result, Store, StoreError,
};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use mashboard_domain::accounts::{self as rules, Throttle};
use mashboard_domain::people::StaffNumber;
use mashboard_domain::Role;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use time::OffsetDateTime;

/// An account with its roles and the person it is linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub roles: Vec<Role>,
    pub person_id: Option<i64>,
    pub staff_number: Option<String>,
    pub person_name: Option<String>,
    pub disabled: bool,
    pub created_at: String,
    pub last_sign_in_at: Option<String>,
    /// The sign-in session generation: a session signed in under an older one is over (see
    /// [`end_sessions`]). Not shown anywhere.
    #[serde(skip)]
    pub session_generation: i64,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    username: String,
    person_id: Option<i64>,
    staff_number: Option<String>,
    person_name: Option<String>,
    #[sqlx(try_from = "crate::Flag")]
    disabled: bool,
    created_at: String,
    last_sign_in_at: Option<String>,
    password_hash: Option<String>,
    session_generation: i64,
}

const SELECT_ACCOUNT: &str =
    "SELECT u.id, u.username, u.person_id, p.staff_number, p.name AS person_name,
        u.disabled, u.created_at, u.last_sign_in_at, u.password_hash,
        u.session_generation
    FROM users u LEFT JOIN people p ON p.id = u.person_id";

async fn roles_of(store: &Store, user_id: i64) -> Result<Vec<Role>> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
            .bind(user_id)
            .fetch_all(store.pool())
            .await?;
    let mut roles: Vec<Role> = names.iter().filter_map(|n| n.parse().ok()).collect();
    roles.sort();
    Ok(roles)
}

async fn hydrate(store: &Store, row: AccountRow) -> Result<(Account, Option<String>)> {
    let roles = roles_of(store, row.id).await?;
    Ok((
        Account {
            id: row.id,
            username: row.username,
            roles,
            person_id: row.person_id,
            staff_number: row.staff_number,
            person_name: row.person_name,
            disabled: row.disabled,
            created_at: row.created_at,
            last_sign_in_at: row.last_sign_in_at,
            session_generation: row.session_generation,
        },
        row.password_hash,
    ))
}

pub async fn by_username(store: &Store, username: &str) -> Result<Option<Account>> {
    Ok(match find_row(store, username).await? {
        Some(row) => Some(hydrate(store, row).await?.0),
        None => None,
    })
}

async fn find_row(store: &Store, username: &str) -> Result<Option<AccountRow>> {
    let sql = format!("{SELECT_ACCOUNT} WHERE u.username = $1");
    Ok(sqlx::query_as::<_, AccountRow>(&sql)
        .bind(username.trim().to_ascii_lowercase())
        .fetch_optional(store.pool())
        .await?)
}

pub async fn by_id(store: &Store, id: i64) -> Result<Option<Account>> {
    let sql = format!("{SELECT_ACCOUNT} WHERE u.id = $1");
    let row = sqlx::query_as::<_, AccountRow>(&sql)
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(row) => Some(hydrate(store, row).await?.0),
        None => None,
    })
}

/// The account, from the in-memory cache when it holds it (see `session_cache.rs`: every change
/// to the account made through this module ends the entry, on every instance): for reading who
/// is signed in on each request.
pub async fn by_id_cached(store: &Store, id: i64) -> Result<Option<Account>> {
    let cache = store.session_cache();
    if let Some(a) = cache.account(store, id) {
        return Ok(Some(a));
    }
    let ticket = cache.ticket(store);
    let account = by_id(store, id).await?;
    if let Some(a) = &account {
        cache.put_account(ticket, a);
    }
    Ok(account)
}

pub async fn list(store: &Store) -> Result<Vec<Account>> {
    let sql = format!("{SELECT_ACCOUNT} ORDER BY u.username");
    let rows = sqlx::query_as::<_, AccountRow>(&sql)
        .fetch_all(store.pool())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(hydrate(store, row).await?.0);
    }
    Ok(out)
}

/// Hashes a password with argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to check against when the username is unknown, so both paths take the same time.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("not a real password, only for timing"))
}

/// What a new account is made of.
pub struct NewAccount<'a> {
    pub username: &'a str,
    pub roles: &'a [Role],
    pub staff_number: Option<&'a StaffNumber>,
    pub password: Option<&'a str>,
}

/// Creates an account. The username and password follow the rules in the domain; the staff
/// number, if given, must be in the directory and not linked to another account.
pub async fn create(store: &Store, actor: &Actor, new: NewAccount<'_>) -> Result<Account> {
    let username = rules::check_username(new.username).map_err(StoreError::Invalid)?;
    if new.roles.is_empty() {
        return Err(StoreError::Invalid(
            "Give the account at least one role".into(),
        ));
    }
    if let Some(pw) = new.password {
        rules::check_password(pw, &username).map_err(StoreError::Invalid)?;
    }
    let mut tx = store.begin().await?;
    let person_id = match new.staff_number {
        None => None,
        Some(sn) => Some(
            sqlx::query_scalar::<_, i64>("SELECT id FROM people WHERE staff_number = $1")
                .bind(sn.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| {
                    StoreError::Invalid(format!("No one in the directory has staff number {sn}"))
                })?,
        ),
    };
    let hash = new.password.map(hash_password);
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (username, password_hash, person_id, disabled, created_at)
         VALUES ($1, $2, $3, 0, $4) RETURNING id",
    )
    .bind(&username)
    .bind(hash)
    .bind(person_id)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!(
                "The username {username} is taken, or that person already has an account"
            )))
        }
        other => other?,
    };
    for role in new.roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new("account.create", format!("Created account {username}"))
            .on("account", &username)
            .after(&serde_json::json!({
                "roles": new.roles,
                "staff_number": new.staff_number,
            })),
    )
    .await?;
    tx.commit().await?;
    by_id(store, id)
        .await?
        .ok_or_else(|| StoreError::NotFound("account vanished after insert".into()))
}

async fn must_find(store: &Store, username: &str) -> Result<Account> {
    by_username(store, username)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("There is no account called {username}")))
}

pub async fn set_disabled(
    store: &Store,
    actor: &Actor,
    username: &str,
    disabled: bool,
) -> Result<Account> {
    let account = must_find(store, username).await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    if disabled {
        // A disabled account keeps no way in: its sessions and tokens end now (and enabling it
        // again does not bring the old sessions back).
        next_generation(&mut tx, account.id).await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_text())
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            if disabled {
                "account.disable"
            } else {
                "account.enable"
            },
            format!(
                "{} account {}",
                if disabled { "Disabled" } else { "Enabled" },
                account.username
            ),
        )
        .on("account", &account.username),
    )
    .await?;
    tx.commit().await?;
    invalidate_account(store, account.id).await;
    must_find(store, username).await
}

pub async fn set_roles(
    store: &Store,
    actor: &Actor,
    username: &str,
    roles: &[Role],
) -> Result<Account> {
    if roles.is_empty() {
        return Err(StoreError::Invalid(
            "Give the account at least one role".into(),
        ));
    }
    let account = must_find(store, username).await?;
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    for role in roles {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(account.id)
            .bind(role.as_str())
            .execute(&mut *tx)
            .await?;
    }
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "account.roles",
            format!("Changed roles of {}", account.username),
        )
        .on("account", &account.username)
        .before(&account.roles)
        .after(&roles),
    )
    .await?;
    tx.commit().await?;
    invalidate_account(store, account.id).await;
    must_find(store, username).await
}

/// Sets an account's password (an administrator's reset, or the command line): every session
/// of the account ends, so whoever held one must sign in with the new password.
pub async fn set_password(
    store: &Store,
    actor: &Actor,
    username: &str,
    password: &str,
) -> Result<()> {
    write_password(store, actor, username, password).await?;
    Ok(())
}

/// Changes one's own password: every session of the account ends, and the returned generation
/// is the one the session that made the change must now hold (see [`end_sessions`]) to stay
/// signed in.
pub async fn change_own_password(
    store: &Store,
    actor: &Actor,
    username: &str,
    password: &str,
) -> Result<i64> {
    write_password(store, actor, username, password).await
}

async fn write_password(
    store: &Store,
    actor: &Actor,
    username: &str,
    password: &str,
) -> Result<i64> {
    let account = must_find(store, username).await?;
    rules::check_password(password, &account.username).map_err(StoreError::Invalid)?;
    // Hashed before the transaction: on SQLite it holds the write lock, and hashing is slow.
    let hash = hash_password(password);
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    let (generation, _) = next_generation(&mut tx, account.id).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "account.password",
            format!(
                "Changed the password of {} and ended its other sign-in sessions",
                account.username
            ),
        )
        .on("account", &account.username),
    )
    .await?;
    tx.commit().await?;
    invalidate_account(store, account.id).await;
    Ok(generation)
}

/// Raises the account's sign-in session generation in `tx` and returns the new one, with the
/// account's username.
async fn next_generation(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    account_id: i64,
) -> Result<(i64, String)> {
    Ok(sqlx::query_as::<_, (i64, String)>(
        "UPDATE users SET session_generation = session_generation + 1 WHERE id = $1
         RETURNING session_generation, username",
    )
    .bind(account_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Ends every sign-in session of the account: a session remembers the generation it signed in
/// under, and the web layer signs out any whose generation is no longer the account's. Used for
/// "sign out of every other device": the returned generation is the one the asking session must
/// now hold to stay signed in. Audited.
pub async fn end_sessions(store: &Store, actor: &Actor, account_id: i64) -> Result<i64> {
    let mut tx = store.begin().await?;
    let (generation, username) = next_generation(&mut tx, account_id).await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "account.sign_out_others",
            format!("Signed {username} out of every other device"),
        )
        .on("account", &username),
    )
    .await?;
    tx.commit().await?;
    invalidate_account(store, account_id).await;
    Ok(generation)
}

/// Checks a user's current password (for a change-password form).
pub async fn check_current_password(store: &Store, username: &str, password: &str) -> Result<bool> {
    let row = find_row(store, username).await?;
    let hash = row.as_ref().and_then(|r| r.password_hash.clone());
    Ok(verify_password(password, hash.as_deref().unwrap_or(dummy_hash())) && hash.is_some())
}

/// The outcome of a sign-in attempt. `Refused` never says whether the username exists.
#[derive(Debug)]
pub enum SignIn {
    Ok(Account),
    Refused,
    Locked { until: OffsetDateTime },
}

#[derive(sqlx::FromRow)]
struct ThrottleRow {
    failures: i64,
    last_failure_at: String,
    locked_until: Option<String>,
}

async fn throttle_of(store: &Store, username: &str) -> Result<Option<Throttle>> {
    let row = sqlx::query_as::<_, ThrottleRow>(
        "SELECT failures, last_failure_at, locked_until FROM sign_in_throttle WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.and_then(|r| {
        Some(Throttle {
            failures: r.failures,
            last_failure_at: parse_instant(&r.last_failure_at)?,
            locked_until: r.locked_until.as_deref().and_then(parse_instant),
        })
    }))
}

/// Checks a username and password, applying the throttle and recording the attempt, with no
/// place known (the command line): five failures in a row make the account wait.
pub async fn sign_in(store: &Store, username: &str, password: &str) -> Result<SignIn> {
    sign_in_from(store, username, password, None).await
}

/// Checks a username and password from `source` (the browser's address), applying the throttle
/// and recording the attempt. Five failures in a row from one place make that place wait (a
/// minute, doubling to fifteen); someone guessing from elsewhere does not make the owner wait,
/// until fifty failures in a row from anywhere slow everyone. With no source, the account key
/// alone is throttled from the fifth failure.
pub async fn sign_in_from(
    store: &Store,
    username: &str,
    password: &str,
    source: Option<&str>,
) -> Result<SignIn> {
    let key = username.trim().to_ascii_lowercase();
    let key: String = key.chars().take(64).collect();
    let place = source.map(|s| format!("{key}@{}", s.chars().take(64).collect::<String>()));
    let account_threshold = if place.is_some() {
        rules::MAX_FAILURES_ANYWHERE
    } else {
        rules::MAX_FAILURES
    };
    let now = OffsetDateTime::now_utc();
    let account_throttle = throttle_of(store, &key).await?;
    let place_throttle = match &place {
        Some(p) => throttle_of(store, p).await?,
        None => None,
    };
    let locked = [
        rules::is_locked(account_throttle.as_ref(), now),
        rules::is_locked(place_throttle.as_ref(), now),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(until) = locked {
        audit_trail::record(
            store,
            &Actor {
                user_id: None,
                name: key.clone(),
            },
            Event::new(
                "sign_in.locked",
                "Sign-in refused: too many failed attempts; waiting",
            )
            .on("account", &key),
        )
        .await?;
        return Ok(SignIn::Locked { until });
    }
    let row = find_row(store, &key).await?;
    let hash = row.as_ref().and_then(|r| r.password_hash.clone());
    let password_ok =
        verify_password(password, hash.as_deref().unwrap_or(dummy_hash())) && hash.is_some();
    let usable = row.as_ref().is_some_and(|r| !r.disabled);
    if password_ok && usable {
        let row = row.expect("usable implies a row");
        let mut tx = store.begin().await?;
        for k in std::iter::once(&key).chain(place.as_ref()) {
            sqlx::query("DELETE FROM sign_in_throttle WHERE username = $1")
                .bind(k)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
            .bind(now_text())
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
        audit_trail::record_on(
            &mut tx,
            &Actor::user(row.id, &row.username),
            Event::new("sign_in.success", "Signed in").on("account", &row.username),
        )
        .await?;
        tx.commit().await?;
        invalidate_account(store, row.id).await;
        let (account, _) = hydrate(store, row).await?;
        return Ok(SignIn::Ok(account));
    }
    let next_account = rules::after_failure_over(account_throttle.as_ref(), now, account_threshold);
    let next_place = place
        .as_ref()
        .map(|_| rules::after_failure(place_throttle.as_ref(), now));
    let mut tx = store.begin().await?;
    let mut writes = vec![(&key, next_account)];
    if let (Some(p), Some(t)) = (place.as_ref(), next_place) {
        writes.push((p, t));
    }
    for (k, t) in &writes {
        sqlx::query("DELETE FROM sign_in_throttle WHERE username = $1")
            .bind(*k)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sign_in_throttle (username, failures, last_failure_at, locked_until) VALUES ($1, $2, $3, $4)",
        )
        .bind(*k)
        .bind(t.failures)
        .bind(instant_text(t.last_failure_at))
        .bind(t.locked_until.map(instant_text))
        .execute(&mut *tx)
        .await?;
    }
    let why = if row.is_none() {
        "unknown username"
    } else if !usable {
        "account disabled"
    } else {
        "wrong password"
    };
    let in_a_row = next_place.unwrap_or(next_account).failures;
    audit_trail::record_on(
        &mut tx,
        &Actor {
            user_id: row.as_ref().map(|r| r.id),
            name: key.clone(),
        },
        Event::new(
            "sign_in.failure",
            format!("Sign-in failed ({why}); {in_a_row} in a row"),
        )
        .on("account", &key),
    )
    .await?;
    tx.commit().await?;
    let until = [
        next_account.locked_until,
        next_place.and_then(|t| t.locked_until),
    ]
    .into_iter()
    .flatten()
    .max();
    Ok(match until {
        Some(until) => SignIn::Locked { until },
        None => SignIn::Refused,
    })
}

/// Lifts a lock-out.
pub async fn unlock(store: &Store, actor: &Actor, username: &str) -> Result<()> {
    let key = username.trim().to_ascii_lowercase();
    let mut tx = store.begin().await?;
    // The account's own key and every place's key (`name@address`; usernames hold no `@`).
    sqlx::query("DELETE FROM sign_in_throttle WHERE username = $1 OR username LIKE $2 ESCAPE '\\'")
        .bind(&key)
        .bind(format!(
            "{}@%",
            key.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        ))
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "account.unlock",
            format!("Lifted the sign-in lock on {key}"),
        )
        .on("account", &key),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// When a username is locked, until when.
pub async fn locked_until(store: &Store, username: &str) -> Result<Option<OffsetDateTime>> {
    let key = username.trim().to_ascii_lowercase();
    Ok(rules::is_locked(
        throttle_of(store, &key).await?.as_ref(),
        OffsetDateTime::now_utc(),
    ))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an API token for an account and returns it. Only its hash is stored.
pub async fn create_token(
    store: &Store,
    actor: &Actor,
    username: &str,
    label: &str,
) -> Result<String> {
    let account = must_find(store, username).await?;
    if account.disabled {
        return Err(StoreError::Invalid(format!(
            "The account {username} is disabled"
        )));
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("mbt_{}", hex::encode(bytes));
    let label = if label.trim().is_empty() {
        "API token"
    } else {
        label.trim()
    };
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account.id)
    .bind(token_hash(&token))
    .bind(label)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "token.create",
            format!("Created API token \"{label}\" for {}", account.username),
        )
        .on("account", &account.username),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The live account a bearer token belongs to, if the token is valid.
pub async fn account_for_token(store: &Store, token: &str) -> Result<Option<Account>> {
    let user_id: Option<i64> = sqlx::query_scalar(
        "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0",
    )
    .bind(token_hash(token.trim()))
    .fetch_optional(store.pool())
    .await?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
        .bind(now_text())
        .bind(token_hash(token.trim()))
        .execute(store.pool())
        .await?;
    by_id(store, user_id).await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: i64,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

pub async fn tokens_of(store: &Store, user_id: i64) -> Result<Vec<TokenInfo>> {
    Ok(sqlx::query_as::<_, TokenInfo>(
        "SELECT id, label, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(store.pool())
    .await?)
}

pub async fn revoke_token(store: &Store, actor: &Actor, user_id: i64, token_id: i64) -> Result<()> {
    let mut tx = store.begin().await?;
    let n = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now_text())
        .bind(token_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(
            "That token does not exist or is already revoked".into(),
        ));
    }
    let username: String = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "token.revoke",
            format!("Revoked API token {token_id} of {username}"),
        )
        .on("account", &username),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Number of accounts.
pub async fn count(store: &Store) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
        .fetch_one(store.pool())
        .await?)
}

/// The longest partner agency name an account can hold.
pub const MAX_PARTNER_AGENCY: usize = 200;

/// A partner reviewer's agency (e.g. "Children's social care"), if one is set. A partner
/// reviewer sees and records outcomes for this agency only.
pub async fn partner_agency(store: &Store, user_id: i64) -> Result<Option<String>> {
    let v: Option<Option<String>> =
        sqlx::query_scalar("SELECT partner_agency FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(store.pool())
            .await?;
    Ok(v.flatten()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()))
}

/// Sets (or, with `None` or blank, clears) an account's partner agency. Audited with before and
/// after.
pub async fn set_partner_agency(
    store: &Store,
    actor: &Actor,
    username: &str,
    agency: Option<&str>,
) -> Result<Account> {
    let account = must_find(store, username).await?;
    let agency = agency.map(str::trim).filter(|a| !a.is_empty());
    if let Some(a) = agency {
        if a.chars().count() > MAX_PARTNER_AGENCY {
            return Err(StoreError::Invalid(format!(
                "The partner agency must be {MAX_PARTNER_AGENCY} characters or fewer"
            )));
        }
        if a.chars().any(char::is_control) {
            return Err(StoreError::Invalid(
                "The partner agency must be one line of text".into(),
            ));
        }
    }
    let before = partner_agency(store, account.id).await?;
    if before.as_deref() == agency {
        return Ok(account);
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET partner_agency = $1 WHERE id = $2")
        .bind(agency)
        .bind(account.id)
        .execute(&mut *tx)
        .await?;
    audit_trail::record_on(
        &mut tx,
        actor,
        Event::new(
            "account.partner_agency",
            match agency {
                Some(a) => format!("Set the partner agency of {} to {a}", account.username),
                None => format!("Cleared the partner agency of {}", account.username),
            },
        )
        .on("account", &account.username)
        .before(&before)
        .after(&agency),
    )
    .await?;
    tx.commit().await?;
    invalidate_account(store, account.id).await;
    must_find(store, username).await
}
