//! Partner outcomes and the missing-referral queue through the real server, on both databases:
//! a partner reviewer sees and records only their own agency's referrals (pages and API), MASH
//! staff record for any partner and work the queue, the queue page shows its size and age, and a
//! frontline officer is kept out.

use mashboard_domain::people::{PersonDraft, StaffNumber};
use mashboard_domain::queue::format_local_time;
use mashboard_domain::Role;
use mashboard_store::accounts::{self, NewAccount};
use mashboard_store::audit_trail::Actor;
use mashboard_store::{outcomes, queue};
use mashboard_store::{people, DbUrl, Store};
use mashboard_web::WebConfig;
use reqwest::StatusCode;

use crate::common::*;

const CSC: &str = "Children's social care";
const ASC: &str = "Adult social care";
const NARRATIVE: &str = "Officers found Jamie Example, aged 6, alone at home";

/// One person and one account per role.
async fn seed(store: &Store) {
    let actor = Actor::system();
    let mut rows = Vec::new();
    for role in Role::ALL {
        let p = PersonDraft {
            staff_number: staff_for(role),
            name: format!("Person {}", role.label()),
            roles: role.as_str().into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        rows.push((rows.len() + 2, p));
    }
    people::import(store, &actor, &rows, false, "test seed")
        .await
        .unwrap();
    for role in Role::ALL {
        let sn = StaffNumber::parse(&staff_for(role)).unwrap();
        accounts::create(
            store,
            &actor,
            NewAccount {
                username: &username_for(role),
                roles: &[role],
                staff_number: Some(&sn),
                password: Some(PASSWORD),
            },
        )
        .await
        .unwrap();
    }
}

async fn referral(store: &Store, referral_ref: &str, incident_ref: &str, partner: &str) {
    sqlx::query(
        "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, category, partner, narrative, imported_at, updated_at)
         VALUES ($1, $2, '2024-02-10T09:30:00', 'child', 'Neglect', $3, $4, 'x', 'x')",
    )
    .bind(referral_ref)
    .bind(incident_ref)
    .bind(partner)
    .bind(NARRATIVE)
    .execute(store.pool())
    .await
    .unwrap();
}

/// An incident reported `days_ago` days before now, with children involved.
async fn incident(store: &Store, incident_ref: &str, days_ago: i64) {
    let at = queue::local_now(time::OffsetDateTime::now_utc()) - time::Duration::days(days_ago);
    sqlx::query(
        "INSERT INTO incidents (incident_ref, reported_at, category, area, children_involved, imported_at, updated_at)
         VALUES ($1, $2, 'Domestic', 'Eastside', 1, 'x', 'x')",
    )
    .bind(incident_ref)
    .bind(format_local_time(at))
    .execute(store.pool())
    .await
    .unwrap();
}

/// The app on this file's people.
async fn spawn(url: &DbUrl) -> TestApp {
    let store = Store::open(url).await.unwrap();
    seed(&store).await;
    start(store, WebConfig::default()).await
}

#[tokio::test]
async fn a_partner_reviewer_sees_and_records_only_their_own_agency() {
    on_both!(|app| {
        referral(&app.store, "PPN-CSC-1", "INC-1", CSC).await;
        referral(&app.store, "PPN-ASC-1", "INC-2", ASC).await;
        let partner = app.signed_in(Role::PartnerReviewer).await;

        // No agency yet: a plain explanation, no referrals.
        let (status, html) = app.get(&partner, "/register/outcomes").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("not linked to a partner agency"), "{html}");
        assert!(!html.contains("PPN-CSC-1"));
        let (status, html) = app
            .get(&partner, "/register/referrals/PPN-CSC-1/outcomes")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("not linked to a partner agency"));

        // The administrator sets the agency on the account page.
        let admin = app.signed_in(Role::Administrator).await;
        let (_, html) = app.get(&admin, "/admin/users/test-partner-reviewer").await;
        assert!(html.contains("Partner agency"));
        assert!(
            html.contains(ASC) && html.contains("Children&#39;s social care"),
            "known agencies are listed"
        );
        let r = app
            .post_form(
                &admin,
                "/admin/users/test-partner-reviewer/partner-agency",
                &[("partner_agency", CSC)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&r),
            "/admin/users/test-partner-reviewer?done=agency"
        );
        assert_eq!(
            audit_events(&app.store, "account.partner_agency")
                .await
                .1
                .len(),
            1
        );

        // Now only their agency's referrals, and no narrative.
        let (status, html) = app.get(&partner, "/register/outcomes").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("PPN-CSC-1"));
        assert!(
            !html.contains("PPN-ASC-1"),
            "another agency's referral is hidden"
        );
        assert!(!html.contains("Jamie Example"), "no narrative");
        let (status, html) = app
            .get(&partner, "/register/referrals/PPN-CSC-1/outcomes")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("Jamie Example"), "no narrative");
        assert!(!html.contains("INC-1"), "no incident link for partners");
        assert_eq!(
            app.get(&partner, "/register/referrals/PPN-ASC-1/outcomes")
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&partner, "/register/referrals/NOPE/outcomes")
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        // Recording: another agency is refused; errors are shown the GOV.UK way; then saved.
        let path = "/register/referrals/PPN-CSC-1/outcomes";
        let today = today_uk();
        let r = app
            .post_form(
                &partner,
                path,
                &[
                    ("partner", ASC),
                    ("outcome", "early_help"),
                    ("decided_at", &today),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = app
            .post_form(
                &partner,
                "/register/referrals/PPN-ASC-1/outcomes",
                &[("outcome", "early_help"), ("decided_at", &today)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = app
            .post_form(&partner, path, &[("decided_at", "31/02/2024")])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"));
        assert!(html.contains("Select the partner&#39;s outcome"), "{html}");
        assert!(html.contains("is not a real date"));
        assert!(outcomes::of_referral(&app.store, "PPN-CSC-1")
            .await
            .unwrap()
            .is_empty());
        let r = app
            .post_form(
                &partner,
                path,
                &[
                    ("outcome", "accepted_s47"),
                    ("reason", "Strategy discussion"),
                    ("decided_at", &today),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), format!("{path}?saved=1"));
        let saved = outcomes::of_referral(&app.store, "PPN-CSC-1")
            .await
            .unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(
            (
                saved[0].partner.as_str(),
                saved[0].outcome.as_str(),
                saved[0].source.as_str()
            ),
            (CSC, "accepted_s47", "partner")
        );
        let (_, html) = app.get(&partner, &format!("{path}?saved=1")).await;
        assert!(html.contains("The outcome has been saved"));
        assert!(html.contains("Accepted: section 47 enquiries"));

        // The API holds the same line.
        let token = token_for(&app, Role::PartnerReviewer).await;
        let c = client();
        let post = |r: &str, body: serde_json::Value| {
            c.post(app.url(&format!("/api/v1/referrals/{r}/outcomes")))
                .bearer_auth(&token)
                .json(&body)
                .send()
        };
        let r = post(
            "PPN-CSC-1",
            serde_json::json!({"partner": "Health", "outcome": "early_help"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = post(
            "PPN-ASC-1",
            serde_json::json!({"partner": ASC, "outcome": "early_help"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let r = post(
            "NOPE",
            serde_json::json!({"partner": CSC, "outcome": "early_help"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
        let r = post("PPN-CSC-1", serde_json::json!({"partner": CSC, "outcome": "no_further_action", "decided_at": "2024-02-20"})).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "replaces their earlier outcome");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["outcome"], "no_further_action");
        assert_eq!(body["source"], "partner");
        assert!(outcomes::of_referral(&app.store, "PPN-ASC-1")
            .await
            .unwrap()
            .is_empty());

        // Their rates cover their agency only.
        let (status, html) = app.get(&partner, "/register/outcomes/rates").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Outcomes counted: 1."), "{html}");
        assert!(!html.contains(ASC));
    });
}

#[tokio::test]
async fn mash_staff_record_for_any_partner_and_see_the_rates() {
    on_both!(|app| {
        referral(&app.store, "PPN-CSC-1", "INC-1", CSC).await;
        referral(&app.store, "PPN/ASC 2", "INC-2", ASC).await;
        let mash = app.signed_in(Role::MashStaff).await;
        let (status, html) = app.get(&mash, "/register/outcomes").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("PPN-CSC-1") && html.contains("PPN/ASC 2"));
        assert!(
            html.contains("/register/referrals/PPN%2FASC%202/outcomes"),
            "references are escaped in links"
        );
        let (status, html) = app
            .get(&mash, "/register/referrals/PPN%2FASC%202/outcomes")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains(&format!("value=\"{ASC}\"")),
            "the partner defaults to the referral's"
        );
        let r = app
            .post_form(
                &mash,
                "/register/referrals/PPN%2FASC%202/outcomes",
                &[
                    ("partner", ASC),
                    ("outcome", "returned_more_information"),
                    ("decided_at", &today_uk()),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let saved = outcomes::of_referral(&app.store, "PPN/ASC 2")
            .await
            .unwrap();
        assert_eq!(saved[0].source, "mash");
        assert_eq!(saved[0].recorded_by, "test-mash-staff");
        let ev = audit_events(&app.store, "outcome.record").await.1;
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].actor, "test-mash-staff");

        let token = token_for(&app, Role::MashStaff).await;
        let c = client();
        let r = c
            .post(app.url("/api/v1/referrals/PPN-CSC-1/outcomes"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"partner": "Health", "outcome": "accepted", "decided_at": "2024-02-20"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("not a partner outcome"));
        let r = c
            .post(app.url("/api/v1/referrals/PPN-CSC-1/outcomes"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"partner": CSC, "outcome": "early_help", "decided_at": "2024-02-20"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);

        // Filtering: only referrals without an outcome — none are left.
        let (_, html) = app.get(&mash, "/register/outcomes?has_outcome=no").await;
        assert!(html.contains("No referrals match these filters"));
        let (_, html) = app.get(&mash, "/register/outcomes?from=31/02/2024").await;
        assert!(html.contains("govuk-error-summary"));

        let (status, html) = app
            .get(
                &mash,
                "/register/outcomes/rates?from=01/02/2024&to=29/02/2024",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains(
                "Referrals in the period: 2. With at least one outcome: 2. Outcomes counted: 2."
            ),
            "{html}"
        );
        assert!(html.contains(ASC) && html.contains("Children&#39;s social care"));
        assert!(
            html.contains("1 (50%)"),
            "relevant and returned are each one of two"
        );
        let (_, html) = app
            .get(&mash, "/register/outcomes/rates?from=01/03/2024")
            .await;
        assert!(html.contains("No outcomes in this period"));
    });
}

#[tokio::test]
async fn mash_staff_work_the_queue_and_see_its_size_and_age() {
    on_both!(|app| {
        incident(&app.store, "INC-OLD", 10).await;
        incident(&app.store, "INC-MID", 4).await;
        incident(&app.store, "INC-NEW", 0).await;
        let mash = app.signed_in(Role::MashStaff).await;
        let (status, html) = app.get(&mash, "/register/missing").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("There are no open items"));
        assert!(html.contains("Incidents that involved children or involved domestic abuse"));

        let r = app.post_form(&mash, "/register/missing/refresh", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&r),
            "/register/missing?done=checked&added=2&cleared=0"
        );
        let (_, html) = app.get(&mash, &location(&r)).await;
        assert!(html.contains("Checked: 2 incidents were added to the queue."));
        assert!(html.contains("data-figure=\"open\">2<"), "size");
        assert!(
            html.contains("data-figure=\"oldest\">10 days since"),
            "oldest"
        );
        assert!(
            html.contains("data-figure=\"median\">7 days<"),
            "median of 10 and 4"
        );
        assert!(html.contains("INC-OLD") && html.contains("INC-MID"));
        assert!(!html.contains("INC-NEW"), "still inside its window");
        assert!(html.contains("Children involved"));
        assert!(
            !html.contains("Save rules"),
            "staff do not change the rules"
        );

        let old = queue::for_incident(&app.store, "INC-OLD")
            .await
            .unwrap()
            .unwrap();
        let close = format!("/register/missing/{}/close", old.id);
        let r = app
            .post_form(
                &mash,
                &close,
                &[("outcome", "not_required"), ("reason", " ")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"));
        assert!(html.contains(&format!("href=\"#reason-{}\"", old.id)));
        assert!(html.contains("Enter why a referral was not required"));
        assert!(queue::for_incident(&app.store, "INC-OLD")
            .await
            .unwrap()
            .unwrap()
            .outcome
            .is_none());

        let r = app
            .post_form(
                &mash,
                &close,
                &[
                    ("outcome", "not_required"),
                    ("reason", "Visiting children, already known to social care"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&mash, &location(&r)).await;
        assert!(html.contains("Incident INC-OLD has been closed on the queue."));
        assert!(html.contains("data-figure=\"open\">1<"));
        assert!(
            html.contains(
                "data-figure=\"closed\">1: Referral now made 0, Not required 1, Escalated 0<"
            ),
            "{html}"
        );
        assert!(html.contains("Recently closed"));
        let ev = audit_events(&app.store, "missing.close").await.1;
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].actor, "test-mash-staff");
        assert_eq!(ev[0].entity_key.as_deref(), Some("INC-OLD"));
        // Closing it again is refused in words.
        let r = app
            .post_form(&mash, &close, &[("outcome", "escalated")])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("has already been closed"));

        // The API lists the open item.
        let token = token_for(&app, Role::MashStaff).await;
        let body: serde_json::Value = client()
            .get(app.url("/api/v1/missing-referrals"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["total"], 1);
        assert_eq!(body["items"][0]["incident_ref"], "INC-MID");
        assert_eq!(body["items"][0]["rules"][0], "children_involved");
        assert_eq!(body["items"][0]["age_days"], 4);
    });
}

#[tokio::test]
async fn the_trainer_sets_the_rules_and_staff_cannot() {
    on_both!(|app| {
        let trainer = app.signed_in(Role::MashTrainer).await;
        let (_, html) = app.get(&trainer, "/register/missing").await;
        assert!(html.contains("Save rules"));
        let r = app
            .post_form(
                &trainer,
                "/register/missing/rules",
                &[("rule", "adult_at_risk"), ("window_hours", "two days")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"));
        assert!(html.contains("is not a number of hours"));
        let r = app
            .post_form(
                &trainer,
                "/register/missing/rules",
                &[
                    ("rule", "adult_at_risk"),
                    ("rule", "children_involved"),
                    ("window_hours", "48"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (_, html) = app.get(&trainer, &location(&r)).await;
        assert!(html.contains("Incidents that involved children or involved an adult at risk, with no referral within 2 days"));
        assert_eq!(
            queue::rules(&app.store).await.unwrap().encode(),
            "children_involved,adult_at_risk;48"
        );
        assert_eq!(audit_events(&app.store, "missing.rules").await.1.len(), 1);

        let mash = app.signed_in(Role::MashStaff).await;
        let r = app
            .post_form(&mash, "/register/missing/rules", &[("window_hours", "1")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(queue::rules(&app.store).await.unwrap().window_hours, 48);
    });
}

#[tokio::test]
async fn a_frontline_officer_is_kept_out() {
    on_both!(|app| {
        referral(&app.store, "PPN-CSC-1", "INC-1", CSC).await;
        let officer = app.signed_in(Role::Frontline).await;
        for path in [
            "/register/outcomes",
            "/register/outcomes/rates",
            "/register/referrals/PPN-CSC-1/outcomes",
            "/register/missing",
        ] {
            assert_eq!(
                app.get(&officer, path).await.0,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        let r = app
            .post_form(
                &officer,
                "/register/referrals/PPN-CSC-1/outcomes",
                &[
                    ("partner", CSC),
                    ("outcome", "early_help"),
                    ("decided_at", &today_uk()),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = app
            .post_form(&officer, "/register/missing/refresh", &[])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let token = token_for(&app, Role::Frontline).await;
        let c = client();
        let r = c
            .get(app.url("/api/v1/missing-referrals"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let r = c
            .post(app.url("/api/v1/referrals/PPN-CSC-1/outcomes"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"partner": CSC, "outcome": "early_help"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(outcomes::of_referral(&app.store, "PPN-CSC-1")
            .await
            .unwrap()
            .is_empty());
        // The navigation shows the pages to those who can open them only.
        let (_, html) = app.get(&officer, "/").await;
        assert!(!html.contains("href=\"/register/outcomes\""));
        let partner = app.signed_in(Role::PartnerReviewer).await;
        let (_, html) = app.get(&partner, "/").await;
        assert!(html.contains("href=\"/register/outcomes\""));
        assert!(!html.contains("href=\"/register/missing\""));
    });
}
