//! The story index: the SimHashes and token sketches of the window's signals, in memory, so
//! that finding the story a new signal belongs to costs a pass of XOR and popcount over the
//! window rather than a query that reads every open case's signals (which made intake slower
//! with every signal it took in; BENCHMARKS.md, "Intake throughput"). Only the few signals
//! within the SimHash distance have their sketches compared (a merge of two sorted lists of at
//! most 64 hashes): SimHash alone, against the tens of thousands of signals of a busy window,
//! let different stories through (see `crate::text::Sketch`). About 250 B per signal, most of
//! it the sketch (4 B per distinct content word, at most 256 B).
//!
//! The ledger stays the truth. Before each lookup the index reads the rows written since the
//! last one it saw, by any instance, through the primary key. Postgres hands out ids when a
//! row is inserted, not when it commits, so a catch-up can see id 12 before 11 commits: the
//! ids skipped over are kept as *gaps* and asked for by id on later lookups, until they turn
//! up or are old enough that their transaction must have rolled back.
//!
//! Reposts and quotes (issue 13): a signal's quoted parts (`crate::text::quoted_parts`) are
//! looked up too, in the same pass over the hashes, and an entry near a part joins when most
//! of *its* words are in that part (containment of the earlier signal in the new one, not
//! resemblance: the comment around a quote does not count against it). An earlier signal with
//! fewer than `min_quoted` content words is never joined this way, so a one-line report quoted
//! in a long article does not pull the article in.
//!
//! The index also keeps, for each case opened in the window, the places its first signal named
//! (`crate::text::Specifics`), keyed by place: "possibly the same story" asks only the cases
//! that share a place, not the whole window.
//!
//! Catch-ups run one at a time, and a lookup that finds one running waits for it to end and
//! then starts another only if none has begun since it arrived: under load, one catch-up
//! serves every lookup that arrived before it began (it reads whatever those saw committed),
//! instead of each lookup sending the same query.

use crate::domain::CaseId;
use crate::store::{Store, StoreError, StoryHash};
use crate::text::{Shared, Sketch, Specifics, TokenSet, hamming, ids_conflict, near_any};
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long a skipped id is waited for. A transaction that draws an id and commits later than
/// this is not seen by other instances' indexes (its own instance never reads it back either,
/// but its next catch-up reads every id above the last one seen).
const GAP_PATIENCE_SECS: i64 = 30;
/// A bound on remembered gaps, should something roll back ids by the thousand.
const MAX_GAPS: usize = 10_000;

/// A new signal as the index is asked about it.
pub struct Probe<'a> {
    pub hash: u64,
    pub sketch: &'a Sketch,
    /// All of its distinct content words, for containment.
    pub words: &'a TokenSet,
    /// Its quoted parts, each with its own SimHash and words.
    pub quotes: &'a [Quote],
    /// Its identifiers ([`crate::text::identifiers`]): an entry whose identifiers disagree
    /// is another incident, however alike the words.
    pub ids: &'a [String],
}

/// A quoted or reposted part of a signal (see [`crate::text::quoted_parts`]).
#[derive(Debug, Clone)]
pub struct Quote {
    pub hash: u64,
    pub words: TokenSet,
}

/// When a signal is the same story as an entry.
#[derive(Debug, Clone, Copy)]
pub struct Bar {
    pub max_distance: u32,
    /// The SimHash distance for quoted parts: wider, because the containment check decides
    /// and a part's SimHash drifts from the earlier signal's (whose title repeats its first
    /// words, for one).
    pub max_quote_distance: u32,
    /// Resemblance of the whole texts.
    pub min_overlap: f64,
    /// Share of the earlier signal's words in the new signal (or one of its quoted parts).
    pub min_containment: f64,
    /// Content words an earlier signal needs to be joined by containment.
    pub min_quoted: usize,
}

/// Whether a text of `words` distinct content words could hold `bar.min_containment` of an
/// entry's words: such an entry has at least `bar.min_quoted` of them.
fn could_contain(words: usize, bar: &Bar) -> bool {
    words as f64 >= bar.min_containment * bar.min_quoted as f64
}

/// Lookups only read the index, so they scan it side by side; catch-ups write.
#[derive(Default)]
pub struct StoryIndex {
    inner: RwLock<Inner>,
    /// Held while catching up.
    catching_up: tokio::sync::Mutex<()>,
    /// Tickets in order of arrival, drawn by lookups as they arrive and by catch-ups as they
    /// begin: a catch-up with a later ticket than a lookup's read everything it needs.
    tickets: AtomicU64,
}

#[derive(Default)]
struct Inner {
    /// `None` until the window has been loaded once.
    last_id: Option<i64>,
    /// Oldest first (by id, which is nearly by time).
    entries: VecDeque<StoryHash>,
    /// Each entry's SimHash, in the same order: the scan reads 8 contiguous bytes per signal
    /// instead of striding over whole entries (~60 B each), and looks at an entry only when
    /// its SimHash is near (in a micro-benchmark at 40,000 signals: ~15 µs against ~50).
    hashes: VecDeque<u64>,
    /// Ids skipped over by a catch-up, with when they were first missed.
    gaps: BTreeMap<i64, DateTime<Utc>>,
    /// The ticket of the last catch-up that succeeded; none has while it is 0.
    fresh_as_of: u64,
    /// The ticket of the last catch-up that failed, and why.
    failed: Option<(u64, String)>,
    /// The specifics of each case opened in the window (from its first signal), and the cases
    /// by place. Pruned of cases older than the window when they have doubled since the last
    /// pruning, so the work is spread over the signals taken in.
    opened: HashMap<CaseId, (DateTime<Utc>, Specifics)>,
    by_place: HashMap<String, Vec<CaseId>>,
    pruned_at: usize,
}

/// How many of the latest cases naming a place a new case is compared with. A district named
/// by hundreds of cases in the window would otherwise be compared with each of them for every
/// new case (it took a fifth of the intake benchmark's CPU); a suggestion points at
/// a recent case, and the strongest of the latest few is the one a leader wants to see.
const ALIKE_PER_PLACE: usize = 32;

impl StoryIndex {
    /// Makes sure the index holds every signal committed before this call (reading what the
    /// ledger gained since the last catch-up, unless a catch-up begun since this call was made
    /// already did), then drops what left the window.
    pub async fn refresh(&self, store: &dyn Store, now: DateTime<Utc>, window: Duration) -> Result<(), StoreError> {
        let arrived = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = self.catching_up.lock().await;
        {
            let inner = self.read();
            if inner.fresh_as_of > arrived {
                return Ok(());
            }
            // A catch-up begun after this call arrived has failed: the store is not answering.
            // Asking it again at once would make each caller queued here wait out its own
            // timeout in turn (the chaos bench saw a 12 s answer with Postgres stopped).
            if let Some((ticket, why)) = &inner.failed
                && *ticket > arrived
            {
                return Err(StoreError::Unavailable(why.clone()));
            }
        }
        let begun = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let since = now - window;
        let (last, gaps) = {
            let inner = self.read();
            (inner.last_id, inner.gaps.keys().copied().collect::<Vec<_>>())
        };
        let read = async {
            Ok::<_, StoreError>((store.story_hashes(since, last).await?, store.story_hashes_by_id(&gaps).await?))
        };
        let (fresh, found) = match read.await {
            Ok(both) => both,
            Err(e) => {
                self.write().failed = Some((begun, e.to_string()));
                return Err(e);
            }
        };
        let mut inner = self.write();
        inner.absorb(fresh, found, now);
        inner.trim(since, now);
        inner.fresh_as_of = begun;
        Ok(())
    }

    /// The cases with a signal received since `since` that is the same story: by the whole
    /// text (SimHash near and resemblance at least `min_overlap`, or most of the entry's words
    /// contained), or by a quoted part (SimHash near the part's and most of the entry's words
    /// in it). Most alike first, each case once. A signal stored before sketches were kept is
    /// judged by the whole text's SimHash alone.
    pub fn lookup(&self, probe: &Probe<'_>, bar: Bar, since: DateTime<Utc>) -> Vec<CaseId> {
        let inner = self.read();
        let (front, back) = inner.hashes.as_slices();
        // A quoted part can hold at most its own words: one with fewer than the containment
        // share of the fewest words an entry joined by containment has can join nothing, and
        // its wide neighbourhood need not be looked at (most texts quote someone briefly).
        let quotes: Vec<&Quote> = probe.quotes.iter().filter(|q| could_contain(q.words.len(), &bar)).collect();
        let mut queries = Vec::with_capacity(1 + quotes.len());
        queries.push((probe.hash, bar.max_distance));
        queries.extend(quotes.iter().map(|q| (q.hash, bar.max_quote_distance)));
        let mut within = Vec::new();
        near_any(front, &queries, 0, &mut within);
        near_any(back, &queries, front.len(), &mut within);
        let contained = |sketch: &Sketch, words: &TokenSet| {
            let c = sketch.containment_in(words);
            (sketch.len() >= bar.min_quoted && c >= bar.min_containment).then_some(c)
        };
        let mut alike: Vec<(f64, u32, CaseId)> = within
            .into_iter()
            .filter_map(|i| {
                let e = &inner.entries[i];
                if e.received_at < since {
                    return None;
                }
                let whole = hamming(e.simhash, probe.hash);
                let score = match &e.sketch {
                    None => (whole <= bar.max_distance).then_some(bar.min_overlap),
                    Some(s) => {
                        let by_text = (whole <= bar.max_distance)
                            .then(|| {
                                let overlap = s.resemblance(probe.sketch);
                                if overlap >= bar.min_overlap { Some(overlap) } else { contained(s, probe.words) }
                            })
                            .flatten();
                        by_text.or_else(|| {
                            quotes
                                .iter()
                                .filter(|q| hamming(e.simhash, q.hash) <= bar.max_quote_distance)
                                .filter_map(|q| contained(s, &q.words))
                                .max_by(f64::total_cmp)
                        })
                    }
                };
                // Last: most near entries are not the same story anyway, and this compares
                // strings (asked first, it took a tenth of intake's CPU in its benchmark).
                let score = score?;
                let conflict = e.specifics.as_ref().is_some_and(|s| ids_conflict(&s.ids, probe.ids));
                (!conflict).then_some((score, whole, e.case))
            })
            .collect();
        alike.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut seen = std::collections::HashSet::new();
        alike.into_iter().filter(|(_, _, case)| seen.insert(*case)).map(|(_, _, case)| case).collect()
    }

    /// The (at most `limit`) cases opened since `since` whose first signal shares enough
    /// specifics with `specifics` to be "possibly the same story" (see
    /// [`Specifics::shared_with`]), strongest first, each with what they share. Reads only the
    /// latest [`ALIKE_PER_PLACE`] cases that name each of its places; what they share is put
    /// together for the few returned.
    pub fn alike(&self, specifics: &Specifics, since: DateTime<Utc>, limit: usize) -> Vec<(CaseId, Shared)> {
        let inner = self.read();
        let mut cases: Vec<CaseId> = specifics
            .places()
            .filter_map(|p| inner.by_place.get(p))
            .flat_map(|named| named.iter().rev().take(ALIKE_PER_PLACE))
            .copied()
            .collect();
        cases.sort();
        cases.dedup();
        let mut found: Vec<(usize, CaseId, &Specifics)> = cases
            .into_iter()
            .filter_map(|case| {
                let (at, theirs) = inner.opened.get(&case)?;
                if *at < since {
                    return None;
                }
                specifics.strength_with(theirs).map(|strength| (strength, case, theirs))
            })
            .collect();
        // Strongest first; of equals, the most recent case.
        found.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        found
            .into_iter()
            .take(limit)
            .filter_map(|(_, case, theirs)| specifics.shared_with(theirs).map(|shared| (case, shared)))
            .collect()
    }

    /// The cases with a signal received since `since` that is the same story by both checks:
    /// its SimHash within `max_distance` bits of `hash`, and its sketch's resemblance to
    /// `sketch` at least `min_overlap`. Most alike (by resemblance, then by distance) first,
    /// each case once. A signal stored before sketches were kept is judged by SimHash alone.
    #[cfg(test)]
    pub fn candidates(
        &self,
        hash: u64,
        sketch: &Sketch,
        max_distance: u32,
        min_overlap: f64,
        since: DateTime<Utc>,
    ) -> Vec<CaseId> {
        // Resemblance only: no quoted parts, and containment never enough.
        let words = TokenSet::default();
        let probe = Probe { hash, sketch, words: &words, quotes: &[], ids: &[] };
        let bar = Bar {
            max_distance,
            max_quote_distance: max_distance,
            min_overlap,
            min_containment: f64::INFINITY,
            min_quoted: usize::MAX,
        };
        self.lookup(&probe, bar, since)
    }

    /// A case that can no longer be joined (closed or dismissed) leaves the index.
    pub fn forget(&self, case: CaseId) {
        let mut inner = self.write();
        inner.opened.remove(&case);
        inner.entries.retain(|e| e.case != case);
        inner.hashes = inner.entries.iter().map(|e| e.simhash).collect();
    }

    /// Signals a leader moved to another case (`/merge`, `/split`) belong to it from now on.
    /// Other instances' indexes learn of a merge when a lookup finds the merged case (the
    /// intake follows `merged_into`), of a split not until the signal leaves the window.
    pub fn reassign(&self, signals: &[i64], to: CaseId) {
        let mut inner = self.write();
        for e in inner.entries.iter_mut().filter(|e| signals.contains(&e.id)) {
            e.case = to;
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn absorb(&mut self, fresh: Vec<StoryHash>, found: Vec<StoryHash>, now: DateTime<Utc>) {
        for row in found {
            if self.gaps.remove(&row.id).is_some() {
                self.push(row);
            }
        }
        for row in fresh {
            match self.last_id {
                // Another lookup's catch-up, running at the same time, already took it, or
                // took the rows around it while it was still uncommitted.
                Some(last) if row.id <= last => {
                    if self.gaps.remove(&row.id).is_some() {
                        self.push(row);
                    }
                    continue;
                }
                Some(last) => {
                    for gap in (last + 1)..row.id {
                        if self.gaps.len() < MAX_GAPS {
                            self.gaps.insert(gap, now);
                        }
                    }
                }
                None => {}
            }
            self.last_id = Some(row.id);
            self.push(row);
        }
        if self.last_id.is_none() {
            // An empty window: from now on, read by id.
            self.last_id = Some(0);
        }
    }

    fn push(&mut self, mut row: StoryHash) {
        // The places go to the map of opened cases; the entry keeps only the identifiers.
        if let Some(mut specifics) = row.specifics.take() {
            let ids = std::mem::take(&mut specifics.ids);
            if !specifics.is_empty() {
                for place in specifics.places() {
                    self.by_place.entry(place.clone()).or_default().push(row.case);
                }
                self.opened.insert(row.case, (row.received_at, specifics));
            }
            if !ids.is_empty() {
                row.specifics = Some(Specifics { ids, ..Specifics::default() });
            }
        }
        self.hashes.push_back(row.simhash);
        self.entries.push_back(row);
    }

    fn trim(&mut self, since: DateTime<Utc>, now: DateTime<Utc>) {
        while self.entries.front().is_some_and(|e| e.received_at < since) {
            self.entries.pop_front();
            self.hashes.pop_front();
        }
        if self.opened.len() > 2 * self.pruned_at + 1024 {
            self.opened.retain(|_, (at, _)| *at >= since);
            let opened = &self.opened;
            self.by_place.retain(|_, cases| {
                cases.retain(|c| opened.contains_key(c));
                !cases.is_empty()
            });
            self.pruned_at = self.opened.len();
        }
        let patience = Duration::seconds(GAP_PATIENCE_SECS);
        self.gaps.retain(|_, missed| now - *missed < patience);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn row(id: i64, case: i64, simhash: u64, s: i64) -> StoryHash {
        StoryHash {
            id,
            case: CaseId::from_db(case),
            simhash,
            sketch: Some(words(&["gas", "leak"])),
            specifics: None,
            received_at: at(s),
        }
    }

    fn words(list: &[&str]) -> Sketch {
        crate::text::sketch(&list.iter().map(|w| w.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_row_seen_late_fills_its_gap_once() {
        let mut inner = Inner::default();
        inner.absorb(vec![row(1, 1, 0, 0)], vec![], at(0));
        inner.absorb(vec![row(3, 3, 0, 1)], vec![], at(1));
        assert_eq!(inner.gaps.keys().copied().collect::<Vec<_>>(), [2]);
        inner.absorb(vec![], vec![row(2, 2, 0, 1)], at(2));
        inner.absorb(vec![], vec![row(2, 2, 0, 1)], at(2));
        assert!(inner.gaps.is_empty());
        let ids: Vec<i64> = inner.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 3, 2]);
    }

    #[test]
    fn rows_already_taken_by_a_concurrent_catch_up_are_not_added_twice() {
        let mut inner = Inner::default();
        inner.absorb(vec![row(1, 1, 0, 0), row(2, 1, 0, 0)], vec![], at(0));
        inner.absorb(vec![row(1, 1, 0, 0), row(2, 1, 0, 0), row(3, 1, 0, 0)], vec![], at(0));
        assert_eq!(inner.entries.len(), 3);
        assert!(inner.gaps.is_empty());
    }

    #[test]
    fn old_rows_and_stale_gaps_are_dropped() {
        let mut inner = Inner::default();
        inner.absorb(vec![row(1, 1, 0, 0), row(5, 2, 0, 100)], vec![], at(100));
        inner.trim(at(50), at(100 + GAP_PATIENCE_SECS));
        assert_eq!(inner.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [5]);
        assert!(inner.gaps.is_empty());
    }

    #[test]
    fn candidates_come_nearest_first_and_once_per_case() {
        let index = StoryIndex::default();
        index.write().absorb(
            vec![row(1, 1, 0b1111, 0), row(2, 2, 0b1, 0), row(3, 1, 0b11, 0), row(4, 3, u64::MAX, 0)],
            vec![],
            at(0),
        );
        let gas = words(&["gas", "leak"]);
        let found = index.candidates(0, &gas, 3, 0.6, at(0));
        assert_eq!(found, [CaseId::from_db(2), CaseId::from_db(1)]);
        index.forget(CaseId::from_db(2));
        assert_eq!(index.candidates(0, &gas, 3, 0.6, at(0)), [CaseId::from_db(1)]);
    }

    #[test]
    fn the_hashes_scanned_stay_in_step_with_the_entries() {
        let index = StoryIndex::default();
        let rows = vec![row(1, 1, 0b1, 0), row(2, 2, 0b10, 10), row(3, 3, 0b100, 20), row(5, 2, 0b1000, 30)];
        index.write().absorb(rows, vec![], at(30));
        index.write().absorb(vec![], vec![row(4, 4, 0b10000, 25)], at(31));
        let in_step = |index: &StoryIndex| {
            let inner = index.read();
            assert_eq!(inner.hashes, inner.entries.iter().map(|e| e.simhash).collect::<VecDeque<_>>());
        };
        in_step(&index);
        index.write().trim(at(5), at(31));
        in_step(&index);
        index.forget(CaseId::from_db(2));
        in_step(&index);
        assert_eq!(index.read().hashes, [0b100, 0b10000]);
        let gas = words(&["gas", "leak"]);
        assert_eq!(index.candidates(0, &gas, 1, 0.6, at(0)), [CaseId::from_db(3), CaseId::from_db(4)]);
        assert_eq!(index.candidates(0, &gas, 1, 0.6, at(22)), [CaseId::from_db(4)], "received before `since`");
    }

    #[test]
    fn a_near_simhash_joins_only_with_enough_words_in_common() {
        let index = StoryIndex::default();
        let sketched = |id, case, list: &[&str]| StoryHash { sketch: Some(words(list)), ..row(id, case, 0, 0) };
        index.write().absorb(
            vec![
                sketched(1, 1, &["gas", "leak", "elm", "street"]),
                sketched(2, 2, &["bus", "crash", "elm", "street"]),
                sketched(3, 3, &["gas", "leak", "elm", "road"]),
            ],
            vec![],
            at(0),
        );
        let query = words(&["gas", "leak", "elm", "street"]);
        // Case 1 shares 4 of 4 words, case 3 3 of 5, case 2 2 of 6.
        assert_eq!(index.candidates(0, &query, 3, 0.6, at(0)), [CaseId::from_db(1), CaseId::from_db(3)]);
        assert_eq!(index.candidates(0, &query, 3, 0.7, at(0)), [CaseId::from_db(1)]);
        assert_eq!(index.candidates(0, &query, 3, 0.0, at(0)).len(), 3, "0 leaves it to the SimHash");
        assert!(index.candidates(u64::MAX, &query, 3, 0.0, at(0)).is_empty(), "the SimHash must be near too");
    }

    #[test]
    fn a_signal_stored_without_a_sketch_is_judged_by_its_simhash_alone() {
        let index = StoryIndex::default();
        let legacy = StoryHash { sketch: None, ..row(1, 1, 0b1, 0) };
        index.write().absorb(vec![legacy, row(2, 2, 0b11, 0)], vec![], at(0));
        // Case 2 shares every word: it comes first although its SimHash is further away.
        let found = index.candidates(0, &words(&["gas", "leak"]), 3, 0.6, at(0));
        assert_eq!(found, [CaseId::from_db(2), CaseId::from_db(1)]);
        assert_eq!(index.candidates(0, &words(&["power", "outage"]), 3, 0.6, at(0)), [CaseId::from_db(1)]);
    }
}
