//! What users do, as gateway dispatches: slash commands and button presses
//! (INTERACTION_CREATE) and messages (MESSAGE_CREATE).

use super::state::{Msg, Pending, State};
use super::{APP_ID, FakeDiscord};
use serde_json::{Value, json};
use std::time::Instant;

/// Discord's default upload limit, which serenity requires in every interaction.
const ATTACHMENT_SIZE_LIMIT: u64 = 10_485_760;

impl FakeDiscord {
    /// A user running `/name` in a channel: INTERACTION_CREATE type 2 (APPLICATION_COMMAND).
    /// `options` is Discord's `data.options` array (`Value::Null` for none). Returns the
    /// interaction id; its token is `State::interactions`' second field.
    pub fn slash(&self, guild: u64, channel: u64, user: u64, name: &str, options: Value) -> u64 {
        let mut st = self.shared.lock();
        let command_id = command_id(&st, guild, name).unwrap_or_else(|| st.alloc_id());
        let options = if options.is_array() { options } else { json!([]) };
        let data = json!({"id": command_id.to_string(), "name": name, "type": 1, "options": options,
            "guild_id": guild.to_string()});
        interaction(&mut st, guild, channel, user, 2, data, None)
    }

    /// A user pressing the button `custom_id` under `message_id`: INTERACTION_CREATE type 3
    /// (MESSAGE_COMPONENT, component_type 2), carrying the stored message. Returns the id.
    pub fn press(&self, guild: u64, channel: u64, user: u64, message_id: u64, custom_id: &str) -> u64 {
        let mut st = self.shared.lock();
        let data = json!({"custom_id": custom_id, "component_type": 2});
        interaction(&mut st, guild, channel, user, 3, data, Some(message_id))
    }

    /// A user posting `content`: stored with the channel's messages and dispatched as
    /// MESSAGE_CREATE if the bot's intents allow it. Returns the message id.
    pub fn say(&self, guild: u64, channel: u64, user: u64, content: &str) -> u64 {
        let mut st = self.shared.lock();
        let id = st.alloc_id();
        let msg = Msg {
            id,
            channel_id: channel,
            content: content.to_string(),
            embeds: vec![],
            components: vec![],
            allowed_mentions: None,
            flags: 0,
            edits: 0,
            author_id: user,
            interaction_id: None,
        };
        let mut payload = st.message_json(&msg);
        payload["guild_id"] = json!(guild.to_string());
        let mut member = st.member_json(user);
        if let Some(m) = member.as_object_mut() {
            m.remove("user");
        }
        payload["member"] = member;
        let bot = super::BOT_ID.to_string();
        if content.contains(&format!("<@{bot}>")) || content.contains(&format!("<@!{bot}>")) {
            payload["mentions"] = json!([st.bot_json()]);
        }
        st.messages.insert((channel, id), msg);
        let (delivered, with_content) = st.gateway.message_intents();
        let mentioned = payload["mentions"].as_array().is_some_and(|m| !m.is_empty());
        if !with_content && !mentioned {
            payload["content"] = json!("");
        }
        if delivered {
            st.gateway.push("MESSAGE_CREATE", payload);
        }
        id
    }
}

/// The id of a registered command with this name (the guild's first, then the global ones).
fn command_id(st: &State, guild: u64, name: &str) -> Option<u64> {
    [guild, 0]
        .iter()
        .filter_map(|g| st.commands.get(g))
        .flatten()
        .find(|c| c["name"] == name)
        .and_then(|c| c["id"].as_str()?.parse().ok())
}

fn interaction(
    st: &mut State,
    guild: u64,
    channel: u64,
    user: u64,
    kind: u8,
    data: Value,
    message_id: Option<u64>,
) -> u64 {
    let id = st.alloc_id();
    let token = format!("aW50ZXJhY3Rpb246{id}:fake-interaction-token");
    let locale = st.locales.get(&user).cloned().unwrap_or_else(|| "en-US".to_string());
    let partial_channel = match st.channel_json(channel) {
        Some(c) => c,
        None => json!({"id": channel.to_string(), "type": 0, "guild_id": guild.to_string()}),
    };
    let mut payload = json!({"id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind,
        "data": data, "guild_id": guild.to_string(), "channel_id": channel.to_string(), "channel": partial_channel,
        "member": st.member_json(user), "token": token, "version": 1, "app_permissions": "2248473465835073",
        "locale": locale, "guild_locale": "en-US", "entitlements": [],
        "authorizing_integration_owners": {"0": guild.to_string()}, "context": 0,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT});
    if let Some(m) = message_id {
        payload["message"] = match st.messages.get(&(channel, m)) {
            Some(msg) => st.message_json(msg),
            // A message the fake never saw: the minimum serenity's Message needs.
            None => json!({"id": m.to_string(), "channel_id": channel.to_string(), "author": st.bot_json(),
                "content": "", "timestamp": super::state::snowflake_time(m), "edited_timestamp": null,
                "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": [], "pinned": false, "type": 0}),
        };
    }
    let now = Instant::now();
    st.interactions.push((id, token.clone(), now));
    let pending = Pending {
        token,
        kind,
        channel_id: channel,
        message_id,
        dispatched_at: now,
        acked: false,
        original: None,
        ephemeral: false,
    };
    st.pending.insert(id, pending);
    st.gateway.push("INTERACTION_CREATE", payload);
    id
}
