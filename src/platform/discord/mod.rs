//! Discord, through serenity: the gateway for commands and button presses, REST for what
//! tocsin posts.
//!
//! Interactions (application commands, buttons) and, with the MESSAGE_CONTENT intent, typed
//! commands become invocations of the core ([`inbound`]). Everything tocsin posts goes through
//! the outbox and the delivery worker's limiter to [`sender::DiscordSender`]. serenity's own
//! rate limiter is off: tocsin's worker is the one limiter, and it reads Discord's 429s and
//! bucket headers itself ([`rest`]).

mod commands;
mod inbound;
pub mod markdown;
pub mod rest;
pub mod sender;

use crate::app::App;
use crate::config::discord::{DISCORD_TOKEN_ENV, DiscordConfig};
use crate::i18n::I18n;
use anyhow::Context as _;
use serenity::all::{ApplicationId, ClientBuilder, GatewayIntents};
use serenity::http::{Http, HttpBuilder};
use std::sync::Arc;
use tokio::sync::watch;

pub const DEFAULT_BASE: &str = "https://discord.com";

/// The base URL REST calls and the gateway lookup go to.
pub fn base(config: &DiscordConfig) -> String {
    config.api_url.as_ref().map_or_else(|| DEFAULT_BASE.to_string(), |u| u.as_str().trim_end_matches('/').to_string())
}

fn http(config: &DiscordConfig, token: &str, application: Option<ApplicationId>) -> Http {
    let mut builder = HttpBuilder::new(token).ratelimiter_disabled(true);
    if config.api_url.is_some() {
        builder = builder.proxy(base(config));
    }
    if let Some(id) = application {
        builder = builder.application_id(id);
    }
    builder.build()
}

/// The intents tocsin needs: guilds (to know its servers), and messages with their content
/// only when the application was granted that privileged intent.
pub fn intents(config: &DiscordConfig) -> GatewayIntents {
    let mut intents = GatewayIntents::GUILDS;
    if config.message_content {
        intents |= GatewayIntents::GUILD_MESSAGES | GatewayIntents::MESSAGE_CONTENT;
    }
    intents
}

/// Connects to Discord and returns the task that keeps the gateway session until `shutdown`.
///
/// The gateway's address is asked first, and a failure stops the start: serenity would
/// otherwise fall back to Discord's public gateway silently, past a configured `api_url`.
pub async fn connect(
    app: Arc<App>,
    i18n: Arc<I18n>,
    config: &DiscordConfig,
    token: &str,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<crate::platform::telegram::BoxFuture<'static, anyhow::Result<()>>> {
    let probe = http(config, token, None);
    let me = probe
        .get_current_application_info()
        .await
        .with_context(|| format!("asking Discord who this application is; is {DISCORD_TOKEN_ENV} right?"))?;
    probe.get_gateway().await.context("asking Discord for its gateway address")?;
    tracing::info!(application = me.id.get(), name = %me.name, "Discord application found");
    let handler = inbound::Handler { app, i18n, message_content: config.message_content };
    let mut client = ClientBuilder::new_with_http(http(config, token, Some(me.id)), intents(config))
        .event_handler(handler)
        .await
        .context("building the Discord client")?;
    Ok(Box::pin(async move {
        let shards = client.shard_manager.clone();
        let stopping = async move {
            // The guard `wait_for` returns is not Send: drop it here.
            let _ = shutdown.wait_for(|s| *s).await.is_ok();
        };
        tokio::select! {
            r = client.start() => r.context("the Discord gateway connection ended"),
            () = stopping => {
                shards.shutdown_all().await;
                Ok(())
            }
        }
    }))
}
