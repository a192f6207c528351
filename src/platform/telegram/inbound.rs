//! Turning Telegram updates into invocations of the core, and answering them.
//!
//! Every update is acted on at most once: its id travels as the invocation's `dedup_key`
//! and is recorded in the same transaction as whatever it caused (a decision, a queued
//! reply), so the same update delivered again — after a restart, or by a retrying webhook —
//! changes nothing.

use super::html;
use crate::app::card::Press;
use crate::app::{App, Invocation};
use crate::platform::Platform;
use std::sync::Arc;
use teloxide::Bot;
use teloxide::payloads::{AnswerCallbackQuerySetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{CallbackQuery, Message, ParseMode, ThreadId, Update, UpdateKind};

/// Telegram shows at most 200 characters in a callback answer.
const MAX_ALERT: usize = 200;

#[derive(Clone)]
pub struct Inbound {
    pub app: Arc<App>,
    pub bot: Bot,
    pub username: String,
}

impl Inbound {
    pub async fn handle(&self, update: &Update) {
        let key = format!("telegram:update:{}", update.id.0);
        let result = match &update.kind {
            UpdateKind::Message(msg) => self.on_message(msg, key).await,
            UpdateKind::CallbackQuery(q) => self.on_callback(q, key).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(error = ?e, update = update.id.0, "handling a Telegram update failed");
        }
    }

    async fn on_message(&self, msg: &Message, key: String) -> anyhow::Result<()> {
        let (Some(text), Some(from)) = (msg.text(), msg.from.as_ref()) else { return Ok(()) };
        // Replies in ordinary groups carry a thread id too; only forum topics count.
        let topic = msg.thread_id.filter(|_| msg.is_topic_message).map(|t| i64::from(t.0.0));
        let inv = Invocation {
            platform: Platform::Telegram,
            user_id: from.id.0.to_string(),
            chat_id: msg.chat.id.0.to_string(),
            text: text.to_string(),
            topic,
            bot_username: Some(self.username.clone()),
            dedup_key: Some(key.clone()),
        };
        let response = self.app.handle(&inv).await;
        let Some(reply) = response.reply else { return Ok(()) };
        match self.app.config().chat_for(Platform::Telegram, &inv.chat_id, topic) {
            Some(chat) => match self.app.enqueue_reply(chat, reply.clone(), Some(key)).await {
                Ok(()) => Ok(()),
                // The outbox lives in the database; when that is what failed (the reply is then
                // "try again"), say it directly rather than not at all.
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "could not queue a reply; answering directly");
                    self.answer_directly(msg, &reply).await;
                    Ok(())
                }
            },
            None => {
                // A chat tocsin does not know has no outbox entry to go through: answer it
                // once, directly, so whoever added the bot learns the chat id to configure.
                self.answer_directly(msg, &reply).await;
                self.app.mark_handled(key).await
            }
        }
    }

    async fn answer_directly(&self, msg: &Message, reply: &str) {
        let mut req = self.bot.send_message(msg.chat.id, html::escape(reply)).parse_mode(ParseMode::Html);
        if let Some(t) = msg.thread_id.filter(|_| msg.is_topic_message) {
            req = req.message_thread_id(ThreadId(t.0));
        }
        if let Err(e) = req.await {
            tracing::warn!(error = %e, chat = msg.chat.id.0, "could not answer a chat directly");
        }
    }

    /// A button press is the command it stands for. Its answer is a popup (an alert for
    /// refusals and mistakes), never a chat message; the card itself is edited through the
    /// outbox when the case changes.
    async fn on_callback(&self, q: &CallbackQuery, key: String) -> anyhow::Result<()> {
        let press = q.data.as_deref().and_then(Press::parse);
        let (Some(press), Some(msg)) = (press, q.regular_message()) else {
            self.answer(q, None).await;
            return Ok(());
        };
        let topic = msg.thread_id.filter(|_| msg.is_topic_message).map(|t| i64::from(t.0.0));
        let inv = Invocation {
            platform: Platform::Telegram,
            user_id: q.from.id.0.to_string(),
            chat_id: msg.chat.id.0.to_string(),
            text: press.command(),
            topic,
            bot_username: None,
            dedup_key: Some(key.clone()),
        };
        let response = self.app.handle(&inv).await;
        if response.duplicate {
            return Ok(());
        }
        self.answer(q, response.reply.as_deref()).await;
        if !response.committed {
            self.app.mark_handled(key).await?;
        }
        Ok(())
    }

    /// Every callback is answered, or the pressing client shows a spinner for a while.
    async fn answer(&self, q: &CallbackQuery, alert: Option<&str>) {
        let mut req = self.bot.answer_callback_query(q.id.clone());
        if let Some(text) = alert {
            req = req.text(text.chars().take(MAX_ALERT).collect::<String>()).show_alert(true);
        }
        if let Err(e) = req.await {
            tracing::warn!(error = %e, "could not answer a button press");
        }
    }
}
