//! The story index: the SimHashes of the window's signals, in memory, so that finding the
//! story a new signal belongs to costs a pass of XOR and popcount over the window rather
//! than a query that reads every open case's signals (which made intake slower with every
//! signal it took in; BENCHMARKS.md, "Intake throughput").
//!
//! The ledger stays the truth. Before each lookup the index reads the rows written since the
//! last one it saw, by any instance, through the primary key. Postgres hands out ids when a
//! row is inserted, not when it commits, so a catch-up can see id 12 before 11 commits: the
//! ids skipped over are kept as *gaps* and asked for by id on later lookups, until they turn
//! up or are old enough that their transaction must have rolled back.

use crate::domain::CaseId;
use crate::store::{Store, StoreError, StoryHash};
use crate::text::hamming;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

/// How long a skipped id is waited for. A transaction that draws an id and commits later than
/// this is not seen by other instances' indexes (its own instance never reads it back either,
/// but its next catch-up reads every id above the last one seen).
const GAP_PATIENCE_SECS: i64 = 30;
/// A bound on remembered gaps, should something roll back ids by the thousand.
const MAX_GAPS: usize = 10_000;

#[derive(Default)]
pub struct StoryIndex {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// `None` until the window has been loaded once.
    last_id: Option<i64>,
    /// Oldest first (by id, which is nearly by time).
    entries: VecDeque<StoryHash>,
    /// Ids skipped over by a catch-up, with when they were first missed.
    gaps: BTreeMap<i64, DateTime<Utc>>,
}

impl StoryIndex {
    /// Reads what the ledger gained since the last call, then drops what left the window.
    pub async fn refresh(&self, store: &dyn Store, now: DateTime<Utc>, window: Duration) -> Result<(), StoreError> {
        let since = now - window;
        let (last, gaps) = {
            let inner = self.lock();
            (inner.last_id, inner.gaps.keys().copied().collect::<Vec<_>>())
        };
        let fresh = store.story_hashes(since, last).await?;
        let found = store.story_hashes_by_id(&gaps).await?;
        let mut inner = self.lock();
        inner.absorb(fresh, found, now);
        inner.trim(since, now);
        Ok(())
    }

    /// The cases whose signals are within `max_distance` bits of `hash` and were received
    /// since `since`, nearest first, each case once.
    pub fn candidates(&self, hash: u64, max_distance: u32, since: DateTime<Utc>) -> Vec<CaseId> {
        let inner = self.lock();
        let mut near: Vec<(u32, CaseId)> = inner
            .entries
            .iter()
            .filter(|e| e.received_at >= since)
            .map(|e| (hamming(e.simhash, hash), e.case))
            .filter(|(d, _)| *d <= max_distance)
            .collect();
        near.sort();
        let mut seen = std::collections::HashSet::new();
        near.into_iter().filter(|(_, case)| seen.insert(*case)).map(|(_, case)| case).collect()
    }

    /// A case that can no longer be joined (closed or dismissed) leaves the index.
    pub fn forget(&self, case: CaseId) {
        self.lock().entries.retain(|e| e.case != case);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn absorb(&mut self, fresh: Vec<StoryHash>, found: Vec<StoryHash>, now: DateTime<Utc>) {
        for row in found {
            if self.gaps.remove(&row.id).is_some() {
                self.entries.push_back(row);
            }
        }
        for row in fresh {
            match self.last_id {
                // Another lookup's catch-up, running at the same time, already took it, or
                // took the rows around it while it was still uncommitted.
                Some(last) if row.id <= last => {
                    if self.gaps.remove(&row.id).is_some() {
                        self.entries.push_back(row);
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
            self.entries.push_back(row);
        }
        if self.last_id.is_none() {
            // An empty window: from now on, read by id.
            self.last_id = Some(0);
        }
    }

    fn trim(&mut self, since: DateTime<Utc>, now: DateTime<Utc>) {
        while self.entries.front().is_some_and(|e| e.received_at < since) {
            self.entries.pop_front();
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
        StoryHash { id, case: CaseId::from_db(case), simhash, received_at: at(s) }
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
        index.lock().absorb(
            vec![row(1, 1, 0b1111, 0), row(2, 2, 0b1, 0), row(3, 1, 0b11, 0), row(4, 3, u64::MAX, 0)],
            vec![],
            at(0),
        );
        let found = index.candidates(0, 3, at(0));
        assert_eq!(found, [CaseId::from_db(2), CaseId::from_db(1)]);
        index.forget(CaseId::from_db(2));
        assert_eq!(index.candidates(0, 3, at(0)), [CaseId::from_db(1)]);
    }
}
