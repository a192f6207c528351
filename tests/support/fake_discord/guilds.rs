//! Guilds, members, users and direct messages: what a bot looks up about the people it talks to.

use super::routes::{Reply, id};
use super::state::{Channel, State};
use serde_json::{Value, json};

pub(crate) fn route(st: &mut State, method: &str, seg: &[&str], body: &Value) -> Option<Reply> {
    let reply = match (method, seg) {
        ("GET", ["guilds", g]) => match known_guild(st, g) {
            Some(g) => Reply::ok(without_members(st.guild_json(g))),
            None => Reply::error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", g, "channels"]) => match known_guild(st, g) {
            Some(g) => {
                let ids: Vec<u64> = st.channels.iter().filter(|(_, c)| c.guild_id == g).map(|(id, _)| *id).collect();
                Reply::ok(Value::Array(ids.into_iter().filter_map(|c| st.channel_json(c)).collect()))
            }
            None => Reply::error(404, 10004, "Unknown Guild"),
        },
        ("GET", ["guilds", g, "members", u]) => {
            match (known_guild(st, g), id(u).filter(|u| st.users.contains_key(u))) {
                (None, _) => Reply::error(404, 10004, "Unknown Guild"),
                (_, None) => Reply::error(404, 10007, "Unknown Member"),
                (Some(_), Some(u)) => Reply::ok(st.member_json(u)),
            }
        }
        ("GET", ["users", u]) if *u != "@me" => match id(u).filter(|u| st.users.contains_key(u) || *u == super::BOT_ID)
        {
            Some(u) => Reply::ok(st.user_json(u)),
            None => Reply::error(404, 10013, "Unknown User"),
        },
        ("POST", ["users", "@me", "channels"]) => open_dm(st, body),
        ("DELETE", ["channels", c, "messages", m]) => {
            let (Some(c), Some(m)) = (id(c), id(m)) else { return Some(Reply::unknown_message()) };
            if !st.channels.contains_key(&c) {
                return Some(Reply::unknown_channel());
            }
            match st.messages.remove(&(c, m)) {
                Some(_) => Reply::no_content(),
                None => Reply::unknown_message(),
            }
        }
        _ => return None,
    };
    Some(reply)
}

fn known_guild(st: &State, g: &str) -> Option<u64> {
    id(g).filter(|g| st.guilds.contains_key(g))
}

/// A guild as `GET /guilds/{id}` answers it: no GUILD_CREATE extras.
fn without_members(mut guild: Value) -> Value {
    if let Some(o) = guild.as_object_mut() {
        for extra in ["members", "channels", "threads", "presences", "voice_states", "joined_at", "large"] {
            o.remove(extra);
        }
    }
    guild
}

/// `POST /users/@me/channels {"recipient_id": ..}`: the DM channel with a known user (one per user).
fn open_dm(st: &mut State, body: &Value) -> Reply {
    let recipient = body["recipient_id"].as_str().and_then(id).or(body["recipient_id"].as_u64());
    let Some(user) = recipient.filter(|u| st.users.contains_key(u)) else {
        return Reply::form(&["recipient_id".to_string()], "NUMBER_TYPE_COERCE", "Value is not snowflake.");
    };
    let name = format!("dm-{user}");
    let existing = st.channels.iter().find(|(_, c)| c.kind == 1 && c.name == name).map(|(id, _)| *id);
    let channel = match existing {
        Some(c) => c,
        None => {
            let c = st.alloc_id();
            st.channels.insert(c, Channel { guild_id: 0, name, kind: 1 });
            c
        }
    };
    Reply::ok(json!({"id": channel.to_string(), "type": 1, "last_message_id": null, "flags": 0,
        "recipients": [st.user_json(user)]}))
}

/// The user a DM channel (from [`open_dm`]) talks to.
pub(crate) fn dm_recipient(c: &Channel) -> Option<u64> {
    c.name.strip_prefix("dm-").and_then(|u| u.parse().ok()).filter(|_| c.kind == 1)
}
