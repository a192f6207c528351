//! Turning Discord gateway events into invocations of the core, and answering them.
//!
//! Application commands and button presses arrive as interactions, which Discord wants
//! answered within three seconds. They are answered directly (not through the outbox, so a
//! throttled channel never delays them); if the core has not decided within
//! [`ANSWER_WITHIN`], the interaction is deferred first and answered when it has.
//!
//! Every interaction and message is acted on at most once: its id travels as the invocation's
//! `dedup_key` and is recorded with what it caused, so one replayed on RESUME, or delivered
//! again after a reconnect, changes nothing.

use super::commands::command_line;
use super::markdown;
use crate::app::card::Press;
use crate::app::{App, Invocation, Response};
use crate::i18n::I18n;
use crate::platform::Platform;
use crate::t;
use serenity::all::{
    CommandInteraction, ComponentInteraction, Context, CreateAllowedMentions, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse,
    EventHandler, Interaction, InteractionId, Message, Ready, ResumedEvent, ShardStageUpdateEvent,
};
use serenity::builder::Builder as _;
use serenity::gateway::ConnectionStage;
use serenity::http::Http;
use std::sync::Arc;
use std::time::Duration;

/// Discord gives an interaction three seconds; past this the answer is deferred.
const ANSWER_WITHIN: Duration = Duration::from_millis(2000);

pub struct Handler {
    pub app: Arc<App>,
    pub i18n: Arc<I18n>,
    /// Commands typed as plain messages are read only with the MESSAGE_CONTENT intent.
    pub message_content: bool,
}

/// Who is asking, for answering: the interaction's id and token.
struct Asker<'a> {
    id: InteractionId,
    token: &'a str,
    /// A button press: its answer must not post into the channel, only to the presser.
    press: bool,
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to the Discord gateway");
        self.app.telemetry().links.up(Platform::Discord, self.app.now(), None);
        let commands = super::commands::definitions(&self.i18n, self.app.config().default_locale);
        for guild in &ready.guilds {
            if let Err(e) = guild.id.set_commands(&ctx.http, commands.clone()).await {
                tracing::warn!(guild = guild.id.get(), error = %e, "could not register tocsin's commands in a server");
            }
        }
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("Discord gateway session resumed");
        self.app.telemetry().links.up(Platform::Discord, self.app.now(), None);
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        if matches!(event.new, ConnectionStage::Disconnected | ConnectionStage::Connecting) {
            self.app.telemetry().links.down(Platform::Discord, self.app.now(), "the gateway connection dropped");
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let result = match &interaction {
            Interaction::Command(c) => self.on_command(&ctx.http, c).await,
            Interaction::Component(c) => self.on_press(&ctx.http, c).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(error = ?e, interaction = interaction.id().get(), "handling a Discord interaction failed");
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if !self.message_content || msg.author.bot || msg.guild_id.is_none() {
            return;
        }
        if let Err(e) = self.on_message(&ctx.http, &msg).await {
            tracing::error!(error = ?e, message = msg.id.get(), "handling a Discord message failed");
        }
    }
}

impl Handler {
    async fn on_command(&self, http: &Http, c: &CommandInteraction) -> anyhow::Result<()> {
        let key = format!("discord:interaction:{}", c.id.get());
        let inv = Invocation {
            platform: Platform::Discord,
            user_id: c.user.id.get().to_string(),
            chat_id: c.channel_id.get().to_string(),
            text: command_line(&c.data.name, &c.data.options, self.app.config()),
            topic: None,
            bot_username: None,
            dedup_key: Some(key.clone()),
        };
        self.answer(http, Asker { id: c.id, token: &c.token, press: false }, &inv, key).await
    }

    /// A button press is the command it stands for.
    async fn on_press(&self, http: &Http, c: &ComponentInteraction) -> anyhow::Result<()> {
        let key = format!("discord:interaction:{}", c.id.get());
        let asker = Asker { id: c.id, token: &c.token, press: true };
        let Some(press) = Press::parse(&c.data.custom_id) else {
            // A button of an older card: nothing to do, but the spinner must stop.
            CreateInteractionResponse::Acknowledge.execute(http, (asker.id, asker.token)).await?;
            return Ok(());
        };
        let inv = Invocation {
            platform: Platform::Discord,
            user_id: c.user.id.get().to_string(),
            chat_id: c.channel_id.get().to_string(),
            text: press.command(),
            topic: None,
            bot_username: None,
            dedup_key: Some(key.clone()),
        };
        self.answer(http, asker, &inv, key).await
    }

    /// Runs the invocation and answers the interaction in time: directly when the core decides
    /// within [`ANSWER_WITHIN`], else deferred first.
    async fn answer(&self, http: &Http, asker: Asker<'_>, inv: &Invocation, key: String) -> anyhow::Result<()> {
        let work = self.app.handle(inv);
        tokio::pin!(work);
        let (response, deferred) = match tokio::time::timeout(ANSWER_WITHIN, &mut work).await {
            Ok(response) => (response, false),
            Err(_) => {
                let defer = if asker.press {
                    CreateInteractionResponse::Acknowledge
                } else {
                    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
                };
                defer.execute(http, (asker.id, asker.token)).await?;
                (work.await, true)
            }
        };
        if response.duplicate {
            // Answered when it was first handled (a RESUME replays events).
            return Ok(());
        }
        let text = self.reply_text(inv, &response).await;
        self.send_answer(http, &asker, deferred, &response, text).await?;
        if !response.committed {
            self.app.mark_handled(key).await?;
        }
        Ok(())
    }

    /// What the asker reads: the core's reply, or, when the decision was committed (its
    /// announcement goes to the channel through the outbox), a short "done" for their eyes.
    async fn reply_text(&self, inv: &Invocation, response: &Response) -> Option<String> {
        if let Some(reply) = &response.reply {
            return Some(reply.clone());
        }
        let chat = self.app.config().chat_for(Platform::Discord, &inv.chat_id, None)?;
        let locale = crate::app::chat_locale(self.app.store().as_ref(), self.app.config(), chat).await;
        Some(self.i18n.render(locale, &t!("discord-done")))
    }

    async fn send_answer(
        &self,
        http: &Http,
        asker: &Asker<'_>,
        deferred: bool,
        response: &Response,
        text: Option<String>,
    ) -> anyhow::Result<()> {
        let pieces = text.as_deref().map(markdown::pieces).unwrap_or_default();
        // Refusals, and every answer to a button, are for the asker's eyes only; a committed
        // decision is announced in the channel anyway.
        let private = response.refused || response.committed || asker.press;
        let mut rest = pieces.iter();
        let first = rest.next();
        match (deferred, asker.press, first) {
            // A press that changed something: the card is edited through the outbox.
            (false, true, _) if response.committed => {
                CreateInteractionResponse::Acknowledge.execute(http, (asker.id, asker.token)).await?;
                return Ok(());
            }
            (false, _, Some(first)) => {
                let message = CreateInteractionResponseMessage::new()
                    .content(first.clone())
                    .ephemeral(private)
                    .allowed_mentions(CreateAllowedMentions::new());
                CreateInteractionResponse::Message(message).execute(http, (asker.id, asker.token)).await?;
            }
            (false, _, None) => {
                CreateInteractionResponse::Acknowledge.execute(http, (asker.id, asker.token)).await?;
            }
            (true, true, _) if response.committed => return Ok(()),
            (true, true, Some(first)) => {
                follow_up(http, asker.token, first, true).await?;
            }
            (true, false, Some(first)) => {
                EditInteractionResponse::new()
                    .content(first.clone())
                    .allowed_mentions(CreateAllowedMentions::new())
                    .execute(http, asker.token)
                    .await?;
            }
            (true, _, None) => return Ok(()),
        }
        for piece in rest {
            follow_up(http, asker.token, piece, private).await?;
        }
        Ok(())
    }

    /// A command typed as a message (with the MESSAGE_CONTENT intent): answered in the
    /// channel through the outbox, as on Telegram.
    async fn on_message(&self, http: &Http, msg: &Message) -> anyhow::Result<()> {
        let key = format!("discord:message:{}", msg.id.get());
        let inv = Invocation {
            platform: Platform::Discord,
            user_id: msg.author.id.get().to_string(),
            chat_id: msg.channel_id.get().to_string(),
            text: msg.content.clone(),
            topic: None,
            bot_username: None,
            dedup_key: Some(key.clone()),
        };
        let response = self.app.handle(&inv).await;
        let Some(reply) = response.reply else { return Ok(()) };
        match self.app.config().chat_for(Platform::Discord, &inv.chat_id, None) {
            Some(chat) => match self.app.enqueue_reply(chat, reply.clone(), Some(key)).await {
                Ok(()) => Ok(()),
                // The outbox lives in the database; when that is what failed (the reply is then
                // "try again"), say it directly rather than not at all.
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "could not queue a reply; answering directly");
                    answer_directly(http, msg, &reply).await;
                    Ok(())
                }
            },
            None => {
                // A channel tocsin does not know has no outbox: answer once, directly, so whoever
                // added the bot learns the channel id to configure.
                answer_directly(http, msg, &reply).await;
                self.app.mark_handled(key).await
            }
        }
    }
}

async fn answer_directly(http: &Http, msg: &Message, reply: &str) {
    let answer = CreateMessage::new()
        .content(markdown::pieces(reply).into_iter().next().unwrap_or_default())
        .allowed_mentions(CreateAllowedMentions::new());
    if let Err(e) = msg.channel_id.send_message(http, answer).await {
        tracing::warn!(error = %e, channel = msg.channel_id.get(), "could not answer a channel directly");
    }
}

async fn follow_up(http: &Http, token: &str, text: &str, private: bool) -> anyhow::Result<()> {
    CreateInteractionResponseFollowup::new()
        .content(text)
        .ephemeral(private)
        .allowed_mentions(CreateAllowedMentions::new())
        .execute(http, (None, token))
        .await?;
    Ok(())
}
