//! Keeps a platform's sending limits, decided from the times of earlier sends.
//!
//! Telegram's documented limits (docs/ARCHITECTURE.md §3): about one message a second per chat, twenty a
//! minute per group, thirty a second per bot token; a 429 pauses the whole token for exactly
//! its `retry_after`. The limiter is pure: time comes in as an argument, nothing sleeps.

use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, VecDeque};

/// A budget: at most `count` sends in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub count: usize,
    pub window: Duration,
}

impl Budget {
    pub const fn new(count: usize, window: Duration) -> Budget {
        Budget { count, window }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub per_chat: Budget,
    /// Applies to group chats (and channels) on top of `per_chat`.
    pub per_group: Budget,
    pub per_token: Budget,
}

impl Limits {
    pub const TELEGRAM: Limits = Limits {
        per_chat: Budget::new(1, Duration::seconds(1)),
        per_group: Budget::new(20, Duration::seconds(60)),
        per_token: Budget::new(30, Duration::seconds(1)),
    };

    /// Discord: five messages per five seconds in a channel, fifty requests a second per bot.
    /// Discord's own bucket headers and 429s come on top (the sender reports them).
    pub const DISCORD: Limits = Limits {
        per_chat: Budget::new(5, Duration::seconds(5)),
        per_group: Budget::new(5, Duration::seconds(5)),
        per_token: Budget::new(50, Duration::seconds(1)),
    };
}

/// The send times still inside a budget's window, oldest first.
#[derive(Debug, Default)]
struct Window(VecDeque<DateTime<Utc>>);

impl Window {
    /// The earliest time one more send fits in `budget`.
    fn ready_at(&self, budget: Budget) -> Option<DateTime<Utc>> {
        if self.0.len() < budget.count {
            return None;
        }
        // The send `count` places back must have left the window.
        self.0.get(self.0.len() - budget.count).map(|t| *t + budget.window)
    }

    fn record(&mut self, at: DateTime<Utc>, keep: Duration) {
        // Kept in time order: an answer may come back after a later reservation was made.
        let place = self.0.iter().rposition(|t| *t <= at).map_or(0, |i| i + 1);
        self.0.insert(place, at);
        while self.0.back().is_some_and(|last| self.0.front().is_some_and(|t| *t + keep <= *last)) {
            self.0.pop_front();
        }
    }

    /// Takes back one send recorded at `at` (a reservation being settled).
    fn forget(&mut self, at: DateTime<Utc>) {
        if let Some(i) = self.0.iter().position(|t| *t == at) {
            self.0.remove(i);
        }
    }
}

#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    chats: HashMap<String, Window>,
    token: Window,
    paused_until: Option<DateTime<Utc>>,
    /// Chats the platform told to wait (a per-route 429), each until when.
    chats_paused: HashMap<String, DateTime<Utc>>,
}

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            chats: HashMap::new(),
            token: Window::default(),
            paused_until: None,
            chats_paused: HashMap::new(),
        }
    }

    /// When a message to `chat` may be sent: `now` if it may go at once.
    pub fn ready_at(&self, chat: &str, is_group: bool, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut ready = now;
        let mut later = |t: Option<DateTime<Utc>>| {
            if let Some(t) = t
                && t > ready
            {
                ready = t;
            }
        };
        later(self.paused_until);
        later(self.chats_paused.get(chat).copied());
        later(self.token.ready_at(self.limits.per_token));
        if let Some(w) = self.chats.get(chat) {
            later(w.ready_at(self.limits.per_chat));
            if is_group {
                later(w.ready_at(self.limits.per_group));
            }
        }
        ready
    }

    /// Claims the next send to `chat` at `now` if the limits allow it then, counting it at
    /// once: sends still waiting for their answer count against the token's budget, so chats
    /// sent to side by side cannot all pass the same check together. Returns the reservation
    /// to [`Limiter::settle`], or when to try again.
    pub fn reserve(&mut self, chat: &str, is_group: bool, now: DateTime<Utc>) -> Result<DateTime<Utc>, DateTime<Utc>> {
        let ready = self.ready_at(chat, is_group, now);
        if ready > now {
            return Err(ready);
        }
        self.record(chat, now);
        Ok(now)
    }

    /// The send reserved at `reserved` was answered at `answered` and took `messages` platform
    /// messages: they count from the answer, as the platform counts them (a reservation is
    /// moved, not added to). A failed send keeps its reservation: it was a request too.
    pub fn settle(&mut self, chat: &str, reserved: DateTime<Utc>, answered: DateTime<Utc>, messages: usize) {
        if let Some(w) = self.chats.get_mut(chat) {
            w.forget(reserved);
        }
        self.token.forget(reserved);
        for _ in 0..messages.max(1) {
            self.record(chat, answered);
        }
    }

    /// A message to `chat` was sent at `at`.
    pub fn record(&mut self, chat: &str, at: DateTime<Utc>) {
        let keep = self.limits.per_chat.window.max(self.limits.per_group.window);
        self.chats.entry(chat.to_string()).or_default().record(at, keep);
        self.token.record(at, self.limits.per_token.window);
    }

    /// The platform said "too many requests" for one chat: nothing goes to it before `until`.
    pub fn pause_chat(&mut self, chat: &str, until: DateTime<Utc>) {
        let paused = self.chats_paused.entry(chat.to_string()).or_insert(until);
        if *paused < until {
            *paused = until;
        }
    }

    /// The platform said "too many requests": nothing goes out before `until`.
    pub fn pause(&mut self, until: DateTime<Utc>) {
        if self.paused_until.is_none_or(|p| p < until) {
            self.paused_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap() + Duration::milliseconds(ms)
    }

    #[test]
    fn one_message_a_second_per_chat() {
        let mut l = Limiter::new(Limits::TELEGRAM);
        assert_eq!(l.ready_at("a", false, t(0)), t(0));
        l.record("a", t(0));
        assert_eq!(l.ready_at("a", false, t(10)), t(1000));
        assert_eq!(l.ready_at("b", false, t(10)), t(10), "other chats are not held up");
    }

    #[test]
    fn a_group_gets_twenty_messages_in_any_minute() {
        let mut l = Limiter::new(Limits::TELEGRAM);
        let mut now = t(0);
        let mut sent = vec![];
        while now < t(120_000) {
            now = l.ready_at("g", true, now);
            l.record("g", now);
            sent.push(now);
        }
        for (i, start) in sent.iter().enumerate() {
            let in_minute = sent[i..].iter().take_while(|s| **s < *start + Duration::seconds(60)).count();
            assert!(in_minute <= 20, "{in_minute} in the minute from {start}");
        }
        assert_eq!(sent[19], t(19_000), "the first twenty go out a second apart");
        assert_eq!(sent[20], t(60_000), "the twenty-first waits for the first to leave the window");
    }

    #[test]
    fn thirty_a_second_per_token_across_chats() {
        let mut l = Limiter::new(Limits::TELEGRAM);
        for i in 0..30 {
            l.record(&format!("c{i}"), t(i));
        }
        assert_eq!(l.ready_at("c99", false, t(30)), t(1000));
    }

    #[test]
    fn sends_in_flight_count_against_the_token_until_they_are_answered() {
        let mut l = Limiter::new(Limits::DISCORD);
        // Fifty chats reserve at once, none answered yet: the fifty-first must wait.
        for i in 0..50 {
            assert_eq!(l.reserve(&format!("c{i}"), true, t(0)), Ok(t(0)));
        }
        assert_eq!(l.reserve("c50", true, t(1)), Err(t(1000)));
        // Answered later: each counts from its answer, once.
        for i in 0..50 {
            l.settle(&format!("c{i}"), t(0), t(300), 1);
        }
        assert_eq!(l.ready_at("c50", true, t(301)), t(1300));
        assert_eq!(l.token.0.len(), 50, "moved, not added to");
    }

    #[test]
    fn a_chat_pause_holds_only_that_chat() {
        let mut l = Limiter::new(Limits::DISCORD);
        l.pause_chat("a", t(1500));
        l.pause_chat("a", t(1000));
        assert_eq!(l.ready_at("a", true, t(0)), t(1500));
        assert_eq!(l.ready_at("b", true, t(0)), t(0));
    }

    #[test]
    fn a_pause_holds_every_chat_until_it_ends_and_never_shortens() {
        let mut l = Limiter::new(Limits::TELEGRAM);
        l.pause(t(2000));
        l.pause(t(1000));
        assert_eq!(l.ready_at("a", false, t(0)), t(2000));
        assert_eq!(l.ready_at("a", false, t(2500)), t(2500));
    }
}
