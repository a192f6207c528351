//! tocsin started for real against a fake Discord (gateway and REST) and the fake Telegram Bot
//! API at once: a fresh SQLite ledger, the real serenity and teloxide clients, the delivery
//! worker and the intake webhooks all running.
//!
//! The team works on Discord (`ops`, `leaders`) with a Telegram group mirroring the team
//! chat (`ops-tg`); its public outlets are a Discord announcement channel (`news`) and a
//! Telegram channel (`public-tg`). Everyone has a Discord and a Telegram id.

use super::fake_discord::{FakeDiscord, Msg};
use super::fake_telegram::FakeTelegram;
use super::{BOT_TOML, TestDb};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tocsin::clock::SystemClock;
use tocsin::config::Config;
use tocsin::run::{Secrets, Services};
use tocsin::store::Store;

pub const GUILD: u64 = 600_000_000_000_000_001;
pub const OPS: u64 = 610_000_000_000_000_001;
pub const LEADERS: u64 = 610_000_000_000_000_002;
pub const NEWS: u64 = 610_000_000_000_000_003;
pub const ALICE: u64 = 620_000_000_000_000_001; // leader, member
pub const BOB: u64 = 620_000_000_000_000_002; // member
pub const DANA: u64 = 620_000_000_000_000_003; // spokesperson
pub const LEE: u64 = 620_000_000_000_000_004; // leader
pub const STRANGER: u64 = 620_000_000_000_000_099; // not in bot.toml
/// Telegram: the mirror of the team chat, the public channel, and Alice's and Bob's ids there.
pub const OPS_TG: i64 = -100_111;
pub const PUBLIC_TG: i64 = -100_333;
pub const ALICE_TG: i64 = 1001;
pub const BOB_TG: i64 = 1002;
pub const DISCORD_TOKEN: &str = "discord-test-token";
pub const HOTLINE_TOKEN: &str = "hotline-token-0123456789";
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn config(tg: &FakeTelegram, dc: &FakeDiscord) -> String {
    let grades = &BOT_TOML[BOT_TOML.find("[grades.I]").expect("bot.toml has grades")..];
    format!(
        r#"database = "sqlite://unused.db"
default_locale = "en"
default_grade = "IV"

[telegram]
api_url = "{tg}"
poll_timeout = 2

[discord]
api_url = "{dc}"

[http]
listen = "127.0.0.1:0"

[[sources]]
name = "hotline"
kind = "generic"
token_env = "HOTLINE_TOKEN"

[[people]]
name = "alice"
display = "Alice Chen"
roles = ["leader", "member"]
telegram = {ALICE_TG}
discord = {ALICE}

[[people]]
name = "bob"
display = "Bob Li"
roles = ["member"]
telegram = {BOB_TG}
discord = {BOB}

[[people]]
name = "dana"
display = "Dana Wu"
roles = ["spokesperson"]
discord = {DANA}

[[people]]
name = "lee"
display = "Lee Ming"
roles = ["leader"]
discord = {LEE}

[chats.ops]
platform = "discord"
id = "{OPS}"

[chats.ops-tg]
platform = "telegram"
id = {OPS_TG}

[chats.leaders]
platform = "discord"
id = "{LEADERS}"

[chats.news]
platform = "discord"
id = "{NEWS}"

[chats.public-tg]
platform = "telegram"
id = {PUBLIC_TG}

[[teams]]
name = "city-desk"
leader = "alice"
team_chat = "ops"
mirrors = ["ops-tg"]
leaders_chat = "leaders"
public_outlets = ["news", "public-tg"]

{grades}"#,
        tg = tg.api_url(),
        dc = dc.base_url(),
    )
}

pub struct Dc {
    pub discord: FakeDiscord,
    pub telegram: FakeTelegram,
    pub services: Option<Services>,
    pub store: Arc<dyn Store>,
    pub db: TestDb,
    pub config: String,
}

impl Dc {
    pub async fn start() -> Dc {
        Dc::start_with(|c| c).await
    }

    /// `edit` may change the whole config text.
    pub async fn start_with(edit: impl FnOnce(String) -> String) -> Dc {
        let discord = FakeDiscord::start().await;
        discord.set_token(DISCORD_TOKEN);
        discord.add_guild(GUILD, "City desk");
        discord.add_channel(GUILD, OPS, "ops");
        discord.add_channel(GUILD, LEADERS, "leaders");
        discord.add_announcement_channel(GUILD, NEWS, "news");
        for (id, name) in [(ALICE, "alice"), (BOB, "bob"), (DANA, "dana"), (LEE, "lee"), (STRANGER, "stranger")] {
            discord.add_user(id, name);
        }
        let telegram = FakeTelegram::start().await;
        telegram.set_chat(OPS_TG, "supergroup", Some("Ops"));
        telegram.set_chat(PUBLIC_TG, "channel", Some("City news"));
        let config = edit(config(&telegram, &discord));
        let db = TestDb::sqlite();
        let store = db.store().await;
        let mut dc = Dc { discord, telegram, services: None, store, db, config };
        dc.restart().await;
        dc
    }

    /// (Re)starts tocsin on the same database, as a new process would, and waits until its
    /// gateway session is up.
    pub async fn restart(&mut self) {
        if let Some(s) = self.services.take() {
            s.shutdown().await;
        }
        let mut config = Config::parse(&self.config).expect("a valid test config");
        config.database_url = self.db.url.clone();
        let vars = HashMap::from([("HOTLINE_TOKEN".to_string(), HOTLINE_TOKEN.to_string())]);
        let secrets = Secrets {
            telegram_token: Some(super::telegram::TOKEN.into()),
            discord_token: Some(DISCORD_TOKEN.into()),
            vars: Some(vars),
            ..Secrets::default()
        };
        self.services = Some(tocsin::run::start(config, Arc::new(SystemClock), secrets).await.expect("tocsin starts"));
        let registered = self.discord.wait_until(|st| st.commands.contains_key(&GUILD), PATIENCE).await;
        assert!(registered, "tocsin connected to the gateway and registered its commands");
    }

    /// Posts a signal to the intake webhook, as a monitoring system or a hotline would.
    pub async fn signal(&self, body: serde_json::Value) -> reqwest::StatusCode {
        let addr = self.services.as_ref().and_then(|s| s.http_addr).expect("the intake listens");
        reqwest::Client::new()
            .post(format!("http://{addr}/api/v1/signals"))
            .header("Authorization", format!("Bearer {HOTLINE_TOKEN}"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("the intake answers")
            .status()
    }

    pub fn slash(&self, channel: u64, user: u64, name: &str, options: serde_json::Value) -> u64 {
        self.discord.slash(GUILD, channel, user, name, options)
    }

    pub fn press(&self, channel: u64, user: u64, message: u64, custom_id: &str) -> u64 {
        self.discord.press(GUILD, channel, user, message, custom_id)
    }

    /// Waits for a bot message in `channel` whose content or embed contains `needle`.
    pub async fn expect(&self, channel: u64, needle: &str) -> Msg {
        let found = self
            .discord
            .wait_until(|st| st.messages(channel).iter().any(|m| shown(m).contains(needle)), PATIENCE)
            .await;
        let messages = self.discord.messages(channel);
        assert!(found, "no message containing {needle:?} in {channel}; it has:\n{:#?}", shown_all(&messages));
        messages.into_iter().find(|m| shown(m).contains(needle)).expect("found above")
    }

    pub async fn shutdown(mut self) {
        if let Some(s) = self.services.take() {
            s.shutdown().await;
        }
    }
}

/// What a person reads of a message: its content, and each embed's title and description,
/// with Discord's markdown escapes removed.
pub fn shown(m: &Msg) -> String {
    let mut parts = vec![m.content.clone()];
    for e in &m.embeds {
        parts.extend(["title", "description"].iter().filter_map(|k| e[*k].as_str().map(str::to_string)));
    }
    unescape(&parts.join("\n"))
}

pub fn shown_all(messages: &[Msg]) -> Vec<String> {
    messages.iter().map(shown).collect()
}

/// Discord drops a backslash before punctuation.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| n.is_ascii_punctuation()) {
            out.push(chars.next().expect("peeked"));
        } else {
            out.push(c);
        }
    }
    out
}

/// The buttons of a message, as (label, custom_id).
pub fn buttons(m: &Msg) -> Vec<(String, String)> {
    m.components
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|b| (b["label"].as_str().unwrap_or("").to_string(), b["custom_id"].as_str().unwrap_or("").to_string()))
        .collect()
}
