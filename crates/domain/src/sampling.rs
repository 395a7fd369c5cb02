//! Reproducible random samples: the quarterly referral review and the bi-monthly incident audit
//! both draw from a *frame* (every referral submitted, or incident reported, in the period).
//!
//! Anyone can re-draw a sample and check it: the frame is put in order of its stable key (the
//! records system's reference) before drawing, the draw uses ChaCha20 seeded from a recorded
//! 64-bit seed, and the algorithm below is ours (partial Fisher–Yates with rejection sampling for
//! unbiased bounded integers), so a new version of a random-number crate cannot change a draw.
//! The same seed over the same frame always gives the same sample, in the same order.
//!
//! Stratified draws allocate the sample to strata in proportion to their size (largest
//! remainder; ties go to the stratum whose name sorts first), then draw within each stratum in
//! name order from the same random stream.
//!
//! Two methods are in use, and each draw records which (see [`Method`]). Method 1 reads the
//! whole frame and draws from it ([`draw`], [`draw_stratified`]); method 2 only counts the frame
//! (per stratum) and picks positions from the counts ([`positions`], [`stratified_positions`]),
//! so that the database fetches just the drawn rows. Both pick the same positions from the same
//! counts and seed; method 2 puts its frame in (time, reference) order rather than reference
//! order, which is what lets a database find a position without reading the whole frame.

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::collections::{BTreeMap, HashMap};

/// Why a sample cannot be drawn, in words for the person drawing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SampleError {
    #[error("the sample size must be at least 1")]
    Empty,
    #[error("the sample ({wanted}) is larger than the frame ({frame} in the period); choose a sample of at most {frame} or a longer period")]
    LargerThanFrame { wanted: usize, frame: usize },
    #[error("the frame holds the reference \"{0}\" twice; references must be unique")]
    DuplicateKey(String),
}

/// One record of the frame: its stable key and, for stratified draws, its stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameItem<'a> {
    pub key: &'a str,
    pub stratum: &'a str,
}

/// One drawn record: its index in the frame as given, and its stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub index: usize,
    pub stratum: String,
}

/// A uniform integer in `0..bound` (bound > 0) without modulo bias.
fn below(rng: &mut ChaCha20Rng, bound: u64) -> u64 {
    debug_assert!(bound > 0);
    // 2^64 mod bound: rejecting the values below it leaves a whole number of blocks of size
    // `bound`, so every residue is equally likely.
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let v = rng.next_u64();
        if v >= threshold {
            return v % bound;
        }
    }
}

/// `k` distinct positions from `0..n` in draw order: a partial Fisher–Yates shuffle kept sparse,
/// so drawing 35 from a million costs 35 steps.
fn partial_shuffle(rng: &mut ChaCha20Rng, n: usize, k: usize) -> Vec<usize> {
    let mut swapped: HashMap<usize, usize> = HashMap::with_capacity(k * 2);
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let j = i + below(rng, (n - i) as u64) as usize;
        let at_j = *swapped.get(&j).unwrap_or(&j);
        let at_i = *swapped.get(&i).unwrap_or(&i);
        swapped.insert(j, at_i);
        out.push(at_j);
    }
    out
}

/// The frame's indices in key order; refuses duplicate keys. Already-ordered frames (as the
/// database returns them) sort in linear time.
fn ordered(frame: &[FrameItem<'_>]) -> Result<Vec<usize>, SampleError> {
    let mut order: Vec<usize> = (0..frame.len()).collect();
    order.sort_by(|&a, &b| frame[a].key.cmp(frame[b].key));
    for w in order.windows(2) {
        if frame[w[0]].key == frame[w[1]].key {
            return Err(SampleError::DuplicateKey(frame[w[0]].key.to_string()));
        }
    }
    Ok(order)
}

/// A sampling seed: a whole number from 0 to 18446744073709551615, recorded with every draw so
/// the same sample can be drawn again. Typed or sent as digits, optionally in groups of three
/// separated by commas, spaces or underscores ("20,260,401"); anything else is refused with one
/// message, the same for reviews and audits, pages and API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Seed(u64);

impl Seed {
    pub fn new(value: u64) -> Seed {
        Seed(value)
    }

    pub fn value(self) -> u64 {
        self.0
    }

    /// A seed as typed.
    pub fn parse(raw: &str) -> Result<Seed, String> {
        let t = raw.trim();
        let refuse = || {
            format!(
                "\"{t}\" is not a seed: a seed is a whole number from 0 to {}, in digits (groups of three may be separated by commas)",
                u64::MAX
            )
        };
        let sep = t.chars().find(|c| matches!(c, ',' | ' ' | '_'));
        let digits: String = match sep {
            None => t.to_string(),
            Some(sep) => {
                let groups: Vec<&str> = t.split(sep).collect();
                let first_ok = (1..=3).contains(&groups[0].len());
                let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
                if !first_ok || !rest_ok {
                    return Err(refuse());
                }
                groups.concat()
            }
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        digits.parse::<u64>().map(Seed).map_err(|_| refuse())
    }

    /// An optional seed as typed in a form: blank means "draw with a fresh one".
    pub fn parse_optional(raw: &str) -> Result<Option<Seed>, String> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Seed::parse(raw).map(Some)
        }
    }
}

impl std::fmt::Display for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A simple random sample of `size` records from `frame`.
pub fn draw(frame: &[FrameItem<'_>], size: usize, seed: u64) -> Result<Vec<Drawn>, SampleError> {
    check(frame.len(), size)?;
    let order = ordered(frame)?;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    Ok(partial_shuffle(&mut rng, order.len(), size)
        .into_iter()
        .map(|p| Drawn {
            index: order[p],
            stratum: frame[order[p]].stratum.to_string(),
        })
        .collect())
}

fn check(frame: usize, size: usize) -> Result<(), SampleError> {
    if size == 0 {
        return Err(SampleError::Empty);
    }
    if size > frame {
        return Err(SampleError::LargerThanFrame {
            wanted: size,
            frame,
        });
    }
    Ok(())
}

/// How many of `size` each stratum gets: proportional to its share of the frame, by largest
/// remainder, never more than the stratum holds.
pub fn allocate(strata: &BTreeMap<String, usize>, size: usize) -> BTreeMap<String, usize> {
    let total: usize = strata.values().sum();
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    if total == 0 {
        return out;
    }
    let mut remainders: Vec<(u128, &String)> = Vec::new();
    let mut given = 0;
    for (name, &n) in strata {
        let exact = (size as u128) * (n as u128);
        let whole = (exact / total as u128) as usize;
        out.insert(name.clone(), whole.min(n));
        given += whole.min(n);
        remainders.push((exact % total as u128, name));
    }
    // Largest remainder first; BTreeMap order (name) breaks ties because the sort is stable.
    remainders.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut left = size.saturating_sub(given);
    while left > 0 {
        let mut progressed = false;
        for (_, name) in &remainders {
            if left == 0 {
                break;
            }
            let cap = strata[*name];
            let got = out.get_mut(*name).expect("every stratum allocated");
            if *got < cap {
                *got += 1;
                left -= 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    out
}

/// A stratified random sample: the allocation of [`allocate`], then a simple random sample in
/// each stratum, strata in name order, one random stream.
pub fn draw_stratified(
    frame: &[FrameItem<'_>],
    size: usize,
    seed: u64,
) -> Result<Vec<Drawn>, SampleError> {
    check(frame.len(), size)?;
    let order = ordered(frame)?;
    let mut by_stratum: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in order {
        by_stratum.entry(frame[i].stratum).or_default().push(i);
    }
    let sizes: BTreeMap<String, usize> = by_stratum
        .iter()
        .map(|(k, v)| (k.to_string(), v.len()))
        .collect();
    let allocation = allocate(&sizes, size);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(size);
    for (name, members) in &by_stratum {
        let k = allocation.get(*name).copied().unwrap_or(0);
        for p in partial_shuffle(&mut rng, members.len(), k) {
            out.push(Drawn {
                index: members[p],
                stratum: name.to_string(),
            });
        }
    }
    Ok(out)
}

/// How a sample was drawn; recorded with every draw so that it can be drawn again the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The whole frame in reference order, drawn from in memory (draws made before method 2).
    FrameWhole = 1,
    /// The frame counted, positions from the counts, the drawn rows fetched by position in
    /// (time, reference) order.
    ByPosition = 2,
}

impl Method {
    /// The method new draws use.
    pub const CURRENT: Method = Method::ByPosition;

    pub fn from_number(n: i64) -> Option<Method> {
        match n {
            1 => Some(Method::FrameWhole),
            2 => Some(Method::ByPosition),
            _ => None,
        }
    }

    pub fn number(self) -> i64 {
        self as i64
    }
}

/// `size` distinct positions in a frame of `frame` records (`0..frame`), in draw order: the
/// positions [`draw`] picks in a frame of that size with that seed.
pub fn positions(frame: usize, size: usize, seed: u64) -> Result<Vec<usize>, SampleError> {
    check(frame, size)?;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    Ok(partial_shuffle(&mut rng, frame, size))
}

/// A stratified draw from the strata's sizes alone: the allocation of [`allocate`], then
/// positions within each stratum (strata in name order, one random stream), in draw order, each
/// as (stratum, position within the stratum). The positions [`draw_stratified`] picks.
pub fn stratified_positions(
    strata: &BTreeMap<String, usize>,
    size: usize,
    seed: u64,
) -> Result<Vec<(String, usize)>, SampleError> {
    let strata: BTreeMap<String, usize> = strata
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(k, &n)| (k.clone(), n))
        .collect();
    check(strata.values().sum(), size)?;
    let allocation = allocate(&strata, size);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(size);
    for (name, &n) in &strata {
        let k = allocation.get(name).copied().unwrap_or(0);
        for p in partial_shuffle(&mut rng, n, k) {
            out.push((name.clone(), p));
        }
    }
    Ok(out)
}

/// Positions in ascending order, each with its place in the draw: the order a database reads
/// them in (one pass along its index), and the way back to draw order.
pub fn in_frame_order(drawn: &[usize]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = drawn.iter().enumerate().map(|(i, &p)| (p, i)).collect();
    out.sort_unstable();
    out
}

/// Where each of `positions` falls in a frame kept as consecutive groups (days) of `groups`
/// records, in frame order: (group, offset within the group), in the order given; `None` if a
/// position lies beyond the frame. Position `p` is the `p`th record of the whole frame, so the
/// record found by offset in its group is the record the whole frame holds at `p`.
pub fn locate(groups: &[usize], positions: &[usize]) -> Option<Vec<(usize, usize)>> {
    let mut ends = Vec::with_capacity(groups.len());
    let mut total = 0usize;
    for &n in groups {
        total += n;
        ends.push(total);
    }
    positions
        .iter()
        .map(|&p| {
            let g = ends.partition_point(|&end| end <= p);
            (g < groups.len()).then(|| (g, p - (ends[g] - groups[g])))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_the_group_and_offset_of_each_position_and_nothing_past_the_end() {
        let groups = [3, 0, 2, 1];
        assert_eq!(
            locate(&groups, &[0, 2, 3, 4, 5]),
            Some(vec![(0, 0), (0, 2), (2, 0), (2, 1), (3, 0)])
        );
        assert_eq!(locate(&groups, &[5, 0]), Some(vec![(3, 0), (0, 0)]));
        assert_eq!(locate(&groups, &[6]), None);
        assert_eq!(locate(&[], &[0]), None);
        // Every position of a frame, one by one, is found where counting would put it.
        let groups = [4, 1, 0, 0, 7, 2];
        let mut expected = Vec::new();
        for (g, &n) in groups.iter().enumerate() {
            for o in 0..n {
                expected.push((g, o));
            }
        }
        let all: Vec<usize> = (0..14).collect();
        assert_eq!(locate(&groups, &all), Some(expected));
    }

    fn frame(keys: &[String]) -> Vec<FrameItem<'_>> {
        keys.iter()
            .map(|k| FrameItem {
                key: k,
                stratum: if k.ends_with('0') { "adult" } else { "child" },
            })
            .collect()
    }

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("PPN-{i:06}")).collect()
    }

    fn picked(frame: &[FrameItem<'_>], drawn: &[Drawn]) -> Vec<String> {
        drawn
            .iter()
            .map(|d| frame[d.index].key.to_string())
            .collect()
    }

    #[test]
    fn the_same_seed_over_the_same_frame_gives_the_same_sample_whatever_order_the_frame_arrives_in()
    {
        let k = keys(500);
        let f = frame(&k);
        let mut reversed = k.clone();
        reversed.reverse();
        let fr = frame(&reversed);
        let a = picked(&f, &draw(&f, 10, 42).unwrap());
        let b = picked(&fr, &draw(&fr, 10, 42).unwrap());
        assert_eq!(a, b);
        assert_eq!(a.len(), 10);
        let mut unique = a.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10, "no record drawn twice");
        assert_ne!(
            a,
            picked(&f, &draw(&f, 10, 43).unwrap()),
            "another seed, another sample"
        );
    }

    #[test]
    fn a_draw_is_pinned_so_a_library_upgrade_cannot_change_a_recorded_sample() {
        // Recorded once from this implementation; if this fails, old samples can no longer be
        // re-drawn from their seeds.
        let k = keys(100);
        let f = frame(&k);
        let got = picked(&f, &draw(&f, 5, 20260401).unwrap());
        assert_eq!(got, PINNED.map(String::from).to_vec());
    }
    const PINNED: [&str; 5] = [
        "PPN-000082",
        "PPN-000077",
        "PPN-000072",
        "PPN-000005",
        "PPN-000046",
    ];

    #[test]
    fn the_whole_frame_can_be_drawn_and_nothing_more() {
        let k = keys(7);
        let f = frame(&k);
        let mut all = picked(&f, &draw(&f, 7, 1).unwrap());
        all.sort();
        assert_eq!(all, k);
        assert_eq!(
            draw(&f, 8, 1).unwrap_err(),
            SampleError::LargerThanFrame {
                wanted: 8,
                frame: 7
            }
        );
        assert_eq!(draw(&f, 0, 1).unwrap_err(), SampleError::Empty);
        assert!(draw(&f, 8, 1)
            .unwrap_err()
            .to_string()
            .contains("larger than the frame"));
    }

    #[test]
    fn duplicate_references_are_refused() {
        let k = vec!["A".to_string(), "B".to_string(), "A".to_string()];
        let f = frame(&k);
        assert_eq!(
            draw(&f, 1, 1).unwrap_err(),
            SampleError::DuplicateKey("A".into())
        );
    }

    #[test]
    fn every_record_is_equally_likely_to_be_drawn() {
        // 20 records, samples of 5, 4000 seeds: each record expected 1000 times.
        let k = keys(20);
        let f = frame(&k);
        let mut counts = HashMap::new();
        for seed in 0..4000u64 {
            for d in draw(&f, 5, seed).unwrap() {
                *counts.entry(d.index).or_insert(0u32) += 1;
            }
        }
        for i in 0..20 {
            let c = counts[&i];
            assert!((880..=1120).contains(&c), "record {i} drawn {c} times");
        }
    }

    #[test]
    fn allocation_is_proportional_and_adds_up() {
        let strata: BTreeMap<String, usize> =
            [("adult".to_string(), 30), ("child".to_string(), 70)].into();
        let a = allocate(&strata, 10);
        assert_eq!(a["adult"], 3);
        assert_eq!(a["child"], 7);
        let strata: BTreeMap<String, usize> = [
            ("a".to_string(), 1),
            ("b".to_string(), 1),
            ("c".to_string(), 1),
        ]
        .into();
        let a = allocate(&strata, 2);
        assert_eq!(a.values().sum::<usize>(), 2);
        assert_eq!(
            (a["a"], a["b"], a["c"]),
            (1, 1, 0),
            "ties go to the first name"
        );
        // A small stratum cannot give more than it holds.
        let strata: BTreeMap<String, usize> =
            [("big".to_string(), 100), ("tiny".to_string(), 1)].into();
        let a = allocate(&strata, 50);
        assert_eq!((a["big"], a["tiny"]), (50, 0));
        let a = allocate(&strata, 101);
        assert_eq!((a["big"], a["tiny"]), (100, 1));
    }

    #[test]
    fn a_stratified_draw_respects_the_allocation_and_is_reproducible() {
        let k = keys(100); // 10 end in 0 (adult), 90 child
        let f = frame(&k);
        let d = draw_stratified(&f, 10, 7).unwrap();
        assert_eq!(d.iter().filter(|x| x.stratum == "adult").count(), 1);
        assert_eq!(d.iter().filter(|x| x.stratum == "child").count(), 9);
        for x in &d {
            assert_eq!(f[x.index].stratum, x.stratum);
        }
        assert_eq!(d, draw_stratified(&f, 10, 7).unwrap());
    }

    #[test]
    fn a_seed_is_digits_optionally_in_groups_of_three() {
        assert_eq!(Seed::parse(" 20260401 ").unwrap().value(), 20260401);
        assert_eq!(Seed::parse("20,260,401").unwrap().value(), 20260401);
        assert_eq!(Seed::parse("20 260 401").unwrap().value(), 20260401);
        assert_eq!(
            Seed::parse("18446744073709551615").unwrap().value(),
            u64::MAX
        );
        for bad in [
            "-1",
            "2,0,2",
            "20,2604,01",
            "1.5",
            "18446744073709551616",
            "abc",
            ",123",
            "1,234 567",
        ] {
            let e = Seed::parse(bad).unwrap_err();
            assert!(
                e.contains("is not a seed: a seed is a whole number"),
                "{bad}: {e}"
            );
        }
        assert_eq!(Seed::parse_optional("  ").unwrap(), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn positions_never_repeat_stay_in_the_frame_and_match_the_whole_frame_draw(
                frame in 1usize..3000, pick in 1usize..300, seed in any::<u64>()
            ) {
                let size = pick.min(frame);
                let p = positions(frame, size, seed).unwrap();
                prop_assert_eq!(p.len(), size);
                let sorted = in_frame_order(&p);
                prop_assert!(sorted.windows(2).all(|w| w[0].0 < w[1].0), "never repeats");
                prop_assert!(sorted.iter().all(|&(x, _)| x < frame));
                prop_assert_eq!(&p, &positions(frame, size, seed).unwrap(), "same seed, same draw");
                for &(x, i) in &sorted {
                    prop_assert_eq!(p[i], x);
                }
                // Method 1 over a frame of that size picks the same positions.
                let k = keys(frame);
                let f = frame_of(&k);
                let whole: Vec<usize> = draw(&f, size, seed).unwrap().into_iter().map(|d| d.index).collect();
                prop_assert_eq!(p, whole);
            }

            #[test]
            fn stratified_positions_never_repeat_and_follow_the_allocation(
                sizes in proptest::collection::vec(0usize..400, 1..6),
                pick in 1usize..200,
                seed in any::<u64>()
            ) {
                let strata: BTreeMap<String, usize> = sizes
                    .iter()
                    .enumerate()
                    .map(|(i, &n)| (format!("s{i}"), n))
                    .collect();
                let total: usize = sizes.iter().sum();
                if total == 0 {
                    prop_assert!(stratified_positions(&strata, pick, seed).is_err());
                    return Ok(());
                }
                let size = pick.min(total);
                let got = stratified_positions(&strata, size, seed).unwrap();
                prop_assert_eq!(got.len(), size);
                let mut seen = got.clone();
                seen.sort();
                seen.dedup();
                prop_assert_eq!(seen.len(), size, "never repeats");
                let allocation = allocate(&strata, size);
                for (name, &n) in &strata {
                    let mine: Vec<usize> = got.iter().filter(|(s, _)| s == name).map(|(_, p)| *p).collect();
                    prop_assert!(mine.iter().all(|&p| p < n));
                    prop_assert_eq!(mine.len(), allocation.get(name).copied().unwrap_or(0));
                }
                prop_assert_eq!(&got, &stratified_positions(&strata, size, seed).unwrap());
            }
        }

        fn frame_of(keys: &[String]) -> Vec<FrameItem<'_>> {
            keys.iter()
                .map(|k| FrameItem {
                    key: k,
                    stratum: "",
                })
                .collect()
        }

        #[test]
        fn stratified_positions_pick_what_the_whole_frame_stratified_draw_picks() {
            let k = keys(100);
            let f = frame(&k);
            let whole = draw_stratified(&f, 10, 7).unwrap();
            let strata: BTreeMap<String, usize> =
                [("adult".to_string(), 10), ("child".to_string(), 90)].into();
            let by_position = stratified_positions(&strata, 10, 7).unwrap();
            // In key order, the adults are keys 0, 10, 20, … and the children the rest.
            let members =
                |s: &str| -> Vec<usize> { (0..100).filter(|i| f[*i].stratum == s).collect() };
            let mapped: Vec<usize> = by_position.iter().map(|(s, p)| members(s)[*p]).collect();
            let got: Vec<usize> = whole.iter().map(|d| d.index).collect();
            assert_eq!(mapped, got);
        }
    }
}
