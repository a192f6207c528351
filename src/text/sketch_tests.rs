use super::*;
use crate::text::simhash::tests::{BUS, CRASH_EN, GAS, GAS_EDITS, LEAK_EN, LEAK_EN_EDITS, variants};
use crate::text::test_analyzer;

fn of(text: &str) -> Sketch {
    sketch(&test_analyzer().tokens(text))
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The lowest and highest resemblance among all pairs of `texts`.
fn spread(texts: &[String]) -> (f64, f64) {
    let sketches: Vec<Sketch> = texts.iter().map(|t| of(t)).collect();
    let all: Vec<f64> = sketches
        .iter()
        .enumerate()
        .flat_map(|(i, a)| sketches[i + 1..].iter().map(move |b| a.resemblance(b)))
        .collect();
    (all.iter().copied().fold(1.0, f64::min), all.iter().copied().fold(0.0, f64::max))
}

#[test]
fn retellings_of_one_story_share_most_words_and_different_stories_few() {
    for (base, edits, other) in [(GAS, &GAS_EDITS, BUS), (LEAK_EN, &LEAK_EN_EDITS, CRASH_EN)] {
        let mut texts = variants(base, edits);
        texts.push(base.to_string());
        let (low, _) = spread(&texts);
        let far = texts.iter().map(|t| of(t).resemblance(&of(other))).fold(0.0, f64::max);
        eprintln!("retellings at least {low:.3}; the other story at most {far:.3}");
        assert!(low >= 0.8, "one or two words changed: {low}");
        assert!(far <= 0.15, "a different story: {far}");
        assert!(low > DEFAULT_OVERLAP && far < DEFAULT_OVERLAP);
    }
}

#[test]
fn a_story_retold_with_several_words_changed_still_passes_the_default() {
    // Six of the ten edits at once: about what SimHash still takes for the same story (≤ 12
    // bits). The check must not be stricter than that for real retellings.
    let mut text = GAS.to_string();
    for (from, to) in &GAS_EDITS[..6] {
        text = text.replacen(from, to, 1);
    }
    let r = of(GAS).resemblance(&of(&text));
    assert!(r >= DEFAULT_OVERLAP, "{r}");
}

#[test]
fn the_resemblance_of_short_texts_is_their_exact_jaccard_index() {
    let a = sketch(&words(&["gas", "leak", "elm", "street"]));
    let b = sketch(&words(&["gas", "leak", "elm", "road"]));
    assert_eq!(a.resemblance(&b), 3.0 / 5.0);
    assert_eq!(b.resemblance(&a), 3.0 / 5.0, "symmetric");
    assert_eq!(a.resemblance(&a), 1.0);
    // Repeats count once.
    assert_eq!(a.resemblance(&sketch(&words(&["gas", "gas", "leak", "elm", "street", "leak"]))), 1.0);
    assert_eq!(a.resemblance(&sketch(&words(&["power", "outage"]))), 0.0);
}

#[test]
fn numbers_and_function_words_do_not_count() {
    // Only the numbers differ: a report updated with new figures.
    let a = of("3月12日上午9时许，建国路发生燃气泄漏，疏散居民120余人");
    assert_eq!(a, of("3月13日上午10时许，建国路发生燃气泄漏，疏散居民80余人"));
    assert_ne!(a, of("3月12日下午9时许，建国路发生燃气泄漏，疏散居民120余人"), "上午 and 下午 are words");
    assert_eq!(a, of("3月12日上午9时许，建国路已经发生了燃气泄漏，并疏散居民120余人"));
    assert_eq!(of("The gas leak on 3.5 Elm Street, 1,000 people"), of("gas leak Elm Street people"));
    assert!(of("3 5 7 the of 的 了").is_empty());
}

#[test]
fn texts_without_content_words_are_alike_only_to_each_other() {
    let empty = sketch(&[]);
    assert!(empty.is_empty());
    assert_eq!(empty.resemblance(&of("503 502")), 1.0);
    assert_eq!(empty.resemblance(&of("gas leak")), 0.0);
    assert_eq!(of("gas leak").resemblance(&empty), 0.0);
}

#[test]
fn long_texts_keep_a_bounded_sketch_that_estimates_the_jaccard_index() {
    let article = include_str!("testdata/news_zh.txt");
    let full = of(article);
    assert_eq!(full.len(), SKETCH_SIZE, "a 4 KB article has more distinct words than a sketch keeps");
    for text in variants(article, &GAS_EDITS) {
        let r = full.resemblance(&of(&text));
        assert!(r >= 0.9, "one edit in 4 KB: {r}");
    }
    // Two synthetic texts of 400 distinct words each, 200 of them shared: Jaccard 200/600.
    let a: Vec<String> = (0..400).map(|i| format!("w{i}")).collect();
    let b: Vec<String> = (200..600).map(|i| format!("w{i}")).collect();
    let r = sketch(&a).resemblance(&sketch(&b));
    assert!((r - 1.0 / 3.0).abs() < 0.2, "{r}");
    // A short text against a long one that contains it: 10 of 400 in common.
    let short: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
    assert!(sketch(&short).resemblance(&sketch(&a)) < 0.2);
}

#[test]
fn sketches_are_stored_as_bytes_and_read_back() {
    let s = of(GAS);
    assert_eq!(Sketch::from_bytes(&s.to_bytes()), Some(s.clone()));
    assert_eq!(s.to_bytes().len(), 4 * s.len());
    assert_eq!(Sketch::from_bytes(&[]), Some(Sketch::default()));
    assert_eq!(Sketch::from_bytes(&[1, 2, 3]), None, "not whole hashes");
    assert_eq!(Sketch::from_bytes(&[2, 0, 0, 0, 1, 0, 0, 0]), None, "not in order");
    assert_eq!(Sketch::from_bytes(&[1, 0, 0, 0, 1, 0, 0, 0]), None, "a hash twice");
    assert_eq!(Sketch::from_bytes(&vec![0; 4 * (SKETCH_SIZE + 1)]), None, "too many");
}

#[test]
fn the_sketch_is_stable_across_runs_and_platforms() {
    // Stored sketches are compared with new ones after restarts and upgrades: these bytes must
    // never change (they follow from SimHash's fixed token hash, whose own test pins it).
    let hashes: Vec<u8> = [0x0d25_5ffc_u32, 0x17e0_ce9b].iter().flat_map(|h| h.to_le_bytes()).collect();
    assert_eq!(of("Gas leak").to_bytes(), hashes);
    assert_eq!(of("Gas leak").to_bytes(), [0xfc, 0x5f, 0x25, 0x0d, 0x9b, 0xce, 0xe0, 0x17], "little-endian");
}
