//! Demo partner exchange and MASH attachment days: a partner organisation of every kind with
//! contacts, modules partners provide, and attachment days from 2023 to the day seeded, with the demo force's
//! second-year constables booked, their attendance (which records FL-ATTACH in their plans)
//! and partner participants; a few days still to come. Deterministic, and run once: a database
//! that already has partner organisations is left alone.

use anyhow::{Context, Result};
use mashboard_domain::partners::{ContactDraft, ExternalDraft, OrgDraft};
use mashboard_store::audit_trail::Actor;
use mashboard_store::learning::attachment_days::{self, NewDay};
use mashboard_store::partners;
use mashboard_store::people::{self, Person};
use mashboard_store::training::catalogue::ModuleInput;
use mashboard_store::training::completions;
use mashboard_store::Store;
use std::collections::HashSet;
use time::{Date, Duration, Month};

/// A contact: name, job title, e-mail.
type DemoContact = (&'static str, &'static str, &'static str);

/// (name, kind, contacts)
const ORGS: [(&str, &str, [DemoContact; 2]); 8] = [
    (
        "Northshire Children's Services",
        "children_social_care",
        [
            (
                "Dana Whitfield",
                "Front door team manager",
                "dana.whitfield@northshire.example.gov.uk",
            ),
            (
                "Omar Sheikh",
                "Principal social worker",
                "omar.sheikh@northshire.example.gov.uk",
            ),
        ],
    ),
    (
        "Northshire Adult Social Care",
        "adult_social_care",
        [
            (
                "Helen Marsh",
                "Safeguarding adults lead",
                "helen.marsh@northshire.example.gov.uk",
            ),
            (
                "Tom Reilly",
                "Senior practitioner",
                "tom.reilly@northshire.example.gov.uk",
            ),
        ],
    ),
    (
        "Northshire Community Health NHS Trust",
        "health",
        [
            (
                "Priya Nair",
                "Named nurse for safeguarding children",
                "priya.nair@nct.example.nhs.uk",
            ),
            (
                "Gareth Lloyd",
                "Health visitor team leader",
                "gareth.lloyd@nct.example.nhs.uk",
            ),
        ],
    ),
    (
        "Northshire Education Safeguarding Service",
        "education",
        [
            (
                "Ruth Okafor",
                "Education safeguarding adviser",
                "ruth.okafor@northshire.example.gov.uk",
            ),
            (
                "Simon Hale",
                "Designated safeguarding lead network chair",
                "simon.hale@northshire.example.sch.uk",
            ),
        ],
    ),
    (
        "Northshire Fire and Rescue Service",
        "fire_rescue",
        [
            (
                "Kate Burrows",
                "Prevention manager",
                "kate.burrows@northshirefire.example.gov.uk",
            ),
            (
                "Lewis Grant",
                "Safe and well officer",
                "lewis.grant@northshirefire.example.gov.uk",
            ),
        ],
    ),
    (
        "Probation Service, Northshire",
        "probation",
        [
            (
                "Amira Haddad",
                "Senior probation officer",
                "amira.haddad@probation.example.gov.uk",
            ),
            (
                "Neil Foster",
                "MAPPA coordinator",
                "neil.foster@probation.example.gov.uk",
            ),
        ],
    ),
    (
        "Northshire Homes",
        "housing",
        [
            (
                "Beth Turner",
                "Tenancy sustainment lead",
                "beth.turner@northshirehomes.example.org.uk",
            ),
            (
                "Ian Cole",
                "Anti-social behaviour officer",
                "ian.cole@northshirehomes.example.org.uk",
            ),
        ],
    ),
    (
        "Northshire Women's Aid",
        "other",
        [
            (
                "Grace Idowu",
                "Independent domestic violence adviser manager",
                "grace.idowu@nwa.example.org.uk",
            ),
            (
                "Molly Shaw",
                "Children and young people's worker",
                "molly.shaw@nwa.example.org.uk",
            ),
        ],
    ),
];

/// (provider index in ORGS, code, title, summary, kind, minutes)
const MODULES: [(usize, &str, &str, &str, &str, i64); 6] = [
    (
        0,
        "P-THRESH",
        "Thresholds and the front door",
        "How children's social care decides what happens to a police referral: the threshold document, the front door's questions, and what makes a referral actionable.",
        "face_to_face",
        120,
    ),
    (
        2,
        "P-NEGLECT-U5",
        "Recognising neglect in under-fives",
        "Health visitors on the signs of neglect in babies and young children, the graded care profile, and when a home visit should prompt a referral.",
        "virtual_session",
        90,
    ),
    (
        1,
        "P-CARE-ACT",
        "Adult safeguarding under the Care Act",
        "Section 42 enquiries, self-neglect and hoarding, and making safeguarding personal.",
        "face_to_face",
        120,
    ),
    (
        4,
        "P-SAFE-WELL",
        "Safe and well visits: fire risk and vulnerability",
        "What a fire service safe and well visit looks for, and how officers can refer someone at risk.",
        "e_learning",
        45,
    ),
    (
        5,
        "P-MAPPA",
        "MAPPA and managing risky people",
        "Multi-agency public protection arrangements: categories, levels and the police role.",
        "virtual_session",
        90,
    ),
    (
        3,
        "P-SCHOOLS",
        "What schools see: designated safeguarding leads",
        "How a school's designated safeguarding lead records and escalates concerns, and Operation Encompass in the classroom.",
        "face_to_face",
        60,
    ),
];

/// Partner staff who join attachment days (name, index in ORGS).
const PARTICIPANTS: [(&str, usize); 10] = [
    ("Lucy Barker", 0),
    ("Sam Osei", 0),
    ("Nadia Rahman", 2),
    ("Chris Doyle", 2),
    ("Ellen Price", 3),
    ("Joe Fenwick", 1),
    ("Hannah Wood", 6),
    ("Martin Kaye", 4),
    ("Zara Ali", 7),
    ("Fiona Reid", 5),
];

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, Month::try_from(m).expect("month 1-12"), d).expect("a real date")
}

/// The first Tuesday on or after a day.
fn tuesday_from(d: Date) -> Date {
    let mut d = d;
    while d.weekday() != time::Weekday::Tuesday {
        d = d.next_day().expect("not the end of time");
    }
    d
}

fn is_officer(p: &Person) -> bool {
    mashboard_domain::attachment_days::is_constable(p.rank.as_deref().unwrap_or(""))
}

/// Seeds the partner exchange and attachment days once, as they stand on `today`.
pub async fn seed(store: &Store, today: Date) -> Result<()> {
    if !partners::orgs(store).await?.is_empty() {
        return Ok(());
    }
    let actor = Actor::system();
    let mut org_ids = Vec::new();
    for (name, kind, contacts) in ORGS {
        let input = OrgDraft {
            name: name.into(),
            kind: kind.into(),
            notes: String::new(),
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("demo organisation {name}: {e:?}"))?;
        let org = partners::create_org(store, &actor, &input)
            .await
            .with_context(|| format!("adding demo partner {name}"))?;
        for (cname, title, email) in contacts {
            let c = ContactDraft {
                name: cname.into(),
                job_title: title.into(),
                email: email.into(),
                phone: String::new(),
            }
            .validate()
            .map_err(|e| anyhow::anyhow!("demo contact {cname}: {e:?}"))?;
            partners::add_contact(store, &actor, org.id, &c).await?;
        }
        org_ids.push(org.id);
    }
    for (org, code, title, summary, kind, minutes) in MODULES {
        partners::create_partner_module(
            store,
            &actor,
            org_ids[org],
            &ModuleInput {
                code: code.into(),
                title: title.into(),
                summary: summary.into(),
                kind: kind.into(),
                duration_minutes: minutes,
                status: "live".into(),
                ..Default::default()
            },
            "1.0",
        )
        .await
        .with_context(|| format!("adding demo partner module {code}"))?;
    }

    // Attachment days: five a year from 2023, on the first Tuesday of the month.
    let everyone = people::all(store).await?;
    let officers: Vec<&Person> = everyone.iter().filter(|p| is_officer(p)).collect();
    let facilitator = everyone
        .iter()
        .find(|p| p.roles.contains("mash_trainer"))
        .map(|p| p.id);
    let mut done: HashSet<i64> = HashSet::new();
    // People whose FL-ATTACH is already recorded (for example by the training demo) are not
    // booked again.
    for p in &officers {
        if completions::of_person(store, p.id)
            .await?
            .iter()
            .any(|c| c.module_code == "FL-ATTACH")
        {
            done.insert(p.id);
        }
    }
    let mut days = Vec::new();
    for year in 2023..=today.year() {
        for month in [2u8, 4, 6, 9, 11] {
            days.push(tuesday_from(date(year, month, 1)));
        }
    }
    let mut n = 0i64;
    for day in days.into_iter().filter(|d| *d < today) {
        n += 1;
        let d = attachment_days::create_day(
            store,
            &actor,
            &NewDay {
                day,
                capacity: 8,
                location: "MASH, Riverside House, training room".into(),
                facilitator_person_id: facilitator,
                module_id: None,
                notes:
                    "Paper-feed exercise: the Brook children; mock strategy meeting with partners."
                        .into(),
            },
        )
        .await?;
        let mut booked = 0;
        for p in &officers {
            if booked >= 7 {
                break;
            }
            if done.contains(&p.id) {
                continue;
            }
            let Some(o) = attachment_days::officer(store, p.id).await? else {
                continue;
            };
            if o.eligibility(day).is_err() {
                continue;
            }
            // Booked as of the day itself (the demo writes history).
            if attachment_days::book(store, &actor, d.id, p.id, day)
                .await
                .is_err()
            {
                continue;
            }
            booked += 1;
            done.insert(p.id);
            let attended = (p.id + n) % 9 != 0;
            attachment_days::mark(store, &actor, d.id, p.id, attended, day).await?;
        }
        for k in 0..3usize {
            let (name, org) = PARTICIPANTS[(n as usize * 3 + k) % PARTICIPANTS.len()];
            let x = ExternalDraft {
                name: name.into(),
                organisation: String::new(),
                partner_org_id: Some(org_ids[org]),
                email: String::new(),
            }
            .validate()
            .map_err(|e| anyhow::anyhow!("demo participant {name}: {e:?}"))?;
            let p = attachment_days::add_participant(store, &actor, d.id, &x).await?;
            attachment_days::mark_participant(
                store,
                &actor,
                d.id,
                p.id,
                Some(k != 2 || n % 4 != 0),
            )
            .await?;
        }
    }

    // Days still to come, with a few eligible officers booked.
    for ahead in [21i64, 63, 105] {
        let day = tuesday_from(today + Duration::days(ahead));
        let d = attachment_days::create_day(
            store,
            &actor,
            &NewDay {
                day,
                capacity: 8,
                location: "MASH, Riverside House, training room".into(),
                facilitator_person_id: facilitator,
                module_id: None,
                notes: String::new(),
            },
        )
        .await?;
        let mut booked = 0;
        for p in &officers {
            if booked >= 3 {
                break;
            }
            if done.contains(&p.id) {
                continue;
            }
            if attachment_days::book(store, &actor, d.id, p.id, today)
                .await
                .is_ok()
            {
                booked += 1;
                done.insert(p.id);
            }
        }
    }
    Ok(())
}
