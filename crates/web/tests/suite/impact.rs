//! Impact: the SPC charts through `POST /api/v1/spc` and the "chart your own data" page.

use crate::common::*;
use mashboard_domain::Role;
use mashboard_store::impact;
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

fn close(a: &serde_json::Value, b: f64) -> bool {
    (a.as_f64().unwrap_or(f64::NAN) - b).abs() < 1e-9
}

#[tokio::test]
async fn the_impact_api_gives_hand_checkable_figures_on_seeded_data() {
    on_both!(|app| {
        seed_impact_figures(&app.store).await;
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
        let doc = app.openapi().await;
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
async fn a_senior_leader_lands_on_the_dashboard_and_every_chart_has_its_table_and_download() {
    on_both!(|app| {
        seed_impact_figures(&app.store).await;
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

// The training effect is estimated once and shared: the dashboard, its JSON twin and the
// evaluation report read the same kept estimate until a write moves the data.

#[tokio::test]
async fn the_dashboard_its_api_and_the_evaluation_report_share_one_training_effect_estimate() {
    on_both!(|app| {
        seed_impact_figures(&app.store).await;
        let path = "/api/v1/impact/training-effect?module=FL-PPN&from=2024-01-01&to=2024-12-31";
        let before = impact::effect_estimates(&app.store);
        let (s, first) = app.api_as(Role::SeniorLeader, path).await;
        assert_eq!(s, StatusCode::OK, "{first}");
        assert_eq!(impact::effect_estimates(&app.store), before + 1);
        let (_, again) = app.api_as(Role::SeniorLeader, path).await;
        assert_eq!(again, first);
        assert_eq!(
            impact::effect_estimates(&app.store),
            before + 1,
            "the second call is answered from the kept estimate"
        );
        // The dashboard for the same period and the whole force reads the same estimate.
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (s, html) = app
            .get(&leader, "/impact?from=2024-01-01&to=2024-12-31")
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(html.contains("at least 20"), "the effect's reason is shown");
        assert_eq!(impact::effect_estimates(&app.store), before + 1);
        // So does an evaluation report of that period (its facts are read when it is created).
        let trainer = token_for(&app, Role::MashTrainer).await;
        let (s, body) = api(
            &app,
            &trainer,
            Method::POST,
            "/api/v1/evaluation-reports",
            serde_json::json!({"title": "2024", "from": "2024-01-01", "to": "2024-12-31"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert_eq!(impact::effect_estimates(&app.store), before + 1);
        // A department is another question, estimated on its own.
        let (_, dept) = app
            .api_as(
                Role::SeniorLeader,
                "/api/v1/impact/training-effect?from=2024-01-01&to=2024-12-31&department=Response",
            )
            .await;
        assert_eq!(dept["counts"]["referrals"], 3, "{dept}");
        assert_eq!(impact::effect_estimates(&app.store), before + 2);

        // A partner decision recorded on the fourth referral moves the answer.
        assert_eq!(first["counts"]["referrals"], 5);
        assert_eq!(first["descriptive"]["trained_after"]["n"], 3);
        let staff = token_for(&app, Role::MashStaff).await;
        let (s, body) = api(
            &app,
            &staff,
            Method::POST,
            "/api/v1/referrals/PPN-04/outcomes",
            serde_json::json!({"partner": "Children's social care", "outcome": "no_further_action", "decided_at": "2024-03-20"}),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (_, moved) = app.api_as(Role::SeniorLeader, path).await;
        assert_eq!(moved["counts"]["referrals"], 6, "{moved}");
        let after = &moved["descriptive"]["trained_after"];
        assert_eq!(after["n"], 4);
        assert!(close(&after["rate"], 0.5), "{after}");
    });
}

/// Uploads a register fixture of this kind and commits it, as the import page does.
async fn import_register(app: &TestApp, c: &reqwest::Client, kind: &str, name: &str) {
    let t = app.csrf_token(c).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", t)
        .text("kind", kind.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(fixture(&format!("register/{name}")))
                .file_name(name.to_string()),
        );
    let html = c
        .post(app.url("/register/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Check the import"), "{html}");
    let fields = [
        ("upload", hidden(&html, "upload")),
        ("kind", hidden(&html, "kind")),
        ("mapping", hidden(&html, "mapping")),
    ];
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let html = app
        .post_form(c, "/register/import/commit", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Import complete"), "{html}");
}

/// Waits until the training effect of the dashboard's default view is kept for the current
/// data version (the background warming has finished), or fails after a minute.
async fn warmed(store: &mashboard_store::Store) -> i64 {
    let to = mashboard_store::training::today();
    let filter = impact::Filter {
        from: time::Date::from_calendar_date(to.year() - 4, time::Month::January, 1).unwrap(),
        to,
        scope: impact::Scope::Force,
    };
    let version = impact::data_version(store).await.unwrap();
    for _ in 0..600 {
        if impact::effect_kept_version(store, &filter, "FL-PPN") == Some(version) {
            return version;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the default view's training effect was not kept for data version {version}");
}

#[tokio::test]
async fn after_an_import_or_a_partner_decision_the_default_view_is_estimated_in_the_background() {
    on_both!(|app| {
        seed_impact_figures(&app.store).await;
        let trainer = app.signed_in(Role::MashTrainer).await;
        let version = impact::data_version(&app.store).await.unwrap();
        import_register(&app, &trainer, "incidents", "incidents-messy.csv").await;
        assert!(impact::data_version(&app.store).await.unwrap() > version);
        let after_import = warmed(&app.store).await;
        // The dashboard's first request after the import pays for no estimate.
        let estimates = impact::effect_estimates(&app.store);
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (s, _) = app.get(&leader, "/impact").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(impact::effect_estimates(&app.store), estimates);

        // A partner decision recorded on the referral's page: warmed again, and it counts.
        let r = app
            .post_form(
                &trainer,
                "/register/referrals/PPN-04/outcomes",
                &[
                    ("partner", "Children's social care"),
                    ("outcome", "no_further_action"),
                    ("decided_at", "2024-03-20"),
                ],
            )
            .await;
        assert!(r.status().is_redirection(), "{:?}", r.status());
        let after_decision = warmed(&app.store).await;
        assert!(after_decision > after_import);
        let estimates = impact::effect_estimates(&app.store);
        let (_, v) = app
            .api_as(Role::SeniorLeader, "/api/v1/impact/training-effect")
            .await;
        assert_eq!(impact::effect_estimates(&app.store), estimates);
        assert_eq!(v["counts"]["referrals"], 6, "{v}");
    });
}

#[tokio::test]
async fn a_change_made_outside_this_server_is_estimated_in_the_background_too() {
    on_both!(|app| {
        // Straight into the store, as `mashboard import` on the command line or another
        // instance sharing the database would write: no request to this server warms anything.
        seed_impact_figures(&app.store).await;
        let version = impact::data_version(&app.store).await.unwrap();
        let to = mashboard_store::training::today();
        let filter = impact::Filter {
            from: time::Date::from_calendar_date(to.year() - 4, time::Month::January, 1).unwrap(),
            to,
            scope: impact::Scope::Force,
        };
        assert_ne!(
            impact::effect_kept_version(&app.store, &filter, "FL-PPN"),
            Some(version),
            "nothing has estimated it yet"
        );
        // The watcher `serve` runs (once a minute there; every 50 ms here) notices and warms it.
        let watcher = tokio::spawn(mashboard_web::watch_data_version(
            app.store.clone(),
            std::time::Duration::from_millis(50),
        ));
        assert_eq!(warmed(&app.store).await, version);
        // And the dashboard's next request pays for no estimate.
        let estimates = impact::effect_estimates(&app.store);
        let leader = app.signed_in(Role::SeniorLeader).await;
        let (s, _) = app.get(&leader, "/impact").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(impact::effect_estimates(&app.store), estimates);
        watcher.abort();
    });
}
