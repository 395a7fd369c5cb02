//! `mashboard import incidents|referrals|outcomes|referral-people FILE` as an operator uses it,
//! on SQLite and on PostgreSQL, with the domain crate's messy register fixtures.

use crate::common::{count, databases, fixture, run, text};

const PEOPLE: &str = "staff_number,name,rank,department,team,roles,start_date,cohort,line_manager_staff_number,mentor_staff_number\n\
S100,Mona Hughes,PC,Response,,,,,,\n\
S200,Len Okafor,PC,Neighbourhood,,,,,,\n";

/// Imports the two officers of [`PEOPLE`] into `db`.
fn import_people(db: &str, dir: &std::path::Path) {
    let people = dir.join("people.csv");
    std::fs::write(&people, PEOPLE).unwrap();
    let o = run(db, &["import", "people", people.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o));
}

#[tokio::test]
async fn a_bad_register_file_exits_non_zero_naming_each_bad_row_and_a_good_one_imports_once() {
    let (dir, dbs) = databases().await;
    for db in dbs {
        import_people(&db, dir.path());

        let o = run(
            &db,
            &[
                "import",
                "incidents",
                &fixture("register/incidents-bad.csv"),
            ],
            None,
        );
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        for line in [
            "incidents-bad.csv: row 3, column reported_at: \"31/02/2024\" is not a real date",
            "incidents-bad.csv: row 3, column children_involved: \"perhaps\" is not yes or no",
            "incidents-bad.csv: row 5, column incident_ref: Incident INC-B-1 is also on row 2",
            "3 problems found in 4 rows. Nothing was imported.",
        ] {
            assert!(t.contains(line), "missing {line:?} in:\n{t}");
        }
        assert_eq!(count(&db, "incidents").await, 0);

        let messy = fixture("register/incidents-messy.csv");
        let o = run(&db, &["import", "incidents", &messy, "--dry-run"], None);
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(
            t.contains("would add 4, change 0, leave 0 already up to date"),
            "{t}"
        );
        assert_eq!(count(&db, "incidents").await, 0);

        let o = run(&db, &["import", "incidents", &messy], None);
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(t.contains("Imported 4 rows of incidents (read as UTF-8 with BOM): 4 new, 0 changed, 0 already up to date."), "{t}");
        assert!(
            t.contains("row 5, column officer_staff_number: warning: Officer S999 is not in the people directory"),
            "{t}"
        );
        let o = run(&db, &["import", "incidents", &messy], None);
        assert!(
            text(&o).contains("0 new, 0 changed, 4 already up to date"),
            "{}",
            text(&o)
        );

        let o = run(
            &db,
            &[
                "import",
                "outcomes",
                &fixture("register/outcomes-friendly.tsv"),
            ],
            None,
        );
        assert_eq!(o.status.code(), Some(1), "no referrals yet: {}", text(&o));
        let o = run(
            &db,
            &[
                "import",
                "referrals",
                &fixture("register/referrals-1252.csv"),
            ],
            None,
        );
        assert!(text(&o).contains("read as Windows-1252"), "{}", text(&o));
        let o = run(
            &db,
            &[
                "import",
                "outcomes",
                &fixture("register/outcomes-friendly.tsv"),
            ],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
        let o = run(
            &db,
            &[
                "import",
                "referral-people",
                &fixture("register/referral-people.csv"),
            ],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(count(&db, "referral_people").await, 3);
    }
}

#[tokio::test]
async fn another_layout_is_imported_with_a_mapping_saved_by_name() {
    let (_dir, dbs) = databases().await;
    for db in dbs {
        let file = fixture("register/incidents-other-layout.csv");
        let o = run(&db, &[
                "import",
                "incidents",
                &file,
                "--map",
                "incident_ref=Occurrence No;reported_at=Date Reported;children_involved=Kids Present;domestic_abuse=DA Flag",
                "--save-mapping",
                "Old RMS",
                "--dry-run",
            ], None);
        let t = text(&o);
        assert!(o.status.success(), "{t}");
        assert!(t.contains("Saved this mapping as \"Old RMS\""), "{t}");
        assert!(
            t.contains("ignoring columns we do not use: Type, Beat"),
            "{t}"
        );
        let o = run(
            &db,
            &["import", "incidents", &file, "--mapping", "old rms"],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("2 new"), "{}", text(&o));
        let o = run(
            &db,
            &["import", "incidents", &file, "--mapping", "Nope"],
            None,
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(
            text(&o).contains("Saved mappings: \"Old RMS\""),
            "{}",
            text(&o)
        );
        let o = run(&db, &["import", "referrals", &file], None);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            text(&o).contains("the header should be: referral_ref,incident_ref,submitted_at"),
            "{}",
            text(&o)
        );
    }
}

/// An operator who copies the database file after an import (a backup by hand) gets every row
/// the import wrote: the command folds SQLite's write-ahead log back into the file as it ends.
#[tokio::test]
async fn after_an_import_the_sqlite_file_alone_holds_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.sqlite");
    let db = format!("sqlite://{}", file.display());
    import_people(&db, dir.path());
    let o = run(
        &db,
        &[
            "import",
            "incidents",
            &fixture("register/incidents-messy.csv"),
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    // The file copied on its own, as `cp` would, without any -wal or -shm beside it.
    let copy = dir.path().join("copy").join("m.sqlite");
    std::fs::create_dir(copy.parent().unwrap()).unwrap();
    std::fs::copy(&file, &copy).unwrap();
    let copy_db = format!("sqlite://{}", copy.display());
    assert_eq!(count(&copy_db, "incidents").await, 4);
    assert_eq!(count(&copy_db, "people").await, 2);
}
