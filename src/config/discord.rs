//! `[discord]`: how tocsin reaches Discord. The token is never here: it comes from
//! [`DISCORD_TOKEN_ENV`].

use super::validate::Problems;
use serde::Deserialize;

pub const DISCORD_TOKEN_ENV: &str = "DISCORD_TOKEN";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDiscord {
    pub api_url: Option<String>,
    #[serde(default)]
    pub message_content: bool,
}

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    /// Another base URL instead of `https://discord.com` (a test's fake, or an API proxy); REST
    /// calls go to `<api_url>/api/v10/...` and the gateway's address is asked from there.
    pub api_url: Option<reqwest::Url>,
    /// Whether the application has the privileged MESSAGE_CONTENT intent, so that commands typed
    /// as plain messages (`/ack 3`) are read too. Application (slash) commands work without it.
    pub message_content: bool,
}

pub(super) fn discord(p: &mut Problems, raw: &RawDiscord) -> Option<DiscordConfig> {
    let api_url = match raw.api_url.as_deref().map(reqwest::Url::parse) {
        None => None,
        Some(Ok(url)) if matches!(url.scheme(), "http" | "https") && url.query().is_none() => Some(url),
        Some(_) => {
            let shown = raw.api_url.as_deref().unwrap_or_default();
            p.add("discord.api_url", format!("\"{shown}\" is not an http(s) URL"));
            return None;
        }
    };
    Some(DiscordConfig { api_url, message_content: raw.message_content })
}
