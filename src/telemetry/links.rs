//! How each platform connection is doing, as its adapter last found it: the evidence `/readyz`
//! judges "connected" by. Adapters report what happened (a poll answered, a poll failed); the
//! judgement, with the time it is made at, is [`Links::judge`].

use crate::platform::Platform;
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The last thing an adapter learnt about its connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// The platform answered at `at`. With `fresh_for`, the adapter expects to hear from it again
    /// within that long (a long poll returns by itself); silence past it means trouble.
    Up { at: DateTime<Utc>, fresh_for: Option<Duration> },
    /// The last attempt failed, with the error as the adapter saw it (never a secret).
    Down { at: DateTime<Utc>, error: String },
}

/// Whether a platform counts as connected now, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Connected,
    NotConnected(String),
}

#[derive(Debug, Default)]
pub struct Links(Mutex<BTreeMap<Platform, Link>>);

impl Links {
    pub fn up(&self, platform: Platform, at: DateTime<Utc>, fresh_for: Option<Duration>) {
        self.set(platform, Link::Up { at, fresh_for });
    }

    pub fn down(&self, platform: Platform, at: DateTime<Utc>, error: impl Into<String>) {
        self.set(platform, Link::Down { at, error: error.into() });
    }

    pub fn get(&self, platform: Platform) -> Option<Link> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(&platform).cloned()
    }

    fn set(&self, platform: Platform, link: Link) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(platform, link);
    }

    /// A platform that reports its connection, judged at `now`.
    pub fn judge(&self, platform: Platform, now: DateTime<Utc>) -> Verdict {
        judge(self.get(platform).as_ref(), now)
    }
}

fn judge(link: Option<&Link>, now: DateTime<Utc>) -> Verdict {
    match link {
        None => Verdict::NotConnected("not connected yet".into()),
        Some(Link::Down { at, error }) => {
            Verdict::NotConnected(format!("the last attempt failed at {}: {error}", at.to_rfc3339()))
        }
        Some(Link::Up { at, fresh_for: Some(fresh) }) if now - *at > *fresh => Verdict::NotConnected(format!(
            "no answer for {} s (expected one at least every {} s)",
            (now - *at).num_seconds(),
            fresh.num_seconds()
        )),
        Some(Link::Up { .. }) => Verdict::Connected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn a_platform_is_connected_only_while_its_last_answer_is_recent_and_no_failure_followed() {
        let links = Links::default();
        assert!(
            matches!(links.judge(Platform::Telegram, t(0)), Verdict::NotConnected(w) if w.contains("not connected yet"))
        );
        links.up(Platform::Telegram, t(0), Some(Duration::seconds(34)));
        assert_eq!(links.judge(Platform::Telegram, t(34)), Verdict::Connected);
        assert!(
            matches!(links.judge(Platform::Telegram, t(35)), Verdict::NotConnected(w) if w.contains("no answer for 35 s"))
        );
        links.down(Platform::Telegram, t(40), "getUpdates: connection refused");
        assert!(
            matches!(links.judge(Platform::Telegram, t(40)), Verdict::NotConnected(w) if w.contains("connection refused"))
        );
        links.up(Platform::Telegram, t(41), None);
        assert_eq!(links.judge(Platform::Telegram, t(100_000)), Verdict::Connected, "a webhook may be silent for long");
    }
}
