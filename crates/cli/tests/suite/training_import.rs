//! `mashboard import training|cpd FILE [--mapping NAME] [--dry-run]` as an operator uses it, on
//! SQLite and on PostgreSQL, with the messy spreadsheets of the domain crate's fixtures.

use crate::common::{databases, fixture, run, text};

use mashboard_domain::training_import::{ImportKind, Mapping};
use mashboard_store::audit_trail::Actor;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training_import;
use mashboard_store::{DbUrl, Store};

const PEOPLE: &str = "staff_number,name,rank,department,team,roles,start_date,cohort,line_manager_staff_number,mentor_staff_number\r\n\
S100,Mona Hughes,DC,Safeguarding,MASH,mentor,2019-04-01,,,\r\n\
S200,Len Okafor,Sgt,Safeguarding,MASH,line_manager,2015-04-01,,,\r\n\
4123,Sam Patel,DC,Safeguarding,MASH,mash_staff,2024-01-08,,S200,S100\r\n\
4410,Alex Green,PC,Safeguarding,MASH,mash_staff,2024-01-08,,S200,S100\r\n";

/// The people through the CLI, the modules through the store (there is no CLI for them).
async fn seed(dir: &std::path::Path, db: &str) {
    let people = dir.join("people.csv");
    std::fs::write(&people, PEOPLE).unwrap();
    let o = run(db, &["import", "people", people.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    for (code, title) in [
        ("MASH-IND", "MASH induction"),
        (
            "MASH-RISK",
            "Risk principles and the National Decision Model",
        ),
        ("CDI-MASH", "Crime data integrity in the MASH"),
    ] {
        catalogue::create_module(
            &store,
            &Actor::system(),
            &ModuleInput {
                code: code.into(),
                title: title.into(),
                kind: "face_to_face".into(),
                status: "live".into(),
                ..Default::default()
            },
            "1.0",
        )
        .await
        .unwrap();
    }
    store.close().await;
}

async fn count(db: &str, table: &str) -> i64 {
    let store = Store::open(&DbUrl::parse(db).unwrap()).await.unwrap();
    let n = sqlx_count(&store, table).await;
    store.close().await;
    n
}

async fn sqlx_count(store: &Store, table: &str) -> i64 {
    let people = mashboard_store::people::all(store).await.unwrap();
    let mut n = 0;
    for p in people {
        n += match table {
            "completions" => mashboard_store::training::completions::of_person(store, p.id)
                .await
                .unwrap()
                .len() as i64,
            _ => mashboard_store::training::cpd::of_person(store, p.id)
                .await
                .unwrap()
                .len() as i64,
        };
    }
    n
}

#[tokio::test]
async fn a_messy_training_sheet_is_refused_with_its_rows_then_the_clean_one_imports_once() {
    let (dir, dbs) = databases().await;
    for db in dbs {
        seed(dir.path(), &db).await;
        let messy = fixture("training/training-messy.xlsx");
        let o = run(&db, &["import", "training", &messy], None);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(
            t.contains("Mapping: staff_number=collar_no;module=course;completed_on=date_completed;mode=delivery;trainer=trainer;notes=notes;mentor_signed=sign_off_mentor;manager_signed=sign_off_sgt"),
            "{t}"
        );
        for line in [
            "training-messy.xlsx: row 11, column (whole row): This repeats row 6: 4123 completing MASH-IND on 3 February 2024 is already in the file",
            "training-messy.xlsx: row 12, column Course: No module in the catalogue has the code or title \"MASH-XYZ\"",
            "training-messy.xlsx: row 13, column Collar No: No one in the directory has staff number 9999",
            "training-messy.xlsx: row 14, column Date completed: \"31/02/2024\" is not a real date",
            "4 problems found. Nothing was imported.",
        ] {
            assert!(t.contains(line), "missing {line:?} in:\n{t}");
        }
        // A dry run of the bad file is refused the same way.
        let o = run(&db, &["import", "training", &messy, "--dry-run"], None);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(count(&db, "completions").await, 0);

        let clean = fixture("training/training-clean.xlsx");
        let o = run(&db, &["import", "training", &clean, "--dry-run"], None);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            text(&o).contains("Would create 4 completions, update 0, leave 0 already up to date and skip 0 (read as XLSX; nothing was saved)"),
            "{}",
            text(&o)
        );
        assert_eq!(count(&db, "completions").await, 0);
        let o = run(&db, &["import", "training", &clean], None);
        assert!(
            text(&o).contains("Created 4 completions, updated 0, 0 already up to date, 0 skipped"),
            "{}",
            text(&o)
        );
        let o = run(&db, &["import", "training", &clean], None);
        assert!(o.status.success());
        assert!(
            text(&o).contains("Created 0 completions, updated 0, 4 already up to date, 0 skipped"),
            "{}",
            text(&o)
        );
        assert_eq!(count(&db, "completions").await, 4);
    }
}

#[tokio::test]
async fn a_cpd_log_is_refused_with_its_rows_then_imports_with_a_saved_mapping() {
    let (dir, dbs) = databases().await;
    for db in dbs {
        seed(dir.path(), &db).await;
        let o = run(
            &db,
            &["import", "cpd", &fixture("training/cpd-messy.csv")],
            None,
        );
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        for line in [
            "cpd-messy.csv: row 7, column Hours: \"abc\" is not a length of time",
            "cpd-messy.csv: row 8, column (whole row): This repeats row 4",
            "cpd-messy.csv: row 9, column Staff No.: No one in the directory has staff number S999",
            "cpd-messy.csv: row 10, column Evidence: \"certificate on file\" is not a web link",
            "4 problems found. Nothing was imported.",
        ] {
            assert!(t.contains(line), "missing {line:?} in:\n{t}");
        }
        assert_eq!(count(&db, "cpd").await, 0);

        let clean = fixture("training/cpd-clean.csv");
        // A mapping name that was never saved is refused, naming the ones that were.
        let o = run(
            &db,
            &["import", "cpd", &clean, "--mapping", "Team log"],
            None,
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(
            text(&o).contains("There is no saved cpd mapping called \"Team log\""),
            "{}",
            text(&o)
        );
        // Save one that leaves out the learning and the evidence, and use it.
        let store = Store::open(&DbUrl::parse(&db).unwrap()).await.unwrap();
        let m = Mapping::parse(
            ImportKind::Cpd,
            "staff_number=staff_no;topic=topic;done_on=date;hours=hours;kind=type;verified_by=verified_by",
        )
        .unwrap();
        training_import::save_mapping(&store, &Actor::system(), ImportKind::Cpd, "Team log", &m)
            .await
            .unwrap();
        store.close().await;
        let o = run(
            &db,
            &[
                "import",
                "cpd",
                &clean,
                "--mapping",
                "team LOG",
                "--dry-run",
            ],
            None,
        );
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(t.contains("Using the saved mapping \"Team log\"."), "{t}");
        assert!(t.contains("No column is used for what was learned"), "{t}");
        assert!(t.contains("Would create 3 CPD entries"), "{t}");
        assert_eq!(count(&db, "cpd").await, 0);

        // Without a mapping the headers are matched, and a row with no learning is a warning.
        let o = run(&db, &["import", "cpd", &clean], None);
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(
            t.contains("cpd-clean.csv: row 5, column What I learned: warning: Nothing is recorded about what was learned"),
            "{t}"
        );
        assert!(
            t.contains("Created 3 CPD entries, updated 0, 0 already up to date, 0 skipped (read as Windows-1252)"),
            "{t}"
        );
        let o = run(&db, &["import", "cpd", &clean], None);
        assert!(
            text(&o).contains("Created 0 CPD entries, updated 0, 3 already up to date"),
            "{}",
            text(&o)
        );
        assert_eq!(count(&db, "cpd").await, 3);
    }
}

#[test]
fn a_file_without_a_header_row_is_refused_before_the_database_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.csv");
    std::fs::write(&file, "Shopping list\nmilk\neggs\n").unwrap();
    // The database URL is never used: the file is refused first.
    let o = run(
        "sqlite:///nonexistent/dir/never.sqlite",
        &["import", "training", file.to_str().unwrap()],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("notes.csv: We could not find the header row"),
        "{t}"
    );
    assert!(t.contains("Nothing was imported."), "{t}");
}
