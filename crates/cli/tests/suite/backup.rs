//! `mashboard backup`: the database copy and the uploaded recordings it refers to, on SQLite;
//! a clear refusal on PostgreSQL that names the data directory too.

use crate::common::{databases, mashboard, text};

use mashboard_store::audit_trail::Actor;
use mashboard_store::learning::videos::{self, Source};
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::{DbUrl, Store};

async fn module_with_file(store: &Store, code: &str, key: &str) -> i64 {
    let id = catalogue::create_module(
        store,
        &Actor::system(),
        &ModuleInput {
            code: code.into(),
            title: format!("Recording {code}"),
            summary: "A recorded input".into(),
            kind: "recorded_video".into(),
            status: "live".into(),
            duration_minutes: 180,
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap()
    .id;
    videos::set(
        store,
        &Actor::system(),
        id,
        &Source::File {
            file_name: format!("{code}.mp4"),
            content_type: "video/mp4".into(),
            size_bytes: 6,
            storage_key: key.into(),
        },
    )
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn backup_copies_the_recordings_its_database_names_beside_it() {
    let (dir, dbs) = databases().await;
    let (sqlite, postgres) = (&dbs[0], &dbs[1]);
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("videos")).unwrap();
    let store = Store::open(&DbUrl::parse(sqlite).unwrap()).await.unwrap();
    module_with_file(&store, "SG-1", "videos/aaaa.mp4").await;
    module_with_file(&store, "SG-2", "videos/gone.webm").await;
    let recording: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(data.join("videos/aaaa.mp4"), &recording).unwrap();
    // Not named by the database (an abandoned upload): not copied.
    std::fs::write(data.join("videos/.upload-x.part"), b"partial").unwrap();
    let data_arg = data.to_str().unwrap();

    let target = dir.path().join("nightly.sqlite");
    let o = mashboard(
        sqlite,
        &["backup", target.to_str().unwrap(), "--data-dir", data_arg],
        &[],
    )
    .await;
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("Wrote a consistent copy of the database"), "{t}");
    let files = dir.path().join("nightly.sqlite.files");
    assert!(
        t.contains(&format!(
            "Copied 1 uploaded recording file (0.3 MB) from {} to {}",
            data.display(),
            files.display()
        )),
        "{t}"
    );
    assert!(
        t.contains("videos/gone.webm"),
        "the missing file is named: {t}"
    );
    assert_eq!(
        std::fs::read(files.join("videos/aaaa.mp4")).unwrap(),
        recording
    );
    assert!(!files.join("videos/.upload-x.part").exists());
    // The copy is a working database that names the same file.
    let copy = Store::open(&DbUrl::parse(&format!("sqlite://{}", target.display())).unwrap())
        .await
        .unwrap();
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT storage_key FROM module_videos WHERE storage_key IS NOT NULL ORDER BY storage_key",
    )
    .fetch_all(copy.pool())
    .await
    .unwrap();
    assert_eq!(keys, ["videos/aaaa.mp4", "videos/gone.webm"]);

    // The same name again: refused, nothing overwritten.
    std::fs::write(files.join("videos/aaaa.mp4"), b"kept").unwrap();
    let o = mashboard(
        sqlite,
        &["backup", target.to_str().unwrap(), "--data-dir", data_arg],
        &[],
    )
    .await;
    assert!(!o.status.success());
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    assert_eq!(
        std::fs::read(files.join("videos/aaaa.mp4")).unwrap(),
        b"kept"
    );

    // A new name whose files directory is already there: refused before the database is
    // written.
    let other = dir.path().join("other.sqlite");
    std::fs::create_dir_all(dir.path().join("other.sqlite.files")).unwrap();
    let o = mashboard(
        sqlite,
        &["backup", other.to_str().unwrap(), "--data-dir", data_arg],
        &[],
    )
    .await;
    assert!(!o.status.success());
    assert!(
        text(&o).contains("other.sqlite.files already exists"),
        "{}",
        text(&o)
    );
    assert!(!other.exists());

    // No recordings at all: said so.
    std::fs::remove_dir_all(&data).unwrap();
    let empty = dir.path().join("empty.sqlite");
    let o = mashboard(
        &format!("sqlite://{}", dir.path().join("fresh.sqlite").display()),
        &["migrate"],
        &[],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    let o = mashboard(
        &format!("sqlite://{}", dir.path().join("fresh.sqlite").display()),
        &["backup", empty.to_str().unwrap(), "--data-dir", data_arg],
        &[],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("No uploaded files to copy"),
        "{}",
        text(&o)
    );

    // PostgreSQL: refused, naming pg_dump and the data directory.
    let o = mashboard(
        postgres,
        &[
            "backup",
            dir.path().join("pg.sqlite").to_str().unwrap(),
            "--data-dir",
            data_arg,
        ],
        &[],
    )
    .await;
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("pg_dump"), "{t}");
    assert!(
        t.contains(&format!("data directory {}", data.display())),
        "{t}"
    );
}
