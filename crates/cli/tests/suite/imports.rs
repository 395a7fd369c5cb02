//! The one import pipeline from the command line: the people import's column mapping (`--map`),
//! a register yes/no column that gives a number of children, and a file of one enormous line,
//! on SQLite and on PostgreSQL.

use crate::common::{count, databases, run, text};
use mashboard_store::{register, DbUrl, Store};

const HR: &str =
    "Employee No,Full Name,Grade,Directorate,Unit,Access,Date Joined,Intake,Manager,Tutor\n\
E1,Ann Lee,PC,Response,Team 1,frontline,2024-09-01,,,\n\
E2,Bo Ray,PC,Response,Team 1,frontline,2024-09-01,,E1,\n";

const MAP: &str = "staff_number=Employee No;name=Full Name;rank=Grade;department=Directorate;\
team=Unit;roles=Access;start_date=Date Joined;cohort=Intake;line_manager_staff_number=Manager;\
mentor_staff_number=Tutor";

#[tokio::test]
async fn an_hr_export_with_its_own_column_names_imports_with_map_and_only_once() {
    let (dir, dbs) = databases().await;
    let file = dir.path().join("hr.csv");
    std::fs::write(&file, HR).unwrap();
    let file = file.to_str().unwrap();
    for db in dbs {
        // Without a mapping the header is not the standard one: refused, naming the columns.
        let o = run(&db, &["import", "people", file], None);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("missing these columns"), "{}", text(&o));

        // A mapping naming a field that does not exist is refused before anything is read.
        let o = run(
            &db,
            &["import", "people", file, "--map", "badge=Employee No"],
            None,
        );
        assert_eq!(o.status.code(), Some(1));
        assert!(
            text(&o).contains("\"badge\" is not a column"),
            "{}",
            text(&o)
        );

        let o = run(
            &db,
            &["import", "people", file, "--map", MAP, "--dry-run"],
            None,
        );
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("Would add 2 people"), "{}", text(&o));
        assert_eq!(count(&db, "people").await, 0, "a dry run saves nothing");

        let o = run(&db, &["import", "people", file, "--map", MAP], None);
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("Added 2 people"), "{}", text(&o));
        let o = run(&db, &["import", "people", file, "--map", MAP], None);
        assert!(text(&o).contains("Added 0 people"), "{}", text(&o));
        assert!(text(&o).contains("2 already up to date"), "{}", text(&o));
        assert_eq!(count(&db, "people").await, 2);
    }
}

#[tokio::test]
async fn a_number_of_children_is_read_as_yes_or_no_and_the_count_is_kept() {
    let (dir, dbs) = databases().await;
    let file = dir.path().join("incidents.csv");
    std::fs::write(
        &file,
        "incident_ref,reported_at,children_involved,domestic_abuse\n\
         N1,2024-03-01,3,0\nN2,2024-03-02,0,2\nN3,2024-03-03,Y,N\n",
    )
    .unwrap();
    for db in dbs {
        let o = run(&db, &["import", "incidents", file.to_str().unwrap()], None);
        assert!(o.status.success(), "{}", text(&o));
        let store = Store::open(&DbUrl::parse(&db).unwrap()).await.unwrap();
        let n1 = register::incident(&store, "N1").await.unwrap().unwrap();
        assert!(n1.children_involved && !n1.domestic_abuse);
        assert_eq!(n1.children_involved_count, Some(3));
        let n2 = register::incident(&store, "N2").await.unwrap().unwrap();
        assert!(!n2.children_involved && n2.domestic_abuse);
        assert_eq!(n2.children_involved_count, Some(0));
        let n3 = register::incident(&store, "N3").await.unwrap().unwrap();
        assert!(n3.children_involved);
        assert_eq!(n3.children_involved_count, None);
        store.close().await;
    }
}

#[tokio::test]
async fn a_file_of_one_enormous_line_is_refused_in_words() {
    let (dir, dbs) = databases().await;
    let file = dir.path().join("one-line.csv");
    let mut bytes = b"incident_ref,reported_at\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'a', 3 * 1024 * 1024));
    std::fs::write(&file, bytes).unwrap();
    for db in dbs {
        let o = run(&db, &["import", "incidents", file.to_str().unwrap()], None);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(t.contains("Line 2 of the file is longer than 1 MB"), "{t}");
        assert_eq!(count(&db, "incidents").await, 0);
    }
}

#[tokio::test]
async fn audit_and_review_history_import_all_or_nothing_and_only_once() {
    let (dir, dbs) = databases().await;
    let audits = dir.path().join("audits.csv");
    std::fs::write(
        &audits,
        "period_start,period_end,examined,required,completed_when_required,not_required,completed_when_not_required\n\
         2022-01-01,2022-02-28,40,20,13,20,1\n2022-03-01,2022-04-30,40,22,16,18,0\n",
    )
    .unwrap();
    let bad = dir.path().join("audits-bad.csv");
    std::fs::write(
        &bad,
        "period_start,period_end,examined,required,completed_when_required,not_required,completed_when_not_required\n\
         2022-01-01,2022-02-28,40,20,13,20,1\n2022-05-01,2022-04-30,40,50,16,18,0\n",
    )
    .unwrap();
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(
        &reviews,
        "From,To,Grade 1,Grade 2,Grade 3,Grade 4\n2024-07-01,2024-09-30,1,3,4,2\n",
    )
    .unwrap();
    for db in dbs {
        let o = run(
            &db,
            &["import", "audit-history", bad.to_str().unwrap()],
            None,
        );
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(
            t.contains("Row 3, column period_end: The period ends before it starts"),
            "{t}"
        );
        assert!(t.contains("Row 3, column required:"), "{t}");
        assert_eq!(count(&db, "audit_history").await, 0, "all or nothing");

        let a = audits.to_str().unwrap();
        let o = run(&db, &["import", "audit-history", a, "--dry-run"], None);
        assert!(text(&o).contains("would be 2 new"), "{}", text(&o));
        assert_eq!(count(&db, "audit_history").await, 0);
        let o = run(&db, &["import", "audit-history", a], None);
        assert!(
            o.status.success() && text(&o).contains("2 new"),
            "{}",
            text(&o)
        );
        let o = run(&db, &["import", "audit-history", a], None);
        assert!(
            text(&o).contains("0 new, 0 changed, 2 already up to date"),
            "{}",
            text(&o)
        );

        let o = run(
            &db,
            &["import", "review-history", reviews.to_str().unwrap()],
            None,
        );
        assert!(
            o.status.success() && text(&o).contains("1 new"),
            "{}",
            text(&o)
        );
        assert_eq!(count(&db, "review_history").await, 1);
    }
}
