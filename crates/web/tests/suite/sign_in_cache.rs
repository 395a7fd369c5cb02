//! Sessions and accounts are read from an in-memory cache on every request: it must stay true.
//! Signing out, disabling an account and taking a role away end access at once, on the instance
//! that made the change and (PostgreSQL, several instances) on every other.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::accounts;
use mashboard_store::audit_trail::Actor;
use mashboard_store::{DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::header::COOKIE;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use std::time::{Duration, Instant};

/// Signs out the session that `cookie` names.
async fn sign_out(app: &TestApp, cookie: &str) {
    let c = Client::builder().redirect(Policy::none()).build().unwrap();
    let html = c
        .get(app.url("/account"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_in(&html);
    let r = c
        .post(app.url("/logout"))
        .header(COOKIE, cookie)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Asks until the answer is `want` (an instance hears another's change within a moment), for
/// at most two seconds; returns the last answer.
async fn eventually(
    base: &str,
    path: &str,
    cookie: &str,
    want: StatusCode,
) -> (StatusCode, String) {
    let start = Instant::now();
    loop {
        let got = get_with(base, path, cookie).await;
        if got.0 == want || start.elapsed() > Duration::from_secs(2) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_signed_out_cookie_no_longer_works_though_its_session_was_cached() {
    on_both!(|app| {
        let cookie = session_cookie(&app, Role::MashTrainer).await;
        let hits = app.store.session_cache_hits();
        // Read a few times, so the session and its account are served from memory.
        let start = Instant::now();
        while app.store.session_cache_hits() < hits + 4 && start.elapsed() < Duration::from_secs(3)
        {
            assert_eq!(
                get_with(&app.base, "/people", &cookie).await.0,
                StatusCode::OK
            );
        }
        assert!(
            app.store.session_cache_hits() >= hits + 4,
            "the session is read from the cache"
        );
        sign_out(&app, &cookie).await;
        let (status, to) = get_with(&app.base, "/people", &cookie).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "the old cookie is refused");
        assert!(to.starts_with("/login"), "{to}");
    });
}

#[tokio::test]
async fn a_disabled_account_or_a_role_taken_away_ends_access_at_once() {
    on_both!(|app| {
        let cookie = session_cookie(&app, Role::MashTrainer).await;
        for _ in 0..3 {
            assert_eq!(
                get_with(&app.base, "/people", &cookie).await.0,
                StatusCode::OK
            );
        }
        let admin = Actor::system();
        let name = username_for(Role::MashTrainer);
        accounts::set_roles(&app.store, &admin, &name, &[Role::Frontline])
            .await
            .unwrap();
        assert_eq!(
            get_with(&app.base, "/people", &cookie).await.0,
            StatusCode::FORBIDDEN,
            "the role that allowed the people list is gone"
        );
        accounts::set_roles(&app.store, &admin, &name, &[Role::MashTrainer])
            .await
            .unwrap();
        assert_eq!(
            get_with(&app.base, "/people", &cookie).await.0,
            StatusCode::OK
        );
        accounts::set_disabled(&app.store, &admin, &name, true)
            .await
            .unwrap();
        let (status, to) = get_with(&app.base, "/people", &cookie).await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "a disabled account is signed out"
        );
        assert!(to.starts_with("/login"), "{to}");
    });
}

/// Two instances on one PostgreSQL, each with its own cache: a sign-out on one and an account
/// change made through a third connection reach the other at once (LISTEN/NOTIFY).
#[tokio::test]
async fn on_postgresql_every_instance_hears_a_sign_out_and_an_account_change() {
    let url: DbUrl = mashboard_store::testing::fresh_postgres_url()
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is needed for this test: {e}"));
    let a = spawn(&url).await;
    let b = start(Store::open(&url).await.unwrap(), WebConfig::default()).await;
    let cookie = session_cookie(&a, Role::MashTrainer).await;
    // Instance B caches the session once it is listening.
    let hits = b.store.session_cache_hits();
    let start_at = Instant::now();
    while b.store.session_cache_hits() < hits + 4 && start_at.elapsed() < Duration::from_secs(3) {
        assert_eq!(
            get_with(&b.base, "/people", &cookie).await.0,
            StatusCode::OK
        );
    }
    assert!(
        b.store.session_cache_hits() >= hits + 4,
        "B serves the session from memory"
    );

    // A role taken away through another process's store.
    let other = Store::open(&url).await.unwrap();
    let name = username_for(Role::MashTrainer);
    accounts::set_roles(&other, &Actor::system(), &name, &[Role::Frontline])
        .await
        .unwrap();
    let (status, _) = eventually(&b.base, "/people", &cookie, StatusCode::FORBIDDEN).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "B hears of the new roles");
    accounts::set_roles(&other, &Actor::system(), &name, &[Role::MashTrainer])
        .await
        .unwrap();
    let (status, _) = eventually(&b.base, "/people", &cookie, StatusCode::OK).await;
    assert_eq!(status, StatusCode::OK);

    // Signed out on A: the cookie no longer works on B.
    sign_out(&a, &cookie).await;
    let (status, to) = eventually(&b.base, "/people", &cookie, StatusCode::SEE_OTHER).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "B refuses the signed-out cookie"
    );
    assert!(to.starts_with("/login"), "{to}");
}
