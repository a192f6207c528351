//! The background delivery loop: each chat's due messages go out in a task of their own.
//!
//! A chat whose sends hang, drop or answer 5xx holds up only itself: the loop goes on claiming
//! and sending for every other chat meanwhile. A chat's own order is kept by the store, which
//! claims nothing of a chat while an earlier message of it is out or waiting for its retry.

use super::{MAX_CHATS_IN_FLIGHT, MIN_NAP, POLL, Worker};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// When a pass found nothing it could claim, wait at least this long before the next (what is
/// due is then held by a chat in flight, possibly in another instance).
const IDLE_NAP: Duration = Duration::from_millis(250);

impl Worker {
    /// Delivers until `shutdown` turns true. Sleeps until the next message falls due, a commit
    /// or a finished chat wakes it, or the poll interval passes (for other instances' messages).
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut chats: JoinSet<()> = JoinSet::new();
        loop {
            let started = match self.dispatch(&mut chats).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = ?e, "delivering the outbox failed; will retry");
                    0
                }
            };
            let nap = match self.next_due().await {
                Some(at) => (at - self.clock.now()).to_std().unwrap_or(Duration::ZERO).clamp(MIN_NAP, POLL),
                None => POLL,
            };
            let nap = if started == 0 { nap.max(IDLE_NAP) } else { nap };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(nap) => {}
                Some(_) = chats.join_next(), if !chats.is_empty() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                // What is out with a platform finishes (each send is bounded); nothing new starts.
                while chats.join_next().await.is_some() {}
                return;
            }
        }
    }

    /// Claims what is due and starts a task per chat, up to [`MAX_CHATS_IN_FLIGHT`] at once;
    /// returns how many chats it started.
    async fn dispatch(self: &Arc<Self>, chats: &mut JoinSet<()>) -> anyhow::Result<usize> {
        while chats.try_join_next().is_some() {}
        let _pass = self.pass.lock().await;
        let mut started = 0;
        for sender in &self.senders {
            while chats.len() < MAX_CHATS_IN_FLIGHT {
                let claimed = self.claim(sender.platform()).await?;
                if claimed.is_empty() {
                    break;
                }
                for (chat, items) in claimed {
                    if chats.len() >= MAX_CHATS_IN_FLIGHT {
                        // Handed back at once, for the next pass: the bound holds per batch too.
                        self.defer_all(&items, self.clock.now()).await?;
                        continue;
                    }
                    let (worker, sender) = (self.clone(), sender.clone());
                    let flight = self.flights.clone().read_owned().await;
                    started += 1;
                    chats.spawn(async move {
                        let _flight = flight;
                        // Its messages' leases run out if this fails: they are retried then.
                        if let Err(e) = worker.deliver_chat(sender.as_ref(), items).await {
                            tracing::error!(error = ?e, %chat, "delivering to a chat failed; will retry");
                        }
                    });
                }
            }
        }
        Ok(started)
    }
}
