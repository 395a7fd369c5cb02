//! What the store tests share: every test body on a fresh SQLite file and a fresh PostgreSQL
//! database (`on_both!`), counting rows, the domain crate's fixture files, and importing a register
//! file.

use mashboard_domain::people::PersonDraft;
use mashboard_domain::register::{RegisterKind, RegisterReader};
use mashboard_store::audit_trail::Actor;
use mashboard_store::register::{self, RegisterReport};
use mashboard_store::{people, Store};
use std::path::Path;

/// Runs the body against a store on SQLite and one on PostgreSQL, closing each afterwards.
macro_rules! on_both {
    (|$store:ident| $body:block) => {{
        let (_dir, dbs) = mashboard_store::testing::both_databases().await;
        for (label, url) in dbs {
            let $store = mashboard_store::Store::open(&url)
                .await
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            eprintln!("-- on {label}");
            $body
            $store.close().await;
        }
    }};
}

/// Imports a register file's bytes (not a dry run unless `dry_run`), giving the reader the
/// file's length as the command line and the upload page do.
pub async fn import_bytes(
    store: &Store,
    kind: RegisterKind,
    bytes: &[u8],
    dry_run: bool,
) -> RegisterReport {
    let mut reader = RegisterReader::new(kind, std::io::Cursor::new(bytes.to_vec())).unwrap();
    reader.set_file_len(bytes.len() as u64);
    register::import(store, &Actor::system(), reader, "test.csv", dry_run)
        .await
        .unwrap()
}

/// Adds people to the directory (or updates them), as `(staff number, name)`.
pub async fn seed_people(store: &Store, staff: &[(&str, &str)]) {
    let rows: Vec<_> = staff
        .iter()
        .enumerate()
        .map(|(i, (sn, name))| {
            let person = PersonDraft {
                staff_number: sn.to_string(),
                name: name.to_string(),
                ..Default::default()
            };
            (i + 2, person.validate().unwrap())
        })
        .collect();
    people::import(store, &Actor::system(), &rows, false, "seed")
        .await
        .unwrap();
}

/// The id of the person with staff number `sn`, who must exist.
pub async fn person_id(store: &Store, sn: &str) -> i64 {
    people::get(store, sn).await.unwrap().unwrap().id
}

/// The number of rows in `table`.
pub async fn count(store: &Store, table: &str) -> i64 {
    scalar(
        store,
        &format!("SELECT CAST(COUNT(*) AS BIGINT) FROM {table}"),
    )
    .await
}

/// The one number a query such as `SELECT CAST(COUNT(*) AS BIGINT) FROM … WHERE …` answers.
pub async fn scalar(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// The bytes of `PATH` under the domain crate's `tests/fixtures` (e.g. `register/incidents-bad.csv`).
pub fn fixture(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../domain/tests/fixtures")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
