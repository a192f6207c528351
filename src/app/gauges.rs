//! What `/metrics` reads from the ledger when it is scraped (see [`crate::telemetry`]): read,
//! not counted, so every instance sharing the database reports the same, right values.

use crate::config::Config;
use crate::domain::approval::{self, Standing};
use crate::domain::{CaseId, Event, EventAction};
use crate::store::{Store, StoreError};
use crate::telemetry::{Queue, Snapshot};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Everything that decides where a draft stands.
const DRAFT_ACTIONS: [EventAction; 6] = [
    EventAction::DraftWritten,
    EventAction::DraftApproved,
    EventAction::DraftRejected,
    EventAction::ConcernRaised,
    EventAction::ConcernWithdrawn,
    EventAction::StatementPublished,
];

pub async fn snapshot(store: &dyn Store, config: &Config, now: DateTime<Utc>) -> Result<Snapshot, StoreError> {
    let backlog = store.backlog().await?;
    // Every platform in use has a series, empty queues included, so "no messages waiting" is
    // a 0 and not a gap.
    let mut outbox: Vec<Queue> = config
        .platforms_in_use()
        .into_iter()
        .map(|platform| Queue { platform, depth: 0, oldest_age_seconds: 0.0 })
        .collect();
    for (platform, depth, oldest) in backlog.outbox {
        let queue = Queue { platform, depth, oldest_age_seconds: seconds(now - oldest) };
        match outbox.iter_mut().find(|q| q.platform == platform) {
            Some(q) => *q = queue,
            None => outbox.push(queue),
        }
    }
    let (approvals_waiting, approvals_held) = approvals(store, config, now).await?;
    Ok(Snapshot {
        cases: backlog.cases,
        outbox,
        approvals_waiting,
        approvals_held,
        scheduler_lag_seconds: backlog.earliest_job.map_or(0.0, |due| seconds(now - due)),
    })
}

/// Seconds, never negative (a job due later is no lag).
fn seconds(d: chrono::Duration) -> f64 {
    d.num_milliseconds().max(0) as f64 / 1000.0
}

/// Latest draft versions of cases on the ledger (no drills) that wait for approvals, and
/// those a concern holds. Only cases that have drafts are read.
async fn approvals(store: &dyn Store, config: &Config, now: DateTime<Utc>) -> Result<(i64, i64), StoreError> {
    let mut by_case: BTreeMap<CaseId, Vec<Event>> = BTreeMap::new();
    for e in store.ledger_events(&DRAFT_ACTIONS).await? {
        if let Some(case) = e.case {
            by_case.entry(case).or_default().push(e);
        }
    }
    let (mut waiting, mut held) = (0, 0);
    for (id, events) in by_case {
        let Some(case) = store.case(id).await? else { continue };
        if case.drill {
            continue;
        }
        for draft in super::drafts::drafts(&case, &events).into_values() {
            match approval::evaluate(&draft.record, draft.latest(), &config.approvals.policy, now) {
                Standing::Waiting { .. } => waiting += 1,
                Standing::Held { .. } => held += 1,
                _ => {}
            }
        }
    }
    Ok((waiting, held))
}
