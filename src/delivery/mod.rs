//! The outbox worker: claims queued messages, renders them in the receiving chat's
//! language, hands them to the platform's [`Sender`], and records the outcome.
//!
//! A message is marked delivered only after its sender returned; if the process dies in
//! between, the lease runs out and the message is sent again (at-least-once delivery).

use crate::app::Notice;
use crate::clock::Clock;
use crate::config::{Chat, Config};
use crate::i18n::I18n;
use crate::platform::Platform;
use crate::store::{OutboxItem, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify, watch};

/// How long a claimed message is reserved for this worker before another may take it.
const LEASE: Duration = Duration::from_secs(30);
/// Fallback wake-up for messages queued by another instance sharing the database.
const POLL: Duration = Duration::from_secs(1);
const BATCH: i64 = 50;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The platform will never accept this (chat not found, bot removed): do not retry.
    #[error("permanent: {0}")]
    Permanent(String),
    /// Try again later, after `retry_after` if the platform said so.
    #[error("transient: {reason}")]
    Transient { reason: String, retry_after: Option<Duration> },
}

/// One platform's way of posting a text to a chat.
#[async_trait]
pub trait Sender: Send + Sync {
    fn platform(&self) -> Platform;
    async fn send(&self, chat: &Chat, text: &str) -> Result<(), SendError>;
}

pub struct Worker {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    i18n: Arc<I18n>,
    clock: Arc<dyn Clock>,
    senders: Vec<Arc<dyn Sender>>,
    wake: Arc<Notify>,
    /// One delivery pass at a time, so a caller that waits for a pass sees its messages out.
    pass: Mutex<()>,
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        config: Arc<Config>,
        i18n: Arc<I18n>,
        clock: Arc<dyn Clock>,
        senders: Vec<Arc<dyn Sender>>,
        wake: Arc<Notify>,
    ) -> Worker {
        Worker { store, config, i18n, clock, senders, wake, pass: Mutex::new(()) }
    }

    /// Delivers until `shutdown` turns true, woken by commits or, failing that, by the poll.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.deliver_due().await {
                tracing::error!(error = ?e, "delivering the outbox failed; will retry");
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// One pass: every due message for every platform this worker serves. Returns how
    /// many messages were handled (delivered, rescheduled or failed).
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let _pass = self.pass.lock().await;
        let mut handled = 0;
        for sender in &self.senders {
            loop {
                let now = self.clock.now();
                let lease_until = now + chrono::Duration::from_std(LEASE)?;
                let batch = self.store.claim_outbox(sender.platform(), now, lease_until, BATCH).await?;
                if batch.is_empty() {
                    break;
                }
                for item in &batch {
                    self.deliver_one(sender.as_ref(), item).await?;
                    handled += 1;
                }
            }
        }
        Ok(handled)
    }

    /// Delivers until nothing due is left for this worker's platforms, or `limit` passes.
    /// Used at shutdown so a piped console session prints everything it caused.
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            match self.deliver_due().await {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = ?e, "delivering the outbox at shutdown failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }

    async fn deliver_one(&self, sender: &dyn Sender, item: &OutboxItem) -> anyhow::Result<()> {
        let Some(chat) = self.config.chat(&item.chat) else {
            let why = format!("chat {:?} is no longer in bot.toml", item.chat);
            self.store.outbox_failed(item.id, &why, None).await?;
            return Ok(());
        };
        let notice = match Notice::from_payload(&item.payload) {
            Ok(n) => n,
            Err(e) => {
                self.store.outbox_failed(item.id, &format!("unreadable payload: {e}"), None).await?;
                return Ok(());
            }
        };
        let locale = crate::app::chat_locale(self.store.as_ref(), &self.config, chat).await;
        let text = notice.render(item.case, &self.config, &self.i18n, locale);
        match sender.send(chat, &text).await {
            Ok(()) => self.store.outbox_delivered(item.id, self.clock.now()).await?,
            Err(SendError::Permanent(why)) => {
                tracing::warn!(outbox = item.id, chat = %chat.name, %why, "message can never be delivered");
                self.store.outbox_failed(item.id, &why, None).await?;
            }
            Err(SendError::Transient { reason, retry_after }) => {
                let at = retry_at(self.clock.now(), item.attempts, retry_after);
                tracing::info!(outbox = item.id, chat = %chat.name, %reason, retry_at = %at, "will retry");
                self.store.outbox_failed(item.id, &reason, Some(at)).await?;
            }
        }
        Ok(())
    }
}

/// The platform's own `retry_after` wins; otherwise back off exponentially (1 s, 2 s, 4 s…)
/// up to five minutes.
pub fn retry_at(now: DateTime<Utc>, attempts: i64, retry_after: Option<Duration>) -> DateTime<Utc> {
    let wait = retry_after.unwrap_or_else(|| {
        let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
        Duration::from_secs(2u64.saturating_pow(exp)).min(Duration::from_secs(300))
    });
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backoff_doubles_and_is_capped_and_retry_after_wins() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let secs = |a, r| (retry_at(t0, a, r) - t0).num_seconds();
        assert_eq!([secs(1, None), secs(2, None), secs(3, None)], [1, 2, 4]);
        assert_eq!(secs(40, None), 300);
        assert_eq!(secs(1, Some(Duration::from_secs(7))), 7);
    }
}
