//! Impact by reader: officers and partners see no impact at all; a line manager sees their own
//! team's figures only (page, downloads and API), and no query string widens that.

use crate::common::*;
use mashboard_domain::Role;
use reqwest::StatusCode;

const FIGURES: [&str; 4] = [
    "/api/v1/impact/compliance",
    "/api/v1/impact/review-grades",
    "/api/v1/impact/outcomes",
    "/api/v1/impact/training-effect",
];

#[tokio::test]
async fn officers_and_partners_do_not_see_impact() {
    on_both!(|app| {
        seed_impact_figures(&app.store).await;
        for role in [
            Role::Frontline,
            Role::PartnerReviewer,
            Role::Mentor,
            Role::MashStaff,
        ] {
            for path in FIGURES {
                let (s, v) = app.api_as(role, path).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{role} {path}: {v}");
            }
            let c = app.signed_in(role).await;
            for path in [
                "/impact",
                "/impact?department=Response",
                "/impact/data/outcomes.csv",
                "/impact/evaluation",
            ] {
                let (s, html) = app.get(&c, path).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{role} {path}");
                assert!(!html.contains("Rejected or further work"));
            }
        }
        let r = client()
            .get(app.url("/api/v1/impact/outcomes"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    });
}

/// Two referrals in the first quarter of 2024 from the MASH staff member, in the Response
/// department: force-wide and Response figures count them, the line manager's team does not.
async fn seed_outsider(store: &mashboard_store::Store) {
    let now = "2026-01-01T00:00:00Z";
    let other = person_id(store, &staff_for(Role::MashStaff))
        .await
        .to_string();
    for n in ["71", "72"] {
        exec(store, "INSERT INTO incidents (incident_ref, reported_at, category, children_involved, department, officer_person_id, imported_at, updated_at) VALUES ($1, '2024-02-02T09:00:00', 'Neglect', 1, 'Response', CAST($2 AS BIGINT), $3, $3)", &[&format!("INC-{n}"), &other, now]).await;
        exec(store, "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, officer_person_id, partner, imported_at, updated_at) VALUES ($1, $2, '2024-02-02T15:00:00', 'child', CAST($3 AS BIGINT), 'Children''s social care', $4, $4)", &[&format!("PPN-{n}"), &format!("INC-{n}"), &other, now]).await;
        exec(store, "INSERT INTO referral_outcomes (referral_ref, partner, outcome, decided_at, source, recorded_by, updated_at) VALUES ($1, 'Children''s social care', 'no_further_action', '2024-02-03', 'mash', 'test', $2)", &[&format!("PPN-{n}"), now]).await;
    }
    // Written here by plain SQL, not by the store: count the roll-ups again.
    mashboard_store::impact::rebuild_rollups(store)
        .await
        .unwrap();
}

/// Puts the frontline officer in the line manager's team.
async fn manage_the_officer(store: &mashboard_store::Store) {
    let manager = person_id(store, &staff_for(Role::LineManager))
        .await
        .to_string();
    let officer = staff_for(Role::Frontline);
    exec(
        store,
        "UPDATE people SET line_manager_id = CAST($1 AS BIGINT) WHERE staff_number = $2",
        &[&manager, &officer],
    )
    .await;
}

fn quarter<'a>(v: &'a serde_json::Value, label: &str) -> &'a serde_json::Value {
    v["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["quarter"] == label)
        .unwrap_or_else(|| panic!("{label} in {v}"))
}

#[tokio::test]
async fn a_line_manager_sees_their_own_teams_figures_only() {
    on_both!(|app| {
        seed_impact_figures(&app.store).await;
        seed_outsider(&app.store).await;
        let q = "/api/v1/impact/outcomes?from=2024-01-01&to=2024-06-30";
        // Nobody in the team yet: nothing counted.
        let (s, v) = app.api_as(Role::LineManager, q).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(quarter(&v, "2024 Q1")["referrals"], 0, "{v}");

        manage_the_officer(&app.store).await;
        // The team's figures are the officer's: four referrals in Q1 (one accepted, two
        // rejected or returned), two in Q2; the force has the outsider's two more.
        let (s, team) = app.api_as(Role::LineManager, q).await;
        assert_eq!(s, StatusCode::OK, "{team}");
        let q1 = quarter(&team, "2024 Q1");
        assert_eq!(
            [
                &q1["referrals"],
                &q1["with_decision"],
                &q1["accepted"],
                &q1["rejected_or_returned"]
            ],
            [4, 3, 1, 2],
            "{team}"
        );
        assert_eq!(quarter(&team, "2024 Q2")["referrals"], 2);
        let (_, force) = app.api_as(Role::SeniorLeader, q).await;
        assert_eq!(quarter(&force, "2024 Q1")["referrals"], 6, "{force}");
        // The training effect counts the team's referrals only.
        let (s, effect) = app
            .api_as(
                Role::LineManager,
                "/api/v1/impact/training-effect?from=2024-01-01&to=2024-12-31",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{effect}");
        assert_eq!(effect["counts"]["referrals"], 5, "{effect}");
        assert_eq!(effect["counts"]["officers"], 1, "{effect}");
        // Imported history is force-wide, so the team's compliance has none of it.
        let (s, v) = app
            .api_as(
                Role::LineManager,
                "/api/v1/impact/compliance?from=2022-01-01&to=2022-12-31",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["periods"].as_array().unwrap().is_empty(), "{v}");

        // Asking the API for a department is refused plainly, for every figure.
        for path in FIGURES {
            let (s, v) = app
                .api_as(Role::LineManager, &format!("{path}?department=Response"))
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {v}");
            assert_eq!(v["error"], "forbidden");
        }

        // The page says it shows the team, offers no department, and sets one asked for aside.
        let c = app.signed_in(Role::LineManager).await;
        let (s, html) = app
            .get(
                &c,
                "/impact?from=2024-01-01&to=2024-06-30&department=Response",
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("your team only"),
            "the page names whose figures"
        );
        assert!(html.contains("You asked for the figures of Response"));
        assert!(!html.contains("<select class=\"govuk-select\" id=\"department\""));
        assert!(html.contains("Your team&#x27;s figures") || html.contains("Your team's figures"));
        // The download is the team's too, whatever the query says.
        for dept in ["Response", "Criminal+Investigation+Department", ""] {
            let (s, csv) = app
                .get(
                    &c,
                    &format!(
                        "/impact/data/outcomes.csv?from=2024-01-01&to=2024-06-30&department={dept}"
                    ),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{dept}");
            assert!(csv.contains("\n2024 Q1,4,3,1,2,"), "{dept}: {csv}");
        }
        // The senior leader's Response figures do count the outsider.
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (_, csv) = app
            .get(
                &leader,
                "/impact/data/outcomes.csv?from=2024-01-01&to=2024-06-30&department=Response",
            )
            .await;
        assert!(csv.contains("\n2024 Q1,6,5,1,4,"), "{csv}");

        // The force-wide evaluation reports stay closed to a line manager.
        let (s, _) = app.get(&c, "/impact/evaluation").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app
            .api_as(Role::LineManager, "/api/v1/evaluation-reports")
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Home and the navigation lead the line manager to their team's impact.
        let (_, home) = app.get(&c, "/").await;
        assert!(home.contains("href=\"/impact\""), "home points to /impact");
    });
}

#[tokio::test]
async fn a_force_without_the_frontline_module_still_has_its_figures() {
    on_both!(|app| {
        // The test force's catalogue has no FL-PPN: only the training effect needs it.
        for figure in ["compliance", "review-grades", "outcomes"] {
            let (s, v) = app
                .api_as(Role::SeniorLeader, &format!("/api/v1/impact/{figure}"))
                .await;
            assert_eq!(s, StatusCode::OK, "{figure}: {v}");
        }
        let (s, v) = app
            .api_as(Role::SeniorLeader, "/api/v1/impact/training-effect")
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(v.to_string().contains("FL-PPN"), "{v}");
    });
}
