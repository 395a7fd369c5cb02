//! An account's sign-in session generation: what ends its sessions raises it (a new password,
//! a reset, disabling, signing out the other devices), what does not (new roles, enabling) leaves
//! it, and the account read for each request (`by_id_cached`) shows the new one at once.

use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::Store;

const PASSWORD: &str = "a long test password";

async fn generation(store: &Store, id: i64) -> i64 {
    accounts::by_id_cached(store, id)
        .await
        .unwrap()
        .unwrap()
        .session_generation
}

/// A new MASH staff account "robin" with a password.
async fn robin(store: &Store) -> accounts::Account {
    accounts::create(
        store,
        &Actor::system(),
        NewAccount {
            username: "robin",
            roles: &[Role::MashStaff],
            staff_number: None,
            password: Some(PASSWORD),
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn what_ends_an_accounts_sessions_raises_its_generation_and_nothing_else_does() {
    on_both!(|store| {
        let actor = Actor::system();
        let a = robin(&store).await;
        assert_eq!(a.session_generation, 0);
        // Read once, so the account is held in the cache from here on.
        assert_eq!(generation(&store, a.id).await, 0);
        let signed_in = match accounts::sign_in(&store, "robin", PASSWORD).await.unwrap() {
            accounts::SignIn::Ok(a) => a,
            other => panic!("{other:?}"),
        };
        assert_eq!(signed_in.session_generation, 0, "sign-in hands it out");

        accounts::set_roles(&store, &actor, "robin", &[Role::MashTrainer])
            .await
            .unwrap();
        assert_eq!(generation(&store, a.id).await, 0, "new roles end nothing");

        accounts::set_password(&store, &actor, "robin", "another long password")
            .await
            .unwrap();
        assert_eq!(generation(&store, a.id).await, 1, "a reset");

        let own = accounts::change_own_password(
            &store,
            &Actor::user(a.id, "robin"),
            "robin",
            "a third long password",
        )
        .await
        .unwrap();
        assert_eq!(own, 2, "the changing session is handed the new generation");
        assert_eq!(generation(&store, a.id).await, 2);

        let others = accounts::end_sessions(&store, &Actor::user(a.id, "robin"), a.id)
            .await
            .unwrap();
        assert_eq!(others, 3);
        assert_eq!(generation(&store, a.id).await, 3);

        accounts::set_disabled(&store, &actor, "robin", true)
            .await
            .unwrap();
        assert_eq!(generation(&store, a.id).await, 4, "disabling");
        accounts::set_disabled(&store, &actor, "robin", false)
            .await
            .unwrap();
        assert_eq!(
            generation(&store, a.id).await,
            4,
            "enabling brings no old session back"
        );

        // A refused password change changes nothing.
        assert!(
            accounts::change_own_password(&store, &actor, "robin", "short")
                .await
                .is_err()
        );
        assert_eq!(generation(&store, a.id).await, 4);

        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_events WHERE entity_key = 'robin' ORDER BY id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        for wanted in [
            "account.password",
            "account.sign_out_others",
            "account.disable",
        ] {
            assert!(actions.iter().any(|x| x == wanted), "{wanted}: {actions:?}");
        }
    });
}

#[tokio::test]
async fn the_account_read_for_each_request_shows_the_last_sign_in_at_once() {
    on_both!(|store| {
        let a = robin(&store).await;
        let last = |store: Store| async move {
            accounts::by_id_cached(&store, a.id)
                .await
                .unwrap()
                .unwrap()
                .last_sign_in_at
        };
        // Read once, so the account is held in the cache from here on.
        assert_eq!(last(store.clone()).await, None, "never signed in");
        assert!(matches!(
            accounts::sign_in(&store, "robin", PASSWORD).await.unwrap(),
            accounts::SignIn::Ok(_)
        ));
        let stored = accounts::by_id(&store, a.id)
            .await
            .unwrap()
            .unwrap()
            .last_sign_in_at;
        assert!(stored.is_some());
        assert_eq!(
            last(store.clone()).await,
            stored,
            "the cached account shows it"
        );
    });
}
