//! Text analysis for intake: segmentation, keyword categories and near-duplicate hashing.
//!
//! Everything here is pure and synchronous. The one expensive thing is the [`Analyzer`]'s jieba
//! dictionary (~110 ms to load, ~35 MB), so the application builds one at start and shares it
//! (`Arc<Analyzer>`); [`Rules`] are compiled from the configured categories with that analyzer.
//!
//! ```text
//! text ──Analyzer::tokens──► tokens ─┬─ Rules::classify ──► Vec<Hit>   (grading)
//!                                    ├─ simhash ──────────► u64        (one case per story: candidates)
//!                                    └─ sketch ───────────► Sketch     (… confirmed by shared words)
//! ```

mod analyzer;
mod repost;
mod rules;
mod simhash;
mod sketch;
mod specifics;
mod table;

pub use analyzer::{Analyzer, HanWord, Pos, Tagged};
pub use repost::quoted_parts;
pub use rules::{Category, Hit, Rules};
pub use simhash::{hamming, near, near_any, simhash};
pub use sketch::{DEFAULT_OVERLAP, SKETCH_SIZE, Sketch, TokenSet, sketch, token_set};
pub use specifics::{Shared, Specifics, identifiers, ids_conflict};

/// One analyzer for all unit tests of the module: loading the dictionary is the slow part.
#[cfg(test)]
pub(crate) fn test_analyzer() -> &'static Analyzer {
    static ANALYZER: std::sync::OnceLock<Analyzer> = std::sync::OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::new(None).expect("the built-in dictionary loads"))
}
