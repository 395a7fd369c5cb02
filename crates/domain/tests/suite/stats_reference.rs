//! The statistics in `mashboard_domain::stats` against reference values computed with scipy,
//! statsmodels and the `krippendorff` Python package (fixtures/stats_reference.json, made by
//! make_stats_fixtures.py; the package versions are recorded in the JSON).
//!
//! Values are compared to 1e-12, relative to the size of the value when it exceeds 1. Where the
//! reference is null the Rust result must be None / `Alpha::Undefined`, never NaN.

use mashboard_domain::stats::{
    compare_proportions, grade_counts, krippendorff_alpha_nominal, krippendorff_alpha_ordinal,
    summarise, wilson, Alpha,
};
use serde_json::Value;

// The brief asks for 1e-9; every value currently agrees to 1e-14, so hold it to 1e-12.
const TOL: f64 = 1e-12;

fn fixtures() -> Value {
    let text = include_str!("../fixtures/stats_reference.json");
    serde_json::from_str(text).expect("stats_reference.json parses")
}

fn cases<'a>(doc: &'a Value, section: &str) -> &'a [Value] {
    let cases = doc[section].as_array().expect("section is a list");
    assert!(!cases.is_empty(), "section {section} has cases");
    cases
}

fn num(case: &Value, key: &str) -> f64 {
    case[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{}: {key} is a number", case["name"]))
}

fn opt(case: &Value, key: &str) -> Option<f64> {
    match &case[key] {
        Value::Null => None,
        v => Some(
            v.as_f64()
                .unwrap_or_else(|| panic!("{}: {key}", case["name"])),
        ),
    }
}

fn int(case: &Value, key: &str) -> u64 {
    case[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{}: {key} is a count", case["name"]))
}

/// Collects mismatches so one run reports every failing case.
#[derive(Default)]
struct Check(Vec<String>);

impl Check {
    fn close(&mut self, case: &Value, what: &str, got: f64, want: f64) {
        let ok = got.is_finite() && (got - want).abs() <= TOL * want.abs().max(1.0);
        if !ok {
            self.0.push(format!(
                "{} / {what}: got {got:e}, want {want:e}",
                case["name"]
            ));
        }
    }
    fn close_opt(&mut self, case: &Value, what: &str, got: Option<f64>, want: Option<f64>) {
        match (got, want) {
            (Some(g), Some(w)) => self.close(case, what, g, w),
            (None, None) => {}
            (g, w) => self
                .0
                .push(format!("{} / {what}: got {g:?}, want {w:?}", case["name"])),
        }
    }
    fn finish(self) {
        assert!(self.0.is_empty(), "mismatches:\n{}", self.0.join("\n"));
    }
}

fn sample(case: &Value) -> Vec<f64> {
    if let Some(values) = case["values"].as_array() {
        return values.iter().map(|v| v.as_f64().unwrap()).collect();
    }
    let counts = case["counts"].as_array().expect("values or counts");
    counts
        .iter()
        .enumerate()
        .flat_map(|(i, c)| std::iter::repeat_n((i + 1) as f64, c.as_u64().unwrap() as usize))
        .collect()
}

#[test]
fn wilson_matches_statsmodels() {
    let doc = fixtures();
    let mut check = Check::default();
    for case in cases(&doc, "wilson") {
        let ci = wilson(
            int(case, "successes"),
            int(case, "n"),
            num(case, "confidence"),
        )
        .unwrap_or_else(|| panic!("{}: interval exists", case["name"]));
        check.close(case, "lo", ci.lo, num(case, "lo"));
        check.close(case, "hi", ci.hi, num(case, "hi"));
    }
    check.finish();
}

#[test]
fn newcombe_interval_and_z_test_match_statsmodels() {
    let doc = fixtures();
    let mut check = Check::default();
    let mut undefined = 0;
    for case in cases(&doc, "compare") {
        let c = compare_proportions(
            int(case, "x_a"),
            int(case, "n_a"),
            int(case, "x_b"),
            int(case, "n_b"),
            num(case, "confidence"),
        )
        .unwrap_or_else(|| panic!("{}: comparison exists", case["name"]));
        check.close(case, "a", c.a, num(case, "a"));
        check.close(case, "b", c.b, num(case, "b"));
        check.close(case, "difference", c.difference, num(case, "difference"));
        check.close(case, "lo", c.difference_ci.lo, num(case, "lo"));
        check.close(case, "hi", c.difference_ci.hi, num(case, "hi"));
        check.close_opt(case, "z", c.z, opt(case, "z"));
        check.close_opt(case, "p_value", c.p_value, opt(case, "p_value"));
        if case["z"].is_null() {
            undefined += 1;
        }
    }
    check.finish();
    assert!(undefined >= 3, "the fixtures cover undefined z tests");
}

#[test]
fn summary_matches_numpy_and_scipy() {
    let doc = fixtures();
    let mut check = Check::default();
    for case in cases(&doc, "summarise") {
        let values = sample(case);
        let s = summarise(&values, num(case, "confidence"))
            .unwrap_or_else(|| panic!("{}: summary exists", case["name"]));
        assert_eq!(s.n as u64, int(case, "n"), "{}", case["name"]);
        check.close(case, "mean", s.mean, num(case, "mean"));
        check.close(case, "median", s.median, num(case, "median"));
        check.close_opt(case, "sd", s.sd, opt(case, "sd"));
        check.close_opt(case, "ci_lo", s.mean_ci.map(|c| c.lo), opt(case, "ci_lo"));
        check.close_opt(case, "ci_hi", s.mean_ci.map(|c| c.hi), opt(case, "ci_hi"));
    }
    check.finish();
}

#[test]
fn published_review_averages_are_reproduced_and_the_inconsistent_one_flagged() {
    let doc = fixtures();
    let mut reviews = 0;
    for case in cases(&doc, "summarise") {
        let Some(published) = case["published_average"].as_f64() else {
            continue;
        };
        reviews += 1;
        let counts: Vec<u64> = case["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .collect();
        let grades: Vec<u8> = counts
            .iter()
            .enumerate()
            .flat_map(|(i, c)| std::iter::repeat_n(i as u8 + 1, *c as usize))
            .collect();
        assert_eq!(grade_counts(&grades).to_vec(), counts, "{}", case["name"]);
        let mean = summarise(&sample(case), 0.95).unwrap().mean;
        let text = published.to_string();
        let digits = text.split('.').nth(1).map_or(0, str::len) as i32;
        let matches = (mean - published).abs() <= 0.5 * 10f64.powi(-digits) + 1e-12;
        assert_eq!(
            matches,
            case["published_matches"].as_bool().unwrap(),
            "{}: mean {mean} vs published {published}",
            case["name"]
        );
    }
    assert_eq!(reviews, 6, "all six published reviews are in the fixtures");
}

#[test]
fn krippendorff_alpha_matches_the_python_package() {
    let doc = fixtures();
    let mut check = Check::default();
    let mut undefined = 0;
    for case in cases(&doc, "alpha") {
        let units: Vec<Vec<u8>> = case["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                u.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| u8::try_from(v.as_u64().unwrap()).unwrap())
                    .collect()
            })
            .collect();
        for (key, alpha) in [
            ("ordinal", krippendorff_alpha_ordinal(&units)),
            ("nominal", krippendorff_alpha_nominal(&units)),
        ] {
            if let Alpha::Undefined { reason } = &alpha {
                assert!(reason.len() > 20, "{}: a reason in words", case["name"]);
                undefined += 1;
            }
            check.close_opt(case, key, alpha.value(), opt(case, key));
        }
    }
    check.finish();
    assert!(undefined >= 8, "the fixtures cover undefined alphas");
}

#[test]
fn krippendorff_2011_worked_example_gives_the_published_figures() {
    // Krippendorff (2011), section C: ordinal alpha 0.815, nominal 0.743.
    let doc = fixtures();
    let case = cases(&doc, "alpha")
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("Krippendorff 2011"))
        .expect("the worked example is in the fixtures");
    let units: Vec<Vec<u8>> = serde_json::from_value(case["units"].clone()).unwrap();
    let ordinal = krippendorff_alpha_ordinal(&units).value().unwrap();
    let nominal = krippendorff_alpha_nominal(&units).value().unwrap();
    assert_eq!(format!("{ordinal:.3}"), "0.815");
    assert_eq!(format!("{nominal:.3}"), "0.743");
}
