//! What operations read from the store: the aggregates `/metrics` shows and the schema check
//! `/readyz` makes. A supertrait of [`super::Store`], apart from the ledger's own reads; both
//! backends implement it with the same SQL (`reading_queries.rs`).

use super::Result;
use crate::domain::{CaseState, Event, EventAction, Grade};
use crate::platform::Platform;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[async_trait]
pub trait Readings: Send + Sync {
    /// Counts, each one indexed aggregate: nothing here grows with the size of the ledger's
    /// history.
    async fn backlog(&self) -> Result<Backlog>;
    /// Every event of these kinds of the cases still on the ledger, oldest first.
    async fn ledger_events(&self, actions: &[EventAction]) -> Result<Vec<Event>>;
    /// Whether the database answers now, on a connection of its own (a pooled one can outlive
    /// the database file it opened), and how its migrations compare with this build's.
    async fn schema(&self) -> Result<Schema>;
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Backlog {
    /// Cases on the ledger (neither closed nor dismissed) by grade and state; drills left out.
    pub cases: Vec<(Grade, CaseState, i64)>,
    /// Pending outbox messages per platform, and when the oldest of them was queued.
    pub outbox: Vec<(Platform, i64, DateTime<Utc>)>,
    /// When the earliest pending job fell (or falls) due.
    pub earliest_job: Option<DateTime<Utc>>,
}

/// The database's migrations against this build's, by version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// This build's migrations the database has not (successfully) applied.
    pub pending: Vec<i64>,
    /// Applied migrations this build does not know (a newer tocsin migrated the database).
    pub unknown: Vec<i64>,
    /// Applied migrations whose text has changed since.
    pub altered: Vec<i64>,
}

impl Schema {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty() && self.altered.is_empty()
    }

    /// Compares what the database recorded (`version, checksum, success`) with this build's
    /// migrations (`version, checksum`).
    pub fn compare(applied: &[(i64, Vec<u8>, bool)], known: &[(i64, Vec<u8>)]) -> Schema {
        let mut schema = Schema::default();
        for (version, checksum) in known {
            match applied.iter().find(|(v, _, _)| v == version) {
                Some((_, _, false)) | None => schema.pending.push(*version),
                Some((_, applied, true)) if applied != checksum => schema.altered.push(*version),
                Some(_) => {}
            }
        }
        schema.unknown = applied.iter().map(|(v, _, _)| *v).filter(|v| !known.iter().any(|(k, _)| k == v)).collect();
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::Schema;

    #[test]
    fn a_schema_is_current_when_every_migration_is_applied_unchanged_and_nothing_else_is() {
        let known = vec![(1, vec![1]), (2, vec![2])];
        assert!(Schema::compare(&[(1, vec![1], true), (2, vec![2], true)], &known).is_current());
        let s = Schema::compare(&[(1, vec![9], true), (2, vec![2], false), (3, vec![3], true)], &known);
        assert_eq!(s, Schema { pending: vec![2], unknown: vec![3], altered: vec![1] });
        assert_eq!(Schema::compare(&[], &known).pending, vec![1, 2]);
    }
}
