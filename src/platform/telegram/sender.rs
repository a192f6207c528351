//! Posting to Telegram chats: text split to fit, case cards posted once and then edited.

use super::{errors::classify, html};
use crate::app::card::CardView;
use crate::clock::Clock;
use crate::config::Chat;
use crate::delivery::limiter::Limits;
use crate::delivery::split::split;
use crate::delivery::{Outgoing, SendError, Sender};
use crate::platform::Platform;
use crate::store::Store;
use async_trait::async_trait;
use std::sync::Arc;
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, LinkPreviewOptions, MessageId, ParseMode, ThreadId};
use teloxide::{ApiError, Bot, RequestError};

/// Telegram's limit on one message, in UTF-16 units of the text as shown.
pub const MAX_TEXT: usize = 4096;

pub struct TelegramSender {
    bot: Bot,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl TelegramSender {
    pub fn new(bot: Bot, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> TelegramSender {
        TelegramSender { bot, store, clock }
    }

    async fn post(&self, chat: &Chat, html_text: String, card: Option<&CardView>) -> Result<MessageId, RequestError> {
        let mut req = self
            .bot
            .send_message(chat_id(chat)?, html_text)
            .parse_mode(ParseMode::Html)
            .link_preview_options(no_preview());
        if let Some(topic) = chat.topic {
            req = req.message_thread_id(ThreadId(MessageId(i32::try_from(topic).unwrap_or(i32::MAX))));
        }
        if let Some(view) = card {
            req = req.reply_markup(html::keyboard(view));
        }
        Ok(req.await?.id)
    }

    /// Edits the case's card in place, or posts it if this chat has none (or lost it).
    async fn show_card(&self, chat: &Chat, view: &CardView) -> Result<(), RequestError> {
        let text = html::card(view);
        // A case has one card per chat, and one more per draft.
        let key = view.slot.as_ref().map_or_else(|| chat.name.clone(), |slot| format!("{}#{slot}", chat.name));
        let existing = self.store.card(view.case, &key).await.map_err(store_error)?;
        if let Some(id) = existing.and_then(|m| m.parse::<i32>().ok()) {
            let edit = self
                .bot
                .edit_message_text(chat_id(chat)?, MessageId(id), text.clone())
                .parse_mode(ParseMode::Html)
                .link_preview_options(no_preview())
                .reply_markup(html::keyboard(view))
                .await;
            match edit {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
                // Deleted by someone in the chat: post a fresh card below.
                Err(RequestError::Api(ApiError::MessageToEditNotFound)) => {}
                Err(e) => return Err(e),
            }
        }
        let id = self.post(chat, text, Some(view)).await?;
        self.store.set_card(view.case, &key, &id.0.to_string(), self.clock.now()).await.map_err(store_error)
    }
}

#[async_trait]
impl Sender for TelegramSender {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn limits(&self) -> Option<Limits> {
        Some(Limits::TELEGRAM)
    }

    /// Group, supergroup and channel ids are negative; private chats are people.
    fn is_group(&self, chat: &Chat) -> bool {
        chat.id.starts_with('-')
    }

    fn shows_cards(&self) -> bool {
        true
    }

    fn max_text(&self) -> usize {
        MAX_TEXT
    }

    async fn send(&self, chat: &Chat, message: &Outgoing) -> Result<usize, SendError> {
        match message {
            Outgoing::Card(view) => self.show_card(chat, view).await.map(|()| 1).map_err(|e| classify(&e)),
            Outgoing::Text(text) => {
                // Split the text as shown, then escape each piece: the limit counts what
                // people see, not the markup.
                let pieces = split(text, MAX_TEXT);
                for piece in &pieces {
                    self.post(chat, html::escape(piece), None).await.map_err(|e| classify(&e))?;
                }
                Ok(pieces.len())
            }
            Outgoing::Mentioning { text, shown, user_id } => {
                let pieces = split(text, MAX_TEXT);
                let mut mentioned = false;
                for piece in &pieces {
                    let mut html_text = html::escape(piece);
                    if !mentioned && let Some(linked) = html::mention(&html_text, shown, user_id) {
                        html_text = linked;
                        mentioned = true;
                    }
                    self.post(chat, html_text, None).await.map_err(|e| classify(&e))?;
                }
                Ok(pieces.len())
            }
        }
    }
}

fn chat_id(chat: &Chat) -> Result<ChatId, RequestError> {
    chat.id.parse::<i64>().map(ChatId).map_err(|_| RequestError::Api(ApiError::ChatNotFound))
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

fn store_error(e: crate::store::StoreError) -> RequestError {
    RequestError::Io(Arc::new(std::io::Error::other(e.to_string())))
}
