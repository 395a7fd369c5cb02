//! Partner exchange and attachment-day storage, every test on SQLite and on PostgreSQL.

use crate::common::person_id;
use mashboard_domain::attachment_days::{BookingRefusal, Ineligible};
use mashboard_domain::partners::{ContactDraft, ExternalDraft, ExternalStatus, OrgDraft, OrgKind};
use mashboard_domain::people::PersonDraft;
use mashboard_store::audit_trail::{self, Actor};
use mashboard_store::learning::attachment_days::{self, BookError, NewDay};
use mashboard_store::partners;
use mashboard_store::training::catalogue::{self, ModuleInput};
use mashboard_store::{people, Store, StoreError};
use time::macros::date;

fn org(name: &str, kind: &str) -> mashboard_domain::partners::OrgInput {
    OrgDraft {
        name: name.into(),
        kind: kind.into(),
        notes: String::new(),
    }
    .validate()
    .unwrap()
}

async fn module(store: &Store, code: &str) -> i64 {
    catalogue::create_module(
        store,
        &Actor::system(),
        &ModuleInput {
            code: code.into(),
            title: format!("{code} title"),
            kind: "face_to_face".into(),
            status: "live".into(),
            ..Default::default()
        },
        "1.0",
    )
    .await
    .unwrap()
    .id
}

async fn session(
    store: &Store,
    module_id: i64,
    starts: &str,
    direction: &str,
    org: Option<i64>,
) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO training_sessions (module_id, module_version, title, starts_at, ends_at, mode, capacity, status,
            direction, partner_org_id, ics_uid, created_by, created_at, updated_at)
         VALUES ($1, '1.0', '', $2, $2, 'in_person', 30, 'delivered', $3, $4, $5, 'test', $2, $2) RETURNING id",
    )
    .bind(module_id)
    .bind(starts)
    .bind(direction)
    .bind(org)
    .bind(format!("uid-{starts}-{direction}"))
    .fetch_one(store.pool())
    .await
    .unwrap()
}

async fn seed_people(store: &Store) {
    let row = |sn: &str, name: &str, rank: &str, start: &str, lm: &str| {
        PersonDraft {
            staff_number: sn.into(),
            name: name.into(),
            rank: rank.into(),
            start_date: start.into(),
            line_manager_staff_number: lm.into(),
            ..Default::default()
        }
        .validate()
        .unwrap()
    };
    let rows = vec![
        (2, row("S1", "Sergeant Sue", "Sgt", "2010-01-04", "")),
        (3, row("P1", "Pat Second", "PC", "2024-02-05", "S1")),
        (4, row("P2", "Quinn Second", "PC", "2024-02-05", "S1")),
        (5, row("P3", "Robin First", "PC", "2024-09-02", "S1")),
        (6, row("C1", "Casey Pcso", "PCSO", "2024-02-05", "S1")),
        (7, row("P4", "Drew Second", "DC", "2024-02-05", "")),
    ];
    people::import(store, &Actor::system(), &rows, false, "seed")
        .await
        .unwrap();
}

#[tokio::test]
async fn organisations_and_contacts_are_kept_and_audited() {
    on_both!(|store| {
        let actor = Actor::system();
        let o = partners::create_org(
            &store,
            &actor,
            &org("Northshire Children's Services", "children_social_care"),
        )
        .await
        .unwrap();
        assert_eq!(o.kind, OrgKind::ChildrenSocialCare.as_str());
        let dup = partners::create_org(
            &store,
            &actor,
            &org("northshire children's services", "health"),
        )
        .await;
        assert!(matches!(dup, Err(StoreError::Conflict(m)) if m.contains("already")));
        let c = ContactDraft {
            name: "Dana Lead".into(),
            job_title: "Front door manager".into(),
            email: "dana@council.example.org".into(),
            phone: String::new(),
        }
        .validate()
        .unwrap();
        let contact = partners::add_contact(&store, &actor, o.id, &c)
            .await
            .unwrap();
        assert_eq!(partners::contacts(&store, o.id).await.unwrap().len(), 1);
        let updated = partners::update_org(
            &store,
            &actor,
            o.id,
            &org("Northshire CSC", "children_social_care"),
            false,
        )
        .await
        .unwrap();
        assert!(!updated.active);
        assert_eq!(updated.contacts, 1);
        partners::remove_contact(&store, &actor, contact.id)
            .await
            .unwrap();
        assert!(partners::contacts(&store, o.id).await.unwrap().is_empty());
        let trail = audit_trail::all_after(&store, 0, 1000).await.unwrap();
        let actions: Vec<_> = trail.iter().map(|e| e.action.as_str()).collect();
        for a in [
            "partner_org.create",
            "partner_contact.create",
            "partner_org.update",
            "partner_contact.remove",
        ] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
    });
}

#[tokio::test]
async fn external_attendees_and_the_exchange_summary() {
    on_both!(|store| {
        let actor = Actor::system();
        seed_people(&store).await;
        let csc = partners::create_org(
            &store,
            &actor,
            &org("Children's Services", "children_social_care"),
        )
        .await
        .unwrap();
        let health = partners::create_org(&store, &actor, &org("Community Health", "health"))
            .await
            .unwrap();
        let ppn = module(&store, "FL-PPN").await;
        let neglect = module(&store, "P-NEGLECT").await;
        partners::set_provider(&store, &actor, neglect, Some(health.id))
            .await
            .unwrap();
        let pm = partners::partner_modules(&store, None, false)
            .await
            .unwrap();
        assert_eq!(pm.len(), 1);
        assert_eq!(pm[0].provider_name, "Community Health");

        // Q1: police deliver to partners; two attend, one absent
        let s1 = session(
            &store,
            ppn,
            "2024-02-10T09:00:00.000000Z",
            "to_partners",
            Some(csc.id),
        )
        .await;
        let add = |name: &str, org: Option<i64>, typed: &str| {
            ExternalDraft {
                name: name.into(),
                organisation: typed.into(),
                partner_org_id: org,
                email: String::new(),
            }
            .validate()
            .unwrap()
        };
        let a = partners::add_external(&store, &actor, s1, &add("Ann Social", Some(csc.id), ""))
            .await
            .unwrap();
        let b = partners::add_external(
            &store,
            &actor,
            s1,
            &add("Ben Teacher", None, "St Mary's School"),
        )
        .await
        .unwrap();
        let c = partners::add_external(&store, &actor, s1, &add("Cat Nurse", Some(health.id), ""))
            .await
            .unwrap();
        let again =
            partners::add_external(&store, &actor, s1, &add("ann social", Some(csc.id), "")).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))));
        partners::mark_external(
            &store,
            &actor,
            s1,
            a.id,
            Some(ExternalStatus::Attended),
            None,
        )
        .await
        .unwrap();
        partners::mark_external(
            &store,
            &actor,
            s1,
            b.id,
            Some(ExternalStatus::PartlyAttended),
            Some(60),
        )
        .await
        .unwrap();
        partners::mark_external(&store, &actor, s1, c.id, Some(ExternalStatus::Absent), None)
            .await
            .unwrap();
        // an attendee of another session cannot be marked through this one
        let s_other = session(&store, ppn, "2024-03-01T09:00:00.000000Z", "internal", None).await;
        assert!(
            partners::mark_external(&store, &actor, s_other, a.id, None, None)
                .await
                .is_err()
        );

        // Q2: a partner delivers to the police; two officers attended
        let s2 = session(
            &store,
            neglect,
            "2024-05-14T13:00:00.000000Z",
            "from_partner",
            Some(health.id),
        )
        .await;
        for sn in ["P1", "P2"] {
            let pid = person_id(&store, sn).await;
            sqlx::query("INSERT INTO session_attendance (session_id, person_id, status, source, recorded_by, recorded_at) VALUES ($1, $2, 'attended', 'register', 'test', '2024-05-14T16:00:00.000000Z')")
                .bind(s2).bind(pid).execute(store.pool()).await.unwrap();
        }
        // Q4: a completion of the partner's module outside any session
        sqlx::query("INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at) VALUES ($1, $2, '1.0', '2024-11-03', 'e_learning', 'awaiting_sign_off', 'recorded', 'test', 'x', 'x')")
            .bind(person_id(&store, "P3").await).bind(neglect).execute(store.pool()).await.unwrap();
        // another year: not counted
        session(
            &store,
            ppn,
            "2023-12-31T09:00:00.000000Z",
            "to_partners",
            Some(csc.id),
        )
        .await;

        let (sessions, summary) = partners::exchange(&store, 2024).await.unwrap();
        assert_eq!(sessions.len(), 2);
        let q1 = &summary.quarters[0].to_partners;
        assert_eq!(
            (q1.sessions, q1.attendees, q1.organisations),
            (1, 2, 2),
            "{q1:?}"
        );
        assert_eq!(
            q1.organisation_names,
            vec!["Children's Services", "St Mary's School"]
        );
        let q2 = &summary.quarters[1].from_partners;
        assert_eq!((q2.sessions, q2.attendees, q2.organisations), (1, 2, 1));
        assert_eq!(summary.quarters[3].from_partners.completions, 1);
        assert_eq!(summary.to_partners.sessions, 1);
        assert_eq!(summary.from_partners.sessions, 1);

        let linked = partners::sessions_of_org(&store, health.id).await.unwrap();
        assert_eq!(
            linked.len(),
            2,
            "delivered by health, and health staff attended s1"
        );
        partners::remove_external(&store, &actor, s1, c.id)
            .await
            .unwrap();
        assert_eq!(
            partners::external_attendees(&store, s1)
                .await
                .unwrap()
                .len(),
            2
        );
    });
}

#[tokio::test]
async fn attachment_days_check_eligibility_capacity_and_record_completions() {
    on_both!(|store| {
        let actor = Actor::system();
        seed_people(&store).await;
        let fl = module(&store, "FL-ATTACH").await;
        let today = date!(2025 - 02 - 01);
        let d = attachment_days::create_day(
            &store,
            &actor,
            &NewDay {
                day: date!(2025 - 03 - 10),
                capacity: 2,
                location: "MASH, Riverside House".into(),
                facilitator_person_id: None,
                module_id: None,
                notes: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(d.module_id, Some(fl), "the FL-ATTACH module by default");
        let pid = |sn: &'static str| {
            let store = store.clone();
            async move { person_id(&store, sn).await }
        };

        // a PCSO and a first-year PC are refused, with reasons
        match attachment_days::book(&store, &actor, d.id, pid("C1").await, today).await {
            Err(BookError::Refused {
                refusal: BookingRefusal::Ineligible(Ineligible::NotAConstable { .. }),
                message,
            }) => {
                assert!(
                    message.contains("Casey Pcso") && message.contains("PCSO"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            attachment_days::book(&store, &actor, d.id, pid("P3").await, today).await,
            Err(BookError::Refused {
                refusal: BookingRefusal::Ineligible(Ineligible::FirstYear { .. }),
                ..
            })
        ));
        attachment_days::book(&store, &actor, d.id, pid("P1").await, today)
            .await
            .unwrap();
        assert!(matches!(
            attachment_days::book(&store, &actor, d.id, pid("P1").await, today).await,
            Err(BookError::Refused {
                refusal: BookingRefusal::AlreadyBooked,
                ..
            })
        ));
        attachment_days::book(&store, &actor, d.id, pid("P2").await, today)
            .await
            .unwrap();
        let full = attachment_days::day(&store, d.id).await.unwrap().unwrap();
        assert_eq!((full.booked, full.status.as_str()), (2, "full"));
        assert!(matches!(
            attachment_days::book(&store, &actor, d.id, pid("P4").await, today).await,
            Err(BookError::Refused {
                refusal: BookingRefusal::Full { capacity: 2 },
                ..
            })
        ));
        // nothing was written by the refusals
        assert_eq!(
            attachment_days::bookings(&store, d.id).await.unwrap().len(),
            2
        );
        // capacity cannot drop below the bookings
        assert!(attachment_days::update_day(&store, &actor, d.id, 1, "", "")
            .await
            .is_err());

        // withdrawing frees the place
        attachment_days::withdraw(&store, &actor, d.id, pid("P2").await)
            .await
            .unwrap();
        let open = attachment_days::day(&store, d.id).await.unwrap().unwrap();
        assert_eq!((open.booked, open.status.as_str()), (1, "open"));
        attachment_days::book(&store, &actor, d.id, pid("P4").await, today)
            .await
            .unwrap();

        // attendance cannot be marked before the day
        assert!(
            attachment_days::mark(&store, &actor, d.id, pid("P1").await, true, today)
                .await
                .is_err()
        );
        let after = date!(2025 - 03 - 10);
        let b = attachment_days::mark(&store, &actor, d.id, pid("P1").await, true, after)
            .await
            .unwrap();
        assert_eq!(b.status, "attended");
        let cid = b.completion_id.expect("a completion");
        let done: (String, String, i64) =
            sqlx::query_as("SELECT completed_on, status, module_id FROM completions WHERE id = $1")
                .bind(cid)
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            done,
            (
                "2025-03-10".to_string(),
                "awaiting_sign_off".to_string(),
                fl
            )
        );
        // marking attended again does not record a second completion
        attachment_days::mark(&store, &actor, d.id, pid("P1").await, true, after)
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM completions WHERE module_id = $1",
        )
        .bind(fl)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(n, 1);
        // absent after all: the unsigned completion goes
        let b = attachment_days::mark(&store, &actor, d.id, pid("P1").await, false, after)
            .await
            .unwrap();
        assert_eq!((b.status.as_str(), b.completion_id), ("absent", None));
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM completions WHERE module_id = $1",
        )
        .bind(fl)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(n, 0);
        // a withdrawn booking cannot be marked
        assert!(
            attachment_days::mark(&store, &actor, d.id, pid("P2").await, true, after)
                .await
                .is_err()
        );

        // partner participants, without accounts
        let x = ExternalDraft {
            name: "Fran Health".into(),
            organisation: "Community Health".into(),
            partner_org_id: None,
            email: "fran@nhs.example.uk".into(),
        }
        .validate()
        .unwrap();
        let p = attachment_days::add_participant(&store, &actor, d.id, &x)
            .await
            .unwrap();
        assert!(attachment_days::add_participant(&store, &actor, d.id, &x)
            .await
            .is_err());
        attachment_days::mark_participant(&store, &actor, d.id, p.id, Some(true))
            .await
            .unwrap();
        let ps = attachment_days::participants(&store, d.id).await.unwrap();
        assert_eq!(ps[0].status.as_deref(), Some("attended"));
        let held = attachment_days::day(&store, d.id).await.unwrap().unwrap();
        assert_eq!((held.status.as_str(), held.partners), ("held", 1));
    });
}

#[tokio::test]
async fn exchange_quarters_follow_the_london_date() {
    on_both!(|store| {
        let actor = Actor::system();
        let csc = partners::create_org(
            &store,
            &actor,
            &org("Children's Services", "children_social_care"),
        )
        .await
        .unwrap();
        let ppn = module(&store, "FL-PPN").await;
        // 00:30 BST on Tuesday 1 April 2025 is 23:30 UTC on 31 March: the second quarter.
        session(
            &store,
            ppn,
            "2025-03-31T23:30:00.000000Z",
            "to_partners",
            Some(csc.id),
        )
        .await;
        // 23:30 BST on 31 March 2025 (22:30 UTC) is still the first quarter.
        session(
            &store,
            ppn,
            "2025-03-31T22:30:00.000000Z",
            "to_partners",
            Some(csc.id),
        )
        .await;
        // 00:30 BST on 1 October (23:30 UTC on 30 September): the fourth quarter.
        session(
            &store,
            ppn,
            "2025-09-30T23:30:00.000000Z",
            "to_partners",
            Some(csc.id),
        )
        .await;
        // New Year in London is midnight UTC (GMT): 23:30 UTC on 31 December is the old year.
        session(
            &store,
            ppn,
            "2024-12-31T23:30:00.000000Z",
            "to_partners",
            Some(csc.id),
        )
        .await;
        let (sessions, summary) = partners::exchange(&store, 2025).await.unwrap();
        let days: Vec<&str> = sessions.iter().map(|s| s.day.as_str()).collect();
        assert_eq!(days, vec!["2025-03-31", "2025-04-01", "2025-10-01"]);
        let per_quarter: Vec<u32> = summary
            .quarters
            .iter()
            .map(|q| q.to_partners.sessions)
            .collect();
        assert_eq!(per_quarter, vec![1, 1, 0, 1]);
        let (_, last_year) = partners::exchange(&store, 2024).await.unwrap();
        assert_eq!(last_year.to_partners.sessions, 1);
    });
}
