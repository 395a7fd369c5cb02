//! Who is asking, and may they? Every handler takes a `Page<C>` or `Api<C>` extractor naming a
//! capability; the extractor refuses anyone whose roles do not hold it, so access is decided by
//! the handler's signature and denied by default.

use crate::error::{ApiError, AppError};
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use mashboard_domain::access::{people_scope, Capability, PeopleScope};
use mashboard_domain::Role;
use mashboard_store::accounts::{self, Account};
use mashboard_store::audit_trail::Actor;
use rand::RngCore;
use std::marker::PhantomData;
use tower_sessions::Session;

pub const SESSION_USER: &str = "user_id";
pub const SESSION_AUTH_AT: &str = "auth_at";
pub const SESSION_CSRF: &str = "csrf_token";
/// The account's sign-in session generation when this session signed in (or last changed the
/// password, or signed out the other devices). A session whose generation is no longer the
/// account's has been ended by a new password, a reset, disabling or "sign out of every other
/// device". Sessions from before generations existed hold none, read as 0.
pub const SESSION_GENERATION: &str = "generation";
/// When the signed-in session was last saved to keep it alive (Unix milliseconds; see
/// [`keep_alive`]).
pub const SESSION_SEEN_AT: &str = "seen_at";

/// The signed-in account, read on every request through the store's session cache, which every
/// change to the account ends at once on every instance (so a disabled account, a removed role
/// or a new password takes effect at once; the last through the session generation, compared
/// with the cached account's, so it costs no query).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub roles: Vec<Role>,
    pub person_id: Option<i64>,
    pub staff_number: Option<String>,
    pub person_name: Option<String>,
}

impl From<Account> for CurrentUser {
    fn from(a: Account) -> Self {
        CurrentUser {
            id: a.id,
            username: a.username,
            roles: a.roles,
            person_id: a.person_id,
            staff_number: a.staff_number,
            person_name: a.person_name,
        }
    }
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.username)
    }
    pub fn can(&self, cap: Capability) -> bool {
        cap.allows(&self.roles)
    }
    pub fn people_scope(&self) -> PeopleScope {
        people_scope(&self.roles, self.person_id)
    }
    /// Whether every person's page (`/people/{staff number}`) opens for this user.
    pub fn may_open_everyone(&self) -> bool {
        self.can(Capability::PeopleBrowse) && self.people_scope() == PeopleScope::All
    }

    /// Whether a link to this person's page (`/people/{staff number}`) opens for this user: the
    /// person is in their directory scope, and they may browse the directory at all. A page
    /// names people to many readers; only those it would open for are linked.
    pub async fn may_open_person(
        &self,
        store: &mashboard_store::Store,
        person_id: i64,
    ) -> Result<bool, mashboard_store::StoreError> {
        if self.may_open_everyone() {
            return Ok(true);
        }
        if !self.can(Capability::PeopleBrowse) {
            return Ok(false);
        }
        Ok(match self.people_scope() {
            PeopleScope::All => true,
            PeopleScope::Nobody => false,
            PeopleScope::TheirPeople { .. } => mashboard_store::people::get_by_id(store, person_id)
                .await?
                .is_some_and(|p| mashboard_store::people::in_scope(&p, self.people_scope())),
        })
    }

    /// The exercise runs this user may facilitate.
    pub fn run_scope(&self) -> mashboard_domain::access::RunScope {
        mashboard_domain::access::exercise_run_scope(&self.roles, self.id)
    }

    /// Whether this user may see a person's training record: those who run training see
    /// everyone's, mentors and line managers their own people's.
    pub fn may_see_training_of(&self, p: &mashboard_store::people::Person) -> bool {
        self.can(Capability::TrainingManage)
            || mashboard_store::people::in_scope(p, self.people_scope())
    }

    /// Whether this user may see a completion: the person it belongs to, their named mentor or
    /// line manager, or anyone who may see that person's training.
    pub fn may_see_completion(
        &self,
        c: &mashboard_store::training::completions::Completion,
        subject: &mashboard_store::people::Person,
    ) -> bool {
        let me = self.person_id;
        me == Some(c.person_id)
            || (me.is_some() && (c.mentor_id == me || c.line_manager_id == me))
            || self.may_see_training_of(subject)
    }
}

/// A capability as a type, so a handler's signature says who may call it
/// (`Page<cap::PeopleBrowse>`); declared with the capabilities themselves in the domain.
pub use mashboard_domain::access::{cap, Cap};

/// Returns the session's CSRF token, creating one if needed.
pub async fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(SESSION_CSRF).await {
        return t;
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let _ = session.insert(SESSION_CSRF, &token).await;
    token
}

/// A signed-in user allowed capability `C`, for HTML pages.
pub struct Page<C: Cap> {
    pub user: CurrentUser,
    pub session: Session,
    pub csrf: String,
    _cap: PhantomData<C>,
}

async fn session_user(
    parts: &mut Parts,
    state: &AppState,
) -> Result<(Session, Option<CurrentUser>), AppError> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, m)| AppError::Internal(format!("session layer missing: {m}")))?;
    let uid: Option<i64> = session.get(SESSION_USER).await.ok().flatten();
    let Some(uid) = uid else {
        return Ok((session, None));
    };
    let auth_at: i64 = session
        .get(SESSION_AUTH_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let absolute = state.config.absolute_timeout.as_secs() as i64;
    if now - auth_at > absolute {
        let _ = session.flush().await;
        return Ok((session, None));
    }
    let generation: i64 = session
        .get(SESSION_GENERATION)
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    match accounts::by_id_cached(&state.store, uid).await? {
        Some(a) if !a.disabled && a.session_generation == generation => {
            keep_alive(&session, auth_at, state.config.idle_timeout).await;
            Ok((session, Some(a.into())))
        }
        _ => {
            let _ = session.flush().await;
            Ok((session, None))
        }
    }
}

/// After this session raised its account's session generation (a new password of its own, or
/// signing out the other devices), it holds the new one and so stays signed in while every
/// other session of the account ends. It also takes a new id (the old cookie is worthless), as
/// on sign-in.
pub async fn keep_session(session: &Session, generation: i64) -> Result<(), AppError> {
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    session
        .insert(SESSION_GENERATION, generation)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The idle timeout slides with use. The session layer saves a session (its stored expiry and
/// the cookie's `Max-Age`, both "now + idle timeout") only when it changes, so a session that is
/// only read would end the idle timeout after sign-in however busy its user. Marking it seen
/// once a sixth of the idle timeout has passed since the last save keeps an active user signed
/// in at the cost of one write per user every few minutes, not one per request; an idle user
/// is signed out between five sixths of the idle timeout and all of it after their last request.
async fn keep_alive(session: &Session, auth_at: i64, idle: std::time::Duration) {
    let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
    let seen_at: i64 = session
        .get(SESSION_SEEN_AT)
        .await
        .ok()
        .flatten()
        .unwrap_or(auth_at.saturating_mul(1000));
    let every = (idle.as_millis() / 6) as i64;
    if now - seen_at >= every {
        let _ = session.insert(SESSION_SEEN_AT, now).await;
    }
}

impl<C: Cap> FromRequestParts<AppState> for Page<C> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, user) = session_user(parts, state).await?;
        let Some(user) = user else {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            return Err(AppError::SignIn { next });
        };
        if !user.can(C::CAP) {
            return Err(AppError::Forbidden);
        }
        let csrf = csrf_token(&session).await;
        Ok(Page {
            user,
            session,
            csrf,
            _cap: PhantomData,
        })
    }
}

/// The signed-in user if any, for public pages (the sign-in page).
pub struct MaybeUser {
    pub user: Option<CurrentUser>,
    pub session: Session,
    pub csrf: String,
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, user) = session_user(parts, state).await?;
        let csrf = csrf_token(&session).await;
        Ok(MaybeUser {
            user,
            session,
            csrf,
        })
    }
}

/// A caller with a valid bearer token whose account holds capability `C`, for the JSON API.
pub struct Api<C: Cap> {
    pub user: CurrentUser,
    _cap: PhantomData<C>,
}

impl<C: Cap> FromRequestParts<AppState> for Api<C> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(bearer_token)
            .ok_or(ApiError::Unauthorized)?;
        let account = accounts::account_for_token(&state.store, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let user = CurrentUser::from(account);
        if !user.can(C::CAP) {
            return Err(ApiError::Forbidden);
        }
        Ok(Api {
            user,
            _cap: PhantomData,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header, if it holds one.
fn bearer_token(value: &axum::http::HeaderValue) -> Option<&str> {
    let v = value.to_str().ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Records in the audit trail every refused attempt by a known account to reach a route: a 403
/// (the account's roles do not allow it) or a 404 on a route that exists (a record outside the
/// account's scope, such as a mentor asking for someone who is not theirs, answers 404 so as to
/// say nothing of it). An administrator can then see who tried to read what. Signed-in pages are
/// known by their session, the API by its bearer token; anonymous requests are not recorded
/// (they reach nothing and would only fill the trail).
pub async fn audit_refusals(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    let matched = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let session = request.extensions().get::<Session>().cloned();
    // Cheap clones (reference-counted bytes): the token and path are read only on a refusal.
    let authorization = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .cloned();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND) {
        return response;
    }
    let Some(route) = matched else {
        return response;
    };
    let path = uri.path();
    let account = match (authorization.as_ref().and_then(bearer_token), session) {
        (Some(token), _) => accounts::account_for_token(&state.store, token)
            .await
            .ok()
            .flatten(),
        (_, Some(session)) => match session.get::<i64>(SESSION_USER).await.ok().flatten() {
            Some(uid) => accounts::by_id_cached(&state.store, uid)
                .await
                .ok()
                .flatten(),
            None => None,
        },
        _ => None,
    };
    if let Some(a) = account {
        let what = if status == StatusCode::FORBIDDEN {
            "not allowed by the account's roles"
        } else {
            "no such record, or one outside the account's reach"
        };
        let _ = mashboard_store::audit_trail::record(
            &state.store,
            &mashboard_store::audit_trail::Actor::user(a.id, &a.username),
            mashboard_store::audit_trail::Event::new(
                "access.refused",
                format!("Refused {method} {path} ({}: {what})", status.as_u16()),
            )
            .after(&serde_json::json!({
                "method": method.as_str(),
                "path": path,
                "route": route.as_str(),
                "status": status.as_u16(),
            })),
        )
        .await;
    }
    response
}
