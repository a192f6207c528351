//! The outbox worker: claims queued messages, renders them in the receiving chat's
//! language, keeps each platform's sending limits, and records the outcome.
//!
//! A message is marked delivered only after its sender returned; if the process dies in
//! between, the lease runs out and the message is sent again (at-least-once delivery).
//! When more messages wait for one chat than its limits let through, they are coalesced
//! into a digest: nothing is dropped, and no chat waits minutes for its first message.

mod flight;
pub mod limiter;
mod pass;
pub mod split;

use crate::app::card::CardView;
use crate::clock::Clock;
use crate::config::{Chat, Config};
use crate::i18n::I18n;
use crate::leadership::Leader;
use crate::platform::Platform;
use crate::store::{OutboxItem, Store};
use crate::telemetry::Telemetry;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use limiter::{Limiter, Limits};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify, RwLock};

/// How long a claimed message is reserved for this worker before another may take it.
const LEASE: Duration = Duration::from_secs(30);
/// Fallback wake-up for messages queued by another instance sharing the database.
const POLL: Duration = Duration::from_secs(1);
const BATCH: i64 = 200;
/// How many chats are sent to at once. Each waits only for its own platform answers, so one
/// chat whose sends hang or fail holds up nobody else.
const MAX_CHATS_IN_FLIGHT: usize = 16;
/// tocsin's own limit on one platform call. teloxide sleeps 10 s inside any call that got a
/// 5xx, and its HTTP client's timeout is sized for long polling; a send that has not answered
/// by now is treated as failed and retried with back-off (at-least-once: the platform may have
/// shown it, and then it shows twice).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Never spin: even a message due right now waits this long if the pass just ran.
const MIN_NAP: Duration = Duration::from_millis(10);

/// What a platform is asked to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// Plain text: the sender escapes it for its markup and splits it to fit.
    Text(String),
    /// Plain text that names a person who should be notified: platforms that can turn the
    /// last `shown` in the text into a mention of `user_id` (their id on that platform) do.
    Mentioning { text: String, shown: String, user_id: String },
    /// A case's card: posted once per chat, then edited in place.
    Card(CardView),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The platform will never accept this (chat not found, bot removed): do not retry.
    #[error("permanent: {0}")]
    Permanent(String),
    /// Too many requests: the whole token waits exactly this long.
    #[error("rate limited for {0:?}")]
    RateLimited(Duration),
    /// Too many requests to this one chat (Discord's per-route buckets): only this chat waits
    /// exactly this long; the others go on.
    #[error("rate limited in this chat for {0:?}")]
    ChatRateLimited(Duration),
    /// Try again later (a timeout, a 5xx), after `retry_after` if the platform said so.
    #[error("transient: {reason}")]
    Transient { reason: String, retry_after: Option<Duration> },
}

/// One platform's way of posting to a chat.
#[async_trait]
pub trait Sender: Send + Sync {
    fn platform(&self) -> Platform;
    /// The sending limits the platform enforces; `None` for none (the console).
    fn limits(&self) -> Option<Limits> {
        None
    }
    /// Whether the chat is a group (group limits apply to it).
    fn is_group(&self, _chat: &Chat) -> bool {
        false
    }
    /// Whether case changes are shown as an edited card rather than as new messages.
    fn shows_cards(&self) -> bool {
        false
    }
    /// Whether a card, once posted, is edited in place. Group robots show cards but cannot
    /// edit them: each change posts a fresh card, which a flood may fold into a digest.
    fn edits_cards(&self) -> bool {
        self.shows_cards()
    }
    /// The longest text one message may hold, in UTF-16 units.
    fn max_text(&self) -> usize {
        usize::MAX
    }
    /// Shows `message` in `chat`; returns how many platform messages that took.
    async fn send(&self, chat: &Chat, message: &Outgoing) -> Result<usize, SendError>;
}

pub struct Worker {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    i18n: Arc<I18n>,
    clock: Arc<dyn Clock>,
    senders: Vec<Arc<dyn Sender>>,
    limiters: Mutex<HashMap<Platform, Limiter>>,
    wake: Arc<Notify>,
    /// One delivery pass at a time, so a caller that waits for a pass sees its messages out.
    pass: Mutex<()>,
    /// Held (shared) by every chat the background loop has out with a platform. A full pass
    /// ([`Worker::deliver_due`]) takes it whole, so it starts only when those have finished and
    /// never claims a message again whose lease a jumping test clock made look expired.
    flights: Arc<RwLock<()>>,
    /// Counts every send by platform and result.
    telemetry: Arc<Telemetry>,
    /// Sends to the platforms only while this instance leads: their budgets are per bot token,
    /// so one instance keeps them for the whole deployment (`crate::leadership`). The console
    /// is each instance's own and always served.
    leader: Leader,
    /// The leader's term this worker last took the outbox over in (see `claim`).
    term: std::sync::Mutex<Option<i64>>,
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
        let limiters = senders.iter().filter_map(|s| Some((s.platform(), Limiter::new(s.limits()?)))).collect();
        let telemetry = Arc::new(Telemetry::new(&config));
        Worker {
            store,
            config,
            i18n,
            clock,
            senders,
            limiters: Mutex::new(limiters),
            wake,
            pass: Mutex::new(()),
            flights: Arc::new(RwLock::new(())),
            telemetry,
            leader: Leader::always(),
            term: std::sync::Mutex::new(None),
        }
    }

    /// Sends to the platforms only while `leader` says this instance leads.
    pub fn with_leader(self, leader: Leader) -> Worker {
        Worker { leader, ..self }
    }

    /// Whether this instance may send to `platform` now.
    fn serves(&self, platform: Platform) -> bool {
        platform == Platform::Console || self.leader.is_leading()
    }

    /// Counts sends into `telemetry` (the app's) rather than into a registry of its own.
    pub fn with_telemetry(self, telemetry: Arc<Telemetry>) -> Worker {
        Worker { telemetry, ..self }
    }

    async fn next_due(&self) -> Option<DateTime<Utc>> {
        let mut next: Option<DateTime<Utc>> = None;
        for s in self.senders.iter().filter(|s| self.serves(s.platform())) {
            if let Ok(Some(at)) = self.store.outbox_next_due(s.platform()).await {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        next
    }

    /// One pass: every due message for every platform this worker serves, its chats side by
    /// side, waiting for all of them. Returns how many messages were handled (delivered,
    /// deferred, rescheduled or failed). The console and shutdown use this; the background
    /// loop ([`Worker::run`]) does not wait for slow chats.
    pub async fn deliver_due(&self) -> anyhow::Result<usize> {
        let _pass = self.pass.lock().await;
        let _landed = self.flights.write().await;
        let mut handled = 0;
        for sender in &self.senders {
            loop {
                let chats = self.claim(sender.platform()).await?;
                if chats.is_empty() {
                    break;
                }
                handled += chats.iter().map(|(_, items)| items.len()).sum::<usize>();
                let deliveries = chats.into_iter().map(|(_, items)| self.deliver_chat(sender.as_ref(), items));
                let results: Vec<anyhow::Result<()>> =
                    futures::stream::iter(deliveries).buffer_unordered(MAX_CHATS_IN_FLIGHT).collect().await;
                results.into_iter().collect::<anyhow::Result<()>>()?;
            }
        }
        Ok(handled)
    }

    /// Leases one batch of due messages for a platform, grouped by chat, each chat's in the
    /// order they were queued.
    async fn claim(&self, platform: Platform) -> anyhow::Result<Vec<(String, Vec<OutboxItem>)>> {
        if !self.serves(platform) {
            return Ok(vec![]);
        }
        self.take_over(platform).await?;
        let now = self.clock.now();
        let lease_until = now + chrono::Duration::from_std(LEASE)?;
        let batch = self.store.claim_outbox(platform, now, lease_until, BATCH).await?;
        let mut chats: Vec<(String, Vec<OutboxItem>)> = Vec::new();
        for item in batch {
            match chats.iter_mut().find(|(c, _)| *c == item.chat) {
                Some((_, items)) => items.push(item),
                None => chats.push((item.chat.clone(), vec![item])),
            }
        }
        Ok(chats)
    }

    /// In a new term, first clears what a former leader had claimed (`Leases::take_over_outbox`):
    /// a leader killed mid-send leaves claims that would hold its chats for [`LEASE`].
    async fn take_over(&self, platform: Platform) -> anyhow::Result<()> {
        let Some(token) = self.leader.token() else { return Ok(()) };
        if platform == Platform::Console || *self.term.lock().unwrap_or_else(|e| e.into_inner()) == Some(token) {
            return Ok(());
        }
        for sender in self.senders.iter().filter(|s| s.platform() != Platform::Console) {
            let freed = self.store.take_over_outbox(sender.platform()).await?;
            if freed > 0 {
                tracing::info!(
                    platform = sender.platform().as_str(),
                    freed,
                    "took over the outbox a former leader had claimed"
                );
            }
        }
        *self.term.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
        Ok(())
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
