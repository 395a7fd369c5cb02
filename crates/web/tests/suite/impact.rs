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
