//! Delivering one chat's share of a claimed batch: limits, digests, outcomes.

use super::{Outgoing, SendError, Sender, Worker, retry_at};
use crate::app::card::card;
use crate::app::{Notice, chat_locale};
use crate::config::Chat;
use crate::domain::Locale;
use crate::store::{CaseWrite, Commit, NewOutbox, OutboxItem};
use crate::t;
use crate::telemetry::SendResult;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;

/// Coalesce into a digest when at least this many messages wait for one rate-limited chat.
const DIGEST_AT: usize = 3;

impl Worker {
    /// Sends what the chat's limits allow now, in queue order, and puts the rest back for
    /// when they will allow more.
    pub(super) async fn deliver_chat(&self, sender: &dyn Sender, items: Vec<OutboxItem>) -> anyhow::Result<()> {
        let Some(chat) = self.config.chat(&items[0].chat).cloned() else {
            for item in &items {
                self.store.outbox_failed(item.id, "the chat is no longer in bot.toml", None).await?;
            }
            return Ok(());
        };
        let limited = sender.limits().is_some();
        // One language for everything this pass sends to the chat: one read, not one per message.
        let locale = chat_locale(self.store.as_ref(), &self.config, &chat).await;
        let mut queue: VecDeque<OutboxItem> = items.into();
        let mut leaders_told = false;
        while !queue.is_empty() {
            let now = self.clock.now();
            let ready = self.ready_at(sender, &chat, now).await;
            if ready > now {
                return self.defer_all(&queue, ready).await;
            }
            // A statement or a draft card at the front is sent on its own; only look when a
            // digest is possible at all.
            let digest = limited && queue.len() >= DIGEST_AT && !self.front_alone(sender, &chat, &queue).await?;
            let (taken, outgoing) = if digest {
                self.digest(sender, &chat, locale, &mut queue).await?
            } else {
                let item = queue.pop_front().expect("the queue is not empty");
                match self.render(sender, &chat, locale, &item).await? {
                    Some(out) => (vec![item], out),
                    None => continue,
                }
            };
            if taken.is_empty() {
                continue;
            }
            // Another chat's send may have taken the last slot since the check above.
            let reserved = match self.reserve(sender, &chat).await {
                Ok(reserved) => reserved,
                Err(ready) => {
                    self.defer_all(&taken, ready).await?;
                    return self.defer_all(&queue, ready).await;
                }
            };
            let sent = match tokio::time::timeout(super::SEND_TIMEOUT, sender.send(&chat, &outgoing)).await {
                Ok(result) => result,
                Err(_) => Err(SendError::Transient {
                    reason: format!("no answer within {} s", super::SEND_TIMEOUT.as_secs()),
                    retry_after: None,
                }),
            };
            match sent {
                Ok(sent) => {
                    self.telemetry.sent(sender.platform(), SendResult::Ok);
                    self.settle(sender, &chat, reserved, sent).await;
                    for item in &taken {
                        self.store.outbox_delivered(item.id, self.clock.now()).await?;
                    }
                }
                Err(SendError::RateLimited(wait)) => {
                    self.telemetry.sent(sender.platform(), SendResult::RateLimited);
                    // Counted from the answer, not from when we started sending.
                    let until = self.clock.now() + chrono::Duration::from_std(wait)?;
                    if let Some(l) = self.limiters.lock().await.get_mut(&sender.platform()) {
                        l.pause(until);
                    }
                    tracing::warn!(chat = %chat.name, ?wait, "rate limited by the platform; pausing the token");
                    self.defer_all(&taken, until).await?;
                    return self.defer_all(&queue, until).await;
                }
                Err(SendError::ChatRateLimited(wait)) => {
                    self.telemetry.sent(sender.platform(), SendResult::RateLimited);
                    let until = self.clock.now() + chrono::Duration::from_std(wait)?;
                    if let Some(l) = self.limiters.lock().await.get_mut(&sender.platform()) {
                        l.pause_chat(&chat.name, until);
                    }
                    tracing::info!(chat = %chat.name, ?wait, "rate limited in one chat; pausing it");
                    self.defer_all(&taken, until).await?;
                    return self.defer_all(&queue, until).await;
                }
                Err(SendError::Transient { reason, retry_after }) => {
                    self.telemetry.sent(sender.platform(), SendResult::Transient);
                    let at = retry_at(self.clock.now(), taken[0].attempts, retry_after);
                    tracing::info!(chat = %chat.name, %reason, retry_at = %at, "will retry");
                    for item in &taken {
                        self.store.outbox_failed(item.id, &reason, Some(at)).await?;
                    }
                    // Later messages wait behind the failed one so the chat reads in order.
                    return self.defer_all(&queue, at).await;
                }
                Err(SendError::Permanent(why)) => {
                    self.telemetry.sent(sender.platform(), SendResult::Permanent);
                    tracing::warn!(chat = %chat.name, %why, "a message can never be delivered");
                    for item in &taken {
                        self.store.outbox_failed(item.id, &why, None).await?;
                    }
                    if !leaders_told {
                        self.tell_leaders(&chat, &why).await?;
                        leaders_told = true;
                    }
                }
            }
        }
        Ok(())
    }

    async fn ready_at(&self, sender: &dyn Sender, chat: &Chat, now: DateTime<Utc>) -> DateTime<Utc> {
        match self.limiters.lock().await.get(&sender.platform()) {
            Some(l) => l.ready_at(&chat.name, sender.is_group(chat), now),
            None => now,
        }
    }

    /// Counts the send about to be made, so sends in flight to other chats see it; `None`
    /// when the platform has no limits.
    async fn reserve(&self, sender: &dyn Sender, chat: &Chat) -> Result<Option<DateTime<Utc>>, DateTime<Utc>> {
        let now = self.clock.now();
        match self.limiters.lock().await.get_mut(&sender.platform()) {
            Some(l) => l.reserve(&chat.name, sender.is_group(chat), now).map(Some),
            None => Ok(None),
        }
    }

    /// The reserved send was answered now and took `messages` messages.
    async fn settle(&self, sender: &dyn Sender, chat: &Chat, reserved: Option<DateTime<Utc>>, messages: usize) {
        let Some(reserved) = reserved else { return };
        let now = self.clock.now();
        if let Some(l) = self.limiters.lock().await.get_mut(&sender.platform()) {
            l.settle(&chat.name, reserved, now, messages);
        }
    }

    pub(super) async fn defer_all<'a>(
        &self,
        items: impl IntoIterator<Item = &'a OutboxItem>,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        for item in items {
            self.store.outbox_defer(item.id, at).await?;
        }
        Ok(())
    }

    /// Takes as many waiting messages as fit in one message, as one digest.
    async fn front_alone(
        &self,
        sender: &dyn Sender,
        chat: &Chat,
        queue: &VecDeque<OutboxItem>,
    ) -> anyhow::Result<bool> {
        let Some(item) = queue.front() else { return Ok(false) };
        let Ok(notice) = Notice::from_payload(&item.payload) else { return Ok(false) };
        self.sent_alone(sender, chat, &notice, item).await
    }

    /// A statement or a draft card is never folded into a digest, and neither is a change to a
    /// case whose card this chat already shows: the card is edited in place (no new message),
    /// and a digest line instead would leave the card showing an old state. A new case's card
    /// is a new message, so a flood of new cases still becomes a digest. On a platform that
    /// cannot edit (group robots) every card is a new message, so any card may be folded in.
    async fn sent_alone(
        &self,
        sender: &dyn Sender,
        chat: &Chat,
        notice: &Notice,
        item: &OutboxItem,
    ) -> anyhow::Result<bool> {
        if notice.stands_alone() {
            return Ok(true);
        }
        let Some(case) = item.case.filter(|_| sender.edits_cards() && notice.is_case_change()) else {
            return Ok(false);
        };
        if !self.config.team(&chat.team).is_some_and(|t| t.is_team_chat(&chat.name)) {
            return Ok(false);
        }
        Ok(self.store.card(case, &chat.name).await?.is_some())
    }

    async fn digest(
        &self,
        sender: &dyn Sender,
        chat: &Chat,
        locale: Locale,
        queue: &mut VecDeque<OutboxItem>,
    ) -> anyhow::Result<(Vec<OutboxItem>, Outgoing)> {
        let max = sender.max_text();
        let mut taken = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        let mut used = 0;
        // The header's count is not known yet; leave room for the longest it can be.
        let header_room =
            super::split::utf16_len(&self.i18n.render(locale, &t!("digest-header", "count" => 999_999_i64)));
        while let Some(item) = queue.front() {
            let Some(notice) = self.notice(item).await? else {
                queue.pop_front();
                continue;
            };
            if self.sent_alone(sender, chat, &notice, item).await? {
                break;
            }
            let text = self.marked(item, locale, notice.render(item.case, &self.config, &self.i18n, locale)).await?;
            let cost = super::split::utf16_len(&text) + 2;
            if !parts.is_empty() && header_room + used + cost > max {
                break;
            }
            used += cost;
            parts.push(text);
            taken.push(queue.pop_front().expect("front exists"));
        }
        let header = self.i18n.render(locale, &t!("digest-header", "count" => taken.len()));
        Ok((taken, Outgoing::Text(format!("{header}\n\n{}", parts.join("\n\n")))))
    }

    /// The message a queued notice becomes for this chat: the case's card in its team chat
    /// on platforms that show cards, else text. `None` when the notice was unreadable (the
    /// message is then marked failed).
    async fn render(
        &self,
        sender: &dyn Sender,
        chat: &Chat,
        locale: Locale,
        item: &OutboxItem,
    ) -> anyhow::Result<Option<Outgoing>> {
        let Some(notice) = self.notice(item).await? else { return Ok(None) };
        if let Notice::DraftCard { draft } = &notice {
            let now = self.clock.now();
            let card = match crate::domain::approval::DraftRef::parse(draft) {
                Some(d) => {
                    crate::app::drafts::card(self.store.as_ref(), &self.config, &self.i18n, locale, d, now).await?
                }
                None => None,
            };
            let Some(card) = card else {
                self.store.outbox_failed(item.id, &format!("no draft {draft}"), None).await?;
                return Ok(None);
            };
            return Ok(Some(if sender.shows_cards() {
                Outgoing::Card(card.view)
            } else {
                Outgoing::Text(card.text())
            }));
        }
        if sender.shows_cards()
            && notice.is_case_change()
            && let Some(id) = item.case
            && let Some(case) = self.store.case(id).await?
            && self.config.team(&case.team).is_some_and(|t| t.is_team_chat(&chat.name))
        {
            let last = notice.card_line(&self.config, &self.i18n, locale);
            let clocks =
                crate::app::clocks::running(self.store.as_ref(), &self.config, &case, self.clock.now()).await?;
            let alerts = self.store.case_alerts(id).await?;
            let similar = crate::app::similar::for_card(self.store.as_ref(), id).await?;
            let view = card(&case, last, &clocks, &alerts, similar.as_ref(), &self.config, &self.i18n, locale);
            return Ok(Some(Outgoing::Card(view)));
        }
        let text = self.marked(item, locale, notice.render(item.case, &self.config, &self.i18n, locale)).await?;
        let person = notice.mention().and_then(|name| self.config.person(name));
        if let Some(person) = person
            && let Some((_, user_id)) = person.identities.iter().find(|(p, _)| *p == sender.platform())
            && text.contains(&person.display)
        {
            let (shown, user_id) = (person.display.clone(), user_id.clone());
            return Ok(Some(Outgoing::Mentioning { text, shown, user_id }));
        }
        Ok(Some(Outgoing::Text(text)))
    }

    /// A message about a drill case says so in its first words, on every platform (a card
    /// says it among its facts).
    async fn marked(&self, item: &OutboxItem, locale: Locale, text: String) -> anyhow::Result<String> {
        let Some(id) = item.case else { return Ok(text) };
        match self.store.case(id).await? {
            Some(case) if case.drill => Ok(format!("{} {text}", self.i18n.render(locale, &t!("drill-mark")))),
            _ => Ok(text),
        }
    }

    async fn notice(&self, item: &OutboxItem) -> anyhow::Result<Option<Notice>> {
        match Notice::from_payload(&item.payload) {
            Ok(n) => Ok(Some(n)),
            Err(e) => {
                self.store.outbox_failed(item.id, &format!("unreadable payload: {e}"), None).await?;
                Ok(None)
            }
        }
    }

    /// A chat that will never accept messages is a problem for the team's leaders: tell
    /// them in their own chat (unless that is the chat that failed).
    async fn tell_leaders(&self, chat: &Chat, why: &str) -> anyhow::Result<()> {
        let leaders = self
            .config
            .team(&chat.team)
            .and_then(|t| t.leaders_chat.as_deref())
            .and_then(|name| self.config.chat(name))
            .filter(|l| l.name != chat.name);
        let Some(leaders) = leaders else { return Ok(()) };
        let notice = Notice::DeliveryFailed { chat: chat.name.clone(), reason: why.to_string() };
        let at = self.clock.now();
        self.store
            .commit(Commit {
                outbox: vec![NewOutbox {
                    chat: leaders.name.clone(),
                    platform: leaders.platform,
                    payload: notice.to_payload(),
                }],
                ..Commit::new(CaseWrite::None, at)
            })
            .await?;
        self.wake.notify_one();
        Ok(())
    }
}
