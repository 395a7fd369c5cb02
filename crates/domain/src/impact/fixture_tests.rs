//! The impact module against its reference fixtures: `tests/fixtures/impact_spc.json` (made by
//! `tests/make_impact_fixtures.py`) and `tests/fixtures/impact_effect.json` (statsmodels, made by
//! `tests/make_effect_fixtures.py`).

use serde_json::Value;

use super::effect::{estimate_effect, Referral};
use super::spc::{
    p_chart, p_prime_chart, run_chart, xmr_chart, Improvement, RatePoint, SpcChart, SpcOptions,
    ValuePoint,
};

/// Agreement required with the independent implementation of the chart definitions.
const SPC_TOL: f64 = 1e-12;
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
            before_training_day: false,
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

fn spc_options(case: &Value) -> SpcOptions {
    let index = |v: &Value| {
        v.as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .expect("index")
    };
    SpcOptions {
        baseline: case["baseline"]
            .as_array()
            .map(|b| index(&b[0])..index(&b[1])),
        recalc_from: case["recalc_from"]
            .as_array()
            .map(|r| r.iter().map(index).collect())
            .unwrap_or_default(),
    }
}

fn spc_chart(case: &Value) -> SpcChart {
    let improvement = match case["improvement"].as_str() {
        Some("decrease") => Improvement::Decrease,
        _ => Improvement::Increase,
    };
    let options = spc_options(case);
    let inputs = case["inputs"].as_array().expect("inputs");
    let label = |p: &Value| p["label"].as_str().unwrap_or("").to_string();
    let num = |p: &Value, k: &str| p[k].as_f64().expect("number");
    let rates: Vec<RatePoint> = inputs
        .iter()
        .map(|p| RatePoint {
            label: label(p),
            numerator: p["numerator"].as_f64().unwrap_or(0.0),
            denominator: p["denominator"].as_f64().unwrap_or(0.0),
        })
        .collect();
    let values: Vec<ValuePoint> = inputs
        .iter()
        .filter(|p| p.get("value").is_some())
        .map(|p| ValuePoint {
            label: label(p),
            value: num(p, "value"),
        })
        .collect();
    let chart = match case["chart"].as_str() {
        Some("p") => p_chart(&rates, improvement, &options),
        Some("p_prime") => p_prime_chart(&rates, improvement, &options),
        Some("xmr") => xmr_chart(&values, improvement, &options),
        _ => run_chart(&values, improvement, &options),
    };
    chart.expect("a valid chart")
}

/// Compare two JSON values: numbers to [`SPC_TOL`], everything else exactly.
fn same(case: &str, path: &str, got: &Value, want: &Value) {
    match (got, want) {
        (Value::Number(_), Value::Number(_)) => close(case, path, got.as_f64(), want, SPC_TOL),
        (Value::Object(g), Value::Object(w)) => {
            let keys = |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(g), keys(w), "{case}: {path} has the contract's fields");
            for (k, wv) in w {
                same(case, &format!("{path}.{k}"), &g[k], wv);
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{case}: {path} length");
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                same(case, &format!("{path}[{i}]"), gv, wv);
            }
        }
        _ => assert_eq!(got, want, "{case}: {path}"),
    }
}

#[test]
fn spc_charts_match_the_reference_implementation() {
    let doc: Value = serde_json::from_str(include_str!("../../tests/fixtures/impact_spc.json"))
        .expect("impact_spc.json parses");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let mut got = serde_json::to_value(spc_chart(case)).expect("serialises");
        // The reference does not write warnings; they have their own tests.
        let warnings = got.as_object_mut().and_then(|o| o.remove("warnings"));
        assert!(warnings.is_some_and(|w| w.is_array()), "{name}: warnings");
        same(name, "chart", &got, &case["expected"]);
    }
}
