//! What the fake knows (guilds, channels, users, messages, calls, interactions, the gateway
//! session) and how it renders Discord's JSON objects.

use super::faults::Rule;
use super::gateway::Gateway;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Discord's epoch (2015-01-01) in Unix milliseconds: snowflakes count from it.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// A message as it stands now in a channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub id: u64,
    pub channel_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub allowed_mentions: Option<Value>,
    pub flags: u64,
    /// Successful edits (PATCH, UPDATE_MESSAGE callbacks, @original edits).
    pub edits: usize,
    pub author_id: u64,
    /// The interaction this message answers (callback type 4, followups, @original).
    pub interaction_id: Option<u64>,
}

/// One REST request, in arrival order (injected failures and unknown routes included).
#[derive(Clone, Debug)]
pub struct Call {
    pub at: Instant,
    pub method: String,
    /// The request path as received, without the query (`/api/v10/channels/1/messages`).
    pub path: String,
    /// The JSON body, if it had one that parsed.
    pub body: Option<Value>,
    /// The status answered; 0 for `Failure::Drop`/`Failure::Hang`.
    pub status: u16,
    pub authorization: Option<String>,
    /// An injected failure answered this request.
    pub injected: bool,
}

/// An interaction callback, an @original edit (`kind` 0) or a followup (`kind` 1) that
/// Discord accepted.
#[derive(Clone, Debug)]
pub struct InteractionResponse {
    pub interaction_id: u64,
    pub token: String,
    /// 4 CHANNEL_MESSAGE_WITH_SOURCE, 5 DEFERRED, 6 DEFERRED_UPDATE, 7 UPDATE_MESSAGE; for webhook
    /// calls: 0 = PATCH @original, 1 = followup POST, 2 = followup PATCH.
    pub kind: u8,
    pub data: Option<Value>,
    pub at: Instant,
    pub ephemeral: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Channel {
    pub(crate) guild_id: u64,
    pub(crate) name: String,
    pub(crate) kind: u8,
}

/// An interaction the fake dispatched.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub(crate) token: String,
    pub(crate) kind: u8,
    pub(crate) channel_id: u64,
    /// For a button press: the message the button is on.
    pub(crate) message_id: Option<u64>,
    pub(crate) dispatched_at: Instant,
    pub(crate) acked: bool,
    /// The message the response created (type 4) or that @original edits created.
    pub(crate) original: Option<u64>,
    /// The acknowledgement asked for an ephemeral answer (flags 64).
    pub(crate) ephemeral: bool,
}

pub struct State {
    pub guilds: BTreeMap<u64, String>,
    pub(crate) channels: BTreeMap<u64, Channel>,
    pub users: BTreeMap<u64, String>,
    pub(crate) messages: BTreeMap<(u64, u64), Msg>,
    pub calls: Vec<Call>,
    /// `(interaction id, token, dispatched at)` for every slash/press, in dispatch order.
    pub interactions: Vec<(u64, String, Instant)>,
    pub(crate) pending: HashMap<u64, Pending>,
    pub responses: Vec<InteractionResponse>,
    pub commands: HashMap<u64, Vec<Value>>,
    pub crossposted: Vec<(u64, u64)>,
    /// Sends over Discord's limits (5 messages / 5 s per channel, 50 requests / s overall).
    pub limit_violations: usize,
    pub(crate) recent: VecDeque<(Instant, Option<u64>)>,
    pub(crate) rules: Vec<Rule>,
    /// When set, only this token (with or without "Bot ") is accepted.
    pub(crate) token: Option<String>,
    pub gateway: Gateway,
    /// Interaction `locale` per user (default "en-US").
    pub locales: HashMap<u64, String>,
    /// How long after dispatch an interaction can be acknowledged (Discord: 3 s).
    pub interaction_window: Duration,
    pub(crate) port: u16,
    last_id: u64,
}

pub(crate) fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// ISO 8601 time a snowflake was made at (Discord's `timestamp` of a message).
pub(crate) fn snowflake_time(id: u64) -> String {
    let ms = (id >> 22) + DISCORD_EPOCH_MS;
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string()
}

pub(crate) fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

impl Msg {
    /// `(label, custom_id or url)` of every button, row by row.
    pub fn buttons(&self) -> Vec<(String, String)> {
        let rows = self.components.iter().filter_map(|r| r["components"].as_array());
        rows.flatten()
            .filter(|b| b["type"] == 2)
            .map(|b| {
                let action = b["custom_id"].as_str().or(b["url"].as_str()).unwrap_or("");
                (b["label"].as_str().unwrap_or("").to_string(), action.to_string())
            })
            .collect()
    }
}

impl Call {
    /// The path after `/api/v10` (`/channels/1/messages`).
    pub fn api_path(&self) -> &str {
        self.path.strip_prefix("/api/v10").unwrap_or(&self.path)
    }
}

impl State {
    pub(crate) fn new() -> State {
        State {
            guilds: BTreeMap::new(),
            channels: BTreeMap::new(),
            users: BTreeMap::new(),
            messages: BTreeMap::new(),
            calls: Vec::new(),
            interactions: Vec::new(),
            pending: HashMap::new(),
            responses: Vec::new(),
            commands: HashMap::new(),
            crossposted: Vec::new(),
            limit_violations: 0,
            recent: VecDeque::new(),
            rules: Vec::new(),
            token: None,
            gateway: Gateway::default(),
            locales: HashMap::new(),
            interaction_window: Duration::from_secs(3),
            port: 0,
            last_id: 0,
        }
    }

    /// A fresh snowflake: time-based like Discord's and strictly increasing.
    pub(crate) fn alloc_id(&mut self) -> u64 {
        let now = unix_ms().saturating_sub(DISCORD_EPOCH_MS) << 22;
        self.last_id = now.max(self.last_id + 1);
        self.last_id
    }

    /// What everyone in the channel sees, in post order: ephemeral answers (flags 64) are left
    /// out (they are in `responses`, and `message()` finds them).
    pub fn messages(&self, channel_id: u64) -> Vec<Msg> {
        let all = self.messages.range((channel_id, 0)..=(channel_id, u64::MAX));
        all.filter(|(_, m)| m.flags & 64 == 0).map(|(_, m)| m.clone()).collect()
    }

    pub fn message(&self, channel_id: u64, message_id: u64) -> Option<Msg> {
        self.messages.get(&(channel_id, message_id)).cloned()
    }

    pub fn channel_kind(&self, channel_id: u64) -> Option<u8> {
        self.channels.get(&channel_id).map(|c| c.kind)
    }

    pub(crate) fn token_ok(&self, token: &str) -> bool {
        let token = token.strip_prefix("Bot ").unwrap_or(token).trim();
        !token.is_empty() && self.token.as_deref().is_none_or(|t| t.strip_prefix("Bot ").unwrap_or(t) == token)
    }

    pub(crate) fn user_json(&self, id: u64) -> Value {
        if id == super::BOT_ID {
            return self.bot_json();
        }
        let name = self.users.get(&id).cloned().unwrap_or_else(|| format!("user{id}"));
        json!({"id": id.to_string(), "username": name, "discriminator": "0", "global_name": name,
            "avatar": null, "bot": false, "public_flags": 0})
    }

    pub(crate) fn bot_json(&self) -> Value {
        json!({"id": super::BOT_ID.to_string(), "username": "tocsin", "discriminator": "0", "global_name": null,
            "avatar": null, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0, "public_flags": 0})
    }

    pub(crate) fn member_json(&self, user_id: u64) -> Value {
        json!({"user": self.user_json(user_id), "nick": null, "avatar": null, "roles": [],
            "joined_at": "2024-01-01T00:00:00.000000+00:00", "premium_since": null, "deaf": false, "mute": false,
            "flags": 0, "pending": false, "permissions": "2248473465835073"})
    }

    pub(crate) fn channel_json(&self, id: u64) -> Option<Value> {
        let c = self.channels.get(&id)?;
        if let Some(user) = super::guilds::dm_recipient(c) {
            return Some(json!({"id": id.to_string(), "type": 1, "last_message_id": null, "flags": 0,
                "recipients": [self.user_json(user)]}));
        }
        let position = self.channels.range(..id).filter(|(_, o)| o.guild_id == c.guild_id).count();
        Some(json!({"id": id.to_string(), "type": c.kind, "guild_id": c.guild_id.to_string(), "name": c.name,
            "position": position, "permission_overwrites": [], "nsfw": false, "parent_id": null, "topic": null,
            "last_message_id": null, "rate_limit_per_user": 0, "flags": 0}))
    }

    pub(crate) fn message_json(&self, m: &Msg) -> Value {
        let guild_id = self.channels.get(&m.channel_id).filter(|c| c.guild_id != 0).map(|c| c.guild_id.to_string());
        let mut v = json!({"id": m.id.to_string(), "channel_id": m.channel_id.to_string(), "guild_id": guild_id,
            "author": self.user_json(m.author_id), "content": m.content, "embeds": m.embeds,
            "components": m.components, "timestamp": snowflake_time(m.id), "edited_timestamp": null,
            "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
            "pinned": false, "type": 0, "flags": m.flags});
        if m.edits > 0 {
            v["edited_timestamp"] = json!(now_iso());
        }
        if m.author_id == super::BOT_ID {
            v["application_id"] = json!(super::APP_ID.to_string());
        }
        v
    }

    /// GUILD_CREATE's payload: every field serenity's `Guild` requires, with no members.
    pub(crate) fn guild_json(&self, guild_id: u64) -> Value {
        let name = self.guilds.get(&guild_id).cloned().unwrap_or_default();
        let channels: Vec<Value> = self
            .channels
            .iter()
            .filter(|(_, c)| c.guild_id == guild_id)
            .filter_map(|(id, _)| self.channel_json(*id))
            .collect();
        json!({"id": guild_id.to_string(), "name": name, "icon": null, "icon_hash": null, "splash": null,
            "discovery_splash": null, "owner_id": "1",
            "verification_level": 0, "default_message_notifications": 1, "explicit_content_filter": 0,
            "roles": [{"id": guild_id.to_string(), "name": "@everyone", "color": 0,
                "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null}, "hoist": false,
                "icon": null, "unicode_emoji": null, "position": 0, "permissions": "2248473465835073", "managed": false,
                "mentionable": false, "flags": 0}],
            "emojis": [], "features": [], "mfa_level": 0, "application_id": null, "system_channel_id": null,
            "system_channel_flags": 0, "rules_channel_id": null, "vanity_url_code": null, "description": null,
            "banner": null, "premium_tier": 0, "premium_subscription_count": 0, "preferred_locale": "en-US",
            "public_updates_channel_id": null, "nsfw_level": 0, "stickers": [], "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null, "joined_at": "2024-01-01T00:00:00.000000+00:00", "large": false,
            "unavailable": false, "member_count": self.users.len() + 1, "voice_states": [], "members": [],
            "channels": channels, "threads": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": []})
    }

    /// Counts a send against Discord's limits; `channel` is set for message creates.
    pub(crate) fn count_request(&mut self, channel: Option<u64>) {
        let now = Instant::now();
        while self.recent.front().is_some_and(|(t, _)| now.duration_since(*t).as_secs_f64() > 5.0) {
            self.recent.pop_front();
        }
        let last_second = self.recent.iter().filter(|(t, _)| now.duration_since(*t).as_secs_f64() <= 1.0).count();
        let in_channel = channel.map_or(0, |c| self.recent.iter().filter(|(_, ch)| *ch == Some(c)).count());
        if last_second >= 50 || in_channel >= 5 {
            self.limit_violations += 1;
        }
        self.recent.push_back((now, channel));
    }

    /// `(limit, remaining, reset_after secs)` of the per-channel message bucket.
    pub(crate) fn bucket(&self, channel: u64) -> (u32, u32, f64) {
        let now = Instant::now();
        let sends: Vec<f64> = self
            .recent
            .iter()
            .filter(|(_, ch)| *ch == Some(channel))
            .map(|(t, _)| now.duration_since(*t).as_secs_f64())
            .collect();
        let reset_after = sends.iter().cloned().fold(0.0, f64::max);
        (5, 5u32.saturating_sub(sends.len() as u32), if sends.is_empty() { 5.0 } else { 5.0 - reset_after })
    }
}
