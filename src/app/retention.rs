//! Letting third-party text go once `[retention] signal_text` has passed: hourly while tocsin
//! runs, and on demand with `tocsin purge [--dry-run]`.

use crate::config::retention::Retention;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::time::Duration;
use tokio::sync::watch;

/// How often a running tocsin clears what has aged past the retention.
pub const EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purge {
    /// Signals received before this lose their text.
    pub before: DateTime<Utc>,
    /// How many signals were cleared (or, in a dry run, would be).
    pub signals: u64,
}

pub async fn purge(
    store: &dyn Store,
    retention: &Retention,
    now: DateTime<Utc>,
    dry_run: bool,
) -> anyhow::Result<Purge> {
    use anyhow::Context as _;
    let before = now.checked_sub_signed(retention.signal_text).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let signals = store.purge_signal_text(before, now, dry_run).await.context("clearing old signal text")?;
    Ok(Purge { before, signals })
}

/// Every instance may run this: clearing is idempotent, and each batch is its own transaction.
pub async fn keep_purging(
    store: std::sync::Arc<dyn Store>,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
    retention: Retention,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    loop {
        match purge(store.as_ref(), &retention, clock.now(), false).await {
            Ok(p) if p.signals > 0 => {
                tracing::info!(signals = p.signals, before = %p.before, "cleared old signal text")
            }
            Ok(_) => {}
            // A failed pass is tried again at the next; the ledger is not harmed by waiting.
            Err(e) => tracing::warn!(error = ?e, "clearing old signal text failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
        }
    }
}
