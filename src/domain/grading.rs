//! Grading a signal: influence (the source's weight), attention (engagement), diffusion
//! (how many distinct sources carry the story) and keyword categories, turned into a score
//! and, through bot.toml's thresholds, a grade. Pure: everything comes in as arguments.
//!
//! ```text
//! score = source_weight × (Σ category weight × min(count, 3) + attention_weight × attention)
//!       + diffusion_weight × log2(distinct sources)
//! attention = min(log10(1 + views + 5·comments + 10·shares), max_attention)
//! ```
//! Repeating a keyword counts at most three times, so a long text cannot grade itself up by
//! repetition; attention and diffusion are logarithmic, so each tenfold (or doubling) adds a
//! step rather than swamping everything else.
//!
//! Nothing a sender writes can grade a signal up without bound: the engagement numbers are
//! the sender's word, so attention stops at `max_attention` (default 6, a million weighted
//! engagements; `u64::MAX` views count no more), and the source weight and the distinct
//! sources of diffusion are the *authenticated* sources' (the credential a webhook used, a
//! feed's own name), never names written in a body.

use super::Grade;
use serde::{Deserialize, Serialize};

/// The grading settings (from bot.toml's `[grading]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Minimum scores for I, II and III.
    pub thresholds: [f64; 3],
    pub attention_weight: f64,
    pub diffusion_weight: f64,
    /// The most attention counts for (see the module's formula).
    pub max_attention: f64,
}

/// The default ceiling on attention: a million weighted engagements (`log10(1 + 10⁶)` ≈ 6).
pub const DEFAULT_MAX_ATTENTION: f64 = 6.0;

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
    /// The alert's own severity, when its source maps it to a grade: the grade is at least
    /// that severe (scoring can raise it, never lower it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// An alert's severity label as its source mapped it (`severity=critical` → I).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    pub label: String,
    pub value: String,
    pub grade: Grade,
}

impl Explanation {
    /// The assessment with a floor under its grade: the more severe of the two.
    pub fn at_least(mut self, severity: Option<Severity>) -> Explanation {
        if let Some(s) = &severity {
            self.grade = self.grade.min(s.grade);
        }
        self.severity = severity;
        self
    }
}

/// Repeats of one keyword beyond this add nothing.
const MAX_REPEATS: usize = 3;

/// `log10(1 + views + 5·comments + 10·shares)`, saturating: the numbers are a sender's word and
/// may be anything up to `u64::MAX`. [`assess`] applies the ceiling.
pub fn attention(views: u64, comments: u64, shares: u64) -> f64 {
    let engagement = views.saturating_add(comments.saturating_mul(5)).saturating_add(shares.saturating_mul(10));
    (1.0 + engagement as f64).log10()
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
    // `max` first: a NaN attention counts as none, never as a NaN score.
    let attention = attention.max(0.0).min(w.max_attention);
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
        severity: None,
    }
}

/// The grade of a body of evidence, signals kept with their [`Explanation`]s, graded again
/// together (`/merge`, `/split`): each signal's categories, attention and source weight with
/// the diffusion of `sources` distinct sources, never less severe than a signal's severity
/// floor. The most severe of them; `None` without evidence (a case opened by hand).
pub fn reassess(evidence: &[Explanation], sources: usize, window_secs: u64, w: &Weights) -> Option<Grade> {
    evidence
        .iter()
        .map(|e| {
            assess(e.categories.clone(), e.attention, e.source_weight, sources, window_secs, w)
                .at_least(e.severity.clone())
                .grade
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_graded_together_counts_every_source_and_keeps_severity_floors() {
        let one = assess(vec![safety(2)], 0.0, 1.0, 1, 3600, &W);
        // Alone: 2 × 2 keywords + 2 · log2(1) = 4, grade III.
        assert_eq!(one.grade, Grade::III, "{one:?}");
        assert_eq!(reassess(std::slice::from_ref(&one), 1, 3600, &W), Some(Grade::III));
        // Four sources add 2 · 2 = 4 points: 8, grade II.
        assert_eq!(reassess(std::slice::from_ref(&one), 4, 3600, &W), Some(Grade::II));
        let floored = one.clone().at_least(Some(Severity {
            label: "severity".into(),
            value: "critical".into(),
            grade: Grade::I,
        }));
        assert_eq!(reassess(&[one, floored], 1, 3600, &W), Some(Grade::I));
        assert_eq!(reassess(&[], 5, 3600, &W), None);
    }

    const W: Weights = Weights {
        thresholds: [12.0, 8.0, 4.0],
        attention_weight: 1.0,
        diffusion_weight: 2.0,
        max_attention: DEFAULT_MAX_ATTENTION,
    };

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
    fn attention_saturates_and_stops_at_its_ceiling() {
        let most = attention(u64::MAX, u64::MAX, u64::MAX);
        assert!(most.is_finite() && (most - (u64::MAX as f64).log10()).abs() < 1e-9, "{most}");
        let e = assess(vec![], most, 1.0, 1, 3600, &W);
        assert_eq!((e.attention, e.score, e.grade), (DEFAULT_MAX_ATTENTION, DEFAULT_MAX_ATTENTION, Grade::III));
        // A million weighted engagements reach the ceiling; fewer count as before.
        assert!(attention(1_000_000, 0, 0) >= DEFAULT_MAX_ATTENTION);
        assert_eq!(assess(vec![], 2.0, 1.0, 1, 0, &W).attention, 2.0);
        assert_eq!(assess(vec![], f64::NAN, 1.0, 1, 0, &W).score, 0.0);
    }

    #[test]
    fn a_severity_is_a_floor_that_scoring_may_raise_but_never_lower() {
        let floor = |grade| Some(Severity { label: "severity".into(), value: "warning".into(), grade });
        let quiet = assess(vec![], 0.0, 1.0, 1, 3600, &W);
        assert_eq!(quiet.clone().at_least(floor(Grade::III)).grade, Grade::III, "raised to the floor");
        let loud = assess(vec![safety(3)], 6.0, 1.0, 1, 3600, &W);
        assert_eq!(loud.grade, Grade::I);
        assert_eq!(loud.at_least(floor(Grade::IV)).grade, Grade::I, "never lowered");
        assert_eq!(quiet.at_least(None).grade, Grade::IV);
    }

    #[test]
    fn thresholds_are_inclusive() {
        assert_eq!(grade_for(12.0, W.thresholds), Grade::I);
        assert_eq!(grade_for(11.99, W.thresholds), Grade::II);
        assert_eq!(grade_for(4.0, W.thresholds), Grade::III);
        assert_eq!(grade_for(f64::NAN, W.thresholds), Grade::IV);
    }
}
