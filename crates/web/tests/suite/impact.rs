//! Impact: the SPC charts through `POST /api/v1/spc` and the "chart your own data" page.

use crate::common::*;
use mashboard_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn rates(values: &[(u32, u32)]) -> serde_json::Value {
    json!(values
        .iter()
        .enumerate()
        .map(
            |(i, (n, d))| json!({"label": format!("P{}", i + 1), "numerator": n, "denominator": d})
        )
        .collect::<Vec<_>>())
}

#[tokio::test]
async fn the_spc_api_draws_the_contracts_chart_and_refuses_bad_input_in_json() {
    on_both!(|app| {
        let leader = token_for(&app, Role::SeniorLeader).await;
        // Eight periods around 50%, then seven well above: a shift, signalled as improvement.
        let mut series = vec![
            (10, 20),
            (9, 20),
            (11, 20),
            (10, 20),
            (10, 20),
            (9, 20),
            (11, 20),
            (10, 20),
        ];
        series.extend([(15, 20); 7]);
        let (s, v) = app
            .api_json(
                &leader,
                Method::POST,
                "/api/v1/spc",
                Some(json!({
                    "chart": "p", "improvement": "increase", "points": rates(&series)
                })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["chart"], "p");
        let p = &v["points"][14];
        for field in [
            "label",
            "y",
            "cl",
            "lcl",
            "ucl",
            "lcl_2sigma",
            "ucl_2sigma",
            "outside_limits",
            "close_to_limits",
            "part_of_7_point_shift",
            "part_of_7_point_trend",
            "part_of_2_in_3",
            "point_type",
        ] {
            assert!(p.get(field).is_some(), "{field} in {p}");
        }
        assert_eq!(p["part_of_7_point_shift"], true);
        assert_eq!(p["point_type"], "special_cause_improvement");
        // The eight before sit below the centre of all fifteen: a shift too, of concern.
        assert_eq!(v["points"][0]["part_of_7_point_shift"], true);
        assert_eq!(v["points"][0]["point_type"], "special_cause_concern");
        for field in [
            "n_useful",
            "longest_run",
            "longest_run_max",
            "n_crossings",
            "n_crossings_min",
            "runs_signal",
        ] {
            assert!(v["anhoej"].get(field).is_some(), "{field}");
        }
        let signals: Vec<&str> = v["signals"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        assert_eq!(
            signals,
            [
                "special cause: concern, 8 points below the centre line (P1 to P8)",
                "special cause: improvement, 7 points above the centre line (P9 to P15)"
            ]
        );

        // A run chart has no limits: null, not missing.
        let (s, v) = app
            .api_json(&leader, Method::POST, "/api/v1/spc", Some(json!({
                "chart": "run", "improvement": "decrease",
                "points": [{"label": "a", "value": 3}, {"label": "b", "value": 5}, {"label": "c", "value": 4}]
            })))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v["points"][0]["ucl"].is_null());
        assert_eq!(v["centre"], 4.0);

        // Bad input: a JSON refusal in words, naming the point.
        let (s, v) = app
            .api_json(
                &leader,
                Method::POST,
                "/api/v1/spc",
                Some(json!({
                    "chart": "p", "improvement": "increase", "points": rates(&[(1, 2), (3, 0)])
                })),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(
            v["message"].as_str().unwrap().contains("Point 2 (P2)"),
            "{v}"
        );
        let (s, v) = app
            .api_json(&leader, Method::POST, "/api/v1/spc", Some(json!({
                "chart": "xmr", "improvement": "increase", "points": [{"label": "a", "value": 1}]
            })))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(
            v["message"].as_str().unwrap().contains("at least 2 points"),
            "{v}"
        );
        let (s, v) = app
            .api_json(&leader, Method::POST, "/api/v1/spc", Some(json!({
                "chart": "p", "improvement": "increase", "points": [{"label": "a", "value": 1}, {"label": "b", "value": 2}]
            })))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"], "bad_request");
        let (s, v) = app
            .api_json(
                &leader,
                Method::POST,
                "/api/v1/spc",
                Some(json!({"chart": "pie", "improvement": "increase", "points": []})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

        // Partners and frontline officers do not chart force figures.
        for role in [Role::PartnerReviewer, Role::Frontline] {
            let token = token_for(&app, role).await;
            let (s, _) = app
                .api_json(
                    &token,
                    Method::POST,
                    "/api/v1/spc",
                    Some(json!({
                        "chart": "p", "improvement": "increase", "points": rates(&series)
                    })),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{role:?}");
        }
    });
}

#[tokio::test]
async fn an_analyst_charts_a_spreadsheet_of_their_own_and_sees_signals_in_words() {
    on_both!(|app| {
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (s, html) = app.get(&leader, "/impact/chart").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("Chart your own data"));

        let mut csv = String::from("Quarter,Numerator,Denominator\n");
        for (i, n) in [10, 9, 11, 10, 10, 9, 11, 10, 15, 15, 15, 15, 15, 15, 15]
            .iter()
            .enumerate()
        {
            csv.push_str(&format!("2023 Q{},{n},20\n", i + 1));
        }
        let t = app.csrf_token(&leader).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", t)
            .text("chart", "p")
            .text("improvement", "increase")
            .part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("mine.csv"),
            );
        let r = leader
            .post(app.url("/impact/chart"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<svg class=\"app-chart\""),
            "the chart is drawn on the server"
        );
        assert!(html.contains("role=\"img\""));
        assert!(
            html.contains(
                "<title id=\"own-chart-title\">P chart of 15 points (higher is better)</title>"
            ),
            "{html}"
        );
        assert!(
            html.contains("special cause: improvement"),
            "signals in words"
        );
        assert!(
            html.contains("Special cause: improvement</td>"),
            "and in the table"
        );
        assert!(html.contains("<caption"), "the table has a caption");

        // A bad cell is named by row and column, on the same page, the GOV.UK way.
        let t = app.csrf_token(&leader).await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", t)
            .text("chart", "p")
            .text("improvement", "increase")
            .part(
                "file",
                reqwest::multipart::Part::bytes(
                    b"label,numerator,denominator\nQ1,5,10\nQ2,lots,10\n".to_vec(),
                )
                .file_name("bad.csv"),
            );
        let r = leader
            .post(app.url("/impact/chart"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert!(html.contains("govuk-error-summary"));
        assert!(
            html.contains("Row 3, column numerator: &#34;lots&#34; is not a number")
                || html.contains("Row 3, column numerator: &quot;lots&quot; is not a number"),
            "{html}"
        );

        let officer = app.signed_in(Role::Frontline).await;
        assert_eq!(
            app.get(&officer, "/impact/chart").await.0,
            StatusCode::FORBIDDEN
        );
    });
}

// ---------------------------------------------------------------------------------------------
// The dashboard and its JSON twins.

async fn exec(store: &mashboard_store::Store, sql: &str, binds: &[&str]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(store.pool()).await.unwrap();
}

/// Hand-checkable figures: two imported audits of 2022 (33 of 50 needing a form had one), two
/// imported reviews (the October 2024 distribution 1, 3, 4, 1 and 0, 4, 2, 3), and the frontline
/// officer's six referrals of 2024 (four in Q1, two in Q2) with the decisions of the agency each
/// went to, and their first completion of FL-PPN on 15 February 2024.
async fn seed_figures(store: &mashboard_store::Store) {
    let now = "2026-01-01T00:00:00Z";
    exec(store, "INSERT INTO audit_history (period_start, period_end, examined, required, completed_when_required, not_required, completed_when_not_required, imported_at) VALUES ('2022-01-01', '2022-02-28', 35, 20, 13, 15, 1, $1), ('2022-03-01', '2022-04-30', 35, 30, 20, 5, 0, $1)", &[now]).await;
    exec(store, "INSERT INTO review_history (period_start, period_end, grade_1, grade_2, grade_3, grade_4, imported_at) VALUES ('2024-07-01', '2024-09-30', 1, 3, 4, 1, $1), ('2024-12-01', '2025-02-28', 0, 4, 2, 3, $1)", &[now]).await;
    exec(store, "INSERT INTO modules (code, title, kind, status, version, created_at, updated_at) VALUES ('FL-PPN', 'Frontline referral input', 'classroom', 'active', '1', $1, $1)", &[now]).await;
    let officer = person_id(store, &staff_for(Role::Frontline))
        .await
        .to_string();
    exec(store, "INSERT INTO completions (person_id, module_id, module_version, completed_on, mode, status, source, recorded_by, created_at, updated_at) SELECT CAST($1 AS BIGINT), id, '1', '2024-02-15', 'classroom', 'signed_off', 'recorded', 'test', $2, $2 FROM modules WHERE code = 'FL-PPN'", &[&officer, now]).await;
    // (reference, submitted, department, decision of the agency it went to)
    let rows = [
        ("01", "2024-01-10", "Response", Some("accepted_assessment")),
        ("02", "2024-01-20", "Response", Some("no_further_action")),
        (
            "03",
            "2024-03-01",
            "Response",
            Some("returned_more_information"),
        ),
        ("04", "2024-03-10", "Response", None),
        (
            "05",
            "2024-04-05",
            "Criminal Investigation Department",
            Some("accepted_s47"),
        ),
        (
            "06",
            "2024-05-05",
            "Criminal Investigation Department",
            Some("early_help"),
        ),
    ];
    for (n, on, dept, decision) in rows {
        exec(store, "INSERT INTO incidents (incident_ref, reported_at, category, children_involved, department, officer_person_id, imported_at, updated_at) VALUES ($1, $2, 'Neglect', 1, $3, CAST($4 AS BIGINT), $5, $5)", &[&format!("INC-{n}"), &format!("{on}T09:00:00"), dept, &officer, now]).await;
        exec(store, "INSERT INTO referrals (referral_ref, incident_ref, submitted_at, subject_type, officer_person_id, partner, imported_at, updated_at) VALUES ($1, $2, $3, 'child', CAST($4 AS BIGINT), 'Children''s social care', $5, $5)", &[&format!("PPN-{n}"), &format!("INC-{n}"), &format!("{on}T15:00:00"), &officer, now]).await;
        if let Some(d) = decision {
            // The agency's name in other letters is still the agency it went to.
            exec(store, "INSERT INTO referral_outcomes (referral_ref, partner, outcome, decided_at, source, recorded_by, updated_at) VALUES ($1, 'CHILDREN''S SOCIAL CARE', $2, $3, 'mash', 'test', $4)", &[&format!("PPN-{n}"), d, on, now]).await;
        }
    }
    // Another agency's decision on the first referral does not count.
    exec(store, "INSERT INTO referral_outcomes (referral_ref, partner, outcome, decided_at, source, recorded_by, updated_at) VALUES ('PPN-01', 'Adult social care', 'no_further_action', '2024-01-12', 'mash', 'test', $1)", &[now]).await;
    // An incident that needed no referral.
    exec(store, "INSERT INTO incidents (incident_ref, reported_at, category, department, imported_at, updated_at) VALUES ('INC-99', '2024-02-01T09:00:00', 'Assault', 'Response', $1, $1)", &[now]).await;
    mashboard_store::impact::rebuild_rollups(store)
        .await
        .unwrap();
}

fn close(a: &serde_json::Value, b: f64) -> bool {
    (a.as_f64().unwrap_or(f64::NAN) - b).abs() < 1e-9
}

#[tokio::test]
async fn the_impact_api_gives_hand_checkable_figures_on_seeded_data() {
    on_both!(|app| {
        seed_figures(&app.store).await;
        // Compliance: the imported audits in order, y = completed / required.
        let (s, v) = app
            .api_as(
                Role::SeniorLeader,
                "/api/v1/impact/compliance?from=2022-01-01&to=2022-12-31",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["chart"], "p");
        assert!(close(&v["points"][0]["y"], 13.0 / 20.0), "{v}");
        assert!(close(&v["points"][1]["y"], 20.0 / 30.0));
        assert!(close(&v["centre"], 33.0 / 50.0));
        assert_eq!(v["periods"][0]["imported"], true);
        let y = &v["years"]["2022"];
        assert_eq!(
            (y["examined"].as_u64(), y["required"].as_u64()),
            (Some(70), Some(50))
        );
        assert_eq!(y["completed_when_required"], 33);
        assert!(close(&y["compliance"], 0.66));
        let ci = y["compliance_ci95"].as_array().unwrap();
        assert!(ci[0].as_f64().unwrap() < 0.66 && ci[1].as_f64().unwrap() > 0.66);
        for k in ["n_useful", "longest_run", "n_crossings", "runs_signal"] {
            assert!(v["anhoej"].get(k).is_some(), "{k}");
        }
        let (_, pp) = app
            .api_as(
                Role::SeniorLeader,
                "/api/v1/impact/compliance?from=2022-01-01&to=2022-12-31&chart=p_prime",
            )
            .await;
        assert_eq!(pp["chart"], "p_prime");

        // Reviews: the honest mean of 1, 3, 4, 1 is 23 / 9.
        let (s, v) = app
            .api_as(
                Role::MashTrainer,
                "/api/v1/impact/review-grades?from=2024-01-01&to=2025-12-31",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let r = &v["reviews"][0];
        assert_eq!(
            (r["period_start"].as_str(), r["n"].as_u64()),
            (Some("2024-07-01"), Some(9))
        );
        assert_eq!(r["counts"]["3"], 4);
        assert!(close(&r["mean"], 23.0 / 9.0));
        assert!(close(&v["reviews"][1]["mean"], 26.0 / 9.0));
        assert_eq!(r["mean_ci95"].as_array().unwrap().len(), 2);
        assert_eq!(v["chart"]["chart"], "xmr");
        assert_eq!(v["chart"]["points"].as_array().unwrap().len(), 2);

        // Outcomes by quarter: Q1 has four referrals, three decided by their own agency, one
        // accepted, two rejected or returned; Q2 two, both accepted.
        let (s, v) = app
            .api_as(
                Role::Auditor,
                "/api/v1/impact/outcomes?from=2024-01-01&to=2024-06-30",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let q1 = &v["quarters"][0];
        assert_eq!(q1["quarter"], "2024 Q1");
        assert_eq!(
            [
                &q1["referrals"],
                &q1["with_decision"],
                &q1["accepted"],
                &q1["rejected_or_returned"]
            ],
            [4, 3, 1, 2]
        );
        let q2 = &v["quarters"][1];
        assert_eq!(
            [
                &q2["referrals"],
                &q2["accepted"],
                &q2["rejected_or_returned"]
            ],
            [2, 2, 0]
        );
        assert!(close(&v["chart"]["points"][0]["y"], 2.0 / 3.0));
        assert!(close(&v["chart"]["centre"], 2.0 / 5.0));
        // One department: Response has only the first quarter's referrals.
        let (_, v) = app
            .api_as(
                Role::SeniorLeader,
                "/api/v1/impact/outcomes?from=2024-01-01&to=2024-06-30&department=Response",
            )
            .await;
        assert_eq!(v["quarters"][0]["referrals"], 4);
        assert_eq!(v["quarters"][1]["referrals"], 0);
        // Imported history has no department, so one department's compliance has none of it.
        let (_, v) = app
            .api_as(
                Role::SeniorLeader,
                "/api/v1/impact/compliance?from=2022-01-01&to=2022-12-31&department=Response",
            )
            .await;
        assert!(v["periods"].as_array().unwrap().is_empty(), "{v}");

        // The training effect: one trained officer, so no estimate, and the reason first.
        let (s, v) = app
            .api_as(
                Role::SeniorLeader,
                "/api/v1/impact/training-effect?module=FL-PPN&from=2024-01-01&to=2024-12-31",
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["counts"]["referrals"], 5);
        assert_eq!(v["counts"]["officers_trained"], 1);
        assert_eq!(v["counts"]["officers_never_trained"], 0);
        assert!(v["estimate"].is_null() && v["ci95"].is_null());
        let d = &v["descriptive"];
        assert_eq!(
            (
                d["trained_before"]["n"].as_u64(),
                d["trained_after"]["n"].as_u64()
            ),
            (Some(2), Some(3))
        );
        assert!(close(&d["trained_before"]["rate"], 0.5));
        assert!(close(&d["trained_after"]["rate"], 1.0 / 3.0));
        assert!(
            v["caveats"][0].as_str().unwrap().contains("at least 20"),
            "{v}"
        );
        for k in ["-4", "-3", "-2", "0", "1", "2", "3", "4"] {
            assert!(v["event_study"].get(k).is_some(), "{k}");
        }
        assert_eq!(v["by_trainer_kind"][0]["kind"], "no_session");
        assert!(v["by_trainer_kind"][0]["none_because"]
            .as_str()
            .unwrap()
            .contains("too few to tell"));

        // The four are documented.
        let doc: serde_json::Value = client()
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for p in ["compliance", "review-grades", "outcomes", "training-effect"] {
            assert!(
                doc["paths"][format!("/api/v1/impact/{p}")]["get"].is_object(),
                "{p} is in the OpenAPI document"
            );
        }

        // Bad input: 400 in JSON, naming the field.
        for bad in [
            "/api/v1/impact/compliance?chart=pie",
            "/api/v1/impact/outcomes?from=2024-06-01&to=2024-01-01",
            "/api/v1/impact/review-grades?from=yesterday",
            "/api/v1/impact/training-effect?module=NOPE",
        ] {
            let (s, v) = app.api_as(Role::SeniorLeader, bad).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
            assert_eq!(v["error"], "bad_request", "{bad}");
        }
    });
}

#[tokio::test]
async fn officers_partners_and_line_managers_do_not_see_force_wide_impact() {
    on_both!(|app| {
        seed_figures(&app.store).await;
        for role in [
            Role::Frontline,
            Role::PartnerReviewer,
            Role::LineManager,
            Role::Mentor,
        ] {
            for path in [
                "/api/v1/impact/compliance",
                "/api/v1/impact/review-grades",
                "/api/v1/impact/outcomes",
                "/api/v1/impact/training-effect",
            ] {
                let (s, v) = app.api_as(role, path).await;
                assert_eq!(s, StatusCode::FORBIDDEN, "{role} {path}: {v}");
            }
            let c = app.signed_in(role).await;
            for path in ["/impact", "/impact/data/outcomes.csv"] {
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

#[tokio::test]
async fn a_senior_leader_lands_on_the_dashboard_and_every_chart_has_its_table_and_download() {
    on_both!(|app| {
        seed_figures(&app.store).await;
        let c = app.signed_in(Role::SeniorLeader).await;
        // The first page after signing in (the sign-in page sends the browser to /) is the
        // dashboard; Home is still there afterwards.
        let from_sign_in = |c: &reqwest::Client| {
            c.get(app.url("/"))
                .header("referer", app.url("/login?next=%2F"))
        };
        let r = from_sign_in(&c).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/impact");
        let r = from_sign_in(&c).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "once per sign-in");
        let (s, _) = app.get(&c, "/").await;
        assert_eq!(s, StatusCode::OK);
        // Other roles keep their home page.
        let trainer = app.signed_in(Role::MashTrainer).await;
        let r = from_sign_in(&trainer).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);

        let (s, html) = app.get(&c, "/impact?from=2022-01-01&to=2025-12-31").await;
        assert_eq!(s, StatusCode::OK);
        for heading in [
            "Relevant referrals",
            "Referral quality",
            "Rejected or further work",
            "Compliance",
            "Training coverage over time",
            "Missing-referral queue",
            "The training effect",
        ] {
            assert!(html.contains(heading), "{heading}");
        }
        // Every chart: an SVG with its title and description, and a table with its download.
        let charts = html.matches("<svg class=\"app-chart\"").count();
        assert!(charts >= 4, "{charts} charts");
        assert_eq!(html.matches("<title id=").count(), charts);
        assert_eq!(html.matches("<desc id=").count(), charts);
        let sections = html.matches("<section class=\"app-impact-figure\"").count();
        assert_eq!(sections, 7);
        assert_eq!(html.matches("The data behind this chart").count(), sections);
        assert!(html.contains("2022 compliance") || html.contains(">2022<"));
        assert!(
            html.contains("66.0%"),
            "the yearly compliance with its interval"
        );
        assert!(html.contains("Signal") && html.contains("noise"));
        assert!(
            html.contains("ten graded referrals a quarter cannot carry an officer-level estimate")
        );
        assert!(html.contains("No estimate: 1 trained officers"));

        let (s, csv) = app
            .get(
                &c,
                "/impact/data/outcomes.csv?from=2024-01-01&to=2024-06-30",
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.starts_with("Quarter,Referrals,"), "{csv}");
        assert!(csv.contains("2024 Q1,4,3,1,2,0.6666666666666666,"), "{csv}");
        let (s, csv) = app
            .get(&c, "/impact/data/quality.csv?from=2024-01-01&to=2025-12-31")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(csv.contains(",1,3,4,1,9,2.5555555555555554,"), "{csv}");
        let r = c
            .get(app.url("/impact/data/years.xlsx?from=2022-01-01&to=2022-12-31"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.bytes().await.unwrap().starts_with(b"PK"));
        let (s, _) = app.get(&c, "/impact/data/nothing.csv").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // A wrong period is named on the page, not a failure.
        let (s, html) = app.get(&c, "/impact?from=2024-06-01&to=2024-01-01").await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("govuk-error-summary"));
        assert!(html.contains("on or after its start"));
    });
}
