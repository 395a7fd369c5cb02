//! The impact module against its reference fixtures: `tests/fixtures/impact_spc.json` (made by
//! `tests/make_impact_fixtures.py`) and `tests/fixtures/impact_effect.json` (statsmodels, made by
//! `tests/make_effect_fixtures.py`).

use serde_json::Value;

use super::effect::{estimate_effect, Referral};

/// Agreement required with statsmodels.
const EFFECT_TOL: f64 = 1e-6;

fn close(case: &str, what: &str, got: Option<f64>, want: &Value, tol: f64) {
    match (got, want.as_f64()) {
        (None, None) => {}
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "{case}: {what} is {g}, expected {w}"
        ),
        (g, _) => panic!("{case}: {what} is {g:?}, expected {want}"),
    }
}

fn referrals(case: &Value) -> Vec<Referral> {
    let rows = case["rows"].as_array().expect("rows");
    rows.iter()
        .map(|r| Referral {
            officer_id: r[0].as_i64().expect("officer"),
            quarter: r[1]
                .as_i64()
                .and_then(|q| i32::try_from(q).ok())
                .expect("quarter"),
            trained_quarter: r[2].as_i64().and_then(|q| i32::try_from(q).ok()),
            outcome: r[3].as_i64() == Some(1),
        })
        .collect()
}

#[test]
fn training_effect_matches_statsmodels() {
    let doc: Value = serde_json::from_str(include_str!("../../tests/fixtures/impact_effect.json"))
        .expect("impact_effect.json parses");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let effect = estimate_effect(&referrals(case)).expect("valid rows");
        assert_eq!(effect.reason, None, "{name}");
        let json = serde_json::to_value(&effect).expect("serialises");
        assert_eq!(json["counts"], case["counts"], "{name}");
        close(
            name,
            "estimate",
            effect.estimate,
            &case["estimate"],
            EFFECT_TOL,
        );
        close(name, "se", effect.se, &case["se"], EFFECT_TOL);
        close(
            name,
            "p_value",
            effect.p_value,
            &case["p_value"],
            EFFECT_TOL,
        );
        let ci = effect.ci95.expect("interval");
        close(name, "ci lo", Some(ci[0]), &case["ci95"][0], EFFECT_TOL);
        close(name, "ci hi", Some(ci[1]), &case["ci95"][1], EFFECT_TOL);
        for c in &effect.event_study.coefficients {
            let want = &case["event_study"][c.relative_quarter.to_string()];
            let what = format!("event study {}", c.relative_quarter);
            close(name, &what, c.estimate, &want["estimate"], EFFECT_TOL);
            close(name, &what, c.se, &want["se"], EFFECT_TOL);
        }
        for part in ["trained_before", "trained_after", "never_trained"] {
            let (got, want) = (&json["descriptive"][part], &case["descriptive"][part]);
            assert_eq!(got["n"], want["n"], "{name}: {part}");
            close(name, part, got["rate"].as_f64(), &want["rate"], 1e-12);
        }
    }
}
