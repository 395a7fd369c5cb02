//! Property tests of the statistics and rules the pages report: every interval contains its
//! estimate and stays in range, shares and percentages stay in [0, 1] and 0–100, a sampling
//! draw never repeats a record, is the size asked for and is the same again from its seed, and
//! SPC lines are ordered (lower limit ≤ centre ≤ upper limit), clipped to [0, 1] on p charts.

use mashboard_domain::impact::spc::{
    p_chart, p_prime_chart, xmr_chart, Improvement, RatePoint, SpcChart, SpcOptions, ValuePoint,
};
use mashboard_domain::outcomes::Proportion;
use mashboard_domain::review_summary::percent_of;
use mashboard_domain::sampling::{allocate, draw, draw_stratified, FrameItem};
use mashboard_domain::stats::{compare_proportions, summarise, wilson};
use mashboard_domain::training::percent_rounded;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// A count and a total it does not exceed.
fn x_of_n() -> impl Strategy<Value = (u64, u64)> {
    prop_oneof![1u64..200, 1u64..100_000, 1u64..=u64::MAX / 2].prop_flat_map(|n| (0..=n, Just(n)))
}

fn confidence() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.95), Just(0.9), Just(0.99), 0.01f64..0.999]
}

/// The frame's keys: unique, in no particular order, each in one of a few strata.
fn frame_keys() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_set("[A-Z]{1,3}-[0-9]{1,4}", 1..120).prop_flat_map(|keys| {
        let n = keys.len();
        (
            Just(keys.into_iter().collect::<Vec<_>>()),
            prop::collection::vec(prop::sample::select(vec!["adult", "child", "both", "x"]), n),
        )
            .prop_map(|(keys, strata)| {
                keys.into_iter()
                    .zip(strata)
                    .map(|(k, s)| (k, s.to_string()))
                    .collect::<Vec<_>>()
            })
            .prop_shuffle()
    })
}

fn items(keys: &[(String, String)]) -> Vec<FrameItem<'_>> {
    keys.iter()
        .map(|(k, s)| FrameItem { key: k, stratum: s })
        .collect()
}

/// Lines in order at every point, and inside [0, 1] for a chart of rates.
fn check_lines(chart: &SpcChart, rates: bool) {
    for p in &chart.points {
        let (Some(lcl), Some(ucl)) = (p.lcl, p.ucl) else {
            panic!("a control chart point with no limits: {p:?}");
        };
        let (l2, u2) = (p.lcl_2sigma.unwrap(), p.ucl_2sigma.unwrap());
        assert!(
            lcl <= l2 && l2 <= p.cl && p.cl <= u2 && u2 <= ucl,
            "lines out of order at {}: {lcl} {l2} {} {u2} {ucl}",
            p.label,
            p.cl
        );
        if rates {
            assert!(lcl >= 0.0 && ucl <= 1.0, "limits outside [0, 1]: {p:?}");
            assert!((0.0..=1.0).contains(&p.y), "{p:?}");
        }
        assert_eq!(p.outside_limits, p.y < lcl || p.y > ucl, "{p:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_wilson_interval_holds_its_share_inside_zero_to_one((x, n) in x_of_n(), c in confidence()) {
        let ci = wilson(x, n, c).expect("x ≤ n, n > 0, confidence in (0, 1)");
        let p = x as f64 / n as f64;
        prop_assert!(0.0 <= ci.lo && ci.lo <= ci.hi && ci.hi <= 1.0, "{ci:?}");
        prop_assert!(ci.contains(p), "{p} outside {ci:?}");
        let share = Proportion { x, n }.share().unwrap();
        prop_assert!((0.0..=1.0).contains(&share));
    }

    #[test]
    fn a_wider_confidence_never_gives_a_narrower_interval((x, n) in x_of_n()) {
        let narrow = wilson(x, n, 0.9).unwrap();
        let wide = wilson(x, n, 0.99).unwrap();
        prop_assert!(wide.lo <= narrow.lo + 1e-12 && narrow.hi <= wide.hi + 1e-12);
    }

    #[test]
    fn a_difference_of_shares_lies_in_its_interval(a in x_of_n(), b in x_of_n(), c in confidence()) {
        let cmp = compare_proportions(a.0, a.1, b.0, b.1, c).unwrap();
        prop_assert!((0.0..=1.0).contains(&cmp.a) && (0.0..=1.0).contains(&cmp.b));
        let ci = cmp.difference_ci;
        prop_assert!(-1.0 <= ci.lo && ci.lo <= ci.hi && ci.hi <= 1.0, "{ci:?}");
        prop_assert!(ci.contains(cmp.difference), "{} outside {ci:?}", cmp.difference);
        if let Some(p) = cmp.p_value {
            prop_assert!((0.0..=1.0).contains(&p), "p = {p}");
        }
    }

    #[test]
    fn a_mean_lies_in_its_interval_and_between_the_extremes(
        values in prop::collection::vec(-1.0e6f64..1.0e6, 1..60),
        c in confidence(),
    ) {
        let s = summarise(&values, c).unwrap();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let slack = 1e-9 * (1.0 + lo.abs().max(hi.abs()));
        prop_assert!(lo - slack <= s.mean && s.mean <= hi + slack, "{s:?}");
        prop_assert!(lo <= s.median && s.median <= hi, "{s:?}");
        if let Some(ci) = s.mean_ci {
            prop_assert!(ci.contains(s.mean), "{s:?}");
        }
        prop_assert_eq!(s.sd.is_some(), values.len() >= 2);
        prop_assert!(s.sd.is_none_or(|sd| sd >= 0.0));
    }

    #[test]
    fn percentages_of_a_part_stay_between_0_and_100(count in any::<u64>(), total in any::<u64>()) {
        let (count, total) = (count.min(total), total);
        let p = percent_of(count, total);
        prop_assert!(p <= 100, "{count} of {total} is {p}%");
        if count == total && total > 0 {
            prop_assert_eq!(p, 100);
        }
        if count == 0 {
            prop_assert_eq!(p, 0);
        }
        let whole = usize::try_from(total).unwrap_or(usize::MAX);
        let part = usize::try_from(count).unwrap_or(usize::MAX).min(whole);
        if let Some(r) = percent_rounded(part, whole) {
            prop_assert!(r <= 100);
        }
    }

    #[test]
    fn a_draw_never_repeats_a_record_and_comes_again_from_its_seed(
        keys in frame_keys(),
        wanted in 1usize..60,
        seed in any::<u64>(),
    ) {
        let frame = items(&keys);
        let size = wanted.min(frame.len());
        let drawn = draw(&frame, size, seed).unwrap();
        prop_assert_eq!(drawn.len(), size);
        let picked: BTreeSet<&str> = drawn.iter().map(|d| frame[d.index].key).collect();
        prop_assert_eq!(picked.len(), size, "a record drawn twice");
        prop_assert_eq!(&draw(&frame, size, seed).unwrap(), &drawn);
        // The same records whatever order the frame is listed in.
        let mut reversed = keys.clone();
        reversed.reverse();
        let again = draw(&items(&reversed), size, seed).unwrap();
        let again: BTreeSet<&str> = again.iter().map(|d| reversed[d.index].0.as_str()).collect();
        prop_assert_eq!(again, picked);
        prop_assert!(draw(&frame, frame.len() + 1, seed).is_err());
    }

    #[test]
    fn a_stratified_draw_never_repeats_and_keeps_to_each_stratum(
        keys in frame_keys(),
        wanted in 1usize..60,
        seed in any::<u64>(),
    ) {
        let frame = items(&keys);
        let size = wanted.min(frame.len());
        let drawn = draw_stratified(&frame, size, seed).unwrap();
        prop_assert_eq!(drawn.len(), size);
        let picked: BTreeSet<usize> = drawn.iter().map(|d| d.index).collect();
        prop_assert_eq!(picked.len(), size, "a record drawn twice");
        for d in &drawn {
            prop_assert_eq!(frame[d.index].stratum, d.stratum.as_str());
        }
        prop_assert_eq!(&draw_stratified(&frame, size, seed).unwrap(), &drawn);
    }

    #[test]
    fn an_allocation_gives_out_the_sample_and_no_stratum_more_than_it_holds(
        strata in prop::collection::btree_map("[a-e]", 0usize..500, 0..6),
        size in 0usize..800,
    ) {
        let out = allocate(&strata, size);
        let total: usize = strata.values().sum();
        prop_assert_eq!(out.values().sum::<usize>(), size.min(total));
        for (name, n) in &out {
            prop_assert!(*n <= strata[name]);
        }
    }

    #[test]
    fn p_chart_limits_are_ordered_and_clipped_to_zero_to_one(
        points in prop::collection::vec((1u32..400).prop_flat_map(|d| (0..=d, Just(d))), 2..30),
        prime in any::<bool>(),
    ) {
        let points: Vec<RatePoint> = points
            .iter()
            .enumerate()
            .map(|(i, (x, n))| RatePoint {
                label: format!("P{i}"),
                numerator: f64::from(*x),
                denominator: f64::from(*n),
            })
            .collect();
        let options = SpcOptions::default();
        let chart = if prime {
            p_prime_chart(&points, Improvement::Increase, &options)
        } else {
            p_chart(&points, Improvement::Increase, &options)
        };
        check_lines(&chart.unwrap(), true);
    }

    #[test]
    fn xmr_limits_are_ordered(values in prop::collection::vec(-1.0e4f64..1.0e4, 2..30)) {
        let points: Vec<ValuePoint> = values
            .iter()
            .enumerate()
            .map(|(i, v)| ValuePoint { label: format!("P{i}"), value: *v })
            .collect();
        let chart = xmr_chart(&points, Improvement::Decrease, &SpcOptions::default()).unwrap();
        check_lines(&chart, false);
    }
}

#[test]
fn the_strata_of_the_examples_are_all_used() {
    // A guard on the generator above: strata that differ in size are drawn from.
    let strata: BTreeMap<String, usize> = [("a".to_string(), 3), ("b".to_string(), 7)].into();
    assert_eq!(allocate(&strata, 5).values().sum::<usize>(), 5);
}
