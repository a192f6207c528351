//! Keyword categories matched on segmented words.
//!
//! How a term matches: it is tokenised with the same [`Analyzer`] as the documents, and it
//! matches where its text equals a contiguous run of document tokens. Concretely, tokens are
//! joined into one string (with a space only between two non-Chinese tokens, so that `power
//! outage` stays two words but `燃气`+`泄漏` reads `燃气泄漏`), one aho-corasick automaton finds
//! every occurrence of every term in it, and an occurrence counts only if it starts on a token
//! start and ends on a token end. So `市长` does not match `南京市|长江大桥`, `leak` does not match
//! `leaky` or `bleak`, and `燃气泄漏` matches whether jieba keeps it whole or cuts it in two —
//! which exact token-sequence matching (a map from first token to candidate sequences) would
//! miss, since jieba may cut the term alone differently from the term in context.
//!
//! Why this is also the fast way: one DFA pass over the ~4 KB joined text touches each byte once,
//! whatever the number of terms, and term hits are rare, so the boundary checks (binary search)
//! cost nothing; hashing every token into a map costs more than scanning its bytes.
//!
//! One widening, as jieba's own search mode does: a Chinese term of two or three characters that
//! is a dictionary word also matches inside a longer token, so `事故` finds `交通事故` and `市长`
//! finds `副市长`. It still never matches across a token boundary, so `市长` stays out of
//! `南京市长江大桥`.

use super::Analyzer;
use aho_corasick::{AhoCorasick, MatchKind};

/// A keyword category as configured: terms raise it, any exclusion term vetoes it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Category {
    pub name: String,
    pub weight: f64,
    pub terms: Vec<String>,
    pub exclude: Vec<String>,
}

/// A category found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub category: String,
    pub weight: f64,
    /// Occurrences of the category's terms; overlapping occurrences count once (the longest).
    pub count: usize,
    /// Distinct matched terms, in first-seen order, as written in the config.
    pub terms: Vec<String>,
}

/// The categories compiled once into one automaton.
#[derive(Debug)]
pub struct Rules {
    /// `None` when no term has any word in it: nothing can match.
    automaton: Option<AhoCorasick>,
    /// Indexed by aho-corasick pattern id.
    patterns: Vec<Pattern>,
    categories: Vec<Compiled>,
}

#[derive(Debug)]
struct Pattern {
    /// May match inside a single longer token (see the module comment).
    inside_token: bool,
    /// Every (category, term) that wrote this pattern: the same word may serve several.
    uses: Vec<Use>,
}

#[derive(Debug, Clone, Copy)]
struct Use {
    category: usize,
    /// Index into `Compiled::terms`; unused for exclusions.
    term: usize,
    exclude: bool,
}

#[derive(Debug)]
struct Compiled {
    name: String,
    weight: f64,
    terms: Vec<String>,
}

/// One accepted occurrence of a category term, as byte offsets in the joined text.
#[derive(Clone, Copy)]
struct Occurrence {
    category: usize,
    term: usize,
    start: usize,
    end: usize,
}

impl Rules {
    /// Compiles `categories`. Terms that contain no word (only punctuation, say) can never match
    /// and are left out; config validation should reject them before this point.
    pub fn new(analyzer: &Analyzer, categories: &[Category]) -> Rules {
        let mut keys: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut compiled = Vec::with_capacity(categories.len());
        for (ci, category) in categories.iter().enumerate() {
            let lists = [(&category.terms, false), (&category.exclude, true)];
            for (list, exclude) in lists {
                for (ti, term) in list.iter().enumerate() {
                    let tokens = analyzer.tokens(term);
                    if tokens.is_empty() {
                        continue;
                    }
                    let key = join(&tokens, &mut Vec::new());
                    let inside_token = tokens.len() == 1
                        && (2..=3).contains(&key.chars().count())
                        && key.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
                        && analyzer.is_dict_word(&key);
                    let use_ = Use { category: ci, term: ti, exclude };
                    match keys.iter().position(|k| *k == key) {
                        Some(p) => patterns[p].uses.push(use_),
                        None => {
                            keys.push(key);
                            patterns.push(Pattern { inside_token, uses: vec![use_] });
                        }
                    }
                }
            }
            compiled.push(Compiled {
                name: category.name.clone(),
                weight: category.weight,
                terms: category.terms.clone(),
            });
        }
        // Standard semantics, because only overlapping search reports every occurrence: with
        // leftmost-first, a misaligned hit could hide an aligned one that starts a byte later.
        let automaton = if keys.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&keys)
                    .expect("a few hundred short words stay far below aho-corasick's size limits"),
            )
        };
        Rules { automaton, patterns, categories: compiled }
    }

    /// Categories whose terms occur in `tokens` (and none of whose exclusion terms do), in config
    /// order.
    pub fn classify(&self, tokens: &[String]) -> Vec<Hit> {
        let Some(automaton) = &self.automaton else { return Vec::new() };
        if tokens.is_empty() {
            return Vec::new();
        }
        let mut spans = Vec::with_capacity(tokens.len());
        let text = join(tokens, &mut spans);

        let mut excluded = vec![false; self.categories.len()];
        let mut found: Vec<Occurrence> = Vec::new();
        for m in automaton.find_overlapping_iter(&text) {
            let pattern = &self.patterns[m.pattern().as_usize()];
            if !accepted(&spans, m.start(), m.end(), pattern.inside_token) {
                continue;
            }
            for u in &pattern.uses {
                if u.exclude {
                    excluded[u.category] = true;
                } else {
                    found.push(Occurrence { category: u.category, term: u.term, start: m.start(), end: m.end() });
                }
            }
        }
        if found.is_empty() {
            return Vec::new();
        }

        // Per category, leftmost-longest without overlap: `燃气泄漏` is one occurrence even when
        // `燃气` is a term of the same category too.
        found.sort_unstable_by_key(|o| (o.category, o.start, std::cmp::Reverse(o.end), o.term));
        let mut hits = Vec::new();
        for group in found.chunk_by(|a, b| a.category == b.category) {
            let ci = group[0].category;
            if excluded[ci] {
                continue;
            }
            let category = &self.categories[ci];
            let mut hit = Hit { category: category.name.clone(), weight: category.weight, count: 0, terms: Vec::new() };
            let mut covered_to = 0;
            for o in group {
                if hit.count > 0 && o.start < covered_to {
                    continue;
                }
                hit.count += 1;
                covered_to = o.end;
                let term = &category.terms[o.term];
                if !hit.terms.contains(term) {
                    hit.terms.push(term.clone());
                }
            }
            hits.push(hit);
        }
        hits
    }
}

/// Joins tokens into one string, recording each token's byte span in `spans`. A space goes
/// between two tokens only when both sides are non-Chinese: Chinese has no spaces to preserve,
/// and omitting them is what lets a term match however jieba cut it.
fn join(tokens: &[String], spans: &mut Vec<(usize, usize)>) -> String {
    let mut text = String::with_capacity(tokens.iter().map(|t| t.len() + 1).sum());
    let mut last: Option<char> = None;
    for token in tokens {
        let (Some(first), Some(end)) = (token.chars().next(), token.chars().next_back()) else { continue };
        if let Some(last) = last
            && !is_cjk(last)
            && !is_cjk(first)
        {
            text.push(' ');
        }
        spans.push((text.len(), text.len() + token.len()));
        text.push_str(token);
        last = Some(end);
    }
    text
}

fn is_cjk(c: char) -> bool {
    // Everything from U+2E80 up to the Hangul syllables, plus the compatibility and extension
    // ideographs: a generous "unspaced script" test, which is all `join` needs.
    matches!(c, '\u{2E80}'..='\u{ABFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}')
}

/// Whether a match at `start..end` of the joined text lies on token boundaries (or, for an
/// `inside_token` pattern, inside one token). `spans` are sorted and disjoint.
fn accepted(spans: &[(usize, usize)], start: usize, end: usize, inside_token: bool) -> bool {
    // The token containing `start`; a match never starts in a separating space, since no
    // pattern starts with one.
    let i = spans.partition_point(|&(s, _)| s <= start);
    let Some(&(token_start, token_end)) = i.checked_sub(1).and_then(|i| spans.get(i)) else { return false };
    if inside_token && end <= token_end {
        return true;
    }
    token_start == start && spans[i - 1..].binary_search_by_key(&end, |&(_, e)| e).is_ok()
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
