//! Keyword categories matched on segmented words.
//!
//! How a term matches: it is tokenised with the same [`Analyzer`] as the documents, and it
//! matches where its text equals a contiguous run of document tokens, joined (with a space only
//! between two non-Chinese tokens, so that `power outage` stays two words but `燃气`+`泄漏` reads
//! `燃气泄漏`). So `市长` does not match `南京市|长江大桥`, `leak` does not match `leaky` or
//! `bleak`, and `燃气泄漏` matches whether jieba keeps it whole or cuts it in two — comparing
//! token sequences would miss that, since jieba may cut a term alone differently from the same
//! term in context.
//!
//! How it is found: a hash table holds every term's joined text and each of its prefixes that
//! ends on a character. One probe per document token, nearly always turned away by a hash of six
//! of its bytes and one bit test (see `table`); only a token that begins some term reads on into
//! the next tokens. This was chosen over aho-corasick by measurement, on the 4 KB benchmark
//! article (718 tokens) with 6 × 10 terms: ~10 µs per `classify` then (~3.5 µs since, see below),
//! against ~23 µs for the same semantics with one aho-corasick DFA over the joined tokens
//! (~10 µs for the scan alone, ~3.5 µs to join the tokens first, then boundary checks). The
//! tokens are already cut, so one probe per token is cheaper than streaming its bytes through an
//! automaton. aho-corasick would pay with thousands of terms or on unsegmented text; neither is
//! the case.
//!
//! How it is counted: per category, leftmost-longest without overlap. Occurrences are tallied
//! as each token is read (see `tally`) rather than collected and sorted at the end, and the
//! working space is kept per thread, so a call allocates only what it returns. On the 4 KB
//! article that is ~50 small allocations (six hits, each with its name, its term list and 37
//! terms in all), which is now about a third of the call; `Hit` owning its strings is the API.
//!
//! One widening, as jieba's own search mode does: a Chinese term of two or three characters that
//! is a dictionary word also matches inside a longer token, so `事故` finds `交通事故` and `大桥`
//! finds `长江大桥`. It still never matches across a token boundary, so `市长` stays out of
//! `南京市长江大桥`.

use super::Analyzer;
use super::table::Table;
use std::cell::RefCell;
use std::collections::HashMap;

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

/// The categories compiled once into lookup tables.
#[derive(Debug)]
pub struct Rules {
    /// Every term's joined text and its proper prefixes.
    words: Table<Entry>,
    /// Terms that may also match inside one longer token, by text: the terms that wrote it.
    inside: Table<Vec<Use>>,
    categories: Vec<Compiled>,
    /// How many category terms there are in all: the size of `Scan::seen`.
    terms: usize,
}

#[derive(Debug)]
struct Entry {
    /// The (category, term) pairs whose whole text this is: none, for a prefix only.
    complete: Vec<Use>,
    /// Some term's text goes on after this.
    prefix: bool,
}

/// A (category, term) pair that wrote a text.
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
    /// Where this category's terms start in the numbering of all categories' terms.
    first_term: usize,
}

/// One occurrence of a category term, as byte offsets in the concatenated tokens.
#[derive(Clone, Copy)]
struct Occurrence {
    category: usize,
    term: usize,
    start: usize,
    end: usize,
}

/// What one `classify` call has found so far. One per thread, kept from call to call (see
/// `SCAN`), so that its buffers are allocated once rather than on every call.
#[derive(Default)]
struct Scan {
    /// Per category.
    tallies: Vec<Tally>,
    /// The occurrences found in the current token, waiting to be tallied in order.
    pending: Vec<Occurrence>,
    /// One bit per term (numbered across categories): counted already.
    seen: Vec<u64>,
    /// (category, term) of every counted term, in the order first counted.
    order: Vec<(usize, usize)>,
    /// `read_on`'s buffer for the joined run of tokens.
    run: String,
}

thread_local! {
    /// Each thread's `Scan`, so that a call allocates only the hits it returns: allocating and
    /// growing its half-dozen buffers afresh took ~4% of a call on the 4 KB article, ~15% on a
    /// 200 B sentence. `classify` calls nothing that could come back into it, so the cell is
    /// never borrowed twice.
    static SCAN: RefCell<Scan> = RefCell::default();
}

impl Scan {
    fn reset(&mut self, categories: usize, terms: usize) {
        self.tallies.clear();
        self.tallies.resize(categories, Tally::default());
        self.pending.clear();
        self.seen.clear();
        self.seen.resize(terms.div_ceil(64), 0);
        self.order.clear();
    }
}

#[derive(Clone, Copy, Default)]
struct Tally {
    count: usize,
    /// End of the last occurrence counted: one that starts before it overlaps it.
    covered_to: usize,
    /// Distinct terms counted.
    terms: usize,
    excluded: bool,
}

impl Rules {
    /// Compiles `categories`. Terms that contain no word (only punctuation, say) can never match
    /// and are left out; config validation should reject them before this point.
    pub fn new(analyzer: &Analyzer, categories: &[Category]) -> Rules {
        // Each distinct text is a pattern, numbered; `patterns` holds the terms that wrote it.
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut patterns: Vec<Vec<Use>> = Vec::new();
        // Every pattern's text and proper prefix: (the pattern it completes, whether it goes on).
        let mut words: HashMap<String, (Option<u32>, bool)> = HashMap::new();
        let mut inside: HashMap<String, u32> = HashMap::new();
        let mut compiled = Vec::with_capacity(categories.len());
        let mut first_term = 0;
        for (ci, category) in categories.iter().enumerate() {
            let lists = [(&category.terms, false), (&category.exclude, true)];
            for (list, exclude) in lists {
                for (ti, term) in list.iter().enumerate() {
                    let tokens = analyzer.tokens(term);
                    if tokens.is_empty() {
                        continue;
                    }
                    let key = join(&tokens);
                    let use_ = Use { category: ci, term: ti, exclude };
                    if let Some(&id) = ids.get(&key) {
                        patterns[id as usize].push(use_);
                        continue;
                    }
                    let id = patterns.len() as u32;
                    patterns.push(vec![use_]);
                    ids.insert(key.clone(), id);
                    for (b, _) in key.char_indices().skip(1).filter(|&(b, _)| !key[..b].ends_with(' ')) {
                        words.entry(key[..b].to_string()).or_default().1 = true;
                    }
                    let chars = key.chars().count();
                    if tokens.len() == 1
                        && (2..=3).contains(&chars)
                        && key.chars().all(is_common_han)
                        && analyzer.is_dict_word(&key)
                    {
                        inside.insert(key.clone(), id);
                    }
                    words.entry(key).or_default().0 = Some(id);
                }
            }
            compiled.push(Compiled {
                name: category.name.clone(),
                weight: category.weight,
                terms: category.terms.clone(),
                first_term,
            });
            first_term += category.terms.len();
        }
        // Matching goes straight from a text to the terms that wrote it.
        let words = words.into_iter().map(|(text, (id, prefix))| {
            (text, Entry { complete: id.map_or_else(Vec::new, |id| patterns[id as usize].clone()), prefix })
        });
        let inside = inside.into_iter().map(|(text, id)| (text, patterns[id as usize].clone()));
        Rules {
            words: Table::new(words.collect()),
            inside: Table::new(inside.collect()),
            categories: compiled,
            terms: first_term,
        }
    }

    /// Categories whose terms occur in `tokens` (and none of whose exclusion terms do), in config
    /// order.
    pub fn classify(&self, tokens: &[String]) -> Vec<Hit> {
        if self.words.is_empty() || tokens.is_empty() {
            return Vec::new();
        }
        let classify = |scan: &mut Scan| {
            scan.reset(self.categories.len(), self.terms);
            self.scan(tokens, scan);
            self.hits(scan)
        };
        // A fresh `Scan` if the thread's is gone (a call from a thread-local destructor).
        SCAN.try_with(|cell| classify(&mut cell.borrow_mut())).unwrap_or_else(|_| classify(&mut Scan::default()))
    }

    fn scan(&self, tokens: &[String], scan: &mut Scan) {
        // Three characters or more (9 bytes): only those have proper sub-words to look at.
        let long = if self.inside.is_empty() { usize::MAX } else { 9 };
        let mut pos = 0;
        for (i, token) in tokens.iter().enumerate() {
            if token.is_empty() {
                continue;
            }
            if let Some(entry) = self.words.get(token) {
                self.record(&entry.complete, pos, pos + token.len(), scan);
                if entry.prefix {
                    self.read_on(&tokens[i..], pos, scan);
                }
            }
            if token.len() >= long {
                self.look_inside(token, pos, scan);
            }
            if !scan.pending.is_empty() {
                self.tally(scan);
            }
            pos += token.len();
        }
    }

    /// Follows a run that starts with `tokens[0]` (at `pos`) while it spells the beginning of a
    /// term, recording every term it completes.
    fn read_on(&self, tokens: &[String], pos: usize, scan: &mut Scan) {
        let mut run = std::mem::take(&mut scan.run);
        run.clear();
        run.push_str(&tokens[0]);
        let mut end = pos + tokens[0].len();
        for next in tokens[1..].iter().filter(|t| !t.is_empty()) {
            if spaced(run.chars().next_back(), next.chars().next()) {
                run.push(' ');
            }
            run.push_str(next);
            end += next.len();
            let Some(entry) = self.words.get(&run) else { break };
            self.record(&entry.complete, pos, end, scan);
            if !entry.prefix {
                break;
            }
        }
        scan.run = run;
    }

    /// Records the dictionary sub-words of a long Chinese token (`pos` is where it starts): every
    /// two- and three-character stretch short of the whole token.
    fn look_inside(&self, token: &str, pos: usize, scan: &mut Scan) {
        // Every character is 3 bytes here, so character i starts at byte 3i.
        let (chars, rest) = token.as_bytes().as_chunks::<3>();
        if !rest.is_empty() || !chars.iter().all(is_common_han_bytes) {
            return;
        }
        let n = chars.len();
        for (start, c) in chars.iter().enumerate() {
            // The low twelve bits of the code point are in the last two bytes.
            let low = u32::from(c[1] & 0x3F) << 6 | u32::from(c[2] & 0x3F);
            if !self.inside.may_start_with(low) {
                continue;
            }
            for len in [2, 3] {
                let end = start + len;
                if end > n || len == n {
                    continue;
                }
                if let Some(uses) = self.inside.get(&token[3 * start..3 * end]) {
                    self.record(uses, pos + 3 * start, pos + 3 * end, scan);
                }
            }
        }
    }

    #[inline]
    fn record(&self, uses: &[Use], start: usize, end: usize, scan: &mut Scan) {
        for u in uses {
            if u.exclude {
                scan.tallies[u.category].excluded = true;
            } else {
                scan.pending.push(Occurrence { category: u.category, term: u.term, start, end });
            }
        }
    }

    /// Counts the current token's occurrences. Per category, leftmost-longest without overlap:
    /// `燃气泄漏` is one occurrence even when `燃气` is a term of the same category too. Every
    /// occurrence found in a later token starts after these, so taking each token's occurrences
    /// in (start, longest first) order takes each category's in that order.
    fn tally(&self, scan: &mut Scan) {
        if scan.pending.len() > 1 {
            scan.pending.sort_unstable_by_key(|o| (o.start, std::cmp::Reverse(o.end), o.category, o.term));
        }
        for o in scan.pending.drain(..) {
            let tally = &mut scan.tallies[o.category];
            if tally.count > 0 && o.start < tally.covered_to {
                continue;
            }
            tally.count += 1;
            tally.covered_to = o.end;
            let id = self.categories[o.category].first_term + o.term;
            let (word, bit) = (&mut scan.seen[id / 64], 1 << (id % 64));
            if *word & bit == 0 {
                *word |= bit;
                tally.terms += 1;
                scan.order.push((o.category, o.term));
            }
        }
    }

    fn hits(&self, scan: &Scan) -> Vec<Hit> {
        let found = |t: &Tally| t.count > 0 && !t.excluded;
        let mut hits = Vec::with_capacity(scan.tallies.iter().filter(|t| found(t)).count());
        for (ci, tally) in scan.tallies.iter().enumerate().filter(|(_, t)| found(t)) {
            let category = &self.categories[ci];
            let mut terms = Vec::with_capacity(tally.terms);
            terms.extend(scan.order.iter().filter(|&&(c, _)| c == ci).map(|&(_, t)| category.terms[t].clone()));
            hits.push(Hit { category: category.name.clone(), weight: category.weight, count: tally.count, terms });
        }
        hits
    }
}

/// Joins a term's tokens the way `classify` reads document tokens together: a space between two
/// non-Chinese tokens only. Chinese has no spaces to keep, and leaving them out is what lets a
/// term match however jieba cut it.
fn join(tokens: &[String]) -> String {
    let mut text = String::new();
    for token in tokens.iter().filter(|t| !t.is_empty()) {
        if spaced(text.chars().next_back(), token.chars().next()) {
            text.push(' ');
        }
        text.push_str(token);
    }
    text
}

fn spaced(last: Option<char>, next: Option<char>) -> bool {
    matches!((last, next), (Some(a), Some(b)) if !is_cjk(a) && !is_cjk(b))
}

fn is_cjk(c: char) -> bool {
    // Everything from U+2E80 up to the Hangul syllables, plus the compatibility and extension
    // ideographs: a generous "unspaced script" test, which is all `join` needs.
    matches!(c, '\u{2E80}'..='\u{ABFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3FFFF}')
}

/// The main CJK block, where every character is three bytes in UTF-8.
fn is_common_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// `is_common_han` on the three bytes that start at a character boundary: U+4E00 is E4 B8 80,
/// U+9FFF is E9 BF BF. A lead byte E4–E9 begins a three-byte character, so when every chunk of
/// three from the start passes, each chunk is one such character.
fn is_common_han_bytes(c: &[u8; 3]) -> bool {
    matches!(c[0], 0xE5..=0xE9) || c[0] == 0xE4 && c[1] >= 0xB8
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
