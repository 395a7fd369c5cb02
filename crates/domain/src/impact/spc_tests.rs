//! Hand-built series for the SPC charts and their rules: each test states one behaviour.
//!
//! Most use an XmR chart whose lines are frozen on the baseline points `[0, 10]`: centre 5,
//! MRbar 10, limits 5 ± 26.6 (−21.6 and 31.6), 2-sigma lines 5 ± 17.7333 (−12.73 and 22.73).

use super::rules::Rule;
use super::spc::*;

fn values(ys: &[f64]) -> Vec<ValuePoint> {
    ys.iter()
        .enumerate()
        .map(|(i, &value)| ValuePoint {
            label: format!("Q{}", i + 1),
            value,
        })
        .collect()
}

fn rates(pairs: &[(f64, f64)]) -> Vec<RatePoint> {
    pairs
        .iter()
        .enumerate()
        .map(|(i, &(numerator, denominator))| RatePoint {
            label: format!("Q{}", i + 1),
            numerator,
            denominator,
        })
        .collect()
}

/// An XmR chart whose lines come from its first two points, `[0, 10]` (centre 5).
fn frozen(rest: &[f64], improvement: Improvement) -> SpcChart {
    let mut ys = vec![0.0, 10.0];
    ys.extend_from_slice(rest);
    let options = SpcOptions {
        baseline: Some(0..2),
        recalc_from: vec![],
    };
    xmr_chart(&values(&ys), improvement, &options).expect("valid chart")
}

fn flags(chart: &SpcChart, f: impl Fn(&SpcPoint) -> bool) -> Vec<usize> {
    (0..chart.points.len())
        .filter(|&i| f(&chart.points[i]))
        .collect()
}

#[test]
fn frozen_lines_are_the_baselines() {
    let c = frozen(&[6.0], Improvement::Increase);
    let p = &c.points[2];
    assert_eq!(p.cl, 5.0);
    assert!((p.ucl.unwrap_or(0.0) - 31.6).abs() < 1e-12);
    assert!((p.lcl_2sigma.unwrap_or(0.0) + 12.733_333_333_333_334).abs() < 1e-12);
}

#[test]
fn shift_is_broken_by_a_point_on_the_centre_line() {
    // 10, 6, 6, 6 above; 5 on the line; then six 6s: no run reaches 7.
    let c = frozen(
        &[6., 6., 6., 5., 6., 6., 6., 6., 6., 6.],
        Improvement::Increase,
    );
    assert!(flags(&c, |p| p.part_of_7_point_shift).is_empty());
    // A seventh 6 after the break makes a shift of exactly those seven.
    let c = frozen(
        &[6., 6., 6., 5., 6., 6., 6., 6., 6., 6., 6.],
        Improvement::Increase,
    );
    assert_eq!(
        flags(&c, |p| p.part_of_7_point_shift),
        (6..13).collect::<Vec<_>>()
    );
    assert!(c.points[6..]
        .iter()
        .all(|p| p.point_type == PointType::SpecialCauseImprovement));
    assert_eq!(c.points[5].point_type, PointType::CommonCause);
}

#[test]
fn longer_shift_flags_the_whole_run() {
    let c = frozen(&[4.0; 9], Improvement::Increase);
    assert_eq!(
        flags(&c, |p| p.part_of_7_point_shift),
        (2..11).collect::<Vec<_>>()
    );
    // Below the centre when higher is better: a concern.
    assert_eq!(c.points[2].point_type, PointType::SpecialCauseConcern);
}

#[test]
fn trend_is_broken_by_a_tie() {
    // 1, 2, 3 then a tie at 3, then 3..8: six points rising, not seven.
    let c = frozen(&[1., 2., 3., 3., 4., 5., 6., 7., 8.], Improvement::Increase);
    assert!(flags(&c, |p| p.part_of_7_point_trend).is_empty());
    // One more rise makes a trend of the seven points from the tie on.
    let c = frozen(
        &[1., 2., 3., 3., 4., 5., 6., 7., 8., 9.],
        Improvement::Increase,
    );
    assert_eq!(
        flags(&c, |p| p.part_of_7_point_trend),
        (5..12).collect::<Vec<_>>()
    );
    assert_eq!(c.points[11].point_type, PointType::SpecialCauseImprovement);
    // A falling trend is a concern when higher is better, and improvement when lower is better.
    let c = frozen(&[9., 8., 7., 6., 5., 4., 3.], Improvement::Decrease);
    assert_eq!(
        flags(&c, |p| p.part_of_7_point_trend),
        (1..9).collect::<Vec<_>>()
    );
    assert_eq!(c.points[8].point_type, PointType::SpecialCauseImprovement);
}

#[test]
fn two_in_three_ignores_points_beyond_the_limit() {
    // 25 is between the upper 2-sigma line (22.73) and the limit (31.6); 40 is outside.
    let c = frozen(&[25., 40., 25.], Improvement::Increase);
    assert_eq!(flags(&c, |p| p.close_to_limits), vec![2, 4]);
    assert_eq!(flags(&c, |p| p.outside_limits), vec![3]);
    assert_eq!(flags(&c, |p| p.part_of_2_in_3), vec![2, 4]);
    assert!(c.points[2..]
        .iter()
        .all(|p| p.point_type == PointType::SpecialCauseImprovement));
    // Only one close point in any window: no signal from the rule.
    let c = frozen(&[25., 40., 10.], Improvement::Increase);
    assert!(flags(&c, |p| p.part_of_2_in_3).is_empty());
    assert_eq!(c.points[2].point_type, PointType::CommonCause);
}

#[test]
fn two_in_three_needs_all_three_on_one_side() {
    let c = frozen(&[25., 0., 25.], Improvement::Increase);
    assert!(flags(&c, |p| p.part_of_2_in_3).is_empty());
}

#[test]
fn outside_takes_precedence_and_sets_direction() {
    let c = frozen(&[-30.], Improvement::Decrease);
    let p = &c.points[2];
    assert!(p.outside_limits && !p.close_to_limits);
    assert_eq!(p.point_type, PointType::SpecialCauseImprovement);
    assert_eq!(c.signals.len(), 1);
    assert_eq!(
        c.signals[0].text,
        "special cause: improvement, point 3 (Q3) below the lower limit"
    );
}

#[test]
fn signals_are_described_in_plain_words() {
    let c = frozen(&[6., 6., 6., 6., 6., 6., 6.], Improvement::Increase);
    let shift: Vec<_> = c.signals.iter().filter(|s| s.rule == Rule::Shift).collect();
    assert_eq!(shift.len(), 1);
    assert_eq!(
        shift[0].text,
        "special cause: improvement, 8 points above the centre line (Q2 to Q9)"
    );
    assert_eq!((shift[0].first, shift[0].last), (1, 8));
}

#[test]
fn rate_limits_are_clipped_to_0_and_1() {
    let low = p_chart(
        &rates(&[(0., 10.), (1., 10.), (0., 10.), (0., 10.)]),
        Improvement::Decrease,
        &SpcOptions::default(),
    )
    .expect("valid");
    assert!(low
        .points
        .iter()
        .all(|p| p.lcl == Some(0.0) && p.lcl_2sigma == Some(0.0)));
    let high = p_chart(
        &rates(&[(10., 10.), (9., 10.), (10., 10.), (10., 10.)]),
        Improvement::Increase,
        &SpcOptions::default(),
    )
    .expect("valid");
    assert!(high
        .points
        .iter()
        .all(|p| p.ucl == Some(1.0) && p.ucl_2sigma == Some(1.0)));
    // A point at 1 with both upper lines clipped to 1 is neither outside nor close.
    assert!(!high.points[0].outside_limits && !high.points[0].close_to_limits);
}

#[test]
fn one_point_is_not_a_chart() {
    let err = p_chart(
        &rates(&[(1., 2.)]),
        Improvement::Increase,
        &SpcOptions::default(),
    );
    assert_eq!(err, Err(SpcError::TooFewPoints(1)));
    let err = run_chart(&values(&[]), Improvement::Increase, &SpcOptions::default());
    assert_eq!(
        err.map_err(|e| e.to_string()),
        Err("A chart needs at least 2 points; this one has 0".to_string())
    );
}

#[test]
fn all_points_equal_give_flat_lines_and_no_useful_runs() {
    let c = xmr_chart(
        &values(&[5.0; 8]),
        Improvement::Increase,
        &SpcOptions::default(),
    )
    .expect("valid");
    for p in &c.points {
        assert_eq!((p.lcl, p.ucl), (Some(5.0), Some(5.0)));
        assert!(!p.outside_limits && !p.close_to_limits && !p.part_of_7_point_shift);
        assert_eq!(p.point_type, PointType::CommonCause);
    }
    assert_eq!(c.anhoej.n_useful, 0);
    assert_eq!(c.anhoej.longest_run_max, None);
    assert!(!c.anhoej.runs_signal);
    let json = serde_json::to_value(&c).expect("serialises");
    assert!(json["anhoej"]["n_crossings_min"].is_null());

    let r = run_chart(
        &values(&[2.0; 3]),
        Improvement::Increase,
        &SpcOptions::default(),
    )
    .expect("valid");
    assert_eq!(r.anhoej.n_useful, 0);
}

#[test]
fn rates_with_no_variation_warn_that_limits_sit_on_the_centre() {
    let c = p_chart(
        &rates(&[(0., 10.); 4]),
        Improvement::Decrease,
        &SpcOptions::default(),
    )
    .expect("valid");
    assert_eq!(c.centre, 0.0);
    assert_eq!(c.warnings.len(), 1);
    let c = p_prime_chart(
        &rates(&[(3., 10.); 4]),
        Improvement::Decrease,
        &SpcOptions::default(),
    )
    .expect("valid");
    assert!(c
        .points
        .iter()
        .all(|p| p.ucl == Some(0.3) && p.lcl == Some(0.3)));
    assert_eq!(c.warnings.len(), 1);
}

#[test]
fn p_prime_widens_limits_that_large_denominators_make_too_tight() {
    let pairs: Vec<(f64, f64)> = [0.50, 0.53, 0.48, 0.51, 0.47, 0.52, 0.49, 0.50]
        .iter()
        .map(|p| (p * 10_000.0, 10_000.0))
        .collect();
    let opts = SpcOptions::default();
    let p = p_chart(&rates(&pairs), Improvement::Increase, &opts).expect("valid");
    let pp = p_prime_chart(&rates(&pairs), Improvement::Increase, &opts).expect("valid");
    assert!(p.points.iter().any(|pt| pt.outside_limits));
    assert!(pp.points.iter().all(|pt| !pt.outside_limits));
    assert_eq!(p.centre, pp.centre);
    // Same centre; the p′ half-width is the p half-width times σz (here well above 1).
    let half = |c: &SpcChart| c.points[0].ucl.unwrap_or(0.0) - c.centre;
    let sigma_z = half(&pp) / half(&p);
    assert!(sigma_z > 3.0, "σz = {sigma_z}");
    let ratio_2sigma = (pp.points[3].ucl_2sigma.unwrap_or(0.0) - pp.centre)
        / (p.points[3].ucl_2sigma.unwrap_or(0.0) - p.centre);
    assert!((ratio_2sigma - sigma_z).abs() < 1e-9);
}

#[test]
fn xmr_screens_out_large_moving_ranges() {
    // Moving ranges: eleven of 1 and two of 30; mean 71/13 ≈ 5.46, so the 30s (≥ 17.8) go and
    // MRbar is 1: limits are the mean ± 2.66.
    let ys = [
        10., 11., 10., 11., 10., 40., 10., 11., 10., 11., 10., 11., 10., 11.,
    ];
    let c = xmr_chart(&values(&ys), Improvement::Decrease, &SpcOptions::default()).expect("valid");
    let p = &c.points[0];
    assert!((p.ucl.unwrap_or(0.0) - p.cl - 2.66).abs() < 1e-12);
    assert!((p.cl - p.lcl_2sigma.unwrap_or(0.0) - 2.66 * 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(flags(&c, |p| p.outside_limits), vec![5]);
    assert_eq!(c.points[5].point_type, PointType::SpecialCauseConcern);
}

#[test]
fn xmr_limits_from_fewer_than_13_points_are_provisional() {
    let twelve = xmr_chart(
        &values(&[3.0, 4.0].repeat(6)),
        Improvement::Increase,
        &SpcOptions::default(),
    )
    .expect("valid");
    assert_eq!(twelve.warnings.len(), 1);
    assert!(
        twelve.warnings[0].contains("provisional"),
        "{}",
        twelve.warnings[0]
    );
    let thirteen = xmr_chart(
        &values(&[3.0, 4.0].repeat(7)[..13]),
        Improvement::Increase,
        &SpcOptions::default(),
    )
    .expect("valid");
    assert!(thirteen.warnings.is_empty());
    // After a recalculation the short second part is provisional again.
    let opts = SpcOptions {
        baseline: None,
        recalc_from: vec![14],
    };
    let split = xmr_chart(
        &values(&[3.0, 4.0].repeat(10)),
        Improvement::Increase,
        &opts,
    )
    .expect("valid");
    assert_eq!(split.warnings.len(), 1);
    assert!(split.warnings[0].starts_with("The limits for points 15 to 20 come from 6 points"));
}

#[test]
fn recalculation_steps_the_lines() {
    let ys = [1., 2., 1., 2., 11., 12., 11., 12.];
    let opts = SpcOptions {
        baseline: None,
        recalc_from: vec![4],
    };
    let c = run_chart(&values(&ys), Improvement::Increase, &opts).expect("valid");
    let cls: Vec<f64> = c.points.iter().map(|p| p.cl).collect();
    assert_eq!(cls, vec![1.5, 1.5, 1.5, 1.5, 11.5, 11.5, 11.5, 11.5]);
    assert_eq!(c.centre, 11.5);
    assert!(c.points.iter().all(|p| p.ucl.is_none()));
    let json = serde_json::to_value(&c).expect("serialises");
    assert_eq!(json["chart"], "run");
    assert!(json["points"][0]["lcl_2sigma"].is_null());
}

#[test]
fn rules_do_not_run_across_a_recalculation() {
    // Four rising points before the step and four after: no 7-point trend within either part.
    let ys = [1., 2., 3., 4., 5., 6., 7., 8.];
    let opts = SpcOptions {
        baseline: None,
        recalc_from: vec![4],
    };
    let c = run_chart(&values(&ys), Improvement::Increase, &opts).expect("valid");
    assert!(flags(&c, |p| p.part_of_7_point_trend).is_empty());
    let whole =
        run_chart(&values(&ys), Improvement::Increase, &SpcOptions::default()).expect("valid");
    assert_eq!(flags(&whole, |p| p.part_of_7_point_trend).len(), 8);
}

#[test]
fn bad_rates_are_refused_naming_the_point() {
    let opts = SpcOptions::default();
    let message = |pairs: &[(f64, f64)]| {
        let mut points = rates(pairs);
        points[2].label = "2024 Q1".into();
        p_chart(&points, Improvement::Increase, &opts).map_err(|e| e.to_string())
    };
    assert_eq!(
        message(&[(1., 2.), (1., 2.), (0., 0.)]),
        Err("Point 3 (2024 Q1): the denominator is 0; a rate needs at least one case".into())
    );
    assert_eq!(
        message(&[(1., 2.), (1., 2.), (12., 10.)]),
        Err("Point 3 (2024 Q1): the numerator 12 is more than the denominator 10".into())
    );
    assert_eq!(
        message(&[(1., 2.), (1., 2.), (-1., 10.)]),
        Err("Point 3 (2024 Q1): the numerator is negative".into())
    );
    assert_eq!(
        message(&[(1., 2.), (1., 2.), (1., f64::INFINITY)]),
        Err("Point 3 (2024 Q1): the denominator is not a number".into())
    );
    let err = xmr_chart(&values(&[1., f64::NAN]), Improvement::Increase, &opts);
    assert_eq!(
        err.map_err(|e| e.to_string()),
        Err("Point 2 (Q2): the value is not a number".into())
    );
}

#[test]
fn bad_options_are_refused() {
    let ys = values(&[1., 2., 3., 4., 5., 6.]);
    let chart = |baseline, recalc_from| {
        let opts = SpcOptions {
            baseline,
            recalc_from,
        };
        xmr_chart(&ys, Improvement::Increase, &opts)
    };
    assert!(matches!(
        chart(Some(0..7), vec![]),
        Err(SpcError::BadBaseline { .. })
    ));
    assert!(matches!(
        chart(Some(0..4), vec![3]),
        Err(SpcError::BadBaseline { .. })
    ));
    assert!(matches!(
        chart(Some(2..2), vec![]),
        Err(SpcError::BadBaseline { .. })
    ));
    assert!(matches!(
        chart(None, vec![3, 3]),
        Err(SpcError::BadRecalculation { .. })
    ));
    assert!(matches!(
        chart(None, vec![0]),
        Err(SpcError::BadRecalculation { .. })
    ));
    assert!(matches!(
        chart(None, vec![6]),
        Err(SpcError::BadRecalculation { .. })
    ));
    assert_eq!(
        chart(None, vec![5]).map_err(|e| e.to_string()),
        Err("The lines from point 6 to point 6 need at least 2 points to calculate from".into())
    );
    assert!(matches!(
        chart(Some(1..2), vec![]),
        Err(SpcError::TooFewForLines { .. })
    ));
    assert!(chart(Some(1..3), vec![4]).is_ok());
}
