//! Times drawing a sample from a frame of 1,000,000 references, as the audit and review pages do
//! (the store hands the frame over already in reference order).
//!
//! Run: `cargo run --release -p mashboard-domain --example bench_sampling`

use mashboard_domain::sampling::{draw, draw_stratified, FrameItem};
use std::time::Instant;

fn main() {
    let n = 1_000_000;
    let keys: Vec<String> = (0..n).map(|i| format!("INC-{i:08}")).collect();
    let strata = ["child", "adult", "domestic abuse"];
    let frame: Vec<FrameItem<'_>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| FrameItem {
            key: k,
            stratum: strata[i % 3],
        })
        .collect();
    for (label, size) in [
        ("audit, 35", 35),
        ("review, 10", 10),
        ("large, 10000", 10_000),
    ] {
        let mut best = f64::MAX;
        for seed in 0..5u64 {
            let t = Instant::now();
            let s = draw(&frame, size, seed).expect("draw");
            assert_eq!(s.len(), size);
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("simple random sample ({label}) from {n}: best of 5 {best:.1} ms");
    }
    let mut best = f64::MAX;
    for seed in 0..5u64 {
        let t = Instant::now();
        let s = draw_stratified(&frame, 35, seed).expect("draw");
        assert_eq!(s.len(), 35);
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("stratified sample (35, 3 strata) from {n}: best of 5 {best:.1} ms");
}
