//! Platform adapters. Each turns its platform's events into [`crate::app::Invocation`]s and
//! renders what the core decided; none of them decides anything itself.

pub mod console;
pub mod discord;
pub mod robots;
pub mod telegram;

use std::fmt;

/// The messaging platforms tocsin knows how to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    Console,
    Telegram,
    Discord,
    /// Group robots: incoming webhooks that post into one group each, and hear nothing.
    Feishu,
    DingTalk,
    WeCom,
}

impl Platform {
    pub const ALL: [Platform; 6] = [
        Platform::Console,
        Platform::Telegram,
        Platform::Discord,
        Platform::Feishu,
        Platform::DingTalk,
        Platform::WeCom,
    ];

    /// The group-robot platforms: send-only, one webhook per chat, no edits, no buttons.
    pub const ROBOTS: [Platform; 3] = [Platform::Feishu, Platform::DingTalk, Platform::WeCom];

    pub fn is_robot(self) -> bool {
        Platform::ROBOTS.contains(&self)
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Console => "console",
            Platform::Telegram => "telegram",
            Platform::Discord => "discord",
            Platform::Feishu => "feishu",
            Platform::DingTalk => "dingtalk",
            Platform::WeCom => "wecom",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
