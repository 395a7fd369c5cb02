//! Writers queue behind one another instead of failing: on SQLite a transaction that reads and
//! then writes must take the write lock when it begins, or another writer's commit between its
//! read and its write makes it fail at once with "database is locked".

use mashboard_domain::people::StaffNumber;
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::Store;
use std::time::Duration;

#[tokio::test]
async fn a_read_then_write_waits_for_another_writer_instead_of_failing() {
    let (_dir, dbs) = mashboard_store::testing::both_databases().await;
    for (label, url) in dbs {
        let store = Store::open(&url)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        for sn in ["4100", "4101"] {
            sqlx::query(
                "INSERT INTO people (staff_number, name, roles, active, created_at, updated_at)
                 VALUES ($1, 'Someone', 'frontline', 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')",
            )
            .bind(sn)
            .execute(store.pool())
            .await
            .unwrap();
        }

        // Someone else is writing and holds the write lock for a moment.
        let mut other = store.begin().await.unwrap();
        sqlx::query("UPDATE people SET name = 'Renamed' WHERE staff_number = '4101'")
            .execute(&mut *other)
            .await
            .unwrap();

        // `user add` reads the directory, then writes the account.
        let adding = {
            let store = store.clone();
            tokio::spawn(async move {
                let sn = StaffNumber::parse("4100").unwrap();
                accounts::create(
                    &store,
                    &Actor::cli(),
                    NewAccount {
                        username: "jsmith",
                        roles: &[Role::Mentor],
                        staff_number: Some(&sn),
                        password: None,
                    },
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        other.commit().await.unwrap();

        let added = adding.await.unwrap();
        assert!(
            added.is_ok(),
            "{label}: adding an account while someone else wrote failed: {:?}",
            added.err()
        );
        assert!(accounts::by_username(&store, "jsmith")
            .await
            .unwrap()
            .is_some());
        store.close().await;
    }
}
