//! A token sketch, the second and independent "is this the same story?" check after SimHash.
//!
//! Why a second check: a 64-bit SimHash only *estimates* how alike two texts are, and the
//! estimate is noisy (one bit differs with probability θ/π, so the distance between two texts
//! spreads by ±3 bits around its mean at the 12-bit threshold short signals need). Against one
//! earlier report that is fine; against the tens of thousands of signals an hour's window holds,
//! the noisy tail wins: in the intake bench's generated corpus (20,000 stories of 12 kinds of
//! incident, drawn from shared phrase pools) 67,654 pairs of *different* stories came within
//! 12 bits, and those false joins piled stories into a few huge cases (BENCHMARKS.md, "Intake
//! throughput"). So a SimHash candidate now joins only if the two texts also share enough of
//! their words, counted exactly.
//!
//! What is compared: the set of distinct *content* tokens — the analyzer's tokens without
//! numbers (outlets retelling a story round or update them: "120余人" / "100余人", "下午三点" /
//! "15时") and without a short list of function words and date/time units, which every report
//! shares. The resemblance is their Jaccard index, |A ∩ B| / |A ∪ B|.
//!
//! How it is kept: each token's fixed 64-bit hash (the one SimHash uses, stable across
//! platforms) cut to 32 bits, and of those only the [`SKETCH_SIZE`] smallest (a *bottom-k*
//! sketch). A short signal has fewer distinct content tokens than that (27–59 in the bench's
//! 300–470-byte stories), so for signals the comparison is exact; for a long article the
//! k smallest hashes of the union of two sketches are a uniform sample of the union of the two
//! texts, and the share of them in both estimates the Jaccard index (± ~0.06 at 64). At most
//! 256 bytes per signal, stored with it and held by the story index, so a lookup never reads
//! signal rows or texts.
//!
//! Measured (the separation numbers behind [`DEFAULT_OVERLAP`]), content-token Jaccard:
//! - the tests' retellings (ten Chinese and ten English reports, one or two words changed,
//!   and a 4 KB article with one change): 0.83–1.0; with up to six words changed at once,
//!   0.63 and up — a text SimHash still takes for the same story is not refused by this check;
//! - different stories in the tests: at most 0.10;
//! - the 67,654 pairs of different generated stories within 12 SimHash bits: median 0.10,
//!   99.9th percentile 0.47; 3 pairs at 0.6 or more, none at 0.7.
//!
//! Alternatives measured on the same texts and rejected: Jaccard over all tokens (stop words and
//! numbers in) separated about as well but counts the shared boilerplate, so unrelated short
//! reports look 0.1 more alike; containment (|A ∩ B| / min) let different generated stories
//! reach 0.83; a second SimHash over token bigrams had no gap at all (retellings up to 13 bits,
//! different stories from 11); Jaccard over bigrams separated the corpus well but fell to 0.47
//! for a retelling with six changed words, far stricter than SimHash.

use super::simhash::token_hash;

/// How many token hashes a sketch keeps: every distinct content token of a short signal.
pub const SKETCH_SIZE: usize = 64;

/// The default share of distinct content tokens two reports of one story must have in common
/// (`[grading] token_overlap`); see the module documentation for the measurements.
pub const DEFAULT_OVERLAP: f64 = 0.6;

/// The bottom-k sketch of a text's distinct content tokens: their 32-bit hashes, ascending,
/// at most [`SKETCH_SIZE`] of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sketch(Box<[u32]>);

/// The sketch of `tokens` (as [`super::Analyzer::tokens`] returns them). Stable across runs and
/// platforms: sketches are stored and compared after restarts.
pub fn sketch(tokens: &[String]) -> Sketch {
    let mut hashes: Vec<u32> = tokens.iter().filter(|t| is_content(t)).map(|t| hash32(t)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes.truncate(SKETCH_SIZE);
    Sketch(hashes.into_boxed_slice())
}

/// Every distinct content token of a text, hashed as in a [`Sketch`] but not cut to
/// [`SKETCH_SIZE`]: the side of a containment test that must hold *all* of a text's words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSet(Box<[u32]>);

/// The token set of `tokens` (as [`super::Analyzer::tokens`] returns them).
pub fn token_set(tokens: &[String]) -> TokenSet {
    let mut hashes: Vec<u32> = tokens.iter().filter(|t| is_content(t)).map(|t| hash32(t)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    TokenSet(hashes.into_boxed_slice())
}

impl TokenSet {
    /// The bottom-k sketch of the same words.
    pub fn sketch(&self) -> Sketch {
        Sketch(self.0.iter().take(SKETCH_SIZE).copied().collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Sketch {
    /// The share of this text's content tokens that `other` holds too: how much of an earlier
    /// report a repost or quote contains (asymmetric; `a.containment_in(b)` is 1.0 when `b`
    /// quotes all of `a` after a comment of any length). Exact when this text has at most
    /// [`SKETCH_SIZE`] content tokens; for a longer one its sketch is a uniform sample of its
    /// words and the share in `other` estimates the containment. An empty sketch is contained
    /// in nothing (0.0).
    pub fn containment_in(&self, other: &TokenSet) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let held = self.0.iter().filter(|h| other.0.binary_search(h).is_ok()).count();
        held as f64 / self.0.len() as f64
    }

    /// The estimated Jaccard index of the two texts' content tokens, 0.0–1.0 (exact when both
    /// have at most [`SKETCH_SIZE`]). Two texts without content tokens are alike (1.0); one
    /// without is like nothing else (0.0).
    pub fn resemblance(&self, other: &Sketch) -> f64 {
        let (a, b) = (&self.0, &other.0);
        if a.is_empty() || b.is_empty() {
            return if a.is_empty() && b.is_empty() { 1.0 } else { 0.0 };
        }
        // Walk the k smallest hashes of the union; count those both sketches hold. A hash of
        // the union's k smallest that is in a text is also among that text's k smallest, so
        // the sketches answer membership for exactly these hashes.
        let (mut i, mut j, mut union, mut both) = (0, 0, 0usize, 0usize);
        while union < SKETCH_SIZE && (i < a.len() || j < b.len()) {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x < y => i += 1,
                (Some(_), None) => i += 1,
                _ => j += 1,
            }
            union += 1;
        }
        both as f64 / union as f64
    }

    /// How many token hashes it holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Four little-endian bytes per hash, in order: how it is stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|h| h.to_le_bytes()).collect()
    }

    /// The inverse of [`Sketch::to_bytes`]; `None` for bytes it could not have written (a length
    /// not a multiple of four, more than [`SKETCH_SIZE`] hashes, or hashes not strictly rising).
    pub fn from_bytes(bytes: &[u8]) -> Option<Sketch> {
        if !bytes.len().is_multiple_of(4) || bytes.len() / 4 > SKETCH_SIZE {
            return None;
        }
        let hashes: Vec<u32> =
            bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("four bytes"))).collect();
        hashes.windows(2).all(|w| w[0] < w[1]).then(|| Sketch(hashes.into_boxed_slice()))
    }
}

/// Not a number (`120`, `3.5`, `1,000`) and not a stop word.
fn is_content(token: &str) -> bool {
    !token.is_empty() && !token.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') && !is_stop_word(token)
}

/// Words every report uses whatever it is about. Chinese: particles, prepositions, pronouns,
/// the units of dates and times (their numbers are dropped anyway); English: articles,
/// prepositions, auxiliaries, pronouns. Kept short on purpose: a content word wrongly listed
/// here would make different stories look more alike, a function word missing only a little.
/// (A `match` compiles to a dispatch on length and a few compares, not a scan of the list;
/// rustfmt would put each word on a line of its own.)
#[rustfmt::skip]
fn is_stop_word(token: &str) -> bool {
    matches!(
        token,
        "的" | "了" | "在" | "和" | "是" | "与" | "及" | "并" | "对" | "有" | "为" | "已" | "被" | "将" | "等" | "也"
            | "就" | "都" | "而" | "或" | "其" | "中" | "上" | "下" | "一" | "这" | "那" | "个" | "从" | "到" | "于"
            | "向" | "把" | "让" | "给" | "由" | "之" | "以" | "着" | "过" | "已经" | "目前" | "正在" | "进行"
            | "一个" | "没有" | "我们" | "他们" | "表示" | "据" | "称" | "时" | "日" | "月" | "年" | "许" | "人"
            | "a" | "an" | "the" | "of" | "in" | "on" | "at" | "to" | "and" | "or" | "for" | "with" | "by" | "from"
            | "is" | "was" | "were" | "be" | "been" | "are" | "as" | "it" | "its" | "that" | "this" | "has" | "have"
            | "had" | "not" | "no" | "but" | "so" | "into" | "after" | "before" | "about" | "than" | "then" | "they"
            | "their" | "them" | "he" | "she" | "his" | "her" | "we" | "our" | "i" | "you" | "said" | "says"
            | "will" | "would" | "which" | "who" | "there" | "up" | "out" | "over"
    )
}

/// The upper half of SimHash's fixed token hash (its `fmix64` finaliser mixes every input bit
/// into both halves).
fn hash32(token: &str) -> u32 {
    (token_hash(token.as_bytes()) >> 32) as u32
}

#[cfg(test)]
#[path = "sketch_tests.rs"]
mod tests;
