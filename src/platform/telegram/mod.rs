//! Telegram, through teloxide's Bot API client.
//!
//! Updates arrive by long polling (the default) or by webhook; each becomes an invocation
//! of the core ([`inbound`]). Everything tocsin posts goes through the outbox and the
//! delivery worker's rate limiter to [`sender::TelegramSender`].

mod errors;
pub mod html;
mod inbound;
mod polling;
pub mod sender;
mod webhook;

pub use inbound::Inbound;

use crate::command::SPECS;
use crate::config::{TelegramConfig, TelegramMode};
use crate::domain::Locale;
use crate::i18n::{I18n, Text};
use anyhow::Context as _;
use std::net::SocketAddr;
use std::time::Duration;
use teloxide::Bot;
use teloxide::payloads::SetMyCommandsSetters;
use teloxide::prelude::Requester;
use teloxide::types::BotCommand;
use tokio::sync::watch;

/// Builds the client. Its HTTP timeout leaves room for a long poll plus a few seconds.
pub fn bot(config: &TelegramConfig, token: &str) -> anyhow::Result<Bot> {
    let client = teloxide::net::default_reqwest_settings()
        .timeout(Duration::from_secs(u64::from(config.poll_timeout) + 7))
        .build()
        .context("building the Telegram HTTP client")?;
    let bot = Bot::with_client(token, client);
    Ok(match &config.api_url {
        Some(url) => bot.set_api_url(url.clone()),
        None => bot,
    })
}

/// Asks Telegram who the bot is (its username addresses commands: `/ack@name 3`) and
/// registers the command list in every locale tocsin speaks.
pub async fn introduce(bot: &Bot, i18n: &I18n, default: Locale) -> anyhow::Result<String> {
    let me = bot.get_me().await.context("asking Telegram who this bot is (getMe); is TELOXIDE_TOKEN right?")?;
    let username = me.username.clone().unwrap_or_default();
    for locale in Locale::ALL {
        let commands = command_list(i18n, locale);
        bot.set_my_commands(commands.clone())
            .language_code(telegram_language(locale))
            .await
            .context("registering the command list (setMyCommands)")?;
        if locale == default {
            bot.set_my_commands(commands).await.context("registering the default command list")?;
        }
    }
    Ok(username)
}

fn command_list(i18n: &I18n, locale: Locale) -> Vec<BotCommand> {
    SPECS
        .iter()
        .map(|s| {
            let help: String = i18n.render(locale, &Text::new(s.help_key())).chars().take(256).collect();
            BotCommand::new(s.name, help)
        })
        .collect()
}

/// Telegram's language codes are two-letter ISO 639-1.
fn telegram_language(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "en",
        Locale::ZhCn => "zh",
    }
}

/// How long the connection counts as alive after Telegram last answered (`/readyz`). A long
/// poll returns within `poll_timeout` and teloxide gives up on it 7 s later, so in polling mode
/// twice that without an answer means polling is stuck. In webhook mode Telegram calls us and
/// silence is no failure: no limit.
pub fn freshness(config: &TelegramConfig) -> Option<chrono::Duration> {
    match config.mode {
        TelegramMode::Polling => Some(polling::freshness(config.poll_timeout)),
        TelegramMode::Webhook { .. } => None,
    }
}

/// Starts receiving updates, by polling or by webhook as configured. Returns the address
/// the webhook listens on (in webhook mode) and the task doing the receiving.
pub async fn start_receiving(
    inbound: Inbound,
    config: &TelegramConfig,
    webhook_secret: Option<String>,
    leader: crate::leadership::Leader,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<(Option<SocketAddr>, BoxFuture<'static, anyhow::Result<()>>)> {
    match &config.mode {
        // One instance polls at a time (Telegram answers a second poller with 409 and drops
        // the first's poll); every instance takes webhook deliveries.
        TelegramMode::Polling => {
            let timeout = config.poll_timeout;
            let polling = crate::leadership::while_leading(leader, shutdown, "Telegram long polling", move |term| {
                polling::run(inbound.clone(), timeout, term)
            });
            Ok((None, Box::pin(polling)))
        }
        TelegramMode::Webhook { listen, url } => {
            let secret = webhook_secret.filter(|s| !s.is_empty()).context(
                "mode = \"webhook\" needs TOCSIN_TELEGRAM_WEBHOOK_SECRET (1-256 characters of A-Z, a-z, 0-9, _ and -)",
            )?;
            let server = webhook::Webhook::bind(*listen, url.path(), secret.clone(), inbound.clone()).await?;
            let addr = server.local_addr().context("reading the webhook's address")?;
            webhook::register(&inbound.bot, url, &secret).await?;
            Ok((Some(addr), Box::pin(server.serve(shutdown))))
        }
    }
}

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
