//! Group-robot chats (`platform = "feishu" | "dingtalk" | "wecom"`) and the people's ids there.
//!
//! A robot's webhook URL carries its token, so bot.toml names only the environment variables
//! the URL and the signing secret come from (`webhook_env`, `secret_env`).

use super::raw::{RawChat, RawPerson};
use super::validate::Problems;
use crate::platform::Platform;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotChat {
    /// The environment variable holding the robot's webhook URL.
    pub webhook_env: String,
    /// The environment variable holding its signing secret (Feishu, DingTalk), if it signs.
    pub secret_env: Option<String>,
}

/// Checks a chat's robot keys; `Some` for a robot platform with a usable `webhook_env`.
pub(super) fn chat(p: &mut Problems, at: &str, platform: Platform, raw: &RawChat) -> Option<RobotChat> {
    if !platform.is_robot() {
        for (key, set) in [("webhook_env", raw.webhook_env.is_some()), ("secret_env", raw.secret_env.is_some())] {
            if set {
                p.add(format!("{at}.{key}"), "only feishu, dingtalk and wecom robots have webhooks");
            }
        }
        return None;
    }
    if raw.id.is_some() {
        p.add(format!("{at}.id"), "a robot has no chat id: name its webhook's variable in webhook_env");
    }
    if raw.topic.is_some() {
        p.add(format!("{at}.topic"), "only Telegram chats have forum topics");
    }
    if platform == Platform::WeCom && raw.secret_env.is_some() {
        p.add(format!("{at}.secret_env"), "WeCom robots do not sign; the key in the webhook URL is the secret");
    }
    let mut ok = true;
    for (key, value) in [("webhook_env", raw.webhook_env.as_deref()), ("secret_env", raw.secret_env.as_deref())] {
        if let Some(v) = value
            && !super::intake::is_env_name(v)
        {
            p.add(format!("{at}.{key}"), format!("\"{v}\" is not an environment variable name"));
            ok = false;
        }
    }
    let Some(webhook_env) = raw.webhook_env.clone() else {
        p.add(format!("{at}.webhook_env"), format!("a {platform} robot needs the variable its webhook URL is in"));
        return None;
    };
    ok.then_some(RobotChat { webhook_env, secret_env: raw.secret_env.clone() })
}

/// The person's ids on the robot platforms, used only to mention them.
pub(super) fn identities(p: &mut Problems, at: &str, raw: &RawPerson, out: &mut Vec<(Platform, String)>) {
    for (platform, id) in [(Platform::Feishu, &raw.feishu), (Platform::DingTalk, &raw.dingtalk), (Platform::WeCom, &raw.wecom)]
    {
        let Some(id) = id.as_deref().map(str::trim) else { continue };
        // Ids go into mention markup (`<at user_id="…">`, `<@…>`): nothing that could close it.
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_-.@".contains(c)) {
            p.add(format!("{at}.{platform}"), format!("\"{id}\" is not a {platform} user id"));
            continue;
        }
        out.push((platform, id.to_string()));
    }
}
