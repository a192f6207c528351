//! bot.toml exactly as written. Every struct denies unknown keys, so a typo is an error
//! that names the key instead of a setting silently ignored.

use serde::Deserialize;
use std::collections::BTreeMap;

fn default_database() -> String {
    "sqlite://tocsin.db".to_string()
}
fn default_locale() -> String {
    "en".to_string()
}
fn default_grade() -> String {
    "IV".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default = "default_database")]
    pub database: String,
    #[serde(default = "default_locale")]
    pub default_locale: String,
    #[serde(default = "default_grade")]
    pub default_grade: String,
    pub console: Option<RawConsole>,
    pub telegram: Option<RawTelegram>,
    pub discord: Option<super::discord::RawDiscord>,
    pub http: Option<super::intake::RawHttp>,
    #[serde(default)]
    pub sources: Vec<super::intake::RawSource>,
    #[serde(default)]
    pub feeds: Vec<super::intake::RawFeed>,
    pub grading: Option<super::intake::RawGrading>,
    #[serde(default)]
    pub keywords: Vec<super::intake::RawKeywords>,
    #[serde(default)]
    pub routes: Vec<super::intake::RawRoute>,
    pub text: Option<super::intake::RawText>,
    #[serde(default)]
    pub people: Vec<RawPerson>,
    #[serde(default)]
    pub chats: BTreeMap<String, RawChat>,
    #[serde(default)]
    pub teams: Vec<RawTeam>,
    #[serde(default)]
    pub grades: BTreeMap<String, RawGrade>,
    pub clocks: Option<super::response::RawClocks>,
    pub watch: Option<super::response::RawWatch>,
    pub approvals: Option<super::publishing::RawApprovals>,
    pub status_page: Option<super::publishing::RawStatusPage>,
    pub retention: Option<super::retention::RawRetention>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConsole {
    pub chat: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    pub name: String,
    pub display: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    pub locale: Option<String>,
    pub telegram: Option<i64>,
    pub discord: Option<u64>,
    /// Group-robot mentions: the person's Feishu open_id (`ou_…`), DingTalk userId, WeCom userid.
    pub feishu: Option<String>,
    pub dingtalk: Option<String>,
    pub wecom: Option<String>,
    #[serde(default)]
    pub console: bool,
}

/// Telegram chat ids are integers (negative for groups), Discord's are snowflakes that
/// people often quote; accept both spellings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawId {
    Int(i64),
    Str(String),
}

impl RawId {
    pub fn text(&self) -> String {
        match self {
            RawId::Int(n) => n.to_string(),
            RawId::Str(s) => s.trim().to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChat {
    pub platform: String,
    pub id: Option<RawId>,
    /// A Telegram forum topic (`message_thread_id`) within the chat.
    pub topic: Option<i64>,
    pub locale: Option<String>,
    /// A group robot's webhook URL comes from this environment variable (it holds the token).
    pub webhook_env: Option<String>,
    /// A Feishu or DingTalk robot's signing secret comes from this environment variable.
    pub secret_env: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    pub name: String,
    pub leader: Option<String>,
    pub team_chat: String,
    /// More team chats, on other platforms: each sees the team chat's cards and notices.
    #[serde(default)]
    pub mirrors: Vec<String>,
    pub leaders_chat: Option<String>,
    #[serde(default)]
    pub public_outlets: Vec<String>,
    /// An IANA time zone name; UTC when absent.
    pub timezone: Option<String>,
    /// Local `HH:MM` of the leaders' daily report; no report when absent.
    pub report_at: Option<String>,
    /// The chat of the level above, told when a clock escalates.
    pub escalation_chat: Option<String>,
    /// Where a drill's statements go instead of the public outlets (none without it).
    pub sandbox_outlet: Option<String>,
    pub duty: Option<super::response::RawDuty>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrade {
    pub emoji: String,
    pub colour: String,
    #[serde(default)]
    pub name: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTelegram {
    pub api_url: Option<String>,
    #[serde(default = "default_mode")]
    pub mode: String,
    #[serde(default = "default_poll_timeout")]
    pub poll_timeout: u32,
    pub webhook: Option<RawWebhook>,
}

fn default_mode() -> String {
    "polling".to_string()
}
fn default_poll_timeout() -> u32 {
    10
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub listen: String,
    pub url: String,
}
