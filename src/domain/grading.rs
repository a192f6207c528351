//! Grading a signal: influence (the source's weight), attention (engagement), diffusion
//! (how many distinct sources carry the story) and keyword categories, turned into a score
//! and, through bot.toml's thresholds, a grade. Pure: everything comes in as arguments.
//!
//! ```text
//! score = source_weight × (Σ category weight × min(count, 3) + attention_weight × attention)
//!       + diffusion_weight × log2(distinct sources)
//! attention = log10(1 + views + 5·comments + 10·shares)
//! ```
//! Repeating a keyword counts at most three times, so a long text cannot grade itself up by
//! repetition; attention and diffusion are logarithmic, so each tenfold (or doubling) adds a
//! step rather than swamping everything else.

use super::Grade;
use serde::{Deserialize, Serialize};

/// The grading settings (from bot.toml's `[grading]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Minimum scores for I, II and III.
    pub thresholds: [f64; 3],
    pub attention_weight: f64,
    pub diffusion_weight: f64,
}

/// One keyword category found in the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryHit {
    pub name: String,
    pub weight: f64,
    pub count: usize,
    pub terms: Vec<String>,
}

/// What the grade was made of, kept with the signal and shown on the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub categories: Vec<CategoryHit>,
    pub attention: f64,
    pub source_weight: f64,
    pub sources: usize,
    pub window_secs: u64,
    pub score: f64,
    pub grade: Grade,
}

/// Repeats of one keyword beyond this add nothing.
const MAX_REPEATS: usize = 3;

pub fn attention(views: u64, comments: u64, shares: u64) -> f64 {
    let engagement = views as f64 + 5.0 * comments as f64 + 10.0 * shares as f64;
    (1.0 + engagement).log10()
}

pub fn grade_for(score: f64, thresholds: [f64; 3]) -> Grade {
    match score {
        s if s >= thresholds[0] => Grade::I,
        s if s >= thresholds[1] => Grade::II,
        s if s >= thresholds[2] => Grade::III,
        _ => Grade::IV,
    }
}

pub fn assess(
    categories: Vec<CategoryHit>,
    attention: f64,
    source_weight: f64,
    sources: usize,
    window_secs: u64,
    w: &Weights,
) -> Explanation {
    let keywords: f64 = categories.iter().map(|c| c.weight * c.count.min(MAX_REPEATS) as f64).sum();
    let diffusion = (sources.max(1) as f64).log2();
    let score = source_weight * (keywords + w.attention_weight * attention) + w.diffusion_weight * diffusion;
    Explanation {
        categories,
        attention,
        source_weight,
        sources,
        window_secs,
        score,
        grade: grade_for(score, w.thresholds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: Weights = Weights { thresholds: [12.0, 8.0, 4.0], attention_weight: 1.0, diffusion_weight: 2.0 };

    fn safety(count: usize) -> CategoryHit {
        CategoryHit { name: "safety".into(), weight: 2.0, count, terms: vec!["燃气".into(), "泄漏".into()] }
    }

    #[test]
    fn nothing_found_from_one_source_is_grade_four() {
        let e = assess(vec![], 0.0, 1.0, 1, 3600, &W);
        assert_eq!((e.score, e.grade), (0.0, Grade::IV));
    }

    #[test]
    fn more_sources_carrying_a_story_raise_its_grade() {
        let grades: Vec<Grade> =
            [1, 2, 4, 8, 16].iter().map(|n| assess(vec![safety(2)], 0.0, 1.0, *n, 3600, &W).grade).collect();
        assert_eq!(grades, [Grade::III, Grade::III, Grade::II, Grade::II, Grade::I]);
    }

    #[test]
    fn repeating_a_keyword_stops_counting_after_three() {
        assert_eq!(
            assess(vec![safety(3)], 0.0, 1.0, 1, 0, &W).score,
            assess(vec![safety(300)], 0.0, 1.0, 1, 0, &W).score
        );
    }

    #[test]
    fn attention_is_logarithmic_and_a_weak_source_counts_less() {
        assert_eq!(attention(0, 0, 0), 0.0);
        assert!((attention(99, 0, 0) - 2.0).abs() < 1e-9);
        assert!(attention(0, 0, 100) > attention(0, 100, 0));
        let strong = assess(vec![safety(2)], 2.0, 1.0, 1, 0, &W).score;
        let weak = assess(vec![safety(2)], 2.0, 0.5, 1, 0, &W).score;
        assert_eq!(weak * 2.0, strong);
    }

    #[test]
    fn thresholds_are_inclusive() {
        assert_eq!(grade_for(12.0, W.thresholds), Grade::I);
        assert_eq!(grade_for(11.99, W.thresholds), Grade::II);
        assert_eq!(grade_for(4.0, W.thresholds), Grade::III);
        assert_eq!(grade_for(f64::NAN, W.thresholds), Grade::IV);
    }
}
