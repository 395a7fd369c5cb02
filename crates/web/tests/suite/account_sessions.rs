//! A new password, a reset by an administrator, disabling an account and "sign out of every
//! other device" end the account's other sign-in sessions: a stolen session stops working the
//! moment its owner changes their password.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::accounts;
use mashboard_store::audit_trail::Actor;
use mashboard_store::{DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::header::SET_COOKIE;
use reqwest::{Client, StatusCode};
use std::time::{Duration, Instant};

const NEW_PASSWORD: &str = "another long password for tests";

/// Where a signed-in page sends this client: `None` when it is shown (still signed in), the
/// redirect's target when not.
async fn people_page(app: &TestApp, c: &Client) -> Option<String> {
    let r = c.get(app.url("/people")).send().await.unwrap();
    match r.status() {
        StatusCode::OK => None,
        StatusCode::SEE_OTHER => Some(location(&r)),
        other => panic!("GET /people answered {other}"),
    }
}

fn signed_out(to: Option<String>) -> bool {
    to.is_some_and(|t| t.starts_with("/login"))
}

#[tokio::test]
async fn a_new_password_signs_out_every_other_session_but_not_this_one() {
    on_both!(|app| {
        let name = username_for(Role::MashTrainer);
        let mine = app.signed_in(Role::MashTrainer).await;
        let stolen = app.signed_in(Role::MashTrainer).await;
        assert_eq!(people_page(&app, &mine).await, None);
        assert_eq!(people_page(&app, &stolen).await, None);

        let r = app
            .post_form(
                &mine,
                "/account/password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/account?changed=1");
        assert!(
            r.headers()
                .get_all(SET_COOKIE)
                .iter()
                .any(|v| v.to_str().unwrap_or("").starts_with("mashboard_session=")),
            "the session that changed the password takes a new id"
        );
        let (status, html) = app.get(&mine, "/account?changed=1").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the session that changed it stays in"
        );
        assert!(html.contains("govuk-notification-banner--success"));
        assert!(html.contains("You have been signed out of every other device."));
        assert_eq!(people_page(&app, &mine).await, None);

        let to = people_page(&app, &stolen).await;
        assert!(
            signed_out(to.clone()),
            "the other session is sent to sign in: {to:?}"
        );
        // And it stays out: its next request is no different.
        assert!(signed_out(people_page(&app, &stolen).await));

        // The old password no longer works; the new one does.
        let (_, r) = app.sign_in(&name, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "the old password is refused");
        let again = app.sign_in_as_with(&name, NEW_PASSWORD).await;
        assert_eq!(people_page(&app, &again).await, None);
        assert_eq!(people_page(&app, &mine).await, None);
    });
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing_and_signs_no_one_out() {
    on_both!(|app| {
        let mine = app.signed_in(Role::MashTrainer).await;
        let other = app.signed_in(Role::MashTrainer).await;
        let r = app
            .post_form(
                &mine,
                "/account/password",
                &[
                    ("current_password", "not the password at all"),
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("Your current password is not correct"));
        assert_eq!(people_page(&app, &mine).await, None);
        assert_eq!(people_page(&app, &other).await, None);
    });
}

#[tokio::test]
async fn an_administrators_reset_or_disabling_ends_every_session_of_the_account() {
    on_both!(|app| {
        let name = username_for(Role::MashTrainer);
        let admin = app.signed_in(Role::Administrator).await;
        let first = app.signed_in(Role::MashTrainer).await;
        let second = app.signed_in(Role::MashTrainer).await;
        assert_eq!(people_page(&app, &first).await, None);
        assert_eq!(people_page(&app, &second).await, None);

        let r = app
            .post_form(
                &admin,
                &format!("/admin/users/{name}/password"),
                &[
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&admin, &location(&r)).await;
        assert!(html.contains("signed out everywhere"), "{html}");
        assert!(signed_out(people_page(&app, &first).await));
        assert!(signed_out(people_page(&app, &second).await));
        assert_eq!(
            people_page(&app, &admin).await,
            None,
            "the administrator's own session is untouched"
        );

        // Signed in again with the new password, on two devices; disabling ends both, and
        // enabling the account again does not bring them back.
        let first = app.sign_in_as_with(&name, NEW_PASSWORD).await;
        let second = app.sign_in_as_with(&name, NEW_PASSWORD).await;
        assert_eq!(people_page(&app, &first).await, None);
        assert_eq!(people_page(&app, &second).await, None);
        let r = app
            .post_form(&admin, &format!("/admin/users/{name}/disable"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let r = app
            .post_form(&admin, &format!("/admin/users/{name}/enable"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(signed_out(people_page(&app, &first).await));
        assert!(signed_out(people_page(&app, &second).await));
        let third = app.sign_in_as_with(&name, NEW_PASSWORD).await;
        assert_eq!(people_page(&app, &third).await, None);
    });
}

#[tokio::test]
async fn an_administrator_resetting_their_own_password_stays_signed_in_here_only() {
    on_both!(|app| {
        let name = username_for(Role::Administrator);
        let here = app.signed_in(Role::Administrator).await;
        let elsewhere = app.signed_in(Role::Administrator).await;
        let r = app
            .post_form(
                &here,
                &format!("/admin/users/{name}/password"),
                &[
                    ("new_password", NEW_PASSWORD),
                    ("confirm_password", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(people_page(&app, &here).await, None);
        assert!(signed_out(people_page(&app, &elsewhere).await));
    });
}

#[tokio::test]
async fn sign_out_of_every_other_device_keeps_only_this_session() {
    on_both!(|app| {
        let name = username_for(Role::MashTrainer);
        let here = app.signed_in(Role::MashTrainer).await;
        let phone = app.signed_in(Role::MashTrainer).await;
        let laptop = app.signed_in(Role::MashTrainer).await;
        let someone_else = app.signed_in(Role::Administrator).await;
        let (_, html) = app.get(&here, "/account").await;
        assert!(html.contains("action=\"/account/sign-out-others\""));
        assert!(html.contains("Sign out of every other device"));

        // Without the form's CSRF token nothing happens.
        let r = here
            .post(app.url("/account/sign-out-others"))
            .form(&[("csrf_token", "0".repeat(64))])
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(people_page(&app, &phone).await, None);

        let r = app.post_form(&here, "/account/sign-out-others", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/account?signed_out=1");
        let (status, html) = app.get(&here, "/account?signed_out=1").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("govuk-notification-banner--success"));
        assert!(html.contains("You have been signed out of every other device."));
        assert!(signed_out(people_page(&app, &phone).await));
        assert!(signed_out(people_page(&app, &laptop).await));
        assert_eq!(people_page(&app, &here).await, None);
        assert_eq!(people_page(&app, &someone_else).await, None);

        let (_, events) = audit_events(&app.store, "account.sign_out_others").await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].actor, name);
        // The password is unchanged: signing in again works as before.
        let back = app.signed_in(Role::MashTrainer).await;
        assert_eq!(people_page(&app, &back).await, None);
    });
}

/// Two instances on one PostgreSQL, each with its own cache of accounts: a password reset
/// made through a third connection ends the session on the other instance at once.
#[tokio::test]
async fn on_postgresql_a_reset_elsewhere_ends_the_session_on_every_instance() {
    let url: DbUrl = mashboard_store::testing::fresh_postgres_url()
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is needed for this test: {e}"));
    let a = spawn(&url).await;
    let b = start(Store::open(&url).await.unwrap(), WebConfig::default()).await;
    let cookie = session_cookie(&a, Role::MashTrainer).await;
    // B reads the account a few times, so it holds it in memory once listening.
    let hits = b.store.session_cache_hits();
    let started = Instant::now();
    while b.store.session_cache_hits() < hits + 4 && started.elapsed() < Duration::from_secs(3) {
        assert_eq!(
            get_with(&b.base, "/people", &cookie).await.0,
            StatusCode::OK
        );
    }
    let other = Store::open(&url).await.unwrap();
    accounts::set_password(
        &other,
        &Actor::system(),
        &username_for(Role::MashTrainer),
        NEW_PASSWORD,
    )
    .await
    .unwrap();
    let started = Instant::now();
    let (status, to) = loop {
        let got = get_with(&b.base, "/people", &cookie).await;
        if got.0 == StatusCode::SEE_OTHER || started.elapsed() > Duration::from_secs(2) {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, StatusCode::SEE_OTHER, "B hears of the new password");
    assert!(to.starts_with("/login"), "{to}");
}
