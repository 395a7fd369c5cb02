//! Importing training and CPD spreadsheets, every test on SQLite and on PostgreSQL. The files
//! are the domain crate's fixtures (`crates/domain/tests/fixtures/training/`).

use crate::common::{count, fixture, person_id};
use mashboard_domain::imports::RowError;
use mashboard_domain::people::PersonDraft;
use mashboard_domain::training_import::{
    parse_cpd, parse_training, read_sheet, suggest_mapping, CpdRow, ImportKind, Mapping, Parsed,
    TrainingRow,
};
use mashboard_store::audit_trail::{self, Actor, AuditFilter};
use mashboard_store::people;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::training::completions;
use mashboard_store::training::cpd;
use mashboard_store::training_import::{
    self, ImportError, ImportReport, Outcome, IMPORTED_REVIEW_COMMENT,
};
use mashboard_store::{Store, StoreError};
use time::macros::date;
use time::Date;

const TODAY: Date = date!(2024 - 06 - 01);

fn training(bytes: &[u8]) -> Parsed<TrainingRow> {
    let sheet = read_sheet(ImportKind::Training, bytes).unwrap();
    let mapping = suggest_mapping(ImportKind::Training, &sheet.headers);
    parse_training(&sheet, &mapping, TODAY).unwrap()
}

fn cpd_log(bytes: &[u8]) -> Parsed<CpdRow> {
    let sheet = read_sheet(ImportKind::Cpd, bytes).unwrap();
    let mapping = suggest_mapping(ImportKind::Cpd, &sheet.headers);
    parse_cpd(&sheet, &mapping, TODAY).unwrap()
}

/// The MASH world the fixtures talk about: two officers, their mentor and sergeant, and three
/// modules (MASH-RISK at its second version).
async fn world(store: &Store) {
    let actor = Actor::system();
    let row = |sn: &str, name: &str, lm: &str, me: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            line_manager_staff_number: lm.into(),
            mentor_staff_number: me.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = vec![
        (2, row("S100", "Mona Hughes", "", "")),
        (3, row("S200", "Len Okafor", "", "")),
        (4, row("4123", "Sam Patel", "S200", "S100")),
        (5, row("4410", "Alex Green", "S200", "S100")),
    ];
    people::import(store, &actor, &rows, false, "seed")
        .await
        .unwrap();
    for (code, title, kind) in [
        ("MASH-IND", "MASH induction", "face_to_face"),
        (
            "MASH-RISK",
            "Risk principles and the National Decision Model",
            "face_to_face",
        ),
        ("CDI-MASH", "Crime data integrity in the MASH", "e_learning"),
    ] {
        catalogue::create_module(
            store,
            &actor,
            &ModuleInput {
                code: code.into(),
                title: title.into(),
                kind: kind.into(),
                status: "live".into(),
                ..Default::default()
            },
            "1.0",
        )
        .await
        .unwrap();
    }
    let risk = catalogue::module_by_code(store, "MASH-RISK")
        .await
        .unwrap()
        .unwrap();
    catalogue::publish_version(
        store,
        &actor,
        risk.id,
        "1.1",
        "New case studies",
        "2024-01-10",
        None,
    )
    .await
    .unwrap();
}

/// Rows in the tables an import writes, and in the audit trail.
async fn counts(store: &Store) -> [i64; 4] {
    let mut out = [0; 4];
    for (i, table) in ["completions", "sign_offs", "cpd_entries", "audit_events"]
        .iter()
        .enumerate()
    {
        out[i] = count(store, table).await;
    }
    out
}

fn rows_of(e: ImportError) -> Vec<RowError> {
    match e {
        ImportError::Rows(rows) => rows,
        ImportError::Store(e) => panic!("store error: {e}"),
    }
}

fn problems(errors: &[RowError]) -> Vec<(usize, Option<&str>, &str)> {
    errors
        .iter()
        .map(|e| (e.row, e.column.as_deref(), e.reason.as_str()))
        .collect()
}

fn outcomes(r: &ImportReport) -> Vec<(usize, Outcome)> {
    r.rows.iter().map(|o| (o.row, o.outcome)).collect()
}

#[tokio::test]
async fn a_messy_training_sheet_is_refused_with_every_problem_and_changes_nothing() {
    on_both!(|store| {
        world(&store).await;
        let before = counts(&store).await;
        let parsed = training(&fixture("training/training-messy.xlsx"));
        for dry_run in [true, false] {
            let errors = rows_of(
                training_import::import_training(
                    &store,
                    &Actor::cli(),
                    &parsed,
                    dry_run,
                    "messy.xlsx",
                )
                .await
                .unwrap_err(),
            );
            assert_eq!(
                problems(&errors),
                vec![
                    (
                        11,
                        None,
                        "This repeats row 6: 4123 completing MASH-IND on 3 February 2024 is already in the file. Delete one of the two rows"
                    ),
                    (
                        12,
                        Some("Course"),
                        "No module in the catalogue has the code or title \"MASH-XYZ\""
                    ),
                    (
                        13,
                        Some("Collar No"),
                        "No one in the directory has staff number 9999. Add them to the directory first, or correct the number"
                    ),
                    (
                        14,
                        Some("Date completed"),
                        "\"31/02/2024\" is not a real date (dates are read day first, as 31/03/2024)"
                    ),
                ]
            );
        }
        assert_eq!(
            counts(&store).await,
            before,
            "nothing written, not even audit"
        );
    });
}

#[tokio::test]
async fn the_clean_training_sheet_imports_once_with_its_signatures_marked_imported() {
    on_both!(|store| {
        world(&store).await;
        let parsed = training(&fixture("training/training-clean.xlsx"));
        let before = counts(&store).await;

        // A dry run reports exactly what a real run does, and writes nothing.
        let dry =
            training_import::import_training(&store, &Actor::cli(), &parsed, true, "clean.xlsx")
                .await
                .unwrap();
        assert!(dry.dry_run);
        assert_eq!(
            (dry.created, dry.updated, dry.unchanged, dry.skipped),
            (4, 0, 0, 0)
        );
        assert_eq!(counts(&store).await, before);

        let done =
            training_import::import_training(&store, &Actor::cli(), &parsed, false, "clean.xlsx")
                .await
                .unwrap();
        assert_eq!(done.rows, dry.rows);
        assert!(!done.dry_run);
        assert_eq!(
            outcomes(&done),
            vec![
                (6, Outcome::Created),
                (7, Outcome::Created),
                (8, Outcome::Created),
                (10, Outcome::Created)
            ]
        );
        assert_eq!(
            done.rows[1].what,
            "MASH-RISK Risk principles and the National Decision Model"
        );
        assert_eq!(done.rows[0].person_name, "Sam Patel");
        assert_eq!(done.rows[0].note, "Signed off (both signatures imported)");

        let sam = completions::of_person(&store, person_id(&store, "4123").await)
            .await
            .unwrap();
        assert_eq!(sam.len(), 2);
        let induction = sam.iter().find(|c| c.module_code == "MASH-IND").unwrap();
        assert_eq!(induction.completed_on, "2024-02-03");
        assert_eq!(induction.status, "signed_off");
        assert_eq!(induction.source, "imported");
        assert_eq!(induction.mode, "face_to_face");
        assert_eq!(induction.trainer, "DS Ayo Bello");
        assert_eq!(induction.module_version, "1.0");
        let signs = completions::sign_offs(&store, induction.id).await.unwrap();
        let signs: Vec<(&str, &str, bool, Option<i64>)> = signs
            .iter()
            .map(|s| {
                (
                    s.capacity.as_str(),
                    s.signer_name.as_str(),
                    s.imported,
                    s.signer_person_id,
                )
            })
            .collect();
        assert_eq!(
            signs,
            vec![
                ("mentor", "Mona Hughes", true, None),
                ("line_manager", "Sgt Len Okafor", true, None)
            ]
        );
        // Given by title, at the module's current version, mentor only: still awaiting sign-off.
        let risk = sam.iter().find(|c| c.module_code == "MASH-RISK").unwrap();
        assert_eq!(risk.module_version, "1.1");
        assert_eq!(risk.status, "awaiting_sign_off");
        assert_eq!(risk.mode, "virtual");
        let signs = completions::sign_offs(&store, risk.id).await.unwrap();
        assert_eq!(signs.len(), 1);
        assert_eq!(signs[0].signer_name, "Signed (Yes); no name given");
        assert!(signs[0].imported);

        let alex = completions::of_person(&store, person_id(&store, "4410").await)
            .await
            .unwrap();
        let serial = alex.iter().find(|c| c.module_code == "MASH-IND").unwrap();
        assert_eq!(serial.completed_on, "2024-03-01");
        assert_eq!(serial.status, "signed_off");
        let cdi = alex.iter().find(|c| c.module_code == "CDI-MASH").unwrap();
        assert_eq!(
            (cdi.mode.as_str(), cdi.status.as_str()),
            ("e_learning", "awaiting_sign_off")
        );
        assert_eq!(cdi.notes, "done from home");

        // The import is in the audit trail: one event per completion and one for the file.
        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "completion.import".into(),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 4);
        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "training.import_file".into(),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 1);
        assert!(
            events[0].summary.contains("clean.xlsx: 4 new, 0 changed"),
            "{}",
            events[0].summary
        );

        // Importing the same file again changes nothing but the file's own audit event.
        let after = counts(&store).await;
        let again =
            training_import::import_training(&store, &Actor::cli(), &parsed, false, "clean.xlsx")
                .await
                .unwrap();
        assert_eq!(
            (again.created, again.updated, again.unchanged, again.skipped),
            (0, 0, 4, 0)
        );
        let mut expected = after;
        expected[3] += 1;
        assert_eq!(counts(&store).await, expected);
    });
}

#[tokio::test]
async fn a_changed_file_updates_and_work_done_in_mashboard_is_not_overwritten() {
    on_both!(|store| {
        world(&store).await;
        let bytes = fixture("training/training-clean.xlsx");
        let parsed = training(&bytes);
        training_import::import_training(&store, &Actor::cli(), &parsed, false, "clean.xlsx")
            .await
            .unwrap();
        // Someone reopens Sam's induction in mashboard.
        let sam = completions::of_person(&store, person_id(&store, "4123").await)
            .await
            .unwrap();
        let induction = sam.iter().find(|c| c.module_code == "MASH-IND").unwrap();
        completions::reopen(&store, &Actor::system(), induction.id, "Wrong date")
            .await
            .unwrap();

        // The same file, mapped differently: the Trainer column is read as notes.
        let sheet = read_sheet(ImportKind::Training, &bytes).unwrap();
        let mapping = Mapping::parse(
            ImportKind::Training,
            "staff_number=collar_no;module=course;completed_on=date_completed;mode=delivery;notes=trainer;mentor_signed=sign_off_mentor;manager_signed=sign_off_sgt",
        )
        .unwrap();
        let changed = parse_training(&sheet, &mapping, TODAY).unwrap();
        let r =
            training_import::import_training(&store, &Actor::cli(), &changed, false, "clean.xlsx")
                .await
                .unwrap();
        assert_eq!(
            outcomes(&r),
            vec![
                (6, Outcome::Skipped),
                (7, Outcome::Updated),
                (8, Outcome::Updated),
                // Its notes were in the Notes column, which this mapping does not use.
                (10, Outcome::Updated)
            ]
        );
        assert!(r.rows[0].note.contains("does not overwrite"));
        let reopened = completions::get(&store, induction.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reopened.status, "reopened");
        assert_eq!(reopened.trainer, "DS Ayo Bello");
        let risk = sam.iter().find(|c| c.module_code == "MASH-RISK").unwrap();
        let risk = completions::get(&store, risk.id).await.unwrap().unwrap();
        assert_eq!(
            (risk.trainer.as_str(), risk.notes.as_str()),
            ("", "Ayo Bello")
        );
        // Its imported signature is still there, once.
        assert_eq!(
            completions::sign_offs(&store, risk.id).await.unwrap().len(),
            1
        );
    });
}

#[tokio::test]
async fn the_catalogue_decides_codes_titles_and_versions() {
    on_both!(|store| {
        world(&store).await;
        let before = counts(&store).await;
        let text = "Collar No,Course,Date,Version\r\n\
                    4123,MASH-IND,01/02/2024,9.9\r\n\
                    4123,MASH-RISK,01/02/2024,v1\r\n\
                    4410,mash  induction,01/02/2024,\r\n\
                    4410,MASH-IND,1 February 2024,\r\n";
        let errors = rows_of(
            training_import::import_training(
                &store,
                &Actor::cli(),
                &training(text.as_bytes()),
                false,
                "x.csv",
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(
            problems(&errors),
            vec![
                (2, Some("Version"), "MASH-IND has no version 9.9; its versions are 1.0"),
                (
                    5,
                    None,
                    "This repeats row 4: 4410 completing MASH-IND on 1 February 2024 is already in the file. Delete one of the two rows"
                ),
            ]
        );
        assert_eq!(counts(&store).await, before);
        // An older version is fine when the file names it.
        let ok = "Collar No,Course,Date,Version\n4123,MASH-RISK,01/02/2024,1.0\n";
        let r = training_import::import_training(
            &store,
            &Actor::cli(),
            &training(ok.as_bytes()),
            false,
            "ok.csv",
        )
        .await
        .unwrap();
        assert_eq!(r.created, 1);
        let c = completions::of_person(&store, person_id(&store, "4123").await)
            .await
            .unwrap();
        assert_eq!(c[0].module_version, "1.0");
    });
}

#[tokio::test]
async fn a_cpd_log_is_refused_whole_then_imports_once_with_verified_entries() {
    on_both!(|store| {
        world(&store).await;
        let before = counts(&store).await;
        let errors = rows_of(
            training_import::import_cpd(
                &store,
                &Actor::cli(),
                &cpd_log(&fixture("training/cpd-messy.csv")),
                false,
                "cpd.csv",
            )
            .await
            .unwrap_err(),
        );
        let at: Vec<(usize, Option<&str>)> = errors
            .iter()
            .map(|e| (e.row, e.column.as_deref()))
            .collect();
        assert_eq!(
            at,
            vec![
                (7, Some("Hours")),
                (8, None),
                (9, Some("Staff No.")),
                (10, Some("Evidence"))
            ]
        );
        assert_eq!(
            errors[2].reason,
            "No one in the directory has staff number S999. Add them to the directory first, or correct the number"
        );
        assert_eq!(counts(&store).await, before);

        let parsed = cpd_log(&fixture("training/cpd-clean.csv"));
        assert_eq!(parsed.warnings.len(), 1);
        let r = training_import::import_cpd(&store, &Actor::cli(), &parsed, false, "cpd.csv")
            .await
            .unwrap();
        assert_eq!((r.created, r.updated, r.unchanged, r.skipped), (3, 0, 0, 0));
        assert_eq!(
            r.rows[0].note,
            "Verified (by Sgt Len Okafor, before import)"
        );
        let sam_id = person_id(&store, "4123").await;
        let sam = cpd::of_person(&store, sam_id).await.unwrap();
        assert_eq!(sam.len(), 2);
        let da = sam
            .iter()
            .find(|e| e.topic.starts_with("Domestic"))
            .unwrap();
        assert_eq!(da.status, "verified");
        assert_eq!(da.reviewed_by.as_deref(), Some("Sgt Len Okafor"));
        assert_eq!(da.review_comment, IMPORTED_REVIEW_COMMENT);
        assert_eq!(da.source, "imported");
        assert_eq!(da.minutes, 90);
        assert_eq!(da.kind, "course");
        assert!(
            da.learning.contains("café") && da.learning.contains("£0"),
            "{}",
            da.learning
        );
        let stalking = sam
            .iter()
            .find(|e| e.topic == "Stalking awareness")
            .unwrap();
        assert_eq!(stalking.status, "submitted");
        assert_eq!(stalking.kind, "e_learning");
        assert_eq!(stalking.learning, "");

        // Again: nothing changes.
        let after = counts(&store).await;
        let again = training_import::import_cpd(&store, &Actor::cli(), &parsed, false, "cpd.csv")
            .await
            .unwrap();
        assert_eq!(
            (again.created, again.updated, again.unchanged, again.skipped),
            (0, 0, 3, 0)
        );
        let mut expected = after;
        expected[3] += 1;
        assert_eq!(counts(&store).await, expected);

        // The line manager returns an entry in mashboard; a re-import leaves it alone.
        let len = person_id(&store, "S200").await;
        cpd::review(
            &store,
            &Actor::system(),
            Some(len),
            stalking.id,
            false,
            "Add what you learned",
        )
        .await
        .unwrap();
        let third = training_import::import_cpd(&store, &Actor::cli(), &parsed, true, "cpd.csv")
            .await
            .unwrap();
        assert_eq!(
            (third.created, third.updated, third.unchanged, third.skipped),
            (0, 0, 2, 1)
        );
        assert_eq!(
            cpd::get(&store, stalking.id).await.unwrap().unwrap().status,
            "returned"
        );
    });
}

#[tokio::test]
async fn mappings_are_saved_by_name_and_kind() {
    on_both!(|store| {
        let actor = Actor::user(1, "trainer");
        let mapping = Mapping::parse(
            ImportKind::Training,
            "staff_number=Collar No;module=Course;completed_on=Date",
        )
        .unwrap();
        let saved = training_import::save_mapping(
            &store,
            &actor,
            ImportKind::Training,
            "  MASH   sheet ",
            &mapping,
        )
        .await
        .unwrap();
        assert_eq!(saved.name, "MASH sheet");
        assert_eq!(saved.kind, "training");
        assert_eq!(
            saved.mapping,
            "staff_number=collar_no;module=course;completed_on=date"
        );
        assert_eq!(saved.created_by, "trainer");
        assert_eq!(saved.parsed(ImportKind::Training).unwrap(), mapping);

        // Found by name, case aside, and only for its kind.
        let found = training_import::mapping(&store, ImportKind::Training, "mash sheet")
            .await
            .unwrap();
        assert_eq!(found.as_ref().map(|m| m.id), Some(saved.id));
        assert!(
            training_import::mapping(&store, ImportKind::Cpd, "MASH sheet")
                .await
                .unwrap()
                .is_none()
        );

        // Saving under the same name replaces it.
        let mut changed = mapping.clone();
        changed
            .set(ImportKind::Training, "trainer", "Delivered by")
            .unwrap();
        let replaced = training_import::save_mapping(
            &store,
            &actor,
            ImportKind::Training,
            "mash SHEET",
            &changed,
        )
        .await
        .unwrap();
        assert_eq!(replaced.id, saved.id);
        assert_eq!(replaced.name, "mash SHEET");
        assert!(replaced.mapping.ends_with(";trainer=delivered_by"));
        let cpd_mapping =
            Mapping::parse(ImportKind::Cpd, "staff_number=staff_no;topic=topic").unwrap();
        training_import::save_mapping(&store, &actor, ImportKind::Cpd, "CPD log", &cpd_mapping)
            .await
            .unwrap();
        let all = training_import::mappings(&store, ImportKind::Training)
            .await
            .unwrap();
        assert_eq!(all.len(), 1);

        for bad in ["", "   ", &"x".repeat(61)] {
            let e =
                training_import::save_mapping(&store, &actor, ImportKind::Training, bad, &mapping)
                    .await
                    .unwrap_err();
            assert!(matches!(e, StoreError::Invalid(_)), "{bad:?}: {e}");
        }
        let e = training_import::save_mapping(
            &store,
            &actor,
            ImportKind::Training,
            "Empty",
            &Mapping::default(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("nothing to save"));

        let (_, events) = audit_trail::list(
            &store,
            &AuditFilter {
                action: "import_mapping.save".into(),
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 3);
        assert!(events.iter().any(|e| e.before_json.is_some()));
    });
}
