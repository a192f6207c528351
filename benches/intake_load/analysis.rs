//! The generated stories as the pipeline's analysis sees them, before any run.

use crate::stories::story;
use std::time::Instant;
use tocsin::text::{Analyzer, DEFAULT_OVERLAP, Rules, hamming, simhash, sketch};

/// Stories generated to check how often two different ones look alike to SimHash.
const SIMULATED_STORIES: u64 = 10_000;
/// The `simhash_distance` tocsin uses unless bot.toml says otherwise.
const SIMHASH_DISTANCE: u32 = 12;

/// The generated stories as the pipeline's analysis sees them: sizes, the cost of the analysis
/// per signal, and how many distinct stories SimHash would take for an earlier one.
pub fn stories_report(analyzer: &Analyzer, rules: &Rules) {
    let mut sizes = Vec::new();
    let mut costs = Vec::new();
    let mut hashes = Vec::new();
    let mut sketches = Vec::new();
    let mut kinds = Vec::new();
    for seed in 0..SIMULATED_STORIES {
        let s = story(seed);
        kinds.push((s.zh, s.kind));
        let text = format!("{}\n{}", s.title, s.body);
        sizes.push(s.title.len() + s.body.len());
        let started = Instant::now();
        let tokens = analyzer.tokens(&text);
        let hits = rules.classify(&tokens);
        let hash = simhash(&tokens);
        let words = sketch(&tokens);
        costs.push(started.elapsed().as_nanos() as u64);
        std::hint::black_box(hits);
        hashes.push(hash);
        sketches.push(words);
    }
    sizes.sort_unstable();
    costs.sort_unstable();
    let at = |v: &[u64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let near_of = |i: usize, same: bool| {
        (0..i).any(|j| (kinds[j] == kinds[i]) == same && hamming(hashes[j], hashes[i]) <= SIMHASH_DISTANCE)
    };
    let near = (1..hashes.len()).filter(|&i| near_of(i, true) || near_of(i, false)).count();
    let near_other = (1..hashes.len()).filter(|&i| near_of(i, false)).count();
    let near_zh = (1..hashes.len()).filter(|&i| kinds[i].0 && (near_of(i, true) || near_of(i, false))).count();
    // Hamming distance between unrelated stories (different kinds of incident), per language.
    let unrelated = |zh: bool| {
        let idx: Vec<usize> = (0..hashes.len()).filter(|&i| kinds[i].0 == zh).take(2000).collect();
        let mut d: Vec<u64> = Vec::new();
        for (a, &i) in idx.iter().enumerate() {
            for &j in &idx[a + 1..] {
                if kinds[i] != kinds[j] {
                    d.push(hamming(hashes[i], hashes[j]) as u64);
                }
            }
        }
        d.sort_unstable();
        let within = d.iter().filter(|&&x| x <= SIMHASH_DISTANCE as u64).count();
        format!(
            "median {} bits, 0.1 % quantile {} bits, {:.4} % of pairs within {SIMHASH_DISTANCE}",
            d[d.len() / 2],
            d[d.len() / 1000],
            100.0 * within as f64 / d.len() as f64
        )
    };
    println!(
        "generated stories: title+body {} B min, {} B median, {} B max; zh {} % (of {SIMULATED_STORIES})",
        sizes[0],
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1],
        (0..SIMULATED_STORIES).filter(|&s| story(s).zh).count() * 100 / SIMULATED_STORIES as usize
    );
    println!(
        "analysis per signal (Analyzer::tokens + Rules::classify + simhash + sketch, one thread): p50 {:.1} µs, p99 {:.1} µs",
        at(&costs, 0.5) as f64 / 1e3,
        at(&costs, 0.99) as f64 / 1e3
    );
    println!(
        "SimHash look-alikes: {near} of {SIMULATED_STORIES} distinct stories are within {SIMHASH_DISTANCE} bits of an \
         earlier one (they would join its case): {near_zh} of them Chinese; {near_other} look like a story of \
         another kind of incident"
    );
    println!("Hamming distance between unrelated stories: Chinese {}; English {}", unrelated(true), unrelated(false));
    // The second check tocsin makes: of the pairs SimHash takes for one story, those that also
    // share at least DEFAULT_OVERLAP of their content words (every pair here is two stories).
    let mut overlaps = Vec::new();
    let mut joined = 0;
    for i in 1..hashes.len() {
        let mut joins = false;
        for j in 0..i {
            if hamming(hashes[j], hashes[i]) <= SIMHASH_DISTANCE {
                let r = sketches[i].resemblance(&sketches[j]);
                joins |= r >= DEFAULT_OVERLAP;
                overlaps.push(r);
            }
        }
        joined += usize::from(joins);
    }
    overlaps.sort_by(f64::total_cmp);
    let q = |p: f64| overlaps.get(((overlaps.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0.0);
    println!(
        "with the token check too (resemblance ≥ {DEFAULT_OVERLAP}): {joined} of {SIMULATED_STORIES} would join an \
         earlier story; resemblance of the {} SimHash look-alike pairs: median {:.2}, 99.9 % {:.2}, max {:.2}; {} \
         pairs at ≥ {DEFAULT_OVERLAP}",
        overlaps.len(),
        q(0.5),
        q(0.999),
        q(1.0),
        overlaps.iter().filter(|&&r| r >= DEFAULT_OVERLAP).count()
    );
    let s = story(1);
    println!("example: {} / {}", s.title, s.body);
    let s = story(4);
    println!("example: {} / {}\n", s.title, s.body);
}
