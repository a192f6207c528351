//! One leader among the instances sharing a Postgres database. What must run once per bot
//! token — Telegram long polling, the Discord gateway session, the platforms' send budgets
//! (so delivery to them) and feed polling — runs on the instance holding the `leader` lease;
//! the others stand by and try to take it every [`HEARTBEAT`]. Everything else (intake,
//! webhook-mode updates, the scheduler, the outbox's queueing) runs in every instance.
//!
//! Why a leases table rather than a Postgres advisory lock: an advisory lock lives as long as
//! the connection that took it, so an instance that hangs (stopped, swapping, wedged) with
//! its connection open would keep it forever, and one that loses its connection cannot tell
//! whether it still holds it. A lease row with an expiry (by the database's clock) ends on its
//! own when the holder stops renewing, whatever the reason, and its fencing token (raised at
//! each change of holder) tells a holder that woke up late that it has lost it.
//!
//! The holder's own view is stricter than the database's: it counts itself leader only until
//! [`TTL`] minus [`MARGIN`] after the start of its last successful renewal, by its monotonic
//! clock. The database expires the lease no earlier than [`TTL`] after the renewal ran, so the
//! old leader has stopped leading before a standby can take over — also when the renewal
//! cannot reach the database at all.
//!
//! A SQLite database serves one instance (`crate::store::instance`), which always leads.

use crate::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The one lease there is: leading covers every bot token this deployment has.
pub const LEASE: &str = "leader";
/// How long a lease lasts without renewal. A killed leader is replaced within about
/// `TTL + HEARTBEAT`.
pub const TTL: Duration = Duration::from_secs(10);
/// How often the leader renews and a standby tries to take over.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// How long a lease query may take before it counts as failed (a database that hangs must
/// not keep a leader believing it leads).
const PATIENCE: Duration = Duration::from_secs(3);
/// Slack for the time between the database stamping a renewal and the holder seeing it.
const MARGIN: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Term {
    token: i64,
    valid_until: Instant,
}

/// This instance's view of the lease: cheap to clone and to ask.
#[derive(Debug, Clone)]
pub struct Leader {
    rx: watch::Receiver<Option<Term>>,
    always: bool,
}

impl Leader {
    /// A single instance (SQLite, or a test), which always leads.
    pub fn always() -> Leader {
        Leader { rx: watch::channel(None).1, always: true }
    }

    /// Whether this instance is alone on its database (and so always leads).
    pub fn is_sole(&self) -> bool {
        self.always
    }

    pub fn is_leading(&self) -> bool {
        self.always || self.term().is_some()
    }

    /// The fencing token of the current term; `None` while not leading, and for an instance
    /// that always leads.
    pub fn token(&self) -> Option<i64> {
        self.term().map(|t| t.token)
    }

    /// The current term, if it has not lapsed.
    fn term(&self) -> Option<Term> {
        (*self.rx.borrow()).filter(|t| Instant::now() < t.valid_until)
    }

    /// Resolves once this instance leads; `false` if campaigning stopped first.
    pub async fn wait_leading(&mut self) -> bool {
        loop {
            if self.is_leading() {
                return true;
            }
            if self.rx.changed().await.is_err() {
                return false;
            }
        }
    }

    /// Resolves when the term this instance is leading in ends: lost, handed back, or
    /// lapsed because it could not be renewed in time. Never, for an instance that always
    /// leads.
    pub async fn term_ended(&mut self) {
        if self.always {
            return std::future::pending().await;
        }
        let Some(started) = self.term() else { return };
        loop {
            let Some(term) = self.term().filter(|t| t.token == started.token) else { return };
            tokio::select! {
                r = self.rx.changed() => if r.is_err() { return },
                () = tokio::time::sleep_until(term.valid_until) => {}
            }
        }
    }
}

/// A name for this instance in the leases table: host, process and a random part (several
/// instances may run in one process in tests).
pub fn holder_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()).filter(|h| !h.is_empty());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}:{}:{}", host.as_deref().unwrap_or("tocsin"), std::process::id(), &random[..8])
}

/// Starts campaigning for the lease: returns this instance's view of it and the task that
/// keeps (or keeps trying to take) it until `stop`, then hands it back at once.
pub fn campaign(
    store: Arc<dyn Store>,
    holder: String,
    stop: watch::Receiver<bool>,
) -> (Leader, impl Future<Output = anyhow::Result<()>> + Send + 'static) {
    let (tx, rx) = watch::channel(None);
    (Leader { rx, always: false }, keep(store, holder, tx, stop))
}

async fn keep(
    store: Arc<dyn Store>,
    holder: String,
    tx: watch::Sender<Option<Term>>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let ttl_ms = i64::try_from(TTL.as_millis()).unwrap_or(i64::MAX);
    let mut held: Option<i64> = None;
    let mut last_error: Option<String> = None;
    loop {
        if *stop.borrow() {
            break;
        }
        let asked = Instant::now();
        let answer = match held {
            Some(token) => tokio::time::timeout(PATIENCE, store.renew_lease(LEASE, &holder, token, ttl_ms))
                .await
                .map(|r| r.map(|renewed| renewed.then_some(token))),
            None => tokio::time::timeout(PATIENCE, store.take_lease(LEASE, &holder, ttl_ms)).await,
        };
        match answer {
            Ok(Ok(Some(token))) => {
                if held != Some(token) {
                    tracing::info!(holder = %holder, token, "this instance now leads: it polls the platforms and sends");
                }
                held = Some(token);
                last_error = None;
                tx.send_replace(Some(Term { token, valid_until: asked + TTL - MARGIN }));
            }
            Ok(Ok(None)) => {
                if held.take().is_some() {
                    tracing::warn!(holder = %holder, "this instance lost the lead to another; standing by");
                    tx.send_replace(None);
                }
            }
            // The database could not be asked: a held term runs out by itself (see `Leader`),
            // and the token is kept to renew with once the database answers again.
            failed => {
                let error = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no answer within {PATIENCE:?}"),
                };
                if last_error.as_ref() != Some(&error) {
                    tracing::warn!(%error, leading = held.is_some(), "the leader lease could not be renewed or taken");
                }
                last_error = Some(error);
            }
        }
        tokio::select! {
            () = tokio::time::sleep(HEARTBEAT) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }
    tx.send_replace(None);
    if let Some(token) = held {
        match tokio::time::timeout(PATIENCE, store.release_lease(LEASE, &holder, token)).await {
            Ok(Ok(())) => tracing::info!(holder = %holder, "handed the lead back"),
            Ok(Err(e)) => tracing::warn!(error = %e, "could not hand the lead back; it expires by itself"),
            Err(_) => tracing::warn!("could not hand the lead back in time; it expires by itself"),
        }
    }
    Ok(())
}

/// Runs `work` whenever this instance leads, until `stop`. `work` is given a signal that
/// turns true when the term ends (or on `stop`) and must then return promptly. An error from
/// `work` ends this too (a rejected token is not fixed by trying again).
pub async fn while_leading<W, F>(
    mut leader: Leader,
    mut stop: watch::Receiver<bool>,
    what: &'static str,
    mut work: W,
) -> anyhow::Result<()>
where
    W: FnMut(watch::Receiver<bool>) -> F,
    F: Future<Output = anyhow::Result<()>>,
{
    loop {
        tokio::select! {
            leading = leader.wait_leading() => if !leading { return Ok(()) },
            _ = stop.wait_for(|s| *s) => return Ok(()),
        }
        tracing::info!(what, "starting: this instance leads");
        let (end_term, term) = watch::channel(false);
        let running = work(term);
        tokio::pin!(running);
        let mut watcher = leader.clone();
        // The term is looked at before the work at every wake-up: a leader that was hung
        // (stopped, swapped out) and wakes after its term lapsed must not start another poll
        // or send first.
        let ended = tokio::select! {
            biased;
            () = watcher.term_ended() => None,
            _ = stop.wait_for(|s| *s) => None,
            r = &mut running => Some(r),
        };
        let result = match ended {
            Some(r) => r,
            None => {
                let _ = end_term.send(true);
                running.await
            }
        };
        result?;
        if *stop.borrow() {
            return Ok(());
        }
        tracing::info!(what, "stopped: this instance no longer leads");
        // Ended on its own while still leading: not in a tight loop.
        tokio::select! {
            () = tokio::time::sleep(HEARTBEAT) => {}
            _ = stop.wait_for(|s| *s) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_single_instance_always_leads_and_its_term_never_ends() {
        let mut leader = Leader::always();
        assert!(leader.is_leading());
        assert!(leader.wait_leading().await);
        let ended = tokio::time::timeout(Duration::from_millis(50), leader.term_ended()).await;
        assert!(ended.is_err(), "a term that never ends");
    }

    /// Generous: these only need the awaited thing to happen at all.
    const WAIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn a_term_lapses_by_the_holders_own_clock_when_it_is_not_renewed() {
        let (tx, rx) = watch::channel(None);
        let mut leader = Leader { rx, always: false };
        assert!(!leader.is_leading());
        tx.send_replace(Some(Term { token: 3, valid_until: Instant::now() + Duration::from_millis(50) }));
        assert!(leader.is_leading());
        tokio::time::timeout(WAIT, leader.term_ended()).await.expect("the term lapses with nothing sent");
        assert!(!leader.is_leading(), "the lapsed term is not leading, though it was never withdrawn");
    }

    #[tokio::test]
    async fn a_renewal_keeps_the_term_and_a_new_token_ends_it() {
        let (tx, rx) = watch::channel(None);
        let mut leader = Leader { rx, always: false };
        tx.send_replace(Some(Term { token: 3, valid_until: Instant::now() + WAIT }));
        let mut watching = leader.clone();
        let ended = tokio::spawn(async move { watching.term_ended().await });
        tx.send_replace(Some(Term { token: 3, valid_until: Instant::now() + WAIT }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!ended.is_finished(), "a renewal is the same term");
        tx.send_replace(Some(Term { token: 4, valid_until: Instant::now() + WAIT }));
        tokio::time::timeout(WAIT, ended).await.expect("a new token ends the term").unwrap();
        assert!(leader.wait_leading().await, "leading again, in a new term");
    }
}
