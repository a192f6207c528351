//! Posting to Discord channels: text escaped and split to fit, pings switched off, case cards
//! as embeds posted once and then edited in place, announcements crossposted.

use super::markdown::{self, no_pings, ping_only};
use super::rest::{Rest, RestError};
use crate::app::card::CardView;
use crate::clock::Clock;
use crate::config::{Chat, Config};
use crate::delivery::limiter::Limits;
use crate::delivery::{Outgoing, SendError, Sender};
use crate::platform::Platform;
use crate::store::Store;
use async_trait::async_trait;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Discord's error codes that mean "never" for this channel or message.
const UNKNOWN_MESSAGE: i64 = 10008;
/// Channel type 5: an announcement channel, whose posts can be published to followers.
const ANNOUNCEMENT: u64 = 5;

pub struct DiscordSender {
    rest: Rest,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: Arc<Config>,
    /// Per channel: whether it is an announcement channel (asked once, for public outlets).
    announcement: Mutex<HashMap<u64, bool>>,
}

impl DiscordSender {
    pub fn new(rest: Rest, store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: Arc<Config>) -> DiscordSender {
        DiscordSender { rest, store, clock, config, announcement: Mutex::new(HashMap::new()) }
    }

    async fn post(&self, channel: u64, body: Value) -> Result<u64, SendError> {
        let message = self.rest.post_message(channel, &body).await.map_err(classify)?;
        Ok(snowflake(&message["id"]).unwrap_or(0))
    }

    /// Edits the case's card in place, or posts it if this channel has none (or it was deleted).
    async fn show_card(&self, chat: &Chat, channel: u64, view: &CardView) -> Result<(), SendError> {
        let body = json!({
            "content": "",
            "embeds": [markdown::embed(view, view.colour.as_deref().and_then(markdown::colour))],
            "components": markdown::components(view),
            "allowed_mentions": no_pings(),
        });
        let key = view.slot.as_ref().map_or_else(|| chat.name.clone(), |slot| format!("{}#{slot}", chat.name));
        let existing = self.store.card(view.case, &key).await.map_err(store_error)?;
        if let Some(id) = existing.and_then(|m| m.parse::<u64>().ok()) {
            match self.rest.edit_message(channel, id, &body).await {
                Ok(_) => return Ok(()),
                // Deleted by someone in the channel: post a fresh card below.
                Err(RestError::Status { code: UNKNOWN_MESSAGE, .. }) => {}
                Err(e) => return Err(classify(e)),
            }
        }
        let id = self.post(channel, body).await?;
        self.store.set_card(view.case, &key, &id.to_string(), self.clock.now()).await.map_err(store_error)
    }

    /// Posts text in as many messages as it takes; returns how many.
    async fn post_text(&self, chat: &Chat, channel: u64, pieces: Vec<(String, Value)>) -> Result<usize, SendError> {
        let publish = self.config.is_public_outlet(&chat.name) && self.is_announcement(channel).await?;
        for (content, allowed) in &pieces {
            let id = self.post(channel, json!({ "content": content, "allowed_mentions": allowed })).await?;
            if publish {
                // Followers' servers see it only once it is published. A failure here is
                // logged, not retried: the post itself is there, and sending it again would
                // show it twice in the channel.
                if let Err(e) = self.rest.crosspost(channel, id).await {
                    tracing::warn!(chat = %chat.name, error = %e, "could not publish an announcement to followers");
                }
            }
        }
        Ok(pieces.len())
    }

    async fn is_announcement(&self, channel: u64) -> Result<bool, SendError> {
        if let Some(known) = self.announcement.lock().unwrap_or_else(|p| p.into_inner()).get(&channel) {
            return Ok(*known);
        }
        let info = self.rest.channel(channel).await.map_err(classify)?;
        let is = info["type"].as_u64() == Some(ANNOUNCEMENT);
        self.announcement.lock().unwrap_or_else(|p| p.into_inner()).insert(channel, is);
        Ok(is)
    }
}

#[async_trait]
impl Sender for DiscordSender {
    fn platform(&self) -> Platform {
        Platform::Discord
    }

    fn limits(&self) -> Option<Limits> {
        Some(Limits::DISCORD)
    }

    /// Every channel tocsin posts to is in a server.
    fn is_group(&self, _chat: &Chat) -> bool {
        true
    }

    fn shows_cards(&self) -> bool {
        true
    }

    fn max_text(&self) -> usize {
        markdown::MAX_CONTENT
    }

    async fn send(&self, chat: &Chat, message: &Outgoing) -> Result<usize, SendError> {
        let Ok(channel) = chat.id.parse::<u64>() else {
            return Err(SendError::Permanent(format!("\"{}\" is not a Discord channel id", chat.id)));
        };
        // A bucket Discord said is empty: wait for it without asking (and without a 429).
        if let Some(wait) = self.rest.bucket_wait(channel) {
            return Err(SendError::ChatRateLimited(wait));
        }
        match message {
            Outgoing::Card(view) => self.show_card(chat, channel, view).await.map(|()| 1),
            Outgoing::Text(text) => {
                let pieces = markdown::pieces(text).into_iter().map(|p| (p, no_pings())).collect();
                self.post_text(chat, channel, pieces).await
            }
            Outgoing::Mentioning { text, shown, user_id } => {
                let mut mentioned = false;
                let mut pieces = Vec::new();
                for piece in markdown::pieces(text) {
                    match markdown::mention(&piece, shown, user_id).filter(|_| !mentioned) {
                        Some((linked, id)) => {
                            mentioned = true;
                            pieces.push((linked, ping_only(id)));
                        }
                        None => pieces.push((piece, no_pings())),
                    }
                }
                self.post_text(chat, channel, pieces).await
            }
        }
    }
}

/// What a failed call means for delivery: wait (the whole token, or this channel), retry
/// later, or give up and tell the leaders.
pub fn classify(e: RestError) -> SendError {
    match e {
        RestError::RateLimited { wait, global: true } => SendError::RateLimited(wait),
        RestError::RateLimited { wait, global: false } => SendError::ChatRateLimited(wait),
        RestError::Status { status, code, message } if status >= 500 => SendError::Transient {
            reason: format!("Discord answered {status}: {message} (code {code})"),
            retry_after: None,
        },
        // 400, 401, 403, 404: missing access, unknown channel, a message Discord refuses.
        RestError::Status { status, code, message } => {
            SendError::Permanent(format!("Discord refused it ({status}): {message} (code {code})"))
        }
        RestError::Network(reason) => SendError::Transient { reason, retry_after: None },
    }
}

fn snowflake(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64())
}

fn store_error(e: crate::store::StoreError) -> SendError {
    SendError::Transient { reason: e.to_string(), retry_after: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn failures_are_sorted_into_wait_retry_and_give_up() {
        let wait = Duration::from_millis(1500);
        assert_eq!(classify(RestError::RateLimited { wait, global: true }), SendError::RateLimited(wait));
        assert_eq!(classify(RestError::RateLimited { wait, global: false }), SendError::ChatRateLimited(wait));
        let status = |status, code| RestError::Status { status, code, message: "x".into() };
        assert!(matches!(classify(status(403, 50001)), SendError::Permanent(_)));
        assert!(matches!(classify(status(404, 10003)), SendError::Permanent(_)));
        assert!(matches!(classify(status(502, 0)), SendError::Transient { .. }));
        assert!(matches!(classify(RestError::Network("reset".into())), SendError::Transient { .. }));
    }
}
